//! The blocking pops: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP
//! (overlay `walk`: each reads its words in Redis's order, the timeout where Redis reads it).
//!
//! A command serves at once from the first non-empty key in argument order (WRONGTYPE if a
//! key of another type comes first); otherwise it blocks ([`Ctx::block`]), or, inside MULTI
//! and scripts, answers as if it had timed out. A blocked command is retried when a key it
//! waits on is written: up to Redis 7.0 the retry pops from that key only; from 7.2 the
//! whole command runs again (the key may then differ, or be WRONGTYPE), as Redis re-runs it.

use bytes::Bytes;

use crate::cmd::list::{bulks, end_of, list, move_one, mpop_args, pop_n, End};
use crate::cmd::sorted_set::pop::{pairs, pop_n as zpop_n};
use crate::cmd::sorted_set::{score_reply, zset};
use crate::cmd::Look;
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;
use crate::spec::Profile;

/// A blocking timeout in seconds (fractions allowed) as Redis reads it: ms to wait, 0 for
/// ever. 6.2 truncates to whole ms, 7.0 rounds up; before 7.2 a value too large for the
/// ms count wraps to "negative", from 7.2 it is out of range.
pub(crate) fn timeout_ms(p: &Profile, word: &[u8]) -> Result<i64, Reply> {
    let secs = parse_long_double(word).ok_or(Reply::err(error::TIMEOUT_NOT_FLOAT))?;
    let ms = secs * 1000.0;
    const LIMIT: f64 = 9_223_372_036_854_775_807.0;
    let v = if p.redis_at_least(7, 2) {
        if ms > LIMIT {
            return Err(Reply::err(error::TIMEOUT_OUT_OF_RANGE));
        }
        cast_like_c(ms.ceil())
    } else if p.redis_at_least(7, 0) {
        cast_like_c(ms.ceil())
    } else {
        cast_like_c(ms.trunc())
    };
    if v < 0 {
        return Err(Reply::err(error::TIMEOUT_NEGATIVE));
    }
    Ok(v)
}

/// C's `(long long)` of a double on x86: out of range (or infinite) is `LLONG_MIN`.
fn cast_like_c(v: f64) -> i64 {
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v) {
        v as i64
    } else {
        i64::MIN
    }
}

/// Redis's `string2ld` read into a double: strtold up to the end (or a NUL), no leading
/// space, no NaN, no long-double overflow or underflow (a tiny value still counts as one).
fn parse_long_double(word: &[u8]) -> Option<f64> {
    let w = &word[..word.iter().position(|&c| c == 0).unwrap_or(word.len())];
    if w.first().is_none_or(u8::is_ascii_whitespace) || w.first() == Some(&0x0b) {
        return None;
    }
    let v = crate::spec::grammar::parse_strtod(w)?;
    if v.is_nan() {
        return None;
    }
    let lower = w.to_ascii_lowercase();
    let exp = lower.iter().position(|&c| c == b'e' && !lower.starts_with(b"0x") && !lower.starts_with(b"-0x"));
    let exp: i64 = exp.and_then(|i| std::str::from_utf8(&lower[i + 1..]).ok()?.parse().ok()).unwrap_or(0);
    if exp.abs() > 4932 && !(v == 0.0 && lower.iter().all(|c| !c.is_ascii_digit() || *c == b'0')) {
        return None; // beyond a long double either way
    }
    if v == 0.0 && lower.iter().any(|c| (b'1'..=b'9').contains(c)) && exp < 0 {
        // Too small for a double, not for a long double: the smallest positive.
        return Some(f64::MIN_POSITIVE);
    }
    Some(v)
}

/// Which keys a call may serve from: on a retry up to 7.0, the key that became ready; else
/// all of them. `None`: a retry whose ready key does not hold `want` (the waiter stays).
fn candidates<'k>(ctx: &mut Ctx<'_>, keys: &'k [&'k [u8]], want: &str) -> Option<Vec<&'k [u8]>> {
    let Some(ready) = ctx.serving.clone() else { return Some(keys.to_vec()) };
    let now = ctx.now;
    if ctx.db().get_live(&ready, now).is_none_or(|e| e.value.type_name() != want) {
        return None;
    }
    if ctx.profile().redis_at_least(7, 2) {
        return Some(keys.to_vec());
    }
    Some(keys.iter().copied().filter(|k| **k == *ready).take(1).collect())
}

fn wait(ctx: &mut Ctx<'_>, keys: &[&[u8]], timeout: i64, immediate: Reply) -> CmdResult {
    let keys = keys.iter().map(|k| Bytes::copy_from_slice(k)).collect();
    ctx.block(keys, timeout, Reply::NilArray, immediate)
}

/// The first of `keys` holding a non-empty list (WRONGTYPE if another type comes first).
fn first_list<'k>(ctx: &mut Ctx<'_>, keys: &[&'k [u8]]) -> Result<Option<&'k [u8]>, Reply> {
    for key in keys {
        if list(ctx, key, Look::Write)?.is_some_and(|l| !l.is_empty()) {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

fn first_zset<'k>(ctx: &mut Ctx<'_>, keys: &[&'k [u8]]) -> Result<Option<&'k [u8]>, Reply> {
    for key in keys {
        if zset(ctx, key, Look::Write)?.is_some_and(|z| !z.is_empty()) {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

fn as_slices(words: &[Vec<u8>]) -> Vec<&[u8]> {
    words.iter().map(Vec::as_slice).collect()
}

/// BLPOP/BRPOP key [key ...] timeout: `[key, element]`.
fn bpop(ctx: &mut Ctx<'_>, words: &[Vec<u8>], end: End) -> CmdResult {
    let (timeout, keys) = words.split_last().ok_or(Reply::err(error::SYNTAX))?;
    let timeout = timeout_ms(&ctx.profile(), timeout)?;
    let keys = as_slices(keys);
    let Some(from) = candidates(ctx, &keys, "list") else { return wait(ctx, &keys, timeout, Reply::NilArray) };
    if let Some(key) = first_list(ctx, &from)? {
        let mut out = vec![Reply::bulk(key)];
        out.extend(pop_n(ctx, key, end, 1)?.into_iter().map(Reply::Bulk));
        return Ok(Reply::Array(out));
    }
    wait(ctx, &keys, timeout, Reply::NilArray)
}

/// BLPOP key [key ...] timeout.
pub fn blpop(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    bpop(ctx, words, End::Left)
}

/// BRPOP key [key ...] timeout.
pub fn brpop(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    bpop(ctx, words, End::Right)
}

/// `LEFT`/`RIGHT` as LMOVE reads it.
fn side(w: &[u8]) -> Result<End, Reply> {
    if w.eq_ignore_ascii_case(b"LEFT") {
        Ok(End::Left)
    } else if w.eq_ignore_ascii_case(b"RIGHT") {
        Ok(End::Right)
    } else {
        Err(Reply::err(error::SYNTAX))
    }
}

/// Moves from `src` to `dst` or blocks on `src` (a missing source blocks whatever the
/// destination holds; an existing one is moved as LMOVE moves it, destination checked).
fn bmove(ctx: &mut Ctx<'_>, src: &[u8], dst: &[u8], from: End, to: End, timeout: i64) -> CmdResult {
    let keys = [src];
    let Some(from_keys) = candidates(ctx, &keys, "list") else { return wait(ctx, &keys, timeout, Reply::Nil) };
    if first_list(ctx, &from_keys)?.is_some() {
        return move_one(ctx, src, dst, from, to);
    }
    wait(ctx, &keys, timeout, Reply::Nil)
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout.
pub fn blmove(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [src, dst, from, to, timeout] = words else { return Err(Reply::err(error::SYNTAX)) };
    let (from, to) = (side(from)?, side(to)?);
    let timeout = timeout_ms(&ctx.profile(), timeout)?;
    bmove(ctx, src, dst, from, to, timeout)
}

/// BRPOPLPUSH source destination timeout.
pub fn brpoplpush(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [src, dst, timeout] = words else { return Err(Reply::err(error::SYNTAX)) };
    let timeout = timeout_ms(&ctx.profile(), timeout)?;
    bmove(ctx, src, dst, End::Right, End::Left, timeout)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: the timeout is read after
/// the rest.
pub fn blmpop(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let (timeout, rest) = words.split_first().ok_or(Reply::err(error::SYNTAX))?;
    let (keys, left, count) = mpop_args(rest, [b"LEFT", b"RIGHT"])?;
    let timeout = timeout_ms(&ctx.profile(), timeout)?;
    let keys = as_slices(keys);
    let Some(from) = candidates(ctx, &keys, "list") else { return wait(ctx, &keys, timeout, Reply::NilArray) };
    if let Some(key) = first_list(ctx, &from)? {
        let items = pop_n(ctx, key, end_of(left), count)?;
        return Ok(Reply::Array(vec![Reply::bulk(key), bulks(items.iter())]));
    }
    wait(ctx, &keys, timeout, Reply::NilArray)
}

/// BZPOPMIN/BZPOPMAX key [key ...] timeout: `[key, member, score]`.
fn bzpop(ctx: &mut Ctx<'_>, words: &[Vec<u8>], max: bool) -> CmdResult {
    let (timeout, keys) = words.split_last().ok_or(Reply::err(error::SYNTAX))?;
    let p = ctx.profile();
    let timeout = timeout_ms(&p, timeout)?;
    let keys = as_slices(keys);
    let Some(from) = candidates(ctx, &keys, "zset") else { return wait(ctx, &keys, timeout, Reply::NilArray) };
    if let Some(key) = first_zset(ctx, &from)? {
        let mut out = vec![Reply::bulk(key)];
        if let Some((m, s)) = zpop_n(ctx, key, max, 1)?.pop() {
            out.extend([Reply::Bulk(m), score_reply(&p, s)]);
        }
        return Ok(Reply::Array(out));
    }
    wait(ctx, &keys, timeout, Reply::NilArray)
}

/// BZPOPMIN key [key ...] timeout.
pub fn bzpopmin(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    bzpop(ctx, words, false)
}

/// BZPOPMAX key [key ...] timeout.
pub fn bzpopmax(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    bzpop(ctx, words, true)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count].
pub fn bzmpop(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let (timeout, rest) = words.split_first().ok_or(Reply::err(error::SYNTAX))?;
    let (keys, min, count) = mpop_args(rest, [b"MIN", b"MAX"])?;
    let p = ctx.profile();
    let timeout = timeout_ms(&p, timeout)?;
    let keys = as_slices(keys);
    let Some(from) = candidates(ctx, &keys, "zset") else { return wait(ctx, &keys, timeout, Reply::NilArray) };
    if let Some(key) = first_zset(ctx, &from)? {
        let items = zpop_n(ctx, key, !min, count)?;
        return Ok(Reply::Array(vec![Reply::bulk(key), Reply::Array(pairs(&p, items, true))]));
    }
    wait(ctx, &keys, timeout, Reply::NilArray)
}
