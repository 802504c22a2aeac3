//! `cjson.encode`: Lua values to JSON as lua-cjson writes them (numbers with the configured
//! precision, `/` escaped, empty tables as `{}`, sparse arrays per the sparse settings).

use mlua::{Function, Lua, MultiValue, Table, Value};

use super::{Config, Lib, MAX_CSTACK};
use crate::reply::format_g;
use crate::script::args::{self, type_name, Held};

fn number(out: &mut Vec<u8>, n: f64, cfg: &Config, what: &Value) -> Result<(), String> {
    let text = match cfg.encode_invalid {
        _ if n.is_finite() => format_g(n, cfg.precision as usize),
        0 => return Err(format!("Cannot serialise {}: must not be NaN or Inf", type_name(Some(what)))),
        1 if n.is_nan() => "nan".into(),
        1 => format_g(n, cfg.precision as usize),
        _ => "null".into(),
    };
    out.extend_from_slice(text.as_bytes());
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

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// lua-cjson's `lua_array_length`: `Some(n)` for an array of `n` (holes allowed within
/// the sparse settings), `None` for an object.
fn array_length(t: &Table, cfg: &Config) -> Result<Option<usize>, String> {
    let (mut max, mut items) = (0usize, 0usize);
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair.map_err(|e| e.to_string())?;
        match as_number(&k) {
            Some(n) if n >= 1.0 && n.fract() == 0.0 => max = max.max(n as usize),
            _ => return Ok(None),
        }
        items += 1;
    }
    let ratio = cfg.sparse_ratio as usize;
    if ratio > 0 && max > items.saturating_mul(ratio) && max > cfg.sparse_safe as usize {
        if !cfg.sparse_convert {
            return Err("Cannot serialise table: excessively sparse array".into());
        }
        return Ok(None);
    }
    Ok(Some(max))
}

/// A table being written; the table itself (and an object's current key) is held in a
/// Lua table, not as a reference (see `args::Held`).
enum Open {
    Array { len: usize, next: usize },
    Object { first: bool },
}

/// Writes `v`, walking nested tables with a stack of its own rather than recursion.
fn value(lua: &Lua, out: &mut Vec<u8>, v: Value, cfg: &Config, next: &Function) -> Result<(), String> {
    let lua_err = |e: mlua::Error| e.to_string();
    let mut open: Vec<Open> = Vec::new();
    // The open tables but the innermost, each with its current key.
    let mut held = Held::new(lua).map_err(lua_err)?;
    let mut top: Option<(Table, Value)> = None;
    // Lua stack slots in use where lua-cjson checks a table's level: the argument, and one
    // per enclosing array (its element) or two per enclosing object (key and value).
    let mut slots = 1usize;
    let mut pending = Some(v);
    loop {
        // A table met many times over (`t = {t, t}` nested) writes without end otherwise.
        if out.len() > args::MAX_OUTPUT {
            return Err("not enough memory".into());
        }
        if let Some(v) = pending.take() {
            match v {
                Value::Table(t) => {
                    let depth = open.len() + 1;
                    if depth > cfg.encode_max_depth as usize || slots + 3 > MAX_CSTACK {
                        return Err(format!("Cannot serialise, excessive nesting ({depth})"));
                    }
                    let kind = match array_length(&t, cfg)? {
                        Some(len) if len > 0 => {
                            out.push(b'[');
                            slots += 1;
                            Open::Array { len, next: 1 }
                        }
                        _ => {
                            out.push(b'{');
                            slots += 2;
                            Open::Object { first: true }
                        }
                    };
                    if let Some((parent, key)) = top.replace((t, Value::Nil)) {
                        held.push(Value::Table(parent)).map_err(lua_err)?;
                        held.push(key).map_err(lua_err)?;
                    }
                    open.push(kind);
                }
                Value::Nil => out.extend_from_slice(b"null"),
                Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
                Value::Boolean(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
                Value::String(s) => string(out, &s.as_bytes()),
                ref n @ (Value::Integer(_) | Value::Number(_)) => number(out, as_number(n).unwrap_or(0.0), cfg, n)?,
                other => return Err(format!("Cannot serialise {}: type not supported", type_name(Some(&other)))),
            }
        }
        let (Some(kind), Some((t, key))) = (open.last_mut(), top.as_mut()) else { return Ok(()) };
        let more = match kind {
            Open::Array { len, next } => {
                if *next <= *len {
                    if *next > 1 {
                        out.push(b',');
                    }
                    pending = Some(t.raw_get(*next).map_err(lua_err)?);
                    *next += 1;
                }
                pending.is_some()
            }
            Open::Object { first } => {
                let (k, item): (Value, Value) = next.call((t.clone(), key.clone())).map_err(lua_err)?;
                if !matches!(k, Value::Nil) {
                    if !*first {
                        out.push(b',');
                    }
                    *first = false;
                    match &k {
                        Value::String(s) => string(out, &s.as_bytes()),
                        n @ (Value::Integer(_) | Value::Number(_)) => {
                            out.push(b'"');
                            number(out, as_number(n).unwrap_or(0.0), cfg, n)?;
                            out.push(b'"');
                        }
                        other => {
                            return Err(format!(
                                "Cannot serialise {}: table key must be a number or string",
                                type_name(Some(other))
                            ))
                        }
                    }
                    out.push(b':');
                    *key = k;
                    pending = Some(item);
                }
                pending.is_some()
            }
        };
        if !more {
            out.push(if matches!(kind, Open::Array { .. }) { b']' } else { b'}' });
            slots -= if matches!(kind, Open::Array { .. }) { 1 } else { 2 };
            open.pop();
            top = None;
            if !open.is_empty() {
                let key = held.pop().map_err(lua_err)?;
                let Value::Table(parent) = held.pop().map_err(lua_err)? else { return Err("lost a table".into()) };
                top = Some((parent, key));
            }
        }
    }
}

/// `cjson.encode(value)`.
pub fn encode(lua: &Lua, lib: &Lib, a: &[Value]) -> mlua::Result<MultiValue> {
    if a.len() != 1 {
        return args::fail(lua, &args::bad(1, "encode", "expected 1 argument"));
    }
    let cfg = *lib.cfg.lock();
    let mut out = Vec::new();
    match value(lua, &mut out, a[0].clone(), &cfg, &lib.next) {
        Ok(()) => args::ok([Value::String(lua.create_string(&out)?)]),
        Err(msg) => args::fail(lua, &msg),
    }
}
