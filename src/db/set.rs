//! The set value: members in a [`Table`]. As an `intset` (only integers, at most
//! `set-max-intset-entries`) they are kept in numeric order, as Redis's intset is; as a
//! `listpack` (Redis 7.2+ and Valkey, small sets of short members) in insertion order; as a
//! `hashtable` in no particular order. Sets never convert back, as in Redis.

use bytes::Bytes;

use super::{Encodings, Table};
use crate::spec::grammar::parse_i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetEnc {
    Intset,
    Listpack,
    Hashtable,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Set {
    pub members: Table<()>,
    pub enc: SetEnc,
}

/// The member as an intset would hold it (Redis's `string2ll`).
fn as_int(m: &[u8]) -> Option<i64> {
    if m.len() <= 20 {
        parse_i64(m)
    } else {
        None
    }
}

impl Set {
    /// An empty set for a first member `first` when `size_hint` members are about to be
    /// added (Redis's `setTypeCreate`: 7.2 weighs the hint, 7.0 only the member).
    pub fn new(enc: &Encodings, first: &[u8], size_hint: usize) -> Set {
        let e = if as_int(first).is_some() && (!enc.small_sets || size_hint <= enc.set_intset) {
            SetEnc::Intset
        } else if enc.small_sets && size_hint <= enc.set_lp_entries && first.len() <= enc.set_lp_value {
            SetEnc::Listpack
        } else {
            SetEnc::Hashtable
        };
        Set { members: Table::new(), enc: e }
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        self.members.contains(m)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Bytes> + ExactSizeIterator {
        self.members.keys()
    }

    /// Adds `m`; true when it is new. Converts as Redis's `setTypeAdd` does.
    pub fn add(&mut self, enc: &Encodings, m: &[u8]) -> bool {
        if self.members.contains(m) {
            return false;
        }
        match self.enc {
            SetEnc::Intset => match as_int(m) {
                Some(n) => {
                    let at = self.members.partition_point(|k| as_int(k).is_some_and(|k| k < n));
                    self.members.insert_at(at, Bytes::copy_from_slice(m), ());
                    if self.len() > enc.set_intset {
                        // Straight to a hashtable, also in 7.2.
                        self.enc = SetEnc::Hashtable;
                    }
                    return true;
                }
                None => {
                    let fits = enc.small_sets && self.len() < enc.set_lp_entries && m.len() <= enc.set_lp_value;
                    self.enc = if fits { SetEnc::Listpack } else { SetEnc::Hashtable };
                }
            },
            SetEnc::Listpack if self.len() >= enc.set_lp_entries || m.len() > enc.set_lp_value => {
                self.enc = SetEnc::Hashtable;
            }
            _ => {}
        }
        self.members.insert(m, ());
        true
    }

    /// Before adding `n` members (SADD): 7.2 converts up front when they could not fit,
    /// duplicates or not (`setTypeMaybeConvert`).
    pub fn prepare(&mut self, enc: &Encodings, n: usize) {
        if !enc.up_front {
            return;
        }
        match self.enc {
            SetEnc::Intset if n > enc.set_intset => self.enc = SetEnc::Hashtable,
            SetEnc::Listpack if n > enc.set_lp_entries => self.enc = SetEnc::Hashtable,
            _ => {}
        }
    }

    /// An empty set that starts as an intset (the temporary set of SUNION and SDIFF).
    pub fn intset() -> Set {
        Set { members: Table::new(), enc: SetEnc::Intset }
    }

    /// Removes `m`; true when it was there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        self.members.remove(m, self.enc != SetEnc::Hashtable).is_some()
    }

    pub fn encoding_name(&self) -> &'static str {
        match self.enc {
            SetEnc::Intset => "intset",
            SetEnc::Listpack => "listpack",
            SetEnc::Hashtable => "hashtable",
        }
    }
}
