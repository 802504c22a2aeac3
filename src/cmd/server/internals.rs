//! DEBUG's views of Redis's internal structures (SDSLEN, LISTPACK/ZIPLIST, QUICKLIST,
//! HTSTATS, HTSTATS-KEY, STRUCTSIZE, CLIENT-EVICTION), answered as Redis's structures would
//! be for the same data: `sds` headers and jemalloc's size classes for strings, and hash
//! tables sized by Redis's growth rule (the next power of two, at least 4). What Redis's
//! history decides and the fake does not keep (the spare room of a string grown by APPEND,
//! a table not yet shrunk by the cron, one being rehashed) is taken as for freshly written
//! data; chain lengths come from the fake's own hash, as Redis's come from its random seed.

use crate::db::memory::jemalloc;
use crate::db::{StrEnc, Value};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;

/// `sdsnewlen`'s string: (avail, zmalloc size); type 5 has no room to spare.
fn sds_new(len: usize, small_ok: bool) -> (usize, usize) {
    let hdr = crate::db::memory::sds_header(len, small_ok);
    let size = crate::db::memory::sds(len, small_ok);
    (if hdr == 1 { 0 } else { size - hdr - 1 - len }, size)
}

/// DEBUG SDSLEN key: the key's `sds` as the dictionary holds it (a copy made by `sdsnewlen`)
/// and the value's: an embstr shares its object's allocation; a raw string is as
/// `tryObjectEncoding` leaves it (trimmed when more than a tenth is spare).
pub(super) fn sdslen(ctx: &mut Ctx<'_>, key: &[u8]) -> CmdResult {
    let Some(e) = ctx.db().find(key) else { return Err(Reply::err(error::NO_SUCH_KEY)) };
    let Value::Str(s) = &e.value else { return Err(Reply::err(error::DEBUG_NOT_SDS)) };
    let len = s.data.len();
    let (val_avail, val_size) = match s.enc {
        StrEnc::Int | StrEnc::IntCopy => return Err(Reply::err(error::DEBUG_NOT_SDS)),
        StrEnc::Embstr => (0, jemalloc(16 + 3 + len + 1) - 16),
        StrEnc::Raw => match sds_new(len, false) {
            (avail, size) if avail > len / 10 => (0, size),
            kept => kept,
        },
    };
    let (key_avail, key_size) = sds_new(key.len(), true);
    Ok(Reply::Simple(
        format!(
            "key_sds_len:{}, key_sds_avail:{key_avail}, key_zmalloc: {key_size}, val_sds_len:{len}, val_sds_avail:{val_avail}, val_zmalloc: {val_size}",
            key.len()
        )
        .into(),
    ))
}

/// DEBUG LISTPACK / ZIPLIST / QUICKLIST key: Redis prints the structure on its stdout and
/// says so; the fake prints nothing.
pub(super) fn print_structure(ctx: &mut Ctx<'_>, key: &[u8], encoding: &str) -> CmdResult {
    let (now, enc) = (ctx.now, ctx.enc());
    let Some(e) = ctx.db().peek(key, now) else { return Err(Reply::err(error::NO_SUCH_KEY)) };
    if e.value.encoding_name(&enc) != encoding {
        return Err(Reply::err_bytes(error::debug_not_encoded(encoding)));
    }
    let mut name = encoding.to_string();
    name[..1].make_ascii_uppercase();
    Ok(Reply::Simple(format!("{name} structure printed on stdout").into()))
}

/// `dictGetStats` of a table holding the items hashed to `hashes` (7.2 prints the chains
/// only when asked for `full`).
fn dict_stats(hashes: impl ExactSizeIterator<Item = u64>, full: bool) -> String {
    let used = hashes.len();
    if used == 0 {
        return "Hash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n".into();
    }
    let size = used.max(4).next_power_of_two();
    let mut chains = vec![0usize; size];
    for h in hashes {
        chains[(h as usize) & (size - 1)] += 1;
    }
    let mut out = format!("Hash table 0 stats (main hash table):\n table size: {size}\n number of elements: {used}\n");
    if !full {
        return out;
    }
    // DICT_STATS_VECTLEN is 50: longer chains count in the last slot, which is not printed.
    let mut vector = [0usize; 50];
    for &c in &chains {
        vector[c.min(49)] += 1;
    }
    let slots = chains.iter().filter(|&&c| c > 0).count();
    let max = chains.iter().copied().max().unwrap_or(0);
    let per_slot = used as f32 / slots as f32;
    out.push_str(&format!(
        " different slots: {slots}\n max chain length: {max}\n avg chain length (counted): {per_slot:.2}\n avg chain length (computed): {per_slot:.2}\n Chain length distribution:\n"
    ));
    for (i, &n) in vector.iter().enumerate().take(49).filter(|(_, &n)| n > 0) {
        out.push_str(&format!("   {i}: {n} ({:.2}%)\n", n as f32 / size as f32 * 100.0));
    }
    out
}

/// Whether the chains are printed: always before 7.2, with a `full` word from 7.2 on.
fn wants_full(ctx: &Ctx<'_>, rest: &[Vec<u8>]) -> bool {
    !ctx.profile().redis_at_least(7, 2) || rest.first().is_some_and(|w| w.eq_ignore_ascii_case(b"full"))
}

/// DEBUG HTSTATS dbid [FULL]: the keys' and the expires' tables.
pub(super) fn htstats(ctx: &mut Ctx<'_>, dbid: &[u8], rest: &[Vec<u8>]) -> CmdResult {
    let n = crate::spec::grammar::parse_i64(dbid).ok_or(Reply::err(error::NOT_INTEGER))?;
    let db = usize::try_from(n).ok().filter(|&i| i < ctx.st.dbs.len()).ok_or(Reply::err(error::DEBUG_DB_RANGE))?;
    let full = wants_full(ctx, rest);
    let db = &ctx.st.dbs[db];
    let keys: Vec<u64> = db.keys().map(|(k, _)| crate::db::scan_hash(k)).collect();
    let volatile: Vec<u64> =
        db.keys().filter(|(_, e)| e.expire_at.is_some()).map(|(k, _)| crate::db::scan_hash(k)).collect();
    let text = format!(
        "[Dictionary HT]\n{}[Expires HT]\n{}",
        dict_stats(keys.into_iter(), full),
        dict_stats(volatile.into_iter(), full)
    );
    Ok(Reply::Verbatim("txt", text.into_bytes()))
}

/// DEBUG HTSTATS-KEY key [FULL]: the table of a hashtable-encoded hash or set, or of a
/// skiplist-encoded sorted set.
pub(super) fn htstats_key(ctx: &mut Ctx<'_>, key: &[u8], rest: &[Vec<u8>]) -> CmdResult {
    let full = wants_full(ctx, rest);
    let (now, enc) = (ctx.now, ctx.enc());
    let Some(e) = ctx.db().peek(key, now) else { return Err(Reply::err(error::NO_SUCH_KEY)) };
    let hashes: Vec<u64> = match (&e.value, e.value.encoding_name(&enc)) {
        (Value::Hash(h), "hashtable") => h.fields.keys().map(|k| crate::db::scan_hash(k)).collect(),
        (Value::Set(s), "hashtable") => s.iter().map(|m| crate::db::scan_hash(m)).collect(),
        (Value::Zset(z), "skiplist") => z.iter_from(0, false).map(|(m, _)| crate::db::scan_hash(m)).collect(),
        _ => return Err(Reply::err(error::DEBUG_NOT_HASHTABLE)),
    };
    Ok(Reply::Verbatim("txt", dict_stats(hashes.into_iter(), full).into_bytes()))
}

/// DEBUG STRUCTSIZE: the sizes of Redis's structures on a 64-bit build.
pub(super) fn structsize() -> Reply {
    Reply::bulk("bits:64 robj:16 dictentry:24 sdshdr5:1 sdshdr8:3 sdshdr16:5 sdshdr32:9 sdshdr64:17 ")
}

/// DEBUG CLIENT-EVICTION: the client memory buckets (every client's memory here is below
/// the first bucket's bound).
pub(super) fn client_eviction(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.st.config.get_i64("maxmemory-clients") == 0 {
        return Err(Reply::err(error::DEBUG_CLIENT_EVICTION_OFF));
    }
    // CLIENT_MEM_USAGE_BUCKET_MIN_LOG 15 .. MAX_LOG 33.
    let (min_log, buckets) = (15u32, 19u32);
    let clients = ctx.st.clients.len();
    let mut out = String::new();
    for j in 0..buckets {
        if j == 0 {
            out.push_str("bucket          0");
        } else {
            out.push_str(&format!("bucket {:>10}", 1usize << (j - 1 + min_log)));
        }
        if j == buckets - 1 {
            out.push_str("+            : ");
        } else {
            out.push_str(&format!(" - {:>10}: ", (1usize << (j + min_log)) - 1));
        }
        let (mem, n) = if j == 0 { (clients * crate::cmd::connection::CLIENT_MEMORY, clients) } else { (0, 0) };
        out.push_str(&format!("tot-mem: {mem:>10}, clients: {n}\n"));
    }
    Ok(Reply::Verbatim("txt", out.into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sds_sizes_are_redis_7_0s() {
        // Checked against redis-server 7.0.15's DEBUG SDSLEN.
        assert_eq!(sds_new(1, true), (0, 8));
        assert_eq!(sds_new(35, true), (9, 48));
        assert_eq!(sds_new(100, false), (8, 112));
        assert_eq!(sds_new(300, false), (14, 320));
    }

    #[test]
    fn tables_grow_as_redis_dicts_do() {
        let text = dict_stats([1u64, 2, 3, 4, 5].into_iter(), true);
        assert!(text.starts_with("Hash table 0 stats (main hash table):\n table size: 8\n number of elements: 5\n"));
        assert!(text.contains(" different slots: 5\n max chain length: 1\n"), "{text}");
        assert!(text.contains("   0: 3 (37.50%)\n   1: 5 (62.50%)\n"), "{text}");
        assert!(dict_stats([7u64].into_iter(), false).ends_with("table size: 4\n number of elements: 1\n"));
    }
}
