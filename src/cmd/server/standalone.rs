//! What a standalone master without replicas, AOF or modules answers: persistence
//! (SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE: nothing is written, the save time is kept),
//! replication (ROLE, REPLICAOF/SLAVEOF NO ONE, WAIT, WAITAOF, FAILOVER), MODULE LIST and
//! HELP, and the cluster-only READONLY/READWRITE/ASKING (refused outside cluster mode). Each walks its words in
//! the order of Redis's checks.

use super::help_reply;
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;
use crate::spec::grammar::parse_i64;

fn saved_now(ctx: &mut Ctx<'_>) {
    ctx.st.last_save_s = Some(ctx.now.div_euclid(1000));
    ctx.st.stats.changes_since_save = 0;
}

/// SAVE: done at once.
pub fn save(ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    saved_now(ctx);
    Ok(Reply::OK)
}

/// BGSAVE [SCHEDULE]: started and, the fake having nothing to write, done.
pub fn bgsave(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    match words {
        [] => {}
        [w] if w.eq_ignore_ascii_case(b"schedule") => {}
        _ => return Err(Reply::err(error::SYNTAX)),
    }
    saved_now(ctx);
    Ok(Reply::simple("Background saving started"))
}

/// BGREWRITEAOF.
pub fn bgrewriteaof(_ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::simple("Background append only file rewriting started"))
}

/// LASTSAVE: the last save's Unix time (the server's start until one).
pub fn lastsave(ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Int(ctx.st.last_save_s.unwrap_or(ctx.shared.started_ms / 1000)))
}

/// ROLE: a master with no replicas at offset 0.
pub fn role(_ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Array(vec![Reply::bulk("master"), Reply::Int(0), Reply::Array(Vec::new())]))
}

fn replica_of(words: &[Vec<u8>], name: &str) -> CmdResult {
    let [host, port] = words else { return Err(Reply::err(error::SYNTAX)) };
    if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
        return Ok(Reply::OK);
    }
    parse_i64(port).ok_or(Reply::err(error::INVALID_MASTER_PORT))?;
    Err(Reply::err(error::not_implemented(&format!("{name} host port"))))
}

/// REPLICAOF NO ONE (already a master); following a master is not modelled.
pub fn replicaof(_ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    replica_of(words, "replicaof")
}

/// SLAVEOF: REPLICAOF's old name.
pub fn slaveof(_ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    replica_of(words, "slaveof")
}

/// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: nothing to fail over to.
pub fn failover(_ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    if let [w] = words {
        if w.eq_ignore_ascii_case(b"abort") {
            return Err(Reply::err(error::FAILOVER_NONE_IN_PROGRESS));
        }
    }
    let (mut timeout, mut host, mut force) = (0i64, false, false);
    let mut j = 0;
    while j < words.len() {
        let w = &words[j];
        if w.eq_ignore_ascii_case(b"timeout") && j + 1 < words.len() && timeout == 0 {
            timeout = parse_i64(&words[j + 1]).ok_or(Reply::err(error::NOT_INTEGER))?;
            if timeout <= 0 {
                return Err(Reply::err(error::FAILOVER_TIMEOUT));
            }
            j += 1;
        } else if w.eq_ignore_ascii_case(b"to") && j + 2 < words.len() && !host {
            parse_i64(&words[j + 2]).ok_or(Reply::err(error::NOT_INTEGER))?;
            host = true;
            j += 2;
        } else if w.eq_ignore_ascii_case(b"force") && !force {
            force = true;
        } else {
            return Err(Reply::err(error::SYNTAX));
        }
        j += 1;
    }
    Err(Reply::err(error::FAILOVER_NO_REPLICAS))
}

/// A millisecond timeout as Redis's `getTimeoutFromObjectOrReply` reads one.
fn ms_timeout(w: &[u8]) -> Result<i64, Reply> {
    let t = parse_i64(w).ok_or(Reply::err(error::TIMEOUT_NOT_INTEGER))?;
    if t < 0 {
        return Err(Reply::err(error::TIMEOUT_NEGATIVE));
    }
    Ok(t)
}

/// WAIT numreplicas timeout: no replica ever acknowledges, so asking for one or more waits
/// for the timeout (on the server clock; 0: for ever), then answers 0.
pub fn wait(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [n, t] = words else { return Err(Reply::err(error::SYNTAX)) };
    let n = parse_i64(n).ok_or(Reply::err(error::NOT_INTEGER))?;
    let timeout = ms_timeout(t)?;
    if n <= 0 || ctx.sess.multi.is_some() || ctx.sess.in_exec.is_some() {
        return Ok(Reply::Int(0));
    }
    ctx.block(Vec::new(), timeout, Reply::Int(0), Reply::Int(0))
}

/// WAITAOF numlocal numreplicas timeout (7.2+): no AOF, no replicas.
pub fn waitaof(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [local, replicas, t] = words else { return Err(Reply::err(error::SYNTAX)) };
    let local = parse_i64(local).ok_or(Reply::err(error::NOT_INTEGER))?;
    if !(0..=1).contains(&local) {
        return Err(Reply::err(error::out_of_range(0, 1)));
    }
    let replicas = parse_i64(replicas).ok_or(Reply::err(error::NOT_INTEGER))?;
    if replicas < 0 {
        return Err(Reply::err(error::MUST_BE_POSITIVE));
    }
    let timeout = ms_timeout(t)?;
    if local > 0 {
        return Err(Reply::err(error::WAITAOF_NO_AOF));
    }
    let done = Reply::Array(vec![Reply::Int(0), Reply::Int(0)]);
    if replicas == 0 || ctx.sess.multi.is_some() || ctx.sess.in_exec.is_some() {
        return Ok(done);
    }
    ctx.block(Vec::new(), timeout, done.clone(), done)
}

/// MODULE LIST: no modules are loaded.
pub fn module_list(_ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Array(Vec::new()))
}

/// MODULE HELP.
pub fn module_help(ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    let mut lines = vec![
        "LIST",
        "    Return a list of loaded modules.",
        "LOAD <path> [<arg> ...]",
        "    Load a module library from <path>, passing to it any optional arguments.",
    ];
    if ctx.profile().redis_at_least(7, 0) {
        lines.extend([
            "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
            "    Load a module library from <path>, while passing it module configurations and optional arguments.",
        ]);
    }
    lines.extend(["UNLOAD <name>", "    Unload a module."]);
    Ok(help_reply("MODULE", &lines))
}

/// READONLY, READWRITE, ASKING: cluster mode only (a master alone serves every read and
/// every slot, so they change nothing there).
fn cluster_only(ctx: &Ctx<'_>) -> CmdResult {
    if ctx.st.config.limits().cluster {
        Ok(Reply::OK)
    } else {
        Err(Reply::err(error::CLUSTER_DISABLED))
    }
}

pub fn readonly(ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    cluster_only(ctx)
}

pub fn readwrite(ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    cluster_only(ctx)
}

pub fn asking(ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    cluster_only(ctx)
}

/// SHUTDOWN as Valkey has it (9.0 adds SAFE and FAILOVER).
pub fn shutdown_valkey(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    shutdown(ctx, words)
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT] (overlay `walk`; 6.2: one of NOSAVE|SAVE):
/// the server stops (nothing to save and no replica to wait for), the connection goes
/// without a reply, and every other client is dropped; ABORT has no shutdown to abort.
pub fn shutdown(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let p = ctx.profile();
    let (mut save, mut nosave, mut abort, mut other) = (false, false, false, false);
    if !p.redis_at_least(7, 0) && words.len() > 1 {
        return Err(Reply::err(error::SYNTAX));
    }
    for w in words {
        match w.to_ascii_lowercase().as_slice() {
            b"nosave" => nosave = true,
            b"save" => save = true,
            b"now" | b"force" if p.redis_at_least(7, 0) => other = true,
            // Valkey 9: SAFE and FAILOVER have no replica or cluster peer to wait for here.
            b"safe" | b"failover" if p.has_since((u16::MAX, 0), Some((9, 0))) => other = true,
            b"abort" if p.redis_at_least(7, 0) => abort = true,
            _ => return Err(Reply::err(error::SYNTAX)),
        }
    }
    if (abort && (save || nosave || other)) || (save && nosave) {
        return Err(Reply::err(error::SYNTAX));
    }
    if abort {
        return Err(Reply::err(error::NO_SHUTDOWN_IN_PROGRESS));
    }
    let saving = save || (!nosave && !ctx.st.config.get("save").is_empty());
    let name = if p.is(crate::spec::ServerKind::Valkey) { "Valkey" } else { "Redis" };
    let level = ctx.st.config.get("loglevel").to_string();
    let log = |m: &str| ctx.shared.log(&level, crate::server::log::LogLevel::Warning, m.as_bytes());
    log("User requested shutdown...");
    if saving {
        log("Saving the final RDB snapshot before exiting.");
        log("DB saved on disk");
    }
    log(&format!("{name} is now ready to exit, bye bye..."));
    ctx.shared.stop(ctx.st);
    Ok(Reply::OK)
}

/// REPLCONF option value ...: what a replica tells its master. A normal client's options
/// are checked and kept nowhere (there is no replication); ACK and GETACK answer nothing,
/// as in Redis.
pub fn replconf(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    if !words.len().is_multiple_of(2) {
        return Err(Reply::err(error::SYNTAX));
    }
    for pair in words.chunks(2) {
        let (opt, value) = (pair[0].to_ascii_lowercase(), &pair[1]);
        match opt.as_slice() {
            b"listening-port" => {
                crate::spec::grammar::parse_i64(value).ok_or(Reply::err(error::NOT_INTEGER))?;
            }
            b"ip-address" if value.len() >= 256 => {
                return Err(Reply::err_bytes(error::replconf_ip_too_long(value.len())));
            }
            b"ip-address" | b"capa" => {}
            b"ack" | b"getack" => {
                // No reply at all; inside EXEC (where Redis's reply would lose an element
                // and desynchronise the client) the transaction's own reply must still go.
                if ctx.sess.in_exec.is_none() {
                    ctx.sess.reply.silent = true;
                }
                return Ok(Reply::OK);
            }
            b"rdb-only" if ctx.profile().redis_at_least(7, 0) => {
                let n = crate::spec::grammar::parse_i64(value).ok_or(Reply::err(error::NOT_INTEGER))?;
                if !(0..=1).contains(&n) {
                    return Err(Reply::err_bytes(error::out_of_range(0, 1).into_bytes()));
                }
            }
            b"rdb-filter-only" if ctx.profile().redis_at_least(7, 0) => {
                let filters = crate::server::config::file::split_args(&String::from_utf8_lossy(value))
                    .ok_or(Reply::err(error::REPLCONF_FILTER_MISSING))?;
                if let Some(f) = filters.iter().find(|f| !f.eq_ignore_ascii_case("functions")) {
                    return Err(Reply::err_bytes(error::replconf_filter_unsupported(f)));
                }
            }
            _ => return Err(Reply::err_bytes(error::replconf_unknown(&pair[0]))),
        }
    }
    Ok(Reply::OK)
}
