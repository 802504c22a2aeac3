//! The server's clock. It follows the system clock until a test takes control: `freeze()`
//! stops it, `advance(d)` moves it forward (frozen or not), `set(t)` jumps to a time.
//! TTLs, expiry, TIME, OBJECT IDLETIME and INFO uptime all read this clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug)]
pub struct Clock {
    /// Changes go through the lock; readers look at the atomics below, which mirror it
    /// (every command reads the clock: no lock on that path).
    state: Mutex<ClockState>,
    /// The frozen time, or `RUNNING`.
    frozen: AtomicI64,
    offset: AtomicI64,
    /// The system clock is read as a monotonic instant plus the system time it stood for
    /// (`origin_sys`, re-read by [`Clock::resync`] each second so a set system clock is
    /// followed): a command's time and its duration then come from one clock read.
    origin: Instant,
    origin_sys: AtomicI64,
}

const RUNNING: i64 = i64::MIN;

impl Default for Clock {
    fn default() -> Self {
        let origin = Instant::now();
        Clock {
            state: Mutex::default(),
            frozen: AtomicI64::new(RUNNING),
            offset: AtomicI64::new(0),
            origin,
            origin_sys: AtomicI64::new(system_us()),
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct ClockState {
    /// When frozen, the fixed time in microseconds since the epoch.
    frozen_us: Option<i64>,
    /// Added to the system clock while not frozen.
    offset_us: i64,
}

fn system_us() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

impl Clock {
    /// A change under the lock, then published to the readers (the offset before the
    /// frozen time, so a reader never pairs a new "running" with an old offset).
    fn with<R>(&self, f: impl FnOnce(&mut ClockState) -> R) -> R {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let r = f(&mut g);
        self.offset.store(g.offset_us, Ordering::Release);
        self.frozen.store(g.frozen_us.unwrap_or(RUNNING), Ordering::Release);
        r
    }

    /// Microseconds since the Unix epoch.
    pub fn now_us(&self) -> i64 {
        self.now_us_at(Instant::now())
    }

    /// [`Clock::now_us`] as of `at`, an instant just read.
    pub fn now_us_at(&self, at: Instant) -> i64 {
        match self.frozen.load(Ordering::Acquire) {
            RUNNING => self.system_at(at).saturating_add(self.offset.load(Ordering::Acquire)),
            t => t,
        }
    }

    fn system_at(&self, at: Instant) -> i64 {
        let since = at.saturating_duration_since(self.origin).as_micros() as i64;
        self.origin_sys.load(Ordering::Acquire).saturating_add(since)
    }

    /// Follows the system clock again (it may have been set, or drifted from the monotonic
    /// one): the server calls it once a second.
    pub fn resync(&self) {
        let since = self.origin.elapsed().as_micros() as i64;
        self.origin_sys.store(system_us().saturating_sub(since), Ordering::Release);
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        self.now_us().div_euclid(1000)
    }

    /// Stops the clock at the current time.
    pub fn freeze(&self) {
        let now = self.now_us();
        self.with(|s| s.frozen_us = Some(now));
    }

    /// Lets the clock run again from where it stands.
    pub fn unfreeze(&self) {
        let now = self.now_us();
        self.with(|s| {
            s.frozen_us = None;
            s.offset_us = now - self.system_at(Instant::now());
        });
    }

    pub fn is_frozen(&self) -> bool {
        self.frozen.load(Ordering::Acquire) != RUNNING
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        let us = i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
        self.with(|s| match &mut s.frozen_us {
            Some(t) => *t = t.saturating_add(us),
            None => s.offset_us = s.offset_us.saturating_add(us),
        });
    }

    /// Sets the clock to `t` (keeps it frozen if it was).
    pub fn set(&self, t: SystemTime) {
        let target = t.duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0);
        self.with(|s| match &mut s.frozen_us {
            Some(f) => *f = target,
            None => s.offset_us = target - self.system_at(Instant::now()),
        });
    }
}
