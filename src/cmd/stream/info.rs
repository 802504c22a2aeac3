//! XINFO STREAM, GROUPS, CONSUMERS and HELP, with each version's fields: 7.0 added the
//! stream's first/deleted/added bookkeeping and the groups' entries-read and lag, 7.2 the
//! consumers' active time, Redis 8.6 the stream's idempotency fields, 8.8 the groups'
//! count of entries XNACK released.

use crate::cmd::server::help_reply;
use crate::cmd::Look;
use crate::db::{Group, Stream, StreamId};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;

use super::{entry_reply, id_reply, long, no_group_for_key, sub_syntax};

fn field(name: &'static str, v: Reply) -> (Reply, Reply) {
    (Reply::bulk(name.as_bytes()), v)
}

fn int(n: impl TryInto<i64>) -> Reply {
    Reply::Int(n.try_into().unwrap_or(i64::MAX))
}

fn opt_int(n: Option<i64>) -> Reply {
    n.map_or(Reply::Nil, Reply::Int)
}

/// XINFO's lookup: the stream, `ERR no such key` when missing.
fn stream_of<'c>(ctx: &'c mut Ctx<'_>, key: &[u8], look: Look) -> Result<&'c mut Stream, Reply> {
    super::stream(ctx, key, look)?.ok_or(Reply::err(error::NO_SUCH_KEY))
}

/// XINFO STREAM key [FULL [COUNT count]]: the key is looked up before the options are read.
pub fn xinfo_stream(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    stream_of(ctx, &words[0], Look::Read)?;
    let opts = &words[1..];
    let full = !opts.is_empty();
    let mut count = 10;
    if full {
        if !matches!(opts.len(), 1 | 3) || !opts[0].eq_ignore_ascii_case(b"FULL") {
            return Err(sub_syntax(ctx));
        }
        if opts.len() == 3 {
            if !opts[1].eq_ignore_ascii_case(b"COUNT") {
                return Err(sub_syntax(ctx));
            }
            count = long(&opts[2])?;
            if count < 0 {
                count = 10;
            }
        }
    }
    let p = ctx.profile();
    let redis = p.is(crate::spec::ServerKind::Redis);
    let v = Version {
        seven: p.redis_at_least(7, 0),
        active: p.redis_at_least(7, 2),
        nacked: redis && p.redis_at_least(8, 8),
    };
    let idmp = redis && p.redis_at_least(8, 6);
    let tick = ctx.st.last_active_expire_ms;
    let s = stream_of(ctx, &words[0], Look::Write)?;
    let mut m = vec![
        field("length", int(s.len())),
        field("radix-tree-keys", int(s.tree_keys())),
        field("radix-tree-nodes", int(s.tree_nodes())),
        field("last-generated-id", id_reply(s.last_id)),
    ];
    if v.seven {
        m.push(field("max-deleted-entry-id", id_reply(s.max_deleted)));
        m.push(field("entries-added", int(s.entries_added)));
        m.push(field("recorded-first-entry-id", id_reply(s.first_id)));
    }
    if idmp {
        s.idmp.expire(tick);
        let i = &s.idmp;
        m.push(field("idmp-duration", int(i.duration)));
        m.push(field("idmp-maxsize", int(i.maxsize)));
        m.push(field("pids-tracked", int(i.producers())));
        m.push(field("iids-tracked", int(i.tracked())));
        m.push(field("iids-added", int(i.added)));
        m.push(field("iids-duplicates", int(i.duplicates)));
    }
    if !full {
        m.push(field("groups", int(s.groups.len())));
        let edge =
            |rev| s.range(StreamId::MIN, StreamId::MAX, rev).next().map_or(Reply::Nil, |(id, f)| entry_reply(*id, f));
        m.push(field("first-entry", edge(false)));
        m.push(field("last-entry", edge(true)));
        return Ok(Reply::Map(m));
    }
    let take = if count == 0 { usize::MAX } else { count as usize };
    let entries = s.range(StreamId::MIN, StreamId::MAX, false).take(take).map(|(id, f)| entry_reply(*id, f)).collect();
    m.push(field("entries", Reply::Array(entries)));
    let groups = s.groups.iter().map(|(name, g)| full_group(s, name, g, take, v)).collect();
    m.push(field("groups", Reply::Array(groups)));
    Ok(Reply::Map(m))
}

/// The fields XINFO STREAM FULL's groups have: 7.0's read counter and lag, 7.2's active
/// time, 8.8's count of released entries.
#[derive(Clone, Copy)]
struct Version {
    seven: bool,
    active: bool,
    nacked: bool,
}

/// One group in XINFO STREAM FULL, its pending lists cut at `take`.
fn full_group(s: &Stream, name: &bytes::Bytes, g: &Group, take: usize, v: Version) -> Reply {
    let mut m = vec![field("name", Reply::Bulk(name.clone())), field("last-delivered-id", id_reply(g.last_id))];
    if v.seven {
        m.push(field("entries-read", opt_int(g.entries_read)));
        m.push(field("lag", opt_int(s.lag(g))));
    }
    m.push(field("pel-count", int(g.pel.len())));
    if v.nacked {
        m.push(field("nacked-count", int(g.released())));
    }
    let pending = g
        .pel
        .iter()
        .take(take)
        .map(|(id, n)| {
            Reply::Array(vec![
                id_reply(*id),
                Reply::Bulk(n.consumer.clone().unwrap_or_default()),
                Reply::Int(n.delivery_time),
                int(n.delivery_count),
            ])
        })
        .collect();
    m.push(field("pending", Reply::Array(pending)));
    let consumers = g
        .consumers
        .iter()
        .map(|(cname, c)| {
            let mut cm = vec![field("name", Reply::Bulk(cname.clone())), field("seen-time", Reply::Int(c.seen_time))];
            if v.active {
                cm.push(field("active-time", Reply::Int(c.active_time)));
            }
            cm.push(field("pel-count", int(c.pel.len())));
            let pel = c
                .pel
                .iter()
                .take(take)
                .filter_map(|id| g.pel.get(id).map(|n| (id, n)))
                .map(|(id, n)| Reply::Array(vec![id_reply(*id), Reply::Int(n.delivery_time), int(n.delivery_count)]))
                .collect();
            cm.push(field("pending", Reply::Array(pel)));
            Reply::Map(cm)
        })
        .collect();
    m.push(field("consumers", Reply::Array(consumers)));
    Reply::Map(m)
}

/// XINFO GROUPS key.
pub fn xinfo_groups(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let seven = ctx.profile().redis_at_least(7, 0);
    let s = stream_of(ctx, &words[0], Look::Read)?;
    let out = s
        .groups
        .iter()
        .map(|(name, g)| {
            let mut m = vec![
                field("name", Reply::Bulk(name.clone())),
                field("consumers", int(g.consumers.len())),
                field("pending", int(g.pel.len())),
                field("last-delivered-id", id_reply(g.last_id)),
            ];
            if seven {
                m.push(field("entries-read", opt_int(g.entries_read)));
                m.push(field("lag", opt_int(s.lag(g))));
            }
            Reply::Map(m)
        })
        .collect();
    Ok(Reply::Array(out))
}

/// XINFO CONSUMERS key group.
pub fn xinfo_consumers(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let (key, group) = (&words[0][..], &words[1][..]);
    let now = ctx.now;
    let active = ctx.profile().redis_at_least(7, 2);
    let s = stream_of(ctx, key, Look::Read)?;
    let Some(g) = s.groups.get(group) else { return Err(no_group_for_key(group, key)) };
    let out = g
        .consumers
        .iter()
        .map(|(name, c)| {
            let mut m = vec![
                field("name", Reply::Bulk(name.clone())),
                field("pending", int(c.pel.len())),
                field("idle", Reply::Int((now - c.seen_time).max(0))),
            ];
            if active {
                let inactive = if c.active_time == -1 { -1 } else { now - c.active_time };
                m.push(field("inactive", Reply::Int(inactive)));
            }
            Reply::Map(m)
        })
        .collect();
    Ok(Reply::Array(out))
}

/// XINFO HELP.
pub fn xinfo_help(_ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    Ok(help_reply(
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    ))
}
