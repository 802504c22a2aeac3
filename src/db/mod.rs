//! One logical database: the keyspace, each key's TTL, and the expiry index.
//!
//! Expiry is lazy (a read of an expired key deletes it first) and active (the dispatcher
//! sweeps the index every 100 ms of server time, and whenever the virtual clock jumps).

pub mod geohash;
mod hash;
pub mod hll;
mod keyspace;
mod list;
pub mod memory;
mod scan;
mod set;
mod skiplist;
mod small;
mod stream;
mod table;
mod value;
mod zset;

use std::collections::{BTreeSet, HashMap};

/// The hash maps of keys and members: foldhash, seeded at random per map, instead of
/// SipHash. Keys are the client's own, so a crafted set of colliding ones is conceivable,
/// but foldhash's random seed keeps them from being computed in advance, which is all
/// HashDoS needs for a test double (and Redis's own dict uses a seeded SipHash for the
/// same reason; its cost was 5% of a pipelined SET here).
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

use bytes::Bytes;

pub use hash::Hash;
pub use keyspace::Keyspace;
pub use list::{backlen_size, fill_nodes, listpack_entry_size, node_exceeds, List};
pub use scan::{scan_hash, ScanOrder};
pub use set::{Set, SetEnc};
pub use small::SmallBytes;
pub use stream::{
    Consumer, Fields, Group, Idmp, LoadedNode, Nack, NodeLimits, Refs, Stream, StreamId, Trim, IDMP_DEFAULT_DURATION,
    IDMP_DEFAULT_MAXSIZE, LISTPACK_MAX, MAX_DELIVERIES,
};
pub use table::Table;
pub use value::{try_grow_zeroed, try_zeroed, StrEnc, StrValue, Value};
pub use zset::{LexBound, ScoreBound, ZSet};

/// The encoding thresholds of the config (`*-max-listpack-*`, `set-max-intset-entries`)
/// and which small encodings and names the pinned server has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Encodings {
    /// `list-max-listpack-size`.
    pub list_fill: i64,
    /// Small lists are one listpack (Redis 7.2+, Valkey); before, every list is a quicklist.
    pub small_lists: bool,
    pub hash_entries: usize,
    pub hash_value: usize,
    pub set_intset: usize,
    pub set_lp_entries: usize,
    pub set_lp_value: usize,
    /// Small sets of strings are a listpack (Redis 7.2+, Valkey); before, a hashtable.
    pub small_sets: bool,
    pub zset_entries: usize,
    pub zset_value: usize,
    /// SADD, HSET and ZADD convert up front when their argument count exceeds a limit,
    /// duplicates or not (Redis 7.2+, Valkey).
    pub up_front: bool,
    /// The small hash and sorted-set encoding is called `ziplist` (before Redis 7.0).
    pub ziplist_names: bool,
}

/// A stored key.
#[derive(Debug, Clone)]
pub struct Entry {
    pub value: Value,
    /// Absolute expiry time in ms since the epoch.
    pub expire_at: Option<i64>,
    /// Last access in ms (OBJECT IDLETIME).
    pub accessed_ms: i64,
}

/// Keys are [`Bytes`], so the expiry index and the SCAN index share them instead of copying.
#[derive(Debug, Default, Clone)]
pub struct Db {
    map: Keyspace,
    expiry: BTreeSet<(i64, SmallBytes)>,
    /// Built by the first SCAN, then kept up to date.
    scan: Option<ScanOrder<SmallBytes>>,
    /// When a key of this database holding one of Redis's shared integers (0..9999) last
    /// touched it: Redis keeps one object per such integer, so its idle time is shared by
    /// every key that holds it. Survives FLUSHDB, as the shared objects do.
    shared_ints: HashMap<u16, i64>,
    /// Keys that held a hash with field TTLs when last seen: the active expiry cycle sweeps
    /// their fields (a key that no longer does is dropped on the way).
    field_ttls: BTreeSet<Bytes>,
    /// What happened to keys inside the database since the dispatcher last collected it,
    /// in order: expiry (lazy or active), creation (only while `log_new`), hash fields
    /// expiring in the active cycle. For WATCH, keyspace notifications and INFO's counts.
    log: Vec<(KeyEvent, Bytes)>,
    /// Whether key creations are logged (the `new` keyspace event is on).
    pub log_new: bool,
    /// Raised with every log entry, shared by the server's databases: after a command the
    /// dispatcher looks at the logs only when it is up.
    pub logged: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// While a CLIENT NO-TOUCH client's command runs: lookups leave access times alone.
    pub no_touch: bool,
    /// Each key's MEMORY USAGE and their sum, kept while `maxmemory` is set (nothing is
    /// measured otherwise).
    mem: Option<Box<MemBook>>,
    /// Each key's LFU counter, kept while the maxmemory policy is an LFU one.
    lfu: Option<Box<Lfu>>,
    /// Cluster mode: when each key was created (CLUSTER GETKEYSINSLOT lists a slot's keys
    /// newest first, as Redis's slot-to-keys lists do), and the next number.
    created: Option<Box<(HashMap<SmallBytes, u64>, u64)>>,
}

// A key's slot in the keyspace: the key (24 bytes) and this entry.
const _: () = assert!(std::mem::size_of::<Entry>() == 56);

/// Redis's LFU counters (8 bits, logarithmic, decaying by the minute since the last access).
#[derive(Debug, Default, Clone)]
struct Lfu {
    counters: FastMap<SmallBytes, u8>,
    log_factor: u32,
    decay_minutes: u32,
    rng: u64,
}

/// A key drawn for eviction and what the policies rank it by.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub key: Bytes,
    pub accessed_ms: i64,
    pub expire_at: Option<i64>,
    pub freq: u8,
}

/// A new key's LFU counter (`LFU_INIT_VAL`).
pub const LFU_INIT: u8 = 5;

impl Lfu {
    /// `LFUDecrAndReturn`: the counter less one per `lfu-decay-time` minutes since `last_ms`.
    fn decayed(&self, counter: u8, last_ms: i64, now: i64) -> u8 {
        let minutes = |ms: i64| (ms.max(0) / 60_000) & 0xffff;
        let (now_m, last_m) = (minutes(now), minutes(last_ms));
        let elapsed = if now_m >= last_m { now_m - last_m } else { 65535 - last_m + now_m };
        let periods = if self.decay_minutes > 0 { elapsed / i64::from(self.decay_minutes) } else { 0 };
        u8::try_from(i64::from(counter) - periods).unwrap_or(0)
    }

    /// `LFULogIncr`: up by one with probability 1 / ((counter - 5) * log_factor + 1).
    fn incremented(&mut self, counter: u8) -> u8 {
        if counter == 255 {
            return 255;
        }
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let r = (self.rng >> 11) as f64 / (1u64 << 53) as f64;
        let base = f64::from(counter.saturating_sub(LFU_INIT));
        if r < 1.0 / (base * f64::from(self.log_factor) + 1.0) {
            counter + 1
        } else {
            counter
        }
    }
}

/// The maxmemory accounting of a database.
#[derive(Debug, Default, Clone)]
struct MemBook {
    sizes: FastMap<SmallBytes, usize>,
    total: usize,
    list_fill: i64,
    stream_node_bytes: usize,
}

/// A change [`Db`] makes on its own (see `Db::take_log`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyEvent {
    /// The key expired and was deleted.
    Expired,
    /// The key was created.
    New,
    /// Fields of the hash expired in the active cycle (the count).
    FieldsExpired(u32),
    /// A hash emptied by its fields' expiry was deleted.
    Deleted,
}

impl Db {
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Number of keys with a TTL.
    pub fn volatile_len(&self) -> usize {
        self.expiry.len()
    }

    /// Average remaining TTL of volatile keys in ms (INFO keyspace `avg_ttl`).
    pub fn avg_ttl(&self, now: i64) -> i64 {
        if self.expiry.is_empty() {
            return 0;
        }
        let sum: i128 = self.expiry.iter().map(|(t, _)| i128::from((t - now).max(0))).sum();
        (sum / self.expiry.len() as i128) as i64
    }

    /// Redis keeps a key through its expiry millisecond: it is gone once `now > when`.
    fn is_expired(e: &Entry, now: i64) -> bool {
        e.expire_at.is_some_and(|t| t < now)
    }

    /// Deletes `key` if it has expired; true when it did.
    pub fn expire_if_needed(&mut self, key: &[u8], now: i64) -> bool {
        match self.map.position(key) {
            Some(i) if Self::is_expired(self.map.at(i).1, now) => {
                self.expire(key);
                true
            }
            _ => false,
        }
    }

    /// Deletes `key`, which has expired.
    fn expire(&mut self, key: &[u8]) {
        self.note((KeyEvent::Expired, Bytes::copy_from_slice(key)));
        self.remove(key);
    }

    /// The live entry of `key` (lazily expiring it), touching its access time.
    pub fn get_mut(&mut self, key: &[u8], now: i64) -> Option<&mut Entry> {
        let i = self.map.position(key)?;
        if Self::is_expired(self.map.at(i).1, now) {
            self.expire(key);
            return None;
        }
        let e = self.map.at_mut(i);
        if self.no_touch {
            return Some(e);
        }
        if let Some(l) = &mut self.lfu {
            let c = l.counters.get(key).copied().unwrap_or(LFU_INIT);
            let c = l.decayed(c, e.accessed_ms, now);
            let c = l.incremented(c);
            if let Some(slot) = l.counters.get_mut(key) {
                *slot = c;
            }
        }
        e.accessed_ms = now;
        if let Some(n) = e.value.shared_int() {
            self.shared_ints.insert(n, now);
        }
        Some(e)
    }

    /// The live entry of `key` without touching its access time.
    pub fn peek(&mut self, key: &[u8], now: i64) -> Option<&Entry> {
        let i = self.map.position(key)?;
        if Self::is_expired(self.map.at(i).1, now) {
            self.expire(key);
            return None;
        }
        Some(self.map.at(i).1)
    }

    /// The entry of `key` if it is live at `now`, without expiring or touching anything.
    pub fn get_live(&self, key: &[u8], now: i64) -> Option<&Entry> {
        self.map.get(key).filter(|e| !Self::is_expired(e, now))
    }

    /// The entry of `key`, expired or not (Redis's `dbFind`).
    pub fn find(&self, key: &[u8]) -> Option<&Entry> {
        self.map.get(key)
    }

    /// Whether `key` is stored, expired or not.
    pub fn holds(&self, key: &[u8]) -> bool {
        self.map.contains_key(key)
    }

    /// Whether `key` is still stored but logically expired at `now`.
    pub fn is_stale(&self, key: &[u8], now: i64) -> bool {
        self.map.get(key).is_some_and(|e| Self::is_expired(e, now))
    }

    pub fn contains(&mut self, key: &[u8], now: i64) -> bool {
        self.peek(key, now).is_some()
    }

    /// Stores `value` under `key`, replacing any old value; the TTL becomes `expire_at`.
    pub fn set(&mut self, key: &[u8], value: Value, expire_at: Option<i64>, now: i64) {
        let entry = Entry { value, expire_at, accessed_ms: now };
        // A logically expired key is deleted first (its expiry is an event of its own).
        self.expire_if_needed(key, now);
        let Some(i) = self.map.position(key) else {
            return self.insert_new(SmallBytes::from_slice(key), entry);
        };
        let e = self.map.at_mut(i);
        let old = std::mem::replace(e, entry);
        if e.value.has_field_ttls() {
            self.field_ttls.insert(Bytes::copy_from_slice(key));
        }
        // Redis looks the old value up for writing, which touches a shared integer.
        if let Some(n) = old.value.shared_int().filter(|_| !Self::is_expired(&old, now)) {
            self.shared_ints.insert(n, now);
        }
        if old.expire_at != expire_at {
            let k = SmallBytes::from_slice(key);
            if let Some(t) = old.expire_at {
                self.expiry.remove(&(t, k.clone()));
            }
            if let Some(t) = expire_at {
                self.expiry.insert((t, k));
            }
        }
        self.remeasure(key);
    }

    /// Registers `key` for the field sweep when its hash has field TTLs (after HEXPIRE &
    /// co. changed it in place).
    pub fn note_field_ttls(&mut self, key: &[u8]) {
        if self.map.get(key).is_some_and(|e| e.value.has_field_ttls()) {
            self.field_ttls.insert(Bytes::copy_from_slice(key));
        }
    }

    /// Deletes the expired fields of every registered hash (and hashes left empty); how
    /// many fields went.
    pub fn purge_expired_fields(&mut self, now: i64) -> u64 {
        let mut n = 0;
        let keys: Vec<Bytes> = self.field_ttls.iter().cloned().collect();
        for k in keys {
            let Some(e) = self.map.get_mut(&k) else {
                self.field_ttls.remove(&k);
                continue;
            };
            match &mut e.value {
                Value::Hash(h) if h.has_expires() => {
                    let gone = h.purge_expired(now);
                    n += gone as u64;
                    if gone > 0 {
                        // (The fields' borrow of the map is still live: the log by hand.)
                        self.log.push((KeyEvent::FieldsExpired(gone as u32), k.clone()));
                        self.logged.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    if h.is_empty() {
                        self.remove(&k);
                        self.note((KeyEvent::Deleted, k.clone()));
                    } else if !h.has_expires() {
                        self.field_ttls.remove(&k);
                    }
                }
                _ => {
                    self.field_ttls.remove(&k);
                }
            }
        }
        n
    }

    /// Inserts a key known to be absent, into every index.
    fn insert_new(&mut self, k: SmallBytes, entry: Entry) {
        if self.log_new {
            self.note((KeyEvent::New, k.to_bytes()));
        }
        if entry.value.has_field_ttls() {
            self.field_ttls.insert(k.to_bytes());
        }
        if let Some(t) = entry.expire_at {
            self.expiry.insert((t, k.clone()));
        }
        if let Some(o) = &mut self.scan {
            o.insert(&k);
        }
        if let Some(l) = &mut self.lfu {
            l.counters.insert(k.clone(), LFU_INIT);
        }
        if let Some(c) = &mut self.created {
            c.1 += 1;
            c.0.insert(k.clone(), c.1);
        }
        if self.mem.is_some() {
            let key = k.clone();
            self.map.insert_new(k, entry);
            self.remeasure(&key);
        } else {
            self.map.insert_new(k, entry);
        }
    }

    /// Replaces the value of an existing key, keeping its TTL; inserts it without TTL if absent.
    pub fn set_keep_ttl(&mut self, key: &[u8], value: Value, now: i64) {
        match self.map.get_mut(key) {
            Some(e) => {
                e.value = value;
                e.accessed_ms = now;
                self.remeasure(key);
            }
            None => self.set(key, value, None, now),
        }
    }

    /// Starts (with the parameters sizes depend on: `list-max-listpack-size`,
    /// `stream-node-max-bytes`), restarts or (None) stops the maxmemory accounting.
    pub fn account(&mut self, on: Option<(i64, usize)>) {
        let Some((list_fill, stream_node_bytes)) = on else {
            self.mem = None;
            return;
        };
        let mut book = MemBook { list_fill, stream_node_bytes, ..MemBook::default() };
        for (k, e) in self.map.iter() {
            let n = memory::usage(k, e, 5, list_fill, stream_node_bytes);
            book.sizes.insert(k.clone(), n);
            book.total += n;
        }
        self.mem = Some(Box::new(book));
    }

    /// Starts (every key at the initial counter), retunes or (None) stops the LFU counters,
    /// with `lfu-log-factor` and `lfu-decay-time`.
    pub fn set_lfu(&mut self, on: Option<(u32, u32)>) {
        let Some((log_factor, decay_minutes)) = on else {
            self.lfu = None;
            return;
        };
        if let Some(l) = &mut self.lfu {
            (l.log_factor, l.decay_minutes) = (log_factor, decay_minutes);
            return;
        }
        let counters = self.map.keys().map(|k| (k.clone(), LFU_INIT)).collect();
        self.lfu = Some(Box::new(Lfu { counters, log_factor, decay_minutes, rng: 0x9e37_79b9_7f4a_7c15 }));
    }

    /// RESTORE ... FREQ: sets the key's LFU counter, while the counters are kept.
    pub fn set_lfu_counter(&mut self, key: &[u8], freq: u8) {
        if let Some(slot) = self.lfu.as_mut().and_then(|l| l.counters.get_mut(key)) {
            *slot = freq;
        }
    }

    /// Cluster mode: starts numbering key creations (the keys there are count as created in
    /// iteration order).
    pub fn track_creation(&mut self) {
        if self.created.is_none() {
            let mut c = (HashMap::new(), 0u64);
            for k in self.map.keys() {
                c.1 += 1;
                c.0.insert(k.clone(), c.1);
            }
            self.created = Some(Box::new(c));
        }
    }

    /// When `key` was created, while creations are numbered.
    pub fn created(&self, key: &[u8]) -> Option<u64> {
        self.created.as_ref()?.0.get(key).copied()
    }

    /// OBJECT FREQ: the key's LFU counter decayed to `now`, while the counters are kept.
    pub fn lfu_freq(&self, key: &[u8], now: i64) -> Option<u8> {
        let l = self.lfu.as_ref()?;
        let e = self.map.get(key)?;
        Some(l.decayed(l.counters.get(key).copied().unwrap_or(LFU_INIT), e.accessed_ms, now))
    }

    /// The accounted memory of the keys, if accounting is on.
    pub fn mem_total(&self) -> Option<usize> {
        self.mem.as_ref().map(|m| m.total)
    }

    /// Measures `key` again after a write (or forgets it once it is gone).
    pub fn remeasure(&mut self, key: &[u8]) {
        let Some(book) = &mut self.mem else { return };
        let Some((k, e)) = self.map.get_key_value(key) else {
            if let Some(old) = book.sizes.remove(key) {
                book.total -= old;
            }
            return;
        };
        let n = memory::usage(k, e, 5, book.list_fill, book.stream_node_bytes);
        let old = book.sizes.insert(k.clone(), n).unwrap_or(0);
        book.total = book.total + n - old;
    }

    fn unmeasure(&mut self, key: &[u8]) {
        if let Some(l) = &mut self.lfu {
            l.counters.remove(key);
        }
        if let Some(c) = &mut self.created {
            c.0.remove(key);
        }
        if let Some(book) = &mut self.mem {
            if let Some(old) = book.sizes.remove(key) {
                book.total -= old;
            }
        }
    }

    /// Up to `n` keys picked at random (with TTLs only when `volatile`), for eviction, with
    /// what the policies rank them by.
    pub fn sample(&mut self, n: usize, volatile: bool, seed: u64, now: i64) -> Vec<Candidate> {
        if !volatile && self.scan.is_none() {
            self.scan = Some(ScanOrder::build(self.map.keys()));
        }
        // Never more draws than keys (as `dictGetSomeKeys`): `maxmemory-samples` may be 2^31.
        let n = n.min(if volatile { self.expiry.len() } else { self.map.len() });
        let mut out = Vec::with_capacity(n);
        let mut x = seed | 1;
        for _ in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let k = if volatile {
                let (Some(lo), Some(hi)) = (self.expiry.first(), self.expiry.last()) else { break };
                let span = hi.0.abs_diff(lo.0).saturating_add(1);
                let t = lo.0.saturating_add_unsigned(x % span);
                self.expiry.range((t, SmallBytes::default())..).next().map(|(_, k)| k.clone())
            } else {
                self.scan.as_ref().and_then(|o| o.key_from(x)).cloned()
            };
            if let Some((k, e)) = k.and_then(|k| self.map.get_key_value(&k)) {
                let freq = self.lfu_freq(k, now).unwrap_or(LFU_INIT);
                out.push(Candidate { key: k.to_bytes(), accessed_ms: e.accessed_ms, expire_at: e.expire_at, freq });
            }
        }
        out
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let (k, e) = self.map.remove(key)?;
        self.unmeasure(&k);
        if let Some(t) = e.expire_at {
            self.expiry.remove(&(t, k));
        }
        if let Some(o) = &mut self.scan {
            o.remove(key);
        }
        Some(e)
    }

    /// Puts a whole entry (value and TTL) under `key`, replacing what was there.
    pub fn put_entry(&mut self, key: &[u8], entry: Entry) {
        self.remove(key);
        self.insert_new(SmallBytes::from_slice(key), entry);
    }

    /// Sets or clears the TTL of an existing key; false when the key does not exist.
    pub fn set_expire(&mut self, key: &[u8], at: Option<i64>) -> bool {
        let Some(e) = self.map.get_mut(key) else { return false };
        let k = SmallBytes::from_slice(key);
        if let Some(t) = e.expire_at {
            self.expiry.remove(&(t, k.clone()));
        }
        e.expire_at = at;
        if let Some(t) = at {
            self.expiry.insert((t, k));
        }
        true
    }

    /// Deletes every key whose time has come; returns the deleted keys.
    pub fn purge_expired(&mut self, now: i64) -> Vec<SmallBytes> {
        let mut gone = Vec::new();
        while let Some((t, _)) = self.expiry.first() {
            if *t >= now {
                break;
            }
            if let Some((_, k)) = self.expiry.pop_first() {
                self.map.remove(&k);
                self.unmeasure(&k);
                if let Some(o) = &mut self.scan {
                    o.remove(&k);
                }
                self.note((KeyEvent::Expired, k.to_bytes()));
                gone.push(k);
            }
        }
        gone
    }

    /// What happened to keys on the database's own since the last call, in order.
    /// A database whose log entries raise `flag` (the server's `logs_pending`).
    pub fn with_flag(flag: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Db {
        Db { logged: flag, ..Db::default() }
    }

    fn note(&mut self, entry: (KeyEvent, Bytes)) {
        self.log.push(entry);
        self.logged.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn take_log(&mut self) -> Vec<(KeyEvent, Bytes)> {
        std::mem::take(&mut self.log)
    }

    pub fn has_log(&self) -> bool {
        !self.log.is_empty()
    }

    /// How many hashes have fields with TTLs (INFO keyspace `subexpiry`).
    pub fn subexpiry(&self) -> usize {
        self.field_ttls.iter().filter(|k| self.map.get(k).is_some_and(|e| e.value.has_field_ttls())).count()
    }

    /// When a key of this database last touched the shared integer `n`.
    pub fn shared_int_touched(&self, n: u16) -> Option<i64> {
        self.shared_ints.get(&n).copied()
    }

    pub fn clear(&mut self) {
        if let Some(l) = &mut self.lfu {
            l.counters.clear();
        }
        if let Some(c) = &mut self.created {
            c.0.clear();
        }
        if let Some(m) = &mut self.mem {
            m.sizes.clear();
            m.total = 0;
        }
        self.map.clear();
        self.expiry.clear();
        self.field_ttls.clear();
        self.scan = None;
    }

    /// Every key, expired or not (callers filter with `now`).
    pub fn keys(&self) -> impl Iterator<Item = (&SmallBytes, &Entry)> {
        self.map.iter()
    }

    /// Live keys at `now`.
    pub fn live_keys(&self, now: i64) -> impl Iterator<Item = (&SmallBytes, &Entry)> {
        self.map.iter().filter(move |(_, e)| !Self::is_expired(e, now))
    }

    /// One SCAN step from `cursor`: at least `count` keys (whole hash groups), expired ones
    /// included (the caller drops those, as Redis does), and the next cursor.
    pub fn scan(&mut self, cursor: u64, count: usize) -> (u64, Vec<Bytes>) {
        let map = &self.map;
        let (next, keys) = self.scan.get_or_insert_with(|| ScanOrder::build(map.keys())).scan(cursor, count);
        (next, keys.iter().map(SmallBytes::to_bytes).collect())
    }

    /// A pseudo-random live key; `seed` picks it.
    pub fn random_key(&mut self, now: i64, seed: u64) -> Option<Vec<u8>> {
        // Expired keys met on the way are deleted, as Redis's RANDOMKEY does.
        for _ in 0..100 {
            if self.map.is_empty() {
                return None;
            }
            let n = (seed as usize) % self.map.len();
            let key = self.map.at(n).0.clone();
            if !self.expire_if_needed(&key, now) {
                return Some(key.to_vec());
            }
        }
        self.live_keys(now).next().map(|(k, _)| k.to_vec())
    }
}
