//! The embedded client: a connection to a [`Server`] without a network.

use crate::dispatch::{self, ClientError};
use crate::reply::Reply;
use crate::server::{ClientMeta, Server, Session};

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
            authenticated = st.config.get("requirepass").is_empty();
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
                    last_cmd: "NULL".into(),
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
    /// Error replies from the server are `Ok(Reply::Error(..))`.
    pub fn execute(&mut self, argv: &[Vec<u8>]) -> Result<Reply, ClientError> {
        if argv.is_empty() {
            // Redis ignores an empty command; so do we (there is nothing to answer).
            return Ok(Reply::NilArray);
        }
        dispatch::execute(&self.server.shared, &mut self.session, argv)
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
        self.server.with_state(|st| st.idle_timed_out(self.session.id, now))
    }

    /// The request parser's limits for this connection, given `proto-max-bulk-len` and
    /// whether a password is set: Redis tightens them until a client authenticates.
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
        self.server.shared.lock().clients.remove(&self.session.id);
    }
}
