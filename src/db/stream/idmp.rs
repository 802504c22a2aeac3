//! Idempotent producers (Redis 8.6): per producer ID, the idempotent IDs it sent with
//! XADD IDMP/IDMPAUTO (or XIDMPRECORD) and the entry each made, oldest first, kept for
//! `duration` seconds after the entry's time and at most `maxsize` per producer.
//!
//! Redis drops the expired ones from its cron; here [`Idmp::expire`] runs before every
//! use with the time of the server's last periodic cycle (every 100 ms of server time), so
//! an ID expires when Redis's cron would have dropped it.

use std::collections::{BTreeMap, HashMap, VecDeque};

use bytes::Bytes;

use super::StreamId;

/// The defaults of `stream-idmp-duration` (seconds) and `stream-idmp-maxsize`.
pub const IDMP_DEFAULT_DURATION: u64 = 100;
pub const IDMP_DEFAULT_MAXSIZE: u64 = 100;

/// One producer's idempotent IDs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Producer {
    /// Oldest first, with the server time each was recorded at.
    order: VecDeque<(Bytes, i64)>,
    ids: HashMap<Bytes, StreamId>,
}

/// A stream's idempotency state and settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Idmp {
    pub duration: u64,
    pub maxsize: u64,
    producers: BTreeMap<Bytes, Producer>,
    /// IDs recorded and duplicates answered, ever (XINFO's `iids-added`, `iids-duplicates`).
    pub added: u64,
    pub duplicates: u64,
}

impl Default for Idmp {
    fn default() -> Self {
        Idmp::new(IDMP_DEFAULT_DURATION, IDMP_DEFAULT_MAXSIZE)
    }
}

impl Idmp {
    pub fn new(duration: u64, maxsize: u64) -> Idmp {
        Idmp { duration, maxsize, producers: BTreeMap::new(), added: 0, duplicates: 0 }
    }

    /// Whether no producer has an idempotent ID recorded.
    pub fn is_empty(&self) -> bool {
        self.producers.is_empty()
    }

    /// What Redis's cron does when it runs at `tick`: drops, oldest first, the IDs whose
    /// entry is `duration` seconds old (Redis computes the cut in unsigned arithmetic:
    /// before the clock passes `duration`, everything goes), and the producers left with
    /// none. IDs recorded at or after `tick` wait for the next run.
    pub fn expire(&mut self, tick: i64) {
        let cut = (tick as u64).wrapping_sub(self.duration.wrapping_mul(1000));
        for p in self.producers.values_mut() {
            while let Some((iid, at)) = p.order.front() {
                if *at >= tick || p.ids.get(iid).is_some_and(|id| id.ms > cut) {
                    break;
                }
                if let Some((iid, _)) = p.order.pop_front() {
                    p.ids.remove(&iid);
                }
            }
        }
        self.producers.retain(|_, p| !p.order.is_empty());
    }

    /// The entry producer `pid` made with idempotent ID `iid`, if it is remembered.
    pub fn lookup(&self, pid: &[u8], iid: &[u8]) -> Option<StreamId> {
        self.producers.get(pid)?.ids.get(iid).copied()
    }

    /// Remembers (at server time `now`) that `pid`'s `iid` made entry `id`, forgetting the
    /// producer's oldest past `maxsize`.
    pub fn insert(&mut self, pid: &[u8], iid: &[u8], id: StreamId, now: i64) {
        let max = self.maxsize;
        let p = self.producers.entry(Bytes::copy_from_slice(pid)).or_default();
        let iid = Bytes::copy_from_slice(iid);
        p.order.push_back((iid.clone(), now));
        p.ids.insert(iid, id);
        if p.ids.len() as u64 > max {
            if let Some((old, _)) = p.order.pop_front() {
                p.ids.remove(&old);
            }
        }
        self.added += 1;
    }

    /// Forgets every producer (XCFGSET changing a setting).
    pub fn clear(&mut self) {
        self.producers.clear();
    }

    pub fn producers(&self) -> usize {
        self.producers.len()
    }

    /// The idempotent IDs remembered, over all producers.
    pub fn tracked(&self) -> usize {
        self.producers.values().map(|p| p.ids.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_go_when_old_or_past_the_size() {
        let mut m = Idmp::new(10, 2);
        for (i, iid) in [b"a", b"b", b"c"].iter().enumerate() {
            m.insert(b"p", *iid, StreamId::new(1000 * (i as u64 + 1), 0), 0);
        }
        assert_eq!(m.lookup(b"p", b"a"), None);
        assert_eq!(m.lookup(b"p", b"c"), Some(StreamId::new(3000, 0)));
        assert_eq!((m.tracked(), m.added), (2, 3));
        m.expire(12_000); // 2000 is 10 s old at 12000
        assert_eq!((m.lookup(b"p", b"b"), m.tracked()), (None, 1));
        m.expire(13_000);
        assert_eq!(m.producers(), 0);
        m.insert(b"p", b"d", StreamId::new(1, 0), 20_000); // an old ID waits for the next run
        m.expire(20_000);
        assert_eq!(m.tracked(), 1);
        m.expire(20_100);
        assert_eq!(m.tracked(), 0);
    }
}
