//! HyperLogLog values: plain strings laid out byte for byte as Redis's `hyperloglog.c` lays
//! them out, so GET, DUMP and SET carry them between the fake and a real server.
//!
//! A 16-byte header (`HYLL`, the encoding byte, three unused bytes, the cached cardinality
//! as a little-endian u64 whose top bit marks it stale) and then the 16384 six-bit
//! registers, either dense (packed from the low bit of each byte up, 12288 bytes) or
//! sparse: a run-length code of `ZERO` (`00xxxxxx`, 1..64 zero registers), `XZERO`
//! (`01xxxxxx yyyyyyyy`, 1..16384 zero registers) and `VAL` (`1vvvvvxx`, 1..4 registers of
//! value 1..32). A sparse string is edited in place exactly as `hllSparseSet` edits it
//! (split the covering opcode, then merge equal neighbouring `VAL`s) and promoted to dense
//! when a value above 32 is needed or it would grow past `hll-sparse-max-bytes`.
//!
//! Reading past a string's end yields 0: what Redis finds in the terminator byte of its
//! strings (a truncated `XZERO` at the very end reads its second byte there).

/// The header's size.
pub const HDR: usize = 16;
/// Registers per HyperLogLog (2^14).
pub const REGISTERS: usize = 1 << 14;
/// The length of a dense HyperLogLog string.
pub const DENSE_SIZE: usize = HDR + REGISTERS * 6 / 8;
/// The encoding byte of a dense string.
pub const DENSE: u8 = 0;
/// The encoding byte of a sparse string.
pub const SPARSE: u8 = 1;
/// The largest value a sparse `VAL` opcode holds.
const SPARSE_VAL_MAX: u8 = 32;
/// Bits of the hash after the register index (64 - 14): a run of zeros is at most 51 long.
const Q: usize = 50;
/// 0.5 / ln(2): the estimator's constant (Redis's 0.721347520444481703680, the same double).
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
/// 2^63: where `llroundl` stops having an answer.
const TWO_63: f64 = (1u64 << 63) as f64;

/// A sparse string whose opcodes do not cover exactly the 16384 registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// MurmurHash64A, endian-neutral, as Redis computes it.
pub fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut k = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        for (i, &b) in rest.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element lands in and the length of its hash's `0...01` run (1..=51).
pub fn pattern(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, 0xadc8_3b19);
    let index = (hash as usize) & (REGISTERS - 1);
    let rest = (hash >> 14) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// An empty HyperLogLog as PFADD and PFMERGE create it: sparse, one `XZERO` of 16384.
pub fn new_sparse() -> Vec<u8> {
    let mut s = b"HYLL".to_vec();
    s.extend_from_slice(&[SPARSE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    push_xzero(&mut s, REGISTERS);
    s
}

/// Whether `s` passes Redis's `isHLLObjectOrReply`: the magic, a known encoding, and a
/// dense string of exactly the dense size (a sparse one may be of any length).
pub fn is_valid(s: &[u8]) -> bool {
    s.len() >= HDR && &s[..4] == b"HYLL" && s[4] <= SPARSE && (s[4] == SPARSE || s.len() == DENSE_SIZE)
}

/// The cached cardinality, unless marked stale.
pub fn cached(s: &[u8]) -> Option<u64> {
    let card = u64::from_le_bytes([s[8], s[9], s[10], s[11], s[12], s[13], s[14], s[15]]);
    (s[15] & 0x80 == 0).then_some(card)
}

/// Stores `card` as the cached cardinality (a value with the top bit set reads as stale).
pub fn set_cached(s: &mut [u8], card: u64) {
    s[8..16].copy_from_slice(&card.to_le_bytes());
}

/// Marks the cached cardinality stale.
pub fn invalidate(s: &mut [u8]) {
    s[15] |= 0x80;
}

fn at(s: &[u8], i: usize) -> usize {
    s.get(i).copied().map_or(0, usize::from)
}

/// Register `i` of the dense registers `regs`.
pub fn dense_get(regs: &[u8], i: usize) -> u8 {
    let (byte, fb) = (i * 6 / 8, (i * 6) & 7);
    let b0 = at(regs, byte);
    let b1 = at(regs, byte + 1);
    (((b0 >> fb) | (b1 << (8 - fb))) & 63) as u8
}

/// Sets dense register `i` to `v` (0..=63).
pub fn dense_put(regs: &mut [u8], i: usize, v: u8) {
    let (byte, fb) = (i * 6 / 8, (i * 6) & 7);
    let v = u32::from(v);
    regs[byte] = ((u32::from(regs[byte]) & !(63 << fb)) | (v << fb)) as u8;
    if let Some(b) = regs.get_mut(byte + 1) {
        *b = ((u32::from(*b) & !(63 >> (8 - fb))) | (v >> (8 - fb))) as u8;
    }
}

/// Raises dense register `i` to `count`: whether it was lower.
pub fn dense_set(regs: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(regs, i) {
        dense_put(regs, i, count);
        return true;
    }
    false
}

/// One sparse opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Zero(usize),
    Xzero(usize),
    Val(u8, usize),
}

/// The opcode at `p` (which must be inside `s`) and its size in bytes.
fn op_at(s: &[u8], p: usize) -> (Op, usize) {
    let b = s[p];
    if b & 0xc0 == 0 {
        (Op::Zero(usize::from(b & 0x3f) + 1), 1)
    } else if b & 0x80 != 0 {
        (Op::Val(((b >> 2) & 0x1f) + 1, usize::from(b & 3) + 1), 1)
    } else {
        (Op::Xzero(((usize::from(b & 0x3f) << 8) | at(s, p + 1)) + 1), 2)
    }
}

fn val_byte(v: u8, len: usize) -> u8 {
    0x80 | ((v - 1) << 2) | (len as u8 - 1)
}

fn push_xzero(s: &mut Vec<u8>, len: usize) {
    let l = len - 1;
    s.push(0x40 | (l >> 8) as u8);
    s.push((l & 0xff) as u8);
}

/// A run of `len` zero registers as `hllSparseSet` writes one: ZERO up to 64, else XZERO.
fn push_zeros(s: &mut Vec<u8>, len: usize) {
    if len > 64 {
        push_xzero(s, len);
    } else {
        s.push(len as u8 - 1);
    }
}

/// Walks the sparse opcodes of `s` as `hllSparseToDense` and `hllMerge` do, calling `f` for
/// every register a `VAL` sets. Corrupt unless the opcodes cover exactly the 16384
/// registers; a `VAL` that would pass the last register is corrupt too, as Debian's
/// 7.0.15 (the oracle, with its later hardening of the sparse walk) answers: upstream
/// 7.0.15's code only stopped the walk there, so runs that reached 16384 first passed.
fn walk_sparse(s: &[u8], mut f: impl FnMut(usize, u8)) -> Result<(), Corrupt> {
    let (mut p, mut idx) = (HDR, 0usize);
    while p < s.len() {
        let (op, size) = op_at(s, p);
        match op {
            Op::Zero(n) | Op::Xzero(n) => idx += n,
            Op::Val(v, n) => {
                if idx + n > REGISTERS {
                    return Err(Corrupt);
                }
                for i in idx..idx + n {
                    f(i, v);
                }
                idx += n;
            }
        }
        p += size;
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// The dense form of a HyperLogLog (`hllSparseToDense`): the header is kept (cached
/// cardinality and unused bytes too) with the encoding set to dense. A dense input comes
/// back as it is.
pub fn to_dense(s: &[u8]) -> Result<Vec<u8>, Corrupt> {
    if s[4] == DENSE {
        return Ok(s.to_vec());
    }
    let mut d = vec![0u8; DENSE_SIZE];
    d[..HDR].copy_from_slice(&s[..HDR]);
    d[4] = DENSE;
    walk_sparse(s, |i, v| dense_put(&mut d[HDR..], i, v))?;
    Ok(d)
}

/// Raises register `index` of the HyperLogLog `s` to `count` (`hllSparseSet` for a sparse
/// one, with its promotion): whether it changed.
pub fn set(s: &mut Vec<u8>, max_sparse: usize, index: usize, count: u8) -> Result<bool, Corrupt> {
    match s[4] {
        DENSE => Ok(dense_set(&mut s[HDR..], index, count)),
        SPARSE => sparse_set(s, max_sparse, index, count),
        _ => Err(Corrupt),
    }
}

/// Adds `ele` (`hllAdd`): whether a register changed.
pub fn add(s: &mut Vec<u8>, max_sparse: usize, ele: &[u8]) -> Result<bool, Corrupt> {
    let (index, count) = pattern(ele);
    set(s, max_sparse, index, count)
}

fn promote(s: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    *s = to_dense(s)?;
    // A promotion always raises the register: it held at most 32 and `count` is higher,
    // or the sparse string was about to grow for it.
    dense_set(&mut s[HDR..], index, count);
    Ok(true)
}

fn sparse_set(s: &mut Vec<u8>, max_sparse: usize, index: usize, count: u8) -> Result<bool, Corrupt> {
    if count > SPARSE_VAL_MAX {
        return promote(s, index, count);
    }
    // Find the opcode covering `index`.
    let end = s.len();
    let (mut p, mut first, mut prev, mut found) = (HDR, 0usize, None, None);
    while p < end {
        let (op, size) = op_at(s, p);
        let span = match op {
            Op::Zero(n) | Op::Xzero(n) | Op::Val(_, n) => n,
        };
        if index < first + span {
            found = Some((op, size, span));
            break;
        }
        prev = Some(p);
        p += size;
        first += span;
    }
    let Some((op, oldlen, span)) = found else { return Err(Corrupt) };
    let done = |s: &mut Vec<u8>| {
        merge_vals(s, prev.unwrap_or(HDR));
        invalidate(s);
        Ok(true)
    };
    match op {
        Op::Val(old, _) if old >= count => return Ok(false),
        Op::Val(_, 1) | Op::Zero(1) => {
            s[p] = val_byte(count, 1);
            return done(s);
        }
        _ => {}
    }
    // Split the opcode around the register.
    let last = first + span - 1;
    let mut seq = Vec::with_capacity(5);
    match op {
        Op::Val(cur, _) => {
            if index != first {
                seq.push(val_byte(cur, index - first));
            }
            seq.push(val_byte(count, 1));
            if index != last {
                seq.push(val_byte(cur, last - index));
            }
        }
        Op::Zero(_) | Op::Xzero(_) => {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val_byte(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        }
    }
    let grows = seq.len() > oldlen;
    if grows && s.len() + (seq.len() - oldlen) > max_sparse {
        return promote(s, index, count);
    }
    let new_len = s.len() + seq.len() - oldlen;
    if p + oldlen < end {
        s.splice(p..p + oldlen, seq);
    } else {
        // The last opcode (or an XZERO cut short by the string's end): Redis writes the
        // sequence over it and the string's length moves by the size difference.
        s.truncate(p);
        s.extend_from_slice(&seq);
        s.truncate(new_len);
    }
    done(s)
}

/// `hllSparseSet`'s last step: from `p`, up to five opcodes are visited and runs of equal
/// `VAL`s that fit in one opcode are joined.
fn merge_vals(s: &mut Vec<u8>, mut p: usize) {
    let mut scan = 5;
    while p < s.len() && scan > 0 {
        scan -= 1;
        let b = s[p];
        if b & 0xc0 == 0x40 {
            p += 2;
            continue;
        }
        if b & 0xc0 == 0 {
            p += 1;
            continue;
        }
        if let Some(&n) = s.get(p + 1) {
            if n & 0x80 != 0 {
                let (v1, v2) = (((b >> 2) & 0x1f) + 1, ((n >> 2) & 0x1f) + 1);
                let len = usize::from(b & 3) + usize::from(n & 3) + 2;
                if v1 == v2 && len <= 4 {
                    s[p + 1] = val_byte(v1, len);
                    s.remove(p);
                    continue;
                }
            }
        }
        p += 1;
    }
}

/// Raises every register of `max` to the HyperLogLog's (`hllMerge`).
pub fn merge_into(max: &mut [u8], s: &[u8]) -> Result<(), Corrupt> {
    if s[4] == DENSE {
        for (i, m) in max.iter_mut().enumerate().take(REGISTERS) {
            *m = (*m).max(dense_get(&s[HDR..], i));
        }
        return Ok(());
    }
    walk_sparse(s, |i, v| max[i] = max[i].max(v))
}

/// How many registers hold each value (`hllDenseRegHisto` / `hllSparseRegHisto`).
pub fn histogram(s: &[u8]) -> Result<[u64; 64], Corrupt> {
    let mut h = [0u64; 64];
    if s[4] == DENSE {
        for i in 0..REGISTERS {
            h[usize::from(dense_get(&s[HDR..], i))] += 1;
        }
        return Ok(h);
    }
    let (mut p, mut idx) = (HDR, 0usize);
    while p < s.len() {
        let (op, size) = op_at(s, p);
        let (v, n) = match op {
            Op::Zero(n) | Op::Xzero(n) => (0, n),
            Op::Val(v, n) => (usize::from(v), n),
        };
        h[v] += n as u64;
        idx += n;
        p += size;
    }
    if idx == REGISTERS {
        Ok(h)
    } else {
        Err(Corrupt)
    }
}

/// The histogram of plain one-byte registers (PFCOUNT's union of several keys).
pub fn raw_histogram(regs: &[u8]) -> [u64; 64] {
    let mut h = [0u64; 64];
    for &r in regs {
        h[usize::from(r & 63)] += 1;
    }
    h
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if before == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        let d = 1.0 - x;
        z -= d * d * y;
        if before == z {
            return z / 3.0;
        }
    }
}

/// The estimate from a register histogram: Otmar Ertl's improved estimator in Redis's
/// order of floating-point steps, rounded as `llroundl` rounds (an estimate past i64 is
/// i64::MIN, which Redis then reads back as the unsigned 2^63).
pub fn estimate(h: &[u64; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - h[Q + 1] as f64) / m);
    for j in (1..=Q).rev() {
        z += h[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(h[0] as f64 / m);
    let e = ALPHA_INF * m * m / z;
    let r = e.round();
    let rounded = if r.is_nan() || !(-TWO_63..TWO_63).contains(&r) { i64::MIN } else { r as i64 };
    // `(uint64_t)(double)llroundl(...)`.
    let back = rounded as f64;
    if back < 0.0 {
        back as i64 as u64
    } else {
        back as u64
    }
}

/// The estimate of a HyperLogLog string.
pub fn count(s: &[u8]) -> Result<u64, Corrupt> {
    histogram(s).map(|h| estimate(&h))
}

/// PFDEBUG DECODE's rendering of a sparse string's opcodes (`z:N`, `Z:N`, `v:V,N`).
pub fn decode(s: &[u8]) -> String {
    let mut out = Vec::new();
    let mut p = HDR;
    while p < s.len() {
        let (op, size) = op_at(s, p);
        out.push(match op {
            Op::Zero(n) => format!("z:{n}"),
            Op::Xzero(n) => format!("Z:{n}"),
            Op::Val(v, n) => format!("v:{v},{n}"),
        });
        p += size;
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_one_xzero() {
        let s = new_sparse();
        assert_eq!(s.len(), 18);
        assert_eq!(&s[16..], &[0x7f, 0xff]);
        assert_eq!(decode(&s), "Z:16384");
        assert_eq!(count(&s), Ok(0));
    }

    #[test]
    fn dense_registers_round_trip() {
        let mut regs = vec![0u8; DENSE_SIZE - HDR];
        for i in 0..REGISTERS {
            dense_put(&mut regs, i, (i * 7 % 64) as u8);
        }
        for i in 0..REGISTERS {
            assert_eq!(dense_get(&regs, i), (i * 7 % 64) as u8);
        }
    }

    #[test]
    fn sparse_split_and_merge() {
        let mut s = new_sparse();
        assert_eq!(sparse_set(&mut s, 3000, 1000, 2), Ok(true));
        assert_eq!(decode(&s), "Z:1000 v:2,1 Z:15383");
        assert_eq!(sparse_set(&mut s, 3000, 1001, 2), Ok(true));
        assert_eq!(decode(&s), "Z:1000 v:2,2 Z:15382");
        assert_eq!(sparse_set(&mut s, 3000, 1001, 1), Ok(false));
        assert_eq!(sparse_set(&mut s, 3000, 0, 40), Ok(true));
        assert_eq!(s[4], DENSE);
        assert_eq!(dense_get(&s[HDR..], 1001), 2);
    }
}
