//! The `cmsgpack` library Redis bundles (lua-cmsgpack 0.4.0), written here: `pack(...)`,
//! `unpack(data)`, `unpack_one(data [, offset])` and `unpack_limit(data, limit [, offset])`.
//! A table is an array when its keys are exactly 1..n, else a map; an integral number is
//! the smallest integer form, another one a float32 when that holds it exactly, else a
//! float64; nesting past 16 levels packs as nil, as lua-cmsgpack does.
//!
//! Reading takes the formats lua-cmsgpack 0.4 knows (no bin or ext types: those are `Bad
//! data format`), and is bounded as the C library is by Lua's C stack (8000 slots): each
//! value read stays on the stack until it returns, an open array takes two slots and an
//! open map one or two, so deep or long input fails with the same `stack overflow (...)`.

use mlua::{Lua, MultiValue, Table, Value};

use super::args::{self, Held};

const MAX_NESTING: usize = 16;

fn int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        let u = n as u64;
        match u {
            0..=0x7f => out.push(u as u8),
            0x80..=0xff => out.extend([0xcc, u as u8]),
            0x100..=0xffff => {
                out.push(0xcd);
                out.extend((u as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(0xce);
                out.extend((u as u32).to_be_bytes());
            }
            _ => {
                out.push(0xcf);
                out.extend(u.to_be_bytes());
            }
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend([0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend((n as i16).to_be_bytes());
    } else if n >= -(1 << 31) {
        out.push(0xd2);
        out.extend((n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend(n.to_be_bytes());
    }
}

fn number(out: &mut Vec<u8>, n: f64) {
    if n.is_finite() && n.fract() == 0.0 && n >= i64::MIN as f64 && n < i64::MAX as f64 {
        return int(out, n as i64);
    }
    // A NaN is never equal to its float: lua-cmsgpack packs it as a double.
    if (n as f32) as f64 == n {
        out.push(0xca);
        out.extend((n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend(n.to_be_bytes());
    }
}

fn len_header(out: &mut Vec<u8>, n: usize, fix: u8, fix_max: usize, b16: u8, b32: u8) {
    if n <= fix_max {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(b16);
        out.extend((n as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend((n as u32).to_be_bytes());
    }
}

fn bytes(out: &mut Vec<u8>, s: &[u8]) {
    match s.len() {
        0..=31 => out.push(0xa0 | s.len() as u8),
        32..=0xff => out.extend([0xd9, s.len() as u8]),
        0x100..=0xffff => {
            out.push(0xda);
            out.extend((s.len() as u16).to_be_bytes());
        }
        n => {
            out.push(0xdb);
            out.extend((n as u32).to_be_bytes());
        }
    }
    out.extend_from_slice(s);
}

/// lua-cmsgpack's `table_is_an_array`: keys exactly 1..n.
fn array_len(t: &Table) -> mlua::Result<Option<usize>> {
    let (mut max, mut count) = (0usize, 0usize);
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair?;
        let i = match k {
            Value::Integer(i) if i >= 1 => i as usize,
            Value::Number(n) if n >= 1.0 && n.fract() == 0.0 => n as usize,
            _ => return Ok(None),
        };
        max = max.max(i);
        count += 1;
    }
    Ok((max == count).then_some(count))
}

fn value(out: &mut Vec<u8>, v: &Value, level: usize) -> mlua::Result<()> {
    // A table met many times over (`t = {t, t}` nested) writes without end otherwise.
    if out.len() > args::MAX_OUTPUT {
        return Err(mlua::Error::RuntimeError(OUT_OF_MEMORY.into()));
    }
    match v {
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(i) => int(out, *i),
        Value::Number(n) => number(out, *n),
        Value::String(s) => bytes(out, &s.as_bytes()),
        Value::Table(t) if level < MAX_NESTING => match array_len(t)? {
            Some(n) => {
                len_header(out, n, 0x90, 15, 0xdc, 0xdd);
                for i in 1..=n {
                    value(out, &t.raw_get::<Value>(i)?, level + 1)?;
                }
            }
            None => {
                let pairs: Vec<(Value, Value)> = t.pairs::<Value, Value>().collect::<mlua::Result<_>>()?;
                len_header(out, pairs.len(), 0x80, 15, 0xde, 0xdf);
                for (k, x) in &pairs {
                    value(out, k, level + 1)?;
                    value(out, x, level + 1)?;
                }
            }
        },
        _ => out.push(0xc0),
    }
    Ok(())
}

/// `cmsgpack.pack(...)`: the values one after another.
pub fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    if args.is_empty() {
        return args::fail(lua, &args::bad(0, "pack", "MessagePack pack needs input."));
    }
    let mut out = Vec::new();
    for a in args.iter() {
        match value(&mut out, a, 0) {
            Err(mlua::Error::RuntimeError(m)) if m == OUT_OF_MEMORY => return args::fail(lua, OUT_OF_MEMORY),
            r => r?,
        }
    }
    args::ok([Value::String(lua.create_string(&out)?)])
}

const MISSING: &str = "Missing bytes in input.";
/// Lua's own message when its memory runs out.
const OUT_OF_MEMORY: &str = "not enough memory";
const BAD: &str = "Bad data format in input.";
/// Lua's C stack limit (`LUAI_MAXCSTACK`), in slots.
const MAX_CSTACK: usize = 8000;

enum Fail {
    /// Raised at the script's line (`luaL_error`).
    At(String),
    /// Raised as the Lua core raises it (`table index is nil`).
    Bare(&'static str),
}

impl From<&str> for Fail {
    fn from(s: &str) -> Fail {
        Fail::At(s.to_string())
    }
}

impl From<mlua::Error> for Fail {
    fn from(e: mlua::Error) -> Fail {
        Fail::At(e.to_string())
    }
}

fn check_stack(slots: usize, what: &str) -> Result<(), Fail> {
    if slots + 1 > MAX_CSTACK {
        return Err(Fail::At(format!("stack overflow ({what})")));
    }
    Ok(())
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Fail> {
        let b = self.s.get(self.i..self.i.saturating_add(n)).ok_or(MISSING)?;
        self.i += n;
        Ok(b)
    }

    fn uint(&mut self, n: usize) -> Result<u64, Fail> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn left(&self) -> usize {
        self.s.len() - self.i
    }
}

/// What one tag starts: a whole value, or an array or map of `n` entries to come.
enum Item {
    Value(Value),
    Array(u64),
    Map(u64),
}

fn item(lua: &Lua, c: &mut Cursor<'_>) -> Result<Item, Fail> {
    let tag = c.take(1)?[0];
    let n = |x: f64| Ok(Item::Value(Value::Number(x)));
    let string = |c: &mut Cursor<'_>, len: usize| -> Result<Item, Fail> {
        let b = c.take(len)?;
        Ok(Item::Value(Value::String(lua.create_string(b)?)))
    };
    match tag {
        0x00..=0x7f => n(f64::from(tag)),
        0x80..=0x8f => Ok(Item::Map(u64::from(tag & 0x0f))),
        0x90..=0x9f => Ok(Item::Array(u64::from(tag & 0x0f))),
        0xa0..=0xbf => string(c, usize::from(tag & 0x1f)),
        0xc0 => Ok(Item::Value(Value::Nil)),
        0xc2 => Ok(Item::Value(Value::Boolean(false))),
        0xc3 => Ok(Item::Value(Value::Boolean(true))),
        0xca => n(f64::from(f32::from_bits(c.uint(4)? as u32))),
        0xcb => n(f64::from_bits(c.uint(8)?)),
        0xcc => n(c.uint(1)? as f64),
        0xcd => n(c.uint(2)? as f64),
        0xce => n(c.uint(4)? as f64),
        0xcf => n(c.uint(8)? as f64),
        0xd0 => n(f64::from(c.uint(1)? as u8 as i8)),
        0xd1 => n(f64::from(c.uint(2)? as u16 as i16)),
        0xd2 => n(f64::from(c.uint(4)? as u32 as i32)),
        0xd3 => n(c.uint(8)? as i64 as f64),
        0xd9 => {
            let len = c.uint(1)? as usize;
            string(c, len)
        }
        0xda => {
            let len = c.uint(2)? as usize;
            string(c, len)
        }
        0xdb => {
            let len = c.uint(4)? as usize;
            string(c, len)
        }
        0xdc => Ok(Item::Array(c.uint(2)?)),
        0xdd => Ok(Item::Array(c.uint(4)?)),
        0xde => Ok(Item::Map(c.uint(2)?)),
        0xdf => Ok(Item::Map(c.uint(4)?)),
        0xe0..=0xff => n(f64::from(tag as i8)),
        _ => Err(BAD.into()),
    }
}

/// A table being read and the entries it still expects; the table itself (and a map's
/// key read so far) is held in a Lua table, not as a reference (see `args::Held`).
enum Open {
    Array { index: u64, left: u64 },
    Map { left: u64, keyed: bool },
}

/// Makes `t` the innermost open table, holding its parent and the parent's key.
fn enter(
    open: &mut Vec<Open>,
    top: &mut Option<(Table, Value)>,
    held: &mut Held,
    t: Table,
    kind: Open,
) -> mlua::Result<()> {
    if let Some((parent, key)) = top.replace((t, Value::Nil)) {
        held.push(Value::Table(parent))?;
        held.push(key)?;
    }
    open.push(kind);
    Ok(())
}

/// Reads up to `limit` values into `out`; `slots` is the Lua stack lua-cmsgpack starts
/// from (its arguments). Answers the bytes read.
fn read(lua: &Lua, s: &[u8], limit: usize, mut slots: usize, out: &mut Held) -> Result<usize, Fail> {
    const VALUES: &str = "too many return values at once; use unpack_one or unpack_limit instead.";
    let mut c = Cursor { s, i: 0 };
    let mut read = 0;
    let mut open: Vec<Open> = Vec::new();
    let mut held = Held::new(lua)?;
    let mut top: Option<(Table, Value)> = None;
    while c.left() > 0 && read < limit {
        check_stack(slots, VALUES)?;
        let mut v = match item(lua, &mut c)? {
            Item::Value(v) => v,
            Item::Array(n) => {
                check_stack(slots + 1, "in function mp_decode_to_lua_array")?;
                let t = lua.create_table()?;
                if n > 0 {
                    slots += 2;
                    enter(&mut open, &mut top, &mut held, t, Open::Array { index: 1, left: n })?;
                    continue;
                }
                Value::Table(t)
            }
            Item::Map(n) => {
                let t = lua.create_table()?;
                if n > 0 {
                    slots += 1;
                    enter(&mut open, &mut top, &mut held, t, Open::Map { left: n, keyed: false })?;
                    continue;
                }
                Value::Table(t)
            }
        };
        // Store the value in its table, and each table that is complete in its own.
        loop {
            let (Some(kind), Some((t, key))) = (open.last_mut(), top.as_mut()) else {
                // A whole top-level value: it stays on the stack.
                out.push(v)?;
                read += 1;
                slots += 1;
                break;
            };
            let done = match kind {
                Open::Array { index, left } => {
                    t.raw_set(*index, v)?;
                    *index += 1;
                    *left -= 1;
                    *left == 0
                }
                Open::Map { keyed: keyed @ false, .. } => {
                    *key = v;
                    *keyed = true;
                    slots += 1;
                    break;
                }
                Open::Map { left, keyed } => {
                    match std::mem::replace(key, Value::Nil) {
                        Value::Nil => return Err(Fail::Bare("table index is nil")),
                        Value::Number(x) if x.is_nan() => return Err(Fail::Bare("table index is NaN")),
                        k => t.raw_set(k, v)?,
                    }
                    *keyed = false;
                    slots -= 1;
                    *left -= 1;
                    *left == 0
                }
            };
            if !done {
                break;
            }
            slots -= if matches!(kind, Open::Array { .. }) { 2 } else { 1 };
            open.pop();
            let closed = top.take().map(|(t, _)| Value::Table(t)).unwrap_or(Value::Nil);
            if !open.is_empty() {
                let key = held.pop()?;
                let Value::Table(parent) = held.pop()? else { return Err(MISSING.into()) };
                top = Some((parent, key));
            }
            v = closed;
        }
    }
    if !open.is_empty() {
        return Err(MISSING.into());
    }
    Ok(c.i)
}

fn answer(lua: &Lua, r: Result<Held, Fail>) -> mlua::Result<MultiValue> {
    match r {
        Ok(values) => values.spread(),
        Err(Fail::At(msg)) => args::fail(lua, &msg),
        Err(Fail::Bare(msg)) => args::fail_bare(lua, msg),
    }
}

/// lua-cmsgpack's `mp_unpack_full`: every value when `limit` and `offset` are both 0, else
/// up to `limit` values from `offset`, after the offset to go on from (-1 at the end).
fn unpack_full(lua: &Lua, s: &[u8], limit: i64, offset: i64, slots: usize) -> Result<Held, Fail> {
    if offset < 0 || limit < 0 {
        // lua-cmsgpack prints the input's length where it means the limit.
        return Err(Fail::At(format!(
            "Invalid request to unpack with offset of {} and limit of {}.",
            offset as i32,
            s.len() as i32
        )));
    }
    if offset as u64 > s.len() as u64 {
        return Err(Fail::At(format!("Start offset {} greater than input length {}.", offset as i32, s.len() as i32)));
    }
    let all = limit == 0 && offset == 0;
    let limit = if all { i32::MAX as usize } else { usize::try_from(limit).unwrap_or(usize::MAX) };
    let mut values = Held::new(lua)?;
    if !all {
        // The offset to go on from comes first; its place is kept.
        values.push(Value::Boolean(false))?;
    }
    let read = read(lua, &s[offset as usize..], limit, slots, &mut values)?;
    if !all {
        check_stack(slots + values.len() - 1, "in function mp_unpack_full")?;
        let end = offset as usize + read;
        values.set(1, Value::Integer(if end == s.len() { -1 } else { end as i64 }))?;
    }
    Ok(values)
}

/// `cmsgpack.unpack(data)`.
pub fn unpack(lua: &Lua, a: MultiValue) -> mlua::Result<MultiValue> {
    let a: Vec<Value> = a.into_iter().collect();
    let r = args::string(&a, 1, "unpack").map_err(Fail::At).and_then(|s| unpack_full(lua, &s, 0, 0, a.len()));
    answer(lua, r)
}

/// `cmsgpack.unpack_one(data [, offset])`.
pub fn unpack_one(lua: &Lua, a: MultiValue) -> mlua::Result<MultiValue> {
    let a: Vec<Value> = a.into_iter().collect();
    let r = (|| {
        let offset = args::opt_integer(lua, &a, 2, "unpack_one", 0).map_err(Fail::At)?;
        let s = args::string(&a, 1, "unpack_one").map_err(Fail::At)?;
        unpack_full(lua, &s, 1, offset, 1)
    })();
    answer(lua, r)
}

/// `cmsgpack.unpack_limit(data, limit [, offset])`.
pub fn unpack_limit(lua: &Lua, a: MultiValue) -> mlua::Result<MultiValue> {
    let a: Vec<Value> = a.into_iter().collect();
    let name = "unpack_limit";
    let r = (|| {
        let limit = args::integer(lua, &a, 2, name).map_err(Fail::At)?;
        let offset = args::opt_integer(lua, &a, 3, name, 0).map_err(Fail::At)?;
        let s = args::string(&a, 1, name).map_err(Fail::At)?;
        unpack_full(lua, &s, limit, offset, 1)
    })();
    answer(lua, r)
}

/// A new `cmsgpack` table.
pub fn library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    let raising = |f| super::engine::raising(lua, f);
    t.raw_set("pack", raising(lua.create_function(pack)?)?)?;
    t.raw_set("unpack", raising(lua.create_function(unpack)?)?)?;
    t.raw_set("unpack_one", raising(lua.create_function(unpack_one)?)?)?;
    t.raw_set("unpack_limit", raising(lua.create_function(unpack_limit)?)?)?;
    t.raw_set("_NAME", "cmsgpack")?;
    t.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}
