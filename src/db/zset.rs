//! The sorted-set value: a member -> score [`Table`] (O(1) ZSCORE, random picks, ZSCAN's
//! cursor order) beside a [`SkipList`] ordered by (score, member) (O(log n) ZADD, ZRANK
//! and range starts). Redis would keep a small one as a listpack (`ziplist` before 7.0),
//! which answers in the same sorted order; the flag only changes OBJECT ENCODING and ZSCAN.

use bytes::Bytes;

use super::skiplist::SkipList;
use super::{Encodings, Table};

#[derive(Debug, Clone, Default)]
pub struct ZSet {
    pub members: Table<f64>,
    sl: SkipList,
    /// Redis would hold it as a listpack.
    pub listpack: bool,
}

impl PartialEq for ZSet {
    fn eq(&self, other: &Self) -> bool {
        self.members == other.members
    }
}

/// One end of a score range: the value and whether it is exclusive (`(1.5`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreBound {
    pub value: f64,
    pub exclusive: bool,
}

/// One end of a lex range: `-`, `+`, `[m` or `(m`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    Min,
    Max,
    Incl(Vec<u8>),
    Excl(Vec<u8>),
}

impl ScoreBound {
    /// Whether `s` is at or above this bound taken as a minimum.
    pub fn admits_from_below(&self, s: f64) -> bool {
        if self.exclusive {
            s > self.value
        } else {
            s >= self.value
        }
    }

    /// Whether `s` is at or below this bound taken as a maximum.
    pub fn admits_from_above(&self, s: f64) -> bool {
        if self.exclusive {
            s < self.value
        } else {
            s <= self.value
        }
    }
}

impl LexBound {
    pub fn admits_from_below(&self, m: &[u8]) -> bool {
        match self {
            LexBound::Min => true,
            LexBound::Max => false,
            LexBound::Incl(b) => m >= &b[..],
            LexBound::Excl(b) => m > &b[..],
        }
    }

    pub fn admits_from_above(&self, m: &[u8]) -> bool {
        match self {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Incl(b) => m <= &b[..],
            LexBound::Excl(b) => m < &b[..],
        }
    }
}

impl ZSet {
    pub fn new(listpack: bool) -> ZSet {
        ZSet { members: Table::new(), sl: SkipList::new(), listpack }
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn score(&self, m: &[u8]) -> Option<f64> {
        self.members.get(m).copied()
    }

    /// Sets `m`'s score (NaN never reaches here); true when `m` is new. An equal score
    /// (`-0` and `0` included) leaves the element as it was, as Redis's `zsetAdd`. A new
    /// member past the listpack limits converts the set. A listpack stores an integral
    /// score as an integer, so `-0` comes back as `0` from one, not from a skiplist.
    pub fn set(&mut self, enc: &Encodings, m: &[u8], score: f64) -> bool {
        let new = !self.members.contains(m);
        if new && self.listpack && (self.len() + 1 > enc.zset_entries || m.len() > enc.zset_value) {
            self.listpack = false;
        }
        let score = if self.listpack && score == 0.0 { 0.0 } else { score };
        if let Some(old) = self.members.get_mut(m) {
            if *old != score {
                let prev = std::mem::replace(old, score);
                self.sl.remove(prev, m);
                let key = self.members.at(self.members.position(m).unwrap_or(0)).map(|(k, _)| k.clone());
                self.sl.insert(score, key.unwrap_or_else(|| Bytes::copy_from_slice(m)));
            }
            return false;
        }
        self.members.insert(m, score);
        let key = self.members.at(self.len() - 1).map(|(k, _)| k.clone()).unwrap_or_default();
        self.sl.insert(score, key);
        true
    }

    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self.members.remove(m, false) {
            Some((k, s)) => self.sl.remove(s, &k),
            None => false,
        }
    }

    /// The 0-based rank of `m` (from the top when `rev`).
    pub fn rank(&self, m: &[u8], rev: bool) -> Option<usize> {
        let r = self.sl.rank(self.score(m)?, m)?;
        Some(if rev { self.len() - 1 - r } else { r })
    }

    /// The element at rank `r` from the bottom.
    pub fn at(&self, r: usize) -> Option<(&Bytes, f64)> {
        self.sl.at(r)
    }

    /// Elements from rank `start` (counted from the bottom) on, upwards or (`rev`) downwards.
    pub fn iter_from(&self, start: usize, rev: bool) -> impl Iterator<Item = (&Bytes, f64)> + '_ {
        self.sl.iter_from(start, rev)
    }

    /// How many elements score below `min` (the rank of the first one in range).
    pub fn below_score(&self, min: ScoreBound) -> usize {
        self.sl.count_before(|s, _| min.admits_from_below(s))
    }

    /// How many elements score at or below `max` (one past the last one in range).
    pub fn through_score(&self, max: ScoreBound) -> usize {
        self.sl.count_before(|s, _| !max.admits_from_above(s))
    }

    /// Lex ranges assume equal scores, as Redis's do: ranks by member bytes.
    pub fn below_lex(&self, min: &LexBound) -> usize {
        self.sl.count_before(|_, m| min.admits_from_below(m))
    }

    pub fn through_lex(&self, max: &LexBound) -> usize {
        self.sl.count_before(|_, m| !max.admits_from_above(m))
    }

    pub fn encoding_name(&self, enc: &Encodings) -> &'static str {
        match (self.listpack, enc.ziplist_names) {
            (true, true) => "ziplist",
            (true, false) => "listpack",
            (false, _) => "skiplist",
        }
    }
}
