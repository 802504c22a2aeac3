//! DEBUG DIGEST and DIGEST-VALUE: Redis's dataset digest (`debug.c`), the same for the same
//! data whatever the order of unordered collections: every key's digest mixes the key, the
//! type and the value (list elements and stream entries in order, each fed through SHA-1
//! with the digest so far; set members, hash pairs and sorted-set pairs xored), a TTL adds
//! a mark, and the keys' digests are xored per database after the database's number.

use crate::db::{Entry, Value};
use crate::reply::format_double;
use crate::script::sha1::sha1;

type Digest = [u8; 20];

fn xor_digest(d: &mut Digest, data: &[u8]) {
    for (a, b) in d.iter_mut().zip(sha1(data)) {
        *a ^= b;
    }
}

fn mix_digest(d: &mut Digest, data: &[u8]) {
    xor_digest(d, data);
    *d = sha1(d);
}

/// The digest of a pair (a hash field and value, a member and its `%.17g` score), hashed
/// and xored in.
fn xor_pair(d: &mut Digest, a: &[u8], b: &[u8]) {
    let mut e = [0u8; 20];
    mix_digest(&mut e, a);
    mix_digest(&mut e, b);
    xor_digest(d, &e);
}

/// `xorObjectDigest`: mixes `e`'s type and value into `d`.
pub fn value_digest(d: &mut Digest, e: &Entry) {
    let ty: u32 = match &e.value {
        Value::Str(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::Zset(_) => 3,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
    };
    mix_digest(d, &ty.to_be_bytes());
    match &e.value {
        Value::Str(s) => mix_digest(d, &s.data),
        Value::List(l) => l.iter().for_each(|v| mix_digest(d, v)),
        Value::Set(s) => s.iter().for_each(|m| xor_digest(d, m)),
        Value::Zset(z) => z.iter_from(0, false).for_each(|(m, s)| xor_pair(d, m, format_double(s).as_bytes())),
        Value::Hash(h) => h.fields.iter().for_each(|(k, v)| xor_pair(d, k, v)),
        Value::Stream(s) => {
            let all = s.range(crate::db::StreamId::new(0, 0), crate::db::StreamId::new(u64::MAX, u64::MAX), false);
            for (id, fields) in all {
                mix_digest(d, format!("{}.{}", id.ms, id.seq).as_bytes());
                for (f, v) in fields {
                    mix_digest(d, f);
                    mix_digest(d, v);
                }
            }
        }
    }
    if e.expire_at.is_some() {
        xor_digest(d, b"!!expire!!");
    }
}

/// `computeDatasetDigest` over the databases.
pub fn dataset_digest(dbs: &[crate::db::Db]) -> Digest {
    let mut out = [0u8; 20];
    for (j, db) in dbs.iter().enumerate().filter(|(_, d)| !d.is_empty()) {
        mix_digest(&mut out, &(j as u32).to_be_bytes());
        for (k, e) in db.keys() {
            let mut d = [0u8; 20];
            mix_digest(&mut d, k);
            value_digest(&mut d, e);
            xor_digest(&mut out, &d);
        }
    }
    out
}

pub fn to_hex(d: &Digest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}
