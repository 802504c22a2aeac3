//! How replies are compared. Most commands' replies must be the same bytes. The few whose
//! replies legitimately differ between two correct servers are compared by a
//! normalisation, chosen by the command the fake resolves ([`for_command`]); an error reply
//! on either side is always compared byte for byte. A command whose spec tips
//! `nondeterministic_output` (or `_order`) needs one, or a reason in [`EXACT_DESPITE_TIPS`]:
//! a test holds every generated command to that, so SPOP, SMEMBERS and their kind get theirs
//! when they land.
//!
//! | normalisation | commands | what is compared |
//! |---|---|---|
//! | [`Norm::Unordered`] | KEYS, COMMAND LIST, FUNCTION LIST, SMEMBERS, SINTER, SUNION, SDIFF, HKEYS, HVALS | Redis answers in hash-table order: arrays, sets and maps are sorted at every depth (the order of small encodings, which is Redis's own, is checked by the transcripts) |
//! | [`Norm::CommandTable`] | COMMAND, COMMAND INFO, COMMAND DOCS | as `Unordered`, after masking the prose (`summary`, `complexity`) and dropping key-spec `notes` and `history`: the project writes its own words, never upstream's, and carries no history |
//! | [`Norm::Pairs`] | CONFIG GET, HGETALL | name/value pairs in dictionary order: compared as a set of pairs |
//! | [`Norm::Within`] | TTL, EXPIRETIME, OBJECT IDLETIME (1 s), PTTL, PEXPIRETIME (1000 ms) | integers: equal, or both non-negative and within the tolerance (the two servers ran the command microseconds apart) |
//! | [`Norm::Scan`] | SCAN, SSCAN, HSCAN and ZSCAN (with values or scores: pairs) | cursors depend on the hash seed: a call from cursor 0 that both finish (cursor 0) returns the same set of keys; any other call returns a well-formed reply (cursor, distinct keys) on both |
//! | [`Norm::Time`] | TIME | two bulk integers; seconds within 2 |
//! | [`Norm::Shape`] | CLIENT ID, OBJECT FREQ, MEMORY STATS, MEMORY USAGE | ids count connections, LFU counters are probabilistic, memory figures are allocator-made (MEMORY USAGE's exact values are checked by the transcripts): the same reply type |
//! | [`Norm::Payload`] | DUMP | byte for byte, except a hashtable set or hash (RDB types 2 and 4), whose elements come in hash order: then the same type and length |
//! | [`Norm::ClientFields`] | CLIENT LIST, CLIENT INFO | `id addr laddr fd age idle qbuf qbuf-free argv-mem multi-mem obl oll omem tot-mem rbs rbp` masked; every other field exact |
//! | [`Norm::Hello`] | HELLO | the `id` value masked |
//! | [`Norm::Info`] | INFO | values are each server's own (pid, ports, memory, uptime): section headers and field names (sorted within a section: commandstats come in hash order) |
//! | [`Norm::Sample`] | SRANDMEMBER, HRANDFIELD, ZRANDMEMBER | random picks: the same reply type and, for arrays, the same length (a count covering the collection answers it whole: the same elements) |
//! | [`Norm::Popped`] | SPOP | as `Sample`; when the picks differ the two keyspaces now differ, so the round ends there ([`Verdict::EndRound`]) |
//! | [`Norm::SortBy`] | SORT, SORT_RO | exact, but unordered with BY: `nosort` keeps a set's hash-table order, and elements whose weights tie keep it too. Redis's SORT reads C's `errno` without clearing it, so an ERANGE left by an earlier command's number (`1e-400`) makes it fail with `One or more scores can't be converted into double`: that refusal against a fake's answer ends the round (not modelled: commands/README.md) |
//! | [`Norm::Idle`] | XPENDING, XINFO CONSUMERS, XINFO STREAM | idle and delivery times are each server's clock: integers masked at every depth, the rest exact |
//! | [`Norm::Clocked`] | XADD, XCLAIM, XAUTOCLAIM | as `Idle`; when they still differ (an ID made from the clock, a claim decided by idle time) the keyspaces now differ, so the round ends there ([`Verdict::EndRound`]) |
//! | [`Norm::RandomKey`] | RANDOMKEY | both nil, or both name a key that exists on their own side (checked with EXISTS on the driver's connection) |

use crate::reply::Reply;
use crate::resp::parse_reply;
use crate::resp::render::render;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Norm {
    Exact,
    Unordered,
    CommandTable,
    Pairs,
    Within(i64),
    Scan,
    Time,
    Shape,
    ClientFields,
    Hello,
    Info,
    RandomKey,
    Sample,
    Popped,
    SortBy,
    Idle,
    Clocked,
    Payload,
}

/// The normalisation for a command, by its full name (`client|list`).
pub fn for_command(fullname: &str) -> Norm {
    match fullname {
        "keys" | "command|list" | "function|list" | "smembers" | "sinter" | "sunion" | "sdiff" | "hkeys" | "hvals" => {
            Norm::Unordered
        }
        "hgetall" => Norm::Pairs,
        "sscan" | "hscan" | "zscan" => Norm::Scan,
        "srandmember" | "hrandfield" | "zrandmember" => Norm::Sample,
        "spop" => Norm::Popped,
        "sort" | "sort_ro" => Norm::SortBy,
        "command" | "command|info" | "command|docs" => Norm::CommandTable,
        "config|get" => Norm::Pairs,
        "ttl" | "expiretime" | "object|idletime" => Norm::Within(1),
        "pttl" | "pexpiretime" => Norm::Within(1000),
        "scan" => Norm::Scan,
        "time" => Norm::Time,
        "client|id" | "object|freq" | "memory|stats" | "memory|usage" => Norm::Shape,
        "client|list" | "client|info" => Norm::ClientFields,
        "hello" => Norm::Hello,
        "info" => Norm::Info,
        "randomkey" => Norm::RandomKey,
        "xpending" | "xinfo|consumers" | "xinfo|stream" => Norm::Idle,
        "xadd" | "xclaim" | "xautoclaim" => Norm::Clocked,
        "dump" => Norm::Payload,
        _ => Norm::Exact,
    }
}

/// Commands whose specs tip `nondeterministic_output` that are compared exactly all the same,
/// and why. Every other generated command with such a tip must have a normalisation (a test
/// checks it, so a new command family cannot land compared byte for byte by accident).
pub const EXACT_DESPITE_TIPS: &[(&str, &str)] = &[
    (
        "function|stats",
        "its running script is null on both sides: the driver waits for each reply, so no script runs meanwhile",
    ),
    ("object|encoding", "the encoding follows from the value and the configured thresholds"),
    ("memory|doctor", "the campaign's data stays far under the 5 MB below which both servers report an empty instance"),
    ("latency|graph", "no latency event is recorded on either side: the campaign's commands are fast"),
    ("latency|history", "no latency event is recorded on either side: the campaign's commands are fast"),
    ("latency|latest", "no latency event is recorded on either side: the campaign's commands are fast"),
    (
        "latency|doctor",
        "with no latency event on either side (the campaign's commands are fast), the report is the fixed text",
    ),
    ("object|refcount", "1, or INT_MAX for a shared integer: follows from the value"),
    ("xtrim", "approximate trims remove whole listpack nodes, which the fake models entry for entry"),
];

impl Norm {
    /// The transcript directive that checks a reply the same way, if there is one.
    pub fn directive(self) -> Option<String> {
        match self {
            Norm::Exact => Some(String::new()),
            Norm::Unordered | Norm::CommandTable => Some("!sort".into()),
            Norm::Within(t) => Some(format!("!approx {t}")),
            _ => None,
        }
    }
}

const VOLATILE_CLIENT_FIELDS: &[&str] = &[
    "id",
    "addr",
    "laddr",
    "fd",
    "age",
    "idle",
    "qbuf",
    "qbuf-free",
    "argv-mem",
    "multi-mem",
    "obl",
    "oll",
    "omem",
    "tot-mem",
    "rbs",
    "rbp",
];

fn parse(raw: &[u8]) -> Option<Reply> {
    match parse_reply(raw) {
        Ok(Some((r, used))) if used == raw.len() => Some(r),
        _ => None,
    }
}

fn text_of(r: &Reply) -> Option<&[u8]> {
    match r {
        Reply::Bulk(b) => Some(b),
        Reply::Verbatim(_, b) => Some(b),
        _ => None,
    }
}

fn same_kind(a: &Reply, b: &Reply) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// `CLIENT LIST`/`CLIENT INFO` text with the volatile fields' values masked.
fn mask_client_fields(text: &[u8]) -> String {
    String::from_utf8_lossy(text)
        .lines()
        .map(|line| {
            line.split(' ')
                .map(|f| match f.split_once('=') {
                    Some((k, _)) if VOLATILE_CLIENT_FIELDS.contains(&k) => format!("{k}=*"),
                    _ => f.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// INFO text reduced to section headers and field names, sorted within each section
/// (Redis prints commandstats and latencystats in hash-table order).
pub fn info_layout(text: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    for l in String::from_utf8_lossy(text).lines().filter(|l| !l.is_empty()) {
        if l.starts_with('#') {
            fields.sort();
            out.append(&mut fields);
            out.push(l.to_string());
        } else {
            fields.push(l.split_once(':').map_or(l, |(k, _)| k).to_string());
        }
    }
    fields.sort();
    out.append(&mut fields);
    out
}

fn info_names(text: &[u8]) -> String {
    info_layout(text).join("\n")
}

/// HELLO's reply with the `id` value masked (RESP2 flat array or RESP3 map).
fn mask_hello(r: &Reply) -> Reply {
    let id = |k: &Reply| k.as_bytes() == Some(b"id");
    match r {
        Reply::Array(v) => {
            let mut v = v.clone();
            for i in 1..v.len() {
                if i % 2 == 1 && id(&v[i - 1]) {
                    v[i] = Reply::Int(0);
                }
            }
            Reply::Array(v)
        }
        Reply::Map(pairs) => {
            Reply::Map(pairs.iter().map(|(k, x)| (k.clone(), if id(k) { Reply::Int(0) } else { x.clone() })).collect())
        }
        other => other.clone(),
    }
}

/// Fields whose values are prose: masked.
const PROSE: &[&[u8]] = &[b"summary", b"complexity"];

/// Fields that are prose or history the project does not carry: dropped, name and value.
const DROPPED: &[&[u8]] = &[b"notes", b"history"];

/// `r` with prose fields masked or dropped, at every depth (RESP2 flat arrays of
/// name/value pairs and RESP3 maps alike).
fn mask_prose(r: &Reply) -> Reply {
    let field = |k: &Reply, v: &Reply| -> Option<(Reply, Reply)> {
        match k.as_bytes() {
            Some(name) if DROPPED.contains(&name) => None,
            Some(name) if PROSE.contains(&name) => Some((k.clone(), Reply::bulk("*"))),
            _ => Some((mask_prose(k), mask_prose(v))),
        }
    };
    match r {
        Reply::Array(v) if v.len() % 2 == 0 && v.chunks(2).all(|p| p[0].as_bytes().is_some()) => {
            Reply::Array(v.chunks(2).filter_map(|p| field(&p[0], &p[1])).flat_map(|(k, x)| [k, x]).collect())
        }
        Reply::Array(v) => Reply::Array(v.iter().map(mask_prose).collect()),
        Reply::Set(v) => Reply::Set(v.iter().map(mask_prose).collect()),
        Reply::Map(pairs) => Reply::Map(pairs.iter().filter_map(|(k, v)| field(k, v)).collect()),
        other => other.clone(),
    }
}

/// Name/value pairs, sorted (RESP2 flat arrays and RESP3 maps alike).
fn sorted_pairs(r: &Reply) -> Option<Vec<String>> {
    let mut v: Vec<String> = match r {
        Reply::Array(items) if items.len() % 2 == 0 => items
            .chunks(2)
            .map(|p| format!("{} {}", render(&p[0], false, false), render(&p[1], false, false)))
            .collect(),
        Reply::Map(pairs) => {
            pairs.iter().map(|(k, x)| format!("{} {}", render(k, false, false), render(x, false, false))).collect()
        }
        _ => return None,
    };
    v.sort();
    Some(v)
}

/// A well-formed SCAN reply: the cursor and its keys.
fn scan_parts(r: &Reply, pairs: bool) -> Option<(&[u8], Vec<Vec<u8>>)> {
    let Reply::Array(v) = r else { return None };
    let [cursor, Reply::Array(keys)] = v.as_slice() else { return None };
    let cursor = cursor.as_bytes().filter(|c| !c.is_empty() && c.iter().all(u8::is_ascii_digit))?;
    let keys: Option<Vec<&[u8]>> = keys.iter().map(Reply::as_bytes).collect();
    let keys = keys?;
    if pairs && keys.len() % 2 != 0 {
        return None;
    }
    // HSCAN answers fields with their values: a field is an element, its value rides along.
    let mut keys: Vec<Vec<u8>> = if pairs {
        keys.chunks(2).map(|p| [p[0], b" ", p[1]].concat()).collect()
    } else {
        keys.into_iter().map(<[u8]>::to_vec).collect()
    };
    keys.sort();
    let n = keys.len();
    keys.dedup();
    (keys.len() == n).then_some((cursor, keys))
}

/// Random picks of the same shape: the same reply type, and as many elements.
fn same_sample(a: &Reply, b: &Reply) -> bool {
    match (a, b) {
        (Reply::Array(x), Reply::Array(y)) | (Reply::Set(x), Reply::Set(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_kind(p, q))
        }
        _ => same_kind(a, b),
    }
}

/// `r` with every integer zeroed, at every depth.
fn mask_ints(r: &Reply) -> Reply {
    match r {
        Reply::Int(_) => Reply::Int(0),
        Reply::Array(v) => Reply::Array(v.iter().map(mask_ints).collect()),
        Reply::Set(v) => Reply::Set(v.iter().map(mask_ints).collect()),
        Reply::Map(pairs) => Reply::Map(pairs.iter().map(|(k, v)| (mask_ints(k), mask_ints(v))).collect()),
        other => other.clone(),
    }
}

/// What a comparison found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Same,
    Differ,
    /// RANDOMKEY named keys: the driver must check that each exists on its side.
    CheckKeys(Vec<u8>, Vec<u8>),
    /// Consistent random changes (SPOP took different members): the keyspaces differ from
    /// here, so the rest of the round is not compared.
    EndRound,
}

/// Compares the raw replies of `argv` (resolved to `norm`) from the oracle and the fake.
/// An EXEC's replies, each compared by the normalisation of the command queued for it
/// (the replies differ as a whole only when one of them may), and which reply differs.
pub fn compare_exec(
    queue: &[Vec<Vec<u8>>],
    p: &crate::spec::Profile,
    resp3: bool,
    oracle: &[u8],
    fake: &[u8],
) -> (Verdict, Option<usize>) {
    if oracle == fake {
        return (Verdict::Same, None);
    }
    let (Some(Reply::Array(a)), Some(Reply::Array(b))) = (parse(oracle), parse(fake)) else {
        return (Verdict::Differ, None);
    };
    if a.len() != b.len() || a.len() != queue.len() {
        return (Verdict::Differ, None);
    }
    let mut verdict = Verdict::Same;
    for (i, ((x, y), argv)) in a.iter().zip(&b).zip(queue).enumerate() {
        let name = crate::dispatch::resolve(p, argv).map_or("(unknown)", |c| c.fullname);
        let (mut ex, mut ey) = (Vec::new(), Vec::new());
        crate::resp::encode(x, resp3, &mut ex);
        crate::resp::encode(y, resp3, &mut ey);
        match compare(for_command(name), argv, &ex, &ey) {
            Verdict::Differ => return (Verdict::Differ, Some(i)),
            Verdict::EndRound => verdict = Verdict::EndRound,
            _ => {}
        }
    }
    (verdict, None)
}

/// SORT's refusal when C's `errno` still holds an earlier ERANGE.
const SORT_STALE_ERRNO: &str = "ERR One or more scores can't be converted into double";

pub fn compare(norm: Norm, argv: &[Vec<u8>], oracle: &[u8], fake: &[u8]) -> Verdict {
    if oracle == fake {
        return Verdict::Same;
    }
    let (Some(a), Some(b)) = (parse(oracle), parse(fake)) else { return Verdict::Differ };
    if norm == Norm::SortBy && !b.is_error() && a.error_text() == Some(SORT_STALE_ERRNO) {
        return Verdict::EndRound;
    }
    if a.is_error() || b.is_error() || norm == Norm::Exact {
        return Verdict::Differ;
    }
    let same = match norm {
        Norm::Exact => false,
        Norm::Unordered => render(&a, true, true) == render(&b, true, true),
        Norm::SortBy => {
            let by = argv.iter().skip(2).any(|w| w.eq_ignore_ascii_case(b"by"));
            by && render(&a, true, true) == render(&b, true, true)
        }
        Norm::CommandTable => render(&mask_prose(&a), true, true) == render(&mask_prose(&b), true, true),
        Norm::Pairs => sorted_pairs(&a).is_some_and(|x| Some(x) == sorted_pairs(&b)),
        Norm::Within(tol) => match (a.as_int(), b.as_int()) {
            (Some(x), Some(y)) => x >= 0 && y >= 0 && x.abs_diff(y) <= tol as u64,
            _ => false,
        },
        Norm::Scan => {
            // SCAN's cursor is its first argument, HSCAN's and SSCAN's their second.
            let name = argv.first().map(|n| n.to_ascii_lowercase()).unwrap_or_default();
            let at = if name == b"scan" { 1 } else { 2 };
            let pairs = (name == b"hscan" && !argv.iter().skip(3).any(|w| w.eq_ignore_ascii_case(b"novalues")))
                || (name == b"zscan" && !argv.iter().skip(3).any(|w| w.eq_ignore_ascii_case(b"noscores")));
            match (scan_parts(&a, pairs), scan_parts(&b, pairs)) {
                (Some((ca, ka)), Some((cb, kb))) => {
                    let complete = argv.get(at).is_some_and(|c| c.as_slice() == b"0") && ca == b"0" && cb == b"0";
                    !complete || ka == kb
                }
                _ => false,
            }
        }
        Norm::Sample => same_sample(&a, &b),
        Norm::Idle => mask_ints(&a) == mask_ints(&b),
        Norm::Clocked => {
            return match (mask_ints(&a) == mask_ints(&b), same_kind(&a, &b)) {
                (true, _) => Verdict::Same,
                (false, true) => Verdict::EndRound,
                (false, false) => Verdict::Differ,
            };
        }
        Norm::Popped => {
            return if same_sample(&a, &b) { Verdict::EndRound } else { Verdict::Differ };
        }
        Norm::Time => match (&a, &b) {
            (Reply::Array(x), Reply::Array(y)) if x.len() == 2 && y.len() == 2 => {
                let num = |r: &Reply| r.as_bytes().and_then(|s| std::str::from_utf8(s).ok()?.parse::<i64>().ok());
                let secs = num(&x[0]).zip(num(&y[0])).is_some_and(|(s, t)| s.abs_diff(t) <= 2);
                secs && num(&x[1]).is_some() && num(&y[1]).is_some()
            }
            _ => false,
        },
        Norm::Shape => same_kind(&a, &b),
        // A hashtable set or hash (type 2 or 4) lists its elements in hash order.
        Norm::Payload => match (text_of(&a), text_of(&b)) {
            (Some(x), Some(y)) => x.len() == y.len() && x.first() == y.first() && matches!(x.first(), Some(2 | 4)),
            _ => false,
        },
        Norm::ClientFields => match (text_of(&a), text_of(&b)) {
            (Some(x), Some(y)) => same_kind(&a, &b) && mask_client_fields(x) == mask_client_fields(y),
            _ => false,
        },
        Norm::Hello => render(&mask_hello(&a), true, false) == render(&mask_hello(&b), true, false),
        Norm::Info => match (text_of(&a), text_of(&b)) {
            (Some(x), Some(y)) => same_kind(&a, &b) && info_names(x) == info_names(y),
            _ => false,
        },
        Norm::RandomKey => {
            return match (a, b) {
                (Reply::Bulk(x), Reply::Bulk(y)) => Verdict::CheckKeys(x.to_vec(), y.to_vec()),
                _ => Verdict::Differ,
            }
        }
    };
    if same {
        Verdict::Same
    } else {
        Verdict::Differ
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::encode;

    fn raw(r: &Reply, resp3: bool) -> Vec<u8> {
        let mut out = Vec::new();
        encode(r, resp3, &mut out);
        out
    }

    fn bulks(items: &[&str]) -> Reply {
        Reply::Array(items.iter().map(|s| Reply::bulk(s.to_string())).collect())
    }

    fn cmp(norm: Norm, argv: &[&str], a: &Reply, b: &Reply) -> Verdict {
        let argv: Vec<Vec<u8>> = argv.iter().map(|s| s.as_bytes().to_vec()).collect();
        compare(norm, &argv, &raw(a, false), &raw(b, false))
    }

    #[test]
    fn errors_and_exact_replies_are_compared_byte_for_byte() {
        let e1 = Reply::err("ERR a");
        assert_eq!(cmp(Norm::Unordered, &["KEYS"], &e1, &Reply::err("ERR b")), Verdict::Differ);
        assert_eq!(cmp(Norm::Shape, &["CLIENT", "ID"], &e1, &Reply::Int(3)), Verdict::Differ);
        assert_eq!(cmp(Norm::Exact, &["GET"], &Reply::bulk("a"), &Reply::bulk("a")), Verdict::Same);
        assert_eq!(cmp(Norm::Exact, &["GET"], &Reply::bulk("a"), &Reply::bulk("b")), Verdict::Differ);
    }

    #[test]
    fn unordered_and_pairs() {
        assert_eq!(cmp(Norm::Unordered, &["KEYS"], &bulks(&["a", "b"]), &bulks(&["b", "a"])), Verdict::Same);
        assert_eq!(cmp(Norm::Unordered, &["KEYS"], &bulks(&["a", "b"]), &bulks(&["a"])), Verdict::Differ);
        let (p, q) = (bulks(&["x", "1", "y", "2"]), bulks(&["y", "2", "x", "1"]));
        assert_eq!(cmp(Norm::Pairs, &["CONFIG"], &p, &q), Verdict::Same);
        assert_eq!(cmp(Norm::Pairs, &["CONFIG"], &p, &bulks(&["x", "2", "y", "1"])), Verdict::Differ);
    }

    #[test]
    fn command_docs_prose_is_masked() {
        let doc = |summary: &str, since: &str| {
            Reply::Array(vec![
                Reply::bulk("get"),
                Reply::Array(vec![
                    Reply::bulk("summary"),
                    Reply::bulk(summary.to_string()),
                    Reply::bulk("since"),
                    Reply::bulk(since.to_string()),
                ]),
            ])
        };
        assert_eq!(
            cmp(Norm::CommandTable, &["COMMAND"], &doc("Ours", "1.0.0"), &doc("Theirs", "1.0.0")),
            Verdict::Same
        );
        assert_eq!(
            cmp(Norm::CommandTable, &["COMMAND"], &doc("Ours", "1.0.0"), &doc("Ours", "2.0.0")),
            Verdict::Differ
        );
    }

    #[test]
    fn every_command_tipped_nondeterministic_is_normalised() {
        let p = crate::Profile::redis(7, 0, 15);
        let g = super::super::gen::Generator::new(p);
        let mut tipped_seen = 0;
        for name in g.commands() {
            let spec = crate::spec::all_commands()
                .iter()
                .flat_map(|c| std::iter::once(*c).chain(c.subcommands.iter().copied()))
                .find(|c| c.fullname == name)
                .expect("generated commands are in the table");
            let tipped =
                spec.tips_for(&p).iter().any(|t| t.to_ascii_lowercase().starts_with("nondeterministic_output"));
            let excused = EXACT_DESPITE_TIPS.iter().any(|(n, _)| *n == name);
            tipped_seen += usize::from(tipped);
            if tipped && !excused {
                assert_ne!(
                    for_command(name),
                    Norm::Exact,
                    "{name} is tipped nondeterministic: give it a normalisation"
                );
            }
        }
        assert!(tipped_seen >= 10, "the tips are read ({tipped_seen} tipped commands)");
    }

    #[test]
    fn tolerances() {
        let t = |a, b| cmp(Norm::Within(1), &["TTL"], &Reply::Int(a), &Reply::Int(b));
        assert_eq!(t(100, 99), Verdict::Same);
        assert_eq!(t(100, 98), Verdict::Differ);
        assert_eq!(t(-1, -2), Verdict::Differ);
        assert_eq!(t(0, -2), Verdict::Differ);
    }

    #[test]
    fn scan_compares_sets_only_for_complete_scans() {
        let r = |c: &str, k: &[&str]| Reply::Array(vec![Reply::bulk(c.to_string()), bulks(k)]);
        assert_eq!(cmp(Norm::Scan, &["SCAN", "0"], &r("0", &["a", "b"]), &r("0", &["b", "a"])), Verdict::Same);
        assert_eq!(cmp(Norm::Scan, &["SCAN", "0"], &r("0", &["a", "b"]), &r("0", &["a"])), Verdict::Differ);
        assert_eq!(cmp(Norm::Scan, &["SCAN", "0"], &r("2", &["a"]), &r("0", &["b", "a"])), Verdict::Same);
        assert_eq!(cmp(Norm::Scan, &["SCAN", "3"], &r("0", &["a"]), &r("0", &["b"])), Verdict::Same);
        assert_eq!(cmp(Norm::Scan, &["SCAN", "3"], &r("0", &["a"]), &r("0", &["b", "b"])), Verdict::Differ);
    }

    #[test]
    fn client_fields_and_hello_mask_ids() {
        let a = Reply::bulk("id=3 addr=127.0.0.1:5 name=x db=0 cmd=client|info\n");
        let b = Reply::bulk("id=9 addr=127.0.0.1:6 name=x db=0 cmd=client|info\n");
        let c = Reply::bulk("id=9 addr=127.0.0.1:6 name=y db=0 cmd=client|info\n");
        assert_eq!(cmp(Norm::ClientFields, &["CLIENT", "INFO"], &a, &b), Verdict::Same);
        assert_eq!(cmp(Norm::ClientFields, &["CLIENT", "INFO"], &a, &c), Verdict::Differ);
        let h = |id| Reply::Array(vec![Reply::bulk("server"), Reply::bulk("redis"), Reply::bulk("id"), Reply::Int(id)]);
        assert_eq!(cmp(Norm::Hello, &["HELLO"], &h(3), &h(4)), Verdict::Same);
    }

    #[test]
    fn info_compares_names_and_randomkey_asks_for_a_check() {
        let a = Reply::bulk("# Server\r\nredis_version:7.0.15\r\nprocess_id:1\r\n");
        let b = Reply::bulk("# Server\r\nredis_version:7.0.15\r\nprocess_id:2\r\n");
        let c = Reply::bulk("# Server\r\nredis_version:7.0.15\r\n");
        assert_eq!(cmp(Norm::Info, &["INFO"], &a, &b), Verdict::Same);
        assert_eq!(cmp(Norm::Info, &["INFO"], &a, &c), Verdict::Differ);
        assert_eq!(
            cmp(Norm::RandomKey, &["RANDOMKEY"], &Reply::bulk("a"), &Reply::bulk("b")),
            Verdict::CheckKeys(b"a".to_vec(), b"b".to_vec())
        );
        assert_eq!(cmp(Norm::RandomKey, &["RANDOMKEY"], &Reply::Nil, &Reply::bulk("b")), Verdict::Differ);
    }

    #[test]
    fn clocked_replies_mask_their_times_and_end_the_round_when_ids_differ() {
        let pending = |idle| {
            Reply::Array(vec![Reply::Array(vec![
                Reply::bulk("1-1"),
                Reply::bulk("c"),
                Reply::Int(idle),
                Reply::Int(1),
            ])])
        };
        assert_eq!(cmp(Norm::Idle, &["XPENDING"], &pending(3), &pending(5)), Verdict::Same);
        let other =
            Reply::Array(vec![Reply::Array(vec![Reply::bulk("1-1"), Reply::bulk("d"), Reply::Int(3), Reply::Int(1)])]);
        assert_eq!(cmp(Norm::Idle, &["XPENDING"], &pending(3), &other), Verdict::Differ);
        let (a, b) = (Reply::bulk("1700000000000-0"), Reply::bulk("1700000000001-0"));
        assert_eq!(cmp(Norm::Clocked, &["XADD", "s", "*", "f", "v"], &a, &b), Verdict::EndRound);
        assert_eq!(cmp(Norm::Clocked, &["XADD"], &a, &Reply::Int(1)), Verdict::Differ);
    }
}
