//! The `cjson` library Redis bundles (lua-cjson 2.1), written here: `encode` and `decode`
//! with its defaults (numbers with 14 significant digits, `/` escaped, empty tables as
//! `{}`, sparse arrays refused past a ratio of 2 over 10 elements, nesting up to 1000),
//! `cjson.null`, and its error texts, raised at the calling script's line as luaL_error
//! raises them.

use mlua::{LightUserData, Lua, MultiValue, Table, Value};

use crate::reply::format_g;

const MAX_DEPTH: usize = 1000;

/// `cjson.null`: the light userdata NULL, as lua-cjson's.
pub fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

fn number(out: &mut Vec<u8>, n: f64) -> Result<(), String> {
    if n.is_nan() || n.is_infinite() {
        return Err("Cannot serialise number: must not be NaN or Inf".into());
    }
    out.extend_from_slice(format_g(n, 14).as_bytes());
    Ok(())
}

fn string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            8 => out.extend_from_slice(b"\\b"),
            12 => out.extend_from_slice(b"\\f"),
            0..=31 | 127 => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// lua-cjson's `lua_array_length`: `Some(n)` for an array of `n` (holes allowed within
/// the sparse ratio), `None` for an object.
fn array_length(t: &Table) -> Result<Option<usize>, String> {
    let (mut max, mut items) = (0usize, 0usize);
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair.map_err(|e| e.to_string())?;
        let idx = match k {
            Value::Integer(i) if i >= 1 => i as usize,
            Value::Number(n) if n >= 1.0 && n.fract() == 0.0 => n as usize,
            _ => return Ok(None),
        };
        max = max.max(idx);
        items += 1;
    }
    if max > items * 2 && max > 10 {
        return Err("Cannot serialise table: excessively sparse array".into());
    }
    Ok(Some(max))
}

fn value(out: &mut Vec<u8>, v: &Value, depth: usize) -> Result<(), String> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(i) => number(out, *i as f64)?,
        Value::Number(n) => number(out, *n)?,
        Value::String(s) => string(out, &s.as_bytes()),
        Value::Table(t) => {
            let depth = depth + 1;
            if depth > MAX_DEPTH {
                return Err(format!("Cannot serialise, excessive nesting ({depth})"));
            }
            match array_length(t)? {
                Some(n) if n > 0 => {
                    out.push(b'[');
                    for i in 1..=n {
                        if i > 1 {
                            out.push(b',');
                        }
                        let item: Value = t.raw_get(i).map_err(|e| e.to_string())?;
                        value(out, &item, depth)?;
                    }
                    out.push(b']');
                }
                _ => {
                    out.push(b'{');
                    let mut first = true;
                    for pair in t.pairs::<Value, Value>() {
                        let (k, item) = pair.map_err(|e| e.to_string())?;
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        match &k {
                            Value::String(s) => string(out, &s.as_bytes()),
                            Value::Integer(i) => string(out, format_g(*i as f64, 14).as_bytes()),
                            Value::Number(n) => string(out, format_g(*n, 14).as_bytes()),
                            other => {
                                return Err(format!(
                                    "Cannot serialise {}: table key must be a number or string",
                                    type_name(other)
                                ))
                            }
                        }
                        out.push(b':');
                        value(out, &item, depth)?;
                    }
                    out.push(b'}');
                }
            }
        }
        other => return Err(format!("Cannot serialise {}: type not supported", type_name(other))),
    }
    Ok(())
}

/// The implementation behind `cjson.encode`: `(true, json)` or `(false, message)`.
pub fn encode(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    if args.len() != 1 {
        return fail(lua, "bad argument #1 to 'encode' (expected 1 argument)");
    }
    let mut out = Vec::new();
    match value(&mut out, &args[0], 0) {
        Ok(()) => Ok(MultiValue::from_iter([Value::Boolean(true), Value::String(lua.create_string(&out)?)])),
        Err(msg) => fail(lua, &msg),
    }
}

fn fail(lua: &Lua, msg: &str) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_iter([Value::Boolean(false), Value::String(lua.create_string(msg)?)]))
}

/// A JSON reader with lua-cjson's token names in its errors.
struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Colon,
    Comma,
    End,
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    Null,
    Invalid,
}

impl Tok {
    fn name(&self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Str(_) => "T_STRING",
            Tok::Num(_) => "T_NUMBER",
            Tok::Bool(_) => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Invalid => "invalid token",
        }
    }
}

impl Reader<'_> {
    /// The next token and the 1-based character it starts at.
    fn next(&mut self) -> (Tok, usize) {
        while self.s.get(self.i).is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
        let at = self.i + 1;
        let Some(&c) = self.s.get(self.i) else { return (Tok::End, at) };
        let one = |r: &mut Self, t: Tok| {
            r.i += 1;
            (t, at)
        };
        match c {
            b'{' => one(self, Tok::ObjBegin),
            b'}' => one(self, Tok::ObjEnd),
            b'[' => one(self, Tok::ArrBegin),
            b']' => one(self, Tok::ArrEnd),
            b':' => one(self, Tok::Colon),
            b',' => one(self, Tok::Comma),
            b'"' => (self.string(), at),
            b't' if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                (Tok::Bool(true), at)
            }
            b'f' if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                (Tok::Bool(false), at)
            }
            b'n' if self.s[self.i..].starts_with(b"null") => {
                self.i += 4;
                (Tok::Null, at)
            }
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E'))
                {
                    self.i += 1;
                }
                match std::str::from_utf8(&self.s[start..self.i]).ok().and_then(|t| t.parse::<f64>().ok()) {
                    Some(n) => (Tok::Num(n), at),
                    None => (Tok::Invalid, at),
                }
            }
            _ => (Tok::Invalid, at),
        }
    }

    fn string(&mut self) -> Tok {
        let mut out = Vec::new();
        self.i += 1;
        while let Some(&c) = self.s.get(self.i) {
            self.i += 1;
            match c {
                b'"' => return Tok::Str(out),
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else { return Tok::Invalid };
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let Some(cp) = self.hex4() else { return Tok::Invalid };
                            let cp = if (0xD800..0xDC00).contains(&cp) && self.s[self.i..].starts_with(b"\\u") {
                                self.i += 2;
                                let Some(lo) = self.hex4().filter(|lo| (0xDC00..0xE000).contains(lo)) else {
                                    return Tok::Invalid;
                                };
                                0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                cp
                            };
                            let Some(ch) = char::from_u32(cp) else { return Tok::Invalid };
                            out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                        }
                        _ => return Tok::Invalid,
                    }
                }
                _ => out.push(c),
            }
        }
        Tok::Invalid
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = std::str::from_utf8(self.s.get(self.i..self.i + 4)?).ok()?;
        let v = u32::from_str_radix(h, 16).ok()?;
        self.i += 4;
        Some(v)
    }
}

fn expected(what: &str, t: &Tok, at: usize) -> String {
    format!("Expected {what} but found {} at character {at}", t.name())
}

fn parse_value(lua: &Lua, r: &mut Reader<'_>, first: (Tok, usize), depth: usize) -> Result<Value, String> {
    let lua_err = |e: mlua::Error| e.to_string();
    Ok(match first.0 {
        Tok::Str(s) => Value::String(lua.create_string(&s).map_err(lua_err)?),
        Tok::Num(n) => Value::Number(n),
        Tok::Bool(b) => Value::Boolean(b),
        Tok::Null => null(),
        Tok::ArrBegin => {
            if depth + 1 > MAX_DEPTH {
                return Err(format!("Found too many nested data structures ({}) at character {}", depth + 1, first.1));
            }
            let t = lua.create_table().map_err(lua_err)?;
            let mut tok = r.next();
            if !matches!(tok.0, Tok::ArrEnd) {
                let mut i = 1;
                loop {
                    let v = parse_value(lua, r, tok, depth + 1)?;
                    t.raw_set(i, v).map_err(lua_err)?;
                    i += 1;
                    let sep = r.next();
                    match sep.0 {
                        Tok::Comma => tok = r.next(),
                        Tok::ArrEnd => break,
                        other => return Err(expected("comma or array end", &other, sep.1)),
                    }
                }
            }
            Value::Table(t)
        }
        Tok::ObjBegin => {
            if depth + 1 > MAX_DEPTH {
                return Err(format!("Found too many nested data structures ({}) at character {}", depth + 1, first.1));
            }
            let t = lua.create_table().map_err(lua_err)?;
            let mut tok = r.next();
            if !matches!(tok.0, Tok::ObjEnd) {
                loop {
                    let Tok::Str(k) = tok.0 else { return Err(expected("object key string", &tok.0, tok.1)) };
                    let colon = r.next();
                    if !matches!(colon.0, Tok::Colon) {
                        return Err(expected("colon", &colon.0, colon.1));
                    }
                    let next = r.next();
                    let v = parse_value(lua, r, next, depth + 1)?;
                    t.raw_set(lua.create_string(&k).map_err(lua_err)?, v).map_err(lua_err)?;
                    let sep = r.next();
                    match sep.0 {
                        Tok::Comma => tok = r.next(),
                        Tok::ObjEnd => break,
                        other => return Err(expected("comma or object end", &other, sep.1)),
                    }
                }
            }
            Value::Table(t)
        }
        other => return Err(expected("value", &other, first.1)),
    })
}

/// The implementation behind `cjson.decode`: `(true, value)` or `(false, message)`.
pub fn decode(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let s = match args.iter().collect::<Vec<_>>().as_slice() {
        [Value::String(s)] => s.as_bytes().to_vec(),
        [Value::Integer(i)] => i.to_string().into_bytes(),
        [Value::Number(n)] => format_g(*n, 14).into_bytes(),
        [other] => {
            return fail(lua, &format!("bad argument #1 to 'decode' (string expected, got {})", type_name(other)))
        }
        _ => return fail(lua, "bad argument #1 to 'decode' (expected 1 argument)"),
    };
    let mut r = Reader { s: &s, i: 0 };
    let first = r.next();
    let v = match parse_value(lua, &mut r, first, 0) {
        Ok(v) => v,
        Err(msg) => return fail(lua, &msg),
    };
    let end = r.next();
    if !matches!(end.0, Tok::End) {
        return fail(lua, &expected("the end", &end.0, end.1));
    }
    Ok(MultiValue::from_iter([Value::Boolean(true), v]))
}
