//! The differential driver (`difffuzz`, `fuzz/README.md`): random command sequences sent to
//! a live redis-server and to the fake pinned to the same version, every reply compared
//! byte for byte (or by a documented normalisation, [`norm`]), each divergence not on the
//! reviewed list ([`known`]) shrunk to the shortest sequence that still diverges and written
//! out as a conformance transcript.
//!
//! A campaign runs in rounds: the driver resets both servers through its own connection 0
//! (FLUSHALL, every settable CONFIG parameter back to its start value, CONFIG RESETSTAT),
//! closes the generated connections, and sends one round of [`gen`]erated commands. An
//! unlisted divergence ends its round (the two keyspaces may differ from then on); the
//! round's commands up to it are replayed from a reset to minimise it. Everything follows
//! from the seed: a round's commands do not depend on the replies.
//!
//! The parts: [`endpoint`] (the two sides: TCP, or the fake in-process), [`gen`] (the
//! sequences), [`norm`] (comparisons), [`known`] (the accepted list), [`shrink`]
//! (minimisation and the transcripts it writes).

pub mod endpoint;
pub mod gen;
pub mod known;
pub mod lua;
pub mod norm;
pub mod shrink;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::dispatch;
use crate::fuzzing::Input;
use crate::spec::Profile;
use endpoint::{Endpoint, Raw};
use known::KnownList;
use norm::{Norm, Verdict};

/// One generated command: the connection it goes to (1 or 2) and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub conn: usize,
    pub argv: Vec<Vec<u8>>,
}

/// What a campaign does.
#[derive(Debug, Clone)]
pub struct Options {
    /// Commands to send (each to both servers).
    pub commands: u64,
    pub seed: u64,
    /// Every connection starts with `HELLO 3`.
    pub resp3: bool,
    /// Commands per round.
    pub round_len: usize,
    /// Where minimised transcripts go (`None`: not written).
    pub out_dir: Option<PathBuf>,
    /// At most this many distinct divergences are minimised.
    pub max_reports: usize,
    pub known: KnownList,
    /// The profile the fake is pinned to and the commands are drawn for.
    pub profile: Profile,
    /// Counts commands sent (a watchdog can watch it).
    pub progress: Arc<AtomicU64>,
}

impl Options {
    pub fn new(commands: u64, seed: u64) -> Options {
        Options {
            commands,
            seed,
            resp3: false,
            round_len: 200,
            out_dir: None,
            max_reports: 10,
            known: KnownList::default(),
            profile: Profile::redis(7, 0, 15),
            progress: Arc::default(),
        }
    }
}

/// A divergence not on the list.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The full name of the command that diverged (`client|list`).
    pub command: String,
    /// The sequence that shows it, minimised (the divergent command last).
    pub steps: Vec<Step>,
    /// The length of the round prefix it was found with.
    pub original_len: usize,
    /// Whether a replay from a reset showed it again (if not, `steps` is the original).
    pub reproduced: bool,
    /// The transcript, rendered (and written when `out_dir` is set).
    pub transcript: String,
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub commands: u64,
    pub divergences: u64,
    pub known: u64,
    /// Commands replayed while minimising (not counted in `commands`).
    pub replayed: u64,
    pub findings: Vec<Finding>,
    /// Divergences found again after their kind was minimised once (or past `max_reports`).
    pub repeats: u64,
    /// Divergences that did not come back on three replays from a reset (races between
    /// the two servers' clocks), with their transcripts: reported, not counted.
    pub races: Vec<Finding>,
    /// Known divergences per entry of the list: (line, count).
    pub known_hits: Vec<(usize, u64)>,
    pub seconds: f64,
}

impl Summary {
    /// The last line a campaign prints.
    pub fn last_line(&self) -> String {
        format!(
            "difffuzz: {} commands, {} divergences ({} on the known list)",
            self.commands, self.divergences, self.known
        )
    }

    pub fn unlisted(&self) -> u64 {
        self.divergences - self.known
    }
}

/// Per-connection state the driver follows (from the oracle's replies) to render replies
/// and to check RANDOMKEY's answer in the right database.
#[derive(Debug, Clone, Copy, Default)]
struct ConnState {
    db: usize,
    resp3: bool,
}

/// What one step did on both sides.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub oracle: Raw,
    pub fake: Raw,
    pub command: &'static str,
    pub norm: Norm,
    pub same: bool,
    /// A random choice made the keyspaces differ (SPOP): later steps do not compare.
    pub end_round: bool,
    /// The connection speaks RESP3 after the command.
    pub resp3: bool,
    /// For an EXEC whose replies differ: the queued command whose reply differs (the
    /// known list is consulted for it).
    pub blame: Option<(&'static str, Vec<Vec<u8>>)>,
}

/// splitmix64: the campaign's random stream.
pub fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The commands of round `round` of a campaign with `seed`.
pub fn round_steps(g: &gen::Generator, seed: u64, round: u64, len: usize, resp3: bool) -> Vec<Step> {
    let mut x = seed ^ round.wrapping_mul(0xd1b5_4a32_d192_ed03);
    let mut fresh = [true; 3];
    let mut steps = Vec::with_capacity(len);
    while steps.len() < len {
        let conn = if splitmix(&mut x).is_multiple_of(7) { 2 } else { 1 };
        if resp3 && fresh[conn] {
            steps.push(Step { conn, argv: vec![b"HELLO".to_vec(), b"3".to_vec()] });
            fresh[conn] = false;
            continue;
        }
        let bytes: Vec<u8> = (0..64).flat_map(|_| splitmix(&mut x).to_le_bytes()).collect();
        let argv = g.command(&mut Input::new(&bytes));
        if argv[0].eq_ignore_ascii_case(b"quit") || argv[0].eq_ignore_ascii_case(b"reset") {
            fresh[conn] = true;
        }
        steps.push(Step { conn, argv });
    }
    steps
}

fn cmd(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

/// The two sides and what the driver knows about them.
pub struct Driver<'e> {
    pub oracle: &'e mut dyn Endpoint,
    pub fake: &'e mut dyn Endpoint,
    opts: Options,
    reset: Vec<Vec<Vec<u8>>>,
    conns: [ConnState; 3],
    /// Each connection's transaction being queued (as the oracle answered it).
    queues: [Option<Vec<Vec<Vec<u8>>>>; 3],
    replayed: u64,
}

impl<'e> Driver<'e> {
    /// Reads the oracle's start values of the settable parameters and checks that both
    /// sides accept the reset built from them.
    pub fn new(oracle: &'e mut dyn Endpoint, fake: &'e mut dyn Endpoint, opts: Options) -> Result<Driver<'e>, String> {
        let mut set = cmd(&["CONFIG", "SET"]);
        for p in gen::settable_params() {
            let Raw::Reply(raw) = oracle.call(0, &cmd(&["CONFIG", "GET", p]))? else {
                return Err("the oracle closed the driver's connection".into());
            };
            if let Some((crate::Reply::Array(kv) | crate::Reply::Set(kv), _)) =
                crate::resp::parse_reply(&raw).ok().flatten()
            {
                if let [k, v] = kv.as_slice() {
                    set.extend([k.as_bytes().unwrap_or_default().to_vec(), v.as_bytes().unwrap_or_default().to_vec()]);
                }
            }
        }
        let reset = vec![cmd(&["FLUSHALL"]), set, cmd(&["CONFIG", "RESETSTAT"])];
        let mut d = Driver {
            oracle,
            fake,
            opts,
            reset,
            conns: [ConnState::default(); 3],
            queues: Default::default(),
            replayed: 0,
        };
        d.reset()?;
        Ok(d)
    }

    /// Resets both servers through connection 0 and closes the generated connections.
    fn reset(&mut self) -> Result<(), String> {
        for c in &self.reset {
            let a = self.oracle.call(0, c)?;
            let b = self.fake.call(0, c)?;
            if a != Raw::Reply(b"+OK\r\n".to_vec()) || a != b {
                let line = crate::resp::render::command_line(c);
                return Err(format!("reset `{line}`: oracle {a:?}, fake {b:?}"));
            }
        }
        for conn in 1..3 {
            self.oracle.close(conn);
            self.fake.close(conn);
        }
        self.conns = [ConnState::default(); 3];
        self.queues = Default::default();
        Ok(())
    }

    /// Whether `key` exists in database `db` on one side (through connection 0).
    fn exists(side: &mut dyn Endpoint, db: usize, key: &[u8]) -> Result<bool, String> {
        let db = db.to_string();
        side.call(0, &cmd(&["SELECT", &db]))?;
        let r = side.call(0, &[b"EXISTS".to_vec(), key.to_vec()])?;
        side.call(0, &cmd(&["SELECT", "0"]))?;
        Ok(r == Raw::Reply(b":1\r\n".to_vec()))
    }

    /// Runs one step on both sides and compares.
    fn exec(&mut self, step: &Step) -> Result<Outcome, String> {
        let a = self.oracle.call(step.conn, &step.argv)?;
        let b = self.fake.call(step.conn, &step.argv)?;
        self.opts.progress.fetch_add(1, Ordering::Relaxed);
        let command = dispatch::resolve(&self.opts.profile, &step.argv).map_or("(unknown)", |c| c.fullname);
        let norm = norm::for_command(command);
        let state = self.conns[step.conn];
        let mut end_round = false;
        let queued = self.track_transaction(step, command, &a);
        let mut blame = None;
        let same = match (&a, &b) {
            (Raw::Closed, Raw::Closed) => true,
            (Raw::Reply(x), Raw::Reply(y)) => match match &queued {
                // A HELLO run by EXEC switches the protocol in the middle of its reply: Redis
                // writes each reply in the protocol it ran under, the fake the whole reply
                // in the final one (README, known differences). Nothing after compares.
                Some(q) if q.iter().any(|argv| argv.first().is_some_and(|n| n.eq_ignore_ascii_case(b"hello"))) => {
                    Verdict::EndRound
                }
                Some(q) => {
                    let (v, at) = norm::compare_exec(q, &self.opts.profile, state.resp3, x, y);
                    blame = at.and_then(|i| q.get(i)).map(|argv| {
                        (dispatch::resolve(&self.opts.profile, argv).map_or("(unknown)", |c| c.fullname), argv.clone())
                    });
                    v
                }
                None => norm::compare(norm, &step.argv, x, y),
            } {
                Verdict::Same => true,
                Verdict::Differ => false,
                Verdict::EndRound => {
                    end_round = true;
                    true
                }
                Verdict::CheckKeys(ka, kb) => {
                    Self::exists(self.oracle, state.db, &ka)? && Self::exists(self.fake, state.db, &kb)?
                }
            },
            _ => false,
        };
        self.follow(step, &a);
        self.follow_exec(step.conn, queued.as_deref(), &a);
        Ok(Outcome { oracle: a, fake: b, command, norm, same, end_round, resp3: self.conns[step.conn].resp3, blame })
    }

    /// Follows the connection's MULTI from the oracle's replies; for an EXEC, the commands it
    /// ran (each compared by its own normalisation).
    fn track_transaction(&mut self, step: &Step, command: &str, reply: &Raw) -> Option<Vec<Vec<Vec<u8>>>> {
        let Raw::Reply(r) = reply else {
            self.queues[step.conn] = None;
            return None;
        };
        let q = &mut self.queues[step.conn];
        match command {
            "multi" if r.as_slice() == b"+OK\r\n" => *q = Some(Vec::new()),
            "exec" => return q.take(),
            "discard" | "reset" | "quit" => *q = None,
            _ => {
                if let Some(queue) = q {
                    if r.as_slice() == b"+QUEUED\r\n" {
                        queue.push(step.argv.clone());
                    }
                }
            }
        }
        None
    }

    /// Follows the connection's database and protocol from the oracle's reply.
    fn follow(&mut self, step: &Step, reply: &Raw) {
        let st = &mut self.conns[step.conn];
        let Raw::Reply(r) = reply else {
            *st = ConnState::default();
            return;
        };
        let ok = !r.starts_with(b"-");
        let name = step.argv[0].to_ascii_lowercase();
        match name.as_slice() {
            // (In a transaction SELECT is only queued: EXEC's replies say whether it ran.)
            b"select" if r.as_slice() == b"+OK\r\n" => {
                st.db = step.argv.get(1).and_then(|a| std::str::from_utf8(a).ok()?.parse().ok()).unwrap_or(0)
            }
            b"hello" if ok => {
                if let Some(v) = step.argv.get(1) {
                    st.resp3 = v.as_slice() == b"3";
                }
            }
            b"reset" | b"quit" if ok => *st = ConnState::default(),
            _ => {}
        }
    }

    /// Follows the database through the SELECTs an EXEC ran (those it answered OK).
    fn follow_exec(&mut self, conn: usize, queued: Option<&[Vec<Vec<u8>>]>, reply: &Raw) {
        let (Some(queued), Raw::Reply(r)) = (queued, reply) else { return };
        let Ok(Some((crate::reply::Reply::Array(replies), _))) = crate::resp::parse_reply(r) else { return };
        for (argv, reply) in queued.iter().zip(&replies) {
            let selected =
                argv[0].eq_ignore_ascii_case(b"select") && matches!(reply, crate::reply::Reply::Simple(s) if s == "OK");
            if selected {
                self.conns[conn].db = argv.get(1).and_then(|a| std::str::from_utf8(a).ok()?.parse().ok()).unwrap_or(0);
            }
        }
    }

    /// Replays `steps` from a reset; the outcomes in order.
    pub fn replay(&mut self, steps: &[Step]) -> Result<Vec<Outcome>, String> {
        self.reset()?;
        let mut outs = Vec::with_capacity(steps.len());
        for s in steps {
            outs.push(self.exec(s)?);
        }
        self.replayed += steps.len() as u64;
        Ok(outs)
    }

    /// Whether an outcome is a divergence the list does not accept.
    fn unlisted(&self, step: &Step, out: &Outcome) -> bool {
        !out.same && self.known_entry(step, out).is_none()
    }

    /// The known-list entry that accepts a divergence (an EXEC's: its guilty command's).
    fn known_entry(&self, step: &Step, out: &Outcome) -> Option<&known::Entry> {
        match &out.blame {
            Some((name, argv)) => self.opts.known.find(name, argv),
            None => self.opts.known.find(out.command, &step.argv),
        }
    }

    /// Runs the campaign.
    pub fn run(&mut self) -> Result<Summary, String> {
        let started = Instant::now();
        let g = gen::Generator::new(self.opts.profile);
        let mut sum = Summary::default();
        let mut kinds: Vec<String> = Vec::new();
        let mut round = 0u64;
        while sum.commands < self.opts.commands {
            round += 1;
            let len = self.opts.round_len.min((self.opts.commands - sum.commands) as usize).max(1);
            let steps = round_steps(&g, self.opts.seed, round, len, self.opts.resp3);
            self.reset()?;
            for (i, step) in steps.iter().enumerate() {
                let out = self.exec(step)?;
                sum.commands += 1;
                if out.end_round {
                    // The keyspaces now differ by a random choice: nothing after compares.
                    break;
                }
                if out.same {
                    continue;
                }
                sum.divergences += 1;
                if let Some(e) = self.known_entry(step, &out) {
                    sum.known += 1;
                    match sum.known_hits.iter_mut().find(|(l, _)| *l == e.line) {
                        Some((_, n)) => *n += 1,
                        None => sum.known_hits.push((e.line, 1)),
                    }
                    continue;
                }
                // A divergence that two replays from a reset do not show again is a race
                // between two servers on the wall clock (a TTL compared in the same
                // millisecond, say), not a difference of the fake: reported, not counted.
                let prefix = &steps[..=i];
                if !shrink::still_diverges(self, prefix)? && !shrink::still_diverges(self, prefix)? {
                    sum.divergences -= 1;
                    let f = shrink::minimise(self, prefix, round, sum.findings.len() + sum.races.len() + 1)?;
                    if !f.reproduced {
                        eprintln!(
                            "difffuzz: a timing race in {} (round {round}; gone on three replays, not counted){}",
                            f.command,
                            f.path.as_ref().map(|p| format!(": {}", p.display())).unwrap_or_default()
                        );
                        sum.races.push(f);
                        break;
                    }
                    sum.divergences += 1;
                    eprintln!("difffuzz: divergence in {} (round {round}): came back on the third replay", f.command);
                    eprintln!("{}", f.transcript);
                    sum.findings.push(f);
                    break;
                }
                let kind = shrink::kind(&out);
                if kinds.contains(&kind) || sum.findings.len() >= self.opts.max_reports {
                    sum.repeats += 1;
                } else {
                    kinds.push(kind);
                    let f = shrink::minimise(self, prefix, round, sum.findings.len() + sum.races.len() + 1)?;
                    eprintln!(
                        "difffuzz: divergence in {} (round {round}, minimised from {} to {} commands{}){}",
                        f.command,
                        f.original_len,
                        f.steps.len(),
                        if f.reproduced { "" } else { "; not reproduced on replay" },
                        f.path.as_ref().map(|p| format!(": {}", p.display())).unwrap_or_default()
                    );
                    eprintln!("{}", f.transcript);
                    sum.findings.push(f);
                }
                break;
            }
        }
        // Leave both servers as they were found (a campaign may have set requirepass,
        // which a later connection would trip over).
        self.reset()?;
        sum.replayed = self.replayed;
        sum.seconds = started.elapsed().as_secs_f64();
        Ok(sum)
    }
}
