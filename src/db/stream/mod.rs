//! The stream value: entries by ID, consumer groups with their pending lists, and a model
//! of how Redis packs entries into listpack "nodes" of its radix tree.
//!
//! The nodes are observable: approximate trimming (`MAXLEN ~`, `MINID ~`) removes whole
//! nodes only, and XINFO STREAM reports the radix tree's key and node counts. So each node
//! keeps what Redis's `streamAppendItem` and `streamTrim` look at: its master ID, its last ID
//! (a deleted one counts), its live and deleted counts, the master entry's fields, and the
//! listpack's size in bytes, computed from the same element encodings Redis uses.

mod groups;
mod idmp;

use std::collections::BTreeMap;

use bytes::Bytes;

pub use groups::{Consumer, Group, Nack, MAX_DELIVERIES};
pub use idmp::{Idmp, IDMP_DEFAULT_DURATION, IDMP_DEFAULT_MAXSIZE};

use super::listpack_entry_size;

/// A stream entry ID: milliseconds and sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };

    pub fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// The next ID (`None` past the last possible one), as `streamIncrID`.
    pub fn next(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (u64::MAX, u64::MAX) => None,
            (ms, u64::MAX) => Some(StreamId::new(ms + 1, 0)),
            (ms, seq) => Some(StreamId::new(ms, seq + 1)),
        }
    }

    /// The previous ID (`None` before 0-0), as `streamDecrID`.
    pub fn prev(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (0, 0) => None,
            (ms, 0) => Some(StreamId::new(ms - 1, u64::MAX)),
            (ms, seq) => Some(StreamId::new(ms, seq - 1)),
        }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// `ms-seq`, as replies show it.
    pub fn to_bytes(self) -> Bytes {
        Bytes::from(format!("{}-{}", self.ms, self.seq))
    }

    /// The radix tree key: 128 bits, big-endian.
    fn key(self) -> [u8; 16] {
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&self.ms.to_be_bytes());
        k[8..].copy_from_slice(&self.seq.to_be_bytes());
        k
    }
}

/// An entry's field-value pairs.
pub type Fields = Vec<(Bytes, Bytes)>;

/// A node as RDB writes it: its key (master ID), master fields and live entries.
pub type NodeView<'s> = (StreamId, &'s [Bytes], Vec<(StreamId, &'s Fields)>);

/// A node as RDB reads it: master fields, then each entry with whether it is deleted.
pub type LoadedNode = (Vec<Bytes>, Vec<(StreamId, Fields, bool)>);

/// A listpack node of the radix tree.
#[derive(Debug, Clone, PartialEq)]
struct Node {
    /// The last entry in the node, live or deleted.
    last: StreamId,
    live: u64,
    deleted: u64,
    master_fields: Vec<Bytes>,
    /// The listpack's bytes apart from the live and deleted counters.
    bytes: usize,
}

impl Node {
    fn size(&self) -> usize {
        self.bytes + int_size(self.live as i64) + int_size(self.deleted as i64)
    }
}

fn int_size(n: i64) -> usize {
    listpack_entry_size(n.to_string().as_bytes())
}

/// How a trim chooses what goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    MaxLen(u64),
    MinId(StreamId),
}

/// The node limits of the config: `stream-node-max-bytes` and `stream-node-max-entries`.
#[derive(Debug, Clone, Copy)]
pub struct NodeLimits {
    pub bytes: u64,
    pub entries: u64,
}

/// What deleting an entry does to the consumer groups' references to it (Redis 8.2's
/// KEEPREF, DELREF, ACKED).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Refs {
    /// Delete it; pending entries of it stay pending.
    #[default]
    Keep,
    /// Delete it and its pending entries in every group.
    Delete,
    /// Delete it only if no group still needs it (read by all, pending in none).
    Acked,
}

/// Listpack sizes are capped at 1 GiB, whatever the config says.
pub const LISTPACK_MAX: u64 = 1 << 30;

/// A stream.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stream {
    entries: BTreeMap<StreamId, Fields>,
    nodes: BTreeMap<StreamId, Node>,
    pub last_id: StreamId,
    /// The first entry's ID as Redis records it (0-0 when empty).
    pub first_id: StreamId,
    pub max_deleted: StreamId,
    pub entries_added: u64,
    pub groups: BTreeMap<Bytes, Group>,
    /// Idempotent producers (Redis 8.6).
    pub idmp: Idmp,
}

impl Stream {
    pub fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, id: StreamId) -> Option<&Fields> {
        self.entries.get(&id)
    }

    /// The live entries from `start` to `end` inclusive, forwards or backwards.
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
    ) -> Box<dyn Iterator<Item = (&StreamId, &Fields)> + '_> {
        if start > end {
            return Box::new(std::iter::empty());
        }
        let r = self.entries.range(start..=end);
        if rev {
            Box::new(r.rev())
        } else {
            Box::new(r)
        }
    }

    /// The last live entry's ID.
    pub fn last_live(&self) -> Option<StreamId> {
        self.entries.keys().next_back().copied()
    }

    fn first_live(&self) -> Option<StreamId> {
        self.entries.keys().next().copied()
    }

    /// Appends entry `id` (greater than `last_id`, checked by the caller) as Redis packs it.
    pub fn append(&mut self, id: StreamId, fields: Fields, limits: NodeLimits) {
        let total: u64 = fields.iter().map(|(f, v)| (f.len() + v.len()) as u64).sum();
        let max_bytes = if limits.bytes == 0 || limits.bytes > LISTPACK_MAX { LISTPACK_MAX } else { limits.bytes };
        let tail = self.nodes.iter_mut().next_back().filter(|(_, n)| {
            let full_bytes = n.size() as u64 + total >= max_bytes;
            let full_count = limits.entries != 0 && n.live + n.deleted >= limits.entries;
            !full_bytes && !full_count
        });
        let (master, node) = match tail {
            Some((m, n)) => (*m, n),
            None => {
                let mut bytes = 7 + int_size(fields.len() as i64) + int_size(0);
                bytes += fields.iter().map(|(f, _)| listpack_entry_size(f)).sum::<usize>();
                let master_fields = fields.iter().map(|(f, _)| f.clone()).collect();
                let n = Node { last: id, live: 0, deleted: 0, master_fields, bytes };
                (id, self.nodes.entry(id).or_insert(n))
            }
        };
        let same = node.master_fields.len() == fields.len()
            && node.master_fields.iter().zip(&fields).all(|(m, (f, _))| m == f);
        let mut b = int_size(if same { 2 } else { 0 });
        b += int_size(id.ms.wrapping_sub(master.ms) as i64) + int_size(id.seq.wrapping_sub(master.seq) as i64);
        let mut pieces = fields.len() + 3;
        if !same {
            b += int_size(fields.len() as i64) + fields.iter().map(|(f, _)| listpack_entry_size(f)).sum::<usize>();
            pieces += fields.len() + 1;
        }
        b += fields.iter().map(|(_, v)| listpack_entry_size(v)).sum::<usize>() + int_size(pieces as i64);
        node.bytes += b;
        node.live += 1;
        node.last = id;
        self.entries.insert(id, fields);
        self.entries_added += 1;
        self.last_id = id;
        if self.entries.len() == 1 {
            self.first_id = id;
        }
    }

    /// The nodes as RDB writes them: each node's key (its master ID), master fields and
    /// live entries (the entries deleted inside a node are not kept, so they are not there).
    pub fn node_view(&self) -> Vec<NodeView<'_>> {
        self.nodes
            .iter()
            .map(|(&m, n)| {
                (m, n.master_fields.as_slice(), self.entries.range(m..=n.last).map(|(&id, f)| (id, f)).collect())
            })
            .collect()
    }

    /// Adds a node read from an RDB payload: its key, master fields, entries (`deleted`
    /// marks the tombstones, whose fields are dropped) and the listpack's size in bytes.
    /// Whether it fitted (keys beyond every node so far, IDs ascending, one live at least).
    pub fn push_loaded_node(
        &mut self,
        master: StreamId,
        (master_fields, entries): LoadedNode,
        lp_bytes: usize,
    ) -> bool {
        let floor = self.nodes.values().next_back().map(|n| n.last);
        if floor.is_some_and(|f| master <= f) || entries.windows(2).any(|w| w[0].0 >= w[1].0) {
            return false;
        }
        let Some(last) = entries.last().map(|e| e.0) else { return false };
        if entries.first().is_some_and(|e| e.0 < master) || self.nodes.contains_key(&master) {
            return false;
        }
        let deleted = entries.iter().filter(|e| e.2).count() as u64;
        let live = entries.len() as u64 - deleted;
        if live == 0 {
            return false;
        }
        let bytes = lp_bytes.saturating_sub(int_size(live as i64) + int_size(deleted as i64));
        self.nodes.insert(master, Node { last, live, deleted, master_fields, bytes });
        for (id, fields, gone) in entries {
            if !gone {
                self.entries.insert(id, fields);
            }
        }
        true
    }

    /// Marks entry `id` deleted (a node left with no live entry goes); whether it existed.
    /// The caller updates `first_id` and `max_deleted`.
    pub fn delete(&mut self, id: StreamId) -> bool {
        if self.entries.remove(&id).is_none() {
            return false;
        }
        if let Some((&m, n)) = self.nodes.range_mut(..=id).next_back() {
            n.live -= 1;
            n.deleted += 1;
            if n.live == 0 {
                self.nodes.remove(&m);
            }
        }
        true
    }

    /// Re-reads `first_id` after entries went, as Redis does.
    pub fn refresh_first(&mut self) {
        self.first_id = self.first_live().unwrap_or_default();
    }

    /// Trims as `streamTrim`: whole nodes from the head while they fit the strategy, then
    /// (unless `approx`) entries of the next node; `limit` (0: none) caps the entries
    /// removed. With `refs` other than [`Refs::Keep`] (Redis 8.2) every entry is looked at
    /// one by one, `approx` notwithstanding: ACKED keeps the ones a group still needs and
    /// goes on past them, DELREF drops their pending entries. How many went.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64, refs: Refs) -> u64 {
        let mut deleted = 0u64;
        let mut from = StreamId::MIN;
        while let Some((&master, node)) = self.nodes.range(from..).next() {
            let len = self.len();
            if matches!(how, Trim::MaxLen(max) if len <= max) {
                break;
            }
            let (live, last) = (node.live, node.last);
            if limit != 0 && deleted + live > limit {
                break;
            }
            let whole = match how {
                Trim::MaxLen(max) => len - live >= max,
                Trim::MinId(min) => last < min,
            };
            if whole && refs == Refs::Keep {
                let ids: Vec<StreamId> = self.entries.range(master..=last).map(|(k, _)| *k).collect();
                for k in ids {
                    self.entries.remove(&k);
                }
                self.nodes.remove(&master);
                deleted += live;
                continue;
            }
            if approx && refs == Refs::Keep {
                break;
            }
            let mut gone = 0;
            let ids: Vec<StreamId> = self.entries.range(master..=last).map(|(k, _)| *k).collect();
            for k in ids {
                let stop = match how {
                    Trim::MaxLen(max) => self.len() <= max,
                    Trim::MinId(min) => k >= min,
                };
                if stop {
                    break;
                }
                match refs {
                    Refs::Acked if self.referenced(k) => continue,
                    Refs::Delete => self.drop_refs(k),
                    _ => {}
                }
                self.entries.remove(&k);
                gone += 1;
            }
            deleted += gone;
            if whole && gone == live {
                self.nodes.remove(&master);
                continue;
            }
            if let Some(n) = self.nodes.get_mut(&master) {
                n.live -= gone;
                n.deleted += gone;
            }
            if !whole {
                break;
            }
            match master.next() {
                Some(next) => from = next,
                None => break,
            }
        }
        if self.is_empty() {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.refresh_first();
        }
        deleted
    }

    /// Whether a group still needs entry `id` (`streamEntryIsReferenced`): some group has
    /// not read that far, or it is pending in one.
    pub fn referenced(&self, id: StreamId) -> bool {
        let Some(min) = self.groups.values().map(|g| g.last_id).min() else { return false };
        min < id || self.groups.values().any(|g| g.pel.contains_key(&id))
    }

    /// Drops entry `id`'s pending entries in every group (`streamCleanupEntryCGroupRefs`).
    pub fn drop_refs(&mut self, id: StreamId) {
        for g in self.groups.values_mut() {
            g.ack(id);
        }
    }

    /// XINFO STREAM's `radix-tree-keys`: the nodes.
    pub fn tree_keys(&self) -> usize {
        self.nodes.len()
    }

    /// XINFO STREAM's `radix-tree-nodes`: the nodes of a radix tree holding the node keys,
    /// in the compressed form Redis's rax keeps (a chain of single-child steps is one node).
    pub fn tree_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.key()).collect();
        if keys.is_empty() {
            return 1;
        }
        rax_nodes(&keys, 0)
    }

    /// Whether the range `start..` may hold deleted entries (`streamRangeHasTombstones`).
    fn has_tombstones_from(&self, start: StreamId) -> bool {
        if self.is_empty() || self.max_deleted.is_zero() || self.first_id > self.max_deleted {
            return false;
        }
        start <= self.max_deleted
    }

    /// `streamEstimateDistanceFromFirstEverEntry`: how many entries up to `id` were ever
    /// added, if that can be known.
    pub fn entries_up_to(&self, id: StreamId) -> Option<i64> {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.is_empty() && id <= self.last_id {
            return Some(added);
        }
        match id.cmp(&self.last_id) {
            std::cmp::Ordering::Equal => return Some(added),
            std::cmp::Ordering::Greater => return None,
            std::cmp::Ordering::Less => {}
        }
        if self.max_deleted.is_zero() || self.max_deleted < self.first_id {
            match id.cmp(&self.first_id) {
                std::cmp::Ordering::Less => return Some(added - self.len() as i64),
                std::cmp::Ordering::Equal => return Some(added - self.len() as i64 + 1),
                std::cmp::Ordering::Greater => {}
            }
        }
        None
    }

    /// A group's lag (`None`: unknown), as `streamReplyWithCGLag`.
    pub fn lag(&self, g: &Group) -> Option<i64> {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return Some(0);
        }
        if let Some(read) = g.entries_read.filter(|_| !self.has_tombstones_from(g.last_id)) {
            return Some(added - read);
        }
        self.entries_up_to(g.last_id).map(|read| added - read)
    }

    /// Advances group `name`'s last-delivered ID to `id`, counting it as read.
    pub fn deliver(&mut self, name: &[u8], id: StreamId) {
        let tomb = self.has_tombstones_from(id);
        let estimate = if self.entries_added != 0 { self.entries_up_to(id) } else { None };
        let Some(g) = self.groups.get_mut(name) else { return };
        if id <= g.last_id {
            return;
        }
        match g.entries_read {
            Some(n) if !tomb => g.entries_read = Some(n + 1),
            _ if self.entries_added != 0 => g.entries_read = estimate,
            _ => {}
        }
        g.last_id = id;
    }
}

/// The nodes of a rax holding `keys` (sorted, distinct, all of one length) from byte
/// `depth` on: a leaf; or one node for the run all keys share (a compressed node); or one
/// branching node whose children each hold the keys of one next byte.
fn rax_nodes(keys: &[[u8; 16]], depth: usize) -> usize {
    if depth == 16 {
        return 1;
    }
    let (first, last) = (&keys[0], &keys[keys.len() - 1]);
    let common = (depth..16).take_while(|&i| first[i] == last[i]).count();
    if common > 0 {
        return 1 + rax_nodes(keys, depth + common);
    }
    let mut n = 1;
    let mut rest = keys;
    while let Some(k) = rest.first() {
        let split = rest.iter().position(|x| x[depth] != k[depth]).unwrap_or(rest.len());
        n += rax_nodes(&rest[..split], depth + 1);
        rest = &rest[split..];
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> NodeLimits {
        NodeLimits { bytes: 4096, entries: 100 }
    }

    fn one(v: &str) -> Fields {
        vec![(Bytes::from_static(b"f"), Bytes::from(v.to_string()))]
    }

    #[test]
    fn nodes_hold_a_hundred_entries() {
        let mut s = Stream::default();
        for i in 1..=250 {
            s.append(StreamId::new(i, 0), one("v"), limits());
        }
        assert_eq!(s.tree_keys(), 3);
        assert_eq!(s.trim(Trim::MaxLen(120), true, 10_000, Refs::Keep), 100);
        assert_eq!(s.len(), 150);
        assert_eq!(s.first_id, StreamId::new(101, 0));
        assert_eq!(s.trim(Trim::MaxLen(120), false, 0, Refs::Keep), 30);
        assert_eq!(s.first_id, StreamId::new(131, 0));
    }

    #[test]
    fn a_single_key_tree_has_two_nodes() {
        let mut s = Stream::default();
        assert_eq!(s.tree_nodes(), 1);
        s.append(StreamId::new(5, 0), one("v"), limits());
        assert_eq!(s.tree_nodes(), 2);
    }

    /// The reference policies against a model: after a trim, ACKED has deleted no entry a
    /// group needed and every entry it kept below the cut is needed; DELREF leaves no
    /// pending entry of a deleted one; KEEPREF leaves the pending lists alone.
    #[test]
    fn trims_keep_what_the_policy_says() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for round in 0..200 {
            let mut s = Stream::default();
            let n = 1 + rnd(300);
            for i in 1..=n {
                s.append(StreamId::new(i, 0), one("v"), NodeLimits { bytes: 4096, entries: 1 + rnd(20) });
            }
            let c = Bytes::from_static(b"c");
            for g in 0..rnd(3) {
                let mut grp = Group::new(StreamId::new(rnd(n + 1), 0), None);
                grp.add_consumer(b"c", 0);
                for _ in 0..rnd(20) {
                    let id = StreamId::new(1 + rnd(grp.last_id.ms.max(1)), 0);
                    if id <= grp.last_id && !grp.pel.contains_key(&id) {
                        grp.add_pending(id, 0, Some(&c));
                    }
                }
                s.groups.insert(Bytes::from(format!("g{g}")), grp);
            }
            let refs = [Refs::Keep, Refs::Delete, Refs::Acked][round % 3];
            let cut = StreamId::new(rnd(n + 2), 0);
            let before: Vec<(StreamId, bool)> = s.entries.keys().map(|id| (*id, s.referenced(*id))).collect();
            let pending_before: usize = s.groups.values().map(|g| g.pel.len()).sum();
            let gone = s.trim(Trim::MinId(cut), rnd(2) == 0, 0, refs);
            assert_eq!(gone as usize, before.len() - s.entries.len());
            for (id, needed) in before {
                let kept = s.entries.contains_key(&id);
                match refs {
                    Refs::Acked if id < cut => assert_eq!(kept, needed, "round {round}: {id:?}"),
                    Refs::Delete if id < cut => assert!(!kept && s.groups.values().all(|g| !g.pel.contains_key(&id))),
                    Refs::Keep if id < cut => {} // `~` may keep whole nodes' worth
                    _ => assert!(kept),
                }
            }
            if refs == Refs::Keep {
                assert_eq!(pending_before, s.groups.values().map(|g| g.pel.len()).sum::<usize>());
            }
            assert_eq!(s.first_id, s.entries.keys().next().copied().unwrap_or_default());
        }
    }
}
