//! The list value: a deque of shared byte strings, O(1) at both ends (so LINDEX and LSET
//! near either end, and the pops blocking commands will serve, stay cheap).
//!
//! The encoding OBJECT ENCODING reports follows Redis: `quicklist` up to 7.0; from 7.2 (and
//! in Valkey) a small list is one `listpack`, judged by `list-max-listpack-size` against
//! the listpack's byte size, which is tracked exactly. Redis turns a quicklist back into a
//! listpack only when it has a single node; the fake has no nodes and takes "fits in half a
//! node" for that, which differs only for lists that grew past one node and were then
//! emptied from the other end.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::spec::grammar::parse_i64;

/// A listpack's header and terminator.
const LP_OVERHEAD: usize = 7;

/// Bytes one element takes in a listpack (encoding, data and back-length), as Redis's
/// `lpInsert` encodes it: integers in the smallest integer form.
pub fn listpack_entry_size(v: &[u8]) -> usize {
    let enc = match (v.len() <= 20).then(|| parse_i64(v)).flatten() {
        Some(n) if (0..=127).contains(&n) => 1,
        Some(n) if (-4096..=4095).contains(&n) => 2,
        Some(n) if (-32768..=32767).contains(&n) => 3,
        Some(n) if (-8_388_608..=8_388_607).contains(&n) => 4,
        Some(n) if i32::try_from(n).is_ok() => 5,
        Some(_) => 9,
        None if v.len() < 64 => 1 + v.len(),
        None if v.len() < 4096 => 2 + v.len(),
        None => 5 + v.len(),
    };
    enc + backlen_size(enc)
}

/// The bytes of a listpack entry's back-length for an entry of `l` bytes (7 bits each).
pub fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// The byte and count limits of one quicklist node for `list-max-listpack-size` (`fill`),
/// as Redis's `quicklistNodeLimit`: `(Some(bytes), None)` or `(None, Some(count))`.
fn node_limit(fill: i64) -> (Option<usize>, Option<usize>) {
    const LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
    if fill >= 0 {
        (None, Some(usize::try_from(fill).unwrap_or(usize::MAX).max(1)))
    } else {
        let i = usize::try_from(-(fill + 1)).unwrap_or(usize::MAX).min(LEVELS.len() - 1);
        (Some(LEVELS[i]), None)
    }
}

/// Redis's `quicklistNodeExceedsLimit`: a count limit also caps a node at 8 KiB.
pub fn node_exceeds(fill: i64, bytes: usize, count: usize) -> bool {
    match node_limit(fill) {
        (Some(sz), _) => bytes > sz,
        (None, Some(n)) => bytes > 8192 || count > n,
        (None, None) => false,
    }
}

/// Quicklist nodes as appends fill them, lazily: for each element `added(v)` is what the
/// insert check adds to the node's bytes and `size(v, prev)` what the entry takes after one
/// of `prev` bytes; `header` is an empty node's size. Yields (elements, bytes) per node.
pub fn fill_nodes<'v>(
    items: impl Iterator<Item = &'v [u8]>,
    fill: i64,
    header: usize,
    added: impl Fn(&[u8]) -> usize,
    size: impl Fn(&[u8], usize) -> usize,
) -> impl Iterator<Item = (usize, usize)> {
    let mut items = items.peekable();
    std::iter::from_fn(move || {
        let first = items.next()?;
        let mut prev = size(first, 0);
        let (mut count, mut bytes) = (1, header + prev);
        while let Some(v) = items.next_if(|v| !node_exceeds(fill, bytes + v.len() + added(v), count + 1)) {
            prev = size(v, prev);
            bytes += prev;
            count += 1;
        }
        Some((count, bytes))
    })
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct List {
    items: VecDeque<Bytes>,
    /// The size the elements would take as one listpack (header included).
    lp_bytes: usize,
    /// Redis would hold it as one listpack (7.2+ only; earlier it is always a quicklist).
    pub listpack: bool,
}

impl List {
    /// A new, empty list (a listpack where the profile has small lists).
    pub fn new(small: bool) -> List {
        List { items: VecDeque::new(), lp_bytes: LP_OVERHEAD, listpack: small }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&Bytes> {
        self.items.get(i)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Bytes> + ExactSizeIterator {
        self.items.iter()
    }

    /// Before adding `adding` (the raw elements): a listpack that would outgrow a node
    /// becomes a quicklist (Redis's `listTypeTryConvertListpack`, which adds raw lengths).
    pub fn grow_check<'v>(&mut self, fill: i64, adding: impl Iterator<Item = &'v [u8]>) {
        if !self.listpack {
            return;
        }
        let (mut bytes, mut count) = (self.lp_bytes, self.items.len());
        for v in adding {
            bytes += v.len();
            count += 1;
        }
        if node_exceeds(fill, bytes, count) {
            self.listpack = false;
        }
    }

    /// After removing elements: a quicklist that fits in half a node becomes a listpack
    /// again (7.2+; `small` says whether the profile has listpack lists at all).
    pub fn shrink_check(&mut self, fill: i64, small: bool) {
        if self.listpack || !small {
            return;
        }
        let (sz, n) = node_limit(fill);
        let fits = sz.is_none_or(|s| self.lp_bytes <= s / 2) && n.is_none_or(|n| self.items.len() <= n / 2);
        if fits {
            self.listpack = true;
        }
    }

    /// The quicklist nodes Redis fills by appending these elements in order, as (elements,
    /// listpack bytes), lazily from the head (`_quicklistNodeAllowInsert`: the node's bytes,
    /// the element's and 8 bytes of estimated overhead).
    pub fn nodes(&self, fill: i64) -> impl Iterator<Item = (usize, usize)> + '_ {
        fill_nodes(self.items.iter().map(|b| &b[..]), fill, LP_OVERHEAD, |_| 8, |v, _| listpack_entry_size(v))
    }

    /// A list built whole (LMOVE's new destination, SORT STORE): the encoding that fits.
    pub fn settle_new(&mut self, fill: i64, small: bool) {
        self.listpack = small && !node_exceeds(fill, self.lp_bytes, self.items.len());
    }

    pub fn push_front(&mut self, v: Bytes) {
        self.lp_bytes += listpack_entry_size(&v);
        self.items.push_front(v);
    }

    pub fn push_back(&mut self, v: Bytes) {
        self.lp_bytes += listpack_entry_size(&v);
        self.items.push_back(v);
    }

    pub fn pop_front(&mut self) -> Option<Bytes> {
        let v = self.items.pop_front()?;
        self.lp_bytes -= listpack_entry_size(&v);
        Some(v)
    }

    pub fn pop_back(&mut self) -> Option<Bytes> {
        let v = self.items.pop_back()?;
        self.lp_bytes -= listpack_entry_size(&v);
        Some(v)
    }

    /// Replaces element `i`; false when out of range.
    pub fn set(&mut self, i: usize, v: Bytes) -> bool {
        let Some(slot) = self.items.get_mut(i) else { return false };
        self.lp_bytes = self.lp_bytes + listpack_entry_size(&v) - listpack_entry_size(slot);
        *slot = v;
        true
    }

    pub fn insert(&mut self, i: usize, v: Bytes) {
        self.lp_bytes += listpack_entry_size(&v);
        self.items.insert(i.min(self.items.len()), v);
    }

    pub fn remove(&mut self, i: usize) -> Option<Bytes> {
        let v = self.items.remove(i)?;
        self.lp_bytes -= listpack_entry_size(&v);
        Some(v)
    }

    /// Keeps elements `start..=end` (a valid, non-empty range) and drops the rest.
    pub fn keep(&mut self, start: usize, end: usize) {
        self.items.truncate(end + 1);
        self.items.drain(..start.min(self.items.len()));
        self.lp_bytes = LP_OVERHEAD + self.items.iter().map(|v| listpack_entry_size(v)).sum::<usize>();
    }

    /// Removes the elements equal to `v`: at most `limit` of them (0: all), from the tail
    /// when `from_tail`. How many went.
    pub fn remove_matching(&mut self, v: &[u8], limit: usize, from_tail: bool) -> usize {
        let mut gone = 0;
        let n = self.items.len();
        let mut keep = vec![true; n];
        let order: Box<dyn Iterator<Item = usize>> = if from_tail { Box::new((0..n).rev()) } else { Box::new(0..n) };
        for i in order {
            if limit != 0 && gone == limit {
                break;
            }
            if self.items[i] == v {
                keep[i] = false;
                gone += 1;
            }
        }
        if gone > 0 {
            let mut i = 0;
            self.items.retain(|_| {
                i += 1;
                keep[i - 1]
            });
            self.lp_bytes -= gone * listpack_entry_size(v);
        }
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listpack_sizes_follow_the_encoding() {
        assert_eq!(listpack_entry_size(b"1"), 2);
        assert_eq!(listpack_entry_size(b"-1"), 3);
        assert_eq!(listpack_entry_size(b"01"), 4);
        assert_eq!(listpack_entry_size(b"abc"), 5);
        assert_eq!(listpack_entry_size(&[b'x'; 63]), 65);
        assert_eq!(listpack_entry_size(&[b'x'; 64]), 67);
        assert_eq!(listpack_entry_size(&[b'x'; 200]), 204);
        assert_eq!(listpack_entry_size(b"9223372036854775807"), 10);
    }

    #[test]
    fn a_list_converts_at_the_node_limit_and_back_at_half() {
        let mut l = List::new(true);
        for _ in 0..3 {
            l.grow_check(2, std::iter::once(&b"a"[..]));
            l.push_back(Bytes::from("a"));
        }
        assert!(!l.listpack, "3 entries exceed a fill of 2");
        l.pop_back();
        l.shrink_check(2, true);
        assert!(!l.listpack, "2 is more than half of 2");
        l.pop_back();
        l.shrink_check(2, true);
        assert!(l.listpack);
        assert_eq!(l.remove_matching(b"a", 0, false), 1);
        assert_eq!(l.lp_bytes, LP_OVERHEAD);
    }
}
