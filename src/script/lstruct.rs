//! The `struct` library Redis bundles (Roberto Ierusalimschy's lstruct), written here:
//! `pack(fmt, ...)`, `unpack(fmt, data [, pos])`, `size(fmt)`, with its format options
//! (`<` `>` `=` `!n` `x` `b` `B` `h` `H` `l` `L` `T` `i[n]` `I[n]` `c[n]` `s` `f` `d`),
//! alignment, and its error texts.

use mlua::{Lua, MultiValue, Value};

const MAX_INT_SIZE: usize = 32;
const NATIVE_ALIGN: usize = 8;

struct Fmt<'a> {
    f: &'a [u8],
    i: usize,
    little: bool,
    align: usize,
}

enum Opt {
    Int { size: usize, signed: bool },
    Float,
    Double,
    Pad,
    Chars(usize),
    Zstr,
}

fn digits(f: &mut Fmt<'_>, default: usize) -> usize {
    let start = f.i;
    while f.f.get(f.i).is_some_and(u8::is_ascii_digit) {
        f.i += 1;
    }
    std::str::from_utf8(&f.f[start..f.i]).ok().and_then(|d| d.parse().ok()).unwrap_or(default)
}

impl Fmt<'_> {
    /// The next option with its size, or `None` at the end.
    fn next(&mut self, fname: &str) -> Result<Option<(Opt, usize)>, String> {
        loop {
            let Some(&c) = self.f.get(self.i) else { return Ok(None) };
            self.i += 1;
            let int = |size, signed| Ok(Some((Opt::Int { size, signed }, size)));
            match c {
                b' ' => continue,
                b'<' => self.little = true,
                b'>' => self.little = false,
                b'=' => self.little = true,
                b'!' => self.align = digits(self, NATIVE_ALIGN),
                b'x' => return Ok(Some((Opt::Pad, 1))),
                b'b' => return int(1, true),
                b'B' => return int(1, false),
                b'h' => return int(2, true),
                b'H' => return int(2, false),
                b'l' => return int(8, true),
                b'L' | b'T' => return int(8, false),
                b'i' | b'I' => {
                    let n = digits(self, 4);
                    if n > MAX_INT_SIZE {
                        return Err(format!("!integral size {n} is larger than limit of {MAX_INT_SIZE}"));
                    }
                    return int(n, c == b'i');
                }
                b'f' => return Ok(Some((Opt::Float, 4))),
                b'd' => return Ok(Some((Opt::Double, 8))),
                b'c' => {
                    let n = digits(self, 1);
                    return Ok(Some((Opt::Chars(n), n)));
                }
                b's' => return Ok(Some((Opt::Zstr, 0))),
                other => {
                    return Err(format!("bad argument #1 to '{fname}' (invalid format option '{}')", other as char))
                }
            }
        }
    }

    /// Padding before an option of `size` at offset `len` (lstruct's `gettoalign`).
    fn padding(&self, opt: &Opt, size: usize, len: usize) -> Result<usize, String> {
        let mut a = size;
        if a <= 1 || matches!(opt, Opt::Chars(_) | Opt::Zstr) {
            return Ok(0);
        }
        if a > self.align {
            a = self.align;
        }
        if !a.is_power_of_two() {
            return Err("bad argument #1 to 'pack' (format asks for alignment not power of 2)".into());
        }
        Ok((a - (len & (a - 1))) & (a - 1))
    }
}

fn fail(lua: &Lua, msg: &str) -> mlua::Result<MultiValue> {
    // A leading `!` marks luaL_error's messages (no "bad argument" wrapper): same text here.
    let msg = msg.strip_prefix('!').unwrap_or(msg);
    Ok(MultiValue::from_iter([Value::Boolean(false), Value::String(lua.create_string(msg)?)]))
}

fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None | Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Integer(_) | Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        _ => "userdata",
    }
}

fn number_arg(lua: &Lua, v: Option<&Value>, n: usize) -> Result<f64, String> {
    match v {
        Some(Value::Integer(i)) => Ok(*i as f64),
        Some(Value::Number(x)) => Ok(*x),
        Some(Value::String(s)) => match lua.coerce_number(Value::String(s.clone())) {
            Ok(Some(x)) => Ok(x),
            _ => Err(format!("bad argument #{n} to 'pack' (number expected, got string)")),
        },
        other => Err(format!("bad argument #{n} to 'pack' (number expected, got {})", type_name(other))),
    }
}

/// The implementation behind `struct.pack`.
pub fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let args: Vec<Value> = args.into_iter().collect();
    let Some(Value::String(fmt)) = args.first() else {
        return fail(lua, "bad argument #1 to 'pack' (string expected)");
    };
    let fmt = fmt.as_bytes().to_vec();
    let mut f = Fmt { f: &fmt, i: 0, little: true, align: 1 };
    let mut out: Vec<u8> = Vec::new();
    let mut arg = 1;
    loop {
        let (opt, size) = match f.next("pack") {
            Ok(Some(o)) => o,
            Ok(None) => break,
            Err(e) => return fail(lua, &e),
        };
        let pad = match f.padding(&opt, size, out.len()) {
            Ok(p) => p,
            Err(e) => return fail(lua, &e),
        };
        out.resize(out.len() + pad, 0);
        match opt {
            Opt::Pad => out.push(0),
            Opt::Int { size, .. } => {
                let n = match number_arg(lua, args.get(arg), arg + 1) {
                    Ok(n) => n,
                    Err(e) => return fail(lua, &e),
                };
                arg += 1;
                let mut v: u64 = if n < 0.0 { n as i64 as u64 } else { n as u64 };
                let mut bytes = Vec::with_capacity(size);
                for _ in 0..size {
                    bytes.push((v & 0xff) as u8);
                    v = v.checked_shr(8).unwrap_or(0);
                }
                if !f.little {
                    bytes.reverse();
                }
                out.extend(bytes);
            }
            Opt::Float | Opt::Double => {
                let n = match number_arg(lua, args.get(arg), arg + 1) {
                    Ok(n) => n,
                    Err(e) => return fail(lua, &e),
                };
                arg += 1;
                let mut b = if matches!(opt, Opt::Float) {
                    (n as f32).to_le_bytes().to_vec()
                } else {
                    n.to_le_bytes().to_vec()
                };
                if !f.little {
                    b.reverse();
                }
                out.extend(b);
            }
            Opt::Chars(_) | Opt::Zstr if !matches!(args.get(arg), Some(Value::String(_))) => {
                let got = type_name(args.get(arg));
                return fail(lua, &format!("bad argument #{} to 'pack' (string expected, got {got})", arg + 1));
            }
            Opt::Chars(n) => {
                let Some(Value::String(s)) = args.get(arg) else { unreachable!() };
                let s = s.as_bytes().to_vec();
                arg += 1;
                let n = if n == 0 { s.len() } else { n };
                if s.len() < n {
                    // lstruct names the argument after the string (it has moved on).
                    return fail(lua, &format!("bad argument #{} to 'pack' (string too short)", arg + 1));
                }
                out.extend_from_slice(&s[..n]);
            }
            Opt::Zstr => {
                let Some(Value::String(s)) = args.get(arg) else { unreachable!() };
                let s = s.as_bytes().to_vec();
                arg += 1;
                out.extend_from_slice(&s);
                out.push(0);
            }
        }
    }
    Ok(MultiValue::from_iter([Value::Boolean(true), Value::String(lua.create_string(&out)?)]))
}

/// The implementation behind `struct.unpack`: the values, then the position after them.
pub fn unpack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let args: Vec<Value> = args.into_iter().collect();
    let (Some(Value::String(fmt)), Some(Value::String(data))) = (args.first(), args.get(1)) else {
        return fail(lua, "bad argument #2 to 'unpack' (string expected)");
    };
    let (fmt, data) = (fmt.as_bytes().to_vec(), data.as_bytes().to_vec());
    let mut pos = match args.get(2) {
        Some(Value::Integer(i)) => (*i - 1).max(0) as usize,
        Some(Value::Number(x)) => ((*x as i64) - 1).max(0) as usize,
        _ => 0,
    };
    let mut f = Fmt { f: &fmt, i: 0, little: true, align: 1 };
    let mut out = vec![Value::Boolean(true)];
    let short = "bad argument #2 to 'unpack' (data string too short)";
    loop {
        let (opt, size) = match f.next("unpack") {
            Ok(Some(o)) => o,
            Ok(None) => break,
            Err(e) => return fail(lua, &e.replace("'pack'", "'unpack'")),
        };
        pos += match f.padding(&opt, size, pos) {
            Ok(p) => p,
            Err(e) => return fail(lua, &e.replace("'pack'", "'unpack'")),
        };
        let need = match opt {
            Opt::Zstr => 0,
            Opt::Chars(0) => match out.pop() {
                Some(Value::Number(n)) => n as usize,
                _ => return fail(lua, "bad argument #2 to 'unpack' (format 'c0' needs a previous size)"),
            },
            _ => size,
        };
        if pos + need > data.len() {
            return fail(lua, short);
        }
        match opt {
            Opt::Pad => {}
            Opt::Int { size, signed } => {
                let mut b = data[pos..pos + size].to_vec();
                if !f.little {
                    b.reverse();
                }
                let mut v: u64 = 0;
                for (k, byte) in b.iter().enumerate().take(8) {
                    v |= u64::from(*byte) << (8 * k);
                }
                let n = if signed && size < 8 {
                    let mask = 1u64 << (size * 8 - 1);
                    ((v ^ mask).wrapping_sub(mask)) as i64 as f64
                } else if signed {
                    v as i64 as f64
                } else {
                    v as f64
                };
                out.push(Value::Number(n));
            }
            Opt::Float | Opt::Double => {
                let mut b = data[pos..pos + size].to_vec();
                if !f.little {
                    b.reverse();
                }
                let n = if matches!(opt, Opt::Float) {
                    f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                } else {
                    f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
                };
                out.push(Value::Number(n));
            }
            Opt::Chars(_) => out.push(Value::String(lua.create_string(&data[pos..pos + need])?)),
            Opt::Zstr => {
                let end = data[pos..].iter().position(|&c| c == 0).map_or(data.len(), |i| pos + i);
                out.push(Value::String(lua.create_string(&data[pos..end])?));
                pos = end + 1 - need;
            }
        }
        pos += need;
    }
    out.push(Value::Number((pos + 1) as f64));
    Ok(MultiValue::from_iter(out))
}

/// The implementation behind `struct.size`.
pub fn size(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let Some(Value::String(fmt)) = args.into_iter().next() else {
        return fail(lua, "bad argument #1 to 'size' (string expected)");
    };
    let fmt = fmt.as_bytes().to_vec();
    let mut f = Fmt { f: &fmt, i: 0, little: true, align: 1 };
    let mut total = 0;
    loop {
        match f.next("size") {
            Ok(Some((opt, size))) => {
                if matches!(opt, Opt::Zstr) {
                    return fail(lua, "bad argument #1 to 'size' (options 'c0' - 's' have undefined sizes)");
                }
                total += f.padding(&opt, size, total).unwrap_or(0) + size;
            }
            Ok(None) => break,
            Err(e) => return fail(lua, &e),
        }
    }
    Ok(MultiValue::from_iter([Value::Boolean(true), Value::Number(total as f64)]))
}
