//! XREAD and XREADGROUP. With nothing to serve and BLOCK given, the client waits on every
//! stream key; the retry (`Caller::Retry`) reruns the command with `$` resolved to the ID
//! it stood for at block time. Up to Redis 7.0 a retry serves the key that became ready
//! only, at most COUNT (1000 without COUNT) entries, and a reader of a group that went away
//! (or, from 7.0, whose key did) is answered an error; from 7.2 the whole command runs
//! again. Redis 7.4 and Valkey 8.0 add the `+` ID (the last entry) and read without
//! blocking in scripts.

use bytes::Bytes;

use crate::cmd::Look;
use crate::db::StreamId;
use crate::dispatch::Caller;
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::config::NOTIFY_STREAM;
use crate::server::Ctx;

use super::{bytes, entry_reply, long, long_or, no_key_or_group, strict_id};

/// Entries served to a retry without COUNT, up to Redis 7.0.
const BLOCKED_DEFAULT_COUNT: usize = 1000;

struct ReadArgs<'w> {
    count: usize,
    /// XREADGROUP CLAIM's min-idle-time (Redis 8.4).
    claim: Option<i64>,
    block: Option<i64>,
    group: Option<(&'w [u8], &'w [u8])>,
    noack: bool,
    /// Index of the first key in `words`.
    streams_at: usize,
}

fn read_args<'w>(ctx: &Ctx<'_>, words: &'w [Vec<u8>], xreadgroup: bool) -> Result<ReadArgs<'w>, Reply> {
    let mut a = ReadArgs { count: 0, claim: None, block: None, group: None, noack: false, streams_at: 0 };
    let p = ctx.profile();
    let has_claim = p.is(crate::spec::ServerKind::Redis) && p.redis_at_least(8, 4);
    let mut i = 0;
    while i < words.len() {
        let more = words.len() - 1 - i;
        let is = |name: &[u8]| words[i].eq_ignore_ascii_case(name);
        if has_claim && is(b"CLAIM") && more > 0 {
            if !xreadgroup {
                return Err(Reply::err(error::XREAD_CLAIM_ONLY));
            }
            i += 1;
            let ms = long_or(&words[i], error::XREADGROUP_CLAIM_NOT_INTEGER)?;
            if ms < 0 {
                return Err(Reply::err(error::XREADGROUP_CLAIM_NEGATIVE));
            }
            a.claim = Some(ms);
        } else if is(b"BLOCK") && more > 0 {
            // Until 7.4 a script's BLOCK is an error; from 7.4 it reads without blocking.
            if matches!(ctx.caller, Caller::Script { .. }) && !ctx.profile().has_since((7, 4), Some((8, 0))) {
                return Err(Reply::err_bytes(error::xread_block_in_script(&ctx.argv[0])));
            }
            i += 1;
            let ms = long_or(&words[i], error::TIMEOUT_NOT_INTEGER)?;
            if ms < 0 {
                return Err(Reply::err(error::TIMEOUT_NEGATIVE));
            }
            if ctx.profile().redis_at_least(7, 2) && ms > i64::MAX - ctx.now {
                return Err(Reply::err(error::TIMEOUT_OUT_OF_RANGE));
            }
            a.block = Some(ms);
        } else if is(b"COUNT") && more > 0 {
            i += 1;
            a.count = usize::try_from(long(&words[i])?).unwrap_or(0);
        } else if is(b"STREAMS") && more > 0 {
            a.streams_at = i + 1;
            if !(words.len() - a.streams_at).is_multiple_of(2) {
                return Err(Reply::err(error::xread_unbalanced(&ctx.profile(), xreadgroup)));
            }
            break;
        } else if is(b"GROUP") && more >= 2 {
            if !xreadgroup {
                return Err(Reply::err(error::XREAD_GROUP_ONLY));
            }
            a.group = Some((&words[i + 1], &words[i + 2]));
            i += 2;
        } else if let Some(name) = redis810_option(ctx, &words[i]) {
            let cmd = if xreadgroup { "XREADGROUP" } else { "XREAD" };
            return Err(Reply::err(error::stream_option_not_implemented(cmd, name)));
        } else if is(b"NOACK") {
            if !xreadgroup {
                return Err(Reply::err(error::XREAD_NOACK_ONLY));
            }
            a.noack = true;
        } else {
            return Err(Reply::err(error::SYNTAX));
        }
        i += 1;
    }
    if a.streams_at == 0 {
        return Err(Reply::err(error::SYNTAX));
    }
    if xreadgroup && a.group.is_none() {
        return Err(Reply::err(error::XREADGROUP_NO_GROUP));
    }
    Ok(a)
}

/// XREAD's and XREADGROUP's MAXCOUNT and MAXSIZE (Redis 8.10), which the fake refuses
/// rather than misread: no source of them was at hand.
fn redis810_option(ctx: &Ctx<'_>, w: &[u8]) -> Option<&'static str> {
    let p = ctx.profile();
    if !p.is(crate::spec::ServerKind::Redis) || !p.redis_at_least(8, 10) {
        return None;
    }
    ["MAXCOUNT", "MAXSIZE"].into_iter().find(|name| w.eq_ignore_ascii_case(name.as_bytes()))
}

/// What to read from one stream: after `Some(id)`, or `None` for XREADGROUP's `>`.
type After = Option<StreamId>;

/// XREAD [COUNT count] [BLOCK ms] STREAMS key [key ...] id [id ...]
pub fn xread(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    read(ctx, words, false)
}

/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key ... id ...
pub fn xreadgroup(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    read(ctx, words, true)
}

fn read(ctx: &mut Ctx<'_>, words: &[Vec<u8>], xreadgroup: bool) -> CmdResult {
    let a = read_args(ctx, words, xreadgroup)?;
    let n = (words.len() - a.streams_at) / 2;
    let keys = &words[a.streams_at..a.streams_at + n];
    let id_words = &words[a.streams_at + n..];
    let old_retry = ctx.serving.is_some() && !ctx.profile().redis_at_least(7, 2);
    if old_retry {
        if let Some(r) = old_retry_check(ctx, keys, a.group)? {
            return r;
        }
    }
    let plus = ctx.profile().has_since((7, 4), Some((8, 0)));
    let mut afters: Vec<After> = Vec::with_capacity(n);
    for (key, w) in keys.iter().zip(id_words) {
        let s = super::stream(ctx, key, Look::Read)?;
        if let Some((group, _)) = a.group {
            if s.as_ref().is_none_or(|s| !s.groups.contains_key(group)) {
                return Err(no_key_or_group(key, group, true));
            }
        }
        let after = match &w[..] {
            b"$" if xreadgroup => return Err(Reply::err(error::XREADGROUP_DOLLAR)),
            b"$" => Some(s.map_or(StreamId::MIN, |s| s.last_id)),
            b"+" if plus && xreadgroup => return Err(Reply::err(error::XREADGROUP_PLUS)),
            // 7.4's `+`: the last entry (read after the ID before it).
            b"+" if plus => Some(match s {
                Some(s) => s.last_id.prev().ok_or(Reply::err(error::XREAD_PLUS_EMPTY))?,
                None => StreamId::MIN,
            }),
            b">" if !xreadgroup => return Err(Reply::err(error::XREAD_GREATER)),
            b">" => None,
            _ => Some(strict_id(w)?),
        };
        afters.push(after);
    }
    let count = if old_retry && a.count == 0 { BLOCKED_DEFAULT_COUNT } else { a.count };
    let mut served = Vec::new();
    let mut claim = Claim { min_idle: a.claim, oldest: None };
    for (key, after) in keys.iter().zip(&afters) {
        if old_retry && ctx.serving.as_deref() != Some(&key[..]) {
            continue;
        }
        if let Some(entries) = serve_one(ctx, key, *after, count, &a, &mut claim)? {
            served.push((Reply::Bulk(bytes(key)), entries));
        }
    }
    if !served.is_empty() {
        return Ok(if ctx.sess.resp >= 3 {
            Reply::Map(served)
        } else {
            Reply::Array(served.into_iter().map(|(k, v)| Reply::Array(vec![k, v])).collect())
        });
    }
    let Some(timeout) = a.block else { return Ok(Reply::NilArray) };
    let mut argv = ctx.argv.to_vec();
    for (j, after) in afters.iter().enumerate() {
        let at = 1 + a.streams_at + n + j;
        if argv[at] == b"$" {
            argv[at] = after.unwrap_or_default().to_bytes().to_vec();
        }
    }
    let keys = keys.iter().map(|k| bytes(k)).collect();
    let r = ctx.block_as(keys, timeout, Reply::NilArray, argv)?;
    // With CLAIM the command runs again when the oldest pending entry can be claimed (or,
    // with none, after min-idle-time).
    if let (Some(min_idle), Some(b)) = (claim.min_idle, ctx.sess.block.as_mut()) {
        b.retry_at = Some(claim.oldest.unwrap_or(ctx.now).saturating_add(min_idle));
    }
    Ok(r)
}

/// XREADGROUP CLAIM over the streams of one call: the min-idle-time (gone once a stream
/// is read from history, for the streams after it too, as in Redis), and the oldest
/// delivery time of the pending entries looked at.
struct Claim {
    min_idle: Option<i64>,
    oldest: Option<i64>,
}

/// A retry up to 7.0: an XREADGROUP whose key went (or holds another type now), or whose
/// group went, is answered an error; an XREAD of such a key keeps waiting.
fn old_retry_check(
    ctx: &mut Ctx<'_>,
    keys: &[Vec<u8>],
    group: Option<(&[u8], &[u8])>,
) -> Result<Option<CmdResult>, Reply> {
    let Some(ready) = ctx.serving.clone() else { return Ok(None) };
    let now = ctx.now;
    let found = ctx
        .db()
        .get_live(&ready, now)
        .map(|e| e.value.as_stream().map(|s| s.groups.keys().cloned().collect::<Vec<_>>()));
    let groups = match found {
        Some(Some(g)) => g,
        // 6.2 does not wake readers for a key that went: they wait on.
        _ if group.is_some() && ctx.profile().redis_at_least(7, 0) => {
            return Ok(Some(Err(Reply::err(error::XREADGROUP_KEY_GONE))))
        }
        _ => return Ok(Some(wait_again(ctx, keys))),
    };
    if let Some((g, _)) = group {
        if !groups.iter().any(|x| x[..] == *g) {
            return Ok(Some(Err(Reply::err(error::XREADGROUP_GROUP_GONE))));
        }
    }
    Ok(None)
}

fn wait_again(ctx: &mut Ctx<'_>, keys: &[Vec<u8>]) -> CmdResult {
    let keys = keys.iter().map(|k| bytes(k)).collect();
    ctx.block(keys, 0, Reply::NilArray, Reply::NilArray)
}

/// Serves one stream if it has something: its entries' reply.
fn serve_one(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    after: After,
    count: usize,
    a: &ReadArgs<'_>,
    claim: &mut Claim,
) -> Result<Option<Reply>, Reply> {
    let now = ctx.now;
    let p = ctx.profile();
    let old_retry = ctx.serving.is_some() && !p.redis_at_least(7, 2);
    let Some(s) = super::stream(ctx, key, Look::Read)? else { return Ok(None) };
    let Some((gname, cname)) = a.group else {
        let gt = after.unwrap_or_default();
        let top = if old_retry { Some(s.last_id) } else { s.last_live() };
        if top.is_none_or(|t| t <= gt) {
            return Ok(None);
        }
        let take = if count == 0 { usize::MAX } else { count };
        let start = gt.next().unwrap_or_default();
        let out = s.range(start, StreamId::MAX, false).take(take).map(|(id, f)| entry_reply(*id, f)).collect();
        return Ok(Some(Reply::Array(out)));
    };
    let Some(g) = s.groups.get(gname) else { return Ok(None) };
    let mut serve = match after {
        Some(_) => true,
        None if old_retry => s.last_id > g.last_id,
        None => s.last_live().is_some_and(|t| t > g.last_id),
    };
    let mut claimable = false;
    if let Some(min_idle) = claim.min_idle {
        // The oldest pending entry still in the stream says whether anything can be claimed.
        let oldest = g.by_time().find(|id| s.get(*id).is_some()).and_then(|id| g.pel.get(&id));
        if let Some(n) = oldest {
            claim.oldest = Some(claim.oldest.map_or(n.delivery_time, |t| t.min(n.delivery_time)));
            claimable = idle(now, n.delivery_time) >= min_idle as u64;
        }
    }
    let mut claimed_only = false;
    if after.is_some() {
        claim.min_idle = None; // history is served as it is
    } else if !serve && claimable {
        serve = true;
        claimed_only = true;
    }
    let created = p.redis_at_least(7, 2) || serve;
    let mut new_consumer = false;
    if created {
        let g = s.groups.get_mut(gname).ok_or(Reply::err(error::WRONGTYPE))?;
        new_consumer = g.add_consumer(cname, now);
        if let Some(c) = g.consumers.get_mut(cname) {
            c.seen_time = now;
        }
    }
    let out = if !serve {
        None
    } else if let Some(start) = after {
        Some(history(ctx, key, gname, cname, start, count))
    } else {
        Some(new_entries(ctx, key, gname, cname, count, a.noack, claim.min_idle, claimed_only))
    };
    if new_consumer {
        ctx.notify(NOTIFY_STREAM, "xgroup-createconsumer", key);
    }
    Ok(out)
}

/// A consumer's own pending entries from `start` (`[id, nil]` for one deleted since);
/// each served one counts a delivery.
fn history(ctx: &mut Ctx<'_>, key: &[u8], gname: &[u8], cname: &[u8], start: StreamId, count: usize) -> Reply {
    let now = ctx.now;
    let Ok(Some(s)) = super::stream(ctx, key, Look::Write) else { return Reply::Array(Vec::new()) };
    let start = start.next().unwrap_or_default();
    let take = if count == 0 { usize::MAX } else { count };
    let ids: Vec<StreamId> = s
        .groups
        .get(gname)
        .and_then(|g| g.consumers.get(cname))
        .map(|c| c.pel.range(start..).take(take).copied().collect())
        .unwrap_or_default();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match s.get(id) {
            Some(f) => {
                out.push(entry_reply(id, f));
                if let Some(g) = s.groups.get_mut(gname) {
                    g.retime(id, now);
                    if let Some(n) = g.pel.get_mut(&id) {
                        n.bump();
                    }
                }
            }
            None => out.push(Reply::Array(vec![super::id_reply(id), Reply::NilArray])),
        }
    }
    Reply::Array(out)
}

/// How long ago `time` was, as Redis's unsigned subtraction reads it.
fn idle(now: i64, time: i64) -> u64 {
    now.wrapping_sub(time) as u64
}

/// With CLAIM (`min_idle`), first the pending entries idle that long, oldest first, each
/// taken over by this consumer and answered with its idle time and delivery count; then,
/// unless `claimed_only` or COUNT is reached, the entries past the group's last-delivered
/// ID, which moves (with CLAIM they carry an idle time and count of 0). Each new one goes
/// to the consumer's pending list unless NOACK.
#[allow(clippy::too_many_arguments)]
fn new_entries(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    gname: &[u8],
    cname: &[u8],
    count: usize,
    noack: bool,
    min_idle: Option<i64>,
    claimed_only: bool,
) -> Reply {
    let now = ctx.now;
    let active = ctx.profile().redis_at_least(7, 2);
    let Ok(Some(s)) = super::stream(ctx, key, Look::Write) else { return Reply::Array(Vec::new()) };
    let take = if count == 0 { usize::MAX } else { count };
    let consumer = Bytes::copy_from_slice(cname);
    let mut out = Vec::new();
    if let Some(min_idle) = min_idle {
        claim_idle(s, gname, &consumer, min_idle as u64, take, now, &mut out);
        if claimed_only || out.len() >= take {
            return Reply::Array(out);
        }
    }
    let Some(last) = s.groups.get(gname).map(|g| g.last_id) else { return Reply::Array(out) };
    let start = last.next().unwrap_or_default();
    let picked: Vec<StreamId> =
        s.range(start, StreamId::MAX, false).take(take - out.len()).map(|(id, _)| *id).collect();
    for id in picked {
        s.deliver(gname, id);
        if let Some(f) = s.get(id) {
            let e = entry_reply(id, f);
            out.push(if min_idle.is_some() { with_delivery(e, 0, 0) } else { e });
        }
        if noack {
            continue;
        }
        let Some(g) = s.groups.get_mut(gname) else { continue };
        // An entry already pending (the group's ID was set back) moves to this consumer.
        if g.pel.contains_key(&id) {
            g.assign(id, &consumer);
            g.retime(id, now);
            if let Some(n) = g.pel.get_mut(&id) {
                n.delivery_count = 1;
            }
        } else {
            g.add_pending(id, now, Some(&consumer));
        }
        if active {
            if let Some(c) = g.consumers.get_mut(cname) {
                c.active_time = now;
            }
        }
    }
    Reply::Array(out)
}

/// An entry's reply with CLAIM's idle time and delivery count after it.
fn with_delivery(entry: Reply, idle: i64, count: u64) -> Reply {
    let Reply::Array(mut v) = entry else { return entry };
    v.push(Reply::Int(idle));
    v.push(Reply::Int(i64::try_from(count).unwrap_or(i64::MAX)));
    Reply::Array(v)
}

/// CLAIM's pass over the group's time-ordered pending list: stops at the first entry not
/// idle for `min_idle`; skips entries no longer in the stream; takes at most `take`.
fn claim_idle(
    s: &mut crate::db::Stream,
    gname: &[u8],
    consumer: &Bytes,
    min_idle: u64,
    take: usize,
    now: i64,
    out: &mut Vec<Reply>,
) {
    let Some(since) = s.groups.get(gname).map(|g| g.stamp_now()) else { return };
    let mut cursor = None;
    while let Some(id) = s.groups.get(gname).and_then(|g| g.next_by_time(&mut cursor, since)) {
        let Some(n) = s.groups.get(gname).and_then(|g| g.pel.get(&id)) else { continue };
        let (waited, delivered) = (idle(now, n.delivery_time), n.delivery_count);
        if waited < min_idle {
            break;
        }
        let Some(f) = s.get(id) else { continue };
        out.push(with_delivery(entry_reply(id, f), waited as i64, delivered));
        let Some(g) = s.groups.get_mut(gname) else { return };
        g.assign(id, consumer);
        if let Some(n) = g.pel.get_mut(&id) {
            n.bump();
        }
        g.retime(id, now);
        if let Some(c) = g.consumers.get_mut(consumer) {
            c.active_time = now;
        }
        if out.len() >= take {
            break;
        }
    }
}
