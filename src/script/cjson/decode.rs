//! `cjson.decode`: JSON to Lua values as lua-cjson reads them. The input is a C string (a
//! NUL ends it), numbers are read as C's `strtod` reads them (so `0x10`, `inf`, `nan` and
//! leading zeros pass while `decode_invalid_numbers` is on), and errors name lua-cjson's
//! tokens and 1-based character positions.

use mlua::{Lua, MultiValue, Table, Value};

use super::{null, Config, Lib, MAX_CSTACK};
use crate::script::args::{self, Held};

/// A token, or the error lua-cjson's tokenizer sets (`invalid token`, ...).
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
    Error(&'static str),
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
            Tok::Error(what) => what,
        }
    }
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
    decode_invalid: bool,
}

/// lua-cjson's `json_is_invalid_number`: numbers `strtod` reads that JSON does not allow.
fn invalid_number(s: &[u8]) -> bool {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = 0;
    match at(0) {
        b'+' => return true,
        b'-' => i = 1,
        _ => {}
    }
    let c = at(i);
    if c == b'0' {
        let next = at(i + 1);
        return next | 0x20 == b'x' || next.is_ascii_digit();
    }
    if c <= b'9' {
        return false;
    }
    let rest = &s[i.min(s.len())..];
    rest.len() >= 3 && (rest[..3].eq_ignore_ascii_case(b"inf") || rest[..3].eq_ignore_ascii_case(b"nan"))
}

impl Reader<'_> {
    fn at(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(0)
    }

    /// The next token and the 1-based character of its start (of the error, for one).
    fn next(&mut self) -> (Tok, usize) {
        while matches!(self.at(self.i), b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
        let at = self.i + 1;
        let c = self.at(self.i);
        let single = match c {
            0 => return (Tok::End, at),
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b':' => Some(Tok::Colon),
            b',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(t) = single {
            self.i += 1;
            return (t, at);
        }
        let rest = &self.s[self.i..];
        if c == b'"' {
            return self.string(at);
        }
        if c == b'-' || c.is_ascii_digit() {
            if !self.decode_invalid && invalid_number(rest) {
                return (Tok::Error("invalid number"), at);
            }
            return self.number(at);
        }
        for (word, t) in [(&b"true"[..], Tok::Bool(true)), (b"false", Tok::Bool(false)), (b"null", Tok::Null)] {
            if matches!(c, b't' | b'f' | b'n') && rest.starts_with(word) {
                self.i += word.len();
                return (t, at);
            }
        }
        if matches!(c, b'i' | b'I' | b'n' | b'N' | b'+') && self.decode_invalid && invalid_number(rest) {
            return self.number(at);
        }
        (Tok::Error("invalid token"), at)
    }

    fn number(&mut self, at: usize) -> (Tok, usize) {
        match crate::spec::grammar::strtod(&self.s[self.i..]) {
            Some((x, n)) => {
                self.i += n;
                (Tok::Num(x), at)
            }
            None => (Tok::Error("invalid number"), at),
        }
    }

    fn hex4(&self, i: usize) -> Option<u32> {
        let h = self.s.get(i..i + 4)?;
        h.iter().try_fold(0u32, |acc, &c| Some(acc * 16 + (c as char).to_digit(16)?))
    }

    /// A string token; an error's position is the backslash of a bad escape or the end.
    fn string(&mut self, at: usize) -> (Tok, usize) {
        let mut out = Vec::new();
        self.i += 1;
        loop {
            let c = self.at(self.i);
            match c {
                b'"' => {
                    self.i += 1;
                    return (Tok::Str(out), at);
                }
                0 => return (Tok::Error("unexpected end of string"), self.i + 1),
                b'\\' => {
                    let plain = match self.at(self.i + 1) {
                        e @ (b'"' | b'\\' | b'/') => e,
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => match self.unicode() {
                            Some((ch, len)) => {
                                out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                                self.i += len;
                                continue;
                            }
                            None => return (Tok::Error("invalid unicode escape code"), self.i + 1),
                        },
                        _ => return (Tok::Error("invalid escape code"), self.i + 1),
                    };
                    out.push(plain);
                    self.i += 2;
                }
                _ => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// `\uXXXX` (a surrogate pair: two of them) at the reader: the character and its length.
    fn unicode(&self) -> Option<(char, usize)> {
        let hi = self.hex4(self.i + 2)?;
        if hi & 0xF800 != 0xD800 {
            return Some((char::from_u32(hi)?, 6));
        }
        if hi & 0x400 != 0 || self.at(self.i + 6) != b'\\' || self.at(self.i + 7) != b'u' {
            return None;
        }
        let lo = self.hex4(self.i + 8).filter(|lo| lo & 0xFC00 == 0xDC00)?;
        Some((char::from_u32((((hi & 0x3FF) << 10) | (lo & 0x3FF)) + 0x10000)?, 12))
    }
}

fn expected(what: &str, t: &(Tok, usize)) -> String {
    format!("Expected {what} but found {} at character {}", t.0.name(), t.1)
}

/// A table being read: an array and its next index, or an object and its key. The table
/// itself is held in a Lua table, not as a reference (see `args::Held`).
enum Open {
    Array(i64),
    Object(Vec<u8>),
}

/// After `{` and its first token, or after a comma in an object: a key and its colon.
fn object_key(r: &mut Reader<'_>, tok: (Tok, usize)) -> Result<Vec<u8>, String> {
    let Tok::Str(k) = tok.0 else { return Err(expected("object key string", &tok)) };
    let colon = r.next();
    if !matches!(colon.0, Tok::Colon) {
        return Err(expected("colon", &colon));
    }
    Ok(k)
}

/// Reads one value, nested tables on a stack of its own rather than by recursion.
fn read(lua: &Lua, r: &mut Reader<'_>, cfg: &Config) -> Result<Value, String> {
    let lua_err = |e: mlua::Error| e.to_string();
    let mut open: Vec<Open> = Vec::new();
    // The open tables but the innermost.
    let mut held = Held::new(lua).map_err(lua_err)?;
    let mut top: Option<Table> = None;
    // Lua stack slots in use: the argument, one per open array and two per open object.
    let mut slots = 1usize;
    let mut tok = r.next();
    loop {
        let mut v = match tok.0 {
            Tok::Str(ref s) => Value::String(lua.create_string(s).map_err(lua_err)?),
            Tok::Num(n) => Value::Number(n),
            Tok::Bool(b) => Value::Boolean(b),
            Tok::Null => null(),
            Tok::ArrBegin | Tok::ObjBegin => {
                let array = matches!(tok.0, Tok::ArrBegin);
                let depth = open.len() + 1;
                if depth > cfg.decode_max_depth as usize || slots + if array { 2 } else { 3 } > MAX_CSTACK {
                    return Err(format!("Found too many nested data structures ({depth}) at character {}", r.i));
                }
                let t = lua.create_table().map_err(lua_err)?;
                let first = r.next();
                match (array, &first.0) {
                    (true, Tok::ArrEnd) | (false, Tok::ObjEnd) => Value::Table(t),
                    (true, _) => {
                        open.push(Open::Array(1));
                        slots += 1;
                        tok = first;
                        if let Some(parent) = top.replace(t) {
                            held.push(Value::Table(parent)).map_err(lua_err)?;
                        }
                        continue;
                    }
                    (false, _) => {
                        open.push(Open::Object(object_key(r, first)?));
                        slots += 2;
                        tok = r.next();
                        if let Some(parent) = top.replace(t) {
                            held.push(Value::Table(parent)).map_err(lua_err)?;
                        }
                        continue;
                    }
                }
            }
            _ => return Err(expected("value", &tok)),
        };
        // Store the value in its table; close the tables that end after it.
        loop {
            let (Some(kind), Some(t)) = (open.last_mut(), top.as_ref()) else { return Ok(v) };
            let sep = r.next();
            let (end, what) = match kind {
                Open::Array(i) => {
                    t.raw_set(*i, v).map_err(lua_err)?;
                    *i += 1;
                    (Tok::ArrEnd, "comma or array end")
                }
                Open::Object(k) => {
                    t.raw_set(lua.create_string(&*k).map_err(lua_err)?, v).map_err(lua_err)?;
                    (Tok::ObjEnd, "comma or object end")
                }
            };
            match (&sep.0, &end) {
                (Tok::Comma, _) => {
                    if let Open::Object(k) = kind {
                        let next = r.next();
                        *k = object_key(r, next)?;
                    }
                    tok = r.next();
                    break;
                }
                (Tok::ArrEnd, Tok::ArrEnd) | (Tok::ObjEnd, Tok::ObjEnd) => {}
                _ => return Err(expected(what, &sep)),
            }
            slots -= if matches!(kind, Open::Array(_)) { 1 } else { 2 };
            open.pop();
            let closed = top.take().map(Value::Table).unwrap_or(Value::Nil);
            if !open.is_empty() {
                let Value::Table(parent) = held.pop().map_err(lua_err)? else { return Err("lost a table".into()) };
                top = Some(parent);
            }
            v = closed;
        }
    }
}

/// `cjson.decode(text)`.
pub fn decode(lua: &Lua, lib: &Lib, a: &[Value]) -> mlua::Result<MultiValue> {
    if a.len() != 1 {
        return args::fail(lua, &args::bad(1, "decode", "expected 1 argument"));
    }
    let cfg = *lib.cfg.lock();
    let s = match args::string(a, 1, "decode") {
        Ok(s) => s,
        Err(msg) => return args::fail(lua, &msg),
    };
    if s.len() >= 2 && (s[0] == 0 || s[1] == 0) {
        return args::fail(lua, "JSON parser does not support UTF-16 or UTF-32");
    }
    let text = &s[..s.iter().position(|&c| c == 0).unwrap_or(s.len())];
    let mut r = Reader { s: text, i: 0, decode_invalid: cfg.decode_invalid };
    let v = match read(lua, &mut r, &cfg) {
        Ok(v) => v,
        Err(msg) => return args::fail(lua, &msg),
    };
    let end = r.next();
    if !matches!(end.0, Tok::End) {
        return args::fail(lua, &expected("the end", &end));
    }
    args::ok([v])
}
