//! Consumer groups: XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER, HELP),
//! XACK, XPENDING, XCLAIM, XAUTOCLAIM.

use bytes::Bytes;

use crate::cmd::server::help_reply;
use crate::cmd::Look;
use crate::db::{Group, Stream, StreamId, Value, MAX_DELIVERIES};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::config::NOTIFY_STREAM;
use crate::server::Ctx;

use super::{
    bytes, entry_reply, id_reply, long, long_or, loose_id, no_group_for_key, no_key_or_group, range_end, range_start,
    stream, strict_id, sub_syntax,
};

/// What every XGROUP subcommand but HELP reads first, as `xgroupCommand`: the options
/// after the fourth word (MKSTREAM for CREATE, ENTRIESREAD for CREATE and SETID), the key
/// (it must exist unless MKSTREAM), and the group (it must exist for the subcommands that
/// change one).
struct Prelude {
    mkstream: bool,
    entries_read: Option<i64>,
    exists: bool,
}

fn prelude(ctx: &mut Ctx<'_>, words: &[Vec<u8>], sub: &str) -> Result<Prelude, Reply> {
    let mut p = Prelude { mkstream: false, entries_read: None, exists: false };
    let (create, setid) = (sub == "CREATE", sub == "SETID");
    let seven = ctx.profile().redis_at_least(7, 0);
    if !seven && create && words.len() == 4 {
        // 6.2: one option, MKSTREAM, as the sixth word.
        if !words[3].eq_ignore_ascii_case(b"MKSTREAM") {
            return Err(sub_syntax(ctx));
        }
        p.mkstream = true;
    }
    let mut i = if seven { 3 } else { words.len() };
    while i < words.len() {
        if create && words[i].eq_ignore_ascii_case(b"MKSTREAM") {
            p.mkstream = true;
            i += 1;
        } else if (create || setid) && words[i].eq_ignore_ascii_case(b"ENTRIESREAD") && i + 1 < words.len() {
            let n = long(&words[i + 1])?;
            if n < -1 {
                return Err(Reply::err(error::XGROUP_ENTRIES_READ));
            }
            p.entries_read = (n >= 0).then_some(n);
            i += 2;
        } else {
            return Err(sub_syntax(ctx));
        }
    }
    let (key, group) = (&words[0][..], &words[1][..]);
    let s = stream(ctx, key, Look::Write)?;
    p.exists = s.as_ref().is_some_and(|s| s.groups.contains_key(group));
    let has_key = s.is_some();
    if !p.mkstream {
        if !has_key {
            return Err(Reply::err(error::XGROUP_NEEDS_KEY));
        }
        if !p.exists && matches!(sub, "SETID" | "CREATECONSUMER" | "DELCONSUMER") {
            return Err(no_group_for_key(group, key));
        }
    }
    Ok(p)
}

fn group_mut<'c>(ctx: &'c mut Ctx<'_>, key: &[u8], group: &[u8]) -> Option<&'c mut Group> {
    stream(ctx, key, Look::Write).ok().flatten()?.groups.get_mut(group)
}

/// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read].
pub fn xgroup_create(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let p = prelude(ctx, words, "CREATE")?;
    if words.len() > if ctx.profile().redis_at_least(7, 0) { 6 } else { 4 } {
        return Err(sub_syntax(ctx));
    }
    let (key, group) = (&words[0][..], &words[1][..]);
    let now = ctx.now;
    let last = stream(ctx, key, Look::Write)?.map(|s| s.last_id);
    let id = if words[2] == b"$" { last.unwrap_or_default() } else { strict_id(&words[2])? };
    if last.is_none() {
        let fresh = super::new_stream(ctx);
        ctx.db().set(key, Value::Stream(Box::new(fresh)), None, now);
        ctx.touched(key);
    }
    let s = stream(ctx, key, Look::Write)?.ok_or(Reply::err(error::WRONGTYPE))?;
    if p.exists {
        return Err(Reply::err(error::BUSYGROUP));
    }
    s.groups.insert(bytes(group), Group::new(id, p.entries_read));
    ctx.notify(NOTIFY_STREAM, "xgroup-create", key);
    Ok(Reply::ok())
}

/// XGROUP SETID key group id|$ [ENTRIESREAD entries-read]: `-` and `+` are IDs here.
pub fn xgroup_setid(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let p = prelude(ctx, words, "SETID")?;
    if words.len() != 3 && (words.len() != 5 || !ctx.profile().redis_at_least(7, 0)) {
        return Err(sub_syntax(ctx));
    }
    let (key, group) = (&words[0][..], &words[1][..]);
    let last = stream(ctx, key, Look::Write)?.map(|s| s.last_id).unwrap_or_default();
    let id = if words[2] == b"$" { last } else { loose_id(&words[2], 0)? };
    if let Some(g) = group_mut(ctx, key, group) {
        g.last_id = id;
        g.entries_read = p.entries_read;
    }
    ctx.notify(NOTIFY_STREAM, "xgroup-setid", key);
    Ok(Reply::ok())
}

/// XGROUP DESTROY key group: 1 if it existed (its blocked readers are woken to learn so).
pub fn xgroup_destroy(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    prelude(ctx, words, "DESTROY")?;
    let (key, group) = (&words[0][..], &words[1][..]);
    let gone = stream(ctx, key, Look::Write)?.is_some_and(|s| s.groups.remove(group).is_some());
    if gone {
        ctx.notify(NOTIFY_STREAM, "xgroup-destroy", key);
        ctx.signal_ready(key);
    }
    Ok(Reply::Int(i64::from(gone)))
}

/// XGROUP CREATECONSUMER key group consumer: 1 if it is new.
pub fn xgroup_createconsumer(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    prelude(ctx, words, "CREATECONSUMER")?;
    let (key, group) = (&words[0][..], &words[1][..]);
    let now = ctx.now;
    let created = group_mut(ctx, key, group).is_some_and(|g| g.add_consumer(&words[2], now));
    if created {
        ctx.notify(NOTIFY_STREAM, "xgroup-createconsumer", key);
    }
    Ok(Reply::Int(i64::from(created)))
}

/// XGROUP DELCONSUMER key group consumer: how many entries it had pending (they go too).
pub fn xgroup_delconsumer(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    prelude(ctx, words, "DELCONSUMER")?;
    let (key, group) = (&words[0][..], &words[1][..]);
    let removed = group_mut(ctx, key, group).and_then(|g| g.remove_consumer(&words[2]));
    // 6.2 reports the event for a consumer that was not there too.
    if removed.is_some() || !ctx.profile().redis_at_least(7, 0) {
        ctx.notify(NOTIFY_STREAM, "xgroup-delconsumer", key);
    }
    Ok(Reply::Int(removed.unwrap_or(0) as i64))
}

/// XGROUP HELP.
pub fn xgroup_help(ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    let seven = ctx.profile().redis_at_least(7, 0);
    let mut lines = vec!["CREATE <key> <groupname> <id|$> [option]", "    Create a new consumer group. Options are:"];
    lines.extend(["    * MKSTREAM", "      Create the empty stream if it does not exist."]);
    if seven {
        lines.extend(["    * ENTRIESREAD entries_read", "      Set the group's entries_read counter (internal use)."]);
    }
    lines.extend(["CREATECONSUMER <key> <groupname> <consumer>", "    Create a new consumer in the specified group."]);
    lines.extend(["DELCONSUMER <key> <groupname> <consumer>", "    Remove the specified consumer."]);
    if seven {
        lines.extend(["DESTROY <key> <groupname>", "    Remove the specified group."]);
    } else {
        lines.push("DESTROY <key> <groupname>    Remove the specified group."); // 6.2 lost a comma
    }
    if seven {
        lines.extend(["SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]"]);
        lines.extend(["    Set the current group ID and entries_read counter."]);
    } else {
        lines.extend(["SETID <key> <groupname> <id|$>", "    Set the current group ID."]);
    }
    Ok(help_reply("XGROUP", &lines))
}

/// XACK key group id [id ...]: how many were pending (a missing group answers 0 before
/// the IDs are read).
pub fn xack(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let (key, group) = (&words[0][..], &words[1][..]);
    if stream(ctx, key, Look::Read)?.is_none_or(|s| !s.groups.contains_key(group)) {
        return Ok(Reply::Int(0));
    }
    let ids = words[2..].iter().map(|w| strict_id(w)).collect::<Result<Vec<_>, _>>()?;
    let Some(g) = group_mut(ctx, key, group) else { return Ok(Reply::Int(0)) };
    Ok(Reply::Int(ids.into_iter().filter(|id| g.ack(*id)).count() as i64))
}

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]].
pub fn xpending(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let argc = words.len() + 1;
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(Reply::err(error::SYNTAX));
    }
    let mut range = None;
    if argc >= 6 {
        let mut at = 2;
        let mut min_idle = 0;
        if words[2].eq_ignore_ascii_case(b"IDLE") {
            min_idle = long(&words[3])?;
            if argc < 8 {
                return Err(Reply::err(error::SYNTAX));
            }
            at += 2;
        }
        let count = long(&words[at + 2])?.max(0) as usize;
        let start = range_start(&words[at])?;
        let end = range_end(&words[at + 1])?;
        range = Some((start, end, count, min_idle, words.get(at + 3)));
    }
    let (key, group) = (&words[0][..], &words[1][..]);
    let now = ctx.now;
    let s = stream(ctx, key, Look::Read)?;
    let Some(g) = s.and_then(|s| s.groups.get(group)) else { return Err(no_key_or_group(key, group, false)) };
    let Some((start, end, count, min_idle, consumer)) = range else { return Ok(summary(g)) };
    let pel: Vec<StreamId> = match consumer {
        Some(name) => match g.consumers.get(&name[..]) {
            Some(c) => c.pel.range(start..).take_while(|id| **id <= end).copied().collect(),
            None => return Ok(Reply::Array(Vec::new())),
        },
        None => g.pel.range(start..).take_while(|(id, _)| **id <= end).map(|(id, _)| *id).collect(),
    };
    let mut out = Vec::new();
    for id in pel {
        if out.len() >= count {
            break;
        }
        let Some(n) = g.pel.get(&id) else { continue };
        // An entry XNACK released has no owner, no idle time, and passes IDLE.
        if n.consumer.is_some() && min_idle != 0 && now - n.delivery_time < min_idle {
            continue;
        }
        let idle = if n.consumer.is_some() { (now - n.delivery_time).max(0) } else { -1 };
        out.push(Reply::Array(vec![
            id_reply(id),
            Reply::Bulk(n.consumer.clone().unwrap_or_default()),
            Reply::Int(idle),
            Reply::Int(n.delivery_count as i64),
        ]));
    }
    Ok(Reply::Array(out))
}

/// XPENDING's summary: the count, the lowest and highest ID, and each consumer's count.
fn summary(g: &Group) -> Reply {
    let (Some((lo, _)), Some((hi, _))) = (g.pel.first_key_value(), g.pel.last_key_value()) else {
        return Reply::Array(vec![Reply::Int(0), Reply::Nil, Reply::Nil, Reply::NilArray]);
    };
    let consumers = g
        .consumers
        .iter()
        .filter(|(_, c)| !c.pel.is_empty())
        .map(|(name, c)| Reply::Array(vec![Reply::Bulk(name.clone()), Reply::Bulk(c.pel.len().to_string().into())]))
        .collect();
    Reply::Array(vec![Reply::Int(g.pel.len() as i64), id_reply(*lo), id_reply(*hi), Reply::Array(consumers)])
}

/// The consumer a claim goes to: looked up (seen now) or created (with its event).
fn claimer(ctx: &mut Ctx<'_>, key: &[u8], group: &[u8], name: &[u8]) {
    let now = ctx.now;
    let Some(g) = group_mut(ctx, key, group) else { return };
    let created = g.add_consumer(name, now);
    if let Some(c) = g.consumers.get_mut(name) {
        c.seen_time = now;
    }
    if created {
        ctx.notify(NOTIFY_STREAM, "xgroup-createconsumer", key);
    }
}

/// Gives pending entry `id` to `name` at `time`, counting a delivery unless `count` says.
fn claim(g: &mut Group, id: StreamId, name: &Bytes, time: i64, count: Option<u64>, active: Option<i64>) {
    g.retime(id, time);
    if let (Some(n), Some(c)) = (g.pel.get_mut(&id), count) {
        n.delivery_count = c;
    }
    g.assign(id, name);
    if let (Some(t), Some(c)) = (active, g.consumers.get_mut(name)) {
        c.active_time = t;
    }
}

/// The delivery count after one more delivery (it stays at XNACK FATAL's maximum).
fn next_delivery(n: u64) -> u64 {
    if n >= MAX_DELIVERIES {
        n
    } else {
        n + 1
    }
}

fn claimed_reply(s: &Stream, id: StreamId, justid: bool) -> Reply {
    match (justid, s.get(id)) {
        (true, _) => id_reply(id),
        (false, Some(f)) => entry_reply(id, f),
        (false, None) => Reply::Nil, // up to 6.2, a deleted entry is claimed all the same
    }
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-ms]
/// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]: the group first, the IDs up to the
/// first word that is not one, then the options.
pub fn xclaim(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let (key, group) = (&words[0][..], &words[1][..]);
    if stream(ctx, key, Look::Read)?.is_none_or(|s| !s.groups.contains_key(group)) {
        return Err(no_key_or_group(key, group, false));
    }
    let min_idle = long_or(&words[3], error::XCLAIM_MIN_IDLE)?.max(0);
    let mut ids = Vec::new();
    let mut j = 4;
    while let Some(Ok(id)) = words.get(j).map(|w| strict_id(w)) {
        ids.push(id);
        j += 1;
    }
    let now = ctx.now;
    let (mut force, mut justid, mut time, mut retry, mut last) = (false, false, None::<i64>, None, StreamId::MIN);
    while j < words.len() {
        let more = words.len() - 1 - j;
        let is = |name: &[u8]| words[j].eq_ignore_ascii_case(name);
        if is(b"FORCE") {
            force = true;
        } else if is(b"JUSTID") {
            justid = true;
        } else if is(b"IDLE") && more > 0 {
            j += 1;
            time = Some(now.wrapping_sub(long_or(&words[j], error::XCLAIM_IDLE)?));
        } else if is(b"TIME") && more > 0 {
            j += 1;
            time = Some(long_or(&words[j], error::XCLAIM_TIME)?);
        } else if is(b"RETRYCOUNT") && more > 0 {
            j += 1;
            retry = Some(long_or(&words[j], error::XCLAIM_RETRYCOUNT)?);
        } else if is(b"LASTID") && more > 0 {
            j += 1;
            last = strict_id(&words[j])?;
        } else {
            return Err(Reply::err_bytes(error::xclaim_unrecognized(&words[j])));
        }
        j += 1;
    }
    let p = ctx.profile();
    let seven = p.redis_at_least(7, 0);
    let active = p.redis_at_least(7, 2).then_some(now);
    if let Some(g) = group_mut(ctx, key, group) {
        g.last_id = g.last_id.max(last);
    }
    // -1 is "not given" in Redis too; a time before 0 or after now is now.
    let time = time.filter(|t| *t != -1).map_or(now, |t| if t < 0 || t > now { now } else { t });
    let name = bytes(&words[2]);
    if active.is_some() {
        claimer(ctx, key, group, &name);
    }
    let mut out = Vec::new();
    for id in ids {
        let Some(s) = stream(ctx, key, Look::Write)? else { break };
        let exists = s.get(id).is_some();
        let Some(g) = s.groups.get_mut(group) else { break };
        if !exists && seven {
            g.ack(id);
            continue;
        }
        let fresh = !g.pel.contains_key(&id);
        if fresh && (!force || !exists) {
            continue;
        }
        if fresh {
            g.add_pending(id, now, None);
        } else if min_idle != 0
            && g.pel.get(&id).is_some_and(|n| n.consumer.is_some() && now - n.delivery_time < min_idle)
        {
            continue;
        }
        claimer(ctx, key, group, &name);
        let Some(s) = stream(ctx, key, Look::Write)? else { break };
        let Some(g) = s.groups.get_mut(group) else { break };
        let delivered = g.pel.get(&id).map_or(0, |n| n.delivery_count);
        let count = match retry {
            Some(r) if r >= 0 => Some(r as u64),
            _ if !justid => Some(next_delivery(delivered)),
            _ => None,
        };
        claim(g, id, &name, time, count, active);
        out.push(claimed_reply(s, id, justid));
    }
    Ok(Reply::Array(out))
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]: the cursor to
/// go on from, the claimed entries, and (from 7.0) the IDs deleted from the stream, which
/// leave the pending list. Up to ten times COUNT pending entries are looked at.
pub fn xautoclaim(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let (key, group) = (&words[0][..], &words[1][..]);
    let min_idle = long_or(&words[3], error::XAUTOCLAIM_MIN_IDLE)?.max(0);
    let start = range_start(&words[4])?;
    let (mut count, mut justid) = (100i64, false);
    let mut j = 5;
    while j < words.len() {
        let more = words.len() - 1 - j;
        if words[j].eq_ignore_ascii_case(b"COUNT") && more > 0 {
            count = long_or(&words[j + 1], error::XAUTOCLAIM_COUNT)?;
            if !(1..=i64::MAX / 16).contains(&count) {
                return Err(Reply::err(error::XAUTOCLAIM_COUNT));
            }
            j += 1;
        } else if words[j].eq_ignore_ascii_case(b"JUSTID") {
            justid = true;
        } else {
            return Err(Reply::err(error::SYNTAX));
        }
        j += 1;
    }
    if stream(ctx, key, Look::Read)?.is_none_or(|s| !s.groups.contains_key(group)) {
        return Err(no_key_or_group(key, group, false));
    }
    // Redis allocates COUNT IDs up front: an allocation this large fails.
    if count > 1 << 36 {
        return Err(Reply::err(error::XAUTOCLAIM_COUNT_MEMORY));
    }
    let p = ctx.profile();
    let (seven, active) = (p.redis_at_least(7, 0), p.redis_at_least(7, 2).then_some(ctx.now));
    let now = ctx.now;
    let name = bytes(&words[2]);
    if active.is_some() {
        claimer(ctx, key, group, &name);
    }
    let (mut attempts, mut cursor) = (count.saturating_mul(10), Some(start));
    let (mut claimed, mut deleted) = (Vec::new(), Vec::new());
    while attempts > 0 && count > 0 {
        attempts -= 1;
        let Some(s) = stream(ctx, key, Look::Write)? else { break };
        let Some(g) = s.groups.get(group) else { break };
        let Some(from) = cursor else { break };
        let Some((&id, n)) = g.pel.range(from..).next() else {
            cursor = None;
            break;
        };
        cursor = id.next();
        if s.get(id).is_none() && seven {
            if let Some(g) = s.groups.get_mut(group) {
                g.ack(id);
            }
            deleted.push(id_reply(id));
            count -= 1;
            continue;
        }
        if n.consumer.is_some() && min_idle != 0 && now - n.delivery_time < min_idle {
            continue;
        }
        let delivered = n.delivery_count;
        claimer(ctx, key, group, &name);
        let Some(s) = stream(ctx, key, Look::Write)? else { break };
        let Some(g) = s.groups.get_mut(group) else { break };
        claim(g, id, &name, now, (!justid).then_some(next_delivery(delivered)), active);
        claimed.push(claimed_reply(s, id, justid));
        count -= 1;
    }
    let next = match cursor {
        Some(from) => stream(ctx, key, Look::Write)?
            .and_then(|s| s.groups.get(group))
            .and_then(|g| g.pel.range(from..).next().map(|(id, _)| *id)),
        None => None,
    };
    let mut out = vec![id_reply(next.unwrap_or_default()), Reply::Array(claimed)];
    if seven {
        out.push(Reply::Array(deleted));
    }
    Ok(Reply::Array(out))
}
