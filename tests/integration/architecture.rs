//! The shape rules of docs/architecture.md, checked on the source tree:
//! - arrows point down: the shared modules below the stages (config, graph, output files,
//!   diagnostics, paths, the loaders…) never import a stage, the pipeline, publish or the
//!   preview server;
//! - a stage uses another stage only through its output types (`crate::stages::scan::ScanOutput`),
//!   never its steps (`crate::stages::scan::walk`);
//! - no source file is over 600 lines, no function over 100;
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

/// Every `crate::a::b::c` path written in the file (comments included: a doc link up is as
/// much a dependency as an import).
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        out.push(path.split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect());
    }
    out
}

/// The shared modules: below every stage.
const SHARED: &[&str] = &[
    "cache",
    "cache_control",
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
