//! Client-side caching commands (spec group `connection`): CLIENT TRACKING, CACHING,
//! GETREDIR and TRACKINGINFO. The tables and the invalidations are `server::tracking`.

use bytes::Bytes;

use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::tracking::TrackState;
use crate::server::Ctx;
use crate::spec::generated::*;
use crate::spec::grammar::parse_i64;

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
/// (overlay `walk`): the options are read first (for OFF too), then ON/OFF, then ON's
/// checks in Redis's order.
pub fn client_tracking(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let Some((mode, opts)) = words.split_first() else { return Err(Reply::err(error::SYNTAX)) };
    let mut new = TrackState::default();
    let mut prefixes: Vec<Vec<u8>> = Vec::new();
    let mut i = 0;
    while i < opts.len() {
        let more = i + 1 < opts.len();
        let w = opts[i].to_ascii_lowercase();
        match w.as_slice() {
            b"redirect" if more => {
                if new.redirect != 0 {
                    return Err(Reply::err(error::TRACKING_ONE_REDIRECT));
                }
                let id = parse_i64(&opts[i + 1]).ok_or(Reply::err(error::NOT_INTEGER))?;
                let exists = u64::try_from(id).is_ok_and(|id| ctx.st.clients.contains_key(&id));
                if !exists {
                    return Err(Reply::err(error::TRACKING_NO_REDIRECT_CLIENT));
                }
                new.redirect = id as u64;
                i += 1;
            }
            b"bcast" => new.bcast = true,
            b"optin" => new.optin = true,
            b"optout" => new.optout = true,
            b"noloop" => new.noloop = true,
            b"prefix" if more => {
                prefixes.push(opts[i + 1].clone());
                i += 1;
            }
            _ => return Err(Reply::err(error::SYNTAX)),
        }
        i += 1;
    }
    let id = ctx.sess.id;
    let old = ctx.st.clients.get(&id).and_then(|m| m.tracking.clone());
    if mode.eq_ignore_ascii_case(b"off") {
        disable(ctx);
        return Ok(Reply::OK);
    }
    if !mode.eq_ignore_ascii_case(b"on") {
        return Err(Reply::err(error::SYNTAX));
    }
    if !prefixes.is_empty() && !new.bcast {
        return Err(Reply::err(error::TRACKING_PREFIX_NEEDS_BCAST));
    }
    if old.as_ref().is_some_and(|o| o.bcast != new.bcast) {
        return Err(Reply::err(error::TRACKING_BCAST_SWITCH));
    }
    if new.bcast && (new.optin || new.optout) {
        return Err(Reply::err(error::TRACKING_OPT_BCAST));
    }
    if new.optin && new.optout {
        return Err(Reply::err(error::TRACKING_OPTIN_OPTOUT));
    }
    if old.as_ref().is_some_and(|o| (new.optin && o.optout) || (new.optout && o.optin)) {
        return Err(Reply::err(error::TRACKING_OPT_SWITCH));
    }
    let mut collision = None;
    if new.bcast {
        let existing = old.as_ref().map(|o| o.prefixes.clone()).unwrap_or_default();
        collision = prefix_collision(&existing, &prefixes);
        if let Some((0, e)) = collision {
            return Err(e);
        }
    }
    if new.bcast && prefixes.is_empty() {
        prefixes.push(Vec::new());
    }
    new.prefixes = old.map(|o| o.prefixes).unwrap_or_default();
    for p in &prefixes {
        ctx.st.tracking.add_prefix(id, p);
        new.prefixes.insert(Bytes::copy_from_slice(p));
    }
    if let Some(me) = ctx.st.clients.get_mut(&id) {
        me.tracking = Some(new);
    }
    // As Redis: a provided prefix overlapping a later provided one (past the first) is
    // reported, and tracking is on all the same: two replies.
    if let Some((_, e)) = collision {
        ctx.sess.more.push(Reply::OK);
        return Err(e);
    }
    Ok(Reply::OK)
}

/// Redis's `checkPrefixCollisionsOrReply`: a new prefix overlapping one the client has, or
/// a later new one; the index of the new prefix and the error.
fn prefix_collision(existing: &std::collections::BTreeSet<Bytes>, new: &[Vec<u8>]) -> Option<(usize, Reply)> {
    let overlaps = |a: &[u8], b: &[u8]| a.starts_with(b) || b.starts_with(a);
    for (i, p) in new.iter().enumerate() {
        if let Some(e) = existing.iter().find(|e| overlaps(p, e)) {
            return Some((0, Reply::err_bytes(error::prefix_overlap(p, e, true))));
        }
        if let Some(q) = new[i + 1..].iter().find(|q| overlaps(p, q)) {
            return Some((i, Reply::err_bytes(error::prefix_overlap(p, q, false))));
        }
    }
    None
}

/// Turns tracking off for this client (the keys it read stay remembered, as in Redis).
pub(crate) fn disable(ctx: &mut Ctx<'_>) {
    let id = ctx.sess.id;
    ctx.sess.caching = false;
    if let Some(t) = ctx.st.clients.get_mut(&id).and_then(|m| m.tracking.take()) {
        ctx.st.tracking.forget_prefixes(id, &t.prefixes);
    }
}

/// CLIENT CACHING YES|NO (overlay `walk`): only while tracking in OPTIN (YES) or OPTOUT
/// (NO) mode; it applies to the next command.
pub fn client_caching(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let Some(t) = ctx.st.clients.get(&ctx.sess.id).and_then(|m| m.tracking.clone()) else {
        return Err(Reply::err(error::CACHING_NOT_TRACKING));
    };
    let w = words.first().map(|w| w.to_ascii_lowercase()).unwrap_or_default();
    match w.as_slice() {
        b"yes" if !t.optin => Err(Reply::err(error::CACHING_YES_OPTIN)),
        b"no" if !t.optout => Err(Reply::err(error::CACHING_NO_OPTOUT)),
        b"yes" | b"no" => {
            ctx.sess.caching = true;
            Ok(Reply::OK)
        }
        _ => Err(Reply::err(error::SYNTAX)),
    }
}

/// CLIENT GETREDIR: -1 when not tracking, 0 without a redirect.
pub fn client_getredir(ctx: &mut Ctx<'_>, _a: ClientGetredir) -> CmdResult {
    let t = ctx.st.clients.get(&ctx.sess.id).and_then(|m| m.tracking.as_ref());
    Ok(Reply::Int(t.map_or(-1, |t| t.redirect as i64)))
}

/// CLIENT TRACKINGINFO: flags (a set), redirect, prefixes.
pub fn client_trackinginfo(ctx: &mut Ctx<'_>, _a: ClientTrackinginfo) -> CmdResult {
    let t = ctx.st.clients.get(&ctx.sess.id).and_then(|m| m.tracking.clone());
    let caching = ctx.sess.caching;
    let flags: Vec<&str> = match &t {
        None => vec!["off"],
        Some(t) => [
            (true, "on"),
            (t.bcast, "bcast"),
            (t.optin, "optin"),
            (t.optin && caching, "caching-yes"),
            (t.optout, "optout"),
            (t.optout && caching, "caching-no"),
            (t.noloop, "noloop"),
            (t.broken, "broken_redirect"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, f)| f)
        .collect(),
    };
    let s = |v: &'static str| Reply::Bulk(Bytes::from_static(v.as_bytes()));
    Ok(Reply::Map(vec![
        (s("flags"), Reply::Set(flags.into_iter().map(s).collect())),
        (s("redirect"), Reply::Int(t.as_ref().map_or(-1, |t| t.redirect as i64))),
        (s("prefixes"), Reply::Array(t.map(|t| t.prefixes.into_iter().map(Reply::Bulk).collect()).unwrap_or_default())),
    ]))
}
