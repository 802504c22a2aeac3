//! Argument checks of the bundled C libraries, as lauxlib makes them (`luaL_checknumber`,
//! `luaL_checkinteger`, `luaL_optinteger`, `luaL_checklstring`, `luaL_checkoption`), with
//! their texts: `bad argument #N to 'name' (number expected, got no value)`.
//!
//! A library function here answers `true, results...` or `false, message` and is wrapped by
//! the engine's `raising` closure, which raises the message at the calling script's line as
//! `luaL_error` does; [`fail_bare`] raises it without the line, as the Lua core's own errors
//! (`table index is nil`) are raised from C.

use mlua::{Lua, MultiValue, Table, Value};

use crate::reply::format_g;

/// Lua's `luaL_typename`: `no value` for a missing argument.
pub fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Integer(_) | Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::Thread(_)) => "thread",
        Some(_) => "userdata",
    }
}

/// `bad argument #n to 'name' (what)`.
pub fn bad(n: usize, name: &str, what: &str) -> String {
    format!("bad argument #{n} to '{name}' ({what})")
}

fn expected(args: &[Value], n: usize, name: &str, want: &str) -> String {
    bad(n, name, &format!("{want} expected, got {}", type_name(args.get(n - 1))))
}

/// `luaL_checknumber` of argument `n` (1-based): a number, or a string that reads as one.
pub fn number(lua: &Lua, args: &[Value], n: usize, name: &str) -> Result<f64, String> {
    match args.get(n - 1) {
        Some(Value::Integer(i)) => Ok(*i as f64),
        Some(Value::Number(x)) => Ok(*x),
        Some(v @ Value::String(_)) => match lua.coerce_number(v.clone()) {
            Ok(Some(x)) => Ok(x),
            _ => Err(expected(args, n, name, "number")),
        },
        _ => Err(expected(args, n, name, "number")),
    }
}

/// C's conversion of a double to an integer (x86's: out of range and NaN give the
/// smallest integer).
pub fn truncate(x: f64) -> i64 {
    // 2^63: the first double past i64's range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if x.is_nan() || !(-LIMIT..LIMIT).contains(&x) {
        i64::MIN
    } else {
        x as i64
    }
}

/// `luaL_checkinteger`: the number truncated toward zero.
pub fn integer(lua: &Lua, args: &[Value], n: usize, name: &str) -> Result<i64, String> {
    number(lua, args, n, name).map(truncate)
}

/// `luaL_optinteger`: `default` for a missing or nil argument.
pub fn opt_integer(lua: &Lua, args: &[Value], n: usize, name: &str, default: i64) -> Result<i64, String> {
    match args.get(n - 1) {
        None | Some(Value::Nil) => Ok(default),
        _ => integer(lua, args, n, name),
    }
}

/// `luaL_checklstring`: a string, or a number as Lua writes it (`%.14g`).
pub fn string(args: &[Value], n: usize, name: &str) -> Result<Vec<u8>, String> {
    match args.get(n - 1) {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(Value::Integer(i)) => Ok(format_g(*i as f64, 14).into_bytes()),
        Some(Value::Number(x)) => Ok(format_g(*x, 14).into_bytes()),
        _ => Err(expected(args, n, name, "string")),
    }
}

/// `luaL_checkoption` without a default: the index of the option named.
pub fn option(args: &[Value], n: usize, name: &str, options: &[&str]) -> Result<usize, String> {
    let s = string(args, n, name)?;
    options
        .iter()
        .position(|o| o.as_bytes() == s.as_slice())
        .ok_or_else(|| bad(n, name, &format!("invalid option '{}'", String::from_utf8_lossy(&s))))
}

/// A function's answer: `true` and its results.
pub fn ok(values: impl IntoIterator<Item = Value>) -> mlua::Result<MultiValue> {
    Ok(std::iter::once(Value::Boolean(true)).chain(values).collect())
}

/// A failure raised at the calling script's line.
pub fn fail(lua: &Lua, msg: &str) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_iter([Value::Boolean(false), Value::String(lua.create_string(msg)?)]))
}

/// A failure raised without a position, as the Lua core raises from C.
pub fn fail_bare(lua: &Lua, msg: &str) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_iter([Value::Boolean(false), Value::String(lua.create_string(msg)?), Value::Boolean(true)]))
}

/// The most a library function writes into one string before it fails as Lua does when
/// its memory runs out (the Lua state's own cap: a result this big could not be kept).
pub const MAX_OUTPUT: usize = 1 << 30;

/// What a library function answers in place of `true` when its results come as a table
/// (see [`spread`]).
pub static SPREAD: u8 = 0;

/// Many results (up to Lua's stack limit, as lua-cmsgpack returns): the engine's `raising`
/// closure pushes `t[1..=n]` itself, since a Rust callback cannot return that many.
pub fn spread(t: Table, n: usize) -> mlua::Result<MultiValue> {
    let mark = Value::LightUserData(mlua::LightUserData(std::ptr::addr_of!(SPREAD) as *mut std::ffi::c_void));
    Ok(MultiValue::from_iter([mark, Value::Table(t), Value::Integer(n as i64)]))
}

/// A stack of Lua values kept in a Lua table rather than as mlua references, which share
/// the Lua stack's 8000-slot limit: for the tables a deep walk keeps open.
pub struct Held {
    t: Table,
    n: usize,
}

impl Held {
    pub fn new(lua: &Lua) -> mlua::Result<Held> {
        Ok(Held { t: lua.create_table()?, n: 0 })
    }

    pub fn push(&mut self, v: Value) -> mlua::Result<()> {
        self.n += 1;
        self.t.raw_set(self.n, v)
    }

    /// The last value pushed (nil when none is left).
    pub fn pop(&mut self) -> mlua::Result<Value> {
        if self.n == 0 {
            return Ok(Value::Nil);
        }
        let v = self.t.raw_get(self.n)?;
        self.t.raw_set(self.n, Value::Nil)?;
        self.n -= 1;
        Ok(v)
    }

    pub fn set(&mut self, i: usize, v: Value) -> mlua::Result<()> {
        self.t.raw_set(i, v)
    }

    pub fn len(&self) -> usize {
        self.n
    }

    /// The values as a function's results.
    pub fn spread(self) -> mlua::Result<MultiValue> {
        spread(self.t, self.n)
    }
}
