//! Function libraries (FUNCTION LOAD, FCALL): the registry of libraries and their
//! functions, a library's metadata line, and the RDB form FUNCTION DUMP/RESTORE use.
//!
//! As Redis 7: library names are case-sensitive and function names are not (FCALL F1
//! finds f1); a library's code runs once at load with only `redis.register_function`,
//! `redis.log` and the versions in reach. Redis lists libraries in its hash table's
//! order, which a random seed picks at start-up; the fake lists them by name.

use std::collections::{BTreeMap, HashMap};

use mlua::Function;

/// `redis.register_function`'s flags, in Redis's order (FUNCTION LIST shows them so).
pub const FLAGS: [(&str, u32); 5] =
    [("no-writes", 1), ("allow-oom", 2), ("allow-stale", 4), ("no-cluster", 8), ("allow-cross-slot-keys", 16)];
pub const NO_WRITES: u32 = 1;
pub const NO_CLUSTER: u32 = 8;
pub const ALLOW_CROSS_SLOT: u32 = 16;

/// One registered function.
pub struct FunctionDef {
    pub name: String,
    pub description: Option<Vec<u8>>,
    pub flags: u32,
    pub callback: Function,
}

/// A loaded library: its whole code (metadata line included, as FUNCTION LIST WITHCODE
/// and DUMP give it back) and its functions.
pub struct Library {
    pub name: String,
    pub code: Vec<u8>,
    pub functions: Vec<FunctionDef>,
}

/// The libraries of a server (or of a payload being restored).
#[derive(Default)]
pub struct Libraries {
    pub libs: BTreeMap<String, Library>,
    /// Lower-cased function name -> its library.
    index: HashMap<String, String>,
}

impl Libraries {
    pub fn function(&self, name: &[u8]) -> Option<&FunctionDef> {
        let key = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
        let lib = self.libs.get(self.index.get(&key)?)?;
        lib.functions.iter().find(|f| f.name.eq_ignore_ascii_case(&key))
    }

    pub fn has_function(&self, name: &str) -> bool {
        self.index.contains_key(&name.to_ascii_lowercase())
    }

    pub fn function_count(&self) -> usize {
        self.index.len()
    }

    pub fn link(&mut self, lib: Library) {
        for f in &lib.functions {
            self.index.insert(f.name.to_ascii_lowercase(), lib.name.clone());
        }
        self.libs.insert(lib.name.clone(), lib);
    }

    pub fn unlink(&mut self, name: &str) -> Option<Library> {
        let lib = self.libs.remove(name)?;
        for f in &lib.functions {
            self.index.remove(&f.name.to_ascii_lowercase());
        }
        Some(lib)
    }

    /// Moves every library of `src` in (`libraryJoin`): a library already here is an error,
    /// or with `replace` is replaced; a function name taken by another library is an
    /// error. On error nothing changes.
    pub fn join(&mut self, src: Libraries, replace: bool) -> Result<(), String> {
        let mut old = Vec::new();
        let mut fail = None;
        for name in src.libs.keys() {
            if self.libs.contains_key(name) {
                if !replace {
                    fail = Some(format!("ERR Library {name} already exists"));
                    break;
                }
                old.extend(self.unlink(name));
            }
        }
        if fail.is_none() {
            fail = src
                .libs
                .values()
                .flat_map(|l| &l.functions)
                .find(|f| self.has_function(&f.name))
                .map(|f| format!("ERR Function {} already exists", f.name));
        }
        if let Some(e) = fail {
            old.into_iter().for_each(|l| self.link(l));
            return Err(e);
        }
        src.libs.into_values().for_each(|l| self.link(l));
        Ok(())
    }
}

/// A library's first line: `#!<engine> name=<name>` (`functionExtractLibMetaData`).
pub struct Metadata {
    pub engine: Vec<u8>,
    pub name: Vec<u8>,
    /// The code after the first line, from its newline on (so line numbers stay).
    pub body_at: usize,
}

pub fn metadata(code: &[u8]) -> Result<Metadata, String> {
    if !code.starts_with(b"#!") {
        return Err("ERR Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&c| c == b'\n') else {
        return Err("ERR Invalid library metadata".into());
    };
    let parts = crate::resp::split_inline_args(&code[..end]).filter(|p| !p.is_empty());
    let Some(parts) = parts else { return Err("ERR Invalid library metadata".into()) };
    let mut name = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err("ERR Invalid metadata value, name argument was given multiple times".into());
            }
            name = Some(part[5..].to_vec());
            continue;
        }
        return Err(format!("ERR Invalid metadata value given: {}", String::from_utf8_lossy(part)));
    }
    let Some(name) = name else { return Err("ERR Library name was not given".into()) };
    Ok(Metadata { engine: parts[0][2..].to_vec(), name, body_at: end })
}

/// Redis's rule for library and function names: letters, digits and `_`, at least one.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// FUNCTION DUMP's body: each library as opcode 245 and its code.
pub fn dump(libs: &Libraries) -> Vec<u8> {
    let mut out = Vec::new();
    for lib in libs.libs.values() {
        out.push(crate::rdb::OPCODE_FUNCTION2);
        crate::rdb::save_string(&mut out, &lib.code);
    }
    out
}

/// The libraries' codes in a FUNCTION RESTORE body (`rdbFunctionLoad`), or Redis's error:
/// the 7.0 release candidates' form is turned into a metadata line, as Redis does.
pub fn payload_codes(body: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut r = crate::rdb::Reader::new(body);
    let mut codes = Vec::new();
    while !r.at_end() {
        let Some(t) = r.byte() else { return Err("ERR can not read data type".into()) };
        match t {
            crate::rdb::OPCODE_FUNCTION2 => {
                codes.push(r.string().ok_or("ERR Failed loading library payload")?);
            }
            crate::rdb::OPCODE_FUNCTION_PRE_GA => {
                let name = r.string().ok_or("ERR Failed loading library name")?;
                let engine = r.string().ok_or("ERR Failed loading engine name")?;
                let (_, has_desc) = r.len().ok_or("ERR Failed loading library description indicator")?;
                if has_desc != 0 {
                    r.string().ok_or("ERR Failed loading library description")?;
                }
                let blob = r.string().ok_or("ERR Failed loading library blob")?;
                codes.push([b"#!", &engine[..], b" name=", &name[..], b"\n", &blob[..]].concat());
            }
            _ => return Err("ERR given type is not a function".into()),
        }
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_errors_in_redis_order() {
        let err = |c: &[u8]| metadata(c).err().unwrap();
        assert_eq!(err(b"lua name=x\n"), "ERR Missing library metadata");
        assert_eq!(err(b"#!lua name=x"), "ERR Invalid library metadata");
        assert_eq!(err(b"#!lua \"name=x\n"), "ERR Invalid library metadata");
        assert_eq!(err(b"#!lua name=a NAME=b\n"), "ERR Invalid metadata value, name argument was given multiple times");
        assert_eq!(err(b"#!lua foo=bar\n"), "ERR Invalid metadata value given: foo=bar");
        assert_eq!(err(b"#!lua\n"), "ERR Library name was not given");
        let m = metadata(b"#!lua NAME=lib\nreturn").unwrap();
        assert_eq!((m.engine, m.name, m.body_at), (b"lua".to_vec(), b"lib".to_vec(), 14));
    }
}
