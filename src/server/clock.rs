//! The server's clock. It follows the system clock until a test takes control: `freeze()`
//! stops it, `advance(d)` moves it forward (frozen or not), `set(t)` jumps to a time.
//! TTLs, expiry, TIME, OBJECT IDLETIME and INFO uptime all read this clock.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Default)]
pub struct Clock {
    state: Mutex<ClockState>,
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
    fn with<R>(&self, f: impl FnOnce(&mut ClockState) -> R) -> R {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut g)
    }

    /// Microseconds since the Unix epoch.
    pub fn now_us(&self) -> i64 {
        self.with(|s| s.frozen_us.unwrap_or_else(|| system_us().saturating_add(s.offset_us)))
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
            s.offset_us = now - system_us();
        });
    }

    pub fn is_frozen(&self) -> bool {
        self.with(|s| s.frozen_us.is_some())
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
            None => s.offset_us = target - system_us(),
        });
    }
}
