//! SORT and SORT_RO (spec group `generic`), as Redis's `sortCommandGeneric`: the options
//! in one loop (LIMIT's numbers as it reads them), then the key (a list, set or sorted set;
//! missing is empty), then the elements or their BY weights, the sort, LIMIT, and GET or
//! STORE. Numeric weights are read by C's strtod; equal weights order by the element's
//! bytes; ALPHA compares bytes (up to a NUL, as strcoll in the C locale, unless storing).
//! A sorted set is converted to a skiplist on the way, as Redis does.

use std::cmp::Ordering;

use bytes::Bytes;

use crate::cmd::Look;
use crate::db::{List, Value};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;
use crate::spec::grammar::parse_i64;

struct Options<'w> {
    desc: bool,
    alpha: bool,
    limit: Option<(i64, i64)>,
    store: Option<&'w [u8]>,
    by: Option<&'w [u8]>,
    gets: Vec<&'w [u8]>,
}

/// `full_access`: the user may read every key (else a BY pattern and GET are refused).
fn options<'w>(words: &'w [Vec<u8>], readonly: bool, full_access: bool) -> Result<Options<'w>, Reply> {
    let mut o = Options { desc: false, alpha: false, limit: None, store: None, by: None, gets: Vec::new() };
    let mut j = 0;
    while j < words.len() {
        let left = words.len() - j - 1;
        match words[j].to_ascii_lowercase().as_slice() {
            b"asc" => o.desc = false,
            b"desc" => o.desc = true,
            b"alpha" => o.alpha = true,
            b"limit" if left >= 2 => {
                let n = |w: &[u8]| parse_i64(w).ok_or(Reply::err(error::NOT_INTEGER));
                o.limit = Some((n(&words[j + 1])?, n(&words[j + 2])?));
                j += 2;
            }
            b"store" if !readonly && left >= 1 => {
                o.store = Some(&words[j + 1]);
                j += 1;
            }
            b"by" if left >= 1 => {
                if words[j + 1].contains(&b'*') && !full_access {
                    return Err(Reply::err(error::SORT_BY_NOPERM));
                }
                o.by = Some(&words[j + 1]);
                j += 1;
            }
            b"get" if left >= 1 => {
                if !full_access {
                    return Err(Reply::err(error::SORT_GET_NOPERM));
                }
                o.gets.push(&words[j + 1]);
                j += 1;
            }
            _ => return Err(Reply::err(error::SYNTAX)),
        }
        j += 1;
    }
    Ok(o)
}

/// What a BY or GET pattern names for `elem`: `#` is the element; the first `*` is
/// replaced by it; `key->field` reads a hash field. `None` for a pattern without `*`, a
/// missing key or one of another type.
fn by_pattern(ctx: &mut Ctx<'_>, pattern: &[u8], elem: &[u8]) -> Option<Bytes> {
    if pattern == b"#" {
        return Some(Bytes::copy_from_slice(elem));
    }
    // Redis reads the pattern as a C string for `*` and `->`.
    let c_len = pattern.iter().position(|&b| b == 0).unwrap_or(pattern.len());
    let star = pattern[..c_len].iter().position(|&b| b == b'*')?;
    let arrow = pattern[star + 1..c_len].windows(2).position(|w| w == b"->").map(|i| star + 1 + i);
    let (post_end, field) = match arrow {
        Some(a) if a + 2 < c_len => (a, Some(&pattern[a + 2..])),
        _ => (pattern.len(), None),
    };
    let key = [&pattern[..star], elem, &pattern[star + 1..post_end]].concat();
    let now = ctx.now;
    let found = ctx.db().get_mut(&key, now).map(|e| match (&e.value, field) {
        (Value::Hash(h), Some(f)) => h.get(f).cloned(),
        (Value::Str(s), None) => Some(s.data.to_bytes()),
        _ => None,
    });
    if found.is_some() {
        ctx.st.stats.keyspace_hits += 1;
    } else {
        ctx.st.stats.keyspace_misses += 1;
    }
    found.flatten()
}

/// A numeric weight as Redis reads it: C's strtod on a C string, leading space allowed, an
/// empty word 0, refusing leftovers, a result out of range, and NaN.
fn weight(w: &[u8]) -> Option<f64> {
    let w = &w[..w.iter().position(|&b| b == 0).unwrap_or(w.len())];
    if w.is_empty() {
        return Some(0.0);
    }
    let t = &w[w.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?..];
    crate::spec::grammar::parse_f64(t)
}

/// strcoll in the C locale: bytes up to the first NUL.
fn collate(a: &[u8], b: &[u8]) -> Ordering {
    let cut = |s: &[u8]| s.iter().position(|&c| c == 0).map_or(s.len(), |i| i);
    a[..cut(a)].cmp(&b[..cut(b)])
}

fn sort_generic(ctx: &mut Ctx<'_>, words: &[Vec<u8>], readonly: bool) -> CmdResult {
    let [key, rest @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let p = ctx.profile();
    let full_access = match (&ctx.st.acl, crate::dispatch::resolve(&p, ctx.argv)) {
        (Some(acl), Ok(cmd)) => acl.reads_all_keys(ctx.sess.user.as_bytes(), cmd, ctx.argv, &p),
        _ => true,
    };
    let o = options(rest, readonly, full_access)?;
    let mut dontsort = o.by.is_some_and(|b| !b.contains(&b'*'));
    let mut alpha = o.alpha;
    let mut by = o.by;
    let found = crate::cmd::typed(ctx, key, Look::Read, |v| Some(v))?;
    let (elems, is_set): (Vec<Bytes>, bool) = match found {
        None => (Vec::new(), false),
        Some(Value::List(l)) => (l.iter().cloned().collect(), false),
        Some(Value::Set(s)) => (s.iter().cloned().collect(), true),
        Some(Value::Zset(z)) => {
            // Redis converts the sorted set for good.
            z.listpack = false;
            (z.iter_from(0, false).map(|(m, _)| m.clone()).collect(), false)
        }
        Some(_) => return Err(Reply::err(error::WRONGTYPE)),
    };
    if dontsort && is_set && o.store.is_some() {
        // A set has no order of its own to keep: a stored result is sorted by bytes.
        dontsort = false;
        alpha = true;
        by = None;
    }
    let len = elems.len() as i64;
    let (lstart, lcount) = o.limit.unwrap_or((0, -1));
    let mut start = lstart.max(0).min(len);
    let count = lcount.max(-1).min(len);
    let mut end = if count < 0 { len - 1 } else { start + count - 1 };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    end = end.min(len - 1);
    let mut order: Vec<usize> = (0..elems.len()).collect();
    if dontsort {
        if o.desc && !is_set {
            order.reverse();
        }
    } else {
        let mut scores = vec![0.0f64; elems.len()];
        let mut keys: Vec<Option<Bytes>> = vec![None; elems.len()];
        let mut bad = false;
        for (i, e) in elems.iter().enumerate() {
            let val = match by {
                Some(p) => match by_pattern(ctx, p, e) {
                    Some(v) => v,
                    None => continue,
                },
                None => e.clone(),
            };
            if alpha {
                if by.is_some() {
                    keys[i] = Some(val);
                }
            } else {
                match weight(&val) {
                    Some(w) => scores[i] = w,
                    None => bad = true,
                }
            }
        }
        let storing = o.store.is_some();
        let cmp = |a: &usize, b: &usize| -> Ordering {
            let c = if !alpha {
                scores[*a].partial_cmp(&scores[*b]).unwrap_or(Ordering::Equal).then_with(|| elems[*a].cmp(&elems[*b]))
            } else if by.is_some() {
                match (&keys[*a], &keys[*b]) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) if storing => x.cmp(y),
                    (Some(x), Some(y)) => collate(x, y),
                }
            } else if storing {
                elems[*a].cmp(&elems[*b])
            } else {
                collate(&elems[*a], &elems[*b])
            };
            if o.desc {
                c.reverse()
            } else {
                c
            }
        };
        order.sort_by(cmp);
        if bad {
            return Err(Reply::err(error::SORT_NOT_DOUBLE));
        }
    }
    let picked: Vec<usize> = if end >= start { order[start as usize..=end as usize].to_vec() } else { Vec::new() };
    let mut out: Vec<Option<Bytes>> = Vec::new();
    for i in picked {
        if o.gets.is_empty() {
            out.push(Some(elems[i].clone()));
        }
        for g in &o.gets {
            out.push(by_pattern(ctx, g, &elems[i]));
        }
    }
    let Some(dst) = o.store else {
        return Ok(Reply::Array(out.into_iter().map(Reply::bulk_opt).collect()));
    };
    let n = out.len();
    let enc = ctx.enc();
    let mut l = List::new(false);
    for v in out {
        l.push_back(v.unwrap_or_default());
    }
    l.settle_new(enc.list_fill, enc.small_lists);
    crate::cmd::store_collection(
        ctx,
        dst,
        Value::List(Box::new(l)),
        n,
        (crate::server::config::NOTIFY_LIST, "sortstore"),
    )
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
/// [STORE destination] (overlay `walk`).
pub fn sort(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    sort_generic(ctx, words, false)
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA].
pub fn sort_ro(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    sort_generic(ctx, words, true)
}
