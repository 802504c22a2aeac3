//! String commands (spec group `string`).

use crate::cmd::{get_str, read_str, str_value};
use crate::db::{StrValue, Value};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::config::{NOTIFY_GENERIC, NOTIFY_STRING};
use crate::server::Ctx;
use crate::spec::generated::*;
use crate::spec::grammar::parse_i64;

/// An expiry option resolved to an absolute time, as Redis's `getExpireMillisecondsOrReply`
/// validates it: the number must be positive, and neither the unit conversion nor the
/// addition of the current time may overflow.
fn expire_at(ctx: &Ctx<'_>, cmd: &str, n: i64, unit_ms: i64, relative: bool) -> Result<i64, Reply> {
    let bad = || Reply::err(error::invalid_expire(cmd));
    if n <= 0 || (unit_ms == 1000 && n > i64::MAX / 1000) {
        return Err(bad());
    }
    let mut ms = n * unit_ms;
    if relative {
        ms = ms.wrapping_add(ctx.now);
    }
    if ms <= 0 {
        return Err(bad());
    }
    Ok(ms)
}

enum Ttl {
    Clear,
    Keep,
    At(i64),
}

/// Stores a string value (tracking the write, reporting `event`, and `expire` with a TTL),
/// replacing whatever was there.
fn store(ctx: &mut Ctx<'_>, key: &[u8], value: Value, ttl: Ttl, event: &'static str) {
    let now = ctx.now;
    let expires = matches!(ttl, Ttl::At(_));
    match ttl {
        Ttl::Clear => ctx.db().set(key, value, None, now),
        Ttl::At(t) => ctx.db().set(key, value, Some(t), now),
        Ttl::Keep => ctx.db().set_keep_ttl(key, value, now),
    }
    ctx.touched(key);
    ctx.notify(NOTIFY_STRING, event, key);
    if expires {
        ctx.notify(NOTIFY_GENERIC, "expire", key);
    }
}

/// SET key value [NX | XX | IFEQ v | IFNE v] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL].
pub fn set(ctx: &mut Ctx<'_>, a: Set<'_>) -> CmdResult {
    let p = ctx.profile();
    if a.get && matches!(a.condition, Some(SetCondition::Nx)) && !p.redis_at_least(7, 0) {
        return Err(Reply::err(error::SYNTAX));
    }
    let ttl = match a.expiration {
        None => Ttl::Clear,
        Some(SetExpiration::Keepttl) => Ttl::Keep,
        Some(SetExpiration::Seconds(n)) => Ttl::At(expire_at(ctx, "set", n, 1000, true)?),
        Some(SetExpiration::Milliseconds(n)) => Ttl::At(expire_at(ctx, "set", n, 1, true)?),
        Some(SetExpiration::UnixTimeSeconds(n)) => Ttl::At(expire_at(ctx, "set", n, 1000, false)?),
        Some(SetExpiration::UnixTimeMilliseconds(n)) => Ttl::At(expire_at(ctx, "set", n, 1, false)?),
    };
    let old = if a.get {
        Some(read_str(ctx, a.key)?)
    } else {
        let exists = crate::cmd::lookup(ctx, a.key);
        Some(exists.then(bytes::Bytes::new))
    };
    let found = old.as_ref().is_some_and(Option::is_some);
    let proceed = match &a.condition {
        None => true,
        Some(SetCondition::Nx) => !found,
        Some(SetCondition::Xx) => found,
        Some(SetCondition::IfeqValue(v)) => cond_value(ctx, a.key, |cur| cur == *v)?,
        Some(SetCondition::IfneValue(v)) => cond_value(ctx, a.key, |cur| cur != *v)? || !found,
        Some(SetCondition::IfdeqDigest(_)) | Some(SetCondition::IfdneDigest(_)) => {
            return Err(Reply::err(error::SET_DIGEST_UNSUPPORTED));
        }
    };
    if proceed {
        store(ctx, a.key, str_value(a.value), ttl, "set");
    }
    Ok(match (a.get, proceed) {
        (true, _) => Reply::bulk_opt(old.flatten()),
        (false, true) => Reply::OK,
        (false, false) => Reply::Nil,
    })
}

/// For IFEQ/IFNE: whether the current string value satisfies `f` (false when missing).
fn cond_value(ctx: &mut Ctx<'_>, key: &[u8], f: impl Fn(&[u8]) -> bool) -> Result<bool, Reply> {
    Ok(get_str(ctx, key)?.is_some_and(|s| f(&s.data)))
}

/// GET key.
pub fn get(ctx: &mut Ctx<'_>, a: Get<'_>) -> CmdResult {
    Ok(Reply::bulk_opt(read_str(ctx, a.key)?))
}

/// GETDEL key.
pub fn getdel(ctx: &mut Ctx<'_>, a: Getdel<'_>) -> CmdResult {
    let v = read_str(ctx, a.key)?;
    if v.is_some() {
        ctx.db().remove(a.key);
        ctx.touched(a.key);
        ctx.notify(NOTIFY_GENERIC, "del", a.key);
    }
    Ok(Reply::bulk_opt(v))
}

/// GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST]: a missing key answers nil
/// and a key of another type WRONGTYPE before the expiry is read (overlay `handler`), as in Redis.
pub fn getex(ctx: &mut Ctx<'_>, a: Getex<'_>) -> CmdResult {
    let Some(v) = read_str(ctx, a.key)? else { return Ok(Reply::Nil) };
    let (at, absolute) = match a.expiration {
        None => return Ok(Reply::bulk(v)),
        Some(GetexExpiration::Persist) => {
            let now = ctx.now;
            if ctx.db().peek(a.key, now).is_some_and(|e| e.expire_at.is_some()) {
                ctx.db().set_expire(a.key, None);
                ctx.touched(a.key);
                ctx.notify(NOTIFY_GENERIC, "persist", a.key);
            }
            return Ok(Reply::bulk(v));
        }
        Some(GetexExpiration::Seconds(n)) => (expire_at(ctx, "getex", n.int()?, 1000, true)?, false),
        Some(GetexExpiration::Milliseconds(n)) => (expire_at(ctx, "getex", n.int()?, 1, true)?, false),
        Some(GetexExpiration::UnixTimeSeconds(n)) => (expire_at(ctx, "getex", n.int()?, 1000, false)?, true),
        Some(GetexExpiration::UnixTimeMilliseconds(n)) => (expire_at(ctx, "getex", n.int()?, 1, false)?, true),
    };
    let gone = absolute && at <= ctx.now;
    if gone {
        ctx.db().remove(a.key);
    } else {
        ctx.db().set_expire(a.key, Some(at));
    }
    ctx.touched(a.key);
    ctx.notify(NOTIFY_GENERIC, if gone { "del" } else { "expire" }, a.key);
    Ok(Reply::bulk(v))
}

/// GETSET key value: the old value; the new one has no TTL.
pub fn getset(ctx: &mut Ctx<'_>, a: Getset<'_>) -> CmdResult {
    let old = read_str(ctx, a.key)?;
    store(ctx, a.key, str_value(a.value), Ttl::Clear, "set");
    Ok(Reply::bulk_opt(old))
}

/// MGET key [key ...]: nil for missing keys and for keys of other types.
pub fn mget(ctx: &mut Ctx<'_>, a: Mget<'_>) -> CmdResult {
    let now = ctx.now;
    let mut out = Vec::with_capacity(a.key.len());
    for k in &a.key {
        let found = ctx.db().get_mut(k, now).map(|e| e.value.as_str().map(|s| s.data.to_bytes()));
        if found.is_none() {
            crate::cmd::read_miss(ctx, k);
        }
        out.push(Reply::bulk_opt(found.flatten()));
    }
    Ok(Reply::Array(out))
}

/// MSET key value [key value ...].
pub fn mset(ctx: &mut Ctx<'_>, a: Mset<'_>) -> CmdResult {
    for d in &a.data {
        store(ctx, d.key, str_value(d.value), Ttl::Clear, "set");
    }
    Ok(Reply::OK)
}

/// MSETNX key value [key value ...]: all or nothing.
pub fn msetnx(ctx: &mut Ctx<'_>, a: Msetnx<'_>) -> CmdResult {
    if a.data.iter().any(|d| crate::cmd::lookup(ctx, d.key)) {
        return Ok(Reply::Int(0));
    }
    for d in &a.data {
        store(ctx, d.key, str_value(d.value), Ttl::Clear, "set");
    }
    Ok(Reply::Int(1))
}

/// SETNX key value.
pub fn setnx(ctx: &mut Ctx<'_>, a: Setnx<'_>) -> CmdResult {
    if crate::cmd::lookup(ctx, a.key) {
        return Ok(Reply::Int(0));
    }
    store(ctx, a.key, str_value(a.value), Ttl::Clear, "set");
    Ok(Reply::Int(1))
}

/// SETEX key seconds value.
pub fn setex(ctx: &mut Ctx<'_>, a: Setex<'_>) -> CmdResult {
    let at = expire_at(ctx, "setex", a.seconds, 1000, true)?;
    store(ctx, a.key, str_value(a.value), Ttl::At(at), "set");
    Ok(Reply::OK)
}

/// PSETEX key milliseconds value.
pub fn psetex(ctx: &mut Ctx<'_>, a: Psetex<'_>) -> CmdResult {
    let at = expire_at(ctx, "psetex", a.milliseconds, 1, true)?;
    store(ctx, a.key, str_value(a.value), Ttl::At(at), "set");
    Ok(Reply::OK)
}

/// Redis's `checkStringLength`: the result may not exceed proto-max-bulk-len.
fn check_len(ctx: &Ctx<'_>, size: usize, append: usize) -> Result<usize, Reply> {
    let max = ctx.st.config.limits().proto_max_bulk_len;
    match size.checked_add(append) {
        Some(t) if (t as u128) <= max.max(0) as u128 => Ok(t),
        _ => Err(Reply::err(error::STRING_TOO_LONG)),
    }
}

/// APPEND key value: the new length. A new key is encoded like SET; an appended one is raw.
pub fn append(ctx: &mut Ctx<'_>, a: Append<'_>) -> CmdResult {
    let cur_len = get_str(ctx, a.key)?.map(|s| s.data.len());
    let len = match cur_len {
        None => {
            store(ctx, a.key, str_value(a.value), Ttl::Clear, "append");
            a.value.len()
        }
        Some(n) => {
            let total = check_len(ctx, n, a.value.len())?;
            if let Some(s) = get_str(ctx, a.key)? {
                s.edit(|d| d.try_reserve(a.value.len()).map(|()| d.extend_from_slice(a.value)))
                    .map_err(|_| Reply::err(error::ALLOC_FAILED))?;
                s.enc = crate::db::StrEnc::Raw;
            }
            ctx.touched(a.key);
            ctx.notify(NOTIFY_STRING, "append", a.key);
            total
        }
    };
    Ok(Reply::Int(len as i64))
}

/// STRLEN key.
pub fn strlen(ctx: &mut Ctx<'_>, a: Strlen<'_>) -> CmdResult {
    let n = get_str(ctx, a.key)?.map(|s| s.data.len() as i64);
    if n.is_none() {
        crate::cmd::read_miss(ctx, a.key);
    }
    Ok(Reply::Int(n.unwrap_or(0)))
}

/// The substring Redis's GETRANGE returns for `start..=end` (negative from the end).
fn range(data: &[u8], mut start: i64, mut end: i64) -> &[u8] {
    let len = data.len() as i64;
    if start < 0 && end < 0 && start > end {
        return &[];
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return &[];
    }
    &data[start as usize..=end as usize]
}

/// GETRANGE key start end.
pub fn getrange(ctx: &mut Ctx<'_>, a: Getrange<'_>) -> CmdResult {
    // The substring shares the stored bytes.
    let v = get_str(ctx, a.key)?.map(|s| s.data.to_bytes()).map(|b| b.slice_ref(range(&b, a.start, a.end)));
    if v.is_none() {
        crate::cmd::read_miss(ctx, a.key);
    }
    Ok(Reply::bulk(v.unwrap_or_default()))
}

/// SUBSTR key start end (GETRANGE's old name).
pub fn substr(ctx: &mut Ctx<'_>, a: Substr<'_>) -> CmdResult {
    getrange(ctx, Getrange { key: a.key, start: a.start, end: a.end })
}

/// SETRANGE key offset value: pads with zero bytes; the new length.
pub fn setrange(ctx: &mut Ctx<'_>, a: Setrange<'_>) -> CmdResult {
    // Negative offsets are refused; anything past proto-max-bulk-len fails the length check.
    if a.offset < 0 {
        return Err(Reply::err(error::OFFSET_OUT_OF_RANGE));
    }
    let offset = usize::try_from(a.offset).unwrap_or(usize::MAX);
    let cur = get_str(ctx, a.key)?.map(|s| s.data.len());
    match cur {
        None => {
            if a.value.is_empty() {
                return Ok(Reply::Int(0));
            }
            let total = check_len(ctx, offset, a.value.len())?;
            let mut data = crate::db::try_zeroed(total).ok_or(Reply::err(error::ALLOC_FAILED))?;
            data[offset..].copy_from_slice(a.value);
            store(ctx, a.key, Value::Str(StrValue::raw(data)), Ttl::Clear, "setrange");
            Ok(Reply::Int(total as i64))
        }
        Some(n) => {
            if a.value.is_empty() {
                return Ok(Reply::Int(n as i64));
            }
            let total = check_len(ctx, offset, a.value.len())?;
            let mut len = n;
            if let Some(s) = get_str(ctx, a.key)? {
                s.edit(|d| {
                    crate::db::try_grow_zeroed(d, total)?;
                    d[offset..total].copy_from_slice(a.value);
                    Some(())
                })
                .ok_or(Reply::err(error::ALLOC_FAILED))?;
                s.enc = crate::db::StrEnc::Raw;
                len = s.data.len();
            }
            ctx.touched(a.key);
            ctx.notify(NOTIFY_STRING, "setrange", a.key);
            Ok(Reply::Int(len as i64))
        }
    }
}

/// The shared body of INCR, DECR, INCRBY and DECRBY.
fn incr_by(ctx: &mut Ctx<'_>, key: &[u8], by: i64) -> CmdResult {
    let cur = match get_str(ctx, key)? {
        Some(s) => parse_i64(&s.data).ok_or(Reply::err(error::NOT_INTEGER))?,
        None => 0,
    };
    let v = cur.checked_add(by).ok_or(Reply::err(error::INCR_OVERFLOW))?;
    let now = ctx.now;
    ctx.db().set_keep_ttl(key, Value::Str(StrValue::int(v)), now);
    ctx.touched(key);
    ctx.notify(NOTIFY_STRING, "incrby", key);
    Ok(Reply::Int(v))
}

/// INCR key.
pub fn incr(ctx: &mut Ctx<'_>, a: Incr<'_>) -> CmdResult {
    incr_by(ctx, a.key, 1)
}

/// DECR key.
pub fn decr(ctx: &mut Ctx<'_>, a: Decr<'_>) -> CmdResult {
    incr_by(ctx, a.key, -1)
}

/// INCRBY key increment.
pub fn incrby(ctx: &mut Ctx<'_>, a: Incrby<'_>) -> CmdResult {
    incr_by(ctx, a.key, a.increment)
}

/// DECRBY key decrement: negating i64::MIN is its own error.
pub fn decrby(ctx: &mut Ctx<'_>, a: Decrby<'_>) -> CmdResult {
    if a.decrement == i64::MIN {
        return Err(Reply::err(error::DECR_OVERFLOW));
    }
    incr_by(ctx, a.key, -a.decrement)
}

/// Redis's `MAX_LONG_DOUBLE_CHARS`: longer texts are not numbers.
const LONG_DOUBLE_MAX_CHARS: usize = 5 * 1024;

extern "C" {
    fn fakeredis_incrbyfloat(
        cur: *const u8,
        curlen: usize,
        has_cur: i32,
        incr: *const u8,
        incrlen: usize,
        out: *mut u8,
        outlen: usize,
    ) -> i32;
}

/// `cur + incr` in C long double with Redis's parsing and `%.17Lf` formatting.
pub(crate) fn long_double_add(cur: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, &'static str> {
    long_double_sum(cur, incr, error::NOT_FLOAT)
}

/// `cur + incr` as [`long_double_add`]; `cur_error` answers a current value that is not a
/// number (HINCRBYFLOAT's `hash value is not a float`).
pub(crate) fn long_double_sum(
    cur: Option<&[u8]>,
    incr: &[u8],
    cur_error: &'static str,
) -> Result<Vec<u8>, &'static str> {
    // Redis's string2ld refuses 5 KiB or more before it copies anything.
    if incr.len() >= LONG_DOUBLE_MAX_CHARS {
        return Err(error::NOT_FLOAT);
    }
    if cur.is_some_and(|c| c.len() >= LONG_DOUBLE_MAX_CHARS) {
        return Err(cur_error);
    }
    let mut out = vec![0u8; 5 * 1024 + 64];
    let (cp, cl) = cur.map_or((std::ptr::null(), 0), |c| (c.as_ptr(), c.len()));
    // SAFETY: every pointer/length pair describes a live buffer; the C side writes at most
    // `out.len()` bytes including the terminating NUL.
    let rc = unsafe {
        fakeredis_incrbyfloat(cp, cl, i32::from(cur.is_some()), incr.as_ptr(), incr.len(), out.as_mut_ptr(), out.len())
    };
    match rc {
        0 => {
            let n = out.iter().position(|&c| c == 0).unwrap_or(out.len());
            out.truncate(n);
            Ok(out)
        }
        1 => Err(cur_error),
        2 => Err(error::NOT_FLOAT),
        3 => Err(error::INCRFLOAT_NAN),
        _ => Err(error::NOT_FLOAT),
    }
}

/// INCRBYFLOAT key increment: long double arithmetic, as Redis. The type check comes
/// before the increment is parsed, as in Redis.
pub fn incrbyfloat(ctx: &mut Ctx<'_>, a: Incrbyfloat<'_>) -> CmdResult {
    // The stored value is read in place: a long one fails the parse without being copied.
    let text = match get_str(ctx, a.key)? {
        Some(s) => long_double_add(Some(&s.data), a.increment),
        None => long_double_add(None, a.increment),
    }
    .map_err(Reply::err)?;
    let now = ctx.now;
    ctx.db().set_keep_ttl(a.key, Value::Str(StrValue::fresh(text.clone())), now);
    ctx.touched(a.key);
    ctx.notify(NOTIFY_STRING, "incrbyfloat", a.key);
    Ok(Reply::bulk(text))
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: Redis's dynamic programming
/// and backtracking, so the chosen subsequence and the ranges are the ones Redis reports.
/// The table is bounded as Redis bounds it: 4 bytes a cell, at most proto-max-bulk-len, and
/// an allocation that fails is an error reply. The values are read in place, not copied.
pub fn lcs(ctx: &mut Ctx<'_>, a: Lcs<'_>) -> CmdResult {
    // The key types were checked before the options (overlay `keys_first`).
    if a.idx && a.len {
        return Err(Reply::err(error::LCS_IDX_AND_LEN));
    }
    let max_bulk = ctx.st.config.limits().proto_max_bulk_len.max(0) as u128;
    let now = ctx.now;
    let db = ctx.db();
    // Both keys are looked up for reading (touched).
    db.get_mut(a.key1, now);
    db.get_mut(a.key2, now);
    let text = |k: &[u8]| db.get_live(k, now).and_then(|e| e.value.as_str()).map_or(&[][..], |s| &s.data[..]);
    let (x, y) = (text(a.key1), text(a.key2));
    let (n, m) = (x.len(), y.len());
    if n as u64 >= u64::from(u32::MAX - 1) || m as u64 >= u64::from(u32::MAX - 1) {
        return Err(Reply::err(error::LCS_STRING_TOO_LONG));
    }
    let cells = (n as u128 + 1) * (m as u128 + 1);
    if cells * 4 > max_bulk {
        return Err(Reply::err(error::LCS_TOO_BIG));
    }
    let cells = usize::try_from(cells).map_err(|_| Reply::err(error::LCS_ALLOC_FAILED))?;
    let mut dp: Vec<u32> = Vec::new();
    dp.try_reserve_exact(cells).map_err(|_| Reply::err(error::LCS_ALLOC_FAILED))?;
    dp.resize(cells, 0);
    let w = m + 1;
    for i in 1..=n {
        for j in 1..=m {
            dp[i * w + j] = if x[i - 1] == y[j - 1] {
                dp[(i - 1) * w + j - 1] + 1
            } else {
                dp[(i - 1) * w + j].max(dp[i * w + j - 1])
            };
        }
    }
    let total = dp[n * w + m];
    if a.len {
        return Ok(Reply::Int(i64::from(total)));
    }
    let minlen = a.min_match_len.unwrap_or(0).max(0);
    let mut result = vec![0u8; total as usize];
    let mut idx = total as usize;
    let mut matches = Vec::new();
    let (mut i, mut j) = (n, m);
    let (mut as_, mut ae, mut bs, mut be) = (n, 0usize, 0usize, 0usize);
    while i > 0 && j > 0 {
        let mut emit = false;
        if x[i - 1] == y[j - 1] {
            result[idx - 1] = x[i - 1];
            if as_ == n {
                (as_, ae, bs, be) = (i - 1, i - 1, j - 1, j - 1);
            } else if as_ == i && bs == j {
                as_ -= 1;
                bs -= 1;
            } else {
                emit = true;
            }
            if as_ == 0 || bs == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if dp[(i - 1) * w + j] > dp[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if as_ != n {
                emit = true;
            }
        }
        let mlen = ae.wrapping_sub(as_).wrapping_add(1);
        if emit {
            if minlen == 0 || mlen as i64 >= minlen {
                let mut item = vec![
                    Reply::Array(vec![Reply::Int(as_ as i64), Reply::Int(ae as i64)]),
                    Reply::Array(vec![Reply::Int(bs as i64), Reply::Int(be as i64)]),
                ];
                if a.withmatchlen {
                    item.push(Reply::Int(mlen as i64));
                }
                matches.push(Reply::Array(item));
            }
            as_ = n;
        }
    }
    if a.idx {
        return Ok(Reply::Map(vec![
            (Reply::bulk("matches"), Reply::Array(matches)),
            (Reply::bulk("len"), Reply::Int(i64::from(total))),
        ]));
    }
    Ok(Reply::bulk(result))
}
