//! The hash value: fields in a [`Table`], in insertion order while Redis would keep the hash
//! as a listpack (`ziplist` before 7.0), which is the order HGETALL, HKEYS and HVALS show.
//! A field or value longer than `hash-max-listpack-value`, or more fields than
//! `hash-max-listpack-entries`, turn it into a `hashtable` for good, as in Redis.
//!
//! Fields may carry their own expiry time (Redis 7.4+, Valkey 9+): a field is gone once the
//! server time is past it. Commands expire the fields they touch lazily, the active expiry
//! cycle sweeps the hashes the database has registered ([`super::Db`]), and the hash goes
//! when its last field does. Since 7.4 HEXPIRE makes a listpack a `listpackex` for good.

use std::collections::HashMap;

use bytes::Bytes;

use super::{Encodings, Table};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hash {
    pub fields: Table<Bytes>,
    /// Redis would hold it as a listpack.
    pub listpack: bool,
    /// Field expiry times in ms, for the fields that have one.
    expires: Option<HashMap<Bytes, i64>>,
    /// A listpack that has held field TTLs (`listpackex`, Redis 7.4+).
    pub ex: bool,
}

impl Hash {
    pub fn new() -> Hash {
        Hash { fields: Table::new(), listpack: true, expires: None, ex: false }
    }

    /// Whether some field has an expiry time.
    pub fn has_expires(&self) -> bool {
        self.expires.as_ref().is_some_and(|e| !e.is_empty())
    }

    /// `field`'s expiry time (ms), if it has one.
    pub fn expire_at(&self, field: &[u8]) -> Option<i64> {
        self.expires.as_ref()?.get(field).copied()
    }

    /// Sets or clears `field`'s expiry time (the field must exist).
    pub fn set_expire(&mut self, field: &[u8], at: Option<i64>) {
        match at {
            Some(t) => {
                let key = self.fields.at(self.fields.position(field).unwrap_or(usize::MAX)).map(|(k, _)| k.clone());
                if let Some(k) = key {
                    self.expires.get_or_insert_with(Default::default).insert(k, t);
                }
            }
            None => {
                if let Some(e) = &mut self.expires {
                    e.remove(field);
                }
            }
        }
    }

    /// Whether `field` is there but past its time at `now` (Redis keeps a field through
    /// its expiry millisecond).
    pub fn is_expired(&self, field: &[u8], now: i64) -> bool {
        self.expire_at(field).is_some_and(|t| t < now)
    }

    /// The value of `field` unless it has expired.
    pub fn get_live(&self, field: &[u8], now: i64) -> Option<&Bytes> {
        self.get(field).filter(|_| !self.is_expired(field, now))
    }

    /// The fields that have not expired, in order.
    pub fn live(&self, now: i64) -> impl Iterator<Item = (&Bytes, &Bytes)> + '_ {
        self.fields.iter().filter(move |(k, _)| !self.is_expired(k, now))
    }

    /// Deletes every expired field; how many went.
    pub fn purge_expired(&mut self, now: i64) -> usize {
        let Some(e) = &self.expires else { return 0 };
        let gone: Vec<Bytes> = e.iter().filter(|(_, t)| **t < now).map(|(k, _)| k.clone()).collect();
        for f in &gone {
            self.remove(f);
        }
        gone.len()
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

    /// Sets `field` and clears its expiry time (HSET); true when it is new.
    pub fn set(&mut self, enc: &Encodings, field: &[u8], value: Bytes) -> bool {
        self.set_expire(field, None);
        self.set_keep_ttl(enc, field, value)
    }

    /// Sets `field`, keeping its expiry time (HINCRBY); true when it is new. Past the entry
    /// limit the hash converts, and from 7.0 also for a field or value too long for a
    /// listpack (6.2's ziplist path did not look, so a long HINCRBY field stayed in a ziplist).
    pub fn set_keep_ttl(&mut self, enc: &Encodings, field: &[u8], value: Bytes) -> bool {
        let long = !enc.ziplist_names && (field.len() > enc.hash_value || value.len() > enc.hash_value);
        let new = self.fields.insert(field, value).is_none();
        if self.listpack && (self.fields.len() > enc.hash_entries || long) {
            self.listpack = false;
        }
        new
    }

    /// Deletes `field`; true when it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        self.set_expire(field, None);
        self.fields.remove(field, self.listpack).is_some()
    }

    pub fn encoding_name(&self, enc: &Encodings) -> &'static str {
        match (self.listpack, enc.ziplist_names, self.ex) {
            (true, true, _) => "ziplist",
            (true, false, true) => "listpackex",
            (true, false, false) => "listpack",
            (false, _, _) => "hashtable",
        }
    }
}
