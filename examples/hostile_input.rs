//! Times the hostile-input cases of the spine-fidelity issue on the embedded server:
//! `cargo run --release --example hostile_input -- [keys|mget|bigkey] [n]` (`keys`: KEYS
//! and SCAN over n keys, default 1,000,000; `mget`: MGET of 1000 values of 1 MiB and the
//! peak memory; `bigkey`: SET EX and DEL of a 256 MiB key name). It prints figures for one
//! run; compare two commits on one machine.

use std::time::Instant;

use fakeredis::{Reply, Server};

/// Peak resident memory of this process so far, in MiB (Linux's VmHWM).
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn mget() {
    let server = Server::new();
    let mut c = server.client();
    let value = vec![b'v'; 1 << 20];
    for i in 0..1000 {
        c.cmd(vec![b"SET".to_vec(), format!("k{i}").into_bytes(), value.clone()]).expect("SET");
    }
    println!("1000 values of 1 MiB stored: peak {:.0} MiB", peak_mib());
    let t = Instant::now();
    let mut argv = vec!["MGET".to_string()];
    argv.extend((0..1000).map(|i| format!("k{i}")));
    let r = c.cmd(argv).expect("MGET");
    assert!(matches!(r, Reply::Array(ref v) if v.len() == 1000));
    println!("MGET of them: {:.3} s, peak {:.0} MiB", t.elapsed().as_secs_f64(), peak_mib());
}

fn bigkey() {
    let server = Server::new();
    let mut c = server.client();
    let key = vec![b'k'; 256 << 20];
    let t = Instant::now();
    c.cmd(vec![b"SET".to_vec(), key.clone(), b"v".to_vec(), b"EX".to_vec(), b"100".to_vec()]).expect("SET");
    println!("SET <256 MiB key> v EX 100: {:.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    c.cmd(vec![b"EXPIRE".to_vec(), key.clone(), b"200".to_vec()]).expect("EXPIRE");
    c.cmd(vec![b"DEL".to_vec(), key]).expect("DEL");
    println!("EXPIRE + DEL of it: {:.3} s, peak {:.0} MiB", t.elapsed().as_secs_f64(), peak_mib());
}

fn main() {
    let case = std::env::args().nth(1).unwrap_or_else(|| "keys".into());
    match case.as_str() {
        "mget" => return mget(),
        "bigkey" => return bigkey(),
        _ => {}
    }
    let n: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let server = Server::new();
    let mut c = server.client();
    let t = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut argv = vec!["MSET".to_string()];
        for i in chunk {
            argv.push(format!("key:{i}"));
            argv.push("v".into());
        }
        c.cmd(argv).expect("MSET");
    }
    println!("load {n} keys: {:.2} s", t.elapsed().as_secs_f64());

    let pattern = "[a-z]".repeat(2000);
    let t = Instant::now();
    let r = c.cmd(["KEYS", pattern.as_str()]).expect("KEYS");
    assert!(matches!(r, Reply::Array(ref v) if v.is_empty()));
    println!("KEYS <10 KB pattern> over {n} keys: {:.3} s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let mut cursor = "0".to_string();
    let (mut calls, mut seen) = (0u64, 0usize);
    loop {
        let r = c.cmd(["SCAN", cursor.as_str(), "COUNT", "10"]).expect("SCAN");
        let Reply::Array(parts) = r else { panic!("SCAN answers an array") };
        let (Some(Reply::Bulk(next)), Some(Reply::Array(keys))) = (parts.first(), parts.get(1)) else {
            panic!("SCAN answers [cursor, keys]")
        };
        seen += keys.len();
        calls += 1;
        cursor = String::from_utf8_lossy(next).into_owned();
        if cursor == "0" || (calls == 20 && t.elapsed().as_secs_f64() > 1.0) {
            break;
        }
    }
    let per_call = t.elapsed().as_secs_f64() / calls as f64;
    println!(
        "SCAN COUNT 10: {calls} calls, {seen} keys, {:.1} us a call (full pass of {n} keys ~ {:.1} s)",
        per_call * 1e6,
        per_call * (n as f64 / 10.0)
    );
}
