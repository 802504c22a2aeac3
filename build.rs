//! Generates the command table, typed argument structs and parsers from `commands/*.json`.
//!
//! Input: one JSON file per command or subcommand in the upstream Redis command-spec schema
//! (from `commands/`, or from the directory in `FAKEREDIS_COMMAND_SPECS`), plus the
//! project's own overlays in `commands/overlay/` (per-server availability, error texts).
//! Handlers are found by name in `src/cmd/**/*.rs` (`pub fn <command>`, `pub fn
//! <container>_<sub>`); a spec without one answers a not-implemented error.
//! Output: `$OUT_DIR/commands.rs`, formatted with prettyplease; set
//! `FAKEREDIS_DUMP_GENERATED=<path>` to get a copy of it.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Res<T> = Result<T, String>;

fn main() {
    if let Err(e) = run() {
        eprintln!("fakeredis build: {e}");
        println!("cargo::warning=fakeredis command specs: {e}");
        std::process::exit(1);
    }
}

fn run() -> Res<()> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    println!("cargo::rerun-if-changed=commands");
    println!("cargo::rerun-if-changed=src/cmd");
    println!("cargo::rerun-if-env-changed=FAKEREDIS_COMMAND_SPECS");
    println!("cargo::rerun-if-env-changed=FAKEREDIS_DUMP_GENERATED");
    println!("cargo::rerun-if-changed=src/native");
    cc::Build::new().file(root.join("src/native/longdouble.c")).warnings(true).compile("fakeredis_native");
    let spec_dir = match std::env::var("FAKEREDIS_COMMAND_SPECS") {
        Ok(d) if !d.is_empty() => {
            println!("cargo::rerun-if-changed={d}");
            PathBuf::from(d)
        }
        _ => root.join("commands"),
    };
    let overlay = Overlay::load(&root.join("commands/overlay"))?;
    let handlers = find_handlers(&root.join("src/cmd"))?;
    let own_dir = root.join("commands");
    let mut specs = load_specs(&spec_dir)?;
    if spec_dir != own_dir {
        // Regenerating from another spec set: a command that has a handler keeps the
        // project's own spec, because its handler is written against that argument shape;
        // arguments the other set adds are rejected as syntax errors until a handler learns
        // them. Everything else (new commands, arities, flags) comes from the other set.
        let own = load_specs(&own_dir)?;
        for (key, cmd) in own {
            if handlers.contains_key(&cmd.handler_name()) || cmd.is_container(&specs) {
                specs.insert(key, cmd);
            }
        }
    }
    let code = generate(&specs, &overlay, &handlers)?;
    let file = syn::parse2::<syn::File>(code).map_err(|e| format!("generated code does not parse: {e}"))?;
    let text =
        format!("// @generated from commands/*.json by build.rs: do not edit.\n\n{}", prettyplease::unparse(&file));
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?).join("commands.rs");
    fs::write(&out, &text).map_err(|e| format!("{}: {e}", out.display()))?;
    if let Ok(dump) = std::env::var("FAKEREDIS_DUMP_GENERATED") {
        if !dump.is_empty() {
            fs::write(&dump, &text).map_err(|e| format!("{dump}: {e}"))?;
        }
    }
    let missing: Vec<&str> = specs
        .values()
        .filter(|c| !c.is_container(&specs) && !handlers.contains_key(&c.handler_name()))
        .map(|c| c.fullname.as_str())
        .collect();
    if !missing.is_empty() && std::env::var("FAKEREDIS_LIST_UNIMPLEMENTED").is_ok() {
        println!("cargo::warning={} commands have no handler: {}", missing.len(), missing.join(" "));
    }
    Ok(())
}

// ---------------------------------------------------------------- spec model

#[derive(Debug, Clone)]
struct Arg {
    name: String,
    kind: String,
    token: Option<String>,
    optional: bool,
    multiple: bool,
    multiple_token: bool,
    since: Option<String>,
    display: Option<String>,
    key_spec_index: i64,
    deprecated_since: Option<String>,
    args: Vec<Arg>,
}

#[derive(Debug, Clone)]
struct KeySpecM {
    flags: Vec<String>,
    begin: TokenStream,
    find: TokenStream,
}

#[derive(Debug, Clone)]
struct Cmd {
    file: String,
    /// Lowercase name (the subcommand name for subcommands).
    name: String,
    /// Uppercase key: `GET`, `CLIENT|SETNAME`.
    key: String,
    fullname: String,
    container: Option<String>,
    group: String,
    since: String,
    summary: String,
    complexity: String,
    arity: i64,
    flags: Vec<String>,
    acl: Vec<String>,
    doc_flags: Vec<String>,
    tips: Vec<String>,
    deprecated_since: Option<String>,
    replaced_by: Option<String>,
    key_specs: Vec<KeySpecM>,
    args: Vec<Arg>,
}

impl Cmd {
    fn is_container(&self, all: &BTreeMap<String, Cmd>) -> bool {
        self.container.is_none() && all.values().any(|c| c.container.as_deref() == Some(self.key.as_str()))
    }

    fn handler_name(&self) -> String {
        rust_ident_text(&self.fullname.replace('|', "_"))
    }

    fn type_name(&self) -> String {
        camel(&self.fullname.replace('|', " "))
    }
}

fn load_specs(dir: &Path) -> Res<BTreeMap<String, Cmd>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("reading spec directory {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no *.json command specs in {}", dir.display()));
    }
    let mut out = BTreeMap::new();
    for path in files {
        let file = path.file_name().unwrap_or_default().to_string_lossy().to_string();
        let text = fs::read_to_string(&path).map_err(|e| format!("{file}: {e}"))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("{file}: invalid JSON: {e}"))?;
        let obj = v.as_object().ok_or_else(|| format!("{file}: top level must be an object"))?;
        for (name, body) in obj {
            let cmd = parse_cmd(&file, name, body)?;
            if let Some(prev) = out.insert(cmd.key.clone(), cmd) {
                return Err(format!("{file}: command {} is also defined in {}", prev.key, prev.file));
            }
        }
    }
    for c in out.values() {
        if let Some(parent) = &c.container {
            if !out.contains_key(parent) {
                return Err(format!("{}: key \"container\": no spec for container {parent}", c.file));
            }
        }
    }
    Ok(out)
}

fn s_opt(file: &str, ctx: &str, o: &Map<String, Value>, key: &str) -> Res<Option<String>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(format!("{file}: {ctx}key \"{key}\" must be a string")),
    }
}

fn b_opt(file: &str, ctx: &str, o: &Map<String, Value>, key: &str) -> Res<bool> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        // Some upstream files spell booleans as strings.
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
        Some(_) => Err(format!("{file}: {ctx}key \"{key}\" must be a boolean")),
    }
}

fn i_opt(file: &str, ctx: &str, o: &Map<String, Value>, key: &str, default: i64) -> Res<i64> {
    match o.get(key) {
        None => Ok(default),
        Some(v) => v.as_i64().ok_or_else(|| format!("{file}: {ctx}key \"{key}\" must be an integer")),
    }
}

fn list(file: &str, ctx: &str, o: &Map<String, Value>, key: &str) -> Res<Vec<String>> {
    match o.get(key) {
        None => Ok(vec![]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str().map(str::to_string).ok_or_else(|| format!("{file}: {ctx}key \"{key}\" must hold strings"))
            })
            .collect(),
        Some(_) => Err(format!("{file}: {ctx}key \"{key}\" must be an array")),
    }
}

fn parse_cmd(file: &str, name: &str, body: &Value) -> Res<Cmd> {
    let o = body.as_object().ok_or_else(|| format!("{file}: command {name} must be an object"))?;
    let container = s_opt(file, "", o, "container")?.map(|c| c.to_ascii_uppercase());
    let lname = name.to_ascii_lowercase();
    let (key, fullname) = match &container {
        Some(c) => (format!("{c}|{}", name.to_ascii_uppercase()), format!("{}|{lname}", c.to_ascii_lowercase())),
        None => (name.to_ascii_uppercase(), lname.clone()),
    };
    let arity = o
        .get("arity")
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("{file}: command {name}: key \"arity\" is missing or not an integer"))?;
    if arity == 0 {
        return Err(format!("{file}: command {name}: key \"arity\" must not be 0"));
    }
    let mut key_specs = Vec::new();
    if let Some(ks) = o.get("key_specs") {
        let arr = ks.as_array().ok_or_else(|| format!("{file}: key \"key_specs\" must be an array"))?;
        for (i, k) in arr.iter().enumerate() {
            key_specs.push(parse_key_spec(file, i, k)?);
        }
    }
    let args = match o.get("arguments") {
        None => vec![],
        Some(a) => parse_args(file, "arguments", a)?,
    };
    Ok(Cmd {
        file: file.to_string(),
        name: lname,
        key,
        fullname,
        container,
        group: s_opt(file, "", o, "group")?.unwrap_or_else(|| "generic".into()),
        since: s_opt(file, "", o, "since")?.unwrap_or_else(|| "1.0.0".into()),
        summary: s_opt(file, "", o, "summary")?.unwrap_or_default(),
        complexity: s_opt(file, "", o, "complexity")?.unwrap_or_default(),
        arity,
        flags: list(file, "", o, "command_flags")?,
        acl: list(file, "", o, "acl_categories")?,
        doc_flags: list(file, "", o, "doc_flags")?,
        tips: list(file, "", o, "command_tips")?,
        deprecated_since: s_opt(file, "", o, "deprecated_since")?,
        replaced_by: s_opt(file, "", o, "replaced_by")?,
        key_specs,
        args,
    })
}

fn parse_key_spec(file: &str, i: usize, k: &Value) -> Res<KeySpecM> {
    let ctx = format!("key_specs[{i}]: ");
    let o = k.as_object().ok_or_else(|| format!("{file}: {ctx}must be an object"))?;
    let flags = list(file, &ctx, o, "flags")?;
    let bs = o.get("begin_search").and_then(Value::as_object);
    let begin = match bs {
        Some(b) if b.get("index").is_some() => {
            let idx =
                b["index"].as_object().ok_or_else(|| format!("{file}: {ctx}begin_search.index must be an object"))?;
            let pos = i_opt(file, &ctx, idx, "pos", 0)? as i32;
            quote!(BeginSearch::Index(#pos))
        }
        Some(b) if b.get("keyword").is_some() => {
            let kw = b["keyword"]
                .as_object()
                .ok_or_else(|| format!("{file}: {ctx}begin_search.keyword must be an object"))?;
            let word = s_opt(file, &ctx, kw, "keyword")?.unwrap_or_default();
            let start = i_opt(file, &ctx, kw, "startfrom", 0)? as i32;
            quote!(BeginSearch::Keyword { keyword: #word, startfrom: #start })
        }
        _ => quote!(BeginSearch::Unknown),
    };
    let fk = o.get("find_keys").and_then(Value::as_object);
    let find = match fk {
        Some(f) if f.get("range").is_some() => {
            let r = f["range"].as_object().ok_or_else(|| format!("{file}: {ctx}find_keys.range must be an object"))?;
            let last = i_opt(file, &ctx, r, "lastkey", 0)? as i32;
            let step = i_opt(file, &ctx, r, "step", 1)? as i32;
            let limit = i_opt(file, &ctx, r, "limit", 0)? as i32;
            quote!(FindKeys::Range { lastkey: #last, step: #step, limit: #limit })
        }
        Some(f) if f.get("keynum").is_some() => {
            let r =
                f["keynum"].as_object().ok_or_else(|| format!("{file}: {ctx}find_keys.keynum must be an object"))?;
            let a = i_opt(file, &ctx, r, "keynumidx", 0)? as i32;
            let b = i_opt(file, &ctx, r, "firstkey", 0)? as i32;
            let c = i_opt(file, &ctx, r, "step", 1)? as i32;
            quote!(FindKeys::Keynum { keynumidx: #a, firstkey: #b, step: #c })
        }
        _ => quote!(FindKeys::Unknown),
    };
    Ok(KeySpecM { flags, begin, find })
}

const ARG_TYPES: &[&str] =
    &["key", "string", "pattern", "integer", "double", "unix-time", "pure-token", "oneof", "block"];

fn parse_args(file: &str, path: &str, v: &Value) -> Res<Vec<Arg>> {
    let arr = v.as_array().ok_or_else(|| format!("{file}: key \"{path}\" must be an array"))?;
    let mut out = Vec::new();
    for (i, a) in arr.iter().enumerate() {
        let ctx = format!("{path}[{i}].");
        let o = a.as_object().ok_or_else(|| format!("{file}: {ctx} must be an object"))?;
        let name = s_opt(file, &ctx, o, "name")?.ok_or_else(|| format!("{file}: {ctx}name is missing"))?;
        let kind = s_opt(file, &ctx, o, "type")?.ok_or_else(|| format!("{file}: {ctx}type is missing"))?;
        if !ARG_TYPES.contains(&kind.as_str()) {
            return Err(format!("{file}: key \"{ctx}type\": unknown argument type \"{kind}\""));
        }
        let mut token = s_opt(file, &ctx, o, "token")?;
        if kind == "pure-token" && token.is_none() {
            // A few upstream files leave the token of a pure-token out: it is the name.
            token = Some(name.to_ascii_uppercase());
        }
        let args = match o.get("arguments") {
            Some(sub) => parse_args(file, &format!("{ctx}arguments"), sub)?,
            None => vec![],
        };
        if (kind == "oneof" || kind == "block") && args.is_empty() {
            return Err(format!("{file}: key \"{ctx}arguments\": a {kind} needs arguments"));
        }
        out.push(Arg {
            name,
            kind,
            token,
            optional: b_opt(file, &ctx, o, "optional")?,
            multiple: b_opt(file, &ctx, o, "multiple")?,
            multiple_token: b_opt(file, &ctx, o, "multiple_token")?,
            since: s_opt(file, &ctx, o, "since")?,
            display: s_opt(file, &ctx, o, "display")?,
            key_spec_index: i_opt(file, &ctx, o, "key_spec_index", -1)?,
            deprecated_since: s_opt(file, &ctx, o, "deprecated_since")?,
            args,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- overlays

#[derive(Default, Clone)]
struct AvailRule {
    redis: Option<Option<String>>,
    redis_removed: Option<String>,
    valkey: Option<Option<String>>,
    keydb: Option<bool>,
    dragonfly: Option<bool>,
}

#[derive(Default)]
struct CmdOverlay {
    avail: AvailRule,
    arity: Vec<(String, i64)>,
    args: BTreeMap<String, AvailRule>,
    syntax: Option<String>,
    values: BTreeMap<String, String>,
    flags: BTreeSet<String>,
    /// Words handed to the handler unconverted: `raw`, and every argument with a format.
    raw: BTreeSet<String>,
    formats: BTreeMap<String, String>,
    late: BTreeSet<String>,
    handler: BTreeSet<String>,
    /// Per argument: `(min, max, error)`.
    ranges: BTreeMap<String, Vec<(i64, i64, Option<String>)>>,
    keys_first: Option<(String, String)>,
    walk: bool,
    trailing_ok: bool,
}

#[derive(Default)]
struct Overlay {
    cmds: BTreeMap<String, CmdOverlay>,
}

fn version_or_false(file: &str, ctx: &str, v: &Value) -> Res<Option<String>> {
    match v {
        Value::Bool(false) => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(format!("{file}: key \"{ctx}\" must be false or a version string")),
    }
}

fn parse_rule(file: &str, ctx: &str, o: &Map<String, Value>) -> Res<AvailRule> {
    let mut r = AvailRule::default();
    if let Some(v) = o.get("redis") {
        r.redis = Some(version_or_false(file, &format!("{ctx}.redis"), v)?);
    }
    if let Some(v) = o.get("valkey") {
        r.valkey = Some(version_or_false(file, &format!("{ctx}.valkey"), v)?);
    }
    r.redis_removed = s_opt(file, ctx, o, "redis_removed")?;
    if o.contains_key("keydb") {
        r.keydb = Some(b_opt(file, ctx, o, "keydb")?);
    }
    if o.contains_key("dragonfly") {
        r.dragonfly = Some(b_opt(file, ctx, o, "dragonfly")?);
    }
    Ok(r)
}

impl Overlay {
    fn load(dir: &Path) -> Res<Overlay> {
        let mut ov = Overlay::default();
        let servers = dir.join("servers.json");
        if servers.exists() {
            let v = read_json(&servers)?;
            let cmds = v.get("commands").and_then(Value::as_object).cloned().unwrap_or_default();
            for (name, e) in cmds {
                let ctx = format!("commands.{name}");
                let o = e.as_object().ok_or_else(|| format!("servers.json: key \"{ctx}\" must be an object"))?;
                let entry = ov.cmds.entry(name.to_ascii_uppercase()).or_default();
                entry.avail = parse_rule("servers.json", &ctx, o)?;
                if let Some(a) = o.get("arity").and_then(Value::as_object) {
                    for (server, n) in a {
                        let n = n
                            .as_i64()
                            .ok_or_else(|| format!("servers.json: key \"{ctx}.arity.{server}\" must be an integer"))?;
                        entry.arity.push((server.clone(), n));
                        entry.arity.sort_by_key(|(srv, _)| (!srv.contains('<'), srv.clone()));
                    }
                }
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
                        let max = i_opt("errors.json", &rctx, r, "max", i64::MAX)?;
                        out.push((min, max, s_opt("errors.json", &rctx, r, "error")?));
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
                entry.trailing_ok = s_opt("errors.json", &ctx, o, "trailing")?.as_deref() == Some("ignore");
            }
        }
        Ok(ov)
    }
}

fn read_json(p: &Path) -> Res<Value> {
    let t = fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_json::from_str(&t).map_err(|e| format!("{}: invalid JSON: {e}", p.display()))
}

fn ver(s: &str) -> Res<(u16, u16, u16)> {
    let mut it = s.split('.').map(|p| p.parse::<u16>());
    let mut next = || it.next().unwrap_or(Ok(0)).map_err(|_| format!("bad version \"{s}\""));
    Ok((next()?, next()?, next()?))
}

fn ver_tokens(s: &str) -> Res<TokenStream> {
    let (a, b, c) = ver(s)?;
    Ok(quote!(Version::new(#a, #b, #c)))
}

/// Availability from `since` and an overlay rule (see commands/README.md for the rules).
fn avail_tokens(since: Option<&str>, rule: &AvailRule) -> Res<TokenStream> {
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
    let valkey = match &rule.valkey {
        Some(None) => quote!(None),
        Some(Some(v)) => {
            let f = ver_tokens(v)?;
            quote!(Some((#f, None)))
        }
        None if since_v <= (7, 2, 99) => quote!(Some((Version::ZERO, None))),
        None => quote!(None),
    };
    let keydb = rule.keydb.unwrap_or(since_v <= (6, 2, 99) && rule.redis != Some(None));
    let dragonfly = rule.dragonfly.unwrap_or(since_v <= (7, 4, 99) && rule.redis != Some(None));
    Ok(quote!(Avail { redis: #redis, valkey: #valkey, keydb: #keydb, dragonfly: #dragonfly }))
}

// ---------------------------------------------------------------- handlers

/// `pub fn NAME(` in src/cmd/**/*.rs -> the module path of the file.
fn find_handlers(dir: &Path) -> Res<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, prefix)) = stack.pop() {
        let mut entries: Vec<PathBuf> =
            fs::read_dir(&d).map_err(|e| e.to_string())?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            let stem = p.file_stem().unwrap_or_default().to_string_lossy().to_string();
            if p.is_dir() {
                stack.push((p.clone(), format!("{prefix}{stem}::")));
            } else if p.extension().is_some_and(|x| x == "rs") {
                let module =
                    if stem == "mod" { prefix.trim_end_matches("::").to_string() } else { format!("{prefix}{stem}") };
                let text = fs::read_to_string(&p).map_err(|e| e.to_string())?;
                for line in text.lines() {
                    if let Some(rest) = line.strip_prefix("pub fn ") {
                        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                        out.insert(name, module.clone());
                    }
                }
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- naming

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in",
    "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super",
    "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn", "abstract", "become", "box",
    "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

fn rust_ident_text(s: &str) -> String {
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

fn camel(s: &str) -> String {
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

fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

/// Unique snake_case field names for one argument level.
fn field_names(args: &[Arg]) -> Vec<String> {
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

fn variant_names(args: &[Arg]) -> Vec<String> {
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

// ---------------------------------------------------------------- code generation

struct Gen<'o> {
    ov: Option<&'o CmdOverlay>,
    types: Vec<TokenStream>,
}

fn needs_lt_in(a: &Arg, o: Option<&CmdOverlay>) -> bool {
    match a.kind.as_str() {
        "key" | "string" | "pattern" => true,
        "oneof" | "block" => a.args.iter().any(|x| needs_lt_in(x, o)),
        _ => o.is_some_and(|o| o.raw.contains(&a.name) || o.handler.contains(&a.name)),
    }
}

fn lt_if(b: bool) -> TokenStream {
    if b {
        quote!(<'a>)
    } else {
        quote!()
    }
}

impl Gen<'_> {
    fn is_flag_set(&self, a: &Arg) -> bool {
        a.kind == "oneof" && self.ov.is_some_and(|o| o.flags.contains(&a.name))
    }

    fn needs_lt(&self, a: &Arg) -> bool {
        needs_lt_in(a, self.ov)
    }

    fn is_raw(&self, a: &Arg) -> bool {
        self.ov.is_some_and(|o| o.raw.contains(&a.name))
    }

    /// A number its handler checks: typed as `Num`.
    fn is_deferred(&self, a: &Arg) -> bool {
        matches!(a.kind.as_str(), "integer" | "unix-time" | "double")
            && self.ov.is_some_and(|o| o.handler.contains(&a.name))
    }

    fn arg_static(&self, a: &Arg) -> Res<TokenStream> {
        let name = &a.name;
        let kind = match a.kind.as_str() {
            "key" => quote!(ArgKind::Key),
            "string" => quote!(ArgKind::String),
            "pattern" => quote!(ArgKind::Pattern),
            "integer" => quote!(ArgKind::Integer),
            "double" => quote!(ArgKind::Double),
            "unix-time" => quote!(ArgKind::UnixTime),
            "pure-token" => quote!(ArgKind::PureToken),
            k => {
                let subs = a.args.iter().map(|s| self.arg_static(s)).collect::<Res<Vec<_>>>()?;
                if k == "oneof" {
                    quote!(ArgKind::OneOf(&[#(#subs),*]))
                } else {
                    quote!(ArgKind::Block(&[#(#subs),*]))
                }
            }
        };
        let opt = |o: &Option<String>| match o {
            Some(s) => quote!(Some(#s)),
            None => quote!(None),
        };
        let token = opt(&a.token);
        let since = opt(&a.since);
        let display = opt(&a.display);
        let dep = opt(&a.deprecated_since);
        let (optional, multiple, multiple_token, ksi) =
            (a.optional, a.multiple, a.multiple_token, a.key_spec_index as i32);
        let flag_set = self.is_flag_set(a);
        let raw = self.is_raw(a);
        let o = self.ov;
        let format = match o.and_then(|o| o.formats.get(&a.name)) {
            Some(_) => quote!(Some(Format::Cursor)),
            None => quote!(None),
        };
        let check = if o.is_some_and(|o| o.late.contains(&a.name)) {
            quote!(Check::Late)
        } else if o.is_some_and(|o| o.handler.contains(&a.name)) {
            quote!(Check::Handler)
        } else {
            quote!(Check::Read)
        };
        let value_error = opt(&o.and_then(|o| o.values.get(&a.name)).cloned());
        let ranges: Vec<TokenStream> = o
            .and_then(|o| o.ranges.get(&a.name))
            .into_iter()
            .flatten()
            .map(|(min, max, e)| {
                let e = opt(e);
                quote!(Range { min: #min, max: #max, error: #e })
            })
            .collect();
        let rule_key = a.token.clone().unwrap_or_else(|| a.name.clone()).to_ascii_uppercase();
        let rule = self.ov.and_then(|o| o.args.get(&rule_key)).cloned().unwrap_or_default();
        let avail = if a.since.is_none()
            && rule.redis.is_none()
            && rule.valkey.is_none()
            && rule.keydb.is_none()
            && rule.dragonfly.is_none()
        {
            quote!(Avail::ALL)
        } else {
            avail_tokens(a.since.as_deref(), &rule)?
        };
        Ok(quote!(ArgSpec {
            name: #name, kind: #kind, token: #token, optional: #optional, multiple: #multiple,
            multiple_token: #multiple_token, flag_set: #flag_set, raw: #raw, format: #format, check: #check,
            value_error: #value_error, ranges: &[#(#ranges),*], since: #since, display: #display,
            key_spec_index: #ksi, deprecated_since: #dep, avail: #avail,
        }))
    }

    /// The Rust type of one value of `a` (before optional/multiple wrapping); defines
    /// nested enums and structs as needed.
    fn base_type(&mut self, a: &Arg, tname: &str) -> TokenStream {
        if self.is_raw(a) {
            return quote!(&'a [u8]);
        }
        if self.is_deferred(a) {
            return quote!(grammar::Num<'a>);
        }
        match a.kind.as_str() {
            "key" | "string" | "pattern" => quote!(&'a [u8]),
            "integer" | "unix-time" => quote!(i64),
            "double" => quote!(f64),
            "pure-token" => quote!(bool),
            "oneof" => {
                self.define_enum(a, tname);
                let t = ident(tname);
                let lt = lt_if(self.needs_lt(a));
                quote!(#t #lt)
            }
            _ => {
                self.define_struct(&a.args, tname);
                let t = ident(tname);
                let lt = lt_if(self.needs_lt(a));
                quote!(#t #lt)
            }
        }
    }

    fn base_conv(&self, a: &Arg, tname: &str, v: TokenStream) -> TokenStream {
        if self.is_raw(a) {
            return quote!(pv_word(#v));
        }
        if self.is_deferred(a) {
            return quote!(grammar::pv_num(#v));
        }
        match a.kind.as_str() {
            "key" | "string" | "pattern" => quote!(pv_word(#v)),
            "integer" | "unix-time" => quote!(pv_int(#v)),
            "double" => quote!(pv_f64(#v)),
            "pure-token" => quote!(pv_present(#v)),
            "oneof" => {
                let t = ident(tname);
                quote!(#t::from_pval(#v))
            }
            _ => {
                let t = ident(tname);
                quote!(#t::from_block(pv_block(#v)))
            }
        }
    }

    /// Field type and conversion expression of `a` at some level.
    fn field(&mut self, a: &Arg, tname: &str, v: TokenStream) -> (TokenStream, TokenStream) {
        let base = self.base_type(a, tname);
        let conv = self.base_conv(a, tname, quote!(x));
        if a.multiple || a.multiple_token || self.is_flag_set(a) {
            (quote!(Vec<#base>), quote!(pv_many(#v).iter().map(|x| #conv).collect()))
        } else if a.kind == "pure-token" {
            (quote!(bool), quote!(pv_present(#v)))
        } else if a.optional {
            (quote!(Option<#base>), quote!(match #v { PVal::Absent => None, x => Some(#conv) }))
        } else {
            let c = self.base_conv(a, tname, v);
            (base, c)
        }
    }

    fn define_struct(&mut self, args: &[Arg], tname: &str) {
        let names = field_names(args);
        let mut fields = Vec::new();
        let mut inits = Vec::new();
        for (i, (a, f)) in args.iter().zip(&names).enumerate() {
            let sub = format!("{tname}{}", camel(&a.name));
            let (ty, conv) = self.field(a, &sub, quote!(pv_at(v, #i)));
            let fi = ident(f);
            fields.push(quote!(pub #fi: #ty));
            inits.push(quote!(#fi: #conv));
        }
        let t = ident(tname);
        let lt = lt_if(args.iter().any(|x| self.needs_lt(x)));
        let doc = format!("Typed arguments of `{tname}` (generated).");
        self.types.push(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, PartialEq)]
            pub struct #t #lt { #(#fields,)* }
            impl<'a> #t #lt {
                pub fn from_block(v: &[PVal<'a>]) -> Self { #t { #(#inits,)* } }
            }
        });
    }

    fn define_enum(&mut self, a: &Arg, tname: &str) {
        let names = variant_names(&a.args);
        let mut variants = Vec::new();
        let mut arms = Vec::new();
        for (i, (alt, vn)) in a.args.iter().zip(&names).enumerate() {
            let vi = ident(vn);
            let sub = format!("{tname}{vn}");
            let t = ident(tname);
            if alt.kind == "pure-token" && !alt.multiple {
                variants.push(quote!(#vi));
                arms.push(quote!(#i => #t::#vi));
            } else {
                let mut alt_req = alt.clone();
                alt_req.optional = false;
                let (ty, conv) = self.field(&alt_req, &sub, quote!(x));
                variants.push(quote!(#vi(#ty)));
                arms.push(quote!(#i => #t::#vi(#conv)));
            }
        }
        let t = ident(tname);
        let lt = lt_if(self.needs_lt(a));
        let first = &arms[0];
        let first_default = {
            // Only reached on a parse that already failed: fall back to the first alternative.
            let s = first.to_string();
            let body = s.split_once("=>").map(|x| x.1.to_string()).unwrap_or_default();
            body.parse::<TokenStream>().unwrap_or_default()
        };
        let doc = format!("Alternatives of `{}` (generated).", a.name);
        self.types.push(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, PartialEq)]
            pub enum #t #lt { #(#variants,)* }
            impl<'a> #t #lt {
                pub fn from_pval(v: &PVal<'a>) -> Self {
                    let (idx, inner) = pv_oneof(v);
                    let x = inner;
                    match idx { #(#arms,)* _ => #first_default }
                }
            }
        });
    }
}

/// Every argument name errors.json gives for `c` must be one of its arguments.
fn check_overlay_args(c: &Cmd, o: &CmdOverlay) -> Res<()> {
    fn names(args: &[Arg], out: &mut BTreeSet<String>) {
        for a in args {
            out.insert(a.name.clone());
            names(&a.args, out);
        }
    }
    let mut known = BTreeSet::new();
    names(&c.args, &mut known);
    let given = o
        .values
        .keys()
        .chain(o.formats.keys())
        .chain(o.ranges.keys())
        .chain(&o.flags)
        .chain(&o.raw)
        .chain(&o.late)
        .chain(&o.handler);
    for n in given {
        if !known.contains(n) {
            return Err(format!("errors.json: commands.{} names argument \"{n}\", which {} lacks", c.key, c.file));
        }
    }
    Ok(())
}

fn generate(specs: &BTreeMap<String, Cmd>, ov: &Overlay, handlers: &BTreeMap<String, String>) -> Res<TokenStream> {
    let mut items = Vec::new();
    let mut top = Vec::new();
    let server_kind = |s: &str| -> Res<TokenStream> {
        Ok(match s {
            "redis" => quote!(ServerKind::Redis),
            "valkey" => quote!(ServerKind::Valkey),
            "keydb" => quote!(ServerKind::KeyDB),
            "dragonfly" => quote!(ServerKind::Dragonfly),
            other => return Err(format!("overlay: unknown server \"{other}\" in arity")),
        })
    };
    let mut known_keys: BTreeSet<&str> = specs.keys().map(String::as_str).collect();
    known_keys.extend(ov.cmds.keys().map(String::as_str));
    for c in specs.values() {
        let o = ov.cmds.get(&c.key);
        if let Some(o) = o {
            check_overlay_args(c, o)?;
        }
        let mut g = Gen { ov: o, types: Vec::new() };
        let spec_ident = format_ident!("SPEC_{}", c.handler_name().to_ascii_uppercase());
        let tname = c.type_name();
        let args_static = c.args.iter().map(|a| g.arg_static(a)).collect::<Res<Vec<_>>>()?;
        let handler = c.handler_name();
        let run = {
            // The typed struct is generated for every command, implemented or not.
            g.define_struct(&c.args, &tname);
            match handlers.get(&handler) {
                Some(module) => {
                    let run_ident = format_ident!("run_{}", handler);
                    let t = ident(&tname);
                    let path: TokenStream = format!("crate::cmd::{module}::{handler}")
                        .parse()
                        .map_err(|_| "bad handler path".to_string())?;
                    let skip = if c.container.is_some() { 2usize } else { 1usize };
                    let walk = o.is_some_and(|o| o.walk);
                    let keys_first = o.is_some_and(|o| o.keys_first.is_some());
                    let body = if walk {
                        // Overlay `walk`: the handler reads its words itself, applying each
                        // option as it reads it (HELLO).
                        quote!(#path(ctx, words))
                    } else {
                        let pre = if keys_first {
                            quote!(crate::dispatch::check_keys_first(ctx, &#spec_ident, words)?;)
                        } else {
                            quote!()
                        };
                        quote! {
                            #pre
                            let parsed = grammar::parse(&#spec_ident, words, &ctx.profile())
                                .map_err(|e| crate::dispatch::arg_error(&#spec_ident, words, e, &ctx.profile()))?;
                            #path(ctx, #t::from_block(&parsed))
                        }
                    };
                    items.push(quote! {
                        fn #run_ident(ctx: &mut crate::server::Ctx<'_>, argv: &[Vec<u8>]) -> crate::reply::CmdResult {
                            let words = argv.get(#skip..).unwrap_or(&[]);
                            #body
                        }
                    });
                    quote!(Some(#run_ident))
                }
                None => quote!(None),
            }
        };
        items.extend(g.types);
        let rule = o.map(|o| o.avail.clone()).unwrap_or_default();
        let avail = avail_tokens(Some(&c.since), &rule)?;
        let arity_ov = o
            .map(|o| {
                o.arity
                    .iter()
                    .map(|(s, n)| {
                        let (server, before) = match s.split_once('<') {
                            Some((srv, v)) => (srv, ver_tokens(v)?),
                            None => (s.as_str(), quote!(Version::new(u16::MAX, 0, 0))),
                        };
                        let k = server_kind(server)?;
                        let n = *n as i32;
                        Ok(quote!((#k, #before, #n)))
                    })
                    .collect::<Res<Vec<_>>>()
            })
            .transpose()?
            .unwrap_or_default();
        let mut sub_specs: Vec<&Cmd> =
            specs.values().filter(|s| s.container.as_deref() == Some(c.key.as_str())).collect();
        sub_specs.sort_by(|a, b| a.name.cmp(&b.name));
        let subs: Vec<TokenStream> = sub_specs
            .iter()
            .map(|s| {
                let i = format_ident!("SPEC_{}", s.handler_name().to_ascii_uppercase());
                quote!(&#i)
            })
            .collect();
        let strs = |v: &Vec<String>| quote!(&[#(#v),*]);
        let opt = |v: &Option<String>| match v {
            Some(s) => quote!(Some(#s)),
            None => quote!(None),
        };
        let (name, fullname, group, since, summary, complexity) =
            (&c.name, &c.fullname, &c.group, &c.since, &c.summary, &c.complexity);
        let container_name = opt(&c.container.as_ref().map(|x| x.to_ascii_lowercase()));
        let arity = c.arity as i32;
        let (flags, acl, docf, tips) = (strs(&c.flags), strs(&c.acl), strs(&c.doc_flags), strs(&c.tips));
        let (dep, rep) = (opt(&c.deprecated_since), opt(&c.replaced_by));
        let key_specs: Vec<TokenStream> = c
            .key_specs
            .iter()
            .map(|k| {
                let f = strs(&k.flags);
                let (b, fi) = (&k.begin, &k.find);
                quote!(KeySpec { flags: #f, begin: #b, find: #fi })
            })
            .collect();
        let errors = match o {
            Some(o) if o.syntax.is_some() || o.trailing_ok || o.keys_first.is_some() => {
                let syntax = o.syntax.clone().unwrap_or_else(|| "ERR syntax error".into());
                let trailing_ok = o.trailing_ok;
                let keys_first = match &o.keys_first {
                    Some((t, e)) => quote!(Some((#t, #e))),
                    None => quote!(None),
                };
                quote!(&Errors { syntax: #syntax, trailing_ok: #trailing_ok, keys_first: #keys_first })
            }
            _ => quote!(&Errors::DEFAULT),
        };
        items.push(quote! {
            pub static #spec_ident: CommandSpec = CommandSpec {
                name: #name, fullname: #fullname, container: #container_name, group: #group, since: #since,
                summary: #summary, complexity: #complexity, arity: #arity, arity_overrides: &[#(#arity_ov),*],
                flags: #flags, acl_categories: #acl, doc_flags: #docf, tips: #tips,
                deprecated_since: #dep, replaced_by: #rep, key_specs: &[#(#key_specs),*],
                args: &[#(#args_static),*], subcommands: &[#(#subs),*], avail: #avail, run: #run, errors: #errors,
            };
        });
        if c.container.is_none() {
            top.push((c.name.clone(), spec_ident));
        }
    }
    for k in ov.cmds.keys() {
        if !specs.contains_key(k) {
            println!("cargo::warning=overlay names {k}, which has no spec");
        }
    }
    top.sort_by(|a, b| a.0.cmp(&b.0));
    let n = top.len();
    let refs: Vec<TokenStream> = top.iter().map(|(_, i)| quote!(&#i)).collect();
    Ok(quote! {
        use crate::spec::grammar::{self, PVal};
        #[allow(unused_imports)]
        use crate::spec::grammar::{pv_at, pv_block, pv_f64, pv_int, pv_many, pv_oneof, pv_present, pv_word};
        #(#items)*
        /// Every top-level command, sorted by name.
        pub static COMMANDS: [&CommandSpec; #n] = [#(#refs),*];
    })
}
