//! The incremental request parser: feed it bytes as they arrive, take complete commands out.
//!
//! It follows Redis's `processMultibulkBuffer` and `processInlineBuffer`: the same limits
//! (`proto-max-bulk-len`, 64 KiB count lines and inline requests, the tighter limits for
//! unauthenticated clients) and the same `Protocol error: ...` texts. After an error the
//! connection must be closed, as Redis does. Nothing is allocated ahead of the bytes that
//! actually arrived, whatever length a client announces.

use super::INLINE_MAX;
use crate::spec::grammar::parse_i64;

/// Limits that depend on the server's config and the client's state.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub proto_max_bulk_len: i64,
    /// The client must still authenticate (caps counts at 10 and bulks at 16384 bytes).
    pub auth_required: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { proto_max_bulk_len: 512 * 1024 * 1024, auth_required: false }
    }
}

#[derive(Debug, Default)]
pub struct RequestParser {
    buf: Vec<u8>,
    pos: usize,
    /// Arguments still expected in the current multibulk (0 = between commands).
    remaining: usize,
    /// Length of the bulk being read, once its header was read.
    bulk_len: Option<usize>,
    /// The command's arguments: the first `filled` are this command's; the buffers after
    /// them are kept from earlier commands, to be refilled without allocating.
    args: Vec<Vec<u8>>,
    filled: usize,
}

/// Input buffer capacity a connection keeps between commands.
const RETAIN_BUFFER: usize = 64 * 1024;

fn perr(s: &str) -> String {
    format!("ERR Protocol error: {s}")
}

impl RequestParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes.
    pub fn feed(&mut self, data: &[u8]) {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > 64 * 1024 && self.pos * 2 > self.buf.len() {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Gives back the buffer's memory once everything in it was consumed and it grew past
    /// what ordinary traffic needs (a client that once sent a huge value keeps nothing).
    pub fn release_idle(&mut self) {
        if self.pos == self.buf.len() && self.buf.capacity() > RETAIN_BUFFER {
            self.buf = Vec::new();
            self.pos = 0;
        }
        let kept = || self.args.iter().map(Vec::capacity).sum::<usize>();
        if self.remaining == 0 && (self.args.capacity() > 1024 || kept() > RETAIN_BUFFER) {
            self.args = Vec::new();
        }
    }

    /// Capacity of the input buffer (for tests of [`RequestParser::release_idle`]).
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Bytes received and not yet consumed.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn find_cr(&self) -> Option<usize> {
        self.buf[self.pos..].iter().position(|&c| c == b'\r').map(|i| self.pos + i)
    }

    /// The next complete command. `Ok(None)`: more bytes needed. `Err(text)`: a protocol
    /// error (the full error reply text); the caller replies with it and closes.
    pub fn next_command(&mut self, limits: Limits) -> Result<Option<Vec<Vec<u8>>>, String> {
        Ok(self.next_command_ref(limits)?.map(<[Vec<u8>]>::to_vec))
    }

    /// [`RequestParser::next_command`], borrowed: the arguments stay in the parser, whose
    /// buffers the next command reuses (no allocation per argument once they are warm).
    pub fn next_command_ref(&mut self, limits: Limits) -> Result<Option<&[Vec<u8>]>, String> {
        loop {
            if self.remaining == 0 {
                let Some(&first) = self.buf.get(self.pos) else { return Ok(None) };
                if first != b'*' {
                    match self.inline()? {
                        Some(args) if args.is_empty() => continue,
                        Some(args) => {
                            self.filled = args.len();
                            self.args = args;
                            return Ok(Some(&self.args[..]));
                        }
                        None => return Ok(None),
                    }
                }
                let Some(cr) = self.find_cr() else {
                    if self.pending() > INLINE_MAX {
                        return Err(perr("too big mbulk count string"));
                    }
                    return Ok(None);
                };
                if cr + 1 >= self.buf.len() {
                    return Ok(None);
                }
                let n = parse_i64(&self.buf[self.pos + 1..cr]);
                let n = match n {
                    Some(n) if n <= i64::from(i32::MAX) => n,
                    _ => return Err(perr("invalid multibulk length")),
                };
                if n > 10 && limits.auth_required {
                    return Err(perr("unauthenticated multibulk length"));
                }
                self.pos = cr + 2;
                if n <= 0 {
                    continue;
                }
                self.remaining = n as usize;
                self.filled = 0;
                self.args.reserve(self.remaining.min(1024).saturating_sub(self.args.len()));
            }
            while self.remaining > 0 {
                let len = match self.bulk_len {
                    Some(l) => l,
                    None => {
                        let Some(cr) = self.find_cr() else {
                            if self.pending() > INLINE_MAX {
                                return Err(perr("too big bulk count string"));
                            }
                            return Ok(None);
                        };
                        if cr + 1 >= self.buf.len() {
                            return Ok(None);
                        }
                        let c = self.buf[self.pos];
                        if c != b'$' {
                            return Err(perr(&format!("expected '$', got '{}'", char::from(c))));
                        }
                        let l = match parse_i64(&self.buf[self.pos + 1..cr]) {
                            Some(l) if l >= 0 && l <= limits.proto_max_bulk_len => l,
                            _ => return Err(perr("invalid bulk length")),
                        };
                        if l > 16384 && limits.auth_required {
                            return Err(perr("unauthenticated bulk length"));
                        }
                        self.pos = cr + 2;
                        let l = usize::try_from(l).map_err(|_| perr("invalid bulk length"))?;
                        self.bulk_len = Some(l);
                        l
                    }
                };
                if self.pending() < len.saturating_add(2) {
                    return Ok(None);
                }
                let bytes = &self.buf[self.pos..self.pos + len];
                match self.args.get_mut(self.filled) {
                    Some(a) => {
                        a.clear();
                        a.extend_from_slice(bytes);
                    }
                    None => self.args.push(bytes.to_vec()),
                }
                self.filled += 1;
                self.pos += len + 2;
                self.bulk_len = None;
                self.remaining -= 1;
            }
            return Ok(Some(&self.args[..self.filled]));
        }
    }

    /// An inline command (`PING\r\n`, `set a "b c"\n`); `Some(vec![])` for an empty line.
    fn inline(&mut self) -> Result<Option<Vec<Vec<u8>>>, String> {
        let Some(nl) = self.buf[self.pos..].iter().position(|&c| c == b'\n') else {
            if self.pending() > INLINE_MAX {
                return Err(perr("too big inline request"));
            }
            return Ok(None);
        };
        let mut line = &self.buf[self.pos..self.pos + nl];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        let args = split_inline_args(line).ok_or_else(|| perr("unbalanced quotes in request"))?;
        self.pos += nl + 1;
        Ok(Some(args))
    }
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Redis's `sdssplitargs`: whitespace-separated words, `"..."` with `\n \r \t \b \a \xHH`
/// escapes, `'...'` with `\'`; a closing quote must be followed by a space or the end.
/// `None` for unbalanced quotes.
pub fn split_inline_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Some(out);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq) = (false, false);
        loop {
            if inq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\' && i + 3 < n && line[i + 1] == b'x' {
                    if let (Some(a), Some(b)) = (hex(line[i + 2]), hex(line[i + 3])) {
                        cur.push(a * 16 + b);
                        i += 4;
                        continue;
                    }
                }
                if line[i] == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        c => c,
                    });
                } else if line[i] == b'"' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
                i += 1;
            } else if insq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if line[i] == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
                i += 1;
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        i += 1;
                        break;
                    }
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    c => cur.push(c),
                }
                i += 1;
            }
        }
        out.push(cur);
    }
}
