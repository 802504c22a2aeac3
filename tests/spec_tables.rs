//! The generated command table checked against third-party facts in `../shared/reference`
//! (when it exists beside the checkout): the upstream Redis 7.2 JSON specs (arity, flags,
//! ACL categories, key specs, argument grammar) and the command matrix (presence per server
//! type and version, Valkey and KeyDB arities). Also: a build regenerated from another
//! spec directory (`FAKEREDIS_COMMAND_SPECS`) lists every command of that directory.

use fakeredis::spec::{self, CommandSpec};
use fakeredis::{Profile, Reply, Server, ServerKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn reference() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference");
    if p.join("command-matrix.tsv").is_file() {
        return Some(p);
    }
    assert!(std::env::var_os("CI").is_none(), "CI is set but ../shared/reference is missing");
    eprintln!("../shared/reference not found: cross-checks skipped on this machine");
    None
}

/// Every command and subcommand of the table, by `NAME` / `CONTAINER|SUB` (the general spec
/// where a server also has its own version of a command).
fn table() -> BTreeMap<String, &'static CommandSpec> {
    let mut t = BTreeMap::new();
    for c in spec::all_commands().iter().flat_map(|c| std::iter::once(*c).chain(c.subcommands.iter().copied())) {
        t.entry(c.fullname.to_ascii_uppercase()).or_insert(c);
    }
    t
}

/// The keys of every spec file under `commands/` (module and server folders included).
fn own_spec_names() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).expect("commands/") {
            let p = e.expect("entry").path();
            if p.is_dir() && p.file_name().is_some_and(|n| n != "overlay") {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "json") {
                let text = std::fs::read_to_string(&p).expect("read");
                let v: serde_json::Value = serde_json::from_str(&text).expect("json");
                for (name, body) in v.as_object().expect("object") {
                    out.push(match body.get("container").and_then(|c| c.as_str()) {
                        Some(c) => format!("{}|{}", c.to_ascii_uppercase(), name.to_ascii_uppercase()),
                        None => name.to_ascii_uppercase(),
                    });
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("commands"), &mut out);
    out
}

/// The upstream spec of `name` in one of the reference spec folders.
fn upstream_in(refdir: &Path, set: &str, name: &str) -> Option<serde_json::Value> {
    let file = name.to_ascii_lowercase().replace('|', "-");
    let p = refdir.join("command-specs").join(set).join(format!("{file}.json"));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()?;
    v.as_object()?.values().next().cloned()
}

fn strs(v: Option<&serde_json::Value>) -> Vec<String> {
    v.and_then(|x| x.as_array())
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Argument names, types, tokens and flags, flattened, for comparing grammars.
fn arg_shape(v: Option<&serde_json::Value>, out: &mut Vec<String>) {
    for a in v.and_then(|x| x.as_array()).into_iter().flatten() {
        // Some upstream files spell booleans as strings.
        let g = |k: &str| a.get(k).map(|x| x.to_string().replace("\"true\"", "true")).unwrap_or_default();
        out.push(format!(
            "{} {} {} {} {} {}",
            g("name"),
            g("type"),
            g("token"),
            g("optional"),
            g("multiple"),
            g("since")
        ));
        arg_shape(a.get("arguments"), out);
    }
}

/// The project's grammar as server `p` has it (arguments newer servers added left out).
fn own_arg_shape(args: &[spec::ArgSpec], p: &Profile, out: &mut Vec<String>) {
    for a in args.iter().filter(|a| a.avail.allows(p)) {
        let q = |s: Option<&str>| s.map(|x| serde_json::to_string(x).expect("json")).unwrap_or_default();
        let b = |x: bool| if x { "true".to_string() } else { String::new() };
        out.push(format!(
            "\"{}\" \"{}\" {} {} {} {}",
            a.name,
            a.kind.type_name(),
            q(a.token),
            b(a.optional),
            b(a.multiple),
            q(a.since)
        ));
        if let spec::ArgKind::OneOf(sub) | spec::ArgKind::Block(sub) = a.kind {
            own_arg_shape(sub, p, out);
        }
    }
}

const REDIS_PROFILES: [Profile; 10] = [
    Profile::redis(6, 2, 0),
    Profile::redis(7, 0, 0),
    Profile::redis(7, 2, 0),
    Profile::redis(7, 4, 0),
    Profile::redis(8, 0, 0),
    Profile::redis(8, 2, 0),
    Profile::redis(8, 4, 0),
    Profile::redis(8, 6, 0),
    Profile::redis(8, 8, 0),
    Profile::redis(8, 10, 0),
];

#[test]
fn specs_match_upstream_redis_json() {
    let Some(refdir) = reference() else { return };
    if std::env::var_os("FAKEREDIS_COMMAND_SPECS").is_some() {
        return;
    }
    let t = table();
    let mut checked = 0;
    let mut problems = Vec::new();
    for (name, c) in &t {
        // Redis's own specs where Redis 7.2 has the command; Valkey 9.1's for Valkey's own
        // commands; the others (newer Redis, modules, KeyDB, Dragonfly) have no upstream JSON.
        let in_redis_72 = c.available(&Profile::redis(7, 2, 0));
        let valkey_only = REDIS_PROFILES.iter().all(|p| !c.available(p)) && c.available(&Profile::valkey(9, 1, 0));
        let (up, as_of) = if in_redis_72 {
            (upstream_in(&refdir, "redis-7.2.6", name), Profile::redis(7, 2, 6))
        } else if valkey_only {
            (upstream_in(&refdir, "valkey-9.1.0-rc2", name), Profile::valkey(9, 1, 0))
        } else {
            continue;
        };
        let Some(up) = up else {
            problems.push(format!("{name}: no upstream spec"));
            continue;
        };
        checked += 1;
        if up.get("arity").and_then(|a| a.as_i64()) != Some(i64::from(c.arity)) {
            problems.push(format!("{name}: arity {} vs upstream {:?}", c.arity, up.get("arity")));
        }
        let own_flags: Vec<String> = c.flags.iter().map(|s| s.to_string()).collect();
        if strs(up.get("command_flags")) != own_flags {
            problems.push(format!("{name}: flags {own_flags:?} vs {:?}", strs(up.get("command_flags"))));
        }
        let own_acl: Vec<String> = c.acl_categories.iter().map(|s| s.to_string()).collect();
        if strs(up.get("acl_categories")) != own_acl {
            problems.push(format!("{name}: acl categories differ"));
        }
        if up.get("since").and_then(|s| s.as_str()) != Some(c.since) {
            problems.push(format!("{name}: since differs"));
        }
        let ks = up.get("key_specs").and_then(|k| k.as_array()).map_or(0, Vec::len);
        if ks != c.key_specs.len() {
            problems.push(format!("{name}: {} key specs vs {ks}", c.key_specs.len()));
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        arg_shape(up.get("arguments"), &mut a);
        own_arg_shape(c.args, &as_of, &mut b);
        if a != b {
            problems.push(format!("{name}: argument grammar differs:\n  upstream {a:?}\n  own      {b:?}"));
        }
    }
    eprintln!("{checked} commands checked against the upstream Redis 7.2 and Valkey 9.1 specs");
    assert!(checked > 380, "too few commands checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Matrix column -> the profile it describes.
fn column_profile(col: &str) -> Option<Profile> {
    let (kind, ver) = col.split_once('-')?;
    let ver = if ver == "main" { "1.30.0" } else { ver };
    format!("{kind} {ver}").parse().ok()
}

/// The command or `CONTAINER|SUB` as the pinned server has it.
fn find(p: &Profile, name: &str) -> Option<&'static CommandSpec> {
    let mut parts = name.splitn(2, '|');
    let top = spec::lookup_on(parts.next()?.as_bytes(), p)?;
    match parts.next() {
        Some(sub) => top.subcommand(sub.as_bytes(), p),
        None => Some(top),
    }
}

/// Sentinel's own commands: no emulated server lists them.
fn sentinel_only(row: &[&str]) -> bool {
    row[0] == "SENTINEL" || row[0].starts_with("SENTINEL|") || row.get(4).is_some_and(|f| f.contains("ONLY_SENTINEL"))
}

/// Every presence cell of the matrix (0 missing, 0 extra per column), and the arity of the
/// newest version of each server type: Redis 8.10 (`arity`), Valkey 9.1, KeyDB, Dragonfly
/// (top-level commands; Dragonfly counts a subcommand's arity without the container word).
#[test]
fn availability_and_arity_match_the_command_matrix() {
    let Some(refdir) = reference() else { return };
    if std::env::var_os("FAKEREDIS_COMMAND_SPECS").is_some() {
        // A table regenerated from another spec set describes that set, not the matrix.
        return;
    }
    let text = std::fs::read_to_string(refdir.join("command-matrix.tsv")).expect("matrix");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap_or_else(|| panic!("matrix column {n}"));
    let arity_cols = [
        (col("arity"), Profile::redis(8, 10, 0)),
        (col("valkey_arity"), Profile::valkey(9, 1, 0)),
        (col("keydb_arity"), Profile::keydb()),
        (col("dragonfly_arity"), column_profile("dragonfly-main").expect("profile")),
    ];
    let first_presence = col("redis-6.2");
    let mut problems = Vec::new();
    let (mut cells, mut arities) = (0, 0);
    let mut listed: BTreeMap<&str, BTreeMap<String, bool>> = BTreeMap::new();
    let mut all_rows = std::collections::BTreeSet::new();
    // Per column: the containers with a subcommand the cell of which is known (0 or 1).
    let mut known_subs: BTreeMap<&str, std::collections::BTreeSet<String>> = BTreeMap::new();
    let mut containers = std::collections::BTreeSet::new();
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        all_rows.insert(f[0]);
        if let Some((c, _)) = f[0].split_once('|') {
            containers.insert(c.to_string());
            for (i, h) in header.iter().enumerate().skip(first_presence) {
                if matches!(f.get(i).copied(), Some("0" | "1")) {
                    known_subs.entry(h).or_default().insert(c.to_string());
                }
            }
        }
        if sentinel_only(&f) {
            continue;
        }
        for (i, h) in header.iter().enumerate().skip(first_presence) {
            let want = match f.get(i).copied() {
                Some("1") => true,
                Some("0") => false,
                _ => continue,
            };
            let Some(p) = column_profile(h) else { continue };
            listed.entry(h).or_default().insert(f[0].to_string(), want);
            let have = find(&p, f[0]).is_some();
            cells += 1;
            if have != want {
                problems.push(format!("{} on {h}: matrix says {want}, table says {have}", f[0]));
            }
        }
        for (ci, p) in &arity_cols {
            let top_only = p.kind == ServerKind::Dragonfly && f[0].contains('|');
            // (0: the matrix does not know.)
            let arity = f.get(*ci).and_then(|x| x.parse::<i32>().ok()).filter(|a| *a != 0);
            if let (Some(a), Some(c), false) = (arity, find(p, f[0]), top_only) {
                arities += 1;
                if a != c.arity_for(p) {
                    problems.push(format!("{} on {p}: matrix arity {a}, table {}", f[0], c.arity_for(p)));
                }
            }
        }
    }
    let unknown_subs: BTreeMap<&str, std::collections::BTreeSet<String>> = header
        .iter()
        .skip(first_presence)
        .map(|h| {
            let known = known_subs.get(h).cloned().unwrap_or_default();
            (*h, containers.iter().filter(|c| !known.contains(*c)).cloned().collect())
        })
        .collect();
    // Nothing beyond the matrix: every command a profile lists is in its column.
    for (h, rows) in &listed {
        let p = column_profile(h).expect("profile");
        for c in spec::all_commands().iter().filter(|c| c.available(&p)) {
            let subs = c.subcommands.iter().filter(|s| s.available(&p));
            for c in std::iter::once(*c).chain(subs.copied()) {
                let name = c.fullname.to_ascii_uppercase();
                // (A false cell is reported above; `?` cells are not checkable.) Where the
                // matrix knows none of a container's subcommands on a server (all `?`, as
                // Dragonfly's SCRIPT), one it does not list at all is not checkable either:
                // such a spec says in its `since` which version of that server it is from.
                let container = name.split_once('|').map(|(c, _)| c);
                if container.is_some_and(|c| unknown_subs.get(*h).is_some_and(|u| u.contains(c))) {
                    continue;
                }
                if !rows.contains_key(&name) && !all_rows.contains(name.as_str()) {
                    problems.push(format!("{name} on {h}: in the table, not in the matrix"));
                }
            }
        }
    }
    eprintln!("{cells} presence cells and {arities} arities checked against the command matrix");
    assert!(cells > 10000, "too few cells checked");
    assert!(problems.is_empty(), "{} differences:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn regenerated_tables_list_every_spec_of_their_directory() {
    let Some(dir) = std::env::var_os("FAKEREDIS_COMMAND_SPECS") else {
        // The default build: every own spec is in the table, unimplemented ones included.
        let t = table();
        for n in own_spec_names() {
            assert!(t.contains_key(&n), "{n} has a spec but is not in the table");
        }
        return;
    };
    let t = table();
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("spec dir") {
        let p = e.expect("entry").path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("json");
        for (name, body) in v.as_object().expect("object") {
            let key = match body.get("container").and_then(|c| c.as_str()) {
                Some(c) => format!("{}|{}", c.to_ascii_uppercase(), name.to_ascii_uppercase()),
                None => name.to_ascii_uppercase(),
            };
            assert!(t.contains_key(&key), "{key} from {} is missing from the table", p.display());
            n += 1;
        }
    }
    assert!(n > 300, "only {n} specs in {dir:?}");
    // A command without a handler answers a clear error and still shows in COMMAND INFO.
    let server = Server::with_profile(Profile::valkey(9, 1, 0));
    let mut c = server.client();
    // (PSYNC until it gets a handler; then another command without one.)
    let r = c.cmd(["PSYNC", "?", "-1"]).expect("reply");
    assert_eq!(r, Reply::err("ERR command 'psync' is not implemented by fakeredis yet"));
    let info = c.cmd(["COMMAND", "INFO", "psync"]).expect("reply");
    let arity = info.as_array().and_then(|a| a[0].as_array()).map(|x| x[1].clone());
    assert_eq!(arity, Some(Reply::Int(-3)));
    eprintln!("{n} specs of {dir:?} are in the regenerated table");
}

/// The grammar as Valkey 9.1 has it (Valkey's own specs in `commands/valkey/` where Valkey
/// regrouped arguments), against Valkey 9.1's specs: the same tokens, types, optional and
/// multiple arguments. Argument names, `since` and the order of alternatives may differ
/// (the Redis-based spec keeps Redis's), and Valkey types some timestamps as plain integers.
#[test]
fn valkey_grammar_matches_valkey_specs() {
    let Some(refdir) = reference() else { return };
    if std::env::var_os("FAKEREDIS_COMMAND_SPECS").is_some() {
        return;
    }
    let p = Profile::valkey(9, 1, 0);
    // `"name" "type" "token" optional multiple since` -> `type token optional multiple`.
    let norm = |v: Vec<String>| -> Vec<String> {
        let mut out: Vec<String> = v
            .into_iter()
            .map(|x| {
                let f: Vec<&str> = x.split(' ').collect();
                let t = if f[1] == "\"unix-time\"" { "\"integer\"" } else { f[1] };
                let flag = |s: &str| if s == "true" { "true" } else { "" };
                format!("{t} {} {} {}", f[2], flag(f[3]), flag(f[4]))
            })
            .collect();
        out.sort();
        out
    };
    let mut differ = Vec::new();
    let mut checked = 0;
    for top in spec::all_commands().iter().filter(|c| c.available(&p)) {
        for c in std::iter::once(*top).chain(top.subcommands.iter().copied().filter(|s| s.available(&p))) {
            let name = c.fullname.to_ascii_uppercase();
            let Some(up) = upstream_in(&refdir, "valkey-9.1.0-rc2", &name) else { continue };
            let (mut a, mut b) = (Vec::new(), Vec::new());
            arg_shape(up.get("arguments"), &mut a);
            own_arg_shape(c.args, &p, &mut b);
            checked += 1;
            // Valkey's parser takes `TYPE primary` in CLIENT LIST from 8.0 (its
            // getClientTypeByName), though its CLIENT LIST spec does not list it.
            if name == "CLIENT|LIST" {
                b.retain(|x| !x.starts_with("\"primary\""));
            }
            if norm(a.clone()) != norm(b.clone()) {
                differ.push(format!("{name}:\n  valkey {a:?}\n  own    {b:?}"));
            }
        }
    }
    eprintln!("{checked} grammars checked against Valkey 9.1's specs");
    assert!(checked > 350, "too few commands checked");
    assert!(differ.is_empty(), "{} differ:\n{}", differ.len(), differ.join("\n"));
}
