//! The `cjson` library Redis bundles (lua-cjson 2.1.0), written here: `encode`, `decode`,
//! `null`, `new` and the configuration functions (`encode_sparse_array`,
//! `encode_max_depth`, `decode_max_depth`, `encode_number_precision`, `encode_keep_buffer`,
//! `encode_invalid_numbers`, `decode_invalid_numbers`), with lua-cjson's defaults and error
//! texts. A library table keeps its configuration for the life of the Lua state, as the C
//! library's upvalue does; `cjson.new()` makes another with its own.
//!
//! Nesting is bounded by the configured depths and, past them, by Lua's C stack
//! (`LUAI_MAXCSTACK`, 8000 slots), which lua-cjson checks at each level: an array level
//! takes one slot and an object level two, so the same input fails at the same depth.

mod decode;
mod encode;

use std::sync::Arc;

use mlua::{Function, LightUserData, Lua, MultiValue, Table, Value};
use parking_lot::Mutex;

use super::args::{self, bad};

/// Lua's C stack limit (`LUAI_MAXCSTACK`), in slots.
const MAX_CSTACK: usize = 8000;

/// A library table's settings (lua-cjson's `json_config_t`).
#[derive(Clone, Copy)]
pub struct Config {
    sparse_convert: bool,
    sparse_ratio: i32,
    sparse_safe: i32,
    encode_max_depth: i32,
    decode_max_depth: i32,
    precision: i32,
    keep_buffer: bool,
    /// 0 off (an error), 1 on (`inf`, `nan`), 2 null.
    encode_invalid: usize,
    decode_invalid: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            precision: 14,
            keep_buffer: true,
            encode_invalid: 0,
            decode_invalid: true,
        }
    }
}

pub type Shared = Arc<Mutex<Config>>;

/// What a library table's functions share: its configuration, and Lua's `next` for
/// walking objects.
pub struct Lib {
    cfg: Shared,
    next: Function,
}

type Imp = fn(&Lua, &Lib, &[Value]) -> mlua::Result<MultiValue>;

/// `cjson.null`: the light userdata NULL, as lua-cjson's.
pub fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// A new `cjson` table with the default configuration, and that configuration.
pub fn library(lua: &Lua) -> mlua::Result<(Table, Shared)> {
    let lib = Arc::new(Lib { cfg: Arc::default(), next: lua.globals().raw_get("next")? });
    let t = lua.create_table()?;
    let functions: [(&str, Imp); 9] = [
        ("encode", encode::encode),
        ("decode", decode::decode),
        ("encode_sparse_array", encode_sparse_array),
        ("encode_max_depth", |lua, lib, a| {
            int_setting(lua, a, "encode_max_depth", &mut lib.cfg.lock().encode_max_depth, 1, i32::MAX)
        }),
        ("decode_max_depth", |lua, lib, a| {
            int_setting(lua, a, "decode_max_depth", &mut lib.cfg.lock().decode_max_depth, 1, i32::MAX)
        }),
        ("encode_number_precision", |lua, lib, a| {
            int_setting(lua, a, "encode_number_precision", &mut lib.cfg.lock().precision, 1, 14)
        }),
        ("encode_keep_buffer", |lua, lib, a| {
            bool_setting(lua, a, "encode_keep_buffer", &mut lib.cfg.lock().keep_buffer)
        }),
        ("encode_invalid_numbers", encode_invalid_numbers),
        ("decode_invalid_numbers", |lua, lib, a| {
            bool_setting(lua, a, "decode_invalid_numbers", &mut lib.cfg.lock().decode_invalid)
        }),
    ];
    for (name, imp) in functions {
        let lib = lib.clone();
        let f = lua.create_function(move |lua, a: MultiValue| imp(lua, &lib, &a.into_iter().collect::<Vec<_>>()))?;
        t.raw_set(name, super::engine::raising(lua, f)?)?;
    }
    t.raw_set("new", lua.create_function(|lua, _: MultiValue| Ok(library(lua)?.0))?)?;
    t.raw_set("null", null())?;
    t.raw_set("_NAME", "cjson")?;
    t.raw_set("_VERSION", "2.1.0")?;
    Ok((t, lib.cfg.clone()))
}

fn answer(lua: &Lua, r: Result<Vec<Value>, String>) -> mlua::Result<MultiValue> {
    match r {
        Ok(values) => args::ok(values),
        Err(msg) => args::fail(lua, &msg),
    }
}

/// lua-cjson's `json_arg_init`: at most `n` arguments.
fn at_most(a: &[Value], n: usize, name: &str) -> Result<(), String> {
    if a.len() > n {
        return Err(bad(n + 1, name, "found too many arguments"));
    }
    Ok(())
}

fn given(a: &[Value], n: usize) -> bool {
    !matches!(a.get(n - 1), None | Some(Value::Nil))
}

/// `json_integer_option`: argument `n` sets `setting` within `min..=max` (the range error
/// always names argument 1, as lua-cjson's does); answers the setting.
fn int_option(
    lua: &Lua,
    a: &[Value],
    n: usize,
    name: &str,
    setting: &mut i32,
    min: i32,
    max: i32,
) -> Result<Value, String> {
    if given(a, n) {
        // lua-cjson keeps the value in a C int.
        let v = args::integer(lua, a, n, name)? as i32;
        if v < min || v > max {
            return Err(bad(1, name, &format!("expected integer between {min} and {max}")));
        }
        *setting = v;
    }
    Ok(Value::Integer(i64::from(*setting)))
}

/// `json_enum_option`: a boolean or one of `options` sets `setting`; answers a boolean for
/// off and on, else the option's name.
fn enum_option(
    lua: &Lua,
    a: &[Value],
    n: usize,
    name: &str,
    setting: &mut usize,
    options: &[&str],
) -> Result<Value, String> {
    if given(a, n) {
        *setting = match &a[n - 1] {
            Value::Boolean(b) => usize::from(*b),
            _ => args::option(a, n, name, options)?,
        };
    }
    Ok(match *setting {
        0 | 1 => Value::Boolean(*setting == 1),
        other => Value::String(lua.create_string(options[other]).map_err(|e| e.to_string())?),
    })
}

fn int_setting(lua: &Lua, a: &[Value], name: &str, setting: &mut i32, min: i32, max: i32) -> mlua::Result<MultiValue> {
    let r = at_most(a, 1, name).and_then(|()| int_option(lua, a, 1, name, setting, min, max));
    answer(lua, r.map(|v| vec![v]))
}

fn bool_setting(lua: &Lua, a: &[Value], name: &str, setting: &mut bool) -> mlua::Result<MultiValue> {
    let mut v = usize::from(*setting);
    let r = at_most(a, 1, name).and_then(|()| enum_option(lua, a, 1, name, &mut v, &["off", "on"]));
    *setting = v == 1;
    answer(lua, r.map(|v| vec![v]))
}

fn encode_invalid_numbers(lua: &Lua, lib: &Lib, a: &[Value]) -> mlua::Result<MultiValue> {
    let name = "encode_invalid_numbers";
    let mut cfg = lib.cfg.lock();
    let r = at_most(a, 1, name)
        .and_then(|()| enum_option(lua, a, 1, name, &mut cfg.encode_invalid, &["off", "on", "null"]));
    answer(lua, r.map(|v| vec![v]))
}

fn encode_sparse_array(lua: &Lua, lib: &Lib, a: &[Value]) -> mlua::Result<MultiValue> {
    let name = "encode_sparse_array";
    let mut cfg = lib.cfg.lock();
    let r = (|| {
        at_most(a, 3, name)?;
        let mut convert = usize::from(cfg.sparse_convert);
        let first = enum_option(lua, a, 1, name, &mut convert, &["off", "on"]);
        cfg.sparse_convert = convert == 1;
        Ok(vec![
            first?,
            int_option(lua, a, 2, name, &mut cfg.sparse_ratio, 0, i32::MAX)?,
            int_option(lua, a, 3, name, &mut cfg.sparse_safe, 0, i32::MAX)?,
        ])
    })();
    answer(lua, r)
}
