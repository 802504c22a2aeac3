//! A script running past `busy-reply-threshold` (`lua-time-limit`): while it runs it holds
//! the server's state, so the other clients are answered from here, without that lock, as
//! Redis answers them from inside the script's hook: `-BUSY` for most commands, and
//! SCRIPT KILL, FUNCTION KILL and FUNCTION STATS served. A kill is a flag the script's
//! hook reads; a script that has written cannot be killed (`-UNKILLABLE`).
//!
//! The other commands Redis lets through while busy (AUTH, HELLO, MULTI, WATCH, QUIT,
//! RESET, SHUTDOWN...) wait for the script to end here.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::error;
use crate::reply::Reply;
use crate::spec::Profile;

/// The script that runs now.
#[derive(Debug)]
pub struct Running {
    pub started: Instant,
    /// `busy-reply-threshold` in ms as the script started (0: never busy).
    pub threshold_ms: i64,
    /// EVAL and friends (true) or FCALL (false).
    pub eval: bool,
    /// The function's name (FUNCTION STATS).
    pub name: String,
    /// The command that runs it, as its client sent it.
    pub argv: Vec<Vec<u8>>,
    /// FUNCTION STATS's counts (libraries cannot change while a script runs).
    pub libraries: usize,
    pub functions: usize,
    /// Set by the script when it runs a write command: it can no longer be killed.
    pub wrote: Arc<AtomicBool>,
    /// Set by SCRIPT KILL / FUNCTION KILL; the script's hook stops it.
    pub killed: Arc<AtomicBool>,
}

#[derive(Debug, Default)]
pub struct Busy {
    /// Whether a script runs (read before the mutex, so that commands pay nothing else).
    active: AtomicBool,
    running: Mutex<Option<Running>>,
    /// Clients that went away while a script held the server, to forget after it.
    gone: Mutex<Vec<u64>>,
    any_gone: AtomicBool,
}

impl Busy {
    pub fn start(&self, r: Running) {
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
        self.active.store(true, Ordering::Release);
    }

    pub fn defer_forget(&self, id: u64) {
        self.gone.lock().unwrap_or_else(|e| e.into_inner()).push(id);
        self.any_gone.store(true, Ordering::Release);
    }

    /// The clients that went away while a script ran (taken).
    pub fn take_gone(&self) -> Vec<u64> {
        if !self.any_gone.swap(false, Ordering::AcqRel) {
            return Vec::new();
        }
        std::mem::take(&mut *self.gone.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Whether a script runs now.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    pub fn finish(&self) {
        self.active.store(false, Ordering::Release);
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The reply to `argv` while a script is past its threshold, or None to run it as
    /// usual (no script is busy, or the command waits for it). `in_multi`: a refused
    /// command fails the client's transaction, as Redis flags it.
    pub fn answer(&self, p: &Profile, argv: &[Vec<u8>], in_multi: &mut Option<&mut bool>) -> Option<Reply> {
        if !self.active.load(Ordering::Acquire) {
            return None;
        }
        let guard = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let r = guard.as_ref()?;
        let elapsed = r.started.elapsed().as_millis() as i64;
        if r.threshold_ms <= 0 || elapsed < r.threshold_ms {
            return None;
        }
        let busy = || Reply::err(if r.eval { error::BUSY_EVAL } else { error::BUSY_FUNCTION });
        let cmd = crate::dispatch::resolve(p, argv).ok()?;
        let allowed = cmd.flags_for(p).iter().any(|f| f.eq_ignore_ascii_case("ALLOW_BUSY"));
        if !allowed {
            if let Some(failed) = in_multi.as_deref_mut() {
                *failed = true;
            }
            return Some(busy());
        }
        match cmd.fullname {
            "script|kill" | "function|kill" => Some(kill(r, cmd.fullname == "script|kill")),
            "function|stats" if r.eval => Some(busy()),
            "function|stats" => Some(stats(r, elapsed)),
            _ => None,
        }
    }
}

/// `scriptKill`: a script that wrote is unkillable; each KILL kills only its own kind.
fn kill(r: &Running, by_script_kill: bool) -> Reply {
    if r.wrote.load(Ordering::Relaxed) {
        return Reply::err(error::UNKILLABLE);
    }
    if by_script_kill != r.eval {
        return Reply::err(if r.eval { error::BUSY_EVAL } else { error::BUSY_FUNCTION });
    }
    r.killed.store(true, Ordering::Relaxed);
    Reply::OK
}

fn stats(r: &Running, elapsed: i64) -> Reply {
    let bulk = |t: &str| Reply::bulk(t.as_bytes().to_vec());
    let running = Reply::Map(vec![
        (bulk("name"), bulk(&r.name)),
        (bulk("command"), Reply::Array(r.argv.iter().map(|a| Reply::bulk(a.clone())).collect())),
        (bulk("duration_ms"), Reply::Int(elapsed)),
    ]);
    let counts = Reply::Map(vec![
        (bulk("libraries_count"), Reply::Int(r.libraries as i64)),
        (bulk("functions_count"), Reply::Int(r.functions as i64)),
    ]);
    Reply::Map(vec![(bulk("running_script"), running), (bulk("engines"), Reply::Map(vec![(bulk("LUA"), counts)]))])
}
