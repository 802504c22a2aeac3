//! The server's clock. It follows the system clock until a test takes control: `freeze()`
//! stops it, `advance(d)` moves it forward (frozen or not), `set(t)` jumps to a time.
//! TTLs, expiry, TIME, OBJECT IDLETIME and INFO uptime all read this clock.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
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
    origin_sys: AtomicI64,
    /// The stopwatch behind every reading: see [`Ticks`].
    ticks: Ticks,
}

/// Nanoseconds since the clock's origin, read cheaply: from the CPU's time-stamp counter
/// where it is invariant (x86-64 with `nonstop_tsc`: one `rdtsc`, about 9 ns here, where
/// `Instant::now` takes 20-25 ns and a command reads the time twice), else from `Instant`.
/// The counter's rate is measured against `Instant` once 50 ms have passed (until then
/// `Instant` is read); the error of that measurement (about 1 ppm) is absorbed each second
/// by [`Clock::resync`], which maps the readings onto the system time again.
#[derive(Debug)]
struct Ticks {
    origin: Instant,
    /// The counter at `origin`, or `None` without an invariant counter.
    tsc_origin: Option<u64>,
    /// Nanoseconds per tick as a 32.32 fixed-point number, 0 until measured.
    rate: AtomicU64,
}

/// How long after its origin the counter's rate is measured.
const CALIBRATE_AFTER_NS: u128 = 50_000_000;

impl Ticks {
    fn new(origin: Instant) -> Ticks {
        Ticks { origin, tsc_origin: tsc::invariant().then(tsc::read), rate: AtomicU64::new(0) }
    }

    /// Nanoseconds since the origin.
    fn ns(&self) -> u64 {
        let Some(tsc0) = self.tsc_origin else { return self.origin.elapsed().as_nanos() as u64 };
        let rate = self.rate.load(Ordering::Relaxed);
        if rate != 0 {
            let ticks = tsc::read().saturating_sub(tsc0);
            return ((u128::from(ticks) * u128::from(rate)) >> 32) as u64;
        }
        let ns = self.origin.elapsed().as_nanos();
        let ticks = tsc::read().saturating_sub(tsc0);
        if ns >= CALIBRATE_AFTER_NS && ticks > 0 {
            let rate = ((ns << 32) / u128::from(ticks)).min(u128::from(u64::MAX)) as u64;
            self.rate.store(rate.max(1), Ordering::Relaxed);
        }
        ns as u64
    }
}

/// The x86-64 time-stamp counter.
#[cfg(target_arch = "x86_64")]
mod tsc {
    use std::arch::x86_64::{__cpuid, _rdtsc};

    /// Whether the counter runs at one rate in every power state (CPUID 8000_0007h EDX
    /// bit 8, Linux's `nonstop_tsc`).
    #[allow(unused_unsafe)] // a safe function from Rust 1.89 on
    pub fn invariant() -> bool {
        // SAFETY: CPUID is available on every x86-64 CPU; leaf 8000_0000h says whether the
        // extended leaf exists before it is asked.
        unsafe { __cpuid(0x8000_0000).eax >= 0x8000_0007 && __cpuid(0x8000_0007).edx & (1 << 8) != 0 }
    }

    pub fn read() -> u64 {
        // SAFETY: RDTSC is available on every x86-64 CPU and only reads the counter.
        unsafe { _rdtsc() }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod tsc {
    pub fn invariant() -> bool {
        false
    }

    pub fn read() -> u64 {
        0
    }
}

/// One reading of the server's stopwatch ([`Clock::tick`]): a command's time and its
/// duration both come from readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tick(u64);

const RUNNING: i64 = i64::MIN;

impl Default for Clock {
    fn default() -> Self {
        let origin = Instant::now();
        Clock {
            state: Mutex::default(),
            frozen: AtomicI64::new(RUNNING),
            offset: AtomicI64::new(0),
            origin_sys: AtomicI64::new(system_us()),
            ticks: Ticks::new(origin),
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
        self.now_us_at(self.tick())
    }

    /// A reading of the stopwatch, for [`Clock::now_us_at`] and [`Clock::elapsed_us`].
    pub fn tick(&self) -> Tick {
        Tick(self.ticks.ns())
    }

    /// Microseconds from `since` until now, on the stopwatch (the virtual clock does not
    /// change a command's measured duration).
    pub fn elapsed_us(&self, since: Tick) -> u64 {
        self.ticks.ns().saturating_sub(since.0) / 1000
    }

    /// [`Clock::now_us`] as of `at`, a reading just taken.
    pub fn now_us_at(&self, at: Tick) -> i64 {
        match self.frozen.load(Ordering::Acquire) {
            RUNNING => self.system_at(at).saturating_add(self.offset.load(Ordering::Acquire)),
            t => t,
        }
    }

    fn system_at(&self, at: Tick) -> i64 {
        let since = (at.0 / 1000) as i64;
        self.origin_sys.load(Ordering::Acquire).saturating_add(since)
    }

    /// Follows the system clock again (it may have been set, or drifted from the monotonic
    /// one): the server calls it once a second.
    pub fn resync(&self) {
        let since = (self.ticks.ns() / 1000) as i64;
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
            s.offset_us = now - self.system_at(self.tick());
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
            None => s.offset_us = target - self.system_at(self.tick()),
        });
    }
}
