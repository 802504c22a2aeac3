//! Pub/sub commands (spec group `pubsub`): SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
//! SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB's subcommands.
//!
//! A subscribe-family command answers with one frame per channel (a push in RESP3): the
//! first is the command's reply, the others follow it (`Session::more`).

use bytes::Bytes;

use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::pubsub::Kind;
use crate::server::Ctx;
use crate::spec::generated::*;

/// One (un)subscribe confirmation: the verb, the channel (nil for an unsubscribe of
/// nothing) and the client's count after it.
fn confirmation(verb: &'static str, name: Option<&[u8]>, count: usize) -> Reply {
    Reply::Push(vec![
        Reply::Bulk(Bytes::from_static(verb.as_bytes())),
        name.map_or(Reply::Nil, Reply::bulk),
        Reply::Int(count as i64),
    ])
}

/// Sends `frames` as the command's answer: the first as its reply, the rest after it.
fn answer(ctx: &mut Ctx<'_>, mut frames: Vec<Reply>) -> CmdResult {
    let first = frames.remove(0);
    ctx.sess.more.extend(frames);
    Ok(first)
}

fn subscribe_to(ctx: &mut Ctx<'_>, kind: Kind, names: &[&[u8]]) -> CmdResult {
    if kind == Kind::Shard && ctx.caller == crate::dispatch::Caller::Exec {
        // SSUBSCRIBE refuses clients that may not block, and a transaction may not.
        return Err(Reply::err(error::SSUBSCRIBE_DENY_BLOCKING));
    }
    let id = ctx.sess.id;
    let st = &mut *ctx.st;
    let Some(me) = st.clients.get_mut(&id) else { return Ok(Reply::NilArray) };
    let mut frames = Vec::with_capacity(names.len());
    for name in names {
        st.pubsub.subscribe(me, kind, name);
        frames.push(confirmation(kind.verbs().0, Some(name), me.subs.count(kind)));
    }
    answer(ctx, frames)
}

fn unsubscribe_from(ctx: &mut Ctx<'_>, kind: Kind, names: &[&[u8]]) -> CmdResult {
    let id = ctx.sess.id;
    let st = &mut *ctx.st;
    let Some(me) = st.clients.get_mut(&id) else { return Ok(Reply::NilArray) };
    let verb = kind.verbs().1;
    let all: Vec<Bytes>;
    let names: Vec<&[u8]> = if names.is_empty() {
        all = me.subs.of(kind).clone();
        all.iter().map(|b| b.as_ref()).collect()
    } else {
        names.to_vec()
    };
    let mut frames = Vec::with_capacity(names.len().max(1));
    for name in &names {
        st.pubsub.unsubscribe(me, kind, name);
        frames.push(confirmation(verb, Some(name), me.subs.count(kind)));
    }
    if frames.is_empty() {
        frames.push(confirmation(verb, None, me.subs.count(kind)));
    }
    answer(ctx, frames)
}

/// SUBSCRIBE channel [channel ...].
pub fn subscribe(ctx: &mut Ctx<'_>, a: Subscribe<'_>) -> CmdResult {
    subscribe_to(ctx, Kind::Channel, &a.channel)
}

/// PSUBSCRIBE pattern [pattern ...].
pub fn psubscribe(ctx: &mut Ctx<'_>, a: Psubscribe<'_>) -> CmdResult {
    subscribe_to(ctx, Kind::Pattern, &a.pattern)
}

/// SSUBSCRIBE shardchannel [shardchannel ...] (no slot check outside cluster mode).
pub fn ssubscribe(ctx: &mut Ctx<'_>, a: Ssubscribe<'_>) -> CmdResult {
    subscribe_to(ctx, Kind::Shard, &a.shardchannel)
}

/// UNSUBSCRIBE [channel ...]: every channel when none is named.
pub fn unsubscribe(ctx: &mut Ctx<'_>, a: Unsubscribe<'_>) -> CmdResult {
    unsubscribe_from(ctx, Kind::Channel, &a.channel)
}

/// PUNSUBSCRIBE [pattern ...].
pub fn punsubscribe(ctx: &mut Ctx<'_>, a: Punsubscribe<'_>) -> CmdResult {
    unsubscribe_from(ctx, Kind::Pattern, &a.pattern)
}

/// SUNSUBSCRIBE [shardchannel ...].
pub fn sunsubscribe(ctx: &mut Ctx<'_>, a: Sunsubscribe<'_>) -> CmdResult {
    unsubscribe_from(ctx, Kind::Shard, &a.shardchannel)
}

/// PUBLISH channel message: how many deliveries were made (a client matching through the
/// channel and k patterns counts 1 + k).
pub fn publish(ctx: &mut Ctx<'_>, a: Publish<'_>) -> CmdResult {
    let (st, now) = (&mut *ctx.st, ctx.now);
    Ok(Reply::Int(st.pubsub.publish(&mut st.clients, false, a.channel, a.message, now, &mut st.overflowed) as i64))
}

/// SPUBLISH shardchannel message.
pub fn spublish(ctx: &mut Ctx<'_>, a: Spublish<'_>) -> CmdResult {
    let (st, now) = (&mut *ctx.st, ctx.now);
    Ok(Reply::Int(st.pubsub.publish(&mut st.clients, true, a.shardchannel, a.message, now, &mut st.overflowed) as i64))
}

fn channels(ctx: &Ctx<'_>, shard: bool, pattern: Option<&[u8]>) -> Reply {
    let names = ctx.st.pubsub.channel_names(shard);
    Reply::Array(
        names.filter(|n| pattern.is_none_or(|p| crate::glob::matches(p, n, false))).cloned().map(Reply::Bulk).collect(),
    )
}

fn numsub(ctx: &Ctx<'_>, shard: bool, names: &[&[u8]]) -> Reply {
    let mut out = Vec::with_capacity(names.len() * 2);
    for n in names {
        out.push(Reply::bulk(*n));
        out.push(Reply::Int(ctx.st.pubsub.subscribers(shard, n) as i64));
    }
    Reply::Array(out)
}

/// PUBSUB CHANNELS [pattern]: the channels with subscribers.
pub fn pubsub_channels(ctx: &mut Ctx<'_>, a: PubsubChannels<'_>) -> CmdResult {
    Ok(channels(ctx, false, a.pattern))
}

/// PUBSUB SHARDCHANNELS [pattern].
pub fn pubsub_shardchannels(ctx: &mut Ctx<'_>, a: PubsubShardchannels<'_>) -> CmdResult {
    Ok(channels(ctx, true, a.pattern))
}

/// PUBSUB NUMSUB [channel ...]: a flat array of names and counts (also in RESP3).
pub fn pubsub_numsub(ctx: &mut Ctx<'_>, a: PubsubNumsub<'_>) -> CmdResult {
    Ok(numsub(ctx, false, &a.channel))
}

/// PUBSUB SHARDNUMSUB [shardchannel ...].
pub fn pubsub_shardnumsub(ctx: &mut Ctx<'_>, a: PubsubShardnumsub<'_>) -> CmdResult {
    Ok(numsub(ctx, true, &a.shardchannel))
}

/// PUBSUB NUMPAT: how many distinct patterns are subscribed.
pub fn pubsub_numpat(ctx: &mut Ctx<'_>, _a: PubsubNumpat) -> CmdResult {
    Ok(Reply::Int(ctx.st.pubsub.pattern_count() as i64))
}

/// PUBSUB HELP.
pub fn pubsub_help(ctx: &mut Ctx<'_>, _a: PubsubHelp) -> CmdResult {
    let shard: &[&str] = if ctx.profile().redis_at_least(7, 0) { PUBSUB_HELP_SHARD } else { &[] };
    let lines: Vec<&str> = PUBSUB_HELP.iter().chain(shard).copied().collect();
    Ok(crate::cmd::server::help_reply("PUBSUB", &lines))
}

const PUBSUB_HELP: &[&str] = &[
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
];

const PUBSUB_HELP_SHARD: &[&str] = &[
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
];
