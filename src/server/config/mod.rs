//! CONFIG parameters: every one of the pinned version ([`params`]), with Redis's validation and
//! error texts; the ones the engine acts on are typed once in [`ConfigLimits`].

use crate::error;
use crate::reply::Reply;
use crate::spec::Profile;

pub mod file;
mod params;
mod rewrite;

pub use rewrite::rewrite;

use params::{Kind, PARAMS};

/// The canonical names of the parameters a client may CONFIG SET (neither immutable nor
/// protected; every version's).
pub fn runtime_names() -> impl Iterator<Item = &'static str> {
    PARAMS.iter().filter(|p| !matches!(p.kind, Kind::Immutable | Kind::Protected)).map(|p| p.name)
}

/// The canonical names of the parameters the fake models (every version's).
pub fn names() -> impl Iterator<Item = &'static str> {
    PARAMS.iter().map(|p| p.name)
}

/// Current values, by canonical name, and the ones the engine reads on its hot paths
/// already typed ([`Config::limits`]).
#[derive(Debug, Clone)]
pub struct Config {
    values: Vec<String>,
    limits: ConfigLimits,
}

/// The parameters the engine and the front ends enforce, typed once at CONFIG SET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigLimits {
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: i64,
    pub maxclients: i64,
    /// Idle seconds before a client is closed (0: never).
    pub timeout: i64,
    /// Clients must authenticate (the default user has a password or is off): kept by
    /// the ACL ([`Config::set_auth_required`]), named for `requirepass`, its usual cause.
    pub requirepass_set: bool,
    /// `notify-keyspace-events` as flags.
    pub notify: u32,
    /// The encoding thresholds (the profile's flags are filled in by `Ctx::enc`).
    pub enc: crate::db::Encodings,
    /// `cluster-enabled` (set at startup only).
    pub cluster: bool,
    /// `maxmemory` is set: keys are accounted and evicted.
    pub maxmemory: bool,
    /// SLOWLOG's threshold and length: `slowlog-*`, and Valkey 8.1's `commandlog-*` names.
    pub slowlog: (i64, i64),
    pub commandlog_slow: (i64, i64),
    /// `min-replicas-to-write` and `min-replicas-max-lag` are both set: writes are refused
    /// (a master without replicas has too few).
    pub min_replicas: bool,
}

impl Default for Config {
    fn default() -> Self {
        let unset = ConfigLimits {
            proto_max_bulk_len: 0,
            client_query_buffer_limit: 0,
            maxclients: 0,
            timeout: 0,
            requirepass_set: false,
            notify: 0,
            enc: crate::db::Encodings::default(),
            cluster: false,
            maxmemory: false,
            slowlog: (0, 0),
            commandlog_slow: (0, 0),
            min_replicas: false,
        };
        let cwd = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default();
        let value = |p: &params::Param| if p.name == "dir" { cwd.clone() } else { p.default.to_string() };
        let mut c = Config { values: PARAMS.iter().map(value).collect(), limits: unset };
        c.limits = c.typed();
        c
    }
}

fn exists(p: &params::Param, profile: &Profile) -> bool {
    if !profile.has_since(p.since, p.valkey) {
        return false;
    }
    match (profile.is(crate::spec::ServerKind::Valkey), p.valkey_until) {
        (true, Some((m, n))) => profile.version < crate::spec::Version::new(m, n, 0),
        _ => p.until.is_none_or(|(m, n)| !profile.redis_at_least(m, n)),
    }
}

/// The value of the first of `names` the pinned version has (a parameter renamed in a
/// version: Valkey 8.1's `commandlog-*` for `slowlog-*`).
pub fn get_first<'c>(cfg: &'c Config, profile: &Profile, names: &[&str]) -> &'c str {
    names.iter().find(|n| find(n.as_bytes(), profile).is_some()).map_or("", |n| cfg.get(n))
}

/// `validateProcTitleTemplate`: not empty, braces closed, only Redis's variables.
fn valid_title_template(t: &str) -> bool {
    const VARS: &[&str] = &["title", "listen-addr", "server-mode", "port", "tls-port", "unixsocket", "config-file"];
    if t.is_empty() {
        return false;
    }
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { return false };
        if !VARS.contains(&&rest[open + 1..open + close]) {
            return false;
        }
        rest = &rest[open + close + 1..];
    }
    !rest.contains('}')
}

/// Whether the pinned version has a parameter of this name (or alias).
pub fn known(name: &str, profile: &Profile) -> bool {
    find(name.as_bytes(), profile).is_some()
}

fn find(name: &[u8], profile: &Profile) -> Option<usize> {
    PARAMS.iter().position(|p| {
        (p.name.as_bytes().eq_ignore_ascii_case(name)
            || p.alias.is_some_and(|a| a.as_bytes().eq_ignore_ascii_case(name)))
            && exists(p, profile)
    })
}

impl Config {
    /// The value of a parameter by canonical name ("" for unknown names).
    pub fn get(&self, name: &str) -> &str {
        // PARAMS is sorted by name (a unit test checks).
        PARAMS.binary_search_by(|p| p.name.cmp(name)).map_or("", |i| self.values[i].as_str())
    }

    /// A numeric parameter (values are validated when set, so they always parse).
    pub fn get_i64(&self, name: &str) -> i64 {
        self.get(name).parse().unwrap_or(0)
    }

    /// The enforced limits, typed.
    pub fn limits(&self) -> ConfigLimits {
        self.limits
    }

    /// Whether clients must authenticate (see [`ConfigLimits::requirepass_set`]).
    pub fn set_auth_required(&mut self, on: bool) {
        self.limits.requirepass_set = on;
    }

    /// `notify-keyspace-events` as flags.
    pub fn notify_flags(&self) -> u32 {
        self.limits.notify
    }

    fn encodings(&self) -> crate::db::Encodings {
        let size = |n: &str| usize::try_from(self.get_i64(n)).unwrap_or(0);
        crate::db::Encodings {
            list_fill: self.get_i64("list-max-listpack-size"),
            hash_entries: size("hash-max-listpack-entries"),
            hash_value: size("hash-max-listpack-value"),
            set_intset: size("set-max-intset-entries"),
            set_lp_entries: size("set-max-listpack-entries"),
            set_lp_value: size("set-max-listpack-value"),
            zset_entries: size("zset-max-listpack-entries"),
            zset_value: size("zset-max-listpack-value"),
            ..crate::db::Encodings::default()
        }
    }

    fn typed(&self) -> ConfigLimits {
        ConfigLimits {
            proto_max_bulk_len: self.get_i64("proto-max-bulk-len"),
            client_query_buffer_limit: self.get_i64("client-query-buffer-limit"),
            maxclients: self.get_i64("maxclients"),
            timeout: self.get_i64("timeout"),
            requirepass_set: self.limits.requirepass_set,
            notify: parse_events(self.get("notify-keyspace-events")).unwrap_or(0),
            enc: self.encodings(),
            cluster: self.get("cluster-enabled") == "yes",
            maxmemory: self.get_i64("maxmemory") > 0,
            slowlog: (self.get_i64("slowlog-log-slower-than"), self.get_i64("slowlog-max-len")),
            commandlog_slow: (
                self.get_i64("commandlog-execution-slower-than"),
                self.get_i64("commandlog-slow-execution-max-len"),
            ),
            min_replicas: self.get_i64("min-replicas-to-write") != 0 && self.get_i64("min-replicas-max-lag") != 0,
        }
    }

    /// A value as CONFIG GET shows it (the event flags in Redis's rendering, which hides `n`
    /// under `A`; the stored form keeps every flag).
    fn shown(&self, i: usize) -> String {
        match PARAMS[i].kind {
            Kind::Events => events_to_string(parse_events(&self.values[i]).unwrap_or(0)),
            _ => self.values[i].clone(),
        }
    }

    /// CONFIG GET: `(name, value)` for every parameter matching one of `patterns`
    /// (exact names are answered under the name asked for), in name order.
    pub fn matching(&self, patterns: &[&[u8]], profile: &Profile) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let push = |name: String, i: usize, out: &mut Vec<(String, String)>| {
            // As Redis's dictionary of matches: names compare without case.
            if !out.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                out.push((name, self.shown(i)));
            }
        };
        for pat in patterns {
            if !pat.iter().any(|c| matches!(c, b'*' | b'?' | b'[')) {
                if let Some(i) = find(pat, profile) {
                    push(String::from_utf8_lossy(pat).into_owned(), i, &mut out);
                }
                continue;
            }
            for (i, p) in PARAMS.iter().enumerate() {
                if !exists(p, profile) {
                    continue;
                }
                if crate::glob::matches(pat, p.name.as_bytes(), true) {
                    push(p.name.to_string(), i, &mut out);
                }
                if let Some(a) = p.alias {
                    if crate::glob::matches(pat, a.as_bytes(), true) {
                        push(a.to_string(), i, &mut out);
                    }
                }
            }
        }
        out
    }
}

const IMMUTABLE: &str = "can't set immutable config";

/// Who sets: CONFIG SET (from a loopback address or not), or the server's startup (a
/// config file, `--name value`), which may set everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setter {
    Client { local: bool },
    Startup,
}

fn set_failed(name: &[u8], why: &str) -> Reply {
    Reply::err_bytes(error::config_set_failed(name, why))
}

/// CONFIG SET of several parameters at once: all valid or none applied. As Redis's loop:
/// first every name is looked up, and the first unknown, immutable or repeated one (as
/// typed) fails the command; then the values are checked in order, a bad one reported
/// under the parameter's name in lower case (the alias's, when typed as the alias).
pub fn set_many(cfg: &mut Config, profile: &Profile, pairs: &[(&[u8], &[u8])], by: Setter) -> Result<(), Reply> {
    let mut seen: Vec<(usize, bool)> = Vec::with_capacity(pairs.len());
    let protected_ok = match by {
        Setter::Startup => true,
        Setter::Client { local } => match cfg.get("enable-protected-configs") {
            "yes" => true,
            "local" => local,
            _ => false,
        },
    };
    for (name, _) in pairs {
        let Some(i) = find(name, profile) else {
            return Err(Reply::err_bytes(error::config_set_unknown(name)));
        };
        match PARAMS[i].kind {
            Kind::Immutable if by != Setter::Startup => return Err(set_failed(name, IMMUTABLE)),
            Kind::Protected if !protected_ok => return Err(set_failed(name, error::CONFIG_PROTECTED)),
            _ => {}
        }
        // Redis registers an alias as a config of its own: a name and its alias are no
        // duplicate of each other (the later one wins).
        let alias = !PARAMS[i].name.as_bytes().eq_ignore_ascii_case(name);
        if seen.contains(&(i, alias)) {
            return Err(set_failed(name, "duplicate parameter"));
        }
        seen.push((i, alias));
    }
    let mut staged = cfg.values.clone();
    for (&(i, alias), (_, value)) in seen.iter().zip(pairs) {
        let text = String::from_utf8_lossy(value).into_owned();
        let p = &PARAMS[i];
        let shown = if alias { p.alias.unwrap_or(p.name) } else { p.name };
        staged[i] = normalize(p.kind, &text, profile).map_err(|why| set_failed(shown.as_bytes(), &why))?;
        if p.name == "client-output-buffer-limit" {
            staged[i] = output_buffer_limits(&cfg.values[i], &text).map_err(|why| set_failed(shown.as_bytes(), why))?;
        }
        if p.name == "oom-score-adj-values" {
            staged[i] = oom_score_adj_values(&text).map_err(|why| set_failed(shown.as_bytes(), why))?;
        }
        if p.name == "databases" {
            // Immutable, and an integer Redis checks at startup.
            staged[i] = normalize(Kind::Int(1, i32::MAX as i64), &text, profile)
                .map_err(|why| set_failed(shown.as_bytes(), &why))?;
        }
        if p.name == "proc-title-template" && !valid_title_template(&staged[i]) {
            return Err(set_failed(shown.as_bytes(), error::CONFIG_TITLE_TEMPLATE));
        }
        if p.name == "activedefrag" && staged[i] == "yes" {
            // As a server built without Redis's own jemalloc (MEMORY MALLOC-STATS says so too).
            let server = if profile.is(crate::spec::ServerKind::Valkey) { "Valkey" } else { "Redis" };
            let why = error::config_no_active_defrag(server);
            return Err(set_failed(shown.as_bytes(), &why));
        }
    }
    cfg.values = staged;
    cfg.limits = cfg.typed();
    Ok(())
}

fn normalize(kind: Kind, v: &str, profile: &Profile) -> Result<String, String> {
    match kind {
        Kind::Hz => {
            let n: i64 = normalize(Kind::Int(0, i32::MAX as i64), v, profile)?.parse().unwrap_or(0);
            Ok(n.clamp(1, 500).to_string())
        }
        Kind::LogLevel => {
            let levels: &[&str] = if profile.redis_at_least(7, 2) {
                &["debug", "verbose", "notice", "warning", "nothing"]
            } else {
                &["debug", "verbose", "notice", "warning"]
            };
            normalize(Kind::Enum(levels), v, profile)
        }
        // Set at startup only (set_many refuses them to clients by name first).
        Kind::Immutable | Kind::Protected | Kind::Str => Ok(v.to_string()),
        Kind::Save => {
            let words: Vec<&str> = v.split_whitespace().collect();
            let numbers = words.iter().all(|w| crate::spec::grammar::parse_i64(w.as_bytes()).is_some_and(|n| n >= 0));
            if !words.len().is_multiple_of(2) || !numbers {
                return Err(error::CONFIG_BAD_SAVE.into());
            }
            Ok(words.join(" "))
        }
        Kind::MemoryOrPercent => match v.strip_suffix('%') {
            Some(pct) => match crate::spec::grammar::parse_i64(pct.as_bytes()) {
                Some(n) if (0..=100).contains(&n) => Ok(v.to_string()),
                Some(n) if n > 100 => Err(error::CONFIG_PERCENT_RANGE.into()),
                _ => Err(error::CONFIG_MEMORY_OR_PERCENT.into()),
            },
            None => parse_memory(v).map(|n| n.to_string()).ok_or_else(|| error::CONFIG_MEMORY_OR_PERCENT.into()),
        },
        Kind::Bool => match v.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".into()),
            "no" => Ok("no".into()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Enum(opts) => {
            let l = v.to_ascii_lowercase();
            if opts.contains(&l.as_str()) {
                Ok(l)
            } else {
                Err(format!("argument(s) must be one of the following: {}", opts.join(", ")))
            }
        }
        Kind::Int(min, max) => {
            let n: i64 = crate::spec::grammar::parse_i64(v.as_bytes())
                .ok_or_else(|| "argument couldn't be parsed into an integer".to_string())?;
            if n < min || n > max {
                return Err(format!("argument must be between {min} and {max} inclusive"));
            }
            Ok(n.to_string())
        }
        Kind::Memory(min) => {
            let n = parse_memory(v).ok_or_else(|| "argument must be a memory value".to_string())?;
            if n < min {
                return Err(format!("argument must be between {min} and {} inclusive", i64::MAX));
            }
            Ok(n.to_string())
        }
        Kind::Events => {
            let flags = crate::server::config::parse_events(v)
                .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string())?;
            // Stored with every flag spelled out; shown as Redis renders it.
            let mut stored = events_to_string(flags);
            if flags & NOTIFY_NEW != 0 && !stored.contains('n') {
                stored.push('n');
            }
            Ok(stored)
        }
    }
}

/// Redis's `memtoull`: a number with an optional k/kb/m/mb/g/gb unit.
/// `client-output-buffer-limit`: `<class> <hard> <soft> <seconds>` groups replace those
/// classes' limits in `current` (normal, slave, pubsub; all or none of the groups).
fn output_buffer_limits(current: &str, text: &str) -> Result<String, &'static str> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if !words.len().is_multiple_of(4) {
        return Err(error::CONFIG_OBUF_ARGS);
    }
    let mut classes: Vec<Vec<String>> = current
        .split_whitespace()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().map(|w| w.to_string()).collect())
        .collect();
    for g in words.chunks(4) {
        let class = match g[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => return Err(error::CONFIG_OBUF_CLASS),
        };
        let (hard, soft) = (parse_memory(g[1]), parse_memory(g[2]));
        let secs = crate::spec::grammar::parse_i64(g[3].as_bytes()).filter(|&n| n >= 0);
        let (Some(hard), Some(soft), Some(secs)) = (hard, soft, secs) else { return Err(error::CONFIG_OBUF_VALUES) };
        if let Some(c) = classes.get_mut(class) {
            c.truncate(1);
            c.extend([hard.to_string(), soft.to_string(), secs.to_string()]);
        }
    }
    Ok(classes.iter().map(|c| c.join(" ")).collect::<Vec<_>>().join(" "))
}

/// `oom-score-adj-values`: three integers in -2000..=2000.
fn oom_score_adj_values(text: &str) -> Result<String, &'static str> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() != 3 {
        return Err(error::CONFIG_WRONG_ARGS);
    }
    let ok = |w: &&str| crate::spec::grammar::parse_i64(w.as_bytes()).is_some_and(|n| (-2000..=2000).contains(&n));
    if !words.iter().all(ok) {
        return Err(error::CONFIG_OOM_VALUES);
    }
    Ok(words.join(" "))
}

pub fn parse_memory(v: &str) -> Option<i64> {
    let l = v.to_ascii_lowercase();
    let units: [(&str, i64); 6] =
        [("kb", 1024), ("mb", 1 << 20), ("gb", 1 << 30), ("k", 1000), ("m", 1_000_000), ("g", 1_000_000_000)];
    let (num, mul) =
        units.iter().find(|(u, _)| l.ends_with(u)).map(|(u, m)| (&l[..l.len() - u.len()], *m)).unwrap_or((&l, 1));
    if l.is_empty() {
        return Some(0);
    }
    if num.is_empty() || !num.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    num.parse::<i64>().ok()?.checked_mul(mul)
}

// Keyspace notification classes, as Redis numbers them.
pub const NOTIFY_KEYSPACE: u32 = 1 << 0;
pub const NOTIFY_KEYEVENT: u32 = 1 << 1;
pub const NOTIFY_GENERIC: u32 = 1 << 2;
pub const NOTIFY_STRING: u32 = 1 << 3;
pub const NOTIFY_LIST: u32 = 1 << 4;
pub const NOTIFY_SET: u32 = 1 << 5;
pub const NOTIFY_HASH: u32 = 1 << 6;
pub const NOTIFY_ZSET: u32 = 1 << 7;
pub const NOTIFY_EXPIRED: u32 = 1 << 8;
pub const NOTIFY_EVICTED: u32 = 1 << 9;
pub const NOTIFY_STREAM: u32 = 1 << 10;
pub const NOTIFY_KEY_MISS: u32 = 1 << 11;
pub const NOTIFY_LOADED: u32 = 1 << 12;
pub const NOTIFY_MODULE: u32 = 1 << 13;
pub const NOTIFY_NEW: u32 = 1 << 14;
pub const NOTIFY_ALL: u32 = NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM
    | NOTIFY_MODULE;

/// Redis's `keyspaceEventsStringToFlags`.
pub fn parse_events(s: &str) -> Option<u32> {
    let mut f = 0;
    for c in s.chars() {
        f |= match c {
            'A' => NOTIFY_ALL,
            'g' => NOTIFY_GENERIC,
            '$' => NOTIFY_STRING,
            'l' => NOTIFY_LIST,
            's' => NOTIFY_SET,
            'h' => NOTIFY_HASH,
            'z' => NOTIFY_ZSET,
            'x' => NOTIFY_EXPIRED,
            'e' => NOTIFY_EVICTED,
            'K' => NOTIFY_KEYSPACE,
            'E' => NOTIFY_KEYEVENT,
            't' => NOTIFY_STREAM,
            'm' => NOTIFY_KEY_MISS,
            'd' => NOTIFY_MODULE,
            'n' => NOTIFY_NEW,
            _ => return None,
        };
    }
    Some(f)
}

/// Redis's `keyspaceEventsFlagsToString`.
pub fn events_to_string(f: u32) -> String {
    let mut s = String::new();
    if f & NOTIFY_ALL == NOTIFY_ALL {
        s.push('A');
    } else {
        for (bit, c) in [
            (NOTIFY_GENERIC, 'g'),
            (NOTIFY_STRING, '$'),
            (NOTIFY_LIST, 'l'),
            (NOTIFY_SET, 's'),
            (NOTIFY_HASH, 'h'),
            (NOTIFY_ZSET, 'z'),
            (NOTIFY_EXPIRED, 'x'),
            (NOTIFY_EVICTED, 'e'),
            (NOTIFY_STREAM, 't'),
            (NOTIFY_MODULE, 'd'),
            (NOTIFY_NEW, 'n'),
        ] {
            if f & bit != 0 {
                s.push(c);
            }
        }
    }
    // As Redis: `n` is only written outside `A` (KEAn reads back AKE, new events still on).
    for (bit, c) in [(NOTIFY_KEYSPACE, 'K'), (NOTIFY_KEYEVENT, 'E'), (NOTIFY_KEY_MISS, 'm')] {
        if f & bit != 0 {
            s.push(c);
        }
    }
    s
}
