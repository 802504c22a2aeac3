//! The protocol-neutral reply every handler returns. The RESP encoder writes it as RESP3, or
//! downgrades it for RESP2 the way Redis does (maps and sets become arrays, doubles become
//! bulk strings, booleans become integers, every null becomes `$-1` or `*-1`).

use std::borrow::Cow;

use bytes::Bytes;

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK`
    Simple(Cow<'static, str>),
    /// `-ERR ...`: the whole text without the dash, as bytes: Redis echoes client bytes
    /// (an unknown command's name and arguments) into errors as they are.
    Error(Cow<'static, [u8]>),
    Int(i64),
    /// A bulk string; stored values are shared with the keyspace, not copied.
    Bulk(Bytes),
    /// A null bulk string (`$-1` in RESP2, `_` in RESP3).
    Nil,
    /// A null array (`*-1` in RESP2, `_` in RESP3).
    NilArray,
    Array(Vec<Reply>),
    Map(Vec<(Reply, Reply)>),
    Set(Vec<Reply>),
    Double(f64),
    /// A double already written as the pinned server writes it (sorted-set scores: `%.17g`
    /// up to Redis 7.0, the shortest round-trip form from 7.2): RESP3 `,text`, RESP2 a bulk.
    DoubleText(String),
    Bool(bool),
    /// A verbatim string with its three-letter format (`txt`).
    Verbatim(&'static str, Vec<u8>),
    BigNumber(String),
    Push(Vec<Reply>),
    /// A reply with RESP3 attributes (`|` before it); RESP2 sends the reply alone, and
    /// scripts see the reply alone, as in Redis.
    Attribute(Vec<(Reply, Reply)>, Box<Reply>),
}

/// What [`Reply::bulk`] takes: owned bytes move in without a copy, borrowed ones are copied.
pub trait IntoBulk {
    fn into_bulk(self) -> Bytes;
}

impl IntoBulk for Bytes {
    fn into_bulk(self) -> Bytes {
        self
    }
}

impl IntoBulk for Vec<u8> {
    fn into_bulk(self) -> Bytes {
        Bytes::from(self)
    }
}

impl IntoBulk for String {
    fn into_bulk(self) -> Bytes {
        Bytes::from(self)
    }
}

impl IntoBulk for &[u8] {
    fn into_bulk(self) -> Bytes {
        Bytes::copy_from_slice(self)
    }
}

impl IntoBulk for &str {
    fn into_bulk(self) -> Bytes {
        Bytes::copy_from_slice(self.as_bytes())
    }
}

impl IntoBulk for &Vec<u8> {
    fn into_bulk(self) -> Bytes {
        Bytes::copy_from_slice(self)
    }
}

impl IntoBulk for &String {
    fn into_bulk(self) -> Bytes {
        Bytes::copy_from_slice(self.as_bytes())
    }
}

impl<const N: usize> IntoBulk for &[u8; N] {
    fn into_bulk(self) -> Bytes {
        Bytes::copy_from_slice(self)
    }
}

/// What a handler returns: `Err` holds an error reply (so `?` works on error texts).
pub type CmdResult = Result<Reply, Reply>;

impl Reply {
    pub const OK: Reply = Reply::Simple(Cow::Borrowed("OK"));

    pub fn ok() -> Reply {
        Reply::OK
    }

    pub fn simple(s: &'static str) -> Reply {
        Reply::Simple(Cow::Borrowed(s))
    }

    pub fn err(s: impl Into<Cow<'static, str>>) -> Reply {
        Reply::Error(match s.into() {
            Cow::Borrowed(t) => Cow::Borrowed(t.as_bytes()),
            Cow::Owned(t) => Cow::Owned(t.into_bytes()),
        })
    }

    /// An error whose text holds bytes that need not be UTF-8.
    pub fn err_bytes(b: Vec<u8>) -> Reply {
        Reply::Error(Cow::Owned(b))
    }

    pub fn bulk(b: impl IntoBulk) -> Reply {
        Reply::Bulk(b.into_bulk())
    }

    pub fn bulk_opt(b: Option<impl IntoBulk>) -> Reply {
        b.map_or(Reply::Nil, |b| Reply::Bulk(b.into_bulk()))
    }

    /// About how many bytes the reply takes in RESP2 (what an output buffer holds).
    pub fn wire_len(&self) -> usize {
        match self {
            Reply::Bulk(b) => b.len() + 16,
            Reply::Verbatim(_, b) => b.len() + 16,
            Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => 16 + v.iter().map(Reply::wire_len).sum::<usize>(),
            Reply::Map(v) => 16 + v.iter().map(|(k, x)| k.wire_len() + x.wire_len()).sum::<usize>(),
            Reply::Attribute(v, r) => r.wire_len() + v.iter().map(|(k, x)| k.wire_len() + x.wire_len()).sum::<usize>(),
            Reply::Simple(s) => s.len() + 3,
            Reply::Error(e) => e.len() + 3,
            _ => 24,
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    pub fn error_text(&self) -> Option<&str> {
        match self {
            Reply::Error(e) => std::str::from_utf8(e).ok(),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Reply::Bulk(b) => Some(b),
            Reply::Verbatim(_, b) => Some(b),
            Reply::Simple(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Reply::Int(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Reply]> {
        match self {
            Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => Some(v),
            _ => None,
        }
    }

    /// The reply as text, for tests and debugging (bulk strings lossily as UTF-8).
    pub fn as_str(&self) -> Option<Cow<'_, str>> {
        self.as_bytes().map(String::from_utf8_lossy)
    }
}

/// Redis's `%.17g` rendering of a double, as in RESP3 doubles and their RESP2 bulk form.
pub fn format_double(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    format_g(d, 17)
}

/// C's `%.{prec}g` (glibc's: a NaN with its sign bit set is `-nan`).
pub fn format_g(d: f64, prec: usize) -> String {
    if d.is_nan() {
        return if d.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let prec = prec.max(1);
    let sci = format!("{:.*e}", prec - 1, d);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= prec as i32 {
        let mant = trim_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{:.*}", decimals, d)).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}
