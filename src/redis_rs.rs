//! The `redis` crate (1.x) adapters (feature `redis-rs`): an embedded [`Client`] as a
//! drop-in `redis::ConnectionLike` ([`RedisConnection`]) and `redis::aio::ConnectionLike`
//! ([`AsyncRedisConnection`]), so code written against `redis::Commands` or
//! `redis::AsyncCommands` runs against the fake without a socket.
//!
//! What redis-rs sees is what a socket would give it: the packed request is parsed with the
//! server's own request parser, every reply is encoded to RESP (RESP3 once the client sent
//! `HELLO 3`) and decoded by redis-rs's own parser. Error replies therefore carry the same
//! kinds and codes as against a real server (`-ERR ...` is `ServerErrorKind::ResponseError`,
//! `-WRONGTYPE ...` an extension error with code `WRONGTYPE`, ...), and pipelines follow
//! redis-rs's `req_packed_commands` rules. While the server's failure switch is on, calls
//! fail with an I/O error that `is_connection_dropped()`, and `is_open()` is false.
//!
//! ```
//! use redis::Commands;
//! let server = fakeredis::Server::new();
//! let mut con = server.redis_connection();
//! let _: () = con.set("k", 41).unwrap();
//! assert_eq!(con.incr::<_, _, i64>("k", 1).unwrap(), 42);
//! ```

use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use redis::{Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult, Value};

use crate::error;
use crate::resp::{self, Limits, RequestParser};
use crate::{Client, Server};

impl Server {
    /// A new connection to this server as a synchronous `redis::ConnectionLike`.
    pub fn redis_connection(&self) -> RedisConnection {
        RedisConnection::new(self.client())
    }

    /// A new connection to this server as a `redis::aio::ConnectionLike` (clones share the
    /// connection, like clones of a `MultiplexedConnection`).
    pub fn async_redis_connection(&self) -> AsyncRedisConnection {
        AsyncRedisConnection::new(self.client())
    }
}

/// The error a dropped connection gives redis-rs.
fn dropped() -> RedisError {
    io::Error::new(io::ErrorKind::ConnectionReset, error::CONNECTION_DROPPED).into()
}

/// A connection state shared by the sync and async adapters.
#[derive(Debug)]
struct Conn {
    client: Client,
    /// The (simulated) server closed the connection after a protocol error.
    broken: bool,
}

impl Conn {
    fn is_open(&self) -> bool {
        !self.broken && !self.client.is_closed()
    }

    fn limits(&self) -> Limits {
        self.client.server().with_state(|st| Limits {
            proto_max_bulk_len: st.config.limits().proto_max_bulk_len,
            auth_required: st.config.limits().requirepass_set && !self.client.session().authenticated,
        })
    }

    /// Sends `packed` (one or more RESP requests) and returns every reply, in order, as
    /// redis-rs parses them. Stops early where the server would close the connection.
    fn round_trip(&mut self, packed: &[u8]) -> RedisResult<Vec<Value>> {
        if packed.is_empty() {
            return Err((ErrorKind::Client, "empty command").into());
        }
        if !self.is_open() {
            return Err(dropped());
        }
        let mut parser = RequestParser::new();
        parser.feed(packed);
        let mut replies = Vec::new();
        let mut wire = Vec::new();
        loop {
            wire.clear();
            match parser.next_command(self.limits()) {
                Ok(None) if parser.pending() == 0 => break,
                Ok(None) => {
                    // A real server would wait for the rest of the request forever.
                    return Err((
                        ErrorKind::Client,
                        "incomplete request",
                        format!("{} bytes left over", parser.pending()),
                    )
                        .into());
                }
                Ok(Some(argv)) => {
                    let reply = self.client.execute(&argv).map_err(|_| dropped())?;
                    resp::encode(&reply, self.client.protocol() == 3, &mut wire);
                    replies.push(redis::parse_redis_value(&wire)?);
                    if self.client.is_closed() {
                        break; // QUIT: the server answers, then closes.
                    }
                }
                Err(text) => {
                    wire.push(b'-');
                    wire.extend_from_slice(text.as_bytes());
                    wire.extend_from_slice(b"\r\n");
                    replies.push(redis::parse_redis_value(&wire)?);
                    self.broken = true;
                    break;
                }
            }
        }
        Ok(replies)
    }

    /// One command, one reply (push messages are skipped, as redis-rs does).
    fn request(&mut self, packed: &[u8], no_response: bool) -> RedisResult<Value> {
        let replies = self.round_trip(packed)?;
        if no_response {
            return Ok(Value::Nil);
        }
        replies
            .into_iter()
            .find(|v| !matches!(v, Value::Push { .. }))
            .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof).into())
    }

    /// redis-rs's `req_packed_commands`: read `offset + count` replies, return the last
    /// `count`. Server errors among the skipped replies (the commands queued by an atomic
    /// pipeline) abort the transaction.
    fn request_many(&mut self, packed: &[u8], offset: usize, count: usize) -> RedisResult<Vec<Value>> {
        let mut replies = self.round_trip(packed)?.into_iter();
        let mut rv = Vec::with_capacity(count.min(1024));
        let mut skipped_errors = Vec::new();
        let mut count = count;
        let mut idx = 0;
        while idx < offset + count {
            // Fewer replies than expected: the server closed the connection (QUIT or a
            // protocol error), which redis-rs reports as an unexpected EOF.
            let Some(value) = replies.next() else {
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
            };
            match value {
                Value::ServerError(err) if idx < offset => skipped_errors.push(err),
                Value::Push { .. } => count += 1,
                item if idx >= offset => rv.push(item),
                _ => {}
            }
            idx += 1;
        }
        if let Some(first) = skipped_errors.into_iter().next() {
            // redis-rs reports "Transaction aborted" (kind ExecAbort) listing the queued
            // commands' errors; that error can't be built outside the crate, so we return
            // EXEC's own error (EXECABORT on a real server) or else the first queued error.
            return Err(match rv.pop() {
                Some(Value::ServerError(exec)) => exec.into(),
                _ => first.into(),
            });
        }
        Ok(rv)
    }
}

/// A synchronous `redis::ConnectionLike` over an embedded [`Client`]: use it with
/// `redis::Commands`, `redis::cmd(..).query(&mut con)` and `redis::pipe()`.
#[derive(Debug)]
pub struct RedisConnection {
    conn: Conn,
}

impl RedisConnection {
    pub fn new(client: Client) -> RedisConnection {
        RedisConnection { conn: Conn { client, broken: false } }
    }

    /// The embedded client underneath.
    pub fn client(&self) -> &Client {
        &self.conn.client
    }

    pub fn client_mut(&mut self) -> &mut Client {
        &mut self.conn.client
    }

    pub fn into_client(self) -> Client {
        self.conn.client
    }
}

impl From<Client> for RedisConnection {
    fn from(client: Client) -> Self {
        RedisConnection::new(client)
    }
}

impl redis::ConnectionLike for RedisConnection {
    fn req_packed_command(&mut self, cmd: &[u8]) -> RedisResult<Value> {
        self.conn.request(cmd, false)
    }

    fn req_packed_commands(&mut self, cmd: &[u8], offset: usize, count: usize) -> RedisResult<Vec<Value>> {
        self.conn.request_many(cmd, offset, count)
    }

    fn req_command(&mut self, cmd: &Cmd) -> RedisResult<Value> {
        self.conn.request(&cmd.get_packed_command(), cmd.is_no_response())
    }

    fn get_db(&self) -> i64 {
        self.conn.client.db() as i64
    }

    fn check_connection(&mut self) -> bool {
        redis::cmd("PING").query::<String>(self).is_ok()
    }

    fn is_open(&self) -> bool {
        self.conn.is_open()
    }
}

/// An async `redis::aio::ConnectionLike` over an embedded [`Client`], for
/// `redis::AsyncCommands` on any executor. Clones share one connection (one session), like
/// clones of redis-rs's `MultiplexedConnection`. Commands run when the future is polled.
#[derive(Debug, Clone)]
pub struct AsyncRedisConnection {
    conn: Arc<Mutex<Conn>>,
}

impl AsyncRedisConnection {
    pub fn new(client: Client) -> AsyncRedisConnection {
        AsyncRedisConnection { conn: Arc::new(Mutex::new(Conn { client, broken: false })) }
    }

    fn lock(&self) -> MutexGuard<'_, Conn> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the connection is usable (not QUIT, not closed by a protocol error, and the
    /// server's failure switch is off).
    pub fn is_open(&self) -> bool {
        self.lock().is_open()
    }

    /// The id CLIENT ID would return for this connection.
    pub fn client_id(&self) -> u64 {
        self.lock().client.id()
    }
}

impl From<Client> for AsyncRedisConnection {
    fn from(client: Client) -> Self {
        AsyncRedisConnection::new(client)
    }
}

impl redis::aio::ConnectionLike for AsyncRedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move { self.lock().request(&cmd.get_packed_command(), cmd.is_no_response()) })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move { self.lock().request_many(&cmd.get_packed_pipeline(), offset, count) })
    }

    fn get_db(&self) -> i64 {
        self.lock().client.db() as i64
    }
}
