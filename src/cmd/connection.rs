//! Connection commands (spec group `connection`): PING, ECHO, SELECT, SWAPDB, HELLO, AUTH,
//! CLIENT *, QUIT, RESET.

use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::{ClientMeta, Ctx};
use crate::spec::generated::*;
use crate::spec::ServerKind;

/// PING `[message]`: `PONG`, or the message as a bulk string; a RESP2 client in subscribed
/// mode gets `pong` and the message (empty by default) as an array.
pub fn ping(ctx: &mut Ctx<'_>, a: Ping<'_>) -> CmdResult {
    if ctx.sess.resp == 2 && ctx.st.clients.get(&ctx.sess.id).is_some_and(|m| m.subs.any()) {
        return Ok(Reply::Array(vec![Reply::bulk("pong"), Reply::bulk(a.message.unwrap_or(b""))]));
    }
    Ok(match a.message {
        Some(m) => Reply::bulk(m),
        None => Reply::simple("PONG"),
    })
}

/// CLIENT LIST's `tot-mem` of an idle client (redis-server 7.0.15's figure).
pub(crate) const CLIENT_MEMORY: usize = 22298;

/// ECHO message.
pub fn echo(_ctx: &mut Ctx<'_>, a: Echo<'_>) -> CmdResult {
    Ok(Reply::bulk(a.message))
}

/// SELECT index (its ranges, `int` then the databases, are in the overlay).
pub fn select(ctx: &mut Ctx<'_>, a: Select) -> CmdResult {
    if ctx.st.config.limits().cluster && a.index != 0 {
        return Err(Reply::err(error::CLUSTER_SELECT));
    }
    ctx.sess.db = crate::cmd::db_index(ctx.st, a.index)?;
    Ok(Reply::OK)
}

/// SWAPDB index1 index2: swaps the contents; clients keep their selected index. Both
/// indexes are read as `int`s (overlay ranges) before either is checked against the databases.
pub fn swapdb(ctx: &mut Ctx<'_>, a: Swapdb) -> CmdResult {
    if ctx.st.config.limits().cluster {
        return Err(Reply::err(error::CLUSTER_SWAPDB));
    }
    let (x, y) = (crate::cmd::db_index(ctx.st, a.index1)?, crate::cmd::db_index(ctx.st, a.index2)?);
    if x != y {
        crate::dispatch::effects::touch_watched_in_db(ctx.st, x, Some(y));
        crate::dispatch::effects::touch_watched_in_db(ctx.st, y, Some(x));
    }
    ctx.st.dbs.swap(x, y);
    crate::dispatch::effects::waited_keys_ready(ctx.st, [x, y], &mut ctx.dirty);
    Ok(Reply::OK)
}

/// Logs the client in as `user` if the pair fits (the user exists, is on, and takes the
/// password); a failure goes to ACL LOG (object: the command as typed).
fn authenticate(ctx: &mut Ctx<'_>, user: &[u8], pass: &[u8]) -> Result<(), Reply> {
    let p = ctx.profile();
    if !ctx.st.acl_mut(&p).credentials_ok(user, pass) {
        let (object, context) = (ctx.argv[0].clone(), crate::cmd::acl::log_context(ctx));
        crate::cmd::acl::log_denied(ctx, crate::acl::Reason::Auth, context, object, user.to_vec());
        return Err(Reply::err(error::WRONGPASS));
    }
    ctx.sess.authenticated = true;
    ctx.sess.user = String::from_utf8_lossy(user).into_owned();
    Ok(())
}

/// AUTH [username] password.
pub fn auth(ctx: &mut Ctx<'_>, a: Auth<'_>) -> CmdResult {
    let p = ctx.profile();
    let user: &[u8] = match a.username {
        Some(u) => u,
        None => {
            if ctx.st.acl_mut(&p).user(b"default").is_none_or(|u| u.nopass) {
                return Err(Reply::err(error::AUTH_NOT_CONFIGURED));
            }
            b"default"
        }
    };
    authenticate(ctx, user, a.password)?;
    Ok(Reply::OK)
}

/// Whether the connection may run commands without (another) AUTH.
fn is_authenticated(ctx: &Ctx<'_>) -> bool {
    ctx.sess.authenticated
}

/// Redis's rule for client names (and library names): no byte outside `!`..`~`.
fn valid_name(name: &[u8]) -> bool {
    name.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]: the server's identity.
///
/// The handler walks its words itself (overlay `walk`), as Redis's loop applies each option
/// as it reads it: up to 7.0 (and KeyDB) AUTH authenticates and SETNAME names the client on
/// the spot, so a later bad option leaves them done; from 7.2 (and Valkey) SETNAME is only
/// validated in the loop and the last AUTH and SETNAME take effect after it.
pub fn hello(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let p = ctx.profile();
    let mut ver = None;
    let mut j = 0;
    if let Some(w) = words.first() {
        let v = crate::spec::grammar::parse_i64(w).ok_or(Reply::err(error::PROTOVER_NOT_INTEGER))?;
        if !(2..=3).contains(&v) {
            if p.is(ServerKind::Dragonfly) {
                return Err(Reply::err(error::dragonfly_hello_protover(v)));
            }
            return Err(Reply::err(error::NOPROTO));
        }
        ver = Some(v as u8);
        j = 1;
    }
    let at_once = match p.kind {
        ServerKind::Redis => !p.redis_at_least(7, 2),
        ServerKind::KeyDB => true,
        ServerKind::Valkey | ServerKind::Dragonfly => false,
    };
    let (mut auth, mut setname) = (None, None);
    while let Some(opt) = words.get(j) {
        let more = words.len() - 1 - j;
        if opt.eq_ignore_ascii_case(b"AUTH") && more >= 2 {
            let (user, pass) = (&words[j + 1], &words[j + 2]);
            if at_once {
                hello_auth(ctx, user, pass)?;
            } else {
                auth = Some((user, pass));
            }
            j += 3;
        } else if opt.eq_ignore_ascii_case(b"SETNAME") && more >= 1 {
            let name = &words[j + 1];
            if !valid_name(name) {
                return Err(Reply::err(error::CLIENT_NAME_SPACES));
            }
            if at_once {
                ctx.sess.name.clone_from(name);
            } else {
                setname = Some(name);
            }
            j += 2;
        } else {
            let e = crate::spec::ArgError::Syntax { word: Some(j) };
            return Err(crate::dispatch::arg_error(&SPEC_HELLO, words, e, &p));
        }
    }
    if let Some((user, pass)) = auth {
        hello_auth(ctx, user, pass)?;
    }
    if !is_authenticated(ctx) {
        return Err(Reply::err(error::HELLO_NOAUTH));
    }
    if let Some(name) = setname {
        ctx.sess.name.clone_from(name);
    }
    if let Some(v) = ver {
        ctx.sess.resp = v;
    }
    Ok(hello_reply(ctx))
}

fn hello_auth(ctx: &mut Ctx<'_>, user: &[u8], pass: &[u8]) -> Result<(), Reply> {
    authenticate(ctx, user, pass)
}

fn hello_reply(ctx: &Ctx<'_>) -> Reply {
    let p = ctx.profile();
    let s = |x: &str| Reply::bulk(x.as_bytes());
    let mut m = Vec::new();
    let server_name = match p.kind {
        ServerKind::Valkey if p.version.major >= 8 => "valkey",
        _ => "redis",
    };
    m.push((s("server"), s(server_name)));
    let version = match p.kind {
        ServerKind::Dragonfly => crate::cmd::server::dragonfly_redis_version(&p).to_string(),
        _ => p.version.to_string(),
    };
    m.push((s("version"), s(&version)));
    if p.is(ServerKind::Dragonfly) {
        m.push((s("dragonfly_version"), s(&format!("df-v{}", p.version))));
    }
    m.push((s("proto"), Reply::Int(i64::from(ctx.sess.resp))));
    m.push((s("id"), Reply::Int(ctx.sess.id as i64)));
    m.push((s("mode"), s("standalone")));
    m.push((s("role"), s("master")));
    if !p.is(ServerKind::Dragonfly) {
        m.push((s("modules"), Reply::Array(vec![])));
    }
    Reply::Map(m)
}

/// QUIT: OK, then the connection closes.
pub fn quit(ctx: &mut Ctx<'_>, _a: Quit) -> CmdResult {
    ctx.sess.closing = true;
    Ok(Reply::OK)
}

/// RESET: back to a fresh connection's state (db 0, RESP2, no name, not authenticated, no
/// transaction, watched keys or subscriptions: those end silently).
pub fn reset(ctx: &mut Ctx<'_>, _a: Reset) -> CmdResult {
    ctx.sess.multi = None;
    ctx.sess.reply = crate::server::ReplyFlags::default();
    crate::cmd::tracking::disable(ctx);
    if ctx.sess.monitor {
        ctx.sess.monitor = false;
        let id = ctx.sess.id;
        ctx.st.monitors.retain(|&c| c != id);
    }
    if ctx.profile().redis_at_least(7, 2) {
        // 7.0 keeps NO-EVICT across RESET (fixed in 7.2).
        ctx.sess.no_evict = false;
        ctx.sess.no_touch = false;
    }
    let st = &mut *ctx.st;
    if let Some(me) = st.clients.get_mut(&ctx.sess.id) {
        st.watches.unwatch_all(me);
        st.pubsub.forget(me);
    }
    ctx.sess.db = 0;
    ctx.sess.resp = 2;
    ctx.sess.name.clear();
    ctx.sess.authenticated = !ctx.st.auth_required();
    ctx.sess.user = "default".into();
    Ok(Reply::simple("RESET"))
}

/// CLIENT ID.
pub fn client_id(ctx: &mut Ctx<'_>, _a: ClientId) -> CmdResult {
    Ok(Reply::Int(ctx.sess.id as i64))
}

/// CLIENT GETNAME: nil when unnamed.
pub fn client_getname(ctx: &mut Ctx<'_>, _a: ClientGetname) -> CmdResult {
    Ok(if ctx.sess.name.is_empty() { Reply::Nil } else { Reply::bulk(ctx.sess.name.clone()) })
}

/// CLIENT SETNAME name: an empty name removes it.
pub fn client_setname(ctx: &mut Ctx<'_>, a: ClientSetname<'_>) -> CmdResult {
    if !valid_name(a.connection_name) {
        return Err(Reply::err(error::CLIENT_NAME_SPACES));
    }
    ctx.sess.name = a.connection_name.to_vec();
    Ok(Reply::OK)
}

/// CLIENT SETINFO LIB-NAME name | LIB-VER version.
pub fn client_setinfo(ctx: &mut Ctx<'_>, a: ClientSetinfo<'_>) -> CmdResult {
    let (attr, val) = match a.attr {
        ClientSetinfoAttr::Libname(v) => ("lib-name", v),
        ClientSetinfoAttr::Libver(v) => ("lib-ver", v),
    };
    if !valid_name(val) {
        return Err(Reply::err(error::bad_lib_attr(attr)));
    }
    match attr {
        "lib-name" => ctx.sess.lib_name = val.to_vec(),
        _ => ctx.sess.lib_ver = val.to_vec(),
    }
    Ok(Reply::OK)
}

/// One CLIENT LIST line, with the fields the pinned version prints.
fn client_line(ctx: &Ctx<'_>, m: &ClientMeta, current: bool) -> String {
    let p = ctx.profile();
    let v7 = p.redis_at_least(7, 0);
    let age = (ctx.now - m.created_ms).max(0) / 1000;
    let idle = if current { 0 } else { (ctx.now - m.last_ms).max(0) / 1000 };
    let (name, db, resp, lib_name, lib_ver) = if current {
        (&ctx.sess.name, ctx.sess.db, ctx.sess.resp, &ctx.sess.lib_name, &ctx.sess.lib_ver)
    } else {
        (&m.name, m.db, m.resp, &m.lib_name, &m.lib_ver)
    };
    let cmd = match (current, ctx.sess.in_exec) {
        // Inside EXEC the client's last command is the EXEC.
        (true, Some(_)) => "exec".to_string(),
        (true, None) => "client|list".to_string(),
        (false, _) => m.last_cmd.to_string(),
    };
    let cmd = if v7 { cmd } else { cmd.replace('|', " ").split(' ').next().unwrap_or("").to_string() };
    let name = String::from_utf8_lossy(name);
    let multi = match (current, ctx.sess.in_exec) {
        (true, Some(n)) => n,
        (true, None) => ctx.sess.multi.as_ref().map_or(-1, |q| q.queue.len() as i64),
        (false, _) => m.multi,
    };
    let (monitor, no_evict, no_touch) = if current {
        (ctx.sess.monitor, ctx.sess.no_evict, ctx.sess.no_touch)
    } else {
        (m.monitor, m.no_evict, m.no_touch)
    };
    let mut flags = String::new();
    for (on, c) in [
        (monitor, 'O'),
        (m.subs.any(), 'P'),
        (multi >= 0, 'x'),
        (m.blocked.is_some() || m.postponed, 'b'),
        (m.tracking.is_some(), 't'),
        (m.tracking.as_ref().is_some_and(|t| t.broken), 'R'),
        (m.tracking.as_ref().is_some_and(|t| t.bcast), 'B'),
        (m.dirty_cas, 'd'),
        (no_evict, 'e'),
        (no_touch, 'T'),
    ] {
        if on {
            flags.push(c);
        }
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let (sub, psub) = (m.subs.channels.len(), m.subs.patterns.len());
    let mut s = format!(
        "id={} addr={} laddr={} fd={} name={name} age={age} idle={idle} flags={flags} db={db} sub={sub} psub={psub}",
        m.id, m.addr, m.laddr, m.fd
    );
    if v7 {
        s.push_str(&format!(" ssub={} multi={multi}", m.subs.shard.len()));
        if p.redis_at_least(7, 4) {
            s.push_str(&format!(" watch={}", m.watching.len()));
        }
        s.push_str(" qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=1024 rbp=0");
    } else {
        s.push_str(&format!(" multi={multi} qbuf=26 qbuf-free=40928 argv-mem=10"));
    }
    let redir = m.tracking.as_ref().map_or(-1, |t| t.redirect as i64);
    s.push_str(&format!(
        " obl=0 oll=0 omem=0 tot-mem={CLIENT_MEMORY} events=r cmd={cmd} user={} redir={redir}",
        m.user
    ));
    if v7 {
        s.push_str(&format!(" resp={resp}"));
    }
    if p.redis_at_least(7, 2) {
        s.push_str(&format!(
            " lib-name={} lib-ver={}",
            String::from_utf8_lossy(lib_name),
            String::from_utf8_lossy(lib_ver)
        ));
    }
    s
}

fn verbatim(s: String) -> Reply {
    Reply::Verbatim("txt", s.into_bytes())
}

/// The current client's CLIENT LIST line, naming the command it runs (ACL LOG's
/// `client-info`).
pub(crate) fn client_info_string(ctx: &Ctx<'_>) -> String {
    let meta = ctx.st.clients.get(&ctx.sess.id).cloned().unwrap_or_default();
    let mut cmd = meta.last_cmd.to_string();
    if !ctx.profile().redis_at_least(7, 0) {
        cmd = cmd.split('|').next().unwrap_or("").to_string();
    }
    let line = client_line(ctx, &meta, true);
    let shown = if ctx.profile().redis_at_least(7, 0) { "cmd=client|list" } else { "cmd=client" };
    line.replacen(shown, &format!("cmd={cmd}"), 1)
}

/// CLIENT INFO: this connection's CLIENT LIST line.
pub fn client_info(ctx: &mut Ctx<'_>, _a: ClientInfo) -> CmdResult {
    let meta = ctx.st.clients.get(&ctx.sess.id).cloned().unwrap_or_default();
    let line = client_line(ctx, &meta, true).replace("cmd=client|list", "cmd=client|info");
    Ok(verbatim(format!("{line}\n")))
}

/// CLIENT LIST [TYPE type] [ID id ...]: one line per connection. Redis reads its words
/// by count: exactly `TYPE type`, or `ID` and every word after it as an id (`Invalid
/// client ID` at the first that is not a number, even a word like TYPE), listed in the
/// order given (repeats too); anything else is the syntax error. Valkey 8.1 and later parse
/// their filter grammar instead.
pub fn client_list(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let p = ctx.profile();
    if p.is(ServerKind::Valkey) && p.version >= crate::spec::Version::new(8, 1, 0) {
        let parsed = crate::spec::grammar::parse(&SPEC_CLIENT_LIST, words, &p, ctx.st.dbs.len())
            .map_err(|e| crate::dispatch::arg_error(&SPEC_CLIENT_LIST, words, e, &p))?;
        return client_list_filtered(ctx, ClientList::from_block(&parsed));
    }
    let all: Vec<ClientMeta> = match words {
        [] => ctx.st.clients.values().cloned().collect(),
        [t, ty] if t.eq_ignore_ascii_case(b"type") => {
            let Some(pubsub) = client_type_filter(ctx, ty)? else { return Ok(verbatim(String::new())) };
            ctx.st.clients.values().filter(|m| m.subs.any() == pubsub).cloned().collect()
        }
        [id, ids @ ..] if id.eq_ignore_ascii_case(b"id") && !ids.is_empty() => {
            let mut out = Vec::new();
            for w in ids {
                let n = crate::spec::grammar::parse_i64(w).ok_or(Reply::err(error::INVALID_CLIENT_ID))?;
                if let Some(m) = u64::try_from(n).ok().and_then(|n| ctx.st.clients.get(&n)) {
                    out.push(m.clone());
                }
            }
            out
        }
        _ => return Err(Reply::err(error::SYNTAX)),
    };
    Ok(client_lines(ctx, &all))
}

/// Which clients a `TYPE t` filter (CLIENT LIST, CLIENT KILL) selects: `Some(pubsub)` for
/// normal clients (not subscribed) or subscribers, `None` for the kinds the fake has none of
/// (masters, replicas), Redis's error for an unknown name (as typed).
pub(crate) fn client_type_filter(ctx: &Ctx<'_>, t: &[u8]) -> Result<Option<bool>, Reply> {
    let lower = String::from_utf8_lossy(t).to_ascii_lowercase();
    match lower.as_str() {
        "normal" => Ok(Some(false)),
        "pubsub" => Ok(Some(true)),
        "master" | "replica" | "slave" => Ok(None),
        "primary" if ctx.profile().is(ServerKind::Valkey) => Ok(None),
        _ => Err(Reply::err_bytes(error::unknown_client_type(t))),
    }
}

/// One CLIENT LIST line per client.
fn client_lines(ctx: &Ctx<'_>, metas: &[ClientMeta]) -> Reply {
    let mut out = String::new();
    for m in metas {
        out.push_str(&client_line(ctx, m, m.id == ctx.sess.id));
        out.push('\n');
    }
    verbatim(out)
}

/// Valkey 8.1+'s CLIENT LIST over its grammar: TYPE and ID (the other filters are parsed,
/// not applied yet).
fn client_list_filtered(ctx: &mut Ctx<'_>, a: ClientList<'_>) -> CmdResult {
    if a.client_type.is_some() && !a.client_id.is_empty() {
        return Err(Reply::err(error::SYNTAX));
    }
    let mut pubsub = None;
    if let Some(t) = a.client_type {
        let Some(p) = client_type_filter(ctx, t)? else { return Ok(verbatim(String::new())) };
        pubsub = Some(p);
    }
    let mut ids = Vec::new();
    for id in &a.client_id {
        ids.push(crate::spec::grammar::parse_i64(id).ok_or(Reply::err(error::INVALID_CLIENT_ID))?);
    }
    let metas: Vec<ClientMeta> = ctx
        .st
        .clients
        .values()
        .filter(|m| a.client_id.is_empty() || ids.contains(&(m.id as i64)))
        .filter(|m| pubsub.is_none_or(|p| m.subs.any() == p))
        .cloned()
        .collect();
    Ok(client_lines(ctx, &metas))
}

/// CLIENT HELP.
pub fn client_help(_ctx: &mut Ctx<'_>, _a: ClientHelp) -> CmdResult {
    Ok(crate::cmd::server::help_reply("CLIENT", CLIENT_HELP))
}

const CLIENT_HELP: &[&str] = &[
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
];
