//! Cluster mode (`cluster-enabled yes`): one node serving all 16384 hash slots. Keys map
//! to slots by CRC16 (XMODEM) of the key or of its hash tag (the part between the first
//! `{` and the next `}`, when not empty); a command (or a transaction) whose keys are in
//! different slots is refused with CROSSSLOT before it runs.

use crate::spec::Profile;

pub const SLOTS: u16 = 16384;

/// CRC16/XMODEM, as Redis's `crc16`.
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

/// The hash slot of `key` (`keyHashSlot`).
pub fn key_slot(key: &[u8]) -> u16 {
    let tagged = key.iter().position(|&c| c == b'{').and_then(|open| {
        let close = key[open + 1..].iter().position(|&c| c == b'}')?;
        (close > 0).then(|| &key[open + 1..open + 1 + close])
    });
    crc16(tagged.unwrap_or(key)) & (SLOTS - 1)
}

/// Whether the keys of these commands (each an argv) are not all in one slot.
pub fn cross_slot<'a>(p: &Profile, commands: impl IntoIterator<Item = &'a [Vec<u8>]>) -> bool {
    let mut slot = None;
    for argv in commands {
        for k in crate::cmd::server::command::command_keys(p, argv) {
            let s = key_slot(&k);
            if *slot.get_or_insert(s) != s {
                return true;
            }
        }
    }
    false
}

/// A node or shard ID: 40 hex digits from a seed.
pub fn hex_id(seed: u64, salt: u64) -> String {
    let mut x = seed ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..40)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from_digit((x >> 60) as u32, 16).unwrap_or('0')
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_redis_slots() {
        // The values CLUSTER KEYSLOT answers on a real node.
        assert_eq!(crc16(b"123456789"), 0x31c3);
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), key_slot(b"foo{}{bar}"));
        assert_ne!(key_slot(b"foo{}{bar}"), key_slot(b"bar"), "an empty tag hashes the whole key");
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
    }
}
