//! HyperLogLog against a model: the registers as a plain array (each the longest hash run any
//! added element produced for it, [`fakeredis::db::hll::pattern`]), checked through the
//! commands after random PFADDs, under random `hll-sparse-max-bytes` so that sparse strings
//! are edited, split and promoted at every size:
//! - PFDEBUG GETREG equals the model, and the stored string decodes to it (an independent
//!   reader of the sparse opcodes and of the dense 6-bit packing);
//! - a sparse and a dense HLL fed the same elements agree on every register and estimate;
//! - PFMERGE and a PFCOUNT of several keys equal the union (the register-wise maximum);
//! - the estimate is within four standard errors (4 x 1.04/sqrt(16384) = 3.25%) of the
//!   exact count, plus 2 for the smallest sets (the bound is loose enough that a seeded run
//!   cannot fail by chance at these sizes, tight enough to catch a wrong estimator).
//!
//! Seeded, so a failure repeats. The exact bytes and estimates are Redis's own: the
//! transcripts `hyperloglog*.txt` compare them with redis-server.

use fakeredis::db::hll;
use fakeredis::{Reply, Server};

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

type Client = fakeredis::Client;

fn cmd(c: &mut Client, args: &[&[u8]]) -> Reply {
    c.cmd(args.iter().copied()).expect("the embedded client answers")
}

fn int(r: Reply) -> i64 {
    match r {
        Reply::Int(n) => n,
        other => panic!("expected an integer, got {other:?}"),
    }
}

fn bytes(r: Reply) -> Vec<u8> {
    match r {
        Reply::Bulk(b) => b.to_vec(),
        other => panic!("expected a bulk string, got {other:?}"),
    }
}

fn getreg(c: &mut Client, key: &str) -> Vec<u8> {
    match cmd(c, &[b"PFDEBUG", b"GETREG", key.as_bytes()]) {
        Reply::Array(a) => a.into_iter().map(|r| int(r) as u8).collect(),
        other => panic!("expected the registers, got {other:?}"),
    }
}

/// The registers a stored HLL string holds, read without the library: the sparse opcodes
/// (which must cover exactly 16384 registers) or the dense packing.
fn decode(s: &[u8]) -> Vec<u8> {
    assert!(s.len() >= 16 && &s[..4] == b"HYLL", "an HLL header");
    let body = &s[16..];
    if s[4] == 0 {
        assert_eq!(body.len(), 12288, "dense size");
        return (0..16384)
            .map(|i| {
                let bit = i * 6;
                let lo = u16::from(body[bit / 8]);
                let hi = u16::from(*body.get(bit / 8 + 1).unwrap_or(&0));
                (((lo | (hi << 8)) >> (bit % 8)) & 63) as u8
            })
            .collect();
    }
    assert_eq!(s[4], 1, "sparse encoding byte");
    let mut regs = Vec::with_capacity(16384);
    let mut p = 0;
    while p < body.len() {
        let b = body[p];
        match b >> 6 {
            0 => regs.extend(std::iter::repeat_n(0, usize::from(b & 63) + 1)),
            1 => {
                let n = ((usize::from(b & 63) << 8) | usize::from(body[p + 1])) + 1;
                regs.extend(std::iter::repeat_n(0, n));
                p += 1;
            }
            _ => regs.extend(std::iter::repeat_n(((b >> 2) & 31) + 1, usize::from(b & 3) + 1)),
        }
        p += 1;
    }
    assert_eq!(regs.len(), 16384, "sparse opcodes cover every register");
    regs
}

fn within_error(estimate: i64, exact: usize) -> bool {
    let bound = (exact as f64 * 4.0 * 1.04 / 128.0).ceil() as i64 + 2;
    (estimate - exact as i64).abs() <= bound
}

fn add(c: &mut Client, key: &str, elements: &[Vec<u8>]) -> i64 {
    let mut args: Vec<&[u8]> = vec![b"PFADD", key.as_bytes()];
    args.extend(elements.iter().map(Vec::as_slice));
    int(cmd(c, &args))
}

fn element(rng: &mut Rng) -> Vec<u8> {
    let len = rng.below(12) as usize;
    (0..len).map(|_| b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.below(36) as usize]).collect()
}

#[test]
fn registers_estimates_and_merges_agree_with_the_model() {
    let server = Server::new();
    let mut c = server.client();
    let mut rng = Rng(0x0011_5eed);
    for round in 0..24 {
        let max_bytes = [0, 30, 100, 500, 3000, 3000, 12000][rng.below(7) as usize];
        cmd(&mut c, &[b"CONFIG", b"SET", b"hll-sparse-max-bytes", max_bytes.to_string().as_bytes()]);
        let (sparse, dense) = (format!("s{round}"), format!("d{round}"));
        assert_eq!(add(&mut c, &sparse, &[]), 1);
        add(&mut c, &dense, &[]);
        assert_eq!(int(cmd(&mut c, &[b"PFDEBUG", b"TODENSE", dense.as_bytes()])), 1);
        let target = [0usize, 1, 5, 40, 300, 1500, 4000, 20000][rng.below(8) as usize];
        let mut model = vec![0u8; 16384];
        let mut seen = std::collections::HashSet::new();
        while seen.len() < target {
            let batch: Vec<Vec<u8>> = (0..1 + rng.below(200)).map(|_| element(&mut rng)).collect();
            let mut changed = false;
            for e in &batch {
                let (i, n) = hll::pattern(e);
                changed |= n > model[i];
                model[i] = model[i].max(n);
                seen.insert(e.clone());
            }
            assert_eq!(add(&mut c, &sparse, &batch), i64::from(changed), "round {round}: PFADD's reply");
            add(&mut c, &dense, &batch);
            if rng.below(4) == 0 {
                let stored = bytes(cmd(&mut c, &[b"GET", sparse.as_bytes()]));
                assert_eq!(decode(&stored), model, "round {round}: the stored string after {} elements", seen.len());
            }
        }
        let stored = bytes(cmd(&mut c, &[b"GET", sparse.as_bytes()]));
        assert_eq!(decode(&stored), model, "round {round}: the stored string");
        let enc = cmd(&mut c, &[b"PFDEBUG", b"ENCODING", sparse.as_bytes()]);
        if stored[4] == 1 {
            assert!(stored.len() <= max_bytes.max(18), "round {round}: a sparse string within the limit");
            assert_eq!(enc, Reply::Simple("sparse".into()));
        } else {
            assert_eq!(enc, Reply::Simple("dense".into()));
        }
        assert_eq!(decode(&bytes(cmd(&mut c, &[b"GET", dense.as_bytes()]))), model, "round {round}: dense string");
        let count = int(cmd(&mut c, &[b"PFCOUNT", sparse.as_bytes()]));
        assert_eq!(count, int(cmd(&mut c, &[b"PFCOUNT", dense.as_bytes()])), "round {round}: sparse and dense");
        assert!(within_error(count, seen.len()), "round {round}: estimate {count} of {} distinct", seen.len());
        // The estimate is cached in the header, valid.
        let header = bytes(cmd(&mut c, &[b"GETRANGE", sparse.as_bytes(), b"8", b"15"]));
        assert_eq!(header, (count as u64).to_le_bytes(), "round {round}: cached cardinality");
        assert_eq!(getreg(&mut c, &sparse), model, "round {round}: GETREG");
    }
}

#[test]
fn merge_and_multi_key_count_are_the_union() {
    let server = Server::new();
    let mut c = server.client();
    let mut rng = Rng(0x3e56_e000);
    for round in 0..16 {
        let max_bytes = [30, 3000, 6000][rng.below(3) as usize];
        cmd(&mut c, &[b"CONFIG", b"SET", b"hll-sparse-max-bytes", max_bytes.to_string().as_bytes()]);
        let keys: Vec<String> = (0..1 + rng.below(4)).map(|k| format!("m{round}:{k}")).collect();
        let mut union = vec![0u8; 16384];
        let mut all = std::collections::HashSet::new();
        for k in &keys {
            let n = [0u64, 3, 100, 1000, 6000][rng.below(5) as usize];
            // Elements shared between the keys too: a prefix of a common sequence.
            let elements: Vec<Vec<u8>> = (0..n)
                .map(|i| if rng.below(3) == 0 { format!("shared{i}").into_bytes() } else { element(&mut rng) })
                .collect();
            for chunk in elements.chunks(500) {
                add(&mut c, k, chunk);
            }
            if elements.is_empty() {
                add(&mut c, k, &[]);
            }
            for e in &elements {
                let (i, n) = hll::pattern(e);
                union[i] = union[i].max(n);
                all.insert(e.clone());
            }
        }
        let dest = format!("u{round}");
        let mut args: Vec<&[u8]> = vec![b"PFMERGE", dest.as_bytes()];
        args.extend(keys.iter().map(|k| k.as_bytes()));
        assert_eq!(cmd(&mut c, &args), Reply::OK);
        assert_eq!(decode(&bytes(cmd(&mut c, &[b"GET", dest.as_bytes()]))), union, "round {round}: PFMERGE");
        let mut args: Vec<&[u8]> = vec![b"PFCOUNT"];
        args.extend(keys.iter().map(|k| k.as_bytes()));
        args.push(b"no-such-key");
        let together = int(cmd(&mut c, &args));
        let merged = int(cmd(&mut c, &[b"PFCOUNT", dest.as_bytes()]));
        assert_eq!(together, merged, "round {round}: PFCOUNT of the keys and of their merge");
        assert!(within_error(merged, all.len()), "round {round}: estimate {merged} of {} distinct", all.len());
        // One key fed everything holds the same registers.
        let one = format!("all{round}");
        let everything: Vec<Vec<u8>> = all.iter().cloned().collect();
        for chunk in everything.chunks(500) {
            add(&mut c, &one, chunk);
        }
        if everything.is_empty() {
            add(&mut c, &one, &[]);
        }
        assert_eq!(getreg(&mut c, &one), union, "round {round}: one key fed the union");
    }
}
