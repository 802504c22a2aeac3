//! Hash field expiration (spec group `hash`): HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT,
//! HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME, HPERSIST (Redis 7.4, Valkey 9.0) and HGETEX,
//! HSETEX, HGETDEL (Redis 8.0; Valkey 9.0, HGETDEL 9.1). All read their words themselves
//! (overlay `walk`), in Redis's order: the key's type first (HSETEX: its options first),
//! then the time, FIELDS, numfields and the count. Times are capped at 2^46-1 ms, as
//! Redis caps them. Valkey's texts and rules differ where noted.

use bytes::Bytes;

use crate::cmd::hash::expire_fields;
use crate::cmd::{typed, typed_or_create, written, written_as, Look};
use crate::db::{Hash, Value};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::config::NOTIFY_HASH;
use crate::server::Ctx;
use crate::spec::grammar::parse_i64;
use crate::spec::ServerKind;

/// Redis's `HFE_MAX_ABS_TIME_MSEC`.
const MAX_ABS_MS: i64 = (1 << 46) - 1;

fn valkey(ctx: &Ctx<'_>) -> bool {
    ctx.profile().is(ServerKind::Valkey)
}

/// The hash at `key` looked up first, as these commands do: `None` when missing.
fn hash_first<'c>(ctx: &'c mut Ctx<'_>, key: &[u8], look: Look) -> Result<Option<&'c mut Hash>, Reply> {
    typed(ctx, key, look, Value::as_hash_mut)
}

#[derive(Clone, Copy)]
struct Unit {
    ms: i64,
    absolute: bool,
}

/// Redis's `parseExpireTime`: an integer, not negative, within the cap once in ms and
/// (for a relative time) once added to now. The absolute time in ms.
fn expire_time(ctx: &Ctx<'_>, word: &[u8], unit: Unit, cmd: &str) -> Result<i64, Reply> {
    let t = parse_i64(word).ok_or(Reply::err(error::NOT_INTEGER))?;
    let bad = || Reply::err(error::invalid_expire(cmd));
    if t < 0 {
        return Err(if valkey(ctx) { bad() } else { Reply::err(error::EXPIRE_TIME_NEGATIVE) });
    }
    if unit.ms == 1000 && t > MAX_ABS_MS / 1000 {
        return Err(bad());
    }
    let ms = t * unit.ms;
    let base = if unit.absolute { 0 } else { ctx.now };
    if ms > MAX_ABS_MS - base {
        return Err(bad());
    }
    Ok(ms + base)
}

/// `FIELDS numfields field ...` at `words[at..]`; the fields. `numfields_error` is the text
/// for a bad count (HEXPIRE's and HTTL's differ).
fn fields_arg<'w>(
    ctx: &Ctx<'_>,
    words: &'w [Vec<u8>],
    at: usize,
    numfields_error: &'static str,
) -> Result<&'w [Vec<u8>], Reply> {
    if valkey(ctx) {
        // Valkey: one text for a count that is not positive or does not match.
        let n = words.get(at + 1).ok_or(Reply::err(error::VALKEY_NUMFIELDS))?;
        let n = parse_i64(n).ok_or(Reply::err(error::NOT_INTEGER))?;
        let rest = words.get(at + 2..).unwrap_or(&[]);
        if n < 1 || usize::try_from(n).ok() != Some(rest.len()) {
            return Err(Reply::err(error::VALKEY_NUMFIELDS));
        }
        return Ok(rest);
    }
    if !words.get(at).is_some_and(|w| w.eq_ignore_ascii_case(b"FIELDS")) {
        return Err(Reply::err(error::FIELDS_MISSING));
    }
    let n = words.get(at + 1).and_then(|w| parse_i64(w)).filter(|n| *n >= 1).ok_or(Reply::err(numfields_error))?;
    let rest = words.get(at + 2..).unwrap_or(&[]);
    if usize::try_from(n).ok() != Some(rest.len()) {
        return Err(Reply::err(error::NUMFIELDS_MISMATCH));
    }
    Ok(rest)
}

/// Valkey's HEXPIRE flags: every word between the time and the first FIELDS, combined as
/// EXPIRE combines them; the condition and where FIELDS is.
fn valkey_flags(words: &[Vec<u8>]) -> Result<(Option<Vec<u8>>, usize), Reply> {
    let end = words.len().saturating_sub(1);
    let at = (2..end).find(|&i| words[i].eq_ignore_ascii_case(b"FIELDS")).ok_or(Reply::err(error::VALKEY_NUMFIELDS))?;
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for w in &words[2..at] {
        match w.to_ascii_uppercase().as_slice() {
            b"NX" => nx = true,
            b"XX" => xx = true,
            b"GT" => gt = true,
            b"LT" => lt = true,
            _ => {
                return Err(Reply::err_bytes(error::sanitize_bytes(
                    [b"ERR Unsupported option ".as_slice(), w].concat(),
                )))
            }
        }
    }
    if nx && (xx || gt || lt) {
        return Err(Reply::err(error::EXPIRE_NX_CONFLICT));
    }
    if gt && lt {
        return Err(Reply::err(error::EXPIRE_GT_LT_CONFLICT));
    }
    let cond = [(nx, "NX"), (xx, "XX"), (gt, "GT"), (lt, "LT")];
    // XX combines with GT or LT: GT/LT decide, XX is implied by them needing a TTL.
    let pick = cond.iter().rev().find(|(on, _)| *on).map(|(_, n)| n.as_bytes().to_vec());
    Ok((pick, at))
}

fn hexpire_generic(ctx: &mut Ctx<'_>, words: &[Vec<u8>], unit: Unit, cmd: &str) -> CmdResult {
    let [key, time, rest @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let vk = valkey(ctx);
    let (cond, at, fields) = if vk {
        // Valkey reads everything before it looks the key up.
        let (cond, fields_at) = valkey_flags(words)?;
        let fields = fields_arg(ctx, words, fields_at, error::VALKEY_NUMFIELDS)?;
        (cond, expire_time(ctx, time, unit, cmd)?, fields)
    } else {
        hash_first(ctx, key, Look::Write)?;
        let at = expire_time(ctx, time, unit, cmd)?;
        let cond = rest
            .first()
            .map(|w| w.to_ascii_uppercase())
            .filter(|w| matches!(w.as_slice(), b"NX" | b"XX" | b"GT" | b"LT"));
        let fields = fields_arg(ctx, words, 2 + usize::from(cond.is_some()), error::NUMFIELDS_POSITIVE_HEXPIRE)?;
        (cond, at, fields)
    };
    let now = ctx.now;
    let Some(h) = hash_first(ctx, key, Look::Write)? else {
        return Ok(Reply::Array(fields.iter().map(|_| Reply::Int(-2)).collect()));
    };
    if h.listpack && !vk {
        h.ex = true;
    }
    let mut codes = Vec::with_capacity(fields.len());
    let mut changed = false;
    for f in fields {
        if h.get(f).is_none() {
            codes.push(-2);
            continue;
        }
        let cur = h.expire_at(f);
        let ok = match (cond.as_deref(), cur) {
            // Valkey deletes at a past time whatever the condition.
            _ if vk && at <= now => true,
            (None, _) => true,
            (Some(b"NX"), c) => c.is_none(),
            (Some(b"XX"), c) => c.is_some(),
            (Some(b"GT"), c) => c.is_some_and(|c| at > c),
            (Some(b"LT"), c) => c.is_none_or(|c| at < c),
            _ => true,
        };
        if !ok {
            codes.push(0);
        } else if at <= now {
            h.remove(f);
            changed = true;
            codes.push(2);
        } else {
            if vk {
                // Valkey keeps field TTLs in a hashtable only.
                h.listpack = false;
            }
            h.set_expire(f, Some(at));
            changed = true;
            codes.push(1);
        }
    }
    ctx.db().note_field_ttls(key);
    if changed {
        // Fields deleted by a past time make the event `hdel`, even if others got a TTL.
        written_as(ctx, key, NOTIFY_HASH, if codes.contains(&2) { "hdel" } else { "hexpire" });
    }
    Ok(Reply::Array(codes.into_iter().map(Reply::Int).collect()))
}

/// HEXPIRE key seconds [NX|XX|GT|LT] FIELDS numfields field [field ...]: per field -2 (no
/// such field), 0 (the condition failed), 1 (set), 2 (deleted: the time has passed).
pub fn hexpire(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    hexpire_generic(ctx, words, Unit { ms: 1000, absolute: false }, "hexpire")
}

/// HPEXPIRE key milliseconds [NX|XX|GT|LT] FIELDS numfields field [field ...].
pub fn hpexpire(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    hexpire_generic(ctx, words, Unit { ms: 1, absolute: false }, "hpexpire")
}

/// HEXPIREAT key unix-time-seconds [NX|XX|GT|LT] FIELDS numfields field [field ...].
pub fn hexpireat(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    hexpire_generic(ctx, words, Unit { ms: 1000, absolute: true }, "hexpireat")
}

/// HPEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT] FIELDS numfields field [field ...].
pub fn hpexpireat(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    hexpire_generic(ctx, words, Unit { ms: 1, absolute: true }, "hpexpireat")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TtlKind {
    Ttl,
    Pttl,
    ExpireTime,
    PexpireTime,
}

fn httl_generic(ctx: &mut Ctx<'_>, words: &[Vec<u8>], kind: TtlKind) -> CmdResult {
    let [key, ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let exists = hash_first(ctx, key, Look::Read)?.is_some();
    let fields = if valkey(ctx) {
        // Valkey does not look at the FIELDS word here, and its error is the syntax error.
        fields_arg_lenient(words)?
    } else {
        fields_arg(ctx, words, 1, error::NUMFIELDS_POSITIVE)?
    };
    if !exists {
        return Ok(Reply::Array(fields.iter().map(|_| Reply::Int(-2)).collect()));
    }
    let (now, vk) = (ctx.now, valkey(ctx));
    let Some(h) = hash_first(ctx, key, Look::Read)? else { return Ok(Reply::Array(Vec::new())) };
    let secs = |ms: i64| if vk { (ms + 500) / 1000 } else { (ms + 999) / 1000 };
    let out = fields.iter().map(|f| {
        // A listpack treats a field at its expiry millisecond as gone, a hashtable not yet.
        let gone = |t: i64| t < now || (h.listpack && t == now);
        Reply::Int(match (h.get(f), h.expire_at(f)) {
            (None, _) => -2,
            (Some(_), Some(t)) if gone(t) => -2,
            (Some(_), None) => -1,
            (Some(_), Some(t)) => match kind {
                TtlKind::Ttl => secs(t - now).max(0),
                TtlKind::Pttl => t - now,
                TtlKind::ExpireTime => secs(t),
                TtlKind::PexpireTime => t,
            },
        })
    });
    Ok(Reply::Array(out.collect()))
}

/// Valkey's `FIELDS numfields field ...` for HTTL & co.: the word is not checked, a bad
/// count is the syntax error.
fn fields_arg_lenient(words: &[Vec<u8>]) -> Result<&[Vec<u8>], Reply> {
    let n = words.get(2).map(|w| parse_i64(w).ok_or(Reply::err(error::NOT_INTEGER))).transpose()?;
    let rest = words.get(3..).unwrap_or(&[]);
    match n {
        Some(n) if n >= 1 && usize::try_from(n).ok() == Some(rest.len()) => Ok(rest),
        _ => Err(Reply::err(error::SYNTAX)),
    }
}

/// HTTL key FIELDS numfields field [field ...]: seconds left (rounded up), -1 without a
/// TTL, -2 for a missing (or expired) field.
pub fn httl(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    httl_generic(ctx, words, TtlKind::Ttl)
}

/// HPTTL key FIELDS numfields field [field ...].
pub fn hpttl(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    httl_generic(ctx, words, TtlKind::Pttl)
}

/// HEXPIRETIME key FIELDS numfields field [field ...].
pub fn hexpiretime(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    httl_generic(ctx, words, TtlKind::ExpireTime)
}

/// HPEXPIRETIME key FIELDS numfields field [field ...].
pub fn hpexpiretime(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    httl_generic(ctx, words, TtlKind::PexpireTime)
}

/// HPERSIST key FIELDS numfields field [field ...]: 1 when a TTL went, -1 without one, -2
/// for a missing (or expired) field.
pub fn hpersist(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [key, ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let exists = hash_first(ctx, key, Look::Write)?.is_some();
    let fields =
        if valkey(ctx) { fields_arg_lenient(words)? } else { fields_arg(ctx, words, 1, error::NUMFIELDS_POSITIVE)? };
    if !exists {
        return Ok(Reply::Array(fields.iter().map(|_| Reply::Int(-2)).collect()));
    }
    let now = ctx.now;
    let Some(h) = hash_first(ctx, key, Look::Write)? else { return Ok(Reply::Array(Vec::new())) };
    let mut changed = false;
    let codes: Vec<Reply> = fields
        .iter()
        .map(|f| {
            Reply::Int(match (h.get(f), h.expire_at(f)) {
                (None, _) => -2,
                (Some(_), Some(t)) if t < now => -2,
                (Some(_), None) => -1,
                (Some(_), Some(_)) => {
                    h.set_expire(f, None);
                    changed = true;
                    1
                }
            })
        })
        .collect();
    if changed {
        written_as(ctx, key, NOTIFY_HASH, "hpersist");
    }
    Ok(Reply::Array(codes))
}

/// The expiry option of HGETEX / HSETEX.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expiry {
    Keep,
    Clear,
    At(i64),
}

fn unit_of(word: &[u8]) -> Option<Unit> {
    match word.to_ascii_uppercase().as_slice() {
        b"EX" => Some(Unit { ms: 1000, absolute: false }),
        b"PX" => Some(Unit { ms: 1, absolute: false }),
        b"EXAT" => Some(Unit { ms: 1000, absolute: true }),
        b"PXAT" => Some(Unit { ms: 1, absolute: true }),
        _ => None,
    }
}

/// HGETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST] FIELDS numfields field ...: the
/// values (nil for missing or expired fields), then the TTL change on the fields that are
/// there; a time already past deletes them after they are read.
pub fn hgetex(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [key, rest @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let exists = hash_first(ctx, key, Look::Write)?.is_some();
    let (expiry, at) = match rest.first() {
        Some(w) if w.eq_ignore_ascii_case(b"PERSIST") => (Some(Expiry::Clear), 2),
        Some(w) => match unit_of(w) {
            Some(u) => {
                let t = rest.get(1).ok_or(Reply::err(error::FIELDS_MISSING))?;
                (Some(Expiry::At(expire_time(ctx, t, u, "hgetex")?)), 3)
            }
            None => (None, 1),
        },
        None => (None, 1),
    };
    let fields = fields_arg(ctx, words, at, error::NUMFIELDS_POSITIVE)?;
    if !exists {
        return Ok(Reply::Array(fields.iter().map(|_| Reply::Nil).collect()));
    }
    expire_fields(ctx, key, fields.iter().map(Vec::as_slice));
    let (now, vk) = (ctx.now, valkey(ctx));
    let Some(h) = hash_first(ctx, key, Look::Write)? else {
        return Ok(Reply::Array(fields.iter().map(|_| Reply::Nil).collect()));
    };
    let values: Vec<Reply> = fields.iter().map(|f| Reply::bulk_opt(h.get(f).cloned())).collect();
    let mut changed = false;
    if let Some(e) = expiry {
        for f in fields {
            if h.get(f).is_none() {
                continue;
            }
            match e {
                Expiry::At(t) if t <= now => {
                    h.remove(f);
                }
                Expiry::At(t) => h.set_expire(f, Some(t)),
                _ => h.set_expire(f, None),
            }
            changed = true;
        }
        if matches!(e, Expiry::At(t) if t > now) {
            if vk {
                h.listpack = false;
            } else if h.listpack {
                h.ex = true;
            }
        }
    }
    ctx.db().note_field_ttls(key);
    if changed {
        let event = match expiry {
            Some(Expiry::At(t)) if t <= now => "hdel",
            Some(Expiry::At(_)) => "hexpire",
            _ => "hpersist",
        };
        written_as(ctx, key, NOTIFY_HASH, event);
    }
    Ok(Reply::Array(values))
}

/// HGETDEL key FIELDS numfields field ...: the values (nil for missing or expired fields),
/// and the fields are gone.
pub fn hgetdel(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [key, ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let exists = hash_first(ctx, key, Look::Write)?.is_some();
    let fields =
        if valkey(ctx) { fields_arg_lenient(words)? } else { fields_arg(ctx, words, 1, error::NUMFIELDS_POSITIVE)? };
    if !exists {
        return Ok(Reply::Array(fields.iter().map(|_| Reply::Nil).collect()));
    }
    expire_fields(ctx, key, fields.iter().map(Vec::as_slice));
    let Some(h) = hash_first(ctx, key, Look::Write)? else {
        return Ok(Reply::Array(fields.iter().map(|_| Reply::Nil).collect()));
    };
    let mut gone = false;
    let values: Vec<Reply> = fields
        .iter()
        .map(|f| {
            let v = h.get(f).cloned();
            gone |= h.remove(f);
            Reply::bulk_opt(v)
        })
        .collect();
    if gone {
        written_as(ctx, key, NOTIFY_HASH, "hdel");
    }
    Ok(Reply::Array(values))
}

/// HSETEX key [FNX|FXX] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL] FIELDS numfields field
/// value ...: the options are read before the key; FNX/FXX need every field absent/present;
/// 1 when the fields were set (a time already past deletes them at once), else 0. Valkey
/// 9.1 also takes a key condition (NX/XX).
pub fn hsetex(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let p = ctx.profile();
    let arity = || Reply::err(error::wrong_arity(&p, "hsetex", None));
    let [key, rest @ ..] = words else { return Err(arity()) };
    let (mut expiry, mut cond, mut key_cond): (Option<Expiry>, Option<bool>, Option<bool>) = (None, None, None);
    let mut i = 0;
    let fields_at = loop {
        let Some(w) = rest.get(i) else { return Err(arity()) };
        let up = w.to_ascii_uppercase();
        match up.as_slice() {
            b"FIELDS" => break i,
            b"FNX" | b"FXX" => {
                if cond.is_some() {
                    return Err(Reply::err(error::HSETEX_FNX_FXX));
                }
                cond = Some(up == b"FNX");
            }
            b"NX" | b"XX" if crate::cmd::collection::has_token(&p, "HSETEX", "NX") => {
                if key_cond.is_some() {
                    return Err(Reply::err(error::SYNTAX));
                }
                key_cond = Some(up == b"NX");
            }
            b"KEEPTTL" => {
                if expiry.is_some() {
                    return Err(Reply::err(error::HSETEX_ONE_EXPIRY));
                }
                expiry = Some(Expiry::Keep);
            }
            _ => match unit_of(w) {
                Some(u) => {
                    if expiry.is_some() {
                        return Err(Reply::err(error::HSETEX_ONE_EXPIRY));
                    }
                    let t = rest.get(i + 1).ok_or(Reply::err(error::HSETEX_MISSING_TIME))?;
                    expiry = Some(Expiry::At(expire_time(ctx, t, u, "hsetex")?));
                    i += 1;
                }
                None => return Err(Reply::err_bytes(error::unknown_argument(w))),
            },
        }
        i += 1;
    };
    let after = &rest[fields_at + 1..];
    if after.len() < 3 {
        return Err(arity());
    }
    let n = parse_i64(&after[0])
        .filter(|n| (1..=i64::from(i32::MAX)).contains(n))
        .ok_or(Reply::err(error::HSETEX_NUMFIELDS))?;
    let pairs = &after[1..];
    if usize::try_from(n).ok().and_then(|n| n.checked_mul(2)) != Some(pairs.len()) {
        return Err(arity());
    }
    let exists = hash_first(ctx, key, Look::Write)?.is_some();
    let refused = if exists { key_cond == Some(true) } else { cond == Some(false) || key_cond == Some(false) };
    if refused {
        return Ok(Reply::Int(0));
    }
    expire_fields(ctx, key, pairs.chunks(2).map(|p| p[0].as_slice()));
    let exists = hash_first(ctx, key, Look::Write)?.is_some();
    if let Some(fnx) = cond {
        let h = hash_first(ctx, key, Look::Write)?;
        let ok = pairs.chunks(2).all(|p| h.as_ref().is_some_and(|h| h.get(&p[0]).is_some()) != fnx);
        if !ok || (!fnx && !exists) {
            return Ok(Reply::Int(0));
        }
    }
    let (enc, now, vk) = (ctx.enc(), ctx.now, valkey(ctx));
    let h = typed_or_create(ctx, key, Value::as_hash_mut, || Value::Hash(Box::new(Hash::new())))?;
    h.prepare(&enc, pairs.len() / 2);
    h.check_words(&enc, pairs.iter().map(Vec::as_slice));
    for p in pairs.chunks(2) {
        let (f, v) = (&p[0], Bytes::copy_from_slice(&p[1]));
        match expiry {
            Some(Expiry::Keep) => {
                h.set_keep_ttl(&enc, f, v);
            }
            Some(Expiry::At(t)) if t <= now => {
                h.set(&enc, f, v);
                h.remove(f);
            }
            Some(Expiry::At(t)) => {
                h.set(&enc, f, v);
                h.set_expire(f, Some(t));
            }
            _ => {
                h.set(&enc, f, v);
            }
        }
    }
    if matches!(expiry, Some(Expiry::At(_))) {
        if vk {
            h.listpack = false;
        } else if h.listpack {
            h.ex = true;
        }
    }
    ctx.db().note_field_ttls(key);
    ctx.notify(NOTIFY_HASH, "hset", key);
    match expiry {
        Some(Expiry::At(t)) if t <= ctx.now => written_as(ctx, key, NOTIFY_HASH, "hdel"),
        Some(Expiry::At(_)) => written_as(ctx, key, NOTIFY_HASH, "hexpire"),
        _ => written(ctx, key),
    }
    Ok(Reply::Int(1))
}

/// Dragonfly keeps field TTLs in whole seconds, up to 2^28-1 of them.
const DF_MAX_SECS: i64 = (1 << 28) - 1;

/// Dragonfly's TTL in seconds for a field (`ttl_sec` of HSETEX, FIELDEXPIRE's `seconds`):
/// 1 ..= 2^28-1.
fn df_seconds(w: &[u8]) -> Result<i64, Reply> {
    let n = parse_i64(w).ok_or(Reply::err(error::NOT_INTEGER))?;
    if !(1..=DF_MAX_SECS).contains(&n) {
        return Err(Reply::err(error::out_of_range(1, DF_MAX_SECS)));
    }
    Ok(n)
}

/// HSETEX on Dragonfly: its own form `key [NX|FNX|FXX] [KEEPTTL] ttl_sec field value ...`
/// (the number of new fields; NX skips existing fields one by one, FNX/FXX are all or
/// nothing) and Redis's `... FIELDS numfields field value ...` (1 or 0; a time must be
/// in the future).
pub fn hsetex_dragonfly(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let p = ctx.profile();
    let arity = || Reply::err(error::wrong_arity(&p, "hsetex", None));
    if words.iter().skip(1).any(|w| w.eq_ignore_ascii_case(b"FIELDS")) {
        return hsetex_df_redis_form(ctx, words);
    }
    let [key, rest @ ..] = words else { return Err(arity()) };
    let (mut cond, mut keep, mut i) = (None::<Vec<u8>>, false, 0);
    while let Some(w) = rest.get(i) {
        let up = w.to_ascii_uppercase();
        match up.as_slice() {
            b"NX" | b"FNX" | b"FXX" if cond.is_none() => cond = Some(up),
            b"KEEPTTL" if !keep => keep = true,
            _ => break,
        }
        i += 1;
    }
    let [ttl, pairs @ ..] = &rest[i..] else { return Err(arity()) };
    let secs = df_seconds(ttl)?;
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Err(arity());
    }
    let (enc, now) = (ctx.enc(), ctx.now);
    let present = |h: Option<&mut Hash>, f: &[u8]| h.is_some_and(|h| h.get_live(f, now).is_some());
    if let Some(c) = cond.as_deref().filter(|c| *c != b"NX") {
        let all = pairs.chunks(2).all(|pr| {
            let h = ctx.db().get_live(key, now).and_then(|e| match &e.value {
                Value::Hash(h) => Some(h.get_live(&pr[0], now).is_some()),
                _ => None,
            });
            h.unwrap_or(false) == (c == b"FXX")
        });
        if !all {
            return Ok(Reply::Int(0));
        }
    }
    expire_fields(ctx, key, pairs.chunks(2).map(|pr| pr[0].as_slice()));
    let h = typed_or_create(ctx, key, Value::as_hash_mut, || Value::Hash(Box::new(Hash::new())))?;
    let mut created = 0;
    for pr in pairs.chunks(2) {
        let (f, v) = (&pr[0], Bytes::copy_from_slice(&pr[1]));
        let exists = present(Some(&mut *h), f);
        if exists && cond.as_deref() == Some(b"NX") {
            continue;
        }
        if keep && exists {
            h.set_keep_ttl(&enc, f, v);
        } else {
            created += i64::from(h.set(&enc, f, v));
            h.set_expire(f, Some(now + secs * 1000));
        }
    }
    h.listpack = false;
    ctx.db().note_field_ttls(key);
    written(ctx, key);
    Ok(Reply::Int(created))
}

/// Dragonfly's HSETEX in Redis's form: `[FNX|FXX] [EX|PX|EXAT|PXAT|KEEPTTL] FIELDS ...`.
fn hsetex_df_redis_form(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [key, rest @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let (mut cond, mut expiry, mut i) = (None, None, 0);
    let now = ctx.now;
    while let Some(w) = rest.get(i) {
        let up = w.to_ascii_uppercase();
        match up.as_slice() {
            b"FIELDS" => break,
            b"FNX" | b"FXX" if cond.is_none() => cond = Some(up == b"FNX"),
            b"KEEPTTL" if expiry.is_none() => expiry = Some(Expiry::Keep),
            _ => {
                let (Some(u), None) = (unit_of(w), expiry) else { return Err(Reply::err(error::SYNTAX)) };
                let t = rest.get(i + 1).and_then(|t| parse_i64(t)).ok_or(Reply::err(error::NOT_INTEGER))?;
                let at = if u.absolute { t.saturating_mul(u.ms) } else { now.saturating_add(t.saturating_mul(u.ms)) };
                if t <= 0 || at <= now || (at - now) / 1000 > DF_MAX_SECS {
                    return Err(Reply::err(error::invalid_expire("hsetex")));
                }
                expiry = Some(Expiry::At(at));
                i += 1;
            }
        }
        i += 1;
    }
    let after = rest.get(i + 1..).unwrap_or(&[]);
    let n = after.first().and_then(|w| parse_i64(w)).ok_or(Reply::err(error::NOT_INTEGER))?;
    let pairs = &after[1..];
    if n < 1 || usize::try_from(n).ok().and_then(|n| n.checked_mul(2)) != Some(pairs.len()) {
        return Err(Reply::err(error::NUMFIELDS_MISMATCH));
    }
    let mut redis_words = vec![key.clone()];
    if let Some(fnx) = cond {
        redis_words.push(if fnx { b"FNX".to_vec() } else { b"FXX".to_vec() });
    }
    match expiry {
        Some(Expiry::At(at)) => redis_words.extend([b"PXAT".to_vec(), at.to_string().into_bytes()]),
        Some(Expiry::Keep) => redis_words.push(b"KEEPTTL".to_vec()),
        _ => {}
    }
    redis_words.extend_from_slice(&rest[i..]);
    hsetex(ctx, &redis_words)
}

/// FIELDEXPIRE key seconds field [field ...] (Dragonfly): 1 per field given a TTL, -2 per
/// missing field; a missing key, or one that holds no hash, answers -2 for every field.
/// Dragonfly also gives set members TTLs, which the fake's sets do not have yet.
pub fn fieldexpire(ctx: &mut Ctx<'_>, a: crate::spec::generated::Fieldexpire<'_>) -> CmdResult {
    let secs = df_seconds(a.seconds.to_string().as_bytes())?;
    let now = ctx.now;
    let is_set = ctx.db().get_live(a.key, now).is_some_and(|e| matches!(e.value, Value::Set(_)));
    if is_set {
        return Err(Reply::err(error::not_implemented("fieldexpire on a set")));
    }
    expire_fields(ctx, a.key, a.field.iter().copied());
    let h = match ctx.db().get_mut(a.key, now).map(|e| &mut e.value) {
        Some(Value::Hash(h)) => h,
        _ => return Ok(Reply::Array(a.field.iter().map(|_| Reply::Int(-2)).collect())),
    };
    let codes: Vec<Reply> = a
        .field
        .iter()
        .map(|f| {
            if h.get(f).is_none() {
                return Reply::Int(-2);
            }
            h.set_expire(f, Some(now + secs * 1000));
            Reply::Int(1)
        })
        .collect();
    h.listpack = false;
    ctx.db().note_field_ttls(a.key);
    written(ctx, a.key);
    Ok(Reply::Array(codes))
}

/// FIELDTTL key field (Dragonfly): seconds left, -1 without a TTL, -2 for a missing key,
/// -3 for a missing field.
pub fn fieldttl(ctx: &mut Ctx<'_>, a: crate::spec::generated::Fieldttl<'_>) -> CmdResult {
    expire_fields(ctx, a.key, [a.field]);
    let now = ctx.now;
    let Some(h) = hash_first(ctx, a.key, Look::Read)? else { return Ok(Reply::Int(-2)) };
    Ok(Reply::Int(match (h.get(a.field), h.expire_at(a.field)) {
        (None, _) => -3,
        (Some(_), None) => -1,
        (Some(_), Some(t)) => (t - now + 999) / 1000,
    }))
}
