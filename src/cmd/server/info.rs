//! INFO: the sections of the pinned server, in its order, with its field names
//! (`docs/research/info-redis.md`, `info-others.md`). Values are the fake's own and
//! self-consistent: counters that count (commands, errors per prefix, keyspace hits and
//! misses, expired keys, connections), and plausible constants where the fake has no such
//! machinery (memory, forks, replication offsets, CPU). Dragonfly keeps a short layout of
//! its own (its full INFO is not modelled yet).
//!
//! Selection as Redis: no argument or `default`, `all` (every section but `debug`),
//! `everything` (the same: the fake loads no module), names in any case; up to 6.2 (and
//! KeyDB) one argument at most; from 7.0 any number, printed once each in the server's
//! order; unknown names print nothing.

use std::fmt::Write as _;

use super::dragonfly_redis_version;
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;
use crate::spec::{Profile, ServerKind, Version};

/// One section being written.
struct Sec {
    out: String,
}

impl Sec {
    fn new(header: &str) -> Sec {
        Sec { out: format!("# {header}\r\n") }
    }

    fn f(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        let _ = write!(self.out, "{name}:{value}\r\n");
        self
    }

    fn when(&mut self, cond: bool, name: &str, value: impl std::fmt::Display) -> &mut Self {
        if cond {
            self.f(name, value);
        }
        self
    }
}

/// The profile's version checks.
#[derive(Clone, Copy)]
struct V(Profile);

impl V {
    /// Redis (or the Redis version Valkey and KeyDB report) at least `a.b`.
    fn r(self, a: u16, b: u16) -> bool {
        self.0.redis_at_least(a, b)
    }
    /// Redis itself at least `a.b` (not Valkey, whose compat version stays 7.2.4).
    fn redis(self, a: u16, b: u16) -> bool {
        self.0.is(ServerKind::Redis) && self.0.version >= Version::new(a, b, 0)
    }
    fn valkey(self, a: u16, b: u16) -> bool {
        self.0.is(ServerKind::Valkey) && self.0.version >= Version::new(a, b, 0)
    }
    fn is_valkey(self) -> bool {
        self.0.is(ServerKind::Valkey)
    }
    fn keydb(self) -> bool {
        self.0.is(ServerKind::KeyDB)
    }
}

/// Redis's `bytesToHuman`.
fn human(n: u64) -> String {
    let units = [(1u64 << 50, "P"), (1 << 40, "T"), (1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")];
    if n < 1024 {
        return format!("{n}B");
    }
    for (size, unit) in units {
        if n >= size {
            return format!("{:.2}{unit}", n as f64 / size as f64);
        }
    }
    format!("{n}B")
}

/// What the fake's data costs, as INFO's memory figures (an estimate that grows with it).
pub(crate) fn used_memory(ctx: &Ctx<'_>) -> (u64, u64) {
    crate::server::evict::used_memory(ctx.st)
}

fn server(ctx: &Ctx<'_>, v: V) -> String {
    let p = ctx.profile();
    let uptime = (ctx.now - ctx.shared.started_ms).max(0) / 1000;
    let hz = ctx.st.config.get("hz");
    let port = ctx.shared.port.load(std::sync::atomic::Ordering::Relaxed);
    let mut s = Sec::new("Server");
    if p.is(ServerKind::Dragonfly) {
        s.f("redis_version", dragonfly_redis_version(&p)).f("dragonfly_version", format!("df-v{}", p.version));
    } else {
        s.f("redis_version", p.redis_compat_version());
    }
    if v.is_valkey() {
        s.f("server_name", "valkey").f("valkey_version", p.version);
        s.when(v.valkey(8, 1), "valkey_release_stage", "ga");
    }
    s.f("redis_git_sha1", "00000000").f("redis_git_dirty", 0).f("redis_build_id", "0");
    let mode = if ctx.st.config.limits().cluster { "cluster" } else { "standalone" };
    s.f(if v.valkey(8, 0) { "server_mode" } else { "redis_mode" }, mode);
    s.f("os", "Linux fakeredis x86_64").f("arch_bits", 64);
    s.when(!v.keydb(), "monotonic_clock", "POSIX clock_gettime");
    s.f("multiplexing_api", "epoll");
    s.when(!v.valkey(8, 0), "atomicvar_api", "c11-builtin");
    s.f("gcc_version", "0.0.0").f("process_id", std::process::id()).f("process_supervised", "no");
    s.f("run_id", &ctx.shared.run_id).f("tcp_port", port);
    s.f("server_time_usec", ctx.now_us).f("uptime_in_seconds", uptime).f("uptime_in_days", uptime / 86400);
    s.f("hz", hz).f("configured_hz", hz);
    s.when(v.valkey(8, 1), "clients_hz", hz);
    s.f("lru_clock", (ctx.now / 1000) & ((1 << 24) - 1));
    s.f("executable", "/usr/bin/redis-server").f("config_file", ctx.st.config_file.as_deref().unwrap_or(""));
    if v.keydb() {
        s.f("availability_zone", "").f("features", "cluster_mget");
        return s.out;
    }
    s.f("io_threads_active", 0);
    s.when(v.valkey(8, 0), "availability_zone", "");
    if v.r(7, 2) {
        let bind = ctx.st.config.get("bind").split(' ').map(|b| format!(",bind={b}")).collect::<String>();
        s.f("listener0", format!("name=tcp{bind},port={port}"));
    }
    s.out
}

fn clients(ctx: &Ctx<'_>, v: V) -> String {
    let mut s = Sec::new("Clients");
    s.f("connected_clients", ctx.st.clients.len()).f("cluster_connections", 0);
    s.f("maxclients", ctx.st.config.get("maxclients"));
    s.f("client_recent_max_input_buffer", 20480).f("client_recent_max_output_buffer", 0);
    let count = |f: fn(&crate::server::ClientMeta) -> bool| ctx.st.clients.values().filter(|m| f(m)).count();
    s.f("blocked_clients", count(|m| m.blocked.is_some() || m.postponed))
        .f("tracking_clients", count(|m| m.tracking.is_some()));
    let newer = v.redis(7, 4) || v.valkey(8, 0);
    s.when(newer, "pubsub_clients", count(|m| m.subs.any()));
    s.when(newer, "watching_clients", count(|m| !m.watching.is_empty()));
    s.f("clients_in_timeout_table", count(|m| m.blocked.as_ref().is_some_and(|b| b.deadline.is_some())));
    s.when(newer, "total_watched_keys", ctx.st.watches.key_count());
    s.when(v.r(7, 2), "total_blocking_keys", ctx.st.waiters.key_count());
    s.when(v.r(7, 2), "total_blocking_keys_on_nokey", 0);
    if v.keydb() {
        s.f("current_client_thread", 0).f("thread_0_clients", ctx.st.clients.len());
    }
    if v.valkey(8, 1) {
        s.f("paused_reason", "none").f("paused_actions", "none").f("paused_timeout_milliseconds", 0);
    }
    s.out
}

fn memory(ctx: &Ctx<'_>, v: V) -> String {
    let (used, dataset) = used_memory(ctx);
    let rss = used + 8_000_000;
    let maxmemory: u64 = ctx.st.config.get("maxmemory").parse().unwrap_or(0);
    let startup = 866_000u64;
    let overhead = used - dataset;
    let total_system: u64 = 25_276_502_016;
    let mut s = Sec::new("Memory");
    s.f("used_memory", used).f("used_memory_human", human(used));
    s.f("used_memory_rss", rss).f("used_memory_rss_human", human(rss));
    s.f("used_memory_peak", used).f("used_memory_peak_human", human(used));
    s.when(v.redis(8, 2), "used_memory_peak_time", ctx.shared.started_ms / 1000);
    s.f("used_memory_peak_perc", "100.00%").f("used_memory_overhead", overhead).f("used_memory_startup", startup);
    let perc = if used > startup { dataset as f64 * 100.0 / (used - startup) as f64 } else { 0.0 };
    s.f("used_memory_dataset", dataset).f("used_memory_dataset_perc", format!("{perc:.2}%"));
    s.f("allocator_allocated", used).f("allocator_active", used).f("allocator_resident", rss);
    s.when(v.redis(7, 4) || v.valkey(8, 0), "allocator_muzzy", 0);
    s.f("total_system_memory", total_system).f("total_system_memory_human", human(total_system));
    if v.r(7, 0) {
        s.f("used_memory_lua", 31744).f("used_memory_vm_eval", 31744).f("used_memory_lua_human", "31.00K");
        s.f("used_memory_scripts_eval", 0).f("number_of_cached_scripts", 0);
        s.f("number_of_functions", 0).f("number_of_libraries", 0).f("used_memory_vm_functions", 32768);
        s.f("used_memory_vm_total", 64512).f("used_memory_vm_total_human", "63.00K");
        s.f("used_memory_functions", 184).f("used_memory_scripts", 184).f("used_memory_scripts_human", "184B");
    } else {
        s.f("used_memory_lua", 37888).f("used_memory_lua_human", "37.00K");
        s.f("used_memory_scripts", 0).f("used_memory_scripts_human", "0B").f("number_of_cached_scripts", 0);
    }
    s.f("maxmemory", maxmemory).f("maxmemory_human", human(maxmemory));
    s.f("maxmemory_policy", ctx.st.config.get("maxmemory-policy"));
    s.f("allocator_frag_ratio", "1.00").f("allocator_frag_bytes", 0);
    s.f("allocator_rss_ratio", "1.00").f("allocator_rss_bytes", 0);
    s.f("rss_overhead_ratio", format!("{:.2}", rss as f64 / used as f64)).f("rss_overhead_bytes", rss - used);
    s.f("mem_fragmentation_ratio", format!("{:.2}", rss as f64 / used as f64));
    s.f("mem_fragmentation_bytes", rss - used).f("mem_not_counted_for_evict", 0);
    s.f("mem_replication_backlog", 0);
    s.when(v.r(7, 0), "mem_total_replication_buffers", 0);
    s.when(v.redis(8, 0), "mem_replica_full_sync_buffer", 0);
    s.when(v.valkey(9, 1), "mem_replicas_repl_buffer", 0);
    s.f("mem_clients_slaves", 0).f("mem_clients_normal", ctx.st.clients.len() * 22_000);
    if v.redis(8, 4) {
        s.f("mem_cluster_slot_migration_output_buffer", 0).f("mem_cluster_slot_migration_input_buffer", 0);
        s.f("mem_cluster_slot_migration_input_buffer_peak", 0);
    }
    s.when(v.r(7, 0), "mem_cluster_links", 0);
    s.when(v.valkey(9, 0), "mem_cluster_slot_import", 0).when(v.valkey(9, 0), "mem_cluster_slot_export", 0);
    s.f("mem_aof_buffer", 0);
    s.f("mem_allocator", "libc");
    s.when(v.redis(7, 4) || v.valkey(8, 0), "mem_overhead_db_hashtable_rehashing", 0);
    s.f("active_defrag_running", 0).f("lazyfree_pending_objects", 0).f("lazyfreed_objects", 0);
    if v.keydb() {
        s.f("storage_provider", "none").f("available_system_memory", "unavailable");
    }
    s.out
}

fn persistence(ctx: &Ctx<'_>, v: V) -> String {
    let mut s = Sec::new("Persistence");
    s.f("loading", 0);
    s.when(v.r(7, 0), "async_loading", 0).when(v.r(7, 0), "current_cow_peak", 0);
    s.f("current_cow_size", 0).f("current_cow_size_age", 0).f("current_fork_perc", "0.00");
    s.f("current_save_keys_processed", 0).f("current_save_keys_total", 0);
    s.f("rdb_changes_since_last_save", ctx.st.stats.changes_since_save).f("rdb_bgsave_in_progress", 0);
    s.f("rdb_last_save_time", ctx.st.last_save_s.unwrap_or(ctx.shared.started_ms / 1000))
        .f("rdb_last_bgsave_status", "ok");
    s.f("rdb_last_bgsave_time_sec", -1).f("rdb_current_bgsave_time_sec", -1);
    s.when(v.r(7, 0), "rdb_saves", 0).when(v.redis(8, 4), "rdb_saves_consecutive_failures", 0);
    s.f("rdb_last_cow_size", 0);
    s.when(v.r(7, 0), "rdb_last_load_keys_expired", 0).when(v.r(7, 0), "rdb_last_load_keys_loaded", 0);
    s.f("aof_enabled", 0).f("aof_rewrite_in_progress", 0).f("aof_rewrite_scheduled", 0);
    s.f("aof_last_rewrite_time_sec", -1).f("aof_current_rewrite_time_sec", -1).f("aof_last_bgrewrite_status", "ok");
    s.when(v.r(7, 0), "aof_rewrites", 0).when(v.r(7, 0), "aof_rewrites_consecutive_failures", 0);
    s.f("aof_last_write_status", "ok").f("aof_last_cow_size", 0);
    s.f("module_fork_in_progress", 0).f("module_fork_last_cow_size", 0);
    s.when(v.valkey(9, 0), "slot_migration_fork_in_progress", 0);
    s.out
}

fn threads(ctx: &Ctx<'_>, _v: V) -> String {
    let mut s = Sec::new("Threads");
    let st = &ctx.st.stats;
    s.f(
        "io_thread_0",
        format!("clients={},reads={},writes={}", ctx.st.clients.len(), st.commands_processed, st.commands_processed),
    );
    s.out
}

fn stats(ctx: &Ctx<'_>, v: V) -> String {
    let st = &ctx.st.stats;
    let mut s = Sec::new("Stats");
    s.f("total_connections_received", st.connections_received).f("total_commands_processed", st.commands_processed);
    s.f("instantaneous_ops_per_sec", 0).f("total_net_input_bytes", st.net_input_bytes);
    s.f("total_net_output_bytes", st.net_output_bytes);
    if v.r(7, 0) {
        s.f("total_net_repl_input_bytes", 0).f("total_net_repl_output_bytes", 0);
    }
    if v.valkey(9, 0) {
        s.f("total_net_cluster_slot_import_bytes", 0).f("total_net_cluster_slot_export_bytes", 0);
    }
    s.f("instantaneous_input_kbps", "0.00").f("instantaneous_output_kbps", "0.00");
    if v.r(7, 0) {
        s.f("instantaneous_input_repl_kbps", "0.00").f("instantaneous_output_repl_kbps", "0.00");
    }
    s.f("rejected_connections", st.rejected_connections);
    s.f("sync_full", 0).f("sync_partial_ok", 0).f("sync_partial_err", 0);
    s.when(v.redis(7, 4), "expired_subkeys", st.expired_subkeys).when(v.redis(8, 6), "expired_subkeys_active", 0);
    s.f("expired_keys", st.expired_keys);
    s.when(v.redis(8, 6), "expired_keys_active", 0).when(v.valkey(9, 0), "expired_fields", st.expired_subkeys);
    s.f("expired_stale_perc", "0.00");
    s.when(v.valkey(9, 0), "expired_keys_with_volatile_items_stale_perc", "0.00");
    s.f("expired_time_cap_reached_count", 0)
        .f("expire_cycle_cpu_milliseconds", 0)
        .f("evicted_keys", ctx.st.stats.evicted_keys);
    if v.r(7, 0) {
        s.f("evicted_clients", 0);
        s.when(v.redis(7, 4) || v.valkey(8, 0), "evicted_scripts", 0);
        s.f("total_eviction_exceeded_time", 0).f("current_eviction_exceeded_time", 0);
    }
    s.f("keyspace_hits", st.keyspace_hits).f("keyspace_misses", st.keyspace_misses);
    let ps = &ctx.st.pubsub;
    s.f("pubsub_channels", ps.channel_names(false).count()).f("pubsub_patterns", ps.pattern_count());
    s.when(v.r(7, 0), "pubsubshard_channels", ps.channel_names(true).count());
    s.f("latest_fork_usec", 0).f("total_forks", 0).f("migrate_cached_sockets", 0);
    s.f("slave_expires_tracked_keys", 0);
    s.f("active_defrag_hits", 0).f("active_defrag_misses", 0).f("active_defrag_key_hits", 0);
    s.f("active_defrag_key_misses", 0);
    s.when(v.r(7, 0), "total_active_defrag_time", 0).when(v.r(7, 0), "current_active_defrag_time", 0);
    let (keys, items, prefixes) = ctx.st.tracking.totals();
    s.f("tracking_total_keys", keys).f("tracking_total_items", items).f("tracking_total_prefixes", prefixes);
    s.f("unexpected_error_replies", 0).f("total_error_replies", st.total_error_replies);
    s.f("dump_payload_sanitizations", 0);
    s.f("total_reads_processed", st.commands_processed).f("total_writes_processed", st.commands_processed);
    if v.keydb() {
        s.f("instantaneous_lock_contention", 0).f("avg_lock_contention", "0.000000");
        s.f("storage_provider_read_hits", 0).f("storage_provider_read_misses", 0);
        return s.out;
    }
    s.f("io_threaded_reads_processed", 0).f("io_threaded_writes_processed", 0);
    if v.valkey(8, 0) {
        s.f("io_threaded_freed_objects", 0);
        s.when(v.valkey(8, 1), "io_threaded_accept_processed", 0);
        s.f("io_threaded_poll_processed", 0);
    }
    if v.redis(8, 2) || v.valkey(8, 0) {
        s.f("io_threaded_total_prefetch_batches", 0).f("io_threaded_total_prefetch_entries", 0);
    }
    if v.redis(7, 4) || v.valkey(8, 0) {
        s.f("client_query_buffer_limit_disconnections", 0).f("client_output_buffer_limit_disconnections", 0);
    }
    if v.r(7, 0) {
        s.f("reply_buffer_shrinks", 0).f("reply_buffer_expands", 0);
    }
    if v.r(7, 2) {
        s.f("eventloop_cycles", st.commands_processed).f("eventloop_duration_sum", 0);
        s.f("eventloop_duration_cmd_sum", 0).f("instantaneous_eventloop_cycles_per_sec", 0);
        s.f("instantaneous_eventloop_duration_usec", 0);
        // By `acl::Reason`: cmd, key, auth, channel.
        let d = st.acl_denied;
        s.f("acl_access_denied_auth", d[2]).f("acl_access_denied_cmd", d[0]).f("acl_access_denied_key", d[1]);
        s.f("acl_access_denied_channel", d[3]);
        s.when(v.redis(8, 6) || v.valkey(9, 0), "acl_access_denied_tls_cert", 0);
        s.when(v.valkey(9, 1), "acl_access_denied_db", 0);
    }
    s.out
}

fn replication(ctx: &Ctx<'_>, v: V) -> String {
    let mut s = Sec::new("Replication");
    s.f("role", "master").f("connected_slaves", 0);
    s.when(v.valkey(8, 0), "replicas_waiting_psync", 0);
    s.when(v.r(6, 2), "master_failover_state", "no-failover");
    s.f("master_replid", &ctx.shared.run_id).f("master_replid2", "0".repeat(40));
    s.f("master_repl_offset", 0).f("second_repl_offset", -1).f("repl_backlog_active", 0);
    s.f("repl_backlog_size", 1_048_576).f("repl_backlog_first_byte_offset", 0).f("repl_backlog_histlen", 0);
    s.out
}

fn cpu(ctx: &Ctx<'_>, v: V) -> String {
    let secs = (ctx.now - ctx.shared.started_ms).max(0) as f64 / 1000.0 * 0.001;
    let t = format!("{secs:.6}");
    let mut s = Sec::new("CPU");
    s.f("used_cpu_sys", &t).f("used_cpu_user", &t);
    s.f("used_cpu_sys_children", "0.000000").f("used_cpu_user_children", "0.000000");
    if v.keydb() {
        s.f("server_threads", 1).f("long_lock_waits", 0);
    }
    s.f("used_cpu_sys_main_thread", &t).f("used_cpu_user_main_thread", &t);
    s.when(v.valkey(9, 1), "used_active_time_main_thread", &t);
    s.out
}

fn hotkeys(_ctx: &Ctx<'_>, _v: V) -> String {
    Sec::new("Hotkeys").out
}

fn modules(_ctx: &Ctx<'_>, v: V) -> String {
    let mut s = Sec::new("Modules");
    if v.redis(8, 0) {
        s.f(
            "module",
            "name=vectorset,ver=1,api=1,filters=0,usedby=[],using=[],options=[handle-io-errors|handle-repl-async-load]",
        );
    }
    s.out
}

fn commandstats(ctx: &Ctx<'_>, v: V) -> String {
    let mut s = Sec::new("Commandstats");
    let mut names: Vec<(&str, crate::server::CommandStat)> = Vec::new();
    for (name, c) in &ctx.st.stats.commands {
        // Up to 6.2 (and KeyDB) a container's subcommands count as the container.
        let name = if v.r(7, 0) { *name } else { name.split('|').next().unwrap_or(name) };
        match names.iter_mut().find(|(n, _)| *n == name) {
            Some((_, t)) => {
                t.calls += c.calls;
                t.usec += c.usec;
                t.failed += c.failed;
                t.rejected += c.rejected;
            }
            None => names.push((name, c.clone())),
        }
    }
    names.sort_by_key(|(n, _)| *n);
    for (name, c) in &names {
        let per = if c.calls == 0 { 0.0 } else { c.usec as f64 / c.calls as f64 };
        s.f(
            &format!("cmdstat_{name}"),
            format!(
                "calls={},usec={},usec_per_call={per:.2},rejected_calls={},failed_calls={}",
                c.calls, c.usec, c.rejected, c.failed
            ),
        );
    }
    s.out
}

fn errorstats(ctx: &Ctx<'_>, _v: V) -> String {
    let mut s = Sec::new("Errorstats");
    for (prefix, n) in &ctx.st.stats.errors {
        // Names go through Redis's getSafeInfoString.
        let safe: String =
            String::from_utf8_lossy(prefix).chars().map(|c| if "#:\r\n".contains(c) { '_' } else { c }).collect();
        s.f(&format!("errorstat_{safe}"), format!("count={n}"));
    }
    s.out
}

fn latencystats(ctx: &Ctx<'_>, _v: V) -> String {
    let mut s = Sec::new("Latencystats");
    if ctx.st.config.get("latency-tracking") != "yes" {
        return s.out;
    }
    let mut names: Vec<_> = ctx.st.stats.commands.iter().filter(|(_, c)| c.calls > 0).collect();
    names.sort_by_key(|(n, _)| **n);
    for (name, c) in names {
        let (p50, p99, p999) = (c.percentile_usec(50.0), c.percentile_usec(99.0), c.percentile_usec(99.9));
        s.f(&format!("latency_percentiles_usec_{name}"), format!("p50={p50:.3},p99={p99:.3},p99.9={p999:.3}"));
    }
    s.out
}

fn cluster(ctx: &Ctx<'_>, _v: V) -> String {
    let mut s = Sec::new("Cluster");
    s.f("cluster_enabled", i32::from(ctx.st.config.limits().cluster));
    s.out
}

/// Valkey 9.1: the certificates' facts (no TLS configured).
fn tls(_ctx: &Ctx<'_>, _v: V) -> String {
    let mut s = Sec::new("TLS");
    for who in ["server", "client", "ca"] {
        s.f(&format!("tls_{who}_cert_serial"), "none").f(&format!("tls_{who}_cert_expires_in_seconds"), 0);
    }
    s.out
}

/// Valkey 9.1: CLUSTER INFO's fields in cluster mode; empty otherwise.
fn cluster_info(_ctx: &Ctx<'_>, _v: V) -> String {
    Sec::new("Cluster Info").out
}

/// Valkey 9.1: the scripting engines (Lua).
fn scripting_engines(_ctx: &Ctx<'_>, _v: V) -> String {
    let mut s = Sec::new("Scripting Engines");
    s.f("engines_count", 1).f("engines_total_used_memory", 69632).f("engines_total_memory_overhead", 56);
    s.f("engine_0", "name=LUA,module=lua,abi_version=4,used_memory=69632,memory_overhead=56");
    s.out
}

fn keyspace(ctx: &Ctx<'_>, v: V) -> String {
    let mut s = Sec::new("Keyspace");
    for (i, db) in ctx.st.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let mut line = format!("keys={},expires={},avg_ttl={}", db.len(), db.volatile_len(), db.avg_ttl(ctx.now));
        if v.redis(7, 4) {
            line.push_str(&format!(",subexpiry={}", db.subexpiry()));
        }
        if v.valkey(9, 0) {
            line.push_str(&format!(",keys_with_volatile_items={}", db.subexpiry()));
        }
        if v.keydb() {
            line.push_str(&format!(",cached_keys={}", db.len()));
        }
        s.f(&format!("db{i}"), line);
    }
    s.out
}

/// Redis 8's `keysizes`: per database and type (strings, lists, sets, sorted sets, hashes,
/// in that order), string lengths and element counts binned by powers of two.
fn keysizes(ctx: &Ctx<'_>, _v: V) -> String {
    use crate::db::Value;
    let mut s = Sec::new("Keysizes");
    let label = |n: u64| -> String {
        if n == 0 {
            return "0".into();
        }
        let b = 1u64 << (63 - n.leading_zeros());
        let units = [(1u64 << 60, "E"), (1 << 50, "P"), (1 << 40, "T"), (1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")];
        units.iter().find(|(u, _)| b >= *u).map_or(b.to_string(), |(u, name)| format!("{}{name}", b / u))
    };
    const FIELDS: [&str; 5] = [
        "distrib_strings_sizes",
        "distrib_lists_items",
        "distrib_sets_items",
        "distrib_zsets_items",
        "distrib_hashes_items",
    ];
    for (i, db) in ctx.st.dbs.iter().enumerate() {
        let mut bins: [std::collections::BTreeMap<u64, (String, u64)>; 5] = Default::default();
        for (_, e) in db.live_keys(ctx.now) {
            let (t, n) = match &e.value {
                Value::Str(sv) => (0, sv.data.len()),
                Value::List(l) => (1, l.len()),
                Value::Set(st) => (2, st.len()),
                Value::Zset(z) => (3, z.len()),
                Value::Hash(h) => (4, h.len()),
                Value::Stream(_) => continue, // KEYSIZES has no stream histogram
            };
            let n = n as u64;
            let bin = if n == 0 { 0 } else { 1u64 << (63 - n.leading_zeros()) };
            bins[t].entry(bin).or_insert_with(|| (label(n), 0)).1 += 1;
        }
        for (field, b) in FIELDS.iter().zip(&bins) {
            if !b.is_empty() {
                let line = b.values().map(|(l, c)| format!("{l}={c}")).collect::<Vec<_>>().join(",");
                s.f(&format!("db{i}_{field}"), line);
            }
        }
    }
    s.out
}

fn debug(_ctx: &Ctx<'_>, v: V) -> String {
    let mut s = Sec::new("Debug");
    s.f("eventloop_duration_aof_sum", 0).f("eventloop_duration_cron_sum", 0);
    s.f("eventloop_duration_max", 0).f("eventloop_cmd_per_cycle_max", 0);
    if v.redis(7, 4) {
        s.f("allocator_allocated_lua", 0).f("allocator_active_lua", 0).f("allocator_resident_lua", 0);
        s.f("allocator_frag_bytes_lua", 0);
    }
    s.out
}

fn keydb(_ctx: &Ctx<'_>, _v: V) -> String {
    let mut s = Sec::new("KeyDB");
    s.f("mvcc_depth", 0);
    s.out
}

type Section = fn(&Ctx<'_>, V) -> String;

/// The profile's sections in output order: (keyword, writer, in the default set).
fn sections(v: V) -> Vec<(&'static str, Section, bool)> {
    let p = v.0;
    let eight = v.redis(8, 0);
    let mut l: Vec<(&'static str, Section, bool)> = vec![("server", server, true)];
    if v.valkey(9, 1) {
        l.push(("tls", tls, false));
    }
    l.extend([("clients", clients as Section, true), ("memory", memory, true), ("persistence", persistence, true)]);
    if eight {
        l.push(("threads", threads, true));
    }
    l.extend([("stats", stats as Section, true), ("replication", replication, true), ("cpu", cpu, true)]);
    // 8.6.0 prints Hotkeys only after a HOTKEYS session (which the fake has not); 8.6.1 on,
    // the header always.
    if v.redis(8, 6) && p.version >= Version::new(8, 6, 1) {
        l.push(("hotkeys", hotkeys, true));
    }
    l.extend([
        ("modules", modules as Section, true),
        ("commandstats", commandstats, false),
        ("errorstats", errorstats, true),
    ]);
    if v.r(7, 0) {
        l.push(("latencystats", latencystats, false));
    }
    l.push(("cluster", cluster, true));
    if v.valkey(9, 1) {
        l.extend([("cluster_info", cluster_info as Section, false), ("scriptingengines", scripting_engines, false)]);
    }
    l.push(("keyspace", keyspace, true));
    if eight {
        l.push(("keysizes", keysizes, true));
    }
    if p.is(ServerKind::KeyDB) {
        l.push(("keydb", keydb, true));
    }
    if v.r(7, 2) {
        l.push(("debug", debug, false));
    }
    l
}

/// INFO [section ...].
pub fn info(ctx: &mut Ctx<'_>, words: &[&[u8]]) -> CmdResult {
    let p = ctx.profile();
    if p.is(ServerKind::Dragonfly) {
        return dragonfly(ctx, words);
    }
    if words.len() > 1 && !p.redis_at_least(7, 0) {
        return Err(Reply::err(error::SYNTAX));
    }
    let v = V(p);
    let want: Vec<String> = words.iter().map(|w| String::from_utf8_lossy(w).to_ascii_lowercase()).collect();
    let has = |n: &str| want.iter().any(|w| w == n);
    let everything = has("all") || has("everything");
    let default = want.is_empty() || has("default");
    let mut parts = Vec::new();
    for (name, f, in_default) in sections(v) {
        let chosen = has(name)
            || (name == "modules" && has("module_list") && v.r(7, 0))
            || (everything && name != "debug")
            || (default && in_default);
        if chosen {
            parts.push(f(ctx, v));
        }
    }
    Ok(Reply::Verbatim("txt", parts.join("\r\n").into_bytes()))
}

// ------------------------------------------------------------------ Dragonfly

/// Dragonfly's INFO selection (`docs/research/info-others.md`): names in any case, no
/// argument for every section, `ALL` for every section too (the fake has none of its hidden
/// ones), several arguments printed in their order, repeats included; `DEFAULT`,
/// `EVERYTHING` and unknown names print nothing. Its own sections and fields (`# Cpu`,
/// `max_clients`, ...) are not modelled yet: these are the fake's common ones.
fn dragonfly(ctx: &mut Ctx<'_>, words: &[&[u8]]) -> CmdResult {
    let v = V(ctx.profile());
    let sections: [(&str, Section); 5] =
        [("SERVER", server), ("CLIENTS", clients), ("MEMORY", memory), ("STATS", stats), ("KEYSPACE", keyspace)];
    let render = |want: Option<&str>| -> Vec<String> {
        sections
            .iter()
            .filter(|(name, _)| want.is_none_or(|w| w == "ALL" || w == *name))
            .map(|(_, f)| f(ctx, v))
            .collect()
    };
    let parts: Vec<String> = if words.is_empty() {
        render(None)
    } else {
        words.iter().flat_map(|w| render(Some(&String::from_utf8_lossy(w).to_ascii_uppercase()))).collect()
    };
    Ok(Reply::Verbatim("txt", parts.join("\r\n").into_bytes()))
}
