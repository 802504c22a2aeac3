//! MEMORY HELP, DOCTOR, PURGE and USAGE (read from Redis's `object.c`; USAGE's figure is
//! [`crate::db::memory`]'s). DOCTOR reports on the
//! fake's memory estimate (INFO's `used_memory`): under 5 MB the instance is "empty"; the
//! other reports (peaks, fragmentation, buffers, cached scripts) never apply to it.

use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;
use crate::spec::grammar::parse_i64;

use super::help_reply;

/// Below this `used_memory`, DOCTOR calls the instance empty.
const DOCTOR_EMPTY_BELOW: u64 = 5 * 1024 * 1024;

/// MEMORY HELP.
pub fn memory_help(_ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    Ok(help_reply(
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    ))
}

/// MEMORY DOCTOR: a verbatim text report.
pub fn memory_doctor(ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    let (used, _) = super::info::used_memory(ctx);
    let text = if used < DOCTOR_EMPTY_BELOW {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
    } else {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
    };
    Ok(Reply::Verbatim("txt", text.as_bytes().to_vec()))
}

/// MEMORY PURGE: there is nothing to give back.
pub fn memory_purge(_ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::ok())
}

/// MEMORY USAGE key [SAMPLES count] (overlay `walk`): options first (SAMPLES 0 samples
/// everything), then the key as stored, expired or not (`dbFind`), or nil.
pub fn memory_usage(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let Some((key, opts)) = words.split_first() else { return Err(Reply::err(error::SYNTAX)) };
    let mut samples = 5usize;
    let mut i = 0;
    while i < opts.len() {
        if !opts[i].eq_ignore_ascii_case(b"samples") || i + 1 >= opts.len() {
            return Err(Reply::err(error::SYNTAX));
        }
        let n = parse_i64(&opts[i + 1]).ok_or(Reply::err(error::NOT_INTEGER))?;
        samples = match n {
            ..=-1 => return Err(Reply::err(error::SYNTAX)),
            0 => usize::MAX,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        i += 2;
    }
    let fill = ctx.st.config.get_i64("list-max-listpack-size");
    let node_bytes = usize::try_from(ctx.st.config.get_i64("stream-node-max-bytes")).unwrap_or(4096);
    let usage = ctx.db().find(key).map(|e| crate::db::memory::usage(key, e, samples, fill, node_bytes));
    Ok(usage.map_or(Reply::Nil, |n| Reply::Int(n as i64)))
}

/// MEMORY MALLOC-STATS: the fake's allocator is not jemalloc, which is what Redis says
/// when built without it.
pub fn memory_malloc_stats(_ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::bulk("Stats not supported for the current allocator"))
}

/// MEMORY STATS: Redis's fields, from the fake's memory figure (INFO's `used_memory`): the
/// keys' accounted sizes, the databases' hash-table overheads, and an allocator that
/// neither fragments nor keeps pages (its ratios are 1).
pub fn memory_stats(ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    let p = ctx.profile();
    let seven = p.redis_at_least(7, 0);
    let (total, dataset) = super::info::used_memory(ctx);
    let startup = crate::server::evict::STARTUP;
    let clients = ctx.st.clients.len() as u64 * crate::server::evict::PER_CLIENT;
    let slots = |n: u64| if n == 0 { 0 } else { n.max(4).next_power_of_two() };
    let entry = if seven { 40 } else { 24 };
    let b = Reply::bulk;
    let int = |n: u64| Reply::Int(n as i64);
    let mut m: Vec<(Reply, Reply)> = vec![(b("peak.allocated"), int(total)), (b("total.allocated"), int(total))];
    m.extend([(b("startup.allocated"), int(startup)), (b("replication.backlog"), int(0))]);
    m.extend([(b("clients.slaves"), int(0)), (b("clients.normal"), int(clients))]);
    if seven {
        m.push((b("cluster.links"), int(0)));
    }
    m.extend([(b("aof.buffer"), int(0)), (b("lua.caches"), int(0))]);
    if seven {
        m.push((b("functions.caches"), int(200)));
    }
    let mut keys = 0u64;
    for (i, db) in ctx.st.dbs.iter().enumerate().filter(|(_, d)| !d.is_empty()) {
        let (n, v) = (db.len() as u64, db.volatile_len() as u64);
        keys += n;
        let mut d = vec![(b("overhead.hashtable.main"), int(n * entry + slots(n) * 8))];
        d.push((b("overhead.hashtable.expires"), int(v * 24 + slots(v) * 8)));
        if seven {
            d.push((b("overhead.hashtable.slot-to-keys"), int(0)));
        }
        m.push((Reply::bulk(format!("db.{i}")), Reply::Map(d)));
    }
    let overhead = total - dataset;
    let net = total.saturating_sub(startup).max(1);
    m.extend([(b("overhead.total"), int(overhead)), (b("keys.count"), int(keys))]);
    m.push((b("keys.bytes-per-key"), int(net.checked_div(keys).unwrap_or(0))));
    m.extend([
        (b("dataset.bytes"), int(dataset)),
        (b("dataset.percentage"), Reply::Double(dataset as f64 * 100.0 / net as f64)),
    ]);
    let pages = total.div_ceil(4096) * 4096;
    m.extend([(b("peak.percentage"), Reply::Double(100.0)), (b("allocator.allocated"), int(total))]);
    m.extend([(b("allocator.active"), int(pages)), (b("allocator.resident"), int(pages))]);
    m.extend([(b("allocator-fragmentation.ratio"), Reply::Double(pages as f64 / total as f64))]);
    m.extend([
        (b("allocator-fragmentation.bytes"), int(pages - total)),
        (b("allocator-rss.ratio"), Reply::Double(1.0)),
    ]);
    m.extend([(b("allocator-rss.bytes"), int(0)), (b("rss-overhead.ratio"), Reply::Double(1.0))]);
    m.extend([(b("rss-overhead.bytes"), int(0)), (b("fragmentation"), Reply::Double(pages as f64 / total as f64))]);
    m.push((b("fragmentation.bytes"), int(pages - total)));
    Ok(Reply::Map(m))
}
