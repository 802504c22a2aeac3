//! Shared server state, per-client session state, and the context a handler runs in.
//!
//! [`Server`] is a cheap handle (an `Arc`) to everything clients share: the databases,
//! config, stats and the registry of connected clients, behind one lock, as Redis runs
//! commands one at a time. Each [`Client`](crate::Client) owns a [`Session`] (selected db,
//! protocol, name, auth) that only its own commands change.

pub mod blocking;
pub mod busy;
pub mod clients;
mod clock;
pub mod cluster;
pub mod config;
pub mod evict;
pub mod log;
pub mod notify;
pub mod pubsub;
pub mod tracking;
pub mod watch;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::MutexGuard;

pub use clients::{ClientMeta, Frame, Signal};
pub use clock::Clock;
pub use config::Config;

use crate::db::Db;
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::spec::Profile;

/// Number of logical databases by default (the `databases` parameter).
pub const DATABASES: usize = 16;

/// The most databases fakeredis runs (Redis takes up to 2^31-1; each one here costs a few
/// hundred bytes and a check after every command).
pub const MAX_DATABASES: usize = 4096;

/// A `databases` value Redis would take that is more than fakeredis runs.
fn too_many_databases(value: &str) -> bool {
    value.trim().parse::<i64>().is_ok_and(|n| n > MAX_DATABASES as i64)
}

/// Server-wide counters reported by INFO.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Keys evicted for `maxmemory`.
    pub evicted_keys: u64,
    /// INFO's `acl_access_denied_*`, in [`crate::acl::Reason`]'s order (cmd, key, auth, channel).
    pub acl_denied: [u64; 4],
    pub commands_processed: u64,
    pub connections_received: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_keys: u64,
    /// Hash fields deleted by their own TTL (INFO `expired_subkeys`, Redis 7.4+).
    pub expired_subkeys: u64,
    pub rejected_connections: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_error_replies: u64,
    /// Keys written (INFO's `rdb_changes_since_last_save`; the fake never saves).
    pub changes_since_save: u64,
    /// INFO commandstats and latencystats, by command full name.
    pub commands: crate::db::FastMap<&'static str, CommandStat>,
    /// INFO errorstats: error replies by their first word, in byte order.
    pub errors: std::collections::BTreeMap<Vec<u8>, u64>,
}

/// One command's counters: calls that ran (failed ones included), their time, the calls
/// that failed, the ones refused before running, and a latency histogram.
#[derive(Debug, Default, Clone)]
pub struct CommandStat {
    pub calls: u64,
    pub usec: u64,
    pub failed: u64,
    pub rejected: u64,
    /// Durations in ns, bucketed as Redis's HdrHistogram (2 significant digits) reports
    /// them: the bucket's highest equivalent value, and how many calls fell in it.
    pub latency: std::collections::BTreeMap<u64, u64>,
}

impl CommandStat {
    /// Records one call of `usec` microseconds (at least 1, as a call takes some time).
    pub fn record(&mut self, usec: u64) {
        self.calls += 1;
        self.usec += usec;
        let ns = usec.max(1).saturating_mul(1000).min(1_000_000_000);
        let bucket = if ns < 256 {
            ns
        } else {
            let width = 1u64 << (63 - ns.leading_zeros() - 7);
            ns / width * width + width - 1
        };
        *self.latency.entry(bucket).or_default() += 1;
    }

    /// The latency at percentile `p` (0..=100), in microseconds.
    pub fn percentile_usec(&self, p: f64) -> f64 {
        let total: u64 = self.latency.values().sum();
        let rank = ((p / 100.0 * total as f64 + 0.5) as u64).max(1);
        let mut seen = 0;
        for (&v, &n) in &self.latency {
            seen += n;
            if seen >= rank {
                return v as f64 / 1000.0;
            }
        }
        self.latency.keys().next_back().map_or(0.0, |&v| v as f64 / 1000.0)
    }
}

/// Everything the clients of one server share.
pub struct State {
    pub dbs: Vec<Db>,
    pub config: Config,
    pub stats: Stats,
    pub clients: BTreeMap<u64, ClientMeta>,
    pub last_active_expire_ms: i64,
    /// The server clock (ms) as of the last cron: the time pushes are queued at.
    pub clock_ms: i64,
    /// Clients closed for passing their output-buffer limit, to be forgotten once the
    /// command that filled their queue is done (`effects::close_overflowed`).
    pub overflowed: Vec<u64>,
    /// Keys signalled ready for blocked clients without counting as modified (XGROUP
    /// DESTROY wakes XREADGROUP readers but does not touch WATCH), served after the command.
    pub signaled: Vec<(usize, bytes::Bytes)>,
    pub rng: u64,
    pub pubsub: pubsub::PubSub,
    pub waiters: blocking::Waiters,
    pub watches: watch::Watches,
    /// CLIENT PAUSE in force.
    pub pause: Option<Pause>,
    /// The MONITOR clients, in the order they started.
    pub monitors: Vec<u64>,
    pub tracking: tracking::Tracking,
    /// The client whose command runs now (0: none, the server's own work).
    pub current: u64,
    /// `PFDEBUG SIMD ON|OFF` (Valkey 8.1, Redis 8): whether the SIMD paths are on.
    pub hll_simd: bool,
    pub slowlog: crate::cmd::server::slowlog::SlowLog,
    /// Valkey 8.1's COMMANDLOG of large requests and of large replies.
    pub commandlog: [crate::cmd::server::slowlog::SlowLog; 2],
    /// Unix seconds of the last SAVE/BGSAVE (None: the server's start).
    pub last_save_s: Option<i64>,
    /// Cluster mode's current epoch and this node's config epoch.
    pub cluster_epochs: (u64, u64),
    /// The config file the server was started from (CONFIG REWRITE writes it back).
    pub config_file: Option<String>,
    /// DEBUG SET-ACTIVE-EXPIRE and PAUSE-CRON: whether the active expiry cycle runs.
    pub active_expire_enabled: bool,
    pub cron_paused: bool,
    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE takes any checksum.
    pub skip_checksum: bool,
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call `noscript` commands.
    pub script_deny_disabled: bool,
    /// Up when a database logged something since the dispatcher last collected the logs.
    pub logs_pending: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// When the clock last followed the system clock again ([`Clock::resync`]).
    pub clock_synced_ms: i64,
    /// MIGRATE's connections to its targets, by `host:port`.
    pub migrate_sockets: std::collections::HashMap<String, crate::cmd::migrate::Cached>,
    /// The ACL users and log, made on first use (until then: the untouched default user).
    pub acl: Option<Box<crate::acl::Acl>>,
    /// The Lua state and its scripts, made on the first script command.
    #[cfg(feature = "lua")]
    pub scripts: Option<Box<crate::script::Scripting>>,
}

impl State {
    fn new() -> State {
        let mut st = State::empty();
        let flag = st.logs_pending.clone();
        st.dbs = (0..DATABASES).map(|_| Db::with_flag(flag.clone())).collect();
        st
    }

    fn empty() -> State {
        State {
            dbs: Vec::new(),
            logs_pending: Default::default(),
            config: Config::default(),
            stats: Stats::default(),
            clients: BTreeMap::new(),
            last_active_expire_ms: 0,
            clock_ms: 0,
            overflowed: Vec::new(),
            signaled: Vec::new(),
            rng: 0x2545_f491_4f6c_dd1d,
            pubsub: pubsub::PubSub::default(),
            waiters: blocking::Waiters::default(),
            watches: watch::Watches::default(),
            pause: None,
            monitors: Vec::new(),
            tracking: tracking::Tracking::default(),
            current: 0,
            hll_simd: true,
            slowlog: Default::default(),
            commandlog: Default::default(),
            last_save_s: None,
            cluster_epochs: (0, 0),
            config_file: None,
            active_expire_enabled: true,
            cron_paused: false,
            skip_checksum: false,
            script_deny_disabled: false,
            migrate_sockets: Default::default(),
            clock_synced_ms: 0,
            acl: None,
            #[cfg(feature = "lua")]
            scripts: None,
        }
    }

    /// The ACL state, made for `p` on first use.
    pub fn acl_mut(&mut self, p: &Profile) -> &mut crate::acl::Acl {
        self.acl.get_or_insert_with(|| Box::new(crate::acl::Acl::new(p)))
    }

    /// Whether a client that has not authenticated must (the default user has a password
    /// or is off).
    pub fn auth_required(&self) -> bool {
        self.acl.as_ref().is_some_and(|a| !a.default_open())
    }

    /// A pseudo-random number (xorshift), deterministic for a server.
    pub fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }

    /// Whether client `id` has been idle past the `timeout` config at `now` (Redis closes
    /// such clients from its cron; here the client finds out at its next call or poll).
    /// Blocked (or paused) clients, subscribers and monitors are never idle, as in Redis.
    pub fn idle_timed_out(&self, id: u64, now: i64) -> bool {
        let timeout = self.config.limits().timeout;
        timeout > 0
            && self.clients.get(&id).is_some_and(|m| {
                let exempt = m.blocked.is_some() || m.postponed || m.subs.any() || m.monitor;
                !exempt && now - m.last_ms > timeout.saturating_mul(1000)
            })
    }

    /// Whether a new connection would exceed `maxclients`.
    pub fn clients_full(&self) -> bool {
        self.clients.len() as i64 >= self.config.limits().maxclients
    }

    /// Deletes expired keys in every database (the active expiry cycle).
    /// The deleted keys are counted when the databases' logs are collected
    /// (`dispatch::effects`).
    pub fn active_expire(&mut self, now: i64) {
        let mut fields = 0;
        let on = self.active_expire_enabled && !self.cron_paused;
        for db in self.dbs.iter_mut().filter(|_| on) {
            db.purge_expired(now);
            fields += db.purge_expired_fields(now);
        }
        self.stats.expired_subkeys += fields;
        self.last_active_expire_ms = now;
    }
}

pub struct Shared {
    pub profile: Profile,
    pub clock: Clock,
    state: parking_lot::Mutex<State>,
    failing: AtomicBool,
    stopped: AtomicBool,
    /// A DEBUG crash subcommand stopped it (fakeredis-server exits with a failure).
    crashed: AtomicBool,
    next_client_id: AtomicU64,
    pub started_ms: i64,
    pub run_id: String,
    /// Cluster mode's node and shard IDs.
    pub node_id: String,
    pub shard_id: String,
    pub port: AtomicU64,
    /// The script running now, for the clients answered while it is busy.
    pub busy: busy::Busy,
    /// Where log lines go (none: nowhere).
    log: parking_lot::RwLock<Option<log::LogSink>>,
}

impl Shared {
    /// Writes `message` to the log when `loglevel` lets `level` through.
    pub fn log(&self, loglevel: &str, level: log::LogLevel, message: &[u8]) {
        if let Some(sink) = self.log.read().as_ref() {
            if level.passes(loglevel) {
                sink(&log::LogLine { level, message, unix_ms: self.clock.now_ms() });
            }
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// The lock, or None while a script runs and holds it (looking again every 5 ms).
    pub fn lock_unless_busy(&self) -> Option<MutexGuard<'_, State>> {
        loop {
            if let Some(guard) = self.state.try_lock_for(std::time::Duration::from_millis(5)) {
                return Some(guard);
            }
            if self.busy.is_active() {
                return None;
            }
        }
    }

    /// The lock for a client's command, or the reply a busy script's server gives instead
    /// (see [`busy`]): a script holds the lock as long as it runs, so the wait looks again
    /// every few milliseconds whether it has passed its threshold.
    pub fn lock_for_command(
        &self,
        argv: &[Vec<u8>],
        in_multi: &mut Option<&mut bool>,
    ) -> Result<MutexGuard<'_, State>, crate::reply::Reply> {
        loop {
            if let Some(reply) = self.busy.answer(&self.profile, argv, in_multi) {
                return Err(reply);
            }
            if let Some(guard) = self.state.try_lock_for(std::time::Duration::from_millis(5)) {
                return Ok(guard);
            }
        }
    }

    /// The failure switch is on, or SHUTDOWN stopped the server: clients are dropped.
    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed) || self.stopped.load(Ordering::Relaxed)
    }

    /// SHUTDOWN ran: the server serves no one any more (the TCP server stops listening).
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }

    /// DEBUG SEGFAULT, PANIC, ASSERT, OOM: the server stops as if it had crashed.
    pub fn crash(&self, st: &State) {
        self.crashed.store(true, Ordering::Relaxed);
        self.stop(st);
    }

    /// SHUTDOWN: stops the server for good and wakes every waiting client to find out.
    pub fn stop(&self, st: &State) {
        self.stopped.store(true, Ordering::Relaxed);
        for c in st.clients.values() {
            c.signal.notify();
        }
    }

    pub fn next_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// An in-memory Redis server. Clone it freely: clones share the same state.
#[derive(Clone)]
pub struct Server {
    pub(crate) shared: Arc<Shared>,
}

impl Default for Server {
    fn default() -> Self {
        Server::new()
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("profile", &self.shared.profile).finish_non_exhaustive()
    }
}

impl Server {
    /// A server emulating the default profile (Redis 7.4).
    pub fn new() -> Server {
        Server::with_profile(Profile::default())
    }

    /// A server emulating `profile` (e.g. `Profile::redis(6, 2, 14)`, `"valkey-8.1".parse()?`).
    pub fn with_profile(profile: Profile) -> Server {
        let clock = Clock::default();
        let started_ms = clock.now_ms();
        let seed = clock.now_us() as u64 ^ (Arc::as_ptr(&Arc::new(0u8)) as u64);
        let run_id: String = (0..40)
            .map(|i| {
                let v = (seed.rotate_left(i * 7) ^ (u64::from(i) * 0x9e37_79b9)) % 16;
                char::from_digit(v as u32, 16).unwrap_or('0')
            })
            .collect();
        Server {
            shared: Arc::new(Shared {
                profile,
                clock,
                state: parking_lot::Mutex::new(State::new()),
                failing: AtomicBool::new(false),
                stopped: AtomicBool::new(false),
                crashed: AtomicBool::new(false),
                next_client_id: AtomicU64::new(1),
                started_ms,
                run_id,
                node_id: cluster::hex_id(seed, 1),
                shard_id: cluster::hex_id(seed, 2),
                port: AtomicU64::new(0),
                busy: busy::Busy::default(),
                log: parking_lot::RwLock::new(None),
            }),
        }
    }

    pub fn profile(&self) -> Profile {
        self.shared.profile
    }

    /// Sends the server's log (what redis-server writes to its log file: `redis.log` from
    /// scripts, at `loglevel` and above) to `sink`, or nowhere with None (the default).
    pub fn set_log(&self, sink: Option<log::LogSink>) {
        *self.shared.log.write() = sink;
    }

    /// The server's clock: freeze it, advance it, set it.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Moves the clock forward and runs the expiry that time would have brought.
    pub fn advance(&self, d: std::time::Duration) {
        self.shared.clock.advance(d);
        let now = self.shared.clock.now_ms();
        let mut st = self.shared.lock();
        crate::dispatch::effects::active_expire(&self.shared, &mut st, now);
        crate::dispatch::effects::expire_waiters(&self.shared, &mut st, now);
    }

    /// While set, every client call fails like a dropped connection (embedded and redis-rs
    /// clients get an I/O error; TCP connections are closed).
    pub fn set_failing(&self, failing: bool) {
        self.shared.failing.store(failing, Ordering::Relaxed);
        // Wake every waiting client so it finds out.
        for c in self.shared.lock().clients.values() {
            c.signal.notify();
        }
    }

    pub fn is_failing(&self) -> bool {
        self.shared.is_failing()
    }

    /// Whether SHUTDOWN stopped the server (embedded: every client call fails from then on).
    pub fn is_stopped(&self) -> bool {
        self.shared.is_stopped()
    }

    /// Whether a DEBUG crash subcommand (SEGFAULT, PANIC, ASSERT, OOM) stopped the server.
    pub fn has_crashed(&self) -> bool {
        self.shared.crashed.load(Ordering::Relaxed)
    }

    /// Opens a new embedded client (a new connection, as far as the server can tell).
    pub fn client(&self) -> crate::Client {
        crate::Client::new(self.clone(), "127.0.0.1:0".into(), "127.0.0.1:0".into())
    }

    /// Runs `f` with the locked shared state (for inspection in tests).
    pub fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.shared.lock())
    }

    /// [`Server::with_state`], or None while a running script holds the state (for a front
    /// end's bookkeeping, which must not wait for a script that may never end).
    pub fn with_state_unless_busy<R>(&self, f: impl FnOnce(&mut State) -> R) -> Option<R> {
        self.shared.lock_unless_busy().map(|mut st| f(&mut st))
    }

    /// Sets a configuration parameter as CONFIG SET from a local client would.
    pub fn set_config(&self, name: &str, value: &str) -> Result<(), String> {
        self.configure(name, value, config::Setter::Client { local: true })
    }

    /// The config file the server runs from (INFO's `config_file`; CONFIG REWRITE rewrites it).
    pub fn set_config_file(&self, path: &str) {
        self.shared.lock().config_file = Some(path.to_string());
    }

    /// Sets a parameter as the server's startup does (a config file line, `--name value`):
    /// immutable and protected parameters too (`cluster-enabled`, `enable-debug-command`).
    pub fn set_startup_config(&self, name: &str, value: &str) -> Result<(), String> {
        if name.eq_ignore_ascii_case("databases") {
            let n = value.trim().parse::<usize>().unwrap_or(0);
            if too_many_databases(value) {
                return Err(error::CONFIG_DATABASES.into());
            }
            if self.shared.lock().dbs.iter().skip(n).any(|d| !d.is_empty()) {
                return Err(error::CONFIG_DATABASES_IN_USE.into());
            }
        }
        self.configure(name, value, config::Setter::Startup)
    }

    /// Applies a redis.conf text, then `--name value` arguments (`args`, as redis-server's
    /// command line after the file), as redis-server does at startup; the first bad line
    /// answers Redis's fatal report. `user` lines define ACL users; `include` reads a file.
    pub fn load_config(&self, text: &str, args: &[String]) -> Result<(), String> {
        let version = self.shared.profile.version.to_string();
        let fatal = |d: &config::file::Directive, why: &str| config::file::fatal(&version, d.line, &d.text, why);
        // Redis appends the command line's options to the file's text after a newline of
        // its own: they are numbered from two lines past the file's last newline.
        let mut directives = config::file::expand(text, 1, &version, 0)?;
        let args_line = text.matches('\n').count() + 2;
        directives.extend(config::file::expand(&config::file::from_args(args), args_line, &version, 0)?);
        let mut saves: Option<Vec<String>> = None;
        for d in &directives {
            let (name, values) = (d.args[0].as_str(), &d.args[1..]);
            match name {
                "user" => {
                    let mut c = self.client();
                    let mut argv: Vec<Vec<u8>> = vec![b"ACL".to_vec(), b"SETUSER".to_vec()];
                    argv.extend(values.iter().map(|v| v.as_bytes().to_vec()));
                    let r = c.execute(&argv).map_err(|e| fatal(d, &e.to_string()))?;
                    if let Some(e) = r.error_text() {
                        let user = values.first().map_or("", |s| s);
                        return Err(fatal(d, &error::config_user_error(user, e.trim_start_matches("ERR "))));
                    }
                }
                "rename-command" | "loadmodule" | "sentinel" => {
                    return Err(fatal(d, &error::config_directive_not_implemented(name)));
                }
                "databases" if values.len() == 1 && too_many_databases(&values[0]) => {
                    return Err(fatal(d, error::CONFIG_DATABASES));
                }
                "save" => {
                    let s = saves.get_or_insert_with(Vec::new);
                    if values.len() == 1 && values[0].is_empty() {
                        s.clear();
                    } else if values.len() % 2 == 0 && !values.is_empty() {
                        s.extend(values.iter().cloned());
                    } else {
                        return Err(fatal(d, error::CONFIG_BAD_SAVE));
                    }
                }
                _ => {
                    let multi = matches!(
                        name,
                        "bind"
                            | "client-output-buffer-limit"
                            | "oom-score-adj-values"
                            | "latency-tracking-info-percentiles"
                    );
                    if !config::known(name, &self.shared.profile) {
                        return Err(fatal(d, error::CONFIG_BAD_DIRECTIVE));
                    }
                    if values.is_empty() || (values.len() > 1 && !multi) {
                        return Err(fatal(d, error::CONFIG_WRONG_ARGS));
                    }
                    self.set_startup_config(name, &values.join(" "))
                        .map_err(|e| fatal(d, e.rsplit(" - ").next().unwrap_or(&e)))?;
                }
            }
        }
        if let Some(s) = saves {
            self.set_startup_config("save", &s.join(" ")).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn configure(&self, name: &str, value: &str, by: config::Setter) -> Result<(), String> {
        let mut st = self.shared.lock();
        config::set_many(&mut st.config, &self.shared.profile, &[(name.as_bytes(), value.as_bytes())], by)
            .map_err(|e| e.error_text().unwrap_or("ERR").to_string())?;
        crate::dispatch::effects::config_changed(&mut st, &self.shared.profile, &[name.as_bytes()]);
        Ok(())
    }
}

/// Per-client state: what the client's own commands change.
#[derive(Debug, Clone)]
pub struct Session {
    /// The server's typed limits as of this client's last command (a connection reads its
    /// next request with them without taking the server's lock again).
    pub limits: Option<config::ConfigLimits>,
    /// When the client's current command reached the server (its duration counts from
    /// there; set by `dispatch::submit`, taken by the call).
    pub started: Option<clock::Tick>,
    /// The top-level command of the client's last command (looked at first next time).
    pub last_top: Option<&'static crate::spec::CommandSpec>,
    pub id: u64,
    pub db: usize,
    pub resp: u8,
    pub name: Vec<u8>,
    pub lib_name: Vec<u8>,
    pub lib_ver: Vec<u8>,
    pub authenticated: bool,
    pub user: String,
    /// Set by QUIT (and protocol errors): close after the reply.
    pub closing: bool,
    pub addr: String,
    pub laddr: String,
    /// Inside MULTI: the queued commands, and whether one was refused (EXEC then aborts).
    pub multi: Option<Multi>,
    /// Set by a blocking command that cannot serve now (see [`Ctx::block`]).
    pub block: Option<blocking::BlockOn>,
    /// Further frames of the current command's answer (a SUBSCRIBE of several channels).
    pub more: Vec<Reply>,
    /// A command blocked and its reply has not been taken from the queue yet.
    pub waiting: bool,
    /// While EXEC runs its queue: how many commands it holds (CLIENT LIST's `multi=`).
    pub in_exec: Option<i64>,
    pub reply: ReplyFlags,
    pub no_evict: bool,
    pub no_touch: bool,
    /// The connection is a MONITOR.
    pub monitor: bool,
    /// A command held back by CLIENT PAUSE, run when the pause ends.
    pub postponed: Option<Vec<Vec<u8>>>,
    /// CLIENT CACHING YES/NO for the next command (or MULTI block).
    pub caching: bool,
    /// In cluster mode, while a script runs: the slot its keys are in so far (its declared
    /// keys' first), and whether it may use others (`allow-cross-slot-keys`, or no shebang).
    pub script_slot: Option<(Option<u16>, bool)>,
    /// A script this client runs read a key (7.0 tracks the script's declared keys then).
    pub script_read: bool,
}

/// A CLIENT PAUSE: every command (`all`), or only writes, until `until` (server ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub all: bool,
    pub until: i64,
}

/// CLIENT REPLY's state: replies off, this command's skipped, the next one's skipped, or
/// this command answers nothing at all (CLIENT REPLY OFF/SKIP, a second MONITOR).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplyFlags {
    pub off: bool,
    pub skip: bool,
    pub skip_next: bool,
    pub silent: bool,
}

/// A transaction being queued.
#[derive(Debug, Clone, Default)]
pub struct Multi {
    pub queue: Vec<Vec<Vec<u8>>>,
    pub failed: bool,
}

impl Session {
    pub fn new(id: u64, addr: String, laddr: String) -> Session {
        Session {
            limits: None,
            started: None,
            last_top: None,
            id,
            db: 0,
            resp: 2,
            name: Vec::new(),
            lib_name: Vec::new(),
            lib_ver: Vec::new(),
            authenticated: false,
            user: "default".into(),
            closing: false,
            addr,
            laddr,
            multi: None,
            block: None,
            more: Vec::new(),
            waiting: false,
            in_exec: None,
            reply: ReplyFlags::default(),
            no_evict: false,
            no_touch: false,
            monitor: false,
            postponed: None,
            caching: false,
            script_slot: None,
            script_read: false,
        }
    }
}

/// What a handler sees: the shared state (locked), its own session, and the time.
pub struct Ctx<'a> {
    pub shared: &'a Shared,
    pub st: &'a mut State,
    pub sess: &'a mut Session,
    /// The server time in ms when the command started (Redis freezes time per command).
    pub now: i64,
    pub now_us: i64,
    /// Keys written by this command (for WATCH, notifications and wake-ups to plug into).
    pub dirty: Vec<(usize, Vec<u8>)>,
    /// Who sent the command: a client, a transaction, a script, or a blocked client's retry.
    pub caller: crate::dispatch::Caller,
    /// On a retry of a blocked command: the key that became ready.
    pub serving: Option<bytes::Bytes>,
    /// The command as sent (its name and subcommand as typed, for error texts).
    pub argv: &'a [Vec<u8>],
    /// Set by a script command: the errors its reply carries, counted as Redis counts them
    /// (None: the reply itself is the one error, if it is one).
    pub reply_errors: Option<crate::dispatch::ReplyErrors>,
}

impl Ctx<'_> {
    pub fn profile(&self) -> Profile {
        self.shared.profile
    }

    /// The client's selected database.
    pub fn db(&mut self) -> &mut Db {
        let i = self.sess.db.min(self.st.dbs.len() - 1);
        &mut self.st.dbs[i]
    }

    /// The encoding rules: the config's thresholds and what the pinned server has.
    pub fn enc(&self) -> crate::db::Encodings {
        let p = self.shared.profile;
        let redis_like = !matches!(p.kind, crate::spec::ServerKind::Dragonfly | crate::spec::ServerKind::KeyDB);
        crate::db::Encodings {
            small_lists: redis_like && p.redis_at_least(7, 2),
            small_sets: redis_like && p.redis_at_least(7, 2),
            up_front: redis_like && p.redis_at_least(7, 2),
            ziplist_names: !p.redis_at_least(7, 0),
            ..self.st.config.limits().enc
        }
    }

    /// A blocking command that cannot serve now: the client waits on `keys` for
    /// `timeout_ms` (0: forever), answering `on_timeout` if nothing comes. Inside MULTI and
    /// scripts nothing blocks: the command answers `immediate` at once.
    pub fn block(
        &mut self,
        keys: Vec<bytes::Bytes>,
        timeout_ms: i64,
        on_timeout: Reply,
        immediate: Reply,
    ) -> CmdResult {
        if matches!(self.caller, crate::dispatch::Caller::Client | crate::dispatch::Caller::Retry) {
            self.sess.block = Some(blocking::BlockOn { keys, timeout_ms, on_timeout, argv: None, retry_at: None });
            return Ok(Reply::NilArray);
        }
        Ok(immediate)
    }

    /// [`Ctx::block`], retrying `argv` instead of the command as sent.
    pub fn block_as(
        &mut self,
        keys: Vec<bytes::Bytes>,
        timeout_ms: i64,
        on_timeout: Reply,
        argv: Vec<Vec<u8>>,
    ) -> CmdResult {
        let r = self.block(keys, timeout_ms, on_timeout, Reply::NilArray)?;
        if let Some(b) = self.sess.block.as_mut() {
            b.argv = Some(argv);
        }
        Ok(r)
    }

    /// Reports the keyspace event `event` (class `class`, a `config::NOTIFY_*`) on `key` of
    /// the selected database; what the databases logged on their own (expiry, creation) is
    /// published first.
    pub fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        let db = self.sess.db;
        self.notify_in(db, class, event, key);
    }

    /// [`Ctx::notify`] for a key of database `db` (MOVE, COPY ... DB).
    pub fn notify_in(&mut self, db: usize, class: u32, event: &'static str, key: &[u8]) {
        crate::dispatch::effects::collect_logs(self.st);
        notify::publish(self.st, db, class, event, key);
    }

    /// Wakes the clients blocked on `key` without marking it modified (Redis's
    /// `signalKeyAsReady` alone).
    pub fn signal_ready(&mut self, key: &[u8]) {
        let db = self.sess.db;
        if self.st.waiters.has_key(db, key) {
            self.st.signaled.push((db, bytes::Bytes::copy_from_slice(key)));
        }
    }

    /// Records that `key` in the selected db changed.
    pub fn touched(&mut self, key: &[u8]) {
        let db = self.sess.db;
        self.touched_in(db, key);
    }

    /// Records that `key` in `db` changed: the key itself while anything looks at written
    /// keys after the command (maxmemory's accounting, WATCH, client tracking, blocked
    /// clients), else only the count of changes (a write costs no copy of its key then).
    pub fn touched_in(&mut self, db: usize, key: &[u8]) {
        let st = &*self.st;
        if st.config.limits().maxmemory || !st.watches.is_empty() || !st.waiters.is_empty() || st.tracking.is_active() {
            self.dirty.push((db, key.to_vec()));
        } else {
            self.st.stats.changes_since_save += 1;
        }
    }
}
