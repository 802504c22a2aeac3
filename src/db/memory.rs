//! What a key would take in Redis's memory: its `robj`, `sds` strings and containers as
//! jemalloc rounds them (MEMORY USAGE's `objectComputeSize`), so that MEMORY USAGE answers
//! what Redis 7.0 answers for strings and small encodings and the maxmemory accounting
//! grows with the data as Redis's does. Big collections are sampled as Redis samples them
//! (the first `samples` elements, scaled to the whole); what the fake does not keep (the
//! skiplist's random levels, a stream's radix tree) is taken at its expected size.

use super::{Entry, SetEnc, Value};
use crate::db::{listpack_entry_size, StrEnc};

const ROBJ: usize = 16;
const DICT_ENTRY: usize = 24;
const DICT: usize = 56;
const QUICKLIST: usize = 48;
const QUICKLIST_NODE: usize = 32;
/// Scores in a listpack as 7.0 writes them (an integer when integral, else `%.17g`).
const LISTPACKS: crate::rdb::object::Format = crate::rdb::object::Format { version: 10 };

/// jemalloc's size class for an allocation of `n` bytes.
pub fn jemalloc(n: usize) -> usize {
    match n {
        0..=8 => 8,
        9..=16 => 16,
        _ => {
            let k = usize::BITS - 1 - (n - 1).leading_zeros();
            let step = (1usize << k.saturating_sub(2)).max(16);
            n.div_ceil(step) * step
        }
    }
}

/// `sdsReqType`'s header size for `len` bytes (type 5, below 32 bytes, when `small_ok`).
pub fn sds_header(len: usize, small_ok: bool) -> usize {
    match len {
        1..=31 if small_ok => 1,
        0..=255 => 3,
        256..=65535 => 5,
        _ if len < 1 << 32 => 9,
        _ => 17,
    }
}

/// An `sds` string as `sdsnewlen` allocates it (type 5 below 32 bytes when `small_ok`).
pub fn sds(len: usize, small_ok: bool) -> usize {
    jemalloc(sds_header(len, small_ok) + len + 1)
}

fn slots(n: usize) -> usize {
    n.max(4).next_power_of_two()
}

/// The average of `f` over the first `samples` items, scaled to `len` items.
fn sampled<'a, T: 'a>(items: impl Iterator<Item = T>, samples: usize, len: usize, f: impl Fn(T) -> usize) -> usize {
    let (mut total, mut n) = (0usize, 0usize);
    for it in items.take(samples.max(1)) {
        total += f(it);
        n += 1;
    }
    if n == 0 {
        return 0;
    }
    (total as f64 / n as f64 * len as f64) as usize
}

fn listpack_bytes<'v>(items: impl Iterator<Item = &'v [u8]>) -> usize {
    7 + items.map(listpack_entry_size).sum::<usize>()
}

/// MEMORY USAGE of a key: the value, the key's `sds` and its dictionary entry.
pub fn usage(key: &[u8], e: &Entry, samples: usize, list_fill: i64, stream_node_bytes: usize) -> usize {
    value_size(&e.value, samples, list_fill, stream_node_bytes) + sds(key.len(), true) + DICT_ENTRY
}

/// `objectComputeSize`.
pub fn value_size(v: &Value, samples: usize, list_fill: i64, stream_node_bytes: usize) -> usize {
    match v {
        Value::Str(s) => match s.enc {
            StrEnc::Int | StrEnc::IntCopy => ROBJ,
            StrEnc::Embstr => jemalloc(ROBJ + 3 + s.data.len() + 1),
            StrEnc::Raw => ROBJ + sds(s.data.len(), false),
        },
        Value::List(l) if l.listpack => ROBJ + jemalloc(listpack_bytes(l.iter().map(|b| &b[..]))),
        Value::List(l) => {
            // The first `samples` nodes, scaled to the node count their fill suggests (the
            // whole list is walked only when it has no more nodes than that).
            let (mut elements, mut bytes, mut n) = (0usize, 0usize, 0usize);
            for (count, b) in l.nodes(list_fill).take(samples.max(1)) {
                (elements, bytes, n) = (elements + count, bytes + QUICKLIST_NODE + jemalloc(b), n + 1);
            }
            let nodes = if elements >= l.len() { n } else { (l.len() * n).div_ceil(elements.max(1)) };
            ROBJ + QUICKLIST + (bytes as f64 / n.max(1) as f64 * nodes as f64) as usize
        }
        Value::Hash(h) if h.listpack => {
            ROBJ + jemalloc(listpack_bytes(h.fields.iter().flat_map(|(k, v)| [&k[..], &v[..]])))
        }
        Value::Hash(h) => {
            let per = |(k, v): (&bytes::Bytes, &bytes::Bytes)| sds(k.len(), true) + sds(v.len(), true) + DICT_ENTRY;
            ROBJ + DICT + 8 * slots(h.len()) + sampled(h.fields.iter(), samples, h.len(), per)
        }
        Value::Set(s) => match s.enc {
            SetEnc::Intset => {
                let ints: Vec<i64> = s.iter().filter_map(|m| crate::spec::grammar::parse_i64(m)).collect();
                let width = if ints.iter().all(|&v| i16::try_from(v).is_ok()) {
                    2
                } else if ints.iter().all(|&v| i32::try_from(v).is_ok()) {
                    4
                } else {
                    8
                };
                ROBJ + jemalloc(8 + width * ints.len())
            }
            SetEnc::Listpack => ROBJ + jemalloc(listpack_bytes(s.iter().map(|b| &b[..]))),
            SetEnc::Hashtable => {
                ROBJ + DICT
                    + 8 * slots(s.len())
                    + sampled(s.iter(), samples, s.len(), |m| sds(m.len(), true) + DICT_ENTRY)
            }
        },
        Value::Zset(z) if z.listpack => {
            let scores: Vec<(bytes::Bytes, String)> = z
                .iter_from(0, false)
                .map(|(m, s)| (m.clone(), crate::rdb::object::packed_score(s, LISTPACKS, &crate::reply::format_double)))
                .collect();
            ROBJ + jemalloc(listpack_bytes(scores.iter().flat_map(|(m, s)| [&m[..], s.as_bytes()])))
        }
        Value::Zset(z) => {
            // zset, zskiplist, dict and its table, the header node of 32 levels, then per
            // element its sds, dict entry and a node of the expected 4/3 levels.
            let fixed = ROBJ + 16 + 32 + DICT + 8 * slots(z.len()) + jemalloc(32 + 32 * 16);
            fixed + sampled(z.iter_from(0, false), samples, z.len(), |(m, _)| sds(m.len(), true) + DICT_ENTRY + 53)
        }
        Value::Stream(s) => {
            // The first `samples` entries' listpack bytes scaled to the stream, in nodes of
            // the size appends make, the last preallocated to `stream-node-max-bytes`.
            let all = s.range(crate::db::StreamId::new(0, 0), crate::db::StreamId::new(u64::MAX, u64::MAX), false);
            let entry = |(_, fv): (&crate::db::StreamId, &crate::db::Fields)| {
                8 + fv.iter().map(|(f, v)| listpack_entry_size(f) + listpack_entry_size(v)).sum::<usize>()
            };
            let nodes = s.tree_keys();
            let data = sampled(all, samples, s.len() as usize, entry) + nodes * 30;
            let tail = data.checked_div(nodes).map_or(0, |per| stream_node_bytes.saturating_sub(per));
            ROBJ + 584 + jemalloc(data + tail) + 40 * nodes.saturating_sub(1) + s.groups.len() * 200
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jemalloc_classes() {
        let classes: Vec<usize> =
            [1, 8, 9, 17, 33, 49, 65, 100, 129, 257, 1006, 4006].iter().map(|&n| jemalloc(n)).collect();
        assert_eq!(classes, [8, 8, 16, 32, 48, 64, 80, 112, 160, 320, 1024, 4096]);
    }
}
