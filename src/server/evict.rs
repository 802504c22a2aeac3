//! `maxmemory`: the memory figure eviction compares with it and Redis's `performEvictions`.
//! While `maxmemory` is set every key's MEMORY USAGE is accounted ([`crate::db::Db::account`],
//! kept up to date by the dispatcher after each command), so the figure grows with the data
//! as Redis's does. Before a client's command, keys are evicted by the policy until the
//! figure is under the limit; when nothing more can go, commands that may grow memory
//! (`DENYOOM`) are refused with Redis's OOM error.
//!
//! Candidates are drawn as Redis draws them: `maxmemory-samples` keys from each database
//! (from the keys with a TTL for the `volatile-*` policies), the best of them evicted: the
//! least recently used for LRU, the least frequently used for LFU (Redis's logarithmic,
//! decaying counters, kept while an LFU policy is set), the soonest to expire for TTL,
//! any for random.

use super::{notify, State};
use crate::server::config::NOTIFY_EVICTED;

/// The startup figure of INFO's `used_memory` (an empty redis-server 7.0).
pub const STARTUP: u64 = 866_000;
/// What a connected client adds (its buffers).
pub const PER_CLIENT: u64 = 22_000;

/// Keys measured one by one for `used_memory` while nothing is accounted; past them the
/// figure is scaled from their average.
const MEASURED_KEYS: usize = 1000;

/// INFO's `used_memory` and `used_memory_dataset`: the accounted keys while `maxmemory`
/// is set, else the keys' MEMORY USAGE (up to `MEASURED_KEYS` of them, scaled to the rest:
/// a few big keys weigh as in Redis, where a key count alone would not see them).
pub fn used_memory(st: &State) -> (u64, u64) {
    let clients = st.clients.len() as u64;
    let accounted: Option<usize> = st.dbs.iter().map(|d| d.mem_total()).sum();
    let dataset = match accounted {
        Some(n) => n as u64,
        None => {
            let fill = st.config.get_i64("list-max-listpack-size");
            let node_bytes = usize::try_from(st.config.get_i64("stream-node-max-bytes")).unwrap_or(4096);
            let total: usize = st.dbs.iter().map(|d| d.len()).sum();
            let measured: Vec<usize> = st
                .dbs
                .iter()
                .flat_map(|d| d.keys())
                .take(MEASURED_KEYS)
                .map(|(k, e)| crate::db::memory::usage(k, e, 5, fill, node_bytes))
                .collect();
            let sum: usize = measured.iter().sum();
            (sum as f64 * total as f64 / measured.len().max(1) as f64) as u64
        }
    };
    (STARTUP + clients * PER_CLIENT + dataset, dataset)
}

/// After CONFIG SET (or startup): LFU counters exactly while the policy is an LFU one.
pub fn configure_lfu(st: &mut State) {
    let on = st.config.get("maxmemory-policy").ends_with("lfu").then(|| {
        let n = |name| u32::try_from(st.config.get_i64(name)).unwrap_or(0);
        (n("lfu-log-factor"), n("lfu-decay-time"))
    });
    for db in &mut st.dbs {
        db.set_lfu(on);
    }
}

/// After the startup config: cluster mode numbers key creations (for GETKEYSINSLOT).
pub fn configure_cluster(st: &mut State) {
    if st.config.limits().cluster {
        st.dbs.iter_mut().for_each(crate::db::Db::track_creation);
    }
}

/// After CONFIG SET (or startup): accounting on exactly while `maxmemory` is set.
pub fn configure(st: &mut State) {
    let on = (st.config.get_i64("maxmemory") > 0).then(|| {
        let fill = st.config.get_i64("list-max-listpack-size");
        (fill, usize::try_from(st.config.get_i64("stream-node-max-bytes")).unwrap_or(4096))
    });
    for db in &mut st.dbs {
        db.account(on);
    }
}

/// `performEvictions`: evicts until under `maxmemory`; false when still over with nothing
/// (more) to evict, or under `noeviction`. The evicted keys are added to `dirty`.
pub fn perform(st: &mut State, now: i64, dirty: &mut Vec<(usize, Vec<u8>)>) -> bool {
    let max = st.config.get_i64("maxmemory");
    if max <= 0 {
        return true;
    }
    let policy = st.config.get("maxmemory-policy").to_string();
    let samples = usize::try_from(st.config.get_i64("maxmemory-samples")).unwrap_or(5).max(1);
    loop {
        if used_memory(st).0 <= max as u64 {
            return true;
        }
        if policy == "noeviction" {
            return false;
        }
        let volatile = policy.starts_with("volatile");
        let seed = st.next_random();
        let mut best: Option<(i64, usize, bytes::Bytes)> = None;
        for (i, db) in st.dbs.iter_mut().enumerate() {
            for c in db.sample(samples, volatile, seed ^ (i as u64).wrapping_mul(0x9e37_79b9), now) {
                let score = if policy.ends_with("ttl") {
                    c.expire_at.unwrap_or(i64::MAX)
                } else if policy.ends_with("random") {
                    0
                } else if policy.ends_with("lfu") {
                    // The least frequent first, the least recent among equals.
                    (i64::from(c.freq) << 43) + c.accessed_ms.clamp(0, (1 << 43) - 1)
                } else {
                    c.accessed_ms
                };
                if best.as_ref().is_none_or(|b| score < b.0) {
                    best = Some((score, i, c.key));
                }
            }
        }
        let Some((_, db, key)) = best else { return false };
        st.dbs[db].remove(&key);
        st.stats.evicted_keys += 1;
        notify::publish(st, db, NOTIFY_EVICTED, "evicted", &key);
        dirty.push((db, key.to_vec()));
    }
}
