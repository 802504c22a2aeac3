//! Server commands (spec group `server`): INFO, TIME, DBSIZE, FLUSHDB, FLUSHALL, CONFIG *,
//! LOLWUT; and the shared HELP reply. COMMAND * lives in `command.rs`.

pub mod command;

use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::{config, Ctx};
use crate::spec::generated::*;
use crate::spec::{Profile, ServerKind, Version};

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

/// The optional ASYNC or SYNC of FLUSHDB and FLUSHALL: Redis reads at most one word, so a
/// repeated one is the syntax error.
fn flush_mode(words: &[Vec<u8>]) -> Result<(), Reply> {
    match words {
        [] => Ok(()),
        [w] if w.eq_ignore_ascii_case(b"async") || w.eq_ignore_ascii_case(b"sync") => Ok(()),
        _ => Err(Reply::err(error::SYNTAX)),
    }
}

/// FLUSHDB [ASYNC | SYNC].
pub fn flushdb(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    flush_mode(words)?;
    ctx.db().clear();
    Ok(Reply::OK)
}

/// FLUSHALL [ASYNC | SYNC].
pub fn flushall(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    flush_mode(words)?;
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

/// LOLWUT [VERSION v] [drawing arguments ...]. As Redis: `VERSION v` (an integer, read as
/// unsigned) picks the drawing by `v.0.0`, else by the server's own version; words past it
/// belong to the drawing. Versions 5 and 6 draw random art, which the fake does not draw
/// yet; every other version prints the server's version line.
pub fn lolwut(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let own = ctx.profile().redis_compat_version().to_string();
    let chosen = match words {
        [w, n, ..] if w.eq_ignore_ascii_case(b"version") => {
            let v = crate::spec::grammar::parse_i64(n).ok_or(Reply::err(error::NOT_INTEGER))?;
            format!("{}.0.0", v as u32)
        }
        _ => own.clone(),
    };
    let b = chosen.as_bytes();
    let art = |major: u8| b[1] == b'.' && ((b[0] == major && b[2] != b'9') || (b[0] == major - 1 && b[2] == b'9'));
    if b.len() >= 3 && (art(b'5') || art(b'6')) {
        return Err(Reply::err(error::LOLWUT_ART));
    }
    Ok(Reply::Verbatim("txt", format!("Redis ver. {own}\n").into_bytes()))
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
