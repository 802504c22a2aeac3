//! ZPOPMIN, ZPOPMAX, ZMPOP and ZRANDMEMBER. ZPOPMIN/ZPOPMAX answer a flat
//! `[member, score, ...]`, nested pairs under RESP3 when a count was given; ZMPOP answers
//! `[key, [[member, score], ...]]` in both protocols. The blocking forms come with the
//! waiter registry and share `pop_n`.

use bytes::Bytes;

use super::{score_reply, zset};
use crate::cmd::collection::{rand_args, Picks};
use crate::cmd::list::mpop_args;
use crate::cmd::{written_as, Look};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::config::NOTIFY_ZSET;
use crate::server::Ctx;
use crate::spec::generated::*;
use crate::spec::grammar::parse_i64;

/// Pops up to `count` elements from the low (or `max`) end of the sorted set at `key`,
/// deleting it when emptied: `(member, score)` in pop order.
pub(crate) fn pop_n(ctx: &mut Ctx<'_>, key: &[u8], max: bool, count: usize) -> Result<Vec<(Bytes, f64)>, Reply> {
    let Some(z) = zset(ctx, key, Look::Write)? else { return Ok(Vec::new()) };
    let n = count.min(z.len());
    let start = if max { z.len().saturating_sub(1) } else { 0 };
    let out: Vec<(Bytes, f64)> = z.iter_from(start, max).take(n).map(|(m, s)| (m.clone(), s)).collect();
    for (m, _) in &out {
        z.remove(m);
    }
    if !out.is_empty() {
        written_as(ctx, key, NOTIFY_ZSET, if max { "zpopmax" } else { "zpopmin" });
    }
    Ok(out)
}

pub(crate) fn pairs(p: &crate::spec::Profile, items: Vec<(Bytes, f64)>, nested: bool) -> Vec<Reply> {
    let mut out = Vec::with_capacity(items.len() * 2);
    for (m, s) in items {
        if nested {
            out.push(Reply::Array(vec![Reply::Bulk(m), score_reply(p, s)]));
        } else {
            out.extend([Reply::Bulk(m), score_reply(p, s)]);
        }
    }
    out
}

fn zpop(ctx: &mut Ctx<'_>, key: &[u8], count: Option<crate::spec::Num<'_>>, max: bool) -> CmdResult {
    let p = ctx.profile();
    if !p.redis_at_least(7, 0) {
        // 6.2 reads any integer and answers a count below 1 before it looks the key up.
        let n = count.map(|n| parse_i64(n.word).ok_or(Reply::err(error::NOT_INTEGER))).transpose()?;
        if n.is_some_and(|c| c <= 0) {
            return Ok(Reply::Array(Vec::new()));
        }
    }
    let count = count.map(|n| n.int()).transpose()?;
    if zset(ctx, key, Look::Write)?.is_none() || count == Some(0) {
        return Ok(Reply::Array(Vec::new()));
    }
    let n = count.map_or(1, |c| usize::try_from(c).unwrap_or(usize::MAX));
    let items = pop_n(ctx, key, max, n)?;
    Ok(Reply::Array(pairs(&p, items, ctx.sess.resp >= 3 && count.is_some())))
}

/// ZPOPMIN key [count]: the count is read before the key (overlay `handler`).
pub fn zpopmin(ctx: &mut Ctx<'_>, a: Zpopmin<'_>) -> CmdResult {
    zpop(ctx, a.key, a.count, false)
}

/// ZPOPMAX key [count].
pub fn zpopmax(ctx: &mut Ctx<'_>, a: Zpopmax<'_>) -> CmdResult {
    zpop(ctx, a.key, a.count, true)
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] (overlay `walk`): the first existing
/// key decides (WRONGTYPE if it is not a sorted set); nil when none exists.
pub fn zmpop(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let (keys, min, count) = mpop_args(words, [b"MIN", b"MAX"])?;
    let p = ctx.profile();
    for key in keys {
        if zset(ctx, key, Look::Write)?.is_some() {
            let items = pop_n(ctx, key, !min, count)?;
            return Ok(Reply::Array(vec![Reply::bulk(key), Reply::Array(pairs(&p, items, true))]));
        }
    }
    Ok(Reply::NilArray)
}

/// ZRANDMEMBER key [count [WITHSCORES]] (overlay `walk`): as HRANDFIELD; a count covering
/// the set answers it from the highest score down, distinct picks come in score order.
pub fn zrandmember(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let (p, resp3) = (ctx.profile(), ctx.sess.resp >= 3);
    let (key, opts) = rand_args(words, b"WITHSCORES")?;
    let Some((count, withscores)) = opts else {
        let mut picks = Picks::new(ctx, 1);
        let Some(z) = zset(ctx, key, Look::Read)? else { return Ok(Reply::Nil) };
        let i = picks.positions(z.len())?.first().copied().unwrap_or(0);
        return Ok(Reply::bulk_opt(z.at(i).map(|(m, _)| m.clone())));
    };
    let mut picks = Picks::new(ctx, count);
    let Some(z) = zset(ctx, key, Look::Read)? else { return Ok(Reply::Array(Vec::new())) };
    let mut positions = picks.positions(z.len())?;
    if count >= z.len() as i64 {
        // The whole set, walked as Redis's union iterator walks it: from the top.
        positions.reverse();
    }
    let chosen: Vec<(Bytes, f64)> =
        positions.into_iter().filter_map(|i| z.at(i).map(|(m, s)| (m.clone(), s))).collect();
    Ok(Reply::Array(if withscores {
        pairs(&p, chosen, resp3)
    } else {
        chosen.into_iter().map(|(m, _)| Reply::Bulk(m)).collect()
    }))
}
