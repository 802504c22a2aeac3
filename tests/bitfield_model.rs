//! BITFIELD's arithmetic against a model in 128-bit integers: random SET / INCRBY / GET
//! on signed and unsigned fields of every width, at random (also overlapping and unaligned)
//! offsets, under WRAP, SAT and FAIL. The model is the documented meaning (wrap modulo
//! 2^bits into the type's range, saturate at its bounds, fail with nil and no write), kept
//! per bit so overlapping fields interact as they do in the string; the fake's replies and
//! the final bytes must agree with it. Seeded, so a failure repeats.

use fakeredis::{Reply, Server};

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

/// The model's string: one bool per bit, growing with zeros.
#[derive(Default)]
struct Bits(Vec<bool>);

impl Bits {
    fn get(&self, offset: usize, bits: u32) -> u128 {
        (0..bits as usize).fold(0, |v, i| (v << 1) | u128::from(*self.0.get(offset + i).unwrap_or(&false)))
    }
    fn set(&mut self, offset: usize, bits: u32, raw: u128) {
        let need = (offset + bits as usize).div_ceil(8) * 8;
        if self.0.len() < need {
            self.0.resize(need, false);
        }
        for i in 0..bits as usize {
            self.0[offset + i] = (raw >> (bits as usize - 1 - i)) & 1 == 1;
        }
    }
    fn bytes(&self) -> Vec<u8> {
        self.0.chunks(8).map(|c| c.iter().fold(0u8, |b, &x| (b << 1) | u8::from(x))).collect()
    }
}

fn range(signed: bool, bits: u32) -> (i128, i128) {
    if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    }
}

fn to_value(raw: u128, signed: bool, bits: u32) -> i128 {
    let v = raw as i128;
    if signed && v >= 1i128 << (bits - 1) {
        v - (1i128 << bits)
    } else {
        v
    }
}

/// `v` wrapped modulo 2^bits into the type's range.
fn wrap(v: i128, signed: bool, bits: u32) -> i128 {
    let m = 1i128 << bits;
    to_value(v.rem_euclid(m) as u128, signed, bits)
}

#[test]
fn bitfield_agrees_with_a_model_of_its_arithmetic() {
    let server = Server::new();
    let mut c = server.client();
    let mut rng = Rng(0x5eed_b17f);
    for round in 0..300 {
        let key = format!("bf{round}");
        let mut model = Bits::default();
        for _ in 0..20 {
            let signed = rng.below(2) == 0;
            let bits = 1 + rng.below(if signed { 64 } else { 63 }) as u32;
            let offset = rng.below(96) as usize;
            let ow = ["WRAP", "SAT", "FAIL"][rng.below(3) as usize];
            let (min, max) = range(signed, bits);
            // Values near the type's bounds, near i64's, and small ones.
            let value: i64 = match rng.below(4) {
                0 => (rng.below(2001) as i64) - 1000,
                1 => rng.next() as i64,
                2 => (max.min(i128::from(i64::MAX)) as i64).wrapping_add((rng.below(5) as i64) - 2),
                _ => (min.max(i128::from(i64::MIN)) as i64).wrapping_add((rng.below(5) as i64) - 2),
            };
            let kind = ["SET", "INCRBY", "GET"][rng.below(3) as usize];
            let ty = format!("{}{bits}", if signed { 'i' } else { 'u' });
            let old = to_value(model.get(offset, bits), signed, bits);
            let args = [
                "BITFIELD".to_string(),
                key.clone(),
                "OVERFLOW".into(),
                ow.into(),
                kind.into(),
                ty.clone(),
                offset.to_string(),
                value.to_string(),
            ];
            let args = if kind == "GET" { &args[..7] } else { &args[..] };
            let expected = if kind == "GET" {
                Reply::Int(old as i64)
            } else {
                // A write grows the string to its field first, whatever the outcome.
                model.set(offset, bits, model.get(offset, bits));
                // What a SET writes is the value read as the field's type: an unsigned
                // field takes a negative i64 as the huge u64 it is in C.
                let target = if kind == "SET" {
                    if signed {
                        i128::from(value)
                    } else {
                        i128::from(value as u64)
                    }
                } else {
                    old + i128::from(value)
                };
                let new = if (min..=max).contains(&target) {
                    Some(target)
                } else {
                    match ow {
                        "WRAP" => Some(wrap(target, signed, bits)),
                        "SAT" => Some(if target > max { max } else { min }),
                        _ => None,
                    }
                };
                match new {
                    None => Reply::Array(vec![Reply::Nil]),
                    Some(n) => {
                        model.set(offset, bits, (n as u128) & ((1u128 << bits) - 1));
                        Reply::Int(if kind == "SET" { old as i64 } else { n as i64 })
                    }
                }
            };
            let expected = match expected {
                Reply::Array(a) => Reply::Array(a),
                one => Reply::Array(vec![one]),
            };
            assert_eq!(c.cmd(args).unwrap(), expected, "{args:?}");
        }
        match c.cmd(["GET", key.as_str()]).unwrap() {
            Reply::Bulk(b) => assert_eq!(b.to_vec(), model.bytes(), "{key}"),
            Reply::Nil => assert!(model.0.is_empty(), "{key}"),
            other => panic!("{other:?}"),
        }
    }
}
