//! HyperLogLog commands (spec group `hyperloglog`): PFADD, PFCOUNT, PFMERGE, PFDEBUG,
//! PFSELFTEST, over the strings of [`crate::db::hll`], as Redis's `hyperloglog.c` runs them.
//!
//! What Redis does that is easy to miss, and the code keeps:
//! - A key that exists is unshared before use (left `raw`), even when nothing changes.
//! - PFCOUNT of one key writes the recomputed cardinality back into the string: the key is
//!   touched (WATCH, tracking) without a keyspace event; a cached one is answered as is.
//!   Several keys are merged into a scratch register array and nothing is written. Up to
//!   6.2 the single key is looked up as a write (no hit or miss is counted).
//! - PFMERGE reads the destination as a source too, keeps it sparse unless some input is
//!   dense, and always reports `pfadd` (its event), even when nothing changed.
//! - A PFADD that meets a corrupt sparse string answers INVALIDOBJ but keeps the registers
//!   it already raised, with no event and the cache not invalidated.
//! - PFDEBUG GETREG and TODENSE convert a sparse value to dense in place, without touching
//!   the key. Valkey 8.1 and Redis 8 add `PFDEBUG SIMD ON|OFF` (answered before the key is
//!   looked up); a word other than ON or OFF gets an error and then the status as well,
//!   two replies, as Valkey's `pfdebugCommand` sends them.

use crate::cmd::{typed, Look};
use crate::db::hll::{self, DENSE, REGISTERS, SPARSE};
use crate::db::{StrEnc, StrValue, Value};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::config::NOTIFY_STRING;
use crate::server::Ctx;
use crate::spec::generated::*;

fn invalid(_: hll::Corrupt) -> Reply {
    Reply::err(error::HLL_INVALID)
}

/// `hll-sparse-max-bytes`.
fn max_sparse(ctx: &Ctx<'_>) -> usize {
    usize::try_from(ctx.st.config.get_i64("hll-sparse-max-bytes")).unwrap_or(0)
}

/// The HyperLogLog at `key` as `isHLLObjectOrReply` accepts it: `None` when missing,
/// WRONGTYPE for another type, the HLL variant of WRONGTYPE for a string that is not one.
fn lookup<'c>(ctx: &'c mut Ctx<'_>, key: &[u8], look: Look) -> Result<Option<&'c mut StrValue>, Reply> {
    match typed(ctx, key, look, Value::as_str_mut)? {
        Some(s) if !hll::is_valid(&s.data) => Err(Reply::err(error::HLL_WRONGTYPE)),
        found => Ok(found),
    }
}

/// The HyperLogLog at `key` for a write, created empty (sparse) when missing; unshared.
/// Whether it was created.
fn for_write<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<(&'c mut StrValue, bool), Reply> {
    let now = ctx.now;
    let created = lookup(ctx, key, Look::Write)?.is_none();
    if created {
        ctx.db().set(key, Value::Str(StrValue::raw(hll::new_sparse())), None, now);
    }
    let s = lookup(ctx, key, Look::Write)?.ok_or(Reply::err(error::ALLOC_FAILED))?;
    s.enc = StrEnc::Raw;
    Ok((s, created))
}

/// PFADD key [element ...]: 1 when a register changed or the key was created.
pub fn pfadd(ctx: &mut Ctx<'_>, a: Pfadd<'_>) -> CmdResult {
    let max = max_sparse(ctx);
    let (s, created) = for_write(ctx, a.key)?;
    let mut updated = u64::from(created);
    let added = s.edit(|d| {
        for e in &a.element {
            updated += u64::from(hll::add(d, max, e)?);
        }
        if updated > 0 {
            hll::invalidate(d);
        }
        Ok(())
    });
    added.map_err(invalid)?;
    if updated > 0 {
        ctx.touched(a.key);
        ctx.notify(NOTIFY_STRING, "pfadd", a.key);
        // Redis counts a change per raised register (`server.dirty += updated`).
        ctx.st.stats.changes_since_save += updated - 1;
    }
    Ok(Reply::Int(i64::from(updated > 0)))
}

/// PFCOUNT key [key ...].
pub fn pfcount(ctx: &mut Ctx<'_>, a: Pfcount<'_>) -> CmdResult {
    if a.key.len() > 1 {
        let mut max = vec![0u8; REGISTERS];
        for k in &a.key {
            if let Some(s) = lookup(ctx, k, Look::Read)? {
                hll::merge_into(&mut max, &s.data).map_err(invalid)?;
            }
        }
        return Ok(Reply::Int(hll::estimate(&hll::raw_histogram(&max)) as i64));
    }
    let Some(&key) = a.key.first() else { return Ok(Reply::Int(0)) };
    let look = if ctx.profile().redis_at_least(7, 0) { Look::Read } else { Look::Write };
    let Some(s) = lookup(ctx, key, look)? else { return Ok(Reply::Int(0)) };
    s.enc = StrEnc::Raw;
    if let Some(card) = hll::cached(&s.data) {
        return Ok(Reply::Int(card as i64));
    }
    let card = hll::count(&s.data).map_err(invalid)?;
    s.edit(|d| hll::set_cached(d, card));
    ctx.touched(key);
    Ok(Reply::Int(card as i64))
}

/// PFMERGE destkey [sourcekey ...].
pub fn pfmerge(ctx: &mut Ctx<'_>, a: Pfmerge<'_>) -> CmdResult {
    let max_bytes = max_sparse(ctx);
    let mut max = vec![0u8; REGISTERS];
    let mut dense = false;
    for k in std::iter::once(a.destkey).chain(a.sourcekey.iter().copied()) {
        if let Some(s) = lookup(ctx, k, Look::Read)? {
            dense |= s.data[4] == DENSE;
            hll::merge_into(&mut max, &s.data).map_err(invalid)?;
        }
    }
    let (s, _) = for_write(ctx, a.destkey)?;
    let merged = s.edit(|d| {
        if dense {
            *d = hll::to_dense(d)?;
        }
        for (i, &m) in max.iter().enumerate() {
            if m != 0 {
                // The destination was read as a source: it is valid, a set cannot fail.
                let _ = hll::set(d, max_bytes, i, m);
            }
        }
        hll::invalidate(d);
        Ok(())
    });
    merged.map_err(invalid)?;
    ctx.touched(a.destkey);
    ctx.notify(NOTIFY_STRING, "pfadd", a.destkey);
    Ok(Reply::OK)
}

/// Whether the pinned server has `PFDEBUG SIMD`: Valkey from 8.1 (valkey#1293), Redis
/// from 8.0 (redis#13558, the same change, whose test suite calls it).
fn has_simd(ctx: &Ctx<'_>) -> bool {
    ctx.profile().has_since((8, 0), Some((8, 1)))
}

/// PFDEBUG subcommand key (walk: up to 6.2 the arity is -3 and the extra words are
/// refused per subcommand, after the key was looked up).
pub fn pfdebug(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let (sub, key) = (&words[0], &words[1]);
    let one_key = words.len() == 2;
    let arity = || Reply::err(error::pfdebug_arity(sub));
    // Redis compares the words as C strings (`strcasecmp`): up to a NUL.
    let (sub_c, key_c) = (error::c_bytes(sub), error::c_bytes(key));
    if has_simd(ctx) && sub_c.eq_ignore_ascii_case(b"simd") {
        if !one_key {
            return Err(arity());
        }
        let known = if key_c.eq_ignore_ascii_case(b"on") {
            ctx.st.hll_simd = true;
            true
        } else if key_c.eq_ignore_ascii_case(b"off") {
            ctx.st.hll_simd = false;
            true
        } else {
            false
        };
        // As on a host with AVX2.
        let status = Reply::Simple(if ctx.st.hll_simd { "enabled" } else { "disabled" }.into());
        if !known {
            ctx.sess.more.push(status);
            return Err(Reply::err(error::PFDEBUG_SIMD_ARGUMENT));
        }
        return Ok(status);
    }
    let s = lookup(ctx, key, Look::Write)?.ok_or(Reply::err(error::PFDEBUG_NO_KEY))?;
    s.enc = StrEnc::Raw;
    let sub_lc = sub_c.to_ascii_lowercase();
    let known = matches!(&sub_lc[..], b"getreg" | b"decode" | b"encoding" | b"todense");
    if known && !one_key {
        return Err(arity());
    }
    let sparse = s.data[4] == SPARSE;
    match &sub_lc[..] {
        b"getreg" | b"todense" => {
            if sparse {
                s.data = crate::db::SmallBytes::from(hll::to_dense(&s.data).map_err(invalid)?);
            }
            let regs: Vec<Reply> = if sub_lc == b"getreg" {
                (0..REGISTERS).map(|i| Reply::Int(i64::from(hll::dense_get(&s.data[hll::HDR..], i)))).collect()
            } else {
                Vec::new()
            };
            if sparse {
                // Redis propagates the conversion (`server.dirty++`) but signals no change.
                ctx.st.stats.changes_since_save += 1;
            }
            Ok(if sub_lc == b"getreg" { Reply::Array(regs) } else { Reply::Int(i64::from(sparse)) })
        }
        b"decode" if !sparse => Err(Reply::err(error::HLL_NOT_SPARSE)),
        b"decode" => Ok(Reply::bulk(hll::decode(&s.data).into_bytes())),
        b"encoding" => Ok(Reply::Simple(if sparse { "sparse" } else { "dense" }.into())),
        _ => Err(Reply::err_bytes(error::pfdebug_unknown(sub))),
    }
}

/// PFSELFTEST: checks this implementation as Redis checks its own (register packing, sparse
/// and dense agreeing, the estimate within six standard errors at each power of ten), on
/// fewer rounds and up to 10^5 elements instead of 10^7; `OK` or Redis's TESTFAILED texts.
pub fn pfselftest(ctx: &mut Ctx<'_>, _a: Pfselftest) -> CmdResult {
    let max_bytes = max_sparse(ctx);
    self_test(max_bytes).map(|()| Reply::OK).map_err(Reply::err)
}

fn self_test(max_bytes: usize) -> Result<(), String> {
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut dense = hll::to_dense(&hll::new_sparse()).map_err(|_| "TESTFAILED dense".to_string())?;
    let mut bytes = vec![0u8; REGISTERS];
    for _ in 0..4 {
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (next() & 63) as u8;
            hll::dense_put(&mut dense[hll::HDR..], i, *b);
        }
        for (i, &b) in bytes.iter().enumerate() {
            let v = hll::dense_get(&dense[hll::HDR..], i);
            if v != b {
                return Err(error::pfselftest_register(i, b, v));
            }
        }
    }
    let mut dense = hll::to_dense(&hll::new_sparse()).map_err(|_| "TESTFAILED dense".to_string())?;
    let mut sparse = hll::new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let seed = next();
    let mut checkpoint: u64 = 1;
    for j in 1..=100_000u64 {
        let ele = (j ^ seed).to_le_bytes();
        let _ = hll::add(&mut dense, max_bytes, &ele);
        let _ = hll::add(&mut sparse, max_bytes, &ele);
        if j != checkpoint {
            continue;
        }
        if j < (max_bytes / 2) as u64 && sparse[4] != SPARSE {
            return Err(error::PFSELFTEST_NOT_SPARSE.into());
        }
        let (d, s) = (hll::count(&dense), hll::count(&sparse));
        if d != s {
            return Err(error::PFSELFTEST_DISAGREE.into());
        }
        let est = d.unwrap_or(0);
        let abserr = checkpoint.abs_diff(est);
        let maxerr = if j == 10 { 1 } else { (relerr * 6.0 * checkpoint as f64).ceil() as u64 };
        if abserr > maxerr {
            return Err(error::pfselftest_error(checkpoint, abserr));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn self_test_passes() {
        assert_eq!(super::self_test(3000), Ok(()));
        assert_eq!(super::self_test(0), Ok(()));
    }
}
