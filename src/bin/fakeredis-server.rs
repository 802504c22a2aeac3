//! `fakeredis-server`: the in-memory emulator behind a TCP port, for tools and languages that
//! speak RESP. Serves until Ctrl-C.

use std::io::Write;
use std::process::ExitCode;

use fakeredis::{Profile, Server};

const USAGE: &str = "\
usage: fakeredis-server [options]

options:
  --port P            TCP port to listen on (default 6379; 0 picks a free port)
  --bind ADDR         address to bind (default 127.0.0.1)
  --server-type T     redis | valkey | keydb | dragonfly (default redis)
  --version X.Y.Z     server version to emulate (default: the type's default, e.g. redis 7.4.2)
  --requirepass PW    require AUTH with this password
  --help              print this help";

#[derive(Debug)]
struct Options {
    port: u16,
    bind: String,
    server_type: String,
    version: Option<String>,
    requirepass: Option<String>,
}

/// `Ok(None)`: help was asked for.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut o =
        Options { port: 6379, bind: "127.0.0.1".into(), server_type: "redis".into(), version: None, requirepass: None };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--help" || arg == "-h" {
            return Ok(None);
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if !matches!(name.as_str(), "--port" | "--bind" | "--server-type" | "--version" | "--requirepass") {
            return Err(format!("unknown option '{arg}'"));
        }
        let value = match inline {
            Some(v) => v,
            None => args.next().ok_or_else(|| format!("option '{name}' needs a value"))?,
        };
        match name.as_str() {
            "--port" => o.port = value.parse().map_err(|_| format!("bad port '{value}' (expected 0-65535)"))?,
            "--bind" => o.bind = value,
            "--server-type" => o.server_type = value,
            "--version" => o.version = Some(value),
            _ => o.requirepass = Some(value),
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

fn run(o: Options) -> Result<(), String> {
    let profile = profile(&o)?;
    let server = Server::with_profile(profile);
    // The log goes to stdout, as redis-server's does without a logfile.
    let pid = std::process::id();
    server.set_log(Some(Box::new(move |line| {
        let _ = writeln!(std::io::stdout(), "{}", line.redis_format(pid));
    })));
    if let Some(pw) = &o.requirepass {
        server.set_config("requirepass", pw)?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind((o.bind.as_str(), o.port))
            .await
            .map_err(|e| format!("cannot listen on {}:{}: {e}", o.bind, o.port))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let _ = writeln!(std::io::stdout(), "fakeredis listening on {addr} ({profile})");
        fakeredis::net::serve(server, listener, async {
            // If the signal handler can't be installed, serve until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await
        .map_err(|e| e.to_string())
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
        assert_eq!((o.port, o.bind.as_str()), (6379, "127.0.0.1"));
        assert_eq!(profile(&o).unwrap(), Profile::default());
    }

    #[test]
    fn options_with_spaces_or_equals() {
        let o =
            parse(&["--port", "0", "--bind=::1", "--server-type", "valkey", "--version=8.0.1", "--requirepass", "a=b"])
                .unwrap()
                .unwrap();
        assert_eq!((o.port, o.bind.as_str(), o.requirepass.as_deref()), (0, "::1", Some("a=b")));
        assert_eq!(profile(&o).unwrap(), Profile::valkey(8, 0, 1));
        let o = parse(&["--version", "6.2.14"]).unwrap().unwrap();
        assert_eq!(profile(&o).unwrap(), Profile::redis(6, 2, 14));
    }

    #[test]
    fn help_and_errors() {
        assert!(parse(&["--port", "1", "--help"]).unwrap().is_none());
        assert_eq!(parse(&["--port"]).unwrap_err(), "option '--port' needs a value");
        assert_eq!(parse(&["--port", "x"]).unwrap_err(), "bad port 'x' (expected 0-65535)");
        assert_eq!(parse(&["6379"]).unwrap_err(), "unknown option '6379'");
        let o = parse(&["--server-type", "memcached"]).unwrap().unwrap();
        assert!(profile(&o).unwrap_err().contains("unknown server type 'memcached'"));
    }
}
