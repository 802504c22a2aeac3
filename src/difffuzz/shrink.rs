//! Minimisation: a divergent round prefix is cut down (delta debugging over the commands
//! before the divergent one, which stays last) to the shortest sequence whose last command
//! still diverges from a reset, and written out as a conformance transcript with the
//! oracle's replies as the expected ones: a failing test until the fake is fixed.

use super::endpoint::Raw;
use super::{Driver, Finding, Outcome, Step};
use crate::reply::Reply;
use crate::resp::parse_reply;
use crate::resp::render::{command_line, render};

/// At most this many replays per divergence.
const BUDGET: usize = 400;

/// Divergences of one kind are minimised once per campaign: the command and the first
/// line of each side's reply (errors up to their first word of detail).
pub fn kind(out: &Outcome) -> String {
    let head = |r: &Raw| match r {
        Raw::Closed => "closed".to_string(),
        Raw::Reply(b) => {
            let s = String::from_utf8_lossy(b);
            let first = s.split("\r\n").next().unwrap_or_default().to_string();
            if first.starts_with('-') {
                first.split(' ').take(3).collect::<Vec<_>>().join(" ")
            } else {
                first.chars().next().map(String::from).unwrap_or_default()
            }
        }
    };
    format!("{} {} {}", out.command, head(&out.oracle), head(&out.fake))
}

/// Whether `steps`, replayed from a reset, diverge (off the list) at their last command.
pub fn still_diverges(d: &mut Driver<'_>, steps: &[Step]) -> Result<bool, String> {
    let outs = d.replay(steps)?;
    let (Some(last), Some(step)) = (outs.last(), steps.last()) else { return Ok(false) };
    // After a random choice that made the keyspaces differ nothing compares.
    let cut = outs[..outs.len() - 1].iter().any(|o| o.end_round);
    Ok(!cut && d.unlisted(step, last))
}

/// Shrinks `seq` (its last command diverged) and renders the transcript.
pub fn minimise(d: &mut Driver<'_>, seq: &[Step], round: u64, index: usize) -> Result<Finding, String> {
    let original_len = seq.len();
    let reproduced = still_diverges(d, seq)?;
    let mut steps = seq.to_vec();
    if reproduced {
        let last = steps.pop().expect("a divergent command");
        let mut prefix = steps;
        let tries = std::cell::Cell::new(0usize);
        let with = |d: &mut Driver<'_>, p: &[Step]| -> Result<bool, String> {
            tries.set(tries.get() + 1);
            let mut cand = p.to_vec();
            cand.push(last.clone());
            still_diverges(d, &cand)
        };
        if with(d, &[])? {
            prefix.clear();
        }
        // ddmin, complements only: drop one of n chunks while the divergence stays.
        let mut n = 2;
        while prefix.len() >= 2 && tries.get() < BUDGET {
            let chunk = prefix.len().div_ceil(n);
            let mut reduced = None;
            for i in 0..n {
                let (lo, hi) = (i * chunk, ((i + 1) * chunk).min(prefix.len()));
                if lo >= hi {
                    continue;
                }
                let cand: Vec<Step> = prefix[..lo].iter().chain(&prefix[hi..]).cloned().collect();
                if with(d, &cand)? {
                    reduced = Some(cand);
                    break;
                }
            }
            if let Some(cand) = reduced {
                prefix = cand;
                n = (n - 1).max(2);
            } else {
                if n >= prefix.len() {
                    break;
                }
                n = (n * 2).min(prefix.len());
            }
        }
        if prefix.len() == 1 && with(d, &[])? {
            prefix.clear();
        }
        prefix.push(last);
        steps = prefix;
    }
    let outs = d.replay(&steps)?;
    let profile = d.opts.profile;
    let header = format!(
        "# Found by difffuzz: seed {}{}, round {round}; minimised from {original_len} to {} commands{}.",
        d.opts.seed,
        if d.opts.resp3 { " --resp 3" } else { "" },
        steps.len(),
        if reproduced { "" } else { " (it did not diverge again on replay: timing?)" }
    );
    let transcript = transcript(&header, &profile.to_string(), &steps, &outs);
    let command = outs.last().map_or("(none)", |o| o.command).to_string();
    let path = match &d.opts.out_dir {
        None => None,
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let name = format!("difffuzz-{}-{index}-{}.txt", d.opts.seed, command.replace('|', "-"));
            let p = dir.join(name);
            std::fs::write(&p, &transcript).map_err(|e| format!("{}: {e}", p.display()))?;
            Some(p)
        }
    };
    Ok(Finding { command, steps, original_len, reproduced, transcript, path })
}

fn rendered(raw: &Raw, resp3: bool, sort: bool) -> Option<String> {
    match raw {
        Raw::Closed => None,
        Raw::Reply(b) => match parse_reply(b) {
            Ok(Some((r, _))) => Some(render(&r, resp3, sort)),
            _ => Some(render(&Reply::err(format!("unparsable: {}", String::from_utf8_lossy(b))), resp3, sort)),
        },
    }
}

/// The transcript of `steps` with the oracle's replies as expected (`tests/transcripts/`).
pub fn transcript(header: &str, profile: &str, steps: &[Step], outs: &[Outcome]) -> String {
    let mut t = String::new();
    t.push_str(header);
    t.push('\n');
    if let Some(last) = outs.last() {
        let show = |r: &Raw, sort| rendered(r, last.resp3, sort).unwrap_or_else(|| "(connection closed)".into());
        t.push_str(&format!("# redis-server: {}\n", show(&last.oracle, false)));
        t.push_str(&format!("# fakeredis:    {}\n", show(&last.fake, false)));
    }
    t.push_str("# Once the fake is fixed, keep it as a regression test in tests/transcripts/.\n");
    t.push_str(&format!("@profile {profile}\n\n"));
    for (i, (s, o)) in steps.iter().zip(outs).enumerate() {
        let last = i + 1 == steps.len();
        let prefix = if s.conn == 1 { String::new() } else { s.conn.to_string() };
        let directive = o.norm.directive();
        match &directive {
            Some(d) if !d.is_empty() => t.push_str(&format!("{d}\n")),
            None if !last => {
                t.push_str(&format!("# (reply not checked: compared by {:?} in src/difffuzz/norm.rs)\n", o.norm))
            }
            _ => {}
        }
        t.push_str(&format!("{prefix}> {}\n", command_line(&s.argv)));
        let sort = directive.as_deref() == Some("!sort");
        if directive.is_some() || last {
            if let Some(r) = rendered(&o.oracle, o.resp3, sort) {
                t.push_str(&r);
                t.push('\n');
            }
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::super::endpoint::{Endpoint, Local};
    use super::super::{Driver, Options, Step};
    use super::*;
    use crate::{Profile, Server};

    /// The fake with a planted bug: STRLEN answers one too many once the key was APPENDed to.
    struct Buggy {
        inner: Local,
        appended: bool,
    }

    impl Endpoint for Buggy {
        fn call(&mut self, conn: usize, argv: &[Vec<u8>]) -> Result<Raw, String> {
            let name = argv[0].to_ascii_lowercase();
            if name == b"append" {
                self.appended = true;
            }
            if name == b"flushall" {
                self.appended = false;
            }
            let r = self.inner.call(conn, argv)?;
            Ok(match r {
                Raw::Reply(b) if name == b"strlen" && self.appended && b.starts_with(b":") => {
                    let n: i64 = String::from_utf8_lossy(&b[1..b.len() - 2]).parse().unwrap_or(0);
                    Raw::Reply(format!(":{}\r\n", n + 1).into_bytes())
                }
                other => other,
            })
        }
        fn close(&mut self, conn: usize) {
            self.inner.close(conn)
        }
        fn name(&self) -> String {
            "buggy".into()
        }
    }

    fn argv(s: &str) -> Vec<Vec<u8>> {
        s.split(' ').map(|a| a.as_bytes().to_vec()).collect()
    }

    #[test]
    fn a_planted_divergence_is_minimised_into_a_failing_transcript() {
        let p = Profile::redis(7, 0, 15);
        let mut oracle = Local::new(Server::with_profile(p));
        let mut fake = Buggy { inner: Local::new(Server::with_profile(p)), appended: false };
        let mut d = Driver::new(&mut oracle, &mut fake, Options::new(0, 7)).expect("driver starts");
        let mut seq: Vec<Step> =
            ["SET a 1", "SET b xy", "INCR a", "APPEND b z", "GET b", "DEL c", "SET c 5", "STRLEN b"]
                .iter()
                .map(|s| Step { conn: if s.starts_with("DEL") { 2 } else { 1 }, argv: argv(s) })
                .collect();
        seq.insert(3, Step { conn: 2, argv: argv("PING") });
        let f = minimise(&mut d, &seq, 1, 0).expect("minimises");
        assert!(f.reproduced);
        assert_eq!(f.command, "strlen");
        let lines: Vec<String> = f.steps.iter().map(|s| command_line(&s.argv)).collect();
        // The SET before APPEND goes too: APPEND to a missing key shows the bug as well.
        assert_eq!(lines, ["APPEND b z", "STRLEN b"], "{}", f.transcript);
        assert!(f.transcript.contains("@profile redis 7.0.15\n"), "{}", f.transcript);
        assert!(f.transcript.ends_with("\n> APPEND b z\n:1\n> STRLEN b\n:1\n"), "{}", f.transcript);
        assert!(f.transcript.contains("# fakeredis:    :2\n"), "{}", f.transcript);
    }

    #[test]
    fn identical_sides_agree_for_a_whole_campaign() {
        let p = Profile::redis(7, 0, 15);
        let (mut a, mut b) = (Local::new(Server::with_profile(p)), Local::new(Server::with_profile(p)));
        for resp3 in [false, true] {
            let mut o = Options::new(3000, 11);
            o.resp3 = resp3;
            let sum = Driver::new(&mut a, &mut b, o).expect("driver").run().expect("campaign runs");
            assert_eq!(sum.commands, 3000);
            assert_eq!(sum.divergences, 0, "{:?}", sum.findings.first().map(|f| &f.transcript));
        }
    }
}
