//! The embedded client: a connection to a [`Server`] without a network.
//!
//! Commands run in the calling thread. A blocking command (BLPOP ...) blocks the thread
//! until another client serves it or its timeout passes on the server's clock; what other
//! clients send this one (pub/sub messages, a blocked command's reply after [`Client::send`])
//! waits in its queue for [`Client::recv`], [`Client::try_recv`] or [`Client::recv_timeout`].
//!
//! ```
//! use fakeredis::{Reply, Server};
//! let server = Server::new();
//! let mut sub = server.client();
//! sub.cmd(["SUBSCRIBE", "news"]).unwrap();
//! server.client().cmd(["PUBLISH", "news", "hello"]).unwrap();
//! let msg = sub.try_recv().unwrap();
//! assert_eq!(msg, Reply::Push(vec![Reply::bulk("message"), Reply::bulk("news"), Reply::bulk("hello")]));
//! ```

use crate::dispatch::{self, ClientError};
use crate::reply::Reply;
use crate::server::{ClientMeta, Frame, Server, Session, Signal};

/// One client connection to an in-memory server. Commands run synchronously, in the
/// calling thread; any number of clients (in any threads) can share a server.
pub struct Client {
    server: Server,
    session: Session,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("id", &self.session.id).field("db", &self.session.db).finish()
    }
}

impl Client {
    /// A new connection as seen from `addr` (peer) and `laddr` (local address).
    pub fn new(server: Server, addr: String, laddr: String) -> Client {
        let id = server.shared.next_client_id();
        let now = server.shared.clock.now_ms();
        let authenticated;
        {
            let mut st = server.shared.lock();
            // As in Redis: a connection is authenticated from the start while the default
            // user needs no password, and stays so if a password is set later.
            authenticated = !st.auth_required();
            st.stats.connections_received += 1;
            st.clients.insert(
                id,
                ClientMeta {
                    id,
                    addr: addr.clone(),
                    laddr: laddr.clone(),
                    fd: 7 + id as i64,
                    created_ms: now,
                    last_ms: now,
                    last_cmd: "NULL",
                    resp: 2,
                    user: "default".into(),
                    ..ClientMeta::default()
                },
            );
        }
        let mut session = Session::new(id, addr, laddr);
        session.authenticated = authenticated;
        Client { server, session }
    }

    /// Runs a command; `Err` only when the connection is (simulated as) dropped.
    /// Error replies from the server are `Ok(Reply::Error(..))`. A blocking command waits
    /// here for its reply. A command answering with several frames (SUBSCRIBE of several
    /// channels) returns the first; the others wait in the queue ([`Client::recv`]).
    pub fn execute(&mut self, argv: &[Vec<u8>]) -> Result<Reply, ClientError> {
        if argv.is_empty() {
            // Redis ignores an empty command; so do we (there is nothing to answer).
            return Ok(Reply::NilArray);
        }
        dispatch::execute(&self.server.shared, &mut self.session, argv)
    }

    /// Runs a command without waiting: its reply, or `None` if it blocked (the reply then
    /// comes through [`Client::recv`] and friends).
    pub fn send(&mut self, argv: &[Vec<u8>]) -> Result<Option<Reply>, ClientError> {
        if argv.is_empty() {
            return Ok(Some(Reply::NilArray));
        }
        dispatch::submit(&self.server.shared, &mut self.session, argv, None)
    }

    /// The next frame queued for this client (a pub/sub message or confirmation, or the
    /// reply of a command that blocked), without waiting.
    pub fn try_recv(&mut self) -> Option<Reply> {
        let f = self.server.with_state(|st| st.clients.get_mut(&self.session.id)?.outbox.pop_front())?;
        if matches!(f, Frame::Reply(_)) {
            self.session.waiting = false;
        }
        Some(f.into_reply())
    }

    /// The next queued push (not a blocked command's reply), without waiting.
    pub fn try_recv_push(&mut self) -> Option<Reply> {
        self.server.with_state(|st| {
            let q = &mut st.clients.get_mut(&self.session.id)?.outbox;
            let i = q.iter().position(|f| matches!(f, Frame::Push(_)))?;
            q.remove(i).map(Frame::into_reply)
        })
    }

    /// Waits for the reply of the command that blocked.
    pub fn wait_reply(&mut self) -> Result<Reply, ClientError> {
        dispatch::wait_frame(&self.server.shared, &mut self.session, None, true)?.ok_or(ClientError::ConnectionDropped)
    }

    /// The reply of the command that blocked, if it has come (running the server's
    /// periodic work first, so a timeout due on the running clock fires).
    pub fn poll_reply(&mut self) -> Result<Option<Reply>, ClientError> {
        dispatch::wait_frame(&self.server.shared, &mut self.session, Some(std::time::Duration::ZERO), true)
    }

    /// While blocked with a deadline on a running clock: a timer that wakes this client's
    /// signal when the deadline passes (dropping it is harmless; it fires once).
    pub fn wake_at(&self, deadline: Option<i64>) -> Option<std::thread::JoinHandle<()>> {
        let d = deadline?;
        let clock = &self.server.shared.clock;
        if clock.is_frozen() {
            return None; // the test moves the clock, and that wakes the client
        }
        let ms = (d - clock.now_ms() + 1).max(1) as u64;
        let signal = self.signal();
        std::thread::Builder::new()
            .name("fakeredis-timeout".into())
            .spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(ms));
                signal.notify();
            })
            .ok()
    }

    /// Where this client's pushes go instead of its queue (the async redis-rs adapter's push
    /// sender): called under the server's lock, so it must not block.
    pub fn set_push_hook(&mut self, hook: Option<crate::server::clients::PushHook>) {
        self.server.with_state(|st| {
            if let Some(me) = st.clients.get_mut(&self.session.id) {
                me.push_hook = hook;
            }
        });
    }

    /// Waits for the next frame queued for this client.
    pub fn recv(&mut self) -> Result<Reply, ClientError> {
        dispatch::wait_frame(&self.server.shared, &mut self.session, None, false)?.ok_or(ClientError::ConnectionDropped)
    }

    /// Waits up to `timeout` (real time) for the next frame: `Ok(None)` if none came.
    pub fn recv_timeout(&mut self, timeout: std::time::Duration) -> Result<Option<Reply>, ClientError> {
        dispatch::wait_frame(&self.server.shared, &mut self.session, Some(timeout), false)
    }

    /// Every frame as it comes, until the connection drops.
    pub fn messages(&mut self) -> impl Iterator<Item = Reply> + '_ {
        std::iter::from_fn(move || self.recv().ok())
    }

    /// Runs a command the way a connection does: first the frames already queued for the
    /// client, then the reply (unless it blocked), then its further frames, all into `out`
    /// in the order they go on the wire.
    pub fn submit_into(&mut self, argv: &[Vec<u8>], out: &mut Vec<Frame>) -> Result<(), ClientError> {
        dispatch::submit(&self.server.shared, &mut self.session, argv, Some(out)).map(|_| ())
    }

    /// Moves every frame queued for the client into `out` (after a wake-up), running the
    /// server's periodic work first (blocked clients' timeouts on a running clock).
    pub fn drain_into(&mut self, out: &mut Vec<Frame>) -> Result<(), ClientError> {
        self.drain_unless_busy(out).map(|_| ())
    }

    /// [`Client::drain_into`], unless a running script holds the server (false then:
    /// nothing was drained; try again later).
    pub fn drain_unless_busy(&mut self, out: &mut Vec<Frame>) -> Result<bool, ClientError> {
        let shared = &self.server.shared;
        let now = shared.clock.now_ms();
        let Some(mut st) = shared.lock_unless_busy() else { return Ok(false) };
        dispatch::effects::cron(shared, &mut st, now);
        let Some(me) = st.clients.get_mut(&self.session.id) else { return Err(ClientError::ConnectionDropped) };
        if me.killed {
            self.session.closing = true;
            return Err(ClientError::ConnectionDropped);
        }
        let from = out.len();
        out.extend(me.outbox.drain_all());
        if out[from..].iter().any(|f| matches!(f, Frame::Reply(_))) {
            self.session.waiting = false;
        }
        drop(st);
        // A command CLIENT PAUSE held back runs once the pause is over.
        dispatch::resume(shared, &mut self.session, out).map(|_| true)
    }

    /// What wakes this client's owner when a frame is queued for it.
    pub fn signal(&self) -> std::sync::Arc<Signal> {
        self.server.with_state(|st| st.clients.get(&self.session.id).map(|m| m.signal.clone()).unwrap_or_default())
    }

    /// While blocked: the server-clock ms at which the command times out (or, held back by
    /// CLIENT PAUSE, at which the pause ends).
    /// Never waits for the server: `None` when the client waits for nothing, or when a
    /// running script holds the server (a connection asking between its commands must not
    /// stop behind the script).
    pub fn block_deadline(&self) -> Option<i64> {
        if !self.session.waiting && self.session.postponed.is_none() {
            return None;
        }
        let st = self.server.shared.lock_unless_busy()?;
        if self.session.postponed.is_some() {
            return st.pause.map(|p| p.until);
        }
        st.clients.get(&self.session.id)?.blocked.as_ref()?.wake_at()
    }

    /// How many frames wait in this client's queue.
    pub fn pending(&self) -> usize {
        self.server.with_state(|st| st.clients.get(&self.session.id).map_or(0, |m| m.outbox.len()))
    }

    /// Whether this connection waits for the reply of a command that blocked (its further
    /// commands wait behind it, as Redis reads no command from a blocked client).
    pub fn is_waiting(&self) -> bool {
        self.session.waiting
    }

    /// Whether a command of this client is blocked, waiting to be served.
    pub fn is_blocked(&self) -> bool {
        self.server.with_state(|st| st.clients.get(&self.session.id).is_some_and(|m| m.blocked.is_some()))
    }

    /// Runs a command given as strings or bytes: `client.cmd(["SET", "k", "v"])`.
    pub fn cmd<I, A>(&mut self, args: I) -> Result<Reply, ClientError>
    where
        I: IntoIterator<Item = A>,
        A: AsRef<[u8]>,
    {
        let argv: Vec<Vec<u8>> = args.into_iter().map(|a| a.as_ref().to_vec()).collect();
        self.execute(&argv)
    }

    /// The server this client talks to.
    pub fn server(&self) -> &Server {
        &self.server
    }

    pub fn id(&self) -> u64 {
        self.session.id
    }

    /// The selected database.
    pub fn db(&self) -> usize {
        self.session.db
    }

    /// The protocol version the client negotiated (2 or 3).
    pub fn protocol(&self) -> u8 {
        self.session.resp
    }

    /// The connection's session state (selected db, protocol, auth), read-only.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Whether the server's `timeout` has closed this client for being idle (checked on the
    /// server's clock, so a frozen clock moved with `advance` counts too).
    pub fn idle_timed_out(&self) -> bool {
        let now = self.server.shared.clock.now_ms();
        self.server.shared.lock_unless_busy().is_some_and(|st| st.idle_timed_out(self.session.id, now))
    }

    /// The request parser's limits for this connection, given `proto-max-bulk-len` and
    /// whether a password is set: Redis tightens them until a client authenticates.
    /// The server's limits as of this client's last command (None before its first).
    pub fn last_limits(&self) -> Option<crate::server::config::ConfigLimits> {
        self.session.limits
    }

    pub fn request_limits(&self, max_bulk: i64, needs_pass: bool) -> crate::resp::Limits {
        crate::resp::Limits { proto_max_bulk_len: max_bulk, auth_required: needs_pass && !self.session.authenticated }
    }

    /// Whether the connection was closed (QUIT) or the server's failure switch is on.
    pub fn is_closed(&self) -> bool {
        self.session.closing || self.server.is_failing()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let shared = &self.server.shared;
        match shared.lock_unless_busy() {
            Some(mut st) => crate::dispatch::effects::forget_client(&mut st, self.session.id),
            // A busy script holds the server: forgotten once it ends.
            None => shared.busy.defer_forget(self.session.id),
        }
    }
}
