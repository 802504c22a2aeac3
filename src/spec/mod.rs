//! Runtime types the generated command table is made of, and the one `include!` of the
//! code `build.rs` generates from `commands/*.json` (see `commands/README.md`).
//!
//! The table is static data: [`CommandSpec`] per command (containers hold their
//! subcommands), [`ArgSpec`] trees in the upstream schema's argument grammar, and the
//! per-server availability ([`Avail`]) computed at build time from the spec `since` fields
//! and `commands/overlay/servers.json`.

pub mod grammar;
mod profile;

pub use grammar::{ArgError, PVal};
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
    /// format of its own (SCAN's unsigned cursor).
    pub raw: bool,
    pub since: Option<&'static str>,
    pub display: Option<&'static str>,
    pub key_spec_index: i32,
    pub deprecated_since: Option<&'static str>,
    pub avail: Avail,
}

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
    /// `(server, applies below this version, arity)`, most specific first.
    pub arity_overrides: &'static [(ServerKind, Version, i32)],
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

/// Command-specific texts for parse errors (overlay `commands/overlay/errors.json`).
#[derive(Debug)]
pub struct Errors {
    /// Reply when the words do not fit the grammar; `{word}` is the first word that did not fit.
    pub syntax: &'static str,
    /// Per argument name: reply when its value is not a valid integer/double.
    pub value: &'static [(&'static str, &'static str)],
    /// Words after the grammar's end are ignored (QUIT), instead of a syntax error.
    pub trailing_ok: bool,
}

impl Errors {
    pub const DEFAULT: Errors = Errors { syntax: crate::error::SYNTAX, value: &[], trailing_ok: false };
}

impl CommandSpec {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
    }

    pub fn is_container(&self) -> bool {
        !self.subcommands.is_empty()
    }

    /// The arity this command has on the pinned server.
    pub fn arity_for(&self, p: &Profile) -> i32 {
        self.arity_overrides
            .iter()
            .find(|(k, before, _)| *k == p.kind && p.version < *before)
            .map(|(_, _, a)| *a)
            .unwrap_or(self.arity)
    }

    /// Whether `argc` words (the command name included) satisfy the arity.
    pub fn arity_ok(&self, p: &Profile, argc: usize) -> bool {
        let a = self.arity_for(p);
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
        find_in(self.subcommands, name).filter(|c| c.available(p))
    }
}

fn find_in(table: &'static [&'static CommandSpec], name: &[u8]) -> Option<&'static CommandSpec> {
    if name.len() > 64 {
        return None;
    }
    let mut buf = [0u8; 64];
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    table.binary_search_by(|c| c.name.as_bytes().cmp(lower)).ok().map(|i| table[i])
}

/// A top-level command by name, case-insensitively, whatever the profile.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    find_in(&generated::COMMANDS, name)
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
