//! # fakeredis
//!
//! An in-memory Redis emulator for tests: byte-exact replies and error texts, pinned to a
//! server type and version (Redis 6.2–8.x, Valkey 7.2–9.x, KeyDB, Dragonfly), usable
//! embedded, as a drop-in `redis` crate connection, or over TCP.
//!
//! ```
//! use fakeredis::{Reply, Server};
//! let server = Server::new();
//! let mut c = server.client();
//! assert_eq!(c.cmd(["SET", "greeting", "hello"]).unwrap(), Reply::OK);
//! assert_eq!(c.cmd(["GET", "greeting"]).unwrap(), Reply::bulk("hello"));
//! ```
//!
//! ## Layout
//! - `commands/*.json` (upstream Redis command-spec schema; `commands/modules/<family>/`,
//!   `commands/keydb/`, `commands/dragonfly/`) -> `build.rs` -> the generated command table
//!   (per-server facts as [`spec::Variant`]s), typed argument structs for the commands with
//!   handlers, and the parsers' tables ([`spec`]). The generator's parts live in `build/`:
//!   `model.rs` (reading specs), `overlay.rs` (`commands/overlay/`), `handlers.rs` (finding
//!   handlers), `naming.rs`, `emit.rs` (the generated code). `docs/research/`: facts for the
//!   table not modelled yet.
//! - [`dispatch`]: the one door every front end uses: lookup, gating, arity, auth, the
//!   refusals of MULTI, subscribed mode and CLIENT PAUSE, parse, handler; `dispatch/effects.rs`
//!   is the one place a command's effects are carried out after it (WATCH, wake-ups of
//!   blocked clients, expiry's and creation's keyspace events, tracking invalidations,
//!   MONITOR lines, the server's periodic work); `dispatch/multi.rs` MULTI's bookkeeping.
//! - [`cmd`]: handwritten handlers, one module per spec group (`cmd/server/` is a folder:
//!   `mod.rs` for CONFIG and friends, `info.rs` for INFO's sections per server and version,
//!   `standalone.rs` for a standalone master's persistence, replication, MODULE and
//!   cluster-only answers, `slowlog.rs` for SLOWLOG and COMMANDLOG, `latency.rs` for LATENCY, `memory.rs` for MEMORY, `debug.rs` for DEBUG (`digest.rs` its DIGEST,
//!   `internals.rs` its views of Redis's structures: SDSLEN, HTSTATS, ...),
//!   `command.rs` for COMMAND, `command/dragonfly.rs` for Dragonfly's own COMMAND replies;
//!   `cmd/sorted_set/` too: `mod.rs` for ZADD and the reads, `range.rs`, `store.rs`,
//!   `pop.rs`). `list.rs`, `hash.rs` (+ `hash_ttl.rs`: field expiration), `set.rs`,
//!   `sort.rs` (SORT, group `generic`), `collection.rs` (random picks and HSCAN/SSCAN/ZSCAN),
//!   `bitmap.rs` (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP), `bitfield.rs` (BITFIELD, BITFIELD_RO),
//!   `cmd/stream/` (`mod.rs` IDs and shared parsing, `add.rs` XADD/XTRIM/XDEL/XRANGE/XSETID,
//!   `read.rs` XREAD/XREADGROUP (CLAIM), `group.rs` XGROUP/XACK/XPENDING/XCLAIM/XAUTOCLAIM,
//!   `delete.rs` XDELEX/XACKDEL, `idmp.rs` XCFGSET/XIDMPRECORD, `nack.rs` XNACK, `info.rs`),
//!   `hyperloglog.rs` (PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST),
//!   `geo/` (`mod.rs` GEOADD, GEOPOS, GEOHASH, GEODIST and the formats; `search.rs`
//!   GEOSEARCH(STORE) and GEORADIUS*; `order.rs` Redis's sorts of the results),
//!   `dump.rs` (DUMP, RESTORE), `migrate.rs` (MIGRATE, over TCP to its target),
//!   `cluster.rs` (CLUSTER in cluster mode).
//!   Between clients: `transactions.rs`, `pubsub.rs`, `blocking.rs` (BLPOP and the other
//!   blocking pops), `clients.rs` (CLIENT KILL/PAUSE/REPLY/UNBLOCK..., MONITOR),
//!   `tracking.rs` (CLIENT TRACKING and friends).
//! - [`server`]: shared state ([`Server`]), per-client [`server::Session`], virtual clock;
//!   between clients: `clients.rs` (the registry, each client's outbound queue of frames and
//!   the signal that wakes its owner, output-buffer limits), `pubsub.rs`, `blocking.rs` (the waiter registry),
//!   `watch.rs`, `notify.rs` (keyspace notifications), `tracking.rs` (client-side caching);
//!   `log.rs`, the server's log (levels, redis-server's line format, the sink
//!   [`Server::set_log`] sets); `config/` (`mod.rs` CONFIG's store and validation,
//!   `params.rs` every parameter per version, `file.rs` redis.conf and `--name value`,
//!   `rewrite.rs` CONFIG REWRITE);
//!   `cluster.rs` (cluster mode's hash slots and the CROSSSLOT check); `evict.rs`
//!   (maxmemory: the used-memory figure and the eviction policies; a key's size is
//!   `db/memory.rs`, MEMORY USAGE's).
//! - [`db`]: keyspace (`db/keyspace.rs`: one dense slot per key behind a table of positions;
//!   keys and string values are `db/small.rs`'s inline-or-shared bytes), expiry index, the SCAN cursor
//!   (`db/scan.rs`, reused by the collection scans), and the value types: `value.rs`
//!   (strings and the [`db::Value`] enum), `hll.rs` (HyperLogLog strings: Redis's sparse and
//!   dense layouts, the hash, the estimator), `list.rs`, `hash.rs` (field TTLs), `set.rs`,
//!   `zset.rs` over `skiplist.rs` (ranks with spans) and `table.rs` (the indexed table behind
//!   hashes, sets and a sorted set's members), `stream/` (`mod.rs` entries, trimming with
//!   the reference policies, the listpack nodes and radix tree Redis keeps them in;
//!   `groups.rs` consumer groups and their time-ordered pending lists; `idmp.rs` idempotent
//!   producers), `geohash.rs` (a geo set's
//!   52-bit scores, the search cells and distances), `memory.rs` (each key's MEMORY USAGE;
//!   the maxmemory accounting and LFU counters live on [`db::Db`]). [`resp`]: protocol parser, encoder and
//!   the TCP output that writes large values by reference.
//! - [`glob`]: Redis's glob matcher, reading the pattern in place.
//! - [`script`] (feature `lua`, on by default): the Lua state, the script cache and a
//!   script's run (`script/engine.rs`; `redis.call` re-enters [`dispatch::call`]), the Lua
//!   side of the environment (`script/prelude.lua`: the error handler, the `redis` table,
//!   the globals), what differs for Redis 6.2 and Dragonfly (`script/dialect.rs`), function
//!   libraries (`script/functions.rs`), the raw accessors that keep the sandbox read-only
//!   (`script/sandbox.rs`), the libraries (`cjson/`, `cmsgpack.rs`, `lstruct.rs`, with the
//!   lauxlib-style argument checks they share in `args.rs`), SHA-1
//!   (`script/sha1.rs`); the commands are `cmd/scripting/` (`mod.rs` EVAL and SCRIPT,
//!   `functions.rs` FUNCTION and FCALL). A script past `busy-reply-threshold` is answered
//!   for from `server/busy.rs`, without the server's lock.
//! - [`acl`]: users, their rules and the security log (`acl/mod.rs`), the permission
//!   checks on commands, keys and channels (`check.rs`), the rules rendered back
//!   (`describe.rs`), SHA-256 for passwords (`sha256.rs`); the commands are `cmd/acl.rs`,
//!   AUTH and HELLO AUTH `cmd/connection.rs`; the dispatcher checks every command.
//! - [`rdb`]: RDB serialization for DUMP-style payloads (`mod.rs`: lengths, strings with
//!   LZF as Redis compresses them (`lzf.rs`), the version and CRC-64 footer), the values
//!   (`object.rs`), listpacks, ziplists and intsets (`packed.rs`) and streams (`stream.rs`):
//!   FUNCTION DUMP/RESTORE and DUMP/RESTORE (`cmd/dump.rs`).
//! - `net` (feature `tcp`): the tokio TCP server. `redis_rs` (feature `redis-rs`): the
//!   `redis::ConnectionLike` adapters.
//! - `examples/hostile_input.rs`: the hostile-input figures (KEYS, SCAN, MGET, big keys).
//! - `fuzzing` (hidden): generators and oracles of the fuzz targets (`fuzz/`;
//!   `fuzzing/collections.rs` is the collections' model, `fuzzing/restore.rs` damages
//!   DUMP payloads for RESTORE). `difffuzz`
//!   (hidden; binary `difffuzz`, feature `difffuzz`): the differential driver against a live
//!   redis-server: `endpoint.rs` (the two sides), `gen.rs` (sequences), `norm.rs`
//!   (comparisons), `known.rs` (`fuzz/difffuzz-known.txt`), `shrink.rs` (minimisation into
//!   transcripts). [`resp::render`]: the transcripts' text form of replies.

pub mod acl;
pub mod client;
pub mod cmd;
pub mod db;
pub mod dispatch;
pub mod error;
pub mod glob;
pub mod rdb;
pub mod reply;
pub mod resp;
pub mod script;
pub mod server;
pub mod spec;

#[doc(hidden)]
pub mod difffuzz;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "tcp")]
pub mod net;
#[cfg(feature = "redis-rs")]
pub mod redis_rs;

/// README's examples, compiled and run as doc tests.
#[cfg(all(doctest, feature = "tcp", feature = "redis-rs"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use client::Client;
pub use dispatch::ClientError;
pub use reply::Reply;
pub use server::Server;
pub use spec::{Profile, ServerKind, Version};
