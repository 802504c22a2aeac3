//! Streams in RDB form (types 15 for 6.2, 19 for 7.0, 21 from 7.2): the radix tree's
//! listpack nodes, each keyed by its master ID and holding the master entry (live and
//! deleted counts, the master fields, a 0) then the entries (flags, ID deltas from the
//! master, the fields unless they are the master's, the values, the entry's element
//! count); then the length and the edge IDs, then the consumer groups with their pending
//! entries and consumers.
//!
//! The nodes come out as Redis packs appended entries; a node's deleted entries are not
//! kept by the fake, so a stream with deletions inside a node comes out without those
//! tombstones (the same stream, fewer bytes).

use bytes::Bytes;

use super::packed::{listpack, read_listpack};
use super::{save_len, save_string, Reader};
use crate::db::{Fields, Group, LoadedNode, Stream, StreamId};
use crate::spec::grammar::parse_i64;

pub const STREAM_LISTPACKS: u8 = 15;
pub const STREAM_LISTPACKS_2: u8 = 19;
pub const STREAM_LISTPACKS_3: u8 = 21;

const SAME_FIELDS: i64 = 2;
const DELETED: i64 = 1;

/// The stream type a version writes.
pub fn type_for(version: u16) -> u8 {
    match version {
        ..=9 => STREAM_LISTPACKS,
        10 => STREAM_LISTPACKS_2,
        _ => STREAM_LISTPACKS_3,
    }
}

fn id_key(id: StreamId) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&id.ms.to_be_bytes());
    k[8..].copy_from_slice(&id.seq.to_be_bytes());
    k
}

fn int(n: i64) -> Vec<u8> {
    n.to_string().into_bytes()
}

/// One node's listpack.
fn node_listpack(master: StreamId, master_fields: &[Bytes], entries: &[(StreamId, &Fields)]) -> Vec<u8> {
    let mut items: Vec<Vec<u8>> = vec![int(entries.len() as i64), int(0), int(master_fields.len() as i64)];
    items.extend(master_fields.iter().map(|f| f.to_vec()));
    items.push(int(0));
    for (id, fields) in entries {
        let same = fields.len() == master_fields.len() && fields.iter().zip(master_fields).all(|((f, _), m)| f == m);
        items.push(int(if same { SAME_FIELDS } else { 0 }));
        items.push(int(id.ms.wrapping_sub(master.ms) as i64));
        items.push(int(id.seq.wrapping_sub(master.seq) as i64));
        if same {
            items.extend(fields.iter().map(|(_, v)| v.to_vec()));
        } else {
            items.push(int(fields.len() as i64));
            for (f, v) in fields.iter() {
                items.push(f.to_vec());
                items.push(v.to_vec());
            }
        }
        let count = fields.len() + 3 + if same { 0 } else { fields.len() + 1 };
        items.push(int(count as i64));
    }
    listpack(items.iter().map(Vec::as_slice))
}

/// Whether `s` can be written: IDMP state (Redis 8.6) and pending entries released to no
/// consumer (8.8) have no format here.
pub fn writable(s: &Stream) -> bool {
    s.idmp.is_empty() && s.groups.values().all(|g| g.pel.values().all(|n| n.consumer.is_some()))
}

pub fn save(out: &mut Vec<u8>, s: &Stream, version: u16) {
    let ty = type_for(version);
    out.push(ty);
    let nodes = s.node_view();
    save_len(out, nodes.len() as u64);
    for (master, fields, entries) in &nodes {
        save_string(out, &id_key(*master));
        save_string(out, &node_listpack(*master, fields, entries));
    }
    save_len(out, s.len());
    save_id(out, s.last_id);
    if ty >= STREAM_LISTPACKS_2 {
        save_id(out, s.first_id);
        save_id(out, s.max_deleted);
        save_len(out, s.entries_added);
    }
    save_len(out, s.groups.len() as u64);
    for (name, g) in &s.groups {
        save_string(out, name);
        save_id(out, g.last_id);
        if ty >= STREAM_LISTPACKS_2 {
            save_len(out, g.entries_read.map_or(u64::MAX, |n| n as u64));
        }
        save_len(out, g.pel.len() as u64);
        for (id, n) in &g.pel {
            out.extend_from_slice(&id_key(*id));
            out.extend_from_slice(&n.delivery_time.to_le_bytes());
            save_len(out, n.delivery_count);
        }
        save_len(out, g.consumers.len() as u64);
        for (name, c) in &g.consumers {
            save_string(out, name);
            out.extend_from_slice(&c.seen_time.to_le_bytes());
            if ty >= STREAM_LISTPACKS_3 {
                out.extend_from_slice(&c.active_time.to_le_bytes());
            }
            save_len(out, c.pel.len() as u64);
            for id in &c.pel {
                out.extend_from_slice(&id_key(*id));
            }
        }
    }
}

fn save_id(out: &mut Vec<u8>, id: StreamId) {
    save_len(out, id.ms);
    save_len(out, id.seq);
}

fn plain_len(r: &mut Reader<'_>) -> Option<u64> {
    let (false, n) = r.len()? else { return None };
    Some(n)
}

fn load_id(r: &mut Reader<'_>) -> Option<StreamId> {
    Some(StreamId::new(plain_len(r)?, plain_len(r)?))
}

fn raw_id(r: &mut Reader<'_>) -> Option<StreamId> {
    let k = r.take(16)?;
    Some(StreamId::new(u64::from_be_bytes(k[..8].try_into().ok()?), u64::from_be_bytes(k[8..].try_into().ok()?)))
}

fn ms_time(r: &mut Reader<'_>) -> Option<i64> {
    Some(i64::from_le_bytes(r.take(8)?.try_into().ok()?))
}

/// A count read from the payload, never beyond the bytes left (each item takes one at least).
fn count(r: &mut Reader<'_>) -> Option<usize> {
    usize::try_from(plain_len(r)?).ok().filter(|&n| n <= r.remaining())
}

/// One node's entries: (ID, fields, deleted), checked as Redis's deep validation does.
fn read_node(master: StreamId, lp: &[u8]) -> Option<LoadedNode> {
    let items = read_listpack(lp)?;
    let mut it = items.into_iter();
    let num = |it: &mut std::vec::IntoIter<Vec<u8>>| it.next().and_then(|v| parse_i64(&v));
    let (live, deleted, nfields) = (num(&mut it)?, num(&mut it)?, num(&mut it)?);
    let nfields = usize::try_from(nfields).ok()?;
    let mut master_fields = Vec::new();
    for _ in 0..nfields {
        master_fields.push(Bytes::from(it.next()?));
    }
    if num(&mut it)? != 0 {
        return None;
    }
    let mut entries = Vec::new();
    while it.len() > 0 {
        let flags = num(&mut it)?;
        let ms = master.ms.wrapping_add(num(&mut it)? as u64);
        let seq = master.seq.wrapping_add(num(&mut it)? as u64);
        let same = flags & SAME_FIELDS != 0;
        let n = if same { nfields } else { usize::try_from(num(&mut it)?).ok()? };
        let mut fields = Fields::new();
        for i in 0..n {
            let f = if same { master_fields.get(i)?.clone() } else { Bytes::from(it.next()?) };
            fields.push((f, Bytes::from(it.next()?)));
        }
        let expect = n + 3 + if same { 0 } else { n + 1 };
        if num(&mut it)? != expect as i64 || flags & !(SAME_FIELDS | DELETED) != 0 {
            return None;
        }
        entries.push((StreamId::new(ms, seq), fields, flags & DELETED != 0));
    }
    let gone = entries.iter().filter(|e| e.2).count() as i64;
    (gone == deleted && entries.len() as i64 - gone == live).then_some((master_fields, entries))
}

/// A stream of type `ty` (its type byte already read).
pub fn load(r: &mut Reader<'_>, ty: u8) -> Option<Stream> {
    let mut s = Stream::default();
    for _ in 0..count(r)? {
        let key = r.string()?;
        let master = raw_id(&mut Reader::new(key.get(..16).filter(|_| key.len() == 16)?))?;
        let lp = r.string()?;
        if !s.push_loaded_node(master, read_node(master, &lp)?, lp.len()) {
            return None;
        }
    }
    if plain_len(r)? != s.len() {
        return None;
    }
    s.last_id = load_id(r)?;
    if s.last_live().is_some_and(|l| l > s.last_id) {
        return None;
    }
    if ty >= STREAM_LISTPACKS_2 {
        s.first_id = load_id(r)?;
        s.max_deleted = load_id(r)?;
        s.entries_added = plain_len(r)?;
    } else {
        s.refresh_first();
        s.entries_added = s.len();
    }
    for _ in 0..count(r)? {
        let name = Bytes::from(r.string()?);
        let last_id = load_id(r)?;
        let entries_read = if ty >= STREAM_LISTPACKS_2 {
            match plain_len(r)? {
                u64::MAX => None,
                n => Some(i64::try_from(n).ok()?),
            }
        } else {
            s.entries_up_to(last_id)
        };
        let mut g = Group::new(last_id, entries_read);
        let mut nacks = Vec::new();
        for _ in 0..count(r)? {
            let id = raw_id(r)?;
            nacks.push((id, ms_time(r)?, plain_len(r)?));
        }
        let mut owner: std::collections::BTreeMap<StreamId, Option<Bytes>> =
            nacks.iter().map(|n| (n.0, None)).collect();
        if owner.len() != nacks.len() {
            return None;
        }
        for _ in 0..count(r)? {
            let cname = Bytes::from(r.string()?);
            let seen = ms_time(r)?;
            let active = if ty >= STREAM_LISTPACKS_3 { ms_time(r)? } else { seen };
            if !g.add_consumer(&cname, seen) {
                return None;
            }
            if let Some(c) = g.consumers.get_mut(&cname) {
                c.active_time = active;
            }
            for _ in 0..count(r)? {
                let slot = owner.get_mut(&raw_id(r)?)?;
                if slot.replace(cname.clone()).is_some() {
                    return None;
                }
            }
        }
        for (id, time, deliveries) in nacks {
            let consumer = owner.get(&id)?.clone()?;
            g.add_pending(id, time, Some(&consumer));
            if let Some(n) = g.pel.get_mut(&id) {
                n.delivery_count = deliveries;
            }
        }
        if s.groups.insert(name, g).is_some() {
            return None;
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::NodeLimits;

    fn sample() -> Stream {
        let mut s = Stream::default();
        let limits = NodeLimits { bytes: 4096, entries: 3 };
        let f = |pairs: &[(&str, &str)]| -> Fields {
            pairs.iter().map(|(a, b)| (Bytes::from(a.to_string()), Bytes::from(b.to_string()))).collect()
        };
        s.append(StreamId::new(1, 0), f(&[("a", "1"), ("b", "x")]), limits);
        s.append(StreamId::new(1, 1), f(&[("a", "2"), ("b", "y")]), limits);
        s.append(StreamId::new(5, 0), f(&[("c", "long value here")]), limits);
        s.append(StreamId::new(9, 7), f(&[("a", "-5"), ("b", "z")]), limits);
        let mut g = Group::new(StreamId::new(1, 1), Some(2));
        g.add_consumer(b"alice", 1000);
        g.add_pending(StreamId::new(1, 0), 1500, Some(&Bytes::from_static(b"alice")));
        s.groups.insert(Bytes::from_static(b"g"), g);
        s.groups.insert(Bytes::from_static(b"empty"), Group::new(StreamId::new(0, 0), None));
        s
    }

    #[test]
    fn streams_read_back_in_each_version() {
        let s = sample();
        for version in [9, 10, 11] {
            let mut out = Vec::new();
            save(&mut out, &s, version);
            let mut r = Reader::new(&out[1..]);
            let back = load(&mut r, out[0]).expect("loads");
            assert!(r.at_end());
            assert_eq!(back.node_view().len(), 2, "the nodes as they were");
            let ids = |s: &Stream| {
                s.range(StreamId::new(0, 0), StreamId::new(u64::MAX, u64::MAX), false)
                    .map(|(i, f)| (*i, f.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(ids(&back), ids(&s));
            assert_eq!(back.groups.len(), 2);
            assert_eq!(back.groups[&b"g"[..]].pel.len(), 1);
        }
    }

    #[test]
    fn a_truncated_stream_is_refused() {
        let mut out = Vec::new();
        save(&mut out, &sample(), 11);
        for cut in 1..out.len() {
            assert!(load(&mut Reader::new(&out[1..cut]), out[0]).is_none(), "cut at {cut}");
        }
    }
}
