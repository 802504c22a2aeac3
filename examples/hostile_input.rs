//! Times the hostile-input cases of the spine-fidelity issue on the embedded server:
//! `cargo run --release --example hostile_input -- [keys]` (default 1,000,000 keys).
//! It prints wall-clock figures for one run; compare two commits on one machine.

use std::time::Instant;

use fakeredis::{Reply, Server};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
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
