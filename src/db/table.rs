//! The table behind hashes and sets (and a sorted set's member index): entries in a `Vec`
//! with a hash index into it.
//!
//! The `Vec` order is the order a reply walks. While the value is in one of Redis's small
//! encodings (listpack, intset) that order is Redis's own: insertion order, kept across
//! removals, or the caller's sorted order ([`Table::insert_at`]). Once it is a hashtable the
//! order is unspecified, as in Redis, and removal swaps the last entry in (O(1)). The index
//! gives O(1) lookups and random picks (HRANDFIELD, SPOP); HSCAN and SSCAN walk a
//! [`ScanOrder`] built on the first scan, which gives SCAN's guarantees under changes.

use bytes::Bytes;

use super::ScanOrder;

#[derive(Debug, Clone, Default)]
pub struct Table<V> {
    entries: Vec<(Bytes, V)>,
    index: super::FastMap<Bytes, usize>,
    scan: Option<ScanOrder>,
}

impl<V: PartialEq> PartialEq for Table<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.entries.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<V> Table<V> {
    pub fn new() -> Table<V> {
        Table { entries: Vec::new(), index: Default::default(), scan: None }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn position(&self, key: &[u8]) -> Option<usize> {
        self.index.get(key).copied()
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.index.contains_key(key)
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let i = self.position(key)?;
        Some(&mut self.entries[i].1)
    }

    /// The entry at position `i` (in reply order).
    pub fn at(&self, i: usize) -> Option<(&Bytes, &V)> {
        self.entries.get(i).map(|(k, v)| (k, v))
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Bytes, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Bytes> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The first position whose key fails `pred`, for a table kept sorted (an intset).
    pub fn partition_point(&self, mut pred: impl FnMut(&Bytes) -> bool) -> usize {
        self.entries.partition_point(|(k, _)| pred(k))
    }

    /// Sets `key` to `value` at the end; the old value if it was there (its place is kept).
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        if let Some(slot) = self.get_mut(key) {
            return Some(std::mem::replace(slot, value));
        }
        self.insert_at(self.entries.len(), Bytes::copy_from_slice(key), value);
        None
    }

    /// Inserts a key known to be absent at position `i` (an intset keeps its order so).
    pub fn insert_at(&mut self, i: usize, key: Bytes, value: V) {
        let i = i.min(self.entries.len());
        if let Some(o) = &mut self.scan {
            o.insert(&key);
        }
        self.index.insert(key.clone(), i);
        self.entries.insert(i, (key, value));
        self.reindex(i + 1);
    }

    /// Removes `key`; `keep_order` shifts the later entries down (a listpack's removal),
    /// otherwise the last entry takes its place.
    pub fn remove(&mut self, key: &[u8], keep_order: bool) -> Option<(Bytes, V)> {
        let i = self.index.remove(key)?;
        if let Some(o) = &mut self.scan {
            o.remove(key);
        }
        if keep_order {
            let e = self.entries.remove(i);
            self.reindex(i);
            Some(e)
        } else {
            let e = self.entries.swap_remove(i);
            if let Some((k, _)) = self.entries.get(i) {
                self.index.insert(k.clone(), i);
            }
            Some(e)
        }
    }

    fn reindex(&mut self, from: usize) {
        for (j, (k, _)) in self.entries.iter().enumerate().skip(from) {
            if let Some(slot) = self.index.get_mut(k) {
                *slot = j;
            }
        }
    }

    /// One HSCAN/SSCAN step (see `ScanOrder::scan`): the keys and the next cursor.
    pub fn scan(&mut self, cursor: u64, count: usize) -> (u64, Vec<Bytes>) {
        let entries = &self.entries;
        self.scan.get_or_insert_with(|| ScanOrder::build(entries.iter().map(|(k, _)| k))).scan(cursor, count)
    }

    /// Forgets the order: the table becomes a hashtable (nothing changes but removal).
    pub fn drain(&mut self) -> impl Iterator<Item = (Bytes, V)> + '_ {
        self.index.clear();
        self.scan = None;
        self.entries.drain(..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removal_keeps_order_or_swaps_and_the_index_follows() {
        let mut t: Table<u32> = Table::new();
        for (i, k) in ["a", "b", "c", "d"].iter().enumerate() {
            assert_eq!(t.insert(k.as_bytes(), i as u32), None);
        }
        assert_eq!(t.insert(b"b", 9), Some(1));
        t.remove(b"a", true);
        assert_eq!(t.keys().map(|k| &k[..]).collect::<Vec<_>>(), [&b"b"[..], b"c", b"d"]);
        t.remove(b"b", false);
        assert_eq!(t.keys().map(|k| &k[..]).collect::<Vec<_>>(), [&b"d"[..], b"c"]);
        assert_eq!((t.get(b"d"), t.get(b"c"), t.position(b"c")), (Some(&3), Some(&2), Some(1)));
        t.insert_at(0, Bytes::from("z"), 0);
        assert_eq!((t.position(b"z"), t.position(b"d"), t.position(b"c")), (Some(0), Some(1), Some(2)));
    }
}
