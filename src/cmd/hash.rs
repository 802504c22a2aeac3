//! Hash commands (spec group `hash`), in Redis's order of checks: HINCRBY and
//! HINCRBYFLOAT read their increment before the key, HSETNX and the increments create the
//! hash before they judge the field, HRANDFIELD reads its count and WITHVALUES before the key.
//! Field TTLs (7.4): the commands that read a field delete it first when it has expired,
//! HGETALL/HKEYS/HVALS/HSCAN leave expired fields out, HLEN still counts them, HSET clears
//! a field's TTL and the increments keep it. The TTL commands are in `hash_ttl.rs`.

use bytes::Bytes;

use crate::cmd::collection::{rand_args, scan_collection, Picks, ScanSource};
use crate::cmd::{typed, typed_or_create, written_as, Look};
use crate::db::{Hash, Value};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::config::NOTIFY_HASH;
use crate::server::Ctx;
use crate::spec::generated::*;
use crate::spec::grammar::parse_i64;

fn hash<'c>(ctx: &'c mut Ctx<'_>, key: &[u8], look: Look) -> Result<Option<&'c mut Hash>, Reply> {
    typed(ctx, key, look, Value::as_hash_mut)
}

/// Redis's `hashTypeLookupWriteOrCreate`.
fn hash_or_create<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<&'c mut Hash, Reply> {
    typed_or_create(ctx, key, Value::as_hash_mut, || Value::Hash(Box::new(Hash::new())))
}

/// Redis's lazy field expiry: those of `fields` that are past their time are deleted
/// (the key too when it empties) before the command reads them.
pub(crate) fn expire_fields<'f>(ctx: &mut Ctx<'_>, key: &[u8], fields: impl IntoIterator<Item = &'f [u8]>) {
    let now = ctx.now;
    let gone = match ctx.db().get_mut(key, now).map(|e| &mut e.value) {
        Some(Value::Hash(h)) if h.has_expires() => {
            fields.into_iter().filter(|f| h.is_expired(f, now) && h.remove(f)).count()
        }
        _ => 0,
    };
    if gone > 0 {
        ctx.st.stats.expired_subkeys += gone as u64;
        written_as(ctx, key, NOTIFY_HASH, "hexpired");
    }
}

/// Deletes every expired field of the hash at `key` (HRANDFIELD does so first).
fn expire_all_fields(ctx: &mut Ctx<'_>, key: &[u8]) {
    let now = ctx.now;
    let gone = match ctx.db().get_mut(key, now).map(|e| &mut e.value) {
        Some(Value::Hash(h)) => h.purge_expired(now),
        _ => 0,
    };
    if gone > 0 {
        ctx.st.stats.expired_subkeys += gone as u64;
        written_as(ctx, key, NOTIFY_HASH, "hexpired");
    }
}

fn set_pairs(ctx: &mut Ctx<'_>, key: &[u8], pairs: &[(&[u8], &[u8])]) -> Result<i64, Reply> {
    let enc = ctx.enc();
    let h = hash_or_create(ctx, key)?;
    h.prepare(&enc, pairs.len());
    h.check_words(&enc, pairs.iter().flat_map(|(f, v)| [*f, *v]));
    let created = pairs.iter().filter(|(f, v)| h.set(&enc, f, Bytes::copy_from_slice(v))).count();
    written_as(ctx, key, NOTIFY_HASH, "hset");
    Ok(created as i64)
}

/// HSET key field value [field value ...]: how many fields are new.
pub fn hset(ctx: &mut Ctx<'_>, a: Hset<'_>) -> CmdResult {
    let pairs: Vec<_> = a.data.iter().map(|d| (d.field, d.value)).collect();
    Ok(Reply::Int(set_pairs(ctx, a.key, &pairs)?))
}

/// HMSET key field value [field value ...].
pub fn hmset(ctx: &mut Ctx<'_>, a: Hmset<'_>) -> CmdResult {
    let pairs: Vec<_> = a.data.iter().map(|d| (d.field, d.value)).collect();
    set_pairs(ctx, a.key, &pairs)?;
    Ok(Reply::OK)
}

/// HSETNX key field value: creates the hash even when it then refuses nothing.
pub fn hsetnx(ctx: &mut Ctx<'_>, a: Hsetnx<'_>) -> CmdResult {
    expire_fields(ctx, a.key, [a.field]);
    let enc = ctx.enc();
    let h = hash_or_create(ctx, a.key)?;
    if enc.ziplist_names {
        // 6.2 judges the lengths before it looks for the field.
        h.check_words(&enc, [a.field, a.value]);
    }
    if h.get(a.field).is_some() {
        return Ok(Reply::Int(0));
    }
    h.check_words(&enc, [a.field, a.value]);
    h.set(&enc, a.field, Bytes::copy_from_slice(a.value));
    written_as(ctx, a.key, NOTIFY_HASH, "hset");
    Ok(Reply::Int(1))
}

/// HGET key field.
pub fn hget(ctx: &mut Ctx<'_>, a: Hget<'_>) -> CmdResult {
    expire_fields(ctx, a.key, [a.field]);
    Ok(Reply::bulk_opt(hash(ctx, a.key, Look::Read)?.and_then(|h| h.get(a.field).cloned())))
}

/// HMGET key field [field ...]: nil for each missing field (all of them for a missing key).
pub fn hmget(ctx: &mut Ctx<'_>, a: Hmget<'_>) -> CmdResult {
    expire_fields(ctx, a.key, a.field.iter().copied());
    let h = hash(ctx, a.key, Look::Read)?;
    let h = h.as_deref();
    Ok(Reply::Array(a.field.iter().map(|f| Reply::bulk_opt(h.and_then(|h| h.get(f).cloned()))).collect()))
}

/// HDEL key field [field ...]: how many were there.
pub fn hdel(ctx: &mut Ctx<'_>, a: Hdel<'_>) -> CmdResult {
    let Some(h) = hash(ctx, a.key, Look::Write)? else { return Ok(Reply::Int(0)) };
    let gone = a.field.iter().filter(|f| h.remove(f)).count();
    if gone > 0 {
        written_as(ctx, a.key, NOTIFY_HASH, "hdel");
    }
    Ok(Reply::Int(gone as i64))
}

/// HLEN key.
pub fn hlen(ctx: &mut Ctx<'_>, a: Hlen<'_>) -> CmdResult {
    Ok(Reply::Int(hash(ctx, a.key, Look::Read)?.map_or(0, |h| h.len() as i64)))
}

/// HSTRLEN key field.
pub fn hstrlen(ctx: &mut Ctx<'_>, a: Hstrlen<'_>) -> CmdResult {
    expire_fields(ctx, a.key, [a.field]);
    let n = hash(ctx, a.key, Look::Read)?.and_then(|h| h.get(a.field).map(|v| v.len())).unwrap_or(0);
    Ok(Reply::Int(n as i64))
}

/// HEXISTS key field.
pub fn hexists(ctx: &mut Ctx<'_>, a: Hexists<'_>) -> CmdResult {
    expire_fields(ctx, a.key, [a.field]);
    Ok(Reply::Int(i64::from(hash(ctx, a.key, Look::Read)?.is_some_and(|h| h.get(a.field).is_some()))))
}

/// HKEYS key (expired fields are left out, not deleted).
pub fn hkeys(ctx: &mut Ctx<'_>, a: Hkeys<'_>) -> CmdResult {
    let now = ctx.now;
    let h = hash(ctx, a.key, Look::Read)?;
    Ok(Reply::Array(h.map_or(Vec::new(), |h| h.live(now).map(|(k, _)| Reply::Bulk(k.clone())).collect())))
}

/// HVALS key.
pub fn hvals(ctx: &mut Ctx<'_>, a: Hvals<'_>) -> CmdResult {
    let now = ctx.now;
    let h = hash(ctx, a.key, Look::Read)?;
    Ok(Reply::Array(h.map_or(Vec::new(), |h| h.live(now).map(|(_, v)| Reply::Bulk(v.clone())).collect())))
}

/// HGETALL key: a map (RESP3), field and value pairs (RESP2).
pub fn hgetall(ctx: &mut Ctx<'_>, a: Hgetall<'_>) -> CmdResult {
    let now = ctx.now;
    let h = hash(ctx, a.key, Look::Read)?;
    let pairs =
        h.map_or(Vec::new(), |h| h.live(now).map(|(k, v)| (Reply::Bulk(k.clone()), Reply::Bulk(v.clone()))).collect());
    Ok(Reply::Map(pairs))
}

/// HINCRBY key field increment: the increment is read before the key.
pub fn hincrby(ctx: &mut Ctx<'_>, a: Hincrby<'_>) -> CmdResult {
    expire_fields(ctx, a.key, [a.field]);
    let enc = ctx.enc();
    let h = hash_or_create(ctx, a.key)?;
    let cur = match h.get(a.field) {
        Some(v) => parse_i64(v).ok_or(Reply::err(error::HASH_NOT_INTEGER))?,
        None => 0,
    };
    let n = cur.checked_add(a.increment).ok_or(Reply::err(error::INCR_OVERFLOW))?;
    h.set_keep_ttl(&enc, a.field, Bytes::from(n.to_string()));
    written_as(ctx, a.key, NOTIFY_HASH, "hincrby");
    Ok(Reply::Int(n))
}

/// HINCRBYFLOAT key field increment (overlay `raw`): long double arithmetic as INCRBYFLOAT;
/// an infinite increment is refused before the key is looked up.
pub fn hincrbyfloat(ctx: &mut Ctx<'_>, a: Hincrbyfloat<'_>) -> CmdResult {
    use crate::cmd::string::long_double_sum;
    match long_double_sum(None, a.increment, error::NOT_FLOAT) {
        Err(e) if e == error::INCRFLOAT_NAN => return Err(Reply::err(error::HINCRBYFLOAT_NAN_INCR)),
        Err(e) => return Err(Reply::err(e)),
        Ok(_) => {}
    }
    let enc = ctx.enc();
    let h = hash_or_create(ctx, a.key)?;
    let text =
        long_double_sum(h.get(a.field).map(|v| &v[..]), a.increment, error::HASH_NOT_FLOAT).map_err(Reply::err)?;
    h.set_keep_ttl(&enc, a.field, Bytes::from(text.clone()));
    written_as(ctx, a.key, NOTIFY_HASH, "hincrbyfloat");
    Ok(Reply::bulk(text))
}

/// HRANDFIELD key [count [WITHVALUES]] (overlay `walk`): with a negative count fields
/// may repeat; with WITHVALUES RESP3 pairs each field with its value. A count covering the
/// whole hash answers it in its own order.
pub fn hrandfield(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let resp3 = ctx.sess.resp >= 3;
    let (key, opts) = rand_args(words, b"WITHVALUES")?;
    expire_all_fields(ctx, key);
    let Some((count, withvalues)) = opts else {
        let mut picks = Picks::new(ctx, 1);
        let Some(h) = hash(ctx, key, Look::Read)? else { return Ok(Reply::Nil) };
        let i = picks.positions(h.len())?.first().copied().unwrap_or(0);
        return Ok(Reply::bulk_opt(h.fields.at(i).map(|(k, _)| k.clone())));
    };
    let mut picks = Picks::new(ctx, count);
    let Some(h) = hash(ctx, key, Look::Read)? else { return Ok(Reply::Array(Vec::new())) };
    let positions = picks.positions(h.len())?;
    let mut out = Vec::with_capacity(positions.len() * if withvalues && !resp3 { 2 } else { 1 });
    for (k, v) in positions.iter().filter_map(|&i| h.fields.at(i)) {
        match (withvalues, resp3) {
            (false, _) => out.push(Reply::Bulk(k.clone())),
            (true, false) => out.extend([Reply::Bulk(k.clone()), Reply::Bulk(v.clone())]),
            (true, true) => out.push(Reply::Array(vec![Reply::Bulk(k.clone()), Reply::Bulk(v.clone())])),
        }
    }
    Ok(Reply::Array(out))
}

/// HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES] (overlay `walk`): the cursor
/// is read first, then the key, then the options, as Redis's `scanGenericCommand` does.
pub fn hscan(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    scan_collection(ctx, words, ScanSource::Hash)
}
