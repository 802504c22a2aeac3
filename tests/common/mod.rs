//! The live oracle the differential tests share: Debian's `redis-server` 7.0.15, started on
//! a private port in a temporary directory (`FAKEREDIS_REDIS_SERVER` names another binary).
//! Required when `CI` is set; skipped, saying so, on a machine without it.

#![allow(dead_code)]

use fakeredis::difffuzz::endpoint::RedisProcess;
use fakeredis::resp::{encode_command, parse_reply};
use fakeredis::Reply;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The redis-server binary, if this machine has one.
pub fn binary() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("FAKEREDIS_REDIS_SERVER") {
        return Some(PathBuf::from(p));
    }
    fakeredis::difffuzz::endpoint::redis_server_on_path()
}

/// The binary, or `None` after saying the run is skipped (a failure when `CI` is set).
pub fn binary_or_skip() -> Option<PathBuf> {
    let bin = binary();
    if bin.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but redis-server is not installed: the oracle is required"
        );
        eprintln!("redis-server not installed: the differential run is skipped on this machine (CI requires it)");
    }
    bin
}

/// A running redis-server, killed (and its directory removed) on drop.
pub type Oracle = RedisProcess;

/// Starts `bin` on a free port; `tag` keeps the directories of parallel tests apart.
pub fn start(bin: &Path, tag: &str) -> Oracle {
    RedisProcess::start(bin, tag).unwrap_or_else(|e| panic!("{e}"))
}

/// [`start`] with startup parameters (`--name value` words).
#[allow(dead_code)]
pub fn start_with(bin: &Path, tag: &str, extra: &[String]) -> Oracle {
    let words: Vec<&str> = extra.iter().map(String::as_str).collect();
    RedisProcess::start_with(bin, tag, &words).unwrap_or_else(|e| panic!("{e}"))
}

/// [`start`] in cluster mode: the node takes all 16384 slots and is polled (bounded) until
/// its cluster state is `ok` (a new node waits two seconds before it serves writes).
pub fn start_cluster(bin: &Path, tag: &str) -> Oracle {
    let o = RedisProcess::start_with(bin, tag, &["--cluster-enabled", "yes"]).unwrap_or_else(|e| panic!("{e}"));
    let mut c = Conn::open(o.port);
    c.call(&["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]);
    for _ in 0..200 {
        let info = c.call(&["CLUSTER", "INFO"]);
        if info.as_bytes().is_some_and(|b| b.starts_with(b"cluster_state:ok")) {
            return o;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("redis-server in cluster mode never reached cluster_state:ok");
}

/// One connection to the oracle that sends commands and reads their replies.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub fn open(port: u16) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to redis-server");
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
        Conn { stream, buf: Vec::new() }
    }

    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        let args: Vec<Vec<u8>> = args.iter().map(|a| a.as_ref().to_vec()).collect();
        let mut out = Vec::new();
        encode_command(&args, &mut out);
        self.stream.write_all(&out).expect("write to redis-server");
        loop {
            if let Some((r, used)) = parse_reply(&self.buf).expect("redis-server reply parses") {
                self.buf.drain(..used);
                return r;
            }
            let mut chunk = [0u8; 65536];
            let n = self.stream.read(&mut chunk).expect("read from redis-server");
            assert!(n > 0, "redis-server closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}
