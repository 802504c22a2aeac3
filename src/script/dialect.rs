//! What differs between the servers' Lua environments: Redis 7 (and Valkey), Redis 6.2 (and
//! KeyDB, built on it), and Dragonfly. The prelude (`prelude.lua`) builds each one's globals
//! and `redis` table; here are the Rust halves: the texts of the checks `redis.call` makes
//! before a command runs, how errors reach the script and the client, Dragonfly's script
//! flags and its refusal of undeclared keys, and Dragonfly's conversion of a script's result.
//!
//! Based on Redis 6.2.16's `scripting.c` and Dragonfly 1.25's `interpreter.cc`,
//! `script_mgr.cc` and `main_service.cc` (neither can be run here: the live oracle is 7.0.15).

use mlua::{Table, Value};

use crate::dispatch::{self, ReplyErrors};
use crate::error;
use crate::reply::Reply;
use crate::spec::{Profile, ServerKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Redis 7.0 and later, every Valkey.
    Redis7,
    /// Redis 6.2 and KeyDB: errors are strings, `Error running script (call to f_<sha>): ...`.
    Redis6,
    /// Dragonfly: Redis 6.2's error style with its own texts, script flags, declared keys.
    Dragonfly,
}

impl Dialect {
    pub fn of(p: &Profile) -> Dialect {
        if p.is(ServerKind::Dragonfly) {
            Dialect::Dragonfly
        } else if p.redis_at_least(7, 0) {
            Dialect::Redis7
        } else {
            Dialect::Redis6
        }
    }

    /// The prelude's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Redis7 => "redis7",
            Dialect::Redis6 => "redis6",
            Dialect::Dragonfly => "dragonfly",
        }
    }

    pub fn legacy(self) -> bool {
        self != Dialect::Redis7
    }

    /// A run's error (the handler's string) as the client gets it.
    pub fn run_error(self, sha: &str, msg: &[u8]) -> Vec<u8> {
        let name = match self {
            Dialect::Dragonfly => sha.to_string(),
            _ => format!("f_{sha}"),
        };
        [format!("ERR Error running script (call to {name}): ").as_bytes(), msg].concat()
    }

    /// A script's `redis.call` before the command runs (Redis 7 checks inside `dispatch`):
    /// the error the script layer gives instead of running it, and whether it names the
    /// calling line (`traced`). `Err` of `argv` is the argument check's Redis 7 text.
    pub fn precheck(
        self,
        p: &Profile,
        argv: &Result<Vec<Vec<u8>>, &'static str>,
        df: Option<&DfRun<'_>>,
    ) -> Option<(Vec<u8>, bool)> {
        match self {
            Dialect::Redis7 => None,
            Dialect::Redis6 => redis6_precheck(p, argv),
            Dialect::Dragonfly => dragonfly_precheck(p, argv, df?),
        }
    }

    /// A command's error reply as the script's error table holds it. Dragonfly keeps its
    /// `ERR` errors without the code (the client gets `-ERR ` added back) and the others with
    /// their leading `-`.
    pub fn script_error_text(self, text: &[u8]) -> Vec<u8> {
        match self {
            Dialect::Dragonfly => match text.strip_prefix(b"ERR ") {
                Some(rest) => rest.to_vec(),
                None => [b"-", text].concat(),
            },
            _ => text.to_vec(),
        }
    }
}

/// Redis 6.2's `luaRedisGenericCommand` checks: the command (its container: 6.2 has no
/// subcommand table, so a subcommand's own errors are the command's replies), the arity,
/// and the commands scripts may not run.
fn redis6_precheck(p: &Profile, argv: &Result<Vec<Vec<u8>>, &'static str>) -> Option<(Vec<u8>, bool)> {
    let traced = |t: &str| Some((t.as_bytes().to_vec(), true));
    let argv = match argv {
        Ok(a) => a,
        Err(e) if *e == error::SCRIPT_NO_ARGS => return traced(error::LEGACY_SCRIPT_NO_ARGS),
        Err(_) => return traced(error::LEGACY_SCRIPT_BAD_ARG),
    };
    let Some(cmd) = crate::spec::lookup_on(&argv[0], p) else { return traced(error::LEGACY_SCRIPT_UNKNOWN) };
    if !cmd.arity_ok(p, argv.len()) {
        return traced(error::LEGACY_SCRIPT_ARITY);
    }
    if cmd.flags_for(p).iter().any(|f| f.eq_ignore_ascii_case("NOSCRIPT")) {
        return traced(error::LEGACY_SCRIPT_NOT_ALLOWED);
    }
    match dispatch::resolve(p, argv) {
        Err(Reply::Error(e)) => Some((e.to_vec(), false)),
        Ok(sub) if !sub.arity_ok(p, argv.len()) => {
            let e = error::wrong_arity(p, sub.fullname, argv.get(1).map(Vec::as_slice));
            Some((e.into_bytes(), false))
        }
        _ => None,
    }
}

/// Dragonfly's checks in `DispatchCommand` for a script (each a plain error reply), and
/// its interpreter's own argument checks (traced).
fn dragonfly_precheck(
    p: &Profile,
    argv: &Result<Vec<Vec<u8>>, &'static str>,
    run: &DfRun<'_>,
) -> Option<(Vec<u8>, bool)> {
    let plain = |t: Vec<u8>| Some((Dialect::Dragonfly.script_error_text(&t), false));
    let argv = match argv {
        Ok(a) if a[0].len() >= 32 => return Some((error::DF_SCRIPT_NAME_TOO_LONG.as_bytes().to_vec(), true)),
        Ok(a) => a,
        Err(e) if *e == error::SCRIPT_NO_ARGS => return Some((error::LEGACY_SCRIPT_NO_ARGS.as_bytes().to_vec(), true)),
        Err(_) => return Some((error::LEGACY_SCRIPT_BAD_ARG.as_bytes().to_vec(), true)),
    };
    let cmd = match dispatch::resolve(p, argv) {
        Ok(c) => c,
        Err(Reply::Error(e)) => return plain(e.to_vec()),
        Err(_) => return None,
    };
    if !cmd.arity_ok(p, argv.len()) {
        return plain(error::wrong_arity(p, cmd.fullname, argv.get(1).map(Vec::as_slice)).into_bytes());
    }
    let lock_ahead = run.params.atomic && !run.params.undeclared_keys;
    let noscript = cmd.flags_for(p).iter().any(|f| f.eq_ignore_ascii_case("NOSCRIPT"));
    // The commands that lock every shard (`GLOBAL_TRANS` in Dragonfly's table) need a
    // global or non-atomic script.
    let global = matches!(cmd.fullname, "flushall" | "flushdb" | "move" | "save" | "bgsave");
    if noscript || (global && lock_ahead) {
        return plain(error::DF_SCRIPT_NOT_ALLOWED.as_bytes().to_vec());
    }
    if lock_ahead {
        let keys = crate::cmd::server::command::command_keys(p, argv);
        if let Some(k) = keys.iter().find(|k| !run.declared.contains(k)) {
            let mut text = error::DF_UNDECLARED_KEY.as_bytes().to_vec();
            // Dragonfly 1.20 names the key.
            if p.version >= crate::spec::Version::new(1, 20, 0) {
                text.extend_from_slice(b", key: ");
                text.extend_from_slice(k);
            }
            return plain(text);
        }
    }
    None
}

/// Dragonfly's script parameters (`ScriptMgr::ScriptParams`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DfParams {
    pub atomic: bool,
    pub undeclared_keys: bool,
}

impl Default for DfParams {
    fn default() -> DfParams {
        DfParams { atomic: true, undeclared_keys: false }
    }
}

impl DfParams {
    /// `ApplyFlags`: flags separated by `,`, `;` or spaces; `no-writes` (Redis's) is taken
    /// and ignored. The flags before a bad one stay applied.
    pub fn apply(&mut self, flags: &[u8]) -> Result<(), String> {
        for flag in flags.split(|c| b",; ".contains(c)).filter(|f| !f.is_empty()) {
            match flag {
                b"disable-atomicity" => self.atomic = false,
                b"allow-undeclared-keys" => self.undeclared_keys = true,
                b"no-writes" => {}
                _ => return Err(format!("Invalid flag: {}", String::from_utf8_lossy(flag))),
            }
        }
        Ok(())
    }

    /// The flags a script body declares (`--!df flags=...` on its first non-blank line,
    /// `DeduceParams`), None without such a line.
    pub fn from_body(body: &[u8]) -> Result<Option<DfParams>, String> {
        let start = body.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(body.len());
        let Some(rest) = body[start..].strip_prefix(b"--!df flags=") else { return Ok(None) };
        // The flags run to the first whitespace, which must be there.
        let Some(end) = rest.iter().position(|c| c.is_ascii_whitespace()) else { return Ok(None) };
        let mut params = DfParams::default();
        params.apply(&rest[..end])?;
        Ok(Some(params))
    }
}

/// Scripts Dragonfly lets touch undeclared keys whatever their flags (its default
/// `--lua_undeclared_keys_shas`: two of Sidekiq's).
pub const DF_UNDECLARED_SHAS: [&str; 2] =
    ["351130589c64523cb98978dc32c64173a31244f3", "6ae15ef4678593dc61f991c9953722d67d822776"];

/// What a running Dragonfly script may touch: its parameters and its declared keys.
pub struct DfRun<'a> {
    pub params: DfParams,
    pub declared: &'a [Vec<u8>],
}

/// Dragonfly's `SerializeResult`: integers (here: numbers without a fraction) and other
/// numbers as doubles, `true` as 1 and `false` as nil whatever the protocol, `{err=}` (its
/// text with `-ERR ` unless it starts with `-`), `{ok=}`, `{map=}`, and any other table as
/// an array of its whole length, nils included.
pub fn dragonfly_reply(v: &Value, errs: &mut ReplyErrors) -> Reply {
    match v {
        Value::Boolean(true) => Reply::Int(1),
        Value::Integer(n) => Reply::Int(*n),
        Value::Number(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Reply::Int(*f as i64),
        Value::Number(f) => Reply::Double(*f),
        Value::String(s) => Reply::bulk(s.as_bytes().to_vec()),
        Value::Table(t) => dragonfly_table(t, errs),
        _ => Reply::Nil,
    }
}

fn dragonfly_table(t: &Table, errs: &mut ReplyErrors) -> Reply {
    if let Ok(Value::String(e)) = t.raw_get::<Value>("err") {
        let e = e.as_bytes();
        let text = match e.strip_prefix(b"-") {
            Some(rest) => rest.to_vec(),
            None => [b"ERR ", &e[..]].concat(),
        };
        let text: Vec<u8> = text.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }).collect();
        errs.counted.push(text.clone());
        return Reply::err_bytes(text);
    }
    if let Ok(Value::String(ok)) = t.raw_get::<Value>("ok") {
        return Reply::Simple(ok.to_string_lossy().into());
    }
    if let Ok(Value::Table(m)) = t.raw_get::<Value>("map") {
        let pairs = m.pairs::<Value, Value>().flatten();
        return Reply::Map(pairs.map(|(k, v)| (dragonfly_reply(&k, errs), dragonfly_reply(&v, errs))).collect());
    }
    Reply::Array((1..=t.raw_len()).map(|i| dragonfly_reply(&t.raw_get(i).unwrap_or(Value::Nil), errs)).collect())
}
