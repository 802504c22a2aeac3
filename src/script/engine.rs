//! The Lua state, the script cache, and one script run.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value};

use crate::dispatch::{self, Caller};
use crate::error;
use crate::reply::{format_g, Reply};
use crate::server::Ctx;
use crate::spec::Profile;

/// The Lua side: the error handler, the `redis` library over a raw dispatcher set per run,
/// and read-only proxies for the globals and the library tables.
const PRELUDE: &str = r#"
local version, version_num, call_c = ...
local G = _G
local raw = {}
local dbg = debug
local function handler(err)
  local lvl = 2
  local i = dbg.getinfo(lvl, 'nSl')
  while i and (i.what == 'C' or i.source == '=fakeredis') do
    lvl = lvl + 1
    i = dbg.getinfo(lvl, 'nSl')
  end
  if type(err) ~= 'table' then
    err = {err = 'ERR ' .. tostring(err)}
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end
local function readonly(t, strict)
  return setmetatable({}, {
    __index = function(_, k)
      local v = t[k]
      if v == nil and strict then
        error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
      end
      return v
    end,
    __newindex = function() error("Attempt to modify a readonly table", 2) end,
    __metatable = false,
  })
end
local redis = {}
-- redis.call is a C function (see `redis_call`), so a script's `return redis.call(...)`
-- keeps its frame and errors name the script's line, as in Redis.
redis.call = call_c
function redis.pcall(...)
  return (raw.dispatch(true, ...))
end
redis.error_reply = function(...) return raw.error_reply(...) end
redis.status_reply = function(...) return raw.status_reply(...) end
redis.sha1hex = function(...) return raw.sha1hex(...) end
redis.log = function() end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.setresp = function() end
redis.set_repl = function() end
redis.replicate_commands = function() return true end
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.breakpoint = function() return false end
redis.debug = function() end
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = version, version_num
G.redis = redis
for _, name in ipairs({'loadfile', 'dofile', 'print', 'debug'}) do G[name] = nil end
local env = readonly(G, true)
local setfenv = setfenv
-- Redis's scripts have no getfenv, setfenv or newproxy.
G.getfenv, G.setfenv, G.newproxy = nil, nil, nil
for _, name in ipairs({'string', 'table', 'math', 'redis', 'bit', 'cjson', 'cmsgpack', 'struct'}) do G[name] = readonly(G[name], false) end
G._G = env
-- Redis's pcall: an error table raised by redis.call comes back as its message.
local real_pcall = pcall
local function pack(...) return {n = select('#', ...), ...} end
G.pcall = function(...)
  local r = pack(real_pcall(...))
  if not r[1] and type(r[2]) == 'table' and type(r[2].err) == 'string' then
    r[2] = r[2].err
  end
  return unpack(r, 1, r.n)
end
local function run(f) return xpcall(f, handler) end
local function call_impl(...) return raw.dispatch(false, ...) end
-- Redis's Lua reads no bytecode: a chunk starting with ESC is text that does not parse.
local real_loadstring = loadstring
local function compile(body, name)
  if body:byte(1) == 27 then
    local shown = name:sub(1, 1) == '@' and name:sub(2) or ('[string "' .. name .. '"]')
    return nil, shown .. ":1: unexpected symbol near 'char(27)'"
  end
  local f, e = real_loadstring(body, name)
  if not f then return nil, e end
  setfenv(f, env)
  return f
end
G.loadstring = function(s, name)
  if type(s) ~= 'string' then return real_loadstring(s, name) end
  return compile(s, name or s)
end
return raw, env, run, call_impl, compile
"#;

/// How long a script may run before the fake stops it. Redis would let it run and answer
/// other clients `BUSY` until SCRIPT KILL, which the fake does not have yet; a test double
/// that hangs forever helps nobody.
const SCRIPT_LIMIT_NS: u64 = 60_000_000_000;

/// The most memory the Lua state may hold (an allocation past it is a Lua error).
const LUA_MEMORY_LIMIT: usize = 1 << 30;

/// Nanoseconds on a process-wide monotonic clock.
fn mono_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// The registry name of the Lua function `redis_call` forwards to.
const CALL_IMPL: &str = "fakeredis.call";

/// `redis.call`: the dispatcher's reply, or the reply's error table raised as the Lua error
/// (a table, as Redis raises it, so `pcall(redis.call, ...)` gets `{err = ...}`). A C
/// function, not a Lua one, so that a tail call from the script keeps the script's frame
/// for the error handler. It holds nothing that needs dropping when `lua_error` unwinds.
unsafe extern "C-unwind" fn redis_call(l: *mut mlua::ffi::lua_State) -> std::os::raw::c_int {
    use mlua::ffi;
    let n = ffi::lua_gettop(l);
    ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, c"fakeredis.call".as_ptr());
    ffi::lua_insert(l, 1);
    ffi::lua_call(l, n, 2);
    let failed = ffi::lua_toboolean(l, -1) != 0;
    ffi::lua_pop(l, 1);
    if failed {
        ffi::lua_error(l);
    }
    1
}

/// LuaBitOp's `tobit`: a number to a signed 32-bit integer the way its C does it (adding
/// 2^52 + 2^51 and keeping the low 32 bits of the double: wrapping, rounding to even).
fn tobit(x: f64) -> i32 {
    (x + 6_755_399_441_055_744.0).to_bits() as u32 as i32
}

/// The `bit` library (LuaBitOp 1.0, which Redis bundles): 32-bit operations on numbers.
fn bit_library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    let fold = |op: fn(i32, i32) -> i32| {
        move |_: &Lua, args: mlua::Variadic<f64>| -> mlua::Result<f64> {
            let mut it = args.iter();
            let first = it
                .next()
                .copied()
                .ok_or_else(|| mlua::Error::RuntimeError("bad argument #1 (number expected, got no value)".into()))?;
            Ok(f64::from(it.fold(tobit(first), |acc, &x| op(acc, tobit(x)))))
        }
    };
    t.raw_set("tobit", lua.create_function(|_, x: f64| Ok(f64::from(tobit(x))))?)?;
    t.raw_set("bnot", lua.create_function(|_, x: f64| Ok(f64::from(!tobit(x))))?)?;
    t.raw_set("band", lua.create_function(fold(|a, b| a & b))?)?;
    t.raw_set("bor", lua.create_function(fold(|a, b| a | b))?)?;
    t.raw_set("bxor", lua.create_function(fold(|a, b| a ^ b))?)?;
    let shift = |op: fn(u32, u32) -> u32| {
        move |_: &Lua, (x, n): (f64, f64)| -> mlua::Result<f64> {
            Ok(f64::from(op(tobit(x) as u32, tobit(n) as u32 & 31) as i32))
        }
    };
    t.raw_set("lshift", lua.create_function(shift(|x, n| x << n))?)?;
    t.raw_set("rshift", lua.create_function(shift(|x, n| x >> n))?)?;
    t.raw_set("arshift", lua.create_function(shift(|x, n| ((x as i32) >> n) as u32))?)?;
    t.raw_set("rol", lua.create_function(shift(|x, n| x.rotate_left(n)))?)?;
    t.raw_set("ror", lua.create_function(shift(|x, n| x.rotate_right(n)))?)?;
    t.raw_set("bswap", lua.create_function(|_, x: f64| Ok(f64::from((tobit(x) as u32).swap_bytes() as i32)))?)?;
    t.raw_set(
        "tohex",
        lua.create_function(|_, (x, n): (f64, Option<f64>)| {
            let b = tobit(x) as u32;
            let n = n.map_or(8, tobit);
            let (upper, n) = if n < 0 { (true, n.unsigned_abs()) } else { (false, n as u32) };
            let n = n.min(8) as usize;
            let hex = if upper { format!("{b:08X}") } else { format!("{b:08x}") };
            Ok(hex[8 - n..].to_string())
        })?,
    )?;
    Ok(t)
}

/// The C closure behind a library function that fails as C libraries do: it calls its
/// upvalue, which answers `true, results...` or `false, message`, and raises the message
/// at the calling script's line (as `luaL_error` does, also after a tail call).
unsafe extern "C-unwind" fn raise_on_false(l: *mut mlua::ffi::lua_State) -> std::os::raw::c_int {
    use mlua::ffi;
    let n = ffi::lua_gettop(l);
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
    ffi::lua_insert(l, 1);
    ffi::lua_call(l, n, ffi::LUA_MULTRET);
    if ffi::lua_toboolean(l, 1) == 0 {
        ffi::luaL_where(l, 1);
        ffi::lua_pushvalue(l, 2);
        ffi::lua_concat(l, 2);
        ffi::lua_error(l);
    }
    ffi::lua_remove(l, 1);
    ffi::lua_gettop(l)
}

fn raising(lua: &Lua, imp: Function) -> mlua::Result<Function> {
    // SAFETY: `raise_on_false` follows the C API's contract; the closure takes `imp` as its
    // one upvalue, which `exec_raw` leaves on the stack.
    unsafe { lua.exec_raw::<Function>(imp, |state| mlua::ffi::lua_pushcclosure(state, raise_on_false, 1)) }
}

/// The server's Lua state and its scripts.
pub struct Scripting {
    lua: Lua,
    raw: Table,
    run: Function,
    /// Compiles a chunk as Redis does (text only, in the read-only environment).
    compile: Function,
    scripts: HashMap<String, Function>,
    /// When the running script must stop (`mono_ns`; 0 while none runs).
    deadline: Arc<AtomicU64>,
}

impl std::fmt::Debug for Scripting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripting").field("scripts", &self.scripts.len()).finish_non_exhaustive()
    }
}

/// What one EVAL asks for.
pub struct ScriptRun<'a> {
    pub sha: &'a str,
    pub keys: &'a [Vec<u8>],
    pub args: &'a [Vec<u8>],
    pub read_only: bool,
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

/// A reply as a script sees it (Redis's RESP2 conversion).
fn to_lua(lua: &Lua, r: &Reply) -> mlua::Result<Value> {
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
        Reply::Error(e) => Value::Table(err_table(lua, e)?),
        Reply::Array(items) | Reply::Set(items) | Reply::Push(items) => {
            let t = lua.create_table()?;
            for (i, it) in items.iter().enumerate() {
                t.raw_set(i + 1, to_lua(lua, it)?)?;
            }
            Value::Table(t)
        }
        Reply::Map(pairs) => {
            let t = lua.create_table()?;
            for (i, (k, v)) in pairs.iter().enumerate() {
                t.raw_set(2 * i + 1, to_lua(lua, k)?)?;
                t.raw_set(2 * i + 2, to_lua(lua, v)?)?;
            }
            Value::Table(t)
        }
    })
}

/// Newlines would break the protocol: Redis turns them into spaces.
fn one_line(b: &[u8]) -> Vec<u8> {
    b.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }).collect()
}

/// A script's return value as a reply (Redis's `luaReplyToRedisReply`, RESP2).
fn from_lua(v: &Value) -> Reply {
    match v {
        Value::Boolean(true) => Reply::Int(1),
        Value::Integer(n) => Reply::Int(*n),
        Value::Number(f) => Reply::Int(if f.is_nan() { i64::MIN } else { *f as i64 }),
        Value::String(s) => Reply::bulk(s.as_bytes().to_vec()),
        Value::Table(t) => {
            if let Ok(Value::String(e)) = t.raw_get::<Value>("err") {
                return Reply::err_bytes(one_line(&e.as_bytes()));
            }
            if let Ok(Value::String(ok)) = t.raw_get::<Value>("ok") {
                return Reply::Simple(String::from_utf8_lossy(&one_line(&ok.as_bytes())).into_owned().into());
            }
            let mut out = Vec::new();
            for i in 1.. {
                match t.raw_get::<Value>(i) {
                    Ok(Value::Nil) | Err(_) => break,
                    Ok(v) => out.push(from_lua(&v)),
                }
            }
            Reply::Array(out)
        }
        _ => Reply::Nil,
    }
}

impl Scripting {
    pub fn new(p: &Profile) -> mlua::Result<Scripting> {
        let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG;
        // SAFETY: the debug library is what Redis's error handler uses; the prelude keeps it
        // in a local of its own and removes it from the globals before any script runs.
        let lua = unsafe { Lua::unsafe_new_with(libs, LuaOptions::default()) };
        // The pinned server's version, as REDIS_VERSION shows it (Valkey its own).
        let v = if p.is(crate::spec::ServerKind::Valkey) { p.version } else { p.redis_compat_version() };
        let num = (i64::from(v.major) << 16) | (i64::from(v.minor) << 8) | i64::from(v.patch);
        lua.globals().raw_set("bit", bit_library(&lua)?)?;
        let cjson = lua.create_table()?;
        cjson.raw_set("encode", raising(&lua, lua.create_function(super::cjson::encode)?)?)?;
        cjson.raw_set("decode", raising(&lua, lua.create_function(super::cjson::decode)?)?)?;
        cjson.raw_set("null", super::cjson::null())?;
        lua.globals().raw_set("cjson", cjson)?;
        let cmsgpack = lua.create_table()?;
        cmsgpack.raw_set("pack", raising(&lua, lua.create_function(super::cmsgpack::pack)?)?)?;
        cmsgpack.raw_set("unpack", raising(&lua, lua.create_function(super::cmsgpack::unpack)?)?)?;
        lua.globals().raw_set("cmsgpack", cmsgpack)?;
        let lstruct = lua.create_table()?;
        lstruct.raw_set("pack", raising(&lua, lua.create_function(super::lstruct::pack)?)?)?;
        lstruct.raw_set("unpack", raising(&lua, lua.create_function(super::lstruct::unpack)?)?)?;
        lstruct.raw_set("size", raising(&lua, lua.create_function(super::lstruct::size)?)?)?;
        lua.globals().raw_set("struct", lstruct)?;
        // SAFETY: `redis_call` follows the Lua C API's contract (see there).
        let call_c = unsafe { lua.create_c_function(redis_call)? };
        let (raw, _env, run, call_impl, compile): (Table, Table, Function, Function, Function) = lua
            .load(PRELUDE)
            .set_name("=fakeredis")
            .call((format!("{}.{}.{}", v.major, v.minor, v.patch), num, call_c))?;
        lua.set_named_registry_value(CALL_IMPL, call_impl)?;
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
        let deadline = Arc::new(AtomicU64::new(0));
        let d = deadline.clone();
        lua.set_hook(mlua::HookTriggers::new().every_nth_instruction(100_000), move |_, _| {
            let at = d.load(Ordering::Relaxed);
            if at != 0 && mono_ns() > at {
                return Err(mlua::Error::RuntimeError(error::SCRIPT_TOO_LONG.to_string()));
            }
            Ok(mlua::VmState::Continue)
        })?;
        Ok(Scripting { lua, raw, run, compile, scripts: HashMap::new(), deadline })
    }

    /// Compiles `body` (once per SHA-1) and caches it; its SHA-1, or Redis's compile error.
    pub fn load(&mut self, body: &[u8]) -> Result<String, Reply> {
        let sha = super::sha1::sha1_hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let lua_err = |e: mlua::Error| {
            Reply::err_bytes(one_line(format!("ERR Error compiling script (new function): {e}").as_bytes()))
        };
        let text = self.lua.create_string(body).map_err(lua_err)?;
        let (f, e): (Option<Function>, Option<mlua::LuaString>) =
            self.compile.call((text, "@user_script")).map_err(lua_err)?;
        let Some(f) = f else {
            let msg = e.map(|e| e.as_bytes().to_vec()).unwrap_or_default();
            let text = [b"ERR Error compiling script (new function): ".as_slice(), &msg].concat();
            return Err(Reply::err_bytes(one_line(&text)));
        };
        self.scripts.insert(sha.clone(), f);
        Ok(sha)
    }

    pub fn exists(&self, sha: &[u8]) -> bool {
        std::str::from_utf8(sha).is_ok_and(|s| self.scripts.contains_key(&s.to_ascii_lowercase()))
    }

    pub fn flush(&mut self) {
        self.scripts.clear();
    }

    /// Runs a loaded script for `ctx`'s client.
    pub fn run(&self, ctx: &mut Ctx<'_>, r: &ScriptRun<'_>) -> Reply {
        let Some(f) = self.scripts.get(r.sha) else { return Reply::err(error::NOSCRIPT) };
        match self.run_inner(ctx, f, r) {
            Ok(reply) => reply,
            Err(e) => Reply::err_bytes(one_line(format!("ERR Error running script {}, {e}", r.sha).as_bytes())),
        }
    }

    fn run_inner(&self, ctx: &mut Ctx<'_>, f: &Function, r: &ScriptRun<'_>) -> mlua::Result<Reply> {
        let lua = &self.lua;
        let g = lua.globals();
        let strings = |items: &[Vec<u8>]| -> mlua::Result<Table> {
            let t = lua.create_table()?;
            for (i, it) in items.iter().enumerate() {
                t.raw_set(i + 1, lua.create_string(it)?)?;
            }
            Ok(t)
        };
        g.raw_set("KEYS", strings(r.keys)?)?;
        g.raw_set("ARGV", strings(r.args)?)?;
        let caller = Caller::Script { read_only: r.read_only };
        let times = (ctx.now, ctx.now_us);
        let shared = ctx.shared;
        let mut sess = ctx.sess.clone();
        let (st, dirty) = (&mut *ctx.st, &mut ctx.dirty);
        let (ok, value): (bool, Value) = lua.scope(|scope| {
            let dispatch = scope.create_function_mut(|lua, (protected, args): (bool, MultiValue)| {
                let _ = protected;
                let mut argv = Vec::with_capacity(args.len());
                for a in args.iter() {
                    match a {
                        Value::String(s) => argv.push(s.as_bytes().to_vec()),
                        Value::Integer(n) => argv.push(n.to_string().into_bytes()),
                        Value::Number(x) => argv.push(format_g(*x, 17).into_bytes()),
                        _ => return Ok((Value::Table(err_table(lua, error::SCRIPT_BAD_ARG.as_bytes())?), true)),
                    }
                }
                if argv.is_empty() {
                    return Ok((Value::Table(err_table(lua, error::SCRIPT_NO_ARGS.as_bytes())?), true));
                }
                let reply = dispatch::call(shared, st, &mut sess, &argv, times, caller, dirty);
                let failed = reply.is_error();
                Ok((to_lua(lua, &reply)?, failed))
            })?;
            self.raw.raw_set("dispatch", dispatch)?;
            self.deadline.store(mono_ns() + SCRIPT_LIMIT_NS, Ordering::Relaxed);
            let out = self.run.call::<(bool, Value)>(f.clone());
            self.deadline.store(0, Ordering::Relaxed);
            self.raw.raw_set("dispatch", Value::Nil)?;
            out
        })?;
        if ok {
            return Ok(from_lua(&value));
        }
        let t = match &value {
            Value::Table(t) => t,
            // Errors the handler never saw (out of memory): Redis's plain form.
            other => {
                let msg = match other {
                    Value::String(s) => s.to_string_lossy(),
                    _ => "execution failure".to_string(),
                };
                return Ok(Reply::err(format!("ERR Error running script {}, {msg:.100}", r.sha)));
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
                text.extend_from_slice(format!(" script: {}, on ", r.sha).as_bytes());
                text.extend_from_slice(&src.as_bytes());
                text.extend_from_slice(format!(":{line}.").as_bytes());
            }
        }
        Ok(Reply::err_bytes(one_line(&text)))
    }
}
