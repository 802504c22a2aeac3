//! The hash value: fields in a [`Table`], in insertion order while Redis would keep the hash
//! as a listpack (`ziplist` before 7.0), which is the order HGETALL, HKEYS and HVALS show.
//! A field or value longer than `hash-max-listpack-value`, or more fields than
//! `hash-max-listpack-entries`, turn it into a `hashtable` for good, as in Redis.

use bytes::Bytes;

use super::{Encodings, Table};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hash {
    pub fields: Table<Bytes>,
    /// Redis would hold it as a listpack.
    pub listpack: bool,
}

impl Hash {
    pub fn new() -> Hash {
        Hash { fields: Table::new(), listpack: true }
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn get(&self, field: &[u8]) -> Option<&Bytes> {
        self.fields.get(field)
    }

    /// Before a write of these words (fields and values): one too long for a listpack
    /// converts the hash (Redis's `hashTypeTryConversion`).
    pub fn check_words<'w>(&mut self, enc: &Encodings, words: impl IntoIterator<Item = &'w [u8]>) {
        if self.listpack && words.into_iter().any(|w| w.len() > enc.hash_value) {
            self.listpack = false;
        }
    }

    /// Before HSET of `pairs` pairs: 7.2 converts up front when they could not fit,
    /// duplicates or not.
    pub fn prepare(&mut self, enc: &Encodings, pairs: usize) {
        if enc.up_front && pairs > enc.hash_entries {
            self.listpack = false;
        }
    }

    /// Sets `field`; true when it is new. Past the entry limit the hash converts, and from
    /// 7.0 also for a field or value too long for a listpack (6.2's ziplist path did not
    /// look, so a long HINCRBY field stayed in a ziplist).
    pub fn set(&mut self, enc: &Encodings, field: &[u8], value: Bytes) -> bool {
        let long = !enc.ziplist_names && (field.len() > enc.hash_value || value.len() > enc.hash_value);
        let new = self.fields.insert(field, value).is_none();
        if self.listpack && (self.fields.len() > enc.hash_entries || long) {
            self.listpack = false;
        }
        new
    }

    /// Deletes `field`; true when it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        self.fields.remove(field, self.listpack).is_some()
    }

    pub fn encoding_name(&self, enc: &Encodings) -> &'static str {
        match (self.listpack, enc.ziplist_names) {
            (true, true) => "ziplist",
            (true, false) => "listpack",
            (false, _) => "hashtable",
        }
    }
}
