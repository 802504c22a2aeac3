//! What the collection commands share: random picks (HRANDFIELD, SRANDMEMBER, SPOP,
//! ZRANDMEMBER) and the HSCAN/SSCAN/ZSCAN walk.

use bytes::Bytes;

use crate::cmd::{typed, Look};
use crate::db::{SetEnc, Value};
use crate::error;
use crate::glob;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;
use crate::spec::grammar::{parse_cursor, parse_i64};
use crate::spec::Profile;

/// The most elements a random pick with repetition answers. Redis would build any reply
/// (and run out of memory on `HRANDFIELD k -9223372036854775807`); the fake refuses one
/// past this size instead.
pub const MAX_RANDOM_REPLY: u64 = 1 << 24;

/// A random pick of `count` positions (Redis's count rules: negative repeats), drawn from
/// a seed taken from the server's generator before the key is borrowed.
pub(crate) struct Picks {
    count: i64,
    rng: u64,
}

impl Picks {
    pub(crate) fn new(ctx: &mut Ctx<'_>, count: i64) -> Picks {
        Picks { count, rng: ctx.st.next_random() | 1 }
    }

    fn next(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }

    /// Positions into a collection of `len`: all of them in order when the count covers
    /// it, distinct ones in order for a smaller positive count, any for a negative one.
    pub(crate) fn positions(&mut self, len: usize) -> Result<Vec<usize>, Reply> {
        if len == 0 || self.count == 0 {
            return Ok(Vec::new());
        }
        let n = self.count.unsigned_abs();
        if self.count < 0 {
            if n > MAX_RANDOM_REPLY {
                return Err(Reply::err(error::RANDOM_REPLY_TOO_LARGE));
            }
            return Ok((0..n).map(|_| (self.next() % len as u64) as usize).collect());
        }
        if n >= len as u64 {
            return Ok((0..len).collect());
        }
        // Floyd's sampling of `n` distinct positions, answered in collection order.
        let n = n as usize;
        let mut chosen = std::collections::BTreeSet::new();
        for j in len - n..len {
            let t = (self.next() % (j as u64 + 1)) as usize;
            if !chosen.insert(t) {
                chosen.insert(j);
            }
        }
        Ok(chosen.into_iter().collect())
    }
}

/// The key of a random pick, and its count and WITH... flag when a count was given.
pub(crate) type RandArgs<'w> = (&'w [u8], Option<(i64, bool)>);

/// `key [count [WITH...]]` of HRANDFIELD and ZRANDMEMBER (overlay `walk`), read as Redis
/// reads it: the count (within ±i64::MAX), then the word count and the option's name,
/// then the option's own limit (half of i64). The key and `(count, with)` if given.
pub(crate) fn rand_args<'w>(words: &'w [Vec<u8>], with: &[u8]) -> Result<RandArgs<'w>, Reply> {
    let [key, rest @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let [count, opts @ ..] = rest else { return Ok((key, None)) };
    let n = parse_i64(count).ok_or(Reply::err(error::NOT_INTEGER))?;
    if n == i64::MIN {
        return Err(Reply::err(error::out_of_range(-i64::MAX, i64::MAX)));
    }
    let flag = match opts {
        [] => false,
        [w] if w.eq_ignore_ascii_case(with) => true,
        _ => return Err(Reply::err(error::SYNTAX)),
    };
    if flag && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&n) {
        return Err(Reply::err(error::VALUE_OUT_OF_RANGE));
    }
    Ok((key, Some((n, flag))))
}

/// Which collection a scan walks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanSource {
    Hash,
    Set,
    Zset,
}

/// Whether the pinned server's `cmd` has the option `token` (gated in the specs).
pub(crate) fn has_token(p: &Profile, cmd: &str, token: &str) -> bool {
    fn within(args: &[crate::spec::ArgSpec], p: &Profile, token: &str) -> bool {
        args.iter().filter(|a| a.avail.allows(p)).any(|a| {
            a.token == Some(token)
                || match a.kind {
                    crate::spec::ArgKind::OneOf(subs) | crate::spec::ArgKind::Block(subs) => within(subs, p, token),
                    _ => false,
                }
        })
    }
    crate::spec::lookup_on(cmd.as_bytes(), p).is_some_and(|c| within(c.args, p, token))
}

/// HSCAN/SSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES] as Redis's
/// `scanGenericCommand`: the cursor, then the key (a missing one answers an empty scan
/// whatever the options), then the options in order. A small encoding (listpack, intset)
/// answers everything at once with cursor 0, as Redis does; a hashtable is walked by the
/// table's scan order, which gives SCAN's guarantees.
pub(crate) fn scan_collection(ctx: &mut Ctx<'_>, words: &[Vec<u8>], src: ScanSource) -> CmdResult {
    let [key, cursor, opts @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let cursor = parse_cursor(cursor).ok_or(Reply::err(error::INVALID_CURSOR))?;
    let empty = || Ok(Reply::Array(vec![Reply::bulk("0"), Reply::Array(Vec::new())]));
    let exists = match src {
        ScanSource::Hash => typed(ctx, key, Look::Read, Value::as_hash_mut)?.is_some(),
        ScanSource::Set => typed(ctx, key, Look::Read, Value::as_set_mut)?.is_some(),
        ScanSource::Zset => typed(ctx, key, Look::Read, Value::as_zset_mut)?.is_some(),
    };
    if !exists {
        return empty();
    }
    let p = ctx.profile();
    let (mut count, mut pattern, mut novalues, mut noscores) = (10usize, None, false, false);
    let mut i = 0;
    while i < opts.len() {
        let (opt, val) = (&opts[i], opts.get(i + 1));
        match val {
            Some(v) if opt.eq_ignore_ascii_case(b"COUNT") => {
                let n = parse_i64(v).ok_or(Reply::err(error::NOT_INTEGER))?;
                if n < 1 {
                    return Err(Reply::err(error::SYNTAX));
                }
                count = usize::try_from(n).unwrap_or(usize::MAX);
                i += 2;
            }
            Some(v) if opt.eq_ignore_ascii_case(b"MATCH") => {
                pattern = Some(&v[..]).filter(|p| *p != b"*");
                i += 2;
            }
            _ if opt.eq_ignore_ascii_case(b"NOVALUES") && has_token(&p, "HSCAN", "NOVALUES") => {
                if src != ScanSource::Hash {
                    return Err(Reply::err(error::NOVALUES_ONLY_HSCAN));
                }
                novalues = true;
                i += 1;
            }
            _ if opt.eq_ignore_ascii_case(b"NOSCORES") && has_token(&p, "ZSCAN", "NOSCORES") => {
                if src != ScanSource::Zset {
                    return Err(Reply::err(error::NOSCORES_ONLY_ZSCAN));
                }
                noscores = true;
                i += 1;
            }
            _ => return Err(Reply::err(error::SYNTAX)),
        }
    }
    let keep = |k: &[u8]| pattern.is_none_or(|p| glob::matches(p, k, false));
    let now = ctx.now;
    let mut out = Vec::new();
    let next = match src {
        ScanSource::Hash => {
            let Some(h) = typed(ctx, key, Look::Write, Value::as_hash_mut)? else { return empty() };
            let (next, fields): (u64, Vec<Bytes>) =
                if h.listpack { (0, h.fields.keys().cloned().collect()) } else { h.fields.scan(cursor, count) };
            for f in fields.into_iter().filter(|f| keep(f) && !h.is_expired(f, now)) {
                let v = h.get(&f).cloned();
                out.push(Reply::Bulk(f));
                if !novalues {
                    out.push(Reply::bulk_opt(v));
                }
            }
            next
        }
        ScanSource::Set => {
            let Some(s) = typed(ctx, key, Look::Write, Value::as_set_mut)? else { return empty() };
            let (next, members): (u64, Vec<Bytes>) = if s.enc == SetEnc::Hashtable {
                s.members.scan(cursor, count)
            } else {
                (0, s.iter().cloned().collect())
            };
            out.extend(members.into_iter().filter(|m| keep(m)).map(Reply::Bulk));
            next
        }
        ScanSource::Zset => {
            let Some(z) = typed(ctx, key, Look::Write, Value::as_zset_mut)? else { return empty() };
            // A listpack holds scores as the reply writes them; a skiplist scan writes
            // `%.17Lg`, in every version.
            let (next, members): (u64, Vec<Bytes>) = if z.listpack {
                (0, z.iter_from(0, false).map(|(m, _)| m.clone()).collect())
            } else {
                z.members.scan(cursor, count)
            };
            for m in members.into_iter().filter(|m| keep(m)) {
                let s = z.score(&m).unwrap_or_default();
                out.push(Reply::Bulk(m));
                if !noscores {
                    let text = if z.listpack {
                        crate::cmd::sorted_set::score_text(&p, s)
                    } else {
                        crate::reply::format_double(s)
                    };
                    out.push(Reply::bulk(text));
                }
            }
            next
        }
    };
    Ok(Reply::Array(vec![Reply::bulk(next.to_string()), Reply::Array(out)]))
}
