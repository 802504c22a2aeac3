//! The one-line text form of replies and commands that conformance transcripts use
//! (`tests/transcripts/README.md`): `+OK`, `:1`, `"bulk"`, `[a, b]`, `{k: v}`, ... Shared by
//! the transcript runner and the differential driver, which writes its findings as
//! transcripts.

use crate::reply::{format_double, Reply};

/// `data` as a double-quoted transcript string: `"` and `\` escaped, `\n \r \t`, other bytes
/// outside printable ASCII as `\xHH`. [`super::split_inline_args`] reads it back.
pub fn quote(data: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in data {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// Printable ASCII as is, other bytes as `\xHH` (simple strings and errors).
fn text(data: &[u8]) -> String {
    data.iter()
        .map(|&b| if (0x20..=0x7e).contains(&b) { (b as char).to_string() } else { format!("\\x{b:02x}") })
        .collect()
}

/// A command as a transcript line's body: plain words bare, anything else quoted.
pub fn command_line(argv: &[Vec<u8>]) -> String {
    let plain =
        |a: &[u8]| !a.is_empty() && a.iter().all(|&b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'\\'));
    argv.iter()
        .map(|a| if plain(a) { String::from_utf8_lossy(a).into_owned() } else { quote(a) })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `r` as a transcript reply line; `sort` sorts arrays, sets and maps at every depth.
pub fn render(r: &Reply, resp3: bool, sort: bool) -> String {
    let list = |items: &[Reply]| {
        let mut v: Vec<String> = items.iter().map(|x| render(x, resp3, sort)).collect();
        if sort {
            v.sort();
        }
        format!("[{}]", v.join(", "))
    };
    match r {
        Reply::Simple(s) => format!("+{}", text(s.as_bytes())),
        Reply::Error(e) => format!("-{}", text(e)),
        Reply::Int(n) => format!(":{n}"),
        Reply::Bulk(b) => quote(b),
        Reply::Nil | Reply::NilArray if resp3 => "_".into(),
        Reply::Nil => "(nil)".into(),
        Reply::NilArray => "(nil-array)".into(),
        Reply::Double(d) => format!(",{}", format_double(*d)),
        Reply::DoubleText(t) => format!(",{t}"),
        Reply::Bool(b) => if *b { "#t" } else { "#f" }.into(),
        Reply::BigNumber(n) => format!("({n}"),
        Reply::Verbatim(f, d) => format!("={f} {}", quote(d)),
        Reply::Array(v) => list(v),
        Reply::Set(v) => format!("~{}", list(v)),
        Reply::Push(v) => format!(">{}", list(v)),
        Reply::Attribute(pairs, r) if resp3 => {
            let v: Vec<String> =
                pairs.iter().map(|(k, x)| format!("{}: {}", render(k, resp3, sort), render(x, resp3, sort))).collect();
            format!("|{{{}}} {}", v.join(", "), render(r, resp3, sort))
        }
        Reply::Attribute(_, r) => render(r, resp3, sort),
        Reply::Map(pairs) => {
            let mut v: Vec<String> =
                pairs.iter().map(|(k, x)| format!("{}: {}", render(k, resp3, sort), render(x, resp3, sort))).collect();
            if sort {
                v.sort();
            }
            format!("{{{}}}", v.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::split_inline_args;

    #[test]
    fn command_lines_read_back() {
        let argv: Vec<Vec<u8>> =
            vec![b"SET".to_vec(), b"".to_vec(), b"a b".to_vec(), b"x\r\n\"\\\x00\xff".to_vec(), b"'q'".to_vec()];
        let line = command_line(&argv);
        assert_eq!(line, r#"SET "" "a b" "x\r\n\"\\\x00\xff" "'q'""#);
        assert_eq!(split_inline_args(line.as_bytes()), Some(argv));
    }

    #[test]
    fn replies_render_as_transcripts_do() {
        let r = Reply::Array(vec![Reply::bulk("b"), Reply::Int(1), Reply::Nil, Reply::err("ERR x")]);
        assert_eq!(render(&r, false, false), r#"["b", :1, (nil), -ERR x]"#);
        assert_eq!(render(&r, true, true), r#"["b", -ERR x, :1, _]"#);
        let m = Reply::Map(vec![(Reply::bulk("k"), Reply::Double(1.5))]);
        assert_eq!(render(&m, true, false), r#"{"k": ,1.5}"#);
    }
}
