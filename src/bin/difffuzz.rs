//! `difffuzz`: a differential campaign against redis-server (fuzz/README.md).
//!
//! cargo run --release --features difffuzz --bin difffuzz -- --commands N --seed S
//!     [--resp 2|3] [--redis-server PATH | --addr HOST:PORT] [--fake-addr HOST:PORT]
//!     [--round N] [--out DIR] [--known FILE] [--max-reports N] [--show-round R]
//!
//! `--show-round R` prints round R's commands (as transcript lines) and exits.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use fakeredis::difffuzz::endpoint::{redis_server_on_path, Endpoint, Local, RedisProcess, Tcp};
use fakeredis::difffuzz::known::{KnownList, DEFAULT};
use fakeredis::difffuzz::{Driver, Options};
use fakeredis::Server;

const USAGE: &str = "usage: difffuzz --commands N --seed S [--resp 2|3] [--redis-server PATH | --addr HOST:PORT] \
[--fake-addr HOST:PORT] [--round N] [--out DIR] [--known FILE] [--max-reports N] [--show-round R]";

/// Stops the process when no command completes for this long (a hang on either side).
const STALL: Duration = Duration::from_secs(120);

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("difffuzz: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let mut opts = Options::new(10_000, 0);
    let mut seed = None;
    let (mut bin, mut addr, mut fake_addr, mut known) = (None, None, None, None);
    let mut show_round = None;
    opts.out_dir = Some(PathBuf::from("target/difffuzz"));
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value\n{USAGE}"));
        let num = |v: String| v.parse::<u64>().map_err(|_| format!("{a}: not a number: {v}"));
        match a.as_str() {
            "--commands" => opts.commands = num(val()?)?,
            "--seed" => seed = Some(num(val()?)?),
            "--resp" => {
                opts.resp3 = match val()?.as_str() {
                    "2" => false,
                    "3" => true,
                    v => return Err(format!("--resp: 2 or 3, not {v}")),
                }
            }
            "--redis-server" => bin = Some(PathBuf::from(val()?)),
            "--addr" => addr = Some(val()?),
            "--fake-addr" => fake_addr = Some(val()?),
            "--round" => opts.round_len = num(val()?)?.max(1) as usize,
            "--out" => opts.out_dir = Some(PathBuf::from(val()?)),
            "--known" => known = Some(val()?),
            "--max-reports" => opts.max_reports = num(val()?)? as usize,
            "--show-round" => show_round = Some(num(val()?)?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            _ => return Err(format!("unknown option {a}\n{USAGE}")),
        }
    }
    // Any seed must work: without one, a fresh one (printed, so the run can be repeated).
    opts.seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
    });
    if let Some(r) = show_round {
        // The commands of one round, as transcript lines, without running them.
        use std::io::Write;
        let g = fakeredis::difffuzz::gen::Generator::new(opts.profile);
        let mut out = std::io::stdout().lock();
        for s in fakeredis::difffuzz::round_steps(&g, opts.seed, r, opts.round_len, opts.resp3) {
            let prefix = if s.conn == 1 { String::new() } else { s.conn.to_string() };
            if writeln!(out, "{prefix}> {}", fakeredis::resp::render::command_line(&s.argv)).is_err() {
                break; // a closed pipe (`| head`)
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let text = match &known {
        Some(p) => std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"))?,
        None => DEFAULT.to_string(),
    };
    opts.known = KnownList::parse(&text)?;

    let _process;
    let mut oracle = match (addr, bin) {
        (Some(_), Some(_)) => return Err("--addr and --redis-server exclude each other".into()),
        (Some(a), None) => Tcp::new(a),
        (None, bin) => {
            let bin = bin.or_else(redis_server_on_path).ok_or("redis-server is not on PATH (--redis-server PATH)")?;
            let p = RedisProcess::start(&bin, "difffuzz")?;
            let t = Tcp::new(p.addr());
            _process = p;
            t
        }
    };
    let mut fake: Box<dyn Endpoint> = match fake_addr {
        Some(a) => Box::new(Tcp::labeled("fakeredis-server", a)),
        None => Box::new(Local::new(Server::with_profile(opts.profile))),
    };
    eprintln!(
        "difffuzz: seed {}, {} commands, RESP{}, {} vs {}",
        opts.seed,
        opts.commands,
        if opts.resp3 { 3 } else { 2 },
        oracle.name(),
        fake.name()
    );

    let progress = opts.progress.clone();
    std::thread::spawn(move || {
        let mut last = u64::MAX;
        loop {
            std::thread::sleep(STALL);
            let now = progress.load(Ordering::Relaxed);
            if now == last {
                eprintln!("difffuzz: no command completed for {STALL:?}: a server hangs");
                std::process::exit(3);
            }
            last = now;
        }
    });

    let driver_known = opts.known.clone();
    let mut driver = Driver::new(&mut oracle, fake.as_mut(), opts)?;
    let sum = driver.run()?;
    eprintln!(
        "difffuzz: {:.1} s, {:.0} commands/s; {} replayed while minimising; {} unlisted ({} minimised, {} repeats)",
        sum.seconds,
        sum.commands as f64 / sum.seconds.max(1e-9),
        sum.replayed,
        sum.unlisted(),
        sum.findings.len(),
        sum.repeats
    );
    if !sum.races.is_empty() {
        eprintln!("difffuzz: {} timing races (gone on replay; not counted): see the files above", sum.races.len());
    }
    for (line, n) in &sum.known_hits {
        let e = driver_known.entries.iter().find(|e| e.line == *line).map_or("?", |e| e.command.as_str());
        eprintln!("difffuzz: known-list line {line} ({e}): {n}");
    }
    println!("{}", sum.last_line());
    Ok(if sum.unlisted() == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
