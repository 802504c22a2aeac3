//! The RDB serialization that DUMP-style payloads use: length and string encodings
//! (integers, LZF where Redis compresses), and the payload's footer (the RDB version, two
//! bytes little-endian, then the CRC-64 of everything before it). FUNCTION DUMP/RESTORE
//! and key DUMP/RESTORE use it; [`object`] holds the value types, [`packed`] the
//! listpacks, ziplists and intsets inside them.

mod crc64;
mod lzf;
pub mod object;
pub mod packed;
pub mod stream;

pub use crc64::crc64;

use crate::spec::{Profile, ServerKind};

/// Opcode of one function library in an RDB stream (its code, shebang included).
pub const OPCODE_FUNCTION2: u8 = 245;
/// The 7.0 release candidates' library opcode (name, engine, description, code).
pub const OPCODE_FUNCTION_PRE_GA: u8 = 246;

/// The RDB version the pinned server writes (and the newest it reads): Redis 6.2 9,
/// 7.0 10, 7.2 11, 7.4 and 8.x 12; Valkey 11 up to 8.x and 80 from 9.0.
pub fn version(p: &Profile) -> u16 {
    if p.is(ServerKind::Valkey) {
        return if p.version.major >= 9 { 80 } else { 11 };
    }
    let v = p.redis_compat_version();
    match (v.major, v.minor) {
        (..=6, _) => 9,
        (7, 0) => 10,
        (7, 1..=2) => 11,
        _ => 12,
    }
}

/// Appends a length in RDB's encoding (6, 14, 32 or 64 bits).
pub fn save_len(out: &mut Vec<u8>, n: u64) {
    if n < 1 << 6 {
        out.push(n as u8);
    } else if n < 1 << 14 {
        out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
    } else if n <= u64::from(u32::MAX) {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Appends a string as `rdbSaveRawString` writes it: a short decimal integer as one, a
/// string over 20 bytes LZF-compressed when that saves at least 4 bytes, else as is.
pub fn save_string(out: &mut Vec<u8>, s: &[u8]) {
    if s.len() <= 11 {
        if let Some(n) = crate::spec::grammar::parse_i64(s).filter(|n| n.to_string().as_bytes() == s) {
            if let Ok(b) = i8::try_from(n) {
                out.extend_from_slice(&[0xc0, b as u8]);
                return;
            }
            if let Ok(w) = i16::try_from(n) {
                out.push(0xc1);
                out.extend_from_slice(&w.to_le_bytes());
                return;
            }
            if let Ok(d) = i32::try_from(n) {
                out.push(0xc2);
                out.extend_from_slice(&d.to_le_bytes());
                return;
            }
        }
    }
    if s.len() > 20 {
        if let Some(z) = lzf::compress(s, s.len() - 4) {
            out.push(0xc3);
            save_len(out, z.len() as u64);
            save_len(out, s.len() as u64);
            out.extend_from_slice(&z);
            return;
        }
    }
    save_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Ends a payload: the RDB version and the checksum.
pub fn seal(mut payload: Vec<u8>, version: u16) -> Vec<u8> {
    payload.extend_from_slice(&version.to_le_bytes());
    let crc = crc64(0, &payload);
    payload.extend_from_slice(&crc.to_le_bytes());
    payload
}

/// `verifyDumpPayload`: the body of a sealed payload and its RDB version, if the footer
/// is there, the version is one `newest` reads, and the checksum matches.
pub fn unseal(data: &[u8], newest: u16) -> Option<(&[u8], u16)> {
    unseal_with(data, newest, true)
}

/// [`unseal`], checking the checksum only when `verify` (DEBUG SET-SKIP-CHECKSUM-VALIDATION).
pub fn unseal_with(data: &[u8], newest: u16, verify: bool) -> Option<(&[u8], u16)> {
    let body_len = data.len().checked_sub(10)?;
    let v = u16::from_le_bytes([data[body_len], data[body_len + 1]]);
    if v > newest {
        return None;
    }
    if !verify {
        return Some((&data[..body_len], v));
    }
    let crc = u64::from_le_bytes(data[body_len + 2..].try_into().ok()?);
    (crc64(0, &data[..body_len + 2]) == crc).then_some((&data[..body_len], v))
}

/// Reads an RDB stream; every read answers `None` at a short or malformed input.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn byte(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }

    /// A length, or (true, n) for a special encoding `n` (an integer or LZF string).
    pub fn len(&mut self) -> Option<(bool, u64)> {
        let b = self.byte()?;
        Some(match b >> 6 {
            0 => (false, u64::from(b & 0x3f)),
            1 => (false, (u64::from(b & 0x3f) << 8) | u64::from(self.byte()?)),
            2 => match b {
                0x80 => (false, u64::from(u32::from_be_bytes(self.take(4)?.try_into().ok()?))),
                0x81 => (false, u64::from_be_bytes(self.take(8)?.try_into().ok()?)),
                _ => return None,
            },
            _ => (true, u64::from(b & 0x3f)),
        })
    }

    /// A double as text (`rdbLoadDoubleValue`: a length byte, 253-255 for NaN and the
    /// infinities).
    pub fn double(&mut self) -> Option<f64> {
        match self.byte()? {
            253 => Some(f64::NAN),
            254 => Some(f64::INFINITY),
            255 => Some(f64::NEG_INFINITY),
            n => crate::spec::grammar::parse_f64(self.take(usize::from(n))?),
        }
    }

    /// A string in any of the encodings `save_string` writes.
    pub fn string(&mut self) -> Option<Vec<u8>> {
        let (special, n) = self.len()?;
        if !special {
            return Some(self.take(usize::try_from(n).ok()?)?.to_vec());
        }
        Some(match n {
            0 => (self.byte()? as i8).to_string().into_bytes(),
            1 => i16::from_le_bytes(self.take(2)?.try_into().ok()?).to_string().into_bytes(),
            2 => i32::from_le_bytes(self.take(4)?.try_into().ok()?).to_string().into_bytes(),
            3 => {
                let (false, clen) = self.len()? else { return None };
                let (false, len) = self.len()? else { return None };
                let z = self.take(usize::try_from(clen).ok()?)?;
                // Never allocate more than the data could expand to (LZF grows at most
                // 264 bytes from every 2).
                let len = usize::try_from(len).ok().filter(|&l| l <= z.len().saturating_mul(133))?;
                lzf::decompress(z, len)?
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_in_every_encoding() {
        let long = b"#!lua name=lib\nredis.register_function('f', function() return 'hello hello hello' end)";
        for s in [&b"0"[..], b"-128", b"300", b"-40000", b"2147483647", b"2147483648", b"007", b"abc", &long[..]] {
            let mut out = Vec::new();
            save_string(&mut out, s);
            let mut r = Reader::new(&out);
            assert_eq!(r.string().as_deref(), Some(s));
            assert!(r.at_end());
        }
        let mut out = Vec::new();
        save_string(&mut out, b"-128");
        assert_eq!(out, [0xc0, 0x80]);
    }

    #[test]
    fn a_sealed_payload_unseals_and_a_damaged_one_does_not() {
        let sealed = seal(vec![1, 2, 3], 10);
        assert_eq!(unseal(&sealed, 10), Some((&[1u8, 2, 3][..], 10)));
        assert_eq!(unseal(&sealed, 9), None, "too new");
        let mut bad = sealed.clone();
        bad[0] ^= 1;
        assert_eq!(unseal(&bad, 10), None);
        assert_eq!(unseal(&sealed[..9], 10), None);
    }

    #[test]
    fn lengths_in_each_width() {
        for n in [0u64, 63, 64, 16383, 16384, u64::from(u32::MAX), u64::from(u32::MAX) + 1] {
            let mut out = Vec::new();
            save_len(&mut out, n);
            assert_eq!(Reader::new(&out).len(), Some((false, n)));
        }
    }
}
