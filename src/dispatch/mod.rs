//! The one door every command goes through, whoever sends it (embedded client, redis-rs
//! adapter, TCP connection; MULTI/EXEC and Lua's `redis.call` will re-enter here):
//! lookup -> availability on the pinned server -> arity -> auth -> generated parser ->
//! handler -> bookkeeping (stats, client registry, the keys the command touched).

use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::{Ctx, Frame, Session, Shared, State};
use crate::spec::{self, ArgError, CommandSpec, Profile};

pub(crate) mod effects;
pub(crate) mod multi;

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
    resolve_in(cmd, p, argv)
}

/// [`resolve`], first trying the client's last top-level command (a pipeline mostly repeats
/// one), which it then remembers.
fn resolve_cached(p: &Profile, sess: &mut Session, argv: &[Vec<u8>]) -> Result<&'static CommandSpec, Reply> {
    let name = argv.first().map(Vec::as_slice).unwrap_or(b"");
    if let Some(top) = sess.last_top.filter(|c| c.name.as_bytes().eq_ignore_ascii_case(name)) {
        return resolve_in(top, p, argv);
    }
    let Some(cmd) = spec::lookup_on(name, p) else {
        return Err(Reply::err_bytes(error::unknown_command(p, argv)));
    };
    sess.last_top = Some(cmd);
    resolve_in(cmd, p, argv)
}

/// The command `argv` names under the top-level `cmd` (a container's subcommand).
fn resolve_in(cmd: &'static CommandSpec, p: &Profile, argv: &[Vec<u8>]) -> Result<&'static CommandSpec, Reply> {
    if cmd.is_container() && argv.len() >= 2 {
        return match cmd.subcommand(&argv[1], p) {
            Some(sub) => Ok(sub),
            None => Err(Reply::err_bytes(error::unknown_subcommand(p, cmd.name, &argv[1]))),
        };
    }
    Ok(cmd)
}

/// Runs one command for the client whose session is `sess`: its reply, or `None` when the
/// command blocked (its reply comes later as a [`Frame::Reply`] in the client's queue;
/// [`wait_reply`] waits for it).
///
/// With `drain`, the frames already queued for the client are moved there first, then the
/// reply, then what the command queued for the client itself (a SUBSCRIBE's further
/// confirmations): the order a connection writes them in. Everything happens under the
/// server's lock, so the order is the server's.
pub fn submit(
    shared: &Shared,
    sess: &mut Session,
    argv: &[Vec<u8>],
    mut drain: Option<&mut Vec<Frame>>,
) -> Result<Option<Reply>, ClientError> {
    if shared.is_failing() || sess.closing {
        return Err(ClientError::ConnectionDropped);
    }
    // A script past busy-reply-threshold holds the state: answered without it.
    let mut failed = sess.multi.as_mut().map(|m| &mut m.failed);
    let mut guard = match shared.lock_for_command(argv, &mut failed) {
        Ok(guard) => guard,
        Err(reply) => {
            return Ok(match drain {
                Some(out) => {
                    out.push(Frame::Reply(reply));
                    None
                }
                None => Some(reply),
            })
        }
    };
    let started = shared.clock.tick();
    let now_us = shared.clock.now_us_at(started);
    let now = now_us.div_euclid(1000);
    sess.started = Some(started);
    let st: &mut State = &mut guard;
    for id in shared.busy.take_gone() {
        effects::forget_client(st, id);
    }
    if st.idle_timed_out(sess.id, now) || st.clients.get(&sess.id).is_none_or(|m| m.killed) {
        // Closed for being idle, or by CLIENT KILL.
        sess.closing = true;
        return Err(ClientError::ConnectionDropped);
    }
    effects::cron(shared, st, now);
    if let (Some(out), Some(meta)) = (drain.as_deref_mut(), st.clients.get_mut(&sess.id)) {
        out.extend(meta.outbox.drain_all());
    }
    let mut dirty = Vec::new();
    st.current = sess.id;
    let reply = call(shared, st, sess, argv, (now, now_us), Caller::Client, &mut dirty);
    if shared.is_stopped() {
        // SHUTDOWN: no reply, the connection goes as the server does.
        sess.closing = true;
        return Err(ClientError::ConnectionDropped);
    }
    let block = sess.block.take();
    effects::after_command(shared, st, &mut dirty, now);
    sess.limits = Some(st.config.limits());
    st.current = 0;
    crate::server::tracking::broadcast(st);
    effects::close_overflowed(st);
    // CLIENT CACHING lasts one command (a MULTI block; CLIENT commands keep it).
    if sess.multi.is_none() && !argv[0].eq_ignore_ascii_case(b"client") {
        sess.caching = false;
    }
    // CLIENT REPLY: this reply goes out unless replies are off or skipped (pushes always do).
    let flags = sess.reply;
    let silenced = flags.silent || ((flags.off || flags.skip) && !matches!(reply, Reply::Push(_)));
    sess.reply.silent = false;
    sess.reply.skip = std::mem::take(&mut sess.reply.skip_next);
    if let Some(meta) = st.clients.get_mut(&sess.id) {
        meta.monitor = sess.monitor;
        meta.no_evict = sess.no_evict;
        meta.no_touch = sess.no_touch;
        meta.postponed = sess.postponed.is_some();
        meta.db = sess.db;
        meta.last_ms = now;
        meta.resp = sess.resp;
        meta.multi = sess.multi.as_ref().map_or(-1, |m| m.queue.len() as i64);
        // Only these change the client's user, name and library (EXEC: a queued CLIENT).
        if ["client", "hello", "auth", "reset", "exec", "acl"]
            .iter()
            .any(|c| argv[0].eq_ignore_ascii_case(c.as_bytes()))
        {
            if meta.user != sess.user {
                meta.user.clone_from(&sess.user);
            }
            if meta.name != sess.name {
                meta.name.clone_from(&sess.name);
            }
            if meta.lib_name != sess.lib_name || meta.lib_ver != sess.lib_ver {
                meta.lib_name.clone_from(&sess.lib_name);
                meta.lib_ver.clone_from(&sess.lib_ver);
            }
        }
    }
    if let Some(b) = block {
        effects::block(st, sess, argv, b, now);
        sess.waiting = true;
        return Ok(None);
    }
    if sess.postponed.is_some() {
        sess.waiting = true;
        return Ok(None);
    }
    let more = std::mem::take(&mut sess.more);
    if sess.closing {
        // QUIT: the connection is gone once its reply is out.
        effects::forget_client(st, sess.id);
    }
    let meta = st.clients.get_mut(&sess.id);
    match (drain, meta) {
        (Some(out), meta) => {
            // Up to 7.0 what a command sends its own client (a message it published to
            // itself) goes out before its reply; from 7.2 after it.
            let pushes_first = !shared.profile.redis_at_least(7, 2);
            let (mut queued, after): (Vec<Frame>, Vec<Frame>) = match meta {
                Some(m) => (m.outbox.drain_all().collect(), std::mem::take(&mut m.after_reply)),
                None => (Vec::new(), Vec::new()),
            };
            if pushes_first {
                out.append(&mut queued);
            }
            if !silenced {
                out.push(Frame::Reply(reply));
            }
            out.extend(more.into_iter().map(Frame::Push));
            out.append(&mut queued);
            out.extend(after);
            Ok(None)
        }
        (None, Some(meta)) => {
            if !more.is_empty() || !meta.after_reply.is_empty() {
                meta.outbox.extend(more.into_iter().map(Frame::Push));
                let after = std::mem::take(&mut meta.after_reply);
                meta.outbox.extend(after);
            }
            Ok(Some(reply))
        }
        (None, None) => Ok(Some(reply)),
    }
}

/// Runs one command and waits for its reply if it blocks or CLIENT PAUSE holds it back
/// (an embedded client's call).
pub fn execute(shared: &Shared, sess: &mut Session, argv: &[Vec<u8>]) -> Result<Reply, ClientError> {
    let mut reply = submit(shared, sess, argv, None)?;
    loop {
        if let Some(r) = reply {
            return Ok(r);
        }
        let Some(held) = sess.postponed.take() else {
            return wait_frame(shared, sess, None, true)?.ok_or(ClientError::ConnectionDropped);
        };
        wait_unpaused(shared, sess)?;
        sess.waiting = false;
        reply = submit(shared, sess, &held, None)?;
    }
}

/// Waits until no CLIENT PAUSE is in force (it ends on the server clock, or by UNPAUSE).
fn wait_unpaused(shared: &Shared, sess: &mut Session) -> Result<(), ClientError> {
    wait_on(shared, sess, None, |st, _| match st.pause {
        None => Poll::Ready(Ok(())),
        Some(p) => Poll::Until(Some(p.until)),
    })
    .map(|_| ())
}

/// What one look at the state found: the awaited value, or a reason to wait on (with the
/// server-clock time at which to look again without a signal).
enum Poll<T> {
    Ready(T),
    Until(Option<i64>),
}

/// The one wait loop of an embedded client: runs the server's cron, asks `poll`, and
/// sleeps on the client's signal (at most 250 ms, up to `until` on a running clock, and
/// within `limit` of real time, past which it answers `Ok(None)`).
fn wait_on<T>(
    shared: &Shared,
    sess: &mut Session,
    limit: Option<std::time::Duration>,
    mut poll: impl FnMut(&mut State, &mut Session) -> Poll<Result<T, ClientError>>,
) -> Result<Option<T>, ClientError> {
    let started = std::time::Instant::now();
    let mut guard = shared.lock();
    loop {
        if shared.is_failing() {
            return Err(ClientError::ConnectionDropped);
        }
        let now = shared.clock.now_ms();
        effects::cron(shared, &mut guard, now);
        let until = match poll(&mut guard, sess) {
            Poll::Ready(r) => return r.map(Some),
            Poll::Until(u) => u,
        };
        let Some(meta) = guard.clients.get(&sess.id) else { return Err(ClientError::ConnectionDropped) };
        let mut wait = std::time::Duration::from_millis(250);
        if let Some(d) = until.filter(|_| !shared.clock.is_frozen()) {
            wait = wait.min(std::time::Duration::from_millis((d - now + 1).max(1) as u64));
        }
        if let Some(l) = limit {
            let left = l.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Ok(None);
            }
            wait = wait.min(left);
        }
        let signal = meta.signal.clone();
        guard = signal.wait(guard, wait);
    }
}

/// For a connection whose command CLIENT PAUSE held back: once the pause is over, runs it
/// (its frames into `out`, as [`submit`]).
pub fn resume(shared: &Shared, sess: &mut Session, out: &mut Vec<Frame>) -> Result<(), ClientError> {
    if sess.postponed.is_none() || shared.lock().pause.is_some() {
        return Ok(());
    }
    let held = sess.postponed.take().unwrap_or_default();
    sess.waiting = false;
    submit(shared, sess, &held, Some(out)).map(|_| ())
}

/// Waits for the next frame queued for the client (with `reply_only`, for its blocked
/// command's reply, leaving pushes queued), or until `limit` passes in real time
/// (`Ok(None)`). A blocked command's timeout runs on the server clock: with the clock
/// frozen it fires when the clock is moved past it.
pub fn wait_frame(
    shared: &Shared,
    sess: &mut Session,
    limit: Option<std::time::Duration>,
    reply_only: bool,
) -> Result<Option<Reply>, ClientError> {
    wait_on(shared, sess, limit, |st, sess| {
        let Some(meta) = st.clients.get_mut(&sess.id) else { return Poll::Ready(Err(ClientError::ConnectionDropped)) };
        if let Some(i) = meta.outbox.iter().position(|f| !reply_only || matches!(f, Frame::Reply(_))) {
            let f = meta.outbox.remove(i);
            if matches!(f, Some(Frame::Reply(_))) {
                sess.waiting = false;
            }
            return match f {
                Some(f) => Poll::Ready(Ok(f.into_reply())),
                None => Poll::Ready(Err(ClientError::ConnectionDropped)),
            };
        }
        if meta.killed {
            sess.closing = true;
            return Poll::Ready(Err(ClientError::ConnectionDropped));
        }
        Poll::Until(meta.blocked.as_ref().and_then(|b| b.wake_at()))
    })
}

/// Whether a script's `redis.call` of `argv` was a write that got past the script's own
/// checks (`SCRIPT_WRITE_DIRTY` in Redis: from then on the script cannot be killed).
pub fn writes_past_script_checks(p: &Profile, argv: &[Vec<u8>], reply: &Reply) -> bool {
    let Ok(cmd) = resolve(p, argv) else { return false };
    if !cmd.flags_for(p).iter().any(|f| f.eq_ignore_ascii_case("WRITE")) {
        return false;
    }
    let refused = [error::SCRIPT_READ_ONLY, error::SCRIPT_NOT_ALLOWED, error::SCRIPT_WRONG_ARITY];
    !reply
        .error_text()
        .is_some_and(|e| refused.iter().any(|r| e.starts_with(r.trim_start_matches("ERR ")) || e.starts_with(r)))
}

/// Who sends a command: a client, a transaction's EXEC, a script through `redis.call`
/// (which Redis refuses some commands, and a read-only script every write), or the
/// server retrying a blocked client's command when a key it waits on changed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Caller {
    Client,
    Exec,
    Script { read_only: bool },
    Retry,
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
    call_serving(shared, st, sess, argv, (now, now_us), caller, dirty, &None)
}

/// [`call`], for a retry of a blocked command: `serving` is the key that became ready.
#[allow(clippy::too_many_arguments)]
pub(crate) fn call_serving(
    shared: &Shared,
    st: &mut State,
    sess: &mut Session,
    argv: &[Vec<u8>],
    (now, now_us): (i64, i64),
    caller: Caller,
    dirty: &mut Vec<(usize, Vec<u8>)>,
    serving: &Option<bytes::Bytes>,
) -> Reply {
    let p = shared.profile;
    // A client's command counts from when it reached the server (one clock read for both).
    let started = match caller {
        Caller::Client => sess.started.take().unwrap_or_else(|| shared.clock.tick()),
        _ => shared.clock.tick(),
    };
    // For commandstats: the command, and whether it ran (else it was refused before).
    let mut counted: Option<(&'static str, bool)> = None;
    let mut tally: Option<ReplyErrors> = None;
    let script = matches!(caller, Caller::Script { .. });
    let result = (|| -> CmdResult {
        let resolved = resolve_cached(&p, sess, argv);
        // As Redis's `c->lastcmd`: set at lookup, before any check (NULL when unknown).
        if caller == Caller::Client {
            if let Some(meta) = st.clients.get_mut(&sess.id) {
                let name = resolved.as_ref().map_or("NULL", |c| c.fullname);
                meta.last_cmd = name;
            }
        }
        let cmd = match resolved {
            Ok(c) => c,
            Err(_) if script => return Err(Reply::err(error::SCRIPT_UNKNOWN_COMMAND)),
            Err(e) => return Err(multi::flag(sess, e)),
        };
        counted = Some((cmd.fullname, false));
        if !cmd.arity_ok(&p, argv.len()) {
            if script {
                return Err(Reply::err(error::SCRIPT_WRONG_ARITY));
            }
            let e = Reply::err(error::wrong_arity(&p, cmd.fullname, argv.get(1).map(Vec::as_slice)));
            return Err(multi::reject(&p, st, sess, cmd, e));
        }
        if let Some(e) = protected_refusal(st, sess, cmd, &p) {
            return Err(multi::reject(&p, st, sess, cmd, Reply::err(e)));
        }
        if let Caller::Script { read_only } = caller {
            if !st.script_deny_disabled && cmd.flags_for(&p).iter().any(|f| f.eq_ignore_ascii_case("NOSCRIPT")) {
                return Err(Reply::err(error::SCRIPT_NOT_ALLOWED));
            }
            if let Some(d) = acl_denial(st, sess, cmd, argv, &p) {
                log_acl(shared, st, sess, argv, (now, now_us), caller, cmd, d);
                return Err(Reply::err_bytes(error::noperm_script(&p, d, sess.user.as_bytes(), cmd.fullname)));
            }
            if read_only && cmd.has_flag("WRITE") {
                return Err(Reply::err(error::SCRIPT_READ_ONLY));
            }
            if let Some((slot, cross_ok)) = sess.script_slot {
                let slots: Vec<u16> = crate::cmd::server::command::command_keys(&p, argv)
                    .iter()
                    .map(|k| crate::server::cluster::key_slot(k))
                    .collect();
                if slots.windows(2).any(|w| w[0] != w[1]) {
                    return Err(Reply::err(error::SCRIPT_NON_LOCAL_KEY));
                }
                if let (Some(&s), false) = (slots.first(), cross_ok) {
                    match slot {
                        Some(held) if held != s => return Err(Reply::err(error::SCRIPT_CROSS_SLOT)),
                        Some(_) => {}
                        None => sess.script_slot = Some((Some(s), false)),
                    }
                }
            }
        }
        if !sess.authenticated && !cmd.has_flag("NO_AUTH") && st.auth_required() {
            return Err(multi::reject(&p, st, sess, cmd, Reply::err(error::NOAUTH)));
        }
        if caller == Caller::Client {
            if sess.multi.is_some() && cmd.has_flag("NO_MULTI") && p.redis_at_least(7, 0) {
                return Err(multi::reject(&p, st, sess, cmd, Reply::err(error::NOT_IN_MULTI_CONTEXT)));
            }
            if let Some(d) = acl_denial(st, sess, cmd, argv, &p) {
                log_acl(shared, st, sess, argv, (now, now_us), caller, cmd, d);
                let e = Reply::err_bytes(error::noperm(&p, d, sess.user.as_bytes(), cmd.fullname));
                return Err(multi::reject(&p, st, sess, cmd, e));
            }
            if st.config.limits().cluster && cluster_crossed(sess, cmd, argv, &p) {
                if cmd.fullname == "exec" {
                    // Redirected, not rejected: the transaction goes, the error is as is.
                    sess.multi = None;
                    if let Some(me) = st.clients.get_mut(&sess.id) {
                        st.watches.unwatch_all(me);
                    }
                    return Err(Reply::err(error::CROSSSLOT));
                }
                return Err(multi::flag(sess, Reply::err(error::CROSSSLOT)));
            }
            if st.config.limits().maxmemory
                && !crate::server::evict::perform(st, now, dirty)
                && grows_memory(sess, cmd, &p)
            {
                return Err(multi::reject(&p, st, sess, cmd, Reply::err(error::OOM)));
            }
            if !enough_replicas(st) && writes(sess, cmd, &p) {
                return Err(multi::reject(&p, st, sess, cmd, Reply::err(error::NOREPLICAS)));
            }
            if sess.resp == 2 && st.clients.get(&sess.id).is_some_and(|m| m.subs.any()) && !cmd.allowed_subscribed() {
                let e = Reply::err(error::only_subscribe_commands(&p, cmd.fullname));
                return Err(multi::reject(&p, st, sess, cmd, e));
            }
            if sess.monitor && p.redis_at_least(7, 0) && touches_keyspace(cmd, &p) {
                return Err(multi::reject(&p, st, sess, cmd, Reply::err(error::REPLICA_KEYSPACE)));
            }
            if effects::paused(st, sess, cmd, argv, &p, now) {
                // Held back, unrun, until the pause ends (the front end runs it again then).
                sess.postponed = Some(argv.to_vec());
                counted = None;
                return Ok(Reply::NilArray);
            }
            if sess.multi.is_some() && !cmd.runs_in_multi() {
                multi::queue(st, sess, argv, &p);
                return Ok(Reply::simple("QUEUED"));
            }
        }
        if caller == Caller::Exec {
            if let Some(d) = acl_denial(st, sess, cmd, argv, &p) {
                log_acl(shared, st, sess, argv, (now, now_us), caller, cmd, d);
                return Err(Reply::err(error::noperm_exec(d)));
            }
        }
        counted = Some((cmd.fullname, true));
        let Some(run) = cmd.run else {
            // Arity and the grammar are checked all the same, so those errors are exact.
            let words = argv.get(if cmd.container.is_some() { 2 } else { 1 }..).unwrap_or(&[]);
            spec::grammar::parse(cmd, words, &p, st.dbs.len()).map_err(|e| arg_error(cmd, words, e, &p))?;
            return Err(Reply::err(error::not_implemented(cmd.fullname)));
        };
        let serving = serving.clone();
        let monitored = !st.monitors.is_empty() && caller != Caller::Retry && shown_to_monitors(cmd, &p);
        if !st.monitors.is_empty()
            && caller != Caller::Retry
            && cmd.group == "scripting"
            && cmd.fullname.starts_with(['e', 'f'])
        {
            // EVAL and FCALL are shown before the script runs, its commands after.
            effects::feed_monitors(st, now_us, sess.db, &monitor_addr(sess, caller), argv);
        }
        let no_touch = sess.no_touch && cmd.fullname != "touch";
        if no_touch {
            st.dbs.iter_mut().for_each(|d| d.no_touch = true);
        }
        let mut ctx = Ctx {
            shared,
            st: &mut *st,
            sess: &mut *sess,
            now,
            now_us,
            dirty: std::mem::take(dirty),
            caller,
            serving,
            argv,
            reply_errors: None,
        };
        let r = run(&mut ctx, argv);
        *dirty = std::mem::take(&mut ctx.dirty);
        tally = ctx.reply_errors.take();
        if no_touch {
            st.dbs.iter_mut().for_each(|d| d.no_touch = false);
        }
        if monitored {
            effects::feed_monitors(st, now_us, sess.db, &monitor_addr(sess, caller), argv);
        }
        remember_read_keys(st, sess, cmd, argv, caller, &p);
        if caller == Caller::Retry {
            // A retry that serves completes the call counted when the client blocked.
            counted = None;
        } else {
            // Counted like Redis: after the call, and only for commands that got to run.
            st.stats.commands_processed += 1;
        }
        r
    })();
    let reply = result.unwrap_or_else(|e| e);
    // One look at the clock for both the slow log and the command's statistics.
    let took_us = if counted.is_some() { shared.clock.elapsed_us(started) } else { 0 };
    if matches!(counted, Some((_, true))) && caller != Caller::Retry && sess.block.is_none() {
        log_if_slow(st, sess, argv, caller, took_us as i64, now, &p);
        if p.has_since((u16::MAX, 0), Some((8, 1))) {
            log_if_large(st, sess, argv, &reply, caller, now, &p);
        }
    }
    if let Some((name, ran)) = counted {
        let c = st.stats.commands.entry(name).or_default();
        if ran {
            c.record(took_us);
            c.failed += match &tally {
                // Redis: one for errors counted during the call, one per passed-through error.
                Some(t) => u64::from(!t.counted.is_empty()) + t.ignored,
                None => u64::from(reply.is_error()),
            };
        } else {
            c.rejected += 1;
        }
    }
    match tally {
        Some(t) => t.counted.iter().for_each(|e| count_error(st, &p, e)),
        None => {
            if let Reply::Error(e) = &reply {
                count_error(st, &p, e);
            }
        }
    }
    reply
}

/// SLOWLOG: a command that ran (a script's own commands from `?:0`, without a name).
fn log_if_slow(st: &mut State, sess: &Session, argv: &[Vec<u8>], caller: Caller, us: i64, now: i64, p: &Profile) {
    let (threshold, max) = crate::cmd::server::slowlog::Kind::Slow.params(st, p);
    if threshold < 0 || max == 0 || us < threshold {
        return;
    }
    if resolve(p, argv).is_ok_and(|c| c.has_flag("SKIP_SLOWLOG") || c.has_flag("SKIP_COMMANDLOG")) {
        return;
    }
    let (peer, name) = log_client(sess, caller);
    crate::cmd::server::slowlog::record(st, p, crate::cmd::server::slowlog::Kind::Slow, (argv, us), peer, name, now);
}

/// COMMANDLOG (Valkey 8.1): the request's and the reply's sizes in bytes.
fn log_if_large(
    st: &mut State,
    sess: &Session,
    argv: &[Vec<u8>],
    reply: &Reply,
    caller: Caller,
    now: i64,
    p: &Profile,
) {
    use crate::cmd::server::slowlog::{record, Kind};
    if resolve(p, argv).is_ok_and(|c| c.has_flag("SKIP_SLOWLOG") || c.has_flag("SKIP_COMMANDLOG")) {
        return;
    }
    let digits = |n: usize| n.to_string().len();
    let request = 3 + digits(argv.len()) + argv.iter().map(|a| 5 + digits(a.len()) + a.len()).sum::<usize>();
    let (peer, name) = log_client(sess, caller);
    record(st, p, Kind::LargeRequest, (argv, request as i64), peer, name, now);
    // The reply's bytes as the client's protocol encodes them (only when it may be large
    // enough: the estimate is within twice the threshold).
    let threshold = st.config.get_i64("commandlog-reply-larger-than");
    if threshold >= 0 && reply.wire_len() as i64 * 2 >= threshold {
        let mut out = Vec::new();
        crate::resp::encode(reply, sess.resp >= 3, &mut out);
        record(st, p, Kind::LargeReply, (argv, out.len() as i64), peer, name, now);
    }
}

fn log_client(sess: &Session, caller: Caller) -> (&str, &[u8]) {
    if matches!(caller, Caller::Script { .. }) {
        ("?:0", &[][..])
    } else {
        (sess.addr.as_str(), sess.name.as_slice())
    }
}

/// A write command, or EXEC of a transaction holding one.
fn writes(sess: &Session, cmd: &CommandSpec, p: &Profile) -> bool {
    if cmd.fullname == "exec" {
        return sess
            .multi
            .as_ref()
            .is_some_and(|m| m.queue.iter().any(|argv| resolve(p, argv).is_ok_and(|c| c.has_flag("WRITE"))));
    }
    cmd.has_flag("WRITE")
}

/// `checkGoodReplicasStatus` of a master without replicas: writes go only while
/// `min-replicas-to-write` or `min-replicas-max-lag` is 0.
fn enough_replicas(st: &State) -> bool {
    !st.config.limits().min_replicas
}

/// Whether a command may grow memory, for the OOM refusal: DENYOOM, EXEC of a transaction
/// holding one, or any command queued in MULTI (but DISCARD, QUIT and RESET).
fn grows_memory(sess: &Session, cmd: &CommandSpec, p: &Profile) -> bool {
    if sess.multi.is_some() && !matches!(cmd.fullname, "exec" | "discard" | "quit" | "reset") {
        return true;
    }
    if cmd.fullname == "exec" {
        return sess
            .multi
            .as_ref()
            .is_some_and(|m| m.queue.iter().any(|argv| resolve(p, argv).is_ok_and(|c| c.has_flag("DENYOOM"))));
    }
    cmd.has_flag("DENYOOM")
}

/// Cluster mode: whether the keys of `argv` (of EXEC: of the queued commands) are in
/// more than one slot (Redis's `getNodeByQuery`).
fn cluster_crossed(sess: &Session, cmd: &CommandSpec, argv: &[Vec<u8>], p: &Profile) -> bool {
    if cmd.fullname == "exec" {
        return sess
            .multi
            .as_ref()
            .is_some_and(|m| crate::server::cluster::cross_slot(p, m.queue.iter().map(Vec::as_slice)));
    }
    crate::server::cluster::cross_slot(p, [argv])
}

/// DEBUG and MODULE LOAD/UNLOAD (flag PROTECTED, 7.0+) while `enable-debug-command` or
/// `enable-module-command` is `no`, or `local` and the client is not on a loopback address.
fn protected_refusal(st: &State, sess: &Session, cmd: &CommandSpec, p: &Profile) -> Option<String> {
    if !p.redis_at_least(7, 0) || !cmd.flags_for(p).iter().any(|f| f.eq_ignore_ascii_case("PROTECTED")) {
        return None;
    }
    let (what, option) = match cmd.container.unwrap_or(cmd.name) {
        "debug" => ("DEBUG", "enable-debug-command"),
        "module" => ("MODULE", "enable-module-command"),
        _ => return None,
    };
    let local = sess.addr.starts_with("127.") || sess.addr.starts_with("[::1]") || sess.addr.starts_with("::1");
    match st.config.get(option) {
        "yes" => None,
        "local" if local => None,
        _ => Some(error::protected_command(what, option)),
    }
}

/// Why the client's user may not run `argv`, if it may not (no ACL state yet: the default
/// user may run everything).
fn acl_denial(
    st: &State,
    sess: &Session,
    cmd: &CommandSpec,
    argv: &[Vec<u8>],
    p: &Profile,
) -> Option<crate::acl::Denied> {
    st.acl.as_ref()?.check(sess.user.as_bytes(), cmd, argv, p).err()
}

/// An ACL refusal in ACL LOG.
#[allow(clippy::too_many_arguments)]
fn log_acl(
    shared: &Shared,
    st: &mut State,
    sess: &mut Session,
    argv: &[Vec<u8>],
    (now, now_us): (i64, i64),
    caller: Caller,
    cmd: &CommandSpec,
    d: crate::acl::Denied,
) {
    let name = if shared.profile.redis_at_least(7, 0) { cmd.fullname } else { cmd.container.unwrap_or(cmd.name) };
    let object = crate::cmd::acl::denied_object(d, name, argv);
    let user = sess.user.as_bytes().to_vec();
    let mut ctx =
        Ctx { shared, st, sess, now, now_us, dirty: Vec::new(), caller, serving: None, argv, reply_errors: None };
    let context = crate::cmd::acl::log_context(&ctx);
    crate::cmd::acl::log_denied(&mut ctx, d.reason(), context, object, user);
}

/// An error reply in INFO's counters: `total_error_replies`, and errorstats by Redis's key,
/// the first word if a space comes within 32 bytes.
fn count_error(st: &mut State, p: &Profile, e: &[u8]) {
    st.stats.total_error_replies += 1;
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

/// The error replies in a script's reply, as Redis counts them: `counted` (the script's
/// own error tables, anywhere in the reply) go to errorstats; `ignored` ones (a command's
/// error passed through, marked `ignore_error_stats_update`, counted when that command
/// failed) count only as the script command's failed calls.
#[derive(Debug, Default)]
pub struct ReplyErrors {
    pub counted: Vec<Vec<u8>>,
    pub ignored: u64,
}

/// CLIENT TRACKING (default mode): every key a read-only command names is remembered for
/// the client, even missing ones, unless OPTIN/OPTOUT and CLIENT CACHING say otherwise.
/// A script's reads: from 7.2 their own keys; up to 7.0 the script's declared keys, once it
/// ends (`script_read`).
fn remember_read_keys(
    st: &mut State,
    sess: &mut Session,
    cmd: &CommandSpec,
    argv: &[Vec<u8>],
    caller: Caller,
    p: &Profile,
) {
    let Some(t) = st.clients.get(&sess.id).and_then(|m| m.tracking.as_ref()) else { return };
    if t.bcast || (t.optin && !sess.caching) || (t.optout && sess.caching) {
        return;
    }
    let flags = cmd.flags_for(p);
    let has = |f: &str| flags.iter().any(|x| x.eq_ignore_ascii_case(f));
    let script_call = matches!(cmd.fullname, "eval" | "evalsha" | "fcall");
    let keys = if matches!(caller, Caller::Script { .. }) {
        if !has("READONLY") || has("PUBSUB") {
            return;
        }
        if !p.redis_at_least(7, 2) {
            sess.script_read = true;
            return;
        }
        crate::cmd::server::command::command_keys(p, argv)
    } else if script_call && !p.redis_at_least(7, 2) {
        if !std::mem::take(&mut sess.script_read) {
            return;
        }
        crate::cmd::server::command::command_keys(p, argv)
    } else {
        if !has("READONLY") || has("PUBSUB") || matches!(cmd.fullname, "eval_ro" | "evalsha_ro" | "fcall_ro") {
            return;
        }
        crate::cmd::server::command::command_keys(p, argv)
    };
    for k in keys {
        st.tracking.remember(sess.id, &k);
    }
}

/// Whether MONITOR shows `cmd` (admin commands and those that feed themselves are not).
fn shown_to_monitors(cmd: &CommandSpec, p: &Profile) -> bool {
    !cmd.flags_for(p).iter().any(|f| f.eq_ignore_ascii_case("ADMIN") || f.eq_ignore_ascii_case("SKIP_MONITOR"))
}

/// Who MONITOR says sent a command: the client's address, or `lua` for a script's.
fn monitor_addr(sess: &Session, caller: Caller) -> String {
    match caller {
        Caller::Script { .. } => "lua".to_string(),
        _ => sess.addr.clone(),
    }
}

/// Whether a MONITOR (a replica, to Redis 7.0+) is refused `cmd`: reads, writes and
/// commands that may replicate.
fn touches_keyspace(cmd: &CommandSpec, p: &Profile) -> bool {
    cmd.flags_for(p).iter().any(|f| ["READONLY", "WRITE", "MAY_REPLICATE"].iter().any(|x| f.eq_ignore_ascii_case(x)))
}

/// The error reply for a parse failure of `cmd`'s arguments, the words of `argv` from
/// `skip` on. A syntax text with `{sub}` names the subcommand as typed (up to 128 bytes).
pub fn arg_error_at(cmd: &CommandSpec, argv: &[Vec<u8>], skip: usize, e: ArgError, p: &Profile) -> Reply {
    let words = argv.get(skip..).unwrap_or(&[]);
    let t = cmd.errors.syntax;
    if t.contains("{sub}") && matches!(e, ArgError::Syntax { .. } | ArgError::Conflict { .. }) {
        let sub = argv.get(1).map_or(&[][..], |s| &s[..s.len().min(128)]);
        let (head, tail) = t.split_once("{sub}").unwrap_or((t, ""));
        return Reply::err_bytes(error::sanitize_bytes([head.as_bytes(), sub, tail.as_bytes()].concat()));
    }
    arg_error(cmd, words, e, p)
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
