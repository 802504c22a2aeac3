//! MIGRATE between two fakeredis TCP servers (its replies and texts were compared with
//! redis-server 7.0.15 migrating to redis-server and to fakeredis, by hand).
#![cfg(feature = "tcp")]

use fakeredis::net::TcpServer;
use fakeredis::{Reply, Server};

fn bulk(s: &str) -> Reply {
    Reply::bulk(s.to_string())
}

#[test]
fn keys_move_with_their_ttls_and_the_target_answers_for_them() {
    let (src, dst) = (Server::new(), Server::new());
    let tcp = TcpServer::start(dst.clone(), "127.0.0.1:0").expect("bind");
    let port = tcp.local_addr().port().to_string();
    dst.set_config("requirepass", "pw").unwrap();
    let (mut s, mut t) = (src.client(), dst.client());
    t.cmd(["AUTH", "pw"]).unwrap();
    s.cmd(["SET", "a", "1"]).unwrap();
    s.cmd(["SET", "b", "2", "PX", "100000"]).unwrap();
    s.cmd(["RPUSH", "l", "x", "y"]).unwrap();
    let migrate = |s: &mut fakeredis::Client, rest: &[&str]| {
        let mut argv = vec!["MIGRATE", "127.0.0.1", port.as_str()];
        argv.extend_from_slice(rest);
        s.cmd(argv).unwrap()
    };
    assert_eq!(
        migrate(&mut s, &["a", "0", "1000"]),
        Reply::err("ERR Target instance replied with error: NOAUTH Authentication required.")
    );
    assert_eq!(migrate(&mut s, &["a", "0", "1000", "AUTH", "pw", "COPY"]), Reply::OK);
    assert_eq!(s.cmd(["EXISTS", "a"]).unwrap(), Reply::Int(1), "COPY keeps the key");
    assert_eq!(
        migrate(&mut s, &["a", "0", "1000", "AUTH", "pw"]),
        Reply::err("ERR Target instance replied with error: BUSYKEY Target key name already exists.")
    );
    assert_eq!(migrate(&mut s, &["a", "0", "1000", "AUTH", "pw", "REPLACE"]), Reply::OK);
    assert_eq!(s.cmd(["EXISTS", "a"]).unwrap(), Reply::Int(0));
    assert_eq!(migrate(&mut s, &["", "3", "1000", "AUTH2", "default", "pw", "KEYS", "b", "l", "gone"]), Reply::OK);
    assert_eq!(migrate(&mut s, &["gone", "0", "1000"]), Reply::simple("NOKEY"));
    t.cmd(["SELECT", "3"]).unwrap();
    assert_eq!(t.cmd(["LRANGE", "l", "0", "-1"]).unwrap(), Reply::Array(vec![bulk("x"), bulk("y")]));
    assert!(matches!(t.cmd(["PTTL", "b"]).unwrap(), Reply::Int(n) if n > 90_000 && n <= 100_000));
    t.cmd(["SELECT", "0"]).unwrap();
    assert_eq!(t.cmd(["GET", "a"]).unwrap(), bulk("1"));
    assert_eq!(
        migrate(&mut s, &["x", "0", "1000", "KEYS", "a"]),
        Reply::err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
    );
    drop(tcp);
    s.cmd(["SET", "c", "3"]).unwrap();
    // The cached connection is closed, and so is the port: Redis reports a failed write.
    assert_eq!(
        migrate(&mut s, &["c", "0", "100", "AUTH", "pw"]),
        Reply::err("IOERR error or timeout writing to target instance")
    );
    assert_eq!(s.cmd(["EXISTS", "c"]).unwrap(), Reply::Int(1));
}
