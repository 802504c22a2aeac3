//! The differential driver end to end against the live oracle (Debian's redis-server 7.0.15):
//! short seeded campaigns under RESP2 and RESP3 must show no divergence off the reviewed
//! list (`fuzz/difffuzz-known.txt`). The long campaigns run from `.ci/run` and by hand
//! (`fuzz/README.md`); the minimisation itself is tested against a planted bug in
//! `src/difffuzz/shrink.rs`.

mod common;

use fakeredis::difffuzz::endpoint::{Local, Tcp};
use fakeredis::difffuzz::known::{KnownList, DEFAULT};
use fakeredis::difffuzz::{Driver, Options};
use fakeredis::{Profile, Server};

fn campaign(port: u16, seed: u64, resp3: bool) {
    let mut oracle = Tcp::new(format!("127.0.0.1:{port}"));
    let mut fake = Local::new(Server::with_profile(Profile::redis(7, 0, 15)));
    let mut opts = Options::new(1500, seed);
    opts.resp3 = resp3;
    opts.known = KnownList::parse(DEFAULT).expect("the known list parses");
    let sum = Driver::new(&mut oracle, &mut fake, opts).expect("driver starts").run().expect("campaign runs");
    eprintln!("{} (seed {seed}, RESP{})", sum.last_line(), if resp3 { 3 } else { 2 });
    assert_eq!(sum.commands, 1500);
    let shown: Vec<&str> = sum.findings.iter().map(|f| f.transcript.as_str()).collect();
    assert_eq!(sum.unlisted(), 0, "divergences off the list:\n{}", shown.join("\n"));
}

#[test]
fn seeded_campaigns_agree_with_redis_server() {
    let Some(bin) = common::binary_or_skip() else { return };
    let real = common::start(&bin, "difffuzz");
    campaign(real.port, 1, false);
    campaign(real.port, 2, true);
}
