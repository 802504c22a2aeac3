//! Clients that affect each other: blocking pops served from other threads and tasks,
//! timeouts on the virtual clock, CLIENT UNBLOCK, pub/sub through the embedded client and
//! redis-rs (sync over TCP, async in-process and over TCP), and concurrency stress tests
//! that must account for every element and every increment.

#![cfg(all(feature = "tcp", feature = "redis-rs"))]

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use fakeredis::net::TcpServer;
use fakeredis::{Profile, Reply, Server};

fn bulk(s: &str) -> Reply {
    Reply::bulk(s)
}

fn id_of(c: &mut fakeredis::Client) -> i64 {
    c.cmd(["CLIENT", "ID"]).unwrap().as_int().unwrap()
}

#[test]
fn blpop_on_one_thread_is_served_by_a_push_on_another() {
    let server = Server::new();
    let mut popper = server.client();
    let waiter = thread::spawn(move || popper.cmd(["BLPOP", "jobs", "0"]).unwrap());
    // The push may come before or after the pop blocks: either way the popper gets it.
    let mut pusher = server.client();
    pusher.cmd(["RPUSH", "jobs", "j1"]).unwrap();
    assert_eq!(waiter.join().unwrap(), Reply::Array(vec![bulk("jobs"), bulk("j1")]));
    assert_eq!(pusher.cmd(["EXISTS", "jobs"]).unwrap(), Reply::Int(0));
}

#[test]
fn a_timeout_fires_when_the_frozen_clock_passes_it_and_not_before() {
    let server = Server::new();
    server.clock().freeze();
    let mut c = server.client();
    assert_eq!(c.send(&[b"BLPOP".to_vec(), b"k".to_vec(), b"1.5".to_vec()]).unwrap(), None);
    assert!(c.is_blocked());
    server.advance(Duration::from_millis(1500));
    assert_eq!(c.try_recv(), None, "the deadline itself is not past yet");
    assert!(c.is_blocked());
    server.advance(Duration::from_millis(1));
    assert_eq!(c.try_recv(), Some(Reply::NilArray));
    assert!(!c.is_blocked());
    // A client can then block again, and a frozen clock keeps it blocked meanwhile.
    assert_eq!(c.send(&[b"BLPOP".to_vec(), b"k".to_vec(), b"0".to_vec()]).unwrap(), None);
    server.advance(Duration::from_secs(3600));
    assert!(c.is_blocked());
    server.client().cmd(["LPUSH", "k", "v"]).unwrap();
    assert_eq!(c.try_recv(), Some(Reply::Array(vec![bulk("k"), bulk("v")])));
}

#[test]
fn an_embedded_blpop_times_out_on_the_running_clock() {
    let server = Server::new();
    let mut c = server.client();
    assert_eq!(c.cmd(["BLPOP", "k", "0.02"]).unwrap(), Reply::NilArray);
    // The virtual clock, moved by the test, counts too: an hour's timeout passes at once.
    let s2 = server.clone();
    let mover = thread::spawn(move || {
        while !s2.with_state(|st| st.clients.values().any(|m| m.blocked.is_some())) {
            thread::yield_now();
        }
        s2.advance(Duration::from_secs(3601));
    });
    assert_eq!(c.cmd(["BLPOP", "k", "3600"]).unwrap(), Reply::NilArray);
    mover.join().unwrap();
}

#[test]
fn client_unblock_answers_with_the_timeout_reply_or_the_error() {
    let server = Server::new();
    let (mut a, mut b) = (server.client(), server.client());
    let id = id_of(&mut a).to_string();
    assert_eq!(
        a.send(&[b"BLMOVE".to_vec(), b"s".to_vec(), b"d".to_vec(), b"LEFT".to_vec(), b"LEFT".to_vec(), b"0".to_vec()])
            .unwrap(),
        None
    );
    assert_eq!(b.cmd(["CLIENT", "UNBLOCK", &id]).unwrap(), Reply::Int(1));
    assert_eq!(a.try_recv(), Some(Reply::NilArray));
    assert_eq!(b.cmd(["CLIENT", "UNBLOCK", &id]).unwrap(), Reply::Int(0));
    assert_eq!(a.send(&[b"BZPOPMIN".to_vec(), b"z".to_vec(), b"0".to_vec()]).unwrap(), None);
    assert_eq!(b.cmd(["CLIENT", "UNBLOCK", &id, "error"]).unwrap(), Reply::Int(1));
    assert_eq!(a.try_recv(), Some(Reply::err("UNBLOCKED client unblocked via CLIENT UNBLOCK")));
    // Nothing was taken for it: a push afterwards stays.
    b.cmd(["RPUSH", "s", "x"]).unwrap();
    assert_eq!(b.cmd(["LLEN", "s"]).unwrap(), Reply::Int(1));
    let own = id_of(&mut b).to_string();
    assert_eq!(b.cmd(["CLIENT", "UNBLOCK", &own]).unwrap(), Reply::Int(0));
}

#[test]
fn a_dropped_waiter_takes_nothing() {
    let server = Server::new();
    let mut a = server.client();
    assert_eq!(a.send(&[b"BLPOP".to_vec(), b"k".to_vec(), b"0".to_vec()]).unwrap(), None);
    drop(a);
    let mut b = server.client();
    b.cmd(["RPUSH", "k", "v"]).unwrap();
    assert_eq!(b.cmd(["LRANGE", "k", "0", "-1"]).unwrap(), Reply::Array(vec![bulk("v")]));
}

#[test]
fn from_7_2_a_served_command_runs_again_and_may_pick_another_key() {
    // Redis 7.2 re-runs the blocked command (blocked.c, `handleClientsBlockedOnKey`): the
    // keys are scanned in argument order again, so `a` serves; 7.0 serves `b` (the
    // transcript blocking.txt checks that against redis-server 7.0.15).
    let server = Server::with_profile(Profile::redis(7, 2, 6));
    let (mut w, mut c) = (server.client(), server.client());
    assert_eq!(w.send(&[b"BLPOP".to_vec(), b"a".to_vec(), b"b".to_vec(), b"0".to_vec()]).unwrap(), None);
    for cmd in [&["MULTI"][..], &["RPUSH", "b", "x"], &["RPUSH", "a", "y"], &["EXEC"]] {
        c.cmd(cmd).unwrap();
    }
    assert_eq!(w.try_recv(), Some(Reply::Array(vec![bulk("a"), bulk("y")])));
    // A wrong type met first is WRONGTYPE for the waiter, which is then unblocked.
    c.cmd(["SET", "a", "s"]).unwrap();
    assert_eq!(
        w.send(&[b"BLPOP".to_vec(), b"a".to_vec(), b"c".to_vec(), b"0".to_vec()]).unwrap().map(|r| r.is_error()),
        Some(true)
    );
    c.cmd(["DEL", "a"]).unwrap();
    assert_eq!(w.send(&[b"BLPOP".to_vec(), b"a".to_vec(), b"c".to_vec(), b"0".to_vec()]).unwrap(), None);
    c.cmd(["SET", "a", "s"]).unwrap();
    c.cmd(["RPUSH", "c", "z"]).unwrap();
    assert_eq!(w.try_recv().map(|r| r.is_error()), Some(true));
    assert_eq!(c.cmd(["LLEN", "c"]).unwrap(), Reply::Int(1));
}

#[test]
fn embedded_pubsub_delivers_in_order_and_recv_waits() {
    let server = Server::new();
    let mut sub = server.client();
    assert_eq!(
        sub.cmd(["SUBSCRIBE", "a", "b"]).unwrap(),
        Reply::Push(vec![bulk("subscribe"), bulk("a"), Reply::Int(1)])
    );
    assert_eq!(sub.try_recv(), Some(Reply::Push(vec![bulk("subscribe"), bulk("b"), Reply::Int(2)])));
    assert_eq!(sub.try_recv(), None);
    let s2 = server.clone();
    let publisher = thread::spawn(move || {
        let mut p = s2.client();
        for i in 0..100 {
            p.cmd(["PUBLISH", if i % 2 == 0 { "a" } else { "b" }, &i.to_string()]).unwrap();
        }
    });
    let got: Vec<Reply> = sub.messages().take(100).collect();
    publisher.join().unwrap();
    for (i, m) in got.iter().enumerate() {
        let ch = if i % 2 == 0 { "a" } else { "b" };
        assert_eq!(m, &Reply::Push(vec![bulk("message"), bulk(ch), bulk(&i.to_string())]));
    }
    assert_eq!(sub.recv_timeout(Duration::from_millis(5)).unwrap(), None);
}

#[test]
fn many_threads_push_and_pop_every_element_exactly_once() {
    let server = Server::new();
    const PRODUCERS: usize = 4;
    const CONSUMERS: usize = 4;
    const EACH: usize = 500;
    let barrier = Arc::new(Barrier::new(PRODUCERS + CONSUMERS));
    let mut handles = Vec::new();
    for c in 0..CONSUMERS {
        let (server, barrier) = (server.clone(), barrier.clone());
        handles.push(thread::spawn(move || {
            let mut cl = server.client();
            barrier.wait();
            let mut got = Vec::new();
            loop {
                // Half of them block on two keys, the other half on one.
                let r = if c % 2 == 0 { cl.cmd(["BLPOP", "q1", "q2", "0"]) } else { cl.cmd(["BRPOP", "q2", "0"]) };
                let Reply::Array(kv) = r.unwrap() else { panic!("unexpected reply") };
                let v = kv[1].as_bytes().unwrap().to_vec();
                if v == b"stop" {
                    return got;
                }
                got.push(String::from_utf8(v).unwrap());
            }
        }));
    }
    for p in 0..PRODUCERS {
        let (server, barrier) = (server.clone(), barrier.clone());
        handles.push(thread::spawn(move || {
            let mut cl = server.client();
            barrier.wait();
            for i in 0..EACH {
                let key = if i % 3 == 0 { "q1" } else { "q2" };
                cl.cmd(["LPUSH", key, &format!("{p}-{i}")]).unwrap();
            }
            Vec::new()
        }));
    }
    let producers: Vec<_> = handles.split_off(CONSUMERS);
    for h in producers {
        h.join().unwrap();
    }
    let mut stopper = server.client();
    for _ in 0..CONSUMERS {
        stopper.cmd(["RPUSH", "q2", "stop"]).unwrap();
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.join().unwrap());
    }
    let mut left = Vec::new();
    for key in ["q1", "q2"] {
        if let Reply::Array(items) = stopper.cmd(["LRANGE", key, "0", "-1"]).unwrap() {
            left.extend(items.into_iter().map(|r| String::from_utf8(r.as_bytes().unwrap().to_vec()).unwrap()));
        }
    }
    left.retain(|v| v != "stop");
    let total = all.len() + left.len();
    let distinct: BTreeSet<String> = all.into_iter().chain(left).collect();
    assert_eq!(total, PRODUCERS * EACH, "every element exactly once");
    assert_eq!(distinct.len(), PRODUCERS * EACH);
}

#[test]
fn watch_multi_increments_are_never_lost() {
    let server = Server::new();
    const THREADS: usize = 4;
    const EACH: usize = 200;
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let server = server.clone();
            thread::spawn(move || {
                let mut c = server.client();
                let mut retries = 0;
                for _ in 0..EACH {
                    loop {
                        c.cmd(["WATCH", "counter"]).unwrap();
                        let cur = c.cmd(["GET", "counter"]).unwrap();
                        let n: i64 = cur.as_bytes().map_or(0, |b| std::str::from_utf8(b).unwrap().parse().unwrap());
                        c.cmd(["MULTI"]).unwrap();
                        c.cmd(["SET", "counter", &(n + 1).to_string()]).unwrap();
                        if c.cmd(["EXEC"]).unwrap() != Reply::NilArray {
                            break;
                        }
                        retries += 1;
                    }
                }
                retries
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(server.client().cmd(["GET", "counter"]).unwrap(), bulk(&(THREADS * EACH).to_string()));
}

#[test]
fn redis_rs_pubsub_over_tcp_sync() {
    let server = Server::new();
    let tcp = TcpServer::start(server.clone(), "127.0.0.1:0").unwrap();
    let client = redis::Client::open(tcp.url()).unwrap();
    let mut con = client.get_connection().unwrap();
    let mut ps = con.as_pubsub();
    ps.subscribe("news").unwrap();
    ps.psubscribe("n*").unwrap();
    let mut publisher = server.client();
    assert_eq!(publisher.cmd(["PUBLISH", "news", "hello"]).unwrap(), Reply::Int(2));
    let m1 = ps.get_message().unwrap();
    assert_eq!((m1.get_channel_name(), m1.get_payload::<String>().unwrap()), ("news", "hello".to_string()));
    let m2 = ps.get_message().unwrap();
    assert_eq!(m2.get_pattern::<String>().unwrap(), "n*");
    ps.unsubscribe("news").unwrap();
    ps.punsubscribe("n*").unwrap();
    drop(ps);
    let mut con = client.get_connection().unwrap();
    let n: i64 = redis::cmd("PUBLISH").arg("news").arg("x").query(&mut con).unwrap();
    assert!(n <= 1, "the unsubscribed connection no longer counts");
}

#[test]
fn redis_rs_blocking_pop_over_tcp_with_pipelined_commands_behind_it() {
    let server = Server::new();
    let tcp = TcpServer::start(server.clone(), "127.0.0.1:0").unwrap();
    let client = redis::Client::open(tcp.url()).unwrap();
    let mut con = client.get_connection().unwrap();
    let s2 = server.clone();
    let pusher = thread::spawn(move || {
        while !s2.with_state(|st| st.clients.values().any(|m| m.blocked.is_some())) {
            thread::yield_now();
        }
        s2.client().cmd(["RPUSH", "k", "a", "b"]).unwrap();
    });
    let (popped, pong, rest): ((String, String), String, Option<String>) =
        redis::pipe().cmd("BLPOP").arg("k").arg(0).cmd("PING").cmd("RPOP").arg("k").query(&mut con).unwrap();
    pusher.join().unwrap();
    assert_eq!(popped, ("k".to_string(), "a".to_string()));
    assert_eq!(pong, "PONG");
    assert_eq!(rest.as_deref(), Some("b"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_rs_async_pubsub_over_tcp() {
    use futures_util::StreamExt;
    let server = Server::new();
    let tcp = TcpServer::start(server.clone(), "127.0.0.1:0").unwrap();
    let client = redis::Client::open(tcp.url()).unwrap();
    let mut ps = client.get_async_pubsub().await.unwrap();
    ps.subscribe("events").await.unwrap();
    let mut publisher = client.get_multiplexed_async_connection().await.unwrap();
    let n: i64 = redis::cmd("PUBLISH").arg("events").arg("e1").query_async(&mut publisher).await.unwrap();
    assert_eq!(n, 1);
    let msg = ps.on_message().next().await.unwrap();
    assert_eq!(msg.get_payload::<String>().unwrap(), "e1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_blpop_over_tcp_is_served_from_another_task() {
    let server = Server::new();
    let tcp = TcpServer::start(server.clone(), "127.0.0.1:0").unwrap();
    let client = redis::Client::open(tcp.url()).unwrap();
    let mut waiter = client.get_multiplexed_async_connection().await.unwrap();
    let mut pusher = client.get_multiplexed_async_connection().await.unwrap();
    let pop = tokio::spawn(async move {
        let r: (String, String) = redis::cmd("BLPOP").arg("q").arg(0).query_async(&mut waiter).await.unwrap();
        r
    });
    while !server.with_state(|st| st.clients.values().any(|m| m.blocked.is_some())) {
        tokio::task::yield_now().await;
    }
    let _: i64 = redis::cmd("RPUSH").arg("q").arg("v").query_async(&mut pusher).await.unwrap();
    assert_eq!(pop.await.unwrap(), ("q".to_string(), "v".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_in_process_pubsub_through_the_push_sender() {
    let server = Server::new();
    let mut sub = server.async_redis_connection();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    sub.set_push_sender(tx);
    sub.subscribe(&["a", "b"]).await.unwrap();
    let first = rx.recv().await.unwrap();
    assert_eq!(first.kind, redis::PushKind::Subscribe);
    assert_eq!(rx.recv().await.unwrap().kind, redis::PushKind::Subscribe);
    let mut publisher = server.async_redis_connection();
    let n: i64 = redis::cmd("PUBLISH").arg("b").arg("hello").query_async(&mut publisher).await.unwrap();
    assert_eq!(n, 1);
    // Delivered when the publisher's command queued it: no command on `sub` needed.
    let msg = rx.recv().await.unwrap();
    assert_eq!(msg.kind, redis::PushKind::Message);
    assert_eq!(msg.data, vec![redis::Value::BulkString(b"b".to_vec()), redis::Value::BulkString(b"hello".to_vec())]);
}

#[tokio::test(flavor = "current_thread")]
async fn async_in_process_blpop_does_not_block_the_executor() {
    let server = Server::new();
    let mut waiter = server.async_redis_connection();
    let mut pusher = server.async_redis_connection();
    // On a single-threaded runtime: if BLPOP blocked the thread, the push could never run.
    let pop = async move {
        let r: (String, String) = redis::cmd("BLPOP").arg("q").arg(0).query_async(&mut waiter).await.unwrap();
        r
    };
    let push = async move {
        tokio::task::yield_now().await;
        let _: i64 = redis::cmd("RPUSH").arg("q").arg("v").query_async(&mut pusher).await.unwrap();
    };
    let (popped, ()) = tokio::join!(pop, push);
    assert_eq!(popped, ("q".to_string(), "v".to_string()));
    // A timeout on the running clock fires too.
    let mut c = server.async_redis_connection();
    let r: Option<(String, String)> = redis::cmd("BLPOP").arg("none").arg(0.02).query_async(&mut c).await.unwrap();
    assert_eq!(r, None);
}

/// A seeded random interleaving of clients pushing, popping, blocking (with and without
/// timeouts on the frozen clock) and running transactions, checked reply by reply against
/// a model: per-key lists, and the FIFO queue of clients blocked on each key.
#[test]
fn interleaved_clients_match_a_model() {
    use std::collections::{HashMap, VecDeque};
    for seed in 1..=20u64 {
        let server = Server::new();
        server.clock().freeze();
        let mut clients: Vec<fakeredis::Client> = (0..6).map(|_| server.client()).collect();
        let keys = ["k1", "k2", "k3"];
        let mut lists: HashMap<&str, VecDeque<String>> = HashMap::new();
        // Blocked clients: (client, its keys in order, deadline in ms from the start or none).
        let mut blocked: Vec<(usize, Vec<&str>, Option<u64>)> = Vec::new();
        let mut now = 0u64;
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut counter = 0;
        for _ in 0..400 {
            let c = next(6) as usize;
            if blocked.iter().any(|(b, ..)| *b == c) {
                // A blocked client can't send; let time pass instead sometimes.
                if next(4) == 0 {
                    let step = 1 + next(1500);
                    server.advance(Duration::from_millis(step));
                    now += step;
                    // Timed out in the order of their deadlines: nil each.
                    blocked.retain(|(b, _, d)| {
                        if d.is_some_and(|d| d < now) {
                            assert_eq!(clients[*b].try_recv(), Some(Reply::NilArray), "seed {seed}: timeout");
                            false
                        } else {
                            true
                        }
                    });
                }
                continue;
            }
            match next(4) {
                0 | 1 => {
                    // RPUSH one or two values, in a transaction half the time.
                    let key = keys[next(3) as usize];
                    let vals: Vec<String> = (0..1 + next(2))
                        .map(|_| {
                            counter += 1;
                            format!("v{counter}")
                        })
                        .collect();
                    let multi = next(2) == 0;
                    let mut args = vec!["RPUSH".to_string(), key.to_string()];
                    args.extend(vals.iter().cloned());
                    if multi {
                        clients[c].cmd(["MULTI"]).unwrap();
                        clients[c].cmd(&args).unwrap();
                        clients[c].cmd(["EXEC"]).unwrap();
                    } else {
                        clients[c].cmd(&args).unwrap();
                    }
                    lists.entry(key).or_default().extend(vals);
                    // Model: waiters on this key, first blocked first, each take one.
                    let mut i = 0;
                    while i < blocked.len() {
                        let l = lists.entry(key).or_default();
                        if l.is_empty() {
                            break;
                        }
                        if blocked[i].1.contains(&key) {
                            let (b, _, _) = blocked.remove(i);
                            let v = l.pop_front().unwrap();
                            assert_eq!(
                                clients[b].try_recv(),
                                Some(Reply::Array(vec![bulk(key), bulk(&v)])),
                                "seed {seed}: served"
                            );
                        } else {
                            i += 1;
                        }
                    }
                }
                2 => {
                    // BLPOP on one or two keys, with a timeout or forever.
                    let mut ks = vec![keys[next(3) as usize]];
                    if next(2) == 0 {
                        let k2 = keys[next(3) as usize];
                        if k2 != ks[0] {
                            ks.push(k2);
                        }
                    }
                    let timeout = if next(2) == 0 { 0 } else { 1 + next(3) };
                    let mut argv: Vec<Vec<u8>> = vec![b"BLPOP".to_vec()];
                    argv.extend(ks.iter().map(|k| k.as_bytes().to_vec()));
                    argv.push(timeout.to_string().into_bytes());
                    let r = clients[c].send(&argv).unwrap();
                    match ks.iter().find(|k| lists.get(*k).is_some_and(|l| !l.is_empty())) {
                        Some(k) => {
                            let v = lists.get_mut(k).unwrap().pop_front().unwrap();
                            assert_eq!(r, Some(Reply::Array(vec![bulk(k), bulk(&v)])), "seed {seed}: immediate");
                        }
                        None => {
                            assert_eq!(r, None, "seed {seed}: should block");
                            blocked.push((c, ks, (timeout > 0).then(|| now + timeout * 1000)));
                        }
                    }
                }
                _ => {
                    // LPOP: the model's head, or nil.
                    let key = keys[next(3) as usize];
                    let want = lists.entry(key).or_default().pop_front();
                    assert_eq!(clients[c].cmd(["LPOP", key]).unwrap(), Reply::bulk_opt(want), "seed {seed}: lpop");
                }
            }
        }
        // Every remaining element is still there, in order.
        for key in keys {
            let want: Vec<Reply> = lists.get(key).map(|l| l.iter().map(|v| bulk(v)).collect()).unwrap_or_default();
            assert_eq!(
                server.client().cmd(["LRANGE", key, "0", "-1"]).unwrap(),
                Reply::Array(want),
                "seed {seed}: final {key}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_tasks_over_tcp_and_in_process_push_and_pop_every_element_once() {
    let server = Server::new();
    let tcp = TcpServer::start(server.clone(), "127.0.0.1:0").unwrap();
    let client = redis::Client::open(tcp.url()).unwrap();
    const EACH: usize = 300;
    let mut tasks = Vec::new();
    // Two consumers over TCP and two in-process, each on a connection of its own.
    for i in 0..4 {
        let server = server.clone();
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            let mut tcp_con = if i < 2 { Some(client.get_multiplexed_async_connection().await.unwrap()) } else { None };
            let mut local = server.async_redis_connection();
            loop {
                let cmd = redis::cmd("BLPOP").arg("work").arg(0).clone();
                let (_, v): (String, String) = match &mut tcp_con {
                    Some(c) => cmd.query_async(c).await.unwrap(),
                    None => cmd.query_async(&mut local).await.unwrap(),
                };
                if v == "stop" {
                    return got;
                }
                got.push(v);
            }
        }));
    }
    let mut producers = Vec::new();
    for p in 0..2 {
        let client = client.clone();
        let server = server.clone();
        producers.push(tokio::spawn(async move {
            let mut tcp_con = client.get_multiplexed_async_connection().await.unwrap();
            let mut local = server.async_redis_connection();
            for i in 0..EACH {
                let cmd = redis::cmd("RPUSH").arg("work").arg(format!("{p}-{i}")).clone();
                let _: i64 = if i % 2 == 0 {
                    cmd.query_async(&mut tcp_con).await.unwrap()
                } else {
                    cmd.query_async(&mut local).await.unwrap()
                };
            }
        }));
    }
    for p in producers {
        p.await.unwrap();
    }
    let mut stopper = server.async_redis_connection();
    for _ in 0..4 {
        let _: i64 = redis::cmd("RPUSH").arg("work").arg("stop").query_async(&mut stopper).await.unwrap();
    }
    let mut all = BTreeSet::new();
    let mut total = 0;
    for t in tasks {
        let got = t.await.unwrap();
        total += got.len();
        all.extend(got);
    }
    assert_eq!(total, 2 * EACH);
    assert_eq!(all.len(), 2 * EACH);
}

/// A subscriber that never reads is closed once its queue passes the pubsub class's hard
/// limit (Redis's default `client-output-buffer-limit pubsub 32mb 8mb 60`); the publisher
/// and everyone else go on.
#[test]
fn a_subscriber_that_never_reads_is_closed_at_the_hard_output_limit() {
    let server = Server::new();
    let mut sub = server.client();
    sub.cmd(["SUBSCRIBE", "news"]).unwrap();
    let mut publisher = server.client();
    let message = "x".repeat(1 << 20);
    let mut delivered = 0;
    for _ in 0..40 {
        delivered += publisher.cmd(["PUBLISH", "news", &message]).unwrap().as_int().unwrap();
    }
    assert!((31..=32).contains(&delivered), "deliveries until the limit: {delivered}");
    assert_eq!(publisher.cmd(["PUBSUB", "NUMSUB", "news"]).unwrap(), Reply::Array(vec![bulk("news"), Reply::Int(0)]));
    assert!(sub.cmd(["PING"]).is_err(), "the subscriber's connection is closed");
    assert_eq!(publisher.cmd(["PING"]).unwrap(), Reply::simple("PONG"));
}

/// Over the soft limit (8 MB) the queue may stay 60 s on the server clock, not longer; a
/// subscriber that reads in time is kept.
#[test]
fn a_subscriber_over_the_soft_output_limit_is_closed_after_sixty_seconds() {
    let server = Server::new();
    server.clock().freeze();
    let mut slow = server.client();
    slow.cmd(["SUBSCRIBE", "news"]).unwrap();
    let mut reader = server.client();
    reader.cmd(["SUBSCRIBE", "news"]).unwrap();
    let mut publisher = server.client();
    let message = "x".repeat(1 << 20);
    let publish = |p: &mut fakeredis::Client| p.cmd(["PUBLISH", "news", &message]).unwrap().as_int().unwrap();
    for _ in 0..10 {
        assert_eq!(publish(&mut publisher), 2);
    }
    while reader.try_recv().is_some() {}
    server.advance(Duration::from_secs(60));
    assert_eq!(publish(&mut publisher), 2, "60 s over the soft limit is still allowed");
    while reader.try_recv().is_some() {}
    server.advance(Duration::from_secs(1));
    assert_eq!(publish(&mut publisher), 2, "the message that finds it over is still queued");
    assert_eq!(publish(&mut publisher), 1, "then the slow subscriber is gone");
    assert!(slow.cmd(["PING"]).is_err());
    while reader.try_recv().is_some() {}
    assert_eq!(reader.cmd(["PING"]).unwrap(), Reply::Array(vec![bulk("pong"), bulk("")]));
}
