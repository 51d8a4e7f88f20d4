//! The shape rules of docs/architecture.md, checked on the source tree:
//! - arrows point down: the shared modules below the stages (config, graph, output files,
//!   diagnostics, paths, the loaders…) never import a stage, the pipeline, publish or the
//!   preview server;
//! - a stage uses another stage only through its output types (`crate::stages::scan::ScanOutput`),
//!   never its steps (`crate::stages::scan::walk`);
//! - no source file is over 600 lines, no function over 100;
//! - no function a module exports returns its error as a bare `String`;
//! - every dependency in Cargo.toml is used by some code (as `cargo machete` checks), unless
//!   `[package.metadata.cargo-machete] ignored` lists it with its reason.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

fn src() -> (PathBuf, Vec<PathBuf>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    files.sort();
    (root, files)
}

/// The path after a `prefix::` at `text[at..]`, with `use` groups expanded: `a::{b, c::{d, e}}`
/// is `a::b`, `a::c::d` and `a::c::e` (`self` in a group is the group's own path).
fn expand(text: &str, at: usize) -> Vec<Vec<String>> {
    let rest = &text[at..];
    let head: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
    let base: Vec<String> = head.split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if !head.ends_with("::") || !rest[head.len()..].starts_with('{') {
        return vec![base];
    }
    // The group: up to its matching brace, split at its top-level commas.
    let body = &rest[head.len() + 1..];
    let (mut depth, mut end, mut items, mut from) = (0usize, body.len(), Vec::new(), 0usize);
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                end = i;
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(from..i);
                from = i + 1;
            }
            _ => {}
        }
    }
    items.push(from..end);
    let body_at = at + head.len() + 1;
    let mut out = Vec::new();
    for item in items {
        let item_text = &body[item.clone()];
        let start = body_at + item.start + (item_text.len() - item_text.trim_start().len());
        for tail in expand(text, start) {
            let tail: Vec<String> = tail.into_iter().filter(|s| s != "self").collect();
            if tail.is_empty() && !item_text.trim_start().starts_with("self") {
                continue;
            }
            out.push(base.iter().cloned().chain(tail).collect());
        }
    }
    out
}

/// Every `crate::a::b::c` path written in the file, groups expanded (comments included: a doc
/// link up is as much a dependency as an import).
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        if text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        out.extend(expand(text, i + "crate::".len()));
    }
    out
}

/// The code of a file without its comments and its `#[cfg(test)] mod tests`.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// A source file's module path under `src/` (`stages/js/generate/render`; `lib.rs`, `main.rs`:
/// the root).
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel.trim_end_matches(".rs").split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|p| p == "mod") || parts == ["lib"] || parts == ["main"] {
        parts.pop();
    }
    parts
}

/// The modules a file uses: every path it writes (`crate::`, `super::`, `self::`, and its
/// child modules' names), resolved to the longest module it names.
fn uses(text: &str, me: &[String], modules: &std::collections::BTreeSet<Vec<String>>) -> std::collections::BTreeSet<Vec<String>> {
    let code = code_of(text);
    let children: Vec<String> = code
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").or_else(|| l.split_once(") ").filter(|(p, _)| p.starts_with("pub(")).map(|(_, r)| r)).unwrap_or(l);
            l.strip_prefix("mod ").and_then(|m| m.strip_suffix(';')).map(str::to_owned)
        })
        .collect();
    let mut paths = Vec::new();
    let boundary = |i: usize| !code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':');
    for (i, _) in code.match_indices("crate::").filter(|(i, _)| boundary(*i)) {
        paths.extend(expand(&code, i + "crate::".len()));
    }
    for (i, _) in code.match_indices("self::").filter(|(i, _)| boundary(*i)) {
        paths.extend(expand(&code, i + "self::".len()).into_iter().map(|p| me.iter().cloned().chain(p).collect()));
    }
    for (i, _) in code.match_indices("super::").filter(|(i, _)| boundary(*i)) {
        let mut at = i;
        let mut base = me.to_vec();
        while code[at..].starts_with("super::") {
            base.pop();
            at += "super::".len();
        }
        paths.extend(expand(&code, at).into_iter().map(|p| base.iter().cloned().chain(p).collect()));
    }
    for child in &children {
        let needle = format!("{child}::");
        for (i, _) in code.match_indices(&needle).filter(|(i, _)| boundary(*i)) {
            paths.extend(expand(&code, i).into_iter().map(|p| me.iter().cloned().chain(p).collect()));
        }
    }
    paths.into_iter().filter_map(|p| (1..=p.len()).rev().map(|n| p[..n].to_vec()).find(|m| modules.contains(m))).filter(|m| !m.starts_with(me)).collect()
}

/// Groups of modules that use each other, directly or not (Tarjan's strongly connected
/// components of more than one module).
fn cycles(edges: &std::collections::BTreeMap<Vec<String>, std::collections::BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a std::collections::BTreeMap<Vec<String>, std::collections::BTreeSet<Vec<String>>>,
        index: std::collections::BTreeMap<&'a Vec<String>, (usize, usize)>,
        stack: Vec<&'a Vec<String>>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a Vec<String>) {
        let n = w.index.len();
        w.index.insert(v, (n, n));
        w.stack.push(v);
        for t in w.edges.get(v).into_iter().flatten() {
            let Some((t, _)) = w.edges.get_key_value(t) else { continue };
            match w.index.get(t).copied() {
                None => {
                    visit(w, t);
                    let low = w.index[t].1.min(w.index[v].1);
                    w.index.get_mut(v).unwrap().1 = low;
                }
                Some((ti, _)) if w.stack.contains(&t) => {
                    let low = ti.min(w.index[v].1);
                    w.index.get_mut(v).unwrap().1 = low;
                }
                Some(_) => {}
            }
        }
        if w.index[v].0 == w.index[v].1 {
            let at = w.stack.iter().position(|x| *x == v).unwrap();
            let group: Vec<String> = w.stack.drain(at..).map(|m| m.join("/")).collect();
            if group.len() > 1 {
                w.out.push(group);
            }
        }
    }
    let mut w = Walk { edges, index: Default::default(), stack: Vec::new(), out: Vec::new() };
    for v in edges.keys() {
        if !w.index.contains_key(v) {
            visit(&mut w, v);
        }
    }
    w.out
}

/// No two modules use each other, directly or through others. A module using its own
/// submodules is not an edge here (a parent runs its parts); a part using what its parent
/// defines is, so shared types sit in a module of their own below both.
#[test]
fn no_import_cycle_between_modules() {
    let (root, files) = src();
    let rel = |f: &PathBuf| f.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
    let modules: std::collections::BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&rel(f))).collect();
    let mut edges = std::collections::BTreeMap::new();
    for f in &files {
        let me = module_of(&rel(f));
        let text = std::fs::read_to_string(f).unwrap();
        edges.entry(me.clone()).or_insert_with(std::collections::BTreeSet::new).extend(uses(&text, &me, &modules));
    }
    let found = cycles(&edges);
    assert!(
        found.is_empty(),
        "modules that use each other (move what they share below them):\n{}",
        found.iter().map(|c| c.join(" ↔ ")).collect::<Vec<_>>().join("\n")
    );
    // The check finds a cycle where there is one, through a group and a parent's type.
    let m = |s: &str| s.split('/').map(str::to_owned).collect::<Vec<String>>();
    let set: std::collections::BTreeSet<Vec<String>> = [m("a"), m("a/b"), m("c")].into();
    let mut toy = std::collections::BTreeMap::new();
    toy.insert(m("a"), uses("use crate::c::{self, X};\nmod b;\nfn f() { b::g() }", &m("a"), &set));
    toy.insert(m("a/b"), uses("use super::Thing;", &m("a/b"), &set));
    toy.insert(m("c"), uses("use crate::a::{Y, b::Z};", &m("c"), &set));
    let found = cycles(&toy);
    assert!(found.len() == 1 && found[0].contains(&"a".to_owned()) && found[0].contains(&"c".to_owned()), "{found:?} in {toy:?}");
}

#[test]
fn grouped_imports_are_read() {
    let paths = crate_paths("use crate::stages::prune::{words, Used};\nuse crate::a::{b::{c, d}, self};\n");
    let shown: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(shown, ["stages::prune::words", "stages::prune::Used", "a::b::c", "a::b::d", "a"]);
}

/// The shared modules: below every stage.
const SHARED: &[&str] = &[
    "cache",
    "cache_control",
    "delta",
    "config",
    "diagnostics",
    "encoding",
    "env_files",
    "environ",
    "fields",
    "graph",
    "key",
    "loader",
    "log",
    "sfc",
    "mime",
    "nesting",
    "output",
    "paths",
    "report",
    "s3",
    "secrets",
    "size",
    "sourcemap",
    "urls",
];
const ABOVE: &[&str] = &["api", "stages", "pipeline", "publish", "serve", "analysis", "budget", "cli", "schema"];

#[test]
fn shared_modules_never_import_a_stage() {
    let (root, files) = src();
    let mut bad = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        let top = rel.split('/').next().unwrap().trim_end_matches(".rs");
        if !SHARED.contains(&top) {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for p in crate_paths(&text) {
            if p.first().is_some_and(|m| ABOVE.contains(&m.as_str())) {
                bad.push(format!("src/{rel} uses crate::{}", p.join("::")));
            }
        }
    }
    assert!(bad.is_empty(), "shared modules must not depend on stages:\n{}", bad.join("\n"));
}

#[test]
fn stages_use_each_other_only_through_outputs() {
    let (root, files) = src();
    let mut bad = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        let Some(stage) = rel.strip_prefix("stages/").and_then(|r| r.split('/').next()).map(|s| s.trim_end_matches(".rs")) else {
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        for p in crate_paths(&text) {
            if p.len() < 3 || p[0] != "stages" || p[1] == stage {
                continue;
            }
            // An item of the other stage's root (a type: `ScanOutput`) is its output; a
            // lowercase name is one of its steps.
            let item = &p[2];
            if !item.starts_with(|c: char| c.is_ascii_uppercase()) {
                bad.push(format!("src/{rel} uses crate::{}", p.join("::")));
            }
        }
    }
    assert!(bad.is_empty(), "a stage reached into another stage's steps:\n{}", bad.join("\n"));
}

#[test]
fn no_source_file_over_600_lines() {
    let (root, files) = src();
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).unwrap().lines().count();
            (lines > 600).then(|| format!("src/{} has {lines} lines", f.strip_prefix(&root).unwrap().display()))
        })
        .collect();
    assert!(long.is_empty(), "split these files by step:\n{}", long.join("\n"));
}

/// Functions (and methods) with a body: (name, first line, lines), by the rustfmt layout the
/// sources use: the body ends at the first `}` line with the signature's indentation.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let sig = ["pub(crate) ", "pub(super) ", "pub ", ""].iter().find_map(|v| trimmed.strip_prefix(v).and_then(|r| r.strip_prefix("fn ")));
        let (Some(sig), false) = (sig, line.trim_end().ends_with(';')) else { continue };
        let name: String = sig.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let close = format!("{indent}}}");
        if let Some(end) = lines[i..].iter().position(|l| *l == close) {
            out.push((name, i + 1, end + 1));
        }
    }
    out
}

#[test]
fn no_function_over_100_lines() {
    let (root, files) = src();
    let mut long = Vec::new();
    for f in &files {
        for (name, line, n) in functions(&std::fs::read_to_string(f).unwrap()) {
            if n > 100 {
                long.push(format!("src/{}:{line}: {name} has {n} lines", f.strip_prefix(&root).unwrap().display()));
            }
        }
    }
    assert!(long.is_empty(), "split these functions by step:\n{}", long.join("\n"));
    // The scan finds functions at all (a test that cannot fail is no test).
    assert!(functions("fn a() {\n    x();\n}\n    pub fn b(&self) {\n    }\n").len() == 2);
}

/// Whether a function signature (from `fn` to its body) crosses a module boundary (`pub` or
/// `pub(crate)`) and returns its error as a bare `String`.
fn string_error_at_boundary(signature: &str) -> bool {
    let signature: String = signature.split_whitespace().collect::<Vec<_>>().join(" ");
    let public = signature.starts_with("pub fn ") || signature.starts_with("pub(crate) fn ") || signature.starts_with("pub async fn ");
    let returns = signature.split_once(") -> ").map_or("", |(_, r)| r);
    public && returns.starts_with("Result<") && returns.trim_end_matches([' ', '{']).ends_with(", String>")
}

#[test]
fn errors_at_module_boundaries_are_typed() {
    let (root, files) = src();
    let mut bad = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            if !(trimmed.starts_with("pub") && trimmed.contains("fn ")) {
                continue;
            }
            // The signature runs to the line that opens the body (or ends the declaration).
            let end = lines[i..].iter().position(|l| l.trim_end().ends_with('{') || l.trim_end().ends_with(';')).map_or(i, |e| i + e);
            if string_error_at_boundary(&lines[i..=end].join(" ")) {
                bad.push(format!("src/{}:{}: {}", f.strip_prefix(&root).unwrap().display(), i + 1, trimmed));
            }
        }
    }
    assert!(bad.is_empty(), "give these errors a type (a thiserror enum, or the error of the crate they come from):\n{}", bad.join("\n"));
    assert!(string_error_at_boundary("pub fn parse(text: &str) -> Result<u64, String> {"));
    assert!(string_error_at_boundary("pub(crate) fn a(\n    x: u8,\n) -> Result<Vec<u8>, String> {"));
    assert!(!string_error_at_boundary("fn parse(text: &str) -> Result<u64, String> {"));
    assert!(!string_error_at_boundary("pub fn names() -> Result<Vec<String>, SizeError> {"));
}

/// The crates a Cargo.toml table lists (`[dependencies]`, …).
fn dependencies(manifest: &toml::Table, table: &str) -> Vec<String> {
    manifest.get(table).and_then(|t| t.as_table()).map(|t| t.keys().cloned().collect()).unwrap_or_default()
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    if dir.is_dir() {
        sources(dir, into);
    }
}

#[test]
fn every_dependency_is_used() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest: toml::Table = std::fs::read_to_string(root.join("Cargo.toml")).unwrap().parse().unwrap();
    let ignored: Vec<String> = manifest["package"]
        .get("metadata")
        .and_then(|m| m.get("cargo-machete"))
        .and_then(|m| m.get("ignored"))
        .and_then(|i| i.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let mut files = Vec::new();
    for dir in ["src", "tests/integration", "benches"] {
        rust_files(&root.join(dir), &mut files);
    }
    files.push(root.join("build.rs"));
    let text: String = files.iter().filter_map(|f| std::fs::read_to_string(f).ok()).collect::<Vec<_>>().join("\n");
    let named = |krate: &str| {
        let id = krate.replace('-', "_");
        text.match_indices(&id).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = &text[i + id.len()..];
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
                && (after.starts_with("::") || after.starts_with('!') || text[..i].ends_with("use ") || text[..i].ends_with("extern crate "))
        })
    };
    let mut unused = Vec::new();
    for table in ["dependencies", "dev-dependencies", "build-dependencies"] {
        for krate in dependencies(&manifest, table) {
            if !ignored.contains(&krate) && !named(&krate) {
                unused.push(format!("{table}.{krate}"));
            }
        }
    }
    assert!(unused.is_empty(), "dependencies no code uses (remove them, or list them in [package.metadata.cargo-machete] ignored with the reason): {unused:?}");
    for krate in &ignored {
        assert!(!named(krate), "{krate} is listed as unused in [package.metadata.cargo-machete] but code names it: take it off the list");
    }
}
