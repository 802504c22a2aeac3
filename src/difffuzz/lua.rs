//! EVAL commands for campaigns: scripts that always end, built to cross the conversions
//! between Lua and RESP both ways. A script returns a generated Lua value (numbers at
//! the edges of truncation, strings with NULs, booleans, nil, tables with holes, status and
//! error tables, the RESP3 tables `setresp(3)` reads), a cjson or cmsgpack round trip of
//! one, or the reply of a deterministic command run through `redis.pcall` (so that every
//! reply shape comes into Lua and goes back out), under `redis.setresp(3)` at times.

use crate::fuzzing::{Input, Values};

use super::gen::DiffValues;

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "-0",
    "0.5",
    "-2.7",
    "3.999999",
    "1e20",
    "2^53 + 1",
    "2^63",
    "-2^63",
    "1/0",
    "-1/0",
    "0/0",
    "9007199254740993",
    "123456789012345678",
    "1e-300",
];

const STRINGS: &[&str] = &["''", "'x'", "'a\\0b'", "'line\\nbreak'", "'\\255\\254'", "'1.5'", "'-'", "'OK'"];

const JSON: &[&str] = &[
    "'[1,2,3]'",
    "'{\"a\":[true,false,null]}'",
    "'[1.5e3, -0, 0.1]'",
    "'\"\\\\u00e9\\\\ud83d\\\\ude00\"'",
    "'[[[[]]]]'",
    "'{\"k\":{\"k\":{}}}'",
    "'0x1F'",
    "'[1,]'",
    "'nan'",
    "'{\"a\" 1}'",
];

/// Deterministic commands a script calls (`K` is KEYS[1], `V` ARGV[1]).
const CALLS: &[&[&str]] = &[
    &["GET", "K"],
    &["SET", "K", "V"],
    &["INCR", "K"],
    &["INCRBYFLOAT", "K", "1.5"],
    &["DEL", "K"],
    &["EXISTS", "K"],
    &["TYPE", "K"],
    &["STRLEN", "K"],
    &["GETRANGE", "K", "0", "3"],
    &["MGET", "K", "b"],
    &["LPUSH", "K", "V"],
    &["LRANGE", "K", "0", "-1"],
    &["HSET", "K", "f", "V"],
    // (Not HGETALL: a hashtable's order is its dict's, which campaigns compare unordered.)
    &["CONFIG", "GET", "maxmemory"],
    &["HMGET", "K", "f", "g"],
    &["SADD", "K", "1", "2"],
    &["SMISMEMBER", "K", "1", "3"],
    &["ZADD", "K", "1.5", "V"],
    &["ZRANGE", "K", "0", "-1", "WITHSCORES"],
    &["ZSCORE", "K", "V"],
    &["OBJECT", "ENCODING", "K"],
    &["TTL", "K"],
    &["ECHO", "V"],
    &["PING"],
    &["DBSIZE"],
    &["NOSUCHCOMMAND", "K"],
    &["EVAL", "return 1", "0"],
    &["GET"],
];

fn lua_string(b: &[u8]) -> String {
    let mut s = String::from("'");
    for &c in b {
        if c.is_ascii_alphanumeric() || c == b' ' {
            s.push(c as char);
        } else {
            s.push_str(&format!("\\{c}"));
        }
    }
    s.push('\'');
    s
}

/// A Lua expression for a value to convert.
fn value(u: &mut Input<'_>, depth: usize) -> String {
    let kinds = if depth > 2 { 8 } else { 11 };
    match u.below(kinds) {
        0 => u.pick(NUMBERS).to_string(),
        1 => u.pick(STRINGS).to_string(),
        2 => u.pick(&["true", "false"]).to_string(),
        3 => u.pick(&["nil", "cjson.null", "KEYS[1]", "ARGV[1]", "ARGV[9]"]).to_string(),
        4 => u.pick(&["redis.status_reply('FINE')", "{ok='fine'}", "{ok=5}"]).to_string(),
        5 => u.pick(&["redis.error_reply('MY err')", "{err='ERR bad'}", "{err='no code'}", "{err=''}"]).to_string(),
        6 => format!("#{}", u.pick(STRINGS)),
        7 => format!("({} .. {})", u.pick(STRINGS), u.pick(NUMBERS)),
        8 => {
            let items: Vec<String> = (0..u.below(5)).map(|_| value(u, depth + 1)).collect();
            format!("{{{}}}", items.join(", "))
        }
        9 => {
            let items: Vec<String> = (0..u.below(4))
                .map(|i| {
                    let key = match u.below(3) {
                        0 => format!("k{i}"),
                        1 => format!("[{}]", i + 1),
                        _ => format!("[{}]", i + 3),
                    };
                    format!("{key} = {}", value(u, depth + 1))
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        _ => match u.below(6) {
            0 => format!("{{map = {{a = {}, b = {}}}}}", value(u, depth + 1), value(u, depth + 1)),
            1 => "{set = {x = true, y = true}}".to_string(),
            2 => format!("{{double = {}}}", u.pick(NUMBERS)),
            3 => "{big_number = '123456789012345678901234567890'}".to_string(),
            4 => "{verbatim_string = {format = 'txt', string = 'hi'}}".to_string(),
            _ => format!("{{double = {}}}", u.pick(STRINGS)),
        },
    }
}

/// A `redis.pcall(...)` of one of [`CALLS`].
fn call(u: &mut Input<'_>) -> String {
    let words: Vec<String> = u
        .pick(CALLS)
        .iter()
        .map(|w| match *w {
            "K" => "KEYS[1]".to_string(),
            "V" => "ARGV[1]".to_string(),
            w => lua_string(w.as_bytes()),
        })
        .collect();
    format!("redis.pcall({})", words.join(", "))
}

/// A script that ends.
fn script(u: &mut Input<'_>) -> String {
    let resp3 = if u.ratio(1, 4) { "redis.setresp(3) " } else { "" };
    let body = match u.below(9) {
        0 | 1 => format!("return {}", value(u, 0)),
        2 => format!("return cjson.encode({})", value(u, 1)),
        3 => format!("return cjson.decode({})", u.pick(JSON)),
        4 => format!("return cmsgpack.unpack(cmsgpack.pack({}))", value(u, 1)),
        5 => format!("return {{cmsgpack.unpack_limit(cmsgpack.pack({}, {}), 1)}}", value(u, 2), value(u, 2)),
        6 | 7 => format!("return {}", call(u)),
        _ => format!("local r = {{{}, {}}} return r", call(u), call(u)),
    };
    format!("{resp3}{body}")
}

/// An EVAL of a generated script with one key and one argument.
pub fn eval(u: &mut Input<'_>, values: &DiffValues) -> Vec<Vec<u8>> {
    let text = script(u);
    vec![b"EVAL".to_vec(), text.into_bytes(), b"1".to_vec(), values.key(u), values.word(u)]
}
