//! Stream commands (spec group `stream`), each a walk handler reading its words in the
//! order Redis's t_stream.c does (which error wins depends on it):
//!
//! - `add.rs`: XADD, XTRIM, XDEL, XLEN, XRANGE, XREVRANGE, XSETID;
//! - `read.rs`: XREAD and XREADGROUP (CLAIM from Redis 8.4), blocking through the waiter
//!   registry;
//! - `group.rs`: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM;
//! - `delete.rs`: Redis 8.2's XDELEX and XACKDEL, with the reference policies;
//! - `idmp.rs`: Redis 8.6's idempotent producers: XCFGSET, XIDMPRECORD, IDMPAUTO's IDs;
//! - `nack.rs`: Redis 8.8's XNACK;
//! - `info.rs`: XINFO.
//!
//! Redis 8's additions follow a recent Redis `t_stream.c` (8.8 era); 8.10's XREAD and
//! XREADGROUP MAXCOUNT/MAXSIZE are refused as not implemented, no source of them at hand.
//!
//! The value type, with its model of Redis's listpack nodes, is `db/stream.rs`.

pub mod add;
pub mod delete;
pub mod group;
pub mod idmp;
pub mod info;
pub mod nack;
pub mod read;

use bytes::Bytes;

use crate::cmd::{typed, Look};
use crate::db::{Fields, Idmp, NodeLimits, Stream, StreamId, Value};
use crate::error;
use crate::reply::Reply;
use crate::server::Ctx;
use crate::spec::grammar::parse_i64;

pub(crate) fn stream<'c>(ctx: &'c mut Ctx<'_>, key: &[u8], look: Look) -> Result<Option<&'c mut Stream>, Reply> {
    typed(ctx, key, look, Value::as_stream_mut)
}

/// Redis's `string2ull`: a strict integer (not negative), else what `strtoull` reads in
/// base 10 (leading space, a sign, leading zeros; a minus wraps), the whole word.
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    let t = s.iter().position(|c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')).unwrap_or(s.len());
    let mut t = &s[t..];
    let neg = t.first() == Some(&b'-');
    if matches!(t.first(), Some(b'-' | b'+')) {
        t = &t[1..];
    }
    if t.is_empty() || !t.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in t {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// `streamGenericParseIDOrReply`: `ms-seq`, `ms` (the sequence is `missing_seq`), `-` and
/// `+` unless `strict`; with `star`, `ms-*` (the second value is false: no sequence given).
fn parse_id_full(w: &[u8], missing_seq: u64, strict: bool, star: bool) -> Result<(StreamId, bool), Reply> {
    let bad = || Reply::err(error::STREAM_ID_INVALID);
    if w.len() > 127 {
        return Err(bad());
    }
    let w = error::c_bytes(w);
    match w {
        b"-" | b"+" if strict => return Err(bad()),
        b"-" => return Ok((StreamId::MIN, true)),
        b"+" => return Ok((StreamId::MAX, true)),
        _ => {}
    }
    let (ms, seq) = match w.iter().position(|&c| c == b'-') {
        Some(i) => (&w[..i], Some(&w[i + 1..])),
        None => (w, None),
    };
    let ms = string2ull(ms).ok_or_else(bad)?;
    let (seq, given) = match seq {
        Some(b"*") if star => (0, false),
        Some(s) => (string2ull(s).ok_or_else(bad)?, true),
        None => (missing_seq, true),
    };
    Ok((StreamId::new(ms, seq), given))
}

/// A strict ID (no `-` or `+`), a missing sequence read as 0.
pub(crate) fn strict_id(w: &[u8]) -> Result<StreamId, Reply> {
    parse_id_full(w, 0, true, false).map(|(id, _)| id)
}

/// An ID where `-` and `+` are allowed.
pub(crate) fn loose_id(w: &[u8], missing_seq: u64) -> Result<StreamId, Reply> {
    parse_id_full(w, missing_seq, false, false).map(|(id, _)| id)
}

/// XADD's ID: strict, `ms-*` allowed; whether the sequence was given.
pub(crate) fn add_id(w: &[u8]) -> Result<(StreamId, bool), Reply> {
    parse_id_full(w, 0, true, true)
}

/// A range bound as `streamParseIntervalIDOrReply`: `(id` is exclusive (and strict).
fn interval(w: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Reply> {
    if w.len() > 1 && w[0] == b'(' {
        return parse_id_full(&w[1..], missing_seq, true, false).map(|(id, _)| (id, true));
    }
    loose_id(w, missing_seq).map(|id| (id, false))
}

/// The start of a range (an exclusive one moves up).
pub(crate) fn range_start(w: &[u8]) -> Result<StreamId, Reply> {
    match interval(w, 0)? {
        (id, true) => id.next().ok_or(Reply::err(error::STREAM_START_INVALID)),
        (id, false) => Ok(id),
    }
}

/// The end of a range (an exclusive one moves down; a missing sequence is the largest).
pub(crate) fn range_end(w: &[u8]) -> Result<StreamId, Reply> {
    match interval(w, u64::MAX)? {
        (id, true) => id.prev().ok_or(Reply::err(error::STREAM_END_INVALID)),
        (id, false) => Ok(id),
    }
}

/// `getLongLongFromObjectOrReply` with Redis's default text.
pub(crate) fn long(w: &[u8]) -> Result<i64, Reply> {
    long_or(w, error::NOT_INTEGER)
}

/// `getLongLongFromObjectOrReply` with a text of its own.
pub(crate) fn long_or(w: &[u8], msg: &'static str) -> Result<i64, Reply> {
    parse_i64(w).ok_or(Reply::err(msg))
}

/// An entry as replies show it: `[id, [field, value, ...]]`.
pub(crate) fn entry_reply(id: StreamId, fields: &Fields) -> Reply {
    let flat = fields.iter().flat_map(|(f, v)| [Reply::Bulk(f.clone()), Reply::Bulk(v.clone())]).collect();
    Reply::Array(vec![Reply::Bulk(id.to_bytes()), Reply::Array(flat)])
}

pub(crate) fn id_reply(id: StreamId) -> Reply {
    Reply::Bulk(id.to_bytes())
}

/// A new empty stream, with the config's idempotency settings where the profile has them.
pub(crate) fn new_stream(ctx: &Ctx<'_>) -> Stream {
    let c = &ctx.st.config;
    let n = |name| u64::try_from(c.get_i64(name)).unwrap_or(1);
    let mut s = Stream::default();
    s.idmp = Idmp::new(n("stream-idmp-duration"), n("stream-idmp-maxsize"));
    s
}

/// The node limits of the config.
pub(crate) fn node_limits(ctx: &Ctx<'_>) -> NodeLimits {
    let c = &ctx.st.config;
    let n = |name| u64::try_from(c.get_i64(name)).unwrap_or(0);
    NodeLimits { bytes: n("stream-node-max-bytes"), entries: n("stream-node-max-entries") }
}

/// Redis's `addReplySubcommandSyntaxError` for the command as sent.
pub(crate) fn sub_syntax(ctx: &Ctx<'_>) -> Reply {
    let sub = ctx.argv.get(1).map(Vec::as_slice).unwrap_or_default();
    Reply::err_bytes(error::subcommand_syntax_as_sent(&ctx.profile(), &ctx.argv[0], sub))
}

/// `-NOGROUP No such key '<key>' or consumer group '<group>'` (`in_xreadgroup`: XREADGROUP's tail).
pub(crate) fn no_key_or_group(key: &[u8], group: &[u8], in_xreadgroup: bool) -> Reply {
    Reply::err_bytes(error::nogroup_key_or_group(key, group, in_xreadgroup))
}

/// `-NOGROUP No such consumer group '<group>' for key name '<key>'`.
pub(crate) fn no_group_for_key(group: &[u8], key: &[u8]) -> Reply {
    Reply::err_bytes(error::nogroup_for_key(group, key))
}

pub(crate) fn bytes(w: &[u8]) -> Bytes {
    Bytes::copy_from_slice(w)
}
