//! CLUSTER (spec group `cluster`), all subcommands overlay `walk`: without cluster mode each
//! answers that cluster support is disabled before it reads its arguments, as Redis's
//! `clusterCommand` does. In cluster mode the node is a master alone, serving all 16384
//! slots ([`crate::server::cluster`]), at the address the client connected to (an empty IP,
//! as a node no other node has met answers; or `cluster-announce-ip`/`-port`); subcommands that would change the layout (DELSLOTS,
//! SETSLOT, MEET, FAILOVER, RESET ...) answer that they are not implemented.

use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::cluster::{key_slot, SLOTS};
use crate::server::Ctx;
use crate::spec::grammar::parse_i64;

fn enabled(ctx: &Ctx<'_>) -> Result<(), Reply> {
    if ctx.st.config.limits().cluster {
        Ok(())
    } else {
        Err(Reply::err(error::CLUSTER_DISABLED))
    }
}

/// This node's address: (ip, port, bus port). A node no other node has met does not know
/// its own IP: it answers an empty one (clients use the address they connected to) unless
/// `cluster-announce-ip` says otherwise.
fn endpoint(ctx: &Ctx<'_>) -> (String, i64, i64) {
    let c = &ctx.st.config;
    let ip = c.get("cluster-announce-ip").to_string();
    let listening = ctx.shared.port.load(std::sync::atomic::Ordering::Relaxed) as i64;
    let port = match c.get_i64("cluster-announce-port") {
        0 if listening != 0 => listening,
        0 => c.get_i64("port"),
        p => p,
    };
    let bus = match (c.get_i64("cluster-announce-bus-port"), c.get_i64("cluster-port")) {
        (0, 0) => port + 10000,
        (0, p) | (p, _) => p,
    };
    (ip, port, bus)
}

fn arity(ctx: &Ctx<'_>, sub: &str) -> Reply {
    Reply::err(error::wrong_arity(&ctx.profile(), &format!("cluster|{sub}"), Some(sub.as_bytes())))
}

fn slot_arg(w: &[u8]) -> Result<i64, Reply> {
    parse_i64(w).filter(|s| (0..i64::from(SLOTS)).contains(s)).ok_or(Reply::err(error::CLUSTER_BAD_SLOT))
}

fn not_here(ctx: &Ctx<'_>, sub: &str) -> CmdResult {
    enabled(ctx)?;
    Err(Reply::err(error::not_implemented(&format!("cluster|{sub}"))))
}

/// CLUSTER INFO: a healthy one-node cluster.
pub fn cluster_info(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    let (current, mine) = ctx.st.cluster_epochs;
    let mut s = format!(
        "cluster_state:ok\r\ncluster_slots_assigned:{SLOTS}\r\ncluster_slots_ok:{SLOTS}\r\ncluster_slots_pfail:0\r\n\
         cluster_slots_fail:0\r\ncluster_known_nodes:1\r\ncluster_size:1\r\ncluster_current_epoch:{current}\r\n\
         cluster_my_epoch:{mine}\r\ncluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\n"
    );
    if ctx.profile().redis_at_least(7, 0) {
        s.push_str("total_cluster_links_buffer_limit_exceeded:0\r\n");
    }
    Ok(Reply::Verbatim("txt", s.into_bytes()))
}

/// CLUSTER MYID.
pub fn cluster_myid(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    Ok(Reply::bulk(ctx.shared.node_id.clone()))
}

/// CLUSTER MYSHARDID (7.2).
pub fn cluster_myshardid(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    Ok(Reply::bulk(ctx.shared.shard_id.clone()))
}

/// CLUSTER NODES: this node's line.
pub fn cluster_nodes(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    let (ip, port, bus) = endpoint(ctx);
    let host = match ctx.st.config.get("cluster-announce-hostname") {
        "" => String::new(),
        h => format!(",{h}"),
    };
    let epoch = ctx.st.cluster_epochs.1;
    let line = format!(
        "{} {ip}:{port}@{bus}{host} myself,master - 0 0 {epoch} connected 0-{}\n",
        ctx.shared.node_id,
        SLOTS - 1
    );
    Ok(Reply::Verbatim("txt", line.into_bytes()))
}

/// The node as CLUSTER SLOTS lists it: preferred endpoint, port, ID, metadata.
fn node_reply(ctx: &Ctx<'_>) -> Reply {
    let (ip, port, _) = endpoint(ctx);
    let hostname = ctx.st.config.get("cluster-announce-hostname").to_string();
    let (first, mut meta) = match ctx.st.config.get("cluster-preferred-endpoint-type") {
        "hostname" => (Reply::bulk(if hostname.is_empty() { "?".to_string() } else { hostname.clone() }), vec![]),
        "unknown-endpoint" => (Reply::Nil, vec![]),
        _ => (Reply::bulk(ip.clone()), vec![]),
    };
    if !matches!(first, Reply::Bulk(ref b) if b.as_ref() == ip.as_bytes()) {
        meta.push((Reply::bulk("ip"), Reply::bulk(ip)));
    }
    if !hostname.is_empty() && ctx.st.config.get("cluster-preferred-endpoint-type") != "hostname" {
        meta.push((Reply::bulk("hostname"), Reply::bulk(hostname)));
    }
    let mut node = vec![first, Reply::Int(port), Reply::bulk(ctx.shared.node_id.clone())];
    if ctx.profile().redis_at_least(7, 0) {
        node.push(Reply::Map(meta));
    }
    Reply::Array(node)
}

/// CLUSTER SLOTS: one range, all slots, this node.
pub fn cluster_slots(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    let range = vec![Reply::Int(0), Reply::Int(i64::from(SLOTS) - 1), node_reply(ctx)];
    Ok(Reply::Array(vec![Reply::Array(range)]))
}

/// CLUSTER SHARDS (7.0): one shard, all slots, this node.
pub fn cluster_shards(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    let (ip, port, _) = endpoint(ctx);
    let hostname = ctx.st.config.get("cluster-announce-hostname").to_string();
    let endpoint = match ctx.st.config.get("cluster-preferred-endpoint-type") {
        "hostname" if !hostname.is_empty() => hostname.clone(),
        "hostname" => "?".into(),
        "unknown-endpoint" => String::new(),
        _ => ip.clone(),
    };
    let b = Reply::bulk;
    let id = Reply::bulk(ctx.shared.node_id.clone());
    let mut node = vec![(b("id"), id), (b("port"), Reply::Int(port)), (b("ip"), Reply::bulk(ip))];
    node.push((b("endpoint"), Reply::bulk(endpoint)));
    if !hostname.is_empty() {
        node.push((b("hostname"), Reply::bulk(hostname)));
    }
    node.extend([(b("role"), b("master")), (b("replication-offset"), Reply::Int(0)), (b("health"), b("online"))]);
    let slots = Reply::Array(vec![Reply::Int(0), Reply::Int(i64::from(SLOTS) - 1)]);
    let shard = Reply::Map(vec![(b("slots"), slots), (b("nodes"), Reply::Array(vec![Reply::Map(node)]))]);
    Ok(Reply::Array(vec![shard]))
}

/// CLUSTER LINKS (7.0): no peers, no links.
pub fn cluster_links(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    Ok(Reply::Array(vec![]))
}

/// CLUSTER KEYSLOT key.
pub fn cluster_keyslot(ctx: &mut Ctx<'_>, w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    let [key] = w else { return Err(arity(ctx, "keyslot")) };
    Ok(Reply::Int(i64::from(key_slot(key))))
}

/// The keys of `slot`, newest first (as Redis's slot-to-keys lists hold them).
fn keys_in_slot(ctx: &mut Ctx<'_>, slot: i64) -> Vec<bytes::Bytes> {
    let now = ctx.now;
    let db = &ctx.st.dbs[0];
    let mut keys: Vec<(u64, bytes::Bytes)> = db
        .keys()
        .filter(|(k, _)| i64::from(key_slot(k)) == slot && db.get_live(k, now).is_some())
        .map(|(k, _)| (db.created(k).unwrap_or(0), k.to_bytes()))
        .collect();
    keys.sort_by_key(|k| std::cmp::Reverse(k.0));
    keys.into_iter().map(|(_, k)| k).collect()
}

/// CLUSTER COUNTKEYSINSLOT slot.
pub fn cluster_countkeysinslot(ctx: &mut Ctx<'_>, w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    let [slot] = w else { return Err(arity(ctx, "countkeysinslot")) };
    let slot = parse_i64(slot).ok_or(Reply::err(error::NOT_INTEGER))?;
    if !(0..i64::from(SLOTS)).contains(&slot) {
        return Err(Reply::err(error::CLUSTER_INVALID_SLOT));
    }
    Ok(Reply::Int(keys_in_slot(ctx, slot).len() as i64))
}

/// CLUSTER GETKEYSINSLOT slot count.
pub fn cluster_getkeysinslot(ctx: &mut Ctx<'_>, w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    let [slot, count] = w else { return Err(arity(ctx, "getkeysinslot")) };
    let slot = parse_i64(slot).ok_or(Reply::err(error::NOT_INTEGER))?;
    let count = parse_i64(count).ok_or(Reply::err(error::NOT_INTEGER))?;
    if !(0..i64::from(SLOTS)).contains(&slot) || count < 0 {
        return Err(Reply::err(error::CLUSTER_INVALID_SLOT_OR_COUNT));
    }
    let keys = keys_in_slot(ctx, slot);
    Ok(Reply::Array(keys.into_iter().take(count as usize).map(Reply::Bulk).collect()))
}

/// CLUSTER ADDSLOTS slot [slot ...]: every slot is this node's already.
pub fn cluster_addslots(ctx: &mut Ctx<'_>, w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    let slots = w.iter().map(|s| slot_arg(s)).collect::<Result<Vec<_>, _>>()?;
    Err(Reply::err(error::cluster_slot_busy(slots.first().copied().unwrap_or(0))))
}

/// CLUSTER ADDSLOTSRANGE start end [start end ...] (7.0).
pub fn cluster_addslotsrange(ctx: &mut Ctx<'_>, w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    if w.len() % 2 == 1 {
        return Err(arity(ctx, "addslotsrange"));
    }
    let mut first = None;
    for pair in w.chunks(2) {
        let (start, end) = (slot_arg(&pair[0])?, slot_arg(&pair[1])?);
        if start > end {
            return Err(Reply::err(error::cluster_range_reversed(start, end)));
        }
        first.get_or_insert(start);
    }
    Err(Reply::err(error::cluster_slot_busy(first.unwrap_or(0))))
}

/// The subcommands that name a node: this one, or an unknown one.
fn myself(ctx: &Ctx<'_>, id: &[u8]) -> Result<(), Reply> {
    if id.eq_ignore_ascii_case(ctx.shared.node_id.as_bytes()) {
        Ok(())
    } else {
        Err(Reply::err_bytes(error::cluster_unknown_node(id)))
    }
}

/// CLUSTER REPLICAS node-id: a master alone has none.
pub fn cluster_replicas(ctx: &mut Ctx<'_>, w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    let [id] = w else { return Err(arity(ctx, "replicas")) };
    myself(ctx, id)?;
    Ok(Reply::Array(vec![]))
}

/// CLUSTER SLAVES node-id: as REPLICAS.
pub fn cluster_slaves(ctx: &mut Ctx<'_>, w: &[Vec<u8>]) -> CmdResult {
    cluster_replicas(ctx, w)
}

/// CLUSTER COUNT-FAILURE-REPORTS node-id.
pub fn cluster_count_failure_reports(ctx: &mut Ctx<'_>, w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    let [id] = w else { return Err(arity(ctx, "count-failure-reports")) };
    myself(ctx, id)?;
    Ok(Reply::Int(0))
}

/// CLUSTER FORGET node-id.
pub fn cluster_forget(ctx: &mut Ctx<'_>, w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    let [id] = w else { return Err(arity(ctx, "forget")) };
    myself(ctx, id)?;
    Err(Reply::err(error::CLUSTER_FORGET_MYSELF))
}

/// CLUSTER REPLICATE node-id.
pub fn cluster_replicate(ctx: &mut Ctx<'_>, w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    let [id] = w else { return Err(arity(ctx, "replicate")) };
    myself(ctx, id)?;
    Err(Reply::err(error::CLUSTER_REPLICATE_MYSELF))
}

/// CLUSTER REPLICATE as Valkey has it: a node ID, or (9.0) NO ONE, which would turn a
/// replica into an empty primary (not implemented: the node is a primary already).
pub fn cluster_replicate_valkey(ctx: &mut Ctx<'_>, w: &[Vec<u8>]) -> CmdResult {
    if w.len() == 2 {
        return not_here(ctx, "replicate no one");
    }
    cluster_replicate(ctx, w)
}

/// CLUSTER SYNCSLOTS (Valkey 9): the slot migration protocol between nodes; not implemented.
pub fn cluster_syncslots_valkey(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    not_here(ctx, "syncslots")
}

/// CLUSTER SAVECONFIG: nothing to write.
pub fn cluster_saveconfig(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    Ok(Reply::OK)
}

/// CLUSTER BUMPEPOCH: this node takes a new epoch unless it has the greatest already.
pub fn cluster_bumpepoch(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    let (current, mine) = &mut ctx.st.cluster_epochs;
    if *mine == 0 || *mine != *current {
        *current += 1;
        *mine = *current;
        return Ok(Reply::Simple(format!("BUMPED {mine}").into()));
    }
    Ok(Reply::Simple(format!("STILL {mine}").into()))
}

/// CLUSTER SET-CONFIG-EPOCH epoch: only while this node's epoch is 0.
pub fn cluster_set_config_epoch(ctx: &mut Ctx<'_>, w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    let [word] = w else { return Err(arity(ctx, "set-config-epoch")) };
    let n = parse_i64(word).ok_or(Reply::err(error::NOT_INTEGER))?;
    if n < 0 {
        return Err(Reply::err_bytes(error::cluster_bad_epoch(word)));
    }
    let (current, mine) = &mut ctx.st.cluster_epochs;
    if *mine != 0 {
        return Err(Reply::err(error::CLUSTER_EPOCH_SET));
    }
    *mine = n as u64;
    *current = (*current).max(*mine);
    Ok(Reply::OK)
}

/// CLUSTER HELP.
pub fn cluster_help(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    enabled(ctx)?;
    Ok(crate::cmd::server::help_reply("CLUSTER", HELP))
}

/// CLUSTER DELSLOTS: would change the one-node layout; not implemented.
pub fn cluster_delslots(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    not_here(ctx, "delslots")
}

/// CLUSTER DELSLOTSRANGE: would change the one-node layout; not implemented.
pub fn cluster_delslotsrange(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    not_here(ctx, "delslotsrange")
}

/// CLUSTER FLUSHSLOTS: would change the one-node layout; not implemented.
pub fn cluster_flushslots(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    not_here(ctx, "flushslots")
}

/// CLUSTER SETSLOT: would change the one-node layout; not implemented.
pub fn cluster_setslot(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    not_here(ctx, "setslot")
}

/// CLUSTER MEET: would change the one-node layout; not implemented.
pub fn cluster_meet(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    not_here(ctx, "meet")
}

/// CLUSTER FAILOVER: would change the one-node layout; not implemented.
pub fn cluster_failover(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    not_here(ctx, "failover")
}

/// CLUSTER RESET: would change the one-node layout; not implemented.
pub fn cluster_reset(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    not_here(ctx, "reset")
}

/// CLUSTER CANCELSLOTMIGRATIONS: would change the one-node layout; not implemented.
pub fn cluster_cancelslotmigrations(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    not_here(ctx, "cancelslotmigrations")
}

/// CLUSTER FLUSHSLOT: would change the one-node layout; not implemented.
pub fn cluster_flushslot(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    not_here(ctx, "flushslot")
}

/// CLUSTER GETSLOTMIGRATIONS: would change the one-node layout; not implemented.
pub fn cluster_getslotmigrations(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    not_here(ctx, "getslotmigrations")
}

/// CLUSTER MIGRATESLOTS: would change the one-node layout; not implemented.
pub fn cluster_migrateslots(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    not_here(ctx, "migrateslots")
}

/// CLUSTER MIGRATION: would change the one-node layout; not implemented.
pub fn cluster_migration(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    not_here(ctx, "migration")
}

/// CLUSTER SLOT-STATS: would change the one-node layout; not implemented.
pub fn cluster_slot_stats(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    not_here(ctx, "slot-stats")
}

/// CLUSTER SYNCSLOTS: would change the one-node layout; not implemented.
pub fn cluster_syncslots(ctx: &mut Ctx<'_>, _w: &[Vec<u8>]) -> CmdResult {
    not_here(ctx, "syncslots")
}

const HELP: &[&str] = &[
    "ADDSLOTS <slot> [<slot> ...]",
    "    Assign slots to current node.",
    "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Assign slots which are between <start-slot> and <end-slot> to current node.",
    "BUMPEPOCH",
    "    Advance the cluster config epoch.",
    "COUNT-FAILURE-REPORTS <node-id>",
    "    Return number of failure reports for <node-id>.",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "DELSLOTS <slot> [<slot> ...]",
    "    Delete slots information from current node.",
    "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
    "FAILOVER [FORCE|TAKEOVER]",
    "    Promote current replica node to being a master.",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "FLUSHSLOTS",
    "    Delete current node own slots information.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MEET <ip> <port> [<bus-port>]",
    "    Connect nodes into a working cluster.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "REPLICATE <node-id>",
    "    Configure current node as replica to <node-id>.",
    "RESET [HARD|SOFT]",
    "    Reset current node (default: soft).",
    "SET-CONFIG-EPOCH <epoch>",
    "    Set config epoch of current node.",
    "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
    "    Set slot state.",
    "REPLICAS <node-id>",
    "    Return <node-id> replicas.",
    "SAVECONFIG",
    "    Force saving cluster configuration on disk.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "LINKS",
    "    Return information about all network links between this node and its peers.",
    "    Output format is an array where each array element is a map containing attributes of a link",
];
