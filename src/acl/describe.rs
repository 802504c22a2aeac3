//! Users rendered back as rules, in Redis's canonical form (ACL LIST, ACL GETUSER).
//!
//! Up to 7.0 the command rules are rebuilt from the bits: `+@all` or `-@all` (whether the
//! user may run future commands), then, while some category has more commands in common
//! with what is left to explain than not, the one with the fewest differences (ties: more
//! in common, then the first), then single commands where the bits still differ, and the
//! allowed first arguments. From 7.2 the rules are shown as they were given, compacted.

use super::{Acl, Selector, User, READ, WRITE};

impl Acl {
    /// A selector's command rules (GETUSER's `commands`).
    pub fn describe_commands(&self, s: &Selector) -> String {
        let mut out = vec![if s.future { "+@all".to_string() } else { "-@all".to_string() }];
        if self.dialect.keeps_rules {
            out.extend(s.rules.iter().map(|(on, r)| format!("{}{r}", if *on { '+' } else { '-' })));
            return out.join(" ");
        }
        let t = &self.table;
        let additive = !s.future;
        let mut fake = Selector::new(t, false, false);
        fake.set_all(s.future);
        let mut temp = s.clone();
        let mut applied = vec![false; t.categories.len()];
        loop {
            let mut best: Option<usize> = None;
            let (mut mindiff, mut maxsame) = (usize::MAX, 0usize);
            for (j, done) in applied.iter().enumerate() {
                if *done {
                    continue;
                }
                let (on, off) = count_category(t, &temp, j);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                    best = Some(j);
                    mindiff = diff;
                    maxsame = same;
                }
            }
            let Some(j) = best else { break };
            fake.set_category(t, j, additive);
            temp.set_category(t, j, !additive);
            out.push(format!("{}@{}", if additive { '+' } else { '-' }, t.categories[j]));
            applied[j] = true;
        }
        for top in t.tops() {
            self.single_commands(s, &mut fake, top, &mut out);
        }
        out.join(" ")
    }

    fn single_commands(&self, s: &Selector, fake: &mut Selector, id: usize, out: &mut Vec<String>) {
        let t = &self.table;
        let user_bit = s.bits[id];
        if user_bit != fake.bits[id] {
            out.push(format!("{}{}", if user_bit { '+' } else { '-' }, t.cmds[id].fullname));
            fake.change(t, id, user_bit);
        }
        for &sub in &t.subs[id] {
            self.single_commands(s, fake, sub, out);
        }
        if !user_bit {
            for arg in s.firstargs.get(&id).into_iter().flatten() {
                out.push(format!("+{}|{}", t.cmds[id].fullname, String::from_utf8_lossy(arg)));
            }
        }
    }

    /// A selector in ACL LIST's form: keys, channels, commands.
    pub fn describe_selector(&self, s: &Selector) -> Vec<u8> {
        let mut out = Vec::new();
        if s.allkeys {
            out.extend_from_slice(b"~* ");
        } else {
            for (flags, pat) in &s.patterns {
                out.extend_from_slice(&key_pattern(*flags, pat));
                out.push(b' ');
            }
        }
        if s.allchannels {
            out.extend_from_slice(b"&* ");
        } else {
            out.extend_from_slice(b"resetchannels ");
            for c in &s.channels {
                out.push(b'&');
                out.extend_from_slice(c);
                out.push(b' ');
            }
        }
        out.extend_from_slice(self.describe_commands(s).as_bytes());
        out
    }

    /// A user in ACL LIST's form (without `user <name> `).
    pub fn describe_user(&self, u: &User) -> Vec<u8> {
        let mut out = Vec::new();
        for f in self.flag_names(u, false) {
            out.extend_from_slice(f.as_bytes());
            out.push(b' ');
        }
        for h in &u.passwords {
            out.push(b'#');
            out.extend_from_slice(h.as_bytes());
            out.push(b' ');
        }
        for s in &u.selectors {
            if s.root {
                out.extend_from_slice(&self.describe_selector(s));
            } else {
                out.extend_from_slice(b" (");
                out.extend_from_slice(&self.describe_selector(s));
                out.push(b')');
            }
        }
        out
    }

    /// The user's flags in Redis's order; GETUSER up to 6.2 (`getuser`) also names allkeys,
    /// allchannels and allcommands.
    pub fn flag_names(&self, u: &User, getuser: bool) -> Vec<&'static str> {
        let root = u.root();
        let old = getuser && !self.dialect.selectors;
        let mut f = vec![if u.enabled { "on" } else { "off" }];
        for (cond, name) in
            [(root.allkeys, "allkeys"), (root.allchannels, "allchannels"), (root.allcommands, "allcommands")]
        {
            if old && cond {
                f.push(name);
            }
        }
        if u.nopass {
            f.push("nopass");
        }
        match u.sanitize {
            Some(false) => f.push("skip-sanitize-payload"),
            Some(true) => f.push("sanitize-payload"),
            None => {}
        }
        f
    }
}

/// One key pattern with its permission prefix.
pub fn key_pattern(flags: u8, pat: &[u8]) -> Vec<u8> {
    let prefix: &[u8] = match flags {
        f if f == READ | WRITE => b"~",
        READ => b"%R~",
        WRITE => b"%W~",
        _ => b"~",
    };
    [prefix, pat].concat()
}

/// (allowed, denied) commands of category `cat` in `s`, subcommands counted too.
fn count_category(t: &super::Table, s: &Selector, cat: usize) -> (usize, usize) {
    let (mut on, mut off) = (0, 0);
    for (id, bits) in t.cats.iter().enumerate() {
        if bits & (1 << cat) != 0 {
            if s.bits[id] {
                on += 1;
            } else {
                off += 1;
            }
        }
    }
    (on, off)
}
