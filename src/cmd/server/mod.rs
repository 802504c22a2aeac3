//! Server commands (spec group `server`): INFO, TIME, DBSIZE, FLUSHDB, FLUSHALL, CONFIG *,
//! LOLWUT; and the shared HELP reply. COMMAND * lives in `command.rs`, INFO's sections in
//! `info.rs`.

pub mod command;
pub mod debug;
mod digest;
mod info;
mod internals;
pub mod latency;
pub mod memory;
pub mod slowlog;
pub(crate) mod standalone;

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

/// FLUSHDB [ASYNC | SYNC] (one word at most: overlay `max_words`).
pub fn flushdb(ctx: &mut Ctx<'_>, _a: Flushdb) -> CmdResult {
    crate::dispatch::effects::touch_watched_in_db(ctx.st, ctx.sess.db, None);
    ctx.db().clear();
    crate::server::tracking::flush(ctx.st, ctx.sess.id);
    Ok(Reply::OK)
}

/// FLUSHALL [ASYNC | SYNC] (one word at most: overlay `max_words`).
pub fn flushall(ctx: &mut Ctx<'_>, _a: Flushall) -> CmdResult {
    for db in 0..ctx.st.dbs.len() {
        crate::dispatch::effects::touch_watched_in_db(ctx.st, db, None);
    }
    ctx.st.dbs.iter_mut().for_each(|d| d.clear());
    crate::server::tracking::flush(ctx.st, ctx.sess.id);
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
    // Valkey prints and picks by its own version ("Redis ver. 8.0.1"), Redis by its.
    let p = ctx.profile();
    let own = if p.is(ServerKind::Valkey) { p.version } else { p.redis_compat_version() }.to_string();
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
    let local = ["127.", "[::1]", "::1"].iter().any(|l| ctx.sess.addr.starts_with(l));
    config::set_many(&mut ctx.st.config, &p, &pairs, config::Setter::Client { local })?;
    let names: Vec<&[u8]> = pairs.iter().map(|(n, _)| *n).collect();
    crate::dispatch::effects::config_changed(ctx.st, &p, &names);
    Ok(Reply::OK)
}

/// CONFIG RESETSTAT.
pub fn config_resetstat(ctx: &mut Ctx<'_>, _a: ConfigResetstat) -> CmdResult {
    ctx.st.stats = Default::default();
    Ok(Reply::OK)
}

/// CONFIG REWRITE: the config file the server started from, rewritten (an error without one).
pub fn config_rewrite(ctx: &mut Ctx<'_>, _a: ConfigRewrite) -> CmdResult {
    if ctx.st.config_file.is_none() {
        return Err(Reply::err(error::NO_CONFIG_FILE));
    }
    rewrite_config_file(ctx, false).map_err(|why| Reply::err(error::config_rewrite_failed(&why)))
}

/// Rewrites the config file (`force_all`: every parameter, DEBUG CONFIG-REWRITE-FORCE-ALL);
/// the error is `strerror`'s words.
pub(crate) fn rewrite_config_file(ctx: &mut Ctx<'_>, force_all: bool) -> Result<Reply, String> {
    let Some(path) = ctx.st.config_file.clone() else { return Err("Bad address".into()) };
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let users = ctx.st.config.get("aclfile").is_empty().then(|| {
        let a = ctx.st.acl_mut(&ctx.profile());
        a.users
            .values()
            .map(|u| {
                format!("user {} {}", String::from_utf8_lossy(&u.name), String::from_utf8_lossy(&a.describe_user(u)))
            })
            .collect()
    });
    let text = config::rewrite(&ctx.st.config, &ctx.profile(), &old, users, force_all);
    std::fs::write(&path, text)
        .map_err(|e| e.to_string().split(" (os error").next().unwrap_or_default().to_string())?;
    Ok(Reply::OK)
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

/// INFO [section ...]: see `info.rs`.
pub fn info(ctx: &mut Ctx<'_>, a: Info<'_>) -> CmdResult {
    info::info(ctx, &a.section)
}
