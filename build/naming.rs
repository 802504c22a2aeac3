//! Rust names for commands, arguments, fields and variants.

#[allow(unused_imports)]
use super::*;

pub(crate) const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in",
    "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super",
    "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn", "abstract", "become", "box",
    "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

pub(crate) fn rust_ident_text(s: &str) -> String {
    let mut out: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "a_");
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

pub(crate) fn camel(s: &str) -> String {
    let mut out = String::new();
    for part in s.split(|c: char| !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty()) {
        let mut ch = part.chars();
        if let Some(f) = ch.next() {
            out.push(f.to_ascii_uppercase());
            out.extend(ch.map(|c| c.to_ascii_lowercase()));
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'A');
    }
    out
}

pub(crate) fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

/// Unique snake_case field names for one argument level.
pub(crate) fn field_names(args: &[Arg]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    args.iter()
        .map(|a| {
            let base = rust_ident_text(&a.name);
            let mut n = base.clone();
            let mut i = 2;
            while !seen.insert(n.clone()) {
                n = format!("{}_{i}", base.trim_end_matches('_'));
                i += 1;
            }
            n
        })
        .collect()
}

pub(crate) fn variant_names(args: &[Arg]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    args.iter()
        .map(|a| {
            let base = camel(&a.name);
            let mut n = base.clone();
            let mut i = 2;
            while !seen.insert(n.clone()) {
                n = format!("{base}{i}");
                i += 1;
            }
            n
        })
        .collect()
}
