//! Throughput between clients over TCP, for any server that speaks RESP: PUBLISH fan-out to
//! 1, 10 and 100 subscribers, and a BLPOP/LPUSH ping-pong between two clients.
//! `bench/between-clients.sh` runs it against fakeredis-server and redis-server side by side.
//!
//!   cargo run --release --example between_clients_bench -- <port> [fanout|pingpong|all]
//!
//! Prints one line per test: `name rate` (messages delivered per second, or round trips
//! per second).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_nodelay(true).ok();
    s
}

/// Reads until `needle` has been seen `n` times in the stream.
fn read_until_count(s: &mut TcpStream, needle: &[u8], n: usize) {
    let mut seen = 0;
    let mut carry: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while seen < n {
        let got = s.read(&mut buf).expect("read");
        assert!(got > 0, "server closed the connection");
        carry.extend_from_slice(&buf[..got]);
        let mut i = 0;
        while let Some(p) = find(&carry[i..], needle) {
            seen += 1;
            i += p + needle.len();
        }
        // Keep a tail that may hold the start of a split needle.
        let keep = carry.len().saturating_sub(needle.len() - 1).max(i);
        carry.drain(..keep);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// PUBLISH `messages` times (pipelined in batches) with `subs` subscribers: deliveries/s.
fn fanout(port: u16, subs: usize, messages: usize) -> f64 {
    let channel = format!("bench-{subs}");
    let mut readers = Vec::new();
    for _ in 0..subs {
        let mut s = connect(port);
        s.write_all(&command(&[b"SUBSCRIBE", channel.as_bytes()])).expect("subscribe");
        read_until_count(&mut s, b"subscribe", 1);
        readers.push(std::thread::spawn(move || read_until_count(&mut s, b"message\r\n", messages)));
    }
    let mut publisher = connect(port);
    let started = Instant::now();
    let batch = 100;
    let mut sent = 0;
    while sent < messages {
        let n = batch.min(messages - sent);
        let mut out = Vec::new();
        for i in 0..n {
            out.extend_from_slice(&command(&[b"PUBLISH", channel.as_bytes(), format!("m{}", sent + i).as_bytes()]));
        }
        publisher.write_all(&out).expect("publish");
        read_until_count(&mut publisher, b"\r\n", n);
        sent += n;
    }
    for r in readers {
        r.join().expect("subscriber");
    }
    (messages * subs) as f64 / started.elapsed().as_secs_f64()
}

/// `rounds` round trips: A pops `ping` and pushes `pong`, B pushes `ping` and pops `pong`.
fn pingpong(port: u16, rounds: usize) -> f64 {
    let mut a = connect(port);
    let mut b = connect(port);
    for s in [&mut a, &mut b] {
        s.write_all(&command(&[b"DEL", b"ping", b"pong"])).expect("del");
        read_until_count(s, b"\r\n", 1);
    }
    let echo = std::thread::spawn(move || {
        for _ in 0..rounds {
            a.write_all(&command(&[b"BLPOP", b"ping", b"0"])).expect("blpop");
            read_until_count(&mut a, b"ping\r\n$1\r\nx\r\n", 1);
            a.write_all(&command(&[b"LPUSH", b"pong", b"x"])).expect("lpush");
            read_until_count(&mut a, b"\r\n", 1);
        }
    });
    let started = Instant::now();
    for _ in 0..rounds {
        b.write_all(&command(&[b"LPUSH", b"ping", b"x"])).expect("lpush");
        read_until_count(&mut b, b"\r\n", 1);
        b.write_all(&command(&[b"BLPOP", b"pong", b"0"])).expect("blpop");
        read_until_count(&mut b, b"pong\r\n$1\r\nx\r\n", 1);
    }
    echo.join().expect("echo client");
    rounds as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).expect("usage: between_clients_bench <port> [test]");
    let which = args.next().unwrap_or_else(|| "all".into());
    if which == "all" || which == "fanout" {
        for (subs, messages) in [(1, 50_000), (10, 10_000), (100, 2_000)] {
            println!("publish_fanout_{subs} {:.0}", fanout(port, subs, messages));
        }
    }
    if which == "all" || which == "pingpong" {
        println!("blpop_lpush_pingpong {:.0}", pingpong(port, 5_000));
    }
}
