//! `model_collections`: list, hash, set, sorted-set and stream operations over three colliding keys,
//! with field TTLs on a frozen clock moved by hand, checked reply by reply against a model
//! written on the standard collections (independently of the engine's types). Replies whose
//! order Redis leaves unspecified (a hashtable's) are compared sorted.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use super::{show, Input};
use crate::error;
use crate::{Profile, Reply, Server};

#[derive(Debug, Clone)]
enum MVal {
    List(VecDeque<Vec<u8>>),
    /// Fields with their values and expiry times.
    Hash(BTreeMap<Vec<u8>, (Vec<u8>, Option<i64>)>),
    Set(BTreeSet<Vec<u8>>),
    Zset(BTreeMap<Vec<u8>, f64>),
    /// Entries by ID (one field each) and the last ID given out; an empty stream stays.
    Stream(BTreeMap<(u64, u64), Vec<u8>>, (u64, u64)),
}

#[derive(Default)]
struct Model {
    keys: BTreeMap<Vec<u8>, MVal>,
    now: i64,
}

const MEMBERS: &[&str] = &["a", "b", "c", "1", "2", "-3", "10", ""];
const SCORES: &[(&str, f64)] = &[("1", 1.0), ("2", 2.0), ("-1", -1.0), ("1.5", 1.5), ("0", 0.0), ("10", 10.0)];

fn wrongtype() -> Reply {
    Reply::err(error::WRONGTYPE)
}

fn bulks<'a>(items: impl IntoIterator<Item = &'a Vec<u8>>) -> Reply {
    Reply::Array(items.into_iter().map(|v| Reply::bulk(v.clone())).collect())
}

fn score(s: f64) -> Reply {
    Reply::DoubleText(crate::cmd::sorted_set::score_text(&Profile::redis(7, 4, 2), s))
}

/// Sorts the elements of an array or set reply (and the pairs of a map), for replies
/// whose order a hashtable decides.
fn sorted(r: Reply) -> Reply {
    match r {
        Reply::Array(mut v) | Reply::Set(mut v) => {
            v.sort_by_key(|x| format!("{x:?}"));
            Reply::Array(v)
        }
        Reply::Map(mut v) => {
            v.sort_by_key(|(k, x)| format!("{k:?}{x:?}"));
            Reply::Map(v)
        }
        other => other,
    }
}

impl Model {
    /// Deletes expired hash fields and hashes left empty (the active cycle after a move of
    /// the clock).
    fn purge(&mut self) {
        let now = self.now;
        for v in self.keys.values_mut() {
            if let MVal::Hash(h) = v {
                h.retain(|_, (_, t)| t.is_none_or(|t| t >= now));
            }
        }
        self.drop_empty();
    }

    fn drop_empty(&mut self) {
        self.keys.retain(|_, v| match v {
            MVal::List(l) => !l.is_empty(),
            MVal::Hash(h) => !h.is_empty(),
            MVal::Set(s) => !s.is_empty(),
            MVal::Zset(z) => !z.is_empty(),
            MVal::Stream(..) => true,
        });
    }

    fn sorted_zset(z: &BTreeMap<Vec<u8>, f64>) -> Vec<(Vec<u8>, f64)> {
        let mut v: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.clone(), *s)).collect();
        v.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.0.cmp(&b.0)));
        v
    }
}

/// One step: the command and the reply the model predicts, and whether to compare sorted.
fn step(u: &mut Input<'_>, m: &mut Model) -> Option<(Vec<Vec<u8>>, Reply, bool)> {
    let key = |u: &mut Input<'_>| u.pick(&["a", "b", "c"]).as_bytes().to_vec();
    let member = |u: &mut Input<'_>| u.pick(MEMBERS).as_bytes().to_vec();
    let w = |s: &str| s.as_bytes().to_vec();
    let num = |n: i64| n.to_string().into_bytes();
    let k = key(u);
    let now = m.now;
    let op = u.below(34);
    let cur = m.keys.get(&k).cloned();
    // The model's reply when the key is missing or of the type `$pat`, else WRONGTYPE.
    macro_rules! want {
        ($argv:expr, $pat:pat => $v:expr) => {
            match &cur {
                None | Some($pat) => $v,
                Some(_) => return Some(($argv, wrongtype(), false)),
            }
        };
    }
    // Each arm builds argv first so a WRONGTYPE reply can carry it.
    let (argv, reply, unordered): (Vec<Vec<u8>>, Reply, bool) = match op {
        0 => {
            m.now += *u.pick(&[1i64, 500, 999, 1000, 1001, 5000]);
            return None;
        }
        1 | 2 => {
            let items: Vec<Vec<u8>> = (0..1 + u.below(3)).map(|_| member(u)).collect();
            let mut argv = vec![w(if op == 1 { "LPUSH" } else { "RPUSH" }), k.clone()];
            argv.extend(items.iter().cloned());
            if !matches!(cur, None | Some(MVal::List(_))) {
                (argv, wrongtype(), false)
            } else {
                let MVal::List(l) = m.keys.entry(k.clone()).or_insert(MVal::List(VecDeque::new())) else { return None };
                for it in items {
                    if op == 1 {
                        l.push_front(it);
                    } else {
                        l.push_back(it);
                    }
                }
                (argv, Reply::Int(l.len() as i64), false)
            }
        }
        3 | 4 => {
            let count = u.ratio(1, 2).then(|| u.below(4) as i64);
            let mut argv = vec![w(if op == 3 { "LPOP" } else { "RPOP" }), k.clone()];
            argv.extend(count.map(num));
            let r = want!(argv.clone(), MVal::List(_) => {
                match m.keys.get_mut(&k) {
                    None => if count.is_some() { Reply::NilArray } else { Reply::Nil },
                    Some(MVal::List(l)) => {
                        let n = count.unwrap_or(1) as usize;
                        let got: Vec<Vec<u8>> = (0..n).filter_map(|_| if op == 3 { l.pop_front() } else { l.pop_back() }).collect();
                        match count {
                            None => Reply::bulk_opt(got.into_iter().next()),
                            Some(_) => bulks(&got),
                        }
                    }
                    Some(_) => unreachable!(),
                }
            });
            (argv, r, false)
        }
        5 => {
            let pick = |u: &mut Input<'_>| *u.pick(&[-5i64, -1, 0, 1, 2, 10]);
            let (s, e) = (pick(u), pick(u));
            let argv = vec![w("LRANGE"), k.clone(), num(s), num(e)];
            let r = want!(argv.clone(), MVal::List(_) => match &cur {
                Some(MVal::List(l)) => {
                    let len = l.len() as i64;
                    let s = if s < 0 { (len + s).max(0) } else { s };
                    let e = if e < 0 { len + e } else { e.min(len - 1) };
                    if s > e || s >= len { Reply::Array(vec![]) } else { bulks(l.range(s as usize..=e as usize)) }
                }
                _ => Reply::Array(vec![]),
            });
            (argv, r, false)
        }
        6 => {
            let (n, v) = (*u.pick(&[-2i64, -1, 0, 1, 2]), member(u));
            let argv = vec![w("LREM"), k.clone(), num(n), v.clone()];
            let r = want!(argv.clone(), MVal::List(_) => match m.keys.get_mut(&k) {
                Some(MVal::List(l)) => {
                    let limit = n.unsigned_abs() as usize;
                    let mut idx: Vec<usize> = (0..l.len()).filter(|&i| l[i] == v).collect();
                    if n < 0 { idx.reverse(); }
                    if limit > 0 { idx.truncate(limit); }
                    idx.sort_unstable();
                    for i in idx.iter().rev() { l.remove(*i); }
                    Reply::Int(idx.len() as i64)
                }
                _ => Reply::Int(0),
            });
            (argv, r, false)
        }
        7 => {
            let i = *u.pick(&[-3i64, -1, 0, 1, 5]);
            let argv = vec![w("LINDEX"), k.clone(), num(i)];
            let r = want!(argv.clone(), MVal::List(_) => match &cur {
                Some(MVal::List(l)) => {
                    let j = if i < 0 { l.len() as i64 + i } else { i };
                    Reply::bulk_opt(usize::try_from(j).ok().and_then(|j| l.get(j)).cloned())
                }
                _ => Reply::Nil,
            });
            (argv, r, false)
        }
        8 | 9 => {
            let pairs: Vec<(Vec<u8>, Vec<u8>)> = (0..1 + u.below(2)).map(|_| (member(u), member(u))).collect();
            let mut argv = vec![w("HSET"), k.clone()];
            for (f, v) in &pairs {
                argv.extend([f.clone(), v.clone()]);
            }
            if !matches!(cur, None | Some(MVal::Hash(_))) {
                (argv, wrongtype(), false)
            } else {
                let MVal::Hash(h) = m.keys.entry(k.clone()).or_insert(MVal::Hash(BTreeMap::new())) else { return None };
                let mut new = 0;
                for (f, v) in pairs {
                    // HSET does not expire first: an expired field still there is replaced.
                    new += i64::from(h.insert(f, (v, None)).is_none());
                }
                (argv, Reply::Int(new), false)
            }
        }
        10 => {
            let f = member(u);
            let argv = vec![w("HGET"), k.clone(), f.clone()];
            let r = want!(argv.clone(), MVal::Hash(_) => {
                let mut out = Reply::Nil;
                if let Some(MVal::Hash(h)) = m.keys.get_mut(&k) {
                    match h.get(&f) {
                        Some((_, Some(t))) if *t < now => { h.remove(&f); }
                        Some((v, _)) => out = Reply::bulk(v.clone()),
                        None => {}
                    }
                }
                out
            });
            (argv, r, false)
        }
        11 => {
            let argv = vec![w("HGETALL"), k.clone()];
            let r = want!(argv.clone(), MVal::Hash(_) => match &cur {
                Some(MVal::Hash(h)) => Reply::Map(h.iter().filter(|(_, (_, t))| t.is_none_or(|t| t >= now)).map(|(f, (v, _))| (Reply::bulk(f.clone()), Reply::bulk(v.clone()))).collect()),
                _ => Reply::Map(vec![]),
            });
            (argv, r, true)
        }
        12 => {
            let argv = vec![w("HLEN"), k.clone()];
            let r = want!(argv.clone(), MVal::Hash(_) => match &cur { Some(MVal::Hash(h)) => Reply::Int(h.len() as i64), _ => Reply::Int(0) });
            (argv, r, false)
        }
        13 => {
            let f = member(u);
            let argv = vec![w("HDEL"), k.clone(), f.clone()];
            let r = want!(argv.clone(), MVal::Hash(_) => match m.keys.get_mut(&k) { Some(MVal::Hash(h)) => Reply::Int(i64::from(h.remove(&f).is_some())), _ => Reply::Int(0) });
            (argv, r, false)
        }
        14 => {
            let (f, ms) = (member(u), *u.pick(&[0i64, 1, 500, 1000, 3000]));
            let argv = vec![w("HPEXPIRE"), k.clone(), num(ms), w("FIELDS"), w("1"), f.clone()];
            let r = want!(argv.clone(), MVal::Hash(_) => match m.keys.get_mut(&k) {
                Some(MVal::Hash(h)) => match h.get_mut(&f) {
                    None => Reply::Array(vec![Reply::Int(-2)]),
                    Some(_) if ms == 0 => { h.remove(&f); Reply::Array(vec![Reply::Int(2)]) }
                    Some((_, t)) => { *t = Some(now + ms); Reply::Array(vec![Reply::Int(1)]) }
                },
                _ => Reply::Array(vec![Reply::Int(-2)]),
            });
            (argv, r, false)
        }
        15 => {
            let f = member(u);
            let argv = vec![w("HPTTL"), k.clone(), w("FIELDS"), w("1"), f.clone()];
            let r = want!(argv.clone(), MVal::Hash(_) => match &cur {
                Some(MVal::Hash(h)) => Reply::Array(vec![Reply::Int(match h.get(&f) {
                    None => -2,
                    Some((_, None)) => -1,
                    // A listpack hash counts its expiry millisecond as gone (the model's hashes are small).
                    Some((_, Some(t))) if *t <= now => -2,
                    Some((_, Some(t))) => t - now,
                })]),
                _ => Reply::Array(vec![Reply::Int(-2)]),
            });
            (argv, r, false)
        }
        16 | 17 => {
            let ms: Vec<Vec<u8>> = (0..1 + u.below(3)).map(|_| member(u)).collect();
            let mut argv = vec![w(if op == 16 { "SADD" } else { "SREM" }), k.clone()];
            argv.extend(ms.iter().cloned());
            if !matches!(cur, None | Some(MVal::Set(_))) {
                (argv, wrongtype(), false)
            } else if op == 16 {
                let MVal::Set(s) = m.keys.entry(k.clone()).or_insert(MVal::Set(BTreeSet::new())) else { return None };
                (argv, Reply::Int(ms.into_iter().filter(|x| s.insert(x.clone())).count() as i64), false)
            } else {
                let n = match m.keys.get_mut(&k) {
                    Some(MVal::Set(s)) => ms.iter().filter(|x| s.remove(*x)).count(),
                    _ => 0,
                };
                (argv, Reply::Int(n as i64), false)
            }
        }
        18 => {
            let argv = vec![w("SMEMBERS"), k.clone()];
            let r = want!(argv.clone(), MVal::Set(_) => match &cur { Some(MVal::Set(s)) => Reply::Set(s.iter().map(|x| Reply::bulk(x.clone())).collect()), _ => Reply::Set(vec![]) });
            (argv, r, true)
        }
        19..=21 => {
            let other = key(u);
            let name = ["SINTER", "SUNION", "SDIFF"][op - 19];
            let argv = vec![w(name), k.clone(), other.clone()];
            let get = |x: &Vec<u8>| m.keys.get(x).cloned();
            let (a, b) = (get(&k), get(&other));
            let set = |v: &Option<MVal>| match v {
                None => Some(BTreeSet::new()),
                Some(MVal::Set(s)) => Some(s.clone()),
                _ => None,
            };
            let r = match (set(&a), set(&b)) {
                (Some(x), Some(y)) => {
                    let out: Vec<Vec<u8>> = match op {
                        19 => x.intersection(&y).cloned().collect(),
                        20 => x.union(&y).cloned().collect(),
                        _ => x.difference(&y).cloned().collect(),
                    };
                    Reply::Set(out.iter().map(|v| Reply::bulk(v.clone())).collect())
                }
                _ => wrongtype(),
            };
            (argv, r, true)
        }
        22 => {
            let (s, mm) = (*u.pick(SCORES), member(u));
            let argv = vec![w("ZADD"), k.clone(), w(s.0), mm.clone()];
            if !matches!(cur, None | Some(MVal::Zset(_))) {
                (argv, wrongtype(), false)
            } else {
                let MVal::Zset(z) = m.keys.entry(k.clone()).or_insert(MVal::Zset(BTreeMap::new())) else { return None };
                (argv, Reply::Int(i64::from(z.insert(mm, s.1).is_none())), false)
            }
        }
        23 => {
            let argv = vec![w("ZRANGE"), k.clone(), w("0"), w("-1"), w("WITHSCORES")];
            let r = want!(argv.clone(), MVal::Zset(_) => match &cur {
                Some(MVal::Zset(z)) => Reply::Array(Model::sorted_zset(z).into_iter().flat_map(|(mm, s)| [Reply::bulk(mm), score(s)]).collect()),
                _ => Reply::Array(vec![]),
            });
            (argv, r, false)
        }
        24 => {
            let mm = member(u);
            let argv = vec![w("ZRANK"), k.clone(), mm.clone()];
            let r = want!(argv.clone(), MVal::Zset(_) => match &cur {
                Some(MVal::Zset(z)) => Model::sorted_zset(z).iter().position(|(x, _)| *x == mm).map_or(Reply::Nil, |i| Reply::Int(i as i64)),
                _ => Reply::Nil,
            });
            (argv, r, false)
        }
        25 => {
            let (min, max) = (*u.pick(&["-inf", "(0", "1", "(1.5", "2"]), *u.pick(&["+inf", "(2", "1.5", "10", "-1"]));
            let argv = vec![w("ZRANGEBYSCORE"), k.clone(), w(min), w(max)];
            let bound = |b: &str| match b.strip_prefix('(') {
                Some(r) => (r.parse::<f64>().unwrap_or(0.0), true),
                None => (b.replace("inf", "Infinity").parse::<f64>().unwrap_or(0.0), false),
            };
            let ((lo, lx), (hi, hx)) = (bound(min), bound(max));
            let r = want!(argv.clone(), MVal::Zset(_) => match &cur {
                Some(MVal::Zset(z)) => Reply::Array(Model::sorted_zset(z).into_iter().filter(|(_, s)| (if lx { *s > lo } else { *s >= lo }) && (if hx { *s < hi } else { *s <= hi })).map(|(mm, _)| Reply::bulk(mm)).collect()),
                _ => Reply::Array(vec![]),
            });
            (argv, r, false)
        }
        26 => {
            let n = *u.pick(&[1i64, 2, 5]);
            let argv = vec![w("ZPOPMIN"), k.clone(), num(n)];
            let r = want!(argv.clone(), MVal::Zset(_) => match m.keys.get_mut(&k) {
                Some(MVal::Zset(z)) => {
                    let all = Model::sorted_zset(z);
                    let out: Vec<(Vec<u8>, f64)> = all.into_iter().take(n as usize).collect();
                    for (mm, _) in &out { z.remove(mm); }
                    Reply::Array(out.into_iter().flat_map(|(mm, s)| [Reply::bulk(mm), score(s)]).collect())
                }
                _ => Reply::Array(vec![]),
            });
            (argv, r, false)
        }
        27 => {
            let argv = vec![w("TYPE"), k.clone()];
            let t = match &cur {
                None => "none",
                Some(MVal::List(_)) => "list",
                Some(MVal::Hash(_)) => "hash",
                Some(MVal::Set(_)) => "set",
                Some(MVal::Zset(_)) => "zset",
                Some(MVal::Stream(..)) => "stream",
            };
            (argv, Reply::simple(t), false)
        }
        28 => {
            let argv = vec![w("DEL"), k.clone()];
            (argv, Reply::Int(i64::from(m.keys.remove(&k).is_some())), false)
        }
        30 => {
            let id = (u.below(4) as u64, u.below(3) as u64);
            let argv = vec![w("XADD"), k.clone(), w(&format!("{}-{}", id.0, id.1)), w("f"), member(u)];
            // The 0-0 check comes before the key is looked up.
            if id == (0, 0) {
                return Some((argv, Reply::err(error::XADD_ID_ZERO), false));
            }
            match &cur {
                None | Some(MVal::Stream(..)) => {}
                Some(_) => return Some((argv, wrongtype(), false)),
            }
            {
                let fresh = MVal::Stream(BTreeMap::new(), (0, 0));
                let MVal::Stream(e, last) = m.keys.entry(k.clone()).or_insert(fresh) else { return None };
                if id <= *last {
                    (argv, Reply::err(error::XADD_ID_TOO_SMALL), false)
                } else {
                    e.insert(id, argv[4].clone());
                    *last = id;
                    (argv, Reply::bulk(format!("{}-{}", id.0, id.1)), false)
                }
            }
        }
        31 => {
            let argv = vec![w("XLEN"), k.clone()];
            let r = want!(argv.clone(), MVal::Stream(..) => match &cur {
                Some(MVal::Stream(e, _)) => Reply::Int(e.len() as i64),
                _ => Reply::Int(0),
            });
            (argv, r, false)
        }
        32 => {
            let id = (u.below(4) as u64, u.below(3) as u64);
            let argv = vec![w("XDEL"), k.clone(), w(&format!("{}-{}", id.0, id.1))];
            let r = want!(argv.clone(), MVal::Stream(..) => match m.keys.get_mut(&k) {
                Some(MVal::Stream(e, _)) => Reply::Int(i64::from(e.remove(&id).is_some())),
                _ => Reply::Int(0),
            });
            (argv, r, false)
        }
        33 => {
            let argv = vec![w("XRANGE"), k.clone(), w("-"), w("+")];
            let entry = |id: &(u64, u64), v: &Vec<u8>| {
                let fields = Reply::Array(vec![Reply::bulk("f"), Reply::bulk(v.clone())]);
                Reply::Array(vec![Reply::bulk(format!("{}-{}", id.0, id.1)), fields])
            };
            let r = want!(argv.clone(), MVal::Stream(..) => match &cur {
                Some(MVal::Stream(e, _)) => Reply::Array(e.iter().map(|(id, v)| entry(id, v)).collect()),
                _ => Reply::Array(vec![]),
            });
            (argv, r, false)
        }
        _ => {
            let (s, mm) = (*u.pick(SCORES), member(u));
            let argv = vec![w("ZINCRBY"), k.clone(), w(s.0), mm.clone()];
            if !matches!(cur, None | Some(MVal::Zset(_))) {
                (argv, wrongtype(), false)
            } else {
                let MVal::Zset(z) = m.keys.entry(k.clone()).or_insert(MVal::Zset(BTreeMap::new())) else { return None };
                let v = z.get(&mm).copied().unwrap_or(0.0) + s.1;
                z.insert(mm, v);
                (argv, score(v), false)
            }
        }
    };
    m.drop_empty();
    Some((argv, reply, unordered))
}

/// A sequence of collection operations over keys `a`, `b`, `c` with clock advances in
/// between, on a frozen-clock server pinned to Redis 7.4. Oracle: every reply equals what
/// the model predicts (sorted where a hashtable decides the order).
pub fn model_collections(data: &[u8]) {
    let mut u = Input::new(data);
    let server = Server::with_profile(Profile::redis(7, 4, 2));
    server.clock().freeze();
    let mut client = server.client();
    let mut m = Model { now: server.clock().now_ms(), ..Model::default() };
    let mut log: Vec<String> = Vec::new();
    for _ in 0..200 {
        if u.is_empty() {
            break;
        }
        let before = m.now;
        let st = step(&mut u, &mut m);
        if m.now != before {
            server.advance(Duration::from_millis((m.now - before) as u64));
            m.purge();
            log.push(format!("(advance {} ms)", m.now - before));
        }
        let Some((argv, want, unordered)) = st else { continue };
        let got = client.execute(&argv);
        log.push(format!("{} -> {:?}", show(&argv), got));
        let (got, want) = if unordered { (got.map(sorted), sorted(want)) } else { (got, want) };
        if got.as_ref() != Ok(&want) {
            let tail = &log[log.len().saturating_sub(40)..];
            panic!(
                "model_collections: {} answered {got:?}, the model expects {want:?}\nsequence (last {}):\n  {}",
                show(&argv),
                tail.len(),
                tail.join("\n  ")
            );
        }
    }
}
