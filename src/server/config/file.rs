//! redis.conf and `--name value` arguments, read as redis-server reads them: one directive
//! per line, arguments split as `sdssplitargs` splits them (double quotes with escapes,
//! single quotes), names case-insensitive, `save` lines adding up, `include` reading another
//! file, and the first bad line stopping the server with Redis's fatal report.

/// One directive: where it was and its words (the name first, lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub line: usize,
    pub text: String,
    pub args: Vec<String>,
}

/// Splits a line as Redis's `sdssplitargs` (the inline protocol's splitter); `None` for
/// unbalanced quotes.
pub fn split_args(line: &str) -> Option<Vec<String>> {
    let words = crate::resp::split_inline_args(line.as_bytes())?;
    Some(words.into_iter().map(|w| String::from_utf8_lossy(&w).into_owned()).collect())
}

/// The directives of a config text (comments and blank lines dropped), or the line that
/// cannot be split: `(line number, line, why)`.
pub fn parse(text: &str, first_line: usize) -> Result<Vec<Directive>, (usize, String, String)> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(mut args) = split_args(line) else {
            return Err((first_line + n, line.to_string(), "Unbalanced quotes in configuration line".into()));
        };
        if let Some(name) = args.first_mut() {
            *name = name.to_ascii_lowercase();
        }
        out.push(Directive { line: first_line + n, text: line.to_string(), args });
    }
    Ok(out)
}

/// The config text redis-server builds from its command line after the config file:
/// each `--name` starts a directive, the words after it are its arguments (quoted as
/// needed), and a `--save` with nothing after it means `save ""`.
pub fn from_args(args: &[String]) -> String {
    let mut text = String::new();
    for (i, a) in args.iter().enumerate() {
        if let Some(name) = a.strip_prefix("--") {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(name);
            text.push(' ');
            let next_is_option = args.get(i + 1).is_none_or(|n| n.starts_with("--"));
            if name == "save" && next_is_option {
                text.push_str("\"\" ");
            }
        } else {
            // Quoted as `sdscatrepr` quotes (split_args reads it back).
            text.push_str(&crate::resp::render::quote(a.as_bytes()));
            text.push(' ');
        }
    }
    text
}

/// Redis's report for a bad config line (it then exits with status 1).
/// The directives of a config text whose first line is numbered `first_line`, each
/// `include` replaced in place by its file's directives (numbered from that file's first
/// line), as Redis reads nested files; the first bad line is Redis's fatal report.
pub fn expand(text: &str, first_line: usize, version: &str, depth: usize) -> Result<Vec<Directive>, String> {
    let parsed = parse(text, first_line).map_err(|(n, l, why)| fatal(version, n, &l, &why))?;
    let mut out = Vec::with_capacity(parsed.len());
    for d in parsed {
        if d.args[0] != "include" {
            out.push(d);
            continue;
        }
        let Some(path) = d.args.get(1).filter(|_| d.args.len() == 2 && depth < 10) else {
            return Err(fatal(version, d.line, &d.text, crate::error::CONFIG_BAD_DIRECTIVE));
        };
        let inner = std::fs::read_to_string(path).map_err(|e| unreadable(path, &e))?;
        out.extend(expand(&inner, 1, version, depth + 1)?);
    }
    Ok(out)
}

/// Redis's one-line report of a config file it can't open (`strerror`'s words).
pub fn unreadable(path: &str, e: &std::io::Error) -> String {
    let why = e.to_string();
    let why = why.split(" (os error").next().unwrap_or_default();
    crate::error::config_file_unreadable(path, why)
}

pub fn fatal(version: &str, line: usize, text: &str, why: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR (Redis {version}) ***\nReading the configuration file, at line {line}\n>>> '{text}'\n{why}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_split_as_redis_splits_them() {
        assert_eq!(split_args("save 900 1").unwrap(), ["save", "900", "1"]);
        assert_eq!(split_args(r#"requirepass "a b\x41\n" 'it\'s'"#).unwrap(), ["requirepass", "a bA\n", "it's"]);
        assert_eq!(split_args(r#"save """#).unwrap(), ["save", ""]);
        assert_eq!(split_args(r#"x "unbalanced"#), None);
        assert_eq!(split_args(r#"x "a"b"#), None);
    }

    #[test]
    fn command_lines_become_directives() {
        let args: Vec<String> = [
            "--port",
            "7000",
            "--save",
            "--loglevel",
            "warning",
            "--client-output-buffer-limit",
            "normal",
            "0",
            "0",
            "0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let d = parse(&from_args(&args), 1).unwrap();
        let words: Vec<Vec<String>> = d.into_iter().map(|d| d.args).collect();
        assert_eq!(words[0], ["port", "7000"]);
        assert_eq!(words[1], ["save", ""]);
        assert_eq!(words[2], ["loglevel", "warning"]);
        assert_eq!(words[3], ["client-output-buffer-limit", "normal", "0", "0", "0"]);
    }

    #[test]
    fn comments_and_blank_lines_are_skipped_and_lines_counted() {
        let d = parse("# a comment\n\n  Port 7000\n", 1).unwrap();
        assert_eq!(d, [Directive { line: 3, text: "Port 7000".into(), args: vec!["port".into(), "7000".into()] }]);
        assert_eq!(parse("x \"y\n", 1).unwrap_err().0, 1);
    }
}
