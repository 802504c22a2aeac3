//! MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password |
//! AUTH2 username password] [KEYS key ...] (overlay `walk`), as Redis 7.0's
//! `migrateCommand`: the options in its order, then the timeout and the database, then
//! the keys looked up (none there: `NOKEY`); then a connection to the target (any Redis, or
//! a fakeredis TCP server) that gets AUTH, SELECT and one RESTORE (RESTORE-ASKING in
//! cluster mode) per key with its remaining TTL and DUMP payload; each key the target
//! took is deleted here unless COPY. Like Redis, the server waits for the target for up to
//! `timeout` milliseconds meanwhile (a MIGRATE to the same server therefore times out), and
//! retries once on a connection error that is not a timeout. Connections are kept for
//! later MIGRATEs as Redis keeps them (SELECT only when the database changes; after a
//! target's error the database is unknown, so a failed SELECT leaves the RESTOREs in the
//! database selected before, as with Redis).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::error;
use crate::rdb::object::Format;
use crate::reply::{CmdResult, Reply};
use crate::server::config::NOTIFY_GENERIC;
use crate::server::Ctx;
use crate::spec::grammar::parse_i64;

/// What went wrong talking to the target (Redis's IOERR texts).
enum Io {
    Connect,
    Write,
    /// Reading, after `got` replies; whether it timed out (no retry then).
    Read {
        timed_out: bool,
        got: usize,
    },
}

pub fn migrate(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [host, port, key, db, timeout, opts @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let (mut copy, mut replace, mut auth): (bool, bool, Option<Vec<&[u8]>>) = (false, false, None);
    let mut keys: Vec<&[u8]> = vec![key];
    let mut i = 0;
    while i < opts.len() {
        let more = opts.len() - 1 - i;
        match opts[i].to_ascii_lowercase().as_slice() {
            b"copy" => copy = true,
            b"replace" => replace = true,
            b"auth" if more >= 1 => {
                auth = Some(vec![&opts[i + 1]]);
                i += 1;
            }
            b"auth2" if more >= 2 => {
                auth = Some(vec![&opts[i + 1], &opts[i + 2]]);
                i += 2;
            }
            b"keys" => {
                if !key.is_empty() {
                    return Err(Reply::err(error::MIGRATE_KEYS_NEED_EMPTY_KEY));
                }
                keys = opts[i + 1..].iter().map(Vec::as_slice).collect();
                break;
            }
            _ => return Err(Reply::err(error::SYNTAX)),
        }
        i += 1;
    }
    let timeout = parse_i64(timeout).ok_or(Reply::err(error::NOT_INTEGER))?;
    let db = parse_i64(db).ok_or(Reply::err(error::NOT_INTEGER))?;
    // Redis waits as long as it is told; the fake at most `MAX_WAIT` (the server waits with it).
    let timeout = Duration::from_millis(if timeout <= 0 { 1000 } else { timeout as u64 }).min(MAX_WAIT);
    let (now, f, enc, p) = (ctx.now, Format::of(&ctx.profile()), ctx.enc(), ctx.profile());
    // The keys that are here (a read lookup each), with their TTLs and payloads.
    let mut found: Vec<(&[u8], i64, Vec<u8>)> = Vec::new();
    for k in keys {
        let Some(e) = ctx.db().get_mut(k, now) else {
            ctx.st.stats.keyspace_misses += 1;
            crate::cmd::read_miss(ctx, k);
            continue;
        };
        let ttl = e.expire_at.map_or(0, |at| (at - now).max(1));
        let payload = crate::cmd::dump::payload(&e.value, f, &enc, &p)?;
        ctx.st.stats.keyspace_hits += 1;
        found.push((k, ttl, payload));
    }
    if found.is_empty() {
        return Ok(Reply::simple("NOKEY"));
    }
    let restore: &[u8] = if ctx.st.config.limits().cluster { b"RESTORE-ASKING" } else { b"RESTORE" };
    let auth = match &auth {
        Some(a) => {
            let mut argv: Vec<&[u8]> = vec![b"AUTH"];
            argv.extend(a.iter().copied());
            command(&argv)
        }
        None => Vec::new(),
    };
    let mut restores = Vec::new();
    for (k, ttl, payload) in &found {
        let ttl = ttl.to_string();
        let mut argv: Vec<&[u8]> = vec![restore, k, ttl.as_bytes(), payload];
        if replace {
            argv.push(b"REPLACE");
        }
        restores.extend(command(&argv));
    }
    let target = (host.as_slice(), port.as_slice());
    let mut result = attempt(ctx, target, &auth, &restores, (db, found.len()), timeout);
    // Redis tries once more unless the target timed out or took a RESTORE already.
    let retry = match &result {
        Err(Io::Write) => true,
        Err(Io::Read { timed_out, got }) => !timed_out && *got == 0,
        _ => false,
    };
    if retry {
        result = attempt(ctx, target, &auth, &restores, (db, found.len()), timeout);
    }
    let (name, lines, head) = match result {
        Ok(r) => r,
        Err(Io::Connect) => return Err(Reply::err(error::MIGRATE_CONNECT)),
        Err(Io::Write) => return Err(Reply::err(error::MIGRATE_WRITE)),
        Err(Io::Read { .. }) => return Err(Reply::err(error::MIGRATE_READ)),
    };
    // AUTH's and SELECT's replies come first; an error of theirs is reported for them all.
    let mut failed: Option<Vec<u8>> = lines[..head].iter().find(|l| l.starts_with(b"-")).cloned();
    for ((k, _, _), line) in found.iter().zip(&lines[head..]) {
        if failed.is_some() || line.starts_with(b"-") {
            failed.get_or_insert_with(|| line.clone());
            continue;
        }
        if !copy && ctx.db().remove(k).is_some() {
            ctx.touched(k);
            ctx.notify(NOTIFY_GENERIC, "del", k);
        }
    }
    let cached = ctx.st.migrate_sockets.get_mut(&name);
    match failed {
        Some(line) => {
            // The database the target is in is no longer known.
            if let Some(c) = cached {
                c.db = -1;
            }
            Err(Reply::err_bytes(error::migrate_target_error(&line[1..])))
        }
        None => {
            if let Some(c) = cached {
                c.db = db;
            }
            Ok(Reply::OK)
        }
    }
}

/// A command in RESP.
fn command(argv: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    crate::resp::encode_command(argv, &mut out);
    out
}

/// A connection to a MIGRATE target kept for later MIGRATEs (Redis's cached sockets: up to
/// 64, closed after 10 idle seconds), and the database it last selected (-1: unknown).
pub struct Cached {
    conn: BufReader<TcpStream>,
    db: i64,
    used_ms: i64,
}

impl std::fmt::Debug for Cached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cached").field("db", &self.db).field("used_ms", &self.used_ms).finish()
    }
}

const CACHE_ITEMS: usize = 64;

/// The longest MIGRATE waits for its target, whatever its timeout says.
const MAX_WAIT: Duration = Duration::from_secs(60);
const CACHE_TTL_MS: i64 = 10_000;

/// The cached connection to host:port, or a new one (`migrateGetSocket`); a full cache
/// drops one at random, as Redis does.
fn connect(ctx: &mut Ctx<'_>, host: &[u8], port: &[u8], timeout: Duration) -> Result<String, Io> {
    let (host, port) = (String::from_utf8_lossy(host).into_owned(), String::from_utf8_lossy(port).into_owned());
    let name = format!("{host}:{port}");
    let now = ctx.now;
    let cache = &mut ctx.st.migrate_sockets;
    cache.retain(|_, c| now - c.used_ms <= CACHE_TTL_MS);
    if let Some(c) = cache.get_mut(&name) {
        c.used_ms = now;
        return Ok(name);
    }
    if cache.len() >= CACHE_ITEMS {
        if let Some(k) = cache.keys().next().cloned() {
            cache.remove(&k);
        }
    }
    // `atoi`: the leading digits.
    let port: u16 = port.trim_start().chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0);
    let addr = (host.as_str(), port).to_socket_addrs().ok().and_then(|mut a| a.next()).ok_or(Io::Connect)?;
    // Redis connects without waiting and finds a refused connection when it writes.
    let conn = match TcpStream::connect_timeout(&addr, timeout) {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Err(Io::Connect),
        Err(_) => return Err(Io::Write),
    };
    let _ = conn.set_nodelay(true);
    cache.insert(name.clone(), Cached { conn: BufReader::new(conn), db: -1, used_ms: now });
    Ok(name)
}

/// Sends `request` on the connection `name` and reads the first line of `n` replies (Redis
/// reads one line per reply too: the target answers these with single lines).
fn exchange(ctx: &mut Ctx<'_>, name: &str, request: &[u8], n: usize, timeout: Duration) -> Result<Vec<Vec<u8>>, Io> {
    let Some(c) = ctx.st.migrate_sockets.get_mut(name) else { return Err(Io::Write) };
    let conn = c.conn.get_mut();
    conn.set_write_timeout(Some(timeout)).map_err(|_| Io::Write)?;
    conn.write_all(request).map_err(|_| Io::Write)?;
    // One deadline for all the replies, as Redis's `syncReadLine` has.
    let deadline = Instant::now() + timeout;
    let mut lines = Vec::with_capacity(n);
    for _ in 0..n {
        let got = lines.len();
        let line = read_line(&mut c.conn, deadline).map_err(|timed_out| Io::Read { timed_out, got })?;
        lines.push(line);
    }
    Ok(lines)
}

/// A reply line up to `MAX_LINE` bytes (Redis reads into a 1 KiB buffer), without its
/// `\r\n`; Err(whether it timed out) if the target closes, stalls past `deadline` or sends
/// a longer line.
fn read_line(conn: &mut BufReader<TcpStream>, deadline: Instant) -> Result<Vec<u8>, bool> {
    const MAX_LINE: usize = 1024;
    let mut line = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(true);
        }
        conn.get_mut().set_read_timeout(Some(left)).map_err(|_| false)?;
        let buf = match conn.fill_buf() {
            Ok([]) => return Err(false),
            Ok(b) => b,
            Err(e) => return Err(matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)),
        };
        let (take, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        line.extend_from_slice(&buf[..take]);
        conn.consume(take);
        if line.len() > MAX_LINE {
            return Err(false);
        }
        if done {
            while line.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
                line.pop();
            }
            return Ok(line);
        }
    }
}

/// One attempt: connect (or reuse), AUTH, SELECT unless the connection has `db` selected,
/// the RESTOREs. The lines of the replies and how many come before the RESTOREs'.
fn attempt(
    ctx: &mut Ctx<'_>,
    (host, port): (&[u8], &[u8]),
    auth: &[u8],
    restores: &[u8],
    (db, keys): (i64, usize),
    timeout: Duration,
) -> Result<(String, Vec<Vec<u8>>, usize), Io> {
    let name = connect(ctx, host, port, timeout)?;
    let select = ctx.st.migrate_sockets.get(&name).is_some_and(|c| c.db != db);
    let mut request = auth.to_vec();
    if select {
        request.extend(command(&[b"SELECT", db.to_string().as_bytes()]));
    }
    request.extend_from_slice(restores);
    let head = usize::from(!auth.is_empty()) + usize::from(select);
    match exchange(ctx, &name, &request, head + keys, timeout) {
        Ok(lines) => Ok((name, lines, head)),
        Err(e) => {
            // Redis closes the socket on an error.
            ctx.st.migrate_sockets.remove(&name);
            Err(match e {
                Io::Read { timed_out, got } => Io::Read { timed_out, got: if got <= head { 0 } else { got } },
                e => e,
            })
        }
    }
}
