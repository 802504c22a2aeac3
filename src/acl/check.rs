//! Whether a user may run a command on its keys and channels (Redis's
//! `ACLCheckAllUserCommandPerm`): each selector in turn; the first that allows everything
//! wins, else the "most relevant" refusal (a channel over a key over the command, then the
//! later argument).

use super::{Acl, Selector, Table, READ, WRITE};
use crate::spec::{CommandSpec, Profile};

/// Why a command was refused, with the argument (index in argv) that was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    Cmd,
    Key(usize),
    Channel(usize),
}

impl Denied {
    fn rank(self) -> (u8, usize) {
        match self {
            Denied::Cmd => (1, 0),
            Denied::Key(i) => (2, i),
            Denied::Channel(i) => (4, i),
        }
    }

    pub fn reason(self) -> super::Reason {
        match self {
            Denied::Cmd => super::Reason::Cmd,
            Denied::Key(_) => super::Reason::Key,
            Denied::Channel(_) => super::Reason::Channel,
        }
    }

    /// The argument the log names (the command's for [`Denied::Cmd`]).
    pub fn pos(self) -> usize {
        self.rank().1
    }
}

/// The channels a command names: (argv index, is a pattern). Only publishing and
/// subscribing are checked, never unsubscribing.
pub fn channel_refs(cmd: &CommandSpec, argv: &[Vec<u8>]) -> Vec<(usize, bool)> {
    match cmd.fullname {
        "subscribe" | "ssubscribe" => (1..argv.len()).map(|i| (i, false)).collect(),
        "psubscribe" => (1..argv.len()).map(|i| (i, true)).collect(),
        "publish" | "spublish" if argv.len() > 1 => vec![(1, false)],
        _ => Vec::new(),
    }
}

/// The keys a command names: (argv index, the access it needs as [`READ`]/[`WRITE`]).
fn key_refs(p: &Profile, argv: &[Vec<u8>]) -> Vec<(usize, u8)> {
    crate::cmd::server::command::key_positions(p, argv)
        .into_iter()
        .map(|(i, flags)| {
            let has = |f: &str| flags.iter().any(|x| x.eq_ignore_ascii_case(f));
            let mut need = 0;
            if has("access") {
                need |= READ;
            }
            if has("insert") || has("delete") || has("update") {
                need |= WRITE;
            }
            (i, need)
        })
        .collect()
}

fn key_ok(s: &Selector, key: &[u8], need: u8) -> bool {
    s.allkeys || s.patterns.iter().any(|(f, pat)| f & need == need && crate::glob::matches(pat, key, false))
}

/// Whether a channel (or, for PSUBSCRIBE, a pattern, compared literally) is in `list`.
pub fn channel_ok(list: &[Vec<u8>], channel: &[u8], is_pattern: bool) -> bool {
    list.iter().any(|pat| if is_pattern { pat == channel } else { crate::glob::matches(pat, channel, false) })
}

struct Keys<'a> {
    p: &'a Profile,
    argv: &'a [Vec<u8>],
    cache: Option<Vec<(usize, u8)>>,
}

impl Keys<'_> {
    fn get(&mut self) -> &[(usize, u8)] {
        let (p, argv) = (self.p, self.argv);
        self.cache.get_or_insert_with(|| key_refs(p, argv))
    }
}

fn selector_check(s: &Selector, t: &Table, id: usize, cmd: &CommandSpec, keys: &mut Keys<'_>) -> Result<(), Denied> {
    let argv = keys.argv;
    if !s.allcommands && !cmd.has_flag("NO_AUTH") && !s.bits[id] {
        let idx = if t.parent[id].is_some() { 2 } else { 1 };
        let allowed = match (s.firstargs.get(&id), argv.get(idx)) {
            (Some(list), Some(arg)) => list.iter().any(|a| a.eq_ignore_ascii_case(arg)),
            _ => false,
        };
        if !allowed {
            return Err(Denied::Cmd);
        }
    }
    if !s.allkeys && !cmd.key_specs_for(keys.p).is_empty() {
        for &(i, need) in keys.get() {
            if !argv.get(i).is_some_and(|k| key_ok(s, k, need)) {
                return Err(Denied::Key(i));
            }
        }
    }
    if !s.allchannels {
        for (i, pattern) in channel_refs(cmd, argv) {
            if !channel_ok(&s.channels, &argv[i], pattern) {
                return Err(Denied::Channel(i));
            }
        }
    }
    Ok(())
}

/// Whether the user `u` may run `cmd` as `argv`, the commands numbered by `t`.
pub fn check_user(t: &Table, u: &super::User, cmd: &CommandSpec, argv: &[Vec<u8>], p: &Profile) -> Result<(), Denied> {
    let Some(id) = t.id_of(cmd) else { return Ok(()) };
    let mut keys = Keys { p, argv, cache: None };
    let mut worst = Denied::Cmd;
    for s in &u.selectors {
        match selector_check(s, t, id, cmd, &mut keys) {
            Ok(()) => return Ok(()),
            Err(d) if d.rank() > worst.rank() => worst = d,
            Err(_) => {}
        }
    }
    Err(worst)
}

impl Acl {
    /// Whether `user` may run `cmd` as `argv` (a missing user is checked as `default`).
    pub fn check(&self, user: &[u8], cmd: &CommandSpec, argv: &[Vec<u8>], p: &Profile) -> Result<(), Denied> {
        let Some(u) = self.users.get(user).or_else(|| self.users.get(&b"default"[..])) else { return Ok(()) };
        check_user(&self.table, u, cmd, argv, p)
    }

    /// SORT's BY and GET: whether some selector that may run the command reads every key.
    pub fn reads_all_keys(&self, user: &[u8], cmd: &CommandSpec, argv: &[Vec<u8>], p: &Profile) -> bool {
        let Some(u) = self.users.get(user).or_else(|| self.users.get(&b"default"[..])) else { return true };
        let Some(id) = self.table.id_of(cmd) else { return true };
        let mut keys = Keys { p, argv, cache: None };
        u.selectors.iter().any(|s| {
            selector_check(s, &self.table, id, cmd, &mut keys).is_ok()
                && (s.allkeys || s.patterns.iter().any(|(f, pat)| f & READ != 0 && pat == b"*"))
        })
    }
}
