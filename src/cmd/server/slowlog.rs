//! SLOWLOG: the commands that took at least `slowlog-log-slower-than` microseconds (real
//! time, as Redis measures them; -1: none), newest first, at most `slowlog-max-len`.
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

/// Logs a command that ran for `duration_us` if it is slow enough.
pub fn record(st: &mut crate::server::State, argv: &[Vec<u8>], duration_us: i64, peer: &str, name: &[u8], now: i64) {
    let threshold = st.config.get_i64("slowlog-log-slower-than");
    if threshold < 0 || duration_us < threshold {
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
    let log = &mut st.slowlog;
    let id = log.next_id;
    log.next_id += 1;
    let e = Entry {
        id,
        time_s: now.div_euclid(1000),
        duration_us,
        argv: args,
        peer: peer.to_string(),
        name: name.to_vec(),
    };
    log.entries.push_front(e);
    let max = usize::try_from(st.config.get_i64("slowlog-max-len")).unwrap_or(0);
    st.slowlog.entries.truncate(max);
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
    let entries = ctx
        .st
        .slowlog
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
    Ok(Reply::Array(entries))
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
