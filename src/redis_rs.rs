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
struct Conn {
    client: Client,
    /// The (simulated) server closed the connection after a protocol error.
    broken: bool,
    /// Where pushes go (`set_push_sender`); without one they are dropped.
    push: Option<Arc<dyn redis::aio::AsyncPushSender>>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn").field("client", &self.client).field("broken", &self.broken).finish_non_exhaustive()
    }
}

/// The requests of one call being answered.
struct Trip {
    parser: RequestParser,
    replies: Vec<Value>,
    done: bool,
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

    /// Starts sending `packed` (one or more RESP requests).
    fn start(&self, packed: &[u8]) -> RedisResult<Trip> {
        if packed.is_empty() {
            return Err((ErrorKind::Client, "empty command").into());
        }
        if !self.is_open() {
            return Err(dropped());
        }
        let mut parser = RequestParser::new();
        parser.feed(packed);
        Ok(Trip { parser, replies: Vec::new(), done: false })
    }

    /// Runs the trip's commands until they are all answered, or one blocks (BLPOP ...:
    /// `Ok(false)`; its reply is then given to [`Conn::answered`]). Stops early where the
    /// server would close the connection.
    fn advance(&mut self, trip: &mut Trip) -> RedisResult<bool> {
        let mut wire = Vec::new();
        while !trip.done {
            wire.clear();
            match trip.parser.next_command(self.limits()) {
                Ok(None) if trip.parser.pending() == 0 => trip.done = true,
                Ok(None) => {
                    // A real server would wait for the rest of the request forever.
                    return Err((
                        ErrorKind::Client,
                        "incomplete request",
                        format!("{} bytes left over", trip.parser.pending()),
                    )
                        .into());
                }
                Ok(Some(argv)) => match self.client.send(&argv).map_err(|_| dropped())? {
                    Some(reply) => self.answered(trip, reply)?,
                    None => return Ok(false),
                },
                Err(text) => {
                    wire.push(b'-');
                    wire.extend_from_slice(text.as_bytes());
                    wire.extend_from_slice(b"\r\n");
                    trip.replies.push(redis::parse_redis_value(&wire)?);
                    self.broken = true;
                    trip.done = true;
                }
            }
        }
        Ok(true)
    }

    /// Records a command's reply, as redis-rs parses it off the wire.
    fn answered(&mut self, trip: &mut Trip, reply: crate::Reply) -> RedisResult<()> {
        self.deliver_pushes();
        let mut wire = Vec::new();
        resp::encode(&reply, self.client.protocol() == 3, &mut wire);
        trip.replies.push(redis::parse_redis_value(&wire)?);
        if self.client.is_closed() {
            trip.done = true; // QUIT: the server answers, then closes.
        }
        Ok(())
    }

    /// Hands what other clients sent this one (pub/sub messages, invalidations) to the push
    /// sender, or drops it when there is none, as redis-rs does.
    fn deliver_pushes(&mut self) {
        while let Some(frame) = self.client.try_recv_push() {
            if let Some(sender) = &self.push {
                let mut wire = Vec::new();
                resp::encode(&frame, true, &mut wire);
                if let Ok(Value::Push { kind, data }) = redis::parse_redis_value(&wire) {
                    let _ = sender.send(redis::PushInfo { kind, data });
                }
            }
        }
    }

    /// Sends `packed` and returns every reply, in order, waiting here for a command that
    /// blocks.
    fn round_trip(&mut self, packed: &[u8]) -> RedisResult<Vec<Value>> {
        let mut trip = self.start(packed)?;
        while !self.advance(&mut trip)? {
            let reply = self.client.wait_reply().map_err(|_| dropped())?;
            self.answered(&mut trip, reply)?;
        }
        Ok(trip.replies)
    }

    /// One command, one reply.
    fn request(&mut self, packed: &[u8], no_response: bool) -> RedisResult<Value> {
        let replies = self.round_trip(packed)?;
        if no_response {
            return Ok(Value::Nil);
        }
        first_reply(replies)
    }

    /// redis-rs's `req_packed_commands` over [`Conn::round_trip`].
    fn request_many(&mut self, packed: &[u8], offset: usize, count: usize) -> RedisResult<Vec<Value>> {
        pick_replies(self.round_trip(packed)?, offset, count)
    }
}

/// redis-rs's push kind of a confirmation's first word.
fn push_kind(word: &[u8]) -> redis::PushKind {
    match word {
        b"subscribe" => redis::PushKind::Subscribe,
        b"psubscribe" => redis::PushKind::PSubscribe,
        b"ssubscribe" => redis::PushKind::SSubscribe,
        b"unsubscribe" => redis::PushKind::Unsubscribe,
        b"punsubscribe" => redis::PushKind::PUnsubscribe,
        b"sunsubscribe" => redis::PushKind::SUnsubscribe,
        other => redis::PushKind::Other(String::from_utf8_lossy(other).into_owned()),
    }
}

/// The reply to one command (push messages are skipped, as redis-rs does).
fn first_reply(replies: Vec<Value>) -> RedisResult<Value> {
    replies
        .into_iter()
        .find(|v| !matches!(v, Value::Push { .. }))
        .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof).into())
}

/// redis-rs's `req_packed_commands`: of `offset + count` replies, the last `count`. Server
/// errors among the skipped replies (the commands queued by an atomic pipeline) abort the
/// transaction.
fn pick_replies(replies: Vec<Value>, offset: usize, count: usize) -> RedisResult<Vec<Value>> {
    let mut replies = replies.into_iter();
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

/// A synchronous `redis::ConnectionLike` over an embedded [`Client`]: use it with
/// `redis::Commands`, `redis::cmd(..).query(&mut con)` and `redis::pipe()`.
#[derive(Debug)]
pub struct RedisConnection {
    conn: Conn,
}

impl RedisConnection {
    pub fn new(client: Client) -> RedisConnection {
        RedisConnection { conn: Conn { client, broken: false, push: None } }
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
        AsyncRedisConnection { conn: Arc::new(Mutex::new(Conn { client, broken: false, push: None })) }
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

impl AsyncRedisConnection {
    /// Sends `packed` and returns every reply; a command that blocks (BLPOP ...) is waited
    /// for without blocking the executor's thread.
    async fn round_trip(&self, packed: &[u8]) -> RedisResult<Vec<Value>> {
        let mut trip = self.lock().start(packed)?;
        loop {
            let signal = {
                let mut conn = self.lock();
                if conn.advance(&mut trip)? {
                    return Ok(trip.replies);
                }
                conn.client.signal()
            };
            loop {
                let (reply, deadline) = {
                    let mut conn = self.lock();
                    (conn.client.poll_reply().map_err(|_| dropped())?, conn.client.block_deadline())
                };
                if let Some(reply) = reply {
                    self.lock().answered(&mut trip, reply)?;
                    break;
                }
                let waker = self.lock().client.wake_at(deadline);
                signal.notified().await;
                drop(waker);
            }
        }
    }

    /// Where pushes go: pub/sub messages and tracking invalidations this connection
    /// receives, as redis-rs's `AsyncConnectionConfig::set_push_sender` (a
    /// `tokio::sync::mpsc::UnboundedSender<PushInfo>`, or a closure). Without one they are
    /// dropped, as redis-rs does. They are delivered when the connection next runs a
    /// command, or at once when a publisher's command queues them.
    pub fn set_push_sender(&self, sender: impl redis::aio::AsyncPushSender) {
        let sender: Arc<dyn redis::aio::AsyncPushSender> = Arc::new(sender);
        let mut conn = self.lock();
        let hook_sender = sender.clone();
        conn.client.set_push_hook(Some(crate::server::clients::PushHook(Arc::new(move |frame: &crate::Reply| {
            let mut wire = Vec::new();
            resp::encode(frame, true, &mut wire);
            if let Ok(Value::Push { kind, data }) = redis::parse_redis_value(&wire) {
                let _ = hook_sender.send(redis::PushInfo { kind, data });
            }
        }))));
        conn.push = Some(sender);
        conn.deliver_pushes();
    }

    /// SUBSCRIBE, as redis-rs's `MultiplexedConnection::subscribe` (messages go to the
    /// push sender).
    pub async fn subscribe(&mut self, channel: impl redis::ToRedisArgs) -> RedisResult<()> {
        self.pubsub_command("SUBSCRIBE", channel).await
    }

    /// UNSUBSCRIBE.
    pub async fn unsubscribe(&mut self, channel: impl redis::ToRedisArgs) -> RedisResult<()> {
        self.pubsub_command("UNSUBSCRIBE", channel).await
    }

    /// PSUBSCRIBE.
    pub async fn psubscribe(&mut self, pattern: impl redis::ToRedisArgs) -> RedisResult<()> {
        self.pubsub_command("PSUBSCRIBE", pattern).await
    }

    /// PUNSUBSCRIBE.
    pub async fn punsubscribe(&mut self, pattern: impl redis::ToRedisArgs) -> RedisResult<()> {
        self.pubsub_command("PUNSUBSCRIBE", pattern).await
    }

    /// The (un)subscribe family answers with one push per name: the first is the reply,
    /// the rest go to the push sender with the messages.
    async fn pubsub_command(&mut self, name: &str, names: impl redis::ToRedisArgs) -> RedisResult<()> {
        let mut cmd = redis::cmd(name);
        cmd.arg(names);
        let replies = self.round_trip(&cmd.get_packed_command()).await?;
        let mut conn = self.lock();
        match replies.into_iter().next() {
            Some(Value::ServerError(e)) => Err(e.into()),
            Some(Value::Push { kind, data }) => {
                if let Some(sender) = &conn.push {
                    let _ = sender.send(redis::PushInfo { kind, data });
                }
                conn.deliver_pushes();
                Ok(())
            }
            // A RESP2 connection reads the confirmation as an array; it goes out as a push.
            Some(Value::Array(mut items)) if !items.is_empty() => {
                let kind = match items.remove(0) {
                    Value::BulkString(k) => push_kind(&k),
                    _ => redis::PushKind::Other(String::new()),
                };
                if let Some(sender) = &conn.push {
                    let _ = sender.send(redis::PushInfo { kind, data: items });
                }
                conn.deliver_pushes();
                Ok(())
            }
            _ => {
                conn.deliver_pushes();
                Ok(())
            }
        }
    }
}

impl redis::aio::ConnectionLike for AsyncRedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let replies = self.round_trip(&cmd.get_packed_command()).await?;
            if cmd.is_no_response() {
                return Ok(Value::Nil);
            }
            first_reply(replies)
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let replies = self.round_trip(&cmd.get_packed_pipeline()).await?;
            pick_replies(replies, offset, count)
        })
    }

    fn get_db(&self) -> i64 {
        self.lock().client.db() as i64
    }
}
