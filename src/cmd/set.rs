//! Set commands (spec group `set`). SINTER walks the smallest set (ties keep the key
//! order) and answers in its order; SUNION and SDIFF build their result in a temporary set
//! that starts as an intset, so an all-integer result comes back sorted, as in Redis.
//! SPOP and SRANDMEMBER read their count before the key (overlay `handler`).

use bytes::Bytes;

use crate::cmd::collection::{scan_collection, Picks, ScanSource};
use crate::cmd::{typed, typed_or_create, written_as, Look};
use crate::db::{Set, Value};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::config::NOTIFY_SET;
use crate::server::Ctx;
use crate::spec::generated::*;
use crate::spec::grammar::parse_i64;

fn set<'c>(ctx: &'c mut Ctx<'_>, key: &[u8], look: Look) -> Result<Option<&'c mut Set>, Reply> {
    typed(ctx, key, look, Value::as_set_mut)
}

fn members(s: &Set) -> Reply {
    Reply::Set(s.iter().map(|m| Reply::Bulk(m.clone())).collect())
}

/// SADD key member [member ...]: how many are new.
pub fn sadd(ctx: &mut Ctx<'_>, a: Sadd<'_>) -> CmdResult {
    let enc = ctx.enc();
    let first = a.member.first().copied().unwrap_or_default();
    let n = a.member.len();
    let s = typed_or_create(ctx, a.key, Value::as_set_mut, || Value::Set(Box::new(Set::new(&enc, first, n))))?;
    s.prepare(&enc, n);
    let added = a.member.iter().filter(|m| s.add(&enc, m)).count();
    if added > 0 {
        written_as(ctx, a.key, NOTIFY_SET, "sadd");
    }
    Ok(Reply::Int(added as i64))
}

/// SREM key member [member ...]: how many were there.
pub fn srem(ctx: &mut Ctx<'_>, a: Srem<'_>) -> CmdResult {
    let Some(s) = set(ctx, a.key, Look::Write)? else { return Ok(Reply::Int(0)) };
    let gone = a.member.iter().filter(|m| s.remove(m)).count();
    if gone > 0 {
        written_as(ctx, a.key, NOTIFY_SET, "srem");
    }
    Ok(Reply::Int(gone as i64))
}

/// SMEMBERS key.
pub fn smembers(ctx: &mut Ctx<'_>, a: Smembers<'_>) -> CmdResult {
    Ok(set(ctx, a.key, Look::Read)?.map_or(Reply::Set(Vec::new()), |s| members(s)))
}

/// SISMEMBER key member.
pub fn sismember(ctx: &mut Ctx<'_>, a: Sismember<'_>) -> CmdResult {
    Ok(Reply::Int(i64::from(set(ctx, a.key, Look::Read)?.is_some_and(|s| s.contains(a.member)))))
}

/// SMISMEMBER key member [member ...].
pub fn smismember(ctx: &mut Ctx<'_>, a: Smismember<'_>) -> CmdResult {
    let s = set(ctx, a.key, Look::Read)?;
    let s = s.as_deref();
    Ok(Reply::Array(a.member.iter().map(|m| Reply::Int(i64::from(s.is_some_and(|s| s.contains(m))))).collect()))
}

/// SCARD key.
pub fn scard(ctx: &mut Ctx<'_>, a: Scard<'_>) -> CmdResult {
    Ok(Reply::Int(set(ctx, a.key, Look::Read)?.map_or(0, |s| s.len() as i64)))
}

/// SMOVE source destination member: a missing source answers 0 before the destination's
/// type is judged; a member moved onto its own set answers whether it is there.
pub fn smove(ctx: &mut Ctx<'_>, a: Smove<'_>) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let (src_exists, _) = (db.get_mut(a.source, now).is_some(), db.get_mut(a.destination, now));
    if !src_exists {
        return Ok(Reply::Int(0));
    }
    set(ctx, a.source, Look::Write)?;
    set(ctx, a.destination, Look::Write)?;
    if a.source == a.destination {
        return Ok(Reply::Int(i64::from(set(ctx, a.source, Look::Write)?.is_some_and(|s| s.contains(a.member)))));
    }
    if !set(ctx, a.source, Look::Write)?.is_some_and(|s| s.remove(a.member)) {
        return Ok(Reply::Int(0));
    }
    written_as(ctx, a.source, NOTIFY_SET, "srem");
    let enc = ctx.enc();
    let d =
        typed_or_create(ctx, a.destination, Value::as_set_mut, || Value::Set(Box::new(Set::new(&enc, a.member, 1))))?;
    if d.add(&enc, a.member) {
        written_as(ctx, a.destination, NOTIFY_SET, "sadd");
    }
    Ok(Reply::Int(1))
}

/// Pops (removes) the members at `positions` of the set at `key`; the key goes when empty.
fn take(ctx: &mut Ctx<'_>, key: &[u8], positions: &[usize]) -> Result<Vec<Bytes>, Reply> {
    let Some(s) = set(ctx, key, Look::Write)? else { return Ok(Vec::new()) };
    let chosen: Vec<Bytes> = positions.iter().filter_map(|&i| s.members.at(i).map(|(m, _)| m.clone())).collect();
    for m in &chosen {
        s.remove(m);
    }
    if !chosen.is_empty() {
        written_as(ctx, key, NOTIFY_SET, "spop");
    }
    Ok(chosen)
}

/// SPOP key [count]: with a count, a set reply (the whole set, in its order, when the
/// count covers it).
pub fn spop(ctx: &mut Ctx<'_>, a: Spop<'_>) -> CmdResult {
    let count = a.count.map(|n| n.int()).transpose()?;
    let mut picks = Picks::new(ctx, count.unwrap_or(1));
    let Some(len) = set(ctx, a.key, Look::Write)?.map(|s| s.len()) else {
        return Ok(if count.is_some() { Reply::Set(Vec::new()) } else { Reply::Nil });
    };
    let positions = picks.positions(len)?;
    if count.is_some() && positions.len() == len {
        // The whole set goes, answered through a union as Redis does (intset order).
        let union = union_of(ctx, &[a.key])?;
        take(ctx, a.key, &positions)?;
        return Ok(members(&union));
    }
    let popped = take(ctx, a.key, &positions)?;
    Ok(match count {
        None => Reply::bulk_opt(popped.into_iter().next()),
        Some(_) => Reply::Set(popped.into_iter().map(Reply::Bulk).collect()),
    })
}

/// SRANDMEMBER key [count]: an array; a negative count may repeat members.
pub fn srandmember(ctx: &mut Ctx<'_>, a: Srandmember<'_>) -> CmdResult {
    let count = a.count.map(|n| n.int()).transpose()?;
    let mut picks = Picks::new(ctx, count.unwrap_or(1));
    let Some(s) = set(ctx, a.key, Look::Read)? else {
        return Ok(if count.is_some() { Reply::Array(Vec::new()) } else { Reply::Nil });
    };
    let positions = picks.positions(s.len())?;
    let chosen = positions.iter().filter_map(|&i| s.members.at(i).map(|(m, _)| Reply::Bulk(m.clone())));
    Ok(match count {
        None => chosen.into_iter().next().unwrap_or(Reply::Nil),
        Some(_) => Reply::Array(chosen.collect()),
    })
}

/// Runs `f` over the sets at `keys` (`None` for a missing key), after looking every key up
/// for reading in order: WRONGTYPE at the first key of another type.
fn with_sets<R>(ctx: &mut Ctx<'_>, keys: &[&[u8]], f: impl FnOnce(&[Option<&Set>]) -> R) -> Result<R, Reply> {
    for k in keys {
        set(ctx, k, Look::Read)?;
    }
    let now = ctx.now;
    let db = &*ctx.db();
    let sets: Vec<Option<&Set>> = keys.iter().map(|k| db.get_live(k, now).and_then(|e| e.value.as_set())).collect();
    Ok(f(&sets))
}

/// The members common to every set, in the order of the smallest (`limit` 0: all).
fn inter_of(sets: &[Option<&Set>], limit: usize) -> Vec<Bytes> {
    let Some(mut by_size) = sets.iter().copied().collect::<Option<Vec<&Set>>>() else { return Vec::new() };
    by_size.sort_by_key(|s| s.len());
    let Some((first, rest)) = by_size.split_first() else { return Vec::new() };
    let mut out = Vec::new();
    for m in first.iter() {
        if rest.iter().all(|s| s.contains(m)) {
            out.push(m.clone());
            if limit != 0 && out.len() >= limit {
                break;
            }
        }
    }
    out
}

fn union_of(ctx: &mut Ctx<'_>, keys: &[&[u8]]) -> Result<Set, Reply> {
    let enc = ctx.enc();
    with_sets(ctx, keys, |sets| {
        let mut out = Set::intset();
        for m in sets.iter().flatten().flat_map(|s| s.iter()) {
            out.add(&enc, m);
        }
        out
    })
}

fn diff_of(ctx: &mut Ctx<'_>, keys: &[&[u8]]) -> Result<Set, Reply> {
    let enc = ctx.enc();
    let same = keys.iter().skip(1).any(|k| Some(k) == keys.first());
    with_sets(ctx, keys, |sets| {
        let mut out = Set::intset();
        if let (Some(Some(first)), false) = (sets.first(), same) {
            for m in first.iter() {
                if !sets[1..].iter().flatten().any(|s| s.contains(m)) {
                    out.add(&enc, m);
                }
            }
        }
        out
    })
}

/// Stores `result` at `dest` (deleting it when empty); its size.
fn store(ctx: &mut Ctx<'_>, dest: &[u8], result: Set, event: &'static str) -> CmdResult {
    let n = result.len();
    crate::cmd::store_collection(ctx, dest, Value::Set(Box::new(result)), n, (NOTIFY_SET, event))
}

/// SINTER key [key ...].
pub fn sinter(ctx: &mut Ctx<'_>, a: Sinter<'_>) -> CmdResult {
    let common = with_sets(ctx, &a.key, |sets| inter_of(sets, 0))?;
    Ok(Reply::Set(common.into_iter().map(Reply::Bulk).collect()))
}

/// SINTERSTORE destination key [key ...]: the result starts as an intset.
pub fn sinterstore(ctx: &mut Ctx<'_>, a: Sinterstore<'_>) -> CmdResult {
    let enc = ctx.enc();
    let common = with_sets(ctx, &a.key, |sets| inter_of(sets, 0))?;
    let mut out = Set::intset();
    for m in common {
        out.add(&enc, &m);
    }
    store(ctx, a.destination, out, "sinterstore")
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit] (overlay `walk`): Redis checks numkeys
/// against the words before it reads LIMIT.
pub fn sintercard(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let numkeys = words.first().and_then(|w| parse_i64(w)).filter(|n| *n >= 1).ok_or(Reply::err(error::NUMKEYS_GT0))?;
    let n = usize::try_from(numkeys).ok().filter(|&n| n < words.len()).ok_or(Reply::err(error::SINTERCARD_KEYS))?;
    let mut limit = 0;
    let mut j = n + 1;
    while j < words.len() {
        match words.get(j + 1) {
            Some(v) if words[j].eq_ignore_ascii_case(b"LIMIT") => {
                limit = parse_i64(v).filter(|l| *l >= 0).ok_or(Reply::err(error::LIMIT_NEGATIVE))?;
                j += 2;
            }
            _ => return Err(Reply::err(error::SYNTAX)),
        }
    }
    let keys: Vec<&[u8]> = words[1..=n].iter().map(Vec::as_slice).collect();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    Ok(Reply::Int(with_sets(ctx, &keys, |sets| inter_of(sets, limit).len())? as i64))
}

/// SUNION key [key ...].
pub fn sunion(ctx: &mut Ctx<'_>, a: Sunion<'_>) -> CmdResult {
    Ok(members(&union_of(ctx, &a.key)?))
}

/// SUNIONSTORE destination key [key ...].
pub fn sunionstore(ctx: &mut Ctx<'_>, a: Sunionstore<'_>) -> CmdResult {
    let out = union_of(ctx, &a.key)?;
    store(ctx, a.destination, out, "sunionstore")
}

/// SDIFF key [key ...].
pub fn sdiff(ctx: &mut Ctx<'_>, a: Sdiff<'_>) -> CmdResult {
    Ok(members(&diff_of(ctx, &a.key)?))
}

/// SDIFFSTORE destination key [key ...].
pub fn sdiffstore(ctx: &mut Ctx<'_>, a: Sdiffstore<'_>) -> CmdResult {
    let out = diff_of(ctx, &a.key)?;
    store(ctx, a.destination, out, "sdiffstore")
}

/// SSCAN key cursor [MATCH pattern] [COUNT count] (overlay `walk`).
pub fn sscan(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    scan_collection(ctx, words, ScanSource::Set)
}
