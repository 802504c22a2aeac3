//! XADD, XTRIM, XDEL, XLEN, XRANGE, XREVRANGE, XSETID.

use crate::cmd::Look;
use crate::db::{Refs, Stream, StreamId, Trim, Value, LISTPACK_MAX};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::config::NOTIFY_STREAM;
use crate::server::Ctx;

use super::{add_id, entry_reply, id_reply, long, node_limits, range_end, range_start, stream, strict_id};

/// What `streamParseAddOrTrimArgsOrReply` reads: the trim and, for XADD, the ID.
struct AddTrim<'w> {
    trim: Option<Trim>,
    approx: bool,
    limit: u64,
    nomkstream: bool,
    /// KEEPREF, DELREF or ACKED (Redis 8.2).
    refs: Option<Refs>,
    /// XADD's IDMP producer and idempotent ID (`None` for IDMPAUTO's, made from the fields).
    idmp: Option<(&'w [u8], Option<&'w [u8]>)>,
    /// XADD's ID (`None`: `*`) and whether its sequence was given.
    id: Option<(StreamId, bool)>,
    /// Where the fields start.
    fields_at: usize,
}

/// Reads XADD's or XTRIM's options from `words[1..]`, as Redis: each option as it comes,
/// then the checks that need them all.
fn add_trim_args<'w>(ctx: &Ctx<'_>, words: &'w [Vec<u8>], xadd: bool) -> Result<AddTrim<'w>, Reply> {
    let mut a = AddTrim {
        trim: None,
        approx: false,
        limit: 0,
        nomkstream: false,
        refs: None,
        idmp: None,
        id: None,
        fields_at: words.len() + 1,
    };
    let p = ctx.profile();
    let redis = p.is(crate::spec::ServerKind::Redis);
    let (has_refs, has_idmp) = (redis && p.redis_at_least(8, 2), xadd && redis && p.redis_at_least(8, 6));
    let mut limit_given = false;
    let mut i = 1;
    while i < words.len() {
        let more = words.len() - 1 - i;
        let w = &words[i][..];
        if xadd && w == b"*" {
            a.fields_at = i + 1;
            break;
        }
        let is = |name: &[u8]| w.eq_ignore_ascii_case(name);
        if (is(b"maxlen") || is(b"minid")) && more > 0 {
            if a.trim.is_some() {
                return Err(Reply::err(error::XADD_MAXLEN_AND_MINID));
            }
            a.approx = false;
            let next = &words[i + 1][..];
            if more >= 2 && (next == b"~" || next == b"=") {
                a.approx = next == b"~";
                i += 1;
            }
            let v = &words[i + 1];
            a.trim = Some(if is(b"maxlen") {
                let n = long(v)?;
                Trim::MaxLen(u64::try_from(n).map_err(|_| Reply::err(error::XADD_MAXLEN_NEGATIVE))?)
            } else {
                Trim::MinId(strict_id(v)?)
            });
            i += 1;
        } else if is(b"limit") && more > 0 {
            let n = long(&words[i + 1])?;
            a.limit = u64::try_from(n).map_err(|_| Reply::err(error::XADD_LIMIT_NEGATIVE))?;
            limit_given = true;
            i += 1;
        } else if let Some(r) = has_refs.then(|| refs_word(w)).flatten().filter(|_| a.refs.is_none()) {
            a.refs = Some(r);
        } else if xadd && is(b"nomkstream") {
            a.nomkstream = true;
        } else if has_idmp && is(b"idmpauto") && more > 0 {
            let pid = idmp_once(&a, &words[i + 1], error::XADD_IDMPAUTO_PID)?;
            a.idmp = Some((pid, None));
            i += 1;
        } else if has_idmp && is(b"idmp") && more >= 2 {
            let pid = idmp_once(&a, &words[i + 1], error::XADD_IDMP_PID)?;
            if words[i + 2].is_empty() {
                return Err(Reply::err(error::XADD_IDMP_IID));
            }
            a.idmp = Some((pid, Some(&words[i + 2])));
            i += 2;
        } else if xadd {
            // `ms-*` came with Redis 7.0.
            a.id = Some(if p.redis_at_least(7, 0) { add_id(w)? } else { (strict_id(w)?, true) });
            if a.idmp.is_some() {
                return Err(Reply::err(error::XADD_IDMP_AUTO_ID));
            }
            a.fields_at = i + 1;
            break;
        } else {
            return Err(Reply::err(error::SYNTAX));
        }
        i += 1;
    }
    if a.limit != 0 && a.trim.is_none() {
        return Err(Reply::err(error::XADD_LIMIT_NO_TRIM));
    }
    if !xadd && a.trim.is_none() {
        return Err(Reply::err(error::XTRIM_NO_TRIM));
    }
    if limit_given {
        if !a.approx {
            return Err(Reply::err(error::XADD_LIMIT_NO_APPROX));
        }
    } else if a.approx {
        let per_node = ctx.st.config.get_i64("stream-node-max-entries");
        let l = per_node.saturating_mul(100);
        a.limit = if l <= 0 { 10_000 } else { l.min(1_000_000) as u64 };
    } else {
        a.limit = 0;
    }
    Ok(a)
}

/// Redis 8.2's KEEPREF, DELREF or ACKED.
pub(crate) fn refs_word(w: &[u8]) -> Option<Refs> {
    [(&b"KEEPREF"[..], Refs::Keep), (b"DELREF", Refs::Delete), (b"ACKED", Refs::Acked)]
        .into_iter()
        .find(|(name, _)| w.eq_ignore_ascii_case(name))
        .map(|(_, r)| r)
}

/// IDMP or IDMPAUTO's producer ID: given once, not empty.
fn idmp_once<'w>(a: &AddTrim<'_>, pid: &'w [u8], empty: &'static str) -> Result<&'w [u8], Reply> {
    if a.idmp.is_some() {
        return Err(Reply::err(error::XADD_IDMP_TWICE));
    }
    if pid.is_empty() {
        return Err(Reply::err(empty));
    }
    Ok(pid)
}

/// The ID an append gets, as `streamAppendItem` chooses it; `None` when the stream cannot
/// take it (`Some(false)` inside: not above the top item, `Some(true)`: no sequence left).
fn next_id(s: &Stream, given: Option<(StreamId, bool)>, now: i64) -> Result<StreamId, bool> {
    let last = s.last_id;
    let id = match given {
        Some((id, true)) => id,
        Some((id, false)) if id.ms == last.ms => {
            if last.seq == u64::MAX {
                return Err(true);
            }
            StreamId::new(id.ms, last.seq + 1)
        }
        Some((id, false)) => id,
        None => {
            let ms = u64::try_from(now).unwrap_or(0);
            if ms > last.ms {
                StreamId::new(ms, 0)
            } else {
                last.next().unwrap_or_default()
            }
        }
    };
    if id <= last {
        return Err(false);
    }
    Ok(id)
}

/// XADD key [NOMKSTREAM] [KEEPREF|DELREF|ACKED] [IDMPAUTO pid|IDMP pid iid]
/// [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ...: an IDMP duplicate
/// answers the entry its idempotent ID made, adding nothing.
pub fn xadd(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let a = add_trim_args(ctx, words, true)?;
    let key = &words[0][..];
    let rest = words.get(a.fields_at..).unwrap_or_default();
    if rest.len() < 2 || !rest.len().is_multiple_of(2) {
        if !ctx.profile().redis_at_least(7, 0) {
            return Err(Reply::err(error::XADD_ARITY_62));
        }
        return Err(Reply::err(error::wrong_arity(&ctx.profile(), "xadd", None)));
    }
    if let Some((id, true)) = a.id {
        if id.is_zero() {
            return Err(Reply::err(error::XADD_ID_ZERO));
        }
    }
    let now = ctx.now;
    if super::stream(ctx, key, Look::Write)?.is_none() {
        if a.nomkstream {
            return Ok(Reply::Nil);
        }
        let fresh = super::new_stream(ctx);
        ctx.db().set(key, Value::Stream(Box::new(fresh)), None, now);
    }
    let limits = node_limits(ctx);
    let tick = ctx.st.last_active_expire_ms;
    let s = stream(ctx, key, Look::Write)?.ok_or(Reply::err(error::WRONGTYPE))?;
    let iid = a.idmp.map(|(_, iid)| iid.map_or_else(|| super::idmp::auto_iid(rest), <[u8]>::to_vec));
    if let (Some((pid, _)), Some(iid)) = (a.idmp, &iid) {
        s.idmp.expire(tick);
        if let Some(id) = s.idmp.lookup(pid, iid) {
            s.idmp.duplicates += 1;
            return Ok(id_reply(id));
        }
    }
    if s.last_id == StreamId::MAX {
        return Err(Reply::err(error::XADD_EXHAUSTED));
    }
    let id = match next_id(s, a.id, now) {
        Ok(id) => id,
        Err(false) => return Err(Reply::err(error::XADD_ID_TOO_SMALL)),
        // No sequence left after `ms-*`: 7.2 says so, 7.0 reports a stale errno.
        Err(true) if ctx.profile().redis_at_least(7, 2) => return Err(Reply::err(error::XADD_ID_TOO_SMALL)),
        Err(true) => return Err(Reply::err(error::XADD_TOO_LARGE)),
    };
    let total: u64 = rest.iter().map(|w| w.len() as u64).sum();
    if total > LISTPACK_MAX {
        return Err(Reply::err(error::XADD_TOO_LARGE));
    }
    let fields = rest.chunks(2).map(|p| (super::bytes(&p[0]), super::bytes(&p[1]))).collect();
    s.append(id, fields, limits);
    if let (Some((pid, _)), Some(iid)) = (a.idmp, &iid) {
        s.idmp.insert(pid, iid, id, now);
    }
    let refs = a.refs.unwrap_or_default();
    let trimmed = a.trim.is_some_and(|how| s.trim(how, a.approx, a.limit, refs) > 0);
    ctx.touched(key);
    ctx.notify(NOTIFY_STREAM, "xadd", key);
    if trimmed {
        ctx.notify(NOTIFY_STREAM, "xtrim", key);
    }
    Ok(id_reply(id))
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count] [KEEPREF|DELREF|ACKED]: how many
/// entries went.
pub fn xtrim(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let a = add_trim_args(ctx, words, false)?;
    let key = &words[0][..];
    let Some(s) = stream(ctx, key, Look::Write)? else { return Ok(Reply::Int(0)) };
    let Some(how) = a.trim else { return Ok(Reply::Int(0)) };
    let n = s.trim(how, a.approx, a.limit, a.refs.unwrap_or_default());
    if n > 0 {
        ctx.notify(NOTIFY_STREAM, "xtrim", key);
        ctx.touched(key);
    }
    Ok(Reply::Int(n as i64))
}

/// XDEL key id [id ...]: how many existed (a missing key answers 0 before the IDs are read).
pub fn xdel(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let key = &words[0][..];
    if stream(ctx, key, Look::Write)?.is_none() {
        return Ok(Reply::Int(0));
    }
    let ids = words[1..].iter().map(|w| strict_id(w)).collect::<Result<Vec<_>, _>>()?;
    let Some(s) = stream(ctx, key, Look::Write)? else { return Ok(Reply::Int(0)) };
    let first = s.first_id;
    let (mut deleted, mut first_gone) = (0, false);
    for id in ids {
        if s.delete(id) {
            first_gone |= id == first;
            s.max_deleted = s.max_deleted.max(id);
            deleted += 1;
        }
    }
    if deleted > 0 {
        if s.is_empty() || first_gone {
            s.refresh_first();
        }
        ctx.touched(key);
        ctx.notify(NOTIFY_STREAM, "xdel", key);
    }
    Ok(Reply::Int(deleted))
}

/// XLEN key.
pub fn xlen(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Int(stream(ctx, &words[0], Look::Read)?.map_or(0, |s| s.len() as i64)))
}

/// XRANGE key start end [COUNT count].
pub fn xrange(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    range(ctx, words, false)
}

/// XREVRANGE key end start [COUNT count].
pub fn xrevrange(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    range(ctx, words, true)
}

/// The bounds (start, then end, whatever the direction), COUNT, then the key.
fn range(ctx: &mut Ctx<'_>, words: &[Vec<u8>], rev: bool) -> CmdResult {
    let (start, end) = if rev { (&words[2], &words[1]) } else { (&words[1], &words[2]) };
    let start = range_start(start)?;
    let end = range_end(end)?;
    let mut count: i64 = -1;
    let mut i = 3;
    while i < words.len() {
        if words[i].eq_ignore_ascii_case(b"COUNT") && i + 1 < words.len() {
            count = long(&words[i + 1])?.max(0);
            i += 2;
        } else {
            return Err(Reply::err(error::SYNTAX));
        }
    }
    let Some(s) = stream(ctx, &words[0], Look::Read)? else { return Ok(Reply::Array(Vec::new())) };
    if count == 0 {
        return Ok(Reply::NilArray);
    }
    let take = usize::try_from(count).unwrap_or(usize::MAX);
    Ok(Reply::Array(s.range(start, end, rev).take(take).map(|(id, f)| entry_reply(*id, f)).collect()))
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id].
pub fn xsetid(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let p = ctx.profile();
    if !p.redis_at_least(7, 0) {
        // 6.2: the key first, then the one ID.
        if words.len() > 2 {
            return Err(Reply::err(error::wrong_arity(&p, "xsetid", None)));
        }
        stream(ctx, &words[0], Look::Write)?.ok_or(Reply::err(error::NO_SUCH_KEY))?;
    }
    let id = strict_id(&words[1])?;
    let (mut added, mut max_deleted) = (None, StreamId::MIN);
    let mut i = 2;
    while i < words.len() {
        let more = words.len() - 1 - i;
        if words[i].eq_ignore_ascii_case(b"ENTRIESADDED") && more > 0 {
            let n = long(&words[i + 1])?;
            added = Some(u64::try_from(n).map_err(|_| Reply::err(error::XSETID_ENTRIES_ADDED_NEGATIVE))?);
        } else if words[i].eq_ignore_ascii_case(b"MAXDELETEDID") && more > 0 {
            max_deleted = strict_id(&words[i + 1])?;
            if id < max_deleted {
                return Err(Reply::err(error::XSETID_BELOW_MAX_DELETED));
            }
        } else {
            return Err(Reply::err(error::SYNTAX));
        }
        i += 2;
    }
    let key = &words[0][..];
    let s = stream(ctx, key, Look::Write)?.ok_or(Reply::err(error::NO_SUCH_KEY))?;
    if p.redis_at_least(7, 2) && id < s.max_deleted {
        return Err(Reply::err(error::XSETID_BELOW_CURRENT_MAX_DELETED));
    }
    if let Some(top) = s.last_live() {
        if id < top {
            return Err(Reply::err(error::XSETID_BELOW_TOP));
        }
        if added.is_some_and(|n| s.len() > n) {
            return Err(Reply::err(error::XSETID_ENTRIES_ADDED_SMALL));
        }
    }
    s.last_id = id;
    if let Some(n) = added {
        s.entries_added = n;
    }
    if !max_deleted.is_zero() {
        s.max_deleted = max_deleted;
    }
    ctx.notify(NOTIFY_STREAM, "xsetid", key);
    Ok(Reply::ok())
}
