//! Consumer groups: their consumers and their pending entries list (PEL).
//!
//! Besides the PEL by ID, Redis 8.4+ keeps the pending entries in a list ordered by
//! delivery time (XREADGROUP CLAIM takes the oldest first), and 8.8's XNACK releases
//! entries to a zone at the head of that list, owned by no consumer. Each entry here
//! carries its place in that order (`order`, a stamp taken whenever Redis would move it in
//! the list, and `nacked`), and the group keeps an index in that order
//! ([`Group::by_time`]), so the oldest pending entry is found without a scan, as Redis's
//! list head is.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use super::StreamId;

/// The most deliveries a pending entry counts (XNACK FATAL sets it; deliveries stop there).
pub const MAX_DELIVERIES: u64 = i64::MAX as u64;

/// A pending entry: delivered to a consumer, not acknowledged yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Nack {
    pub delivery_time: i64,
    pub delivery_count: u64,
    /// `None`: released by XNACK (or just made by XCLAIM FORCE), owned by nobody.
    pub consumer: Option<Bytes>,
    /// When it last took its place in the time-ordered list (larger is later).
    order: u64,
    /// In the head zone of released entries.
    nacked: bool,
}

/// A pending entry's place in the time order: the released zone first (in the order they
/// were released), then by delivery time, ties in the order they got it.
pub type TimeKey = (bool, i64, u64, StreamId);

impl Nack {
    fn time_key(&self, id: StreamId) -> TimeKey {
        (!self.nacked, self.delivery_time, self.order, id)
    }

    /// One more delivery (saturating at [`MAX_DELIVERIES`]).
    pub fn bump(&mut self) {
        if self.delivery_count < MAX_DELIVERIES {
            self.delivery_count += 1;
        }
    }
}

/// A consumer of a group.
#[derive(Debug, Clone, PartialEq)]
pub struct Consumer {
    pub seen_time: i64,
    /// The last time it read or claimed something (Redis 7.2+), -1 for never.
    pub active_time: i64,
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub last_id: StreamId,
    /// The logical read counter, `None` when unknown (Redis's -1).
    pub entries_read: Option<i64>,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Bytes, Consumer>,
    /// The last stamp given for the time-ordered list.
    stamps: u64,
    /// The pending entries in time order.
    times: BTreeSet<TimeKey>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: Option<i64>) -> Group {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
            stamps: 0,
            times: BTreeSet::new(),
        }
    }

    fn stamp(&mut self) -> u64 {
        self.stamps += 1;
        self.stamps
    }

    /// Adds consumer `name` seen at `now` unless it exists; whether it was created.
    pub fn add_consumer(&mut self, name: &[u8], now: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        let c = Consumer { seen_time: now, active_time: -1, pel: BTreeSet::new() };
        self.consumers.insert(Bytes::copy_from_slice(name), c);
        true
    }

    /// Makes pending entry `id`, delivered once at `time` to `consumer` (or to nobody),
    /// at the tail of the time-ordered list; it must not be pending yet.
    pub fn add_pending(&mut self, id: StreamId, time: i64, consumer: Option<&Bytes>) {
        let order = self.stamp();
        let n = Nack { delivery_time: time, delivery_count: 1, consumer: consumer.cloned(), order, nacked: false };
        self.times.insert(n.time_key(id));
        if let Some(old) = self.pel.insert(id, n) {
            self.times.remove(&old.time_key(id));
        }
        if let Some(c) = consumer.and_then(|name| self.consumers.get_mut(name)) {
            c.pel.insert(id);
        }
    }

    /// Sets pending entry `id`'s delivery time, which moves it in the time-ordered list
    /// (out of the released zone).
    pub fn retime(&mut self, id: StreamId, time: i64) {
        let order = self.stamp();
        if let Some(n) = self.pel.get_mut(&id) {
            self.times.remove(&n.time_key(id));
            n.delivery_time = time;
            n.order = order;
            n.nacked = false;
            self.times.insert(n.time_key(id));
        }
    }

    /// XNACK: pending entry `id` leaves its consumer for the end of the released zone
    /// (delivery time 0).
    pub fn release(&mut self, id: StreamId) {
        let order = self.stamp();
        let Some(n) = self.pel.get_mut(&id) else { return };
        if let Some(c) = n.consumer.take().and_then(|name| self.consumers.get_mut(&name)) {
            c.pel.remove(&id);
        }
        self.times.remove(&n.time_key(id));
        n.delivery_time = 0;
        n.order = order;
        n.nacked = true;
        self.times.insert(n.time_key(id));
    }

    /// The pending IDs in the time-ordered list's order: the released zone first (in the
    /// order they were released), then by delivery time, ties in the order they got it.
    pub fn by_time(&self) -> impl Iterator<Item = StreamId> + '_ {
        self.times.iter().map(|k| k.3)
    }

    /// A walk of the time order that may move entries as it goes (a claim puts the entry
    /// at the tail): the next entry after `cursor` that was placed no later than stamp
    /// `since` ([`Group::stamp_now`] when the walk began).
    pub fn next_by_time(&self, cursor: &mut Option<TimeKey>, since: u64) -> Option<StreamId> {
        use std::ops::Bound::{Excluded, Unbounded};
        let lower = cursor.map_or(Unbounded, Excluded);
        let k = *self.times.range((lower, Unbounded)).next()?;
        if k.2 > since {
            return None;
        }
        *cursor = Some(k);
        Some(k.3)
    }

    /// The last stamp given: entries placed later have a larger one.
    pub fn stamp_now(&self) -> u64 {
        self.stamps
    }

    /// How many entries the released zone holds.
    pub fn released(&self) -> usize {
        self.pel.values().filter(|n| n.nacked).count()
    }

    /// Removes pending entry `id` from the group and its consumer.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(n) = self.pel.remove(&id) else { return false };
        self.times.remove(&n.time_key(id));
        if let Some(c) = n.consumer.and_then(|name| self.consumers.get_mut(&name)) {
            c.pel.remove(&id);
        }
        true
    }

    /// Gives pending entry `id` (which must exist) to `consumer`.
    pub fn assign(&mut self, id: StreamId, consumer: &Bytes) {
        let Some(n) = self.pel.get_mut(&id) else { return };
        if n.consumer.as_ref() != Some(consumer) {
            if let Some(c) = n.consumer.take().and_then(|old| self.consumers.get_mut(&old)) {
                c.pel.remove(&id);
            }
            n.consumer = Some(consumer.clone());
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }

    /// Removes consumer `name` and its pending entries; how many it had.
    pub fn remove_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            if let Some(n) = self.pel.remove(id) {
                self.times.remove(&n.time_key(*id));
            }
        }
        Some(c.pel.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_entries_come_first_then_by_delivery_time() {
        let mut g = Group::new(StreamId::MIN, None);
        let alice = Bytes::from_static(b"alice");
        g.add_consumer(b"alice", 0);
        for (i, t) in [(1, 50), (2, 10), (3, 30)] {
            g.add_pending(StreamId::new(i, 0), t, Some(&alice));
        }
        g.retime(StreamId::new(3, 0), 10); // ties go after the entry already there
        assert_eq!(g.by_time().collect::<Vec<_>>(), [2, 3, 1].map(|i| StreamId::new(i, 0)));
        g.release(StreamId::new(1, 0));
        g.release(StreamId::new(3, 0));
        assert_eq!(g.by_time().collect::<Vec<_>>(), [1, 3, 2].map(|i| StreamId::new(i, 0)));
        assert_eq!(g.released(), 2);
        assert_eq!(g.consumers[&alice].pel.len(), 1);
        g.retime(StreamId::new(1, 0), 0); // a new delivery time leaves the zone
        assert_eq!(g.by_time().collect::<Vec<_>>(), [3, 1, 2].map(|i| StreamId::new(i, 0)));
        assert_eq!(g.released(), 1);
    }
}
