//! Transactions (spec group `transactions`): MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! The dispatcher queues a client's commands while its session is in MULTI (refusals at
//! queue time mark the transaction failed); EXEC runs the queue here, each command through
//! the dispatcher as `Caller::Exec`. Its writes take effect for other clients (WATCH,
//! blocked clients) when EXEC ends.

use crate::dispatch::{self, Caller};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::{Ctx, Multi as Queue};
use crate::spec::generated::*;

/// MULTI: starts queueing.
pub fn multi(ctx: &mut Ctx<'_>, _a: Multi) -> CmdResult {
    if ctx.sess.multi.is_some() {
        return Err(Reply::err(error::MULTI_NESTED));
    }
    ctx.sess.multi = Some(Queue::default());
    Ok(Reply::OK)
}

/// DISCARD: drops the queue and the watched keys.
pub fn discard(ctx: &mut Ctx<'_>, _a: Discard) -> CmdResult {
    if ctx.sess.multi.take().is_none() {
        return Err(Reply::err(error::DISCARD_WITHOUT_MULTI));
    }
    unwatch_all(ctx);
    Ok(Reply::OK)
}

fn unwatch_all(ctx: &mut Ctx<'_>) {
    let st = &mut *ctx.st;
    if let Some(me) = st.clients.get_mut(&ctx.sess.id) {
        st.watches.unwatch_all(me);
    }
}

/// EXEC: EXECABORT if a command was refused while queueing, a null array if a watched key
/// changed (or expired, from 7.0), else every queued command's reply.
pub fn exec(ctx: &mut Ctx<'_>, _a: Exec) -> CmdResult {
    let Some(queue) = ctx.sess.multi.take() else { return Err(Reply::err(error::EXEC_WITHOUT_MULTI)) };
    let now = ctx.now;
    let expired = ctx
        .st
        .clients
        .get(&ctx.sess.id)
        .is_some_and(|me| me.watching.iter().any(|w| !w.expired && ctx.st.dbs[w.db].is_stale(&w.key, now)));
    let changed = expired || ctx.st.clients.get(&ctx.sess.id).is_some_and(|me| me.dirty_cas);
    unwatch_all(ctx);
    if queue.failed {
        return Err(Reply::err(error::EXECABORT));
    }
    if changed {
        return Ok(Reply::NilArray);
    }
    let mut replies = Vec::with_capacity(queue.queue.len());
    ctx.sess.in_exec = Some(queue.queue.len() as i64);
    for argv in &queue.queue {
        let (shared, st, sess) = (ctx.shared, &mut *ctx.st, &mut *ctx.sess);
        replies.push(dispatch::call(shared, st, sess, argv, (now, ctx.now_us), Caller::Exec, &mut ctx.dirty));
    }
    ctx.sess.in_exec = None;
    Ok(Reply::Array(replies))
}

/// WATCH key [key ...]: EXEC fails if one of them changes first.
pub fn watch(ctx: &mut Ctx<'_>, a: Watch<'_>) -> CmdResult {
    if ctx.sess.multi.is_some() {
        return Err(Reply::err(error::WATCH_IN_MULTI));
    }
    let (now, db) = (ctx.now, ctx.sess.db);
    // Up to 6.2 a key already expired when watched still fails EXEC.
    let stale_counts = ctx.profile().redis_at_least(7, 0);
    let st = &mut *ctx.st;
    if let Some(me) = st.clients.get_mut(&ctx.sess.id) {
        if me.dirty_cas && stale_counts {
            // Already bound to fail: nothing more is recorded (7.0+).
            return Ok(Reply::OK);
        }
        for key in &a.key {
            let expired = stale_counts && st.dbs[db].is_stale(key, now);
            st.watches.watch(me, db, key, expired);
        }
    }
    Ok(Reply::OK)
}

/// UNWATCH.
pub fn unwatch(ctx: &mut Ctx<'_>, _a: Unwatch) -> CmdResult {
    unwatch_all(ctx);
    Ok(Reply::OK)
}
