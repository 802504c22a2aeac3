//! The orders a geo search leaves its results in. Redis sorts all of them with the C
//! library's `qsort` (glibc's is a top-down merge sort: stable, ties in scan order) and,
//! when COUNT keeps fewer, only the first ones with its own partial quicksort (`pqsort`,
//! Bentley & McIlroy's, which is not stable): both are followed step by step here, so that
//! equal distances come out in redis-server's order.

use super::search::Point;

/// ASC or DESC by distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Asc,
    Desc,
}

/// Redis's comparators: -1, 0 or 1 from `>` and `==` alone (a NaN distance compares below
/// everything, and everything below it).
fn cmp(dir: Dir, a: &Point, b: &Point) -> i32 {
    let asc = if a.dist > b.dist {
        1
    } else if a.dist == b.dist {
        0
    } else {
        -1
    };
    match dir {
        Dir::Asc => asc,
        Dir::Desc => -asc,
    }
}

/// glibc's `msort`: halves sorted in turn, merged taking from the left on ties (over
/// indexes, as glibc sorts pointers to elements this large, then the points moved once).
pub fn stable_sort(v: &mut Vec<Point>, dir: Dir) {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    let mut scratch = vec![0; v.len()];
    msort(&mut idx, &mut scratch, &|a, b| cmp(dir, &v[a], &v[b]));
    let mut old: Vec<Option<Point>> = v.drain(..).map(Some).collect();
    v.extend(idx.iter().filter_map(|&i| old.get_mut(i).and_then(Option::take)));
}

fn msort(b: &mut [usize], scratch: &mut [usize], cmp: &impl Fn(usize, usize) -> i32) {
    let n = b.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    msort(&mut b[..n1], &mut scratch[..n1], cmp);
    msort(&mut b[n1..], &mut scratch[n1..], cmp);
    let (mut i, mut j) = (0, n1);
    for slot in scratch[..n].iter_mut() {
        let take_left = j >= n || (i < n1 && cmp(b[i], b[j]) <= 0);
        if take_left {
            *slot = b[i];
            i += 1;
        } else {
            *slot = b[j];
            j += 1;
        }
    }
    b.copy_from_slice(&scratch[..n]);
}

/// Redis's `pqsort` over the whole slice, sorting only as far as it takes to put ranks
/// `0..=last` in place.
pub fn partial_sort(v: &mut [Point], dir: Dir, last: usize) {
    let n = v.len();
    pq(v, dir, 0, n, (0, last));
}

/// The median of three as `med3` picks it.
fn med3(v: &[Point], dir: Dir, a: usize, b: usize, c: usize) -> usize {
    let c3 = |x: usize, y: usize| cmp(dir, &v[x], &v[y]);
    if c3(a, b) < 0 {
        if c3(b, c) < 0 {
            b
        } else if c3(a, c) < 0 {
            c
        } else {
            a
        }
    } else if c3(b, c) > 0 {
        b
    } else if c3(a, c) < 0 {
        a
    } else {
        c
    }
}

/// Swaps the `n` elements from `a` with the `n` from `b`, pairwise.
fn vecswap(v: &mut [Point], a: usize, b: usize, n: usize) {
    for k in 0..n {
        v.swap(a + k, b + k);
    }
}

/// Whether the part `start..start + len` holds none of the ranks wanted.
fn outside(start: usize, len: usize, (l, r): (usize, usize)) -> bool {
    (l < start && r < start) || (l >= start + len && r >= start + len)
}

fn pq(v: &mut [Point], dir: Dir, mut a: usize, mut n: usize, want: (usize, usize)) {
    loop {
        if n < 7 {
            for m in a + 1..a + n {
                let mut l = m;
                while l > a && cmp(dir, &v[l - 1], &v[l]) > 0 {
                    v.swap(l, l - 1);
                    l -= 1;
                }
            }
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let (mut pl, mut pn) = (a, a + n - 1);
            if n > 40 {
                let d = n / 8;
                pl = med3(v, dir, pl, pl + d, pl + 2 * d);
                pm = med3(v, dir, pm - d, pm, pm + d);
                pn = med3(v, dir, pn - 2 * d, pn - d, pn);
            }
            pm = med3(v, dir, pl, pm, pn);
        }
        v.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let c = cmp(dir, &v[pb], &v[a]);
                if c > 0 {
                    break;
                }
                if c == 0 {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(dir, &v[pc], &v[a]);
                if c < 0 {
                    break;
                }
                if c == 0 {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        vecswap(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && !outside(a, r, want) {
            pq(v, dir, a, r, want);
        }
        let r = pd - pc;
        if r > 1 {
            a = pn - r;
            n = r;
            if !outside(a, n, want) {
                continue;
            }
        }
        return;
    }
}

/// [`cmp`] as an [`Ordering`], for tests.
#[cfg(test)]
fn ordering(dir: Dir, a: &Point, b: &Point) -> std::cmp::Ordering {
    cmp(dir, a, b).cmp(&0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(d: &[f64]) -> Vec<Point> {
        d.iter()
            .enumerate()
            .map(|(i, &dist)| Point { member: i.to_string().into(), lon: 0.0, lat: 0.0, dist, score: 0.0 })
            .collect()
    }

    #[test]
    fn partial_sort_puts_the_first_ranks_in_place() {
        let mut seed = 7u64;
        for n in [1usize, 5, 7, 8, 30, 41, 100, 333] {
            for last in [0, n / 3, n - 1] {
                let d: Vec<f64> = (0..n)
                    .map(|_| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        ((seed >> 33) % 20) as f64
                    })
                    .collect();
                for dir in [Dir::Asc, Dir::Desc] {
                    let mut v = points(&d);
                    partial_sort(&mut v, dir, last);
                    let mut all = points(&d);
                    all.sort_by(|a, b| ordering(dir, a, b));
                    let got: Vec<f64> = v[..=last].iter().map(|p| p.dist).collect();
                    let want: Vec<f64> = all[..=last].iter().map(|p| p.dist).collect();
                    assert_eq!(got, want, "n {n} last {last}");
                }
            }
        }
    }

    #[test]
    fn stable_sort_keeps_ties_in_order() {
        let mut v = points(&[3.0, 1.0, 3.0, 1.0, 2.0]);
        stable_sort(&mut v, Dir::Desc);
        let got: Vec<&[u8]> = v.iter().map(|p| &p.member[..]).collect();
        assert_eq!(got, [b"0", b"2", b"4", b"1", b"3"]);
    }
}
