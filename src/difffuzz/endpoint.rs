//! The two sides of a campaign. Each is a set of numbered connections (0 is the driver's own
//! admin connection, opened first; the generated commands use 1 and 2) that answer a
//! command with the raw bytes of its reply: a live server over TCP ([`Tcp`], started by
//! [`RedisProcess`] or found at an address), or the fake in-process ([`Local`]), whose
//! replies go through the same encoder the TCP front end writes with.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::resp::{self, parse_reply, RequestParser};
use crate::{Client, Server};

/// What a connection answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raw {
    /// The bytes of one complete reply.
    Reply(Vec<u8>),
    /// The server closed the connection instead of answering.
    Closed,
}

/// One side of the comparison.
pub trait Endpoint {
    /// Sends `argv` on connection `conn` (opened on first use, and again after the server
    /// closed it) and returns what came back. `Err` is a harness failure (I/O, no answer).
    fn call(&mut self, conn: usize, argv: &[Vec<u8>]) -> Result<Raw, String>;
    /// Closes connection `conn`; the next call opens a new one.
    fn close(&mut self, conn: usize);
    /// How the side is named in reports.
    fn name(&self) -> String;
}

fn is_quit(argv: &[Vec<u8>]) -> bool {
    argv.first().is_some_and(|a| a.eq_ignore_ascii_case(b"quit"))
}

// ------------------------------------------------------------------------------ TCP

/// A server reached over TCP.
pub struct Tcp {
    addr: String,
    label: &'static str,
    conns: Vec<Option<(TcpStream, Vec<u8>)>>,
}

/// How long a live server may take to answer one command before the campaign stops.
const ANSWER_WITHIN: Duration = Duration::from_secs(20);

impl Tcp {
    /// A redis-server at `addr`.
    pub fn new(addr: impl Into<String>) -> Tcp {
        Tcp::labeled("redis-server", addr)
    }

    /// A server at `addr`, named `label` in reports.
    pub fn labeled(label: &'static str, addr: impl Into<String>) -> Tcp {
        Tcp { addr: addr.into(), label, conns: Vec::new() }
    }

    fn conn(&mut self, n: usize) -> Result<&mut (TcpStream, Vec<u8>), String> {
        if self.conns.len() <= n {
            self.conns.resize_with(n + 1, || None);
        }
        if self.conns[n].is_none() {
            let s = TcpStream::connect(&self.addr).map_err(|e| format!("connect to {}: {e}", self.addr))?;
            s.set_read_timeout(Some(ANSWER_WITHIN)).ok();
            s.set_nodelay(true).ok();
            self.conns[n] = Some((s, Vec::new()));
        }
        Ok(self.conns[n].as_mut().expect("opened above"))
    }
}

impl Endpoint for Tcp {
    fn call(&mut self, conn: usize, argv: &[Vec<u8>]) -> Result<Raw, String> {
        let addr = self.addr.clone();
        let (stream, buf) = self.conn(conn)?;
        let mut out = Vec::new();
        resp::encode_command(argv, &mut out);
        let mut chunk = [0u8; 65536];
        let got = match stream.write_all(&out) {
            Err(_) => Raw::Closed,
            Ok(()) => loop {
                match parse_reply(buf) {
                    Err(e) => return Err(format!("{addr}: unparsable reply: {e}")),
                    Ok(Some((_, used))) => break Raw::Reply(buf.drain(..used).collect()),
                    Ok(None) => {}
                }
                match stream.read(&mut chunk) {
                    Ok(0) => break Raw::Closed,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                        return Err(format!("{addr}: no reply within {ANSWER_WITHIN:?}"));
                    }
                    Err(_) => break Raw::Closed,
                }
            },
        };
        // The server closes the connection after QUIT and after a protocol error.
        let protocol_error = matches!(&got, Raw::Reply(b) if b.starts_with(b"-ERR Protocol error"));
        if got == Raw::Closed || is_quit(argv) || protocol_error {
            self.close(conn);
        }
        Ok(got)
    }

    fn close(&mut self, conn: usize) {
        if let Some(c) = self.conns.get_mut(conn) {
            *c = None;
        }
    }

    fn name(&self) -> String {
        format!("{} at {}", self.label, self.addr)
    }
}

// ------------------------------------------------------------------------ in-process

/// The fake, in-process: each connection is a [`Client`] of one [`Server`], and its
/// requests go through the request parser with the limits the TCP front end applies (the
/// tight ones before authentication), its protocol errors closing the connection as there.
pub struct Local {
    pub server: Server,
    conns: Vec<Option<(Client, RequestParser)>>,
}

impl Local {
    pub fn new(server: Server) -> Local {
        Local { server, conns: Vec::new() }
    }
}

impl Endpoint for Local {
    fn call(&mut self, conn: usize, argv: &[Vec<u8>]) -> Result<Raw, String> {
        if self.conns.len() <= conn {
            self.conns.resize_with(conn + 1, || None);
        }
        let n = conn as u16;
        let server = self.server.clone();
        let (client, parser) = self.conns[conn].get_or_insert_with(|| {
            let c = Client::new(server, format!("127.0.0.1:{}", 40000 + n), "127.0.0.1:6379".into());
            (c, RequestParser::new())
        });
        let mut bytes = Vec::new();
        resp::encode_command(argv, &mut bytes);
        parser.feed(&bytes);
        let (max_bulk, needs_pass) = self.server.with_state(|st| {
            let l = st.config.limits();
            (l.proto_max_bulk_len, l.requirepass_set)
        });
        let limits = client.request_limits(max_bulk, needs_pass);
        let (got, closed) = match parser.next_command(limits) {
            Err(text) => (Raw::Reply(format!("-{text}\r\n").into_bytes()), true),
            Ok(None) => return Err(format!("the request parser kept a whole command: {argv:?}")),
            Ok(Some(parsed)) => match client.execute(&parsed) {
                Ok(reply) => {
                    let mut out = Vec::new();
                    resp::encode(&reply, client.protocol() == 3, &mut out);
                    (Raw::Reply(out), client.is_closed())
                }
                Err(_) => (Raw::Closed, true),
            },
        };
        if closed {
            self.close(conn);
        }
        Ok(got)
    }

    fn close(&mut self, conn: usize) {
        if let Some(c) = self.conns.get_mut(conn) {
            *c = None;
        }
    }

    fn name(&self) -> String {
        format!("fakeredis {} (in-process)", self.server.profile())
    }
}

// ------------------------------------------------------------------------ the oracle

/// A redis-server started on a private port in a temporary directory, killed (and the
/// directory removed) on drop.
pub struct RedisProcess {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `redis-server` on `PATH`, if any.
pub fn redis_server_on_path() -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join("redis-server")).find(|p| p.is_file())
}

impl RedisProcess {
    /// Starts `bin` without persistence on a free loopback port; `tag` keeps the
    /// directories of parallel starts apart. Waits (bounded) until it answers PING.
    pub fn start(bin: &Path, tag: &str) -> Result<RedisProcess, String> {
        RedisProcess::start_with(bin, tag, &[])
    }

    /// [`RedisProcess::start`] with more `--name value` arguments (`--cluster-enabled yes`).
    pub fn start_with(bin: &Path, tag: &str, extra: &[&str]) -> Result<RedisProcess, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let dir = std::env::temp_dir().join(format!("fakeredis-oracle-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let child = Command::new(bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir"])
            .arg(&dir)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("start {}: {e}", bin.display()))?;
        let process = RedisProcess { child, port, dir };
        // Readiness, not a timing assertion: poll until it answers.
        for _ in 0..500 {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let mut b = [0u8; 7];
                if s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut b).is_ok() && &b == b"+PONG\r\n" {
                    return Ok(process);
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(format!("{} did not start on port {port}", bin.display()))
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}
