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
