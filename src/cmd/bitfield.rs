//! BITFIELD and BITFIELD_RO (spec group `bitmap`): every operation is read and checked
//! first, in bitops.c's order, then the key is looked up (grown once to the farthest bit a
//! write reaches) and the operations run in turn.

use crate::cmd::bitmap::edit_grown;
use crate::cmd::read_str;
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::config::NOTIFY_STRING;
use crate::server::Ctx;
use crate::spec::grammar::parse_i64;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Get,
    Set,
    Incrby,
}

#[derive(Clone, Copy)]
struct Op {
    kind: Kind,
    signed: bool,
    bits: u32,
    offset: u64,
    value: i64,
    overflow: Overflow,
}

/// `i1`..`i64` or `u1`..`u63` (the letter is case-sensitive, as in Redis).
fn field_type(w: &[u8]) -> Result<(bool, u32), Reply> {
    let bad = || Reply::err(error::BITFIELD_TYPE);
    let signed = match w.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(bad()),
    };
    match parse_i64(&w[1..]) {
        Some(n) if n >= 1 && n <= if signed { 64 } else { 63 } => Ok((signed, n as u32)),
        _ => Err(bad()),
    }
}

/// An offset, or `#N` for the Nth field of this width; below proto-max-bulk-len bytes.
fn field_offset(ctx: &Ctx<'_>, w: &[u8], bits: u32) -> Result<u64, Reply> {
    let (hash, digits) = match w.split_first() {
        Some((b'#', rest)) => (true, rest),
        _ => (false, w),
    };
    let n = parse_i64(digits).ok_or(Reply::err(error::BIT_OFFSET_NOT_INTEGER))?;
    let n = if hash { n.wrapping_mul(i64::from(bits)) } else { n };
    let max = ctx.st.config.limits().proto_max_bulk_len;
    if n < 0 || (n >> 3) >= max {
        return Err(Reply::err(error::BIT_OFFSET_NOT_INTEGER));
    }
    Ok(n as u64)
}

/// The operations, read as bitfieldGeneric's loop reads them.
fn parse(ctx: &Ctx<'_>, words: &[Vec<u8>]) -> Result<Vec<Op>, Reply> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 0;
    while j < words.len() {
        let rem = words.len() - j - 1;
        let w = &words[j];
        let kind = if w.eq_ignore_ascii_case(b"get") && rem >= 2 {
            Kind::Get
        } else if w.eq_ignore_ascii_case(b"set") && rem >= 3 {
            Kind::Set
        } else if w.eq_ignore_ascii_case(b"incrby") && rem >= 3 {
            Kind::Incrby
        } else if w.eq_ignore_ascii_case(b"overflow") && rem >= 1 {
            let t = &words[j + 1];
            overflow = if t.eq_ignore_ascii_case(b"wrap") {
                Overflow::Wrap
            } else if t.eq_ignore_ascii_case(b"sat") {
                Overflow::Sat
            } else if t.eq_ignore_ascii_case(b"fail") {
                Overflow::Fail
            } else {
                return Err(Reply::err(error::BITFIELD_OVERFLOW_TYPE));
            };
            j += 2;
            continue;
        } else {
            return Err(Reply::err(error::SYNTAX));
        };
        let (signed, bits) = field_type(&words[j + 1])?;
        let offset = field_offset(ctx, &words[j + 2], bits)?;
        let value =
            if kind == Kind::Get { 0 } else { parse_i64(&words[j + 3]).ok_or(Reply::err(error::NOT_INTEGER))? };
        ops.push(Op { kind, signed, bits, offset, value, overflow });
        j += if kind == Kind::Get { 3 } else { 4 };
    }
    Ok(ops)
}

/// `bits` bits from bit `offset` (the first bit is the most significant), zero past the end.
fn get_bits(p: &[u8], offset: u64, bits: u32) -> u64 {
    (0..u64::from(bits)).fold(0, |v, i| {
        let at = offset + i;
        let byte = usize::try_from(at >> 3).ok().and_then(|b| p.get(b)).copied().unwrap_or(0);
        (v << 1) | u64::from((byte >> (7 - (at & 7))) & 1)
    })
}

fn set_bits(p: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..u64::from(bits) {
        let at = offset + i;
        let bit = ((value >> (u64::from(bits) - 1 - i)) & 1) as u8;
        let (byte, shift) = ((at >> 3) as usize, 7 - (at & 7) as u8);
        p[byte] = (p[byte] & !(1 << shift)) | (bit << shift);
    }
}

fn signed_of(raw: u64, bits: u32) -> i64 {
    if bits < 64 && raw & (1 << (bits - 1)) != 0 {
        (raw | (u64::MAX << bits)) as i64
    } else {
        raw as i64
    }
}

/// Redis's overflow check of `value + incr` in `bits` bits: `None` when it fits, else
/// what WRAP or SAT make of it (FAIL: the same, unused).
fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max = (1u64 << bits) - 1;
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let wrap = || value.wrapping_add(incr as u64) & max;
    if value > max || (incr > 0 && incr > maxincr) {
        Some(if ow == Overflow::Sat { max } else { wrap() })
    } else if incr < 0 && incr < minincr {
        Some(if ow == Overflow::Sat { 0 } else { wrap() })
    } else {
        None
    }
}

fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let c = (value as u64).wrapping_add(incr as u64);
        if bits == 64 {
            c as i64
        } else {
            signed_of(c & ((1u64 << bits) - 1), bits)
        }
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        Some(if ow == Overflow::Sat { max } else { wrap() })
    } else if value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr) {
        Some(if ow == Overflow::Sat { min } else { wrap() })
    } else {
        None
    }
}

/// One SET or INCRBY on `p`: its reply (nil when FAIL refuses it) and whether it changed
/// the field.
fn write(p: &mut [u8], op: &Op) -> (Reply, bool) {
    let old_raw = get_bits(p, op.offset, op.bits);
    let (new_raw, reply, overflowed) = if op.signed {
        let old = signed_of(old_raw, op.bits);
        let (base, incr) = if op.kind == Kind::Incrby { (old, op.value) } else { (op.value, 0) };
        let over = signed_overflow(base, incr, op.bits, op.overflow);
        let new = over.unwrap_or(base.wrapping_add(incr));
        (new as u64, if op.kind == Kind::Incrby { new } else { old }, over.is_some())
    } else {
        let (base, incr) = if op.kind == Kind::Incrby { (old_raw, op.value) } else { (op.value as u64, 0) };
        let over = unsigned_overflow(base, incr, op.bits, op.overflow);
        let new = over.unwrap_or(base.wrapping_add(incr as u64));
        (new, (if op.kind == Kind::Incrby { new } else { old_raw }) as i64, over.is_some())
    };
    if overflowed && op.overflow == Overflow::Fail {
        return (Reply::Nil, false);
    }
    let mask = if op.bits == 64 { u64::MAX } else { (1u64 << op.bits) - 1 };
    set_bits(p, op.offset, op.bits, new_raw & mask);
    (Reply::Int(reply), new_raw & mask != old_raw)
}

fn read(p: &[u8], op: &Op) -> Reply {
    let raw = get_bits(p, op.offset, op.bits);
    Reply::Int(if op.signed { signed_of(raw, op.bits) } else { raw as i64 })
}

/// BITFIELD key [GET type offset | SET type offset value | INCRBY type offset increment |
/// OVERFLOW WRAP|SAT|FAIL ...].
pub fn bitfield(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    run(ctx, words, false)
}

/// BITFIELD_RO key [GET type offset ...].
pub fn bitfield_ro(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    run(ctx, words, true)
}

fn run(ctx: &mut Ctx<'_>, words: &[Vec<u8>], read_only: bool) -> CmdResult {
    let key = &words[0][..];
    let ops = parse(ctx, &words[1..])?;
    let highest = ops.iter().filter(|o| o.kind != Kind::Get).map(|o| o.offset + u64::from(o.bits) - 1).max();
    let Some(highest) = highest else {
        let data = read_str(ctx, key)?.unwrap_or_default();
        return Ok(Reply::Array(ops.iter().map(|o| read(&data, o)).collect()));
    };
    if read_only {
        return Err(Reply::err(error::BITFIELD_RO_GET_ONLY));
    }
    // From 7.0 a created or grown string counts as a change (a write, `setbit`) even when
    // the fields written keep their value; 6.2 counts changed fields only.
    let growth_counts = ctx.profile().redis_at_least(7, 0);
    let ((replies, changed), grown) = edit_grown(ctx, key, (highest >> 3) as usize + 1, |d| {
        let mut changed = 0;
        let replies: Vec<Reply> = ops
            .iter()
            .map(|o| match o.kind {
                Kind::Get => read(d, o),
                _ => {
                    let (r, field_changed) = write(d, o);
                    changed += usize::from(field_changed);
                    r
                }
            })
            .collect();
        (replies, changed)
    })?;
    let written = replies.iter().zip(&ops).any(|(r, o)| o.kind != Kind::Get && *r != Reply::Nil);
    if changed > 0 || (growth_counts && grown && written) {
        ctx.touched(key);
        ctx.notify(NOTIFY_STRING, "setbit", key);
    }
    Ok(Reply::Array(replies))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_and_write_most_significant_bit_first() {
        let mut p = vec![0u8; 3];
        set_bits(&mut p, 4, 8, 0xab);
        assert_eq!(p, [0x0a, 0xb0, 0x00]);
        assert_eq!(get_bits(&p, 4, 8), 0xab);
        assert_eq!(get_bits(&p, 20, 8), 0, "past the end reads zeros");
        assert_eq!(signed_of(0xff, 8), -1);
        assert_eq!(signed_of(0x7f, 8), 127);
    }

    #[test]
    fn overflow_wraps_saturates_or_fails() {
        assert_eq!(unsigned_overflow(250, 10, 8, Overflow::Wrap), Some(4));
        assert_eq!(unsigned_overflow(250, 10, 8, Overflow::Sat), Some(255));
        assert_eq!(unsigned_overflow(5, -10, 8, Overflow::Sat), Some(0));
        assert_eq!(unsigned_overflow(5, -5, 8, Overflow::Wrap), None);
        assert_eq!(signed_overflow(127, 1, 8, Overflow::Wrap), Some(-128));
        assert_eq!(signed_overflow(-128, -1, 8, Overflow::Sat), Some(-128));
        assert_eq!(signed_overflow(i64::MAX, 1, 64, Overflow::Wrap), Some(i64::MIN));
        assert_eq!(signed_overflow(200, 0, 8, Overflow::Wrap), Some(-56));
    }
}
