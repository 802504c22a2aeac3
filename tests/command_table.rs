//! The command table as clients see it through `COMMAND`:
//! - against the live oracle (Debian's redis-server 7.0.15): the whole `COMMAND` reply of
//!   the Redis 7.0 profile, entry by entry, under RESP2 and RESP3 (key-spec `notes`, which
//!   are prose, aside; subcommands compared by name, since Redis lists them in hash order);
//! - one readable line per command and subcommand for every emulated server, checked into
//!   `tests/snapshots/commands/`, so a spec change shows as a diff a reviewer can read
//!   (`FAKEREDIS_UPDATE_SNAPSHOTS=1 cargo test --test command_table` rewrites them).

mod common;

use fakeredis::resp::{encode, parse_reply};
use fakeredis::{Profile, Reply, Server};
use std::collections::BTreeMap;
use std::path::Path;

/// The profiles of the command matrix's columns.
const PROFILES: [&str; 17] = [
    "redis-6.2",
    "redis-7.0",
    "redis-7.2",
    "redis-7.4",
    "redis-8.0",
    "redis-8.2",
    "redis-8.4",
    "redis-8.6",
    "redis-8.8",
    "redis-8.10",
    "valkey-7.2",
    "valkey-8.0",
    "valkey-8.1",
    "valkey-9.0",
    "valkey-9.1",
    "keydb-6.3.4",
    "dragonfly",
];

/// A command through the fake, as the wire carries it (encoded, then parsed back).
fn fake_call(c: &mut fakeredis::Client, resp3: bool, args: &[&str]) -> Reply {
    let r = c.cmd(args).expect("fake reply");
    let mut bytes = Vec::new();
    encode(&r, resp3, &mut bytes);
    parse_reply(&bytes).expect("parses").expect("complete").0
}

fn text(r: &Reply) -> String {
    match r {
        Reply::Int(n) => n.to_string(),
        _ => r.as_str().map(|s| s.to_string()).unwrap_or_else(|| format!("{r:?}")),
    }
}

/// Key-spec fields as `(key, value)` pairs, from a RESP3 map or a RESP2 flat array.
fn pairs(r: &Reply) -> Vec<(Reply, Reply)> {
    match r {
        Reply::Map(m) => m.clone(),
        Reply::Array(a) => a.chunks(2).map(|c| (c[0].clone(), c.get(1).cloned().unwrap_or(Reply::Nil))).collect(),
        other => vec![(Reply::Nil, other.clone())],
    }
}

/// One `COMMAND` entry with the comparison's normalisation.
fn normalized(entry: &Reply) -> Reply {
    let Some(f) = entry.as_array() else { return entry.clone() };
    let mut f = f.to_vec();
    if let Some(Reply::Array(specs) | Reply::Set(specs)) = f.get_mut(8) {
        for s in specs.iter_mut() {
            let kept: Vec<(Reply, Reply)> = pairs(s).into_iter().filter(|(k, _)| text(k) != "notes").collect();
            *s = Reply::Map(kept);
        }
    }
    if let Some(Reply::Array(subs) | Reply::Set(subs)) = f.get_mut(9) {
        let mut v: Vec<Reply> = subs.iter().map(normalized).collect();
        v.sort_by_key(|e| e.as_array().map(|a| text(&a[0])).unwrap_or_default());
        *subs = v;
    }
    Reply::Array(f)
}

const FIELDS: [&str; 10] =
    ["name", "arity", "flags", "first key", "last key", "step", "ACL categories", "tips", "key specs", "subcommands"];

/// The fields of two entries that differ, each with both values.
fn field_diff(want: &Reply, have: &Reply) -> String {
    let (w, h) = (want.as_array().unwrap_or_default(), have.as_array().unwrap_or_default());
    let mut out = String::new();
    for i in 0..w.len().max(h.len()) {
        let (a, b) = (w.get(i), h.get(i));
        if a == b {
            continue;
        }
        if let (Some(a), Some(b), 9) = (a, b, i) {
            // Subcommands: name the ones that differ.
            out.push_str(&format!("\n  subcommands: {}", {
                let (x, y) = (by_name(a), by_name(b));
                let names: Vec<&String> = x
                    .keys()
                    .chain(y.keys())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .filter(|n| x.get(*n) != y.get(*n))
                    .collect();
                names
                    .iter()
                    .map(|n| {
                        format!(
                            "{n}{}",
                            field_diff(x.get(*n).unwrap_or(&Reply::Nil), y.get(*n).unwrap_or(&Reply::Nil))
                                .replace("\n", "\n    ")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            }));
            continue;
        }
        out.push_str(&format!("\n  {}: redis-server {a:?}, fakeredis {b:?}", FIELDS.get(i).unwrap_or(&"?")));
    }
    out
}

fn by_name(r: &Reply) -> BTreeMap<String, Reply> {
    r.as_array()
        .expect("COMMAND answers an array")
        .iter()
        .map(|e| (e.as_array().map(|a| text(&a[0])).unwrap_or_default(), normalized(e)))
        .collect()
}

#[test]
fn command_reply_of_redis_7_0_matches_redis_server_7_0_15() {
    let Some(bin) = common::binary_or_skip() else { return };
    let oracle = common::start(&bin, "command-table");
    let server = Server::with_profile(Profile::redis(7, 0, 15));
    let mut problems = Vec::new();
    for resp3 in [false, true] {
        let mut real = common::Conn::open(oracle.port);
        let mut fake = server.client();
        if resp3 {
            real.call(&["HELLO", "3"]);
            fake_call(&mut fake, true, &["HELLO", "3"]);
        }
        let (want, have) = (by_name(&real.call(&["COMMAND"])), by_name(&fake_call(&mut fake, resp3, &["COMMAND"])));
        for (name, w) in &want {
            match have.get(name) {
                None => problems.push(format!("RESP{}: {name} missing", if resp3 { 3 } else { 2 })),
                Some(h) if h != w => problems.push(format!("RESP{}: {name}{}", 2 + resp3 as u8, field_diff(w, h))),
                _ => {}
            }
        }
        for name in have.keys().filter(|n| !want.contains_key(*n)) {
            problems.push(format!("RESP{}: {name} is not in redis-server 7.0.15", 2 + resp3 as u8));
        }
        assert_eq!(
            real.call(&["COMMAND", "COUNT"]),
            fake_call(&mut fake, resp3, &["COMMAND", "COUNT"]),
            "COMMAND COUNT"
        );
        let sorted = |r: Reply| {
            let mut v: Vec<String> = r.as_array().expect("array").iter().map(text).collect();
            v.sort();
            v
        };
        assert_eq!(
            sorted(real.call(&["COMMAND", "LIST"])),
            sorted(fake_call(&mut fake, resp3, &["COMMAND", "LIST"])),
            "COMMAND LIST"
        );
        eprintln!("RESP{}: {} COMMAND entries compared", 2 + resp3 as u8, want.len());
    }
    assert!(problems.is_empty(), "{} differences:\n{}", problems.len(), problems.join("\n"));
}

/// `name arity [flags] first,last,step [categories] [tips] keyspecs`, then the subcommands
/// indented below their container.
fn lines(entry: &Reply, indent: &str, out: &mut Vec<String>) {
    let Some(f) = entry.as_array() else { return };
    let list = |r: Option<&Reply>| -> String {
        r.and_then(|r| r.as_array()).map(|a| a.iter().map(text).collect::<Vec<_>>().join(",")).unwrap_or_default()
    };
    let n = |i: usize| f.get(i).and_then(|r| r.as_int()).map(|x| x.to_string()).unwrap_or_default();
    let mut line = format!(
        "{indent}{} {} [{}] {},{},{} [{}]",
        text(&f[0]),
        n(1),
        list(f.get(2)),
        n(3),
        n(4),
        n(5),
        list(f.get(6))
    );
    if f.len() > 7 {
        line.push_str(&format!(" tips[{}]", list(f.get(7))));
        let specs: Vec<String> = f
            .get(8)
            .and_then(|r| r.as_array())
            .unwrap_or_default()
            .iter()
            .map(|s| {
                let p = pairs(s);
                let get = |k: &str| p.iter().find(|(x, _)| text(x) == k).map(|(_, v)| v.clone());
                let flags = list(get("flags").as_ref());
                let part = |k: &str| {
                    let Some(v) = get(k) else { return String::new() };
                    let p = pairs(&v);
                    let kind = p.iter().find(|(x, _)| text(x) == "type").map(|(_, v)| text(v)).unwrap_or_default();
                    let spec = p
                        .iter()
                        .find(|(x, _)| text(x) == "spec")
                        .map(|(_, v)| {
                            pairs(v)
                                .iter()
                                .map(|(a, b)| format!("{}={}", text(a), text(b)))
                                .collect::<Vec<_>>()
                                .join(",")
                        })
                        .unwrap_or_default();
                    format!("{kind}({spec})")
                };
                format!("{{{flags} {} {}}}", part("begin_search"), part("find_keys"))
            })
            .collect();
        line.push_str(&format!(" keys[{}]", specs.join(" ")));
    }
    out.push(line);
    if let Some(subs) = f.get(9).and_then(|r| r.as_array()) {
        let mut subs = subs.to_vec();
        subs.sort_by_key(|e| e.as_array().map(|a| text(&a[0])).unwrap_or_default());
        for s in &subs {
            lines(s, "  ", out);
        }
    }
}

fn snapshot(profile: &str) -> String {
    let p: Profile = profile.parse().expect("profile");
    let mut c = Server::with_profile(p).client();
    let all = c.cmd(["COMMAND"]).expect("COMMAND");
    let mut entries: Vec<Reply> = all.as_array().expect("array").to_vec();
    entries.sort_by_key(|e| e.as_array().map(|a| text(&a[0])).unwrap_or_default());
    let mut out = vec![format!("# COMMAND of {p}: {} commands", entries.len())];
    for e in &entries {
        lines(e, "", &mut out);
    }
    out.join("\n") + "\n"
}

#[test]
fn command_tables_match_their_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/commands");
    let update = std::env::var_os("FAKEREDIS_UPDATE_SNAPSHOTS").is_some();
    let mut stale = Vec::new();
    for profile in PROFILES {
        let file = dir.join(format!("{profile}.txt"));
        let now = snapshot(profile);
        if update {
            std::fs::create_dir_all(&dir).expect("snapshot dir");
            std::fs::write(&file, &now).expect("write snapshot");
        } else if std::fs::read_to_string(&file).ok().as_deref() != Some(now.as_str()) {
            stale.push(file.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "the command table changed; review and rewrite with FAKEREDIS_UPDATE_SNAPSHOTS=1: {}",
        stale.join(" ")
    );
}

/// Well-formed arguments for `args`: every required argument, and the optional ones too when
/// `all` is set; `pick` chooses each `oneof`'s alternative (modulo its length).
fn example(args: &[fakeredis::spec::ArgSpec], p: &Profile, all: bool, pick: usize, out: &mut Vec<String>) {
    use fakeredis::spec::ArgKind;
    for a in args.iter().filter(|a| a.avail.allows(p) && (all || !a.optional)) {
        let reps = if a.multiple { 2 } else { 1 };
        for i in 0..reps {
            if let Some(t) = a.token {
                if i == 0 || a.multiple_token || matches!(a.kind, ArgKind::PureToken) {
                    out.push(t.to_string());
                }
            }
            match a.kind {
                ArgKind::Key => out.push(format!("key{i}")),
                ArgKind::String => out.push(format!("str{i}")),
                ArgKind::Pattern => out.push("*".into()),
                // 2: a count before a `multiple` argument (numkeys) matches its two values.
                ArgKind::Integer | ArgKind::UnixTime => out.push("2".into()),
                ArgKind::Double => out.push("1.5".into()),
                ArgKind::PureToken => {}
                ArgKind::OneOf(alts) => {
                    let alts: Vec<_> = alts.iter().filter(|x| x.avail.allows(p)).collect();
                    if !alts.is_empty() {
                        example(std::slice::from_ref(alts[pick % alts.len()]), p, all, pick, out);
                    }
                }
                ArgKind::Block(subs) => example(subs, p, all, pick, out),
            }
        }
    }
}

/// A command without a handler checks its arguments with the generated parser before it
/// says it is not implemented; the parser must accept what the command's own grammar
/// describes (its required arguments alone, and with every option), on every profile.
#[test]
fn commands_without_handlers_accept_their_own_grammar() {
    let mut problems = Vec::new();
    let mut tried = 0;
    for profile in PROFILES {
        let p: Profile = profile.parse().expect("profile");
        let mut c = Server::with_profile(p).client();
        for top in fakeredis::spec::all_commands().iter().filter(|x| x.available(&p)) {
            let subs = top.subcommands.iter().copied().filter(|s| s.available(&p));
            // A PROTECTED command (MODULE LOAD) is refused before its grammar is read.
            let protected = |x: &&fakeredis::spec::CommandSpec| {
                p.redis_at_least(7, 0) && x.flags_for(&p).iter().any(|f| f.eq_ignore_ascii_case("PROTECTED"))
            };
            for cmd in
                std::iter::once(*top).chain(subs).filter(|x| x.run.is_none() && !x.is_container() && !protected(x))
            {
                for (all, pick) in [(false, 0), (true, 0), (true, 1), (true, 2)] {
                    let mut argv: Vec<String> = cmd.fullname.split('|').map(str::to_string).collect();
                    example(cmd.args, &p, all, pick, &mut argv);
                    if !cmd.arity_ok(&p, argv.len()) {
                        continue;
                    }
                    tried += 1;
                    let want = format!("ERR command '{}' is not implemented by fakeredis yet", cmd.fullname);
                    let r = c.cmd(&argv).expect("reply");
                    if r.error_text() != Some(want.as_str()) {
                        problems.push(format!("{p}: {} -> {r:?}", argv.join(" ")));
                    }
                }
            }
        }
    }
    eprintln!("{tried} well-formed calls of commands without handlers");
    problems.dedup();
    assert!(problems.is_empty(), "{} rejected:\n{}", problems.len(), problems.join("\n"));
}

/// Dragonfly's COMMAND (its `Service::Command`, read from its source): seven fields, the
/// registered name as a simple string, `fast` or `SLOW` among the flags, step 1 for keyless
/// commands, ACL's subcommands as entries of their own, hidden commands only through
/// COMMAND INFO, no COMMAND DOCS.
#[test]
fn dragonfly_answers_command_with_its_own_shape() {
    let server = Server::with_profile("dragonfly".parse().expect("profile"));
    let mut c = server.client();
    let all = c.cmd(["COMMAND"]).expect("reply");
    let entries = all.as_array().expect("array");
    assert_eq!(c.cmd(["COMMAND", "COUNT"]).expect("reply"), Reply::Int(entries.len() as i64));
    let mut names = Vec::new();
    for e in entries {
        let f = e.as_array().expect("entry");
        assert_eq!(f.len(), 7, "{e:?}");
        let Reply::Simple(name) = &f[0] else { panic!("name is a simple string: {e:?}") };
        assert_eq!(name.to_ascii_uppercase(), **name);
        let flags: Vec<String> = f[2].as_array().expect("flags").iter().map(text).collect();
        assert_eq!(flags.iter().filter(|x| *x == "fast" || *x == "SLOW").count(), 1, "{e:?}");
        assert!(f[5].as_int().expect("step") >= 1, "{e:?}");
        assert!(f[6].as_array().expect("categories").iter().all(|x| text(x).starts_with('@')), "{e:?}");
        names.push(name.to_string());
    }
    let get = entries.iter().find(|e| e.as_array().is_some_and(|f| text(&f[0]) == "GET")).expect("GET");
    assert_eq!(
        get,
        &Reply::Array(vec![
            Reply::simple("GET"),
            Reply::Int(2),
            Reply::Array(vec![Reply::simple("readonly"), Reply::simple("fast")]),
            Reply::Int(1),
            Reply::Int(1),
            Reply::Int(1),
            Reply::Array(vec![Reply::simple("@READ"), Reply::simple("@STRING"), Reply::simple("@FAST")]),
        ])
    );
    assert!(names.contains(&"ACL LIST".to_string()) && !names.iter().any(|n| n.starts_with("CLIENT ")));
    assert!(!names.contains(&"DFLY".to_string()), "hidden commands are not listed");
    let info = c.cmd(["COMMAND", "INFO", "dfly", "acl list", "acl|list", "nosuch"]).expect("reply");
    let info = info.as_array().expect("array");
    assert_eq!(info[0].as_array().map(|f| text(&f[0])), Some("DFLY".to_string()));
    assert_eq!(info[1].as_array().map(|f| f[1].clone()), Some(Reply::Int(1)), "ACL LIST counts as one word");
    assert_eq!((&info[2], &info[3]), (&Reply::Nil, &Reply::Nil));
    assert_eq!(c.cmd(["COMMAND", "DOCS"]).expect("reply"), Reply::err("ERR COMMAND DOCS Not Implemented"));
    assert_eq!(c.cmd(["COMMAND", "INFO"]).expect("reply"), Reply::err("ERR syntax error"));
    assert_eq!(
        c.cmd(["CLIENT", "nosuch"]).expect("reply"),
        Reply::err("ERR Unknown subcommand or wrong number of arguments for 'NOSUCH'. Try CLIENT HELP.")
    );
}

fn flags_of(p: &str, cmd: &str) -> Vec<String> {
    let mut c = Server::with_profile(p.parse().expect("profile")).client();
    let r = c.cmd(["COMMAND", "INFO", cmd]).expect("reply");
    let e = r.as_array().and_then(|a| a[0].as_array()).expect("entry").to_vec();
    e[2].as_array().expect("flags").iter().map(text).collect()
}

/// Facts that changed within a release line or between versions, as the servers' release
/// notes and specs give them: SUBSCRIBE refuses to run out of memory (`denyoom`) from Redis
/// 8.8, backported to 7.2.14, 7.4.9, 8.2.6, 8.4.3 and 8.6.3; Valkey marked SLOWLOG
/// deprecated in 8.1 (COMMANDLOG replaces it) and took that back in 9.0.
#[test]
fn per_version_facts_follow_the_release_lines() {
    for (p, denyoom) in [
        ("redis-7.2.13", false),
        ("redis-7.2.14", true),
        ("redis-7.4.0", false),
        ("redis-7.4.9", true),
        ("redis-8.0.0", false),
        ("redis-8.6.3", true),
        ("redis-8.8.0", true),
    ] {
        assert_eq!(flags_of(p, "subscribe").contains(&"denyoom".to_string()), denyoom, "{p}");
    }
    let deprecated = |p: &str| {
        let mut c = Server::with_profile(p.parse().expect("profile")).client();
        let docs = c.cmd(["COMMAND", "DOCS", "slowlog"]).expect("reply");
        format!("{docs:?}").contains("deprecated_since")
    };
    assert!(!deprecated("valkey-8.0"));
    assert!(deprecated("valkey-8.1"));
    assert!(!deprecated("valkey-9.0"));
}
