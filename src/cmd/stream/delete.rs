//! Redis 8.2's XDELEX and XACKDEL: deleting entries with a choice of what becomes of the
//! consumer groups' references to them (KEEPREF, the default; DELREF; ACKED). Each answers
//! a code per ID: -1 not there (not pending, for XACKDEL), 1 deleted, 2 kept because a
//! group still needs it.

use crate::cmd::Look;
use crate::db::{Refs, Stream, StreamId};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::config::NOTIFY_STREAM;
use crate::server::Ctx;
use crate::spec::grammar::parse_i64;

use super::add::refs_word;
use super::{stream, strict_id};

const NOT_FOUND: i64 = -1;
const DELETED: i64 = 1;
const STILL_REFERENCED: i64 = 2;

/// The options after the key (and group), as `streamParseAckDelArgsOrReply`: a policy at
/// most once and `IDS numids id ...`, in any order (a later IDS wins); the IDs' words.
fn ack_del_args(words: &[Vec<u8>]) -> Result<(Refs, &[Vec<u8>]), Reply> {
    let (mut refs, mut ids) = (None, None);
    let mut j = 0;
    while j < words.len() {
        if let Some(r) = refs_word(&words[j]).filter(|_| refs.is_none()) {
            refs = Some(r);
            j += 1;
        } else if words[j].eq_ignore_ascii_case(b"IDS") && j + 1 < words.len() {
            let n = parse_i64(&words[j + 1]).filter(|n| *n >= 1).ok_or(Reply::err(error::XDELEX_NUMIDS))?;
            let left = words.len() - j - 2;
            if n as u64 > left as u64 {
                return Err(Reply::err(error::XDELEX_NUMIDS_MATCH));
            }
            let start = j + 2;
            ids = Some(&words[start..start + n as usize]);
            j = start + n as usize;
        } else {
            return Err(Reply::err(error::SYNTAX));
        }
    }
    let ids = ids.ok_or(Reply::err(error::XDELEX_NO_IDS))?;
    Ok((refs.unwrap_or_default(), ids))
}

fn not_found(n: usize) -> Reply {
    Reply::Array(vec![Reply::Int(NOT_FOUND); n])
}

/// XDELEX key [KEEPREF|DELREF|ACKED] IDS numids id [id ...]. A missing key answers -1 for
/// each ID before the IDs are read.
pub fn xdelex(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let key = &words[0][..];
    let exists = stream(ctx, key, Look::Write)?.is_some();
    let (refs, id_words) = ack_del_args(&words[1..])?;
    if !exists {
        return Ok(not_found(id_words.len()));
    }
    each_id(ctx, key, id_words, |s, id| {
        if refs == Refs::Acked && s.referenced(id) {
            return (STILL_REFERENCED, false);
        }
        if refs == Refs::Delete {
            s.drop_refs(id);
        }
        let gone = delete_one(s, id);
        (if gone { DELETED } else { NOT_FOUND }, gone)
    })
}

/// XACKDEL key group [KEEPREF|DELREF|ACKED] IDS numids id [id ...]: acknowledges each ID
/// pending in the group, then deletes it as the policy says. A missing key or group
/// answers -1 for each ID before the IDs are read.
pub fn xackdel(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let (key, group) = (&words[0][..], &words[1][..]);
    let has_group = stream(ctx, key, Look::Read)?.map(|s| s.groups.contains_key(group));
    let (refs, id_words) = ack_del_args(&words[2..])?;
    if has_group != Some(true) {
        return Ok(not_found(id_words.len()));
    }
    each_id(ctx, key, id_words, |s, id| {
        if !s.groups.get_mut(group).is_some_and(|g| g.ack(id)) {
            return (NOT_FOUND, false);
        }
        let keep = match refs {
            Refs::Acked => s.referenced(id),
            Refs::Delete => {
                s.drop_refs(id);
                false
            }
            Refs::Keep => false,
        };
        // Pending but no longer in the stream counts as deleted too.
        if keep {
            (STILL_REFERENCED, false)
        } else {
            (DELETED, delete_one(s, id))
        }
    })
}

/// Reads every ID (all of them before any is acted on), then answers `each`'s code for
/// each (`each` also says whether it deleted the entry).
fn each_id(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    id_words: &[Vec<u8>],
    mut each: impl FnMut(&mut Stream, StreamId) -> (i64, bool),
) -> CmdResult {
    let ids = id_words.iter().map(|w| strict_id(w)).collect::<Result<Vec<_>, _>>()?;
    let Some(s) = stream(ctx, key, Look::Write)? else { return Ok(not_found(ids.len())) };
    let first = s.first_id;
    let (mut deleted, mut first_gone) = (false, false);
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let (code, gone) = each(s, id);
        deleted |= gone;
        first_gone |= gone && id == first;
        out.push(Reply::Int(code));
    }
    if deleted {
        if s.is_empty() || first_gone {
            s.refresh_first();
        }
        ctx.touched(key);
        ctx.notify(NOTIFY_STREAM, "xdel", key);
    }
    Ok(Reply::Array(out))
}

/// Deletes entry `id` (raising the deleted-ID mark); whether it was there.
fn delete_one(s: &mut Stream, id: StreamId) -> bool {
    if !s.delete(id) {
        return false;
    }
    s.max_deleted = s.max_deleted.max(id);
    true
}
