//! The reviewed list of accepted divergences (`fuzz/difffuzz-known.txt`): a divergence
//! that matches an entry is counted as known; any other fails the campaign.
//!
//! One entry per line, three fields separated by ` | `: a glob over the command's full name
//! (`client|list`), a glob over the whole command line as transcripts write it (`*` for
//! any), and the reason it is accepted. Globs are Redis's, case-insensitive. `#` starts a
//! comment line.

use crate::glob;
use crate::resp::render::command_line;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub command: String,
    pub args: String,
    pub reason: String,
    /// Line number in the list.
    pub line: usize,
}

#[derive(Debug, Clone, Default)]
pub struct KnownList {
    pub entries: Vec<Entry>,
}

/// The list kept in the repository.
pub const DEFAULT: &str = include_str!("../../fuzz/difffuzz-known.txt");

impl KnownList {
    pub fn parse(text: &str) -> Result<KnownList, String> {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let s = line.trim();
            if s.is_empty() || s.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = s.splitn(3, " | ").map(str::trim).collect();
            let [command, args, reason] = fields.as_slice() else {
                return Err(format!("known list line {}: want `command | args | reason`", i + 1));
            };
            if reason.is_empty() {
                return Err(format!("known list line {}: an entry needs its reason", i + 1));
            }
            entries.push(Entry {
                command: command.to_string(),
                args: args.to_string(),
                reason: reason.to_string(),
                line: i + 1,
            });
        }
        Ok(KnownList { entries })
    }

    /// The entry that accepts a divergence of `argv` (resolved to `fullname`), if any.
    pub fn find(&self, fullname: &str, argv: &[Vec<u8>]) -> Option<&Entry> {
        let line = command_line(argv);
        self.entries.iter().find(|e| {
            glob::matches(e.command.as_bytes(), fullname.as_bytes(), true)
                && glob::matches(e.args.as_bytes(), line.as_bytes(), true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_match_by_name_and_command_line() {
        let k = KnownList::parse("# c\n\nlolwut | *version [56]* | art\nclient|* | * | why\n").expect("parses");
        assert_eq!(k.entries.len(), 2);
        let argv = |s: &[&str]| s.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(k.find("lolwut", &argv(&["LOLWUT", "VERSION", "5"])).map(|e| e.line), Some(3));
        assert!(k.find("lolwut", &argv(&["LOLWUT"])).is_none());
        assert_eq!(k.find("client|list", &argv(&["client", "list"])).map(|e| e.line), Some(4));
        assert!(KnownList::parse("get | *").is_err());
        assert!(KnownList::parse("get | * | ").is_err());
    }

    #[test]
    fn the_repository_list_parses() {
        let k = KnownList::parse(DEFAULT).expect("fuzz/difffuzz-known.txt parses");
        assert!(k.entries.iter().all(|e| e.reason.len() > 10), "every entry says why");
    }
}
