//! Redis's glob-style pattern matching (`stringmatchlen`): `*`, `?`, `[abc]`, `[^a-z]`,
//! `\x` escapes, with Redis's handling of malformed patterns (an unterminated `[` class
//! runs to the end of the pattern; a trailing `\` is a literal backslash).
//!
//! The pattern is compiled to tokens and matched with the linear backtracking algorithm
//! (retry from the last `*` only), so no pattern can make matching exponential.

enum Tok {
    Star,
    Any,
    Lit(u8),
    /// Negated?, single bytes, inclusive ranges.
    Class(bool, Vec<u8>, Vec<(u8, u8)>),
}

fn compile(p: &[u8]) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            b'*' => {
                if !matches!(out.last(), Some(Tok::Star)) {
                    out.push(Tok::Star);
                }
            }
            b'?' => out.push(Tok::Any),
            b'\\' => {
                if i + 1 < p.len() {
                    i += 1;
                }
                out.push(Tok::Lit(p[i]));
            }
            b'[' => {
                i += 1;
                let neg = p.get(i) == Some(&b'^');
                if neg {
                    i += 1;
                }
                let (mut singles, mut ranges) = (Vec::new(), Vec::new());
                loop {
                    if i >= p.len() {
                        break;
                    }
                    let c = p[i];
                    if c == b'\\' && p.len() - i >= 2 {
                        i += 1;
                        singles.push(p[i]);
                    } else if c == b']' {
                        break;
                    } else if p.len() - i >= 3 && p[i + 1] == b'-' {
                        let (a, b) = (p[i], p[i + 2]);
                        ranges.push((a.min(b), a.max(b)));
                        i += 2;
                    } else {
                        singles.push(c);
                    }
                    i += 1;
                }
                out.push(Tok::Class(neg, singles, ranges));
            }
            c => out.push(Tok::Lit(c)),
        }
        i += 1;
    }
    out
}

fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

fn tok_matches(t: &Tok, c: u8, nocase: bool) -> bool {
    match t {
        Tok::Star | Tok::Any => true,
        Tok::Lit(l) => fold(*l, nocase) == fold(c, nocase),
        Tok::Class(neg, singles, ranges) => {
            let c = fold(c, nocase);
            let hit = singles.iter().any(|s| fold(*s, nocase) == c)
                || ranges.iter().any(|(a, b)| {
                    let (a, b) = (fold(*a, nocase), fold(*b, nocase));
                    c >= a.min(b) && c <= a.max(b)
                });
            hit != *neg
        }
    }
}

/// Whether `s` matches the glob `pattern`.
pub fn matches(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    if s.is_empty() {
        // Redis's matcher never runs its loop on an empty string: only "" matches it.
        return pattern.is_empty();
    }
    let toks = compile(pattern);
    let (mut ti, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match toks.get(ti) {
            Some(Tok::Star) => {
                star = Some((ti, si));
                ti += 1;
            }
            Some(t) if tok_matches(t, s[si], nocase) => {
                ti += 1;
                si += 1;
            }
            _ => match star {
                Some((st, ss)) => {
                    ti = st + 1;
                    si = ss + 1;
                    star = Some((st, ss + 1));
                }
                None => return false,
            },
        }
    }
    toks[ti..].iter().all(|t| matches!(t, Tok::Star))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn redis_glob_semantics() {
        assert!(!matches(b"*", b"", false));
        assert!(matches(b"", b"", false));
        assert!(matches(b"h?llo", b"hello", false));
        assert!(!matches(b"h?llo", b"hllo", false));
        assert!(matches(b"h*llo", b"heeeello", false));
        assert!(matches(b"h[ae]llo", b"hallo", false));
        assert!(!matches(b"h[^e]llo", b"hello", false));
        assert!(matches(b"h[a-b]llo", b"hbllo", false));
        assert!(matches(b"h[b-a]llo", b"hallo", false));
        assert!(matches(b"h\\*llo", b"h*llo", false));
        assert!(!matches(b"h\\*llo", b"hallo", false));
        assert!(matches(b"a[bc", b"ac", false));
        assert!(matches(b"ab\\", b"ab\\", false));
        assert!(matches(b"FOO*", b"foobar", true));
        assert!(!matches(b"FOO*", b"foobar", false));
        assert!(!matches(b"a*a*a*a*a*a*a*a*a*a*a*b", &[b'a'; 200], false));
    }
}
