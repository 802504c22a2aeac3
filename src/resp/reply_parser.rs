//! Parses a server's reply (RESP2 or RESP3) into a [`Reply`]; used by the TCP tests and the
//! differential harness to read real servers and the fake alike.

use crate::reply::Reply;

/// The first complete reply in `buf` and how many bytes it took; `Ok(None)` if incomplete.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Reply, usize)>, String> {
    parse_at(buf, 0, 0)
}

fn line(buf: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rel = buf.get(pos..)?.windows(2).position(|w| w == b"\r\n")?;
    Some((&buf[pos..pos + rel], pos + rel + 2))
}

fn num(b: &[u8]) -> Result<i64, String> {
    std::str::from_utf8(b)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad number {:?}", String::from_utf8_lossy(b)))
}

fn parse_at(buf: &[u8], pos: usize, depth: usize) -> Result<Option<(Reply, usize)>, String> {
    if depth > 64 {
        return Err("reply nested too deep".into());
    }
    let Some(&t) = buf.get(pos) else { return Ok(None) };
    let Some((body, next)) = line(buf, pos + 1) else { return Ok(None) };
    let text = || String::from_utf8_lossy(body).into_owned();
    let r = match t {
        b'+' => Reply::Simple(text().into()),
        b'-' => Reply::err_bytes(body.to_vec()),
        b':' => Reply::Int(num(body)?),
        b'(' => Reply::BigNumber(text()),
        // The text as sent: servers write the same value differently (GEOPOS's %.17Lf).
        b',' => {
            let t = text();
            if !matches!(t.as_str(), "inf" | "-inf" | "nan" | "-nan") && t.parse::<f64>().is_err() {
                return Err("bad double".into());
            }
            Reply::DoubleText(t)
        }
        b'#' => Reply::Bool(body == b"t"),
        b'_' => Reply::Nil,
        b'$' | b'=' | b'!' => {
            let n = num(body)?;
            if n < 0 {
                return Ok(Some((Reply::Nil, next)));
            }
            let n = n as usize;
            if buf.len() < next + n + 2 {
                return Ok(None);
            }
            let data = buf[next..next + n].to_vec();
            let end = next + n + 2;
            let r = match t {
                b'$' => Reply::Bulk(data.into()),
                b'!' => Reply::err_bytes(data),
                _ => {
                    let (fmt, rest) = if data.len() >= 4 { data.split_at(4) } else { (&data[..0], &data[..]) };
                    let fmt = if fmt.starts_with(b"mkd") { "mkd" } else { "txt" };
                    Reply::Verbatim(fmt, rest.to_vec())
                }
            };
            return Ok(Some((r, end)));
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = num(body)?;
            if n < 0 {
                return Ok(Some((Reply::NilArray, next)));
            }
            let count = if t == b'%' || t == b'|' { n as usize * 2 } else { n as usize };
            let mut items = Vec::with_capacity(count.min(1024));
            let mut p = next;
            for _ in 0..count {
                match parse_at(buf, p, depth + 1)? {
                    Some((r, np)) => {
                        items.push(r);
                        p = np;
                    }
                    None => return Ok(None),
                }
            }
            let r = match t {
                b'*' => Reply::Array(items),
                b'~' => Reply::Set(items),
                b'>' => Reply::Push(items),
                b'|' => return parse_at(buf, p, depth + 1),
                _ => {
                    let mut pairs = Vec::with_capacity(items.len() / 2);
                    let mut it = items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        pairs.push((k, v));
                    }
                    Reply::Map(pairs)
                }
            };
            return Ok(Some((r, p)));
        }
        other => return Err(format!("unexpected reply type byte {other:#x}")),
    };
    Ok(Some((r, next)))
}
