//! The `redis` crate adapters: `redis::Commands` / `redis::AsyncCommands` against the embedded
//! fake, and the same scenarios through a real `redis::Client` connected to the TCP server
//! (and, where installed, to a real `redis-server`) to show they see the same thing.
#![cfg(feature = "redis-rs")]

mod common;

use std::time::Duration;

use fakeredis::Server;
use redis::{AsyncCommands, Commands, ConnectionLike, ErrorKind, ServerErrorKind, Value};

const NOT_INTEGER: &str = "value is not an integer or out of range";

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

/// Whether the fake implements MULTI yet (atomic pipelines need it).
fn multi_implemented(server: &Server) -> bool {
    let mut c = server.client();
    let ok = !c.cmd(["MULTI"]).unwrap().is_error();
    if ok {
        c.cmd(["DISCARD"]).unwrap();
    }
    ok
}

#[test]
fn commands_trait_basics() {
    let server = Server::new();
    let mut con = server.redis_connection();
    let () = con.set("k", "v").unwrap();
    assert_eq!(con.get::<_, Option<String>>("k").unwrap().as_deref(), Some("v"));
    assert_eq!(con.get::<_, Option<String>>("missing").unwrap(), None);
    assert_eq!(con.incr::<_, _, i64>("n", 5).unwrap(), 5);
    assert_eq!(con.incr::<_, _, i64>("n", -7).unwrap(), -2);
    assert!(con.exists::<_, bool>("n").unwrap());
    assert_eq!(con.del::<_, i64>(&["k", "n", "missing"]).unwrap(), 2);
    assert_eq!(con.exists::<_, i64>(&["k", "n"]).unwrap(), 0);
    // What redis-rs reads is what the embedded client would answer.
    assert_eq!(con.mset::<_, _, ()>(&[("a", "1"), ("b", "2")]), Ok(()));
    assert_eq!(con.mget::<_, Vec<Option<i64>>>(&["a", "x", "b"]).unwrap(), vec![Some(1), None, Some(2)]);
}

#[test]
fn collections_through_the_commands_trait() {
    use std::collections::{HashMap, HashSet};
    let server = Server::new();
    let mut con = server.redis_connection();
    assert_eq!(con.rpush::<_, _, i64>("l", &["a", "b", "c"]).unwrap(), 3);
    assert_eq!(con.lrange::<_, Vec<String>>("l", 0, -1).unwrap(), ["a", "b", "c"]);
    assert_eq!(con.lpop::<_, Option<String>>("l", None).unwrap().as_deref(), Some("a"));
    let () = con.hset_multiple("h", &[("f1", "1"), ("f2", "2")]).unwrap();
    let h: HashMap<String, i64> = con.hgetall("h").unwrap();
    assert_eq!(h, HashMap::from([("f1".to_string(), 1), ("f2".to_string(), 2)]));
    assert_eq!(con.hincr::<_, _, _, i64>("h", "f1", 41).unwrap(), 42);
    assert_eq!(con.sadd::<_, _, i64>("s", &[3, 1, 2, 1]).unwrap(), 3);
    assert_eq!(con.smembers::<_, HashSet<i64>>("s").unwrap(), HashSet::from([1, 2, 3]));
    assert!(con.sismember::<_, _, bool>("s", 2).unwrap());
    assert_eq!(con.zadd_multiple::<_, _, _, i64>("z", &[(1.5, "a"), (2.0, "b"), (0.5, "c")]).unwrap(), 3);
    let zs: Vec<(String, f64)> = con.zrange_withscores("z", 0, -1).unwrap();
    assert_eq!(zs, [("c".to_string(), 0.5), ("a".to_string(), 1.5), ("b".to_string(), 2.0)]);
    assert_eq!(con.zrank::<_, _, Option<i64>>("z", "b").unwrap(), Some(2));
    assert_eq!(con.zscore::<_, _, Option<f64>>("z", "a").unwrap(), Some(1.5));
    let popped: Vec<(String, f64)> = con.zpopmin("z", 1).unwrap();
    assert_eq!(popped, [("c".to_string(), 0.5)]);
    // A type mismatch is Redis's WRONGTYPE, which redis-rs types as such.
    let e = con.lpush::<_, _, i64>("h", "x").unwrap_err();
    assert_eq!(e.code(), Some("WRONGTYPE"));
}

#[test]
fn streams_through_the_commands_trait() {
    use redis::streams::{StreamPendingReply, StreamRangeReply, StreamReadOptions, StreamReadReply};
    let server = Server::new();
    let mut con = server.redis_connection();
    let a: String = con.xadd("s", "1-1", &[("f", "1")]).unwrap();
    let b: String = con.xadd("s", "2-*", &[("f", "2"), ("g", "3")]).unwrap();
    assert_eq!((a.as_str(), b.as_str()), ("1-1", "2-0"));
    assert_eq!(con.xlen::<_, i64>("s").unwrap(), 2);
    let range: StreamRangeReply = con.xrange_all("s").unwrap();
    assert_eq!(range.ids.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["1-1", "2-0"]);
    assert_eq!(range.ids[1].get::<String>("g").as_deref(), Some("3"));
    let () = con.xgroup_create("s", "g", "0").unwrap();
    let opts = StreamReadOptions::default().group("g", "alice").count(1);
    let read: StreamReadReply = con.xread_options(&["s"], &[">"], &opts).unwrap();
    assert_eq!(read.keys[0].key, "s");
    assert_eq!(read.keys[0].ids[0].id, "1-1");
    let pending: StreamPendingReply = con.xpending("s", "g").unwrap();
    assert_eq!(pending.count(), 1);
    assert_eq!(con.xack::<_, _, _, i64>("s", "g", &["1-1"]).unwrap(), 1);
    // A group that does not exist is Redis's NOGROUP, typed by redis-rs as a server error.
    let e =
        con.xread_options::<_, _, StreamReadReply>(&["s"], &[">"], &StreamReadOptions::default().group("nope", "x"));
    assert_eq!(e.unwrap_err().code(), Some("NOGROUP"));
}

#[test]
fn scripts_through_redis_rs_script() {
    // `redis::Script` sends EVALSHA first and EVAL when the server answers NOSCRIPT.
    let server = Server::new();
    let mut con = server.redis_connection();
    let script = redis::Script::new("redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1]) .. '!'");
    let v: String = script.key("k").arg("v").invoke(&mut con).unwrap();
    assert_eq!(v, "v!");
    let again: String = script.key("k").arg("w").invoke(&mut con).unwrap();
    assert_eq!(again, "w!");
    let n: i64 = redis::cmd("SCRIPT").arg("EXISTS").arg(script.get_hash()).query::<Vec<i64>>(&mut con).unwrap()[0];
    assert_eq!(n, 1);
    let e = redis::Script::new("return redis.call('INCR', 'k')").invoke::<i64>(&mut con).unwrap_err();
    assert!(e.to_string().contains("value is not an integer or out of range"), "{e}");
}

#[test]
fn expiry_follows_the_virtual_clock() {
    let server = Server::new();
    server.clock().freeze();
    let mut con = server.redis_connection();
    let () = con.set("k", "v").unwrap();
    assert!(con.expire::<_, bool>("k", 10).unwrap());
    assert_eq!(con.ttl::<_, i64>("k").unwrap(), 10);
    server.advance(Duration::from_secs(4));
    assert_eq!(con.ttl::<_, i64>("k").unwrap(), 6);
    assert_eq!(con.pttl::<_, i64>("k").unwrap(), 6000);
    // As in Redis, a key lives through its expiry millisecond and is gone after it.
    server.advance(Duration::from_secs(6));
    assert_eq!(con.pttl::<_, i64>("k").unwrap(), 0);
    server.advance(Duration::from_millis(1));
    assert_eq!(con.get::<_, Option<String>>("k").unwrap(), None);
    assert_eq!(con.ttl::<_, i64>("k").unwrap(), -2);
    let () = con.set_ex("s", "v", 5).unwrap();
    server.advance(Duration::from_millis(5000));
    assert!(con.exists::<_, bool>("s").unwrap());
    server.advance(Duration::from_millis(1));
    assert!(!con.exists::<_, bool>("s").unwrap());
}

#[test]
fn error_replies_become_typed_errors() {
    let server = Server::new();
    let mut con = server.redis_connection();
    let () = con.set("k", "abc").unwrap();
    let e = con.incr::<_, _, i64>("k", 1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server(ServerErrorKind::ResponseError));
    assert_eq!(e.code(), Some("ERR"));
    assert_eq!(e.detail(), Some(NOT_INTEGER));
    assert!(!e.is_io_error());
    // The connection stays usable after an error reply.
    assert!(con.is_open());
    assert_eq!(con.get::<_, String>("k").unwrap(), "abc");

    // Codes other than ERR arrive as redis-rs classifies them.
    server.set_config("requirepass", "secret").unwrap();
    let mut other = server.redis_connection();
    let e = other.get::<_, Option<String>>("k").unwrap_err();
    assert_eq!(e.code(), Some("NOAUTH"));
    assert_eq!(e.detail(), Some("Authentication required."));
    assert_eq!(e.kind(), ErrorKind::Extension);
    redis::cmd("AUTH").arg("secret").exec(&mut other).unwrap();
    assert_eq!(other.get::<_, String>("k").unwrap(), "abc");

    // A reply of the wrong shape is redis-rs's own type error.
    let e = con.get::<_, i64>("k").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse);
}

#[test]
fn pipelines() {
    let server = Server::new();
    let mut con = server.redis_connection();
    let (n, v): (i64, String) = redis::pipe().set("a", 1).ignore().incr("a", 2).get("a").query(&mut con).unwrap();
    assert_eq!((n, v.as_str()), (3, "3"));

    // An error reply in a pipeline: every command ran, the pipeline reports the failure.
    let () = con.set("s", "x").unwrap();
    let e = redis::pipe().incr("a", 1).incr("s", 1).incr("a", 1).query::<Vec<i64>>(&mut con).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server(ServerErrorKind::ResponseError));
    let errs = e.into_server_errors().expect("server errors");
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].0, 1);
    assert_eq!(errs[0].1.details(), Some(NOT_INTEGER));
    assert_eq!(con.get::<_, i64>("a").unwrap(), 5);

    // ignore_errors(): the error stays in place among the results.
    let values: Vec<Value> = redis::pipe().ignore_errors().incr("a", 1).incr("s", 1).query(&mut con).unwrap();
    assert_eq!(values.len(), 2);
    assert_eq!(values[0], Value::Int(6));
    assert!(matches!(&values[1], Value::ServerError(e) if e.details() == Some(NOT_INTEGER)));
}

#[test]
fn req_packed_commands_skips_offset_and_returns_count() {
    let server = Server::new();
    let mut con = server.redis_connection();
    let packed = redis::pipe().cmd("PING").cmd("SET").arg("x").arg(1).cmd("GET").arg("x").get_packed_pipeline();
    assert_eq!(con.req_packed_commands(&packed, 1, 2).unwrap(), vec![Value::Okay, bulk("1")]);
    assert_eq!(con.req_packed_commands(&packed, 2, 1).unwrap(), vec![bulk("1")]);

    // A server error among the skipped replies (the commands a transaction queued) fails
    // the whole request, as with a real connection.
    let packed =
        redis::pipe().cmd("SET").arg("y").arg("abc").cmd("INCR").arg("y").cmd("GET").arg("y").get_packed_pipeline();
    let e = con.req_packed_commands(&packed, 2, 1).unwrap_err();
    assert_eq!(e.code(), Some("ERR"));
    assert_eq!(e.detail(), Some(NOT_INTEGER));

    // Fewer replies than asked for (the server closed after QUIT): an unexpected EOF.
    let packed = redis::pipe().cmd("PING").cmd("QUIT").cmd("PING").get_packed_pipeline();
    let e = con.req_packed_commands(&packed, 0, 3).unwrap_err();
    assert!(e.is_io_error() && e.is_connection_dropped(), "{e:?}");
    assert!(!con.is_open());
}

#[test]
fn atomic_pipelines_go_through_multi_exec() {
    let server = Server::new();
    let mut con = server.redis_connection();
    let result = redis::pipe().atomic().set("k", 1).ignore().incr("k", 1).query::<(i64,)>(&mut con);
    if multi_implemented(&server) {
        assert_eq!(result.unwrap(), (2,));
    } else {
        // MULTI answers an error, so the queued commands run unqueued and EXEC fails.
        let e = result.unwrap_err();
        assert_eq!(e.code(), Some("ERR"), "{e:?}");
        assert!(con.is_open());
    }
}

#[test]
fn resp3_after_hello_3() {
    let server = Server::new();
    let mut con = server.redis_connection();
    let hello: Value = redis::cmd("HELLO").arg(3).query(&mut con).unwrap();
    let Value::Map(fields) = hello else { panic!("HELLO 3 answers a map, got {hello:?}") };
    assert!(fields.contains(&(bulk("proto"), Value::Int(3))));
    assert_eq!(con.get::<_, Value>("missing").unwrap(), Value::Nil);
    let cfg: Value = redis::cmd("CONFIG").arg("GET").arg("maxmemory").query(&mut con).unwrap();
    assert_eq!(cfg, Value::Map(vec![(bulk("maxmemory"), bulk("0"))]));
    redis::cmd("HELLO").arg(2).exec(&mut con).unwrap();
    let cfg: Value = redis::cmd("CONFIG").arg("GET").arg("maxmemory").query(&mut con).unwrap();
    assert_eq!(cfg, Value::Array(vec![bulk("maxmemory"), bulk("0")]));
}

#[test]
fn failure_switch_drops_the_connection() {
    let server = Server::new();
    let mut con = server.redis_connection();
    assert!(con.check_connection());
    server.set_failing(true);
    let e = con.get::<_, Option<String>>("k").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.is_connection_dropped(), "{e:?}");
    let e = redis::pipe().get("k").query::<Vec<Option<String>>>(&mut con).unwrap_err();
    assert!(e.is_io_error());
    assert!(!con.is_open());
    assert!(!con.check_connection());
    server.set_failing(false);
    assert!(con.is_open());
    assert!(con.check_connection());
    assert_eq!(con.get::<_, Option<String>>("k").unwrap(), None);
}

#[test]
fn quit_closes_and_protocol_errors_close() {
    let server = Server::new();
    let mut con = server.redis_connection();
    assert_eq!(redis::cmd("QUIT").query::<String>(&mut con).unwrap(), "OK");
    assert!(!con.is_open());
    assert!(con.get::<_, Option<String>>("k").unwrap_err().is_io_error());

    let mut con = server.redis_connection();
    let v = con.req_packed_command(b"*abc\r\n").unwrap();
    assert!(
        matches!(&v, Value::ServerError(e) if e.details() == Some("Protocol error: invalid multibulk length")),
        "{v:?}"
    );
    assert!(!con.is_open());
    assert!(con.req_packed_command(b"*1\r\n$4\r\nPING\r\n").unwrap_err().is_io_error());

    let mut con = server.redis_connection();
    assert_eq!(con.req_packed_command(b"").unwrap_err().kind(), ErrorKind::Client);
    assert_eq!(con.req_packed_command(b"PING\r\n").unwrap(), Value::SimpleString("PONG".into()));
}

#[test]
fn get_db_follows_select() {
    let server = Server::new();
    let mut con = server.redis_connection();
    assert_eq!(con.get_db(), 0);
    let () = con.set("k", "db0").unwrap();
    redis::cmd("SELECT").arg(3).exec(&mut con).unwrap();
    assert_eq!(con.get_db(), 3);
    assert_eq!(con.get::<_, Option<String>>("k").unwrap(), None);
    assert_eq!(con.client().db(), 3);
}

/// Runs against any async connection; returns what it saw.
async fn async_scenario<C: redis::aio::ConnectionLike + Send + Sync>(con: &mut C) -> Vec<String> {
    let mut seen = Vec::new();
    let () = con.set("ak", "v").await.unwrap();
    seen.push(format!("{:?}", con.get::<_, Option<String>>("ak").await));
    seen.push(format!("{:?}", con.incr::<_, _, i64>("an", 2).await));
    seen.push(format!("{:?}", con.incr::<_, _, i64>("ak", 2).await));
    seen.push(format!("{:?}", con.get::<_, Option<String>>("missing").await));
    seen.push(format!("{:?}", redis::pipe().incr("an", 1).get("an").query_async::<(i64, String)>(con).await));
    seen.push(format!("{:?}", redis::pipe().incr("an", 1).incr("ak", 1).query_async::<Vec<i64>>(con).await));
    seen.push(format!("{:?}", redis::cmd("PING").arg("hi").query_async::<String>(con).await));
    seen.push(format!("{:?}", redis::cmd("NOSUCH").query_async::<Value>(con).await));
    let () = con.del(&["ak", "an"]).await.unwrap();
    seen
}

#[tokio::test]
async fn async_commands_against_the_embedded_server() {
    let server = Server::new();
    let mut con = server.async_redis_connection();
    let seen = async_scenario(&mut con).await;
    assert_eq!(seen[0], r#"Ok(Some("v"))"#);
    assert_eq!(seen[1], "Ok(2)");
    assert!(seen[2].contains(NOT_INTEGER), "{}", seen[2]);
    assert_eq!(seen[4], r#"Ok((3, "3"))"#);

    // Futures are lazy: nothing runs until polled.
    let fut = con.set::<_, _, ()>("lazy", 1);
    drop(fut);
    assert!(!con.exists::<_, bool>("lazy").await.unwrap());

    // Clones share the connection (and its session).
    let mut clone = con.clone();
    redis::cmd("SELECT").arg(2).exec_async(&mut clone).await.unwrap();
    assert_eq!(redis::aio::ConnectionLike::get_db(&con), 2);
    assert_eq!(clone.client_id(), con.client_id());

    server.set_failing(true);
    let e = con.get::<_, Option<String>>("k").await.unwrap_err();
    assert!(e.is_io_error() && e.is_connection_dropped(), "{e:?}");
    assert!(!con.is_open());
    server.set_failing(false);
    assert!(con.is_open());
    assert_eq!(con.get::<_, Option<String>>("k").await.unwrap(), None);
}

/// Runs against any sync connection; returns what it saw, to compare front ends.
#[cfg(feature = "tcp")]
fn sync_scenario(con: &mut dyn ConnectionLike, atomic: bool) -> Vec<String> {
    let mut seen = Vec::new();
    let q = |seen: &mut Vec<String>, c: &mut dyn ConnectionLike, cmd: &redis::Cmd| {
        seen.push(format!("{:?}", cmd.query::<Value>(c)))
    };
    q(&mut seen, con, redis::cmd("SET").arg("k").arg("v"));
    q(&mut seen, con, redis::cmd("GET").arg("k"));
    q(&mut seen, con, redis::cmd("GET").arg("missing"));
    q(&mut seen, con, redis::cmd("INCR").arg("k"));
    q(&mut seen, con, redis::cmd("INCRBY").arg("n").arg(41));
    q(&mut seen, con, redis::cmd("INCRBYFLOAT").arg("n").arg("0.5"));
    q(&mut seen, con, &redis::cmd("GET"));
    q(&mut seen, con, redis::cmd("NOSUCH").arg("x"));
    q(&mut seen, con, redis::cmd("SET").arg("k").arg("v").arg("EX").arg(0));
    q(&mut seen, con, redis::cmd("SET").arg("k").arg("v").arg("NX").arg("XX"));
    q(&mut seen, con, redis::cmd("EXPIRE").arg("k").arg(100));
    q(&mut seen, con, redis::cmd("TTL").arg("k"));
    q(&mut seen, con, redis::cmd("MGET").arg("k").arg("nope").arg("n"));
    q(&mut seen, con, redis::cmd("PING").arg("hello"));
    q(&mut seen, con, redis::cmd("ECHO").arg(&b"\x00\xff\r\n"[..]));
    q(&mut seen, con, redis::cmd("SELECT").arg(99));
    q(&mut seen, con, redis::cmd("DEL").arg("k").arg("n"));
    seen.push(format!("{:?}", redis::pipe().set("p", 1).incr("p", 2).get("p").query::<Value>(con)));
    seen.push(format!("{:?}", redis::pipe().incr("p", 1).cmd("NOSUCH").incr("p", 1).query::<Value>(con)));
    if atomic {
        seen.push(format!("{:?}", redis::pipe().atomic().incr("p", 1).get("p").query::<Value>(con)));
    }
    q(&mut seen, con, redis::cmd("HELLO").arg(3).arg("SETNAME").arg("bad name"));
    // HELLO's own reply holds the client id and server details; only the switch matters.
    seen.push(format!("{:?}", redis::cmd("HELLO").arg(3).query::<Value>(con).map(|v| matches!(v, Value::Map(_)))));
    q(&mut seen, con, redis::cmd("GET").arg("missing"));
    q(&mut seen, con, redis::cmd("CONFIG").arg("GET").arg("maxmemory-policy"));
    q(&mut seen, con, redis::cmd("INCR").arg("p"));
    q(&mut seen, con, redis::cmd("DEL").arg("p"));
    q(&mut seen, con, &redis::cmd("QUIT"));
    let after_quit = redis::cmd("PING").query::<String>(con);
    // (Not `is_open()`: a real connection only notices the close if its write got through
    // and the read saw EOF, rather than the write failing; that is a race.)
    seen.push(format!("after QUIT: io error {:?}", after_quit.map_err(|e| e.is_io_error())));
    seen
}

#[cfg(feature = "tcp")]
mod over_tcp {
    use super::*;
    use fakeredis::net::TcpServer;
    use fakeredis::Profile;

    #[test]
    fn a_real_redis_client_over_tcp_sees_what_the_embedded_adapter_sees() {
        let server = Server::new();
        let tcp = TcpServer::start(server.clone(), "127.0.0.1:0").unwrap();
        let atomic = multi_implemented(&server);
        let embedded = sync_scenario(&mut server.redis_connection(), atomic);
        let client = redis::Client::open(tcp.url()).unwrap();
        let mut real = client.get_connection().unwrap();
        let over_tcp = sync_scenario(&mut real, atomic);
        assert_eq!(embedded, over_tcp);
        assert!(embedded.iter().any(|s| s.contains(NOT_INTEGER)));
    }

    #[test]
    fn acl_users_log_in_through_the_url_and_get_noperm() {
        let server = Server::new();
        let tcp = TcpServer::start(server.clone(), "127.0.0.1:0").unwrap();
        let admin = redis::Client::open(tcp.url()).unwrap();
        let mut admin = admin.get_connection().unwrap();
        let ok: String = redis::cmd("ACL")
            .arg(&["SETUSER", "app", "on", ">s3cret", "~app:*", "+@read", "+@write", "-flushall"])
            .query(&mut admin)
            .unwrap();
        assert_eq!(ok, "OK");
        let url = format!("redis://app:s3cret@127.0.0.1:{}/", tcp.port());
        let mut con = redis::Client::open(url).unwrap().get_connection().unwrap();
        let who: String = redis::cmd("ACL").arg("WHOAMI").query(&mut con).unwrap_or_default();
        assert!(who.is_empty(), "ACL WHOAMI is not @read or @write: {who}");
        let () = con.set("app:k", "v").unwrap();
        assert_eq!(con.get::<_, String>("app:k").unwrap(), "v");
        let e = con.set::<_, _, ()>("other", "v").unwrap_err();
        assert_eq!(e.code(), Some("NOPERM"), "{e:?}");
        let e = redis::cmd("FLUSHALL").query::<()>(&mut con).unwrap_err();
        assert_eq!(e.code(), Some("NOPERM"), "{e:?}");
        let bad = format!("redis://app:wrong@127.0.0.1:{}/", tcp.port());
        assert!(redis::Client::open(bad).unwrap().get_connection().is_err());
        // Newest first: the failed login, FLUSHALL, the key, WHOAMI, and redis-rs's own
        // CLIENT SETINFO on connect (twice, grouped), which `app` may not run either.
        let log: Vec<Vec<redis::Value>> = redis::cmd("ACL").arg("LOG").query(&mut admin).unwrap();
        let objects: Vec<Value> = log.iter().map(|e| e[7].clone()).collect();
        let want = ["AUTH", "flushall", "other", "acl|whoami", "client|setinfo"];
        assert_eq!(objects, want.map(bulk), "{log:?}");
        assert_eq!(log[4][1], Value::Int(2));
    }

    #[test]
    fn commands_trait_over_tcp_and_the_failure_switch() {
        let server = Server::new();
        let tcp = TcpServer::start(server.clone(), "127.0.0.1:0").unwrap();
        let client = redis::Client::open(tcp.url()).unwrap();
        let mut con = client.get_connection().unwrap();
        let () = con.set("k", "abc").unwrap();
        let e = con.incr::<_, _, i64>("k", 1).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server(ServerErrorKind::ResponseError));
        assert_eq!(e.detail(), Some(NOT_INTEGER));
        // redis-rs names itself on connect (CLIENT SETINFO), as it would to a real server.
        let info: String = redis::cmd("CLIENT").arg("INFO").query(&mut con).unwrap();
        assert!(info.contains("lib-name=redis-rs"), "{info}");
        server.set_failing(true);
        let e = con.get::<_, Option<String>>("k").unwrap_err();
        assert!(e.is_io_error(), "{e:?}");
        assert!(!con.is_open());
        server.set_failing(false);
        let mut con = client.get_connection().unwrap();
        assert_eq!(con.get::<_, String>("k").unwrap(), "abc");
    }

    #[test]
    fn async_redis_client_over_tcp_matches_the_embedded_adapter() {
        let server = Server::new();
        let tcp = TcpServer::start(server.clone(), "127.0.0.1:0").unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (embedded, over_tcp) = rt.block_on(async {
            let embedded = async_scenario(&mut server.async_redis_connection()).await;
            let client = redis::Client::open(tcp.url()).unwrap();
            let mut con = client.get_multiplexed_async_connection().await.unwrap();
            (embedded, async_scenario(&mut con).await)
        });
        assert_eq!(embedded, over_tcp);
    }

    /// The same scenario against a real `redis-server` (Debian's 7.0.15) when one is
    /// installed: the adapter must give redis-rs exactly what a real server gives it.
    #[test]
    fn the_embedded_adapter_matches_a_real_redis_server() {
        let Some(bin) = crate::common::binary_or_skip() else { return };
        let real = crate::common::start(&bin, "redis-rs");
        let fake = Server::with_profile(Profile::redis(7, 0, 15));
        let atomic = multi_implemented(&fake);
        let embedded = sync_scenario(&mut fake.redis_connection(), atomic);
        let client = redis::Client::open(format!("redis://127.0.0.1:{}/", real.port)).unwrap();
        let against_real = sync_scenario(&mut client.get_connection().unwrap(), atomic);
        assert_eq!(embedded, against_real);

        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (embedded, against_real) = rt.block_on(async {
            let embedded = async_scenario(&mut fake.async_redis_connection()).await;
            let mut con = client.get_multiplexed_async_connection().await.unwrap();
            (embedded, async_scenario(&mut con).await)
        });
        assert_eq!(embedded, against_real);
    }
}
