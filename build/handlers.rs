//! Finding the handwritten handlers in `src/cmd/`.

#[allow(unused_imports)]
use super::*;

/// `pub fn NAME(` in src/cmd/**/*.rs -> the module path of the file.
pub(crate) fn find_handlers(dir: &Path) -> Res<BTreeMap<String, String>> {
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
