//! Redis 8.8's XNACK: pending entries handed back to the group unacknowledged. They leave
//! their consumer (XPENDING shows them with an empty consumer and idle -1) and queue at the
//! head of the group's time-ordered list, so XREADGROUP CLAIM and XAUTOCLAIM take them next.

use crate::cmd::Look;
use crate::db::MAX_DELIVERIES;
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;
use crate::spec::grammar::parse_i64;

use super::{long, no_key_or_group, stream, strict_id};

/// How the delivery counter changes, unless RETRYCOUNT sets it.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Undo the delivery: one less.
    Silent,
    /// Leave it.
    Fail,
    /// Never again: the counter's maximum.
    Fatal,
}

fn new_count(old: u64, mode: Mode, retry: Option<u64>) -> u64 {
    match (retry, mode) {
        (Some(n), _) => n,
        (None, Mode::Silent) => old.saturating_sub(1),
        (None, Mode::Fail) => old,
        (None, Mode::Fatal) => MAX_DELIVERIES,
    }
}

/// XNACK key group SILENT|FAIL|FATAL IDS numids id [id ...] [RETRYCOUNT count] [FORCE]:
/// how many entries were released. FORCE makes unowned pending entries for IDs in the
/// stream that were not pending (their counter starts at 0).
pub fn xnack(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let (key, group) = (&words[0][..], &words[1][..]);
    if stream(ctx, key, Look::Write)?.is_none_or(|s| !s.groups.contains_key(group)) {
        return Err(no_key_or_group(key, group, false));
    }
    let mode = [(&b"SILENT"[..], Mode::Silent), (b"FAIL", Mode::Fail), (b"FATAL", Mode::Fatal)]
        .into_iter()
        .find(|(name, _)| words[2].eq_ignore_ascii_case(name))
        .map(|(_, m)| m)
        .ok_or(Reply::err(error::XNACK_MODE))?;
    let (mut ids, mut force, mut retry) = (None, false, None);
    let mut i = 3;
    while i < words.len() {
        let more = i + 1 < words.len();
        if words[i].eq_ignore_ascii_case(b"IDS") && more {
            let n = parse_i64(&words[i + 1])
                .filter(|n| (1..=i64::from(i32::MAX)).contains(n))
                .ok_or(Reply::err(error::XNACK_NUMIDS))? as usize;
            let start = i + 2;
            if n > words.len() - start {
                return Err(Reply::err(error::XNACK_NUMIDS_MATCH));
            }
            ids = Some(&words[start..start + n]);
            i = start + n;
        } else if words[i].eq_ignore_ascii_case(b"FORCE") {
            force = true;
            i += 1;
        } else if words[i].eq_ignore_ascii_case(b"RETRYCOUNT") && more {
            let n = long(&words[i + 1])?;
            retry = Some(u64::try_from(n).map_err(|_| Reply::err(error::XNACK_RETRYCOUNT))?);
            i += 2;
        } else {
            return Err(Reply::err_bytes(error::xnack_unrecognized(&words[i])));
        }
    }
    let ids = ids.ok_or(Reply::err(error::XNACK_NO_IDS))?;
    let ids = ids.iter().map(|w| strict_id(w)).collect::<Result<Vec<_>, _>>()?;
    let s = stream(ctx, key, Look::Write)?.ok_or(Reply::err(error::WRONGTYPE))?;
    let mut released = 0;
    for id in ids {
        let in_stream = s.get(id).is_some();
        let Some(g) = s.groups.get_mut(group) else { break };
        if !g.pel.contains_key(&id) {
            if !force || !in_stream {
                continue;
            }
            g.add_pending(id, 0, None);
            if let Some(n) = g.pel.get_mut(&id) {
                n.delivery_count = 0;
            }
        }
        if let Some(n) = g.pel.get_mut(&id) {
            n.delivery_count = new_count(n.delivery_count, mode, retry);
        }
        g.release(id);
        released += 1;
    }
    if released > 0 {
        ctx.signal_ready(key); // released entries can be claimed at once
    }
    Ok(Reply::Int(released))
}
