//! MULTI's bookkeeping in the dispatcher: a command refused while a transaction is being
//! queued makes its EXEC fail with EXECABORT (Redis's `flagTransaction`).

use crate::error;
use crate::reply::Reply;
use crate::server::{Session, State};
use crate::spec::{CommandSpec, Profile, ServerKind};

/// Passes `e` through, marking the transaction being queued (if any) as failed.
pub fn flag(sess: &mut Session, e: Reply) -> Reply {
    if let Some(m) = &mut sess.multi {
        m.failed = true;
    }
    e
}

/// A refusal of `cmd` before it ran: EXEC's own refusal (its arity, NOAUTH, subscribed
/// mode) discards the transaction, in MULTI or not, and says why; any other marks it.
pub fn reject(p: &Profile, st: &mut State, sess: &mut Session, cmd: &CommandSpec, e: Reply) -> Reply {
    if cmd.fullname != "exec" || p.is(ServerKind::Dragonfly) {
        return flag(sess, e);
    }
    sess.multi = None;
    if let Some(me) = st.clients.get_mut(&sess.id) {
        st.watches.unwatch_all(me);
    }
    let Reply::Error(text) = &e else { return e };
    Reply::err_bytes(error::execabort_because(text))
}

/// Queues `argv` in the client's transaction. From 7.0 a transaction that will fail
/// anyway (refused command, changed watched key) stores nothing more.
pub fn queue(st: &State, sess: &mut Session, argv: &[Vec<u8>], p: &Profile) {
    let dirty = st.clients.get(&sess.id).is_some_and(|m| m.dirty_cas);
    let Some(m) = &mut sess.multi else { return };
    if p.redis_at_least(7, 0) && (m.failed || dirty) {
        return;
    }
    m.queue.push(argv.to_vec());
}
