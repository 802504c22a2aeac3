//! ZRANGE (by rank, score or lex, REV, LIMIT, WITHSCORES), its legacy forms ZREVRANGE,
//! ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZRANGESTORE, and the
//! counts and removals by range. One option loop, as Redis's `zrangeGenericCommand`: the
//! options, their combination errors, the bounds, then the key.

use bytes::Bytes;

use super::{lex_range, score_range, score_reply, zset};
use crate::cmd::list::range as rank_range;
use crate::cmd::{written_as, Look};
use crate::db::{LexBound, ScoreBound, Value, ZSet};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::config::NOTIFY_ZSET;
use crate::server::Ctx;
use crate::spec::generated::*;
use crate::spec::grammar::parse_i64;

#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    Rank,
    Score,
    Lex,
}

/// The range a command asks for, with its bounds read.
enum Bounds {
    Rank(i64, i64),
    Score(ScoreBound, ScoreBound),
    Lex(LexBound, LexBound),
}

/// What a range command was called as: which options it takes and which are fixed.
struct Form {
    by: Option<By>,
    rev: Option<bool>,
    store: bool,
}

struct Query {
    bounds: Bounds,
    rev: bool,
    offset: i64,
    limit: i64,
    withscores: bool,
}

/// Redis's option loop over `opts`, then the bounds `min`/`max` (swapped for a reverse
/// score or lex range, whose first bound is the maximum).
fn query(form: &Form, min: &[u8], max: &[u8], opts: &[Vec<u8>]) -> Result<Query, Reply> {
    let (mut by, mut rev) = (form.by, form.rev);
    let (mut offset, mut limit, mut withscores) = (0, -1, false);
    let mut j = 0;
    while j < opts.len() {
        let w = opts[j].to_ascii_lowercase();
        let left = opts.len() - j - 1;
        match w.as_slice() {
            b"withscores" if !form.store => withscores = true,
            b"limit" if left >= 2 => {
                let n = |w: &[u8]| parse_i64(w).ok_or(Reply::err(error::NOT_INTEGER));
                offset = n(&opts[j + 1])?;
                limit = n(&opts[j + 2])?;
                j += 2;
            }
            b"rev" if rev.is_none() => rev = Some(true),
            b"bylex" if by.is_none() => by = Some(By::Lex),
            b"byscore" if by.is_none() => by = Some(By::Score),
            _ => return Err(Reply::err(error::SYNTAX)),
        }
        j += 1;
    }
    let (by, rev) = (by.unwrap_or(By::Rank), rev.unwrap_or(false));
    if limit != -1 && by == By::Rank {
        return Err(Reply::err(error::ZRANGE_LIMIT_NEEDS_BY));
    }
    if withscores && by == By::Lex {
        return Err(Reply::err(error::ZRANGE_WITHSCORES_BYLEX));
    }
    let (lo, hi) = if rev && by != By::Rank { (max, min) } else { (min, max) };
    let bounds = match by {
        By::Rank => {
            let n = |w: &[u8]| parse_i64(w).ok_or(Reply::err(error::NOT_INTEGER));
            Bounds::Rank(n(lo)?, n(hi)?)
        }
        By::Score => {
            let (a, b) = score_range(lo, hi)?;
            Bounds::Score(a, b)
        }
        By::Lex => {
            let (a, b) = lex_range(lo, hi)?;
            Bounds::Lex(a, b)
        }
    };
    Ok(Query { bounds, rev, offset, limit, withscores })
}

/// Redis's `zslIsInLexRange` guard: an empty range, or one that misses both ends.
fn lex_misses(z: &ZSet, min: &LexBound, max: &LexBound) -> bool {
    let empty = match (min, max) {
        (LexBound::Max, _) | (_, LexBound::Min) => true,
        (LexBound::Min, _) | (_, LexBound::Max) => false,
        (LexBound::Incl(a), LexBound::Incl(b)) => a > b,
        (LexBound::Incl(a) | LexBound::Excl(a), LexBound::Incl(b) | LexBound::Excl(b)) => a >= b,
    };
    let last = z.at(z.len().wrapping_sub(1)).map(|(m, _)| m.clone());
    let first = z.at(0).map(|(m, _)| m.clone());
    empty || !last.is_some_and(|m| min.admits_from_below(&m)) || !first.is_some_and(|m| max.admits_from_above(&m))
}

/// The elements of `q` in `z`, in reply order: `(member, score)`.
fn select(z: &ZSet, q: &Query) -> Vec<(Bytes, f64)> {
    let len = z.len();
    let take = |start: Option<usize>, rev: bool, keep: &dyn Fn(&[u8], f64) -> bool| -> Vec<(Bytes, f64)> {
        let Some(start) = start else { return Vec::new() };
        // LIMIT: a negative offset skips everything, a negative count takes all.
        let skip = if q.offset < 0 { usize::MAX } else { usize::try_from(q.offset).unwrap_or(usize::MAX) };
        let limit = if q.limit < 0 { usize::MAX } else { usize::try_from(q.limit).unwrap_or(usize::MAX) };
        z.iter_from(start, rev)
            .skip(skip)
            .take_while(|(m, s)| keep(m, *s))
            .take(limit)
            .map(|(m, s)| (m.clone(), s))
            .collect()
    };
    if q.offset > 0 && q.offset as u64 >= len as u64 && !matches!(q.bounds, Bounds::Rank(..)) {
        return Vec::new();
    }
    match &q.bounds {
        Bounds::Rank(start, end) => match rank_range(len, *start, *end) {
            Some((s, e)) => {
                let n = e - s + 1;
                let first = if q.rev { len - 1 - s } else { s };
                z.iter_from(first, q.rev).take(n).map(|(m, sc)| (m.clone(), sc)).collect()
            }
            None => Vec::new(),
        },
        Bounds::Score(min, max) => {
            if q.rev {
                let through = z.through_score(*max);
                let start = through.checked_sub(1).filter(|&i| z.at(i).is_some_and(|(_, s)| min.admits_from_below(s)));
                take(start, true, &|_, s| min.admits_from_below(s))
            } else {
                let below = z.below_score(*min);
                let start = Some(below).filter(|&i| z.at(i).is_some_and(|(_, s)| max.admits_from_above(s)));
                take(start, false, &|_, s| max.admits_from_above(s))
            }
        }
        Bounds::Lex(min, max) => {
            if lex_misses(z, min, max) {
                return Vec::new();
            }
            if q.rev {
                let start = lex_last(z, max).filter(|&i| z.at(i).is_some_and(|(m, _)| min.admits_from_below(m)));
                take(start, true, &|m, _| min.admits_from_below(m))
            } else {
                let start = lex_first(z, min).filter(|&i| z.at(i).is_some_and(|(m, _)| max.admits_from_above(m)));
                take(start, false, &|m, _| max.admits_from_above(m))
            }
        }
    }
}

/// The first element at or above `min`: a listpack is scanned from the head, as Redis
/// scans it (this matters when the scores differ, where lex ranges are unspecified).
fn lex_first(z: &ZSet, min: &LexBound) -> Option<usize> {
    if z.listpack {
        z.iter_from(0, false).position(|(m, _)| min.admits_from_below(m))
    } else {
        Some(z.below_lex(min)).filter(|&i| i < z.len())
    }
}

/// The last element at or below `max`: a listpack is scanned from the tail.
fn lex_last(z: &ZSet, max: &LexBound) -> Option<usize> {
    if z.listpack {
        let back = z.iter_from(z.len().checked_sub(1)?, true).position(|(m, _)| max.admits_from_above(m))?;
        Some(z.len() - 1 - back)
    } else {
        z.through_lex(max).checked_sub(1)
    }
}

fn emit(p: &crate::spec::Profile, items: Vec<(Bytes, f64)>, withscores: bool, resp3: bool) -> Reply {
    let mut out = Vec::with_capacity(items.len() * if withscores && !resp3 { 2 } else { 1 });
    for (m, s) in items {
        match (withscores, resp3) {
            (false, _) => out.push(Reply::Bulk(m)),
            (true, false) => out.extend([Reply::Bulk(m), score_reply(p, s)]),
            (true, true) => out.push(Reply::Array(vec![Reply::Bulk(m), score_reply(p, s)])),
        }
    }
    Reply::Array(out)
}

fn range_reply(ctx: &mut Ctx<'_>, words: &[Vec<u8>], form: Form) -> CmdResult {
    let [key, min, max, opts @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let q = query(&form, min, max, opts)?;
    let (p, resp3) = (ctx.profile(), ctx.sess.resp >= 3);
    let Some(z) = zset(ctx, key, Look::Read)? else { return Ok(Reply::Array(Vec::new())) };
    let items = select(z, &q);
    Ok(emit(&p, items, q.withscores, resp3))
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
/// (overlay `walk`).
pub fn zrange(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    range_reply(ctx, words, Form { by: None, rev: None, store: false })
}

/// ZREVRANGE key start stop [WITHSCORES].
pub fn zrevrange(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    range_reply(ctx, words, Form { by: Some(By::Rank), rev: Some(true), store: false })
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count].
pub fn zrangebyscore(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    range_reply(ctx, words, Form { by: Some(By::Score), rev: Some(false), store: false })
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count].
pub fn zrevrangebyscore(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    range_reply(ctx, words, Form { by: Some(By::Score), rev: Some(true), store: false })
}

/// ZRANGEBYLEX key min max [LIMIT offset count].
pub fn zrangebylex(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    range_reply(ctx, words, Form { by: Some(By::Lex), rev: Some(false), store: false })
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count].
pub fn zrevrangebylex(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    range_reply(ctx, words, Form { by: Some(By::Lex), rev: Some(true), store: false })
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]: an empty
/// result deletes `dst`.
pub fn zrangestore(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [dst, src, min, max, opts @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let q = query(&Form { by: None, rev: None, store: true }, min, max, opts)?;
    let enc = ctx.enc();
    let items = match zset(ctx, src, Look::Read)? {
        Some(z) => select(z, &q),
        None => Vec::new(),
    };
    let known = matches!(q.bounds, Bounds::Rank(..)).then_some(items.len());
    let small =
        if enc.up_front { known.unwrap_or(0) <= enc.zset_entries } else { known.is_none_or(|n| n <= enc.zset_entries) };
    let mut out = ZSet::new(small);
    for (m, s) in &items {
        out.set(&enc, m, *s);
    }
    store_result(ctx, dst, out, "zrangestore")
}

/// Stores a computed sorted set at `dst` (deleting `dst` when it is empty); its size.
/// Stores a computed sorted set at `dst`, reporting `event` (`zunionstore`, `zrangestore`, ...).
pub(crate) fn store_result(ctx: &mut Ctx<'_>, dst: &[u8], z: ZSet, event: &'static str) -> CmdResult {
    let n = z.len();
    crate::cmd::store_collection(ctx, dst, Value::Zset(Box::new(z)), n, (crate::server::config::NOTIFY_ZSET, event))
}

/// ZCOUNT key min max (overlay `raw`): the bounds, then the key.
pub fn zcount(ctx: &mut Ctx<'_>, a: Zcount<'_>) -> CmdResult {
    let (min, max) = score_range(a.min, a.max)?;
    let Some(z) = zset(ctx, a.key, Look::Read)? else { return Ok(Reply::Int(0)) };
    let (lo, hi) = (z.below_score(min), z.through_score(max));
    Ok(Reply::Int(hi.saturating_sub(lo) as i64))
}

/// ZLEXCOUNT key min max.
pub fn zlexcount(ctx: &mut Ctx<'_>, a: Zlexcount<'_>) -> CmdResult {
    let (min, max) = lex_range(a.min, a.max)?;
    let Some(z) = zset(ctx, a.key, Look::Read)? else { return Ok(Reply::Int(0)) };
    let q = Query { bounds: Bounds::Lex(min, max), rev: false, offset: 0, limit: -1, withscores: false };
    Ok(Reply::Int(select(z, &q).len() as i64))
}

/// Removes the selected elements of `key`; how many went.
fn remove_range(ctx: &mut Ctx<'_>, key: &[u8], bounds: Bounds) -> CmdResult {
    let Some(z) = zset(ctx, key, Look::Write)? else { return Ok(Reply::Int(0)) };
    let q = Query { bounds, rev: false, offset: 0, limit: -1, withscores: false };
    let event = match q.bounds {
        Bounds::Rank(..) => "zremrangebyrank",
        Bounds::Score(..) => "zremrangebyscore",
        Bounds::Lex(..) => "zremrangebylex",
    };
    let gone = select(z, &q);
    for (m, _) in &gone {
        z.remove(m);
    }
    if !gone.is_empty() {
        written_as(ctx, key, NOTIFY_ZSET, event);
    }
    Ok(Reply::Int(gone.len() as i64))
}

/// ZREMRANGEBYRANK key start stop.
pub fn zremrangebyrank(ctx: &mut Ctx<'_>, a: Zremrangebyrank<'_>) -> CmdResult {
    remove_range(ctx, a.key, Bounds::Rank(a.start, a.stop))
}

/// ZREMRANGEBYSCORE key min max (overlay `raw`).
pub fn zremrangebyscore(ctx: &mut Ctx<'_>, a: Zremrangebyscore<'_>) -> CmdResult {
    let (min, max) = score_range(a.min, a.max)?;
    remove_range(ctx, a.key, Bounds::Score(min, max))
}

/// ZREMRANGEBYLEX key min max.
pub fn zremrangebylex(ctx: &mut Ctx<'_>, a: Zremrangebylex<'_>) -> CmdResult {
    let (min, max) = lex_range(a.min, a.max)?;
    remove_range(ctx, a.key, Bounds::Lex(min, max))
}
