//! The public variables `import.meta.env` exposes, read as Vite users expect: `.env`,
//! `.env.local`, `.env.[mode]`, `.env.[mode].local` (each later file wins), then the process
//! environment (which wins over every file). Only names starting with one of the configured
//! prefixes are exposed: everything else in the environment or the files (secrets, tokens)
//! never reaches the output.

use std::collections::BTreeMap;
use std::path::Path;

use crate::diagnostics::Diagnostic;

/// The `.env` files of `mode`, in the order they are applied.
pub fn files(mode: &str) -> [String; 4] {
    [".env".into(), ".env.local".into(), format!(".env.{mode}"), format!(".env.{mode}.local")]
}

/// Variables kiln reads for itself: never public, whatever the prefixes (a remote cache's key
/// must not end up in a bundle that uses `import.meta.env` whole).
const KILN_OWN: &[&str] = &[
    "KILN_VERIFY",
    "KILN_DEBUG_",
    "KILN_CACHE",
    "KILN_CHECK_CACHE",
    "KILN_CHROME",
    "KILN_NODE",
    "KILN_CORPUS_",
    "KILN_BENCH_",
    "KILN_ARGS",
    "KILN_BINARY",
    "KILN_UPDATE_SCHEMA",
];

/// Public variables from `dir`'s `.env` files and the process environment, sorted by name.
pub fn read(dir: &Path, mode: &str, prefixes: &[String], process: &crate::environ::Env) -> Result<Vec<(String, String)>, Diagnostic> {
    let public = |name: &str| prefixes.iter().any(|p| name.starts_with(p.as_str())) && !KILN_OWN.iter().any(|own| name.starts_with(own));
    // Every variable of the files, public or not, for `${VAR}` expansion.
    let mut all: BTreeMap<String, String> = BTreeMap::new();
    for name in files(mode) {
        let path = dir.join(&name);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Diagnostic::error(format!("cannot read: {e}")).in_file(path.display().to_string()).of_kind(crate::diagnostics::Kind::Io)),
        };
        for (key, value) in
            parse(&text).map_err(|(offset, msg)| Diagnostic::error(msg).at_offset(&name, &text, offset).of_kind(crate::diagnostics::Kind::Syntax))?
        {
            let value = expand(&value, &all, process);
            all.insert(key, value);
        }
    }
    let mut vars: BTreeMap<String, String> = all.into_iter().filter(|(k, _)| public(k)).collect();
    for (key, value) in process.vars() {
        if public(key) {
            vars.insert(key.to_owned(), value.to_owned());
        }
    }
    Ok(vars.into_iter().collect())
}

/// A value as it is written, and whether `$VAR`s in it expand (not in single quotes).
type Raw = (String, bool);

/// The `KEY=value` lines of a `.env` file, as the `dotenv` package that Vite uses reads them:
/// `export ` and spaces around `=` allowed; values unquoted (trimmed, up to a ` #` comment),
/// or in single, double or back quotes (which may span lines; `\n` in double quotes is a
/// newline). A line that is none of these is an error: it would otherwise be dropped silently.
fn parse(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    let mut out: Vec<(String, Raw)> = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = &text[pos..line_end];
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            pos = line_end + 1;
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let body = trimmed.strip_prefix("export ").map_or(trimmed, str::trim_start);
        let Some(eq) = body.find('=') else {
            return Err((pos + indent, "expected KEY=value".into()));
        };
        let key = body[..eq].trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
            return Err((pos + indent, format!("{key:?} is not a variable name")));
        }
        let value_start = pos + (line.len() - line.trim_start().len()) + (trimmed.len() - body.len()) + eq + 1;
        let rest = &text[value_start..];
        let lead = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        let rest = &rest[lead..];
        match rest.chars().next() {
            Some(q @ ('"' | '\'' | '`')) => {
                let Some(close) = rest[1..].find(q) else {
                    return Err((value_start + lead, format!("the value opened with {q} is never closed")));
                };
                let inner = &rest[1..1 + close];
                let value = if q == '"' { inner.replace("\\n", "\n").replace("\\r", "\r") } else { inner.to_owned() };
                out.push((key.to_owned(), (value, q != '\'')));
                let after = value_start + lead + 1 + close + 1;
                pos = text[after..].find('\n').map_or(text.len(), |i| after + i) + 1;
            }
            _ => {
                let value = &text[value_start + lead..line_end];
                let value = match value.find(" #") {
                    Some(i) => &value[..i],
                    None if value.starts_with('#') => "",
                    None => value,
                };
                out.push((key.to_owned(), (value.trim().to_owned(), true)));
                pos = line_end + 1;
            }
        }
    }
    // Expansion marks: single-quoted values are kept literally.
    Ok(out.into_iter().map(|(k, (v, expand))| (k, if expand { v } else { v.replace('$', "\\$") })).collect())
}

/// `$VAR`, `${VAR}` and `${VAR:-default}` (from the variables read so far, then the process
/// environment), as dotenv-expand does; `\$` is a literal `$`.
fn expand(value: &str, vars: &BTreeMap<String, String>, process: &crate::environ::Env) -> String {
    let lookup = |name: &str| vars.get(name).cloned().or_else(|| process.var(name).map(str::to_owned));
    let mut out = String::with_capacity(value.len());
    let mut chars = value.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if value[i + 1..].starts_with('$') => {
                out.push('$');
                chars.next();
            }
            '$' if value[i + 1..].starts_with('{') => {
                let Some(close) = value[i + 2..].find('}') else {
                    out.push_str(&value[i..]);
                    break;
                };
                let inner = &value[i + 2..i + 2 + close];
                let (name, default) = match inner.split_once(":-") {
                    Some((n, d)) => (n, Some(d)),
                    None => (inner, None),
                };
                out.push_str(&lookup(name).filter(|v| !v.is_empty() || default.is_none()).unwrap_or_else(|| default.unwrap_or("").to_owned()));
                while chars.peek().is_some_and(|(j, _)| *j <= i + 2 + close) {
                    chars.next();
                }
            }
            '$' if value[i + 1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') => {
                let name: String = value[i + 1..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                out.push_str(&lookup(&name).unwrap_or_default());
                for _ in 0..name.len() {
                    chars.next();
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The workspace `root` belongs to: the nearest folder at or above it with a
/// `pnpm-workspace.yaml` or a package.json that has `workspaces`; failing that, the git
/// repository holding it.
pub fn workspace_root(root: &Path) -> Option<std::path::PathBuf> {
    let mut repo = None;
    for dir in root.ancestors() {
        if dir.join("pnpm-workspace.yaml").is_file() || dir.join("pnpm-workspace.yml").is_file() {
            return Some(dir.to_path_buf());
        }
        if let Ok(text) = std::fs::read_to_string(dir.join("package.json")) {
            if serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| v.get("workspaces").is_some()) {
                return Some(dir.to_path_buf());
            }
        }
        if repo.is_none() && dir.join(".git").exists() {
            repo = Some(dir.to_path_buf());
        }
    }
    repo
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environ::Env;

    #[test]
    fn later_files_win_and_only_prefixed_names_are_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "VITE_A=1\nVITE_B=base\nSECRET=x\n# comment\nKILN_C=\"quoted value\"\n").unwrap();
        std::fs::write(dir.path().join(".env.staging"), "VITE_B=staging\n").unwrap();
        std::fs::write(dir.path().join(".env.production"), "VITE_B=production\n").unwrap();
        let prefixes = ["VITE_".to_owned(), "KILN_".to_owned()];
        let vars = read(dir.path(), "staging", &prefixes, &Env::default()).unwrap();
        let get = |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("VITE_A"), Some("1"));
        assert_eq!(get("VITE_B"), Some("staging"));
        assert_eq!(get("KILN_C"), Some("quoted value"));
        assert_eq!(get("SECRET"), None);
    }

    #[test]
    fn the_variables_kiln_reads_for_itself_are_never_public() {
        let dir = tempfile::tempdir().unwrap();
        let own = "KILN_CACHE_SIGNING_KEY=secret\nKILN_CACHE_SECRET=s\nKILN_CHECK_CACHE=1\nKILN_BINARY=/bin/kiln\nKILN_VERIFY=1\n";
        std::fs::write(dir.path().join(".env"), format!("{own}KILN_APP_NAME=shop\n")).unwrap();
        let vars = read(dir.path(), "production", &["KILN_".to_owned()], &Env::default().with("KILN_VERIFY", "1")).unwrap();
        let names: Vec<&str> = vars.iter().map(|(n, _)| n.as_str()).filter(|n| own.contains(n) || *n == "KILN_APP_NAME").collect();
        assert_eq!(names, ["KILN_APP_NAME"]);
    }

    #[test]
    fn values_as_dotenv_reads_them() {
        let text =
            "A=plain value # comment\nexport B = 'single $A'\nC=\"double\\nline ${A}\"\nD=`back`\nE=${MISSING:-fallback}-$A\nF=\\$A\nG=\"multi\nline\"\nH=\n";
        let mut vars = BTreeMap::new();
        for (k, v) in parse(text).unwrap() {
            let v = expand(&v, &vars, &Env::default());
            vars.insert(k, v);
        }
        assert_eq!(vars["A"], "plain value");
        assert_eq!(vars["B"], "single $A");
        assert_eq!(vars["C"], "double\nline plain value");
        assert_eq!(vars["D"], "back");
        assert_eq!(vars["E"], "fallback-plain value");
        assert_eq!(vars["F"], "$A");
        assert_eq!(vars["G"], "multi\nline");
        assert_eq!(vars["H"], "");
    }

    #[test]
    fn a_bad_line_is_located() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "VITE_A=1\nthis is not a line\n").unwrap();
        let d = read(dir.path(), "production", &["VITE_".to_owned()], &Env::default()).unwrap_err();
        let text = d.render(false);
        assert!(text.contains(".env:2:"), "{text}");
    }
}
