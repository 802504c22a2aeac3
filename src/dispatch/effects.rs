//! What a command's writes set off between clients, in one place: after every command
//! (a transaction and a script count as one), the keys it wrote and the keys lazy expiry
//! deleted fail the EXEC of the clients watching them, and wake the clients blocked on
//! them; the server's own cycle (active expiry, blocked clients' timeouts) runs here too.

use bytes::Bytes;

use super::{call_serving, Caller};
use crate::server::blocking::{BlockOn, Blocked};
use crate::server::{notify, tracking, Frame, Session, Shared, State};

/// How often (in server-clock ms) the active expiry cycle runs.
const ACTIVE_EXPIRE_EVERY_MS: i64 = 100;

/// The periodic work a command's arrival gives a chance to: active expiry every 100 ms of
/// server time (or when the clock went back), and the blocked clients whose time is up.
pub fn cron(shared: &Shared, st: &mut State, now: i64) {
    st.clock_ms = now;
    if now - st.clock_synced_ms >= 1000 || now < st.clock_synced_ms {
        shared.clock.resync();
        st.clock_synced_ms = now;
    }
    if st.pause.is_some_and(|p| now >= p.until) {
        end_pause(st);
    }
    if now - st.last_active_expire_ms >= ACTIVE_EXPIRE_EVERY_MS || now < st.last_active_expire_ms {
        active_expire(shared, st, now);
    }
    expire_waiters(shared, st, now);
    tracking::broadcast(st);
    close_overflowed(st);
}

/// Forgets the clients closed for passing their output-buffer limit (their subscriptions,
/// their place among monitors and waiters): the next publish no longer counts them.
pub fn close_overflowed(st: &mut State) {
    for id in std::mem::take(&mut st.overflowed) {
        forget_client(st, id);
    }
}

/// Ends CLIENT PAUSE: the clients it held back are woken to run their commands.
pub fn end_pause(st: &mut State) {
    st.pause = None;
    for m in st.clients.values_mut().filter(|m| m.postponed) {
        m.signal.notify();
    }
}

/// Whether CLIENT PAUSE holds back `cmd` of the client of `sess` now: every command
/// under ALL, under WRITE the ones that write or may replicate (EXEC: its queue's). A
/// MONITOR is never paused.
pub fn paused(
    st: &State,
    sess: &Session,
    cmd: &crate::spec::CommandSpec,
    argv: &[Vec<u8>],
    p: &crate::spec::Profile,
    now: i64,
) -> bool {
    let Some(pause) = st.pause else { return false };
    if now >= pause.until || sess.monitor {
        return false;
    }
    pause.all
        || script_writes(st, cmd, argv).unwrap_or_else(|| writes(cmd, p))
        || (cmd.fullname == "exec" && sess.multi.as_ref().is_some_and(|m| queue_writes(&m.queue, p)))
}

/// For EVAL and FCALL of a script whose flags are known (a shebang, a cached script's, a
/// loaded function's), whether it may write: Redis replaces the command's own flags by
/// the script's (`scriptFlagsToCmdFlags`), so a `no-writes` script runs during CLIENT
/// PAUSE WRITE.
fn script_writes(st: &State, cmd: &crate::spec::CommandSpec, argv: &[Vec<u8>]) -> Option<bool> {
    #[cfg(feature = "lua")]
    {
        let s = st.scripts.as_ref()?;
        s.command_writes(cmd.fullname, argv)
    }
    #[cfg(not(feature = "lua"))]
    {
        let _ = (st, cmd, argv);
        None
    }
}

fn writes(cmd: &crate::spec::CommandSpec, p: &crate::spec::Profile) -> bool {
    cmd.flags_for(p).iter().any(|f| f.eq_ignore_ascii_case("WRITE") || f.eq_ignore_ascii_case("MAY_REPLICATE"))
}

fn queue_writes(queue: &[Vec<Vec<u8>>], p: &crate::spec::Profile) -> bool {
    queue.iter().any(|argv| super::resolve(p, argv).is_ok_and(|c| writes(c, p)))
}

/// MONITOR's line for a command (`caller_addr`: the client's address, or `lua`), sent to
/// every monitor: `+<sec>.<usec> [<db> <addr>] "arg" ...`, arguments escaped as Redis's
/// `sdscatrepr`, passwords redacted.
pub fn feed_monitors(st: &mut State, now_us: i64, db: usize, caller_addr: &str, argv: &[Vec<u8>]) {
    let current = st.current;
    if st.monitors.is_empty() {
        return;
    }
    let mut line = format!("{}.{:06} [{db} {caller_addr}]", now_us.div_euclid(1_000_000), now_us.rem_euclid(1_000_000));
    let redacted = redactions(argv);
    for (i, a) in argv.iter().enumerate() {
        line.push(' ');
        if redacted.contains(&i) {
            line.push_str("\"(redacted)\"");
        } else {
            line.push_str(&repr(a));
        }
    }
    let now = st.clock_ms;
    for id in st.monitors.clone() {
        if let Some(m) = st.clients.get_mut(&id) {
            let line = crate::reply::Reply::Simple(line.clone().into());
            if id == current {
                m.after_reply.push(Frame::Push(line)); // its own command: after the reply
            } else if m.push(line, now) {
                st.overflowed.push(id);
            }
        }
    }
}

/// Redis's `sdscatrepr`: a double-quoted string, `\\ \" \n \r \t \a \b` escaped,
/// printable ASCII as is, any other byte as `\xhh`.
fn repr(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() + 2);
    out.push('"');
    for &b in data {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// The arguments MONITOR shows as `(redacted)`: AUTH's, HELLO's after AUTH, MIGRATE's
/// after AUTH/AUTH2.
fn redactions(argv: &[Vec<u8>]) -> Vec<usize> {
    let name = argv.first().map(|n| n.to_ascii_lowercase()).unwrap_or_default();
    match name.as_slice() {
        b"auth" => (1..argv.len()).collect(),
        b"hello" => {
            argv.iter().position(|a| a.eq_ignore_ascii_case(b"auth")).map(|i| vec![i + 1, i + 2]).unwrap_or_default()
        }
        b"migrate" => argv
            .iter()
            .enumerate()
            .filter(|(_, a)| a.eq_ignore_ascii_case(b"auth") || a.eq_ignore_ascii_case(b"auth2"))
            .flat_map(|(i, a)| if a.eq_ignore_ascii_case(b"auth2") { vec![i + 1, i + 2] } else { vec![i + 1] })
            .collect(),
        _ => Vec::new(),
    }
}

/// The active expiry cycle: deletes every expired key and field, with the effects of those
/// deletions.
pub fn active_expire(shared: &Shared, st: &mut State, now: i64) {
    st.active_expire(now);
    let mut dirty = Vec::new();
    after_command(shared, st, &mut dirty, now);
}

/// After a command: the keys it wrote (`dirty`, drained) and the keys expiry deleted touch
/// their watchers, and the clients blocked on them are served.
pub fn after_command(shared: &Shared, st: &mut State, dirty: &mut Vec<(usize, Vec<u8>)>, now: i64) {
    st.stats.changes_since_save += dirty.len() as u64;
    collect_logs(st);
    if st.config.limits().maxmemory {
        for (db, key) in dirty.iter() {
            st.dbs[*db].remeasure(key);
        }
    }
    let signaled = std::mem::take(&mut st.signaled);
    if dirty.is_empty() {
        if !signaled.is_empty() {
            serve_ready(shared, st, signaled, now);
        }
        return;
    }
    if !st.watches.is_empty() {
        for (db, key) in dirty.iter() {
            let gone = st.dbs[*db].get_live(key, now).is_none();
            st.watches.touch(&mut st.clients, *db, key, gone);
        }
    }
    let by = (st.current != 0).then_some(st.current);
    for (_, key) in dirty.iter() {
        tracking::invalidate(st, key, by);
    }
    if !st.waiters.is_empty() {
        let mut ready: Vec<(usize, Bytes)> = dirty
            .iter()
            .filter(|(db, k)| st.waiters.has_key(*db, k))
            .map(|(db, k)| (*db, Bytes::copy_from_slice(k)))
            .collect();
        ready.extend(signaled);
        dirty.clear();
        serve_ready(shared, st, ready, now);
    }
    dirty.clear();
}

/// Collects what the databases did on their own since the last time, in order: expired
/// keys count, touch their watchers and publish `expired`; created keys publish `new`;
/// hash fields expired by the active cycle publish `hexpired` (and `del` for a hash they
/// emptied).
pub fn collect_logs(st: &mut State) {
    use crate::db::KeyEvent;
    use crate::server::config::{NOTIFY_EXPIRED, NOTIFY_GENERIC, NOTIFY_HASH, NOTIFY_NEW};
    if !st.logs_pending.swap(false, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    for db in 0..st.dbs.len() {
        if !st.dbs[db].has_log() {
            continue;
        }
        for (event, k) in st.dbs[db].take_log() {
            match event {
                KeyEvent::Expired => {
                    st.stats.expired_keys += 1;
                    st.watches.touch(&mut st.clients, db, &k, true);
                    let by = (st.current != 0).then_some(st.current);
                    tracking::invalidate(st, &k, by);
                    notify::publish(st, db, NOTIFY_EXPIRED, "expired", &k);
                }
                KeyEvent::New => notify::publish(st, db, NOTIFY_NEW, "new", &k),
                KeyEvent::FieldsExpired(_) => {
                    st.watches.touch(&mut st.clients, db, &k, false);
                    tracking::invalidate(st, &k, None);
                    notify::publish(st, db, NOTIFY_HASH, "hexpired", &k);
                }
                KeyEvent::Deleted => notify::publish(st, db, NOTIFY_GENERIC, "del", &k),
            }
        }
    }
}

/// After CONFIG SET: whether the databases log key creations (the `new` event).
pub fn config_changed(st: &mut State, p: &crate::spec::Profile, names: &[&[u8]]) {
    if names.iter().any(|n| n.eq_ignore_ascii_case(b"requirepass")) {
        let pass = st.config.get("requirepass").as_bytes().to_vec();
        st.acl_mut(p).set_requirepass(&pass);
        acl_changed(st);
    }
    let resized = names.iter().any(|n| n.eq_ignore_ascii_case(b"databases"));
    if resized {
        let n = st.config.get("databases").trim().parse::<usize>().unwrap_or(crate::server::DATABASES);
        let flag = st.logs_pending.clone();
        st.dbs.resize_with(n.clamp(1, crate::server::MAX_DATABASES), || crate::db::Db::with_flag(flag.clone()));
    }
    let sizing = [&b"maxmemory"[..], b"list-max-listpack-size", b"list-max-ziplist-size", b"stream-node-max-bytes"];
    if resized || names.iter().any(|n| sizing.iter().any(|s| n.eq_ignore_ascii_case(s))) {
        crate::server::evict::configure(st);
    }
    if resized || names.iter().any(|n| n.eq_ignore_ascii_case(b"cluster-enabled")) {
        crate::server::evict::configure_cluster(st);
    }
    let lfu = [&b"maxmemory-policy"[..], b"lfu-log-factor", b"lfu-decay-time"];
    if resized || names.iter().any(|n| lfu.iter().any(|s| n.eq_ignore_ascii_case(s))) {
        crate::server::evict::configure_lfu(st);
    }
    let on = st.config.notify_flags() & crate::server::config::NOTIFY_NEW != 0 && notify::enabled(st);
    for db in &mut st.dbs {
        db.log_new = on;
    }
}

/// After the users changed: whether new and unauthenticated connections must log in.
pub fn acl_changed(st: &mut State) {
    let required = st.auth_required();
    st.config.set_auth_required(required);
}

/// Serves the clients blocked on the `ready` keys, each key's waiters in the order they
/// blocked, for as long as the key can serve them. Keys a served command writes (BLMOVE's
/// destination) become ready in turn.
fn serve_ready(shared: &Shared, st: &mut State, ready: Vec<(usize, Bytes)>, now: i64) {
    let mut queue: std::collections::VecDeque<(usize, Bytes)> = ready.into();
    let mut seen = std::collections::HashSet::new();
    while let Some(key) = queue.pop_front() {
        if !seen.insert(key.clone()) {
            continue;
        }
        for id in st.waiters.on_key(&key) {
            let Some(b) = st.clients.get_mut(&id).and_then(|m| m.blocked.take()) else { continue };
            let mut sess = b.sess.clone();
            let mut dirty = Vec::new();
            let serving = Some(key.1.clone());
            let reply =
                call_serving(shared, st, &mut sess, &b.argv, (now, now * 1000), Caller::Retry, &mut dirty, &serving);
            if let Some(again) = sess.block.take() {
                // Not served after all: it keeps its place (with CLAIM's new retry time).
                let mut b = b;
                if again.retry_at != b.retry_at {
                    st.waiters.remove(id, &b);
                    b.retry_at = again.retry_at;
                    st.waiters.add(id, &b);
                }
                if let Some(m) = st.clients.get_mut(&id) {
                    m.blocked = Some(b);
                }
                continue;
            }
            st.waiters.remove(id, &b);
            if let Some(m) = st.clients.get_mut(&id) {
                m.send(Frame::Reply(reply));
            }
            st.stats.changes_since_save += dirty.len() as u64;
            for (db, k) in dirty {
                let gone = st.dbs[db].get_live(&k, now).is_none();
                st.watches.touch(&mut st.clients, db, &k, gone);
                let k = Bytes::from(k);
                seen.remove(&(db, k.clone()));
                queue.push_back((db, k));
            }
        }
    }
}

/// Registers the client of `sess` as blocked on what its command asked for.
pub fn block(st: &mut State, sess: &Session, argv: &[Vec<u8>], on: BlockOn, now: i64) {
    let db = sess.db;
    let deadline = (on.timeout_ms > 0).then(|| now.saturating_add(on.timeout_ms));
    let b = Blocked {
        keys: on.keys.into_iter().map(|k| (db, k)).collect(),
        deadline,
        argv: on.argv.unwrap_or_else(|| argv.to_vec()),
        sess: sess.clone(),
        on_timeout: on.on_timeout,
        retry_at: on.retry_at,
    };
    st.waiters.add(sess.id, &b);
    if let Some(m) = st.clients.get_mut(&sess.id) {
        m.blocked = Some(Box::new(b));
    }
}

/// Answers the blocked client `id` with `reply` (a timeout's, CLIENT UNBLOCK's); false if
/// it was not blocked.
pub fn unblock(st: &mut State, id: u64, reply: Option<crate::reply::Reply>) -> bool {
    let Some(m) = st.clients.get_mut(&id) else { return false };
    let Some(b) = m.blocked.take() else { return false };
    m.send(Frame::Reply(reply.unwrap_or_else(|| b.on_timeout.clone())));
    st.waiters.remove(id, &b);
    true
}

/// Times out every blocked client whose deadline is past at `now`, then runs again the
/// commands whose retry time is past (their keys count as ready, as Redis signals them).
pub fn expire_waiters(shared: &Shared, st: &mut State, now: i64) {
    if st.waiters.is_empty() {
        return;
    }
    for id in st.waiters.due(now) {
        unblock(st, id, None);
    }
    let mut ready = Vec::new();
    for id in st.waiters.retries_due(now) {
        let Some(b) = st.clients.get_mut(&id).and_then(|m| m.blocked.as_mut()) else { continue };
        let old = (**b).clone();
        b.retry_at = None;
        ready.extend(old.keys.iter().cloned());
        st.waiters.remove(id, &old);
        if let Some(b) = st.clients.get(&id).and_then(|m| m.blocked.as_deref()) {
            st.waiters.add(id, b);
        }
    }
    if !ready.is_empty() {
        serve_ready(shared, st, ready, now);
    }
}

/// Drops everything the server holds for a client that is going away.
pub fn forget_client(st: &mut State, id: u64) {
    let Some(mut m) = st.clients.remove(&id) else { return };
    st.monitors.retain(|&c| c != id);
    if let Some(b) = m.blocked.take() {
        st.waiters.remove(id, &b);
    }
    st.pubsub.forget(&mut m);
    st.watches.unwatch_all(&mut m);
    if let Some(t) = m.tracking.take() {
        st.tracking.forget_prefixes(id, &t.prefixes);
    }
}

/// Before the databases `db` (and `other`, for SWAPDB) are emptied or swapped: the keys of
/// `db` watched by someone that exist in either (FLUSHDB, FLUSHALL, SWAPDB) fail their EXEC.
pub fn touch_watched_in_db(st: &mut State, db: usize, other: Option<usize>) {
    if st.watches.is_empty() {
        return;
    }
    for key in st.watches.keys_in(db) {
        if st.dbs[db].holds(&key) || other.is_some_and(|o| st.dbs[o].holds(&key)) {
            st.watches.touch(&mut st.clients, db, &key, true);
        }
    }
}

/// After SWAPDB: the keys clients wait on in either database may serve them now.
pub fn waited_keys_ready(st: &State, dbs: [usize; 2], dirty: &mut Vec<(usize, Vec<u8>)>) {
    for db in dbs {
        dirty.extend(st.waiters.keys_in(db).into_iter().map(|k| (db, k.to_vec())));
    }
}
