//! Seeded smoke runs of the fuzz generators and oracles in `fakeredis::fuzzing`, the same
//! ones the cargo-fuzz targets in `fuzz/` drive: a fixed xorshift stream of byte buffers
//! per target, so every `cargo test` replays the same inputs. A failure prints the oracle's
//! message and a command line that writes the input to a file and replays it under
//! `cargo fuzz run` (see `fuzz/README.md`).

use fakeredis::fuzzing;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A buffer of up to `max` bytes, drawn from `alphabet` when one is given.
    fn buf(&mut self, max: usize, alphabet: Option<&[u8]>) -> Vec<u8> {
        let len = (self.next() % (max as u64 + 1)) as usize;
        (0..len)
            .map(|_| {
                let r = self.next();
                match alphabet {
                    Some(a) => a[(r % a.len() as u64) as usize],
                    None => r as u8,
                }
            })
            .collect()
    }
}

/// Runs `f` on `n` inputs from `seed`; on a panic, reports which input it was.
fn run(name: &str, seed: u64, n: usize, max_len: usize, alphabet: Option<&[u8]>, f: fn(&[u8])) {
    let mut rng = Rng(seed);
    for i in 0..n {
        let input = rng.buf(max_len, alphabet);
        let r = std::panic::catch_unwind(|| f(&input));
        if let Err(e) = r {
            let msg = e
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| e.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            let hex: String = input.iter().map(|b| format!("\\x{b:02x}")).collect();
            panic!(
                "{name}: input #{i} (seed {seed:#x}) failed:\n{msg}\n\
                 replay: printf '{hex}' > /tmp/{name}.bin && RUSTC_BOOTSTRAP=1 cargo fuzz run {name} /tmp/{name}.bin"
            );
        }
    }
}

/// Bytes that RESP requests are made of, so random buffers often frame commands.
const RESP_ALPHABET: &[u8] = b"*$\r\n\r\n0123456789-+ \"'\\xaZ\t\0";

#[test]
fn resp_parser_smoke() {
    run("resp_parser", 0x5eed_0001, 10_000, 96, Some(RESP_ALPHABET), fuzzing::resp_parser);
    run("resp_parser", 0x5eed_0002, 10_000, 64, None, fuzzing::resp_parser);
}

#[test]
fn resp_parser_well_formed_commands() {
    // Well-formed pipelines of random commands (cut at random points by the oracle), then
    // the same bytes with one byte changed, inserted or removed.
    let mut rng = Rng(0x5eed_0003);
    for _ in 0..2_000 {
        let mut data = Vec::new();
        for _ in 0..1 + rng.next() % 4 {
            let argc = 1 + rng.next() % 4;
            let args: Vec<Vec<u8>> = (0..argc).map(|_| rng.buf(12, None)).collect();
            fakeredis::resp::encode_command(&args, &mut data);
        }
        fuzzing::resp_parser(&data);
        let at = (rng.next() % data.len() as u64) as usize;
        let b = RESP_ALPHABET[(rng.next() % RESP_ALPHABET.len() as u64) as usize];
        match rng.next() % 3 {
            0 => data[at] = b,
            1 => data.insert(at, b),
            _ => {
                data.remove(at);
            }
        }
        fuzzing::resp_parser(&data);
    }
}

#[test]
fn command_args_smoke() {
    run("command_args", 0x5eed_0004, 5_000, 64, None, fuzzing::command_args);
}

#[test]
fn model_ops_smoke() {
    run("model_ops", 0x5eed_0005, 2_000, 256, None, fuzzing::model_ops);
}

#[test]
fn model_collections_smoke() {
    run("model_collections", 0x5eed_0006, 2_000, 256, None, fuzzing::model_collections);
}

#[test]
fn restore_payload_smoke() {
    run("restore_payload", 0x5eed_0007, 3_000, 256, None, fuzzing::restore_payload);
}
