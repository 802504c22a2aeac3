//! Collection benchmarks: how the cost of a command grows with its collection. Each group
//! runs one command on collections of 1k, 100k and 1M elements built beforehand; the
//! targets (issue 8): ZADD, ZRANK and ZRANGE by rank and by score stay O(log n), LINDEX and
//! LSET near either end of a long list stay O(1), SMEMBERS and HGETALL are linear with a
//! small constant (they run on 1k elements only: per element is what matters); XADD,
//! XRANGE of 10 from the middle, XREADGROUP of one new entry and XDEL stay O(log n) in the
//! stream's length; BITCOUNT and SETBIT run on a 1 MiB string; GEOSEARCH of about ten
//! members around a point grows with the members near it, not with the set; PFADD into a
//! dense HyperLogLog, PFCOUNT right after one (the estimate recomputed) and PFMERGE of two
//! dense ones are constant.
//!
//! `cargo bench --bench collections` (about two minutes); `-- zset` runs one group.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use fakeredis::{Client, Server};
use std::time::Duration;

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

fn argv(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

/// Sends `head` followed by the items of `n` elements, 1000 to a command (a fast build).
fn fill(c: &mut Client, head: &[&str], n: usize, item: impl Fn(usize) -> Vec<String>) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut a = argv(head);
        for &i in chunk {
            a.extend(item(i).into_iter().map(String::into_bytes));
        }
        c.execute(&a).unwrap();
    }
}

fn zset(c: &mut Criterion) {
    let mut g = c.benchmark_group("zset");
    for n in SIZES {
        let server = Server::new();
        let mut cl = server.client();
        fill(&mut cl, &["ZADD", "z"], n, |i| vec![(i * 2).to_string(), format!("m{i}")]);
        let mid = format!("m{}", n / 2);
        let mut next = n;
        g.bench_with_input(BenchmarkId::new("zadd_new", n), &n, |b, _| {
            b.iter(|| {
                next += 1;
                let a = argv(&["ZADD", "z", &(next * 2 + 1).to_string(), &format!("n{next}")]);
                black_box(cl.execute(&a).unwrap())
            })
        });
        let rank = argv(&["ZRANK", "z", &mid]);
        g.bench_with_input(BenchmarkId::new("zrank", n), &n, |b, _| b.iter(|| black_box(cl.execute(&rank).unwrap())));
        let (lo, hi) = ((n / 2).to_string(), (n / 2 + 9).to_string());
        let by_rank = argv(&["ZRANGE", "z", &lo, &hi]);
        g.bench_with_input(BenchmarkId::new("zrange_rank_10", n), &n, |b, _| {
            b.iter(|| black_box(cl.execute(&by_rank).unwrap()))
        });
        let (slo, shi) = (n.to_string(), (n + 18).to_string());
        let by_score = argv(&["ZRANGE", "z", &slo, &shi, "BYSCORE"]);
        g.bench_with_input(BenchmarkId::new("zrange_score_10", n), &n, |b, _| {
            b.iter(|| black_box(cl.execute(&by_score).unwrap()))
        });
    }
    g.finish();
}

fn list(c: &mut Criterion) {
    let mut g = c.benchmark_group("list");
    for n in SIZES {
        let server = Server::new();
        let mut cl = server.client();
        fill(&mut cl, &["RPUSH", "l"], n, |i| vec![format!("e{i}")]);
        let head = argv(&["LINDEX", "l", "3"]);
        let tail = argv(&["LINDEX", "l", "-3"]);
        let set = argv(&["LSET", "l", "-3", "x"]);
        g.bench_with_input(BenchmarkId::new("lindex_head", n), &n, |b, _| {
            b.iter(|| black_box(cl.execute(&head).unwrap()))
        });
        g.bench_with_input(BenchmarkId::new("lindex_tail", n), &n, |b, _| {
            b.iter(|| black_box(cl.execute(&tail).unwrap()))
        });
        g.bench_with_input(BenchmarkId::new("lset_tail", n), &n, |b, _| {
            b.iter(|| black_box(cl.execute(&set).unwrap()))
        });
        let cycle = [argv(&["RPUSH", "l", "x"]), argv(&["LPOP", "l"])];
        g.bench_with_input(BenchmarkId::new("rpush_lpop", n), &n, |b, _| {
            b.iter(|| {
                for a in &cycle {
                    black_box(cl.execute(a).unwrap());
                }
            })
        });
    }
    g.finish();
}

fn stream(c: &mut Criterion) {
    let mut g = c.benchmark_group("stream");
    for n in SIZES {
        let server = Server::new();
        let mut cl = server.client();
        fill(
            &mut cl,
            &["EVAL", "for i = 1, #ARGV do redis.call('XADD', 's', ARGV[i] .. '-1', 'f', 'v') end", "0"],
            n,
            |i| vec![(i + 1).to_string()],
        );
        cl.execute(&argv(&["XGROUP", "CREATE", "s", "g", "0"])).unwrap();
        let mut next = n;
        g.bench_with_input(BenchmarkId::new("xadd", n), &n, |b, _| {
            b.iter(|| {
                next += 1;
                black_box(cl.execute(&argv(&["XADD", "s", &format!("{next}-1"), "f", "v"])).unwrap())
            })
        });
        let mid = (n / 2).to_string();
        let range = argv(&["XRANGE", "s", &mid, "+", "COUNT", "10"]);
        g.bench_with_input(BenchmarkId::new("xrange_10", n), &n, |b, _| {
            b.iter(|| black_box(cl.execute(&range).unwrap()))
        });
        let read = argv(&["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "NOACK", "STREAMS", "s", ">"]);
        g.bench_with_input(BenchmarkId::new("xreadgroup_1", n), &n, |b, _| {
            b.iter(|| black_box(cl.execute(&read).unwrap()))
        });
        let mut gone = 0;
        g.bench_with_input(BenchmarkId::new("xdel", n), &n, |b, _| {
            b.iter(|| {
                gone += 1;
                black_box(cl.execute(&argv(&["XDEL", "s", &format!("{gone}-1")])).unwrap())
            })
        });
    }
    g.finish();
}

fn bitmap(c: &mut Criterion) {
    let mut g = c.benchmark_group("bitmap");
    let server = Server::new();
    let mut cl = server.client();
    cl.execute(&argv(&["SETRANGE", "b", "1048575", "x"])).unwrap();
    let count = argv(&["BITCOUNT", "b"]);
    g.bench_function("bitcount_1mib", |b| b.iter(|| black_box(cl.execute(&count).unwrap())));
    let mut off = 0u64;
    g.bench_function("setbit_1mib", |b| {
        b.iter(|| {
            off = (off + 7919) % (8 << 20);
            black_box(cl.execute(&argv(&["SETBIT", "b", &off.to_string(), "1"])).unwrap())
        })
    });
    g.finish();
}

fn geo(c: &mut Criterion) {
    let mut g = c.benchmark_group("geo");
    for n in SIZES {
        let server = Server::new();
        let mut cl = server.client();
        // A square grid around (13, 52), about 1.1 m apart per 0.00001 degree.
        let side = (n as f64).sqrt().ceil() as usize;
        fill(&mut cl, &["GEOADD", "g"], n, |i| {
            let (x, y) = (i % side, i / side);
            vec![format!("{}", 13.0 + x as f64 * 0.0001), format!("{}", 52.0 + y as f64 * 0.0001), format!("p{i}")]
        });
        let (lon, lat) = (13.0 + side as f64 * 0.00005, 52.0 + side as f64 * 0.00005);
        let search =
            argv(&["GEOSEARCH", "g", "FROMLONLAT", &lon.to_string(), &lat.to_string(), "BYRADIUS", "20", "m", "ASC"]);
        g.bench_with_input(BenchmarkId::new("geosearch_near", n), &n, |b, _| {
            b.iter(|| black_box(cl.execute(&search).unwrap()))
        });
    }
    g.finish();
}

fn hyperloglog(c: &mut Criterion) {
    let mut g = c.benchmark_group("hyperloglog");
    let server = Server::new();
    let mut cl = server.client();
    fill(&mut cl, &["PFADD", "h1"], 100_000, |i| vec![format!("a{i}")]);
    fill(&mut cl, &["PFADD", "h2"], 100_000, |i| vec![format!("b{i}")]);
    let mut i = 0u64;
    g.bench_function("pfadd_dense", |b| {
        b.iter(|| {
            i += 1;
            black_box(cl.execute(&argv(&["PFADD", "h1", &format!("x{i}")])).unwrap())
        })
    });
    g.bench_function("pfadd_then_pfcount", |b| {
        b.iter(|| {
            i += 1;
            cl.execute(&argv(&["PFADD", "h1", &format!("y{i}")])).unwrap();
            black_box(cl.execute(&argv(&["PFCOUNT", "h1"])).unwrap())
        })
    });
    let merge = argv(&["PFMERGE", "h3", "h1", "h2"]);
    g.bench_function("pfmerge_two_dense", |b| b.iter(|| black_box(cl.execute(&merge).unwrap())));
    g.finish();
}

fn whole(c: &mut Criterion) {
    let mut g = c.benchmark_group("whole");
    let server = Server::new();
    let mut cl = server.client();
    fill(&mut cl, &["SADD", "s"], 1000, |i| vec![format!("m{i}")]);
    fill(&mut cl, &["HSET", "h"], 1000, |i| vec![format!("f{i}"), format!("v{i}")]);
    let smembers = argv(&["SMEMBERS", "s"]);
    let hgetall = argv(&["HGETALL", "h"]);
    g.bench_function("smembers_1000", |b| b.iter(|| black_box(cl.execute(&smembers).unwrap())));
    g.bench_function("hgetall_1000", |b| b.iter(|| black_box(cl.execute(&hgetall).unwrap())));
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = zset, list, stream, bitmap, geo, hyperloglog, whole
}
criterion_main!(benches);
