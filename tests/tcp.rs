//! The TCP front end, over raw sockets: framing, pipelining, RESP3, protocol errors, limits,
//! concurrency, QUIT, the failure switch and shutdown.
#![cfg(feature = "tcp")]

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use fakeredis::net::TcpServer;
use fakeredis::resp::{encode_command, parse_reply};
use fakeredis::{Reply, Server};

/// A safety net only: every read below expects data (or EOF) that is already on its way.
const READ_TIMEOUT: Duration = Duration::from_secs(20);

fn start() -> (Server, TcpServer) {
    let server = Server::new();
    let tcp = TcpServer::start(server.clone(), "127.0.0.1:0").expect("bind");
    (server, tcp)
}

fn connect(tcp: &TcpServer) -> TcpStream {
    let s = TcpStream::connect(tcp.local_addr()).expect("connect");
    s.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

fn cmd(args: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_command(args, &mut out);
    out
}

/// Reads exactly `expected.len()` bytes and compares them.
fn expect_bytes(s: &mut TcpStream, expected: &[u8]) {
    let mut got = vec![0u8; expected.len()];
    s.read_exact(&mut got).unwrap_or_else(|e| panic!("reading {:?}: {e}", String::from_utf8_lossy(expected)));
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(expected));
}

/// Reads until the peer closes; returns everything read. Panics on timeout.
fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return all,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return all,
            Err(e) => {
                panic!("expected the server to close the connection, got {e} after {:?}", String::from_utf8_lossy(&all))
            }
        }
    }
}

/// Reads one complete reply.
fn read_reply(s: &mut TcpStream, pending: &mut Vec<u8>) -> Reply {
    let mut buf = [0u8; 4096];
    loop {
        if let Some((r, used)) = parse_reply(pending).expect("valid RESP") {
            pending.drain(..used);
            return r;
        }
        let n = s.read(&mut buf).expect("read");
        assert!(n > 0, "connection closed mid-reply");
        pending.extend_from_slice(&buf[..n]);
    }
}

fn roundtrip(s: &mut TcpStream, args: &[&str]) -> Reply {
    s.write_all(&cmd(args)).unwrap();
    read_reply(s, &mut Vec::new())
}

#[test]
fn pipelined_commands_are_answered_in_order() {
    let (_server, tcp) = start();
    let mut s = connect(&tcp);
    let mut req = Vec::new();
    req.extend(cmd(&["PING"]));
    req.extend(cmd(&["SET", "k", "v"]));
    req.extend(cmd(&["GET", "k"]));
    req.extend(cmd(&["INCR", "k"]));
    req.extend(cmd(&["GET", "missing"]));
    req.extend(cmd(&["DEL", "k"]));
    s.write_all(&req).unwrap();
    expect_bytes(&mut s, b"+PONG\r\n+OK\r\n$1\r\nv\r\n-ERR value is not an integer or out of range\r\n$-1\r\n:1\r\n");
}

#[test]
fn a_command_split_across_writes_is_reassembled() {
    let (_server, tcp) = start();
    let mut s = connect(&tcp);
    let big = "x".repeat(100_000);
    let req = cmd(&["SET", "big", &big]);
    for piece in req.chunks(7_777) {
        s.write_all(piece).unwrap();
        s.flush().unwrap();
    }
    expect_bytes(&mut s, b"+OK\r\n");
    for b in cmd(&["STRLEN", "big"]) {
        s.write_all(&[b]).unwrap();
    }
    expect_bytes(&mut s, b":100000\r\n");
}

#[test]
fn inline_commands() {
    let (_server, tcp) = start();
    let mut s = connect(&tcp);
    s.write_all(b"PING\r\nset greeting \"hello world\"\r\n\r\nget greeting\nECHO 'it''s'\r\n").unwrap();
    // `'it''s'` is an unbalanced quote for sdssplitargs: a closing quote must end the word.
    let out = read_to_close(&mut s);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "+PONG\r\n+OK\r\n$11\r\nhello world\r\n-ERR Protocol error: unbalanced quotes in request\r\n"
    );
}

#[test]
fn hello_3_switches_the_encoding_and_hello_2_switches_back() {
    let (_server, tcp) = start();
    let mut s = connect(&tcp);
    s.write_all(&cmd(&["GET", "missing"])).unwrap();
    expect_bytes(&mut s, b"$-1\r\n");

    s.write_all(&cmd(&["HELLO", "3"])).unwrap();
    let mut pending = Vec::new();
    let hello = read_reply(&mut s, &mut pending);
    let Reply::Map(fields) = hello else { panic!("HELLO 3 answers a map in RESP3, got {hello:?}") };
    assert!(fields.contains(&(Reply::bulk("proto"), Reply::Int(3))), "{fields:?}");
    assert!(pending.is_empty());

    s.write_all(&cmd(&["GET", "missing"])).unwrap();
    expect_bytes(&mut s, b"_\r\n");

    s.write_all(&cmd(&["HELLO", "2"])).unwrap();
    let hello = read_reply(&mut s, &mut pending);
    let Reply::Array(items) = hello else { panic!("HELLO 2 answers a flat array in RESP2, got {hello:?}") };
    assert!(items.windows(2).any(|w| w == [Reply::bulk("proto"), Reply::Int(2)]), "{items:?}");
    s.write_all(&cmd(&["GET", "missing"])).unwrap();
    expect_bytes(&mut s, b"$-1\r\n");
}

/// Sends `req` on a fresh connection; the server must answer `expected` and then close.
fn expect_reply_then_close(tcp: &TcpServer, req: &[u8], expected: &str) {
    let mut s = connect(tcp);
    s.write_all(req).unwrap();
    let out = read_to_close(&mut s);
    assert_eq!(String::from_utf8_lossy(&out), expected, "request {:?}", String::from_utf8_lossy(req));
}

#[test]
fn protocol_errors_are_answered_then_the_connection_closes() {
    let (_server, tcp) = start();
    expect_reply_then_close(&tcp, b"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n");
    expect_reply_then_close(&tcp, b"*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n");
    expect_reply_then_close(&tcp, b"*1\r\nfoo\r\n", "-ERR Protocol error: expected '$', got 'f'\r\n");
    expect_reply_then_close(&tcp, b"*1\r\n$536870913\r\n", "-ERR Protocol error: invalid bulk length\r\n");
    // Commands before the bad one are still answered, the ones after it are not.
    let mut req = cmd(&["PING"]);
    req.extend_from_slice(b"*x\r\n");
    req.extend(cmd(&["SET", "after", "1"]));
    expect_reply_then_close(&tcp, &req, "+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n");
    let mut s = connect(&tcp);
    assert_eq!(roundtrip(&mut s, &["EXISTS", "after"]), Reply::Int(0));
}

#[test]
fn proto_max_bulk_len_is_read_from_config() {
    let (server, tcp) = start();
    server.set_config("proto-max-bulk-len", "1mb").unwrap();
    expect_reply_then_close(&tcp, b"*1\r\n$1048577\r\n", "-ERR Protocol error: invalid bulk length\r\n");
    let mut s = connect(&tcp);
    s.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n").unwrap();
    s.write_all(&vec![b'a'; 1048576]).unwrap();
    s.write_all(b"\r\n").unwrap();
    expect_bytes(&mut s, b"+OK\r\n");
}

#[test]
fn a_huge_announced_bulk_does_not_stall_the_server() {
    let (_server, tcp) = start();
    let mut hog = connect(&tcp);
    // 512 MiB announced, a few bytes sent: the server must wait without allocating for it.
    hog.write_all(b"*2\r\n$4\r\nECHO\r\n$536870912\r\nabc").unwrap();
    let mut others: Vec<TcpStream> = (0..3).map(|_| connect(&tcp)).collect();
    for s in &mut others {
        assert_eq!(roundtrip(s, &["PING"]), Reply::simple("PONG"));
    }
    // The hog is still connected and waiting; when it gives up, the server carries on.
    drop(hog);
    assert_eq!(roundtrip(&mut others[0], &["SET", "k", "v"]), Reply::OK);
}

#[test]
fn unauthenticated_clients_get_the_tighter_limits() {
    let (server, tcp) = start();
    server.set_config("requirepass", "secret").unwrap();
    expect_reply_then_close(&tcp, b"*11\r\n", "-ERR Protocol error: unauthenticated multibulk length\r\n");
    expect_reply_then_close(
        &tcp,
        b"*2\r\n$4\r\nECHO\r\n$16385\r\n",
        "-ERR Protocol error: unauthenticated bulk length\r\n",
    );
    let mut s = connect(&tcp);
    assert_eq!(roundtrip(&mut s, &["GET", "k"]), Reply::err("NOAUTH Authentication required."));
    assert_eq!(roundtrip(&mut s, &["AUTH", "secret"]), Reply::OK);
    // Authenticated: the normal limits apply.
    let big = "y".repeat(20_000);
    let many: Vec<&str> = std::iter::once("MSET").chain(std::iter::repeat_n(["a", "b"], 6).flatten()).collect();
    assert_eq!(roundtrip(&mut s, &many), Reply::OK);
    assert_eq!(roundtrip(&mut s, &["ECHO", &big]), Reply::bulk(big.as_bytes()));
}

#[test]
fn many_concurrent_clients_increment_one_counter_exactly() {
    const THREADS: usize = 20;
    const INCRS: usize = 200;
    let (server, tcp) = start();
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                let mut s = connect(&tcp);
                let mut pending = Vec::new();
                let req = cmd(&["INCR", "counter"]);
                for _ in 0..INCRS {
                    s.write_all(&req).unwrap();
                    let r = read_reply(&mut s, &mut pending);
                    assert!(matches!(r, Reply::Int(n) if n >= 1), "{r:?}");
                }
            });
        }
    });
    let mut s = connect(&tcp);
    assert_eq!(roundtrip(&mut s, &["GET", "counter"]), Reply::bulk((THREADS * INCRS).to_string()));
    // The embedded view agrees with the network view.
    assert_eq!(server.client().cmd(["GET", "counter"]).unwrap(), Reply::bulk((THREADS * INCRS).to_string()));
}

#[test]
fn quit_flushes_ok_then_closes() {
    let (_server, tcp) = start();
    let mut req = cmd(&["SET", "k", "1"]);
    req.extend(cmd(&["QUIT"]));
    req.extend(cmd(&["SET", "k", "2"]));
    expect_reply_then_close(&tcp, &req, "+OK\r\n+OK\r\n");
    let mut s = connect(&tcp);
    assert_eq!(roundtrip(&mut s, &["GET", "k"]), Reply::bulk("1"));
}

#[test]
fn the_failure_switch_closes_connections_without_a_reply() {
    let (server, tcp) = start();
    let mut s = connect(&tcp);
    assert_eq!(roundtrip(&mut s, &["PING"]), Reply::simple("PONG"));
    server.set_failing(true);
    s.write_all(&cmd(&["PING"])).unwrap();
    assert_eq!(read_to_close(&mut s), b"");
    // New connections are accepted and dropped too.
    expect_reply_then_close(&tcp, &cmd(&["PING"]), "");
    server.set_failing(false);
    let mut s = connect(&tcp);
    assert_eq!(roundtrip(&mut s, &["PING"]), Reply::simple("PONG"));
}

#[test]
fn info_and_client_list_show_the_network_addresses() {
    let (_server, tcp) = start();
    let mut s = connect(&tcp);
    let info = roundtrip(&mut s, &["INFO", "server"]);
    let info = info.as_str().expect("bulk").into_owned();
    assert!(info.contains(&format!("tcp_port:{}\r\n", tcp.port())), "{info}");
    let me = s.local_addr().unwrap();
    let client_info = roundtrip(&mut s, &["CLIENT", "INFO"]);
    let client_info = client_info.as_str().expect("bulk").into_owned();
    assert!(client_info.contains(&format!(" addr={me} ")), "{client_info}");
    assert!(client_info.contains(&format!(" laddr={} ", tcp.local_addr())), "{client_info}");
}

#[test]
fn network_byte_counters_are_kept() {
    let (server, tcp) = start();
    let mut s = connect(&tcp);
    let req = cmd(&["ECHO", "0123456789"]);
    s.write_all(&req).unwrap();
    expect_bytes(&mut s, b"$10\r\n0123456789\r\n");
    let (input, output) = server.with_state(|st| (st.stats.net_input_bytes, st.stats.net_output_bytes));
    assert_eq!(input, req.len() as u64);
    assert_eq!(output, 17);
}

#[test]
fn stop_closes_connections_and_the_listener() {
    let (server, tcp) = start();
    let addr = tcp.local_addr();
    let mut s = connect(&tcp);
    assert_eq!(roundtrip(&mut s, &["PING"]), Reply::simple("PONG"));
    tcp.stop();
    assert_eq!(read_to_close(&mut s), b"");
    assert!(TcpStream::connect(addr).is_err(), "the listener must be closed");
    assert_eq!(server.with_state(|st| st.clients.len()), 0, "every connection's client is gone");
    // The data outlives the listener; a new one serves it.
    server.client().cmd(["SET", "k", "v"]).unwrap();
    let tcp = TcpServer::start(server.clone(), "127.0.0.1:0").unwrap();
    let mut s = connect(&tcp);
    assert_eq!(roundtrip(&mut s, &["GET", "k"]), Reply::bulk("v"));
    drop(tcp); // dropping stops too, without hanging on the open connection
    assert_eq!(read_to_close(&mut s), b"");
}

#[test]
fn a_busy_port_is_reported_by_start() {
    let (server, tcp) = start();
    let err = TcpServer::start(server, &tcp.local_addr().to_string()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
}

#[tokio::test]
async fn serve_runs_inside_an_existing_runtime() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = Server::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(fakeredis::net::serve(server.clone(), listener, async {
        let _ = stop_rx.await;
    }));
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"PING\r\n").await.unwrap();
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"+PONG\r\n");
    stop_tx.send(()).unwrap();
    task.await.unwrap().unwrap();
    // serve() closed the connection it accepted before returning.
    assert_eq!(s.read(&mut buf).await.unwrap(), 0);
}

#[tokio::test]
async fn tcp_server_can_be_started_and_dropped_inside_a_runtime() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_server, tcp) = start();
    let mut s = tokio::net::TcpStream::connect(tcp.local_addr()).await.unwrap();
    s.write_all(b"PING\r\n").await.unwrap();
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"+PONG\r\n");
    drop(tcp);
    assert_eq!(s.read(&mut buf).await.unwrap(), 0);
}

#[test]
fn maxclients_refuses_with_redis_error() {
    let (server, tcp) = start();
    server.set_config("maxclients", "2").unwrap();
    let mut a = connect(&tcp);
    a.write_all(&cmd(&["PING"])).unwrap();
    expect_bytes(&mut a, b"+PONG\r\n");
    let mut b = connect(&tcp);
    b.write_all(&cmd(&["PING"])).unwrap();
    expect_bytes(&mut b, b"+PONG\r\n");
    let mut c = connect(&tcp);
    assert_eq!(read_to_close(&mut c), b"-ERR max number of clients reached\r\n");
    let rejected = server.with_state(|st| st.stats.rejected_connections);
    assert_eq!(rejected, 1);
    // The others keep being served.
    a.write_all(&cmd(&["PING"])).unwrap();
    expect_bytes(&mut a, b"+PONG\r\n");
}

#[test]
fn query_buffer_limit_closes_the_connection() {
    let (server, tcp) = start();
    server.set_config("client-query-buffer-limit", "1mb").unwrap();
    let mut s = connect(&tcp);
    // A 2 MB bulk announced, 1.5 MB sent: the partial command outgrows the limit.
    s.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n").unwrap();
    let chunk = vec![b'x'; 1_500_000];
    let _ = s.write_all(&chunk);
    assert_eq!(read_to_close(&mut s), b"");
    // The server keeps serving everyone else.
    let mut t = connect(&tcp);
    t.write_all(&cmd(&["PING"])).unwrap();
    expect_bytes(&mut t, b"+PONG\r\n");
}

#[test]
fn idle_timeout_closes_on_the_virtual_clock() {
    let (server, tcp) = start();
    server.clock().freeze();
    server.set_config("timeout", "1").unwrap();
    let mut s = connect(&tcp);
    s.write_all(&cmd(&["PING"])).unwrap();
    expect_bytes(&mut s, b"+PONG\r\n");
    server.advance(Duration::from_millis(2500));
    assert_eq!(read_to_close(&mut s), b"");
}

/// SHUTDOWN: no reply, the connection closes, the other clients are dropped and the port
/// stops listening, as when redis-server exits; ABORT and bad options first answer errors.
/// `a` sent the command that stops the server: it gets no reply, and `b` is closed too.
fn both_closed_without_reply(mut a: TcpStream, mut b: TcpStream) {
    let mut rest = Vec::new();
    a.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "no reply: {:?}", String::from_utf8_lossy(&rest));
    let _ = b.write_all(&cmd(&["PING"]));
    let mut got = Vec::new();
    let _ = b.read_to_end(&mut got);
    assert!(got.is_empty(), "{:?}", String::from_utf8_lossy(&got));
}

#[test]
fn shutdown_stops_the_server() {
    let (server, tcp) = start();
    let mut a = connect(&tcp);
    let mut b = connect(&tcp);
    b.write_all(&cmd(&["PING"])).unwrap();
    expect_bytes(&mut b, b"+PONG\r\n");
    a.write_all(&cmd(&["SHUTDOWN", "ABORT"])).unwrap();
    expect_bytes(&mut a, b"-ERR No shutdown in progress.\r\n");
    a.write_all(&cmd(&["SHUTDOWN", "SAVE", "NOSAVE"])).unwrap();
    expect_bytes(&mut a, b"-ERR syntax error\r\n");
    a.write_all(&cmd(&["SHUTDOWN", "NOSAVE"])).unwrap();
    // The other connection is closed; once the listener is gone, nothing connects.
    both_closed_without_reply(a, b);
    assert!(server.is_stopped());
    let mut refused = false;
    for _ in 0..200 {
        if TcpStream::connect(tcp.local_addr()).is_err() {
            refused = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(refused, "the port still accepts connections");
    let mut embedded = server.client();
    assert!(embedded.execute(&[b"PING".to_vec()]).is_err(), "an embedded client is dropped too");
}

#[test]
fn debug_segfault_crashes_the_server() {
    let (server, tcp) = start();
    server.set_startup_config("enable-debug-command", "yes").unwrap();
    let logged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = logged.clone();
    server.set_log(Some(Box::new(move |l| sink.lock().unwrap().push(String::from_utf8_lossy(l.message).into_owned()))));
    let mut a = connect(&tcp);
    let mut b = connect(&tcp);
    b.write_all(&cmd(&["PING"])).unwrap();
    expect_bytes(&mut b, b"+PONG\r\n");
    a.write_all(&cmd(&["DEBUG", "SEGFAULT"])).unwrap();
    both_closed_without_reply(a, b);
    assert!(server.is_stopped() && server.has_crashed());
    assert!(logged.lock().unwrap().iter().any(|l| l.contains("crashed by signal: 11")), "{:?}", logged.lock().unwrap());
}

/// RESP3 attributes go before the reply, as redis-server 7.0.15 sends DEBUG PROTOCOL attrib
/// (bytes checked against it); RESP2 clients get the reply alone.
#[test]
fn attribute_replies_precede_the_reply_in_resp3_only() {
    let (server, tcp) = start();
    server.set_startup_config("enable-debug-command", "yes").unwrap();
    let reply = b"$39\r\nSome real reply following the attribute\r\n";
    let mut a = connect(&tcp);
    a.write_all(&cmd(&["DEBUG", "PROTOCOL", "attrib"])).unwrap();
    expect_bytes(&mut a, reply);
    a.write_all(&cmd(&["HELLO", "3"])).unwrap();
    let mut hello = [0u8; 1];
    a.read_exact(&mut hello).unwrap();
    assert_eq!(&hello, b"%");
    let mut rest = Vec::new();
    while !rest.ends_with(b"modules\r\n*0\r\n") {
        let mut buf = [0u8; 256];
        let n = a.read(&mut buf).unwrap();
        assert!(n > 0, "closed after {:?}", String::from_utf8_lossy(&rest));
        rest.extend_from_slice(&buf[..n]);
    }
    a.write_all(&cmd(&["DEBUG", "PROTOCOL", "attrib"])).unwrap();
    expect_bytes(&mut a, &[&b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"[..], reply].concat());
}
