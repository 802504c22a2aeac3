//! List commands (spec group `list`), in Redis's order of checks: LRANGE, LTRIM and LREM
//! read their numbers before the key, LINDEX and LSET look the key up first (overlay
//! `handler`), LPOP/RPOP read the count first and answer a nil array for a missing key
//! when one was given. The blocking variants come with the waiter registry.

use bytes::Bytes;

use crate::cmd::{typed, typed_or_create, written_as, Look};
use crate::db::{List, Value};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::config::NOTIFY_LIST;
use crate::server::Ctx;
use crate::spec::generated::*;
use crate::spec::grammar::parse_i64;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    Left,
    Right,
}

impl End {
    /// The keyspace event of a pop from this end.
    fn pop_event(self) -> &'static str {
        match self {
            End::Left => "lpop",
            End::Right => "rpop",
        }
    }
}

pub(crate) fn list<'c>(ctx: &'c mut Ctx<'_>, key: &[u8], look: Look) -> Result<Option<&'c mut List>, Reply> {
    typed(ctx, key, look, Value::as_list_mut)
}

/// Redis's index into a list of `len`: negative counts from the end; `None` when outside.
fn index(len: usize, i: i64) -> Option<usize> {
    let i = if i < 0 { i.checked_add(len as i64)? } else { i };
    usize::try_from(i).ok().filter(|&i| i < len)
}

/// Redis's `start..=end` range of a list of `len`, clamped; `None` when empty.
pub(crate) fn range(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { (len + start).max(0) } else { start };
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

pub(crate) fn bulks<'v>(items: impl Iterator<Item = &'v Bytes>) -> Reply {
    Reply::Array(items.map(|v| Reply::Bulk(v.clone())).collect())
}

/// Pushes `items` onto `key` (created unless `only_existing`); the new length.
pub(crate) fn push(ctx: &mut Ctx<'_>, key: &[u8], items: &[&[u8]], end: End, only_existing: bool) -> CmdResult {
    let enc = ctx.enc();
    if only_existing && list(ctx, key, Look::Write)?.is_none() {
        return Ok(Reply::Int(0));
    }
    let l = typed_or_create(ctx, key, Value::as_list_mut, || Value::List(Box::new(List::new(enc.small_lists))))?;
    l.grow_check(enc.list_fill, items.iter().copied());
    for v in items {
        let v = Bytes::copy_from_slice(v);
        match end {
            End::Left => l.push_front(v),
            End::Right => l.push_back(v),
        }
    }
    let n = l.len();
    written_as(ctx, key, NOTIFY_LIST, if end == End::Left { "lpush" } else { "rpush" });
    Ok(Reply::Int(n as i64))
}

/// LPUSH key element [element ...].
pub fn lpush(ctx: &mut Ctx<'_>, a: Lpush<'_>) -> CmdResult {
    push(ctx, a.key, &a.element, End::Left, false)
}

/// RPUSH key element [element ...].
pub fn rpush(ctx: &mut Ctx<'_>, a: Rpush<'_>) -> CmdResult {
    push(ctx, a.key, &a.element, End::Right, false)
}

/// LPUSHX key element [element ...]: only onto an existing list.
pub fn lpushx(ctx: &mut Ctx<'_>, a: Lpushx<'_>) -> CmdResult {
    push(ctx, a.key, &a.element, End::Left, true)
}

/// RPUSHX key element [element ...].
pub fn rpushx(ctx: &mut Ctx<'_>, a: Rpushx<'_>) -> CmdResult {
    push(ctx, a.key, &a.element, End::Right, true)
}

/// Takes up to `count` elements from one end of the list at `key`, leaving an emptied
/// list in place for the caller's `written` to delete.
fn take(ctx: &mut Ctx<'_>, key: &[u8], end: End, count: usize) -> Result<Vec<Bytes>, Reply> {
    let enc = ctx.enc();
    let Some(l) = list(ctx, key, Look::Write)? else { return Ok(Vec::new()) };
    let n = count.min(l.len());
    let out: Vec<Bytes> = (0..n)
        .filter_map(|_| match end {
            End::Left => l.pop_front(),
            End::Right => l.pop_back(),
        })
        .collect();
    l.shrink_check(enc.list_fill, enc.small_lists);
    Ok(out)
}

/// Pops up to `count` elements from one end of the list at `key`, deleting it when emptied.
pub(crate) fn pop_n(ctx: &mut Ctx<'_>, key: &[u8], end: End, count: usize) -> Result<Vec<Bytes>, Reply> {
    let out = take(ctx, key, end, count)?;
    if !out.is_empty() {
        written_as(ctx, key, NOTIFY_LIST, end.pop_event());
    }
    Ok(out)
}

fn pop(ctx: &mut Ctx<'_>, key: &[u8], count: Option<crate::spec::Num<'_>>, end: End) -> CmdResult {
    let Some(count) = count.map(|n| n.int()).transpose()? else {
        if list(ctx, key, Look::Write)?.is_none() {
            return Ok(Reply::Nil);
        }
        return Ok(Reply::bulk_opt(pop_n(ctx, key, end, 1)?.pop()));
    };
    if list(ctx, key, Look::Write)?.is_none() {
        return Ok(Reply::NilArray);
    }
    let items = pop_n(ctx, key, end, usize::try_from(count).unwrap_or(0))?;
    Ok(bulks(items.iter()))
}

/// LPOP key [count]: the count is read before the key (the parser's range).
pub fn lpop(ctx: &mut Ctx<'_>, a: Lpop<'_>) -> CmdResult {
    pop(ctx, a.key, a.count, End::Left)
}

/// RPOP key [count].
pub fn rpop(ctx: &mut Ctx<'_>, a: Rpop<'_>) -> CmdResult {
    pop(ctx, a.key, a.count, End::Right)
}

/// LLEN key.
pub fn llen(ctx: &mut Ctx<'_>, a: Llen<'_>) -> CmdResult {
    Ok(Reply::Int(list(ctx, a.key, Look::Read)?.map_or(0, |l| l.len() as i64)))
}

/// LRANGE key start stop.
pub fn lrange(ctx: &mut Ctx<'_>, a: Lrange<'_>) -> CmdResult {
    let Some(l) = list(ctx, a.key, Look::Read)? else { return Ok(Reply::Array(Vec::new())) };
    Ok(match range(l.len(), a.start, a.stop) {
        Some((s, e)) => bulks(l.iter().skip(s).take(e - s + 1)),
        None => Reply::Array(Vec::new()),
    })
}

/// LINDEX key index: the key is looked up before the index is read.
pub fn lindex(ctx: &mut Ctx<'_>, a: Lindex<'_>) -> CmdResult {
    let Some(l) = list(ctx, a.key, Look::Read)? else { return Ok(Reply::Nil) };
    let i = a.index.int()?;
    Ok(Reply::bulk_opt(index(l.len(), i).and_then(|i| l.get(i)).cloned()))
}

/// LSET key index element: `no such key` before the index is read.
pub fn lset(ctx: &mut Ctx<'_>, a: Lset<'_>) -> CmdResult {
    let enc = ctx.enc();
    let Some(l) = list(ctx, a.key, Look::Write)? else { return Err(Reply::err(error::NO_SUCH_KEY)) };
    let i = a.index.int()?;
    // 7.2 converts for the new element before it judges the index.
    l.grow_check(enc.list_fill, std::iter::once(a.element));
    let Some(i) = index(l.len(), i) else { return Err(Reply::err(error::INDEX_OUT_OF_RANGE)) };
    l.set(i, Bytes::copy_from_slice(a.element));
    l.shrink_check(enc.list_fill, enc.small_lists);
    written_as(ctx, a.key, NOTIFY_LIST, "lset");
    Ok(Reply::OK)
}

/// LINSERT key BEFORE|AFTER pivot element: -1 when the pivot is not there.
pub fn linsert(ctx: &mut Ctx<'_>, a: Linsert<'_>) -> CmdResult {
    let enc = ctx.enc();
    let Some(l) = list(ctx, a.key, Look::Write)? else { return Ok(Reply::Int(0)) };
    // 7.2 converts for the new element before it looks for the pivot.
    l.grow_check(enc.list_fill, std::iter::once(a.element));
    let Some(at) = l.iter().position(|v| v == a.pivot) else { return Ok(Reply::Int(-1)) };
    let at = if matches!(a.where_, LinsertWhere::After) { at + 1 } else { at };
    l.insert(at, Bytes::copy_from_slice(a.element));
    let n = l.len();
    written_as(ctx, a.key, NOTIFY_LIST, "linsert");
    Ok(Reply::Int(n as i64))
}

/// LREM key count element: from the head for count > 0, the tail for < 0, all for 0.
pub fn lrem(ctx: &mut Ctx<'_>, a: Lrem<'_>) -> CmdResult {
    if a.count == i64::MIN && ctx.profile().has_since((7, 4), Some((8, 0))) {
        // Redis 7.4 (Valkey 8.0) range-checks the count.
        return Err(Reply::err(error::out_of_range(-i64::MAX, i64::MAX)));
    }
    let enc = ctx.enc();
    let Some(l) = list(ctx, a.key, Look::Write)? else { return Ok(Reply::Int(0)) };
    let limit = usize::try_from(a.count.unsigned_abs()).unwrap_or(usize::MAX);
    let gone = l.remove_matching(a.element, limit, a.count < 0);
    l.shrink_check(enc.list_fill, enc.small_lists);
    if gone > 0 {
        written_as(ctx, a.key, NOTIFY_LIST, "lrem");
    }
    Ok(Reply::Int(gone as i64))
}

/// LTRIM key start stop: an empty range deletes the key.
pub fn ltrim(ctx: &mut Ctx<'_>, a: Ltrim<'_>) -> CmdResult {
    let enc = ctx.enc();
    let Some(l) = list(ctx, a.key, Look::Write)? else { return Ok(Reply::OK) };
    match range(l.len(), a.start, a.stop) {
        Some((s, e)) => l.keep(s, e),
        None => l.keep(1, 0),
    }
    l.shrink_check(enc.list_fill, enc.small_lists);
    written_as(ctx, a.key, NOTIFY_LIST, "ltrim");
    Ok(Reply::OK)
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] (overlay `walk`): Redis
/// applies each option's checks as its loop reads it, RANK 0 included, then looks the key
/// up; with COUNT the reply is an array (empty for a missing key), else an index or nil.
pub fn lpos(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [key, element, opts @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let (mut rank, mut count, mut maxlen) = (1i64, None, 0i64);
    let mut i = 0;
    while i < opts.len() {
        let (opt, val) = (&opts[i], opts.get(i + 1));
        let Some(val) = val else { return Err(Reply::err(error::SYNTAX)) };
        let positive = |msg: &'static str| parse_i64(val).filter(|n| *n >= 0).ok_or(Reply::err(msg));
        if opt.eq_ignore_ascii_case(b"RANK") {
            rank = parse_i64(val).ok_or(Reply::err(error::NOT_INTEGER))?;
            if rank == i64::MIN && ctx.profile().redis_at_least(7, 2) {
                return Err(Reply::err(error::out_of_range(-i64::MAX, i64::MAX)));
            }
            if rank == 0 {
                return Err(Reply::err(error::lpos_rank_zero(&ctx.profile())));
            }
        } else if opt.eq_ignore_ascii_case(b"COUNT") {
            count = Some(positive(error::LPOS_COUNT_NEGATIVE)?);
        } else if opt.eq_ignore_ascii_case(b"MAXLEN") {
            maxlen = positive(error::LPOS_MAXLEN_NEGATIVE)?;
        } else {
            return Err(Reply::err(error::SYNTAX));
        }
        i += 2;
    }
    let Some(l) = list(ctx, key, Look::Read)? else {
        return Ok(if count.is_some() { Reply::Array(Vec::new()) } else { Reply::Nil });
    };
    let len = l.len();
    let from_tail = rank < 0;
    // Before 7.2 a rank of i64::MIN stays negative when negated: every match qualifies.
    let skip = if rank == i64::MIN { 0 } else { usize::try_from(rank.unsigned_abs() - 1).unwrap_or(usize::MAX) };
    let scan = if maxlen == 0 { len } else { usize::try_from(maxlen).unwrap_or(len).min(len) };
    let at = |j: usize| if from_tail { len - 1 - j } else { j };
    let mut hits = (0..scan).map(at).filter(|&i| l.get(i).is_some_and(|v| v == &element[..])).skip(skip);
    Ok(match count {
        None => hits.next().map_or(Reply::Nil, |i| Reply::Int(i as i64)),
        Some(0) => Reply::Array(hits.map(|i| Reply::Int(i as i64)).collect()),
        Some(n) => {
            Reply::Array(hits.take(usize::try_from(n).unwrap_or(usize::MAX)).map(|i| Reply::Int(i as i64)).collect())
        }
    })
}

/// Pops one element from `src` and pushes it onto `dst` (LMOVE, RPOPLPUSH): both keys
/// are checked for the list type before anything moves.
pub(crate) fn move_one(ctx: &mut Ctx<'_>, src: &[u8], dst: &[u8], from: End, to: End) -> CmdResult {
    if list(ctx, src, Look::Write)?.is_none() {
        return Ok(Reply::Nil);
    }
    list(ctx, dst, Look::Write)?;
    // The source is emptied only after the push: a rotation of a one-element list keeps
    // its key (and TTL).
    let Some(v) = take(ctx, src, from, 1)?.pop() else { return Ok(Reply::Nil) };
    push(ctx, dst, &[&v[..]], to, false)?;
    // As Redis: the push's event comes before the pop's.
    written_as(ctx, src, NOTIFY_LIST, from.pop_event());
    Ok(Reply::Bulk(v))
}

pub(crate) fn end_of(left: bool) -> End {
    if left {
        End::Left
    } else {
        End::Right
    }
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT.
pub fn lmove(ctx: &mut Ctx<'_>, a: Lmove<'_>) -> CmdResult {
    let from = end_of(matches!(a.wherefrom, LmoveWherefrom::Left));
    let to = end_of(matches!(a.whereto, LmoveWhereto::Left));
    move_one(ctx, a.source, a.destination, from, to)
}

/// RPOPLPUSH source destination.
pub fn rpoplpush(ctx: &mut Ctx<'_>, a: Rpoplpush<'_>) -> CmdResult {
    move_one(ctx, a.source, a.destination, End::Right, End::Left)
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] (overlay `walk`): the first
/// non-empty list gives up to `count` elements, `[key, [elements]]`; nil when every list
/// is missing.
pub fn lmpop(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let (keys, left, count) = mpop_args(words, [b"LEFT", b"RIGHT"])?;
    let end = end_of(left);
    for key in keys {
        if list(ctx, key, Look::Write)?.is_some_and(|l| !l.is_empty()) {
            let items = pop_n(ctx, key, end, count)?;
            return Ok(Reply::Array(vec![Reply::bulk(key), bulks(items.iter())]));
        }
    }
    Ok(Reply::NilArray)
}

/// `numkeys key [key ...] <where> [COUNT count]` read as Redis's LMPOP/ZMPOP loop: the
/// count of keys, the word right after the keys (`wheres[0]` or `wheres[1]`: true for the
/// first), then COUNT once. The keys, the choice, and the count (1 by default).
pub(crate) fn mpop_args<'w>(words: &'w [Vec<u8>], wheres: [&[u8]; 2]) -> Result<(&'w [Vec<u8>], bool, usize), Reply> {
    let numkeys = words.first().and_then(|w| parse_i64(w)).filter(|n| *n >= 1).ok_or(Reply::err(error::NUMKEYS_GT0))?;
    let at = usize::try_from(numkeys).ok().and_then(|n| n.checked_add(1)).filter(|&i| i < words.len());
    let Some(at) = at else { return Err(Reply::err(error::SYNTAX)) };
    let first = if words[at].eq_ignore_ascii_case(wheres[0]) {
        true
    } else if words[at].eq_ignore_ascii_case(wheres[1]) {
        false
    } else {
        return Err(Reply::err(error::SYNTAX));
    };
    let mut count = None;
    let mut j = at + 1;
    while j < words.len() {
        match words.get(j + 1) {
            Some(v) if count.is_none() && words[j].eq_ignore_ascii_case(b"COUNT") => {
                let n = parse_i64(v).filter(|n| *n >= 1).ok_or(Reply::err(error::COUNT_GT0))?;
                count = Some(usize::try_from(n).unwrap_or(usize::MAX));
                j += 2;
            }
            _ => return Err(Reply::err(error::SYNTAX)),
        }
    }
    Ok((&words[1..at], first, count.unwrap_or(1)))
}
