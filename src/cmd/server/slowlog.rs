//! SLOWLOG: the commands that took at least `slowlog-log-slower-than` microseconds (real
//! time, as Redis measures them; -1: none), newest first, at most `slowlog-max-len`; and
//! Valkey 8.1's COMMANDLOG, the same log (`commandlog-execution-slower-than`, with the
//! slowlog names as aliases) beside two more, of requests and of replies of at least
//! `commandlog-request-larger-than` / `commandlog-reply-larger-than` bytes.
//! Arguments are kept as Redis keeps them: 32 at most (the last saying how many more),
//! 128 bytes each (then how many more bytes), passwords `(redacted)`.

use std::collections::VecDeque;

use super::help_reply;
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;
use crate::spec::grammar::parse_i64;

const MAX_ARGC: usize = 32;
const MAX_STRING: usize = 128;

/// One logged command.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i64,
    pub time_s: i64,
    pub duration_us: i64,
    pub argv: Vec<Vec<u8>>,
    pub peer: String,
    pub name: Vec<u8>,
}

/// The log.
#[derive(Debug, Default)]
pub struct SlowLog {
    pub entries: VecDeque<Entry>,
    pub next_id: i64,
}

/// The argument positions Redis redacts before it logs a command.
fn redacted(argv: &[Vec<u8>]) -> Vec<usize> {
    let word = |i: usize| argv.get(i).map(|w| w.to_ascii_lowercase()).unwrap_or_default();
    match (word(0).as_slice(), word(1).as_slice()) {
        (b"auth", _) => (1..argv.len()).collect(),
        (b"acl", b"setuser") => (2..argv.len()).collect(),
        (b"hello", _) => match (2..argv.len()).find(|&i| word(i) == b"auth") {
            Some(i) => vec![i + 1, i + 2],
            None => Vec::new(),
        },
        (b"config", b"set") => (2..argv.len())
            .step_by(2)
            .filter(|&i| matches!(word(i).as_slice(), b"requirepass" | b"masterauth"))
            .map(|i| i + 1)
            .collect(),
        _ => Vec::new(),
    }
}

/// The three logs COMMANDLOG names (SLOWLOG is the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Slow,
    LargeRequest,
    LargeReply,
}

impl Kind {
    fn from_word(w: &[u8]) -> Option<Kind> {
        match w.to_ascii_lowercase().as_slice() {
            b"slow" => Some(Kind::Slow),
            b"large-request" => Some(Kind::LargeRequest),
            b"large-reply" => Some(Kind::LargeReply),
            _ => None,
        }
    }

    /// The threshold and length parameters, by the pinned version's names.
    /// The log's threshold and length (Valkey 8.1 names SLOWLOG's after COMMANDLOG).
    pub fn params(self, st: &crate::server::State, p: &crate::spec::Profile) -> (i64, i64) {
        let commandlog = p.has_since((u16::MAX, 0), Some((8, 1)));
        let (t, n) = match (self, commandlog) {
            // Looked at after every command: typed.
            (Kind::Slow, false) => return st.config.limits().slowlog,
            (Kind::Slow, true) => return st.config.limits().commandlog_slow,
            (Kind::LargeRequest, _) => ("commandlog-request-larger-than", "commandlog-large-request-max-len"),
            (Kind::LargeReply, _) => ("commandlog-reply-larger-than", "commandlog-large-reply-max-len"),
        };
        let num = |v: &str| v.parse::<i64>().unwrap_or(-1);
        (num(st.config.get(t)), num(st.config.get(n)))
    }
}

/// Logs a command whose `value` (microseconds, or bytes) reaches the log's threshold.
pub fn record(
    st: &mut crate::server::State,
    p: &crate::spec::Profile,
    kind: Kind,
    (argv, value): (&[Vec<u8>], i64),
    peer: &str,
    name: &[u8],
    now: i64,
) {
    let (threshold, max) = kind.params(st, p);
    if threshold < 0 || max == 0 || value < threshold {
        return;
    }
    let hidden = redacted(argv);
    let mut args: Vec<Vec<u8>> = Vec::with_capacity(argv.len().min(MAX_ARGC));
    for (i, a) in argv.iter().enumerate() {
        if argv.len() > MAX_ARGC && i == MAX_ARGC - 1 {
            args.push(format!("... ({} more arguments)", argv.len() - MAX_ARGC + 1).into_bytes());
            break;
        }
        if hidden.contains(&i) {
            args.push(b"(redacted)".to_vec());
        } else if a.len() > MAX_STRING {
            let mut s = a[..MAX_STRING].to_vec();
            s.extend_from_slice(format!("... ({} more bytes)", a.len() - MAX_STRING).as_bytes());
            args.push(s);
        } else {
            args.push(a.clone());
        }
    }
    let log = log_mut(st, kind);
    let id = log.next_id;
    log.next_id += 1;
    let e = Entry {
        id,
        time_s: now.div_euclid(1000),
        duration_us: value,
        argv: args,
        peer: peer.to_string(),
        name: name.to_vec(),
    };
    log.entries.push_front(e);
    log.entries.truncate(usize::try_from(max).unwrap_or(0));
}

fn log_mut(st: &mut crate::server::State, kind: Kind) -> &mut SlowLog {
    match kind {
        Kind::Slow => &mut st.slowlog,
        Kind::LargeRequest => &mut st.commandlog[0],
        Kind::LargeReply => &mut st.commandlog[1],
    }
}

fn entries_reply(log: &SlowLog, n: usize) -> Reply {
    let entries = log
        .entries
        .iter()
        .take(n)
        .map(|e| {
            Reply::Array(vec![
                Reply::Int(e.id),
                Reply::Int(e.time_s),
                Reply::Int(e.duration_us),
                Reply::Array(e.argv.iter().map(|a| Reply::bulk(a.clone())).collect()),
                Reply::bulk(e.peer.as_bytes()),
                Reply::bulk(e.name.clone()),
            ])
        })
        .collect();
    Reply::Array(entries)
}

fn extra_words(ctx: &Ctx<'_>) -> Reply {
    Reply::err_bytes(error::subcommand_syntax("SLOWLOG", ctx.argv.get(1).map_or(&b""[..], |w| w)))
}

/// SLOWLOG GET [count]: newest first (count -1: all).
pub fn slowlog_get(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let count = match words {
        [] => 10,
        [c] => match parse_i64(c) {
            Some(n) if n >= -1 => n,
            _ => return Err(Reply::err(error::SLOWLOG_COUNT)),
        },
        _ => return Err(extra_words(ctx)),
    };
    let n = if count == -1 { usize::MAX } else { usize::try_from(count).unwrap_or(usize::MAX) };
    Ok(entries_reply(&ctx.st.slowlog, n))
}

/// SLOWLOG LEN.
pub fn slowlog_len(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    if !words.is_empty() {
        return Err(extra_words(ctx));
    }
    Ok(Reply::Int(ctx.st.slowlog.entries.len() as i64))
}

/// SLOWLOG RESET.
pub fn slowlog_reset(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    if !words.is_empty() {
        return Err(extra_words(ctx));
    }
    ctx.st.slowlog.entries.clear();
    Ok(Reply::OK)
}

/// SLOWLOG HELP.
pub fn slowlog_help(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    if !words.is_empty() {
        return Err(extra_words(ctx));
    }
    Ok(help_reply(
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    ))
}

fn log_kind(w: &[u8]) -> Result<Kind, Reply> {
    Kind::from_word(w).ok_or(Reply::err(error::COMMANDLOG_TYPE))
}

/// COMMANDLOG GET count type (Valkey 8.1): newest first (count -1: all).
pub fn commandlog_get(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [count, kind] = words else { return Err(Reply::err(error::SYNTAX)) };
    let count = parse_i64(count).filter(|&n| n >= -1).ok_or(Reply::err(error::SLOWLOG_COUNT))?;
    let kind = log_kind(kind)?;
    let n = if count == -1 { usize::MAX } else { usize::try_from(count).unwrap_or(usize::MAX) };
    Ok(entries_reply(log_mut(ctx.st, kind), n))
}

/// COMMANDLOG LEN type.
pub fn commandlog_len(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [kind] = words else { return Err(Reply::err(error::SYNTAX)) };
    let kind = log_kind(kind)?;
    Ok(Reply::Int(log_mut(ctx.st, kind).entries.len() as i64))
}

/// COMMANDLOG RESET type.
pub fn commandlog_reset(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [kind] = words else { return Err(Reply::err(error::SYNTAX)) };
    let kind = log_kind(kind)?;
    log_mut(ctx.st, kind).entries.clear();
    Ok(Reply::OK)
}

/// COMMANDLOG HELP.
pub fn commandlog_help(_ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    Ok(help_reply(
        "COMMANDLOG",
        &[
            "GET <count> <type>",
            "    Return top <count> entries of the specified <type> from the commandlog (-1 mean all).",
            "    Entries are made of:",
            "    id, timestamp,",
            "        time in microseconds for type of slow,",
            "        or size in bytes for type of large-request,",
            "        or size in bytes for type of large-reply",
            "    arguments array, client IP and port,",
            "    client name",
            "LEN <type>",
            "    Return the length of the specified type of commandlog.",
            "RESET <type>",
            "    Reset the specified type of commandlog.",
        ],
    ))
}
