//! The packed blobs inside RDB payloads: listpacks (Redis 7.0+), ziplists (up to 6.2) and
//! intsets. Writers produce exactly the bytes Redis's `lpAppend`, `ziplistPush` and
//! `intsetAdd` leave behind for the same elements appended in order (each element in its
//! smallest integer form when it reads as one); readers validate everything (lengths,
//! back-lengths, the terminator, the header's counts) and answer `None` on any damage, as
//! Redis's deep sanitization would refuse it, never reading out of bounds.

use crate::spec::grammar::parse_i64;

/// Listpack's and ziplist's integer test (`lpStringToInt64`, `string2ll`): a canonical
/// decimal of at most 20 bytes (`ziplist` allows 31, which no canonical i64 reaches).
fn as_int(v: &[u8]) -> Option<i64> {
    if v.is_empty() || v.len() > 20 {
        return None;
    }
    parse_i64(v).filter(|n| n.to_string().as_bytes() == v)
}

/// One element as a listpack holds it: the encoding and data, then the back-length.
fn lp_entry(out: &mut Vec<u8>, v: &[u8]) {
    let start = out.len();
    match as_int(v) {
        Some(n) if (0..=127).contains(&n) => out.push(n as u8),
        Some(n) if (-4096..=4095).contains(&n) => {
            let u = (n & 0x1fff) as u16;
            out.extend_from_slice(&[0xc0 | (u >> 8) as u8, u as u8]);
        }
        Some(n) if (-32768..=32767).contains(&n) => {
            out.push(0xf1);
            out.extend_from_slice(&(n as i16).to_le_bytes());
        }
        Some(n) if (-8_388_608..=8_388_607).contains(&n) => {
            out.push(0xf2);
            out.extend_from_slice(&(n as i32).to_le_bytes()[..3]);
        }
        Some(n) if i32::try_from(n).is_ok() => {
            out.push(0xf3);
            out.extend_from_slice(&(n as i32).to_le_bytes());
        }
        Some(n) => {
            out.push(0xf4);
            out.extend_from_slice(&n.to_le_bytes());
        }
        None if v.len() < 64 => {
            out.push(0x80 | v.len() as u8);
            out.extend_from_slice(v);
        }
        None if v.len() < 4096 => {
            out.extend_from_slice(&[0xe0 | (v.len() >> 8) as u8, v.len() as u8]);
            out.extend_from_slice(v);
        }
        None => {
            out.push(0xf0);
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
            out.extend_from_slice(v);
        }
    }
    push_backlen(out, (out.len() - start) as u64);
}

/// The back-length of an entry of `l` bytes: 7 bits per byte, most significant first,
/// all but the first byte flagged, so that it reads from its last byte backwards.
fn push_backlen(out: &mut Vec<u8>, l: u64) {
    let n = crate::db::backlen_size(l as usize) as u32;
    for i in (0..n).rev() {
        let b = ((l >> (7 * i)) & 127) as u8;
        out.push(if i == n - 1 { b } else { b | 128 });
    }
}

/// A listpack of `items` in order.
pub fn listpack<'v>(items: impl IntoIterator<Item = &'v [u8]>) -> Vec<u8> {
    let mut out = vec![0; 6];
    let mut n = 0usize;
    for v in items {
        lp_entry(&mut out, v);
        n += 1;
    }
    out.push(0xff);
    let total = out.len() as u32;
    out[..4].copy_from_slice(&total.to_le_bytes());
    out[4..6].copy_from_slice(&(n.min(65535) as u16).to_le_bytes());
    out
}

/// Little-endian integer of `b` (at most 8 bytes), sign-extended from its width.
fn le_signed(b: &[u8]) -> i64 {
    let mut buf = [0u8; 8];
    buf[..b.len()].copy_from_slice(b);
    let v = u64::from_le_bytes(buf);
    let shift = 64 - 8 * b.len() as u32;
    ((v << shift) as i64) >> shift
}

/// The elements of a listpack, or `None` when it is damaged in any way.
pub fn read_listpack(lp: &[u8]) -> Option<Vec<Vec<u8>>> {
    if lp.len() < 7 || u32::from_le_bytes(lp[..4].try_into().ok()?) as usize != lp.len() {
        return None;
    }
    let count = u16::from_le_bytes([lp[4], lp[5]]);
    let mut items = Vec::new();
    let mut p = 6;
    loop {
        let b = *lp.get(p)?;
        if b == 0xff {
            break;
        }
        let take = |from: usize, n: usize| lp.get(from..from.checked_add(n)?);
        let (v, len): (Vec<u8>, usize) = match b {
            0x00..=0x7f => (b.to_string().into_bytes(), 1),
            0x80..=0xbf => {
                let n = usize::from(b & 0x3f);
                (take(p + 1, n)?.to_vec(), 1 + n)
            }
            0xc0..=0xdf => {
                let u = (u16::from(b & 0x1f) << 8) | u16::from(*lp.get(p + 1)?);
                let n = if u >= 1 << 12 { i64::from(u) - (1 << 13) } else { i64::from(u) };
                (n.to_string().into_bytes(), 2)
            }
            0xe0..=0xef => {
                let n = (usize::from(b & 0x0f) << 8) | usize::from(*lp.get(p + 1)?);
                (take(p + 2, n)?.to_vec(), 2 + n)
            }
            0xf0 => {
                let n = u32::from_le_bytes(take(p + 1, 4)?.try_into().ok()?) as usize;
                (take(p + 5, n)?.to_vec(), 5 + n)
            }
            0xf1..=0xf4 => {
                let w = [2, 3, 4, 8][usize::from(b - 0xf1)];
                (le_signed(take(p + 1, w)?).to_string().into_bytes(), 1 + w)
            }
            _ => return None,
        };
        // The back-length must say exactly `len`.
        let mut back = Vec::new();
        push_backlen(&mut back, len as u64);
        if take(p + len, back.len())? != back.as_slice() {
            return None;
        }
        p += len + back.len();
        items.push(v);
    }
    if p + 1 != lp.len() || (count != 65535 && usize::from(count) != items.len()) {
        return None;
    }
    Some(items)
}

/// A ziplist of `items` in order (the small encoding up to Redis 6.2).
pub fn ziplist<'v>(items: impl IntoIterator<Item = &'v [u8]>) -> Vec<u8> {
    let mut out = vec![0; 10];
    let (mut n, mut prev, mut tail) = (0usize, 0usize, 10usize);
    for v in items {
        tail = out.len();
        let start = out.len();
        if prev < 254 {
            out.push(prev as u8);
        } else {
            out.push(0xfe);
            out.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        match (v.len() < 32).then(|| as_int(v)).flatten() {
            Some(n @ 0..=12) => out.push(0xf1 + n as u8),
            Some(n) if i8::try_from(n).is_ok() => out.extend_from_slice(&[0xfe, n as u8]),
            Some(n) if i16::try_from(n).is_ok() => {
                out.push(0xc0);
                out.extend_from_slice(&(n as i16).to_le_bytes());
            }
            Some(n) if (-8_388_608..=8_388_607).contains(&n) => {
                out.push(0xf0);
                out.extend_from_slice(&(n as i32).to_le_bytes()[..3]);
            }
            Some(n) if i32::try_from(n).is_ok() => {
                out.push(0xd0);
                out.extend_from_slice(&(n as i32).to_le_bytes());
            }
            Some(n) => {
                out.push(0xe0);
                out.extend_from_slice(&n.to_le_bytes());
            }
            None if v.len() < 64 => {
                out.push(v.len() as u8);
                out.extend_from_slice(v);
            }
            None if v.len() < 16384 => {
                out.extend_from_slice(&[0x40 | (v.len() >> 8) as u8, v.len() as u8]);
                out.extend_from_slice(v);
            }
            None => {
                out.push(0x80);
                out.extend_from_slice(&(v.len() as u32).to_be_bytes());
                out.extend_from_slice(v);
            }
        }
        prev = out.len() - start;
        n += 1;
    }
    out.push(0xff);
    let total = out.len() as u32;
    out[..4].copy_from_slice(&total.to_le_bytes());
    out[4..8].copy_from_slice(&(tail as u32).to_le_bytes());
    out[8..10].copy_from_slice(&(n.min(65535) as u16).to_le_bytes());
    out
}

/// The elements of a ziplist, or `None` when it is damaged.
pub fn read_ziplist(zl: &[u8]) -> Option<Vec<Vec<u8>>> {
    if zl.len() < 11 || u32::from_le_bytes(zl[..4].try_into().ok()?) as usize != zl.len() {
        return None;
    }
    let tail = u32::from_le_bytes(zl[4..8].try_into().ok()?) as usize;
    let count = u16::from_le_bytes([zl[8], zl[9]]);
    let (mut items, mut p, mut prev, mut last) = (Vec::new(), 10usize, 0usize, 10usize);
    let take = |from: usize, n: usize| zl.get(from..from.checked_add(n)?);
    while *zl.get(p)? != 0xff {
        let start = p;
        let prevlen = if zl[p] < 254 {
            p += 1;
            usize::from(zl[start])
        } else if zl[p] == 0xfe {
            p += 5;
            u32::from_le_bytes(take(start + 1, 4)?.try_into().ok()?) as usize
        } else {
            return None;
        };
        if prevlen != prev {
            return None;
        }
        let b = *zl.get(p)?;
        let (v, len): (Vec<u8>, usize) = match b >> 6 {
            0 => {
                let n = usize::from(b & 0x3f);
                (take(p + 1, n)?.to_vec(), 1 + n)
            }
            1 => {
                let n = (usize::from(b & 0x3f) << 8) | usize::from(*zl.get(p + 1)?);
                (take(p + 2, n)?.to_vec(), 2 + n)
            }
            2 if b == 0x80 => {
                let n = u32::from_be_bytes(take(p + 1, 4)?.try_into().ok()?) as usize;
                (take(p + 5, n)?.to_vec(), 5 + n)
            }
            2 => return None,
            _ => {
                let (w, n) = match b {
                    0xc0 => (2, None),
                    0xd0 => (4, None),
                    0xe0 => (8, None),
                    0xf0 => (3, None),
                    0xfe => (1, None),
                    0xf1..=0xfd => (0, Some(i64::from(b - 0xf1))),
                    _ => return None,
                };
                let n = match n {
                    Some(n) => n,
                    None => le_signed(take(p + 1, w)?),
                };
                (n.to_string().into_bytes(), 1 + w)
            }
        };
        p += len;
        prev = p - start;
        last = start;
        items.push(v);
    }
    let tail_ok = if items.is_empty() { tail == 10 } else { tail == last };
    if p + 1 != zl.len() || !tail_ok || (count != 65535 && usize::from(count) != items.len()) {
        return None;
    }
    Some(items)
}

/// The intset of `values` (ascending, distinct) in the narrowest width that holds them all.
pub fn intset(values: &[i64]) -> Vec<u8> {
    let width: usize = if values.iter().all(|&v| i16::try_from(v).is_ok()) {
        2
    } else if values.iter().all(|&v| i32::try_from(v).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(8 + width * values.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

/// The members of an intset, or `None` unless it is well-formed, non-empty and strictly
/// ascending (`intsetValidateIntegrity`, deep).
pub fn read_intset(b: &[u8]) -> Option<Vec<i64>> {
    let width = u32::from_le_bytes(b.get(..4)?.try_into().ok()?) as usize;
    let count = u32::from_le_bytes(b.get(4..8)?.try_into().ok()?) as usize;
    if ![2, 4, 8].contains(&width) || count == 0 || count.checked_mul(width)?.checked_add(8)? != b.len() {
        return None;
    }
    let values: Vec<i64> = b[8..].chunks_exact(width).map(le_signed).collect();
    values.windows(2).all(|w| w[0] < w[1]).then_some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = ["0", "12", "13", "127", "128", "-1", "-4096", "4095", "4096", "-32768", "40000"]
            .iter()
            .chain(&["-8388608", "8388608", "2147483647", "-2147483649", "9223372036854775807", "007", "-0"])
            .chain(&["", "a", "hello world", "1.5"])
            .map(|s| s.as_bytes().to_vec())
            .collect();
        v.push(vec![b'x'; 63]);
        v.push(vec![b'y'; 64]);
        v.push(vec![b'z'; 4095]);
        v.push(vec![b'w'; 4096]);
        v.push(vec![b'v'; 20000]);
        v
    }

    #[test]
    fn listpacks_and_ziplists_read_back_what_they_hold() {
        let items = samples();
        let lp = listpack(items.iter().map(Vec::as_slice));
        assert_eq!(read_listpack(&lp), Some(items.clone()));
        let zl = ziplist(items.iter().map(Vec::as_slice));
        assert_eq!(read_ziplist(&zl), Some(items));
        assert_eq!(read_listpack(&listpack([])), Some(vec![]));
        assert_eq!(read_ziplist(&ziplist([])), Some(vec![]));
    }

    #[test]
    fn listpack_bytes_are_redis_bytes() {
        // Header, then 'a' (0x81 'a', backlen 2), 5 (0x05, backlen 1), -1 (13-bit), end.
        let lp = listpack([&b"a"[..], b"5", b"-1"]);
        assert_eq!(lp, [15, 0, 0, 0, 3, 0, 0x81, b'a', 2, 5, 1, 0xdf, 0xff, 2, 0xff]);
    }

    #[test]
    fn damage_anywhere_is_refused() {
        let items = samples();
        let lp = listpack(items.iter().take(12).map(Vec::as_slice));
        let zl = ziplist(items.iter().take(12).map(Vec::as_slice));
        for cut in 0..lp.len() {
            assert_eq!(read_listpack(&lp[..cut]), None);
        }
        for cut in 0..zl.len() {
            assert_eq!(read_ziplist(&zl[..cut]), None);
        }
        let mut bad = lp.clone();
        bad[4] = 1;
        assert_eq!(read_listpack(&bad), None, "count");
    }

    #[test]
    fn intsets_take_the_narrowest_width() {
        assert_eq!(intset(&[1, 2]), [2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 2, 0]);
        for vals in [vec![-5, 70000], vec![i64::MIN, 0, i64::MAX], vec![-32768, 32767]] {
            assert_eq!(read_intset(&intset(&vals)), Some(vals));
        }
        assert_eq!(read_intset(&intset(&[2, 1])), None, "out of order");
        assert_eq!(read_intset(&intset(&[])), None, "empty");
    }
}
