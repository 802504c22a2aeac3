//! The `cmsgpack` library Redis bundles (lua-cmsgpack 0.4), written here: `pack(...)` and
//! `unpack(data)`. A table is an array when its keys are exactly 1..n, else a map; an
//! integral number is the smallest integer form, another one a float32 when that holds it
//! exactly, else a float64; nesting past 16 levels packs as nil, as lua-cmsgpack does.

use mlua::{Lua, MultiValue, Table, Value};

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
    if (n as f32) as f64 == n || n.is_nan() {
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

/// The implementation behind `cmsgpack.pack`: `(true, data)` or `(false, message)`.
pub fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    if args.is_empty() {
        return fail(lua, "bad argument #0 to 'pack' (MessagePack pack needs input.)");
    }
    let mut out = Vec::new();
    for a in args.iter() {
        value(&mut out, a, 0)?;
    }
    Ok(MultiValue::from_iter([Value::Boolean(true), Value::String(lua.create_string(&out)?)]))
}

fn fail(lua: &Lua, msg: &str) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_iter([Value::Boolean(false), Value::String(lua.create_string(msg)?)]))
}

const MISSING: &str = "Missing bytes in input.";
const BAD: &str = "Bad data format in input.";

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], &'static str> {
        let b = self.s.get(self.i..self.i.checked_add(n).ok_or(MISSING)?).ok_or(MISSING)?;
        self.i += n;
        Ok(b)
    }

    fn uint(&mut self, n: usize) -> Result<u64, &'static str> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }
}

fn read(lua: &Lua, c: &mut Cursor<'_>) -> Result<Value, String> {
    let e = |e: mlua::Error| e.to_string();
    let tag = c.take(1)?[0];
    let string = |c: &mut Cursor<'_>, n: usize| -> Result<Value, String> {
        let b = c.take(n)?.to_vec();
        Ok(Value::String(lua.create_string(&b).map_err(e)?))
    };
    let array = |c: &mut Cursor<'_>, n: u64| -> Result<Value, String> {
        let t = lua.create_table().map_err(e)?;
        for i in 1..=n {
            t.raw_set(i, read(lua, c)?).map_err(e)?;
        }
        Ok(Value::Table(t))
    };
    let map = |c: &mut Cursor<'_>, n: u64| -> Result<Value, String> {
        let t = lua.create_table().map_err(e)?;
        for _ in 0..n {
            let k = read(lua, c)?;
            let v = read(lua, c)?;
            if !matches!(k, Value::Nil) {
                t.raw_set(k, v).map_err(e)?;
            }
        }
        Ok(Value::Table(t))
    };
    Ok(match tag {
        0x00..=0x7f => Value::Number(f64::from(tag)),
        0x80..=0x8f => map(c, u64::from(tag & 0x0f))?,
        0x90..=0x9f => array(c, u64::from(tag & 0x0f))?,
        0xa0..=0xbf => string(c, usize::from(tag & 0x1f))?,
        0xc0 => Value::Nil,
        0xc2 => Value::Boolean(false),
        0xc3 => Value::Boolean(true),
        0xc4 | 0xd9 => {
            let n = c.uint(1)? as usize;
            string(c, n)?
        }
        0xc5 | 0xda => {
            let n = c.uint(2)? as usize;
            string(c, n)?
        }
        0xc6 | 0xdb => {
            let n = c.uint(4)? as usize;
            string(c, n)?
        }
        0xca => Value::Number(f64::from(f32::from_bits(c.uint(4)? as u32))),
        0xcb => Value::Number(f64::from_bits(c.uint(8)?)),
        0xcc => Value::Number(c.uint(1)? as f64),
        0xcd => Value::Number(c.uint(2)? as f64),
        0xce => Value::Number(c.uint(4)? as f64),
        0xcf => Value::Number(c.uint(8)? as f64),
        0xd0 => Value::Number(f64::from(c.uint(1)? as u8 as i8)),
        0xd1 => Value::Number(f64::from(c.uint(2)? as u16 as i16)),
        0xd2 => Value::Number(f64::from(c.uint(4)? as u32 as i32)),
        0xd3 => Value::Number(c.uint(8)? as i64 as f64),
        0xdc => {
            let n = c.uint(2)?;
            array(c, n)?
        }
        0xdd => {
            let n = c.uint(4)?;
            array(c, n)?
        }
        0xde => {
            let n = c.uint(2)?;
            map(c, n)?
        }
        0xdf => {
            let n = c.uint(4)?;
            map(c, n)?
        }
        0xe0..=0xff => Value::Number(f64::from(tag as i8)),
        _ => return Err(BAD.into()),
    })
}

/// The implementation behind `cmsgpack.unpack`: `(true, values...)` or `(false, message)`.
pub fn unpack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let s = match args.iter().next() {
        Some(Value::String(s)) => s.as_bytes().to_vec(),
        _ => return fail(lua, "bad argument #1 to 'unpack' (string expected)"),
    };
    let mut c = Cursor { s: &s, i: 0 };
    let mut out = vec![Value::Boolean(true)];
    while c.i < s.len() {
        match read(lua, &mut c) {
            Ok(v) => out.push(v),
            Err(msg) => return fail(lua, &msg),
        }
    }
    Ok(MultiValue::from_iter(out))
}
