//! INFO: the sections and field names of the pinned server (against the live oracle for
//! Redis 7.0; from `docs/research/info-redis.md` and `info-others.md` for the others), the
//! selection rules, and counters that count.

mod common;

use fakeredis::{Profile, Reply, Server};

/// Section headers and field names (values are each server's), sorted within a section.
fn layout(text: &str) -> Vec<String> {
    fakeredis::difffuzz::norm::info_layout(text.as_bytes())
}

fn text(r: &Reply) -> String {
    String::from_utf8_lossy(r.as_bytes().unwrap_or_else(|| panic!("INFO answered {r:?}"))).into_owned()
}

fn info(c: &mut fakeredis::Client, args: &[&str]) -> String {
    let mut argv = vec!["INFO"];
    argv.extend_from_slice(args);
    text(&c.cmd(argv).expect("reply"))
}

/// The same commands on both sides first, so commandstats, errorstats and keyspace have lines.
const SETUP: &[&[&str]] = &[
    &["CONFIG", "RESETSTAT"],
    &["SET", "k", "v"],
    &["SET", "n", "12"],
    &["EXPIRE", "n", "1000"],
    &["GET", "k", "extra"],
    &["INCR", "k"],
    &["SELECT", "3"],
    &["SET", "k", "v"],
    &["SELECT", "0"],
];

const ARGS: &[&[&str]] = &[
    &[],
    &["default"],
    &["all"],
    &["everything"],
    &["server"],
    &["Clients", "MEMORY", "clients"],
    &["commandstats", "errorstats", "latencystats"],
    &["keyspace", "nosuch"],
    &["nosuch"],
    &["debug"],
    &["modules"],
    &["persistence", "stats", "replication", "cpu", "cluster"],
];

#[test]
fn redis_70_sections_and_fields_match_redis_server() {
    let Some(bin) = common::binary_or_skip() else { return };
    let real = common::start(&bin, "info");
    let mut r = common::Conn::open(real.port);
    let server = Server::with_profile(Profile::redis(7, 0, 15));
    let mut c = server.client();
    for cmd in SETUP {
        let (a, b) = (r.call(cmd), c.cmd(cmd.iter()).expect("reply"));
        assert_eq!(a, b, "{cmd:?}");
    }
    for args in ARGS {
        let mut argv = vec!["INFO"];
        argv.extend_from_slice(args);
        let want = layout(&text(&r.call(&argv)));
        let got = layout(&info(&mut c, args));
        assert_eq!(got, want, "INFO {args:?}");
    }
}

#[test]
fn selection_rules() {
    let mut c = Server::with_profile(Profile::redis(7, 0, 15)).client();
    let default = layout(&info(&mut c, &[]));
    let headers = |l: &[String]| l.iter().filter(|x| x.starts_with('#')).cloned().collect::<Vec<_>>();
    assert_eq!(
        headers(&default),
        [
            "# Server",
            "# Clients",
            "# Memory",
            "# Persistence",
            "# Stats",
            "# Replication",
            "# CPU",
            "# Modules",
            "# Errorstats",
            "# Cluster",
            "# Keyspace"
        ]
    );
    // Printed in the server's order, once, whatever the arguments' order and case.
    assert_eq!(headers(&layout(&info(&mut c, &["keyspace", "SERVER", "server"]))), ["# Server", "# Keyspace"]);
    assert_eq!(info(&mut c, &["nosuch"]), "");
    let text = info(&mut c, &["server", "clients"]);
    assert!(
        text.ends_with("\r\n") && !text.ends_with("\r\n\r\n") && text.contains("\r\n\r\n# Clients\r\n"),
        "{text:?}"
    );
    // 6.2 and KeyDB take one section at most.
    for p in [Profile::redis(6, 2, 14), Profile::keydb()] {
        let mut c = Server::with_profile(p).client();
        assert_eq!(c.cmd(["INFO", "server", "clients"]).expect("reply"), Reply::err("ERR syntax error"), "{p}");
        assert!(!info(&mut c, &["all"]).contains("# Latencystats"), "{p}: latencystats came with 7.0");
    }
    // Redis 8 adds Threads and Keysizes to the default; 8.6.1 Hotkeys (8.6.0 only after a
    // HOTKEYS session).
    let mut c = Server::with_profile(Profile::redis(8, 6, 1)).client();
    c.cmd(["SET", "k", "abcd"]).expect("reply");
    let eight = info(&mut c, &[]);
    for h in ["# Threads", "# Keysizes", "# Hotkeys"] {
        assert!(eight.contains(h), "{h} in Redis 8.6's default INFO");
    }
    assert!(eight.contains("db0_distrib_strings_sizes:4=1\r\n"), "{eight}");
    assert!(!info(&mut Server::with_profile(Profile::redis(8, 6, 0)).client(), &[]).contains("# Hotkeys"));
    assert!(eight.contains("db0:keys=1,expires=0,avg_ttl=0,subexpiry=0\r\n"), "{eight}");
    // Valkey names itself; 8.0 says server_mode.
    let mut c = Server::with_profile(Profile::valkey(8, 1, 1)).client();
    let v = info(&mut c, &["server"]);
    assert!(
        v.contains("redis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.1.1\r\nvalkey_release_stage:ga\r\n"),
        "{v}"
    );
    assert!(v.contains("server_mode:standalone") && !v.contains("atomicvar_api"), "{v}");
}

#[test]
fn counters_count() {
    let mut c = Server::with_profile(Profile::redis(7, 0, 15)).client();
    for cmd in [
        &["SET", "a", "1"][..],
        &["GET", "a"],
        &["GET", "nosuch"],
        &["GET"],
        &["INCR", "a"],
        &["SET", "b", "x"],
        &["INCR", "b"],
    ] {
        c.cmd(cmd).expect("reply");
    }
    let all = info(&mut c, &["all"]);
    for line in [
        "cmdstat_get:calls=2,",
        "rejected_calls=1,failed_calls=0\r\n",
        "cmdstat_incr:calls=2,",
        "errorstat_ERR:count=2\r\n",
        "keyspace_hits:1\r\n",
        "keyspace_misses:1\r\n",
        "total_error_replies:2\r\n",
        "total_commands_processed:6\r\n",
        "db0:keys=2,expires=0,avg_ttl=0\r\n",
        "latency_percentiles_usec_get:p50=",
    ] {
        assert!(all.contains(line), "{line:?} in\n{all}");
    }
    c.cmd(["CONFIG", "RESETSTAT"]).expect("reply");
    let after = info(&mut c, &["commandstats", "errorstats"]);
    assert!(after.starts_with("# Commandstats\r\ncmdstat_config|resetstat:calls=1,"), "{after}");
    assert_eq!(after.matches("cmdstat_").count(), 1, "RESETSTAT clears the others: {after}");
    assert!(after.ends_with("# Errorstats\r\n"), "{after:?}");
}

#[test]
fn keydb_and_valkey_91_have_their_own_fields() {
    let mut c = Server::with_profile(Profile::keydb()).client();
    c.cmd(["SET", "k", "v"]).expect("reply");
    c.cmd(["CONFIG", "GET", "hz"]).expect("reply");
    let all = info(&mut c, &["all"]);
    for line in [
        "features:cluster_mget\r\n",
        "thread_0_clients:1\r\n",
        "storage_provider:none\r\n",
        "server_threads:1\r\n",
        "db0:keys=1,expires=0,avg_ttl=0,cached_keys=1\r\n",
        "# KeyDB\r\nmvcc_depth:0\r\n",
        "cmdstat_config:calls=1,",
    ] {
        assert!(all.contains(line), "{line:?} in KeyDB's INFO all:\n{all}");
    }
    assert!(!all.contains("monotonic_clock") && !all.contains("io_threads_active") && !all.contains("cmdstat_config|"));
    let mut c = Server::with_profile(Profile::valkey(9, 1, 0)).client();
    let heads: Vec<String> = layout(&info(&mut c, &["all"])).into_iter().filter(|l| l.starts_with('#')).collect();
    let pos = |h: &str| heads.iter().position(|x| x == h).unwrap_or_else(|| panic!("{h} in {heads:?}"));
    assert!(pos("# Server") < pos("# TLS") && pos("# TLS") < pos("# Clients"));
    assert!(pos("# Cluster") < pos("# Cluster Info") && pos("# Scripting Engines") < pos("# Keyspace"));
    assert!(!info(&mut c, &[]).contains("# TLS"), "TLS is not in Valkey 9.1's default");
}

#[test]
fn redis_74_stops_counting_errors_past_128_prefixes() {
    for (p, disabled) in [(Profile::redis(7, 4, 2), true), (Profile::redis(7, 2, 4), false)] {
        let mut c = Server::with_profile(p).client();
        // 128 prefixes already counted (the commands implemented so far all answer ERR or
        // WRONGTYPE, so they are put in the table directly), then a 129th: ERR.
        c.server().with_state(|st| {
            for i in 0..128 {
                st.stats.errors.insert(format!("E{i}").into_bytes(), 1);
            }
        });
        c.cmd(["GET"]).expect("reply");
        let text = info(&mut c, &["errorstats"]);
        assert_eq!(text == "# Errorstats\r\nerrorstat_ERRORSTATS_DISABLED:count=1\r\n", disabled, "{p}: {text}");
    }
}

#[test]
fn dragonfly_selects_sections_its_own_way() {
    let mut c = Server::with_profile(Profile::dragonfly(1, 25, 0)).client();
    let all = info(&mut c, &[]);
    assert!(all.starts_with("# Server\r\nredis_version:6.2.11\r\ndragonfly_version:df-v1.25.0\r\n"), "{all}");
    assert_eq!(info(&mut c, &["default"]), "");
    assert_eq!(info(&mut c, &["everything"]), "");
    let twice = info(&mut c, &["keyspace", "server", "SERVER"]);
    assert_eq!(twice.matches("# Server\r\n").count(), 2, "repeats are kept: {twice}");
    assert!(twice.starts_with("# Keyspace\r\n"), "argument order: {twice}");
    assert_eq!(layout(&info(&mut c, &["all"])), layout(&all));
}
