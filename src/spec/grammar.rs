//! The argument-grammar engine behind every generated parser.
//!
//! It reads words against an [`ArgSpec`] tree the way Redis's handwritten parsers do:
//! required arguments are positional; a run of optional arguments that start with a token
//! (`NX`, `EX 10`, `MATCH p`) is accepted in any order; repeating the same option keeps
//! the last value; a second, different alternative of a `oneof` is a conflict.
//!
//! Errors come in the order Redis's own loop meets them (see `commands/README.md`, "Parsing
//! order"): the walk goes left to right and stops at the first word that fits nowhere, the
//! first conflicting alternative, or the first value that fails a check made on reading
//! ([`Check::Read`], the default: number format, then the argument's ranges). A value checked
//! late ([`Check::Late`], SET's EX) is judged after the walk, and only its last occurrence; a
//! value the handler checks ([`Check::Handler`], GETEX's EX after its key lookup) reaches the
//! handler as a [`Num`]. The generated code turns the resulting [`PVal`] tree into typed
//! structs.

use super::{ArgKind, ArgSpec, Check, CommandSpec, Format, Profile, Range};
use crate::reply::Reply;

/// A parsed argument, before the generated code types it.
#[derive(Debug, Clone, PartialEq)]
pub enum PVal<'a> {
    Absent,
    /// A pure token that was given.
    Present,
    Word(&'a [u8]),
    Int(i64),
    Double(f64),
    /// The index of the chosen alternative and its value.
    OneOf(usize, Box<PVal<'a>>),
    Block(Vec<PVal<'a>>),
    Many(Vec<PVal<'a>>),
    /// A late-checked value that failed its check; a later occurrence may still replace it.
    Bad(ArgError),
    /// A value its handler checks (overlay `handler`), with the argument it belongs to.
    Deferred(&'a [u8], &'static ArgSpec),
}

/// Why the words did not parse; the generated code turns it into the command's error text.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgError {
    /// The words do not fit the grammar; `word` is the index (in the argument words) of the
    /// first word that did not fit, if any.
    Syntax { word: Option<usize> },
    /// Two different alternatives of one `oneof` were given.
    Conflict { word: usize },
    /// A value that must be a number (or have the argument's format) is not one.
    Value { spec: &'static ArgSpec, kind: ValueKind },
    /// A number outside one of the argument's ranges.
    Range { spec: &'static ArgSpec, range: &'static Range },
}

impl ArgError {
    /// The reply for a value or range error (syntax errors need the command: see
    /// `dispatch::arg_error`).
    pub fn value_reply(&self) -> Option<Reply> {
        match self {
            ArgError::Value { spec, kind } => Some(Reply::err(spec.value_error.unwrap_or(match kind {
                ValueKind::Integer => crate::error::NOT_INTEGER,
                ValueKind::Double => crate::error::NOT_FLOAT,
            }))),
            ArgError::Range { spec, range } => Some(match range.error.or(spec.value_error) {
                Some(t) => Reply::err(t),
                None => Reply::err(crate::error::out_of_range(range.min, range.max)),
            }),
            _ => None,
        }
    }
}

/// A number its handler checks where Redis checks it (overlay `handler`): the word as
/// given, and the argument's error texts and ranges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num<'a> {
    pub word: &'a [u8],
    spec: &'static ArgSpec,
}

impl<'a> Num<'a> {
    /// The value as an integer, or the argument's error reply.
    pub fn int(&self) -> Result<i64, Reply> {
        check_int(self.spec, self.word, usize::MAX)
            .map_err(|e| e.value_reply().unwrap_or(Reply::err(crate::error::SYNTAX)))
    }

    /// The value as a double, or the argument's error reply.
    pub fn double(&self) -> Result<f64, Reply> {
        parse_f64(self.word).ok_or_else(|| {
            ArgError::Value { spec: self.spec, kind: ValueKind::Double }
                .value_reply()
                .unwrap_or(Reply::err(crate::error::NOT_FLOAT))
        })
    }
}

/// An integer word checked against the argument's format and ranges (`databases`: the
/// server's count, for a range up to the last database).
fn check_int(spec: &'static ArgSpec, w: &[u8], databases: usize) -> Result<i64, ArgError> {
    let n = parse_i64(w).ok_or(ArgError::Value { spec, kind: ValueKind::Integer })?;
    let last_db = i64::try_from(databases).unwrap_or(i64::MAX).saturating_sub(1);
    match spec.ranges.iter().find(|r| n < r.min || n > if r.last_db { last_db } else { r.max }) {
        Some(range) => Err(ArgError::Range { spec, range }),
        None => Ok(n),
    }
}

/// A word in one of the named formats a handler reads itself (overlay `formats`).
fn format_ok(f: Format, w: &[u8]) -> bool {
    match f {
        Format::Cursor => parse_cursor(w).is_some(),
    }
}

/// Redis's SCAN cursor parse (`strtoul`): optional sign (a minus wraps), digits, "" is 0;
/// a C string, so it ends at the first NUL byte (`"1\0x"` is 1).
pub fn parse_cursor(s: &[u8]) -> Option<u64> {
    let s = &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())];
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if s.is_empty() {
        return Some(0);
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Integer,
    Double,
}

/// The argument lists that may end a run of values (the nearest first), kept on the stack:
/// grammars nest only a few levels, and this is built for every argument read.
struct Stops {
    buf: [&'static [ArgSpec]; 8],
    len: usize,
    spill: Vec<&'static [ArgSpec]>,
}

impl Stops {
    fn new(first: &[&'static [ArgSpec]], outer: &[&'static [ArgSpec]]) -> Stops {
        let len = first.len() + outer.len();
        let mut s = Stops { buf: [&[]; 8], len, spill: Vec::new() };
        if len <= s.buf.len() {
            s.buf[..first.len()].copy_from_slice(first);
            s.buf[first.len()..len].copy_from_slice(outer);
        } else {
            s.spill = [first, outer].concat();
        }
        s
    }

    fn get(&self) -> &[&'static [ArgSpec]] {
        if self.spill.is_empty() {
            &self.buf[..self.len]
        } else {
            &self.spill
        }
    }
}

struct Parser<'a, 'p> {
    words: &'a [Vec<u8>],
    pos: usize,
    profile: &'p Profile,
    /// The server's `databases` (ranges up to the last database index).
    databases: usize,
    /// The first error of the walk; it ends the walk.
    err: Option<ArgError>,
}

/// Parses `words` (the arguments after the command name, or after the subcommand name)
/// against `specs`, on a server of `databases` databases.
pub fn parse<'a>(
    cmd: &'static CommandSpec,
    words: &'a [Vec<u8>],
    profile: &Profile,
    databases: usize,
) -> Result<Vec<PVal<'a>>, ArgError> {
    if let Some(max) = cmd.errors.max_words.filter(|&m| words.len() > m) {
        return Err(ArgError::Syntax { word: Some(max) });
    }
    parse_args(cmd.args, words, profile, databases, cmd.errors.trailing_ok)
}

/// Parses `words` against an argument list; `trailing_ok` ignores words past its end.
pub fn parse_args<'a>(
    specs: &'static [ArgSpec],
    words: &'a [Vec<u8>],
    profile: &Profile,
    databases: usize,
    trailing_ok: bool,
) -> Result<Vec<PVal<'a>>, ArgError> {
    if let Some(out) = plain_prefix(specs, words, profile) {
        return Ok(out);
    }
    walk(specs, words, profile, databases, trailing_ok)
}

/// The common case without the walk: the words are exactly the leading required keys and
/// strings, and every argument after them is optional (GET key, SET key value), which the
/// walk would read as those words and nothing else (a unit test holds the two equal for
/// every command).
fn plain_prefix<'a>(specs: &'static [ArgSpec], words: &'a [Vec<u8>], profile: &Profile) -> Option<Vec<PVal<'a>>> {
    let plain = |s: &ArgSpec| {
        !s.optional
            && !s.multiple
            && s.token.is_none()
            && matches!(s.kind, ArgKind::Key | ArgKind::String | ArgKind::Pattern)
            && s.avail.allows(profile)
    };
    if let Some(out) = plain_run(specs, words, profile, &plain) {
        return Some(out);
    }
    let (head, tail) = specs.split_at_checked(words.len())?;
    if !head.iter().all(plain) || !tail.iter().all(|s| s.optional) {
        return None;
    }
    let mut out: Vec<PVal<'a>> = Vec::with_capacity(specs.len());
    out.extend(words.iter().map(|w| PVal::Word(w)));
    out.extend(tail.iter().map(|_| PVal::Absent));
    Some(out)
}

/// The other common case: plain arguments, then a last required run of plain values or of
/// blocks of them that the rest of the words fill exactly (LPUSH key element ..., MSET key
/// value ..., HSET key field value ...).
fn plain_run<'a>(
    specs: &'static [ArgSpec],
    words: &'a [Vec<u8>],
    profile: &Profile,
    plain: &dyn Fn(&ArgSpec) -> bool,
) -> Option<Vec<PVal<'a>>> {
    let (last, head) = specs.split_last()?;
    if !last.multiple || last.optional || last.token.is_some() || last.multiple_token || !last.avail.allows(profile) {
        return None;
    }
    let unit = match &last.kind {
        ArgKind::Key | ArgKind::String | ArgKind::Pattern => 1,
        ArgKind::Block(subs) if !subs.is_empty() && subs.iter().all(plain) => subs.len(),
        _ => return None,
    };
    let rest = words.len().checked_sub(head.len())?;
    if rest == 0 || !rest.is_multiple_of(unit) || !head.iter().all(plain) {
        return None;
    }
    let mut out: Vec<PVal<'a>> = Vec::with_capacity(specs.len());
    out.extend(words[..head.len()].iter().map(|w| PVal::Word(w)));
    let run = &words[head.len()..];
    out.push(PVal::Many(match unit {
        1 => run.iter().map(|w| PVal::Word(w)).collect(),
        n => run.chunks(n).map(|c| PVal::Block(c.iter().map(|w| PVal::Word(w)).collect())).collect(),
    }));
    Some(out)
}

/// The grammar walk (see the module's docs).
fn walk<'a>(
    specs: &'static [ArgSpec],
    words: &'a [Vec<u8>],
    profile: &Profile,
    databases: usize,
    trailing_ok: bool,
) -> Result<Vec<PVal<'a>>, ArgError> {
    let mut p = Parser { words, pos: 0, profile, databases, err: None };
    let out = p.seq(specs, &[], 0);
    if p.err.is_none() && p.pos < words.len() && !trailing_ok {
        p.err = Some(ArgError::Syntax { word: Some(p.pos) });
    }
    if let Some(e) = p.err {
        return Err(e);
    }
    // After the walk: the late checks, on the occurrences that won.
    match first_bad(&out) {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn first_bad(vals: &[PVal<'_>]) -> Option<ArgError> {
    vals.iter().find_map(|v| match v {
        PVal::Bad(e) => Some(e.clone()),
        PVal::OneOf(_, inner) => first_bad(std::slice::from_ref(inner)),
        PVal::Block(items) | PVal::Many(items) => first_bad(items),
        _ => None,
    })
}

/// Smallest number of words `spec` can take.
pub fn min_words(spec: &ArgSpec) -> usize {
    if spec.optional {
        return 0;
    }
    required_words(spec)
}

fn required_words(spec: &ArgSpec) -> usize {
    let tok = usize::from(spec.token.is_some());
    match spec.kind {
        ArgKind::PureToken => 1,
        ArgKind::OneOf(alts) => tok + alts.iter().map(required_words).min().unwrap_or(0),
        ArgKind::Block(subs) => tok + subs.iter().map(min_words).sum::<usize>(),
        _ => tok + 1,
    }
}

/// Whether the argument starts with a literal token (so it can float among options).
pub fn leads_with_token(spec: &ArgSpec) -> bool {
    spec.token.is_some()
        || match spec.kind {
            ArgKind::OneOf(alts) => !alts.is_empty() && alts.iter().all(leads_with_token),
            ArgKind::Block(subs) => subs.first().is_some_and(|s| !s.optional && leads_with_token(s)),
            _ => false,
        }
}

fn floating(spec: &ArgSpec) -> bool {
    spec.optional && leads_with_token(spec)
}

impl<'a> Parser<'a, '_> {
    fn fail(&mut self, at: Option<usize>) {
        self.fail_with(ArgError::Syntax { word: at });
    }

    fn fail_with(&mut self, e: ArgError) {
        if self.err.is_none() {
            self.err = Some(e);
        }
    }

    fn failed(&self) -> bool {
        self.err.is_some()
    }

    /// A value check failed: on reading it ends the walk; a late one is kept in the tree.
    fn bad_value(&mut self, spec: &ArgSpec, e: ArgError) -> PVal<'a> {
        if spec.check == Check::Late {
            return PVal::Bad(e);
        }
        self.fail_with(e);
        PVal::Absent
    }

    fn peek(&self) -> Option<&'a [u8]> {
        self.words.get(self.pos).map(Vec::as_slice)
    }

    /// Whether `word` starts `spec` (its token, an alternative's token, a block's first token).
    fn starts(&self, spec: &ArgSpec, word: &[u8]) -> bool {
        if !spec.avail.allows(self.profile) {
            return false;
        }
        if let Some(t) = spec.token {
            return t.as_bytes().eq_ignore_ascii_case(word);
        }
        match spec.kind {
            ArgKind::OneOf(alts) => alts.iter().any(|a| self.starts(a, word)),
            ArgKind::Block(subs) => subs.first().is_some_and(|s| self.starts(s, word)),
            _ => false,
        }
    }

    /// Whether `word` ends a run of values: it starts an option that may float there, or
    /// the token of the required argument that comes next (LMPOP's `LEFT` after its keys).
    fn stops(&self, stop: &[&'static [ArgSpec]], word: &[u8]) -> bool {
        let next_required = stop.iter().flat_map(|set| set.iter()).find(|s| !floating(s));
        next_required.is_some_and(|s| leads_with_token(s) && self.starts(s, word))
            || stop.iter().any(|set| set.iter().any(|s| floating(s) && self.starts(s, word)))
    }

    /// The arguments `specs` in order; `outer_rest` words must be left for what follows
    /// them in the enclosing grammar (VADD's element after its `VALUES n v ...` block).
    fn seq(
        &mut self,
        specs: &'static [ArgSpec],
        outer_stop: &[&'static [ArgSpec]],
        outer_rest: usize,
    ) -> Vec<PVal<'a>> {
        let mut out: Vec<PVal<'a>> = specs.iter().map(|_| PVal::Absent).collect();
        let mut i = 0;
        while i < specs.len() && !self.failed() {
            if floating(&specs[i]) {
                let j = i + specs[i..].iter().take_while(|s| floating(s)).count();
                let group = &specs[i..j];
                let stop = Stops::new(&[group, &specs[j..]], outer_stop);
                let stop = stop.get();
                while !self.failed() {
                    let Some(word) = self.peek() else { break };
                    let Some(k) = group.iter().position(|s| self.starts(s, word)) else { break };
                    let at = self.pos;
                    if self.conflicts(&group[k], &out[i + k], word) {
                        // Redis's loop refuses the second alternative's token itself.
                        self.fail_with(ArgError::Conflict { word: at });
                        break;
                    }
                    let v = self.one(&group[k], 0, stop);
                    if self.err == Some(ArgError::Syntax { word: None }) {
                        // An option cut short: blame the option's own word.
                        self.err = Some(ArgError::Syntax { word: Some(at) });
                    }
                    self.merge(&group[k], &mut out[i + k], v);
                }
                i = j;
                continue;
            }
            let spec = &specs[i];
            let rest: usize = specs[i + 1..].iter().map(min_words).sum::<usize>() + outer_rest;
            let left = self.words.len() - self.pos;
            let stop = Stops::new(&[&specs[i + 1..]], outer_stop);
            let stop = stop.get();
            if spec.optional {
                let fits = match self.peek() {
                    // An optional number without a token is there when the word is one
                    // (FT.HYBRID's `FILTER [count] expression`).
                    Some(w) => (spec.token.is_none() && fits_number(spec, w)) || self.starts(spec, w),
                    None => false,
                };
                if left > rest && fits {
                    out[i] = self.one(spec, rest, stop);
                }
            } else if let Some(n) = self.counted(specs, &out, i, left) {
                // `numkeys key [key ...]`: the count says how many values there are.
                out[i] = PVal::Many((0..n).map(|_| self.value(spec, rest, stop)).collect());
            } else {
                out[i] = self.one(spec, rest, stop);
            }
            i += 1;
        }
        out
    }

    /// How many values the positional `multiple` argument `specs[i]` takes when the integer
    /// right before it counts them (`numkeys`, `numfields`, `num`) and the count fits in the
    /// words left; `None` leaves the run to the greedy walk (and a bad count to the handler).
    fn counted(&self, specs: &[ArgSpec], out: &[PVal<'a>], i: usize, left: usize) -> Option<usize> {
        let spec = &specs[i];
        if !spec.multiple || spec.multiple_token || spec.token.is_some() || i == 0 {
            return None;
        }
        let prev = &specs[i - 1];
        let PVal::Int(n) = out[i - 1] else { return None };
        let per = required_words(spec).max(1);
        let n = usize::try_from(n).ok().filter(|&n| n >= 1 && n.checked_mul(per).is_some_and(|w| w <= left))?;
        (matches!(prev.kind, ArgKind::Integer) && prev.name.starts_with("num")).then_some(n)
    }

    /// Whether `word` starts an alternative of the `oneof` `spec` other than the one given before.
    fn conflicts(&self, spec: &ArgSpec, slot: &PVal<'a>, word: &[u8]) -> bool {
        let (PVal::OneOf(old, _), ArgKind::OneOf(alts)) = (slot, &spec.kind) else { return false };
        if spec.flag_set || spec.multiple_token {
            return false;
        }
        alts.iter().position(|a| leads_with_token(a) && self.starts(a, word)).is_some_and(|new| new != *old)
    }

    /// Folds a repeated floating option into what was parsed before: the last one wins.
    fn merge(&mut self, spec: &ArgSpec, slot: &mut PVal<'a>, v: PVal<'a>) {
        if spec.multiple_token || spec.flag_set {
            match slot {
                PVal::Many(items) => items.push(v),
                _ => *slot = PVal::Many(vec![v]),
            }
            return;
        }
        *slot = v;
    }

    /// One occurrence of `spec`: its token, then its value (or values, when `multiple`).
    fn one(&mut self, spec: &'static ArgSpec, rest: usize, stop: &[&'static [ArgSpec]]) -> PVal<'a> {
        if spec.flag_set {
            if let ArgKind::OneOf(_) = spec.kind {
                // A flag set parses one flag per occurrence; the caller collects them.
                return self.value(spec, rest, stop);
            }
        }
        if spec.multiple && !spec.multiple_token {
            if !self.token(spec) {
                return PVal::Absent;
            }
            // The required arguments right after this one must fit before the next option
            // word (TS.RANGE's `AGGREGATION avg 1000 BUCKETTIMESTAMP ...` keeps `1000`).
            let near: usize = stop
                .first()
                .map_or(0, |set| set.iter().take_while(|s| !floating(s) && !leads_with_token(s)).map(min_words).sum());
            let mut items = vec![self.value(spec, rest, stop)];
            while !self.failed() {
                let Some(w) = self.peek() else { break };
                // (Looking `near` words ahead only, so a long run stays linear.)
                let ahead = self.words.get(self.pos..(self.pos + near + 1).min(self.words.len())).unwrap_or(&[]);
                if self.words.len() - self.pos <= rest || ahead.iter().any(|x| self.stops(stop, x)) {
                    break;
                }
                if rest > 0 && !fits_number(spec, w) {
                    // Not a number of this run: it belongs to the argument that follows.
                    break;
                }
                items.push(self.value(spec, rest, stop));
            }
            return PVal::Many(items);
        }
        if spec.multiple_token && rest > 0 {
            // A positional `TOKEN v [TOKEN v ...]`: take as many as start with the token.
            let mut items = Vec::new();
            while let Some(w) = self.peek() {
                if !self.starts(spec, w) || self.failed() {
                    break;
                }
                self.token(spec);
                items.push(self.value(spec, rest, stop));
            }
            return PVal::Many(items);
        }
        if !matches!(spec.kind, ArgKind::PureToken) && !self.token(spec) {
            return PVal::Absent;
        }
        self.value(spec, rest, stop)
    }

    /// Consumes the token of `spec`, if it has one.
    fn token(&mut self, spec: &ArgSpec) -> bool {
        let Some(t) = spec.token else { return true };
        match self.peek() {
            Some(w) if t.as_bytes().eq_ignore_ascii_case(w) && spec.avail.allows(self.profile) => {
                self.pos += 1;
                true
            }
            Some(_) => {
                self.fail(Some(self.pos));
                false
            }
            None => {
                self.fail(None);
                false
            }
        }
    }

    fn take(&mut self) -> Option<&'a [u8]> {
        match self.peek() {
            Some(w) => {
                self.pos += 1;
                Some(w)
            }
            None => {
                self.fail(None);
                None
            }
        }
    }

    fn value(&mut self, spec: &'static ArgSpec, rest: usize, stop: &[&'static [ArgSpec]]) -> PVal<'a> {
        if spec.raw {
            let Some(w) = self.take() else { return PVal::Absent };
            return match spec.format {
                Some(f) if !format_ok(f, w) => self.bad_value(spec, ArgError::Value { spec, kind: ValueKind::Integer }),
                _ => PVal::Word(w),
            };
        }
        match spec.kind {
            ArgKind::PureToken => match self.token(spec) {
                true => PVal::Present,
                false => PVal::Absent,
            },
            ArgKind::Key | ArgKind::String | ArgKind::Pattern => match self.take() {
                Some(w) => PVal::Word(w),
                None => PVal::Absent,
            },
            ArgKind::Integer | ArgKind::UnixTime => match self.take() {
                Some(w) if spec.check == Check::Handler => PVal::Deferred(w, spec),
                Some(w) => match check_int(spec, w, self.databases) {
                    Ok(n) => PVal::Int(n),
                    Err(e) => self.bad_value(spec, e),
                },
                None => PVal::Absent,
            },
            ArgKind::Double => match self.take() {
                Some(w) if spec.check == Check::Handler => PVal::Deferred(w, spec),
                Some(w) => match parse_f64(w) {
                    Some(d) => PVal::Double(d),
                    None => self.bad_value(spec, ArgError::Value { spec, kind: ValueKind::Double }),
                },
                None => PVal::Absent,
            },
            ArgKind::OneOf(alts) => {
                let Some(w) = self.peek() else {
                    self.fail(None);
                    return PVal::Absent;
                };
                if let Some(i) = alts.iter().position(|a| leads_with_token(a) && self.starts(a, w)) {
                    let v = self.one(&alts[i], rest, stop);
                    return PVal::OneOf(i, Box::new(v));
                }
                // Alternatives without a token (DFLY FLOW's `last-master-id lsn-vector | lsn`):
                // the first that reads cleanly; when none does, the first one's error.
                let untokened: Vec<usize> = (0..alts.len())
                    .filter(|&i| !leads_with_token(&alts[i]) && alts[i].avail.allows(self.profile))
                    .collect();
                let start = self.pos;
                for &i in &untokened {
                    self.pos = start;
                    let v = self.one(&alts[i], rest, stop);
                    if !self.failed() {
                        return PVal::OneOf(i, Box::new(v));
                    }
                    self.err = None;
                }
                if let Some(&first) = untokened.first() {
                    self.pos = start;
                    let v = self.one(&alts[first], rest, stop);
                    return PVal::OneOf(first, Box::new(v));
                }
                self.fail(Some(self.pos));
                PVal::Absent
            }
            ArgKind::Block(subs) => PVal::Block(self.seq(subs, stop, rest)),
        }
    }
}

/// Whether `w` can be a value of `spec` as far as its number type goes (words of other
/// types always can).
fn fits_number(spec: &ArgSpec, w: &[u8]) -> bool {
    if spec.check == Check::Handler {
        // The handler reads the word and answers its error (LPOP's count).
        return true;
    }
    match spec.kind {
        ArgKind::Integer | ArgKind::UnixTime => parse_i64(w).is_some(),
        ArgKind::Double => parse_f64(w).is_some(),
        _ => true,
    }
}

/// Redis's `string2ll`: an optional `-`, no `+`, no leading zeros, no spaces, fits in i64.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    if digits == b"0" {
        return if neg { None } else { Some(0) };
    }
    if digits[0] == b'0' {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// Redis's `string2d`: C's strtod over the whole word (hexadecimal and `inf` included),
/// without leading space, a NUL inside, NaN, or a finite value that overflows or
/// underflows to zero.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.first().is_none_or(|c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')) || s.contains(&0) {
        return None;
    }
    let v = parse_strtod(s)?;
    let lower = s.to_ascii_lowercase();
    let body = lower.strip_prefix(b"-").or_else(|| lower.strip_prefix(b"+")).unwrap_or(&lower);
    if v.is_infinite() && body != b"inf" && body != b"infinity" {
        return None;
    }
    if v == 0.0 {
        // Underflow: a nonzero mantissa that rounded to zero.
        let hex = body.starts_with(b"0x");
        let mantissa = body.split(|&c| c == if hex { b'p' } else { b'e' }).next().unwrap_or(b"");
        let mantissa = if hex { &mantissa[2..] } else { mantissa };
        if mantissa.iter().any(|c| c.is_ascii_hexdigit() && *c != b'0') {
            return None;
        }
    }
    Some(v)
}

// Accessors the generated `from_block`/`from_pval` code uses. They never panic: a shape
// that does not fit (only possible after a parse error) yields an empty value.

pub fn pv_at<'v, 'a>(v: &'v [PVal<'a>], i: usize) -> &'v PVal<'a> {
    v.get(i).unwrap_or(&PVal::Absent)
}

pub fn pv_word<'a>(v: &PVal<'a>) -> &'a [u8] {
    match v {
        PVal::Word(w) => w,
        _ => &[],
    }
}

pub fn pv_int(v: &PVal<'_>) -> i64 {
    match v {
        PVal::Int(n) => *n,
        _ => 0,
    }
}

pub fn pv_f64(v: &PVal<'_>) -> f64 {
    match v {
        PVal::Double(d) => *d,
        _ => 0.0,
    }
}

pub fn pv_num<'a>(v: &PVal<'a>) -> Num<'a> {
    match v {
        PVal::Deferred(w, spec) => Num { word: w, spec },
        _ => Num { word: b"", spec: &super::NO_ARG },
    }
}

pub fn pv_present(v: &PVal<'_>) -> bool {
    matches!(v, PVal::Present)
}

pub fn pv_many<'v, 'a>(v: &'v PVal<'a>) -> &'v [PVal<'a>] {
    match v {
        PVal::Many(items) => items,
        PVal::Absent => &[],
        other => std::slice::from_ref(other),
    }
}

pub fn pv_block<'v, 'a>(v: &'v PVal<'a>) -> &'v [PVal<'a>] {
    match v {
        PVal::Block(items) => items,
        _ => &[],
    }
}

pub fn pv_oneof<'v, 'a>(v: &'v PVal<'a>) -> (usize, &'v PVal<'a>) {
    match v {
        PVal::OneOf(i, inner) => (*i, inner),
        _ => (usize::MAX, &PVal::Absent),
    }
}

/// C's `strtod` over the whole word, as Redis's range parsers use it (ZRANGEBYSCORE's
/// bounds): leading white space is skipped, an empty word is 0, hexadecimal and
/// `inf`/`infinity` are accepted, overflow gives an infinity; the word is a C string, so it
/// ends at a NUL byte. `None` when something is left over (or nothing converts) and for NaN.
pub fn parse_strtod(s: &[u8]) -> Option<f64> {
    let s = &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())];
    if s.is_empty() {
        return Some(0.0);
    }
    strtod(s).filter(|&(v, read)| read == s.len() && !v.is_nan()).map(|(v, _)| v)
}

/// C's `strtod` over the start of `s`: the value and how many bytes it read (leading white
/// space included), None when it reads none. Reads what glibc reads: a sign, `inf` or
/// `infinity`, `nan` or `nan(chars)`, hexadecimal (`0x1.8p3`), and decimal with an exponent
/// only when digits follow the `e` (so `1e` reads `1` and stops before the `e`).
pub fn strtod(s: &[u8]) -> Option<(f64, usize)> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let starts = |i: usize, word: &[u8]| s.len() >= i + word.len() && s[i..i + word.len()].eq_ignore_ascii_case(word);
    let mut i = 0;
    while matches!(at(i), b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let negative = at(i) == b'-';
    if matches!(at(i), b'-' | b'+') {
        i += 1;
    }
    let sign = |x: f64| if negative { -x } else { x };
    if starts(i, b"inf") {
        let n = if starts(i, b"infinity") { 8 } else { 3 };
        return Some((sign(f64::INFINITY), i + n));
    }
    if starts(i, b"nan") {
        let mut end = i + 3;
        if at(end) == b'(' {
            let close = (end + 1..s.len()).find(|&j| !(s[j].is_ascii_alphanumeric() || s[j] == b'_'));
            if let Some(j) = close.filter(|&j| s[j] == b')') {
                end = j + 1;
            }
        }
        return Some((sign(f64::NAN), end));
    }
    if at(i) == b'0' && (at(i + 1) | 0x20) == b'x' {
        if let Some((x, n)) = hex_float(&s[i + 2..]) {
            return Some((sign(x), i + 2 + n));
        }
    }
    let start = i;
    let digits = |i: &mut usize| {
        let from = *i;
        while at(*i).is_ascii_digit() {
            *i += 1;
        }
        *i - from
    };
    let mut seen = digits(&mut i);
    if at(i) == b'.' {
        i += 1;
        seen += digits(&mut i);
    }
    if seen == 0 {
        return None;
    }
    if at(i) | 0x20 == b'e' {
        let mut j = i + 1;
        if matches!(at(j), b'+' | b'-') {
            j += 1;
        }
        if digits(&mut j) > 0 {
            i = j;
        }
    }
    let text = std::str::from_utf8(&s[start..i]).ok()?;
    let x: f64 = if text.starts_with('.') { format!("0{text}").parse().ok()? } else { text.parse().ok()? };
    Some((sign(x), i))
}

/// A hexadecimal float after its `0x`: digits, an optional fraction and a binary exponent
/// (read only when digits follow the `p`); the value and the bytes read.
fn hex_float(s: &[u8]) -> Option<(f64, usize)> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let (mut i, mut x, mut scale, mut seen, mut fraction) = (0, 0.0f64, 0i32, false, false);
    loop {
        let c = at(i);
        if let Some(d) = (c as char).to_digit(16) {
            x = x * 16.0 + f64::from(d);
            if fraction {
                scale -= 4;
            }
            seen = true;
        } else if c == b'.' && !fraction {
            fraction = true;
        } else {
            break;
        }
        i += 1;
    }
    if !seen {
        return None;
    }
    if at(i) | 0x20 == b'p' {
        let mut j = i + 1;
        let neg = at(j) == b'-';
        if matches!(at(j), b'+' | b'-') {
            j += 1;
        }
        let from = j;
        let mut e: i32 = 0;
        while at(j).is_ascii_digit() {
            e = e.saturating_mul(10).saturating_add(i32::from(at(j) - b'0'));
            j += 1;
        }
        if j > from {
            scale = scale.saturating_add(if neg { -e } else { e });
            i = j;
        }
    }
    // Scaled in two steps so that a long mantissa with a small exponent stays finite.
    let half = scale / 2;
    Some((x * 2f64.powi(half) * 2f64.powi(scale - half), i))
}

#[cfg(test)]
mod strtod_tests {
    use super::parse_strtod;

    #[test]
    fn strtod_reads_what_c_reads() {
        for (w, v) in [
            ("1.5", 1.5),
            ("", 0.0),
            (" 2", 2.0),
            ("+inf", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("0x10", 16.0),
            ("1e999", f64::INFINITY),
            ("1.", 1.0),
            (".5", 0.5),
            ("3\0x", 3.0),
        ] {
            assert_eq!(parse_strtod(w.as_bytes()), Some(v), "{w:?}");
        }
        for w in ["nan", "abc", "1e", "1x", " ", ".", "- 1", "1 "] {
            assert_eq!(parse_strtod(w.as_bytes()), None, "{w:?}");
        }
    }

    #[test]
    fn strtod_reads_a_prefix_as_c_does() {
        use super::strtod;
        for (w, v, read) in [
            ("1.5e", 1.5, 3),
            ("1e5x", 1e5, 3),
            ("0x", 0.0, 1),
            ("0x1p4", 16.0, 5),
            ("0x.8", 0.5, 4),
            ("infin", f64::INFINITY, 3),
            ("-.5]", -0.5, 3),
            ("  7,", 7.0, 3),
        ] {
            assert_eq!(strtod(w.as_bytes()), Some((v, read)), "{w:?}");
        }
        let (nan, read) = strtod(b"-nan(abc)x").unwrap();
        assert!(nan.is_nan() && nan.is_sign_negative() && read == 9);
        for w in ["-", "+", ".", "e5", "x"] {
            assert_eq!(strtod(w.as_bytes()), None, "{w:?}");
        }
    }
}

#[cfg(test)]
mod plain_tests {
    use super::{plain_prefix, walk};
    use crate::spec::Profile;

    #[test]
    fn the_plain_prefix_reads_as_the_walk_does_for_every_command() {
        let profiles =
            [Profile::redis(6, 2, 14), Profile::redis(7, 0, 15), Profile::default(), Profile::valkey(9, 0, 0)];
        let mut fast = 0;
        for p in &profiles {
            for cmd in crate::spec::all_commands() {
                // Plain words, and words that are the command's own tokens.
                let mut vocab: Vec<String> = vec!["w".into()];
                vocab.extend(cmd.args.iter().filter_map(|a| a.token.map(str::to_string)));
                for word in &vocab {
                    for k in 0..=cmd.args.len() + 6 {
                        let words: Vec<Vec<u8>> = (0..k)
                            .map(|i| {
                                format!("{word}{}", if word == "w" { i.to_string() } else { String::new() })
                                    .into_bytes()
                            })
                            .collect();
                        if let Some(out) = plain_prefix(cmd.args, &words, p) {
                            fast += 1;
                            let slow = walk(cmd.args, &words, p, 16, cmd.errors.trailing_ok);
                            assert_eq!(Ok(out), slow, "{} with {k} words {word}", cmd.fullname);
                        }
                    }
                }
            }
        }
        assert!(fast > 500, "only {fast} cases take the plain path");
    }
}
