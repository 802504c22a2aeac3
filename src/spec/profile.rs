//! Which server the fake emulates: a server type and a version.

use std::fmt;
use std::str::FromStr;

/// The server families the fake can answer as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerKind {
    Redis,
    Valkey,
    KeyDB,
    Dragonfly,
}

impl ServerKind {
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Redis => "redis",
            ServerKind::Valkey => "valkey",
            ServerKind::KeyDB => "keydb",
            ServerKind::Dragonfly => "dragonfly",
        }
    }
}

impl FromStr for ServerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "redis" => Ok(ServerKind::Redis),
            "valkey" => Ok(ServerKind::Valkey),
            "keydb" => Ok(ServerKind::KeyDB),
            "dragonfly" | "dragonflydb" => Ok(ServerKind::Dragonfly),
            _ => Err(format!("unknown server type '{s}' (redis, valkey, keydb, dragonfly)")),
        }
    }
}

/// A `major.minor.patch` version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u16,
    pub minor: u16,
    pub patch: u16,
}

impl Version {
    pub const ZERO: Version = Version::new(0, 0, 0);

    pub const fn new(major: u16, minor: u16, patch: u16) -> Version {
        Version { major, minor, patch }
    }

    /// `"7.0.15"`, `"7.4"` or `"8"`; missing parts are 0.
    pub const fn parse_const(s: &str) -> Option<Version> {
        let b = s.as_bytes();
        let mut parts = [0u16; 3];
        let mut idx = 0;
        let mut i = 0;
        let mut digits = 0;
        while i < b.len() {
            let c = b[i];
            if c == b'.' {
                if digits == 0 || idx == 2 {
                    return None;
                }
                idx += 1;
                digits = 0;
            } else if c.is_ascii_digit() && digits < 4 {
                parts[idx] = parts[idx] * 10 + (c - b'0') as u16;
                digits += 1;
            } else {
                return None;
            }
            i += 1;
        }
        if digits == 0 {
            return None;
        }
        Some(Version::new(parts[0], parts[1], parts[2]))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Version::parse_const(s).ok_or_else(|| format!("bad version '{s}' (expected e.g. 7.4.2)"))
    }
}

/// The emulated server: type and version. The default is Redis 7.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Profile {
    pub kind: ServerKind,
    pub version: Version,
}

impl Default for Profile {
    fn default() -> Self {
        Profile::redis(7, 4, 2)
    }
}

impl Profile {
    pub const fn new(kind: ServerKind, version: Version) -> Profile {
        Profile { kind, version }
    }

    pub const fn redis(major: u16, minor: u16, patch: u16) -> Profile {
        Profile::new(ServerKind::Redis, Version::new(major, minor, patch))
    }

    pub const fn valkey(major: u16, minor: u16, patch: u16) -> Profile {
        Profile::new(ServerKind::Valkey, Version::new(major, minor, patch))
    }

    pub const fn keydb() -> Profile {
        Profile::new(ServerKind::KeyDB, Version::new(6, 3, 4))
    }

    pub const fn dragonfly(major: u16, minor: u16, patch: u16) -> Profile {
        Profile::new(ServerKind::Dragonfly, Version::new(major, minor, patch))
    }

    /// The Redis API level the server claims (`redis_version` in INFO): Valkey says 7.2.4,
    /// Dragonfly 7.4.0, KeyDB and Redis their own version.
    pub fn redis_compat_version(&self) -> Version {
        match self.kind {
            ServerKind::Redis | ServerKind::KeyDB => self.version,
            ServerKind::Valkey => Version::new(7, 2, 4),
            ServerKind::Dragonfly => Version::new(7, 4, 0),
        }
    }

    /// Whether the server behaves like Redis at least `major.minor` (error texts and reply
    /// shapes that changed in Redis and that the other servers inherited).
    pub fn redis_at_least(&self, major: u16, minor: u16) -> bool {
        self.redis_compat_version() >= Version::new(major, minor, 0)
    }

    /// Whether the server has a behaviour Redis gained in `redis` and Valkey in `valkey`
    /// (`None`: Valkey is judged by the Redis 7.2 it forked from, as the others by theirs).
    pub fn has_since(&self, redis: (u16, u16), valkey: Option<(u16, u16)>) -> bool {
        match (self.kind, valkey) {
            (ServerKind::Valkey, Some((major, minor))) => self.version >= Version::new(major, minor, 0),
            _ => self.redis_at_least(redis.0, redis.1),
        }
    }

    pub fn is(&self, kind: ServerKind) -> bool {
        self.kind == kind
    }
}

impl FromStr for Profile {
    type Err = String;
    /// `redis`, `redis-7.0`, `redis 7.0.15`, `valkey-8.1`, `dragonfly`, `keydb`.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (kind, ver) = match s.find(['-', ' ', '@', ':']) {
            Some(i) => (&s[..i], Some(s[i + 1..].trim())),
            None => (s, None),
        };
        let kind: ServerKind = kind.parse()?;
        let default = match kind {
            ServerKind::Redis => Version::new(7, 4, 2),
            ServerKind::Valkey => Version::new(8, 1, 1),
            ServerKind::KeyDB => Version::new(6, 3, 4),
            ServerKind::Dragonfly => Version::new(1, 25, 0),
        };
        let version = match ver {
            Some(v) if !v.is_empty() => v.trim_start_matches('v').parse()?,
            _ => default,
        };
        Ok(Profile::new(kind, version))
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.name(), self.version)
    }
}
