//! LZF as Redis's RDB writer uses it (liblzf 3.6 built with HLOG 16 and VERY_FAST): the
//! compressor reproduces its choices (the hash of three bytes, one candidate per slot,
//! the two slots filled after each match, literal runs of at most 32 bytes, matches of
//! at most 264 bytes within 8 KiB) so that compressed strings come out as Redis writes
//! them, and the decompressor refuses anything that would read or write out of bounds.

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

fn first(p: &[u8], i: usize) -> u32 {
    (u32::from(p[i]) << 8) | u32::from(p[i + 1])
}

fn next(v: u32, p: &[u8], i: usize) -> u32 {
    (v << 8) | u32::from(p[i + 2])
}

fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// One more literal byte; a run that reaches 32 bytes is closed (its length byte written
/// before it) and a new one started.
fn push_literal(out: &mut [u8], op: &mut usize, lit: &mut usize, b: u8) {
    *lit += 1;
    out[*op] = b;
    *op += 1;
    if *lit == MAX_LIT {
        out[*op - *lit - 1] = (*lit - 1) as u8;
        *lit = 0;
        *op += 1;
    }
}

/// Compresses `input` into at most `out_len` bytes, or `None` when it does not fit (as
/// `lzf_compress` answers 0). The hash table starts empty (liblzf leaves it as the stack
/// happens to be; a stale slot only ever yields another valid match).
pub fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    if input.is_empty() || out_len == 0 {
        return None;
    }
    // Slots hold positions + 1 (0: empty), as liblzf's offsets from the input's start.
    let mut htab = vec![0usize; HSIZE];
    let mut out = vec![0u8; out_len + 3];
    let end = input.len();
    let (mut ip, mut op, mut lit) = (0usize, 1usize, 0usize);
    let mut hval = if end >= 2 { first(input, 0) } else { 0 };
    while ip + 2 < end {
        hval = next(hval, input, ip);
        let slot = idx(hval);
        let candidate = htab[slot].checked_sub(1);
        htab[slot] = ip + 1;
        let hit = candidate.filter(|&r| {
            r < ip
                && ip - r - 1 < MAX_OFF
                && r > 0
                && input[r + 2] == input[ip + 2]
                && input[r..r + 2] == input[ip..ip + 2]
        });
        let Some(r) = hit else {
            if op >= out_len {
                return None;
            }
            push_literal(&mut out, &mut op, &mut lit, input[ip]);
            ip += 1;
            continue;
        };
        let off = ip - r - 1;
        let maxlen = (end - ip - 2).min(MAX_REF);
        if op + 4 >= out_len && op - usize::from(lit == 0) + 4 >= out_len {
            return None;
        }
        out[op - lit - 1] = lit.wrapping_sub(1) as u8;
        op -= usize::from(lit == 0);
        let mut len = 2;
        let mut matched = false;
        if maxlen > 16 {
            for _ in 0..16 {
                len += 1;
                if input[r + len] != input[ip + len] {
                    matched = true;
                    break;
                }
            }
        }
        if !matched {
            loop {
                len += 1;
                if !(len < maxlen && input[r + len] == input[ip + len]) {
                    break;
                }
            }
        }
        len -= 2;
        ip += 1;
        if len < 7 {
            out[op] = ((off >> 8) + (len << 5)) as u8;
            op += 1;
        } else {
            out[op] = ((off >> 8) + (7 << 5)) as u8;
            out[op + 1] = (len - 7) as u8;
            op += 2;
        }
        out[op] = off as u8;
        op += 1;
        lit = 0;
        op += 1;
        ip += len + 1;
        if ip + 2 >= end {
            break;
        }
        ip -= 2;
        hval = first(input, ip);
        hval = next(hval, input, ip);
        htab[idx(hval)] = ip + 1;
        ip += 1;
        hval = next(hval, input, ip);
        htab[idx(hval)] = ip + 1;
        ip += 1;
    }
    if op + 3 > out_len {
        return None;
    }
    while ip < end {
        push_literal(&mut out, &mut op, &mut lit, input[ip]);
        ip += 1;
    }
    out[op - lit - 1] = lit.wrapping_sub(1) as u8;
    op -= usize::from(lit == 0);
    out.truncate(op);
    Some(out)
}

/// Decompresses `input` into exactly `out_len` bytes, or `None` for data that is not
/// LZF or does not come to that length.
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    // A payload may claim up to 133 times its size: reserved fallibly, never an abort.
    let mut out = Vec::new();
    out.try_reserve_exact(out_len).ok()?;
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            let lit = input.get(ip..ip + n)?;
            if out.len() + n > out_len {
                return None;
            }
            out.extend_from_slice(lit);
            ip += n;
            continue;
        }
        let mut len = ctrl >> 5;
        if len == 7 {
            len += usize::from(*input.get(ip)?);
            ip += 1;
        }
        let low = usize::from(*input.get(ip)?);
        ip += 1;
        let back = ((ctrl & 0x1f) << 8) + low + 1;
        let from = out.len().checked_sub(back)?;
        if out.len() + len + 2 > out_len {
            return None;
        }
        for k in 0..len + 2 {
            let b = out[from + k];
            out.push(b);
        }
    }
    (out.len() == out_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_shrinks_repetitive_text() {
        let text = b"#!lua name=mylib\nredis.register_function('f', function() return 'f f f f f f' end)".to_vec();
        let repeated: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 13) as u8 + b'a').collect();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..3000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect();
        for (c, shrinks) in [(text, true), (vec![b'a'; 68], true), (repeated, true), (noise, false)] {
            match compress(&c, c.len() - 4) {
                Some(z) => {
                    assert!(shrinks, "noise does not compress");
                    assert!(z.len() <= c.len() - 4);
                    assert_eq!(decompress(&z, c.len()).as_deref(), Some(&c[..]));
                }
                None => assert!(!shrinks, "{} bytes should compress", c.len()),
            }
        }
    }

    #[test]
    fn a_run_of_one_byte_is_a_literal_then_back_references() {
        // liblzf's output for 40 x 'a': two literals (the hash of the first three bytes
        // differs from the next, whose high bits are full), a match of 36 at offset 0
        // (the two bytes before it), then the last two bytes as literals.
        let z = compress(&[b'a'; 40], 36).unwrap();
        assert_eq!(z, vec![0x01, b'a', b'a', 0xe0, 27, 0x00, 0x01, b'a', b'a']);
    }

    #[test]
    fn bad_input_is_refused_not_panicked_on() {
        assert_eq!(decompress(&[0x20, 0x00], 10), None, "a reference before the start");
        assert_eq!(decompress(&[0x05, b'a'], 6), None, "a literal past the end");
        assert_eq!(decompress(&[0x00, b'a'], 2), None, "short of the length");
        assert_eq!(decompress(&[0x00, b'a', 0xe0], 40), None, "a cut reference");
    }
}
