//! Engine micro-benchmarks: embedded commands through `Client::execute` with pre-built
//! argument vectors (no protocol), and the RESP request parser and encoder on a SET.
//!
//! `cargo bench --bench engine` (about half a minute); `cargo bench --bench engine -- get`
//! runs one group. Compare with a real server over TCP with `bench/redis-benchmark.sh`;
//! `bench/startup.sh` times fakeredis-server's first PING from exec, `bench/memory.sh` its
//! memory per key, each next to redis-server.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use fakeredis::resp::{encode_command, Limits, RequestParser};
use fakeredis::Server;
use std::time::Duration;

fn argv(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

fn commands(c: &mut Criterion) {
    let server = Server::new();
    let mut client = server.client();
    let keys: Vec<String> = (0..10).map(|i| format!("key:{i}")).collect();
    for k in &keys {
        client.execute(&argv(&["SET", k, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"])).unwrap();
    }

    let mut g = c.benchmark_group("embedded");
    let set = argv(&["SET", "key:set", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]);
    g.bench_function("set", |b| b.iter(|| client.execute(black_box(&set)).unwrap()));
    let get = argv(&["GET", "key:0"]);
    g.bench_function("get", |b| b.iter(|| client.execute(black_box(&get)).unwrap()));
    let incr = argv(&["INCR", "counter"]);
    g.bench_function("incr", |b| b.iter(|| client.execute(black_box(&incr)).unwrap()));
    let mut mget = argv(&["MGET"]);
    mget.extend(keys.iter().map(|k| k.as_bytes().to_vec()));
    g.bench_function("mget_10", |b| b.iter(|| client.execute(black_box(&mget)).unwrap()));
    // What a pipeline of 16 commands costs the engine: the same calls back to back.
    let pipeline: Vec<Vec<Vec<u8>>> = (0..16).map(|i| if i % 2 == 0 { set.clone() } else { get.clone() }).collect();
    g.bench_function("pipeline_16_set_get", |b| {
        b.iter(|| {
            for cmd in &pipeline {
                black_box(client.execute(cmd).unwrap());
            }
        })
    });
    g.finish();
}

fn resp(c: &mut Criterion) {
    let set = argv(&["SET", "key:000000000042", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]);
    let mut wire = Vec::new();
    encode_command(&set, &mut wire);

    let mut g = c.benchmark_group("resp");
    g.bench_function("parse_set", |b| {
        b.iter(|| {
            let mut p = RequestParser::new();
            p.feed(black_box(&wire));
            p.next_command(Limits::default()).unwrap().unwrap()
        })
    });
    g.bench_function("encode_set", |b| {
        let mut out = Vec::with_capacity(128);
        b.iter(|| {
            out.clear();
            encode_command(black_box(&set), &mut out);
            out.len()
        })
    });
    g.bench_function("parse_encode_set", |b| {
        let mut out = Vec::with_capacity(128);
        b.iter(|| {
            let mut p = RequestParser::new();
            p.feed(black_box(&wire));
            let cmd = p.next_command(Limits::default()).unwrap().unwrap();
            out.clear();
            encode_command(&cmd, &mut out);
            out.len()
        })
    });
    g.finish();
}

/// In-process startup: a new server, a client, and its first command answered (issue 13's
/// target: under 50 us).
fn startup(c: &mut Criterion) {
    let ping = argv(&["PING"]);
    c.bench_function("startup/server_new_first_ping", |b| {
        b.iter(|| {
            let server = Server::new();
            let mut client = server.client();
            black_box(client.execute(&ping).unwrap())
        })
    });
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = commands, resp, startup
}
criterion_main!(benches);
