//! Bitmap commands (spec group `bitmap`): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP. Each reads
//! its words in Redis's own order (bitops.c), so these are walk handlers: up to 7.2 BITCOUNT
//! and BITPOS look the key up before they parse their range; Redis 7.4 and Valkey 8 parse
//! first.

use crate::cmd::{get_str, read_str};
use crate::db::{StrEnc, StrValue, Value};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::config::{NOTIFY_GENERIC, NOTIFY_STRING};
use crate::server::Ctx;
use crate::spec::grammar::parse_i64;

/// A bit offset as Redis's `getBitOffsetFromArgument` reads it (without the `#` form):
/// a non-negative integer whose byte is below proto-max-bulk-len.
fn bit_offset(ctx: &Ctx<'_>, w: &[u8]) -> Result<u64, Reply> {
    let max = ctx.st.config.limits().proto_max_bulk_len;
    match parse_i64(w) {
        Some(n) if n >= 0 && (n >> 3) < max => Ok(n as u64),
        _ => Err(Reply::err(error::BIT_OFFSET_NOT_INTEGER)),
    }
}

fn integer(w: &[u8]) -> Result<i64, Reply> {
    parse_i64(w).ok_or(Reply::err(error::NOT_INTEGER))
}

/// SETBIT key offset value: the bit's old value. The string grows with zero bytes to hold
/// the offset and is left raw, as Redis unshares it.
pub fn setbit(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let (key, offset) = (&words[0][..], bit_offset(ctx, &words[1])?);
    let on = parse_i64(&words[2]).filter(|v| v & !1 == 0).ok_or(Reply::err(error::BIT_NOT_INTEGER))? as u8;
    let (byte, shift) = ((offset >> 3) as usize, 7 - (offset & 7) as u8);
    let (old, grown) = edit_grown(ctx, key, byte + 1, |d| {
        let old = (d[byte] >> shift) & 1;
        d[byte] = (d[byte] & !(1 << shift)) | (on << shift);
        old
    })?;
    // Up to 6.2 every SETBIT is a write; from 7.0 only one that changed something.
    if grown || old != on || !ctx.profile().redis_at_least(7, 0) {
        ctx.touched(key);
        ctx.notify(NOTIFY_STRING, "setbit", key);
    }
    Ok(Reply::Int(i64::from(old)))
}

/// Edits the string at `key` for a bit write, as Redis's `lookupStringForBitCommand`: a
/// missing key is created, the string grows with zeros to `need` bytes and is left raw
/// (unshared). What `f` returns, and whether the string was created or grew.
pub(crate) fn edit_grown<R>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    need: usize,
    f: impl FnOnce(&mut Vec<u8>) -> R,
) -> Result<(R, bool), Reply> {
    let now = ctx.now;
    let created = get_str(ctx, key)?.is_none();
    if created {
        let data = crate::db::try_zeroed(need).ok_or(Reply::err(error::ALLOC_FAILED))?;
        ctx.db().set(key, Value::Str(StrValue::raw(data)), None, now);
    }
    let Some(s) = get_str(ctx, key)? else { return Err(Reply::err(error::ALLOC_FAILED)) };
    s.enc = StrEnc::Raw;
    s.edit(|d| {
        let grew = d.len() < need;
        crate::db::try_grow_zeroed(d, need)?;
        Some((f(d), created || grew))
    })
    .ok_or(Reply::err(error::ALLOC_FAILED))
}

/// GETBIT key offset: the bit, 0 past the end or for a missing key.
pub fn getbit(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let offset = bit_offset(ctx, &words[1])?;
    let data = read_str(ctx, &words[0])?.unwrap_or_default();
    let bit = usize::try_from(offset >> 3).ok().and_then(|b| data.get(b)).map_or(0, |v| (v >> (7 - (offset & 7))) & 1);
    Ok(Reply::Int(i64::from(bit)))
}

/// Whether the pinned server parses BITCOUNT's and BITPOS's range before it looks the key
/// up (Redis 7.4, Valkey 8); before, the key comes first.
fn parses_first(ctx: &Ctx<'_>) -> bool {
    ctx.profile().has_since((7, 4), Some((8, 0)))
}

/// How many words BITCOUNT's (`base` 3) or BITPOS's (4) range may have: one more for
/// `BYTE`/`BIT` from 7.0.
fn range_words(ctx: &Ctx<'_>, base: usize) -> usize {
    base + usize::from(ctx.profile().redis_at_least(7, 0))
}

/// `BIT` / `BYTE`: whether the range is in bits.
fn unit(w: &[u8]) -> Result<bool, Reply> {
    if w.eq_ignore_ascii_case(b"bit") {
        Ok(true)
    } else if w.eq_ignore_ascii_case(b"byte") {
        Ok(false)
    } else {
        Err(Reply::err(error::SYNTAX))
    }
}

/// A range clamped to a string of `len` bytes as bitops.c clamps it: byte bounds, and the
/// masks of the bits outside a bit range in its first and last byte.
struct Span {
    start: i64,
    end: i64,
    first_mask: u8,
    last_mask: u8,
}

fn span(len: usize, start: i64, end: i64, bits: bool) -> Span {
    let total = if bits { (len as i64) << 3 } else { len as i64 };
    let clamp = |v: i64| if v < 0 { (total + v).max(0) } else { v };
    let (start, end) = (clamp(start), clamp(end).min(total - 1));
    if bits && start <= end {
        let first_mask = !((1u16 << (8 - (start & 7))) - 1) as u8;
        let last_mask = ((1u16 << (7 - (end & 7))) - 1) as u8;
        return Span { start: start >> 3, end: end >> 3, first_mask, last_mask };
    }
    Span { start, end, first_mask: 0, last_mask: 0 }
}

/// BITCOUNT key [start end [BYTE | BIT]].
pub fn bitcount(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let key = &words[0][..];
    let first = parses_first(ctx);
    let mut data = None;
    if !first {
        match read_str(ctx, key)? {
            None => return Ok(Reply::Int(0)),
            Some(d) => data = Some(d),
        }
    }
    let range = match words.len() {
        1 => None,
        n @ (3 | 4) if n <= range_words(ctx, 3) => {
            let (start, end) = (integer(&words[1])?, integer(&words[2])?);
            if !first && start < 0 && end < 0 && start > end {
                return Ok(Reply::Int(0));
            }
            let bits = if words.len() == 4 { unit(&words[3])? } else { false };
            Some((start, end, bits))
        }
        _ => return Err(Reply::err(error::SYNTAX)),
    };
    if first {
        data = read_str(ctx, key)?;
    }
    let Some(data) = data else { return Ok(Reply::Int(0)) };
    let s = match range {
        None => Span { start: 0, end: data.len() as i64 - 1, first_mask: 0, last_mask: 0 },
        Some((start, end, _)) if start < 0 && end < 0 && start > end => return Ok(Reply::Int(0)),
        Some((start, end, bits)) => span(data.len(), start, end, bits),
    };
    if s.start > s.end {
        return Ok(Reply::Int(0));
    }
    let bytes = &data[s.start as usize..=s.end as usize];
    let mut count = popcount(bytes);
    count -= u64::from((bytes[0] & s.first_mask).count_ones());
    count -= u64::from((bytes[bytes.len() - 1] & s.last_mask).count_ones());
    Ok(Reply::Int(count as i64))
}

/// The set bits of `bytes`, eight bytes at a time.
fn popcount(bytes: &[u8]) -> u64 {
    let words = bytes.chunks_exact(8);
    let tail: u64 = words.remainder().iter().map(|b| u64::from(b.count_ones())).sum();
    words
        .map(|w| u64::from(u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]).count_ones()))
        .sum::<u64>()
        + tail
}

/// The first `bit` in `bytes` as Redis's `redisBitpos` finds it: -1 for a 1 not found,
/// the position just past the end for a 0 not found.
fn first_bit(bytes: &[u8], bit: bool) -> i64 {
    let skip = if bit { 0x00 } else { 0xff };
    match bytes.iter().position(|&b| b != skip) {
        Some(i) => {
            let b = if bit { bytes[i] } else { !bytes[i] };
            (i as i64) * 8 + i64::from(b.leading_zeros())
        }
        None if bit => -1,
        None => (bytes.len() as i64) * 8,
    }
}

/// BITPOS key bit [start [end [BYTE | BIT]]].
pub fn bitpos(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let key = &words[0][..];
    let bit = match parse_i64(&words[1]).ok_or(Reply::err(error::NOT_INTEGER))? {
        0 => false,
        1 => true,
        _ => return Err(Reply::err(error::BIT_ARGUMENT)),
    };
    let missing = Reply::Int(if bit { -1 } else { 0 });
    let first = parses_first(ctx);
    let mut data = None;
    if !first {
        match read_str(ctx, key)? {
            None => return Ok(missing),
            Some(d) => data = Some(d),
        }
    }
    let range = match words.len() {
        2 => None,
        n @ 3..=5 if n <= range_words(ctx, 4) => {
            let start = integer(&words[2])?;
            let bits = if words.len() == 5 { unit(&words[4])? } else { false };
            let end = if words.len() >= 4 { Some(integer(&words[3])?) } else { None };
            Some((start, end, bits))
        }
        _ => return Err(Reply::err(error::SYNTAX)),
    };
    if first {
        data = read_str(ctx, key)?;
    }
    let Some(data) = data else { return Ok(missing) };
    let len = data.len();
    let (s, end_given) = match range {
        None => (Span { start: 0, end: len as i64 - 1, first_mask: 0, last_mask: 0 }, false),
        Some((start, end, bits)) => {
            let default_end = if bits { ((len as i64) << 3) + 7 } else { len as i64 - 1 };
            (span(len, start, end.unwrap_or(default_end), bits), end.is_some())
        }
    };
    if s.start > s.end {
        return Ok(Reply::Int(-1));
    }
    let (pos, start, bytes) = scan(&data, &s, bit);
    if end_given && !bit && pos == bytes << 3 {
        return Ok(Reply::Int(-1));
    }
    Ok(Reply::Int(if pos == -1 { -1 } else { pos + (start << 3) }))
}

/// bitposCommand's search of a clamped span: the position found relative to the byte
/// where the search ended up, that byte, and the bytes still in the span there.
fn scan(p: &[u8], s: &Span, bit: bool) -> (i64, i64, i64) {
    let edge = |b: u8, mask: u8| if bit { b & !mask } else { b | mask };
    let (mut start, mut bytes) = (s.start, s.end - s.start + 1);
    if s.first_mask != 0 {
        let mut c = edge(p[start as usize], s.first_mask);
        if s.last_mask != 0 && bytes == 1 {
            c = edge(c, s.last_mask);
        }
        let pos = first_bit(&[c], bit);
        if bytes == 1 || (pos != -1 && pos != 8) {
            return (pos, start, bytes);
        }
        start += 1;
        bytes -= 1;
    }
    let whole = bytes - i64::from(s.last_mask != 0);
    if whole > 0 {
        let pos = first_bit(&p[start as usize..(start + whole) as usize], bit);
        if bytes == whole || (pos != -1 && pos != whole << 3) {
            return (pos, start, bytes);
        }
        start += whole;
        bytes -= whole;
    }
    (first_bit(&[edge(p[s.end as usize], s.last_mask)], bit), start, bytes)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
    Xor,
    Not,
    Diff,
    Diff1,
    AndOr,
    One,
}

impl Op {
    /// The operation BITOP names (DIFF, DIFF1, ANDOR and ONE from Redis 8.2).
    fn parse(ctx: &Ctx<'_>, w: &[u8]) -> Option<Op> {
        let word = w.to_ascii_lowercase();
        let op = match &word[..] {
            b"and" => Op::And,
            b"or" => Op::Or,
            b"xor" => Op::Xor,
            b"not" => Op::Not,
            b"diff" => Op::Diff,
            b"diff1" => Op::Diff1,
            b"andor" => Op::AndOr,
            b"one" => Op::One,
            _ => return None,
        };
        let newer = matches!(op, Op::Diff | Op::Diff1 | Op::AndOr | Op::One);
        (!newer || ctx.profile().redis_at_least(8, 2)).then_some(op)
    }

    /// Byte `j` of the result over `src` (bytes past a source's end are zero).
    fn byte(self, src: &[bytes::Bytes], j: usize) -> u8 {
        let at = |s: &bytes::Bytes| s.get(j).copied().unwrap_or(0);
        let first = at(&src[0]);
        let rest = src[1..].iter().map(at);
        match self {
            Op::And => rest.fold(first, |a, b| a & b),
            Op::Or => rest.fold(first, |a, b| a | b),
            Op::Xor => rest.fold(first, |a, b| a ^ b),
            Op::Not => !first,
            Op::Diff => first & !rest.fold(0, |a, b| a | b),
            Op::Diff1 => !first & rest.fold(0, |a, b| a | b),
            Op::AndOr => first & rest.fold(0, |a, b| a | b),
            Op::One => {
                let (mut out, mut common) = (first, 0u8);
                for b in rest {
                    common |= out & b;
                    out = (out ^ b) & !common;
                }
                out
            }
        }
    }
}

/// BITOP operation destkey key [key ...]: the length of the result, stored raw without a
/// TTL (an empty result deletes destkey). Missing sources are empty strings.
pub fn bitop(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let op = Op::parse(ctx, &words[0]).ok_or(Reply::err(error::SYNTAX))?;
    let (dst, keys) = (&words[1][..], &words[2..]);
    if op == Op::Not && keys.len() != 1 {
        return Err(Reply::err(error::BITOP_NOT_ONE_KEY));
    }
    if matches!(op, Op::Diff | Op::Diff1 | Op::AndOr) && keys.len() < 2 {
        return Err(Reply::err(error::bitop_two_keys(&String::from_utf8_lossy(&words[0]))));
    }
    let mut src = Vec::with_capacity(keys.len());
    for k in keys {
        src.push(read_str(ctx, k)?.unwrap_or_default());
    }
    let len = src.iter().map(|s| s.len()).max().unwrap_or(0);
    let now = ctx.now;
    if len == 0 {
        if ctx.db().remove(dst).is_some() {
            ctx.touched(dst);
            ctx.notify(NOTIFY_GENERIC, "del", dst);
        }
        return Ok(Reply::Int(0));
    }
    let mut res = crate::db::try_zeroed(len).ok_or(Reply::err(error::ALLOC_FAILED))?;
    for (j, out) in res.iter_mut().enumerate() {
        *out = op.byte(&src, j);
    }
    ctx.db().set(dst, Value::Str(StrValue::raw(res)), None, now);
    ctx.touched(dst);
    ctx.notify(NOTIFY_STRING, "set", dst);
    Ok(Reply::Int(len as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_bit_finds_ones_and_zeros_and_pads_with_zeros() {
        assert_eq!(first_bit(&[0x00, 0x10], true), 11);
        assert_eq!(first_bit(&[0x00, 0x00], true), -1);
        assert_eq!(first_bit(&[0xff, 0xfe], false), 15);
        assert_eq!(first_bit(&[0xff, 0xff], false), 16);
    }

    #[test]
    fn one_keeps_the_bits_set_in_exactly_one_source() {
        let src: Vec<bytes::Bytes> =
            [0b0001_0111u8, 0b0010_0110, 0b0100_1101].iter().map(|b| bytes::Bytes::from(vec![*b])).collect();
        assert_eq!(Op::One.byte(&src, 0), 0b0111_1000);
        assert_eq!(Op::Diff.byte(&src, 0), 0b0001_0111 & !(0b0010_0110 | 0b0100_1101));
        assert_eq!(Op::Diff1.byte(&src, 0), !0b0001_0111 & (0b0010_0110 | 0b0100_1101));
        assert_eq!(Op::AndOr.byte(&src, 0), 0b0001_0111 & (0b0010_0110 | 0b0100_1101));
        assert_eq!(Op::Not.byte(&src, 1), 0xff);
    }

    #[test]
    fn bit_spans_mask_the_edges() {
        let s = span(2, 3, 12, true);
        assert_eq!((s.start, s.end, s.first_mask, s.last_mask), (0, 1, 0b1110_0000, 0b0000_0111));
        let s = span(3, -2, -1, false);
        assert_eq!((s.start, s.end), (1, 2));
        let s = span(0, 0, -1, false);
        assert!(s.start > s.end);
    }
}
