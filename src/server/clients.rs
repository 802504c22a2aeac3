//! The registry of connected clients: what the server knows of each connection (CLIENT
//! LIST's fields) and what it holds for it between commands: the outbound queue of frames
//! other clients' commands produce (pub/sub messages, a blocked command's eventual reply),
//! and the [`Signal`] that wakes the connection's owner when one arrives.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use parking_lot::{Condvar, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::blocking::Blocked;
use super::pubsub::Subscriptions;
use super::watch::Watched;
use crate::reply::Reply;

/// One frame waiting in a client's outbound queue.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// The reply to one of the client's own commands (a blocked command's, once served).
    Reply(Reply),
    /// Out-of-band data: a pub/sub message or confirmation, an invalidation.
    Push(Reply),
}

impl Frame {
    pub fn reply(&self) -> &Reply {
        match self {
            Frame::Reply(r) | Frame::Push(r) => r,
        }
    }

    pub fn into_reply(self) -> Reply {
        match self {
            Frame::Reply(r) | Frame::Push(r) => r,
        }
    }
}

/// Wakes a connection's owner when a frame is queued for it: a thread waiting with the
/// server's lock (an embedded client blocked in BLPOP, or in `recv`), or a task.
///
/// A thread checks its queue and waits while holding the server's lock, and frames are
/// only queued under that lock, so no wake-up is lost; a task's wake-up is remembered
/// (`pending`) until it next waits.
#[derive(Debug, Default)]
pub struct Signal {
    cond: Condvar,
    waker: Mutex<Option<Waker>>,
    pending: AtomicBool,
}

impl Signal {
    pub fn notify(&self) {
        self.pending.store(true, Ordering::Release);
        self.cond.notify_all();
        let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Releases `guard` and waits for a notification or until `timeout` passes (spurious
    /// wake-ups are possible: check again), then takes the lock back.
    pub fn wait<'a, T>(&self, mut guard: MutexGuard<'a, T>, timeout: Duration) -> MutexGuard<'a, T> {
        self.cond.wait_for(&mut guard, timeout);
        guard
    }

    /// Completes at the next notification (or at once if one came since the last).
    pub fn notified(&self) -> Notified<'_> {
        Notified { signal: self }
    }
}

/// The future of [`Signal::notified`].
pub struct Notified<'a> {
    signal: &'a Signal,
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let s = self.signal;
        if s.pending.swap(false, Ordering::AcqRel) {
            return Poll::Ready(());
        }
        *s.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
        // A notification between the first check and storing the waker is not lost.
        if s.pending.swap(false, Ordering::AcqRel) {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

/// What CLIENT LIST and CLIENT INFO know of a connected client, and what the server
/// holds for it.
#[derive(Debug, Clone, Default)]
pub struct ClientMeta {
    pub id: u64,
    pub addr: String,
    pub laddr: String,
    pub fd: i64,
    pub name: Vec<u8>,
    pub lib_name: Vec<u8>,
    pub lib_ver: Vec<u8>,
    pub db: usize,
    pub resp: u8,
    pub created_ms: i64,
    pub last_ms: i64,
    pub last_cmd: &'static str,
    pub user: String,
    /// Commands queued in MULTI (`multi=` in CLIENT LIST: -1 outside MULTI).
    pub multi: i64,
    /// Frames queued for the client by other clients' commands, oldest first.
    pub outbox: Outbox,
    /// Since when (server-clock ms) the queue has held more than its class's soft limit.
    pub soft_limit_since: Option<i64>,
    pub signal: Arc<Signal>,
    /// Set by CLIENT KILL and the like: the connection closes at its next turn.
    pub killed: bool,
    pub subs: Subscriptions,
    /// What the client waits for while blocked.
    pub blocked: Option<Box<Blocked>>,
    /// The keys WATCH registered, and whether one has changed since.
    pub watching: Vec<Watched>,
    pub dirty_cas: bool,
    /// Where pushes go instead of the outbox (see `Client::set_push_hook`).
    pub push_hook: Option<PushHook>,
    /// CLIENT LIST's flags that live in the session, as of its last command.
    pub monitor: bool,
    pub no_evict: bool,
    pub no_touch: bool,
    /// Held back by CLIENT PAUSE (`flags=b`, counted as blocked).
    pub postponed: bool,
    /// CLIENT TRACKING's options while on.
    pub tracking: Option<super::tracking::TrackState>,
    /// Frames for this client that follow the reply of its command running now (its own
    /// invalidations, a MONITOR's line of its own command).
    pub after_reply: Vec<Frame>,
}

/// A receiver of a client's pushes, called as they are sent.
#[derive(Clone)]
pub struct PushHook(pub Arc<dyn Fn(&Reply) + Send + Sync>);

impl std::fmt::Debug for PushHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PushHook")
    }
}

/// A client's outbound queue and the bytes it holds (what Redis counts against the
/// client's `client-output-buffer-limit`). Reading goes through `Deref`; every change
/// through these methods, so the count stays true.
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    frames: VecDeque<Frame>,
    bytes: usize,
}

impl std::ops::Deref for Outbox {
    type Target = VecDeque<Frame>;
    fn deref(&self) -> &VecDeque<Frame> {
        &self.frames
    }
}

impl Outbox {
    pub fn push_back(&mut self, f: Frame) {
        self.bytes += f.reply().wire_len();
        self.frames.push_back(f);
    }

    pub fn pop_front(&mut self) -> Option<Frame> {
        let f = self.frames.pop_front();
        self.take(f)
    }

    pub fn remove(&mut self, i: usize) -> Option<Frame> {
        let f = self.frames.remove(i);
        self.take(f)
    }

    fn take(&mut self, f: Option<Frame>) -> Option<Frame> {
        if let Some(f) = &f {
            self.bytes = self.bytes.saturating_sub(f.reply().wire_len());
        }
        f
    }

    /// Every frame, oldest first, leaving the queue empty.
    pub fn drain_all(&mut self) -> std::collections::vec_deque::Drain<'_, Frame> {
        self.bytes = 0;
        self.frames.drain(..)
    }

    pub fn extend(&mut self, frames: impl IntoIterator<Item = Frame>) {
        for f in frames {
            self.push_back(f);
        }
    }

    /// The bytes the queued frames take on the wire (RESP2's size, as an estimate).
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

/// Redis's default `client-output-buffer-limit`s, by class: hard bytes, soft bytes, and
/// how long (seconds) the queue may stay over the soft one. Normal clients have none; a
/// subscriber is of class pubsub, a MONITOR of class replica, as in Redis.
const PUBSUB_LIMIT: (usize, usize, i64) = (32 << 20, 8 << 20, 60);
const REPLICA_LIMIT: (usize, usize, i64) = (256 << 20, 64 << 20, 60);

impl ClientMeta {
    /// Queues the push `r` (or hands it to the client's hook) and wakes the client; a
    /// client whose queue passes its class's output-buffer limit is closed (its queue
    /// dropped), as Redis closes a subscriber that does not read: true then, and the caller
    /// puts its id on `State::overflowed`. `now`: server-clock ms.
    #[must_use]
    pub fn push(&mut self, r: Reply, now: i64) -> bool {
        self.send(Frame::Push(r));
        let limit = if self.monitor {
            REPLICA_LIMIT
        } else if self.subs.any() {
            PUBSUB_LIMIT
        } else {
            return false;
        };
        let bytes = self.outbox.bytes();
        if bytes <= limit.1 {
            self.soft_limit_since = None;
            return false;
        }
        let since = *self.soft_limit_since.get_or_insert(now);
        if bytes <= limit.0 && now - since <= limit.2 * 1000 {
            return false;
        }
        self.killed = true;
        self.outbox.drain_all();
        self.signal.notify();
        true
    }

    /// Queues `frame` (or hands a push to the client's hook) and wakes the client.
    pub fn send(&mut self, frame: Frame) {
        match (&self.push_hook, frame) {
            (Some(hook), Frame::Push(r)) => (hook.0)(&r),
            (_, frame) => {
                // A push into a queue that already holds frames needs no wake-up: its owner
                // has not drained since the last one (pushes and drains share the server's
                // lock). A blocked command's reply always wakes (its waiter skips pushes).
                let wake = self.outbox.is_empty() || matches!(frame, Frame::Reply(_));
                self.outbox.push_back(frame);
                if wake {
                    self.signal.notify();
                }
            }
        }
    }
}
