//! Function commands (spec group `scripting`): FUNCTION LOAD, DELETE, FLUSH, LIST, DUMP,
//! RESTORE, STATS, KILL, HELP, and FCALL, FCALL_RO. The libraries are
//! [`crate::script::functions`]; their words are read here as Redis reads them.

use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;
use crate::spec::generated::*;

/// Runs the Lua-backed implementation, or (built without `lua`) says it is not built in.
macro_rules! lua {
    ($f:path, $ctx:ident, $a:ident) => {{
        #[cfg(feature = "lua")]
        {
            $f($ctx, $a)
        }
        #[cfg(not(feature = "lua"))]
        {
            let _ = ($ctx, $a);
            Err(Reply::err(error::not_implemented("function (build with the `lua` feature)")))
        }
    }};
}

/// FUNCTION LOAD [REPLACE] function-code (overlay `walk`): Redis reads options up to the
/// last word, which is the code.
pub fn function_load(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    lua!(imp::function_load, ctx, words)
}

/// FUNCTION DELETE library-name.
pub fn function_delete(ctx: &mut Ctx<'_>, a: FunctionDelete<'_>) -> CmdResult {
    lua!(imp::function_delete, ctx, a)
}

/// FUNCTION FLUSH [ASYNC|SYNC] (overlay `walk`).
pub fn function_flush(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    lua!(imp::function_flush, ctx, words)
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE] (overlay `walk`): each option once, in
/// any order; a second one is an unknown argument.
pub fn function_list(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    lua!(imp::function_list, ctx, words)
}

/// FUNCTION DUMP: every library in an RDB payload of the pinned version.
pub fn function_dump(ctx: &mut Ctx<'_>, _a: FunctionDump) -> CmdResult {
    lua!(imp::function_dump, ctx, _a)
}

/// FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE] (overlay `walk`): the policy
/// first, then the payload's footer, then its libraries (all created before any is
/// linked in).
pub fn function_restore(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    lua!(imp::function_restore, ctx, words)
}

/// FUNCTION STATS: no script can be running while another command runs (scripts hold
/// the server as long as they run), so `running_script` is null; the one engine's counts.
pub fn function_stats(ctx: &mut Ctx<'_>, _a: FunctionStats) -> CmdResult {
    lua!(imp::function_stats, ctx, _a)
}

/// FCALL function numkeys [key ...] [arg ...] (overlay `walk`).
pub fn fcall(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    lua!(imp::fcall, ctx, words)
}

/// FCALL_RO function numkeys [key ...] [arg ...]: a function without `no-writes` is refused.
pub fn fcall_ro(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    lua!(imp::fcall_ro, ctx, words)
}

/// FUNCTION KILL: there is never a function running to kill (see FUNCTION STATS).
pub fn function_kill(_ctx: &mut Ctx<'_>, _a: FunctionKill) -> CmdResult {
    Err(Reply::err(error::NOTBUSY))
}

/// FUNCTION HELP.
pub fn function_help(_ctx: &mut Ctx<'_>, _a: FunctionHelp) -> CmdResult {
    Ok(crate::cmd::server::help_reply("FUNCTION", FUNCTION_HELP))
}

const FUNCTION_HELP: &[&str] = &[
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
];

#[cfg(feature = "lua")]
mod imp {
    use super::super::{split_keys_with, with_scripts};
    use crate::error;
    use crate::reply::{CmdResult, Reply};
    use crate::script::functions::{self, FLAGS};
    use crate::server::Ctx;
    use crate::spec::generated::*;

    /// A library's error, sent as it is (a newline from a quoted metadata word included,
    /// as redis-server 7.0.15 sends it).
    fn err(e: String) -> Reply {
        Reply::err(e)
    }

    /// FUNCTION LOAD [REPLACE] function-code (overlay `walk`): Redis reads options up to the
    /// last word, which is the code.
    pub fn function_load(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
        let (code, options) = words.split_last().ok_or(Reply::err(error::FUNCTION_CODE_MISSING))?;
        let mut replace = false;
        for w in options {
            if !w.eq_ignore_ascii_case(b"replace") {
                let text = [b"ERR Unknown option given: ".as_slice(), crate::error::c_bytes(w)].concat();
                return Err(Reply::err_bytes(error::sanitize_bytes(text)));
            }
            replace = true;
        }
        let name = with_scripts(ctx, |s, ctx| {
            let r = s.load_library(code, replace);
            s.write_log(ctx);
            r
        })?
        .map_err(err)?;
        ctx.st.stats.changes_since_save += 1;
        Ok(Reply::bulk(name.into_bytes()))
    }

    /// FUNCTION DELETE library-name.
    pub fn function_delete(ctx: &mut Ctx<'_>, a: FunctionDelete<'_>) -> CmdResult {
        let name = String::from_utf8_lossy(a.library_name).into_owned();
        let gone = ctx.st.scripts.as_mut().and_then(|s| s.libs.unlink(&name));
        gone.ok_or(Reply::err(error::LIBRARY_NOT_FOUND))?;
        ctx.st.stats.changes_since_save += 1;
        Ok(Reply::OK)
    }

    /// FUNCTION FLUSH [ASYNC|SYNC] (overlay `walk`).
    pub fn function_flush(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
        match words {
            [] => {}
            [w] if w.eq_ignore_ascii_case(b"sync") || w.eq_ignore_ascii_case(b"async") => {}
            [_] => return Err(Reply::err(error::FUNCTION_FLUSH_OPTION)),
            _ => return Err(subcommand_syntax(ctx)),
        }
        if let Some(s) = &mut ctx.st.scripts {
            s.libs = functions::Libraries::default();
        }
        ctx.st.stats.changes_since_save += 1;
        Ok(Reply::OK)
    }

    fn subcommand_syntax(ctx: &Ctx<'_>) -> Reply {
        let sub = ctx.argv.get(1).map_or(&[][..], |w| &w[..]);
        Reply::err_bytes(error::subcommand_syntax("FUNCTION", sub))
    }

    /// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE] (overlay `walk`): each option once, in
    /// any order; a second one is an unknown argument.
    pub fn function_list(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
        let (mut with_code, mut pattern) = (false, None);
        let mut it = words.iter();
        while let Some(w) = it.next() {
            if !with_code && w.eq_ignore_ascii_case(b"withcode") {
                with_code = true;
            } else if pattern.is_none() && w.eq_ignore_ascii_case(b"libraryname") {
                pattern = Some(it.next().ok_or(Reply::err(error::FUNCTION_LIST_NO_NAME))?);
            } else {
                let text = [b"ERR Unknown argument ".as_slice(), error::c_bytes(w)].concat();
                return Err(Reply::err_bytes(error::spaced_newlines(text)));
            }
        }
        let Some(s) = &ctx.st.scripts else { return Ok(Reply::Array(Vec::new())) };
        let bulk = |t: &str| Reply::bulk(t.as_bytes().to_vec());
        let mut out = Vec::new();
        for lib in s.libs.libs.values() {
            if pattern.is_some_and(|p| !crate::glob::matches(p, lib.name.as_bytes(), true)) {
                continue;
            }
            let funcs = lib.functions.iter().map(|f| {
                let flags = FLAGS.iter().filter(|(_, b)| f.flags & b != 0).map(|(n, _)| Reply::simple(n)).collect();
                Reply::Map(vec![
                    (bulk("name"), bulk(&f.name)),
                    (bulk("description"), f.description.as_ref().map_or(Reply::Nil, |d| Reply::bulk(d.clone()))),
                    (bulk("flags"), Reply::Set(flags)),
                ])
            });
            let mut entry = vec![
                (bulk("library_name"), bulk(&lib.name)),
                (bulk("engine"), bulk("LUA")),
                (bulk("functions"), Reply::Array(funcs.collect())),
            ];
            if with_code {
                entry.push((bulk("library_code"), Reply::bulk(lib.code.clone())));
            }
            out.push(Reply::Map(entry));
        }
        Ok(Reply::Array(out))
    }

    /// FUNCTION DUMP: every library in an RDB payload of the pinned version.
    pub fn function_dump(ctx: &mut Ctx<'_>, _a: FunctionDump) -> CmdResult {
        let version = crate::rdb::version(&ctx.profile());
        let body = ctx.st.scripts.as_ref().map(|s| functions::dump(&s.libs)).unwrap_or_default();
        Ok(Reply::bulk(crate::rdb::seal(body, version)))
    }

    /// FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE] (overlay `walk`): the policy
    /// first, then the payload's footer, then its libraries (all created before any is
    /// linked in).
    pub fn function_restore(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
        let (payload, policy) = match words {
            [p] => (p, None),
            [p, policy] => (p, Some(policy)),
            _ => return Err(subcommand_syntax(ctx)),
        };
        let policy = match policy {
            None => b"append".to_vec(),
            Some(w) if [&b"append"[..], b"replace", b"flush"].iter().any(|p| w.eq_ignore_ascii_case(p)) => {
                w.to_ascii_lowercase()
            }
            Some(_) => return Err(Reply::err(error::FUNCTION_RESTORE_POLICY)),
        };
        let newest = crate::rdb::version(&ctx.profile());
        let (body, _) = crate::rdb::unseal(payload, newest).ok_or(Reply::err(error::DUMP_PAYLOAD_BAD))?;
        let codes = functions::payload_codes(body).map_err(err)?;
        with_scripts(ctx, |s, ctx| {
            let restored = s.restore_libraries(&codes);
            s.write_log(ctx);
            let restored = restored?;
            match policy.as_slice() {
                b"flush" => {
                    s.libs = restored;
                    Ok(())
                }
                p => s.libs.join(restored, p == b"replace"),
            }
        })?
        .map_err(err)?;
        ctx.st.stats.changes_since_save += 1;
        Ok(Reply::OK)
    }

    /// FUNCTION STATS: no script can be running while another command runs (scripts hold
    /// the server as long as they run), so `running_script` is null; the one engine's counts.
    pub fn function_stats(ctx: &mut Ctx<'_>, _a: FunctionStats) -> CmdResult {
        let (libs, funcs) = ctx.st.scripts.as_ref().map_or((0, 0), |s| (s.libs.libs.len(), s.libs.function_count()));
        let bulk = |t: &str| Reply::bulk(t.as_bytes().to_vec());
        let counts = Reply::Map(vec![
            (bulk("libraries_count"), Reply::Int(libs as i64)),
            (bulk("functions_count"), Reply::Int(funcs as i64)),
        ]);
        Ok(Reply::Map(vec![
            (bulk("running_script"), Reply::Nil),
            (bulk("engines"), Reply::Map(vec![(bulk("LUA"), counts)])),
        ]))
    }

    /// FCALL function numkeys [key ...] [arg ...] (overlay `walk`).
    pub fn fcall(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
        fcall_generic(ctx, words, false)
    }

    /// FCALL_RO function numkeys [key ...] [arg ...]: a function without `no-writes` is refused.
    pub fn fcall_ro(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
        fcall_generic(ctx, words, true)
    }

    /// Redis looks the function up before it reads numkeys.
    fn fcall_generic(ctx: &mut Ctx<'_>, words: &[Vec<u8>], read_only: bool) -> CmdResult {
        let name = words.first().cloned().unwrap_or_default();
        let known = ctx.st.scripts.as_ref().is_some_and(|s| s.libs.function(&name).is_some());
        if !known {
            return Err(Reply::err(error::FUNCTION_NOT_FOUND));
        }
        let (keys, args) = split_keys_with(words, error::FUNCTION_NUMKEYS)?;
        let name = String::from_utf8_lossy(&name).into_owned();
        with_scripts(ctx, |s, ctx| {
            s.call_function(ctx, &crate::script::ScriptRun { sha: &name, keys, args, read_only })
        })
    }
}
