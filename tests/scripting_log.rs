//! `redis.log` reaches the server's log sink (what redis-server writes to its log file):
//! the message's strings and numbers joined by spaces, at `loglevel` and above, from EVAL
//! and from a library as FUNCTION LOAD runs it.
#![cfg(feature = "lua")]

use std::sync::{Arc, Mutex};

use fakeredis::server::log::LogLevel;
use fakeredis::{Reply, Server};

type Lines = Arc<Mutex<Vec<(LogLevel, String)>>>;

fn logging_server() -> (Server, Lines) {
    let server = Server::new();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    server.set_log(Some(Box::new(move |line| {
        sink.lock().unwrap().push((line.level, String::from_utf8_lossy(line.message).into_owned()));
    })));
    (server, lines)
}

#[test]
fn script_lines_reach_the_sink_at_loglevel_and_above() {
    let (server, lines) = logging_server();
    let mut c = server.client();
    let script =
        "redis.log(redis.LOG_WARNING, 'w', 12, {}, 2.5) redis.log(redis.LOG_DEBUG, 'd') redis.log(2, 'n') return 1";
    assert_eq!(c.cmd(["EVAL", script, "0"]).unwrap(), Reply::Int(1));
    assert_eq!(
        *lines.lock().unwrap(),
        vec![(LogLevel::Warning, "w 12 2.5".to_string()), (LogLevel::Notice, "n".to_string())]
    );
    lines.lock().unwrap().clear();
    c.cmd(["CONFIG", "SET", "loglevel", "debug"]).unwrap();
    c.cmd(["EVAL", "redis.log(0, 'd')", "0"]).unwrap();
    assert_eq!(*lines.lock().unwrap(), vec![(LogLevel::Debug, "d".to_string())]);
}

#[test]
fn a_library_logs_as_it_loads_and_a_bad_level_logs_nothing() {
    let (server, lines) = logging_server();
    let mut c = server.client();
    let lib =
        "#!lua name=l\nredis.log(redis.LOG_NOTICE, 'loading')\nredis.register_function('f', function() return 1 end)";
    assert_eq!(c.cmd(["FUNCTION", "LOAD", lib]).unwrap(), Reply::bulk("l"));
    assert_eq!(*lines.lock().unwrap(), vec![(LogLevel::Notice, "loading".to_string())]);
    assert!(matches!(c.cmd(["EVAL", "redis.log(4, 'x')", "0"]).unwrap(), Reply::Error(_)));
    assert_eq!(lines.lock().unwrap().len(), 1);
}
