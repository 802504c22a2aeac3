//! RESP: the incremental request parser (multibulk and inline, with Redis's limits and
//! protocol error texts), the reply encoder (RESP2 and RESP3), and a reply parser for
//! clients (tests, the differential harness).

pub mod render;
mod reply_parser;
mod request;

pub use reply_parser::parse_reply;
pub use request::{split_inline_args, Limits, RequestParser};

use bytes::Bytes;

use crate::reply::{format_double, Reply};

/// Bulk values at least this long are written from the keyspace's own bytes, not copied
/// into the output buffer (see [`Output`]).
pub const SHARE_MIN: usize = 64 * 1024;

/// A connection's output: encoded replies, with large bulk values kept as shared
/// references, so a reply of many large values costs no copy of them.
#[derive(Debug, Default)]
pub struct Output {
    parts: Vec<Bytes>,
    tail: Vec<u8>,
}

impl Output {
    /// Appends `r`, encoded in RESP3 (`resp3`) or RESP2.
    pub fn push(&mut self, r: &Reply, resp3: bool) {
        encode_inner(r, resp3, &mut self.tail, &mut Some(&mut self.parts));
    }

    /// Appends raw bytes (a protocol error line).
    pub fn push_raw(&mut self, b: &[u8]) {
        self.tail.extend_from_slice(b);
    }

    /// Bytes waiting to be written.
    pub fn len(&self) -> usize {
        self.parts.iter().map(Bytes::len).sum::<usize>() + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty() && self.tail.is_empty()
    }

    /// Everything waiting, in order, as pieces to write; the output is empty afterwards.
    pub fn take(&mut self) -> Vec<Bytes> {
        let mut parts = std::mem::take(&mut self.parts);
        if !self.tail.is_empty() {
            parts.push(Bytes::copy_from_slice(&self.tail));
            self.tail.clear();
        }
        if self.tail.capacity() > SHARE_MIN * 16 {
            self.tail = Vec::new();
        }
        parts
    }
}

/// Where large bulk values go instead of the buffer.
type Spill<'a> = Option<&'a mut Vec<Bytes>>;

/// Largest inline request or count line Redis accepts (`PROTO_INLINE_MAX_SIZE`).
pub const INLINE_MAX: usize = 64 * 1024;

fn push_len(out: &mut Vec<u8>, prefix: u8, n: usize) {
    out.push(prefix);
    push_int(out, n as i64);
    out.extend_from_slice(b"\r\n");
}

/// `n` in decimal, without an allocation (every reply header has one).
fn push_int(out: &mut Vec<u8>, n: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

fn bulk(out: &mut Vec<u8>, b: &[u8]) {
    push_len(out, b'$', b.len());
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// Writes `r` in RESP3 (`resp3`) or RESP2.
pub fn encode(r: &Reply, resp3: bool, out: &mut Vec<u8>) {
    encode_inner(r, resp3, out, &mut None)
}

fn encode_inner(r: &Reply, resp3: bool, out: &mut Vec<u8>, spill: &mut Spill<'_>) {
    match r {
        Reply::Simple(s) => {
            out.push(b'+');
            out.extend_from_slice(s.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        Reply::Error(e) => {
            out.push(b'-');
            out.extend_from_slice(e);
            out.extend_from_slice(b"\r\n");
        }
        Reply::Int(n) => {
            out.push(b':');
            push_int(out, *n);
            out.extend_from_slice(b"\r\n");
        }
        Reply::Bulk(b) => match spill {
            Some(parts) if b.len() >= SHARE_MIN => {
                push_len(out, b'$', b.len());
                parts.push(Bytes::copy_from_slice(out));
                out.clear();
                parts.push(b.clone());
                out.extend_from_slice(b"\r\n");
            }
            _ => bulk(out, b),
        },
        Reply::Nil if resp3 => out.extend_from_slice(b"_\r\n"),
        Reply::NilArray if resp3 => out.extend_from_slice(b"_\r\n"),
        Reply::Nil => out.extend_from_slice(b"$-1\r\n"),
        Reply::NilArray => out.extend_from_slice(b"*-1\r\n"),
        Reply::Array(items) => {
            push_len(out, b'*', items.len());
            items.iter().for_each(|i| encode_inner(i, resp3, out, spill));
        }
        Reply::Set(items) => {
            push_len(out, if resp3 { b'~' } else { b'*' }, items.len());
            items.iter().for_each(|i| encode_inner(i, resp3, out, spill));
        }
        Reply::Push(items) => {
            push_len(out, if resp3 { b'>' } else { b'*' }, items.len());
            items.iter().for_each(|i| encode_inner(i, resp3, out, spill));
        }
        Reply::Attribute(pairs, reply) => {
            if resp3 {
                push_len(out, b'|', pairs.len());
                for (k, v) in pairs {
                    encode_inner(k, resp3, out, spill);
                    encode_inner(v, resp3, out, spill);
                }
            }
            encode_inner(reply, resp3, out, spill);
        }
        Reply::Map(pairs) => {
            if resp3 {
                push_len(out, b'%', pairs.len());
            } else {
                push_len(out, b'*', pairs.len() * 2);
            }
            for (k, v) in pairs {
                encode_inner(k, resp3, out, spill);
                encode_inner(v, resp3, out, spill);
            }
        }
        Reply::Double(d) => scalar(out, resp3, b',', format_double(*d).as_bytes()),
        Reply::DoubleText(text) => scalar(out, resp3, b',', text.as_bytes()),
        Reply::Bool(b) => match (resp3, b) {
            (true, true) => out.extend_from_slice(b"#t\r\n"),
            (true, false) => out.extend_from_slice(b"#f\r\n"),
            (false, true) => out.extend_from_slice(b":1\r\n"),
            (false, false) => out.extend_from_slice(b":0\r\n"),
        },
        Reply::Verbatim(fmt, data) => {
            if resp3 {
                push_len(out, b'=', data.len() + 4);
                out.extend_from_slice(fmt.as_bytes());
                out.push(b':');
                out.extend_from_slice(data);
                out.extend_from_slice(b"\r\n");
            } else {
                bulk(out, data);
            }
        }
        Reply::BigNumber(n) => scalar(out, resp3, b'(', n.as_bytes()),
    }
}

/// A RESP3 scalar written as text after its type byte (`,1.5`, `(123`), a bulk in RESP2.
fn scalar(out: &mut Vec<u8>, resp3: bool, kind: u8, text: &[u8]) {
    if resp3 {
        out.push(kind);
        out.extend_from_slice(text);
        out.extend_from_slice(b"\r\n");
    } else {
        bulk(out, text);
    }
}

/// Encodes a command as a RESP multibulk request.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A], out: &mut Vec<u8>) {
    push_len(out, b'*', args.len());
    for a in args {
        bulk(out, a.as_ref());
    }
}

#[cfg(test)]
mod int_tests {
    #[test]
    fn integers_are_written_in_decimal() {
        for n in [0, 7, -5, 10, 1234567890, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            super::push_int(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }
}
