//! DEBUG (overlay `walk`; 7.0 refuses it unless `enable-debug-command` allows, which the
//! dispatcher checks): the subcommands tests use, as Redis 7.0's `debug.c` answers them.
//! RELOAD saves every key to its RDB form and loads it back, so encodings settle as after
//! a restart; SLEEP moves a frozen server clock (and blocks the server for real
//! otherwise); DIGEST and DIGEST-VALUE are Redis's digests ([`super::digest`]); the views
//! of internal structures are in [`super::internals`]. SEGFAULT, PANIC, ASSERT and OOM
//! stop the server as a crash would; RESTART, CRASH-AND-RECOVER (a restart loads the last
//! save, which the fake does not keep), LOADAOF and the allocator's MALLCTL answer that
//! they are not implemented.

use crate::db::{Entry, Value};
use crate::error;
use crate::rdb::object::{self, Format};
use crate::reply::{CmdResult, Reply};
use crate::server::log::LogLevel;
use crate::server::Ctx;
use crate::spec::grammar::{parse_i64, parse_strtod};

/// Keys DEBUG POPULATE makes at most, and bytes it allocates at most (Redis has no cap; a
/// count past memory would stop it).
const POPULATE_MAX_KEYS: i64 = 10_000_000;
const POPULATE_MAX_BYTES: i64 = 4 << 30;

fn atoi(w: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(w);
    let t = s.trim_start();
    let end = t.char_indices().take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+'))).count();
    t[..end].parse().unwrap_or(0)
}

pub fn debug(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let Some((sub, args)) = words.split_first() else { return Err(syntax(ctx, b"")) };
    let name = sub.to_ascii_lowercase();
    let (v7, v72) = (ctx.profile().redis_at_least(7, 0), ctx.profile().redis_at_least(7, 2));
    match (name.as_slice(), args) {
        (b"help", []) => Ok(crate::cmd::server::help_reply("DEBUG", HELP)),
        (b"log", [msg]) => {
            let line = [b"DEBUG LOG: ", msg.as_slice()].concat();
            ctx.shared.log(ctx.st.config.get("loglevel"), LogLevel::Warning, &line);
            Ok(Reply::OK)
        }
        (b"leak" | b"replicate" | b"change-repl-id" | b"aof-flush-sleep" | b"quicklist-packed-threshold", _)
            if !args.is_empty() || name == b"change-repl-id" =>
        {
            simple_ok(ctx, &name, args)
        }
        (b"reload", _) => reload(ctx, args),
        (b"object", [key]) => object_info(ctx, key),
        (b"populate", [count, rest @ ..]) if rest.len() <= 2 => populate(ctx, count, rest),
        (b"protocol", [ty]) => protocol(ctx, ty),
        (b"sleep", [secs]) => {
            let d = parse_strtod(secs).unwrap_or(0.0).max(0.0);
            let d = std::time::Duration::from_micros((d * 1_000_000.0) as u64);
            if ctx.shared.clock.is_frozen() {
                ctx.shared.clock.advance(d);
            } else {
                // Redis sleeps as long as it is told, holding everyone; the fake at most a minute.
                std::thread::sleep(d.min(std::time::Duration::from_secs(60)));
            }
            Ok(Reply::OK)
        }
        (b"set-active-expire", [on]) => {
            ctx.st.active_expire_enabled = atoi(on) != 0;
            Ok(Reply::OK)
        }
        (b"set-skip-checksum-validation", [on]) => {
            ctx.st.skip_checksum = atoi(on) != 0;
            Ok(Reply::OK)
        }
        (b"pause-cron", [on]) => {
            ctx.st.cron_paused = atoi(on) != 0;
            Ok(Reply::OK)
        }
        (b"error", [text]) => {
            let t: Vec<u8> = text.iter().map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }).collect();
            Ok(Reply::Error(t.into()))
        }
        (b"stringmatch-test", []) => Ok(Reply::simple("Apparently Redis did not crash: test passed")),
        (b"digest", []) => Ok(Reply::Simple(super::digest::to_hex(&super::digest::dataset_digest(&ctx.st.dbs)).into())),
        (b"digest-value", keys) => {
            let out = keys
                .iter()
                .map(|k| {
                    let mut d = [0u8; 20];
                    if let Some(e) = ctx.db().find(k) {
                        super::digest::value_digest(&mut d, e);
                    }
                    Reply::Simple(super::digest::to_hex(&d).into())
                })
                .collect();
            Ok(Reply::Array(out))
        }
        (b"segfault" | b"panic" | b"assert" | b"oom", _) => crash(ctx, &name),
        (b"sdslen", [key]) => super::internals::sdslen(ctx, key),
        (b"listpack", [key]) if v7 => super::internals::print_structure(ctx, key, "listpack"),
        (b"ziplist", [key]) if !v7 => super::internals::print_structure(ctx, key, "ziplist"),
        (b"quicklist", [key] | [key, _]) if v7 => super::internals::print_structure(ctx, key, "quicklist"),
        (b"htstats", [db, rest @ ..]) if rest.is_empty() || v72 => super::internals::htstats(ctx, db, rest),
        (b"htstats-key", [key, rest @ ..]) if rest.is_empty() || v72 => super::internals::htstats_key(ctx, key, rest),
        (b"structsize", []) => Ok(super::internals::structsize()),
        (b"client-eviction", []) if v7 => super::internals::client_eviction(ctx),
        (b"set-disable-deny-scripts", [on]) if v7 => {
            ctx.st.script_deny_disabled = atoi(on) != 0;
            Ok(Reply::OK)
        }
        (b"lua-always-replicate-commands", [_]) if !v7 => Ok(Reply::OK),
        (b"drop-cluster-packet-filter", [n]) if v7 => {
            parse_i64(n).ok_or(Reply::err(error::NOT_INTEGER))?;
            Ok(Reply::OK)
        }
        (b"replybuffer", [what, value]) if v7 => replybuffer(ctx, sub, what, value),
        (b"clusterlink", [kill, dir, node]) if v7 && kill.eq_ignore_ascii_case(b"kill") => cluster_link(ctx, dir, node),
        (b"config-rewrite-force-all", []) => {
            super::rewrite_config_file(ctx, true).map_err(|why| Reply::err(error::debug_rewrite_failed(&why)))
        }
        (b"restart" | b"crash-and-recover", [] | [_]) | (b"mallctl" | b"mallctl-str", [_, ..]) | (b"loadaof", _) => {
            let what = String::from_utf8_lossy(&name).into_owned();
            Err(Reply::err(error::not_implemented(&format!("debug {what}"))))
        }
        _ => Err(syntax(ctx, sub)),
    }
}

/// DEBUG SEGFAULT, PANIC, ASSERT, OOM: Redis's crash report's first words in the log, and
/// the server stops (no reply; every client is dropped).
fn crash(ctx: &mut Ctx<'_>, name: &[u8]) -> CmdResult {
    let p = ctx.profile();
    let server = if p.is(crate::spec::ServerKind::Valkey) { "Valkey" } else { "Redis" };
    let lines: Vec<String> = match name {
        b"segfault" => vec![format!("{server} {} crashed by signal: 11, si_code: 2", p.version)],
        b"panic" => vec![
            "------------------------------------------------".into(),
            "!!! Software Failure. Press left mouse button to continue".into(),
            format!("Guru Meditation: DEBUG PANIC called at Unix time {} #debug.c", ctx.now / 1000),
        ],
        b"assert" => vec!["=== ASSERTION FAILED ===".into(), "==> debug.c '1 == 2' is not true".into()],
        _ => vec![format!("Out Of Memory allocating {} bytes!", u64::MAX)],
    };
    let level = ctx.st.config.get("loglevel").to_string();
    for l in lines {
        ctx.shared.log(&level, LogLevel::Warning, l.as_bytes());
    }
    ctx.shared.crash(ctx.st);
    Ok(Reply::OK)
}

/// DEBUG REPLYBUFFER PEAK-RESET-TIME <NEVER|RESET|ms> | RESIZING <0|1>: the fake's reply
/// buffers have nothing to tune; the words are checked as Redis checks them.
fn replybuffer(ctx: &Ctx<'_>, sub: &[u8], what: &[u8], value: &[u8]) -> CmdResult {
    if what.eq_ignore_ascii_case(b"peak-reset-time") {
        if !value.eq_ignore_ascii_case(b"never") && !value.eq_ignore_ascii_case(b"reset") {
            parse_i64(value).ok_or(Reply::err(error::NOT_INTEGER))?;
        }
    } else if !what.eq_ignore_ascii_case(b"resizing") {
        return Err(syntax(ctx, sub));
    }
    Ok(Reply::OK)
}

/// DEBUG CLUSTERLINK KILL <to|from|all> <node-id>: the one node has no links to kill.
fn cluster_link(ctx: &Ctx<'_>, dir: &[u8], node: &[u8]) -> CmdResult {
    if !ctx.st.config.limits().cluster {
        return Err(Reply::err(error::DEBUG_CLUSTER_ONLY));
    }
    if node != ctx.shared.node_id.as_bytes() {
        return Err(Reply::err_bytes(error::debug_unknown_node(node)));
    }
    if !([&b"from"[..], b"to", b"all"].iter().any(|d| dir.eq_ignore_ascii_case(d))) {
        // Redis answers the error and then an OK too (two replies); the fake only the error.
        return Err(Reply::err_bytes(error::debug_unknown_direction(dir)));
    }
    Ok(Reply::OK)
}

fn syntax(ctx: &Ctx<'_>, sub: &[u8]) -> Reply {
    Reply::err_bytes(error::subcommand_syntax_as_sent(&ctx.profile(), b"debug", sub))
}

/// The subcommands that only answer OK here: LEAK, REPLICATE (no replicas), CHANGE-REPL-ID,
/// AOF-FLUSH-SLEEP (no AOF), QUICKLIST-PACKED-THRESHOLD (checked; the fake's lists have no
/// plain nodes).
fn simple_ok(ctx: &Ctx<'_>, name: &[u8], args: &[Vec<u8>]) -> CmdResult {
    match (name, args) {
        (b"quicklist-packed-threshold", [size]) => {
            let n = crate::server::config::parse_memory(&String::from_utf8_lossy(size));
            if !n.is_some_and(|n| (0..=(1 << 32) - (1 << 20)).contains(&n)) {
                return Err(Reply::err(error::DEBUG_PACKED_THRESHOLD));
            }
            Ok(Reply::OK)
        }
        (b"leak" | b"aof-flush-sleep", [_]) | (b"replicate", [_, ..]) | (b"change-repl-id", []) => Ok(Reply::OK),
        _ => Err(syntax(ctx, name)),
    }
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: every key through its RDB form and back.
fn reload(ctx: &mut Ctx<'_>, opts: &[Vec<u8>]) -> CmdResult {
    let mut nosave = false;
    for o in opts {
        match o.to_ascii_lowercase().as_slice() {
            b"merge" | b"noflush" => {}
            b"nosave" => nosave = true,
            _ => return Err(Reply::err(error::DEBUG_RELOAD_OPTIONS)),
        }
    }
    if nosave {
        return Err(Reply::err(error::not_implemented("debug reload nosave")));
    }
    let (f, enc, p, now) = (Format::of(&ctx.profile()), ctx.enc(), ctx.profile(), ctx.now);
    let lru = !crate::cmd::generic::lfu_policy(ctx) && ctx.st.config.get("maxmemory-policy").contains("lru");
    for db in 0..ctx.st.dbs.len() {
        let keys: Vec<bytes::Bytes> = ctx.st.dbs[db].keys().map(|(k, _)| k.to_bytes()).collect();
        for k in keys {
            let Some(e) = ctx.st.dbs[db].find(&k) else { continue };
            let Ok(body) = object::save(&e.value, f, &enc, &|d| crate::cmd::sorted_set::score_text(&p, d)) else {
                continue;
            };
            let Some(mut value) = object::load(&mut crate::rdb::Reader::new(&body), f, &enc) else { continue };
            if let (Value::Stream(new), Value::Stream(old)) = (&mut value, &e.value) {
                new.idmp = old.idmp.clone();
            }
            let entry = Entry { value, expire_at: e.expire_at, accessed_ms: if lru { e.accessed_ms } else { now } };
            ctx.st.dbs[db].put_entry(&k, entry);
        }
    }
    ctx.st.last_save_s = Some(now / 1000);
    Ok(Reply::OK)
}

/// DEBUG OBJECT key: the key as stored, expired or not.
fn object_info(ctx: &mut Ctx<'_>, key: &[u8]) -> CmdResult {
    let (f, enc, p, now) = (Format::of(&ctx.profile()), ctx.enc(), ctx.profile(), ctx.now);
    let fill = ctx.st.config.get_i64("list-max-listpack-size");
    let compressed = i32::from(ctx.st.config.get_i64("list-compress-depth") != 0);
    let shared_ok = crate::cmd::generic::shared_integers(ctx);
    let Some(e) = ctx.db().find(key) else { return Err(Reply::err(error::NO_SUCH_KEY)) };
    let refcount = if shared_ok && e.value.shared_int().is_some() { i64::from(i32::MAX) } else { 1 };
    let serialized =
        object::save(&e.value, f, &enc, &|d| crate::cmd::sorted_set::score_text(&p, d)).map_or(0, |b| b.len() - 1);
    let mut extra = String::new();
    if let Value::List(l) = &e.value {
        if !l.listpack {
            let nodes: Vec<usize> = l.nodes(fill).map(|n| n.1).collect();
            let avg = l.len() as f64 / nodes.len().max(1) as f64;
            let size: usize = nodes.iter().sum();
            extra = format!(
                " ql_nodes:{} ql_avg_node:{avg:.2} ql_listpack_max:{fill} ql_compressed:{} ql_uncompressed_size:{size}",
                nodes.len(),
                compressed
            );
        }
    }
    let addr = 0x7f00_0000_0000u64 | (crate::db::scan_hash(key) & 0xff_ffff_fff0);
    let lru = (e.accessed_ms / 1000) & ((1 << 24) - 1);
    let idle = (now - e.accessed_ms).max(0) / 1000;
    let text = format!(
        "Value at:{addr:#x} refcount:{refcount} encoding:{} serializedlength:{serialized} lru:{lru} lru_seconds_idle:{idle}{extra}",
        e.value.encoding_name(&enc)
    );
    Ok(Reply::Simple(text.into()))
}

/// DEBUG POPULATE count [prefix] [size]: `prefix:N` keys (existing ones skipped) holding
/// `value:N`, or `size` bytes starting with it.
fn populate(ctx: &mut Ctx<'_>, count: &[u8], rest: &[Vec<u8>]) -> CmdResult {
    let positive = |w: &[u8]| parse_i64(w).filter(|&n| n >= 0).ok_or(Reply::err(error::MUST_BE_POSITIVE));
    let n = positive(count)?;
    let size = match rest.get(1) {
        Some(s) => positive(s)?,
        None => 0,
    };
    if n > POPULATE_MAX_KEYS || n.saturating_mul(size.max(16)) > POPULATE_MAX_BYTES {
        return Err(Reply::err(error::DEBUG_POPULATE_TOO_BIG));
    }
    let prefix = rest.first().map_or(&b"key"[..], |p| p.as_slice());
    let now = ctx.now;
    for j in 0..n {
        let mut key = [prefix, format!(":{j}").as_bytes()].concat();
        key.truncate(127);
        if crate::cmd::lookup(ctx, &key) {
            continue;
        }
        let text = format!("value:{j}").into_bytes();
        let value = if size == 0 {
            text
        } else {
            let mut v = crate::db::try_zeroed(size as usize).ok_or(Reply::err(error::OOM))?;
            let m = v.len().min(text.len());
            v[..m].copy_from_slice(&text[..m]);
            v
        };
        ctx.db().set(&key, Value::Str(crate::db::StrValue::fresh(value)), None, now);
        ctx.touched(&key);
    }
    Ok(Reply::OK)
}

/// DEBUG PROTOCOL type: a sample reply of each RESP type.
fn protocol(ctx: &mut Ctx<'_>, ty: &[u8]) -> CmdResult {
    let three = ctx.sess.resp >= 3;
    Ok(match ty.to_ascii_lowercase().as_slice() {
        b"string" => Reply::bulk("Hello World"),
        b"integer" => Reply::Int(12345),
        // Redis's sample double, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        b"double" => Reply::Double(3.141),
        b"bignum" => Reply::BigNumber("1234567999999999999999999999999999999".into()),
        b"null" => Reply::Nil,
        b"array" => Reply::Array((0..3).map(Reply::Int).collect()),
        b"set" => Reply::Set((0..3).map(Reply::Int).collect()),
        b"map" => Reply::Map((0..3).map(|j| (Reply::Int(j), Reply::Bool(j == 1))).collect()),
        b"attrib" => Reply::Attribute(
            vec![(Reply::bulk("key-popularity"), Reply::Array(vec![Reply::bulk("key:123"), Reply::Int(90)]))],
            Box::new(Reply::bulk("Some real reply following the attribute")),
        ),
        b"push" if !three => return Err(Reply::err(error::DEBUG_PUSH_RESP2)),
        b"push" => {
            ctx.sess.more.push(Reply::bulk("Some real reply following the push reply"));
            Reply::Push(vec![Reply::bulk("server-cpu-usage"), Reply::Int(42)])
        }
        b"true" => Reply::Bool(true),
        b"false" => Reply::Bool(false),
        b"verbatim" => Reply::Verbatim("txt", b"This is a verbatim\nstring".to_vec()),
        _ => return Err(Reply::err(error::DEBUG_PROTOCOL_TYPE)),
    })
}

const HELP: &[&str] = &[
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "ASSERT",
    "    Crash by assertion failed.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "CRASH-AND-RECOVER [<milliseconds>]",
    "    Hard crash and restart after a <milliseconds> delay (default 0).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LEAK <string>",
    "    Create a memory leak of the input string.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "MALLCTL <key> [<val>]",
    "    Get or set a malloc tuning integer.",
    "MALLCTL-STR <key> [<val>]",
    "    Get or set a malloc tuning string.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "DROP-CLUSTER-PACKET-FILTER <packet-type>",
    "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
    "OOM",
    "    Crash the server simulating an out-of-memory error.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "RESTART [<milliseconds>]",
    "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
    "SDSLEN <key>",
    "    Show low level SDS string info representing `key` and value.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "STRUCTSIZE",
    "    Return the size of different Redis core C structures.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "CLIENT-EVICTION",
    "    Show low level client eviction pools info (maxmemory-clients).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
    "CLUSTERLINK KILL <to|from|all> <node-id>",
    "    Kills the link based on the direction to/from (both) with the provided node.",
];
