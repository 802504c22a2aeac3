//! The live oracle the differential tests share: Debian's `redis-server` 7.0.15, started on
//! a private port in a temporary directory (`FAKEREDIS_REDIS_SERVER` names another binary).
//! Required when `CI` is set; skipped, saying so, on a machine without it.

#![allow(dead_code)]

use fakeredis::resp::{encode_command, parse_reply};
use fakeredis::Reply;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The redis-server binary, if this machine has one.
pub fn binary() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("FAKEREDIS_REDIS_SERVER") {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join("redis-server")).find(|p| p.is_file())
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
pub struct Oracle {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts `bin` on a free port; `tag` keeps the directories of parallel tests apart.
pub fn start(bin: &Path, tag: &str) -> Oracle {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let dir = std::env::temp_dir().join(format!("fakeredis-oracle-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let child = Command::new(bin)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir"])
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start redis-server");
    let oracle = Oracle { child, port, dir };
    // Wait (bounded) until it answers: readiness, not a timing assertion.
    for _ in 0..500 {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let mut b = [0u8; 7];
            if s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut b).is_ok() && &b == b"+PONG\r\n" {
                return oracle;
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("redis-server did not start on port {port}");
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
