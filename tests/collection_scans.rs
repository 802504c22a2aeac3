//! HSCAN, SSCAN and ZSCAN keep SCAN's promise on hashtable-encoded collections: every
//! element present for the whole iteration is returned (exactly once here), whatever is
//! added and removed between calls, and the cursor ends at 0.

use std::collections::BTreeSet;

use fakeredis::{Reply, Server};

fn text(r: &Reply) -> Vec<u8> {
    match r {
        Reply::Bulk(b) => b.to_vec(),
        other => panic!("expected a bulk string, got {other:?}"),
    }
}

/// Walks `scan` (HSCAN/SSCAN/ZSCAN) over `key` with COUNT 7, running `churn(step)` between
/// calls; the elements seen (the first of each pair when `pairs`) and how many times each.
fn walk(
    c: &mut fakeredis::Client,
    scan: &str,
    key: &str,
    pairs: bool,
    mut churn: impl FnMut(&mut fakeredis::Client, usize),
) -> Vec<Vec<u8>> {
    let (mut cursor, mut seen, mut step) = ("0".to_string(), Vec::new(), 0);
    loop {
        let r = c.cmd([scan, key, cursor.as_str(), "COUNT", "7"]).unwrap();
        let Reply::Array(parts) = r else { panic!("{scan}: {r:?}") };
        let Reply::Array(items) = &parts[1] else { panic!("{scan}: {parts:?}") };
        let step_by = if pairs { 2 } else { 1 };
        seen.extend(items.iter().step_by(step_by).map(text));
        cursor = String::from_utf8(text(&parts[0])).unwrap();
        churn(c, step);
        step += 1;
        assert!(step < 10_000, "{scan}: the cursor must end");
        if cursor == "0" {
            return seen;
        }
    }
}

fn check(seen: Vec<Vec<u8>>, stable: &BTreeSet<Vec<u8>>) {
    let mut counts = std::collections::BTreeMap::new();
    for s in seen.iter().filter(|s| s.starts_with(b"s")) {
        *counts.entry(s.clone()).or_insert(0) += 1;
    }
    let got: BTreeSet<Vec<u8>> = counts.keys().cloned().collect();
    assert_eq!(&got, stable, "every stable element is returned");
    assert!(counts.values().all(|&n| n == 1), "and only once");
}

#[test]
fn collection_scans_return_every_stable_element_under_churn() {
    let server = Server::new();
    let mut c = server.client();
    let stable: BTreeSet<Vec<u8>> = (0..600).map(|i| format!("s{i}").into_bytes()).collect();
    for s in &stable {
        let s = std::str::from_utf8(s).unwrap();
        c.cmd(["HSET", "h", s, "v"]).unwrap();
        c.cmd(["SADD", "set", s]).unwrap();
        c.cmd(["ZADD", "z", "1", s]).unwrap();
    }
    for (t, k) in [("hash", "h"), ("set", "set"), ("zset", "z")] {
        let enc = c.cmd(["OBJECT", "ENCODING", k]).unwrap();
        assert_ne!(text(&enc), b"listpack", "{t} must be past the listpack limit");
    }
    let churn = |cmd_add: &'static str, cmd_del: &'static str, key: &'static str, with_value: bool| {
        move |c: &mut fakeredis::Client, step: usize| {
            let add = format!("t{step}");
            let mut a = vec![cmd_add, key];
            if cmd_add == "ZADD" {
                a.push("2");
            }
            a.push(&add);
            if with_value {
                a.push("v");
            }
            c.cmd(a).unwrap();
            if step >= 3 {
                let old = format!("t{}", step - 3);
                c.cmd([cmd_del, key, old.as_str()]).unwrap();
            }
        }
    };
    check(walk(&mut c, "HSCAN", "h", true, churn("HSET", "HDEL", "h", true)), &stable);
    check(walk(&mut c, "SSCAN", "set", false, churn("SADD", "SREM", "set", false)), &stable);
    check(walk(&mut c, "ZSCAN", "z", true, churn("ZADD", "ZREM", "z", false)), &stable);
}
