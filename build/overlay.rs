//! The overlays in `commands/overlay/`: availability per server and version (servers.json)
//! and the parsing order and error texts (errors.json), and their availability tokens.

#[allow(unused_imports)]
use super::*;

/// An argument's range: (min, max, error, whether max is the last database index).
pub(crate) type RangeRule = (i64, i64, Option<String>, bool);

#[derive(Default, Clone)]
pub(crate) struct AvailRule {
    pub(crate) redis: Option<Option<String>>,
    pub(crate) redis_removed: Option<String>,
    pub(crate) valkey: Option<Option<String>>,
    pub(crate) valkey_removed: Option<String>,
    pub(crate) keydb: Option<bool>,
    pub(crate) dragonfly: Option<bool>,
}

/// Facts of a command that differ on some servers or versions (servers.json `arity`,
/// `command_flags`, `acl_categories`, `command_tips`, `key_specs`, keyed by a selector
/// such as `"redis<7.2.0"`, `"valkey>=8.1.0"` or `"keydb"`).
#[derive(Default, Clone)]
pub(crate) struct Facts {
    pub(crate) arity: Option<i64>,
    pub(crate) flags: Option<Vec<String>>,
    pub(crate) acl: Option<Vec<String>>,
    pub(crate) tips: Option<Vec<String>>,
    pub(crate) key_specs: Option<Vec<KeySpecM>>,
    /// COMMAND DOCS facts: `null` clears them (Valkey 9.0 took deprecations back).
    pub(crate) doc_flags: Option<Vec<String>>,
    pub(crate) deprecated_since: Option<Option<String>>,
    pub(crate) replaced_by: Option<Option<String>>,
}

/// The fact keys of a servers.json entry.
pub(crate) const FACT_KEYS: &[&str] = &[
    "arity",
    "command_flags",
    "acl_categories",
    "command_tips",
    "key_specs",
    "doc_flags",
    "deprecated_since",
    "replaced_by",
];

#[derive(Default)]
pub(crate) struct CmdOverlay {
    pub(crate) avail: AvailRule,
    pub(crate) facts: BTreeMap<String, Facts>,
    pub(crate) args: BTreeMap<String, AvailRule>,
    pub(crate) syntax: Option<String>,
    pub(crate) values: BTreeMap<String, String>,
    pub(crate) flags: BTreeSet<String>,
    /// Words handed to the handler unconverted: `raw`, and every argument with a format.
    pub(crate) raw: BTreeSet<String>,
    pub(crate) formats: BTreeMap<String, String>,
    pub(crate) late: BTreeSet<String>,
    pub(crate) handler: BTreeSet<String>,
    /// Per argument: `(min, max, error)`.
    pub(crate) ranges: BTreeMap<String, Vec<RangeRule>>,
    pub(crate) keys_first: Option<(String, String)>,
    pub(crate) walk: bool,
    pub(crate) trailing_ok: bool,
    /// Redis reads at most this many argument words (FLUSHALL's `argc` check).
    pub(crate) max_words: Option<usize>,
}

#[derive(Default)]
pub(crate) struct Overlay {
    pub(crate) cmds: BTreeMap<String, CmdOverlay>,
    /// servers.json `modules`: where each module's commands are, by module name.
    pub(crate) modules: BTreeMap<String, AvailRule>,
}

/// A fact selector: `(server, "<" | ">=" | "", version)`.
/// A fact selector: the server, and the versions it covers (`from <= v < until`):
/// `redis`, `redis<7.2.0`, `valkey>=8.1.0`, `redis>=7.2.14<7.4.0` (a patch release that got
/// a later change backported).
pub(crate) type Selector = (String, Option<(u16, u16, u16)>, Option<(u16, u16, u16)>);

pub(crate) fn selector(file: &str, ctx: &str, s: &str) -> Res<Selector> {
    let (server, rest) = match s.find(['<', '>']) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    if !["redis", "valkey", "keydb", "dragonfly"].contains(&server) {
        return Err(format!("{file}: key \"{ctx}.{s}\": unknown server \"{server}\""));
    }
    let (from, until) = match rest.strip_prefix(">=") {
        Some(r) => match r.split_once('<') {
            Some((f, u)) => (Some(f), Some(u)),
            None => (Some(r), None),
        },
        None if rest.is_empty() => (None, None),
        None => match rest.strip_prefix('<') {
            Some(u) => (None, Some(u)),
            None => return Err(format!("{file}: key \"{ctx}.{s}\": a bound is `<x.y.z` or `>=x.y.z`")),
        },
    };
    Ok((server.to_string(), from.map(ver).transpose()?, until.map(ver).transpose()?))
}

fn parse_facts(file: &str, ctx: &str, o: &Map<String, Value>, out: &mut BTreeMap<String, Facts>) -> Res<()> {
    for key in FACT_KEYS {
        let Some(m) = o.get(*key) else { continue };
        let m = m.as_object().ok_or_else(|| format!("{file}: key \"{ctx}.{key}\" must be an object"))?;
        for (sel, v) in m {
            let fctx = format!("{ctx}.{key}.{sel}");
            selector(file, &format!("{ctx}.{key}"), sel)?;
            let f = out.entry(sel.clone()).or_default();
            let strs = |v: &Value| -> Res<Vec<String>> {
                v.as_array()
                    .and_then(|a| a.iter().map(|x| x.as_str().map(str::to_string)).collect::<Option<Vec<_>>>())
                    .ok_or_else(|| format!("{file}: key \"{fctx}\" must be a list of strings"))
            };
            match *key {
                "arity" => {
                    let n = v.as_i64().ok_or_else(|| format!("{file}: key \"{fctx}\" must be an integer"))?;
                    if n == 0 {
                        return Err(format!("{file}: key \"{fctx}\" must not be 0"));
                    }
                    f.arity = Some(n);
                }
                "command_flags" => f.flags = Some(strs(v)?),
                "acl_categories" => f.acl = Some(strs(v)?),
                "command_tips" => f.tips = Some(strs(v)?),
                "doc_flags" if v.is_null() => f.doc_flags = Some(vec![]),
                "doc_flags" => f.doc_flags = Some(strs(v)?),
                "deprecated_since" | "replaced_by" => {
                    let text = match v {
                        Value::Null => None,
                        Value::String(t) => Some(t.clone()),
                        _ => return Err(format!("{file}: key \"{fctx}\" must be a string or null")),
                    };
                    if *key == "replaced_by" {
                        f.replaced_by = Some(text);
                    } else {
                        f.deprecated_since = Some(text);
                    }
                }
                _ => {
                    let arr = v.as_array().ok_or_else(|| format!("{file}: key \"{fctx}\" must be a list"))?;
                    let ks = arr.iter().enumerate().map(|(i, k)| parse_key_spec(&fctx, i, k)).collect::<Res<_>>()?;
                    f.key_specs = Some(ks);
                }
            }
        }
    }
    Ok(())
}

impl AvailRule {
    /// This rule, with `base`'s keys where this one has none.
    pub(crate) fn or(&self, base: &AvailRule) -> AvailRule {
        AvailRule {
            redis: self.redis.clone().or_else(|| base.redis.clone()),
            redis_removed: self.redis_removed.clone().or_else(|| base.redis_removed.clone()),
            valkey: self.valkey.clone().or_else(|| base.valkey.clone()),
            valkey_removed: self.valkey_removed.clone().or_else(|| base.valkey_removed.clone()),
            keydb: self.keydb.or(base.keydb),
            dragonfly: self.dragonfly.or(base.dragonfly),
        }
    }

    /// Only on `server` (the default of a file in a server folder).
    pub(crate) fn only(server: &str) -> AvailRule {
        AvailRule {
            redis: Some(None),
            redis_removed: None,
            valkey: Some((server == "valkey").then(|| "0.0.0".to_string())),
            valkey_removed: None,
            keydb: Some(server == "keydb"),
            dragonfly: Some(server == "dragonfly"),
        }
    }
}

pub(crate) fn version_or_false(file: &str, ctx: &str, v: &Value) -> Res<Option<String>> {
    match v {
        Value::Bool(false) => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(format!("{file}: key \"{ctx}\" must be false or a version string")),
    }
}

pub(crate) fn parse_rule(file: &str, ctx: &str, o: &Map<String, Value>) -> Res<AvailRule> {
    let mut r = AvailRule::default();
    if let Some(v) = o.get("redis") {
        r.redis = Some(version_or_false(file, &format!("{ctx}.redis"), v)?);
    }
    if let Some(v) = o.get("valkey") {
        r.valkey = Some(version_or_false(file, &format!("{ctx}.valkey"), v)?);
    }
    r.redis_removed = s_opt(file, ctx, o, "redis_removed")?;
    r.valkey_removed = s_opt(file, ctx, o, "valkey_removed")?;
    if o.contains_key("keydb") {
        r.keydb = Some(b_opt(file, ctx, o, "keydb")?);
    }
    if o.contains_key("dragonfly") {
        r.dragonfly = Some(b_opt(file, ctx, o, "dragonfly")?);
    }
    Ok(r)
}

impl Overlay {
    pub(crate) fn load(dir: &Path) -> Res<Overlay> {
        let mut ov = Overlay::default();
        let servers = dir.join("servers.json");
        if servers.exists() {
            let v = read_json(&servers)?;
            for (name, e) in v.get("modules").and_then(Value::as_object).into_iter().flatten() {
                let ctx = format!("modules.{name}");
                let o = e.as_object().ok_or_else(|| format!("servers.json: key \"{ctx}\" must be an object"))?;
                ov.modules.insert(name.clone(), parse_rule("servers.json", &ctx, o)?);
            }
            let cmds = v.get("commands").and_then(Value::as_object).cloned().unwrap_or_default();
            for (name, e) in cmds {
                let ctx = format!("commands.{name}");
                let o = e.as_object().ok_or_else(|| format!("servers.json: key \"{ctx}\" must be an object"))?;
                let entry = ov.cmds.entry(name.to_ascii_uppercase()).or_default();
                entry.avail = parse_rule("servers.json", &ctx, o)?;
                parse_facts("servers.json", &ctx, o, &mut entry.facts)?;
                if let Some(a) = o.get("args").and_then(Value::as_object) {
                    for (tok, r) in a {
                        let ro = r
                            .as_object()
                            .ok_or_else(|| format!("servers.json: key \"{ctx}.args.{tok}\" must be an object"))?;
                        entry.args.insert(
                            tok.to_ascii_uppercase(),
                            parse_rule("servers.json", &format!("{ctx}.args.{tok}"), ro)?,
                        );
                    }
                }
            }
        }
        let errors = dir.join("errors.json");
        if errors.exists() {
            let known = error_constants()?;
            let v = read_json(&errors)?;
            let cmds = v.get("commands").and_then(Value::as_object).cloned().unwrap_or_default();
            for (name, e) in cmds {
                let ctx = format!("commands.{name}");
                let o = e.as_object().ok_or_else(|| format!("errors.json: key \"{ctx}\" must be an object"))?;
                let entry = ov.cmds.entry(name.to_ascii_uppercase()).or_default();
                entry.syntax = s_opt("errors.json", &ctx, o, "syntax")?;
                let strings = |key: &str| -> Res<BTreeMap<String, String>> {
                    let mut m = BTreeMap::new();
                    for (arg, text) in o.get(key).and_then(Value::as_object).into_iter().flatten() {
                        let t = text
                            .as_str()
                            .ok_or_else(|| format!("errors.json: key \"{ctx}.{key}.{arg}\" must be a string"))?;
                        m.insert(arg.clone(), t.to_string());
                    }
                    Ok(m)
                };
                entry.values = strings("values")?;
                entry.formats = strings("formats")?;
                for (arg, f) in &entry.formats {
                    if f != "cursor" {
                        return Err(format!("errors.json: key \"{ctx}.formats.{arg}\": unknown format \"{f}\""));
                    }
                }
                entry.flags = list("errors.json", &ctx, o, "flags")?.into_iter().collect();
                entry.raw = list("errors.json", &ctx, o, "raw")?.into_iter().collect();
                entry.raw.extend(entry.formats.keys().cloned());
                entry.late = list("errors.json", &ctx, o, "late")?.into_iter().collect();
                entry.handler = list("errors.json", &ctx, o, "handler")?.into_iter().collect();
                for (arg, rs) in o.get("ranges").and_then(Value::as_object).into_iter().flatten() {
                    let rctx = format!("{ctx}.ranges.{arg}");
                    let rs = rs.as_array().ok_or_else(|| format!("errors.json: key \"{rctx}\" must be a list"))?;
                    let mut out = Vec::new();
                    for r in rs {
                        let r =
                            r.as_object().ok_or_else(|| format!("errors.json: key \"{rctx}[]\" must be an object"))?;
                        let min = i_opt("errors.json", &rctx, r, "min", i64::MIN)?;
                        // `"max": "databases"`: the last database index, read when parsing.
                        let last_db = r.get("max").and_then(Value::as_str) == Some("databases");
                        let max = if last_db { i64::MAX } else { i_opt("errors.json", &rctx, r, "max", i64::MAX)? };
                        if last_db && entry.handler.contains(arg) {
                            return Err(format!("errors.json: {rctx}: a database range is checked on reading"));
                        }
                        out.push((min, max, s_opt("errors.json", &rctx, r, "error")?, last_db));
                    }
                    entry.ranges.insert(arg.clone(), out);
                }
                if let Some(k) = o.get("keys_first") {
                    let k = k
                        .as_object()
                        .ok_or_else(|| format!("errors.json: key \"{ctx}.keys_first\" must be an object"))?;
                    let kctx = format!("{ctx}.keys_first");
                    let t = s_opt("errors.json", &kctx, k, "type")?;
                    let e = s_opt("errors.json", &kctx, k, "error")?;
                    entry.keys_first = Some((
                        t.ok_or_else(|| format!("errors.json: key \"{kctx}.type\" is required"))?,
                        e.ok_or_else(|| format!("errors.json: key \"{kctx}.error\" is required"))?,
                    ));
                }
                entry.walk = b_opt("errors.json", &ctx, o, "walk")?;
                let named = entry
                    .syntax
                    .iter()
                    .chain(entry.values.values())
                    .chain(entry.ranges.values().flatten().filter_map(|(_, _, e, _)| e.as_ref()))
                    .chain(entry.keys_first.iter().map(|(_, e)| e));
                for n in named {
                    if !known.contains(n) {
                        return Err(format!(
                            "errors.json: commands.{name} names error \"{n}\", which src/error.rs lacks"
                        ));
                    }
                }
                entry.trailing_ok = s_opt("errors.json", &ctx, o, "trailing")?.as_deref() == Some("ignore");
                let max = i_opt("errors.json", &ctx, o, "max_words", -1)?;
                entry.max_words = usize::try_from(max).ok();
            }
        }
        Ok(ov)
    }
}

/// The names of the `pub const` error texts in `src/error.rs`, which errors.json names.
fn error_constants() -> Res<BTreeSet<String>> {
    let root = std::env::var("CARGO_MANIFEST_DIR").map_err(|e| format!("CARGO_MANIFEST_DIR: {e}"))?;
    let path = Path::new(&root).join("src/error.rs");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| l.strip_prefix("pub const ")?.split_once(": &str").map(|(n, _)| n.to_string()))
        .collect())
}

/// The path of a named error text, for the generated code.
pub(crate) fn error_path(name: &str) -> TokenStream {
    let id = Ident::new(name, Span::call_site());
    quote!(crate::error::#id)
}

pub(crate) fn read_json(p: &Path) -> Res<Value> {
    let t = fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_json::from_str(&t).map_err(|e| format!("{}: invalid JSON: {e}", p.display()))
}

pub(crate) fn ver(s: &str) -> Res<(u16, u16, u16)> {
    let mut it = s.split('.').map(|p| p.parse::<u16>());
    let mut next = || it.next().unwrap_or(Ok(0)).map_err(|_| format!("bad version \"{s}\""));
    Ok((next()?, next()?, next()?))
}

pub(crate) fn ver_tokens(s: &str) -> Res<TokenStream> {
    let (a, b, c) = ver(s)?;
    Ok(quote!(Version::new(#a, #b, #c)))
}

/// Availability from `since` and an overlay rule (see commands/README.md for the rules).
pub(crate) fn avail_tokens(since: Option<&str>, rule: &AvailRule) -> Res<TokenStream> {
    let since_v = ver(since.unwrap_or("0.0.0"))?;
    let redis_from = match &rule.redis {
        Some(None) => None,
        Some(Some(v)) => Some(v.clone()),
        None => Some(since.unwrap_or("0.0.0").to_string()),
    };
    let redis = match redis_from {
        None => quote!(None),
        Some(from) => {
            let f = ver_tokens(&from)?;
            let until = match &rule.redis_removed {
                Some(u) => {
                    let u = ver_tokens(u)?;
                    quote!(Some(#u))
                }
                None => quote!(None),
            };
            quote!(Some((#f, #until)))
        }
    };
    let valkey_until = match &rule.valkey_removed {
        Some(u) => {
            let u = ver_tokens(u)?;
            quote!(Some(#u))
        }
        None => quote!(None),
    };
    let valkey = match &rule.valkey {
        Some(None) => quote!(None),
        Some(Some(v)) => {
            let f = ver_tokens(v)?;
            quote!(Some((#f, #valkey_until)))
        }
        None if since_v <= (7, 2, 99) => quote!(Some((Version::ZERO, #valkey_until))),
        None => quote!(None),
    };
    let keydb = rule.keydb.unwrap_or(since_v <= (6, 2, 99) && rule.redis != Some(None));
    let dragonfly = rule.dragonfly.unwrap_or(since_v <= (7, 4, 99) && rule.redis != Some(None));
    Ok(quote!(Avail { redis: #redis, valkey: #valkey, keydb: #keydb, dragonfly: #dragonfly }))
}
