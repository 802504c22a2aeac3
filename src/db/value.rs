//! Stored values. Strings remember the encoding Redis would give them, so OBJECT ENCODING
//! answers `int`, `embstr` or `raw` exactly as Redis does.

use super::{Encodings, Hash, List, Set, SmallBytes, Stream, ZSet};
use crate::spec::grammar::parse_i64;

/// Longest string Redis stores as `embstr`.
pub const EMBSTR_MAX: usize = 44;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrEnc {
    /// `int`; for 0..9999 Redis hands out its one shared object (OBJECT REFCOUNT says so).
    Int,
    /// `int` in an object of its own: COPY duplicates even a shared integer.
    IntCopy,
    Embstr,
    Raw,
}

/// A string value: inline up to 22 bytes, else shared (a reply hands those out without a
/// copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrValue {
    pub data: SmallBytes,
    pub enc: StrEnc,
}

impl StrValue {
    /// Edits the bytes in place (APPEND, SETRANGE); the buffer is reused when nothing else
    /// shares it, which is the case between commands.
    pub fn edit<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let mut v = std::mem::take(&mut self.data).into_vec();
        let r = f(&mut v);
        self.data = SmallBytes::from(v);
        r
    }

    /// A value as SET stores it (Redis's `tryObjectEncoding`).
    pub fn encoded<D: AsRef<[u8]> + Into<SmallBytes>>(data: D) -> StrValue {
        let bytes = data.as_ref();
        let enc = if bytes.len() <= 20 && parse_i64(bytes).is_some() {
            StrEnc::Int
        } else if bytes.len() <= EMBSTR_MAX {
            StrEnc::Embstr
        } else {
            StrEnc::Raw
        };
        StrValue { data: data.into(), enc }
    }

    /// A value built in place (APPEND, SETRANGE): always `raw`.
    pub fn raw(data: Vec<u8>) -> StrValue {
        StrValue { data: SmallBytes::from(data), enc: StrEnc::Raw }
    }

    /// A value created from a number (INCR family): `int`.
    pub fn int(n: i64) -> StrValue {
        StrValue { data: SmallBytes::from(n.to_string().into_bytes()), enc: StrEnc::Int }
    }

    /// The value as COPY stores it: a duplicate object (`dupStringObject`), never shared.
    pub fn duplicate(&self) -> StrValue {
        let enc = if self.enc == StrEnc::Int { StrEnc::IntCopy } else { self.enc };
        StrValue { data: self.data.clone(), enc }
    }

    /// A value created as a fresh string object (`createStringObject`): embstr when short.
    pub fn fresh(data: Vec<u8>) -> StrValue {
        let enc = if data.len() <= EMBSTR_MAX { StrEnc::Embstr } else { StrEnc::Raw };
        StrValue { data: SmallBytes::from(data), enc }
    }

    pub fn encoding_name(&self) -> &'static str {
        match self.enc {
            StrEnc::Int | StrEnc::IntCopy => "int",
            StrEnc::Embstr => "embstr",
            StrEnc::Raw => "raw",
        }
    }
}

/// `n` zero bytes, or `None` when the allocation fails (instead of aborting the process).
/// The memory comes zeroed from the allocator, so pages nobody writes stay untouched.
pub fn try_zeroed(n: usize) -> Option<Vec<u8>> {
    if n == 0 {
        return Some(Vec::new());
    }
    let layout = std::alloc::Layout::array::<u8>(n).ok()?;
    // SAFETY: the layout has a nonzero size; a non-null result is a zeroed block of `n`
    // bytes with u8's alignment, which is exactly what Vec<u8> with capacity `n` owns.
    unsafe {
        let ptr = std::alloc::alloc_zeroed(layout);
        if ptr.is_null() {
            return None;
        }
        Some(Vec::from_raw_parts(ptr, n, n))
    }
}

/// Grows `v` to `n` bytes with zeros, or `None` when the allocation fails.
pub fn try_grow_zeroed(v: &mut Vec<u8>, n: usize) -> Option<()> {
    if n > v.len() {
        v.try_reserve_exact(n - v.len()).ok()?;
        v.resize(n, 0);
    }
    Some(())
}

/// A value of any Redis type. Collections are boxed so a string key stays small.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(StrValue),
    List(Box<List>),
    Hash(Box<Hash>),
    Set(Box<Set>),
    Zset(Box<ZSet>),
    Stream(Box<Stream>),
}

impl Value {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::Zset(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// The shared integer object (0..9999) Redis stores this value as, if it is one.
    pub fn shared_int(&self) -> Option<u16> {
        match self {
            Value::Str(s) if s.enc == StrEnc::Int && s.data.len() <= 4 => {
                parse_i64(&s.data).filter(|n| (0..10_000).contains(n)).map(|n| n as u16)
            }
            _ => None,
        }
    }

    /// The value as COPY stores it: a duplicate.
    pub fn duplicate(&self) -> Value {
        match self {
            Value::Str(s) => Value::Str(s.duplicate()),
            other => other.clone(),
        }
    }

    /// What OBJECT ENCODING answers under the profile's names and rules.
    pub fn encoding_name(&self, enc: &Encodings) -> &'static str {
        match self {
            Value::Str(s) => s.encoding_name(),
            Value::List(l) if l.listpack => "listpack",
            Value::List(_) => "quicklist",
            Value::Hash(h) => h.encoding_name(enc),
            Value::Set(s) => s.encoding_name(),
            Value::Zset(z) => z.encoding_name(enc),
            Value::Stream(_) => "stream",
        }
    }

    /// A collection with no elements left (its key must go, as Redis deletes it).
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::List(l) => l.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::Zset(z) => z.is_empty(),
            Value::Stream(_) => false,
        }
    }

    /// A hash with field expiry times (the database keeps such keys in its sweep list).
    pub fn has_field_ttls(&self) -> bool {
        matches!(self, Value::Hash(h) if h.has_expires())
    }

    pub fn as_list_mut(&mut self) -> Option<&mut List> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_hash_mut(&mut self) -> Option<&mut Hash> {
        match self {
            Value::Hash(h) => Some(h),
            _ => None,
        }
    }

    pub fn as_zset_mut(&mut self) -> Option<&mut ZSet> {
        match self {
            Value::Zset(z) => Some(z),
            _ => None,
        }
    }

    pub fn as_stream(&self) -> Option<&Stream> {
        match self {
            Value::Stream(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_stream_mut(&mut self) -> Option<&mut Stream> {
        match self {
            Value::Stream(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_set(&self) -> Option<&Set> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_set_mut(&mut self) -> Option<&mut Set> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&StrValue> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_str_mut(&mut self) -> Option<&mut StrValue> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}
