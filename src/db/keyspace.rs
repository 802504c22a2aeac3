//! The keys of one database, compact: every key and its entry in one dense vector (the key
//! inline when short), found through a hash table of 4-byte positions. A hash map of the
//! entries themselves would keep up to twice as many buckets as keys, each as large as a
//! key and its entry; this keeps one slot per key plus five bytes per bucket
//! (`bench/memory.sh`: 91 bytes per small string key in all, as redis-server 7.0.15).
//!
//! A deletion moves the last slot into the hole, so the iteration order is the order of
//! the vector, which no command promises (SCAN has its own, see `scan`).

use hashbrown::HashTable;
use std::hash::BuildHasher;

use super::{Entry, SmallBytes};

#[derive(Debug, Clone)]
struct Slot {
    key: SmallBytes,
    entry: Entry,
}

#[derive(Default, Clone)]
pub struct Keyspace {
    slots: Vec<Slot>,
    index: HashTable<u32>,
    /// Seeded at random per database (see `FastMap`).
    hasher: foldhash::fast::RandomState,
}

impl std::fmt::Debug for Keyspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Keyspace {
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    fn hash(hasher: &foldhash::fast::RandomState, key: &[u8]) -> u64 {
        hasher.hash_one(key)
    }

    /// The position of `key`'s slot.
    pub fn position(&self, key: &[u8]) -> Option<usize> {
        let slots = &self.slots;
        self.index
            .find(Self::hash(&self.hasher, key), |&i| slots[i as usize].key.as_slice() == key)
            .map(|&i| i as usize)
    }

    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.position(key).map(|i| &self.slots[i].entry)
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let i = self.position(key)?;
        Some(&mut self.slots[i].entry)
    }

    pub fn get_key_value(&self, key: &[u8]) -> Option<(&SmallBytes, &Entry)> {
        self.position(key).map(|i| self.at(i))
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.position(key).is_some()
    }

    /// The key and entry at a position (`0..len()`).
    pub fn at(&self, i: usize) -> (&SmallBytes, &Entry) {
        let s = &self.slots[i];
        (&s.key, &s.entry)
    }

    pub fn at_mut(&mut self, i: usize) -> &mut Entry {
        &mut self.slots[i].entry
    }

    /// Adds a key known to be absent.
    pub fn insert_new(&mut self, key: SmallBytes, entry: Entry) {
        let Keyspace { slots, index, hasher } = self;
        let at = u32::try_from(slots.len()).expect("fewer than 2^32 keys in a database");
        let h = Self::hash(hasher, &key);
        slots.push(Slot { key, entry });
        index.insert_unique(h, at, |&i| Self::hash(hasher, &slots[i as usize].key));
    }

    /// Takes `key` out, with its entry.
    pub fn remove(&mut self, key: &[u8]) -> Option<(SmallBytes, Entry)> {
        let Keyspace { slots, index, hasher } = self;
        let found = index.find_entry(Self::hash(hasher, key), |&i| slots[i as usize].key.as_slice() == key).ok()?;
        let (i, _) = found.remove();
        let (i, last) = (i as usize, slots.len() - 1);
        if i != last {
            // The last slot fills the hole: its position in the index changes with it.
            let h = Self::hash(hasher, &slots[last].key);
            if let Some(p) = index.find_mut(h, |&j| j as usize == last) {
                *p = i as u32;
            }
        }
        let s = slots.swap_remove(i);
        Some((s.key, s.entry))
    }

    pub fn clear(&mut self) {
        self.slots = Vec::new();
        self.index = HashTable::new();
    }

    pub fn iter(&self) -> impl Iterator<Item = (&SmallBytes, &Entry)> {
        self.slots.iter().map(|s| (&s.key, &s.entry))
    }

    pub fn keys(&self) -> impl Iterator<Item = &SmallBytes> {
        self.slots.iter().map(|s| &s.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{StrValue, Value};

    fn entry(n: i64) -> Entry {
        Entry { value: Value::Str(StrValue::int(n)), expire_at: None, accessed_ms: n }
    }

    #[test]
    fn insertions_and_removals_keep_every_key_findable() {
        let mut ks = Keyspace::default();
        let mut model = std::collections::BTreeMap::new();
        let mut x = 7u64;
        for step in 0..20_000i64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = format!("key:{}:{}", x % 3000, "x".repeat((x % 40) as usize / 20 * 30)).into_bytes();
            if x.is_multiple_of(3) {
                assert_eq!(
                    ks.remove(&key).map(|(k, e)| (k.to_vec(), e.accessed_ms)),
                    model.remove(&key).map(|n| (key.clone(), n))
                );
            } else if !ks.contains_key(&key) {
                ks.insert_new(SmallBytes::from(key.clone()), entry(step));
                model.insert(key, step);
            }
            assert_eq!(ks.len(), model.len());
        }
        for (k, n) in &model {
            assert_eq!(ks.get(k).map(|e| e.accessed_ms), Some(*n));
        }
        let mut seen: Vec<Vec<u8>> = ks.keys().map(|k| k.to_vec()).collect();
        seen.sort();
        assert_eq!(seen, model.keys().cloned().collect::<Vec<_>>());
    }
}
