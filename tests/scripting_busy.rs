//! A script past `busy-reply-threshold`: the other clients get `-BUSY` (without waiting
//! for the script), SCRIPT KILL and FUNCTION KILL stop it from another client unless it
//! has written (`-UNKILLABLE`), FUNCTION STATS shows the running function, and afterwards
//! everyone is served again. The threshold is real time, as in Redis; the tests wait for
//! the BUSY state by asking, never by sleeping.

#![cfg(feature = "lua")]

use std::thread;
use std::time::{Duration, Instant};

use fakeredis::{Reply, Server};

fn err(text: &str) -> Reply {
    Reply::err(text.to_string())
}

/// Asks PING until the server answers BUSY (within 30 s of real time).
fn wait_busy(c: &mut fakeredis::Client, expected: &str) {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let r = c.cmd(["PING"]).unwrap();
        if r == err(expected) {
            return;
        }
        assert_eq!(r, Reply::simple("PONG"), "before the threshold, commands wait and run");
        assert!(Instant::now() < until, "the script never became busy");
        // Not a wait for time to pass (the loop asks until it sees BUSY): a pause between
        // asks, so that this thread's PINGs do not keep the server's lock from the script
        // that is about to start on two busy cores.
        thread::sleep(Duration::from_millis(1));
    }
}

const BUSY_EVAL: &str = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
const BUSY_FUNCTION: &str = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

#[test]
fn script_kill_stops_a_busy_script_and_the_server_serves_again() {
    let server = Server::new();
    let mut other = server.client();
    other.cmd(["CONFIG", "SET", "busy-reply-threshold", "10"]).unwrap();
    other.cmd(["SET", "before", "1"]).unwrap();
    let mut runner = server.client();
    let script = thread::spawn(move || runner.cmd(["EVAL", "while true do end", "0"]).unwrap());
    wait_busy(&mut other, BUSY_EVAL);
    assert_eq!(other.cmd(["GET", "before"]).unwrap(), err(BUSY_EVAL));
    assert_eq!(other.cmd(["FUNCTION", "STATS"]).unwrap(), err(BUSY_EVAL), "FUNCTION STATS refuses an EVAL");
    assert_eq!(other.cmd(["FUNCTION", "KILL"]).unwrap(), err(BUSY_EVAL), "FUNCTION KILL cannot kill an EVAL");
    assert_eq!(other.cmd(["SCRIPT", "KILL"]).unwrap(), Reply::OK);
    match script.join().unwrap() {
        Reply::Error(e) => {
            let e = String::from_utf8_lossy(&e).into_owned();
            assert!(e.starts_with("ERR Script killed by user with SCRIPT KILL... script: "), "{e}");
            assert!(e.ends_with(", on @user_script:1."), "{e}");
        }
        other => panic!("the script ended with {other:?}"),
    }
    assert_eq!(other.cmd(["GET", "before"]).unwrap(), Reply::bulk("1"));
    assert_eq!(other.cmd(["SCRIPT", "KILL"]).unwrap(), err("NOTBUSY No scripts in execution right now."));
}

#[test]
fn a_killed_script_cannot_catch_the_kill_with_pcall() {
    let server = Server::new();
    let mut other = server.client();
    other.cmd(["CONFIG", "SET", "busy-reply-threshold", "10"]).unwrap();
    let mut runner = server.client();
    let body = "while true do pcall(function() while true do end end) end";
    let script = thread::spawn(move || runner.cmd(["EVAL", body, "0"]).unwrap());
    wait_busy(&mut other, BUSY_EVAL);
    assert_eq!(other.cmd(["SCRIPT", "KILL"]).unwrap(), Reply::OK);
    let r = script.join().unwrap();
    assert!(r.error_text().is_some_and(|e| e.contains("Script killed by user")), "{r:?}");
}

#[test]
fn a_busy_function_is_shown_by_function_stats_and_killed_by_function_kill() {
    let server = Server::new();
    let mut other = server.client();
    other.cmd(["CONFIG", "SET", "busy-reply-threshold", "10"]).unwrap();
    let lib = "#!lua name=spin\nredis.register_function('spin', function() while true do end end)";
    other.cmd(["FUNCTION", "LOAD", lib]).unwrap();
    let mut runner = server.client();
    let script = thread::spawn(move || runner.cmd(["FCALL", "spin", "0"]).unwrap());
    wait_busy(&mut other, BUSY_FUNCTION);
    let stats = other.cmd(["FUNCTION", "STATS"]).unwrap();
    let Reply::Map(top) = &stats else { panic!("{stats:?}") };
    let Reply::Map(running) = &top[0].1 else { panic!("{stats:?}") };
    assert_eq!(running[0], (Reply::bulk("name"), Reply::bulk("spin")));
    assert_eq!(running[1].1, Reply::Array(vec![Reply::bulk("FCALL"), Reply::bulk("spin"), Reply::bulk("0")]));
    assert!(running[2].1.as_int().is_some_and(|ms| ms >= 10));
    assert_eq!(other.cmd(["SCRIPT", "KILL"]).unwrap(), err(BUSY_FUNCTION), "SCRIPT KILL cannot kill a function");
    assert_eq!(other.cmd(["FUNCTION", "KILL"]).unwrap(), Reply::OK);
    let r = script.join().unwrap();
    let e = r.error_text().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(e, "ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.");
}

#[test]
fn a_script_that_wrote_is_unkillable_and_runs_to_its_end() {
    let server = Server::new();
    let mut other = server.client();
    other.cmd(["CONFIG", "SET", "busy-reply-threshold", "1"]).unwrap();
    let mut runner = server.client();
    // Long enough (tens of millions of instructions) to be caught busy, then it ends.
    let body = "redis.call('set', 'k', 'v') local n = 0 for i = 1, 30000000 do n = n + 1 end return n";
    let script = thread::spawn(move || runner.cmd(["EVAL", body, "0"]).unwrap());
    wait_busy(&mut other, BUSY_EVAL);
    let unkillable = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";
    assert_eq!(other.cmd(["SCRIPT", "KILL"]).unwrap(), err(unkillable));
    assert_eq!(script.join().unwrap(), Reply::Int(30_000_000));
    assert_eq!(other.cmd(["GET", "k"]).unwrap(), Reply::bulk("v"));
}

#[test]
fn a_transaction_with_a_command_refused_as_busy_is_aborted() {
    let server = Server::new();
    let mut other = server.client();
    other.cmd(["CONFIG", "SET", "busy-reply-threshold", "10"]).unwrap();
    let mut runner = server.client();
    let script = thread::spawn(move || runner.cmd(["EVAL", "while true do end", "0"]).unwrap());
    let mut tx = server.client();
    wait_busy(&mut other, BUSY_EVAL);
    // MULTI is let through while busy (it waits here for the script to end in the fake);
    // so open the transaction first, then see a queued command refused.
    assert_eq!(other.cmd(["SCRIPT", "KILL"]).unwrap(), Reply::OK);
    script.join().unwrap();
    assert_eq!(tx.cmd(["MULTI"]).unwrap(), Reply::OK);
    let mut runner = server.client();
    let script = thread::spawn(move || runner.cmd(["EVAL", "while true do end", "0"]).unwrap());
    wait_busy(&mut other, BUSY_EVAL);
    assert_eq!(tx.cmd(["SET", "t", "1"]).unwrap(), err(BUSY_EVAL));
    assert_eq!(other.cmd(["SCRIPT", "KILL"]).unwrap(), Reply::OK);
    script.join().unwrap();
    assert_eq!(tx.cmd(["EXEC"]).unwrap(), err("EXECABORT Transaction discarded because of previous errors."));
}

/// The same over TCP, byte for byte as redis-server 7.0.15 answers it (checked by hand
/// with the same exchange): the busy script's own connection waits, another connection
/// gets BUSY, kills it, and is served again.
#[cfg(feature = "tcp")]
#[test]
fn over_tcp_another_connection_gets_busy_and_kills_the_script() {
    let server = Server::new();
    server.client().cmd(["CONFIG", "SET", "busy-reply-threshold", "10"]).unwrap();
    let tcp = fakeredis::net::TcpServer::start(server.clone(), "127.0.0.1:0").unwrap();
    busy_exchange(tcp.port());
}

/// The same on a multi-threaded runtime (as `fakeredis-server` runs), where the script
/// runs on its connection's worker while the runtime's other threads serve the rest.
#[cfg(feature = "tcp")]
#[test]
fn over_tcp_on_a_multi_threaded_runtime_too() {
    let server = Server::new();
    server.client().cmd(["CONFIG", "SET", "busy-reply-threshold", "10"]).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = rt.spawn(fakeredis::net::serve(server, listener, async {
        let _ = stopped.await;
    }));
    busy_exchange(port);
    let _ = stop.send(());
    rt.block_on(serving).unwrap().unwrap();
}

#[cfg(feature = "tcp")]
fn busy_exchange(port: u16) {
    use std::io::{Read, Write};
    let connect = || {
        let s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s
    };
    let read = |s: &mut std::net::TcpStream| {
        let mut buf = vec![0u8; 4096];
        let n = s.read(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    let mut runner = connect();
    // The other connection is registered (it has been answered) before the script starts: a
    // connection opened while a script runs waits for it to end (README, known differences).
    let mut other = connect();
    other.write_all(b"*1\r\n$4\r\nPING\r\n").unwrap();
    assert_eq!(read(&mut other), "+PONG\r\n");
    runner.write_all(b"*3\r\n$4\r\nEVAL\r\n$17\r\nwhile true do end\r\n$1\r\n0\r\n").unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        other.write_all(b"*1\r\n$4\r\nPING\r\n").unwrap();
        let r = read(&mut other);
        if r.starts_with("-BUSY") {
            assert_eq!(r, format!("-{BUSY_EVAL}\r\n"));
            break;
        }
        assert_eq!(r, "+PONG\r\n");
        assert!(Instant::now() < until, "never busy");
    }
    other.write_all(b"*2\r\n$6\r\nSCRIPT\r\n$4\r\nKILL\r\n").unwrap();
    assert_eq!(read(&mut other), "+OK\r\n");
    let killed = read(&mut runner);
    assert!(killed.starts_with("-ERR Script killed by user with SCRIPT KILL... script: "), "{killed}");
    other.write_all(b"*1\r\n$4\r\nPING\r\n").unwrap();
    assert_eq!(read(&mut other), "+PONG\r\n");
}
