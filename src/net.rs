//! The TCP front end (feature `tcp`): a tokio server speaking RESP2/RESP3 to real clients.
//!
//! Each connection is a [`Client`] of the shared [`Server`], so a command behaves exactly as
//! it does embedded. The connection loop follows Redis's: every complete command in the
//! input buffer is answered (pipelining) and the replies go out in one write; a protocol
//! error is answered with `-ERR Protocol error: ...` and the connection is closed; after
//! QUIT the `+OK` is flushed and the connection closed; while the server's failure switch is
//! on, connections are closed without a reply, like a server that went away.
//!
//! [`TcpServer::start`] runs its own runtime on a background thread, so it works from sync
//! tests; [`serve`] runs inside a runtime you already have.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::resp::{self, RequestParser};
use crate::{Client, Server};

/// How often an idle connection checks the `timeout` config against the server's clock.
const IDLE_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// How often a connection looks again while a busy script holds the server.
const BUSY_POLL: std::time::Duration = std::time::Duration::from_millis(5);

/// Output queued past this is written before the next pipelined command runs.
const FLUSH_AT: usize = 1 << 20;

/// Writes everything queued (large values straight from the keyspace's bytes).
async fn flush(server: &Server, stream: &mut TcpStream, out: &mut resp::Output) -> io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    // Counted before the write, so a client that has read its reply sees it counted.
    let len = out.len() as u64;
    // (Not counted while a busy script holds the server.)
    server.with_state_unless_busy(|st| st.stats.net_output_bytes += len);
    for part in out.take() {
        stream.write_all(&part).await?;
    }
    Ok(())
}

/// Replies up to this size wait for the other ready connections' (see `connection`).
const YIELD_UNDER: usize = 4096;

/// How much a connection reads from its socket at a time.
const READ_CHUNK: usize = 16 * 1024;

/// A TCP server for a [`Server`], running on a background thread with its own tokio runtime.
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// let server = fakeredis::Server::new();
/// let tcp = fakeredis::net::TcpServer::start(server.clone(), "127.0.0.1:0")?;
/// println!("redis://{}/", tcp.local_addr());
/// tcp.stop(); // also on drop
/// # Ok(()) }
/// ```
pub struct TcpServer {
    server: Server,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for TcpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl TcpServer {
    /// Binds `addr` (e.g. `"127.0.0.1:0"` for any free port) and starts serving `server`.
    /// Binding errors are returned here; the server's `tcp_port` (INFO) becomes the bound port.
    pub fn start(server: Server, addr: &str) -> io::Result<TcpServer> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let local = std_listener.local_addr()?;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let listener = {
            let _guard = rt.enter();
            TcpListener::from_std(std_listener)?
        };
        let (tx, rx) = oneshot::channel::<()>();
        let srv = server.clone();
        let thread = std::thread::Builder::new().name(format!("fakeredis-tcp-{}", local.port())).spawn(move || {
            // A failed accept loop has nobody to report to; the listener is gone either way.
            let _ = rt.block_on(serve(srv, listener, async {
                let _ = rx.await;
            }));
            // Dropping the runtime here cancels every connection task (closing its socket).
            drop(rt);
        })?;
        Ok(TcpServer { server, addr: local, shutdown: Some(tx), thread: Some(thread) })
    }

    /// The bound address (with the real port when `:0` was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// A `redis://host:port/` URL for clients.
    pub fn url(&self) -> String {
        format!("redis://{}/", self.addr)
    }

    /// The emulated server behind this listener.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// Stops accepting, closes every connection and waits for the background thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            // A panic on the server thread has already been reported; don't double-panic.
            let _ = t.join();
        }
    }
}

impl Drop for TcpServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Serves `server` on `listener` until `shutdown` completes, inside the current tokio
/// runtime. When it returns, every connection it accepted has been closed.
pub async fn serve<F>(server: Server, listener: TcpListener, shutdown: F) -> io::Result<()>
where
    F: Future<Output = ()>,
{
    let local = listener.local_addr()?;
    let port = u64::from(local.port());
    server.shared.port.store(port, Ordering::Relaxed);
    let mut conns = JoinSet::new();
    tokio::pin!(shutdown);
    // SHUTDOWN is looked for between accepts (the connections close on their own).
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(20));
    loop {
        if server.is_stopped() {
            break;
        }
        tokio::select! {
            () = &mut shutdown => break,
            _ = tick.tick() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    conns.spawn(connection(server.clone(), stream, peer));
                }
                // Out of descriptors and the like: back off briefly, keep serving.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.shutdown().await;
    let _ = server.shared.port.compare_exchange(port, 0, Ordering::Relaxed, Ordering::Relaxed);
    Ok(())
}

/// One connection: read, answer every complete command, write the replies in one go; in
/// between, wait on the socket and on the client's queue at once, so that what other
/// clients send (pub/sub messages, a blocked command's reply) goes out as it comes.
async fn connection(server: Server, mut stream: TcpStream, peer: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr().map_or_else(|_| "127.0.0.1:0".to_string(), |a| a.to_string());
    // A connection made while a busy script holds the server waits for it to end (off the
    // runtime's threads' time: the others keep being served).
    let (full, mut limits) = loop {
        // Never the blocking lock on a runtime thread: a script may start at any moment.
        if let Some(mut st) = server.shared.lock_unless_busy() {
            let full = st.clients_full();
            if full {
                st.stats.rejected_connections += 1;
            }
            break (full, st.config.limits());
        }
        tokio::time::sleep(BUSY_POLL).await;
    };
    if full {
        // As Redis: the error, then the connection is closed.
        let _ = stream.write_all(format!("-{}\r\n", crate::error::MAX_CLIENTS).as_bytes()).await;
        let _ = stream.shutdown().await;
        return;
    }
    let mut client = Client::new(server.clone(), peer.to_string(), local);
    let signal = client.signal();
    let mut parser = RequestParser::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    let mut out = resp::Output::default();
    let mut frames = Vec::new();
    // The limits as of the last look (a busy script holds the server: then they stay).
    let mut idle_timeout = limits.timeout;
    let mut close = false;
    // Whether the last drain found the server held by a busy script (try again soon).
    let mut undrained = false;
    // Whether a command ran since the limits were last read from the server.
    let mut ran_since_read = false;
    let multi_thread = tokio::runtime::Handle::current().runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread;
    loop {
        // Answer every complete command, unless one is blocked waiting for its reply.
        while !close && !client.is_waiting() {
            // As its last command left them (a CONFIG SET in the pipeline counts at once),
            // unless the server was asked since (after a read).
            if let Some(l) = client.last_limits().filter(|_| ran_since_read) {
                limits = l;
            }
            let (max_bulk, needs_pass) = (limits.proto_max_bulk_len, limits.requirepass_set);
            match parser.next_command_ref(client.request_limits(max_bulk, needs_pass)) {
                Ok(None) => break,
                Ok(Some(argv)) => {
                    let ran = if may_run_script(argv) && multi_thread {
                        // The runtime's other threads take this worker's tasks over while
                        // the script runs (and may be killed from another connection).
                        tokio::task::block_in_place(|| client.submit_into(argv, &mut frames))
                    } else if may_run_script(argv) {
                        // A script may run for long (and be killed from another
                        // connection): off the runtime's threads, so others are served.
                        let argv = argv.to_vec();
                        let job = tokio::task::spawn_blocking(move || {
                            let mut client = client;
                            let mut frames = frames;
                            let ran = client.submit_into(&argv, &mut frames);
                            (client, frames, ran)
                        });
                        let Ok((c, f, ran)) = job.await else { return };
                        client = c;
                        frames = f;
                        ran
                    } else {
                        client.submit_into(argv, &mut frames)
                    };
                    if ran.is_err() || server.is_failing() {
                        return;
                    }
                    ran_since_read = true;
                    write_frames(&mut out, &mut frames, client.protocol() == 3);
                    close = client.is_closed();
                    if out.len() >= FLUSH_AT && flush(&server, &mut stream, &mut out).await.is_err() {
                        return;
                    }
                }
                Err(text) => {
                    out.push_raw(format!("-{text}\r\n").as_bytes());
                    close = true;
                }
            }
        }
        parser.release_idle();
        if ran_since_read && !out.is_empty() && out.len() <= YIELD_UNDER && !multi_thread {
            // As Redis writes its replies once every ready client has been read: the
            // other connections' requests run first, so the replies go out in one burst
            // (a client woken by its first reply is still awake for the others'). Large
            // replies go at once (holding many of them costs more than the wake-ups).
            tokio::task::yield_now().await;
        }
        if flush(&server, &mut stream, &mut out).await.is_err() {
            return;
        }
        if close {
            let _ = stream.shutdown().await;
            return;
        }
        // Wait for input, for a frame from another client, or for the next deadline.
        let mut wait = next_wakeup(&server, &client, idle_timeout);
        if undrained {
            wait = Some(wait.map_or(BUSY_POLL, |w| w.min(BUSY_POLL)));
        }
        let sleep = tokio::time::sleep(wait.unwrap_or(std::time::Duration::from_secs(3600)));
        tokio::select! {
            read = stream.read(&mut chunk) => {
                let n = match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if server.is_failing() {
                    return;
                }
                parser.feed(&chunk[..n]);
                ran_since_read = false;
                if let Some(l) = server.with_state_unless_busy(|st| {
                    st.stats.net_input_bytes += n as u64;
                    st.config.limits()
                }) {
                    limits = l;
                }
                idle_timeout = limits.timeout;
                let query_limit = limits.client_query_buffer_limit;
                if parser.pending() as i64 > query_limit {
                    // Redis closes a client whose query buffer outgrows client-query-buffer-limit.
                    return;
                }
            }
            () = signal.notified() => {}
            () = sleep, if wait.is_some() => {
                if idle_timeout > 0 && !client.is_waiting() && !server.shared.busy.is_active() && client.idle_timed_out() {
                    return;
                }
                if let Some(t) = server.with_state_unless_busy(|st| st.config.limits().timeout) {
                    idle_timeout = t;
                }
            }
        }
        match client.drain_unless_busy(&mut frames) {
            Err(_) => return,
            Ok(drained) => undrained = !drained,
        }
        write_frames(&mut out, &mut frames, client.protocol() == 3);
    }
}

/// Whether a command may run a Lua script (EVAL and friends, FCALL, or an EXEC that may
/// hold one).
fn may_run_script(argv: &[Vec<u8>]) -> bool {
    let name = argv.first().map_or(&[][..], |n| &n[..]);
    if !matches!(name.first(), Some(b'e' | b'E' | b'f' | b'F')) {
        return false;
    }
    ["eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "exec"]
        .iter()
        .any(|c| name.eq_ignore_ascii_case(c.as_bytes()))
}

/// Encodes `frames` (drained) into the output.
fn write_frames(out: &mut resp::Output, frames: &mut Vec<crate::server::Frame>, resp3: bool) {
    for f in frames.drain(..) {
        out.push(f.reply(), resp3);
    }
}

/// How long a connection may sleep: until its blocked command's deadline (on a running
/// clock; a frozen one is moved by the test, which wakes the client), or the idle check.
fn next_wakeup(server: &Server, client: &Client, idle_timeout: i64) -> Option<std::time::Duration> {
    if server.shared.busy.is_active() {
        return Some(BUSY_POLL); // a script holds the server: look again soon
    }
    let mut wait = (idle_timeout > 0).then_some(IDLE_POLL);
    if let Some(d) = client.block_deadline() {
        if !server.clock().is_frozen() {
            let left = (d - server.clock().now_ms() + 1).max(1) as u64;
            let left = std::time::Duration::from_millis(left);
            wait = Some(wait.map_or(left, |w| w.min(left)));
        }
    }
    wait
}
