//! COMMAND as Dragonfly answers it (its `Service::Command`): seven fields per entry, no
//! tips, key specs or subcommand lists, upper-case names, and its own flag and category
//! names. Dragonfly has no subcommand table: ACL's subcommands are registered as commands of
//! their own (`ACL LIST`, arity without the container word), every other container is one
//! entry. Commands it registers as hidden (`HIDDEN` in their spec) are left out of COMMAND
//! and COMMAND COUNT, and COMMAND INFO still finds them.
//!
//! Dragonfly's registrations are not all known here: flags and categories are derived from
//! the specs the way Dragonfly derives them for registrations without their own masks.

use super::legacy_range;
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::spec::{self, CommandSpec, Profile};

/// Flags in Dragonfly's bit order, from the spec's flags (`SLOW` when not `fast`).
fn flags(c: &CommandSpec, p: &Profile) -> Vec<Reply> {
    let f = c.flags_for(p);
    let has = |x: &str| f.iter().any(|y| y.eq_ignore_ascii_case(x));
    let dangerous = c.acl_categories_for(p).iter().any(|x| x.eq_ignore_ascii_case("dangerous"));
    let admin = has("ADMIN");
    let names = [
        ("readonly", has("READONLY")),
        (if has("FAST") { "fast" } else { "SLOW" }, true),
        ("write", has("WRITE")),
        ("loading", has("LOADING")),
        ("denyoom", has("DENYOOM")),
        ("dangerous", dangerous),
        ("admin", admin),
        // ADMIN implies NOSCRIPT in Dragonfly.
        ("noscript", admin || has("NOSCRIPT")),
        ("blocking", has("BLOCKING")),
    ];
    names.iter().filter(|(_, on)| *on).map(|(n, _)| Reply::simple(n)).collect()
}

/// Dragonfly's category table, in bit order, with the Redis names they stand for.
const CATEGORIES: &[(&str, &str)] = &[
    ("keyspace", "KEYSPACE"),
    ("read", "READ"),
    ("write", "WRITE"),
    ("set", "SET"),
    ("sortedset", "SORTEDSET"),
    ("list", "LIST"),
    ("hash", "HASH"),
    ("string", "STRING"),
    ("bitmap", "BITMAP"),
    ("hyperloglog", "HYPERLOG"),
    ("geo", "GEO"),
    ("stream", "STREAM"),
    ("pubsub", "PUBSUB"),
    ("admin", "ADMIN"),
    ("fast", "FAST"),
    ("slow", "SLOW"),
    ("blocking", "BLOCKING"),
    ("dangerous", "DANGEROUS"),
    ("connection", "CONNECTION"),
    ("transaction", "TRANSACTION"),
    ("scripting", "SCRIPTING"),
    ("cuckoo", "CUCKOO_FILTER"),
    ("topk", "TOPK"),
    ("cms", "CMS"),
    ("bloom", "BLOOM"),
    ("search", "FT_SEARCH"),
    ("throttle", "THROTTLE"),
    ("json", "JSON"),
];

/// The spec's own categories and those Dragonfly derives from the options (`write`, `read`
/// unless `noscript`, `admin` and `dangerous`, `fast` or `slow`, `blocking`), in its order.
fn category_names(c: &CommandSpec, p: &Profile) -> Vec<Reply> {
    let f = c.flags_for(p);
    let flag = |x: &str| f.iter().any(|y| y.eq_ignore_ascii_case(x));
    let mut have: Vec<String> = c.acl_categories_for(p).iter().map(|x| x.to_ascii_lowercase()).collect();
    let derived = [
        (flag("WRITE"), "write"),
        (flag("READONLY") && !flag("NOSCRIPT"), "read"),
        (flag("ADMIN"), "admin"),
        (flag("ADMIN"), "dangerous"),
        (flag("FAST"), "fast"),
        (!flag("FAST"), "slow"),
        (flag("BLOCKING"), "blocking"),
    ];
    have.extend(derived.iter().filter(|(on, _)| *on).map(|(_, c)| c.to_string()));
    CATEGORIES
        .iter()
        .filter(|(ours, theirs)| have.iter().any(|h| h == ours || h.eq_ignore_ascii_case(theirs)))
        .map(|(_, df)| Reply::Simple(format!("@{df}").into()))
        .collect()
}

/// The name Dragonfly registers: `GET`, `ACL LIST`.
fn name(c: &CommandSpec) -> String {
    c.fullname.replace('|', " ").to_ascii_uppercase()
}

/// One COMMAND entry.
pub(super) fn entry(c: &CommandSpec, p: &Profile) -> Reply {
    let (first, last, step) = legacy_range(c, p);
    let mut arity = c.arity_for(p);
    if c.container.is_some() {
        // `ACL LIST` is one word to Dragonfly.
        arity -= arity.signum();
    } else if own_entries(c) {
        // The bare container is registered with arity 0 (its handler answers the error).
        arity = 0;
    }
    Reply::Array(vec![
        Reply::Simple(name(c).into()),
        Reply::Int(i64::from(arity)),
        Reply::Array(flags(c, p)),
        Reply::Int(first),
        Reply::Int(last),
        Reply::Int(if step == 0 { 1 } else { step }),
        Reply::Array(category_names(c, p)),
    ])
}

/// Whether ACL's subcommands are registered as commands of their own.
fn own_entries(c: &CommandSpec) -> bool {
    c.name == "acl"
}

/// Every registration Dragonfly has, hidden ones included.
fn registered(p: &Profile) -> impl Iterator<Item = &'static CommandSpec> + '_ {
    spec::all_commands().iter().copied().filter(move |c| c.available(p)).flat_map(move |c| {
        let subs = c.subcommands.iter().copied().filter(move |s| own_entries(c) && s.available(p));
        std::iter::once(c).chain(subs)
    })
}

/// What COMMAND lists and COMMAND COUNT counts.
pub(super) fn listed(p: &Profile) -> impl Iterator<Item = &'static CommandSpec> + '_ {
    registered(p).filter(|c| !c.has_flag("HIDDEN"))
}

/// COMMAND INFO name ...: each name upper-cased and looked up as registered (`ACL LIST` as
/// one word); nil for a name it lacks; no names at all is a syntax error.
pub(super) fn info(p: &Profile, names: &[&[u8]]) -> CmdResult {
    if names.is_empty() {
        return Err(Reply::err(error::SYNTAX));
    }
    Ok(Reply::Array(
        names
            .iter()
            .map(|n| {
                let want = String::from_utf8_lossy(n).to_ascii_uppercase();
                registered(p).find(|c| name(c) == want).map_or(Reply::Nil, |c| entry(c, p))
            })
            .collect(),
    ))
}

/// COMMAND HELP.
pub(super) fn help() -> Reply {
    Reply::Array(
        [
            "(no subcommand)",
            "    Return details about all commands.",
            "INFO command-name",
            "    Return details about specified command.",
            "COUNT",
            "    Return the total number of commands in this server.",
        ]
        .iter()
        .map(|l| Reply::simple(l))
        .collect(),
    )
}
