//! Streams against a model: a sorted map of entries with the stream's bookkeeping (last
//! ID, entries added, max deleted ID, first ID). Random XADD (explicit and `ms-*` IDs, some
//! too small, some with an exact MAXLEN or MINID), XDEL, exact XTRIM, XRANGE/XREVRANGE with
//! inclusive, exclusive and COUNT bounds, XLEN and XINFO STREAM must agree with it. An
//! approximate trim (`~`) may keep more than asked: it must remove a prefix only, never go
//! below the threshold, and never remove more than the exact trim would. Seeded, so a
//! failure repeats.

use std::collections::BTreeMap;

use fakeredis::{Reply, Server};

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

type Id = (u64, u64);

#[derive(Default)]
struct Model {
    entries: BTreeMap<Id, String>,
    last: Id,
    added: u64,
    max_deleted: Id,
    first: Id,
}

impl Model {
    fn refresh_first(&mut self) {
        self.first = self.entries.keys().next().copied().unwrap_or((0, 0));
    }
    /// Exact trims: how many go.
    fn trim_maxlen(&mut self, max: usize) -> usize {
        let mut n = 0;
        while self.entries.len() > max {
            self.entries.pop_first();
            n += 1;
        }
        if n > 0 {
            self.refresh_first();
        }
        n
    }
    fn trim_minid(&mut self, min: Id) -> usize {
        let gone: Vec<Id> = self.entries.range(..min).map(|(k, _)| *k).collect();
        for k in &gone {
            self.entries.remove(k);
        }
        if !gone.is_empty() {
            self.refresh_first();
        }
        gone.len()
    }
}

fn id(i: Id) -> String {
    format!("{}-{}", i.0, i.1)
}

fn entry(i: Id, v: &str) -> Reply {
    Reply::Array(vec![Reply::bulk(id(i)), Reply::Array(vec![Reply::bulk("f"), Reply::bulk(v.to_string())])])
}

fn cmd(c: &mut fakeredis::Client, args: &[String]) -> Reply {
    c.cmd(args.iter().map(String::as_str)).unwrap()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// A random ID near the model's range (below, inside or above it).
fn near(rng: &mut Rng, m: &Model) -> Id {
    let top = m.last.0 + 3;
    (rng.below(top + 1), rng.below(4))
}

#[test]
fn streams_agree_with_a_model() {
    let server = Server::new();
    let mut c = server.client();
    let mut rng = Rng(0x57_4ea3);
    for round in 0..40 {
        let key = format!("s{round}");
        let mut m = Model::default();
        for step in 0..400 {
            match rng.below(10) {
                0..=3 => {
                    let value = format!("v{step}");
                    let (given, auto_seq) = match rng.below(4) {
                        0 => ((m.last.0, 0), true),
                        1 => ((m.last.0 + rng.below(3), 0), true),
                        _ => (near(&mut rng, &m), false),
                    };
                    let arg = if auto_seq { format!("{}-*", given.0) } else { id(given) };
                    let mut args = s(&["XADD", &key]);
                    let trim = rng.below(5);
                    let max = rng.below(30) as usize;
                    let min = near(&mut rng, &m);
                    match trim {
                        0 => args.extend(s(&["MAXLEN", &max.to_string()])),
                        1 => args.extend(s(&["MINID", "=", &id(min)])),
                        _ => {}
                    }
                    args.extend([arg, "f".into(), value.clone()]);
                    let new = if auto_seq {
                        if given.0 == m.last.0 {
                            (given.0, m.last.1 + 1)
                        } else {
                            (given.0, 0)
                        }
                    } else {
                        given
                    };
                    let got = cmd(&mut c, &args);
                    if new == (0, 0) {
                        assert!(matches!(got, Reply::Error(_)), "{args:?}: {got:?}");
                    } else if new <= m.last {
                        let e = "ERR The ID specified in XADD is equal or smaller than the target stream top item";
                        assert_eq!(got, Reply::err(e), "{args:?}");
                    } else {
                        assert_eq!(got, Reply::bulk(id(new)), "{args:?}");
                        m.entries.insert(new, value);
                        m.last = new;
                        m.added += 1;
                        if m.entries.len() == 1 {
                            m.first = new;
                        }
                        match trim {
                            0 => _ = m.trim_maxlen(max),
                            1 => _ = m.trim_minid(min),
                            _ => {}
                        }
                    }
                }
                4 => {
                    let ids: Vec<Id> = (0..1 + rng.below(3)).map(|_| near(&mut rng, &m)).collect();
                    let mut args = s(&["XDEL", &key]);
                    args.extend(ids.iter().map(|i| id(*i)));
                    let mut n = 0;
                    let mut first_gone = false;
                    for i in &ids {
                        if m.entries.remove(i).is_some() {
                            first_gone |= *i == m.first;
                            m.max_deleted = m.max_deleted.max(*i);
                            n += 1;
                        }
                    }
                    if n > 0 && (first_gone || m.entries.is_empty()) {
                        m.refresh_first();
                    }
                    let expected = if m.added == 0 { 0 } else { n };
                    assert_eq!(cmd(&mut c, &args), Reply::Int(expected), "{args:?}");
                }
                5 => {
                    let (args, n) = if rng.below(2) == 0 {
                        let max = rng.below(40) as usize;
                        (s(&["XTRIM", &key, "MAXLEN", &max.to_string()]), m.trim_maxlen(max))
                    } else {
                        let min = near(&mut rng, &m);
                        (s(&["XTRIM", &key, "MINID", &id(min)]), m.trim_minid(min))
                    };
                    assert_eq!(cmd(&mut c, &args), Reply::Int(n as i64), "{args:?}");
                }
                6 => {
                    // Approximate: a prefix, no further than the exact trim.
                    let max = rng.below(300) as usize;
                    let args = s(&["XTRIM", &key, "MAXLEN", "~", &max.to_string()]);
                    let Reply::Int(n) = cmd(&mut c, &args) else { panic!("{args:?}") };
                    let n = n as usize;
                    assert!(n <= m.entries.len().saturating_sub(max), "{args:?}: {n} of {}", m.entries.len());
                    for _ in 0..n {
                        m.entries.pop_first();
                    }
                    if n > 0 {
                        m.refresh_first();
                    }
                }
                _ => {
                    let (a, b) = (near(&mut rng, &m), near(&mut rng, &m));
                    let (lo, hi) = (a.min(b), a.max(b));
                    let (ex_lo, ex_hi) = (rng.below(3) == 0, rng.below(3) == 0);
                    let count = (rng.below(3) == 0).then(|| 1 + rng.below(5) as usize);
                    let rev = rng.below(2) == 0;
                    let bound = |i: Id, ex: bool| if ex { format!("({}", id(i)) } else { id(i) };
                    let (first, second) = (bound(lo, ex_lo), bound(hi, ex_hi));
                    let mut args = if rev {
                        s(&["XREVRANGE", &key, &second, &first])
                    } else {
                        s(&["XRANGE", &key, &first, &second])
                    };
                    if let Some(n) = count {
                        args.extend(s(&["COUNT", &n.to_string()]));
                    }
                    let inside =
                        |k: &Id| (if ex_lo { *k > lo } else { *k >= lo }) && (if ex_hi { *k < hi } else { *k <= hi });
                    let mut want: Vec<Reply> =
                        m.entries.iter().filter(|(k, _)| inside(k)).map(|(k, v)| entry(*k, v)).collect();
                    if rev {
                        want.reverse();
                    }
                    if let Some(n) = count {
                        want.truncate(n);
                    }
                    let got = cmd(&mut c, &args);
                    // An exclusive end at 0-0 has nothing before it: an error.
                    if ex_hi && hi == (0, 0) {
                        assert_eq!(got, Reply::err("ERR invalid end ID for the interval"), "{args:?}");
                    } else {
                        assert_eq!(got, Reply::Array(want), "{args:?}");
                    }
                }
            }
        }
        if m.added == 0 {
            continue;
        }
        assert_eq!(cmd(&mut c, &s(&["XLEN", &key])), Reply::Int(m.entries.len() as i64));
        let Reply::Map(info) = cmd(&mut c, &s(&["XINFO", "STREAM", &key])) else { panic!("XINFO STREAM {key}") };
        let field = |name: &str| info.iter().find(|(k, _)| *k == Reply::bulk(name)).map(|(_, v)| v.clone());
        assert_eq!(field("length"), Some(Reply::Int(m.entries.len() as i64)), "{key}");
        assert_eq!(field("last-generated-id"), Some(Reply::bulk(id(m.last))), "{key}");
        assert_eq!(field("entries-added"), Some(Reply::Int(m.added as i64)), "{key}");
        assert_eq!(field("max-deleted-entry-id"), Some(Reply::bulk(id(m.max_deleted))), "{key}");
        assert_eq!(field("recorded-first-entry-id"), Some(Reply::bulk(id(m.first))), "{key}");
        let edge = |e: Option<(&Id, &String)>| e.map_or(Reply::Nil, |(k, v)| entry(*k, v));
        assert_eq!(field("first-entry"), Some(edge(m.entries.iter().next())), "{key}");
        assert_eq!(field("last-entry"), Some(edge(m.entries.iter().next_back())), "{key}");
    }
}
