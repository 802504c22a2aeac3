//! Sorted-set commands (spec group `sorted_set`): the index and what the files share.
//!
//! - `mod.rs`: ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZSCAN, and
//!   the score formatting and bound parsing the others use.
//! - `range.rs`: ZRANGE and its legacy forms, ZRANGESTORE, ZCOUNT, ZLEXCOUNT, ZREMRANGEBY*.
//! - `store.rs`: ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD.
//! - `pop.rs`: ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER.
//!
//! Scores are written as the pinned server writes them: `%.17g` up to Redis 7.0 (and in
//! KeyDB), the shortest form that reads back from 7.2 and in Valkey ([`score_text`]).

pub mod pop;
pub mod range;
pub mod store;

use crate::cmd::collection::{scan_collection, ScanSource};
use crate::cmd::{typed, typed_or_create, written_as, Look};
use crate::db::{LexBound, ScoreBound, Value, ZSet};
use crate::error;
use crate::reply::{format_double, CmdResult, Reply};
use crate::server::config::NOTIFY_ZSET;
use crate::server::Ctx;
use crate::spec::generated::*;
use crate::spec::grammar::{parse_f64, parse_strtod};
use crate::spec::Profile;

pub(crate) fn zset<'c>(ctx: &'c mut Ctx<'_>, key: &[u8], look: Look) -> Result<Option<&'c mut ZSet>, Reply> {
    typed(ctx, key, look, Value::as_zset_mut)
}

/// A score as the pinned server writes it.
pub(crate) fn score_text(p: &Profile, d: f64) -> String {
    if p.redis_at_least(7, 2) {
        d2string(d)
    } else {
        format_double(d)
    }
}

pub(crate) fn score_reply(p: &Profile, d: f64) -> Reply {
    Reply::DoubleText(score_text(p, d))
}

/// Redis 7.2's `d2string`: integral values up to 2^62 as integers, others in the shortest
/// digits that read back (fpconv), plain decimal unless the exponent is far out.
pub fn d2string(d: f64) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let half = (i64::MAX / 2) as f64;
    if d.fract() == 0.0 && (-half..=half).contains(&d) {
        return (d as i64).to_string();
    }
    let sci = format!("{:e}", d.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let nd = digits.len() as i32;
    let k = exp.parse::<i32>().unwrap_or(0) - (nd - 1);
    let e = (k + nd - 1).abs();
    let sign = if d < 0.0 { "-" } else { "" };
    if k >= 0 && e < nd + 7 {
        return format!("{sign}{digits}{}", "0".repeat(k as usize));
    }
    if k < 0 && (k > -7 || e < 4) {
        let offset = nd + k;
        return if offset <= 0 {
            format!("{sign}0.{}{digits}", "0".repeat((-offset) as usize))
        } else {
            let (a, b) = digits.split_at(offset as usize);
            format!("{sign}{a}.{b}")
        };
    }
    let (first, rest) = digits.split_at(1);
    let dot = if rest.is_empty() { String::new() } else { format!(".{rest}") };
    let esign = if k + nd - 1 < 0 { '-' } else { '+' };
    format!("{sign}{first}{dot}e{esign}{e}")
}

/// A score bound of ZRANGEBYSCORE and friends: `(` makes it exclusive; the rest is read
/// by C's strtod (spaces, hex, `inf`; an empty word is 0), NaN refused.
pub(crate) fn score_bound(w: &[u8]) -> Option<ScoreBound> {
    let (exclusive, rest) = match w.first() {
        Some(b'(') => (true, &w[1..]),
        _ => (false, w),
    };
    parse_strtod(rest).filter(|v| !v.is_nan()).map(|value| ScoreBound { value, exclusive })
}

pub(crate) fn score_range(min: &[u8], max: &[u8]) -> Result<(ScoreBound, ScoreBound), Reply> {
    match (score_bound(min), score_bound(max)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(Reply::err(error::MIN_MAX_NOT_FLOAT)),
    }
}

/// A lex bound: `-`, `+`, `[member` or `(member`.
pub(crate) fn lex_bound(w: &[u8]) -> Option<LexBound> {
    match w {
        [b'-'] => Some(LexBound::Min),
        [b'+'] => Some(LexBound::Max),
        [b'[', rest @ ..] => Some(LexBound::Incl(rest.to_vec())),
        [b'(', rest @ ..] => Some(LexBound::Excl(rest.to_vec())),
        _ => None,
    }
}

pub(crate) fn lex_range(min: &[u8], max: &[u8]) -> Result<(LexBound, LexBound), Reply> {
    match (lex_bound(min), lex_bound(max)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(Reply::err(error::MIN_MAX_NOT_STRING_RANGE)),
    }
}

/// A score argument (ZADD, ZINCRBY): Redis's `getDoubleFromObject`.
fn score_arg(w: &[u8]) -> Result<f64, Reply> {
    parse_f64(w).ok_or(Reply::err(error::NOT_FLOAT))
}

/// The flags ZADD reads before its score/member pairs.
#[derive(Default)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] (overlay `walk`),
/// as Redis's `zaddGenericCommand`: flags only up front, then the pair count, the flag
/// conflicts, INCR's single pair, every score, and only then the key.
pub fn zadd(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [key, rest @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let mut f = AddFlags::default();
    let mut i = 0;
    while let Some(w) = rest.get(i) {
        let w = w.to_ascii_lowercase();
        match w.as_slice() {
            b"nx" => f.nx = true,
            b"xx" => f.xx = true,
            b"gt" => f.gt = true,
            b"lt" => f.lt = true,
            b"ch" => f.ch = true,
            b"incr" => f.incr = true,
            _ => break,
        }
        i += 1;
    }
    add_pairs(ctx, key, &rest[i..], f)
}

/// ZINCRBY key increment member: ZADD's INCR (Redis reads ZADD's flags here too, so an
/// increment spelled `nx` is a syntax error).
pub fn zincrby(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [key, rest @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let mut f = AddFlags { incr: true, ..AddFlags::default() };
    let mut i = 0;
    while let Some(w) = rest.get(i) {
        match w.to_ascii_lowercase().as_slice() {
            b"nx" => f.nx = true,
            b"xx" => f.xx = true,
            b"gt" => f.gt = true,
            b"lt" => f.lt = true,
            b"ch" => f.ch = true,
            b"incr" => {}
            _ => break,
        }
        i += 1;
    }
    add_pairs(ctx, key, &rest[i..], f)
}

fn add_pairs(ctx: &mut Ctx<'_>, key: &[u8], pairs: &[Vec<u8>], f: AddFlags) -> CmdResult {
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Err(Reply::err(error::SYNTAX));
    }
    if f.nx && f.xx {
        return Err(Reply::err(error::ZADD_NX_XX));
    }
    if ((f.gt || f.lt) && f.nx) || (f.gt && f.lt) {
        return Err(Reply::err(error::ZADD_GT_LT_NX));
    }
    if f.incr && pairs.len() > 2 {
        return Err(Reply::err(error::ZADD_INCR_PAIR));
    }
    let scores = pairs.chunks(2).map(|p| score_arg(&p[0])).collect::<Result<Vec<f64>, Reply>>()?;
    let enc = ctx.enc();
    let p = ctx.profile();
    let missing = zset(ctx, key, Look::Write)?.is_none();
    if missing && f.xx {
        return Ok(if f.incr { Reply::Nil } else { Reply::Int(0) });
    }
    let first_len = pairs[1].len();
    let n = pairs.len() / 2;
    let z = typed_or_create(ctx, key, Value::as_zset_mut, || {
        let small = if enc.up_front {
            n <= enc.zset_entries && first_len <= enc.zset_value
        } else {
            enc.zset_entries > 0 && first_len <= enc.zset_value
        };
        Value::Zset(Box::new(ZSet::new(small)))
    })?;
    if enc.up_front && z.listpack && n > enc.zset_entries {
        z.listpack = false;
    }
    let (mut added, mut updated, mut last) = (0, 0, None);
    let mut nan = false;
    for (pair, &score) in pairs.chunks(2).zip(&scores) {
        let member = &pair[1];
        let cur = z.score(member);
        if (cur.is_some() && f.nx) || (cur.is_none() && f.xx) {
            continue;
        }
        let mut new = score;
        if let (true, Some(c)) = (f.incr, cur) {
            new = c + score;
            if new.is_nan() {
                nan = true;
                break;
            }
        }
        if let Some(c) = cur {
            if (f.gt && new <= c) || (f.lt && new >= c) {
                continue;
            }
            if new != c {
                z.set(&enc, member, new);
                updated += 1;
            }
        } else {
            z.set(&enc, member, new);
            added += 1;
        }
        last = Some(new);
    }
    if added + updated > 0 {
        written_as(ctx, key, NOTIFY_ZSET, if f.incr { "zincr" } else { "zadd" });
    } else {
        written_if_empty(ctx, key);
    }
    if nan {
        return Err(Reply::err(error::ZADD_NAN));
    }
    Ok(match (f.incr, last) {
        (true, Some(s)) => score_reply(&p, s),
        (true, None) => Reply::Nil,
        (false, _) => Reply::Int(if f.ch { added + updated } else { added }),
    })
}

/// A key created for a write that then added nothing (ZADD NX on members all present, of
/// a new key: none) is deleted again, as Redis never leaves an empty collection.
fn written_if_empty(ctx: &mut Ctx<'_>, key: &[u8]) {
    let now = ctx.now;
    if ctx.db().get_live(key, now).is_some_and(|e| e.value.is_empty_collection()) {
        ctx.db().remove(key);
    }
}

/// ZREM key member [member ...].
pub fn zrem(ctx: &mut Ctx<'_>, a: Zrem<'_>) -> CmdResult {
    let Some(z) = zset(ctx, a.key, Look::Write)? else { return Ok(Reply::Int(0)) };
    let gone = a.member.iter().filter(|m| z.remove(m)).count();
    if gone > 0 {
        written_as(ctx, a.key, NOTIFY_ZSET, "zrem");
    }
    Ok(Reply::Int(gone as i64))
}

/// ZCARD key.
pub fn zcard(ctx: &mut Ctx<'_>, a: Zcard<'_>) -> CmdResult {
    Ok(Reply::Int(zset(ctx, a.key, Look::Read)?.map_or(0, |z| z.len() as i64)))
}

/// ZSCORE key member.
pub fn zscore(ctx: &mut Ctx<'_>, a: Zscore<'_>) -> CmdResult {
    let p = ctx.profile();
    Ok(zset(ctx, a.key, Look::Read)?.and_then(|z| z.score(a.member)).map_or(Reply::Nil, |s| score_reply(&p, s)))
}

/// ZMSCORE key member [member ...].
pub fn zmscore(ctx: &mut Ctx<'_>, a: Zmscore<'_>) -> CmdResult {
    let p = ctx.profile();
    let z = zset(ctx, a.key, Look::Read)?;
    let z = z.as_deref();
    let out = a.member.iter().map(|m| z.and_then(|z| z.score(m)).map_or(Reply::Nil, |s| score_reply(&p, s)));
    Ok(Reply::Array(out.collect()))
}

fn rank(ctx: &mut Ctx<'_>, key: &[u8], member: &[u8], withscore: bool, rev: bool) -> CmdResult {
    let p = ctx.profile();
    let Some(z) = zset(ctx, key, Look::Read)? else {
        return Ok(if withscore { Reply::NilArray } else { Reply::Nil });
    };
    Ok(match (z.rank(member, rev), withscore) {
        (None, false) => Reply::Nil,
        (None, true) => Reply::NilArray,
        (Some(r), false) => Reply::Int(r as i64),
        (Some(r), true) => {
            Reply::Array(vec![Reply::Int(r as i64), score_reply(&p, z.score(member).unwrap_or_default())])
        }
    })
}

/// `key member [WITHSCORE]` as Redis 7.2 reads it: more words are the arity error, another
/// third word the syntax error (7.0's arity is exact, so the dispatcher answers first).
fn rank_words(ctx: &mut Ctx<'_>, words: &[Vec<u8>], name: &str, rev: bool) -> CmdResult {
    let p = ctx.profile();
    match words {
        [key, member] => rank(ctx, key, member, false, rev),
        [key, member, w] if w.eq_ignore_ascii_case(b"WITHSCORE") => rank(ctx, key, member, true, rev),
        [_, _, _] => Err(Reply::err(error::SYNTAX)),
        _ => Err(Reply::err(error::wrong_arity(&p, name, None))),
    }
}

/// ZRANK key member [WITHSCORE] (overlay `walk`; WITHSCORE from 7.2).
pub fn zrank(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    rank_words(ctx, words, "zrank", false)
}

/// ZREVRANK key member [WITHSCORE].
pub fn zrevrank(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    rank_words(ctx, words, "zrevrank", true)
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count] [NOSCORES] (overlay `walk`).
pub fn zscan(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    scan_collection(ctx, words, ScanSource::Zset)
}

#[cfg(test)]
mod tests {
    use super::d2string;

    #[test]
    fn d2string_writes_redis_7_2_scores() {
        for (v, s) in [
            (1.1, "1.1"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (1e19, "1e+19"),
            (1.5e19, "1.5e+19"),
            (0.0001, "0.0001"),
            (123.456, "123.456"),
            (3.0, "3"),
            (-2.5, "-2.5"),
            (4611686018427387904.0, "4611686018427387904"),
        ] {
            assert_eq!(d2string(v), s, "{v}");
        }
    }
}
