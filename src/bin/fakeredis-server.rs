//! `fakeredis-server`: the in-memory emulator behind a TCP port, for tools and languages that
//! speak RESP. Serves until Ctrl-C.

use std::io::Write;
use std::process::ExitCode;

use fakeredis::{Profile, Server};

const USAGE: &str = "\
usage: fakeredis-server [/path/to/redis.conf] [options]

As redis-server: a config file (or - for stdin), then any parameter as --name value
(--port 7000, --requirepass pw, --cluster-enabled yes, --save \"\" ...). And:
  --server-type T     redis | valkey | keydb | dragonfly (default redis)
  --version X.Y.Z     server version to emulate (default: the type's default, e.g. redis 7.4.2)
  --help              print this help

Without a bind parameter it listens on 127.0.0.1; --port 0 picks a free port.";

#[derive(Debug, Default)]
struct Options {
    server_type: String,
    version: Option<String>,
    config_file: Option<String>,
    /// The rest of the command line, for the config (`--name value ...`).
    args: Vec<String>,
}

/// `Ok(None)`: help was asked for.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut o = Options { server_type: "redis".into(), ..Options::default() };
    let mut args = args.into_iter().peekable();
    if let Some(first) = args.next_if(|a| !a.starts_with("--") || a == "-") {
        o.config_file = Some(first);
    }
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        match name.as_str() {
            "--help" | "-h" => return Ok(None),
            "--server-type" | "--version" => {
                let value = match inline {
                    Some(v) => v,
                    None => args.next().ok_or_else(|| format!("option '{name}' needs a value"))?,
                };
                if name == "--version" {
                    o.version = Some(value);
                } else {
                    o.server_type = value;
                }
            }
            _ => {
                o.args.push(name);
                o.args.extend(inline);
            }
        }
    }
    Ok(Some(o))
}

fn profile(o: &Options) -> Result<Profile, String> {
    match &o.version {
        Some(v) => format!("{} {v}", o.server_type).parse(),
        None => o.server_type.parse(),
    }
}

/// The address to listen on: the first of `bind` (`*` is every IPv4 address, a leading
/// `-` marks an optional one), or loopback when no bind parameter was given.
fn listen_addr(server: &Server, bind_given: bool) -> Result<(String, u16), String> {
    let (bind, port) = server.with_state(|st| (st.config.get("bind").to_string(), st.config.get("port").to_string()));
    let port = port.parse::<u16>().map_err(|_| format!("bad port '{port}'"))?;
    if !bind_given {
        server.set_startup_config("bind", "127.0.0.1")?;
        return Ok(("127.0.0.1".into(), port));
    }
    let first = bind.split_whitespace().next().unwrap_or("*").trim_start_matches('-');
    Ok((if first == "*" { "0.0.0.0".into() } else { first.to_string() }, port))
}

fn run(o: Options) -> Result<(), String> {
    let profile = profile(&o)?;
    let server = Server::with_profile(profile);
    let text = match o.config_file.as_deref() {
        None => String::new(),
        Some("-") => std::io::read_to_string(std::io::stdin()).map_err(|e| format!("cannot read stdin: {e}"))?,
        Some(path) => {
            std::fs::read_to_string(path).map_err(|e| fakeredis::server::config::file::unreadable(path, &e))?
        }
    };
    server.load_config(&text, &o.args)?;
    if let Some(path) = o.config_file.as_deref().filter(|p| *p != "-") {
        let abs = std::fs::canonicalize(path).map(|p| p.display().to_string()).unwrap_or_else(|_| path.to_string());
        server.set_config_file(&abs);
    }
    let bind_given = o.args.iter().any(|a| a.eq_ignore_ascii_case("--bind"))
        || text.lines().any(|l| l.trim_start().get(..5).is_some_and(|w| w.eq_ignore_ascii_case("bind ")));
    let (bind, port) = listen_addr(&server, bind_given)?;
    // The log goes to stdout, as redis-server's does without a logfile.
    let pid = std::process::id();
    server.set_log(Some(Box::new(move |line| {
        let _ = writeln!(std::io::stdout(), "{}", line.redis_format(pid));
    })));
    // One thread serves every connection, as redis-server's does: the server's state is one
    // lock, and threads taking turns at it cost more than they bring (a script runs on a
    // blocking thread of its own, so the others are still served meanwhile).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind((bind.as_str(), port))
            .await
            .map_err(|e| format!("cannot listen on {bind}:{port}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let _ = writeln!(std::io::stdout(), "fakeredis listening on {addr} ({profile})");
        fakeredis::net::serve(server.clone(), listener, async {
            // If the signal handler can't be installed, serve until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await
        .map_err(|e| e.to_string())?;
        match server.has_crashed() {
            true => Err("crashed (DEBUG SEGFAULT, PANIC, ASSERT or OOM)".into()),
            false => Ok(()),
        }
    })
}

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(Some(o)) => o,
        Ok(None) => {
            // Ignore a closed stdout (`fakeredis-server --help | head`).
            let _ = writeln!(std::io::stdout(), "{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("fakeredis-server: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fakeredis-server: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Options>, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults() {
        let o = parse(&[]).unwrap().unwrap();
        assert_eq!((o.config_file.as_deref(), o.args.len()), (None, 0));
        assert_eq!(profile(&o).unwrap(), Profile::default());
    }

    #[test]
    fn a_config_file_then_parameters_and_the_emulation() {
        let o = parse(&[
            "./redis.conf",
            "--port",
            "0",
            "--bind=::1",
            "--server-type",
            "valkey",
            "--version=8.0.1",
            "--save",
            "900",
            "1",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(o.config_file.as_deref(), Some("./redis.conf"));
        assert_eq!(o.args, ["--port", "0", "--bind", "::1", "--save", "900", "1"]);
        assert_eq!(profile(&o).unwrap(), Profile::valkey(8, 0, 1));
        let o = parse(&["--version", "6.2.14"]).unwrap().unwrap();
        assert_eq!(profile(&o).unwrap(), Profile::redis(6, 2, 14));
    }

    #[test]
    fn help_and_errors() {
        assert!(parse(&["--port", "1", "--help"]).unwrap().is_none());
        assert_eq!(parse(&["--version"]).unwrap_err(), "option '--version' needs a value");
        let o = parse(&["--server-type", "memcached"]).unwrap().unwrap();
        assert!(profile(&o).unwrap_err().contains("unknown server type 'memcached'"));
    }

    #[test]
    fn parameters_reach_the_config_and_bad_ones_stop_the_server() {
        let server = Server::with_profile(Profile::redis(7, 0, 15));
        let args: Vec<String> = ["--port", "0", "--enable-debug-command", "yes", "--save", "--maxmemory", "1mb"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        server.load_config("# a file\nhz 20\nuser alice on >pw ~* +@all\n", &args).unwrap();
        let get = |n: &str| server.with_state(|st| st.config.get(n).to_string());
        assert_eq!(
            (get("hz"), get("enable-debug-command"), get("save"), get("maxmemory")),
            ("20".into(), "yes".into(), "".into(), "1048576".into())
        );
        assert_eq!(listen_addr(&server, false).unwrap(), ("127.0.0.1".into(), 0));
        let e = server.load_config("maxmemory abc\n", &[]).unwrap_err();
        assert_eq!(e, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'maxmemory abc'\nargument must be a memory value");
        // The command line is numbered from two lines past the file's last newline (as
        // redis-server 7.0.15 reports it); an include is read in place, numbered on its own.
        let e = server.load_config("hz 10\n", &["--hz".into(), "x".into()]).unwrap_err();
        assert!(e.contains("at line 3\n>>> 'hz \"x\"'"), "{e}");
        let inc = std::env::temp_dir().join(format!("fakeredis-include-{}.conf", std::process::id()));
        std::fs::write(&inc, "hz 5\n").unwrap();
        server.load_config(&format!("hz 10\ninclude {}\nhz 20\n", inc.display()), &[]).unwrap();
        assert_eq!(get("hz"), "20");
        std::fs::write(&inc, "\nnosuch 1\n").unwrap();
        let e = server.load_config(&format!("hz 10\ninclude {}\n", inc.display()), &[]).unwrap_err();
        let _ = std::fs::remove_file(&inc);
        assert!(e.contains("at line 2\n>>> 'nosuch 1'"), "{e}");
        server.load_config("hz 20\n", &[]).unwrap();
        // CONFIG REWRITE writes the file back as redis-server 7.0.15 does: the current values
        // in place, a later line of the same parameter emptied, unknown lines commented out,
        // the rest appended (`save`, `dir` and the ACL's users always).
        let path = std::env::temp_dir().join(format!("fakeredis-rewrite-{}.conf", std::process::id()));
        std::fs::write(&path, "# mine\nhz 20\nhz 30\nmaxmemory 1mb\nnosuch 1\n").unwrap();
        server.set_config_file(&path.display().to_string());
        let mut c = server.client();
        c.cmd(["CONFIG", "SET", "maxmemory", "2gb", "appendonly", "yes"]).unwrap();
        assert_eq!(c.cmd(["CONFIG", "REWRITE"]).unwrap(), fakeredis::Reply::OK);
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(
            text.starts_with("# mine\nhz 20\n\nmaxmemory 2gb\n# ??? nosuch 1\n\n# Generated by CONFIG REWRITE\n"),
            "{text}"
        );
        assert!(text.contains("\nappendonly yes\n"), "{text}");
        assert!(text.contains("\nsave \"\"\n") && text.contains("\ndir \""), "{text}");
        assert!(text.ends_with("\nuser alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~* resetchannels +@all\nuser default on nopass ~* &* +@all\n"), "{text}");
        let e = server.load_config("databases 5000\n", &[]).unwrap_err();
        assert!(e.ends_with("more than 4096 databases are not implemented by fakeredis yet"), "{e}");
        let e = server.load_config("databases 0\n", &[]).unwrap_err();
        assert!(e.ends_with("argument must be between 1 and 2147483647 inclusive"), "{e}");
        server.load_config("databases 32\n", &[]).unwrap();
        assert_eq!(c.cmd(["SELECT", "31"]).unwrap(), fakeredis::Reply::OK);
        assert_eq!(
            c.cmd(["CONFIG", "GET", "databases"]).unwrap(),
            fakeredis::Reply::Map(vec![(fakeredis::Reply::bulk("databases"), fakeredis::Reply::bulk("32"))])
        );
        let e = server.load_config("", &["--nosuch".into(), "1".into()]).unwrap_err();
        assert!(e.ends_with(">>> 'nosuch \"1\"'\nBad directive or wrong number of arguments"), "{e}");
    }
}
