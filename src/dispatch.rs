//! The one door every command goes through, whoever sends it (embedded client, redis-rs
//! adapter, TCP connection; MULTI/EXEC and Lua's `redis.call` will re-enter here):
//! lookup -> availability on the pinned server -> arity -> auth -> generated parser ->
//! handler -> bookkeeping (stats, client registry, the keys the command touched).

use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::{Ctx, Session, Shared, State};
use crate::spec::{self, ArgError, CommandSpec, Profile};

/// How often (in server-clock ms) the active expiry cycle runs.
const ACTIVE_EXPIRE_EVERY_MS: i64 = 100;

/// Why a call did not reach the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// The server's failure switch is on, or the connection was closed (QUIT, protocol error).
    ConnectionDropped,
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(error::CONNECTION_DROPPED)
    }
}

impl std::error::Error for ClientError {}

/// Finds the command or subcommand `argv` names on the pinned server, or the error reply.
pub fn resolve(p: &Profile, argv: &[Vec<u8>]) -> Result<&'static CommandSpec, Reply> {
    let name = argv.first().map(Vec::as_slice).unwrap_or(b"");
    let Some(cmd) = spec::lookup_on(name, p) else {
        return Err(Reply::err_bytes(error::unknown_command(p, argv)));
    };
    if cmd.is_container() && argv.len() >= 2 {
        return match cmd.subcommand(&argv[1], p) {
            Some(sub) => Ok(sub),
            None => Err(Reply::err_bytes(error::unknown_subcommand(p, cmd.name, &argv[1]))),
        };
    }
    Ok(cmd)
}

/// Runs one command for the client whose session is `sess`.
pub fn execute(shared: &Shared, sess: &mut Session, argv: &[Vec<u8>]) -> Result<Reply, ClientError> {
    if shared.is_failing() || sess.closing {
        return Err(ClientError::ConnectionDropped);
    }
    let now_us = shared.clock.now_us();
    let now = now_us.div_euclid(1000);
    let mut guard = shared.lock();
    let st: &mut State = &mut guard;
    if st.idle_timed_out(sess.id, now) {
        sess.closing = true;
        return Err(ClientError::ConnectionDropped);
    }
    if now - st.last_active_expire_ms >= ACTIVE_EXPIRE_EVERY_MS || now < st.last_active_expire_ms {
        st.active_expire(now);
    }
    let mut dirty = Vec::new();
    let reply = call(shared, st, sess, argv, (now, now_us), Caller::Client, &mut dirty);
    st.stats.changes_since_save += dirty.len() as u64;
    if let Some(meta) = st.clients.get_mut(&sess.id) {
        meta.db = sess.db;
        meta.last_ms = now;
        meta.resp = sess.resp;
        if meta.name != sess.name {
            meta.name.clone_from(&sess.name);
        }
        if meta.lib_name != sess.lib_name || meta.lib_ver != sess.lib_ver {
            meta.lib_name.clone_from(&sess.lib_name);
            meta.lib_ver.clone_from(&sess.lib_ver);
        }
    }
    Ok(reply)
}

/// Who sends a command: a client, or a script through `redis.call` (which Redis refuses
/// some commands, and a read-only script every write).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Client,
    Script { read_only: bool },
}

/// Runs one command on the locked state (a client's, or a script's through `redis.call`,
/// at the script's frozen time): lookup, checks, parse, handler, and the command and
/// error statistics. The keys it wrote are appended to `dirty`.
pub fn call(
    shared: &Shared,
    st: &mut State,
    sess: &mut Session,
    argv: &[Vec<u8>],
    (now, now_us): (i64, i64),
    caller: Caller,
    dirty: &mut Vec<(usize, Vec<u8>)>,
) -> Reply {
    let p = shared.profile;
    let started = std::time::Instant::now();
    // For commandstats: the command, and whether it ran (else it was refused before).
    let mut counted: Option<(&'static str, bool)> = None;
    let script = matches!(caller, Caller::Script { .. });
    let result = (|| -> CmdResult {
        let resolved = resolve(&p, argv);
        // As Redis's `c->lastcmd`: set at lookup, before any check (NULL when unknown).
        if !script {
            if let Some(meta) = st.clients.get_mut(&sess.id) {
                let name = resolved.as_ref().map_or("NULL", |c| c.fullname);
                if meta.last_cmd != name {
                    meta.last_cmd = name.to_string();
                }
            }
        }
        let cmd = match resolved {
            Ok(c) => c,
            Err(_) if script => return Err(Reply::err(error::SCRIPT_UNKNOWN_COMMAND)),
            Err(e) => return Err(e),
        };
        counted = Some((cmd.fullname, false));
        if !cmd.arity_ok(&p, argv.len()) {
            if script {
                return Err(Reply::err(error::SCRIPT_WRONG_ARITY));
            }
            return Err(Reply::err(error::wrong_arity(&p, cmd.fullname, argv.get(1).map(Vec::as_slice))));
        }
        if let Caller::Script { read_only } = caller {
            if cmd.has_flag("NOSCRIPT") {
                return Err(Reply::err(error::SCRIPT_NOT_ALLOWED));
            }
            if read_only && cmd.has_flag("WRITE") {
                return Err(Reply::err(error::SCRIPT_READ_ONLY));
            }
        }
        if !sess.authenticated && !cmd.has_flag("NO_AUTH") {
            return Err(Reply::err(error::NOAUTH));
        }
        counted = Some((cmd.fullname, true));
        let Some(run) = cmd.run else {
            // Arity and the grammar are checked all the same, so those errors are exact.
            let words = argv.get(if cmd.container.is_some() { 2 } else { 1 }..).unwrap_or(&[]);
            spec::grammar::parse(cmd, words, &p).map_err(|e| arg_error(cmd, words, e, &p))?;
            return Err(Reply::err(error::not_implemented(cmd.fullname)));
        };
        let mut ctx = Ctx { shared, st: &mut *st, sess: &mut *sess, now, now_us, dirty: std::mem::take(dirty) };
        let r = run(&mut ctx, argv);
        *dirty = std::mem::take(&mut ctx.dirty);
        // Counted like Redis: after the call, and only for commands that got to run.
        st.stats.commands_processed += 1;
        r
    })();
    let reply = result.unwrap_or_else(|e| e);
    if let Some((name, ran)) = counted {
        let c = st.stats.commands.entry(name).or_default();
        if ran {
            c.record(started.elapsed().as_micros() as u64);
            c.failed += u64::from(reply.is_error());
        } else {
            c.rejected += 1;
        }
    }
    if let Reply::Error(e) = &reply {
        st.stats.total_error_replies += 1;
        // Redis's errorstats key: the first word, if a space comes within 32 bytes.
        let head = &e[..e.len().min(32)];
        let prefix = head.iter().position(|&b| b == b' ').map_or(&b"ERR"[..], |i| &e[..i]);
        let errors = &mut st.stats.errors;
        if let Some(n) = errors.get_mut(prefix) {
            *n += 1;
        } else if errors.len() >= 128 && p.is(spec::ServerKind::Redis) && p.redis_at_least(7, 4) {
            // From 7.4 a 129th prefix turns the table off until CONFIG RESETSTAT.
            if !errors.contains_key(&b"ERRORSTATS_DISABLED"[..]) {
                errors.clear();
                errors.insert(b"ERRORSTATS_DISABLED".to_vec(), 1);
            }
        } else {
            errors.insert(prefix.to_vec(), 1);
        }
    }
    reply
}

/// The error reply for a parse failure of `cmd`'s arguments `words`.
pub fn arg_error(cmd: &CommandSpec, words: &[Vec<u8>], e: ArgError, p: &Profile) -> Reply {
    if p.kind == spec::ServerKind::Dragonfly
        && matches!(e, ArgError::Syntax { .. })
        && cmd.errors.syntax.contains("{word}")
    {
        // Dragonfly answers a bad option with the plain syntax error.
        return Reply::err(error::SYNTAX);
    }
    match e {
        ArgError::Syntax { word } => syntax(cmd, words, word),
        ArgError::Conflict { word } => syntax(cmd, words, Some(word)),
        other => other.value_reply().unwrap_or(Reply::err(error::SYNTAX)),
    }
}

/// Overlay `keys_first`: the leading key arguments must be missing or hold `want`, checked
/// before the options are parsed (Redis's LCS looks its keys up first).
pub fn check_keys_first(ctx: &mut Ctx<'_>, cmd: &CommandSpec, words: &[Vec<u8>]) -> Result<(), Reply> {
    let Some((want, err)) = cmd.errors.keys_first else { return Ok(()) };
    let leading = cmd.args.iter().take_while(|a| matches!(a.kind, spec::ArgKind::Key) && !a.optional).count();
    let now = ctx.now;
    // Every key is looked up (and touched) before any type is judged, as LCS does.
    let mut wrong = false;
    for key in words.iter().take(leading) {
        wrong |= ctx.db().get_mut(key, now).is_some_and(|e| e.value.type_name() != want);
    }
    if wrong {
        return Err(Reply::err(err));
    }
    Ok(())
}

fn syntax(cmd: &CommandSpec, words: &[Vec<u8>], word: Option<usize>) -> Reply {
    let t = cmd.errors.syntax;
    if !t.contains("{word}") {
        return Reply::err(t);
    }
    // The word as the client sent it, up to a NUL byte (Redis prints it with `%s`).
    let w =
        word.and_then(|i| words.get(i)).map_or(&[][..], |w| &w[..w.iter().position(|&c| c == 0).unwrap_or(w.len())]);
    let (head, tail) = t.split_once("{word}").unwrap_or((t, ""));
    Reply::err_bytes(error::sanitize_bytes([head.as_bytes(), w, tail.as_bytes()].concat()))
}
