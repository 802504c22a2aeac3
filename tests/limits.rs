//! Bounded work and memory on hostile input: allocations that cannot be made are errors,
//! idle clients time out on the server's clock, buffers give their memory back.

use std::time::Duration;

use fakeredis::dispatch::ClientError;
use fakeredis::resp::RequestParser;
use fakeredis::{Reply, Server};

#[test]
fn an_impossible_allocation_is_an_error_not_an_abort() {
    let server = Server::new();
    let mut c = server.client();
    assert_eq!(c.cmd(["CONFIG", "SET", "proto-max-bulk-len", "9223372036854775807"]).unwrap(), Reply::OK);
    let r = c.cmd(["SETRANGE", "k", "9223372036854775806", "x"]).unwrap();
    assert_eq!(r, Reply::err(fakeredis::error::ALLOC_FAILED));
    assert_eq!(c.cmd(["SET", "k", "v"]).unwrap(), Reply::OK);
    let r = c.cmd(["SETRANGE", "k", "9223372036854775806", "x"]).unwrap();
    assert_eq!(r, Reply::err(fakeredis::error::ALLOC_FAILED));
    assert_eq!(c.cmd(["GET", "k"]).unwrap(), Reply::bulk("v"));
    let mut other = server.client();
    assert_eq!(other.cmd(["PING"]).unwrap(), Reply::simple("PONG"));
}

#[test]
fn idle_clients_time_out_on_the_virtual_clock() {
    let server = Server::new();
    server.clock().freeze();
    let mut idle = server.client();
    let mut busy = server.client();
    assert_eq!(busy.cmd(["CONFIG", "SET", "timeout", "2"]).unwrap(), Reply::OK);
    server.advance(Duration::from_millis(1500));
    assert_eq!(busy.cmd(["PING"]).unwrap(), Reply::simple("PONG"));
    server.advance(Duration::from_millis(1500));
    assert!(!busy.idle_timed_out());
    assert!(idle.idle_timed_out());
    assert_eq!(idle.cmd(["PING"]), Err(ClientError::ConnectionDropped));
    assert_eq!(busy.cmd(["PING"]).unwrap(), Reply::simple("PONG"));
    assert_eq!(busy.cmd(["CONFIG", "SET", "timeout", "0"]).unwrap(), Reply::OK);
    server.advance(Duration::from_secs(3600));
    assert_eq!(busy.cmd(["PING"]).unwrap(), Reply::simple("PONG"));
}

#[test]
fn the_request_buffer_gives_back_a_huge_value() {
    let mut p = RequestParser::new();
    let value = vec![b'x'; 8 << 20];
    let mut req = format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${}\r\n", value.len()).into_bytes();
    req.extend_from_slice(&value);
    req.extend_from_slice(b"\r\n");
    p.feed(&req);
    let argv = p.next_command(Default::default()).unwrap().unwrap();
    assert_eq!(argv[2].len(), 8 << 20);
    assert!(p.buffer_capacity() >= 8 << 20);
    p.release_idle();
    assert!(p.buffer_capacity() <= 64 * 1024, "kept {} bytes", p.buffer_capacity());
}

#[test]
fn replies_share_stored_values_instead_of_copying_them() {
    let server = Server::new();
    let mut c = server.client();
    let big = vec![b'v'; 1 << 20];
    assert_eq!(c.cmd([b"SET".as_slice(), b"k", &big]).unwrap(), Reply::OK);
    let (Reply::Bulk(a), Reply::Bulk(b)) = (c.cmd(["GET", "k"]).unwrap(), c.cmd(["GET", "k"]).unwrap()) else {
        panic!("GET answers a bulk string")
    };
    assert_eq!(a.as_ptr(), b.as_ptr(), "both replies point at the stored bytes");
    let Reply::Array(items) = c.cmd(["MGET", "k", "k"]).unwrap() else { panic!("MGET answers an array") };
    for item in items {
        let Reply::Bulk(x) = item else { panic!("a bulk string") };
        assert_eq!(x.as_ptr(), a.as_ptr());
    }
    let Reply::Bulk(sub) = c.cmd(["GETRANGE", "k", "10", "20"]).unwrap() else { panic!("a bulk string") };
    assert_eq!(sub.as_ptr(), a[10..].as_ptr());
}

#[test]
fn output_keeps_large_values_by_reference_and_encodes_the_same_bytes() {
    use fakeredis::resp::{encode, Output, SHARE_MIN};
    let big = bytes::Bytes::from(vec![b'x'; SHARE_MIN + 1]);
    let reply = Reply::Array(vec![
        Reply::bulk("small"),
        Reply::Bulk(big.clone()),
        Reply::Int(7),
        Reply::Map(vec![(Reply::bulk("k"), Reply::Bulk(big.clone()))]),
    ]);
    for resp3 in [false, true] {
        let mut flat = Vec::new();
        encode(&reply, resp3, &mut flat);
        let mut out = Output::default();
        out.push(&reply, resp3);
        out.push_raw(b"+OK\r\n");
        flat.extend_from_slice(b"+OK\r\n");
        assert_eq!(out.len(), flat.len());
        let parts = out.take();
        assert!(parts.iter().any(|p| p.as_ptr() == big.as_ptr()), "the large value is not copied");
        assert_eq!(parts.concat(), flat);
        assert!(out.is_empty());
    }
}

/// maxmemory with allkeys-lru, as a cache test uses it: writes go on past the limit, the
/// used memory stays under it, old keys are evicted, and a key read after every write stays.
#[test]
fn allkeys_lru_keeps_a_cache_under_maxmemory() {
    let server = fakeredis::Server::with_profile(fakeredis::Profile::redis(7, 0, 15));
    server.clock().freeze();
    let mut c = server.client();
    let ok = |r: fakeredis::Reply| assert_eq!(r, fakeredis::Reply::OK);
    ok(c.cmd(["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]).unwrap());
    ok(c.cmd(["CONFIG", "SET", "maxmemory", "2mb"]).unwrap());
    ok(c.cmd(["SET", "hot", "keep me"]).unwrap());
    let value = "v".repeat(100);
    for i in 0..20_000 {
        server.advance(std::time::Duration::from_millis(1));
        ok(c.cmd(["SET", &format!("key:{i}"), &value]).unwrap());
        c.cmd(["GET", "hot"]).unwrap();
    }
    let info = c.cmd(["INFO", "memory"]).unwrap();
    let text = info.as_str().unwrap().into_owned();
    let used: u64 = text.lines().find_map(|l| l.strip_prefix("used_memory:")).unwrap().trim().parse().unwrap();
    assert!(used <= 2 * 1024 * 1024, "used_memory {used} over maxmemory");
    let keys = c.cmd(["DBSIZE"]).unwrap();
    let fakeredis::Reply::Int(n) = keys else { panic!("{keys:?}") };
    assert!((1000..20_000).contains(&n), "{n} keys left");
    assert_eq!(c.cmd(["GET", "hot"]).unwrap(), fakeredis::Reply::bulk("keep me"));
    assert_eq!(c.cmd(["EXISTS", "key:0"]).unwrap(), fakeredis::Reply::Int(0), "the oldest went first");
    let stats = c.cmd(["INFO", "stats"]).unwrap().as_str().unwrap().into_owned();
    let evicted: i64 = stats.lines().find_map(|l| l.strip_prefix("evicted_keys:")).unwrap().trim().parse().unwrap();
    assert_eq!(evicted, 20_001 - n);
}
