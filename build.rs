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

#[path = "build/emit.rs"]
mod emit;
#[path = "build/handlers.rs"]
mod handlers;
#[path = "build/model.rs"]
mod model;
#[path = "build/naming.rs"]
mod naming;
#[path = "build/overlay.rs"]
mod overlay;

use emit::*;
use handlers::*;
use model::*;
use naming::*;
use overlay::*;

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
    println!("cargo::rerun-if-changed=src/error.rs");
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
        // The project's module and server folders have no upstream counterpart: they stay.
        let own = load_specs(&own_dir)?;
        for (key, cmd) in own {
            let own_folder = (cmd.module.is_some() || cmd.server.is_some()) && !specs.contains_key(&key);
            if own_folder || handlers.contains_key(&cmd.handler_name()) || cmd.is_container(&specs) {
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
