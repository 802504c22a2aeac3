//! ZUNION, ZINTER, ZDIFF, ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE and ZINTERCARD, as Redis's
//! `zunionInterDiffGenericCommand`: numkeys, then every key looked up (a set counts as a
//! sorted set with scores 1), then WEIGHTS / AGGREGATE / WITHSCORES / LIMIT. Sources are
//! combined smallest first, as Redis orders them, so floating-point sums add up the same.

use bytes::Bytes;

use super::range::store_result;
use super::score_reply;
use crate::db::{Value, ZSet};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;
use crate::spec::grammar::{parse_f64, parse_i64};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Redis's `zunionInterAggregate`: a sum that comes out NaN (inf + -inf) is 0.
fn aggregate(a: Aggregate, target: &mut f64, v: f64) {
    match a {
        Aggregate::Sum => {
            *target += v;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => *target = target.min(v),
        Aggregate::Max => *target = target.max(v),
    }
}

/// One source: its elements in its own order with their scores, and a lookup.
struct Source {
    items: Vec<(Bytes, f64)>,
    weight: f64,
}

impl Source {
    fn find(&self, index: &std::collections::HashMap<&[u8], f64>, m: &[u8]) -> Option<f64> {
        index.get(m).copied()
    }
}

fn source_of(v: &Value) -> Vec<(Bytes, f64)> {
    match v {
        Value::Zset(z) => z.iter_from(0, false).map(|(m, s)| (m.clone(), s)).collect(),
        Value::Set(s) => s.iter().map(|m| (m.clone(), 1.0)).collect(),
        _ => Vec::new(),
    }
}

/// What the command was called as.
struct Call<'w> {
    op: Op,
    dst: Option<&'w [u8]>,
    card: bool,
    name: &'static str,
}

fn combine(ctx: &mut Ctx<'_>, words: &[Vec<u8>], call: Call<'_>) -> CmdResult {
    let p = ctx.profile();
    let numkeys = words.first().and_then(|w| parse_i64(w)).ok_or(Reply::err(error::NOT_INTEGER))?;
    if numkeys < 1 {
        return Err(Reply::err(error::at_least_one_key(&p, call.name)));
    }
    let n = usize::try_from(numkeys).ok().filter(|&n| n < words.len()).ok_or(Reply::err(error::SYNTAX))?;
    let keys = &words[1..=n];
    let now = ctx.now;
    let mut sources = Vec::with_capacity(n);
    for k in keys {
        // Looked up for reading (a hit or a miss each); the elements are read in place.
        let items = ctx.db().get_mut(k, now).map(|e| match &e.value {
            v @ (Value::Zset(_) | Value::Set(_)) => Ok(source_of(v)),
            _ => Err(Reply::err(error::WRONGTYPE)),
        });
        if items.is_some() {
            ctx.st.stats.keyspace_hits += 1;
        } else {
            ctx.st.stats.keyspace_misses += 1;
            crate::cmd::read_miss(ctx, k);
        }
        sources.push(Source { items: items.transpose()?.unwrap_or_default(), weight: 1.0 });
    }
    let (mut agg, mut withscores, mut limit) = (Aggregate::Sum, false, 0usize);
    let mut j = n + 1;
    while j < words.len() {
        let left = words.len() - j;
        let w = words[j].to_ascii_lowercase();
        let plain = call.op != Op::Diff && !call.card;
        if plain && left > n && w == b"weights" {
            for (i, s) in sources.iter_mut().enumerate() {
                s.weight = parse_f64(&words[j + 1 + i]).ok_or(Reply::err(error::WEIGHT_NOT_FLOAT))?;
            }
            j += n + 1;
        } else if plain && left >= 2 && w == b"aggregate" {
            agg = match words[j + 1].to_ascii_lowercase().as_slice() {
                b"sum" => Aggregate::Sum,
                b"min" => Aggregate::Min,
                b"max" => Aggregate::Max,
                _ => return Err(Reply::err(error::SYNTAX)),
            };
            j += 2;
        } else if call.dst.is_none() && !call.card && w == b"withscores" {
            withscores = true;
            j += 1;
        } else if call.card && left >= 2 && w == b"limit" {
            let l = parse_i64(&words[j + 1]).filter(|l| *l >= 0).ok_or(Reply::err(error::LIMIT_NEGATIVE))?;
            limit = usize::try_from(l).unwrap_or(usize::MAX);
            j += 2;
        } else {
            return Err(Reply::err(error::SYNTAX));
        }
    }
    if call.op != Op::Diff {
        sources.sort_by_key(|s| s.items.len());
    }
    let indexes: Vec<std::collections::HashMap<&[u8], f64>> =
        sources.iter().map(|s| s.items.iter().map(|(m, sc)| (&m[..], *sc)).collect()).collect();
    let weighted = |s: &Source, v: f64| {
        let x = s.weight * v;
        if x.is_nan() {
            0.0
        } else {
            x
        }
    };
    let mut result: Vec<(Bytes, f64)> = Vec::new();
    match call.op {
        Op::Inter => {
            if let Some(first) = sources.first() {
                'outer: for (m, sc) in &first.items {
                    let mut score = weighted(first, *sc);
                    for (s, idx) in sources.iter().zip(&indexes).skip(1) {
                        match s.find(idx, m) {
                            Some(v) => aggregate(agg, &mut score, s.weight * v),
                            None => continue 'outer,
                        }
                    }
                    result.push((m.clone(), score));
                    if call.card && limit != 0 && result.len() >= limit {
                        break;
                    }
                }
            }
        }
        Op::Union => {
            let mut acc: std::collections::HashMap<Bytes, usize> = std::collections::HashMap::new();
            for s in &sources {
                for (m, sc) in &s.items {
                    let score = weighted(s, *sc);
                    match acc.get(m) {
                        Some(&i) => aggregate(agg, &mut result[i].1, score),
                        None => {
                            acc.insert(m.clone(), result.len());
                            result.push((m.clone(), score));
                        }
                    }
                }
            }
        }
        Op::Diff => {
            if let Some(first) = sources.first() {
                for (m, sc) in &first.items {
                    if !indexes.iter().skip(1).any(|idx| idx.contains_key(&m[..])) {
                        result.push((m.clone(), *sc));
                    }
                }
            }
        }
    }
    if call.card {
        return Ok(Reply::Int(result.len() as i64));
    }
    let enc = ctx.enc();
    let mut out = ZSet::new(false);
    for (m, s) in &result {
        out.set(&enc, m, *s);
    }
    if let Some(dst) = call.dst {
        // Redis builds a skiplist, then converts it when it fits a listpack.
        let longest = result.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        out.listpack = out.len() <= enc.zset_entries && longest <= enc.zset_value;
        return store_result(ctx, dst, out, call.name);
    }
    let resp3 = ctx.sess.resp >= 3;
    let mut reply = Vec::new();
    for (m, s) in out.iter_from(0, false) {
        match (withscores, resp3) {
            (false, _) => reply.push(Reply::Bulk(m.clone())),
            (true, false) => reply.extend([Reply::Bulk(m.clone()), score_reply(&p, s)]),
            (true, true) => reply.push(Reply::Array(vec![Reply::Bulk(m.clone()), score_reply(&p, s)])),
        }
    }
    Ok(Reply::Array(reply))
}

/// ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
/// (overlay `walk`, as the others here).
pub fn zunion(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    combine(ctx, words, Call { op: Op::Union, dst: None, card: false, name: "zunion" })
}

/// ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES].
pub fn zinter(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    combine(ctx, words, Call { op: Op::Inter, dst: None, card: false, name: "zinter" })
}

/// ZDIFF numkeys key [key ...] [WITHSCORES].
pub fn zdiff(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    combine(ctx, words, Call { op: Op::Diff, dst: None, card: false, name: "zdiff" })
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit].
pub fn zintercard(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    combine(ctx, words, Call { op: Op::Inter, dst: None, card: true, name: "zintercard" })
}

fn stored(ctx: &mut Ctx<'_>, words: &[Vec<u8>], op: Op, name: &'static str) -> CmdResult {
    let [dst, rest @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    combine(ctx, rest, Call { op, dst: Some(dst), card: false, name })
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE ...].
pub fn zunionstore(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    stored(ctx, words, Op::Union, "zunionstore")
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE ...].
pub fn zinterstore(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    stored(ctx, words, Op::Inter, "zinterstore")
}

/// ZDIFFSTORE destination numkeys key [key ...].
pub fn zdiffstore(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    stored(ctx, words, Op::Diff, "zdiffstore")
}
