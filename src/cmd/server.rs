//! Server commands (spec group `server`): COMMAND *, INFO, TIME, DBSIZE, FLUSHDB, FLUSHALL,
//! CONFIG *, LOLWUT; and the shared HELP reply.

use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::{config, Ctx};
use crate::spec::generated::*;
use crate::spec::{self, ArgKind, ArgSpec, BeginSearch, CommandSpec, FindKeys, Profile, ServerKind, Version};

/// A `<CMD> HELP` reply: the header line, the lines, and the closing HELP entry.
pub fn help_reply(cmd: &str, lines: &[&str]) -> Reply {
    let mut out = vec![Reply::Simple(format!("{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:").into())];
    out.extend(lines.iter().map(|l| Reply::Simple(l.to_string().into())));
    out.push(Reply::simple("HELP"));
    out.push(Reply::simple("    Prints this help."));
    Reply::Array(out)
}

/// The Redis version Dragonfly claims (`redis_version`, HELLO `version`).
pub fn dragonfly_redis_version(p: &Profile) -> Version {
    if p.version < Version::new(1, 26, 0) {
        Version::new(6, 2, 11)
    } else {
        Version::new(7, 4, 0)
    }
}

/// DBSIZE.
pub fn dbsize(ctx: &mut Ctx<'_>, _a: Dbsize) -> CmdResult {
    Ok(Reply::Int(ctx.db().len() as i64))
}

/// FLUSHDB [ASYNC | SYNC].
pub fn flushdb(ctx: &mut Ctx<'_>, _a: Flushdb) -> CmdResult {
    ctx.db().clear();
    Ok(Reply::OK)
}

/// FLUSHALL [ASYNC | SYNC].
pub fn flushall(ctx: &mut Ctx<'_>, _a: Flushall) -> CmdResult {
    ctx.st.dbs.iter_mut().for_each(|d| d.clear());
    Ok(Reply::OK)
}

/// TIME: seconds and microseconds of the server clock.
pub fn time(ctx: &mut Ctx<'_>, _a: Time) -> CmdResult {
    let us = ctx.now_us;
    Ok(Reply::Array(vec![
        Reply::bulk(us.div_euclid(1_000_000).to_string()),
        Reply::bulk(us.rem_euclid(1_000_000).to_string()),
    ]))
}

/// LOLWUT [VERSION v].
pub fn lolwut(ctx: &mut Ctx<'_>, _a: Lolwut) -> CmdResult {
    let v = ctx.profile().redis_compat_version();
    Ok(Reply::Verbatim("txt", format!("Redis ver. {v}\n").into_bytes()))
}

// ------------------------------------------------------------------ CONFIG

/// CONFIG GET parameter [parameter ...].
pub fn config_get(ctx: &mut Ctx<'_>, a: ConfigGet<'_>) -> CmdResult {
    let p = ctx.profile();
    if a.parameter.len() > 1 && !p.redis_at_least(7, 0) {
        return Err(Reply::err(error::wrong_arity(&p, "config|get", Some(b"GET"))));
    }
    let pairs = ctx.st.config.matching(&a.parameter, &p);
    Ok(Reply::Map(pairs.into_iter().map(|(k, v)| (Reply::bulk(k), Reply::bulk(v))).collect()))
}

/// CONFIG SET parameter value [parameter value ...]: all or nothing.
pub fn config_set(ctx: &mut Ctx<'_>, a: ConfigSet<'_>) -> CmdResult {
    let p = ctx.profile();
    if a.data.len() > 1 && !p.redis_at_least(7, 0) {
        return Err(Reply::err(error::wrong_arity(&p, "config|set", Some(b"SET"))));
    }
    let pairs: Vec<(&[u8], &[u8])> = a.data.iter().map(|d| (d.parameter, d.value)).collect();
    config::set_many(&mut ctx.st.config, &p, &pairs)?;
    Ok(Reply::OK)
}

/// CONFIG RESETSTAT.
pub fn config_resetstat(ctx: &mut Ctx<'_>, _a: ConfigResetstat) -> CmdResult {
    ctx.st.stats = Default::default();
    Ok(Reply::OK)
}

/// CONFIG REWRITE: the fake has no config file, like a server started without one.
pub fn config_rewrite(_ctx: &mut Ctx<'_>, _a: ConfigRewrite) -> CmdResult {
    Err(Reply::err(error::NO_CONFIG_FILE))
}

/// CONFIG HELP.
pub fn config_help(_ctx: &mut Ctx<'_>, _a: ConfigHelp) -> CmdResult {
    Ok(help_reply(
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    ))
}

// ------------------------------------------------------------------ COMMAND

const FLAG_ORDER: &[&str] = &[
    "write",
    "readonly",
    "denyoom",
    "module",
    "admin",
    "pubsub",
    "noscript",
    "random",
    "blocking",
    "loading",
    "stale",
    "skip_monitor",
    "skip_slowlog",
    "asking",
    "fast",
    "no_auth",
    "no_mandatory_keys",
    "no_async_loading",
    "no_multi",
    "movablekeys",
    "allow_busy",
];

const CATEGORY_ORDER: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// Categories the modules Redis 8 ships add, after Redis's own (in the order Redis 8 loads
/// the modules: search, JSON, time series, the probabilistic types).
const MODULE_CATEGORIES: &[&str] = &["search", "json", "timeseries", "bloom", "cuckoo", "cms", "topk", "tdigest"];

const KEY_FLAG_ORDER: &[&str] =
    &["RO", "RW", "OW", "RM", "ACCESS", "UPDATE", "INSERT", "DELETE", "NOT_KEY", "INCOMPLETE", "VARIABLE_FLAGS"];

fn is_movable(c: &CommandSpec, p: &Profile) -> bool {
    c.key_specs_for(p).iter().any(|k| !matches!((&k.begin, &k.find), (BeginSearch::Index(_), FindKeys::Range { .. })))
}

fn status_set(items: Vec<String>) -> Reply {
    Reply::Set(items.into_iter().map(|s| Reply::Simple(s.into())).collect())
}

fn command_flags(c: &CommandSpec, p: &Profile) -> Reply {
    let mut names: Vec<String> = c.flags_for(p).iter().map(|f| f.to_ascii_lowercase()).collect();
    if is_movable(c, p) {
        names.push("movablekeys".into());
    }
    if !p.redis_at_least(7, 0) && c.tips_for(p).iter().any(|t| t.eq_ignore_ascii_case("nondeterministic_output")) {
        // Before 7.0 the tip was the `random` command flag.
        names.push("random".into());
    }
    let ordered = FLAG_ORDER.iter().filter(|f| names.iter().any(|n| n == *f)).map(|f| f.to_string()).collect();
    status_set(ordered)
}

/// ACL categories with Redis's implicit ones (write, read, admin+dangerous, fast or slow...);
/// a module command has only the categories its module gives it.
pub fn categories(c: &CommandSpec, p: &Profile) -> Vec<&'static str> {
    let mut cats: Vec<String> = c.acl_categories_for(p).iter().map(|a| a.to_ascii_lowercase()).collect();
    if c.module.is_some() {
        return CATEGORY_ORDER
            .iter()
            .chain(MODULE_CATEGORIES)
            .copied()
            .filter(|k| cats.iter().any(|x| x == k))
            .collect();
    }
    let flags = c.flags_for(p);
    let has = |f: &str| flags.iter().any(|x| x.eq_ignore_ascii_case(f));
    if has("WRITE") {
        cats.push("write".into());
    }
    if has("READONLY") && !cats.iter().any(|x| x == "scripting") {
        cats.push("read".into());
    }
    if has("ADMIN") {
        cats.push("admin".into());
        cats.push("dangerous".into());
    }
    if has("PUBSUB") {
        cats.push("pubsub".into());
    }
    if has("FAST") {
        cats.push("fast".into());
    }
    if has("BLOCKING") {
        cats.push("blocking".into());
    }
    if !cats.iter().any(|x| x == "fast") {
        cats.push("slow".into());
    }
    CATEGORY_ORDER.iter().copied().filter(|k| cats.iter().any(|x| x == k)).collect()
}

fn key_flags(flags: &[&str]) -> Vec<String> {
    KEY_FLAG_ORDER
        .iter()
        .filter(|k| flags.iter().any(|f| f.eq_ignore_ascii_case(k)))
        .map(|k| if k.len() == 2 { k.to_string() } else { k.to_ascii_lowercase() })
        .collect()
}

fn s(x: &str) -> Reply {
    Reply::bulk(x.as_bytes())
}

fn key_spec_reply(k: &spec::KeySpec) -> Reply {
    let begin = match &k.begin {
        BeginSearch::Index(i) => Reply::Map(vec![
            (s("type"), s("index")),
            (s("spec"), Reply::Map(vec![(s("index"), Reply::Int(i64::from(*i)))])),
        ]),
        BeginSearch::Keyword { keyword, startfrom } => Reply::Map(vec![
            (s("type"), s("keyword")),
            (
                s("spec"),
                Reply::Map(vec![(s("keyword"), s(keyword)), (s("startfrom"), Reply::Int(i64::from(*startfrom)))]),
            ),
        ]),
        BeginSearch::Unknown => Reply::Map(vec![(s("type"), s("unknown")), (s("spec"), Reply::Map(vec![]))]),
    };
    let find = match &k.find {
        FindKeys::Range { lastkey, step, limit } => Reply::Map(vec![
            (s("type"), s("range")),
            (
                s("spec"),
                Reply::Map(vec![
                    (s("lastkey"), Reply::Int(i64::from(*lastkey))),
                    (s("keystep"), Reply::Int(i64::from(*step))),
                    (s("limit"), Reply::Int(i64::from(*limit))),
                ]),
            ),
        ]),
        FindKeys::Keynum { keynumidx, firstkey, step } => Reply::Map(vec![
            (s("type"), s("keynum")),
            (
                s("spec"),
                Reply::Map(vec![
                    (s("keynumidx"), Reply::Int(i64::from(*keynumidx))),
                    (s("firstkey"), Reply::Int(i64::from(*firstkey))),
                    (s("keystep"), Reply::Int(i64::from(*step))),
                ]),
            ),
        ]),
        FindKeys::Unknown => Reply::Map(vec![(s("type"), s("unknown")), (s("spec"), Reply::Map(vec![]))]),
    };
    Reply::Map(vec![(s("flags"), status_set(key_flags(k.flags))), (s("begin_search"), begin), (s("find_keys"), find)])
}

/// (first, last, step) of the legacy key range, from the index+range key specs.
fn legacy_range(c: &CommandSpec, p: &Profile) -> (i64, i64, i64) {
    let (mut first, mut last, mut step) = (0i64, 0i64, 0i64);
    for k in c.key_specs_for(p) {
        if let (BeginSearch::Index(pos), FindKeys::Range { lastkey, step: st, limit: 0 }) = (&k.begin, &k.find) {
            let pos = i64::from(*pos);
            let this_last = if *lastkey < 0 { i64::from(*lastkey) } else { pos + i64::from(*lastkey) };
            if first == 0 {
                (first, last, step) = (pos, this_last, i64::from(*st));
            } else {
                first = first.min(pos);
                if last >= 0 && (this_last < 0 || this_last > last) {
                    last = this_last;
                }
            }
        }
    }
    (first, last, step)
}

fn info_of(c: &CommandSpec, p: &Profile) -> Reply {
    let (first, last, step) = legacy_range(c, p);
    let mut v = vec![
        s(c.fullname),
        Reply::Int(i64::from(c.arity_for(p))),
        command_flags(c, p),
        Reply::Int(first),
        Reply::Int(last),
        Reply::Int(step),
        status_set(categories(c, p).into_iter().map(|x| format!("@{x}")).collect()),
    ];
    if p.redis_at_least(7, 0) {
        v.push(Reply::Set(c.tips_for(p).iter().map(|t| s(&t.to_ascii_lowercase())).collect()));
        v.push(Reply::Set(c.key_specs_for(p).iter().map(key_spec_reply).collect()));
        // Redis answers its subcommands as an array, and an empty set for a plain command.
        let subs: Vec<Reply> = c.subcommands.iter().filter(|x| x.available(p)).map(|x| info_of(x, p)).collect();
        v.push(if c.is_container() { Reply::Array(subs) } else { Reply::Set(subs) });
    }
    Reply::Array(v)
}

/// A command or `container|sub` by name, if the pinned server has it.
fn find_command(p: &Profile, name: &[u8]) -> Option<&'static CommandSpec> {
    let lower = name.to_ascii_lowercase();
    let mut parts = lower.splitn(2, |&c| c == b'|');
    let top = spec::lookup_on(parts.next()?, p)?;
    match parts.next() {
        Some(sub) => top.subcommand(sub, p),
        None => Some(top),
    }
}

fn available_commands(p: &Profile) -> impl Iterator<Item = &'static CommandSpec> + '_ {
    spec::all_commands().iter().copied().filter(move |c| c.available(p))
}

/// COMMAND: every command's info.
pub fn command(ctx: &mut Ctx<'_>, _a: Command) -> CmdResult {
    let p = ctx.profile();
    Ok(Reply::Array(available_commands(&p).map(|c| info_of(c, &p)).collect()))
}

/// COMMAND COUNT.
pub fn command_count(ctx: &mut Ctx<'_>, _a: CommandCount) -> CmdResult {
    let p = ctx.profile();
    Ok(Reply::Int(available_commands(&p).count() as i64))
}

/// COMMAND INFO [name ...]: nil for unknown names; all commands when none are given.
pub fn command_info(ctx: &mut Ctx<'_>, a: CommandInfo<'_>) -> CmdResult {
    let p = ctx.profile();
    if a.command_name.is_empty() {
        if !p.redis_at_least(7, 0) {
            return Ok(Reply::Array(vec![]));
        }
        return command(ctx, Command {});
    }
    Ok(Reply::Array(
        a.command_name.iter().map(|n| find_command(&p, n).map_or(Reply::Nil, |c| info_of(c, &p))).collect(),
    ))
}

fn arg_docs(args: &[ArgSpec], p: &Profile) -> Reply {
    Reply::Array(
        args.iter()
            .filter(|a| a.avail.allows(p))
            .map(|a| {
                let mut m = vec![(s("name"), s(a.name)), (s("type"), s(a.kind.type_name()))];
                if p.redis_at_least(7, 2) {
                    if let Some(d) = a.display {
                        m.push((s("display_text"), s(d)));
                    }
                }
                if a.key_spec_index >= 0 {
                    m.push((s("key_spec_index"), Reply::Int(i64::from(a.key_spec_index))));
                }
                if let Some(t) = a.token {
                    m.push((s("token"), s(t)));
                }
                if let Some(v) = a.since {
                    m.push((s("since"), s(v)));
                }
                if let Some(v) = a.deprecated_since {
                    m.push((s("deprecated_since"), s(v)));
                }
                let mut flags = Vec::new();
                if a.optional {
                    flags.push("optional".to_string());
                }
                if a.multiple {
                    flags.push("multiple".to_string());
                }
                if a.multiple_token {
                    flags.push("multiple_token".to_string());
                }
                if !flags.is_empty() {
                    m.push((s("flags"), status_set(flags)));
                }
                if let ArgKind::OneOf(sub) | ArgKind::Block(sub) = a.kind {
                    m.push((s("arguments"), arg_docs(sub, p)));
                }
                Reply::Map(m)
            })
            .collect(),
    )
}

fn docs_of(c: &CommandSpec, p: &Profile) -> Reply {
    let mut m = vec![(s("summary"), s(c.summary)), (s("since"), s(c.since)), (s("group"), s(c.group))];
    if !c.complexity.is_empty() {
        m.push((s("complexity"), s(c.complexity)));
    }
    if let Some(module) = c.module {
        m.push((s("module"), s(module)));
    }
    if !c.doc_flags.is_empty() {
        m.push((s("doc_flags"), status_set(c.doc_flags.iter().map(|f| f.to_ascii_lowercase()).collect())));
    }
    if let Some(d) = c.deprecated_since {
        m.push((s("deprecated_since"), s(d)));
    }
    if let Some(r) = c.replaced_by {
        m.push((s("replaced_by"), s(r)));
    }
    if !c.args.is_empty() {
        m.push((s("arguments"), arg_docs(c.args, p)));
    }
    let subs: Vec<(Reply, Reply)> =
        c.subcommands.iter().filter(|x| x.available(p)).map(|x| (s(x.fullname), docs_of(x, p))).collect();
    if !subs.is_empty() {
        m.push((s("subcommands"), Reply::Map(subs)));
    }
    Reply::Map(m)
}

/// COMMAND DOCS [name ...]: unknown names are left out.
pub fn command_docs(ctx: &mut Ctx<'_>, a: CommandDocs<'_>) -> CmdResult {
    let p = ctx.profile();
    let list: Vec<&CommandSpec> = if a.command_name.is_empty() {
        available_commands(&p).collect()
    } else {
        a.command_name.iter().filter_map(|n| find_command(&p, n)).collect()
    };
    Ok(Reply::Map(list.into_iter().map(|c| (s(c.fullname), docs_of(c, &p))).collect()))
}

/// COMMAND LIST [FILTERBY MODULE m | ACLCAT c | PATTERN p]: names, subcommands included.
pub fn command_list(ctx: &mut Ctx<'_>, a: CommandList<'_>) -> CmdResult {
    let p = ctx.profile();
    let all = available_commands(&p)
        .flat_map(|c| std::iter::once(c).chain(c.subcommands.iter().copied().filter(|x| x.available(&p))));
    let names: Vec<Reply> = all
        .filter(|c| match &a.filterby {
            None => true,
            Some(CommandListFilterby::ModuleName(m)) => c.module.is_some_and(|x| x.as_bytes() == &m[..]),
            Some(CommandListFilterby::Category(cat)) => {
                let cat = String::from_utf8_lossy(cat).to_ascii_lowercase();
                categories(c, &p).contains(&cat.as_str())
            }
            Some(CommandListFilterby::Pattern(pat)) => crate::glob::matches(pat, c.fullname.as_bytes(), true),
        })
        .map(|c| s(c.fullname))
        .collect();
    Ok(Reply::Array(names))
}

/// The keys `argv` (a full command) names, with their key-spec flags.
/// A key with its key-spec flags.
type KeyAndFlags = (Vec<u8>, Vec<String>);

fn keys_of(p: &Profile, argv: &[&[u8]]) -> Result<Vec<KeyAndFlags>, Reply> {
    let owned: Vec<Vec<u8>> = argv.iter().map(|a| a.to_vec()).collect();
    let cmd = crate::dispatch::resolve(p, &owned).map_err(|_| Reply::err(error::GETKEYS_INVALID_COMMAND))?;
    // Redis asks whether the command has keys at all before it checks the arity.
    if cmd.key_specs_for(p).is_empty() {
        return Err(Reply::err(error::GETKEYS_NO_KEYS));
    }
    if !cmd.arity_ok(p, owned.len()) {
        return Err(Reply::err(error::GETKEYS_BAD_ARITY));
    }
    let mut out = Vec::new();
    let n = owned.len() as i64;
    for k in cmd.key_specs_for(p) {
        let start = match &k.begin {
            BeginSearch::Index(i) => i64::from(*i),
            BeginSearch::Keyword { keyword, startfrom } => {
                let from = i64::from(*startfrom);
                let range: Vec<i64> = if from >= 0 { (from..n).collect() } else { (1..=(n + from)).rev().collect() };
                match range
                    .into_iter()
                    .find(|&i| owned.get(i as usize).is_some_and(|w| w.eq_ignore_ascii_case(keyword.as_bytes())))
                {
                    Some(i) => i + 1,
                    None => continue,
                }
            }
            BeginSearch::Unknown => continue,
        };
        let (last, step) = match &k.find {
            FindKeys::Range { lastkey, step, limit } => {
                let last = if *lastkey >= 0 {
                    start + i64::from(*lastkey)
                } else if *limit > 1 {
                    start + (n - 1 - start) / i64::from(*limit)
                } else {
                    n + i64::from(*lastkey)
                };
                (last, i64::from(*step).max(1))
            }
            FindKeys::Keynum { keynumidx, firstkey, step } => {
                let num = owned
                    .get((start + i64::from(*keynumidx)) as usize)
                    .and_then(|w| crate::spec::grammar::parse_i64(w))
                    .unwrap_or(0);
                let first = start.saturating_add(i64::from(*firstkey));
                (first.saturating_add(num.saturating_sub(1).saturating_mul(i64::from(*step))), i64::from(*step).max(1))
            }
            FindKeys::Unknown => continue,
        };
        let mut i = start;
        while i <= last && i < n {
            let flags = if cmd.fullname == "set" && k.flags.contains(&"VARIABLE_FLAGS") {
                let get = owned[3..].iter().any(|w| w.eq_ignore_ascii_case(b"GET"));
                if get {
                    vec!["RW".into(), "access".into(), "update".into()]
                } else {
                    vec!["OW".into(), "update".into()]
                }
            } else {
                key_flags(k.flags)
            };
            out.push((owned[i as usize].clone(), flags));
            i += step;
        }
    }
    if out.is_empty() && !cmd.has_flag("NO_MANDATORY_KEYS") {
        return Err(Reply::err(error::GETKEYS_INVALID_ARGS));
    }
    Ok(out)
}

fn full_command<'a>(command: &'a [u8], args: &[&'a [u8]]) -> Vec<&'a [u8]> {
    std::iter::once(command).chain(args.iter().copied()).collect()
}

/// COMMAND GETKEYS command [arg ...].
pub fn command_getkeys(ctx: &mut Ctx<'_>, a: CommandGetkeys<'_>) -> CmdResult {
    let keys = keys_of(&ctx.profile(), &full_command(a.command, &a.arg))?;
    Ok(Reply::Array(keys.into_iter().map(|(k, _)| Reply::bulk(k)).collect()))
}

/// COMMAND GETKEYSANDFLAGS command [arg ...].
pub fn command_getkeysandflags(ctx: &mut Ctx<'_>, a: CommandGetkeysandflags<'_>) -> CmdResult {
    let keys = keys_of(&ctx.profile(), &full_command(a.command, &a.arg))?;
    Ok(Reply::Array(keys.into_iter().map(|(k, f)| Reply::Array(vec![Reply::bulk(k), status_set(f)])).collect()))
}

/// COMMAND HELP.
pub fn command_help(_ctx: &mut Ctx<'_>, _a: CommandHelp) -> CmdResult {
    Ok(help_reply(
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    ))
}

// ------------------------------------------------------------------ INFO

fn info_server(ctx: &Ctx<'_>) -> String {
    let p = ctx.profile();
    let uptime = (ctx.now - ctx.shared.started_ms).max(0) / 1000;
    let redis_version = match p.kind {
        ServerKind::Dragonfly => dragonfly_redis_version(&p),
        _ => p.redis_compat_version(),
    };
    let mut s = String::from("# Server\r\n");
    s.push_str(&format!("redis_version:{redis_version}\r\n"));
    match p.kind {
        ServerKind::Valkey => {
            s.push_str(&format!("server_name:valkey\r\nvalkey_version:{}\r\n", p.version));
        }
        ServerKind::Dragonfly => {
            s.push_str(&format!("dragonfly_version:df-v{}\r\n", p.version));
        }
        _ => {}
    }
    s.push_str("redis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\n");
    s.push_str("redis_mode:standalone\r\nos:Linux fakeredis x86_64\r\narch_bits:64\r\n");
    if p.redis_at_least(7, 0) {
        s.push_str("monotonic_clock:POSIX clock_gettime\r\n");
    }
    s.push_str("multiplexing_api:epoll\r\natomicvar_api:c11-builtin\r\ngcc_version:0.0.0\r\n");
    s.push_str(&format!(
        "process_id:{}\r\nprocess_supervised:no\r\nrun_id:{}\r\n",
        std::process::id(),
        ctx.shared.run_id
    ));
    s.push_str(&format!("tcp_port:{}\r\n", ctx.shared.port.load(std::sync::atomic::Ordering::Relaxed)));
    s.push_str(&format!(
        "server_time_usec:{}\r\nuptime_in_seconds:{uptime}\r\nuptime_in_days:{}\r\n",
        ctx.now_us,
        uptime / 86400
    ));
    s.push_str(&format!("hz:{}\r\nconfigured_hz:{}\r\n", ctx.st.config.get("hz"), ctx.st.config.get("hz")));
    s.push_str(&format!("lru_clock:{}\r\n", (ctx.now / 1000) & ((1 << 24) - 1)));
    s.push_str("executable:/usr/bin/redis-server\r\nconfig_file:\r\nio_threads_active:0\r\n");
    s
}

fn info_clients(ctx: &Ctx<'_>) -> String {
    format!(
        "# Clients\r\nconnected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\nblocked_clients:0\r\ntracking_clients:0\r\nclients_in_timeout_table:0\r\n",
        ctx.st.clients.len(),
        ctx.st.config.get("maxclients")
    )
}

fn info_memory(ctx: &Ctx<'_>) -> String {
    let keys: usize = ctx.st.dbs.iter().map(|d| d.len()).sum();
    let used = 1_000_000 + keys * 64;
    let maxmemory = ctx.st.config.get_i64("maxmemory");
    format!(
        "# Memory\r\nused_memory:{used}\r\nused_memory_human:{:.2}M\r\nused_memory_rss:{used}\r\nused_memory_peak:{used}\r\nused_memory_dataset:{}\r\nmaxmemory:{maxmemory}\r\nmaxmemory_human:{}B\r\nmaxmemory_policy:{}\r\nmem_fragmentation_ratio:1.00\r\nmem_allocator:libc\r\nlazyfree_pending_objects:0\r\n",
        used as f64 / 1048576.0,
        keys * 64,
        maxmemory,
        ctx.st.config.get("maxmemory-policy")
    )
}

fn info_stats(ctx: &Ctx<'_>) -> String {
    let st = &ctx.st.stats;
    format!(
        "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:0\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\nrejected_connections:{}\r\nexpired_keys:{}\r\nevicted_keys:0\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\npubsub_channels:0\r\npubsub_patterns:0\r\ntotal_error_replies:{}\r\n",
        st.connections_received,
        st.commands_processed,
        st.net_input_bytes,
        st.net_output_bytes,
        st.rejected_connections,
        st.expired_keys,
        st.keyspace_hits,
        st.keyspace_misses,
        st.total_error_replies
    )
}

fn info_keyspace(ctx: &Ctx<'_>) -> String {
    let mut s = String::from("# Keyspace\r\n");
    for (i, db) in ctx.st.dbs.iter().enumerate() {
        if !db.is_empty() {
            s.push_str(&format!(
                "db{i}:keys={},expires={},avg_ttl={}\r\n",
                db.len(),
                db.volatile_len(),
                db.avg_ttl(ctx.now)
            ));
        }
    }
    s
}

fn info_keydb(ctx: &Ctx<'_>) -> String {
    let _ = ctx;
    "# KeyDB\r\nmvcc_depth:0\r\n".to_string()
}

/// INFO [section ...]: `server`, `clients`, `memory`, `stats`, `keyspace` (and KeyDB's own).
pub fn info(ctx: &mut Ctx<'_>, a: Info<'_>) -> CmdResult {
    let p = ctx.profile();
    if a.section.len() > 1 && !p.redis_at_least(7, 0) {
        return Err(Reply::err(error::SYNTAX));
    }
    let want: Vec<String> = a.section.iter().map(|x| String::from_utf8_lossy(x).to_ascii_lowercase()).collect();
    let all = want.is_empty() || want.iter().any(|w| w == "all" || w == "everything" || w == "default");
    type Section = fn(&Ctx<'_>) -> String;
    let sections: [(&str, Section); 5] = [
        ("server", info_server),
        ("clients", info_clients),
        ("memory", info_memory),
        ("stats", info_stats),
        ("keyspace", info_keyspace),
    ];
    let mut parts = Vec::new();
    for (name, f) in sections {
        if all || want.iter().any(|w| w == name) {
            parts.push(f(ctx));
        }
    }
    if p.is(ServerKind::KeyDB) && (all || want.iter().any(|w| w == "keydb")) {
        parts.push(info_keydb(ctx));
    }
    Ok(Reply::Verbatim("txt", parts.join("\r\n").into_bytes()))
}
