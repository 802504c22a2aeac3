//! WATCH's registry: which clients watch which keys, so that a write to a key (by any
//! client, a script, an expiry or a FLUSH) fails their next EXEC.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;

use super::clients::ClientMeta;

/// One key a client watches.
#[derive(Debug, Clone)]
pub struct Watched {
    pub db: usize,
    pub key: Bytes,
    /// The key was already logically expired when WATCH ran (Redis 7.0+: its deletion by
    /// expiry is then no change).
    pub expired: bool,
}

/// The watchers of every watched key.
#[derive(Debug, Default)]
pub struct Watches {
    by_key: HashMap<(usize, Bytes), Vec<u64>>,
}

impl Watches {
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// How many distinct keys are watched (INFO's `total_watched_keys`).
    pub fn key_count(&self) -> usize {
        self.by_key.len()
    }

    /// Client `c` watches `key` of `db` (again: no change).
    pub fn watch(&mut self, c: &mut ClientMeta, db: usize, key: &[u8], expired: bool) {
        if c.watching.iter().any(|w| w.db == db && w.key == key) {
            return;
        }
        let key = Bytes::copy_from_slice(key);
        self.by_key.entry((db, key.clone())).or_default().push(c.id);
        c.watching.push(Watched { db, key, expired });
    }

    /// Forgets every key `c` watches, and whether one changed (UNWATCH, EXEC, DISCARD).
    pub fn unwatch_all(&mut self, c: &mut ClientMeta) {
        for w in std::mem::take(&mut c.watching) {
            let k = (w.db, w.key);
            if let Some(ids) = self.by_key.get_mut(&k) {
                ids.retain(|&id| id != c.id);
                if ids.is_empty() {
                    self.by_key.remove(&k);
                }
            }
        }
        c.dirty_cas = false;
    }

    /// A write to `key` of `db`: every client watching it will fail its EXEC. `gone`: the
    /// key no longer exists (a watcher that saw it expired already takes that as no change).
    /// Once one of its keys changed, the client watches nothing more (as Redis 7.0+ does).
    pub fn touch(&mut self, clients: &mut BTreeMap<u64, ClientMeta>, db: usize, key: &[u8], gone: bool) {
        if self.by_key.is_empty() {
            return;
        }
        let Some(ids) = self.by_key.get(&(db, Bytes::copy_from_slice(key))) else { return };
        let mut changed = Vec::new();
        for id in ids {
            let Some(c) = clients.get_mut(id) else { continue };
            let Some(w) = c.watching.iter_mut().find(|w| w.db == db && w.key == key) else { continue };
            if w.expired && gone {
                // Deleting a key that was already expired when watched changes nothing.
                w.expired = false;
                continue;
            }
            changed.push(*id);
        }
        for id in changed {
            if let Some(c) = clients.get_mut(&id) {
                self.unwatch_all(c);
                c.dirty_cas = true;
            }
        }
    }

    /// The watched keys of `db` (for FLUSHDB, FLUSHALL and SWAPDB).
    pub fn keys_in(&self, db: usize) -> Vec<Bytes> {
        self.by_key.keys().filter(|(d, _)| *d == db).map(|(_, k)| k.clone()).collect()
    }
}
