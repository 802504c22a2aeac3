//! Generic keyspace commands (spec group `generic`): DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN,
//! RANDOMKEY, RENAME, RENAMENX, COPY, MOVE, TOUCH, the EXPIRE family, TTL, PTTL,
//! EXPIRETIME, PEXPIRETIME, PERSIST, OBJECT.

use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::config::{NOTIFY_GENERIC, NOTIFY_KEY_MISS};
use crate::server::Ctx;
use crate::spec::generated::*;
use crate::spec::Num;

fn count_keys(ctx: &mut Ctx<'_>, keys: &[&[u8]], mut f: impl FnMut(&mut Ctx<'_>, &[u8]) -> bool) -> Reply {
    Reply::Int(keys.iter().filter(|k| f(ctx, k)).count() as i64)
}

fn delete(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    let now = ctx.now;
    ctx.db().expire_if_needed(key, now);
    let gone = ctx.db().remove(key).is_some();
    if gone {
        ctx.touched(key);
        ctx.notify(NOTIFY_GENERIC, "del", key);
    }
    gone
}

/// A read lookup's miss: the `keymiss` event.
fn missed(ctx: &mut Ctx<'_>, key: &[u8], found: bool) -> bool {
    if !found {
        ctx.notify(NOTIFY_KEY_MISS, "keymiss", key);
    }
    found
}

/// DEL key [key ...]: how many existed.
pub fn del(ctx: &mut Ctx<'_>, a: Del<'_>) -> CmdResult {
    Ok(count_keys(ctx, &a.key, delete))
}

/// UNLINK key [key ...]: DEL (memory is reclaimed at once here anyway).
pub fn unlink(ctx: &mut Ctx<'_>, a: Unlink<'_>) -> CmdResult {
    Ok(count_keys(ctx, &a.key, delete))
}

/// EXISTS key [key ...]: a key named twice counts twice.
pub fn exists(ctx: &mut Ctx<'_>, a: Exists<'_>) -> CmdResult {
    Ok(count_keys(ctx, &a.key, |ctx, k| {
        let now = ctx.now;
        let found = ctx.db().contains(k, now);
        missed(ctx, k, found)
    }))
}

/// TOUCH key [key ...]: updates the access time of the keys that exist.
pub fn touch(ctx: &mut Ctx<'_>, a: Touch<'_>) -> CmdResult {
    Ok(count_keys(ctx, &a.key, |ctx, k| {
        let now = ctx.now;
        let found = ctx.db().get_mut(k, now).is_some();
        missed(ctx, k, found)
    }))
}

/// TYPE key: `none` when missing.
pub fn type_(ctx: &mut Ctx<'_>, a: Type<'_>) -> CmdResult {
    let now = ctx.now;
    let t = ctx.db().peek(a.key, now).map_or("none", |e| e.value.type_name());
    missed(ctx, a.key, t != "none");
    Ok(Reply::simple(t))
}

/// Whether `key` matches a KEYS/SCAN pattern (`*` alone takes every key, "" included).
fn pattern_matches(pattern: &[u8], key: &[u8]) -> bool {
    pattern == b"*" || crate::glob::matches(pattern, key, false)
}

/// KEYS pattern.
pub fn keys(ctx: &mut Ctx<'_>, a: Keys<'_>) -> CmdResult {
    let now = ctx.now;
    let out: Vec<Reply> = ctx
        .db()
        .live_keys(now)
        .filter(|(k, _)| pattern_matches(a.pattern, k))
        .map(|(k, _)| Reply::bulk(k.to_bytes()))
        .collect();
    Ok(Reply::Array(out))
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. The keyspace's SCAN index (see
/// `db::scan`) hands out whole groups of keys in a fixed hash order and the cursor is the
/// next hash, so every key present for the whole iteration is returned exactly once and a
/// call costs O(log n + COUNT). COUNT counts keys visited, expired and filtered ones
/// included, as in Redis; expired keys that match the pattern are deleted.
pub fn scan(ctx: &mut Ctx<'_>, a: Scan<'_>) -> CmdResult {
    // The parser has checked the cursor's format and COUNT >= 1 as Redis's loop does.
    let cursor = crate::spec::grammar::parse_cursor(a.cursor).ok_or(Reply::err(error::INVALID_CURSOR))?;
    let count = usize::try_from(a.count.unwrap_or(10)).unwrap_or(usize::MAX);
    let now = ctx.now;
    let db = ctx.db();
    let (next, keys) = db.scan(cursor, count);
    let mut items = Vec::new();
    for k in keys {
        // Redis's order: the pattern, then the type (its lookup expires the key), then expiry;
        // only a key that got past the pattern is expired on the way.
        if a.pattern.is_some_and(|p| !pattern_matches(p, &k)) {
            continue;
        }
        if db.expire_if_needed(&k, now) {
            continue;
        }
        let t = db.get_live(&k, now).map_or("none", |e| e.value.type_name());
        if a.type_.is_some_and(|want| !want.eq_ignore_ascii_case(t.as_bytes())) {
            continue;
        }
        items.push(Reply::bulk(k.to_vec()));
    }
    Ok(Reply::Array(vec![Reply::bulk(next.to_string()), Reply::Array(items)]))
}

/// RANDOMKEY: nil when the database is empty.
pub fn randomkey(ctx: &mut Ctx<'_>, _a: Randomkey) -> CmdResult {
    let (now, seed) = (ctx.now, ctx.st.next_random());
    Ok(Reply::bulk_opt(ctx.db().random_key(now, seed)))
}

fn rename_generic(ctx: &mut Ctx<'_>, key: &[u8], newkey: &[u8], nx: bool) -> CmdResult {
    // Both keys are looked up for writing (touched), the source first.
    if !crate::cmd::lookup(ctx, key) {
        return Err(Reply::err(error::NO_SUCH_KEY));
    }
    if key == newkey {
        return Ok(if nx { Reply::Int(0) } else { Reply::OK });
    }
    if crate::cmd::lookup(ctx, newkey) && nx {
        return Ok(Reply::Int(0));
    }
    let Some(entry) = ctx.db().remove(key) else { return Err(Reply::err(error::NO_SUCH_KEY)) };
    ctx.db().put_entry(newkey, entry);
    ctx.touched(key);
    ctx.touched(newkey);
    ctx.notify(NOTIFY_GENERIC, "rename_from", key);
    ctx.notify(NOTIFY_GENERIC, "rename_to", newkey);
    Ok(if nx { Reply::Int(1) } else { Reply::OK })
}

/// RENAME key newkey.
pub fn rename(ctx: &mut Ctx<'_>, a: Rename<'_>) -> CmdResult {
    rename_generic(ctx, a.key, a.newkey, false)
}

/// RENAMENX key newkey.
pub fn renamenx(ctx: &mut Ctx<'_>, a: Renamenx<'_>) -> CmdResult {
    rename_generic(ctx, a.key, a.newkey, true)
}

/// COPY source destination [DB db] [REPLACE]: the copy keeps the TTL.
pub fn copy(ctx: &mut Ctx<'_>, a: Copy<'_>) -> CmdResult {
    let src_db = ctx.sess.db;
    if ctx.st.config.limits().cluster && (src_db != 0 || a.destination_db.is_some_and(|n| n != 0)) {
        return Err(Reply::err(error::CLUSTER_COPY_DB));
    }
    let dst_db = match a.destination_db {
        Some(n) => crate::cmd::db_index(ctx.st, n)?,
        None => src_db,
    };
    if src_db == dst_db && a.source == a.destination {
        return Err(Reply::err(error::SAME_OBJECT));
    }
    let now = ctx.now;
    let Some(entry) = ctx.db().get_mut(a.source, now).map(|e| e.clone()) else {
        missed(ctx, a.source, false);
        return Ok(Reply::Int(0));
    };
    let dst = &mut ctx.st.dbs[dst_db];
    if dst.get_mut(a.destination, now).is_some() && !a.replace {
        return Ok(Reply::Int(0));
    }
    let value = entry.value.duplicate();
    dst.put_entry(a.destination, crate::db::Entry { accessed_ms: now, value, ..entry });
    ctx.touched_in(dst_db, a.destination);
    ctx.notify_in(dst_db, NOTIFY_GENERIC, "copy_to", a.destination);
    Ok(Reply::Int(1))
}

/// MOVE key db.
pub fn move_(ctx: &mut Ctx<'_>, a: Move<'_>) -> CmdResult {
    if ctx.st.config.limits().cluster {
        return Err(Reply::err(error::CLUSTER_MOVE));
    }
    let dst_db = crate::cmd::db_index(ctx.st, a.db)?;
    if dst_db == ctx.sess.db {
        return Err(Reply::err(error::SAME_OBJECT));
    }
    let now = ctx.now;
    if !crate::cmd::lookup(ctx, a.key) || ctx.st.dbs[dst_db].get_mut(a.key, now).is_some() {
        return Ok(Reply::Int(0));
    }
    let Some(entry) = ctx.db().remove(a.key) else { return Ok(Reply::Int(0)) };
    ctx.st.dbs[dst_db].put_entry(a.key, entry);
    ctx.touched(a.key);
    ctx.touched_in(dst_db, a.key);
    ctx.notify(NOTIFY_GENERIC, "move_from", a.key);
    ctx.notify_in(dst_db, NOTIFY_GENERIC, "move_to", a.key);
    Ok(Reply::Int(1))
}

#[derive(Clone, Copy, PartialEq)]
enum Cond {
    Nx,
    Xx,
    Gt,
    Lt,
}

/// The shared body of EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT (Redis's
/// `expireGenericCommand`): `when` in `unit_ms` units, relative to `base` ms. The flags
/// are judged before the number is read, as Redis does.
fn expire_generic(
    ctx: &mut Ctx<'_>,
    name: &str,
    key: &[u8],
    when: Num<'_>,
    unit_ms: i64,
    base: i64,
    conds: &[Cond],
) -> CmdResult {
    let has = |c: Cond| conds.contains(&c);
    if has(Cond::Nx) && (has(Cond::Xx) || has(Cond::Gt) || has(Cond::Lt)) {
        return Err(Reply::err(error::EXPIRE_NX_CONFLICT));
    }
    if has(Cond::Gt) && has(Cond::Lt) {
        return Err(Reply::err(error::EXPIRE_GT_LT_CONFLICT));
    }
    let when = when.int()?;
    let when = when
        .checked_mul(unit_ms)
        .and_then(|w| w.checked_add(base))
        .filter(|_| when <= i64::MAX / unit_ms && when >= i64::MIN / unit_ms)
        .ok_or_else(|| Reply::err(error::invalid_expire(name)))?;
    let now = ctx.now;
    let Some(entry) = ctx.db().get_mut(key, now) else { return Ok(Reply::Int(0)) };
    let current = entry.expire_at;
    let refused = (has(Cond::Nx) && current.is_some())
        || (has(Cond::Xx) && current.is_none())
        || (has(Cond::Gt) && current.is_none_or(|c| when <= c))
        || (has(Cond::Lt) && current.is_some_and(|c| when >= c));
    if refused {
        return Ok(Reply::Int(0));
    }
    let gone = when <= now;
    if gone {
        ctx.db().remove(key);
    } else {
        ctx.db().set_expire(key, Some(when));
    }
    ctx.touched(key);
    ctx.notify(NOTIFY_GENERIC, if gone { "del" } else { "expire" }, key);
    Ok(Reply::Int(1))
}

macro_rules! conds {
    ($list:expr, $ty:ident) => {
        $list
            .iter()
            .map(|c| match c {
                $ty::Nx => Cond::Nx,
                $ty::Xx => Cond::Xx,
                $ty::Gt => Cond::Gt,
                $ty::Lt => Cond::Lt,
            })
            .collect::<Vec<_>>()
    };
}

/// EXPIRE key seconds [NX | XX | GT | LT].
pub fn expire(ctx: &mut Ctx<'_>, a: Expire<'_>) -> CmdResult {
    let base = ctx.now;
    expire_generic(ctx, "expire", a.key, a.seconds, 1000, base, &conds!(a.condition, ExpireCondition))
}

/// PEXPIRE key milliseconds [NX | XX | GT | LT].
pub fn pexpire(ctx: &mut Ctx<'_>, a: Pexpire<'_>) -> CmdResult {
    let base = ctx.now;
    expire_generic(ctx, "pexpire", a.key, a.milliseconds, 1, base, &conds!(a.condition, PexpireCondition))
}

/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT].
pub fn expireat(ctx: &mut Ctx<'_>, a: Expireat<'_>) -> CmdResult {
    expire_generic(ctx, "expireat", a.key, a.unix_time_seconds, 1000, 0, &conds!(a.condition, ExpireatCondition))
}

/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT].
pub fn pexpireat(ctx: &mut Ctx<'_>, a: Pexpireat<'_>) -> CmdResult {
    expire_generic(ctx, "pexpireat", a.key, a.unix_time_milliseconds, 1, 0, &conds!(a.condition, PexpireatCondition))
}

/// TTL-style answers: -2 missing, -1 persistent, else `f(expire_at)`.
fn ttl_generic(ctx: &mut Ctx<'_>, key: &[u8], f: impl Fn(i64, i64) -> i64) -> CmdResult {
    let now = ctx.now;
    let ttl = match ctx.db().peek(key, now) {
        None => -2,
        Some(e) => e.expire_at.map_or(-1, |t| f(t, now)),
    };
    missed(ctx, key, ttl != -2);
    Ok(Reply::Int(ttl))
}

/// Milliseconds to seconds, rounded half up, without overflow near `i64::MAX`.
fn round_to_seconds(ms: i64) -> i64 {
    ((i128::from(ms) + 500) / 1000) as i64
}

/// TTL key: seconds left, rounded.
pub fn ttl(ctx: &mut Ctx<'_>, a: Ttl<'_>) -> CmdResult {
    ttl_generic(ctx, a.key, |t, now| round_to_seconds((t - now).max(0)))
}

/// PTTL key.
pub fn pttl(ctx: &mut Ctx<'_>, a: Pttl<'_>) -> CmdResult {
    ttl_generic(ctx, a.key, |t, now| (t - now).max(0))
}

/// EXPIRETIME key: the absolute expiry in seconds, rounded.
pub fn expiretime(ctx: &mut Ctx<'_>, a: Expiretime<'_>) -> CmdResult {
    ttl_generic(ctx, a.key, |t, _| round_to_seconds(t))
}

/// PEXPIRETIME key.
pub fn pexpiretime(ctx: &mut Ctx<'_>, a: Pexpiretime<'_>) -> CmdResult {
    ttl_generic(ctx, a.key, |t, _| t)
}

/// PERSIST key: 1 when a TTL was removed.
pub fn persist(ctx: &mut Ctx<'_>, a: Persist<'_>) -> CmdResult {
    let now = ctx.now;
    let had = ctx.db().get_mut(a.key, now).is_some_and(|e| e.expire_at.is_some());
    if had {
        ctx.db().set_expire(a.key, None);
        ctx.touched(a.key);
        ctx.notify(NOTIFY_GENERIC, "persist", a.key);
    }
    Ok(Reply::Int(i64::from(had)))
}

pub(crate) fn lfu_policy(ctx: &Ctx<'_>) -> bool {
    ctx.st.config.get("maxmemory-policy").contains("lfu")
}

/// OBJECT ENCODING key: nil when missing.
pub fn object_encoding(ctx: &mut Ctx<'_>, a: ObjectEncoding<'_>) -> CmdResult {
    let now = ctx.now;
    let enc = ctx.enc();
    Ok(ctx.db().peek(a.key, now).map_or(Reply::Nil, |e| Reply::bulk(e.value.encoding_name(&enc))))
}

/// OBJECT REFCOUNT key: small integers are Redis's shared objects (refcount INT_MAX)
/// while no maxmemory policy needs per-key LRU/LFU data.
pub fn object_refcount(ctx: &mut Ctx<'_>, a: ObjectRefcount<'_>) -> CmdResult {
    let now = ctx.now;
    let shared_ok = shared_integers(ctx);
    let Some(e) = ctx.db().peek(a.key, now) else { return Ok(Reply::Nil) };
    let shared_int = shared_ok && e.value.shared_int().is_some();
    Ok(Reply::Int(if shared_int { i64::from(i32::MAX) } else { 1 }))
}

/// Whether small integers are stored as Redis's shared objects: unless a maxmemory with an
/// LRU or LFU policy is set (`MAXMEMORY_FLAG_NO_SHARED_INTEGERS`).
pub(crate) fn shared_integers(ctx: &Ctx<'_>) -> bool {
    ctx.st.config.get_i64("maxmemory") == 0 || !ctx.st.config.get("maxmemory-policy").contains("l")
}

/// OBJECT IDLETIME key: seconds since the last access. A key holding a shared integer
/// answers for the shared object: the last touch of any key holding that integer, or the
/// server's start.
pub fn object_idletime(ctx: &mut Ctx<'_>, a: ObjectIdletime<'_>) -> CmdResult {
    let now = ctx.now;
    let shared_ok = shared_integers(ctx);
    let Some(e) = ctx.db().peek(a.key, now) else { return Ok(Reply::Nil) };
    let (accessed, shared) = (e.accessed_ms, e.value.shared_int().filter(|_| shared_ok));
    if lfu_policy(ctx) {
        return Err(Reply::err(error::LFU_SELECTED));
    }
    let last = match shared {
        Some(n) => ctx.st.dbs.iter().filter_map(|d| d.shared_int_touched(n)).max().unwrap_or(ctx.shared.started_ms),
        None => accessed,
    };
    Ok(Reply::Int((now - last).max(0) / 1000))
}

/// OBJECT FREQ key: only under an LFU policy; the key's logarithmic counter, decayed.
pub fn object_freq(ctx: &mut Ctx<'_>, a: ObjectFreq<'_>) -> CmdResult {
    let now = ctx.now;
    if ctx.db().peek(a.key, now).is_none() {
        return Ok(Reply::Nil);
    }
    if !lfu_policy(ctx) {
        return Err(Reply::err(error::LFU_NOT_SELECTED));
    }
    let now = ctx.now;
    Ok(Reply::Int(i64::from(ctx.db().lfu_freq(a.key, now).unwrap_or(crate::db::LFU_INIT))))
}

/// OBJECT HELP.
pub fn object_help(_ctx: &mut Ctx<'_>, _a: ObjectHelp) -> CmdResult {
    Ok(crate::cmd::server::help_reply(
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    ))
}
