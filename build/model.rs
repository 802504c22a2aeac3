//! The spec model: `commands/*.json` (upstream schema) read into commands, arguments and
//! key specs, with the build's JSON helpers.

#[allow(unused_imports)]
use super::*;

#[derive(Debug, Clone)]
pub(crate) struct Arg {
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) token: Option<String>,
    pub(crate) optional: bool,
    pub(crate) multiple: bool,
    pub(crate) multiple_token: bool,
    pub(crate) since: Option<String>,
    pub(crate) display: Option<String>,
    pub(crate) key_spec_index: i64,
    pub(crate) deprecated_since: Option<String>,
    pub(crate) args: Vec<Arg>,
}

#[derive(Debug, Clone)]
pub(crate) struct KeySpecM {
    pub(crate) flags: Vec<String>,
    pub(crate) begin: TokenStream,
    pub(crate) find: TokenStream,
}

#[derive(Debug, Clone)]
pub(crate) struct Cmd {
    pub(crate) file: String,
    /// Lowercase name (the subcommand name for subcommands).
    pub(crate) name: String,
    /// Uppercase key: `GET`, `CLIENT|SETNAME`.
    pub(crate) key: String,
    pub(crate) fullname: String,
    pub(crate) container: Option<String>,
    pub(crate) group: String,
    pub(crate) since: String,
    pub(crate) summary: String,
    pub(crate) complexity: String,
    pub(crate) arity: i64,
    pub(crate) flags: Vec<String>,
    pub(crate) acl: Vec<String>,
    pub(crate) doc_flags: Vec<String>,
    pub(crate) tips: Vec<String>,
    pub(crate) deprecated_since: Option<String>,
    pub(crate) replaced_by: Option<String>,
    pub(crate) key_specs: Vec<KeySpecM>,
    pub(crate) args: Vec<Arg>,
    /// The module a module command belongs to (`"module"` key: `ReJSON`, `bf`, ...).
    pub(crate) module: Option<String>,
    /// Set for a file in a server's own folder (`commands/keydb/`, `commands/dragonfly/`):
    /// a command only that server has, or that server's own version of a command.
    pub(crate) server: Option<String>,
    /// A server's own version of a command that also has a general spec.
    pub(crate) variant: bool,
}

/// Folders of `commands/` holding one server's own commands.
pub(crate) const SERVER_DIRS: &[&str] = &["keydb", "dragonfly", "valkey"];

impl Cmd {
    pub(crate) fn is_container(&self, all: &BTreeMap<String, Cmd>) -> bool {
        self.container.is_none() && all.values().any(|c| c.container.as_deref() == Some(self.key.as_str()))
    }

    /// The handler's name: `get`, `client_setname`; a server's own version of a command
    /// another server also has gets the server as suffix (`hsetex_dragonfly`).
    pub(crate) fn handler_name(&self) -> String {
        let base = rust_ident_text(&self.fullname.replace('|', "_"));
        match (&self.server, self.variant) {
            (Some(s), true) => format!("{}_{s}", base.trim_end_matches('_')),
            _ => base,
        }
    }

    /// The key of this spec's entries in the overlays (upper case, as the overlays are read):
    /// `HSETEX`, `HSETEX@DRAGONFLY`.
    pub(crate) fn overlay_key(&self) -> String {
        match (&self.server, self.variant) {
            (Some(s), true) => format!("{}@{}", self.key, s.to_ascii_uppercase()),
            _ => self.key.clone(),
        }
    }

    pub(crate) fn type_name(&self) -> String {
        camel(&self.handler_name())
    }
}

/// The spec files under `dir`: its own `*.json` and those of its subfolders (modules,
/// server folders), `overlay/` aside; sorted, so the build is deterministic.
fn spec_files(dir: &Path, out: &mut Vec<PathBuf>) -> Res<()> {
    let entries = fs::read_dir(dir).map_err(|e| format!("reading spec directory {}: {e}", dir.display()))?;
    for p in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if p.is_dir() && p.file_name().is_some_and(|n| n != "overlay") {
            spec_files(&p, out)?;
        } else if p.is_file() && p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
    Ok(())
}

/// Every spec under `dir`, by key (`GET`, `CLIENT|SETNAME`; a server's own version of a
/// command another spec also has is keyed `HSETEX@dragonfly`).
pub(crate) fn load_specs(dir: &Path) -> Res<BTreeMap<String, Cmd>> {
    let mut files = Vec::new();
    spec_files(dir, &mut files)?;
    files.sort();
    if files.is_empty() {
        return Err(format!("no *.json command specs in {}", dir.display()));
    }
    let mut out: Vec<Cmd> = Vec::new();
    for path in files {
        let rel = path.strip_prefix(dir).unwrap_or(&path);
        let file = rel.to_string_lossy().to_string();
        let server = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .filter(|d| rel.components().count() > 1 && SERVER_DIRS.contains(&d.as_str()));
        let text = fs::read_to_string(&path).map_err(|e| format!("{file}: {e}"))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("{file}: invalid JSON: {e}"))?;
        let obj = v.as_object().ok_or_else(|| format!("{file}: top level must be an object"))?;
        for (name, body) in obj {
            let mut cmd = parse_cmd(&file, name, body)?;
            cmd.server.clone_from(&server);
            out.push(cmd);
        }
    }
    // A file in a server folder whose command also has a general spec is that server's own
    // version of it (Dragonfly's HSETEX); any other pair of specs for one command clashes.
    let mut table: BTreeMap<String, Cmd> = BTreeMap::new();
    let general: BTreeSet<String> = out.iter().filter(|c| c.server.is_none()).map(|c| c.key.clone()).collect();
    for mut cmd in out {
        let mut key = cmd.key.clone();
        if let Some(s) = cmd.server.as_ref().filter(|_| general.contains(&cmd.key)) {
            key = format!("{key}@{s}");
            cmd.variant = true;
        }
        if let Some(prev) = table.get(&key) {
            return Err(format!("{}: command {} is also defined in {}", cmd.file, cmd.key, prev.file));
        }
        table.insert(key, cmd);
    }
    for c in table.values() {
        if let Some(parent) = &c.container {
            if !table.contains_key(parent) {
                return Err(format!("{}: key \"container\": no spec for container {parent}", c.file));
            }
        }
    }
    Ok(table)
}

pub(crate) fn s_opt(file: &str, ctx: &str, o: &Map<String, Value>, key: &str) -> Res<Option<String>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(format!("{file}: {ctx}key \"{key}\" must be a string")),
    }
}

pub(crate) fn b_opt(file: &str, ctx: &str, o: &Map<String, Value>, key: &str) -> Res<bool> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        // Some upstream files spell booleans as strings.
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
        Some(_) => Err(format!("{file}: {ctx}key \"{key}\" must be a boolean")),
    }
}

pub(crate) fn i_opt(file: &str, ctx: &str, o: &Map<String, Value>, key: &str, default: i64) -> Res<i64> {
    match o.get(key) {
        None => Ok(default),
        Some(v) => v.as_i64().ok_or_else(|| format!("{file}: {ctx}key \"{key}\" must be an integer")),
    }
}

pub(crate) fn list(file: &str, ctx: &str, o: &Map<String, Value>, key: &str) -> Res<Vec<String>> {
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

pub(crate) fn parse_cmd(file: &str, name: &str, body: &Value) -> Res<Cmd> {
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
        module: s_opt(file, "", o, "module")?,
        server: None,
        variant: false,
    })
}

pub(crate) fn parse_key_spec(file: &str, i: usize, k: &Value) -> Res<KeySpecM> {
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

pub(crate) const ARG_TYPES: &[&str] =
    &["key", "string", "pattern", "integer", "double", "unix-time", "pure-token", "oneof", "block"];

pub(crate) fn parse_args(file: &str, path: &str, v: &Value) -> Res<Vec<Arg>> {
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
