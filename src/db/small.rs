//! [`SmallBytes`]: the bytes of a key or of a string value, inline up to 22 bytes (most
//! keys and many values), else a shared [`Bytes`] behind one pointer. 24 bytes either way,
//! so a key and its entry fit one dense slot of the keyspace without a heap allocation.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use bytes::Bytes;

/// The longest inline string.
pub const INLINE: usize = 22;

#[derive(Clone)]
pub enum SmallBytes {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<Bytes>),
}

const _: () = assert!(std::mem::size_of::<SmallBytes>() == 24);

impl Default for SmallBytes {
    fn default() -> Self {
        SmallBytes::Inline { len: 0, buf: [0; INLINE] }
    }
}

impl SmallBytes {
    pub fn from_slice(s: &[u8]) -> SmallBytes {
        if s.len() <= INLINE {
            let mut buf = [0; INLINE];
            buf[..s.len()].copy_from_slice(s);
            SmallBytes::Inline { len: s.len() as u8, buf }
        } else {
            SmallBytes::Heap(Box::new(Bytes::copy_from_slice(s)))
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            SmallBytes::Inline { len, buf } => &buf[..usize::from(*len)],
            SmallBytes::Heap(b) => b,
        }
    }

    /// The bytes as a [`Bytes`]: a copy of inline ones, a shared handle to the others.
    pub fn to_bytes(&self) -> Bytes {
        match self {
            SmallBytes::Inline { .. } => Bytes::copy_from_slice(self.as_slice()),
            SmallBytes::Heap(b) => Bytes::clone(b),
        }
    }

    /// The bytes as an owned vector, reusing the heap buffer when nothing else shares it.
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            SmallBytes::Inline { .. } => self.as_slice().to_vec(),
            SmallBytes::Heap(b) => Vec::from(*b),
        }
    }
}

impl From<Vec<u8>> for SmallBytes {
    fn from(v: Vec<u8>) -> SmallBytes {
        if v.len() <= INLINE {
            SmallBytes::from_slice(&v)
        } else {
            SmallBytes::Heap(Box::new(Bytes::from(v)))
        }
    }
}

impl From<Bytes> for SmallBytes {
    fn from(b: Bytes) -> SmallBytes {
        if b.len() <= INLINE {
            SmallBytes::from_slice(&b)
        } else {
            SmallBytes::Heap(Box::new(b))
        }
    }
}

impl From<&[u8]> for SmallBytes {
    fn from(s: &[u8]) -> SmallBytes {
        SmallBytes::from_slice(s)
    }
}

impl From<&str> for SmallBytes {
    fn from(s: &str) -> SmallBytes {
        SmallBytes::from_slice(s.as_bytes())
    }
}

impl Deref for SmallBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for SmallBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for SmallBytes {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

/// Hashed as its bytes, so maps keyed by it are looked up with a `&[u8]`.
impl Hash for SmallBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl PartialEq for SmallBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SmallBytes {}

impl PartialEq<[u8]> for SmallBytes {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl PartialOrd for SmallBytes {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SmallBytes {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl std::fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&Bytes::copy_from_slice(self.as_slice()), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_bytes_are_inline_and_long_ones_shared() {
        for n in [0, 1, INLINE, INLINE + 1, 1000] {
            let v: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let s = SmallBytes::from(v.clone());
            assert_eq!(s.as_slice(), &v[..]);
            assert_eq!(matches!(s, SmallBytes::Inline { .. }), n <= INLINE);
            assert_eq!(s.to_bytes(), Bytes::from(v.clone()));
            assert_eq!(SmallBytes::from(Bytes::from(v.clone())), s);
            assert_eq!(s.clone().into_vec(), v);
        }
        assert!(SmallBytes::from("a") < SmallBytes::from("ab"));
    }
}
