//! Conformance transcripts (tests/transcripts/*.txt, format in tests/transcripts/README.md):
//! every file runs in-process against the fake; every file not marked `@fake-only` also runs
//! against a real `redis-server` (Debian 7.0.15) started on a private port, one per file.
//! The real run is required when `CI` is set, and skipped (saying so) when the binary is
//! missing on a developer machine.

mod common;

use fakeredis::resp::render::{quote, render};
use fakeredis::resp::{encode, parse_reply, split_inline_args};
use fakeredis::{Client, Profile, Reply, Server};
use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Default, Clone)]
struct Directives {
    sort: bool,
    approx: Option<i64>,
    pattern: bool,
}

#[derive(Debug)]
enum Step {
    Cmd {
        line: usize,
        client: usize,
        args: Vec<Vec<u8>>,
        dir: Directives,
        expected: Option<String>,
    },
    /// `N<`: the next frame client N receives (a push, or a blocked command's reply).
    Recv {
        line: usize,
        client: usize,
        dir: Directives,
        expected: Option<String>,
    },
    Advance {
        ms: u64,
    },
}

/// The expected line of a command that must not answer yet.
const BLOCKED: &str = "(blocked)";
/// The expected line of a command the server answers nothing to (CLIENT REPLY OFF ...).
const NO_REPLY: &str = "(no reply)";
/// The reply rendered for a command sent on a connection the server closed (CLIENT KILL).
const CLOSED: &str = "(connection closed)";

/// `N<` (or `<`): a read of client N's next frame.
fn is_recv(line: &str) -> Option<usize> {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if line[digits..].trim() != "<" {
        return None;
    }
    if digits == 0 {
        Some(1)
    } else {
        line[..digits].parse().ok()
    }
}

struct Transcript {
    path: PathBuf,
    profile: Profile,
    fake_only: bool,
    /// `@cluster`: the server runs in cluster mode, one node serving all 16384 slots.
    cluster: bool,
    /// `@config name value`: startup parameters (redis-server's `--name value`).
    config: Vec<(String, String)>,
    steps: Vec<Step>,
}

fn is_command(line: &str) -> Option<(usize, &str)> {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &line[digits..];
    let body = rest.strip_prefix("> ")?;
    let client = if digits == 0 { 1 } else { line[..digits].parse().ok()? };
    Some((client, body))
}

fn is_expected_line(line: &str) -> bool {
    let s = line.trim();
    !(s.is_empty()
        || is_command(line).is_some()
        || is_recv(line).is_some()
        || s.starts_with('!')
        || s.starts_with('@')
        || (s.starts_with('#') && s != "#t" && s != "#f"))
}

fn parse_transcript(path: &Path) -> Transcript {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines: Vec<&str> = text.lines().collect();
    let mut t = Transcript {
        path: path.to_path_buf(),
        profile: Profile::redis(7, 0, 15),
        fake_only: false,
        cluster: false,
        config: vec![],
        steps: vec![],
    };
    let mut pending = Directives::default();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let s = line.trim();
        let at = format!("{}:{}", path.display(), i + 1);
        if s.is_empty() || s.starts_with('#') {
            i += 1;
            continue;
        }
        if let Some(h) = s.strip_prefix('@') {
            let (name, rest) = h.split_once(' ').unwrap_or((h, ""));
            match name {
                "profile" => t.profile = rest.trim().parse().unwrap_or_else(|e| panic!("{at}: {e}")),
                "fake-only" => {
                    assert!(!rest.trim().is_empty(), "{at}: @fake-only needs a reason");
                    t.fake_only = true;
                }
                "cluster" => t.cluster = true,
                "config" => {
                    let (n, v) = rest.trim().split_once(' ').unwrap_or_else(|| panic!("{at}: @config name value"));
                    t.config.push((n.to_string(), v.trim().to_string()));
                }
                other => panic!("{at}: unknown header @{other}"),
            }
            i += 1;
            continue;
        }
        if let Some(d) = s.strip_prefix('!') {
            let (name, arg) = d.split_once(' ').unwrap_or((d, ""));
            match name {
                "sort" => pending.sort = true,
                "pattern" => pending.pattern = true,
                "approx" => {
                    pending.approx = Some(arg.trim().parse().unwrap_or_else(|_| panic!("{at}: !approx needs a number")))
                }
                "advance" => {
                    assert!(t.fake_only, "{at}: !advance needs @fake-only");
                    let arg = arg.trim();
                    let ms = match arg.strip_suffix("ms") {
                        Some(n) => n.parse::<u64>(),
                        None => arg.strip_suffix('s').unwrap_or(arg).parse::<u64>().map(|n| n * 1000),
                    };
                    t.steps.push(Step::Advance { ms: ms.unwrap_or_else(|_| panic!("{at}: bad !advance")) });
                }
                other => panic!("{at}: unknown directive !{other}"),
            }
            i += 1;
            continue;
        }
        if let Some(client) = is_recv(line) {
            let expected = lines.get(i + 1).filter(|l| is_expected_line(l)).map(|l| l.to_string());
            let step = i + 1;
            i += if expected.is_some() { 2 } else { 1 };
            t.steps.push(Step::Recv { line: step, client, dir: std::mem::take(&mut pending), expected });
            continue;
        }
        let Some((client, body)) = is_command(line) else { panic!("{at}: a reply line without a command: {line:?}") };
        let args = split_inline_args(body.as_bytes()).unwrap_or_else(|| panic!("{at}: unbalanced quotes"));
        assert!(!args.is_empty(), "{at}: empty command");
        let expected = lines.get(i + 1).filter(|l| is_expected_line(l)).map(|l| l.to_string());
        let step = i + 1;
        i += if expected.is_some() { 2 } else { 1 };
        t.steps.push(Step::Cmd { line: step, client, args, dir: std::mem::take(&mut pending), expected });
    }
    t
}

fn matches(dir: &Directives, rendered: &str, reply: &Reply, expected: &str) -> bool {
    if dir.pattern {
        return regex_lite::Regex::new(&format!("^(?:{expected})$")).is_ok_and(|re| re.is_match(rendered));
    }
    if let (Some(tol), Reply::Int(n)) = (dir.approx, reply) {
        if let Some(e) = expected.strip_prefix(':').and_then(|x| x.trim().parse::<i64>().ok()) {
            return (e - n).abs() <= tol;
        }
    }
    rendered == expected
}

/// Something that answers commands for numbered clients.
trait Target {
    /// The reply and whether the client speaks RESP3 after it; `None` when the command was
    /// expected to block (`blocks`) and the reply is left for a later read.
    fn run(&mut self, client: usize, args: &[Vec<u8>], blocks: bool) -> Result<Option<(Reply, bool)>, String>;
    /// The client's next frame.
    fn recv(&mut self, client: usize) -> Result<(Reply, bool), String>;
    /// Sends a command the server answers nothing to.
    fn run_silent(&mut self, client: usize, args: &[Vec<u8>]) -> Result<(), String>;
    fn advance(&mut self, ms: u64);
}

/// A reply through the real encoder and a reply parser, exactly as a socket carries it.
fn wire(reply: &Reply, resp3: bool) -> Reply {
    let mut bytes = Vec::new();
    encode(reply, resp3, &mut bytes);
    let (parsed, used) = parse_reply(&bytes).expect("encoder output parses").expect("complete reply");
    assert_eq!(used, bytes.len(), "encoder wrote one reply");
    parsed
}

struct Fake {
    server: Server,
    /// Each client, and the frames it received that the transcript has not read yet.
    clients: BTreeMap<usize, (Client, VecDeque<Reply>)>,
}

impl Target for Fake {
    fn run(&mut self, client: usize, args: &[Vec<u8>], blocks: bool) -> Result<Option<(Reply, bool)>, String> {
        let server = self.server.clone();
        if self.clients.get(&client).is_some_and(|(c, _)| c.is_closed()) {
            // Closed by the server (CLIENT KILL of itself): as the recorder renders it.
            self.clients.remove(&client);
            return Ok(Some((Reply::err(CLOSED), false)));
        }
        let (c, wire_queue) = self.clients.entry(client).or_insert_with(|| (server.client(), VecDeque::new()));
        // A transcript reads every frame a client receives before it sends again.
        let unread = c.pending() + wire_queue.len();
        if unread > 0 {
            return Err(format!("client {client} has {unread} unread frames"));
        }
        // As a connection writes them: frames queued before, the reply, frames after.
        let mut frames = Vec::new();
        if c.submit_into(args, &mut frames).is_err() {
            self.clients.remove(&client);
            return Ok(Some((Reply::err(CLOSED), false)));
        }
        let resp3 = c.protocol() == 3;
        wire_queue.extend(frames.iter().map(|f| wire(f.reply(), resp3)));
        if args[0].eq_ignore_ascii_case(b"QUIT") && c.is_closed() {
            // The next command on this client opens a new connection, as the recorder does.
            let reply = wire_queue.pop_front();
            self.clients.remove(&client);
            return Ok(reply.map(|r| (r, resp3)));
        }
        match (c.is_waiting(), blocks) {
            (true, true) => Ok(None),
            (true, false) => Err("the command blocked".into()),
            (false, true) => {
                Err(format!("expected the command to block; it answered {}", render(&wire_queue[0], resp3, false)))
            }
            // The reply goes out in the protocol in force after the command (HELLO first).
            (false, false) => Ok(wire_queue.pop_front().map(|r| (r, resp3))),
        }
    }

    fn run_silent(&mut self, client: usize, args: &[Vec<u8>]) -> Result<(), String> {
        let server = self.server.clone();
        let (c, wire_queue) = self.clients.entry(client).or_insert_with(|| (server.client(), VecDeque::new()));
        let mut frames = Vec::new();
        c.submit_into(args, &mut frames).map_err(|e| e.to_string())?;
        if c.is_waiting() || !frames.is_empty() || !wire_queue.is_empty() {
            let resp3 = c.protocol() == 3;
            let sent: Vec<String> = frames.iter().map(|f| render(&wire(f.reply(), resp3), resp3, false)).collect();
            return Err(format!("expected no reply; the fake sent {sent:?}"));
        }
        Ok(())
    }

    fn recv(&mut self, client: usize) -> Result<(Reply, bool), String> {
        let server = self.server.clone();
        let (c, wire_queue) = self.clients.get_mut(&client).ok_or("no such client")?;
        if wire_queue.is_empty() && c.pending() == 0 {
            // Waiting, on the fake's stopped clock, is moving it to the next deadline.
            if let Some(d) = c.block_deadline() {
                let now = server.clock().now_ms();
                server.advance(Duration::from_millis((d - now + 1).max(0) as u64));
            }
        }
        let mut frames = Vec::new();
        c.drain_into(&mut frames).map_err(|e| e.to_string())?;
        let resp3 = c.protocol() == 3;
        wire_queue.extend(frames.iter().map(|f| wire(f.reply(), resp3)));
        wire_queue.pop_front().map(|r| (r, resp3)).ok_or_else(|| "nothing came".to_string())
    }

    fn advance(&mut self, ms: u64) {
        self.server.advance(Duration::from_millis(ms));
    }
}

struct Real {
    port: u16,
    clients: BTreeMap<usize, (TcpStream, Vec<u8>, bool)>,
}

impl Real {
    fn conn(&mut self, client: usize) -> &mut (TcpStream, Vec<u8>, bool) {
        let port = self.port;
        self.clients.entry(client).or_insert_with(|| {
            let s = TcpStream::connect(("127.0.0.1", port)).expect("connect to redis-server");
            s.set_read_timeout(Some(Duration::from_secs(10))).ok();
            (s, Vec::new(), false)
        })
    }

    fn read_frame(&mut self, client: usize) -> Result<Reply, String> {
        let (stream, buf, _) = self.conn(client);
        loop {
            if let Some((r, used)) = parse_reply(buf).expect("redis-server reply parses") {
                buf.drain(..used);
                return Ok(r);
            }
            let mut chunk = [0u8; 65536];
            let n = stream.read(&mut chunk).map_err(|e| format!("read from redis-server: {e}"))?;
            if n == 0 {
                return Err("redis-server closed the connection".into());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    }
}

impl Real {
    /// Waits until redis-server shows `client` blocked (`flags=b` on its CLIENT LIST line),
    /// so the next command of another client surely comes after the block.
    fn wait_blocked(&mut self, client: usize) -> Result<(), String> {
        let addr = self.conn(client).0.local_addr().map_err(|e| e.to_string())?.to_string();
        let mut control = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        control.set_read_timeout(Some(Duration::from_secs(10))).ok();
        let mut buf = Vec::new();
        for _ in 0..5000 {
            let mut out = Vec::new();
            fakeredis::resp::encode_command(&["CLIENT", "LIST"], &mut out);
            control.write_all(&out).map_err(|e| e.to_string())?;
            let list = loop {
                if let Some((r, used)) = parse_reply(&buf).expect("redis-server reply parses") {
                    buf.drain(..used);
                    break r;
                }
                let mut chunk = [0u8; 65536];
                let n = control.read(&mut chunk).map_err(|e| e.to_string())?;
                buf.extend_from_slice(&chunk[..n]);
            };
            let text = String::from_utf8_lossy(list.as_bytes().unwrap_or_default()).into_owned();
            let needle = format!("addr={addr} ");
            if text
                .lines()
                .any(|l| l.contains(&needle) && l.split(' ').any(|f| f.starts_with("flags=") && f.contains('b')))
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Err("redis-server never showed the client blocked".into())
    }
}

impl Target for Real {
    fn run(&mut self, client: usize, args: &[Vec<u8>], blocks: bool) -> Result<Option<(Reply, bool)>, String> {
        let mut out = Vec::new();
        fakeredis::resp::encode_command(args, &mut out);
        let sent = self.conn(client).0.write_all(&out);
        if blocks {
            self.wait_blocked(client)?;
            return Ok(None);
        }
        let r = match sent.map_err(|e| e.to_string()).and_then(|()| self.read_frame(client)) {
            Ok(r) => r,
            Err(_) => {
                // Closed by the server (CLIENT KILL): as the recorder renders it.
                self.clients.remove(&client);
                return Ok(Some((Reply::err(CLOSED), false)));
            }
        };
        let resp3 = &mut self.conn(client).2;
        let name = args[0].to_ascii_uppercase();
        if !r.is_error() {
            if name == b"HELLO" {
                if let Some(v) = args.get(1) {
                    *resp3 = v.as_slice() == b"3";
                }
            } else if name == b"RESET" {
                *resp3 = false;
            }
        }
        let now3 = *resp3;
        if name == b"QUIT" {
            self.clients.remove(&client);
        }
        Ok(Some((r, now3)))
    }

    fn run_silent(&mut self, client: usize, args: &[Vec<u8>]) -> Result<(), String> {
        let mut out = Vec::new();
        fakeredis::resp::encode_command(args, &mut out);
        self.conn(client).0.write_all(&out).map_err(|e| e.to_string())
    }

    fn recv(&mut self, client: usize) -> Result<(Reply, bool), String> {
        let r = self.read_frame(client)?;
        Ok((r, self.conn(client).2))
    }

    fn advance(&mut self, _ms: u64) {
        unreachable!("files with !advance are fake-only")
    }
}

/// `$id:N` arguments replaced by client N's id (asked once, with CLIENT ID on that client).
fn with_client_ids(target: &mut dyn Target, ids: &mut BTreeMap<usize, i64>, args: &[Vec<u8>]) -> Vec<Vec<u8>> {
    args.iter()
        .map(|a| {
            let Some(n) = a.strip_prefix(b"$id:").and_then(|n| std::str::from_utf8(n).ok()?.parse::<usize>().ok())
            else {
                return a.clone();
            };
            if let Some(id) = ids.get(&n) {
                return id.to_string().into_bytes();
            }
            match target.run(n, &[b"CLIENT".to_vec(), b"ID".to_vec()], false) {
                Ok(Some((Reply::Int(id), _))) => {
                    ids.insert(n, id);
                    id.to_string().into_bytes()
                }
                other => panic!("CLIENT ID of client {n}: {other:?}"),
            }
        })
        .collect()
}

/// Compares a reply, rendered in the protocol it was sent in, with the expected line.
fn check(
    failures: &mut Vec<String>,
    at: &str,
    dir: &Directives,
    reply: &Reply,
    resp3: bool,
    expected: &Option<String>,
) {
    let rendered = render(reply, resp3, dir.sort);
    if let Some(exp) = expected {
        if !matches(dir, &rendered, reply, exp) {
            failures.push(format!("{at}\n    expected: {exp}\n    actual:   {rendered}"));
        }
    }
}

/// Runs a transcript; returns (commands checked, failures).
fn run(t: &Transcript, target: &mut dyn Target) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut ids = BTreeMap::new();
    for step in &t.steps {
        match step {
            Step::Advance { ms } => target.advance(*ms),
            Step::Cmd { line, client, args, dir, expected } => {
                let args = &with_client_ids(target, &mut ids, args);
                let cmd: Vec<String> = args.iter().map(|a| quote(a)).collect();
                let at = format!("{}:{line}: {}", t.path.display(), cmd.join(" "));
                checked += 1;
                let blocks = matches!(expected.as_deref(), Some(BLOCKED | NO_REPLY));
                if expected.as_deref() == Some(NO_REPLY) {
                    if let Err(e) = target.run_silent(*client, args) {
                        failures.push(format!("{at}\n    {e}"));
                    }
                    continue;
                }
                match target.run(*client, args, blocks) {
                    Err(e) => failures.push(format!("{at}\n    {e}")),
                    Ok(None) => {}
                    Ok(Some((reply, resp3))) => check(&mut failures, &at, dir, &reply, resp3, expected),
                }
            }
            Step::Recv { line, client, dir, expected } => {
                let at = format!("{}:{line}: {client}<", t.path.display());
                checked += 1;
                match target.recv(*client) {
                    Err(e) => failures.push(format!("{at}\n    {e}")),
                    Ok((reply, resp3)) => check(&mut failures, &at, dir, &reply, resp3, expected),
                }
            }
        }
    }
    (checked, failures)
}

fn transcripts() -> Vec<Transcript> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/transcripts exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no transcripts found");
    files.iter().map(|p| parse_transcript(p)).collect()
}

fn report(kind: &str, results: Vec<(String, usize, Vec<String>)>) {
    let mut total = 0;
    let mut failed = Vec::new();
    for (file, n, f) in &results {
        eprintln!("{kind}: {file}: {n} commands, {} mismatches", f.len());
        total += n;
        failed.extend(f.iter().cloned());
    }
    eprintln!("{kind}: {} files, {total} commands checked", results.len());
    if !failed.is_empty() {
        let shown: Vec<String> = failed.iter().take(60).cloned().collect();
        panic!("{} transcript mismatches against {kind}:\n{}", failed.len(), shown.join("\n"));
    }
}

fn file_name(t: &Transcript) -> String {
    t.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default()
}

#[test]
fn transcripts_against_the_fake() {
    let results = transcripts()
        .iter()
        .map(|t| {
            // The fake's clock stands still between commands (moved only by `!advance`), so
            // TTLs read back exactly what was set.
            let server = Server::with_profile(t.profile);
            server.clock().freeze();
            if t.cluster {
                server.set_startup_config("cluster-enabled", "yes").expect("cluster mode");
            }
            for (n, v) in &t.config {
                server.set_startup_config(n, v).unwrap_or_else(|e| panic!("@config {n} {v}: {e}"));
            }
            let mut fake = Fake { server, clients: BTreeMap::new() };
            let (n, f) = run(t, &mut fake);
            (file_name(t), n, f)
        })
        .collect();
    report("fakeredis", results);
}

#[test]
fn transcripts_against_redis_server() {
    let Some(bin) = common::binary_or_skip() else { return };
    let results = transcripts()
        .iter()
        .filter(|t| !t.fake_only)
        .enumerate()
        .map(|(n, t)| {
            let extra: Vec<String> = t.config.iter().flat_map(|(n, v)| [format!("--{n}"), v.clone()]).collect();
            let real = if t.cluster {
                common::start_cluster(&bin, &format!("transcript-{n}"))
            } else {
                common::start_with(&bin, &format!("transcript-{n}"), &extra)
            };
            let mut target = Real { port: real.port, clients: BTreeMap::new() };
            let (c, f) = run(t, &mut target);
            (file_name(t), c, f)
        })
        .collect();
    report("redis-server", results);
}
