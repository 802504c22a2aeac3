//! Redis 8.6's idempotent producers: XADD's IDMPAUTO IDs, XCFGSET (a stream's settings)
//! and XIDMPRECORD (8.6.2: an idempotent ID for an entry already there). The state itself
//! is `db::Idmp`.

use crate::cmd::Look;
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;

use super::{long, stream, strict_id};

/// IDMPAUTO's idempotent ID for XADD's field-value words: the same whatever order the
/// pairs come in (Redis sums and xors a 128-bit hash per pair; the hash here is our own,
/// since the ID never leaves the server).
pub(crate) fn auto_iid(pairs: &[Vec<u8>]) -> Vec<u8> {
    let (mut sum, mut xor) = ([0u64; 2], [0u64; 2]);
    for p in pairs.chunks(2) {
        let mut data = p[0].clone();
        data.extend_from_slice(&(p[0].len() as u64).to_le_bytes());
        data.extend_from_slice(p.get(1).map_or(&[][..], |v| &v[..]));
        let hex = crate::acl::sha256::sha256_hex(&data);
        for (k, half) in [&hex[..16], &hex[16..32]].iter().enumerate() {
            let h = u64::from_str_radix(half, 16).unwrap_or(0);
            sum[k] = sum[k].wrapping_add(h);
            xor[k] ^= h;
        }
    }
    let lo = sum[0] ^ xor[1].rotate_left(1);
    let hi = sum[1] ^ xor[0].rotate_left(1);
    [lo.to_le_bytes(), hi.to_le_bytes()].concat()
}

/// XCFGSET key [IDMP-DURATION seconds] [IDMP-MAXSIZE entries]: the key is looked up first;
/// a setting that changes forgets every producer's IDs.
pub fn xcfgset(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let key = &words[0][..];
    stream(ctx, key, Look::Write)?.ok_or(Reply::err(error::NO_SUCH_KEY))?;
    let (mut duration, mut maxsize) = (None, None);
    let mut i = 1;
    while i < words.len() {
        let more = i + 1 < words.len();
        let setting = if words[i].eq_ignore_ascii_case(b"IDMP-DURATION") && more {
            Some((&mut duration, error::XCFGSET_DURATION_TWICE, 1..=86_400, error::XCFGSET_DURATION_RANGE))
        } else if words[i].eq_ignore_ascii_case(b"IDMP-MAXSIZE") && more {
            Some((&mut maxsize, error::XCFGSET_MAXSIZE_TWICE, 1..=10_000, error::XCFGSET_MAXSIZE_RANGE))
        } else {
            None
        };
        let Some((slot, twice, range, out_of_range)) = setting else { return Err(Reply::err(error::SYNTAX)) };
        if slot.is_some() {
            return Err(Reply::err(twice));
        }
        let n = long(&words[i + 1])?;
        if !range.contains(&n) {
            return Err(Reply::err(out_of_range));
        }
        *slot = Some(n as u64);
        i += 2;
    }
    if duration.is_none() && maxsize.is_none() {
        return Err(Reply::err(error::XCFGSET_NOTHING));
    }
    let s = stream(ctx, key, Look::Write)?.ok_or(Reply::err(error::NO_SUCH_KEY))?;
    let m = &mut s.idmp;
    let changed = duration.is_some_and(|d| d != m.duration) || maxsize.is_some_and(|n| n != m.maxsize);
    if changed {
        m.duration = duration.unwrap_or(m.duration);
        m.maxsize = maxsize.unwrap_or(m.maxsize);
        m.clear();
    }
    Ok(Reply::ok())
}

/// XIDMPRECORD key pid iid id: records that producer `pid`'s idempotent ID `iid` made
/// entry `id` (which must be in the stream); OK again for the same entry.
pub fn xidmprecord(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let (key, pid, iid) = (&words[0][..], &words[1][..], &words[2][..]);
    let id = strict_id(&words[3])?;
    if pid.is_empty() {
        return Err(Reply::err(error::XIDMPRECORD_PID));
    }
    if iid.is_empty() {
        return Err(Reply::err(error::XIDMPRECORD_IID));
    }
    let (now, tick) = (ctx.now, ctx.st.last_active_expire_ms);
    let s = stream(ctx, key, Look::Write)?.ok_or(Reply::err(error::NO_SUCH_KEY))?;
    if s.get(id).is_none() {
        return Err(Reply::err(error::XIDMPRECORD_NO_ENTRY));
    }
    s.idmp.expire(tick);
    match s.idmp.lookup(pid, iid) {
        Some(had) if had == id => {}
        Some(_) => return Err(Reply::err(error::XIDMPRECORD_OTHER_ID)),
        None => s.idmp.insert(pid, iid, id, now),
    }
    Ok(Reply::ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<Vec<u8>> {
        w.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn auto_ids_ignore_the_pairs_order_but_not_their_content() {
        let a = auto_iid(&words(&["a", "1", "b", "2"]));
        assert_eq!(a, auto_iid(&words(&["b", "2", "a", "1"])));
        assert_ne!(a, auto_iid(&words(&["a", "2", "b", "1"])));
        assert_ne!(auto_iid(&words(&["ab", "c"])), auto_iid(&words(&["a", "bc"])));
    }
}
