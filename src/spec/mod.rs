//! Runtime types the generated command table is made of, and the one `include!` of the
//! code `build.rs` generates from `commands/*.json` (see `commands/README.md`).
//!
//! The table is static data: [`CommandSpec`] per command (containers hold their
//! subcommands), [`ArgSpec`] trees in the upstream schema's argument grammar, and the
//! per-server availability ([`Avail`]) computed at build time from the spec `since` fields
//! and `commands/overlay/servers.json`.

pub mod grammar;
mod profile;

pub use grammar::{ArgError, Num, PVal};
pub use profile::{Profile, ServerKind, Version};

/// One argument of a command's grammar (upstream schema `arguments[]`).
#[derive(Debug)]
pub struct ArgSpec {
    pub name: &'static str,
    pub kind: ArgKind,
    pub token: Option<&'static str>,
    pub optional: bool,
    pub multiple: bool,
    pub multiple_token: bool,
    /// Parsed as a set of flags (overlay `flags`): alternatives may combine and repeat.
    pub flag_set: bool,
    /// Handed to the handler as the raw word (overlay `raw`): the handler reads a number
    /// format of its own (INCRBYFLOAT's long double).
    pub raw: bool,
    /// A format the parser checks before handing on the raw word (overlay `formats`).
    pub format: Option<Format>,
    /// When the value is checked (overlay `late`, `handler`; on reading by default).
    pub check: Check,
    /// The reply when the value does not parse (overlay `values`), instead of the generic one.
    pub value_error: Option<&'static str>,
    /// Ranges the number must be in, checked in order with the value (overlay `ranges`).
    pub ranges: &'static [Range],
    pub since: Option<&'static str>,
    pub display: Option<&'static str>,
    pub key_spec_index: i32,
    pub deprecated_since: Option<&'static str>,
    pub avail: Avail,
}

/// Arguments are static table entries: two are equal when they are the same entry.
impl PartialEq for ArgSpec {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl PartialEq for Range {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// When an argument's value is checked, relative to the rest of the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// As the left-to-right walk reads it: an error here ends the walk.
    Read,
    /// After the walk, on the last occurrence only (SET's EX: Redis keeps the word and
    /// converts it after its option loop).
    Late,
    /// By the handler, where Redis converts it (it gets a [`Num`]).
    Handler,
}

/// A number range an argument must fall in; `error` replaces the generic out-of-range text.
#[derive(Debug)]
pub struct Range {
    pub min: i64,
    pub max: i64,
    pub error: Option<&'static str>,
    /// The upper bound is the last database index (overlay `"max": "databases"`): the
    /// server's `databases` less one, known when the words are parsed.
    pub last_db: bool,
}

/// Word formats the parser knows besides the schema's types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// SCAN's cursor: C's `strtoul` over the whole word.
    Cursor,
}

/// The argument a [`Num`] falls back to on a parse that already failed.
pub static NO_ARG: ArgSpec = ArgSpec {
    name: "",
    kind: ArgKind::String,
    token: None,
    optional: false,
    multiple: false,
    multiple_token: false,
    flag_set: false,
    raw: false,
    format: None,
    check: Check::Read,
    value_error: None,
    ranges: &[],
    since: None,
    display: None,
    key_spec_index: -1,
    deprecated_since: None,
    avail: Avail::ALL,
};

#[derive(Debug)]
pub enum ArgKind {
    Key,
    String,
    Pattern,
    Integer,
    Double,
    UnixTime,
    PureToken,
    OneOf(&'static [ArgSpec]),
    Block(&'static [ArgSpec]),
}

impl ArgKind {
    /// The schema's type name, as COMMAND DOCS reports it.
    pub fn type_name(&self) -> &'static str {
        match self {
            ArgKind::Key => "key",
            ArgKind::String => "string",
            ArgKind::Pattern => "pattern",
            ArgKind::Integer => "integer",
            ArgKind::Double => "double",
            ArgKind::UnixTime => "unix-time",
            ArgKind::PureToken => "pure-token",
            ArgKind::OneOf(_) => "oneof",
            ArgKind::Block(_) => "block",
        }
    }
}

/// Availability of a command or argument per server type; versions are inclusive lower
/// bounds and exclusive upper bounds.
#[derive(Debug, Clone, Copy)]
pub struct Avail {
    pub redis: Option<(Version, Option<Version>)>,
    pub valkey: Option<(Version, Option<Version>)>,
    pub keydb: bool,
    pub dragonfly: bool,
}

impl Avail {
    pub const ALL: Avail =
        Avail { redis: Some((Version::ZERO, None)), valkey: Some((Version::ZERO, None)), keydb: true, dragonfly: true };

    pub fn allows(&self, p: &Profile) -> bool {
        let range = |r: &Option<(Version, Option<Version>)>| match r {
            Some((from, until)) => p.version >= *from && until.is_none_or(|u| p.version < u),
            None => false,
        };
        match p.kind {
            ServerKind::Redis => range(&self.redis),
            ServerKind::Valkey => range(&self.valkey),
            ServerKind::KeyDB => self.keydb,
            ServerKind::Dragonfly => self.dragonfly,
        }
    }
}

/// One key specification (upstream `key_specs[]`).
#[derive(Debug)]
pub struct KeySpec {
    pub flags: &'static [&'static str],
    pub begin: BeginSearch,
    pub find: FindKeys,
}

#[derive(Debug)]
pub enum BeginSearch {
    Index(i32),
    Keyword { keyword: &'static str, startfrom: i32 },
    Unknown,
}

#[derive(Debug)]
pub enum FindKeys {
    Range { lastkey: i32, step: i32, limit: i32 },
    Keynum { keynumidx: i32, firstkey: i32, step: i32 },
    Unknown,
}

/// Runs a command: parses `argv` with the generated typed parser and calls its handler.
pub type RunFn = fn(&mut crate::server::Ctx<'_>, &[Vec<u8>]) -> crate::reply::CmdResult;

/// One command or subcommand of the table.
#[derive(Debug)]
pub struct CommandSpec {
    /// Lowercase name (`get`, `setname` for a subcommand).
    pub name: &'static str,
    /// Lowercase `container|sub` for subcommands, same as `name` otherwise.
    pub fullname: &'static str,
    pub container: Option<&'static str>,
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    pub complexity: &'static str,
    pub arity: i32,
    /// Facts that differ on some servers or versions, most specific first: the first one
    /// that matches the pinned server and has the fact wins.
    pub variants: &'static [Variant],
    /// The module that brings the command (`ReJSON`, `bf`, ...), as COMMAND DOCS says.
    pub module: Option<&'static str>,
    pub flags: &'static [&'static str],
    pub acl_categories: &'static [&'static str],
    pub doc_flags: &'static [&'static str],
    pub tips: &'static [&'static str],
    pub deprecated_since: Option<&'static str>,
    pub replaced_by: Option<&'static str>,
    pub key_specs: &'static [KeySpec],
    pub args: &'static [ArgSpec],
    pub subcommands: &'static [&'static CommandSpec],
    pub avail: Avail,
    /// `None` when no handler exists yet: the command answers a not-implemented error.
    pub run: Option<RunFn>,
    /// The generated parser's error overrides (overlay `errors.json`).
    pub errors: &'static Errors,
}

/// Facts of a command on one server type within a version range (`from <= v < until`);
/// `None` keeps the spec's own fact.
#[derive(Debug)]
pub struct Variant {
    pub server: ServerKind,
    pub from: Version,
    pub until: Version,
    pub arity: Option<i32>,
    pub flags: Option<&'static [&'static str]>,
    pub acl_categories: Option<&'static [&'static str]>,
    pub tips: Option<&'static [&'static str]>,
    pub key_specs: Option<&'static [KeySpec]>,
    pub doc_flags: Option<&'static [&'static str]>,
    /// `Some(None)`: not deprecated there.
    pub deprecated_since: Option<Option<&'static str>>,
    pub replaced_by: Option<Option<&'static str>>,
}

impl Variant {
    pub fn applies(&self, p: &Profile) -> bool {
        self.server == p.kind && p.version >= self.from && p.version < self.until
    }
}

/// How a command's parser differs from the default walk (overlay `commands/overlay/errors.json`).
#[derive(Debug)]
pub struct Errors {
    /// Reply when the words do not fit the grammar; `{word}` is the first word that did not fit.
    pub syntax: &'static str,
    /// Words after the grammar's end are ignored (QUIT), instead of a syntax error.
    pub trailing_ok: bool,
    /// The leading key arguments must hold this type (or be missing) before the options are
    /// parsed, else this error (LCS looks its keys up first): `(type name, error)`.
    pub keys_first: Option<(&'static str, &'static str)>,
    /// Redis reads at most this many words (FLUSHALL checks `argc`): more are the syntax
    /// error at the first extra one, whatever they are.
    pub max_words: Option<usize>,
}

impl Errors {
    pub const DEFAULT: Errors =
        Errors { syntax: crate::error::SYNTAX, trailing_ok: false, keys_first: None, max_words: None };
}

impl CommandSpec {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
    }

    /// Whether a RESP2 client in subscribed mode may run it.
    pub fn allowed_subscribed(&self) -> bool {
        matches!(
            self.fullname,
            "ping"
                | "subscribe"
                | "ssubscribe"
                | "unsubscribe"
                | "sunsubscribe"
                | "psubscribe"
                | "punsubscribe"
                | "quit"
                | "reset"
        )
    }

    /// Whether it runs at once inside MULTI instead of being queued.
    pub fn runs_in_multi(&self) -> bool {
        matches!(self.fullname, "exec" | "discard" | "multi" | "watch" | "quit" | "reset")
    }

    pub fn is_container(&self) -> bool {
        !self.subcommands.is_empty()
    }

    /// A fact from the variants: the pinned server's own first; then, for KeyDB and Valkey
    /// (Redis descendants), Redis's at the Redis version they report (6.3.4, 7.2.4).
    fn fact<T>(&self, p: &Profile, pick: impl Fn(&Variant) -> Option<T>) -> Option<T> {
        self.variants.iter().filter(|v| v.applies(p)).find_map(&pick).or_else(|| {
            if !matches!(p.kind, ServerKind::KeyDB | ServerKind::Valkey) {
                return None;
            }
            let as_redis = Profile::new(ServerKind::Redis, p.redis_compat_version());
            self.variants.iter().filter(|v| v.applies(&as_redis)).find_map(pick)
        })
    }

    /// The arity this command has on the pinned server.
    pub fn arity_for(&self, p: &Profile) -> i32 {
        self.fact(p, |v| v.arity).unwrap_or(self.arity)
    }

    /// The command flags on the pinned server.
    pub fn flags_for(&self, p: &Profile) -> &'static [&'static str] {
        self.fact(p, |v| v.flags).unwrap_or(self.flags)
    }

    /// The explicit ACL categories on the pinned server.
    pub fn acl_categories_for(&self, p: &Profile) -> &'static [&'static str] {
        self.fact(p, |v| v.acl_categories).unwrap_or(self.acl_categories)
    }

    /// The command tips on the pinned server.
    pub fn tips_for(&self, p: &Profile) -> &'static [&'static str] {
        self.fact(p, |v| v.tips).unwrap_or(self.tips)
    }

    /// The COMMAND DOCS flags on the pinned server.
    pub fn doc_flags_for(&self, p: &Profile) -> &'static [&'static str] {
        self.fact(p, |v| v.doc_flags).unwrap_or(self.doc_flags)
    }

    /// Since when the command is deprecated on the pinned server, if it is.
    pub fn deprecated_since_for(&self, p: &Profile) -> Option<&'static str> {
        self.fact(p, |v| v.deprecated_since).unwrap_or(self.deprecated_since)
    }

    /// What replaces the command on the pinned server, if anything.
    pub fn replaced_by_for(&self, p: &Profile) -> Option<&'static str> {
        self.fact(p, |v| v.replaced_by).unwrap_or(self.replaced_by)
    }

    /// The key specs on the pinned server.
    pub fn key_specs_for(&self, p: &Profile) -> &'static [KeySpec] {
        self.fact(p, |v| v.key_specs).unwrap_or(self.key_specs)
    }

    /// Whether `argc` words (the command name included) satisfy the arity.
    pub fn arity_ok(&self, p: &Profile, argc: usize) -> bool {
        let mut a = self.arity_for(p);
        if a == -1 && self.module.is_some() {
            // A module that registers no command info shows arity -1 in COMMAND, and checks
            // its arity itself, with the same error text.
            a = self.arity;
        }
        if a >= 0 {
            argc == a as usize
        } else {
            argc >= a.unsigned_abs() as usize
        }
    }

    pub fn available(&self, p: &Profile) -> bool {
        self.avail.allows(p)
    }

    /// Subcommand by name, case-insensitively, among those the profile has.
    pub fn subcommand(&self, name: &[u8], p: &Profile) -> Option<&'static CommandSpec> {
        find_in(self.subcommands, name, Some(p))
    }
}

/// The entry named `name` (case-insensitively); with a profile, the one that server has
/// (a command may have a server's own version beside the general one).
fn find_in(table: &'static [&'static CommandSpec], name: &[u8], p: Option<&Profile>) -> Option<&'static CommandSpec> {
    if name.len() > 64 {
        return None;
    }
    let mut buf = [0u8; 64];
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    let start = table.partition_point(|c| c.name.as_bytes() < &*lower);
    let mut same = table[start..].iter().take_while(|c| c.name.as_bytes() == &*lower);
    match p {
        None => same.next().copied(),
        Some(p) => same.find(|c| c.available(p)).copied(),
    }
}

/// A top-level command by name, case-insensitively, whatever the profile (the general
/// spec when a server has its own version too).
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    find_in(&generated::COMMANDS, name, None)
}

/// The top-level command `name` as the pinned server has it, if it has it.
pub fn lookup_on(name: &[u8], p: &Profile) -> Option<&'static CommandSpec> {
    find_in(&generated::COMMANDS, name, Some(p))
}

/// Every top-level command of the table, sorted by name.
pub fn all_commands() -> &'static [&'static CommandSpec] {
    &generated::COMMANDS
}

/// Every command or subcommand with no handler (what the build listed).
pub fn unimplemented() -> impl Iterator<Item = &'static CommandSpec> {
    all_commands()
        .iter()
        .flat_map(|c| std::iter::once(*c).chain(c.subcommands.iter().copied()))
        .filter(|c| c.run.is_none() && !c.is_container())
}

/// The code `build.rs` generated: the table, typed argument structs and their parsers.
#[allow(clippy::all, dead_code, unused_variables, unused_mut, non_camel_case_types)]
pub mod generated {
    use super::*;
    include!(concat!(env!("OUT_DIR"), "/commands.rs"));
}
