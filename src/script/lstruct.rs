//! The `struct` library Redis bundles (Roberto Ierusalimschy's lstruct, as Redis 7.0 ships
//! it), written here: `pack(fmt, ...)`, `unpack(fmt, data [, pos])` and `size(fmt)`, with
//! its options (`>` `<` `!n` `x` `b` `B` `h` `H` `l` `L` `T` `i[n]` `I[n]` `c[n]` `s` `f`
//! `d`, spaces ignored), its alignment rule, its errors, and its C-isms: the format ends at
//! a NUL, `size` skips letters it does not know, integers wider than 8 bytes keep only 8.

use mlua::{Lua, MultiValue, Value};

use super::args::{self, bad, Held};

const MAX_INT_SIZE: usize = 32;
/// The largest alignment `!` asks for by default (a double's, on x86-64).
const MAX_ALIGN: usize = 8;
/// Lua's C stack limit (`LUAI_MAXCSTACK`), in slots.
const MAX_CSTACK: usize = 8000;

/// lstruct's `Header`, and where it is in the format.
struct Fmt<'a> {
    f: &'a [u8],
    i: usize,
    big: bool,
    align: usize,
}

impl<'a> Fmt<'a> {
    fn new(f: &'a [u8]) -> Fmt<'a> {
        // A C string: the format ends at its first NUL.
        let f = &f[..f.iter().position(|&c| c == 0).unwrap_or(f.len())];
        Fmt { f, i: 0, big: false, align: 1 }
    }

    /// The next option letter.
    fn next(&mut self) -> Option<u8> {
        let c = *self.f.get(self.i)?;
        self.i += 1;
        Some(c)
    }

    /// lstruct's `getnum`: a number after an option, or `default`.
    fn number(&mut self, default: usize) -> Result<usize, String> {
        if !self.f.get(self.i).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut a: i32 = 0;
        while let Some(&c) = self.f.get(self.i).filter(|c| c.is_ascii_digit()) {
            let d = i32::from(c - b'0');
            if a > i32::MAX / 10 || a * 10 > i32::MAX - d {
                return Err("integral size overflow".into());
            }
            a = a * 10 + d;
            self.i += 1;
        }
        Ok(a as usize)
    }

    /// lstruct's `optsize`: the size of option `opt` (0 for the controls).
    fn size(&mut self, opt: u8) -> Result<usize, String> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.number(1)?,
            b'i' | b'I' => {
                let n = self.number(4)?;
                if n > MAX_INT_SIZE {
                    return Err(format!("integral size {n} is larger than limit of {MAX_INT_SIZE}"));
                }
                n
            }
            _ => 0,
        })
    }

    /// lstruct's `gettoalign`: padding before an option of `size` at `len`.
    fn padding(&self, len: usize, opt: u8, size: usize) -> usize {
        if size == 0 || opt == b'c' {
            return 0;
        }
        let size = size.min(self.align);
        (size.wrapping_sub(len & (size - 1))) & (size - 1)
    }

    /// lstruct's `controloptions`; `name` is the function for the invalid option's error.
    fn control(&mut self, opt: u8, name: &str) -> Result<(), String> {
        match opt {
            b' ' => {}
            b'>' => self.big = true,
            b'<' => self.big = false,
            b'!' => {
                let a = self.number(MAX_ALIGN)?;
                if !a.is_power_of_two() {
                    return Err(format!("alignment {a} is not a power of 2"));
                }
                self.align = a;
            }
            _ => return Err(bad(1, name, &format!("invalid format option '{}'", opt as char))),
        }
        Ok(())
    }
}

fn answer(lua: &Lua, r: Result<Vec<Value>, String>) -> mlua::Result<MultiValue> {
    match r {
        Ok(values) => args::ok(values),
        Err(msg) => args::fail(lua, &msg),
    }
}

/// `struct.pack(fmt, ...)`.
pub fn pack(lua: &Lua, a: MultiValue) -> mlua::Result<MultiValue> {
    let mut a: Vec<Value> = a.into_iter().collect();
    let r = (|| {
        let fmt = args::string(&a, 1, "pack")?;
        // lstruct then pushes a nil after its arguments: one missing reads as nil.
        a.push(Value::Nil);
        let mut f = Fmt::new(&fmt);
        let mut out: Vec<u8> = Vec::new();
        let mut arg = 2;
        while let Some(opt) = f.next() {
            let size = f.size(opt)?;
            out.resize(out.len() + f.padding(out.len(), opt, size), 0);
            match opt {
                b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                    let n = args::number(lua, &a, arg, "pack")?;
                    arg += 1;
                    let mut v = to_unsigned(n);
                    let mut bytes: Vec<u8> = (0..size)
                        .map(|_| {
                            let b = v as u8;
                            v = v.checked_shr(8).unwrap_or(0);
                            b
                        })
                        .collect();
                    if f.big {
                        bytes.reverse();
                    }
                    out.extend(bytes);
                }
                b'x' => out.push(0),
                b'f' | b'd' => {
                    let n = args::number(lua, &a, arg, "pack")?;
                    arg += 1;
                    let mut b = if opt == b'f' { (n as f32).to_le_bytes().to_vec() } else { n.to_le_bytes().to_vec() };
                    if f.big {
                        b.reverse();
                    }
                    out.extend(b);
                }
                b'c' | b's' => {
                    let s = args::string(&a, arg, "pack")?;
                    arg += 1;
                    let n = if size == 0 { s.len() } else { size };
                    if s.len() < n {
                        // lstruct names the argument after the string (it has moved on).
                        return Err(bad(arg, "pack", "string too short"));
                    }
                    out.extend_from_slice(&s[..n]);
                    if opt == b's' {
                        out.push(0);
                    }
                }
                _ => f.control(opt, "pack")?,
            }
        }
        Ok(vec![Value::String(lua.create_string(&out).map_err(|e| e.to_string())?)])
    })();
    answer(lua, r)
}

/// lstruct's conversion of a number to its unsigned integer: negative ones through the
/// signed type, and the others as x86-64's C does it (past 2^64 that is 0, not the maximum).
fn to_unsigned(n: f64) -> u64 {
    const HALF: f64 = 9_223_372_036_854_775_808.0;
    if n < 0.0 {
        args::truncate(n) as u64
    } else if n < HALF {
        n as u64
    } else {
        (args::truncate(n - HALF) as u64) ^ (1 << 63)
    }
}

/// lstruct's `getinteger`: `size` bytes as a number (of which the last 8 count).
fn integer(b: &[u8], big: bool, signed: bool) -> f64 {
    let mut l: u64 = 0;
    let mut push = |byte: u8| l = (l << 8) | u64::from(byte);
    if big {
        b.iter().for_each(|&x| push(x));
    } else {
        b.iter().rev().for_each(|&x| push(x));
    }
    if !signed {
        return l as f64;
    }
    // The sign extension's shift is C's, which x86 takes modulo 64.
    let mask = u64::MAX << ((b.len() * 8).wrapping_sub(1) % 64);
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

/// `struct.unpack(fmt, data [, pos])`: the values, then the position after them.
pub fn unpack(lua: &Lua, a: MultiValue) -> mlua::Result<MultiValue> {
    let a: Vec<Value> = a.into_iter().collect();
    let nargs = a.len();
    let name = "unpack";
    let r = (|| {
        let e = |e: mlua::Error| e.to_string();
        let fmt = args::string(&a, 1, name)?;
        let data = args::string(&a, 2, name)?;
        let ld = data.len();
        let mut pos = args::opt_integer(lua, &a, 3, name, 1)? as usize;
        if pos == 0 {
            return Err(bad(3, name, "offset must be 1 or greater"));
        }
        pos -= 1;
        let mut f = Fmt::new(&fmt);
        let mut out = Held::new(lua).map_err(e)?;
        let short = || bad(2, name, "data string too short");
        while let Some(opt) = f.next() {
            let mut size = f.size(opt)?;
            pos = pos.wrapping_add(f.padding(pos, opt, size));
            if size > ld || pos > ld - size {
                return Err(short());
            }
            if nargs.max(1) + out.len() + 2 > MAX_CSTACK {
                return Err("stack overflow (too many results)".into());
            }
            match opt {
                b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                    let v = integer(&data[pos..pos + size], f.big, opt.is_ascii_lowercase());
                    out.push(Value::Number(v)).map_err(e)?;
                }
                b'x' => {}
                b'f' | b'd' => {
                    let mut b = data[pos..pos + size].to_vec();
                    if f.big {
                        b.reverse();
                    }
                    let v = match *b.as_slice() {
                        [b0, b1, b2, b3] => f64::from(f32::from_le_bytes([b0, b1, b2, b3])),
                        [b0, b1, b2, b3, b4, b5, b6, b7] => f64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]),
                        _ => 0.0,
                    };
                    out.push(Value::Number(v)).map_err(e)?;
                }
                b'c' => {
                    if size == 0 {
                        let previous = if out.len() == 0 { None } else { Some(out.pop().map_err(e)?) };
                        let n = match previous {
                            Some(v @ (Value::Number(_) | Value::Integer(_) | Value::String(_))) => {
                                lua.coerce_number(v).ok().flatten()
                            }
                            _ => None,
                        };
                        let Some(n) = n else { return Err("format 'c0' needs a previous size".into()) };
                        size = args::truncate(n) as usize;
                        if size > ld || pos > ld - size {
                            return Err(short());
                        }
                    }
                    out.push(Value::String(lua.create_string(&data[pos..pos + size]).map_err(e)?)).map_err(e)?;
                }
                b's' => {
                    let Some(len) = data[pos..].iter().position(|&c| c == 0) else {
                        return Err("unfinished string in data".into());
                    };
                    out.push(Value::String(lua.create_string(&data[pos..pos + len]).map_err(e)?)).map_err(e)?;
                    size = len + 1;
                }
                _ => f.control(opt, name)?,
            }
            pos = pos.wrapping_add(size);
        }
        out.push(Value::Integer(pos.wrapping_add(1) as i64)).map_err(e)?;
        Ok(out)
    })();
    match r {
        Ok(values) => values.spread(),
        Err(msg) => args::fail(lua, &msg),
    }
}

/// `struct.size(fmt)`.
pub fn size(lua: &Lua, a: MultiValue) -> mlua::Result<MultiValue> {
    let a: Vec<Value> = a.into_iter().collect();
    let r = (|| {
        let fmt = args::string(&a, 1, "size")?;
        let mut f = Fmt::new(&fmt);
        let mut pos = 0usize;
        while let Some(opt) = f.next() {
            let size = f.size(opt)?;
            pos += f.padding(pos, opt, size);
            if opt == b's' {
                return Err(bad(1, "size", "option 's' has no fixed size"));
            }
            if opt == b'c' && size == 0 {
                return Err(bad(1, "size", "option 'c0' has no fixed size"));
            }
            if !opt.is_ascii_alphanumeric() {
                f.control(opt, "size")?;
            }
            pos += size;
        }
        Ok(vec![Value::Integer(pos as i64)])
    })();
    answer(lua, r)
}
