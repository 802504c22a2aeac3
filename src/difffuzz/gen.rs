//! Command sequences for a campaign: every command the fake implements (and the pinned
//! server has), arguments from its grammar through [`crate::fuzzing`]'s generator, with
//! palettes chosen so that two servers on the wall clock stay comparable.
//!
//! - A small colliding keyspace (`a`, `b`, `c`, `{a}b`, the empty key) in several
//!   databases, so commands meet each other's data and types.
//! - Values near the edges: 0, -1, the i64 limits and one past them, `inf`, `nan`, empty
//!   strings, strings of 44 and 45 bytes (the embstr limit) and of 1000 bytes.
//! - TTLs are either already expired (zero, negative, a past Unix time for EXPIREAT and
//!   PEXPIREAT, which delete at once; SET and GETEX get future times only) or at least ten
//!   seconds away (in seconds and in milliseconds alike): two servers cannot agree on a key that expires between their two
//!   copies of a command. Expiry at the boundary is checked on the virtual clock instead
//!   (`model_ops`, the transcripts).
//! - No random pick with repetition of more than 100000 elements (`unbounded_reply`): the
//!   oracle would build it until its memory runs out.
//! - CONFIG SET/GET name the parameters the fake models, minus [`UNSAFE_PARAMS`].
//! - Connection 2 gets about one command in seven; under RESP3 every connection starts
//!   with `HELLO 3` (again after QUIT or RESET).

use crate::dispatch;
use crate::fuzzing::{self, mangle_case, Input, Values};
use crate::spec::{self, ArgKind, ArgSpec, CommandSpec, Profile};

/// Parameters campaigns never set, and why: they move the server off its address, write
/// files or fork, or act on the wall clock and the accept loop (which the in-process fake
/// does not have). Immutable and protected parameters are never set by a client anyway.
pub const UNSAFE_PARAMS: &[(&str, &str)] = &[
    ("port", "moves the oracle off its address"),
    ("bind", "moves the oracle off its address"),
    ("save", "starts background saves on the wall clock"),
    ("appendonly", "starts an AOF rewrite (fork, files)"),
    ("appendfsync", "AOF only"),
    ("maxmemory", "used memory is the fake's estimate: OOM and evictions start at other sizes than on redis-server"),
    ("timeout", "closes idle connections on the wall clock"),
    ("maxclients", "refuses connections in the TCP accept loop, which the in-process fake has not"),
    ("client-output-buffer-limit", "disconnects the driver's own clients on the oracle"),
    ("maxmemory-clients", "evicts the driver's own clients on the oracle"),
    ("oom-score-adj", "changes the oracle process's OOM score"),
    ("oom-score-adj-values", "changes the oracle process's OOM score"),
    ("latency-tracking-info-percentiles", "only INFO latencystats shows it"),
];

/// Families of parameters campaigns never set: TLS and the cluster bus are served by
/// neither side here; replication parameters act on replicas there are none of.
pub const UNSAFE_PREFIXES: &[(&str, &str)] = &[
    ("tls-", "no TLS listener"),
    ("cluster-", "no cluster bus"),
    ("repl-", "no replicas"),
    ("replica-", "no replicas"),
    ("min-replicas-", "refuses writes (the driver's own FLUSHALL too) with NOREPLICAS; transcripts cover it"),
];

/// The parameters a campaign may set (and resets to their start values every round).
pub fn settable_params() -> Vec<&'static str> {
    crate::server::config::runtime_names()
        .filter(|n| !UNSAFE_PARAMS.iter().any(|(u, _)| u == n))
        .filter(|n| !UNSAFE_PREFIXES.iter().any(|(u, _)| n.starts_with(u)))
        .collect()
}

const KEYS: &[&str] = &["a", "b", "c", "{a}b", ""];

const CONFIG_VALUES: &[&str] = &[
    "yes",
    "no",
    "0",
    "1",
    "-1",
    "2",
    "100",
    "512",
    "-2",
    "1000000",
    "1mb",
    "1gb",
    "10kb",
    "abc",
    "",
    "KEA",
    "Ex",
    "$gx",
    "noeviction",
    "allkeys-lru",
    "volatile-lfu",
    "allkeys-lfu",
    "debug",
    "nothing",
    "warning",
    "everysec",
    "9223372036854775807",
    "2147483648",
    "1.5",
    "pass",
];

/// Relative times in seconds (EX, EXPIRE, SETEX, ...): expired at once, invalid, or at
/// least ten seconds away.
const RELATIVE_S: &[&str] = &[
    "-1",
    "0",
    "-100",
    "10",
    "100",
    "1000",
    "86400",
    "100000",
    "2147483647",
    "9223372036854775",
    "9223372036854776",
    "9223372036854775807",
    "-9223372036854775808",
    "abc",
    "1.5",
    "",
];

/// Relative times in milliseconds (PX, PEXPIRE, PSETEX): the same, ten seconds or more.
const RELATIVE_MS: &[&str] = &[
    "-1",
    "0",
    "-100",
    "10000",
    "100000",
    "86400000",
    "2147483647",
    "9223372036854775",
    "9223372036854775807",
    "-9223372036854775808",
    "abc",
    "1.5",
    "",
];

/// Unix times in seconds or milliseconds: in the past, or far in the future.
const ABSOLUTE: &[&str] = &[
    "-1",
    "0",
    "1",
    "1000",
    "1000000000",
    "1000000000000",
    "4102444800",
    "4102444800000",
    "9223372036854775",
    "9223372036854775807",
    "-9223372036854775808",
    "abc",
    "",
];

/// Unix times for SET and GETEX: far in the future (or invalid). A past one leaves a key
/// that is expired but still counted by DBSIZE until each server's own expiry cycle
/// reclaims it, which two servers do at different moments.
const FUTURE_S: &[&str] =
    &["4102444800", "4102444800000", "9223372036854775", "9223372036854775807", "-9223372036854775808", "abc", ""];

/// The same in milliseconds (4102444800 would be 1970 there).
const FUTURE_MS: &[&str] = &["4102444800000", "9223372036854775807", "-9223372036854775808", "abc", ""];

/// Stream IDs and the words that stand for one, so that stream commands get past their
/// ID parsing often (explicit IDs mostly: a `*` ID is the clock's, which ends a round).
const STREAM_IDS: &[&str] = &[
    "0-0",
    "0",
    "1-1",
    "1-2",
    "1",
    "2-*",
    "3-0",
    "5",
    "5-1",
    "9-9",
    "*",
    "$",
    ">",
    "-",
    "+",
    "(1-1",
    "(0-0",
    "18446744073709551615-18446744073709551615",
    "1-x",
    "abc",
];

/// A sparse HyperLogLog string for SET to store: whole opcodes that mostly cover the 16384
/// registers exactly, sometimes fall short or run over (INVALIDOBJ), sometimes with a bad
/// encoding byte; the cached cardinality valid or stale. Never an XZERO cut short at the end
/// (Redis may later read a byte it left past such a string's end: README, known differences).
fn hll_string(u: &mut Input<'_>) -> Vec<u8> {
    let mut s = b"HYLL".to_vec();
    s.push(if u.ratio(1, 16) { 2 } else { 1 });
    s.extend([0, 0, 0]);
    let stale = u.ratio(1, 2);
    s.extend([u.below(4) as u8, 0, 0, 0, 0, 0, 0, if stale { 0x80 } else { 0 }]);
    let xzero = |s: &mut Vec<u8>, n: usize| s.extend([0x40 | ((n - 1) >> 8) as u8, ((n - 1) & 0xff) as u8]);
    let mut left = 16384usize;
    while left > 0 && s.len() < 48 && !u.ratio(1, 8) {
        let n = match u.below(3) {
            0 => {
                let n = 1 + u.below(left.min(64));
                s.push((n - 1) as u8);
                n
            }
            1 => {
                let n = 1 + u.below(left.min(2000));
                xzero(&mut s, n);
                n
            }
            _ => {
                let n = 1 + u.below(left.min(4));
                s.push(0x80 | ((u.below(32) as u8) << 2) | (n - 1) as u8);
                n
            }
        };
        left -= n;
    }
    if left > 0 && !u.ratio(1, 8) {
        xzero(&mut s, left);
    }
    if u.ratio(1, 16) {
        s.push(0x80);
    }
    s
}

/// Longitudes for the geo commands.
const LONGITUDES: &[&str] = &[
    "13.361389",
    "15.087269",
    "13.5",
    "13.50001",
    "0",
    "-0",
    "180",
    "-180",
    "179.9999",
    "180.0000001",
    "-200",
    "abc",
    "1e-9",
];

/// Latitudes for the geo commands.
const LATITUDES: &[&str] = &[
    "38.115556",
    "37.502669",
    "38",
    "38.00001",
    "0",
    "85.05112878",
    "-85.05112878",
    "85.05112879",
    "66.5",
    "-80.5",
    "90",
    "abc",
];

/// Radii, widths and heights for the geo commands.
const GEO_SIZES: &[&str] =
    &["0", "1", "100", "1000", "50000", "200000", "5000000", "20000000", "-1", "inf", "abc", "1.5"];

/// The difffuzz palettes.
pub struct DiffValues {
    params: Vec<&'static str>,
}

impl Values for DiffValues {
    fn special(&self, u: &mut Input<'_>, cmd: &'static CommandSpec, arg: &'static ArgSpec) -> Option<Vec<u8>> {
        let pick = |u: &mut Input<'_>, l: &[&str]| u.pick(l).as_bytes().to_vec();
        // EXPIREAT and PEXPIREAT delete at once when the time has passed; other commands
        // keep the key until it is reclaimed.
        let deletes_at_once = matches!(cmd.fullname, "expireat" | "pexpireat");
        match arg.name {
            "seconds" => return Some(pick(u, RELATIVE_S)),
            "milliseconds" => return Some(pick(u, RELATIVE_MS)),
            _ if deletes_at_once && matches!(arg.kind, ArgKind::UnixTime) => return Some(pick(u, ABSOLUTE)),
            "unix-time-milliseconds" => return Some(pick(u, FUTURE_MS)),
            _ if matches!(arg.kind, ArgKind::UnixTime) => return Some(pick(u, FUTURE_S)),
            _ => {}
        }
        if cmd.group == "geo" {
            // Positions near each other, at the limits and just past them; sizes from
            // nothing to the whole earth.
            match arg.name {
                "longitude" => return Some(pick(u, LONGITUDES)),
                "latitude" => return Some(pick(u, LATITUDES)),
                "radius" | "width" | "height" => return Some(pick(u, GEO_SIZES)),
                _ => {}
            }
        }
        match (cmd.fullname, arg.name) {
            (x, "id" | "start" | "end" | "last-id" | "max-deleted-id" | "threshold" | "lastid")
                if x.starts_with('x') =>
            {
                Some(pick(u, STREAM_IDS))
            }
            ("config|get" | "config|set", "parameter") => Some(if u.ratio(7, 8) {
                let p = *u.pick(&self.params);
                mangle_case(u, p)
            } else {
                self.word(u)
            }),
            ("config|set", "value") | ("auth", "password") | ("hello", "password") => Some(pick(u, CONFIG_VALUES)),
            ("pfdebug", "subcommand") => Some(if u.ratio(7, 8) {
                let s = *u.pick(&["GETREG", "DECODE", "ENCODING", "TODENSE"]);
                mangle_case(u, s)
            } else {
                self.word(u)
            }),
            ("set", "value") if u.ratio(1, 6) => Some(hll_string(u)),
            ("hello", "protover") => Some(pick(u, &["2", "3", "3", "1", "4", "-1", "abc"])),
            ("select" | "move", _) | ("swapdb", _) | ("copy", "destination-db") => {
                Some(pick(u, &["0", "1", "2", "15", "16", "-1", "abc"]))
            }
            _ => None,
        }
    }

    fn key(&self, u: &mut Input<'_>) -> Vec<u8> {
        u.pick(KEYS).as_bytes().to_vec()
    }

    fn word(&self, u: &mut Input<'_>) -> Vec<u8> {
        match u.below(12) {
            0 => b"x".repeat(44),
            1 => b"x".repeat(45),
            2 => (0..1000u32).map(|i| b'a' + (i % 26) as u8).collect(),
            3 | 4 => self.int(u),
            5 => self.double(u),
            _ => fuzzing::Plain.word(u),
        }
    }
}

/// Whether a (damaged) vector sets a TTL two servers could disagree on: a relative time
/// under ten seconds, or a past Unix time for SET/GETEX (a swap or an inserted number can
/// put any word where the time goes).
fn racy_ttl(fullname: &str, argv: &[Vec<u8>]) -> bool {
    let int = |w: &[u8]| crate::spec::grammar::parse_i64(w);
    let short = |w: &[u8], unit_ms: i64| int(w).is_some_and(|n| n > 0 && n.saturating_mul(unit_ms) < 10_000);
    let past = |w: &[u8], unit_ms: i64| int(w).is_some_and(|n| n > 0 && n.saturating_mul(unit_ms) < 4_000_000_000_000);
    let at = |i: usize| argv.get(i).map(Vec::as_slice).unwrap_or_default();
    match fullname {
        "setex" | "expire" => short(at(2), 1000),
        "psetex" | "pexpire" => short(at(2), 1),
        "set" | "getex" => argv.windows(2).any(|w| {
            let (t, v) = (w[0].to_ascii_lowercase(), w[1].as_slice());
            match t.as_slice() {
                b"ex" => short(v, 1000),
                b"px" => short(v, 1),
                b"exat" => past(v, 1000),
                b"pxat" => past(v, 1),
                _ => false,
            }
        }),
        _ => false,
    }
}

/// Whether a vector asks for a reply Redis would build without bound: a random pick with
/// repetition (a negative count) of millions of elements, which makes the oracle stop
/// answering while it fills its memory (the fake refuses such a count past
/// `collection::MAX_RANDOM_REPLY`; `tests/transcripts/hash.txt` checks it).
fn unbounded_reply(fullname: &str, argv: &[Vec<u8>]) -> bool {
    let huge = |i: usize| argv.get(i).and_then(|w| crate::spec::grammar::parse_i64(w)).is_some_and(|n| n < -100_000);
    matches!(fullname, "srandmember" | "hrandfield" | "zrandmember") && huge(2)
}

/// Blocking commands that answer at once without their BLOCK option: campaigns send them
/// without it (a wait would stall the driver).
const READS_WITHOUT_BLOCK: &[&str] = &["xread", "xreadgroup"];

/// Commands campaigns leave out, though the in-process fuzzers run them: changing users
/// could lock the driver out of both servers (its resets need FLUSHALL and CONFIG); Redis
/// lists a category's commands in its table's hash order, random per process, and answers
/// GENPASS at random; ACL LOG shows ages and client details (`tests/transcripts/acl.txt`
/// covers them); LASTSAVE is each server's start time; what SLOWLOG holds depends on each
/// side's timings (`slowlog.txt`), and so do LATENCY HISTOGRAM's buckets (`latency.txt`).
const NOT_COMPARED: &[&str] = &[
    "acl|setuser",
    "acl|deluser",
    "acl|cat",
    "acl|genpass",
    "acl|log",
    "lastsave",
    "slowlog|get",
    "slowlog|len",
    "latency|histogram",
];

/// The fuzzers' refusals, less the reads that only block with BLOCK.
fn denied(c: &CommandSpec) -> bool {
    (fuzzing::denied(c) && !READS_WITHOUT_BLOCK.contains(&c.fullname)) || NOT_COMPARED.contains(&c.fullname)
}

/// Picks commands and writes argument vectors for one pinned profile.
pub struct Generator {
    profile: Profile,
    commands: Vec<&'static CommandSpec>,
    values: DiffValues,
}

impl Generator {
    pub fn new(profile: Profile) -> Generator {
        let leaf = |c: &&'static CommandSpec| c.run.is_some() && c.available(&profile) && !denied(c);
        let leaf_ref = |c: &&&'static CommandSpec| leaf(c);
        let mut commands: Vec<&'static CommandSpec> = Vec::new();
        for c in spec::all_commands() {
            if c.is_container() {
                commands.extend(c.subcommands.iter().filter(leaf_ref));
            } else if leaf(c) {
                commands.push(c);
            }
        }
        Generator { profile, commands, values: DiffValues { params: settable_params() } }
    }

    /// The commands campaigns draw from (full names).
    pub fn commands(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.commands.iter().map(|c| c.fullname)
    }

    /// One argument vector that the fake resolves to a command it implements, or an
    /// unknown command or subcommand (answered by the dispatcher on both sides).
    pub fn command(&self, u: &mut Input<'_>) -> Vec<Vec<u8>> {
        for _ in 0..100 {
            if u.ratio(1, 24) {
                return super::lua::eval(u, &self.values);
            }
            if u.ratio(1, 64) {
                let name = *u.pick(&["nosuchcommand", "get", "config"]);
                let mut argv = vec![mangle_case(u, name)];
                argv.push(self.values.word(u));
                return argv;
            }
            let cmd = *u.pick(&self.commands);
            let argv = fuzzing::gen_command_for(u, &self.values, cmd, 1);
            match dispatch::resolve(&self.profile, &argv) {
                Ok(c) if c.run.is_none() || denied(c) => continue,
                Ok(c)
                    if READS_WITHOUT_BLOCK.contains(&c.fullname)
                        && argv.iter().any(|w| w.eq_ignore_ascii_case(b"block")) =>
                {
                    continue
                }
                Ok(c) if racy_ttl(c.fullname, &argv) || unbounded_reply(c.fullname, &argv) => continue,
                // Client ids are each server's own count of connections, not comparable.
                Ok(c) if c.fullname == "client|list" && argv.iter().any(|w| w.eq_ignore_ascii_case(b"id")) => continue,
                _ => return argv,
            }
        }
        vec![b"PING".to_vec()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<Vec<u8>> {
        s.split(' ').map(|a| a.as_bytes().to_vec()).collect()
    }

    #[test]
    fn racy_ttls_are_recognised_after_damage() {
        assert!(racy_ttl("psetex", &v("PSETEX -1 2 x")));
        assert!(!racy_ttl("psetex", &v("PSETEX k 10000 x")));
        assert!(racy_ttl("set", &v("SET k v px 10")));
        assert!(racy_ttl("set", &v("SET k v EXAT 100")));
        assert!(!racy_ttl("set", &v("SET k v EXAT 4102444800")));
        assert!(!racy_ttl("set", &v("SET k v EX 0")));
        assert!(racy_ttl("expire", &v("EXPIRE k 9")));
        assert!(!racy_ttl("expireat", &v("EXPIREAT k 100")));
    }

    #[test]
    fn generated_commands_are_implemented_and_never_racy() {
        let g = Generator::new(Profile::redis(7, 0, 15));
        let mut x = 5u64;
        for _ in 0..5000 {
            let bytes: Vec<u8> = (0..64).flat_map(|_| super::super::splitmix(&mut x).to_le_bytes()).collect();
            let argv = g.command(&mut Input::new(&bytes));
            if let Ok(c) = dispatch::resolve(&g.profile, &argv) {
                assert!(c.run.is_some(), "{argv:?}");
                assert!(!racy_ttl(c.fullname, &argv), "{argv:?}");
            }
        }
    }
}
