//! ACL: users, their rules, the permission checks and the security log, as Redis keeps
//! them (`acl.c`).
//!
//! A user is flags, password hashes and selectors; the root selector holds the rules given
//! outside parentheses (Redis 7.0+ adds more selectors in `(...)`). A selector allows
//! commands by number: [`Table`] numbers every command and subcommand of the pinned server
//! once, in the order the rules' rendering walks them (Redis walks its command table's hash
//! order, different in every process; the fake walks the table's own order). Rendering
//! back (`ACL LIST`, `ACL GETUSER`) is `describe.rs`: up to 7.0 Redis rebuilds the rules from
//! the command bits (categories by best fit, then single commands); from 7.2 it keeps the
//! command rules as given, compacted. `check.rs` answers whether a user may run a command
//! with its keys and channels.
//!
//! The ACL state is made on first use ([`crate::server::State::acl_mut`]): until then every
//! client is the untouched default user, who may run everything.

mod check;
mod describe;
pub mod sha256;

use std::collections::{BTreeMap, HashMap, VecDeque};

pub use check::{channel_ok as check_channel, channel_refs, check_user, Denied};
pub use describe::key_pattern;

use crate::spec::{CommandSpec, Profile, ServerKind};

/// Key pattern permissions (`~`: both, `%R~`, `%W~`).
pub const READ: u8 = 1;
pub const WRITE: u8 = 2;

/// Every command and subcommand of the pinned server, numbered: a container is followed
/// by its subcommands.
#[derive(Debug)]
pub struct Table {
    pub cmds: Vec<&'static CommandSpec>,
    pub parent: Vec<Option<usize>>,
    pub subs: Vec<Vec<usize>>,
    /// Each command's categories, as bits over `categories`.
    pub cats: Vec<u64>,
    pub categories: Vec<&'static str>,
    by_name: HashMap<&'static str, usize>,
}

impl Table {
    pub fn new(p: &Profile) -> Table {
        let mut t = Table {
            cmds: Vec::new(),
            parent: Vec::new(),
            subs: Vec::new(),
            cats: Vec::new(),
            categories: crate::cmd::server::command::acl_category_names(p),
            by_name: HashMap::new(),
        };
        for c in crate::spec::all_commands().iter().copied().filter(|c| c.available(p)) {
            let id = t.push(c, None, p);
            for s in c.subcommands.iter().copied().filter(|s| s.available(p)) {
                let sid = t.push(s, Some(id), p);
                t.subs[id].push(sid);
            }
        }
        t
    }

    fn push(&mut self, c: &'static CommandSpec, parent: Option<usize>, p: &Profile) -> usize {
        let id = self.cmds.len();
        let cats = crate::cmd::server::command::categories(c, p);
        let bits = self
            .categories
            .iter()
            .enumerate()
            .filter(|(_, n)| cats.contains(n))
            .fold(0u64, |acc, (i, _)| acc | (1 << i));
        self.cmds.push(c);
        self.parent.push(parent);
        self.subs.push(Vec::new());
        self.cats.push(bits);
        self.by_name.insert(c.fullname, id);
        id
    }

    /// A command by `name` or `container|sub`, any case (Redis's `ACLLookupCommand`).
    pub fn lookup(&self, name: &[u8]) -> Option<usize> {
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        if lower.matches('|').count() > 1 {
            return None;
        }
        self.by_name.get(lower.as_str()).copied()
    }

    /// The number of the command `cmd` resolved to.
    pub fn id_of(&self, cmd: &CommandSpec) -> Option<usize> {
        self.by_name.get(cmd.fullname).copied()
    }

    fn category(&self, name: &[u8]) -> Option<usize> {
        self.categories.iter().position(|c| c.as_bytes().eq_ignore_ascii_case(name))
    }

    /// The top-level commands, in order.
    fn tops(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.cmds.len()).filter(|&i| self.parent[i].is_none())
    }
}

/// Why a rule was refused (Redis's errno values in `ACLSetUser`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    Syntax,
    Unknown,
    KeysAfterAll,
    ChannelsAfterAll,
    NoSuchPassword,
    BadHash,
    FirstArgOfSub,
}

/// What one selector allows.
#[derive(Debug, Clone)]
pub struct Selector {
    pub root: bool,
    pub allkeys: bool,
    pub allchannels: bool,
    pub allcommands: bool,
    /// Set by `+@all` only: the user may run commands added later (rendered `+@all`).
    pub future: bool,
    pub bits: Vec<bool>,
    /// First arguments allowed for an otherwise blocked command (`+select|0`).
    pub firstargs: BTreeMap<usize, Vec<Vec<u8>>>,
    pub patterns: Vec<(u8, Vec<u8>)>,
    pub channels: Vec<Vec<u8>>,
    /// From 7.2: the command rules as given (sign, lowercase rule), compacted.
    pub rules: Vec<(bool, String)>,
}

impl Selector {
    fn new(t: &Table, root: bool, allchannels: bool) -> Selector {
        Selector {
            root,
            allkeys: false,
            allchannels,
            allcommands: false,
            future: false,
            bits: vec![false; t.cmds.len()],
            firstargs: BTreeMap::new(),
            patterns: Vec::new(),
            channels: Vec::new(),
            rules: Vec::new(),
        }
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        self.bits[id] = on;
        if !on {
            self.allcommands = false;
        }
    }

    /// Redis's `ACLChangeSelectorPerm`: the command, and a container's subcommands.
    fn change(&mut self, t: &Table, id: usize, on: bool) {
        self.set_bit(id, on);
        self.firstargs.remove(&id);
        for &s in &t.subs[id] {
            self.set_bit(s, on);
        }
    }

    /// Every command (and, recursively, subcommand) in category `cat` set to `on`.
    fn set_category(&mut self, t: &Table, cat: usize, on: bool) {
        for top in t.tops() {
            if t.cats[top] & (1 << cat) != 0 {
                self.change(t, top, on);
            }
            for &s in &t.subs[top] {
                if t.cats[s] & (1 << cat) != 0 {
                    self.change(t, s, on);
                }
            }
        }
    }

    fn set_all(&mut self, on: bool) {
        self.bits.iter_mut().for_each(|b| *b = on);
        self.allcommands = on;
        self.future = on;
        self.firstargs.clear();
        self.rules.clear();
    }

    /// 7.2's compaction: a rule replaces the same rule and its subcommands' rules.
    fn remember(&mut self, rule: &str, on: bool) {
        let rule = rule.to_ascii_lowercase();
        let sub_prefix = format!("{rule}|");
        self.rules.retain(|(_, r)| *r != rule && !r.starts_with(&sub_prefix));
        self.rules.push((on, rule));
    }

    /// One selector rule (Redis's `ACLSetSelector`).
    fn apply(&mut self, t: &Table, op: &[u8], v: Dialect) -> Result<(), RuleError> {
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if is("allkeys") || is("~*") {
            self.allkeys = true;
            self.patterns.clear();
        } else if is("resetkeys") {
            self.allkeys = false;
            self.patterns.clear();
        } else if is("allchannels") || is("&*") {
            self.allchannels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.allchannels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.set_all(true);
        } else if is("nocommands") || is("-@all") {
            self.set_all(false);
        } else if op[0] == b'~' || (op[0] == b'%' && v.selectors) {
            self.add_key_pattern(op)?;
        } else if op[0] == b'&' {
            if self.allchannels {
                return Err(RuleError::ChannelsAfterAll);
            }
            let pat = &op[1..];
            if has_spaces(pat) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pat) {
                self.channels.push(pat.to_vec());
            }
            self.allchannels = false;
        } else if op.len() > 1 && (op[0] == b'+' || op[0] == b'-') && op[1] == b'@' {
            let cat = t.category(&op[2..]).ok_or(RuleError::Unknown)?;
            let on = op[0] == b'+';
            self.set_category(t, cat, on);
            if v.keeps_rules {
                self.remember(&format!("@{}", String::from_utf8_lossy(&op[2..])), on);
            }
        } else if op[0] == b'+' {
            self.allow(t, &op[1..], v)?;
        } else if op[0] == b'-' {
            let id = t.lookup(&op[1..]).ok_or(RuleError::Unknown)?;
            self.change(t, id, false);
            if v.keeps_rules {
                self.remember(t.cmds[id].fullname, false);
            }
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.allkeys {
            return Err(RuleError::KeysAfterAll);
        }
        let (mut flags, mut offset) = (0u8, 1usize);
        if op[0] == b'%' {
            loop {
                match op.get(offset).map(u8::to_ascii_uppercase) {
                    Some(b'R') if flags & READ == 0 => flags |= READ,
                    Some(b'W') if flags & WRITE == 0 => flags |= WRITE,
                    Some(b'~') => {
                        offset += 1;
                        break;
                    }
                    // Redis stops at the end of the op with what it read, a pattern of "".
                    None => break,
                    Some(_) => return Err(RuleError::Syntax),
                }
                offset += 1;
            }
            if flags == 0 {
                return Err(RuleError::Syntax);
            }
        } else {
            flags = READ | WRITE;
        }
        let pat = &op[offset.min(op.len())..];
        if has_spaces(pat) {
            return Err(RuleError::Syntax);
        }
        match self.patterns.iter_mut().find(|(_, p)| p == pat) {
            Some((f, _)) => *f |= flags,
            None => self.patterns.push((flags, pat.to_vec())),
        }
        self.allkeys = false;
        Ok(())
    }

    /// `+command`, `+container|sub`, or `+command|first-arg`.
    fn allow(&mut self, t: &Table, name: &[u8], v: Dialect) -> Result<(), RuleError> {
        let Some(bar) = name.iter().rposition(|&c| c == b'|') else {
            let id = t.lookup(name).ok_or(RuleError::Unknown)?;
            self.change(t, id, true);
            if v.keeps_rules {
                self.remember(t.cmds[id].fullname, true);
            }
            return Ok(());
        };
        let (head, sub) = (&name[..bar], &name[bar + 1..]);
        let id = t.lookup(head).ok_or(RuleError::Unknown)?;
        if t.parent[id].is_some() {
            return Err(RuleError::FirstArgOfSub);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !t.subs[id].is_empty() {
            let sid = t.lookup(name).ok_or(RuleError::Unknown)?;
            self.change(t, sid, true);
        } else {
            let list = self.firstargs.entry(id).or_default();
            if !list.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
                list.push(sub.to_vec());
            }
        }
        if v.keeps_rules {
            self.remember(&String::from_utf8_lossy(name), true);
        }
        Ok(())
    }
}

/// Redis's `ACLStringHasSpaces`: whitespace or NUL.
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter().any(|&c| c == 0 || c.is_ascii_whitespace() || c == 0x0b)
}

/// What differs between the versions' ACLs.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    /// 7.0+: selectors, `%R~`/`%W~`, DRYRUN, GETUSER's string forms.
    pub selectors: bool,
    /// 7.2+: command rules kept as given; new users are `sanitize-payload`; the log's ids.
    pub keeps_rules: bool,
}

impl Dialect {
    pub fn of(p: &Profile) -> Dialect {
        Dialect { selectors: p.redis_at_least(7, 0), keeps_rules: p.redis_at_least(7, 2) }
    }
}

/// A user.
#[derive(Debug, Clone)]
pub struct User {
    pub name: Vec<u8>,
    pub enabled: bool,
    pub nopass: bool,
    /// `sanitize-payload` (Some(true)) or `skip-sanitize-payload` (Some(false)).
    pub sanitize: Option<bool>,
    /// SHA-256 hex digests.
    pub passwords: Vec<String>,
    /// The root selector first.
    pub selectors: Vec<Selector>,
}

impl User {
    fn new(t: &Table, name: &[u8], v: Dialect, pubsub_all: bool) -> User {
        User {
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize: v.keeps_rules.then_some(true),
            passwords: Vec::new(),
            selectors: vec![Selector::new(t, true, pubsub_all)],
        }
    }

    pub fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    /// One rule (Redis's `ACLSetUser`).
    fn apply(&mut self, t: &Table, op: &[u8], v: Dialect, pubsub_all: bool) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if is("on") {
            self.enabled = true;
        } else if is("off") {
            self.enabled = false;
        } else if is("skip-sanitize-payload") {
            self.sanitize = Some(false);
        } else if is("sanitize-payload") {
            self.sanitize = Some(true);
        } else if is("nopass") {
            self.nopass = true;
            self.passwords.clear();
        } else if is("resetpass") {
            self.nopass = false;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let hash = password_hash(op)?;
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.nopass = false;
        } else if op[0] == b'<' || op[0] == b'!' {
            let hash = password_hash(op)?;
            let i = self.passwords.iter().position(|h| *h == hash).ok_or(RuleError::NoSuchPassword)?;
            self.passwords.remove(i);
        } else if v.selectors && op[0] == b'(' && op[op.len() - 1] == b')' {
            let mut s = Selector::new(t, false, pubsub_all);
            let inner = &op[1..op.len() - 1];
            for word in inner.split(|c| c.is_ascii_whitespace()).filter(|w| !w.is_empty()) {
                s.apply(t, word, v)?;
            }
            self.selectors.push(s);
        } else if v.selectors && is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            self.nopass = false;
            self.passwords.clear();
            let root = &mut self.selectors[0];
            root.allkeys = false;
            root.patterns.clear();
            root.allchannels = pubsub_all;
            root.channels.clear();
            self.enabled = false;
            self.sanitize = Some(true);
            self.selectors.truncate(1);
            self.selectors[0].set_all(false);
        } else {
            self.selectors[0].apply(t, op, v)?;
        }
        Ok(())
    }

    /// Whether `password` logs in as this user (not checking `on`).
    fn password_ok(&self, password: &[u8]) -> bool {
        self.nopass || self.passwords.contains(&sha256::sha256_hex(password))
    }
}

/// The hash a `>pass`/`<pass` (hashed) or `#hash`/`!hash` (checked) op names.
fn password_hash(op: &[u8]) -> Result<String, RuleError> {
    let rest = &op[1..];
    if op[0] == b'>' || op[0] == b'<' {
        return Ok(sha256::sha256_hex(rest));
    }
    if rest.len() != 64 || !rest.iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c)) {
        return Err(RuleError::BadHash);
    }
    Ok(String::from_utf8_lossy(rest).into_owned())
}

/// Why the log has an entry (`ACL_DENIED_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    Cmd,
    Key,
    Auth,
    Channel,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::Cmd => "command",
            Reason::Key => "key",
            Reason::Auth => "auth",
            Reason::Channel => "channel",
        }
    }
}

/// Where the denied command ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Toplevel,
    Multi,
    Lua,
}

impl Context {
    pub fn name(self) -> &'static str {
        match self {
            Context::Toplevel => "toplevel",
            Context::Multi => "multi",
            Context::Lua => "lua",
        }
    }
}

/// One ACL LOG entry.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub count: u64,
    pub reason: Reason,
    pub context: Context,
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    /// Server ms of the last update.
    pub ctime: i64,
    pub created: i64,
    pub entry_id: i64,
    pub client_info: String,
}

/// Entries within this many ms of each other are grouped.
const LOG_GROUPING_MS: i64 = 60_000;

/// The server's users and security log.
#[derive(Debug)]
pub struct Acl {
    pub table: std::sync::Arc<Table>,
    pub dialect: Dialect,
    /// 6.2 (`acl-pubsub-default allchannels`): new users may use every channel.
    pub pubsub_all: bool,
    pub users: BTreeMap<Vec<u8>, User>,
    pub log: VecDeque<LogEntry>,
    pub log_next_id: i64,
}

impl Acl {
    pub fn new(p: &Profile) -> Acl {
        let table = std::sync::Arc::new(Table::new(p));
        let dialect = Dialect::of(p);
        let pubsub_all = !p.redis_at_least(7, 0) || p.is(ServerKind::KeyDB);
        let mut default = User::new(&table, b"default", dialect, pubsub_all);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = default.apply(&table, op.as_bytes(), dialect, pubsub_all);
        }
        let mut users = BTreeMap::new();
        users.insert(b"default".to_vec(), default);
        Acl { table, dialect, pubsub_all, users, log: VecDeque::new(), log_next_id: 0 }
    }

    pub fn user(&self, name: &[u8]) -> Option<&User> {
        self.users.get(name)
    }

    /// ACL SETUSER's rules, all or nothing: the user (made if missing) with `ops` applied, or
    /// the op that failed and why. Selectors split over several ops are joined first.
    pub fn set_user(&mut self, name: &[u8], ops: &[Vec<u8>]) -> Result<(), SetUserError> {
        let ops = if self.dialect.selectors { merge_selectors(ops, !self.dialect.keeps_rules)? } else { ops.to_vec() };
        let mut user = match self.users.get(name) {
            Some(u) => u.clone(),
            None => User::new(&self.table, name, self.dialect, self.pubsub_all),
        };
        for op in &ops {
            user.apply(&self.table, op, self.dialect, self.pubsub_all)
                .map_err(|e| SetUserError::Rule(op.clone(), e))?;
        }
        self.users.insert(name.to_vec(), user);
        Ok(())
    }

    /// `requirepass`: the default user's only password, or nopass when empty.
    pub fn set_requirepass(&mut self, pass: &[u8]) {
        let (t, v, all) = (&self.table, self.dialect, self.pubsub_all);
        if let Some(u) = self.users.get_mut(&b"default"[..]) {
            let _ = u.apply(t, b"resetpass", v, all);
            let op = if pass.is_empty() { b"nopass".to_vec() } else { [b">", pass].concat() };
            let _ = u.apply(t, &op, v, all);
        }
    }

    /// Whether `user`/`password` log in (the user exists, is on, and the password fits).
    pub fn credentials_ok(&self, user: &[u8], password: &[u8]) -> bool {
        self.users.get(user).is_some_and(|u| u.enabled && u.password_ok(password))
    }

    /// Whether a connection starts (or after RESET is) authenticated: the default user
    /// needs no password and is on.
    pub fn default_open(&self) -> bool {
        self.users.get(&b"default"[..]).is_none_or(|u| u.nopass && u.enabled)
    }

    /// Adds an entry to ACL LOG, or bumps a matching recent one (Redis looks at the 10
    /// newest), keeping at most `max_len`.
    pub fn log_event(&mut self, mut e: LogEntry, max_len: usize) {
        let found = self.log.iter().take(10).position(|x| {
            x.reason == e.reason
                && x.context == e.context
                && (x.ctime - e.ctime).abs() <= LOG_GROUPING_MS
                && x.object == e.object
                && x.username == e.username
        });
        if let Some(mut m) = found.and_then(|i| self.log.remove(i)) {
            m.count += 1;
            m.ctime = e.ctime;
            m.client_info = e.client_info;
            self.log.push_front(m);
            return;
        }
        e.entry_id = self.log_next_id;
        self.log_next_id += 1;
        self.log.push_front(e);
        self.log.truncate(max_len);
    }
}

/// Why ACL SETUSER refused its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetUserError {
    /// A `(` selector never closed: the word it started at.
    Unmatched(Vec<u8>),
    Rule(Vec<u8>, RuleError),
}

/// Redis's `ACLMergeSelectorArguments`: `(+get` `~a)` become one op `(+get ~a)`.
/// Up to 7.0 a second unclosed `(` starts the selector over.
fn merge_selectors(ops: &[Vec<u8>], restart: bool) -> Result<Vec<Vec<u8>>, SetUserError> {
    let mut out = Vec::new();
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, op) in ops.iter().enumerate() {
        let opens = op.first() == Some(&b'(') && op.last() != Some(&b')');
        if opens && (restart || open.is_none()) {
            open = Some((i, op.clone()));
            continue;
        }
        if let Some((_, sel)) = open.as_mut() {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')') {
                out.push(std::mem::take(sel));
                open = None;
            }
            continue;
        }
        out.push(op.clone());
    }
    match open {
        Some((i, _)) => Err(SetUserError::Unmatched(ops[i].clone())),
        None => Ok(out),
    }
}
