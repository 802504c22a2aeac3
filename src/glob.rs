//! Redis's glob-style pattern matching (`stringmatchlen`): `*`, `?`, `[abc]`, `[^a-z]`,
//! `\\x` escapes, with Redis's handling of malformed patterns (an unterminated `[` class
//! runs to the end of the pattern; a trailing `\\` is a literal backslash; `[a-]` is a range
//! up to `]`; an escape inside a class compares case-sensitively even with `nocase`).
//!
//! The matcher reads the pattern in place: nothing is compiled or allocated, so a pattern
//! costs no memory beyond itself however long it is, and a command matching many keys pays
//! nothing per key before the first byte comparison. It backtracks only to the last `*`
//! (the linear algorithm), so no pattern makes matching exponential: at worst
//! O(pattern x string).

/// One pattern token; a class is kept as the span of its body in the pattern.
enum Tok {
    Star,
    Any,
    Lit(u8),
    Class { body: usize, end: usize, neg: bool },
}

/// The token at `i` (< `p.len()`) and the index of the next one.
fn token(p: &[u8], i: usize) -> (Tok, usize) {
    match p[i] {
        b'*' => (Tok::Star, i + 1),
        b'?' => (Tok::Any, i + 1),
        b'\\' if i + 1 < p.len() => (Tok::Lit(p[i + 1]), i + 2),
        b'[' => {
            let mut j = i + 1;
            let neg = p.get(j) == Some(&b'^');
            if neg {
                j += 1;
            }
            let body = j;
            loop {
                if j >= p.len() {
                    return (Tok::Class { body, end: p.len(), neg }, p.len());
                }
                if p[j] == b'\\' && p.len() - j >= 2 {
                    j += 2;
                } else if p[j] == b']' {
                    return (Tok::Class { body, end: j, neg }, j + 1);
                } else if p.len() - j >= 3 && p[j + 1] == b'-' {
                    j += 3;
                } else {
                    j += 1;
                }
            }
        }
        c => (Tok::Lit(c), i + 1),
    }
}

fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

/// Whether `c` is in the class body `p[body..end]`, read with the same steps as [`token`].
fn class_has(p: &[u8], body: usize, end: usize, c: u8, nocase: bool) -> bool {
    let mut j = body;
    let mut hit = false;
    while j < end {
        if p[j] == b'\\' && p.len() - j >= 2 {
            hit |= p[j + 1] == c;
            j += 2;
        } else if p.len() - j >= 3 && p[j + 1] == b'-' {
            let (a, b) = (p[j].min(p[j + 2]), p[j].max(p[j + 2]));
            let (a, b, x) = (fold(a, nocase), fold(b, nocase), fold(c, nocase));
            hit |= x >= a && x <= b;
            j += 3;
        } else {
            hit |= fold(p[j], nocase) == fold(c, nocase);
            j += 1;
        }
    }
    hit
}

fn tok_matches(p: &[u8], t: &Tok, c: u8, nocase: bool) -> bool {
    match *t {
        Tok::Star | Tok::Any => true,
        Tok::Lit(l) => fold(l, nocase) == fold(c, nocase),
        Tok::Class { body, end, neg } => class_has(p, body, end, c, nocase) != neg,
    }
}

/// Whether `s` matches the glob `pattern`.
pub fn matches(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    if s.is_empty() {
        // Redis's matcher never runs its loop on an empty string: only "" matches it.
        return pattern.is_empty();
    }
    let p = pattern;
    let (mut pi, mut si) = (0usize, 0usize);
    // After the last `*`: where its rest of the pattern starts, and the string position
    // that rest was last tried at.
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() {
            let (t, next) = token(p, pi);
            if let Tok::Star = t {
                star = Some((next, si));
                pi = next;
                continue;
            }
            if tok_matches(p, &t, s[si], nocase) {
                pi = next;
                si += 1;
                continue;
            }
        }
        match star {
            Some((rest, tried)) => {
                pi = rest;
                si = tried + 1;
                star = Some((rest, tried + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
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
        // Checked against redis-server 7.0.15 with KEYS.
        assert!(matches(b"[a-]", b"]", false));
        assert!(matches(b"[a-]", b"a", false));
        assert!(matches(b"[a-]x", b"x", false));
        assert!(!matches(b"[a-]x", b"b", false));
        assert!(!matches(b"[a-]x", b"bx", false));
        assert!(matches(b"[\\A]", b"A", true));
        assert!(!matches(b"[\\A]", b"a", true));
        assert!(matches(b"[A]", b"a", true));
        assert!(!matches(b"*[", b"x", false));
        assert!(matches(b"a\\", b"a\\", false));
        assert!(matches(b"**a*", b"xxa", false));
        assert!(matches(b"[^]", b"x", false));
        assert!(!matches(b"[^]", b"bx", false));
    }

    #[test]
    fn long_patterns_match_without_memory() {
        // A 1 MiB pattern of classes is read in place: nothing to compile.
        let pat: Vec<u8> = b"[a-z]".iter().copied().cycle().take(5 << 20).collect();
        assert!(!matches(&pat, b"abc", false));
        let key = vec![b'q'; 1 << 20];
        assert!(matches(&pat[..5 << 20], &key, false));
    }
}
