//! The cursor SCAN (and later HSCAN, SSCAN, ZSCAN) walks a keyspace with.
//!
//! Keys are ordered by a fixed 64-bit hash and the cursor is the hash to resume from. Keys
//! that share a hash form one group that a call returns whole, so a collision can neither
//! loop the cursor nor repeat a key. This gives Redis's guarantees by construction: every
//! key present for the whole iteration is returned exactly once, whatever is added or
//! removed in between (keys added meanwhile may or may not be seen), the cursor always
//! advances, and a call costs O(log n + COUNT) whatever the keys.
//!
//! The index is built on the first SCAN of a keyspace and kept up to date from then on, so
//! a keyspace nobody scans pays nothing for it.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use bytes::Bytes;

/// The position of a key in SCAN order. `DefaultHasher::new` has fixed keys, so the order is
/// the same on every run of a build.
pub fn scan_hash(key: &[u8]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// Keys of one hash: nearly always one.
#[derive(Debug, Clone)]
enum Group<K> {
    One(K),
    Many(Vec<K>),
}

/// The index over keys of type `K` (a handle to their bytes, cloned cheaply).
#[derive(Debug, Clone)]
pub struct ScanOrder<K = Bytes> {
    groups: BTreeMap<u64, Group<K>>,
    hash: fn(&[u8]) -> u64,
}

impl<K: Clone + AsRef<[u8]>> Default for ScanOrder<K> {
    fn default() -> Self {
        ScanOrder::with_hash(scan_hash)
    }
}

impl<K: Clone + AsRef<[u8]>> ScanOrder<K> {
    /// An empty index ordering keys by `hash` (tests use a colliding one).
    pub fn with_hash(hash: fn(&[u8]) -> u64) -> ScanOrder<K> {
        ScanOrder { groups: BTreeMap::new(), hash }
    }

    pub fn build<'k>(keys: impl Iterator<Item = &'k K>) -> ScanOrder<K>
    where
        K: 'k,
    {
        let mut o = ScanOrder::default();
        for k in keys {
            o.insert(k);
        }
        o
    }

    /// Adds a key that is not in the index yet.
    pub fn insert(&mut self, key: &K) {
        use std::collections::btree_map::Entry;
        match self.groups.entry((self.hash)(key.as_ref())) {
            Entry::Vacant(v) => {
                v.insert(Group::One(key.clone()));
            }
            Entry::Occupied(mut o) => {
                let g = o.get_mut();
                match g {
                    Group::One(k) => *g = Group::Many(vec![k.clone(), key.clone()]),
                    Group::Many(ks) => ks.push(key.clone()),
                }
            }
        }
    }

    pub fn remove(&mut self, key: &[u8]) {
        let h = (self.hash)(key);
        let Some(g) = self.groups.get_mut(&h) else { return };
        match g {
            Group::One(k) if k.as_ref() == key => {
                self.groups.remove(&h);
            }
            Group::One(_) => {}
            Group::Many(ks) => {
                ks.retain(|k| k.as_ref() != key);
                if let [only] = ks.as_slice() {
                    *g = Group::One(only.clone());
                }
            }
        }
    }

    /// The first key whose position is at or after `h` (wrapping round): a key drawn at
    /// random when `h` is, as the positions are hashes.
    pub fn key_from(&self, h: u64) -> Option<&K> {
        let g = self.groups.range(h..).next().or_else(|| self.groups.iter().next())?.1;
        match g {
            Group::One(k) => Some(k),
            Group::Many(ks) => ks.first(),
        }
    }

    /// From `cursor` on, whole groups until at least `count` keys: the keys and the next
    /// cursor (0 when the walk is complete).
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<K>) {
        let mut out = Vec::new();
        for (&h, g) in self.groups.range(cursor..) {
            if out.len() >= count.max(1) {
                return (h, out);
            }
            match g {
                Group::One(k) => out.push(k.clone()),
                Group::Many(ks) => out.extend(ks.iter().cloned()),
            }
        }
        (0, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walks the whole index with `count`, returning every key seen and the number of calls.
    fn walk(o: &ScanOrder, count: usize) -> (Vec<Bytes>, usize) {
        let (mut cursor, mut seen, mut calls) = (0, Vec::new(), 0);
        loop {
            let (next, keys) = o.scan(cursor, count);
            seen.extend(keys);
            calls += 1;
            assert!(calls < 10_000, "the cursor must advance");
            if next == 0 {
                return (seen, calls);
            }
            assert!(next > cursor, "the cursor only moves forward");
            cursor = next;
        }
    }

    #[test]
    fn colliding_keys_are_returned_once_and_the_cursor_advances() {
        // Two keys, and then a hundred, that all share one hash.
        let mut o = ScanOrder::with_hash(|k| if k.starts_with(b"x") { 7 } else { 1 << 40 });
        for k in ["xa", "xb", "c"] {
            o.insert(&Bytes::from(k));
        }
        let (next, keys) = o.scan(0, 1);
        assert_eq!(keys, vec![Bytes::from("xa"), Bytes::from("xb")]);
        assert_eq!(next, 1 << 40);
        assert_eq!(o.scan(next, 1), (0, vec![Bytes::from("c")]));
        let mut all = ScanOrder::with_hash(|_| 7);
        let keys: Vec<Bytes> = (0..100).map(|i| Bytes::from(format!("k{i}"))).collect();
        keys.iter().for_each(|k| all.insert(k));
        let (mut seen, _) = walk(&all, 1);
        seen.sort();
        let mut want = keys.clone();
        want.sort();
        assert_eq!(seen, want);
        all.remove(b"k5");
        assert_eq!(walk(&all, 1).0.len(), 99);
    }

    #[test]
    fn every_key_present_throughout_is_returned_exactly_once() {
        let mut o = ScanOrder::default();
        let stable: Vec<Bytes> = (0..500).map(|i| Bytes::from(format!("s{i}"))).collect();
        stable.iter().for_each(|k| o.insert(k));
        let (mut cursor, mut seen, mut n) = (0, Vec::new(), 0);
        loop {
            let (next, keys) = o.scan(cursor, 7);
            seen.extend(keys.into_iter().filter(|k| k.starts_with(b"s")));
            // Churn between calls: keys come and go.
            o.insert(&Bytes::from(format!("t{n}")));
            if n > 3 {
                o.remove(format!("t{}", n - 3).as_bytes());
            }
            n += 1;
            if next == 0 {
                break;
            }
            cursor = next;
        }
        seen.sort();
        let mut want = stable.clone();
        want.sort();
        assert_eq!(seen, want);
    }
}
