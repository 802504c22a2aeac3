//! COMMAND and its subcommands: the command table as each pinned server reports it.

use super::help_reply;
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;
use crate::spec::generated::*;
use crate::spec::{self, ArgKind, ArgSpec, BeginSearch, CommandSpec, FindKeys, Profile, ServerKind};

mod dragonfly;

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
    // KeyDB's own, after Redis's.
    "replication",
];

/// ACL CAT's categories: Redis's own, then those of the server's other commands (KeyDB's,
/// the Redis 8 modules').
pub fn acl_category_names(p: &Profile) -> Vec<&'static str> {
    let base = &CATEGORY_ORDER[..21];
    let extra: Vec<&'static str> = CATEGORY_ORDER[21..]
        .iter()
        .chain(MODULE_CATEGORIES)
        .copied()
        .filter(|cat| {
            available_commands(p)
                .any(|c| categories(c, p).contains(cat) || c.subcommands.iter().any(|s| categories(s, p).contains(cat)))
        })
        .collect();
    base.iter().copied().chain(extra).collect()
}

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

/// The flags Redis before 7.0 reports, in its order: `random` and `sort_for_script` were
/// flags then (the nondeterministic-output tips since), `may_replicate` was shown, and
/// blocking was only a category.
const FLAG_ORDER_6: &[&str] = &[
    "write",
    "readonly",
    "denyoom",
    "admin",
    "pubsub",
    "noscript",
    "random",
    "sort_for_script",
    "loading",
    "stale",
    "skip_monitor",
    "skip_slowlog",
    "asking",
    "fast",
    "no_auth",
    "may_replicate",
    "movablekeys",
];

fn command_flags(c: &CommandSpec, p: &Profile) -> Reply {
    let mut names: Vec<String> = c.flags_for(p).iter().map(|f| f.to_ascii_lowercase()).collect();
    if is_movable(c, p) {
        names.push("movablekeys".into());
    }
    let order = if p.redis_at_least(7, 0) {
        FLAG_ORDER
    } else {
        let tip = |t: &str| c.tips_for(p).iter().any(|x| x.eq_ignore_ascii_case(t));
        if tip("nondeterministic_output") {
            names.push("random".into());
        }
        if tip("nondeterministic_output_order") {
            names.push("sort_for_script".into());
        }
        FLAG_ORDER_6
    };
    let ordered = order.iter().filter(|f| names.iter().any(|n| n == *f)).map(|f| f.to_string()).collect();
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
pub(super) fn legacy_range(c: &CommandSpec, p: &Profile) -> (i64, i64, i64) {
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
    if p.is(ServerKind::Dragonfly) {
        return dragonfly::entry(c, p);
    }
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
    if p.is(ServerKind::Dragonfly) {
        return Ok(Reply::Array(dragonfly::listed(&p).map(|c| info_of(c, &p)).collect()));
    }
    Ok(Reply::Array(available_commands(&p).map(|c| info_of(c, &p)).collect()))
}

/// COMMAND COUNT.
pub fn command_count(ctx: &mut Ctx<'_>, _a: CommandCount) -> CmdResult {
    let p = ctx.profile();
    if p.is(ServerKind::Dragonfly) {
        return Ok(Reply::Int(dragonfly::listed(&p).count() as i64));
    }
    Ok(Reply::Int(available_commands(&p).count() as i64))
}

/// COMMAND INFO [name ...]: nil for unknown names; all commands when none are given.
pub fn command_info(ctx: &mut Ctx<'_>, a: CommandInfo<'_>) -> CmdResult {
    let p = ctx.profile();
    if p.is(ServerKind::Dragonfly) {
        return dragonfly::info(&p, &a.command_name);
    }
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
    let doc_flags = c.doc_flags_for(p);
    if !doc_flags.is_empty() {
        m.push((s("doc_flags"), status_set(doc_flags.iter().map(|f| f.to_ascii_lowercase()).collect())));
    }
    if let Some(d) = c.deprecated_since_for(p) {
        m.push((s("deprecated_since"), s(d)));
    }
    if let Some(r) = c.replaced_by_for(p) {
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
    if p.is(ServerKind::Dragonfly) {
        return Err(Reply::err(if a.command_name.is_empty() { error::DRAGONFLY_COMMAND_DOCS } else { error::SYNTAX }));
    }
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
    if p.is(ServerKind::Dragonfly) {
        return Err(Reply::err(error::SYNTAX));
    }
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
    let out: Vec<KeyAndFlags> = positions(p, cmd, &owned).into_iter().map(|(i, f)| (owned[i].clone(), f)).collect();
    if out.is_empty() && !cmd.has_flag("NO_MANDATORY_KEYS") {
        return Err(Reply::err(error::GETKEYS_INVALID_ARGS));
    }
    Ok(out)
}

/// The positions in `argv` (a full command) of the keys it names, with their flags (none
/// for an unknown command): what ACL checks.
pub(crate) fn key_positions(p: &Profile, argv: &[Vec<u8>]) -> Vec<(usize, Vec<String>)> {
    match crate::dispatch::resolve(p, argv) {
        Ok(cmd) => positions(p, cmd, argv),
        Err(_) => Vec::new(),
    }
}

fn positions(p: &Profile, cmd: &CommandSpec, owned: &[Vec<u8>]) -> Vec<(usize, Vec<String>)> {
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
        let (first, last, step) = match &k.find {
            FindKeys::Range { lastkey, step, limit } => {
                let last = if *lastkey >= 0 {
                    start + i64::from(*lastkey)
                } else if *limit > 1 {
                    start + (n - 1 - start) / i64::from(*limit)
                } else {
                    n + i64::from(*lastkey)
                };
                (start, last, i64::from(*step).max(1))
            }
            FindKeys::Keynum { keynumidx, firstkey, step } => {
                let num = owned
                    .get((start + i64::from(*keynumidx)) as usize)
                    .and_then(|w| crate::spec::grammar::parse_i64(w))
                    .unwrap_or(0);
                let first = start.saturating_add(i64::from(*firstkey));
                let last = first.saturating_add(num.saturating_sub(1).saturating_mul(i64::from(*step)));
                (first, last, i64::from(*step).max(1))
            }
            FindKeys::Unknown => continue,
        };
        let mut i = first;
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
            out.push((i as usize, flags));
            i += step;
        }
    }
    out
}

/// The keys `argv` names, by its command's key specs (none when it has none).
pub(crate) fn command_keys(p: &Profile, argv: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let words: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
    keys_of(p, &words).map(|ks| ks.into_iter().map(|(k, _)| k).collect()).unwrap_or_default()
}

fn full_command<'a>(command: &'a [u8], args: &[&'a [u8]]) -> Vec<&'a [u8]> {
    std::iter::once(command).chain(args.iter().copied()).collect()
}

/// COMMAND GETKEYS command [arg ...].
pub fn command_getkeys(ctx: &mut Ctx<'_>, a: CommandGetkeys<'_>) -> CmdResult {
    if ctx.profile().is(ServerKind::Dragonfly) {
        return Err(Reply::err(error::SYNTAX));
    }
    let keys = keys_of(&ctx.profile(), &full_command(a.command, &a.arg))?;
    Ok(Reply::Array(keys.into_iter().map(|(k, _)| Reply::bulk(k)).collect()))
}

/// COMMAND GETKEYSANDFLAGS command [arg ...].
pub fn command_getkeysandflags(ctx: &mut Ctx<'_>, a: CommandGetkeysandflags<'_>) -> CmdResult {
    if ctx.profile().is(ServerKind::Dragonfly) {
        return Err(Reply::err(error::SYNTAX));
    }
    let keys = keys_of(&ctx.profile(), &full_command(a.command, &a.arg))?;
    Ok(Reply::Array(keys.into_iter().map(|(k, f)| Reply::Array(vec![Reply::bulk(k), status_set(f)])).collect()))
}

/// COMMAND HELP.
pub fn command_help(ctx: &mut Ctx<'_>, _a: CommandHelp) -> CmdResult {
    if ctx.profile().is(ServerKind::Dragonfly) {
        return Ok(dragonfly::help());
    }
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
