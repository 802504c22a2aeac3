//! The waiter registry: clients blocked on keys (BLPOP and the other blocking pops; XREAD
//! BLOCK and WAIT plug in the same way), in the order they blocked, with their deadlines on
//! the server clock.
//!
//! A blocked client's command is kept with a copy of its session. When a command writes a
//! key someone waits on, the waiters are retried in FIFO order (`Caller::Retry`): a retry
//! that can serve replies to the waiter, one that can't leaves it waiting in its place.

use std::collections::{BTreeSet, HashMap, VecDeque};

use bytes::Bytes;

use super::Session;
use crate::reply::Reply;

/// What a handler asks for when it cannot serve now: wait on `keys` (of the client's
/// database) for `timeout_ms` (0: forever), answering `on_timeout` if nothing comes.
#[derive(Debug, Clone)]
pub struct BlockOn {
    pub keys: Vec<Bytes>,
    pub timeout_ms: i64,
    pub on_timeout: Reply,
    /// The command to retry with, when it is not the one sent (XREAD's `$` resolved).
    pub argv: Option<Vec<Vec<u8>>>,
    /// Server-clock ms after which the command runs again even if no key is ready
    /// (XREADGROUP CLAIM: when a pending entry gets idle enough).
    pub retry_at: Option<i64>,
}

/// A client waiting on keys.
#[derive(Debug, Clone)]
pub struct Blocked {
    pub keys: Vec<(usize, Bytes)>,
    /// Server-clock ms at which it times out.
    pub deadline: Option<i64>,
    pub argv: Vec<Vec<u8>>,
    pub sess: Session,
    pub on_timeout: Reply,
    /// See [`BlockOn::retry_at`].
    pub retry_at: Option<i64>,
}

impl Blocked {
    /// When the client must look again (just after it, as both are past when `< now`): its
    /// deadline or its retry, whichever is first.
    pub fn wake_at(&self) -> Option<i64> {
        match (self.deadline, self.retry_at) {
            (Some(d), Some(r)) => Some(d.min(r)),
            (d, r) => d.or(r),
        }
    }
}

/// Every waiter, by key and by deadline.
#[derive(Debug, Default)]
pub struct Waiters {
    by_key: HashMap<(usize, Bytes), VecDeque<u64>>,
    deadlines: BTreeSet<(i64, u64)>,
    retries: BTreeSet<(i64, u64)>,
}

impl Waiters {
    /// Registers client `id` as waiting for `b`.
    pub fn add(&mut self, id: u64, b: &Blocked) {
        for k in &b.keys {
            let q = self.by_key.entry(k.clone()).or_default();
            if !q.contains(&id) {
                q.push_back(id);
            }
        }
        if let Some(d) = b.deadline {
            self.deadlines.insert((d, id));
        }
        if let Some(r) = b.retry_at {
            self.retries.insert((r, id));
        }
    }

    /// Removes client `id`'s registration for `b`.
    pub fn remove(&mut self, id: u64, b: &Blocked) {
        for k in &b.keys {
            if let Some(q) = self.by_key.get_mut(k) {
                q.retain(|&c| c != id);
                if q.is_empty() {
                    self.by_key.remove(k);
                }
            }
        }
        if let Some(d) = b.deadline {
            self.deadlines.remove(&(d, id));
        }
        if let Some(r) = b.retry_at {
            self.retries.remove(&(r, id));
        }
    }

    /// The clients waiting on `key`, first come first.
    pub fn on_key(&self, key: &(usize, Bytes)) -> Vec<u64> {
        self.by_key.get(key).map(|q| q.iter().copied().collect()).unwrap_or_default()
    }

    pub fn has_key(&self, db: usize, key: &[u8]) -> bool {
        !self.by_key.is_empty() && self.by_key.contains_key(&(db, Bytes::copy_from_slice(key)))
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty() && self.deadlines.is_empty() && self.retries.is_empty()
    }

    /// The clients whose deadline is past at `now` (Redis times out `deadline < now`).
    pub fn due(&self, now: i64) -> Vec<u64> {
        self.deadlines.iter().take_while(|(d, _)| *d < now).map(|&(_, id)| id).collect()
    }

    /// The clients whose retry time is past at `now` (as Redis checks `expire_time < now`).
    pub fn retries_due(&self, now: i64) -> Vec<u64> {
        self.retries.iter().take_while(|(r, _)| *r < now).map(|&(_, id)| id).collect()
    }

    /// How many distinct keys have waiters (INFO's `total_blocking_keys`).
    pub fn key_count(&self) -> usize {
        self.by_key.len()
    }

    /// Every database index with a key someone waits on, and those keys.
    pub fn keys_in(&self, db: usize) -> Vec<Bytes> {
        self.by_key.keys().filter(|(d, _)| *d == db).map(|(_, k)| k.clone()).collect()
    }
}
