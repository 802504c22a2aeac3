//! DUMP and RESTORE (spec group `generic`): a key's value as an RDB payload of the pinned
//! version ([`crate::rdb::object`]) and back.

use crate::db::{Entry, Value};
use crate::error;
use crate::rdb::object::{self, Format, Unsupported};
use crate::rdb::Reader;
use crate::reply::{CmdResult, Reply};
use crate::server::config::NOTIFY_GENERIC;
use crate::server::Ctx;
use crate::spec::generated::*;
use crate::spec::grammar::parse_i64;

fn format(ctx: &Ctx<'_>) -> Format {
    Format::of(&ctx.profile())
}

/// DUMP key: the payload, or nil for a missing key (a read: it counts a hit or a miss).
pub fn dump(ctx: &mut Ctx<'_>, a: Dump<'_>) -> CmdResult {
    let (now, f, enc, p) = (ctx.now, format(ctx), ctx.enc(), ctx.profile());
    let Some(e) = ctx.db().get_mut(a.key, now) else {
        ctx.st.stats.keyspace_misses += 1;
        crate::cmd::read_miss(ctx, a.key);
        return Ok(Reply::Nil);
    };
    let body = payload(&e.value, f, &enc, &p);
    ctx.st.stats.keyspace_hits += 1;
    body.map(Reply::bulk)
}

/// A value's DUMP payload in format `f` (MIGRATE sends the same), or why it has none yet.
pub(crate) fn payload(
    v: &Value,
    f: Format,
    enc: &crate::db::Encodings,
    p: &crate::spec::Profile,
) -> Result<Vec<u8>, Reply> {
    match object::save(v, f, enc, &|d| crate::cmd::sorted_set::score_text(p, d)) {
        Ok(body) => Ok(crate::rdb::seal(body, f.version)),
        Err(Unsupported::Stream) => {
            Err(Reply::err(error::dump_not_implemented("streams with idempotent producers or released entries")))
        }
        Err(Unsupported::FieldTtls) => Err(Reply::err(error::dump_not_implemented("hash field TTLs on this server"))),
    }
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
/// (overlay `walk`), in Redis's order: the options (IDLETIME and FREQ exclude each other),
/// then BUSYKEY, then the TTL, then the payload's footer, then its body. A TTL already in
/// the past answers OK and stores nothing (deleting what REPLACE replaced).
pub fn restore(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [key, ttl, payload, opts @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let (mut replace, mut absttl, mut idle, mut freq) = (false, false, None, None);
    let mut i = 0;
    while i < opts.len() {
        let more = i + 1 < opts.len();
        match opts[i].to_ascii_lowercase().as_slice() {
            b"replace" => replace = true,
            b"absttl" => absttl = true,
            b"idletime" if more && freq.is_none() => {
                let n = parse_i64(&opts[i + 1]).ok_or(Reply::err(error::NOT_INTEGER))?;
                if n < 0 {
                    return Err(Reply::err(error::RESTORE_IDLETIME_NEGATIVE));
                }
                idle = Some(n);
                i += 1;
            }
            b"freq" if more && idle.is_none() => {
                let n = parse_i64(&opts[i + 1]).ok_or(Reply::err(error::NOT_INTEGER))?;
                if !(0..=255).contains(&n) {
                    return Err(Reply::err(error::RESTORE_FREQ_RANGE));
                }
                freq = Some(n);
                i += 1;
            }
            _ => return Err(Reply::err(error::SYNTAX)),
        }
        i += 1;
    }
    if !replace && crate::cmd::lookup(ctx, key) {
        return Err(Reply::err(error::BUSYKEY));
    }
    let ttl = parse_i64(ttl).ok_or(Reply::err(error::NOT_INTEGER))?;
    if ttl < 0 {
        return Err(Reply::err(error::RESTORE_TTL_NEGATIVE));
    }
    let f = format(ctx);
    let verify = !ctx.st.skip_checksum;
    crate::rdb::unseal_with(payload, f.version, verify).ok_or(Reply::err(error::DUMP_PAYLOAD_BAD))?;
    // Redis reads the value from the whole argument, footer included: a body that runs
    // short reads on into the footer, and bytes left over are ignored.
    let enc = ctx.enc();
    let mut value = object::load(&mut Reader::new(payload), f, &enc).ok_or(Reply::err(error::RESTORE_BAD_DATA))?;
    if let Value::Stream(s) = &mut value {
        s.idmp = crate::cmd::stream::new_stream(ctx).idmp;
    }
    let now = ctx.now;
    let deleted = replace && ctx.db().remove(key).is_some();
    let expire_at = match ttl {
        0 => None,
        t if absttl => Some(t),
        t => Some(t.saturating_add(now)),
    };
    if expire_at.is_some_and(|t| t < now) {
        if deleted {
            ctx.touched(key);
            ctx.notify(NOTIFY_GENERIC, "del", key);
        }
        return Ok(Reply::ok());
    }
    let lfu = crate::cmd::generic::lfu_policy(ctx);
    let accessed_ms = match idle {
        Some(s) if !lfu => now.saturating_sub(s.saturating_mul(1000)),
        _ => now,
    };
    ctx.db().put_entry(key, Entry { value, expire_at, accessed_ms });
    if let Some(f) = freq.filter(|_| lfu) {
        ctx.db().set_lfu_counter(key, f as u8);
    }
    ctx.touched(key);
    ctx.notify(NOTIFY_GENERIC, "restore", key);
    Ok(Reply::ok())
}

/// RESTORE-ASKING: RESTORE as a cluster node receives it during a slot migration.
pub fn restore_asking(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    restore(ctx, words)
}
