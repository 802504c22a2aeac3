//! One value in RDB form, as DUMP writes it and RESTORE reads it (streams: [`super::stream`]): the type byte, then the
//! value in the encoding the pinned server would hold it in. Small collections are the
//! packed blob Redis keeps in memory (ziplist up to 6.2, listpack from 7.0, intset), big
//! ones element by element; the blob bytes match Redis's for elements appended in order.
//! What the fake cannot know (quicklist node boundaries after pushes at the head or
//! inserts in the middle, an intset's width after its widest member left, hashtable
//! order) follows the simplest history that leads to the same contents.
//!
//! Reading accepts every type the pinned version reads (older encodings included, as a
//! payload DUMPed by an older server restores into a newer one), validates everything as
//! Redis's deep sanitization does, and re-encodes by the configured thresholds as
//! `rdbLoadObject` does.

use bytes::Bytes;

use super::packed::{intset, listpack, read_intset, read_listpack, read_ziplist, ziplist};
use super::{save_len, save_string, Reader};
use crate::db::{fill_nodes, Encodings, Hash, List, Set, SetEnc, StrValue, Table, Value, ZSet};
use crate::spec::grammar::{parse_f64, parse_i64};

const STRING: u8 = 0;
const LIST: u8 = 1;
const SET: u8 = 2;
const ZSET: u8 = 3;
const HASH: u8 = 4;
const ZSET_2: u8 = 5;
const LIST_ZIPLIST: u8 = 10;
const SET_INTSET: u8 = 11;
const ZSET_ZIPLIST: u8 = 12;
const HASH_ZIPLIST: u8 = 13;
const LIST_QUICKLIST: u8 = 14;
const HASH_LISTPACK: u8 = 16;
const ZSET_LISTPACK: u8 = 17;
const LIST_QUICKLIST_2: u8 = 18;
const SET_LISTPACK: u8 = 20;
const HASH_METADATA: u8 = 24;
const HASH_LISTPACK_EX: u8 = 25;

/// A quicklist node holding its elements packed (the other kind holds one big element).
const NODE_PACKED: u64 = 2;
const NODE_PLAIN: u64 = 1;
/// The latest field expiry time a hash may carry (`EB_EXPIRE_TIME_MAX`, 2^48 - 1).
const FIELD_EXPIRE_MAX: u64 = (1 << 48) - 1;

/// What a payload's RDB version says about its layout.
#[derive(Debug, Clone, Copy)]
pub struct Format {
    /// The RDB version (9 for 6.2, 10 for 7.0, 11 for 7.2, 12 for 7.4+, 80 for Valkey 9).
    pub version: u16,
}

impl Format {
    /// The format the pinned server writes (and the newest it reads).
    pub fn of(p: &crate::spec::Profile) -> Format {
        Format { version: super::version(p) }
    }

    fn ziplists(self) -> bool {
        self.version < 10
    }

    fn set_listpacks(self) -> bool {
        self.version >= 11
    }

    fn field_ttls(self) -> bool {
        (12..80).contains(&self.version)
    }

    /// Whether `ty` is a value type this version reads (`rdbIsObjectType`; modules are
    /// not, as no module is loaded here).
    fn reads(self, ty: u8) -> bool {
        match ty {
            0..=5 | 9..=15 => true,
            16..=19 => self.version >= 10,
            20 | 21 => self.version >= 11,
            24 | 25 => self.field_ttls(),
            _ => false,
        }
    }
}

/// Why a value was not written: a kind this version of the fake cannot serialize yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsupported {
    /// A stream with idempotent-producer state (8.6) or pending entries of no consumer (8.8).
    Stream,
    /// Hash field TTLs in a format other than Redis 7.4's.
    FieldTtls,
}

/// The type byte and body of `v`, as the pinned server's DUMP writes them.
/// `score_text` renders a non-integral sorted-set score as the server writes it.
pub fn save(v: &Value, f: Format, enc: &Encodings, score_text: &dyn Fn(f64) -> String) -> Result<Vec<u8>, Unsupported> {
    let mut out = Vec::new();
    match v {
        Value::Str(s) => {
            out.push(STRING);
            save_string(&mut out, &s.data);
        }
        Value::List(l) => save_list(&mut out, l, f, enc),
        Value::Set(s) => save_set(&mut out, s, f),
        Value::Zset(z) => save_zset(&mut out, z, f, score_text),
        Value::Hash(h) => save_hash(&mut out, h, f)?,
        Value::Stream(s) if super::stream::writable(s) => super::stream::save(&mut out, s, f.version),
        Value::Stream(_) => return Err(Unsupported::Stream),
    }
    Ok(out)
}

/// A list as quicklist nodes filled from the head, each as full as `list-max-listpack-size`
/// lets an append make it (`_quicklistNodeAllowInsert`: the node's bytes, the element's
/// and 8 bytes of estimated overhead; 6.2 estimates its ziplist entry headers).
fn save_list(out: &mut Vec<u8>, l: &List, f: Format, enc: &Encodings) {
    let counts: Vec<usize> = if f.ziplists() {
        let items = l.iter().map(|b| &b[..]);
        fill_nodes(items, enc.list_fill, 11, |v| ziplist_overhead(v.len()), ziplist_entry_size).map(|n| n.0).collect()
    } else {
        l.nodes(enc.list_fill).map(|n| n.0).collect()
    };
    out.push(if f.ziplists() { LIST_QUICKLIST } else { LIST_QUICKLIST_2 });
    save_len(out, counts.len() as u64);
    let mut items = l.iter().map(|b| &b[..]);
    for n in counts {
        let node: Vec<&[u8]> = items.by_ref().take(n).collect();
        if f.ziplists() {
            save_string(out, &ziplist(node));
        } else {
            save_len(out, NODE_PACKED);
            save_string(out, &listpack(node));
        }
    }
}

/// 6.2's estimate of what one more ziplist entry adds beyond its bytes.
fn ziplist_overhead(len: usize) -> usize {
    let prev = if len < 254 { 1 } else { 5 };
    prev + if len < 64 {
        1
    } else if len < 16384 {
        2
    } else {
        5
    }
}

/// The bytes a ziplist entry takes after an entry of `prev` bytes.
fn ziplist_entry_size(v: &[u8], prev: usize) -> usize {
    let alone = ziplist(std::iter::once(v)).len() - 11;
    if prev >= 254 {
        alone + 4
    } else {
        alone
    }
}

fn save_set(out: &mut Vec<u8>, s: &Set, f: Format) {
    match s.enc {
        SetEnc::Intset => {
            let mut ints: Vec<i64> = s.iter().filter_map(|m| parse_i64(m)).collect();
            ints.sort_unstable();
            out.push(SET_INTSET);
            save_string(out, &intset(&ints));
        }
        SetEnc::Listpack if f.set_listpacks() => {
            out.push(SET_LISTPACK);
            save_string(out, &listpack(s.iter().map(|m| &m[..])));
        }
        _ => {
            out.push(SET);
            save_len(out, s.len() as u64);
            for m in s.iter() {
                save_string(out, m);
            }
        }
    }
}

/// A score as a packed sorted set holds it: an integer when it is one (7.0+ `double2ll`,
/// 6.2's within 2^52), else the text.
pub(crate) fn packed_score(d: f64, f: Format, score_text: &dyn Fn(f64) -> String) -> String {
    let limit = if f.ziplists() { 4_503_599_627_370_496.0 } else { (i64::MAX / 2) as f64 };
    if d.fract() == 0.0 && d.abs() < limit && !(f.ziplists() && d == 0.0 && d.is_sign_negative()) {
        return (d as i64).to_string();
    }
    if d == 0.0 {
        return "-0".into();
    }
    score_text(d)
}

fn save_zset(out: &mut Vec<u8>, z: &ZSet, f: Format, score_text: &dyn Fn(f64) -> String) {
    if z.listpack {
        let pairs: Vec<(Bytes, Vec<u8>)> =
            z.iter_from(0, false).map(|(m, s)| (m.clone(), packed_score(s, f, score_text).into_bytes())).collect();
        let items = pairs.iter().flat_map(|(m, s)| [&m[..], &s[..]]);
        out.push(if f.ziplists() { ZSET_ZIPLIST } else { ZSET_LISTPACK });
        save_string(out, &if f.ziplists() { ziplist(items) } else { listpack(items) });
        return;
    }
    out.push(ZSET_2);
    save_len(out, z.len() as u64);
    for (m, s) in z.iter_from(z.len().saturating_sub(1), true) {
        save_string(out, m);
        out.extend_from_slice(&s.to_le_bytes());
    }
}

fn save_hash(out: &mut Vec<u8>, h: &Hash, f: Format) -> Result<(), Unsupported> {
    let ttls = h.has_expires() || (h.ex && h.listpack);
    if ttls && !f.field_ttls() {
        return Err(Unsupported::FieldTtls);
    }
    let min_expire = h.fields.keys().filter_map(|k| h.expire_at(k)).min();
    if h.listpack && ttls {
        // Fields with a TTL first, soonest first, then the others in order.
        let mut fields: Vec<(&Bytes, &Bytes, Option<i64>)> =
            h.fields.iter().map(|(k, v)| (k, v, h.expire_at(k))).collect();
        fields.sort_by_key(|(_, _, t)| t.unwrap_or(i64::MAX));
        let ttl_text: Vec<Vec<u8>> = fields.iter().map(|(_, _, t)| t.unwrap_or(0).to_string().into_bytes()).collect();
        out.push(HASH_LISTPACK_EX);
        out.extend_from_slice(&min_expire.unwrap_or(0).to_le_bytes());
        let items = fields.iter().zip(&ttl_text).flat_map(|((k, v, _), t)| [&k[..], &v[..], &t[..]]);
        save_string(out, &listpack(items));
    } else if h.listpack {
        let items = h.fields.iter().flat_map(|(k, v)| [&k[..], &v[..]]);
        out.push(if f.ziplists() { HASH_ZIPLIST } else { HASH_LISTPACK });
        save_string(out, &if f.ziplists() { ziplist(items) } else { listpack(items) });
    } else if let Some(min) = min_expire.filter(|_| ttls) {
        out.push(HASH_METADATA);
        out.extend_from_slice(&min.to_le_bytes());
        save_len(out, h.len() as u64);
        for (k, v) in h.fields.iter() {
            save_len(out, h.expire_at(k).map_or(0, |t| (t - min + 1) as u64));
            save_string(out, k);
            save_string(out, v);
        }
    } else {
        out.push(HASH);
        save_len(out, h.len() as u64);
        for (k, v) in h.fields.iter() {
            save_string(out, k);
            save_string(out, v);
        }
    }
    Ok(())
}

/// The value a payload body holds (type byte first), or `None` when it is malformed, of
/// a type the version does not read, or empty (`Bad data format` in every case).
pub fn load(r: &mut Reader<'_>, f: Format, enc: &Encodings) -> Option<Value> {
    let ty = r.byte()?;
    if !f.reads(ty) {
        return None;
    }
    Some(match ty {
        STRING => Value::Str(StrValue::encoded(r.string()?)),
        LIST | LIST_QUICKLIST | LIST_QUICKLIST_2 | LIST_ZIPLIST => Value::List(Box::new(load_list(r, ty, enc)?)),
        SET | SET_INTSET | SET_LISTPACK => Value::Set(Box::new(load_set(r, ty, enc)?)),
        ZSET | ZSET_2 | ZSET_ZIPLIST | ZSET_LISTPACK => Value::Zset(Box::new(load_zset(r, ty, enc)?)),
        15 | 19 | 21 => Value::Stream(Box::new(super::stream::load(r, ty)?)),
        _ => Value::Hash(Box::new(load_hash(r, ty, enc)?)),
    })
}

/// A count from the payload (each element takes at least a byte, so a count beyond the
/// bytes left is damage, caught before anything is allocated for it).
fn count(r: &mut Reader<'_>) -> Option<usize> {
    let (false, n) = r.len()? else { return None };
    usize::try_from(n).ok().filter(|&n| n > 0 && n <= r.remaining())
}

fn load_list(r: &mut Reader<'_>, ty: u8, enc: &Encodings) -> Option<List> {
    let mut l = List::new(false);
    match ty {
        LIST => {
            for _ in 0..count(r)? {
                l.push_back(Bytes::from(r.string()?));
            }
        }
        LIST_ZIPLIST => read_ziplist(&r.string()?)?.into_iter().for_each(|v| l.push_back(Bytes::from(v))),
        _ => {
            for _ in 0..count(r)? {
                let container = if ty == LIST_QUICKLIST_2 {
                    let (false, c) = r.len()? else { return None };
                    c
                } else {
                    NODE_PACKED
                };
                let blob = r.string()?;
                let items = match container {
                    _ if blob.is_empty() => return None,
                    NODE_PLAIN => vec![blob],
                    NODE_PACKED if ty == LIST_QUICKLIST_2 => read_listpack(&blob)?,
                    NODE_PACKED => read_ziplist(&blob)?,
                    _ => return None,
                };
                items.into_iter().for_each(|v| l.push_back(Bytes::from(v)));
            }
        }
    }
    if l.is_empty() {
        return None;
    }
    l.shrink_check(enc.list_fill, enc.small_lists);
    Some(l)
}

fn load_set(r: &mut Reader<'_>, ty: u8, enc: &Encodings) -> Option<Set> {
    let members: Vec<Vec<u8>> = match ty {
        SET => {
            let n = count(r)?;
            let start = if n > enc.set_intset { SetEnc::Hashtable } else { SetEnc::Intset };
            let mut s = Set { members: Table::new(), enc: start };
            for _ in 0..n {
                if !s.add(enc, &r.string()?) {
                    return None;
                }
            }
            return Some(s);
        }
        SET_INTSET => read_intset(&r.string()?)?.iter().map(|n| n.to_string().into_bytes()).collect(),
        _ => read_listpack(&r.string()?)?,
    };
    let (packed, limit) =
        if ty == SET_INTSET { (SetEnc::Intset, enc.set_intset) } else { (SetEnc::Listpack, enc.set_lp_entries) };
    let mut s = Set { members: Table::new(), enc: if members.len() > limit { SetEnc::Hashtable } else { packed } };
    for m in &members {
        if s.members.insert(m, ()).is_some() {
            return None;
        }
    }
    (!s.is_empty()).then_some(s)
}

fn load_zset(r: &mut Reader<'_>, ty: u8, enc: &Encodings) -> Option<ZSet> {
    let mut pairs: Vec<(Vec<u8>, f64)> = Vec::new();
    let listpack = match ty {
        ZSET | ZSET_2 => {
            for _ in 0..count(r)? {
                let m = r.string()?;
                let score = if ty == ZSET_2 { f64::from_le_bytes(r.take(8)?.try_into().ok()?) } else { r.double()? };
                pairs.push((m, score));
            }
            pairs.len() <= enc.zset_entries && pairs.iter().all(|(m, _)| m.len() <= enc.zset_value)
        }
        _ => {
            let blob = r.string()?;
            let items = if ty == ZSET_ZIPLIST { read_ziplist(&blob)? } else { read_listpack(&blob)? };
            if items.len() % 2 != 0 {
                return None;
            }
            let mut it = items.into_iter();
            while let (Some(m), Some(s)) = (it.next(), it.next()) {
                pairs.push((m, parse_f64(&s)?));
            }
            pairs.len() <= enc.zset_entries
        }
    };
    if pairs.is_empty() {
        return None;
    }
    let mut z = ZSet::new(false);
    for (m, s) in pairs {
        if s.is_nan() || !z.set(enc, &m, if listpack && s == 0.0 { 0.0 } else { s }) {
            return None;
        }
    }
    z.listpack = listpack;
    Some(z)
}

fn load_hash(r: &mut Reader<'_>, ty: u8, enc: &Encodings) -> Option<Hash> {
    let mut h = Hash::new();
    let mut fields: Vec<(Vec<u8>, Vec<u8>, Option<i64>)> = Vec::new();
    let listpack = match ty {
        HASH | HASH_METADATA => {
            let min = if ty == HASH_METADATA { u64::from_le_bytes(r.take(8)?.try_into().ok()?) } else { 0 };
            for _ in 0..count(r)? {
                let ttl = if ty == HASH_METADATA {
                    let (false, t) = r.len()? else { return None };
                    match t {
                        0 => None,
                        t => Some(
                            i64::try_from(t.checked_add(min)? - 1).ok().filter(|&a| a as u64 <= FIELD_EXPIRE_MAX)?,
                        ),
                    }
                } else {
                    None
                };
                let (k, v) = (r.string()?, r.string()?);
                fields.push((k, v, ttl));
            }
            let n = fields.len();
            n <= enc.hash_entries
                && fields.iter().all(|(k, v, _)| k.len() <= enc.hash_value && v.len() <= enc.hash_value)
        }
        _ => {
            if ty == HASH_LISTPACK_EX {
                r.take(8)?;
            }
            let blob = r.string()?;
            let items = if ty == HASH_ZIPLIST { read_ziplist(&blob)? } else { read_listpack(&blob)? };
            let width = if ty == HASH_LISTPACK_EX { 3 } else { 2 };
            if items.len() % width != 0 {
                return None;
            }
            for t in items.chunks_exact(width) {
                let ttl = match t.get(2) {
                    Some(s) => Some(parse_i64(s).filter(|&n| (0..=FIELD_EXPIRE_MAX as i64).contains(&n))?),
                    None => None,
                };
                fields.push((t[0].clone(), t[1].clone(), ttl.filter(|&n| n > 0)));
            }
            fields.len() <= enc.hash_entries
        }
    };
    if fields.is_empty() {
        return None;
    }
    h.listpack = false;
    for (k, v, ttl) in fields {
        if h.fields.insert(&k, Bytes::from(v)).is_some() {
            return None;
        }
        if ttl.is_some() {
            h.set_expire(&k, ttl);
        }
    }
    h.listpack = listpack;
    h.ex = listpack && matches!(ty, HASH_METADATA | HASH_LISTPACK_EX);
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::format_double;

    fn enc() -> Encodings {
        Encodings {
            list_fill: -2,
            small_lists: false,
            hash_entries: 128,
            hash_value: 64,
            set_intset: 512,
            set_lp_entries: 128,
            set_lp_value: 64,
            small_sets: false,
            zset_entries: 128,
            zset_value: 64,
            up_front: false,
            ziplist_names: false,
        }
    }

    fn round_trip(v: &Value, version: u16) -> Value {
        let f = Format { version };
        let body = save(v, f, &enc(), &format_double).expect("serializable");
        let mut r = Reader::new(&body);
        let back = load(&mut r, f, &enc()).unwrap_or_else(|| panic!("{} at version {version} loads", v.type_name()));
        assert!(r.at_end());
        back
    }

    #[test]
    fn every_type_reads_back_in_every_format() {
        let e = enc();
        let mut list = List::new(false);
        (0..3000).for_each(|i| list.push_back(Bytes::from(format!("item-{i}"))));
        let mut set = Set::new(&e, b"1", 1);
        (0..600).for_each(|i| {
            set.add(&e, i.to_string().as_bytes());
        });
        let mut small_set = Set::new(&e, b"7", 1);
        small_set.add(&e, b"-70000");
        let mut zset = ZSet::new(true);
        zset.set(&e, b"a", 1.5);
        zset.set(&e, b"b", -3.0);
        let mut big_zset = ZSet::new(false);
        (0..200).for_each(|i| {
            big_zset.set(&e, format!("m{i}").as_bytes(), f64::from(i) / 3.0);
        });
        let mut hash = Hash::new();
        hash.set(&e, b"f", Bytes::from_static(b"v"));
        hash.set(&e, b"n", Bytes::from_static(b"12"));
        let mut big_hash = hash.clone();
        big_hash.set(&e, b"long", Bytes::from(vec![b'x'; 100]));
        let values = [
            Value::Str(StrValue::encoded(b"hello".to_vec())),
            Value::Str(StrValue::encoded(b"12345".to_vec())),
            Value::List(Box::new(list)),
            Value::Set(Box::new(set)),
            Value::Set(Box::new(small_set)),
            Value::Zset(Box::new(zset)),
            Value::Zset(Box::new(big_zset)),
            Value::Hash(Box::new(hash)),
            Value::Hash(Box::new(big_hash)),
        ];
        for version in [9, 10, 11] {
            for v in &values {
                assert_eq!(&round_trip(v, version), v, "version {version}");
            }
        }
    }

    #[test]
    fn a_short_list_is_one_listpack_node() {
        let mut l = List::new(false);
        l.push_back(Bytes::from_static(b"a"));
        l.push_back(Bytes::from_static(b"1"));
        let body = save(&Value::List(Box::new(l)), Format { version: 10 }, &enc(), &format_double).unwrap();
        let lp = listpack([&b"a"[..], b"1"]);
        let mut expect = vec![LIST_QUICKLIST_2, 1, 2, lp.len() as u8];
        expect.extend_from_slice(&lp);
        assert_eq!(body, expect);
    }

    #[test]
    fn truncated_or_empty_payloads_are_refused() {
        let mut h = Hash::new();
        h.set(&enc(), b"field", Bytes::from_static(b"value"));
        let body = save(&Value::Hash(Box::new(h)), Format { version: 10 }, &enc(), &format_double).unwrap();
        for cut in 0..body.len() {
            assert!(load(&mut Reader::new(&body[..cut]), Format { version: 10 }, &enc()).is_none());
        }
        assert!(load(&mut Reader::new(&[SET, 0]), Format { version: 10 }, &enc()).is_none(), "empty set");
        assert!(load(&mut Reader::new(&[SET_LISTPACK]), Format { version: 10 }, &enc()).is_none(), "too new");
    }
}
