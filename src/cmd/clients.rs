//! Managing other connections (spec group `connection`): CLIENT KILL, PAUSE, UNPAUSE,
//! UNBLOCK, REPLY, NO-EVICT, NO-TOUCH, and MONITOR (group `server`).

use crate::dispatch::effects;
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::{Ctx, Pause};
use crate::spec::generated::*;
use crate::spec::grammar::parse_i64;

/// CLIENT KILL ip:port, or CLIENT KILL <filter value> ... (overlay `walk`): the old form
/// answers OK or "No such client"; the new one reads its pairs left to right (stopping at
/// the first bad one) and answers how many clients it closed. A client closing itself gets
/// its reply, then the connection closes.
pub fn client_kill(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let p = ctx.profile();
    if let [addr] = words {
        let victims: Vec<u64> =
            ctx.st.clients.values().filter(|m| m.addr.as_bytes() == addr.as_slice()).map(|m| m.id).collect();
        if victims.is_empty() {
            return Err(Reply::err(error::NO_SUCH_CLIENT));
        }
        kill(ctx, &victims);
        return Ok(Reply::OK);
    }
    let mut f = Filter { skipme: true, ..Filter::default() };
    let mut pairs = words.chunks(2);
    for pair in pairs.by_ref() {
        let [opt, v] = pair else { return Err(Reply::err(error::SYNTAX)) };
        let opt = opt.to_ascii_lowercase();
        match opt.as_slice() {
            b"id" => {
                let id = parse_i64(v).filter(|&n| n >= 1).ok_or(Reply::err(error::CLIENT_ID_GT0))?;
                f.id = Some(id as u64);
            }
            b"type" => f.pubsub = Some(crate::cmd::connection::client_type_filter(ctx, v)?),
            b"user" => {
                let p = ctx.profile();
                if ctx.st.acl_mut(&p).user(v).is_none() {
                    return Err(Reply::err_bytes(error::no_such_user(v)));
                }
                f.user = Some(v.clone());
            }
            b"addr" => f.addr = Some(v.clone()),
            b"laddr" => f.laddr = Some(v.clone()),
            b"skipme" if v.eq_ignore_ascii_case(b"yes") => f.skipme = true,
            b"skipme" if v.eq_ignore_ascii_case(b"no") => f.skipme = false,
            b"maxage" if p.redis_at_least(7, 4) => {
                let n = parse_i64(v).ok_or(Reply::err(error::MAXAGE_NOT_INTEGER))?;
                if n <= 0 {
                    return Err(Reply::err(error::MAXAGE_GT0));
                }
                f.maxage = Some(n);
            }
            _ => return Err(Reply::err(error::SYNTAX)),
        }
    }
    let (me, now) = (ctx.sess.id, ctx.now);
    let victims: Vec<u64> = ctx
        .st
        .clients
        .values()
        .filter(|m| {
            !(f.skipme && m.id == me)
                && f.id.is_none_or(|id| m.id == id)
                && f.pubsub.is_none_or(|p| p == Some(m.subs.any()))
                && f.user.as_ref().is_none_or(|u| m.user.as_bytes() == u.as_slice())
                && f.addr.as_ref().is_none_or(|a| m.addr.as_bytes() == a.as_slice())
                && f.laddr.as_ref().is_none_or(|a| m.laddr.as_bytes() == a.as_slice())
                && f.maxage.is_none_or(|age| (now - m.created_ms) / 1000 >= age)
        })
        .map(|m| m.id)
        .collect();
    kill(ctx, &victims);
    Ok(Reply::Int(victims.len() as i64))
}

#[derive(Default)]
struct Filter {
    id: Option<u64>,
    /// `Some(None)`: a kind the fake has no clients of.
    pubsub: Option<Option<bool>>,
    user: Option<Vec<u8>>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    skipme: bool,
    maxage: Option<i64>,
}

/// Closes the clients `ids`: they are gone from the server at once (their connection
/// finds out at its next turn); the caller among them closes after its reply.
pub(crate) fn kill(ctx: &mut Ctx<'_>, ids: &[u64]) {
    for &id in ids {
        if id == ctx.sess.id {
            ctx.sess.closing = true;
            continue;
        }
        if let Some(m) = ctx.st.clients.get(&id) {
            m.signal.notify();
        }
        effects::forget_client(ctx.st, id);
    }
}

/// CLIENT PAUSE timeout [WRITE|ALL] (overlay `walk`): the mode is read before the timeout.
/// Pauses combine: the stricter mode and the later end win.
pub fn client_pause(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let all = match words {
        [_] => true,
        [_, m] if m.eq_ignore_ascii_case(b"all") => true,
        [_, m] if m.eq_ignore_ascii_case(b"write") => false,
        [_, _] => return Err(Reply::err(error::PAUSE_MODE)),
        _ => return Err(Reply::err_bytes(error::subcommand_syntax("CLIENT", &ctx.argv[1]))),
    };
    let ms = parse_i64(&words[0]).ok_or(Reply::err(error::TIMEOUT_NOT_INTEGER))?;
    if ms < 0 {
        return Err(Reply::err(error::TIMEOUT_NEGATIVE));
    }
    let until = ctx.now.saturating_add(ms);
    let pause = match ctx.st.pause {
        Some(old) => Pause { all: old.all || all, until: old.until.max(until) },
        None => Pause { all, until },
    };
    ctx.st.pause = Some(pause);
    Ok(Reply::OK)
}

/// CLIENT UNPAUSE: the paused clients run their commands, first paused first.
pub fn client_unpause(ctx: &mut Ctx<'_>, _a: ClientUnpause) -> CmdResult {
    effects::end_pause(ctx.st);
    Ok(Reply::OK)
}

/// CLIENT REPLY ON|OFF|SKIP: OFF and SKIP answer nothing themselves; SKIP silences the
/// next command (unless OFF is on). Only what the connection writes changes: an embedded
/// client's calls still return their replies.
pub fn client_reply(ctx: &mut Ctx<'_>, a: ClientReply) -> CmdResult {
    let r = &mut ctx.sess.reply;
    match a.action {
        ClientReplyAction::On => {
            r.off = false;
            r.skip = false;
            return Ok(Reply::OK);
        }
        ClientReplyAction::Off => r.off = true,
        ClientReplyAction::Skip => r.skip_next |= !r.off,
    }
    r.silent = true;
    Ok(Reply::OK)
}

/// CLIENT NO-EVICT ON|OFF.
pub fn client_no_evict(ctx: &mut Ctx<'_>, a: ClientNoEvict) -> CmdResult {
    ctx.sess.no_evict = matches!(a.enabled, ClientNoEvictEnabled::On);
    Ok(Reply::OK)
}

/// CLIENT NO-TOUCH ON|OFF (7.2+): this client's lookups leave keys' access times alone
/// (TOUCH itself still touches).
pub fn client_no_touch(ctx: &mut Ctx<'_>, a: ClientNoTouch) -> CmdResult {
    ctx.sess.no_touch = matches!(a.enabled, ClientNoTouchEnabled::On);
    Ok(Reply::OK)
}

/// MONITOR: from now on every command any client runs comes to this connection as a line
/// (`dispatch::effects::feed_monitors`). A second MONITOR answers nothing.
pub fn monitor(ctx: &mut Ctx<'_>, _a: Monitor) -> CmdResult {
    if ctx.caller == crate::dispatch::Caller::Exec {
        return Err(Reply::err(error::MONITOR_DENY_BLOCKING));
    }
    if ctx.sess.monitor {
        ctx.sess.reply.silent = true;
        return Ok(Reply::OK);
    }
    ctx.sess.monitor = true;
    ctx.st.monitors.push(ctx.sess.id);
    Ok(Reply::OK)
}
/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR] (overlay `walk`): the reason is read before the
/// id. 1 if the client was blocked (it gets its timeout reply, or the UNBLOCKED error), else 0.
pub fn client_unblock(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let as_error = match words {
        [_] => false,
        [_, r] if r.eq_ignore_ascii_case(b"timeout") => false,
        [_, r] if r.eq_ignore_ascii_case(b"error") => true,
        [_, _] => return Err(Reply::err(error::UNBLOCK_REASON)),
        _ => return Err(Reply::err_bytes(error::subcommand_syntax("CLIENT", &ctx.argv[1]))),
    };
    let id = crate::spec::grammar::parse_i64(&words[0]).ok_or(Reply::err(error::NOT_INTEGER))?;
    let reply = as_error.then(|| Reply::err(error::UNBLOCKED));
    let done = u64::try_from(id).is_ok_and(|id| crate::dispatch::effects::unblock(ctx.st, id, reply));
    Ok(Reply::Int(i64::from(done)))
}
