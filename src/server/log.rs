//! The server's log: what Redis writes to its log file and fakeredis hands to a sink the
//! embedder sets ([`crate::Server::set_log`]; `fakeredis-server` prints to stdout in
//! redis-server's format). Today that is `redis.log` from scripts, filtered by `loglevel`
//! as Redis's `serverLogRaw` filters it.

/// Redis's levels (`LL_DEBUG` .. `LL_WARNING`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
}

impl LogLevel {
    pub fn from_index(i: i64) -> Option<LogLevel> {
        Some(match i {
            0 => LogLevel::Debug,
            1 => LogLevel::Verbose,
            2 => LogLevel::Notice,
            3 => LogLevel::Warning,
            _ => return None,
        })
    }

    /// The mark redis-server's log lines carry (`.` `-` `*` `#`).
    pub fn mark(self) -> char {
        match self {
            LogLevel::Debug => '.',
            LogLevel::Verbose => '-',
            LogLevel::Notice => '*',
            LogLevel::Warning => '#',
        }
    }

    /// Whether a line of this level is written under `loglevel` (`nothing`: none is).
    pub fn passes(self, loglevel: &str) -> bool {
        let min = match loglevel {
            "debug" => LogLevel::Debug,
            "verbose" => LogLevel::Verbose,
            "notice" => LogLevel::Notice,
            "warning" => LogLevel::Warning,
            _ => return false,
        };
        self >= min
    }
}

/// One log line.
#[derive(Debug, Clone, Copy)]
pub struct LogLine<'a> {
    pub level: LogLevel,
    pub message: &'a [u8],
    /// When, on the server clock (Unix milliseconds).
    pub unix_ms: i64,
}

impl LogLine<'_> {
    /// The line as redis-server writes it: `pid:M 02 Dec 2026 19:55:43.123 * message`
    /// (the time in UTC).
    pub fn redis_format(&self, pid: u32) -> String {
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let (days, ms) = (self.unix_ms.div_euclid(86_400_000), self.unix_ms.rem_euclid(86_400_000));
        let (y, m, d) = civil_from_days(days);
        let (h, min, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        format!(
            "{pid}:M {d:02} {} {y} {h:02}:{min:02}:{s:02}.{milli:03} {} {}",
            MONTHS[(m - 1) as usize],
            self.level.mark(),
            String::from_utf8_lossy(self.message)
        )
    }
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Where log lines go.
pub type LogSink = Box<dyn Fn(&LogLine<'_>) + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_as_redis_servers() {
        // 2026-12-02 19:55:43.123 UTC.
        let line = LogLine { level: LogLevel::Warning, message: b"hello", unix_ms: 1_796_241_343_123 };
        assert_eq!(line.redis_format(42), "42:M 02 Dec 2026 19:55:43.123 # hello");
        let leap = LogLine { level: LogLevel::Debug, message: b"x", unix_ms: 951_782_400_000 };
        assert_eq!(leap.redis_format(1), "1:M 29 Feb 2000 00:00:00.000 . x");
    }

    #[test]
    fn loglevel_filters() {
        assert!(LogLevel::Notice.passes("notice"));
        assert!(!LogLevel::Verbose.passes("notice"));
        assert!(LogLevel::Debug.passes("debug"));
        assert!(!LogLevel::Warning.passes("nothing"));
    }
}
