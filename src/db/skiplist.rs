//! Redis's sorted-set skiplist: elements ordered by (score, member bytes), each level's
//! links carrying the number of elements they skip, so ranks and rank lookups are
//! O(log n) like insertion and removal. Nodes live in an arena (`Vec`) and link by index.
//!
//! Scores compare as doubles (`-0` equals `0`, NaN never gets in: the commands refuse it);
//! equal scores order by member bytes, as Redis's `sdscmp`.

use std::cmp::Ordering;

use bytes::Bytes;

const MAX_LEVEL: usize = 32;
const NIL: u32 = u32::MAX;
/// The arena's slot 0 is the header.
const HEAD: u32 = 0;

#[derive(Debug, Clone, Copy)]
struct Link {
    next: u32,
    span: u32,
}

#[derive(Debug, Clone)]
struct Node {
    member: Bytes,
    score: f64,
    back: u32,
    links: Vec<Link>,
}

#[derive(Debug, Clone)]
pub struct SkipList {
    nodes: Vec<Node>,
    free: Vec<u32>,
    tail: u32,
    len: usize,
    level: usize,
    rng: u64,
}

impl Default for SkipList {
    fn default() -> Self {
        SkipList::new()
    }
}

/// Orders `(score, member)` pairs as Redis does.
pub fn cmp_entry(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    s1.partial_cmp(&s2).unwrap_or(Ordering::Equal).then_with(|| m1.cmp(m2))
}

impl SkipList {
    pub fn new() -> SkipList {
        let head =
            Node { member: Bytes::new(), score: 0.0, back: NIL, links: vec![Link { next: NIL, span: 0 }; MAX_LEVEL] };
        SkipList { nodes: vec![head], free: Vec::new(), tail: NIL, len: 0, level: 1, rng: 0x9e37_79b9_7f4a_7c15 }
    }

    fn random_level(&mut self) -> usize {
        let mut level = 1;
        loop {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            // p = 1/4, as Redis's ZSKIPLIST_P.
            if self.rng & 3 != 0 || level >= MAX_LEVEL {
                return level;
            }
            level += 1;
        }
    }

    fn node(&self, i: u32) -> &Node {
        &self.nodes[i as usize]
    }

    /// Whether the node after `x` at `level` sorts before `(score, member)`.
    fn next_before(&self, x: u32, level: usize, score: f64, member: &[u8]) -> bool {
        let n = self.node(x).links[level].next;
        n != NIL && {
            let nd = self.node(n);
            cmp_entry(nd.score, &nd.member, score, member) == Ordering::Less
        }
    }

    /// Inserts an element known to be absent.
    pub fn insert(&mut self, score: f64, member: Bytes) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            while self.next_before(x, i, score, &member) {
                rank[i] += self.node(x).links[i].span;
                x = self.node(x).links[i].next;
            }
            update[i] = x;
        }
        let level = self.random_level();
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEAD;
                self.nodes[HEAD as usize].links[i].span = self.len as u32;
            }
            self.level = level;
        }
        let node = Node {
            member,
            score,
            back: if update[0] == HEAD { NIL } else { update[0] },
            links: Vec::with_capacity(level),
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.nodes[id as usize] = node;
                id
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        for i in 0..level {
            let u = update[i] as usize;
            let prev = self.nodes[u].links[i];
            let span = prev.span - (rank[0] - rank[i]);
            self.nodes[id as usize].links.push(Link { next: prev.next, span });
            self.nodes[u].links[i] = Link { next: id, span: rank[0] - rank[i] + 1 };
        }
        for (i, u) in update.iter().enumerate().take(self.level).skip(level) {
            self.nodes[*u as usize].links[i].span += 1;
        }
        let next0 = self.node(id).links[0].next;
        if next0 == NIL {
            self.tail = id;
        } else {
            self.nodes[next0 as usize].back = id;
        }
        self.len += 1;
    }

    /// Removes `(score, member)`; false when it is not there.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            while self.next_before(x, i, score, member) {
                x = self.node(x).links[i].next;
            }
            update[i] = x;
        }
        let target = self.node(x).links[0].next;
        if target == NIL || {
            let t = self.node(target);
            cmp_entry(t.score, &t.member, score, member) != Ordering::Equal
        } {
            return false;
        }
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.node(u).links[i];
            if ul.next == target {
                let tl = self.node(target).links[i];
                self.nodes[u as usize].links[i] = Link { next: tl.next, span: ul.span + tl.span - 1 };
            } else {
                self.nodes[u as usize].links[i].span -= 1;
            }
        }
        let (next0, back) = (self.node(target).links[0].next, self.node(target).back);
        if next0 == NIL {
            self.tail = back;
        } else {
            self.nodes[next0 as usize].back = back;
        }
        while self.level > 1 && self.node(HEAD).links[self.level - 1].next == NIL {
            self.level -= 1;
        }
        let t = &mut self.nodes[target as usize];
        t.member = Bytes::new();
        t.links = Vec::new();
        self.free.push(target);
        self.len -= 1;
        true
    }

    /// The 0-based rank of `(score, member)`, if present.
    pub fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        let mut x = HEAD;
        let mut rank = 0u64;
        for i in (0..self.level).rev() {
            loop {
                let n = self.node(x).links[i].next;
                if n == NIL {
                    break;
                }
                let nd = self.node(n);
                if cmp_entry(nd.score, &nd.member, score, member) == Ordering::Greater {
                    break;
                }
                rank += u64::from(self.node(x).links[i].span);
                x = n;
            }
            if x != HEAD && self.node(x).member.as_ref() == member {
                return Some(rank as usize - 1);
            }
        }
        None
    }

    /// The node at 0-based rank `r`.
    fn node_at(&self, r: usize) -> u32 {
        let target = r as u64 + 1;
        let mut x = HEAD;
        let mut traversed = 0u64;
        for i in (0..self.level).rev() {
            loop {
                let l = self.node(x).links[i];
                if l.next == NIL || traversed + u64::from(l.span) > target {
                    break;
                }
                traversed += u64::from(l.span);
                x = l.next;
            }
            if traversed == target {
                return x;
            }
        }
        NIL
    }

    /// The number of elements that sort before the first element for which `ge` holds
    /// (`ge` must be monotone along the order): a rank bound for range queries.
    pub fn count_before(&self, ge: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut x = HEAD;
        let mut rank = 0u64;
        for i in (0..self.level).rev() {
            loop {
                let l = self.node(x).links[i];
                if l.next == NIL {
                    break;
                }
                let nd = self.node(l.next);
                if ge(nd.score, &nd.member) {
                    break;
                }
                rank += u64::from(l.span);
                x = l.next;
            }
        }
        rank as usize
    }

    /// Elements from rank `start` on, forward (or backward from rank `start` when `rev`):
    /// `(member, score)`.
    pub fn iter_from(&self, start: usize, rev: bool) -> impl Iterator<Item = (&Bytes, f64)> + '_ {
        let mut x = if start < self.len { self.node_at(start) } else { NIL };
        std::iter::from_fn(move || {
            if x == NIL || x == HEAD {
                return None;
            }
            let nd = self.node(x);
            x = if rev { nd.back } else { nd.links[0].next };
            Some((&nd.member, nd.score))
        })
    }

    /// The element at rank `r`.
    pub fn at(&self, r: usize) -> Option<(&Bytes, f64)> {
        self.iter_from(r, false).next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model: the sorted vector of pairs.
    fn check(sl: &SkipList, model: &[(f64, Bytes)]) {
        assert_eq!(sl.len, model.len());
        let got: Vec<(f64, Bytes)> = sl.iter_from(0, false).map(|(m, s)| (s, m.clone())).collect();
        assert_eq!(got, model);
        for (i, (s, m)) in model.iter().enumerate() {
            assert_eq!(sl.rank(*s, m), Some(i));
            assert_eq!(sl.at(i).map(|(m, s)| (s, m.clone())), Some((*s, m.clone())));
        }
        let rev: Vec<(f64, Bytes)> =
            sl.iter_from(model.len().saturating_sub(1), true).map(|(m, s)| (s, m.clone())).collect();
        let mut want = model.to_vec();
        want.reverse();
        assert_eq!(rev, want);
    }

    #[test]
    fn ranks_and_order_follow_a_sorted_model_through_inserts_and_removals() {
        let mut sl = SkipList::new();
        let mut model: Vec<(f64, Bytes)> = Vec::new();
        let mut x = 12345u64;
        for step in 0..3000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let score = (x % 50) as f64 - 25.0;
            let member = Bytes::from(format!("m{}", (x >> 8) % 400));
            match model.iter().position(|(_, m)| *m == member) {
                Some(i) => {
                    let (s, m) = model.remove(i);
                    assert!(sl.remove(s, &m));
                    assert!(!sl.remove(s, &m));
                }
                None => {
                    sl.insert(score, member.clone());
                    model.push((score, member));
                    model.sort_by(|a, b| cmp_entry(a.0, &a.1, b.0, &b.1));
                }
            }
            if step % 250 == 0 {
                check(&sl, &model);
            }
        }
        check(&sl, &model);
        let below = sl.count_before(|s, _| s >= 0.0);
        assert_eq!(below, model.iter().filter(|(s, _)| *s < 0.0).count());
    }
}
