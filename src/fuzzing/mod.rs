//! Generators and oracles for fuzzing, shared by the cargo-fuzz targets in `fuzz/` and the
//! seeded smoke runs in `tests/fuzz_smoke.rs` (so plain `cargo test` exercises them too).
//!
//! Each entry point takes arbitrary bytes, never panics on its own, and panics (with a
//! message naming the oracle) when the engine misbehaves:
//! - [`resp_parser`]: the request parser, fed whole and in chunks, under default and tight
//!   limits; both feedings must agree, and every command must survive re-encoding.
//! - [`command_args`]: argument vectors for every command in the table, biased toward each
//!   command's own grammar, run on a fresh server pinned to one of a few profiles; arity
//!   and lookup errors must be exactly the dispatcher's, and the server must still answer PING.
//! - [`model_ops`]: string and keyspace operations over three colliding keys in two
//!   databases, with a frozen clock moved by hand, checked reply by reply against a small
//!   model of Redis.
//! - [`restore_payload`] (`restore.rs`): RESTORE of damaged but correctly sealed payloads.
//! - [`model_collections`] (`collections.rs`): list, hash (field TTLs included), set and
//!   sorted-set operations over the same keys, WRONGTYPE across types, checked against a
//!   model built on the standard collections.
//!
//! The bytes are read with [`Input`], a tiny reader in the spirit of `arbitrary::Unstructured`
//! (kept in-tree so the module needs no extra dependency): once the bytes run out every read
//! answers zero, so generation always ends.

mod collections;
mod restore;

use std::collections::BTreeMap;
use std::time::Duration;

pub use collections::model_collections;
pub use restore::restore_payload;

use crate::dispatch;
use crate::error;
use crate::resp::{self, Limits, RequestParser, INLINE_MAX};
use crate::spec::{self, ArgKind, ArgSpec, CommandSpec, Profile};
use crate::{Client, Reply, Server};

// ------------------------------------------------------------------------------- Input

/// Reads choices out of fuzzer bytes. Exhausted input reads as zeros.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Input<'a> {
        Input { data, pos: 0 }
    }

    /// Whether every byte was read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos = self.pos.saturating_add(1);
        b
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// A number in `0..n` (0 when `n` is 0); one byte for small `n`.
    pub fn below(&mut self, n: usize) -> usize {
        match n {
            0 | 1 => 0,
            2..=256 => usize::from(self.byte()) % n,
            _ => self.u32() as usize % n,
        }
    }

    /// True with probability about `num / den`.
    pub fn ratio(&mut self, num: u8, den: u8) -> bool {
        den != 0 && self.byte() % den < num
    }

    pub fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len())]
    }

    /// Up to `max` raw bytes (fewer when the input runs out).
    pub fn bytes(&mut self, max: usize) -> &'a [u8] {
        let n = self.below(max + 1);
        let start = self.pos.min(self.data.len());
        let end = start.saturating_add(n).min(self.data.len());
        self.pos = start.saturating_add(n);
        &self.data[start..end]
    }
}

/// A 64-bit FNV-1a hash, to derive split points and limits from the input itself.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

// ------------------------------------------------------------------------- resp_parser

#[derive(Debug, PartialEq)]
struct Parsed {
    commands: Vec<Vec<Vec<u8>>>,
    /// The protocol error that ended the stream, or the bytes left pending.
    end: Result<usize, String>,
}

fn parse_chunks<'d>(chunks: impl IntoIterator<Item = &'d [u8]>, limits: Limits) -> Parsed {
    let mut p = RequestParser::new();
    let mut commands = Vec::new();
    for chunk in chunks {
        p.feed(chunk);
        loop {
            match p.next_command(limits) {
                Ok(Some(cmd)) => commands.push(cmd),
                Ok(None) => break,
                Err(e) => return Parsed { commands, end: Err(e) },
            }
        }
    }
    Parsed { commands, end: Ok(p.pending()) }
}

/// Splits `data` at pseudo-random points derived from the data.
fn split_points(data: &[u8]) -> Vec<&[u8]> {
    let mut seed = fnv(data) | 1;
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let r = xorshift(&mut seed);
        let n = if r.is_multiple_of(8) { (r >> 8) as usize % 512 } else { (r >> 8) as usize % 17 };
        let (a, b) = rest.split_at(n.clamp(1, rest.len()));
        out.push(a);
        rest = b;
    }
    out
}

/// Feeds `data` to the request parser whole, in pseudo-random chunks and byte by byte,
/// under default and tight limits. Oracles: no panic; every feeding yields the same
/// commands and the same ending (for inputs under the 64 KiB line limit, where Redis too
/// is independent of how reads are split); each command re-encoded with
/// [`resp::encode_command`] parses back to itself.
pub fn resp_parser(data: &[u8]) {
    let h = fnv(data);
    let small = (h % 40) as i64;
    let all = [
        Limits::default(),
        Limits { proto_max_bulk_len: small, auth_required: true },
        Limits { proto_max_bulk_len: small, auth_required: false },
        Limits { auth_required: true, ..Limits::default() },
    ];
    let chunks = split_points(data);
    for limits in all {
        let whole = parse_chunks([data], limits);
        let comparable = data.len() <= INLINE_MAX;
        let chunked = parse_chunks(chunks.iter().copied(), limits);
        if comparable {
            assert_eq!(whole, chunked, "resp_parser: whole vs chunked feeding differ ({limits:?})");
        }
        if comparable && data.len() <= 2048 {
            let bytewise = parse_chunks(data.chunks(1), limits);
            assert_eq!(whole, bytewise, "resp_parser: whole vs byte-by-byte feeding differ ({limits:?})");
        }
        for cmd in &whole.commands {
            assert!(!cmd.is_empty(), "resp_parser: an empty command came out of the parser");
            let mut enc = Vec::new();
            resp::encode_command(cmd, &mut enc);
            let back = parse_chunks([enc.as_slice()], Limits::default());
            assert_eq!(
                back,
                Parsed { commands: vec![cmd.clone()], end: Ok(0) },
                "resp_parser: re-encoded command does not parse back"
            );
        }
    }
}

// ------------------------------------------------------------------------ command_args

/// The profiles the command fuzzer pins at random.
pub const PROFILES: [Profile; 6] = [
    Profile::redis(6, 2, 14),
    Profile::redis(7, 0, 15),
    Profile::redis(7, 4, 2),
    Profile::valkey(8, 1, 1),
    Profile::dragonfly(1, 25, 0),
    Profile::keydb(),
];

/// Commands the fuzzer never runs: they block, sleep, run for seconds (PFSELFTEST), touch
/// files or the network, end
/// the server, or answer with more or fewer frames than one (the (un)subscribe family,
/// CLIENT REPLY, CLIENT TRACKING's invalidations: a campaign reads one reply per command),
/// or turn Redis's Lua debugger on (SCRIPT DEBUG, which fakeredis does not have); a generated vector that resolves to one of them is skipped. Commands flagged `BLOCKING` are skipped too.
const DENIED: &[&str] = &[
    "acl|load",
    "acl|save",
    "bgrewriteaof",
    "bgsave",
    "client|kill",
    "client|pause",
    "client|reply",
    "client|tracking",
    "cluster",
    "config|rewrite",
    "debug",
    "eval",
    "eval_ro",
    "evalsha",
    "evalsha_ro",
    "failover",
    "fcall",
    "fcall_ro",
    "migrate",
    "module",
    // The allocator's own report: jemalloc's on redis-server, none here.
    "memory|malloc-stats",
    "monitor",
    // Redis's runs ten million additions, seconds per call.
    "pfselftest",
    "psubscribe",
    "psync",
    "punsubscribe",
    "replicaof",
    // REPLCONF ACK and GETACK answer nothing at all (as Redis).
    "replconf",
    "save",
    "script|debug",
    "shutdown",
    "slaveof",
    "ssubscribe",
    "subscribe",
    "sunsubscribe",
    "sync",
    "unsubscribe",
    "wait",
    "waitaof",
];

pub fn denied(cmd: &CommandSpec) -> bool {
    let container_denied = cmd.container.is_some_and(|c| DENIED.iter().any(|d| d.eq_ignore_ascii_case(c)));
    container_denied || cmd.has_flag("BLOCKING") || DENIED.contains(&cmd.fullname)
}

/// Every command and subcommand of the table (containers included: they take a
/// subcommand name as their first argument).
pub fn fuzzable_commands() -> &'static [&'static CommandSpec] {
    static ALL: std::sync::OnceLock<Vec<&'static CommandSpec>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        spec::all_commands()
            .iter()
            .flat_map(|c| std::iter::once(*c).chain(c.subcommands.iter().copied()))
            .filter(|c| !denied(c))
            .collect()
    })
}

const KEYS: &[&str] = &["a", "b", "c", "{a}b", ""];

const WORDS: &[&str] = &[
    "abc",
    "1.5",
    "-1",
    "0",
    "1",
    "10",
    "",
    " ",
    "*",
    "a*",
    "?",
    "[a-c]",
    "\\",
    "9223372036854775807",
    "inf",
    "nan",
    "x\r\ny",
    "\0",
    "héllo",
    "-",
    "+",
    "(1",
    "[a",
    "0x10",
    "default",
];

const INTEGERS: &[&str] = &[
    "-1",
    "0",
    "1",
    "2",
    "3",
    "10",
    "100",
    "-100",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "2147483647",
    "2147483648",
    "-2147483649",
    "abc",
    "1.5",
    "",
    "+1",
    "01",
    "-0",
    " 1",
];

const DOUBLES: &[&str] = &[
    "1.5", "-1.5", "0", "1", "inf", "-inf", "+inf", "nan", "1e308", "1e400", "1e-400", "abc", ".5", "5.", "0x10", " 1",
    "",
];

/// `word` with each ASCII letter in random case.
pub fn mangle_case(u: &mut Input<'_>, word: &str) -> Vec<u8> {
    let mode = u.below(4);
    word.bytes()
        .map(|c| match mode {
            0 => c.to_ascii_lowercase(),
            1 => c.to_ascii_uppercase(),
            _ if u.ratio(1, 2) => c.to_ascii_uppercase(),
            _ => c.to_ascii_lowercase(),
        })
        .collect()
}

fn gen_key(u: &mut Input<'_>) -> Vec<u8> {
    u.pick(KEYS).as_bytes().to_vec()
}

fn gen_word(u: &mut Input<'_>) -> Vec<u8> {
    if u.ratio(1, 5) {
        return u.bytes(8).to_vec();
    }
    u.pick(WORDS).as_bytes().to_vec()
}

fn gen_int(u: &mut Input<'_>) -> Vec<u8> {
    if u.ratio(1, 3) {
        return (u.below(2001) as i64 - 1000).to_string().into_bytes();
    }
    u.pick(INTEGERS).as_bytes().to_vec()
}

fn gen_double(u: &mut Input<'_>) -> Vec<u8> {
    if u.ratio(1, 4) {
        return format!("{}.{}", u.below(200) as i64 - 100, u.below(100)).into_bytes();
    }
    u.pick(DOUBLES).as_bytes().to_vec()
}

const MAX_ARGS: usize = 40;
const MAX_DEPTH: usize = 6;

/// Where generated argument values come from. The defaults are the command fuzzer's
/// palettes; the differential driver (`crate::difffuzz`) overrides them to keep its
/// campaigns comparable with a live server (no sub-second TTLs, its own keys).
pub trait Values {
    /// A value for `arg` of `cmd`, overriding the palette of its type (`None`: use it).
    fn special(&self, _u: &mut Input<'_>, _cmd: &'static CommandSpec, _arg: &'static ArgSpec) -> Option<Vec<u8>> {
        None
    }
    fn key(&self, u: &mut Input<'_>) -> Vec<u8> {
        gen_key(u)
    }
    fn word(&self, u: &mut Input<'_>) -> Vec<u8> {
        gen_word(u)
    }
    fn int(&self, u: &mut Input<'_>) -> Vec<u8> {
        gen_int(u)
    }
    fn double(&self, u: &mut Input<'_>) -> Vec<u8> {
        gen_double(u)
    }
}

/// The command fuzzer's own palettes.
pub struct Plain;

impl Values for Plain {}

/// Generates arguments for one command: its grammar, the value palettes, the nesting depth.
struct Gen<'v> {
    values: &'v dyn Values,
    cmd: &'static CommandSpec,
}

impl Gen<'_> {
    /// Arguments for `specs`, in order; optional ones appear about half the time.
    fn args(&self, u: &mut Input<'_>, specs: &'static [ArgSpec], out: &mut Vec<Vec<u8>>, depth: usize) {
        for s in specs {
            if out.len() >= MAX_ARGS {
                return;
            }
            if s.optional && u.ratio(1, 2) {
                continue;
            }
            self.arg(u, s, out, depth);
        }
    }

    /// One argument: its token, then its value(s).
    fn arg(&self, u: &mut Input<'_>, s: &'static ArgSpec, out: &mut Vec<Vec<u8>>, depth: usize) {
        let reps = if s.multiple { 1 + u.below(3) } else { 1 };
        for i in 0..reps {
            if out.len() >= MAX_ARGS || depth > MAX_DEPTH {
                return;
            }
            if let Some(t) = s.token {
                if i == 0 || s.multiple_token || matches!(s.kind, ArgKind::PureToken) {
                    out.push(mangle_case(u, t));
                }
            }
            if let Some(v) = self.values.special(u, self.cmd, s) {
                out.push(v);
                continue;
            }
            match s.kind {
                ArgKind::Key => out.push(self.values.key(u)),
                ArgKind::String | ArgKind::Pattern => out.push(self.values.word(u)),
                ArgKind::Integer | ArgKind::UnixTime => out.push(self.values.int(u)),
                ArgKind::Double => out.push(self.values.double(u)),
                ArgKind::PureToken => {
                    if s.token.is_none() {
                        out.push(mangle_case(u, s.name));
                    }
                }
                ArgKind::OneOf(alts) => {
                    if !alts.is_empty() {
                        let alt = u.pick(alts);
                        self.arg(u, alt, out, depth + 1);
                    }
                }
                ArgKind::Block(subs) => self.args(u, subs, out, depth + 1),
            }
        }
    }
}

/// Every token in an argument tree.
fn tokens(specs: &'static [ArgSpec], out: &mut Vec<&'static str>) {
    for s in specs {
        out.extend(s.token);
        match s.kind {
            ArgKind::OneOf(subs) | ArgKind::Block(subs) => tokens(subs, out),
            _ => {}
        }
    }
}

/// Damages a well-formed argument list now and then: drops, repeats, swaps, truncates,
/// or slips in one of the command's tokens or a random word.
fn mutate(u: &mut Input<'_>, values: &dyn Values, cmd: &'static CommandSpec, args: &mut Vec<Vec<u8>>, rate: u8) {
    let rounds = if u.ratio(rate, 8) { 1 + u.below(3) } else { 0 };
    for _ in 0..rounds {
        let n = args.len();
        match u.below(8) {
            0 if n > 0 => {
                args.remove(u.below(n));
            }
            1 if n > 0 => {
                let i = u.below(n);
                let dup = args[i].clone();
                args.insert(i, dup);
            }
            2 => {
                let mut toks = Vec::new();
                tokens(cmd.args, &mut toks);
                let w = if toks.is_empty() {
                    values.word(u)
                } else {
                    let t = *u.pick(&toks);
                    mangle_case(u, t)
                };
                args.insert(u.below(n + 1), w);
            }
            3 if n > 0 => {
                let i = u.below(n);
                args[i] = values.word(u);
            }
            4 => args.truncate(u.below(n + 1)),
            5 if n > 1 => {
                let (i, j) = (u.below(n), u.below(n));
                args.swap(i, j);
            }
            6 => {
                let w = match u.below(3) {
                    0 => values.int(u),
                    1 => values.key(u),
                    _ => values.word(u),
                };
                args.push(w);
            }
            _ => {}
        }
    }
}

/// One argument vector: a command or subcommand from the table with arguments built from
/// its grammar, or (rarely) a name made of random bytes.
pub fn gen_command(u: &mut Input<'_>) -> Vec<Vec<u8>> {
    if u.ratio(1, 32) {
        let mut argv = vec![u.bytes(6).to_vec()];
        for _ in 0..u.below(3) {
            argv.push(gen_word(u));
        }
        return argv;
    }
    let cmd = *u.pick(fuzzable_commands());
    gen_command_for(u, &Plain, cmd, 4)
}

/// An argument vector for `cmd` (its container's name first): values from `values`,
/// damaged by [`mutate`] with probability `mutation_rate / 8`.
pub fn gen_command_for(
    u: &mut Input<'_>,
    values: &dyn Values,
    cmd: &'static CommandSpec,
    mutation_rate: u8,
) -> Vec<Vec<u8>> {
    let mut argv = Vec::new();
    if let Some(container) = cmd.container {
        argv.push(mangle_case(u, container));
    }
    argv.push(mangle_case(u, cmd.name));
    let mut args = Vec::new();
    if cmd.is_container() {
        // A container usually gets one of its subcommand names (possibly not one the
        // pinned server has), sometimes a word.
        if u.ratio(3, 4) && !cmd.subcommands.is_empty() {
            let sub = u.pick(cmd.subcommands);
            args.push(mangle_case(u, sub.name));
        } else if u.ratio(1, 2) {
            args.push(values.word(u));
        }
    } else {
        Gen { values, cmd }.args(u, cmd.args, &mut args, 0);
    }
    mutate(u, values, cmd, &mut args, mutation_rate);
    argv.extend(args);
    argv
}

pub(crate) fn show(argv: &[Vec<u8>]) -> String {
    argv.iter().map(|a| format!("{:?}", String::from_utf8_lossy(a))).collect::<Vec<_>>().join(" ")
}

/// Runs one vector on `client` and checks what the dispatcher guarantees before any handler
/// runs. Returns false when the vector was skipped (a denied command).
fn run_checked(client: &mut Client, p: &Profile, argv: &[Vec<u8>]) -> bool {
    let expected = dispatch::resolve(p, argv);
    if let Ok(cmd) = expected {
        // Raising proto-max-bulk-len would let SETRANGE/APPEND build gigabyte strings, as
        // Redis would: legitimate, but an out-of-memory report rather than a finding.
        let big_strings =
            cmd.fullname == "config|set" && argv.iter().any(|a| a.eq_ignore_ascii_case(b"proto-max-bulk-len"));
        if denied(cmd) || big_strings {
            return false;
        }
    }
    let reply = match client.execute(argv) {
        Ok(r) => r,
        Err(e) => panic!("command_args: {} on {p}: client error {e}", show(argv)),
    };
    match &expected {
        Err(want) => {
            assert_eq!(&reply, want, "command_args: {} on {p}: lookup error differs", show(argv));
        }
        Ok(cmd) if !cmd.arity_ok(p, argv.len()) => {
            let typed = cmd.container.and(argv.get(1)).map(Vec::as_slice);
            let mut want = Reply::err(error::wrong_arity(p, cmd.fullname, typed));
            if cmd.fullname == "exec" && !p.is(crate::spec::ServerKind::Dragonfly) {
                // EXEC refusing itself discards the transaction and says why.
                want = Reply::err_bytes(error::execabort_because(error::wrong_arity(p, "exec", None).as_bytes()));
            }
            assert_eq!(reply, want, "command_args: {} on {p}: arity error differs", show(argv));
        }
        Ok(cmd) => {
            if cmd.run.is_some() {
                let not_impl = error::not_implemented(cmd.fullname);
                assert_ne!(reply.error_text(), Some(not_impl.as_str()), "command_args: {} on {p}", show(argv));
            }
        }
    }
    // (Dragonfly's COMMAND, DFLY, XGROUP and MODULE answer an unknown subcommand with the
    // syntax error: that one is the lookup error checked above.)
    if reply.error_text() == Some(error::SYNTAX) && expected.as_ref().err() != Some(&reply) {
        let cmd = expected.as_ref().ok();
        assert!(
            cmd.is_some_and(|c| c.arity_ok(p, argv.len())),
            "command_args: {} on {p}: syntax error for a command whose arity fails",
            show(argv)
        );
    }
    true
}

/// Runs up to four generated argument vectors on a fresh server pinned to a profile from
/// [`PROFILES`]. Oracles: no panic; an unknown command or subcommand answers exactly the
/// dispatcher's lookup error; a wrong argument count answers exactly
/// [`error::wrong_arity`]; `ERR syntax error` only comes from a command whose arity holds;
/// a command with a handler never answers not-implemented; afterwards the server still
/// answers PING with PONG on a new connection.
pub fn command_args(data: &[u8]) {
    let mut u = Input::new(data);
    let p = *u.pick(&PROFILES);
    let server = Server::with_profile(p);
    server.clock().freeze();
    let mut client = server.client();
    for _ in 0..1 + u.below(4) {
        if u.is_empty() {
            break;
        }
        let argv = gen_command(&mut u);
        run_checked(&mut client, &p, &argv);
        if client.is_closed() {
            client = server.client();
        }
    }
    let mut fresh = server.client();
    let pass = server.with_state(|st| st.config.get("requirepass").to_string());
    if !pass.is_empty() {
        let r = fresh.cmd(["AUTH", pass.as_str()]);
        assert_eq!(r, Ok(Reply::OK), "command_args: AUTH with the configured password failed on {p}");
    }
    assert_eq!(fresh.cmd(["PING"]), Ok(Reply::simple("PONG")), "command_args: PING after the run on {p}");
}

// --------------------------------------------------------------------------- model_ops

/// What the model knows of a key: its value and its expiry time (ms, server clock).
#[derive(Debug, Clone)]
struct Entry {
    value: Vec<u8>,
    expire_at: Option<i64>,
}

/// A model of the string keyspace of two databases, with Redis's expiry rules.
#[derive(Debug, Default)]
struct Model {
    dbs: [BTreeMap<Vec<u8>, Entry>; 2],
    db: usize,
    now: i64,
}

const MODEL_VALUES: &[&str] = &[
    "",
    "v",
    "hello",
    "0",
    "1",
    "10",
    "-5",
    "007",
    "+1",
    " 1",
    "1.5",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775806",
];

/// Redis's `string2ll`, written independently of the engine's parser.
fn redis_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mag: u128 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    let v: i128 = if neg { -(mag as i128) } else { mag as i128 };
    i64::try_from(v).ok()
}

impl Model {
    /// Redis keeps a key until the clock has passed its expiry time: `keyIsExpired` and the
    /// active expiry cycle both test `now > when`, so at `now == when` the key still answers
    /// (PTTL 0). Only EXPIRE-family commands delete at once when `when <= now`.
    fn live(&self, e: &Entry) -> bool {
        e.expire_at.is_none_or(|t| self.now <= t)
    }

    fn get(&self, db: usize, key: &[u8]) -> Option<&Entry> {
        self.dbs[db].get(key).filter(|e| self.live(e))
    }

    fn cur(&self, key: &[u8]) -> Option<&Entry> {
        self.get(self.db, key)
    }

    fn purge(&mut self) {
        let now = self.now;
        for db in &mut self.dbs {
            db.retain(|_, e| e.expire_at.is_none_or(|t| now <= t));
        }
    }

    fn put(&mut self, key: &[u8], value: Vec<u8>, expire_at: Option<i64>) {
        self.dbs[self.db].insert(key.to_vec(), Entry { value, expire_at });
    }

    /// Replaces the value, keeping the TTL of a live key.
    fn put_keep_ttl(&mut self, key: &[u8], value: Vec<u8>) {
        let ttl = self.cur(key).and_then(|e| e.expire_at);
        self.put(key, value, ttl);
    }

    fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let live = self.cur(key).is_some();
        let e = self.dbs[self.db].remove(key);
        e.filter(|_| live)
    }
}

fn bulk_or_nil(e: Option<&Entry>) -> Reply {
    e.map_or(Reply::Nil, |e| Reply::bulk(e.value.clone()))
}

/// One modelled operation: the command to send and the reply Redis would give, or `None`
/// to only advance the clock.
fn model_step(u: &mut Input<'_>, m: &mut Model, p: &Profile) -> Option<(Vec<Vec<u8>>, Reply)> {
    let key = |u: &mut Input<'_>| u.pick(&["a", "b", "c"]).as_bytes().to_vec();
    let value = |u: &mut Input<'_>| u.pick(MODEL_VALUES).as_bytes().to_vec();
    let w = |s: &str| s.as_bytes().to_vec();
    let num = |n: i64| n.to_string().into_bytes();
    let op = u.below(27);
    let k = key(u);
    Some(match op {
        0 => {
            let ms = *u.pick(&[0u64, 1, 2, 499, 500, 501, 999, 1000, 1001, 1500, 2000, 10_000]);
            m.now += ms as i64;
            return None;
        }
        1 | 2 => {
            let v = value(u);
            let cond = u.below(4);
            let exp = u.below(6);
            let n = *u.pick(&[-1i64, 0, 1, 2, 10, 1000, i64::MAX]);
            let mut argv = vec![w("SET"), k.clone(), v.clone()];
            match cond {
                1 => argv.push(w("NX")),
                2 => argv.push(w("XX")),
                _ => {}
            }
            let exists = m.cur(&k).is_some();
            let expire_at = match exp {
                1 => {
                    argv.extend([w("EX"), num(n)]);
                    if n <= 0 || n > i64::MAX / 1000 {
                        return Some((argv, Reply::err(error::invalid_expire("set"))));
                    }
                    Some(Some(m.now + n * 1000))
                }
                2 => {
                    argv.extend([w("PX"), num(n)]);
                    match n.checked_add(m.now) {
                        Some(t) if n > 0 => Some(Some(t)),
                        _ => return Some((argv, Reply::err(error::invalid_expire("set")))),
                    }
                }
                3 => {
                    argv.push(w("KEEPTTL"));
                    None
                }
                _ => Some(None),
            };
            let proceed = match cond {
                1 => !exists,
                2 => exists,
                _ => true,
            };
            if !proceed {
                return Some((argv, Reply::Nil));
            }
            match expire_at {
                Some(t) => m.put(&k, v, t),
                None => m.put_keep_ttl(&k, v),
            }
            (argv, Reply::OK)
        }
        3 | 4 => (vec![w("GET"), k.clone()], bulk_or_nil(m.cur(&k))),
        5 => {
            let n = 1 + u.below(3);
            let mut argv = vec![w("DEL")];
            let keys: Vec<Vec<u8>> = (0..n).map(|_| key(u)).collect();
            argv.extend(keys.iter().cloned());
            let deleted = keys.iter().filter(|k| m.remove(k).is_some()).count();
            (argv, Reply::Int(deleted as i64))
        }
        6 => {
            let n = 1 + u.below(3);
            let keys: Vec<Vec<u8>> = (0..n).map(|_| key(u)).collect();
            let count = keys.iter().filter(|k| m.cur(k).is_some()).count();
            let mut argv = vec![w("EXISTS")];
            argv.extend(keys);
            (argv, Reply::Int(count as i64))
        }
        7 => {
            let v = value(u);
            let mut cur = m.cur(&k).map(|e| e.value.clone()).unwrap_or_default();
            cur.extend_from_slice(&v);
            let len = cur.len() as i64;
            m.put_keep_ttl(&k, cur);
            (vec![w("APPEND"), k, v], Reply::Int(len))
        }
        8 | 9 => {
            let (argv, by) = if op == 8 {
                (vec![w("INCR"), k.clone()], Some(1))
            } else {
                let by =
                    *u.pick(&["1", "-1", "5", "-100", "9223372036854775807", "-9223372036854775808", "abc", "1.5"]);
                (vec![w("INCRBY"), k.clone(), w(by)], redis_i64(by.as_bytes()))
            };
            let Some(by) = by else { return Some((argv, Reply::err(error::NOT_INTEGER))) };
            let cur = match m.cur(&k) {
                None => 0,
                Some(e) => match redis_i64(&e.value) {
                    Some(n) => n,
                    None => return Some((argv, Reply::err(error::NOT_INTEGER))),
                },
            };
            let Some(v) = cur.checked_add(by) else { return Some((argv, Reply::err(error::INCR_OVERFLOW))) };
            m.put_keep_ttl(&k, num(v));
            (argv, Reply::Int(v))
        }
        10 => {
            let dst = key(u);
            let argv = vec![w("RENAME"), k.clone(), dst.clone()];
            let Some(e) = m.cur(&k).cloned() else { return Some((argv, Reply::err(error::NO_SUCH_KEY))) };
            if k != dst {
                m.remove(&k);
                m.dbs[m.db].insert(dst, e);
            }
            (argv, Reply::OK)
        }
        11 => {
            let dst = key(u);
            let mut argv = vec![w("COPY"), k.clone(), dst.clone()];
            let to = if u.ratio(1, 2) {
                let d = u.below(2);
                argv.extend([w("DB"), num(d as i64)]);
                d
            } else {
                m.db
            };
            let replace = u.ratio(1, 2);
            if replace {
                argv.push(w("REPLACE"));
            }
            if to == m.db && k == dst {
                return Some((argv, Reply::err(error::SAME_OBJECT)));
            }
            let Some(e) = m.cur(&k).cloned() else { return Some((argv, Reply::Int(0))) };
            if m.get(to, &dst).is_some() && !replace {
                return Some((argv, Reply::Int(0)));
            }
            m.dbs[to].insert(dst, e);
            (argv, Reply::Int(1))
        }
        12 => {
            let to = u.below(2);
            let argv = vec![w("MOVE"), k.clone(), num(to as i64)];
            if to == m.db {
                return Some((argv, Reply::err(error::SAME_OBJECT)));
            }
            if m.cur(&k).is_none() || m.get(to, &k).is_some() {
                return Some((argv, Reply::Int(0)));
            }
            let e = m.remove(&k);
            m.dbs[to].extend(e.map(|e| (k, e)));
            (argv, Reply::Int(1))
        }
        13 => {
            let secs = *u.pick(&[-1i64, 0, 1, 2, 5, 100, i64::MAX, i64::MIN]);
            let mut argv = vec![w("EXPIRE"), k.clone(), num(secs)];
            let cond = if p.redis_at_least(7, 0) { u.below(6) } else { 0 };
            let cond = ["", "", "NX", "XX", "GT", "LT"][cond];
            if !cond.is_empty() {
                argv.push(w(cond));
            }
            if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&secs) {
                return Some((argv, Reply::err(error::invalid_expire("expire"))));
            }
            let when = secs * 1000 + m.now;
            let Some(e) = m.cur(&k) else { return Some((argv, Reply::Int(0))) };
            let current = e.expire_at;
            let refused = match cond {
                "NX" => current.is_some(),
                "XX" => current.is_none(),
                "GT" => current.is_none_or(|c| when <= c),
                "LT" => current.is_some_and(|c| when >= c),
                _ => false,
            };
            if refused {
                return Some((argv, Reply::Int(0)));
            }
            if when <= m.now {
                m.remove(&k);
            } else if let Some(e) = m.dbs[m.db].get_mut(&k) {
                e.expire_at = Some(when);
            }
            (argv, Reply::Int(1))
        }
        14 => {
            let argv = vec![w("PERSIST"), k.clone()];
            let had = m.cur(&k).is_some_and(|e| e.expire_at.is_some());
            if had {
                if let Some(e) = m.dbs[m.db].get_mut(&k) {
                    e.expire_at = None;
                }
            }
            (argv, Reply::Int(i64::from(had)))
        }
        15 | 16 => {
            let pttl = op == 16;
            let argv = vec![w(if pttl { "PTTL" } else { "TTL" }), k.clone()];
            let r = match m.cur(&k) {
                None => -2,
                Some(Entry { expire_at: None, .. }) => -1,
                Some(Entry { expire_at: Some(t), .. }) => {
                    let ms = (t - m.now).max(0);
                    if pttl {
                        ms
                    } else {
                        (ms + 500) / 1000
                    }
                }
            };
            (argv, Reply::Int(r))
        }
        17 => {
            let argv = vec![w("GETDEL"), k.clone()];
            (argv, bulk_or_nil(m.remove(&k).as_ref()))
        }
        18 => {
            let offset = *u.pick(&[-1i64, 0, 1, 3, 10, 536_870_912]);
            let v = value(u);
            let argv = vec![w("SETRANGE"), k.clone(), num(offset), v.clone()];
            if offset < 0 {
                return Some((argv, Reply::err(error::OFFSET_OUT_OF_RANGE)));
            }
            let cur = m.cur(&k).map(|e| e.value.clone());
            if v.is_empty() {
                return Some((argv, Reply::Int(cur.map_or(0, |c| c.len() as i64))));
            }
            let off = offset as usize;
            if off + v.len() > 512 * 1024 * 1024 {
                return Some((argv, Reply::err(error::STRING_TOO_LONG)));
            }
            let mut data = cur.unwrap_or_default();
            if data.len() < off + v.len() {
                data.resize(off + v.len(), 0);
            }
            data[off..off + v.len()].copy_from_slice(&v);
            let len = data.len() as i64;
            m.put_keep_ttl(&k, data);
            (argv, Reply::Int(len))
        }
        19 => {
            let pick = |u: &mut Input<'_>| *u.pick(&[-100i64, -3, -1, 0, 1, 2, 5, 100, i64::MIN, i64::MAX]);
            let (mut start, mut end) = (pick(u), pick(u));
            let argv = vec![w("GETRANGE"), k.clone(), num(start), num(end)];
            let data = m.cur(&k).map(|e| e.value.clone()).unwrap_or_default();
            let len = data.len() as i64;
            if start < 0 && end < 0 && start > end {
                return Some((argv, Reply::bulk("")));
            }
            if start < 0 {
                start += len;
            }
            if end < 0 {
                end += len;
            }
            start = start.max(0);
            end = end.max(0).min(len - 1);
            if start > end || len == 0 {
                return Some((argv, Reply::bulk("")));
            }
            (argv, Reply::bulk(data[start as usize..=end as usize].to_vec()))
        }
        20 => {
            let len = m.cur(&k).map_or(0, |e| e.value.len() as i64);
            (vec![w("STRLEN"), k], Reply::Int(len))
        }
        21 => {
            let mut argv = vec![w("MSET")];
            for _ in 0..1 + u.below(3) {
                let (k, v) = (key(u), value(u));
                argv.extend([k.clone(), v.clone()]);
                m.put(&k, v, None);
            }
            (argv, Reply::OK)
        }
        22 => {
            let keys: Vec<Vec<u8>> = (0..1 + u.below(4)).map(|_| key(u)).collect();
            let r = Reply::Array(keys.iter().map(|k| bulk_or_nil(m.cur(k))).collect());
            let mut argv = vec![w("MGET")];
            argv.extend(keys);
            (argv, r)
        }
        23 => {
            let db = *u.pick(&[0i64, 1, 1, 16, -1]);
            let argv = vec![w("SELECT"), num(db)];
            if !(0..16).contains(&db) {
                return Some((argv, Reply::err(error::DB_INDEX_OUT_OF_RANGE)));
            }
            if db > 1 {
                return None;
            }
            m.db = db as usize;
            (argv, Reply::OK)
        }
        24 => {
            m.dbs[m.db].clear();
            (vec![w("FLUSHDB")], Reply::OK)
        }
        25 => {
            let n = m.dbs[m.db].values().filter(|e| m.live(e)).count();
            (vec![w("DBSIZE")], Reply::Int(n as i64))
        }
        _ => {
            // SETEX/PSETEX are SET with a TTL by another name.
            let v = value(u);
            let n = *u.pick(&[-1i64, 0, 1, 3, 1500]);
            let ms = u.ratio(1, 2);
            let name = if ms { "psetex" } else { "setex" };
            let argv = vec![w(name), k.clone(), num(n), v.clone()];
            if n <= 0 {
                return Some((argv, Reply::err(error::invalid_expire(name))));
            }
            m.put(&k, v, Some(m.now + if ms { n } else { n * 1000 }));
            (argv, Reply::OK)
        }
    })
}

/// A sequence of string and keyspace operations over keys `a`, `b`, `c` in databases 0
/// and 1 with clock advances in between, on a frozen-clock server pinned to Redis 6.2 or
/// 7.4. Oracle: every reply equals what the in-test model of Redis predicts.
pub fn model_ops(data: &[u8]) {
    let mut u = Input::new(data);
    let p = *u.pick(&[Profile::redis(7, 4, 2), Profile::redis(6, 2, 14)]);
    let server = Server::with_profile(p);
    server.clock().freeze();
    let start = server.clock().now_ms();
    let mut client = server.client();
    let mut m = Model { now: start, ..Model::default() };
    let mut log: Vec<String> = Vec::new();
    for _ in 0..200 {
        if u.is_empty() {
            break;
        }
        let before = m.now;
        let step = model_step(&mut u, &mut m, &p);
        if m.now != before {
            server.advance(Duration::from_millis((m.now - before) as u64));
            m.purge();
            log.push(format!("(advance {} ms)", m.now - before));
        }
        assert_eq!(server.clock().now_ms(), m.now, "model_ops: clock out of step");
        let Some((argv, want)) = step else { continue };
        let got = client.execute(&argv);
        log.push(format!("{} -> {:?}", show(&argv), got));
        if got.as_ref() != Ok(&want) {
            let tail = &log[log.len().saturating_sub(40)..];
            panic!(
                "model_ops on {p}: {} answered {got:?}, the model expects {want:?}\nsequence (last {}):\n  {}",
                show(&argv),
                tail.len(),
                tail.join("\n  ")
            );
        }
    }
}
