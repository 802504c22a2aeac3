//! RESTORE fed damaged payloads: a value (any type, streams with groups too) the input builds is DUMPed, its body mutated
//! (bytes overwritten, cut short, extended) or replaced by raw input, then sealed again with
//! the right RDB version and checksum so that the body, not the footer, is what is tested.
//! Oracles: no panic and no runaway allocation; the reply is OK or `Bad data format`; a
//! restored key answers its type's reads and writes, and DUMPs to a payload that restores
//! to the same payload again; an unmutated payload comes back byte for byte.

use super::Input;
use crate::spec::Profile;
use crate::{Reply, Server};

fn w(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// A short element: an integer of some width, a word, or a longer run that LZF compresses.
fn element(u: &mut Input<'_>) -> Vec<u8> {
    match u.below(5) {
        0 => (i64::from(u.u32() as i32) >> u.below(32)).to_string().into_bytes(),
        1 => u.pick(&["0", "-1", "127", "128", "-4096", "9223372036854775807", "1.5"]).as_bytes().to_vec(),
        2 => vec![b'a' + u.below(26) as u8; 1 + u.below(120)],
        _ => u.bytes(12).to_vec(),
    }
}

/// Commands that build the source value at `src` (one type, a few elements).
fn build(u: &mut Input<'_>) -> Vec<Vec<Vec<u8>>> {
    let kind = u.below(6);
    let most = if u.ratio(1, 4) { 300 } else { 8 };
    let n = 1 + u.below(most);
    let mut cmds = Vec::new();
    for i in 0..n {
        let e = element(u);
        cmds.push(match kind {
            0 => vec![w("APPEND"), w("src"), e],
            1 => vec![w(if u.ratio(1, 3) { "LPUSH" } else { "RPUSH" }), w("src"), e],
            2 => vec![w("SADD"), w("src"), e],
            3 => vec![w("ZADD"), w("src"), (i64::from(u.byte()) - 100).to_string().into_bytes(), e],
            4 => vec![w("HSET"), w("src"), format!("f{i}").into_bytes(), e],
            _ => vec![
                w("XADD"),
                w("src"),
                format!("{}-{}", 1 + i / 3, i % 3).into_bytes(),
                w(if u.ratio(1, 4) { "g" } else { "f" }),
                e,
            ],
        });
        if kind == 5 && u.ratio(1, 8) {
            cmds.push(vec![w("XGROUP"), w("CREATE"), w("src"), format!("g{i}").into_bytes(), w("0")]);
            cmds.push(vec![
                w("XREADGROUP"),
                w("GROUP"),
                format!("g{i}").into_bytes(),
                w("c"),
                w("COUNT"),
                w("2"),
                w("STREAMS"),
                w("src"),
                w(">"),
            ]);
        }
        if kind == 0 {
            break;
        }
    }
    cmds
}

/// The damaged payload: the body of `good` mutated as the input says, resealed.
fn damage(u: &mut Input<'_>, good: &[u8], version: u16) -> Vec<u8> {
    let mut body = good[..good.len().saturating_sub(10)].to_vec();
    match u.below(4) {
        0 => {}
        1 => body = u.bytes(64).to_vec(),
        _ => {
            for _ in 0..1 + u.below(4) {
                match u.below(3) {
                    0 if !body.is_empty() => {
                        let at = u.below(body.len());
                        body[at] = u.byte();
                    }
                    1 => body.truncate(u.below(body.len() + 1)),
                    _ => body.extend_from_slice(u.bytes(8)),
                }
            }
        }
    }
    crate::rdb::seal(body, version)
}

/// A read and a write on a restored key of type `ty`.
fn exercise(ty: &[u8]) -> [Vec<Vec<u8>>; 2] {
    let k = w("dst");
    match ty {
        b"list" => [vec![w("LRANGE"), k.clone(), w("0"), w("-1")], vec![w("RPUSH"), k, w("x")]],
        b"set" => [vec![w("SMEMBERS"), k.clone()], vec![w("SADD"), k, w("x")]],
        b"zset" => [vec![w("ZRANGE"), k.clone(), w("0"), w("-1"), w("WITHSCORES")], vec![w("ZADD"), k, w("1"), w("x")]],
        b"hash" => [vec![w("HGETALL"), k.clone()], vec![w("HSET"), k, w("x"), w("y")]],
        b"stream" => [vec![w("XINFO"), w("STREAM"), k.clone(), w("FULL")], vec![w("XADD"), k, w("*"), w("x"), w("y")]],
        _ => [vec![w("GET"), k.clone()], vec![w("APPEND"), k, w("x")]],
    }
}

pub fn restore_payload(data: &[u8]) {
    let mut u = Input::new(data);
    let p = *u.pick(&[
        Profile::redis(7, 0, 15),
        Profile::redis(6, 2, 14),
        Profile::redis(7, 2, 5),
        Profile::redis(7, 4, 2),
    ]);
    let version = crate::rdb::version(&p);
    let server = Server::with_profile(p);
    let mut c = server.client();
    let mut run =
        |argv: &[Vec<u8>]| c.execute(argv).unwrap_or_else(|e| panic!("restore_payload on {p}: client error {e}"));
    for cmd in build(&mut u) {
        run(&cmd);
    }
    let Reply::Bulk(good) = run(&[w("DUMP"), w("src")]) else {
        panic!("restore_payload on {p}: DUMP src is not a payload")
    };
    let payload = damage(&mut u, &good, version);
    let good = good.to_vec();
    let got = run(&[w("RESTORE"), w("dst"), w("0"), payload.clone(), w("REPLACE")]);
    if got != Reply::OK {
        assert_eq!(got, Reply::err(crate::error::RESTORE_BAD_DATA), "restore_payload on {p}: {payload:?}");
        return;
    }
    let Reply::Simple(ty) = run(&[w("TYPE"), w("dst")]) else { panic!("restore_payload on {p}: TYPE") };
    let Reply::Bulk(again) = run(&[w("DUMP"), w("dst")]) else { panic!("restore_payload on {p}: DUMP dst") };
    if payload == good {
        assert_eq!(again, good, "restore_payload on {p}: a good payload does not come back as it was");
    }
    assert_eq!(
        run(&[w("RESTORE"), w("dst2"), w("0"), again.to_vec()]),
        Reply::OK,
        "restore_payload on {p}: re-RESTORE"
    );
    assert_eq!(run(&[w("DUMP"), w("dst2")]), Reply::Bulk(again), "restore_payload on {p}: DUMP is not stable");
    // The read must answer; the write only must not panic (a stream whose restored last ID
    // is the largest there is refuses XADD *, as Redis does).
    let [read, write] = exercise(ty.as_bytes());
    let r = run(&read);
    assert!(!matches!(&r, Reply::Error(_)), "restore_payload on {p}: {r:?}");
    run(&write);
}
