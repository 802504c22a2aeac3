//! Scripting commands (spec group `scripting`): EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT
//! LOAD, SCRIPT EXISTS, SCRIPT FLUSH. The Lua side is [`crate::script`] (feature `lua`);
//! without the feature these answer that scripting is not built in.

use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;
use crate::spec::generated::*;
use crate::spec::grammar::parse_i64;
use crate::spec::ServerKind;

pub mod functions;

/// A script's KEYS and ARGV.
type KeysAndArgs<'w> = (&'w [Vec<u8>], &'w [Vec<u8>]);

/// `script|sha numkeys key ... arg ...` as Redis's `evalGenericCommand` reads it: numkeys
/// must be an integer, no more than the words left, and not negative.
fn split_keys(words: &[Vec<u8>]) -> Result<KeysAndArgs<'_>, Reply> {
    split_keys_with(words, error::NOT_INTEGER)
}

/// [`split_keys`] with the error a numkeys that is no integer gets (FCALL has its own).
fn split_keys_with<'w>(words: &'w [Vec<u8>], not_integer: &'static str) -> Result<KeysAndArgs<'w>, Reply> {
    let n = words.get(1).and_then(|w| parse_i64(w)).ok_or(Reply::err(not_integer))?;
    let rest = words.get(2..).unwrap_or(&[]);
    if n > rest.len() as i64 {
        return Err(Reply::err(error::NUMKEYS_TOO_MANY));
    }
    let n = usize::try_from(n).map_err(|_| Reply::err(error::NUMKEYS_NEGATIVE))?;
    Ok(rest.split_at(n))
}

#[cfg(feature = "lua")]
fn with_scripts<R>(
    ctx: &mut Ctx<'_>,
    f: impl FnOnce(&mut crate::script::Scripting, &mut Ctx<'_>) -> R,
) -> Result<R, Reply> {
    let p = ctx.profile();
    let mut s = match ctx.st.scripts.take() {
        Some(s) => s,
        None => Box::new(
            crate::script::Scripting::new(&p).map_err(|e| Reply::err(format!("ERR Lua could not start: {e}")))?,
        ),
    };
    let r = f(&mut s, ctx);
    ctx.st.scripts = Some(s);
    Ok(r)
}

#[cfg(feature = "lua")]
fn eval_generic(ctx: &mut Ctx<'_>, words: &[Vec<u8>], by_sha: bool, read_only: bool) -> CmdResult {
    let (keys, args) = split_keys(words)?;
    let body = words.first().cloned().unwrap_or_default();
    // Dragonfly answers an empty EVAL with nil before anything else.
    if body.is_empty() && !by_sha && ctx.profile().is(ServerKind::Dragonfly) {
        return Ok(Reply::Nil);
    }
    with_scripts(ctx, |s, ctx| {
        let sha = if by_sha {
            String::from_utf8_lossy(&body).to_ascii_lowercase()
        } else {
            match s.load(&body) {
                Ok(sha) => sha,
                Err(e) => return e,
            }
        };
        s.run(ctx, &crate::script::ScriptRun { sha: &sha, keys, args, read_only })
    })
}

#[cfg(not(feature = "lua"))]
fn eval_generic(_ctx: &mut Ctx<'_>, words: &[Vec<u8>], _by_sha: bool, _read_only: bool) -> CmdResult {
    split_keys(words)?;
    Err(Reply::err(error::not_implemented("eval (build with the `lua` feature)")))
}

/// EVAL script numkeys [key ...] [arg ...] (overlay `walk`).
pub fn eval(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    eval_generic(ctx, words, false, false)
}

/// EVALSHA sha1 numkeys [key ...] [arg ...]: NOSCRIPT when the script is not loaded.
pub fn evalsha(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    eval_generic(ctx, words, true, false)
}

/// EVAL_RO script numkeys [key ...] [arg ...]: writes are refused inside.
pub fn eval_ro(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    eval_generic(ctx, words, false, true)
}

/// EVALSHA_RO sha1 numkeys [key ...] [arg ...].
pub fn evalsha_ro(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    eval_generic(ctx, words, true, true)
}

/// SCRIPT LOAD script: its SHA-1.
pub fn script_load(ctx: &mut Ctx<'_>, a: ScriptLoad<'_>) -> CmdResult {
    // Dragonfly gives an empty script's SHA-1 without compiling it.
    if a.script.is_empty() && ctx.profile().is(ServerKind::Dragonfly) {
        return Ok(Reply::bulk(crate::script::sha1::sha1_hex(b"")));
    }
    #[cfg(feature = "lua")]
    {
        with_scripts(ctx, |s, _| s.load(a.script).map(Reply::bulk)).and_then(|r| r)
    }
    #[cfg(not(feature = "lua"))]
    {
        let _ = (ctx, a);
        Err(Reply::err(error::not_implemented("script|load (build with the `lua` feature)")))
    }
}

/// SCRIPT EXISTS sha1 [sha1 ...]: 1 or 0 for each.
pub fn script_exists(ctx: &mut Ctx<'_>, a: ScriptExists<'_>) -> CmdResult {
    #[cfg(feature = "lua")]
    {
        let known = |sha: &[u8]| ctx.st.scripts.as_ref().is_some_and(|s| s.exists(sha));
        Ok(Reply::Array(a.sha1.iter().map(|sha| Reply::Int(i64::from(known(sha)))).collect()))
    }
    #[cfg(not(feature = "lua"))]
    {
        let _ = ctx;
        Ok(Reply::Array(a.sha1.iter().map(|_| Reply::Int(0)).collect()))
    }
}

/// SCRIPT KILL: no script is ever running while another command runs (a script holds
/// the server until it ends), so there is nothing to kill.
pub fn script_kill(_ctx: &mut Ctx<'_>, _a: ScriptKill) -> CmdResult {
    Err(Reply::err(error::NOTBUSY))
}

/// SCRIPT DEBUG YES|SYNC|NO. NO switches the debugger off, which is never on here: OK.
/// The debugger itself (Redis's LDB, which YES and SYNC start for the next EVAL) is not
/// built, and says so rather than answering OK and then running scripts undebugged.
pub fn script_debug(ctx: &mut Ctx<'_>, a: ScriptDebug<'_>) -> CmdResult {
    // Inside EXEC the transaction's earlier replies are still pending, as in a pipeline.
    if matches!(ctx.caller, crate::dispatch::Caller::Exec) {
        return Err(Reply::err(error::SCRIPT_DEBUG_PIPELINE));
    }
    match a.mode {
        ScriptDebugMode::No => Ok(Reply::OK),
        _ => Err(Reply::err(error::not_implemented("script|debug yes/sync (the Lua debugger)"))),
    }
}

/// SCRIPT HELP (Dragonfly's lists its own subcommands, in its own words).
pub fn script_help(ctx: &mut Ctx<'_>, _a: ScriptHelp) -> CmdResult {
    if ctx.profile().is(ServerKind::Dragonfly) {
        return Ok(Reply::Array(DF_SCRIPT_HELP.iter().map(|l| Reply::simple(l)).collect()));
    }
    Ok(crate::cmd::server::help_reply("SCRIPT", SCRIPT_HELP))
}

/// SCRIPT LIST (Dragonfly): `[sha1, body]` for each script, by SHA-1.
pub fn script_list(ctx: &mut Ctx<'_>, _a: ScriptList) -> CmdResult {
    #[cfg(feature = "lua")]
    let list = ctx.st.scripts.as_ref().map(|s| s.list()).unwrap_or_default();
    #[cfg(not(feature = "lua"))]
    let list: Vec<(String, Vec<u8>)> = {
        let _ = ctx;
        Vec::new()
    };
    Ok(Reply::Array(
        list.into_iter().map(|(sha, body)| Reply::Array(vec![Reply::bulk(sha), Reply::bulk(body)])).collect(),
    ))
}

/// SCRIPT FLAGS sha1 flag [flag ...] (Dragonfly): the script's flags, kept for when it comes.
pub fn script_flags(ctx: &mut Ctx<'_>, a: ScriptFlags<'_>) -> CmdResult {
    #[cfg(feature = "lua")]
    {
        with_scripts(ctx, |s, _| s.set_df_flags(a.sha1, &a.flag).map(|_| Reply::OK).map_err(Reply::err)).and_then(|r| r)
    }
    #[cfg(not(feature = "lua"))]
    {
        let _ = (ctx, a);
        Err(Reply::err(error::not_implemented("script|flags (build with the `lua` feature)")))
    }
}

/// SCRIPT GC (Dragonfly): Lua's collector, over the one state here.
pub fn script_gc(ctx: &mut Ctx<'_>, _a: ScriptGc) -> CmdResult {
    #[cfg(feature = "lua")]
    if let Some(s) = &ctx.st.scripts {
        s.collect_garbage();
    }
    let _ = ctx;
    Ok(Reply::OK)
}

const DF_SCRIPT_HELP: &[&str] = &[
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]",
    "Subcommands are:",
    "EXISTS <sha1> [<sha1> ...]",
    "   Return information about the existence of the scripts in the script cache.",
    "FLUSH",
    "   Flush the Lua scripts cache. Very dangerous on replicas.",
    "LOAD <script>",
    "   Load a script into the scripts cache without executing it.",
    "FLAGS <sha> [flags ...]",
    "   Set specific flags for script. Can be called before the sript is loaded.",
    "   The following flags are possible: ",
    "      - Use 'allow-undeclared-keys' to allow accessing undeclared keys",
    "      - Use 'disable-atomicity' to allow running scripts non-atomically",
    "LIST",
    "   Lists loaded scripts.",
    "LATENCY",
    "   Prints latency histograms in usec for every called function.",
    "GC",
    "   Invokes garbage collection on all unused interpreter instances.",
    "HELP",
    "   Prints this help.",
];

const SCRIPT_HELP: &[&str] = &[
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
];

/// SCRIPT FLUSH [ASYNC|SYNC]: forgets every script.
pub fn script_flush(ctx: &mut Ctx<'_>, _a: ScriptFlush) -> CmdResult {
    #[cfg(feature = "lua")]
    if let Some(s) = &mut ctx.st.scripts {
        s.flush();
    }
    let _ = ctx;
    Ok(Reply::OK)
}
