//! The Lua state, the script cache, and one script run.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value};

use crate::dispatch::{self, Caller, ReplyErrors};
use crate::error;
use crate::reply::{format_g, Reply};
use crate::server::Ctx;
use crate::spec::Profile;

use super::args;
use super::dialect::{self, DfParams, DfRun, Dialect};
use super::functions::{self, FunctionDef, Libraries, Library, NO_WRITES};

/// The Lua side: the error handler, the `redis` library over a raw dispatcher set per run,
/// and read-only proxies for the globals and the library tables.
const PRELUDE: &str = include_str!("prelude.lua");

/// FUNCTION LOAD's limit on running a library's code (Redis's `LOAD_TIMEOUT_MS`).
const LOAD_TIMEOUT_NS: u64 = 500_000_000;
const LOAD_TIMEOUT: &str = "FUNCTION LOAD timeout";

/// How long a script may run before the fake stops it. Redis lets it run (answering the
/// other clients `BUSY` until SCRIPT KILL, which the fake does too); a test double that
/// hangs forever on a script nobody kills helps nobody.
const SCRIPT_LIMIT_NS: u64 = 60_000_000_000;

/// The most memory the Lua state may hold (an allocation past it is a Lua error).
const LUA_MEMORY_LIMIT: usize = 1 << 30;

/// Nanoseconds on a process-wide monotonic clock.
fn mono_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// A C closure over a Lua function answering `value, failed`: the value, or the value
/// raised as the error (as Redis's C API functions raise their error tables: so
/// `pcall(redis.call, ...)` gets `{err = ...}`). Being C, a script's `return redis.call(...)`
/// keeps the script's frame for the error handler. It holds nothing that needs dropping
/// when `lua_error` unwinds.
unsafe extern "C-unwind" fn raise_if_failed(l: *mut mlua::ffi::lua_State) -> std::os::raw::c_int {
    use mlua::ffi;
    let n = ffi::lua_gettop(l);
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
    ffi::lua_insert(l, 1);
    ffi::lua_call(l, n, 2);
    let failed = ffi::lua_toboolean(l, -1) != 0;
    ffi::lua_pop(l, 1);
    if failed {
        ffi::lua_error(l);
    }
    1
}

fn raising_failed(lua: &Lua, imp: Function) -> mlua::Result<Function> {
    // SAFETY: as `raising`: one upvalue, left on the stack by `exec_raw`.
    unsafe { lua.exec_raw::<Function>(imp, |state| mlua::ffi::lua_pushcclosure(state, raise_if_failed, 1)) }
}

/// LuaBitOp's `tobit`: a number to a signed 32-bit integer the way its C does it (adding
/// 2^52 + 2^51 and keeping the low 32 bits of the double: wrapping, rounding to even).
fn tobit(x: f64) -> i32 {
    (x + 6_755_399_441_055_744.0).to_bits() as u32 as i32
}

/// The `bit` library (LuaBitOp 1.0, which Redis bundles): 32-bit operations on numbers,
/// each argument checked as `luaL_checknumber` checks it.
fn bit_library(lua: &Lua) -> mlua::Result<Table> {
    type Op = fn(&Lua, &[Value], &str) -> Result<i32, String>;
    fn bit(lua: &Lua, a: &[Value], n: usize, name: &str) -> Result<i32, String> {
        args::number(lua, a, n, name).map(tobit)
    }
    let t = lua.create_table()?;
    let ops: [(&str, Op); 11] = [
        ("tobit", |lua, a, name| bit(lua, a, 1, name)),
        ("bnot", |lua, a, name| bit(lua, a, 1, name).map(|x| !x)),
        ("band", |lua, a, name| fold(lua, a, name, |x, y| x & y)),
        ("bor", |lua, a, name| fold(lua, a, name, |x, y| x | y)),
        ("bxor", |lua, a, name| fold(lua, a, name, |x, y| x ^ y)),
        ("lshift", |lua, a, name| shift(lua, a, name, |x, n| x << n)),
        ("rshift", |lua, a, name| shift(lua, a, name, |x, n| x >> n)),
        ("arshift", |lua, a, name| shift(lua, a, name, |x, n| ((x as i32) >> n) as u32)),
        ("rol", |lua, a, name| shift(lua, a, name, |x, n| x.rotate_left(n))),
        ("ror", |lua, a, name| shift(lua, a, name, |x, n| x.rotate_right(n))),
        ("bswap", |lua, a, name| bit(lua, a, 1, name).map(|x| (x as u32).swap_bytes() as i32)),
    ];
    fn fold(lua: &Lua, a: &[Value], name: &str, op: fn(i32, i32) -> i32) -> Result<i32, String> {
        let mut acc = bit(lua, a, 1, name)?;
        for n in 2..=a.len() {
            acc = op(acc, bit(lua, a, n, name)?);
        }
        Ok(acc)
    }
    fn shift(lua: &Lua, a: &[Value], name: &str, op: fn(u32, u32) -> u32) -> Result<i32, String> {
        let (x, n) = (bit(lua, a, 1, name)?, bit(lua, a, 2, name)?);
        Ok(op(x as u32, n as u32 & 31) as i32)
    }
    for (name, op) in ops {
        let f =
            lua.create_function(move |lua, a: MultiValue| match op(lua, &a.into_iter().collect::<Vec<_>>(), name) {
                Ok(x) => args::ok([Value::Number(f64::from(x))]),
                Err(msg) => args::fail(lua, &msg),
            })?;
        t.raw_set(name, raising(lua, f)?)?;
    }
    let tohex = lua.create_function(|lua, a: MultiValue| {
        let a: Vec<Value> = a.into_iter().collect();
        let r = (|| {
            let b = bit(lua, &a, 1, "tohex")? as u32;
            let n = if a.len() < 2 { 8 } else { bit(lua, &a, 2, "tohex")? };
            let (upper, n) = if n < 0 { (true, n.unsigned_abs()) } else { (false, n as u32) };
            let n = n.min(8) as usize;
            let hex = if upper { format!("{b:08X}") } else { format!("{b:08x}") };
            Ok::<_, String>(hex[8 - n..].to_string())
        })();
        match r {
            Ok(s) => args::ok([Value::String(lua.create_string(&s)?)]),
            Err(msg) => args::fail(lua, &msg),
        }
    })?;
    t.raw_set("tohex", raising(lua, tohex)?)?;
    Ok(t)
}

/// The C closure behind a library function that fails as C libraries do: it calls its
/// upvalue, which answers `true, results...` or `false, message[, bare]`, and raises the
/// message at the calling script's line (as `luaL_error` does, also after a tail call), or
/// alone when `bare`.
unsafe extern "C-unwind" fn raise_on_false(l: *mut mlua::ffi::lua_State) -> std::os::raw::c_int {
    use mlua::ffi;
    let n = ffi::lua_gettop(l);
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
    ffi::lua_insert(l, 1);
    ffi::lua_call(l, n, ffi::LUA_MULTRET);
    if ffi::lua_toboolean(l, 1) == 0 {
        // A third value `true` asks for the message alone (see `args::fail_bare`).
        if ffi::lua_toboolean(l, 3) != 0 {
            ffi::lua_pushvalue(l, 2);
        } else {
            ffi::luaL_where(l, 1);
            ffi::lua_pushvalue(l, 2);
            ffi::lua_concat(l, 2);
        }
        ffi::lua_error(l);
    }
    if ffi::lua_touserdata(l, 1) == std::ptr::addr_of!(args::SPREAD) as *mut std::ffi::c_void {
        // `args::spread`: the results are t[1..=n].
        let n = ffi::lua_tointeger(l, 3) as std::os::raw::c_int;
        ffi::lua_settop(l, 2);
        ffi::lua_replace(l, 1);
        if ffi::lua_checkstack(l, n) == 0 {
            ffi::luaL_where(l, 1);
            ffi::lua_pushstring(l, c"stack overflow (too many results)".as_ptr());
            ffi::lua_concat(l, 2);
            ffi::lua_error(l);
        }
        for i in 1..=n {
            ffi::lua_rawgeti(l, 1, i.into());
        }
        return n;
    }
    ffi::lua_remove(l, 1);
    ffi::lua_gettop(l)
}

pub(super) fn raising(lua: &Lua, imp: Function) -> mlua::Result<Function> {
    // SAFETY: `raise_on_false` follows the C API's contract; the closure takes `imp` as its
    // one upvalue, which `exec_raw` leaves on the stack.
    unsafe { lua.exec_raw::<Function>(imp, |state| mlua::ffi::lua_pushcclosure(state, raise_on_false, 1)) }
}

/// The server's Lua state and its scripts.
/// The user a script runs as, for `redis.acl_check_cmd`: the command table and the user.
type AclView = Arc<parking_lot::Mutex<Option<(Arc<crate::acl::Table>, crate::acl::User)>>>;

pub struct Scripting {
    /// The running script's user (`redis.acl_check_cmd`).
    acl_view: AclView,
    lua: Lua,
    raw: Table,
    run: Function,
    /// Compiles a chunk as Redis does (text only, in the read-only environment).
    compile: Function,
    scripts: HashMap<String, Script>,
    /// What `redis.log` wrote during the running script.
    logged: Logged,
    /// The settings of the global `cjson` table (`cjson.encode_max_depth`, ...).
    cjson_config: super::cjson::Shared,
    /// Runs a library's code (see the prelude's `load_library`).
    load_library: Function,
    /// Calls a function's callback with its keys and arguments under the error handler.
    run_fn: Function,
    /// The function libraries.
    pub libs: Libraries,
    /// When the running script must stop (`mono_ns`; 0 while none runs).
    deadline: Arc<AtomicU64>,
    /// What stopping it says: a FUNCTION LOAD past its 500 ms, or a script past its limit.
    loading: Arc<AtomicBool>,
    /// The protocol the running script talks to the server (`redis.setresp`).
    resp: Arc<AtomicU8>,
    /// Set by SCRIPT KILL / FUNCTION KILL from another client (see `server::busy`).
    killed: Arc<AtomicBool>,
    /// Whether the running script has run a write command (it cannot be killed then).
    wrote: Arc<AtomicBool>,
    /// Whose Lua environment this is.
    dialect: Dialect,
    profile: Profile,
    /// Dragonfly's way to compile a script (see the prelude's `define`).
    define: Function,
    /// Dragonfly's script flags by SHA-1 (SCRIPT FLAGS may set them before the script is
    /// loaded; SCRIPT LIST shows such an entry with an empty body).
    df_params: HashMap<String, DfParams>,
}

/// A cached EVAL script: its compiled chunk and its shebang's flags (None: no shebang,
/// Redis's compatibility mode).
struct Script {
    f: Function,
    flags: Option<u32>,
    body: Vec<u8>,
}

impl std::fmt::Debug for Scripting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripting").field("scripts", &self.scripts.len()).finish_non_exhaustive()
    }
}

/// What one EVAL or FCALL asks for: the script's SHA-1 or the function's name, its keys
/// and arguments, and whether a `_RO` variant was called.
pub struct ScriptRun<'a> {
    pub sha: &'a str,
    pub keys: &'a [Vec<u8>],
    pub args: &'a [Vec<u8>],
    pub read_only: bool,
}

/// Cluster mode, before a script runs (`scriptPrepareForRun`): a `no-cluster` script is
/// refused; the others run with the slot of their declared keys, held to it unless they
/// have `allow-cross-slot-keys` or no shebang (`flags` None).
fn enter_cluster_slot(ctx: &mut Ctx<'_>, flags: Option<u32>, keys: &[Vec<u8>]) -> Result<(), Reply> {
    if !ctx.st.config.limits().cluster {
        return Ok(());
    }
    if flags.is_some_and(|f| f & super::functions::NO_CLUSTER != 0) {
        return Err(Reply::err(error::SCRIPT_NO_CLUSTER));
    }
    let cross_ok = flags.is_none_or(|f| f & super::functions::ALLOW_CROSS_SLOT != 0);
    ctx.sess.script_slot = Some((keys.first().map(|k| crate::server::cluster::key_slot(k)), cross_ok));
    Ok(())
}

/// Redis's `luaPushErrorBuff`: `-CODE msg` keeps its code, anything else gets `ERR`.
fn error_text(text: &[u8]) -> Vec<u8> {
    let (code, msg) = match text.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&c| c == b' ') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (&b"ERR"[..], rest),
        },
        None => (&b"ERR"[..], text),
    };
    let msg = msg.trim_ascii_end();
    [code, b" ", msg].concat()
}

fn err_table(lua: &Lua, text: &[u8]) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("err", lua.create_string(text)?)?;
    Ok(t)
}

/// A `redis.call`'s arguments as a command (`luaArgsToRedisArgv`), or Redis's error.
fn lua_argv(args: &MultiValue) -> Result<Vec<Vec<u8>>, &'static str> {
    let mut argv = Vec::with_capacity(args.len());
    for a in args.iter() {
        match a {
            Value::String(s) => argv.push(s.as_bytes().to_vec()),
            Value::Integer(n) => argv.push(n.to_string().into_bytes()),
            Value::Number(x) => argv.push(format_g(*x, 17).into_bytes()),
            _ => return Err(error::SCRIPT_BAD_ARG),
        }
    }
    if argv.is_empty() {
        return Err(error::SCRIPT_NO_ARGS);
    }
    Ok(argv)
}

/// A one-field table `{name = v}` (how RESP3 types reach a script and come back).
fn tagged(lua: &Lua, name: &str, v: impl mlua::IntoLua) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set(name, v)?;
    Ok(Value::Table(t))
}

/// A reply as a script sees it: Redis's RESP2 conversion, or after `redis.setresp(3)` its
/// RESP3 one (`{map=}`, `{set=}`, `{double=}`, `{big_number=}`, `{verbatim_string=}`,
/// booleans, and nil for null).
fn to_lua(lua: &Lua, r: &Reply, resp3: bool) -> mlua::Result<Value> {
    if resp3 {
        if let Some(v) = to_lua_resp3(lua, r)? {
            return Ok(v);
        }
    }
    Ok(match r {
        Reply::Int(n) => Value::Number(*n as f64),
        Reply::Bulk(b) => Value::String(lua.create_string(b)?),
        Reply::Verbatim(_, b) => Value::String(lua.create_string(b)?),
        Reply::BigNumber(n) => Value::String(lua.create_string(n)?),
        Reply::Double(d) => Value::String(lua.create_string(crate::reply::format_double(*d))?),
        Reply::DoubleText(t) => Value::String(lua.create_string(t)?),
        Reply::Bool(b) => Value::Number(f64::from(u8::from(*b))),
        Reply::Nil | Reply::NilArray => Value::Boolean(false),
        Reply::Simple(s) => {
            let t = lua.create_table()?;
            t.raw_set("ok", lua.create_string(s.as_bytes())?)?;
            Value::Table(t)
        }
        Reply::Error(e) => {
            // Counted when the command failed: not again when the script returns it.
            let t = err_table(lua, e)?;
            t.raw_set("ignore_error_stats_update", true)?;
            Value::Table(t)
        }
        Reply::Array(items) | Reply::Set(items) | Reply::Push(items) => {
            let t = lua.create_table()?;
            for (i, it) in items.iter().enumerate() {
                t.raw_set(i + 1, to_lua(lua, it, resp3)?)?;
            }
            Value::Table(t)
        }
        Reply::Map(pairs) => {
            let t = lua.create_table()?;
            for (i, (k, v)) in pairs.iter().enumerate() {
                t.raw_set(2 * i + 1, to_lua(lua, k, false)?)?;
                t.raw_set(2 * i + 2, to_lua(lua, v, false)?)?;
            }
            Value::Table(t)
        }
        // Redis's Lua skips attributes.
        Reply::Attribute(_, r) => to_lua(lua, r, resp3)?,
    })
}

/// The RESP3 conversions that differ from RESP2's (None: the same as RESP2's).
fn to_lua_resp3(lua: &Lua, r: &Reply) -> mlua::Result<Option<Value>> {
    Ok(Some(match r {
        Reply::Nil | Reply::NilArray => Value::Nil,
        Reply::Bool(b) => Value::Boolean(*b),
        Reply::Double(d) => tagged(lua, "double", *d)?,
        Reply::DoubleText(t) => tagged(lua, "double", t.parse::<f64>().unwrap_or(f64::NAN))?,
        Reply::BigNumber(n) => tagged(lua, "big_number", lua.create_string(n)?)?,
        Reply::Verbatim(format, b) => {
            let t = lua.create_table()?;
            t.raw_set("string", lua.create_string(b)?)?;
            t.raw_set("format", lua.create_string(format)?)?;
            tagged(lua, "verbatim_string", t)?
        }
        Reply::Map(pairs) => {
            let t = lua.create_table()?;
            for (k, v) in pairs {
                let k = to_lua(lua, k, true)?;
                if !k.is_nil() {
                    t.raw_set(k, to_lua(lua, v, true)?)?;
                }
            }
            tagged(lua, "map", t)?
        }
        Reply::Set(items) => {
            let t = lua.create_table()?;
            for it in items {
                let k = to_lua(lua, it, true)?;
                if !k.is_nil() {
                    t.raw_set(k, true)?;
                }
            }
            tagged(lua, "set", t)?
        }
        _ => return Ok(None),
    }))
}

/// Newlines would break the protocol: Redis turns them into spaces.
fn one_line(b: &[u8]) -> Vec<u8> {
    b.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }).collect()
}

/// A script's return value as a reply (Redis's `luaReplyToRedisReply`): booleans by the
/// script's protocol, and the RESP3 tables (`{double=}`, `{map=}`, ...) whichever it is.
fn from_lua_typed(t: &Table, resp3: bool, errs: &mut ReplyErrors) -> Option<Reply> {
    let field = |name: &str| t.raw_get::<Value>(name).ok().filter(|v| !v.is_nil());
    if let Some(Value::Number(d)) = field("double") {
        return Some(Reply::Double(d));
    }
    if let Some(Value::Integer(d)) = field("double") {
        return Some(Reply::Double(d as f64));
    }
    if let Some(Value::String(n)) = field("big_number") {
        return Some(Reply::BigNumber(String::from_utf8_lossy(&one_line(&n.as_bytes())).into_owned()));
    }
    if let Some(Value::Table(v)) = field("verbatim_string") {
        if let (Ok(Value::String(f)), Ok(Value::String(s))) =
            (v.raw_get::<Value>("format"), v.raw_get::<Value>("string"))
        {
            let f = f.as_bytes();
            let format = match &f[..f.len().min(3)] {
                b"txt" => "txt",
                b"mkd" => "mkd",
                _ => "txt",
            };
            return Some(Reply::Verbatim(format, s.as_bytes().to_vec()));
        }
    }
    if let Some(Value::Table(m)) = field("map") {
        let pairs = m.pairs::<Value, Value>().flatten();
        return Some(Reply::Map(pairs.map(|(k, v)| (from_lua(&k, resp3, errs), from_lua(&v, resp3, errs))).collect()));
    }
    if let Some(Value::Table(m)) = field("set") {
        let members = m.pairs::<Value, Value>().flatten();
        return Some(Reply::Set(members.map(|(k, _)| from_lua(&k, resp3, errs)).collect()));
    }
    None
}

/// Where an error table goes in the counts: passed through from a command, or the script's.
fn tally_error(t: &Table, text: &[u8], errs: &mut ReplyErrors) {
    if matches!(t.raw_get::<Value>("ignore_error_stats_update"), Ok(Value::Boolean(true))) {
        errs.ignored += 1;
    } else {
        errs.counted.push(text.to_vec());
    }
}

fn from_lua(v: &Value, resp3: bool, errs: &mut ReplyErrors) -> Reply {
    match v {
        Value::Boolean(b) if resp3 => Reply::Bool(*b),
        Value::Boolean(true) => Reply::Int(1),
        Value::Integer(n) => Reply::Int(*n),
        Value::Number(f) => Reply::Int(args::truncate(*f)),
        Value::String(s) => Reply::bulk(s.as_bytes().to_vec()),
        Value::Table(t) => {
            if let Ok(Value::String(e)) = t.raw_get::<Value>("err") {
                let reply = Reply::err_bytes(one_line(&e.as_bytes()));
                if let Reply::Error(text) = &reply {
                    tally_error(t, text, errs);
                }
                return reply;
            }
            if let Ok(Value::String(ok)) = t.raw_get::<Value>("ok") {
                return Reply::Simple(String::from_utf8_lossy(&one_line(&ok.as_bytes())).into_owned().into());
            }
            if let Some(r) = from_lua_typed(t, resp3, errs) {
                return r;
            }
            let mut out = Vec::new();
            for i in 1.. {
                match t.raw_get::<Value>(i) {
                    Ok(Value::Nil) | Err(_) => break,
                    Ok(v) => out.push(from_lua(&v, resp3, errs)),
                }
            }
            Reply::Array(out)
        }
        _ => Reply::Nil,
    }
}

/// An EVAL script's shebang line (`evalExtractShebangFlags`): its flags (None without a
/// shebang) and the line's length, or Redis's error for it.
fn shebang(body: &[u8]) -> Result<(Option<u32>, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((None, 0));
    }
    let Some(end) = body.iter().position(|&c| c == b'\n') else { return Err(error::SHEBANG_INVALID.into()) };
    let parts = crate::resp::split_inline_args(&body[..end]).filter(|p| !p.is_empty());
    let Some(parts) = parts else { return Err(error::SHEBANG_NO_ENGINE.into()) };
    let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if parts[0] != b"#!lua" {
        return Err(format!("ERR Unexpected engine in script shebang: {}", lossy(&parts[0])));
    }
    let mut flags = 0;
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(format!("ERR Unknown lua shebang option: {}", lossy(part)));
        };
        if list.is_empty() {
            continue;
        }
        for f in list.split(|&c| c == b',') {
            match functions::FLAGS.iter().find(|(n, _)| n.as_bytes() == f) {
                Some((_, bit)) => flags |= bit,
                None => return Err(format!("ERR Unexpected flag in script shebang: {}", lossy(f))),
            }
        }
    }
    Ok((Some(flags), end))
}

/// Puts the raw accessors of `sandbox.rs` in the globals, over the prelude's tables.
fn install_sandbox(lua: &Lua, t: &Table) -> mlua::Result<()> {
    use super::sandbox;
    for key in ["proxies", "env", "globals_meta", "string_meta"] {
        lua.set_named_registry_value(&format!("fakeredis.{key}"), t.raw_get::<Value>(key)?)?;
    }
    let g = lua.globals();
    // SAFETY: every function here follows the Lua C API's contract (see `sandbox.rs`);
    // the closures' one upvalue is left on the stack by `exec_raw`.
    unsafe {
        g.raw_set("rawget", lua.create_c_function(sandbox::rawget)?)?;
        g.raw_set("rawset", lua.create_c_function(sandbox::rawset)?)?;
        g.raw_set("getmetatable", lua.create_c_function(sandbox::getmetatable)?)?;
        g.raw_set("setmetatable", lua.create_c_function(sandbox::setmetatable)?)?;
        let next = lua.create_c_function(sandbox::next)?;
        let pairs = lua.exec_raw::<Function>(next.clone(), |l| mlua::ffi::lua_pushcclosure(l, sandbox::pairs, 1))?;
        g.raw_set("next", next)?;
        g.raw_set("pairs", pairs)?;
        let load_impl: Function = t.raw_get("load")?;
        g.raw_set("load", lua.exec_raw::<Function>(load_impl, |l| mlua::ffi::lua_pushcclosure(l, sandbox::load, 1))?)?;
    }
    Ok(())
}

/// `redis.log(level, message...)`: Redis's checks of its arguments (the message itself goes
/// nowhere yet: the fake keeps no server log).
/// `redis.log(level, message ...)`: the message's strings and numbers joined by spaces,
/// kept in `logged` until the script ends (then the server's log takes them).
fn log(lua: &Lua, args: MultiValue, logged: &Logged) -> mlua::Result<(Value, bool)> {
    let fail = |text: &str| Ok((Value::Table(err_table(lua, text.as_bytes())?), true));
    let Some(first) = args.iter().next().filter(|_| args.len() >= 2) else { return fail(error::LOG_ARGS) };
    let Some(level) = lua.coerce_number(first.clone())? else { return fail(error::LOG_LEVEL_TYPE) };
    // C's cast to int: 3.9 is 3, -0.5 is 0, NaN is out of range.
    let Some(level) = crate::server::log::LogLevel::from_index(level as i64).filter(|_| !level.is_nan()) else {
        return fail(error::LOG_LEVEL);
    };
    let mut message = Vec::new();
    for (i, v) in args.iter().skip(1).enumerate() {
        let text = match v {
            Value::String(s) => s.as_bytes().to_vec(),
            Value::Integer(n) => format_g(*n as f64, 14).into_bytes(),
            Value::Number(n) => format_g(*n, 14).into_bytes(),
            _ => continue,
        };
        // Redis puts the space before every piece but the first argument's.
        if i > 0 {
            message.push(b' ');
        }
        message.extend_from_slice(&text);
    }
    logged.lock().push((level, message));
    Ok((Value::Nil, false))
}

/// Lines `redis.log` wrote during a run.
type Logged = Arc<parking_lot::Mutex<Vec<(crate::server::log::LogLevel, Vec<u8>)>>>;

/// Dragonfly's `dragonfly` table: `randstr(size)` (a random alphanumeric string) and
/// `randstr(size, n)` (a table of n of them). Its `ihash` is not built.
fn dragonfly_library(lua: &Lua) -> mlua::Result<Table> {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let t = lua.create_table()?;
    let state = std::cell::Cell::new(mono_ns() | 1);
    let randstr = lua.create_function(move |lua, a: MultiValue| {
        let a: Vec<Value> = a.into_iter().collect();
        let num = |i: usize| a.get(i).and_then(|v| lua.coerce_number(v.clone()).ok().flatten()).unwrap_or(0.0);
        // Bounded so that a script's typo is an error, not the whole memory.
        let size = (num(0).max(0.0) as usize).min(args::MAX_OUTPUT);
        let one = || {
            let mut x = state.get();
            let s: Vec<u8> = (0..size)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    ALNUM[(x % ALNUM.len() as u64) as usize]
                })
                .collect();
            state.set(x);
            lua.create_string(&s)
        };
        if a.len() <= 1 {
            return Ok(Value::String(one()?));
        }
        let list = lua.create_table()?;
        for i in 1..=num(1).max(0.0) as i64 {
            list.raw_set(i, one()?)?;
        }
        Ok(Value::Table(list))
    })?;
    t.raw_set("randstr", randstr)?;
    Ok(t)
}

/// Valkey's additions to the API table (`VALKEY_VERSION`, `VALKEY_VERSION_NUM`,
/// `SERVER_NAME`), None for the other servers.
fn valkey_versions(lua: &Lua, p: &Profile) -> mlua::Result<Option<Table>> {
    if !p.is(crate::spec::ServerKind::Valkey) {
        return Ok(None);
    }
    let v = p.version;
    let t = lua.create_table()?;
    t.raw_set("VALKEY_VERSION_NUM", (i64::from(v.major) << 16) | (i64::from(v.minor) << 8) | i64::from(v.patch))?;
    t.raw_set("VALKEY_VERSION", format!("{}.{}.{}", v.major, v.minor, v.patch))?;
    t.raw_set("SERVER_NAME", "valkey")?;
    Ok(Some(t))
}

impl Scripting {
    pub fn new(p: &Profile) -> mlua::Result<Scripting> {
        let dialect = Dialect::of(p);
        // Redis 7.4 and Valkey 8 give scripts `os.clock` (the prelude drops the rest of os).
        let has_os = dialect == Dialect::Redis7 && p.has_since((7, 4), Some((8, 0)));
        let mut libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG;
        if has_os {
            libs |= StdLib::OS;
        }
        // SAFETY: the debug library is what Redis's error handler uses; the prelude keeps it
        // in a local of its own and removes it from the globals before any script runs.
        let lua = unsafe { Lua::unsafe_new_with(libs, LuaOptions::default()) };
        // The Redis version the pinned server is compatible with, as REDIS_VERSION shows it
        // (Valkey: 7.2.4, with its own in VALKEY_VERSION).
        let v = p.redis_compat_version();
        let num = (i64::from(v.major) << 16) | (i64::from(v.minor) << 8) | i64::from(v.patch);
        lua.globals().raw_set("bit", bit_library(&lua)?)?;
        let (cjson, cjson_config) = super::cjson::library(&lua)?;
        lua.globals().raw_set("cjson", cjson)?;
        lua.globals().raw_set("cmsgpack", super::cmsgpack::library(&lua)?)?;
        let lstruct = lua.create_table()?;
        lstruct.raw_set("pack", raising(&lua, lua.create_function(super::lstruct::pack)?)?)?;
        lstruct.raw_set("unpack", raising(&lua, lua.create_function(super::lstruct::unpack)?)?)?;
        lstruct.raw_set("size", raising(&lua, lua.create_function(super::lstruct::size)?)?)?;
        lua.globals().raw_set("struct", lstruct)?;
        type Prelude = (Table, Table, Function, Function, Function, Function, Function, Table, Table, Table);
        let (raw, _env, run, call_impl, compile, load_library, run_fn, api, sandbox, extras): Prelude =
            lua.load(PRELUDE).set_name("=fakeredis").call((
                format!("{}.{}.{}", v.major, v.minor, v.patch),
                num,
                valkey_versions(&lua, p)?,
                dialect.name(),
                has_os,
            ))?;
        api.raw_set("call", raising_failed(&lua, call_impl)?)?;
        let logged = Logged::default();
        let lines = logged.clone();
        let log_fn = lua.create_function(move |lua, a| log(lua, a, &lines))?;
        let wrote = Arc::new(AtomicBool::new(false));
        let w = wrote.clone();
        raw.raw_set("wrote", lua.create_function(move |_, ()| Ok(w.load(Ordering::Relaxed)))?)?;
        install_sandbox(&lua, &sandbox)?;
        let plain_failure: Option<Function> = extras.raw_get("plain_failure")?;
        // Before Redis 7, a library function raises its bare message.
        let failing = |f: Function| match &plain_failure {
            Some(adapt) => raising_failed(&lua, adapt.call(f)?),
            None => raising_failed(&lua, f),
        };
        match dialect {
            Dialect::Dragonfly => api.raw_set("log", raising_failed(&lua, extras.raw_get("log")?)?)?,
            _ => api.raw_set("log", failing(log_fn)?)?,
        }
        if dialect != Dialect::Dragonfly {
            api.raw_set("set_repl", raising_failed(&lua, extras.raw_get("set_repl")?)?)?;
        }
        if dialect.legacy() {
            for name in ["pcall", "error_reply", "status_reply"] {
                api.raw_set(name, raising_failed(&lua, extras.raw_get(name)?)?)?;
            }
        }
        if dialect == Dialect::Dragonfly {
            for name in ["acall", "apcall"] {
                api.raw_set(name, raising_failed(&lua, extras.raw_get(name)?)?)?;
            }
            lua.globals().raw_set("dragonfly", dragonfly_library(&lua)?)?;
        }
        raw.raw_set(
            "error_reply",
            lua.create_function(|lua, args: MultiValue| match args.iter().collect::<Vec<_>>().as_slice() {
                [Value::String(s)] => {
                    let s = s.as_bytes();
                    let text = if s.starts_with(b"-") { s.to_vec() } else { [b"-", &s[..]].concat() };
                    err_table(lua, &error_text(&text))
                }
                _ => err_table(lua, &error_text(error::SCRIPT_WRONG_ARGS.trim_start_matches("ERR ").as_bytes())),
            })?,
        )?;
        raw.raw_set(
            "status_reply",
            lua.create_function(|lua, args: MultiValue| match args.iter().collect::<Vec<_>>().as_slice() {
                [Value::String(s)] => {
                    let t = lua.create_table()?;
                    t.raw_set("ok", s.clone())?;
                    Ok(t)
                }
                _ => err_table(lua, &error_text(error::SCRIPT_WRONG_ARGS.trim_start_matches("ERR ").as_bytes())),
            })?,
        )?;
        raw.raw_set(
            "sha1hex",
            lua.create_function(|lua, s: mlua::LuaString| lua.create_string(super::sha1::sha1_hex(&s.as_bytes())))?,
        )?;
        lua.set_memory_limit(LUA_MEMORY_LIMIT)?;
        // The running script's user, as `run_inner` leaves it (None: no ACL state, every
        // command that exists is allowed).
        let acl_view: AclView = Arc::default();
        let view = acl_view.clone();
        let profile = *p;
        let acl_check = raising_failed(
            &lua,
            lua.create_function(move |lua, args: MultiValue| {
                let e = match lua_argv(&args) {
                    Ok(argv) => match dispatch::resolve(&profile, &argv) {
                        Ok(cmd) => {
                            let allowed = match &*view.lock() {
                                Some((t, u)) => crate::acl::check_user(t, u, cmd, &argv, &profile).is_ok(),
                                None => true,
                            };
                            return Ok((Value::Boolean(allowed), false));
                        }
                        Err(_) => error::SCRIPT_ACL_CHECK_UNKNOWN,
                    },
                    Err(e) => e,
                };
                Ok((Value::Table(err_table(lua, e.as_bytes())?), true))
            })?,
        )?;
        // redis.acl_check_cmd is Redis 7's.
        if dialect == Dialect::Redis7 {
            api.raw_set("acl_check_cmd", acl_check)?;
        }
        let resp = Arc::new(AtomicU8::new(2));
        let r = resp.clone();
        let setresp = lua.create_function(move |lua, args: MultiValue| {
            // `lua_tonumber` then a cast to int: "3" is 3, 3.9 is 3, anything else 0.
            let n = match args.iter().collect::<Vec<_>>().as_slice() {
                [v] => lua.coerce_number((*v).clone())?.unwrap_or(0.0) as i64,
                _ => return Ok((Value::Table(err_table(lua, error::SETRESP_ARGS.as_bytes())?), true)),
            };
            if n != 2 && n != 3 {
                return Ok((Value::Table(err_table(lua, error::SETRESP_VERSION.as_bytes())?), true));
            }
            r.store(n as u8, Ordering::Relaxed);
            Ok((Value::Nil, false))
        })?;
        // Dragonfly has no redis.setresp.
        if dialect != Dialect::Dragonfly {
            api.raw_set("setresp", failing(setresp)?)?;
        }
        let deadline = Arc::new(AtomicU64::new(0));
        let loading = Arc::new(AtomicBool::new(false));
        let killed = Arc::new(AtomicBool::new(false));
        let k = killed.clone();
        raw.raw_set("killed", lua.create_function(move |_, ()| Ok(k.load(Ordering::Relaxed)))?)?;
        let (d, l, k) = (deadline.clone(), loading.clone(), killed.clone());
        lua.set_hook(mlua::HookTriggers::new().every_nth_instruction(100_000), move |_, _| {
            if k.load(Ordering::Relaxed) {
                return Err(mlua::Error::RuntimeError(error::SCRIPT_KILLED.to_string()));
            }
            let at = d.load(Ordering::Relaxed);
            if at != 0 && mono_ns() > at {
                let msg = if l.load(Ordering::Relaxed) { LOAD_TIMEOUT } else { error::SCRIPT_TOO_LONG };
                return Err(mlua::Error::RuntimeError(msg.to_string()));
            }
            Ok(mlua::VmState::Continue)
        })?;
        Ok(Scripting {
            lua,
            raw,
            run,
            compile,
            scripts: HashMap::new(),
            cjson_config,
            logged,
            load_library,
            run_fn,
            libs: Libraries::default(),
            deadline,
            loading,
            resp,
            killed,
            wrote,
            dialect,
            profile: *p,
            acl_view,
            define: extras.raw_get("define")?,
            df_params: HashMap::new(),
        })
    }

    /// Compiles `body` (once per SHA-1) and caches it; its SHA-1, or Redis's error for its
    /// shebang or its code. A shebang line is left out of the code but its newline kept,
    /// so that line numbers stay the script's.
    pub fn load(&mut self, body: &[u8]) -> Result<String, Reply> {
        let sha = super::sha1::sha1_hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        // Redis 7's shebang; Redis 6.2 has none (a `#!` line does not parse there).
        let (flags, skip) = match self.dialect {
            Dialect::Redis7 => shebang(body).map_err(Reply::err)?,
            _ => (None, 0),
        };
        let df = match self.dialect {
            Dialect::Dragonfly => Some(DfParams::from_body(body).map_err(|e| Reply::err(format!("ERR {e}")))?),
            _ => None,
        };
        let code = &body[skip..];
        // Dragonfly's errors are Lua's message alone.
        let prefix: &[u8] = match self.dialect {
            Dialect::Dragonfly => b"ERR ",
            _ => b"ERR Error compiling script (new function): ",
        };
        let lua_err = |e: mlua::Error| Reply::err_bytes(one_line(&[prefix, e.to_string().as_bytes()].concat()));
        let text = self.lua.create_string(code).map_err(lua_err)?;
        let (f, e): (Option<Function>, Option<mlua::LuaString>) = match self.dialect {
            Dialect::Dragonfly => self.define.call((sha.as_str(), text)),
            _ => self.compile.call((text, "@user_script")),
        }
        .map_err(lua_err)?;
        let Some(f) = f else {
            let msg = e.map(|e| e.as_bytes().to_vec()).unwrap_or_default();
            return Err(Reply::err_bytes(one_line(&[prefix, &msg].concat())));
        };
        if let Some(deduced) = df {
            // Flags SCRIPT FLAGS set before the script came stay (Dragonfly's `emplace`).
            let mut params = deduced.unwrap_or_default();
            params.undeclared_keys |= dialect::DF_UNDECLARED_SHAS.contains(&sha.as_str());
            self.df_params.entry(sha.clone()).or_insert(params);
        }
        self.scripts.insert(sha.clone(), Script { f, flags, body: body.to_vec() });
        Ok(sha)
    }

    pub fn exists(&self, sha: &[u8]) -> bool {
        std::str::from_utf8(sha).is_ok_and(|s| self.scripts.contains_key(&s.to_ascii_lowercase()))
    }

    pub fn flush(&mut self) {
        if self.dialect.legacy() {
            // Redis 6.2 and Dragonfly start a new Lua state (no functions share this one).
            if let Ok(fresh) = Scripting::new(&self.profile) {
                *self = fresh;
                return;
            }
        }
        self.scripts.clear();
        // Redis makes a new Lua state: cjson's settings are the defaults again.
        *self.cjson_config.lock() = super::cjson::Config::default();
    }

    /// Dragonfly's SCRIPT FLAGS: applies each argument's flags to the script's entry
    /// (made with the default parameters when it has none), Dragonfly's error at a bad one.
    pub fn set_df_flags(&mut self, sha: &[u8], flags: &[&[u8]]) -> Result<(), String> {
        let sha = String::from_utf8_lossy(sha).into_owned();
        let entry = self.df_params.entry(sha).or_default();
        for f in flags {
            entry.apply(f).map_err(|e| format!("{}{e}", error::DF_SCRIPT_FLAGS))?;
        }
        Ok(())
    }

    /// A full cycle of Lua's garbage collector (Dragonfly's SCRIPT GC).
    pub fn collect_garbage(&self) {
        let _ = self.lua.gc_collect();
    }

    /// Dragonfly's SCRIPT LIST: each entry's SHA-1 and body (empty for flags alone), by SHA-1.
    pub fn list(&self) -> Vec<(String, Vec<u8>)> {
        let mut shas: Vec<&String> = self.df_params.keys().chain(self.scripts.keys()).collect();
        shas.sort();
        shas.dedup();
        shas.into_iter()
            .map(|sha| (sha.clone(), self.scripts.get(sha).map(|s| s.body.clone()).unwrap_or_default()))
            .collect()
    }

    /// Whether the EVAL or FCALL in `argv` may write, by its script's flags (None: not a
    /// script command, or a script without flags, whose command's own flags decide).
    pub fn command_writes(&self, fullname: &str, argv: &[Vec<u8>]) -> Option<bool> {
        let target = argv.get(1)?;
        let flags = match fullname {
            "eval" | "eval_ro" => shebang(target).ok()?.0?,
            "evalsha" | "evalsha_ro" => {
                self.scripts.get(&String::from_utf8_lossy(target).to_ascii_lowercase())?.flags?
            }
            "fcall" | "fcall_ro" => self.libs.function(target)?.flags,
            _ => return None,
        };
        Some(flags & NO_WRITES == 0)
    }

    /// FUNCTION LOAD: creates the library `code` declares among the server's.
    pub fn load_library(&mut self, code: &[u8], replace: bool) -> Result<String, String> {
        let mut libs = std::mem::take(&mut self.libs);
        let r = self.create_library(&mut libs, code, replace);
        self.libs = libs;
        r
    }

    /// FUNCTION RESTORE's libraries, each created from its code as FUNCTION LOAD would
    /// (without REPLACE: a library twice in one payload is an error).
    pub fn restore_libraries(&self, codes: &[Vec<u8>]) -> Result<Libraries, String> {
        let mut libs = Libraries::default();
        for code in codes {
            self.create_library(&mut libs, code, false)?;
        }
        Ok(libs)
    }

    /// `functionsCreateWithLibraryCtx`: the metadata, the name, the engine, an existing
    /// library (replaced only with `replace`), the code's run, and the function names
    /// other libraries hold, in that order. On error `into` is as it was.
    fn create_library(&self, into: &mut Libraries, code: &[u8], replace: bool) -> Result<String, String> {
        let meta = functions::metadata(code)?;
        if !functions::valid_name(&meta.name) {
            return Err(error::FUNCTION_BAD_NAME.into());
        }
        if !meta.engine.eq_ignore_ascii_case(b"lua") {
            return Err(format!("ERR Engine '{}' not found", String::from_utf8_lossy(&meta.engine)));
        }
        let name = String::from_utf8_lossy(&meta.name).into_owned();
        if into.libs.contains_key(&name) && !replace {
            return Err(format!("ERR Library '{name}' already exists"));
        }
        let old = into.unlink(&name);
        let made = self.run_library(&code[meta.body_at..]).and_then(|fns| {
            if fns.is_empty() {
                return Err("ERR No functions registered".to_string());
            }
            match fns.iter().find(|f| into.has_function(&f.name)) {
                Some(f) => Err(format!("ERR Function {} already exists", f.name)),
                None => Ok(fns),
            }
        });
        match made {
            Ok(functions) => {
                into.link(Library { name: name.clone(), code: code.to_vec(), functions });
                Ok(name)
            }
            Err(e) => {
                old.into_iter().for_each(|l| into.link(l));
                Err(e)
            }
        }
    }

    /// Hands what `redis.log` wrote to the server's log.
    pub fn write_log(&self, ctx: &Ctx<'_>) {
        for (level, line) in std::mem::take(&mut *self.logged.lock()) {
            ctx.shared.log(ctx.st.config.get("loglevel"), level, &line);
        }
    }

    /// Runs a library's code (after its metadata line) within FUNCTION LOAD's time limit:
    /// the functions it registered, or Redis's error.
    fn run_library(&self, body: &[u8]) -> Result<Vec<FunctionDef>, String> {
        let lua_err = |e: mlua::Error| format!("ERR Error registering functions: ERR {e}");
        let text = self.lua.create_string(body).map_err(lua_err)?;
        self.loading.store(true, Ordering::Relaxed);
        let until = mono_ns() + LOAD_TIMEOUT_NS;
        self.deadline.store(until, Ordering::Relaxed);
        let r = self.load_library.call::<(bool, Value)>(text);
        self.deadline.store(0, Ordering::Relaxed);
        self.loading.store(false, Ordering::Relaxed);
        let (ok, v) = r.map_err(lua_err)?;
        if !ok {
            if mono_ns() > until {
                return Err(format!("ERR Error registering functions: ERR {LOAD_TIMEOUT}"));
            }
            let text = match v {
                Value::String(s) => s.to_string_lossy(),
                _ => "Error registering functions".to_string(),
            };
            return Err(format!("ERR {text}"));
        }
        let Value::Table(list) = v else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for entry in list.sequence_values::<Table>() {
            let entry = entry.map_err(lua_err)?;
            let name: mlua::LuaString = entry.raw_get(1).map_err(lua_err)?;
            let description: Option<mlua::LuaString> = entry.raw_get(2).map_err(lua_err)?;
            out.push(FunctionDef {
                name: name.to_string_lossy(),
                description: description.map(|d| d.as_bytes().to_vec()),
                flags: entry.raw_get(3).map_err(lua_err)?,
                callback: entry.raw_get(4).map_err(lua_err)?,
            });
        }
        Ok(out)
    }

    /// Runs a loaded script for `ctx`'s client.
    pub fn run(&self, ctx: &mut Ctx<'_>, r: &ScriptRun<'_>) -> Reply {
        let Some(script) = self.scripts.get(r.sha) else { return Reply::err(error::NOSCRIPT) };
        let no_writes = script.flags.is_some_and(|f| f & NO_WRITES != 0);
        if r.read_only && script.flags.is_some() && !no_writes {
            return Reply::err(error::SCRIPT_WRITE_FLAG_RO);
        }
        let call = || -> mlua::Result<(bool, Value)> {
            let g = self.lua.globals();
            g.raw_set("KEYS", self.strings(r.keys)?)?;
            g.raw_set("ARGV", self.strings(r.args)?)?;
            self.run.call::<(bool, Value)>(script.f.clone())
        };
        let df = (self.dialect == Dialect::Dragonfly)
            .then(|| DfRun { params: self.df_params.get(r.sha).copied().unwrap_or_default(), declared: r.keys });
        if let Err(e) = enter_cluster_slot(ctx, script.flags, r.keys) {
            return e;
        }
        let reply = self.run_with(ctx, r.sha, (r.read_only || no_writes, true), df, &call);
        ctx.sess.script_slot = None;
        reply
    }

    /// Runs the function `r.sha` names (FCALL, FCALL_RO).
    pub fn call_function(&self, ctx: &mut Ctx<'_>, r: &ScriptRun<'_>) -> Reply {
        let Some(f) = self.libs.function(r.sha.as_bytes()) else { return Reply::err(error::FUNCTION_NOT_FOUND) };
        let no_writes = f.flags & NO_WRITES != 0;
        if r.read_only && !no_writes {
            return Reply::err(error::SCRIPT_WRITE_FLAG_RO);
        }
        let call = || -> mlua::Result<(bool, Value)> {
            self.run_fn.call::<(bool, Value)>((f.callback.clone(), self.strings(r.keys)?, self.strings(r.args)?))
        };
        if let Err(e) = enter_cluster_slot(ctx, Some(f.flags), r.keys) {
            return e;
        }
        let reply = self.run_with(ctx, &f.name, (r.read_only || no_writes, false), None, &call);
        ctx.sess.script_slot = None;
        reply
    }

    fn strings(&self, items: &[Vec<u8>]) -> mlua::Result<Table> {
        let t = self.lua.create_table()?;
        for (i, it) in items.iter().enumerate() {
            t.raw_set(i + 1, self.lua.create_string(it)?)?;
        }
        Ok(t)
    }

    /// Runs `call` (an EVAL's chunk or a function, `name` in error decorations) with
    /// `redis.call` dispatching for `ctx`'s client.
    fn run_with(
        &self,
        ctx: &mut Ctx<'_>,
        name: &str,
        (read_only, eval): (bool, bool),
        df: Option<DfRun<'_>>,
        call: &dyn Fn() -> mlua::Result<(bool, Value)>,
    ) -> Reply {
        self.killed.store(false, Ordering::Relaxed);
        self.wrote.store(false, Ordering::Relaxed);
        ctx.shared.busy.start(crate::server::busy::Running {
            started: Instant::now(),
            threshold_ms: ctx.st.config.get_i64("busy-reply-threshold"),
            eval,
            name: name.to_string(),
            argv: ctx.argv.to_vec(),
            libraries: self.libs.libs.len(),
            functions: self.libs.function_count(),
            wrote: self.wrote.clone(),
            killed: self.killed.clone(),
        });
        let r = match self.run_inner(ctx, name, read_only, df, call) {
            Ok(reply) => reply,
            Err(e) => Reply::err_bytes(one_line(format!("ERR Error running script {name}, {e}").as_bytes())),
        };
        ctx.shared.busy.finish();
        self.killed.store(false, Ordering::Relaxed);
        self.write_log(ctx);
        r
    }

    fn run_inner(
        &self,
        ctx: &mut Ctx<'_>,
        name: &str,
        read_only: bool,
        df: Option<DfRun<'_>>,
        call: &dyn Fn() -> mlua::Result<(bool, Value)>,
    ) -> mlua::Result<Reply> {
        let lua = &self.lua;
        let dialect = self.dialect;
        let caller = Caller::Script { read_only };
        let times = (ctx.now, ctx.now_us);
        let shared = ctx.shared;
        let mut sess = ctx.sess.clone();
        *self.acl_view.lock() = ctx.st.acl.as_ref().and_then(|a| {
            let u = a.user(sess.user.as_bytes()).or_else(|| a.user(b"default"))?;
            Some((a.table.clone(), u.clone()))
        });
        let (st, dirty) = (&mut *ctx.st, &mut ctx.dirty);
        // Scripts talk RESP2 to the server until `redis.setresp(3)`.
        let resp = &self.resp;
        resp.store(2, Ordering::Relaxed);
        let (ok, value): (bool, Value) = lua.scope(|scope| {
            let dispatch = scope.create_function_mut(|lua, (protected, args): (bool, MultiValue)| {
                let _ = protected;
                let argv = lua_argv(&args);
                // Redis 6.2's and Dragonfly's own checks (Redis 7's are inside `dispatch`).
                if let Some((text, traced)) = dialect.precheck(&shared.profile, &argv, df.as_ref()) {
                    return Ok((Value::Table(err_table(lua, &text)?), true, traced));
                }
                let argv = match argv {
                    Ok(argv) => argv,
                    Err(e) => return Ok((Value::Table(err_table(lua, e.as_bytes())?), true, false)),
                };
                let resp3 = resp.load(Ordering::Relaxed) == 3;
                sess.resp = if resp3 { 3 } else { 2 };
                let reply = dispatch::call(shared, st, &mut sess, &argv, times, caller, dirty);
                let failed = reply.is_error();
                if !self.wrote.load(Ordering::Relaxed)
                    && dispatch::writes_past_script_checks(&shared.profile, &argv, &reply)
                {
                    self.wrote.store(true, Ordering::Relaxed);
                }
                let value = match &reply {
                    Reply::Error(e) if dialect == Dialect::Dragonfly => {
                        Value::Table(err_table(lua, &dialect.script_error_text(e))?)
                    }
                    _ => to_lua(lua, &reply, resp3)?,
                };
                Ok((value, failed, false))
            })?;
            self.raw.raw_set("dispatch", dispatch)?;
            self.deadline.store(mono_ns() + SCRIPT_LIMIT_NS, Ordering::Relaxed);
            let out = call();
            self.deadline.store(0, Ordering::Relaxed);
            self.raw.raw_set("dispatch", Value::Nil)?;
            out
        })?;
        *self.acl_view.lock() = None;
        let mut errs = ReplyErrors::default();
        if ok {
            let reply = match dialect {
                Dialect::Dragonfly => dialect::dragonfly_reply(&value, &mut errs),
                _ => from_lua(&value, self.resp.load(Ordering::Relaxed) == 3, &mut errs),
            };
            ctx.reply_errors = Some(errs);
            return Ok(reply);
        }
        if dialect.legacy() {
            // The handler's string: `@user_script:1: ...` (C's "%s" of anything else).
            let msg = match &value {
                Value::String(s) => s.as_bytes().to_vec(),
                Value::Integer(n) => n.to_string().into_bytes(),
                Value::Number(n) => format_g(*n, 14).into_bytes(),
                _ => b"(null)".to_vec(),
            };
            let text = one_line(&dialect.run_error(name, &msg));
            errs.counted.push(text.clone());
            ctx.reply_errors = Some(errs);
            return Ok(Reply::err_bytes(text));
        }
        let t = match &value {
            Value::Table(t) => t,
            // Errors the handler never saw (out of memory): Redis's plain form.
            other => {
                let msg = match other {
                    Value::String(s) => s.to_string_lossy(),
                    _ => "execution failure".to_string(),
                };
                return Ok(Reply::err(format!("ERR Error running script {name}, {msg:.100}")));
            }
        };
        let msg = match t.raw_get::<Value>("err")? {
            Value::String(s) => s.as_bytes().to_vec(),
            _ => b"ERR execution failure".to_vec(),
        };
        let mut text = msg;
        if let (Ok(Value::String(src)), Ok(line)) = (t.raw_get::<Value>("source"), t.raw_get::<Value>("line")) {
            let line = match line {
                Value::Integer(n) => n.to_string(),
                Value::Number(n) => (n as i64).to_string(),
                _ => String::new(),
            };
            if !line.is_empty() {
                text.extend_from_slice(format!(" script: {name}, on ").as_bytes());
                text.extend_from_slice(&src.as_bytes());
                text.extend_from_slice(format!(":{line}.").as_bytes());
            }
        }
        let reply = Reply::err_bytes(one_line(&text));
        if let Reply::Error(text) = &reply {
            tally_error(t, text, &mut errs);
        }
        ctx.reply_errors = Some(errs);
        Ok(reply)
    }
}
