//! Cluster mode over TCP, through redis-rs's cluster client (which reads CLUSTER SLOTS and
//! routes every command by its key's slot): the one node serves every slot, hash tags keep
//! multi-key commands in one slot, and keys in different slots are refused with CROSSSLOT.

use fakeredis::net::TcpServer;
use fakeredis::{Profile, Server};
use redis::cluster::ClusterClient;
use redis::Commands;

fn start() -> (Server, TcpServer) {
    let server = Server::with_profile(Profile::redis(7, 0, 15));
    server.set_startup_config("cluster-enabled", "yes").expect("cluster mode");
    let tcp = TcpServer::start(server.clone(), "127.0.0.1:0").expect("bind");
    (server, tcp)
}

#[test]
fn a_cluster_client_connects_and_routes_by_slot() {
    let (_server, tcp) = start();
    let client = ClusterClient::new(vec![format!("redis://{}", tcp.local_addr())]).expect("cluster client");
    let mut con = client.get_connection().expect("connects through CLUSTER SLOTS");
    for i in 0..50 {
        let _: () = con.set(format!("key:{i}"), i).unwrap();
    }
    for i in 0..50 {
        let v: i64 = con.get(format!("key:{i}")).unwrap();
        assert_eq!(v, i);
    }
    let _: () = con.mset(&[("{user:1}:name", "ada"), ("{user:1}:lang", "en")]).unwrap();
    let both: Vec<String> = con.mget(&["{user:1}:name", "{user:1}:lang"]).unwrap();
    assert_eq!(both, ["ada", "en"]);
    let slot: i64 = redis::cmd("CLUSTER").arg("KEYSLOT").arg("{user:1}:name").query(&mut con).unwrap();
    let count: i64 = redis::cmd("CLUSTER").arg("COUNTKEYSINSLOT").arg(slot).query(&mut con).unwrap();
    assert_eq!(count, 2);
}

#[test]
fn keys_in_different_slots_are_refused_and_select_is_not_allowed() {
    let (_server, tcp) = start();
    let mut con = redis::Client::open(format!("redis://{}", tcp.local_addr())).unwrap().get_connection().unwrap();
    let err = redis::cmd("MSET").arg("a").arg(1).arg("b").arg(2).query::<()>(&mut con).unwrap_err();
    assert_eq!(err.code(), Some("CROSSSLOT"), "{err}");
    let err = redis::cmd("SELECT").arg(1).query::<()>(&mut con).unwrap_err();
    assert!(err.to_string().contains("SELECT is not allowed in cluster mode"), "{err}");
    // A transaction is judged as a whole at EXEC.
    let _: () = redis::cmd("MULTI").query(&mut con).unwrap();
    let _: String = redis::cmd("SET").arg("{a}x").arg(1).query(&mut con).unwrap();
    let _: String = redis::cmd("SET").arg("{b}x").arg(2).query(&mut con).unwrap();
    let err = redis::cmd("EXEC").query::<()>(&mut con).unwrap_err();
    assert_eq!(err.code(), Some("CROSSSLOT"), "{err}");
    let err = redis::cmd("EXEC").query::<()>(&mut con).unwrap_err();
    assert!(err.to_string().contains("EXEC without MULTI"), "the transaction is gone: {err}");
    let info: String = redis::cmd("INFO").arg("cluster").query(&mut con).unwrap();
    assert!(info.contains("cluster_enabled:1"), "{info}");
}
