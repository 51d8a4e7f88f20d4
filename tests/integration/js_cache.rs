//! The JS stage's per-module cache (minified and printed modules): a rebuild takes unchanged
//! modules from the cache and writes exactly what a build without any cache writes, on every
//! fixture, and after an edit re-minifies and prints again only what changed.

use std::path::Path;

use crate::common::{kiln, read_tree, repo};

/// Builds `root` into `out` with the cache in `cache` (`None`: `--no-cache`); the report.
fn build(root: &Path, out: &Path, cache: Option<&Path>, extra: &[&str]) -> serde_json::Value {
    let mut cmd = kiln();
    // Every module taken from the cache is also printed again, and must print the same.
    cmd.env("KILN_CHECK_CACHE", "1");
    cmd.arg("build").arg(root).arg("--out").arg(out).args(["--quiet", "--json", "-", "--sourcemap", "--no-budgets"]).args(extra);
    match cache {
        Some(dir) => {
            let config = dir.with_extension("toml");
            let own = std::fs::read_to_string(root.join("kiln.toml")).unwrap_or_default();
            std::fs::write(&config, format!("cache_dir = {:?}\n{own}", dir.display().to_string())).unwrap();
            cmd.arg("--config").arg(config);
        }
        None => {
            cmd.arg("--no-cache");
        }
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}: {}", root.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A copy of a project (its installed packages included, which `copy_dir` leaves out where
/// they have `dist` folders); not its own output or cache.
fn project(rel: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = repo().join(rel);
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(&from).unwrap();
        if rel.components().next().is_some_and(|c| c.as_os_str() == "dist" || c.as_os_str() == ".kiln-cache") {
            continue;
        }
        let dest = dir.path().join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
    dir
}

#[test]
fn cached_modules_build_what_a_cold_build_does_on_every_fixture() {
    for rel in ["fixtures/site", "fixtures/app", "fixtures/pages", "tests/cases/js-minified", "tests/cases/sri-and-names"] {
        let src = project(rel);
        let work = tempfile::tempdir().unwrap();
        let cache = work.path().join("cache");
        build(src.path(), &work.path().join("cold"), None, &[]);
        let first = build(src.path(), &work.path().join("warm1"), Some(&cache), &[]);
        let second = build(src.path(), &work.path().join("warm2"), Some(&cache), &["--jobs", "1"]);
        let cold = read_tree(&work.path().join("cold"));
        assert_eq!(cold, read_tree(&work.path().join("warm1")), "{rel}: the first build with a cache differs from a build without");
        assert_eq!(cold, read_tree(&work.path().join("warm2")), "{rel}: the rebuild from the cache differs from a build without");
        assert!(first["cache"]["misses"].as_u64().unwrap() > 0, "{rel}: {first}");
        assert_eq!(second["cache"]["misses"], 0, "{rel}: every module and twin should come from the cache: {second}");
    }
}

#[test]
fn after_an_edit_only_the_changed_module_is_minified_again() {
    let src = project("fixtures/app");
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    build(src.path(), &work.path().join("warm"), Some(&cache), &[]);
    let price = src.path().join("src/price.ts");
    let text = std::fs::read_to_string(&price).unwrap();
    std::fs::write(&price, format!("{text}\nexport const edited = 'edited';\nconsole.log(edited);\n")).unwrap();
    let report = build(src.path(), &work.path().join("edited"), Some(&cache), &[]);
    build(src.path(), &work.path().join("cold"), None, &[]);
    assert_eq!(read_tree(&work.path().join("cold")), read_tree(&work.path().join("edited")), "the rebuild after an edit differs from a cold build");
    let out = read_tree(&work.path().join("edited"));
    assert!(out.iter().any(|(p, b)| p.ends_with(".js") && String::from_utf8_lossy(b).contains("edited")), "the edit is not in the output");
    // The edited module, and the twins of what changed, were made again; the rest came
    // from the cache.
    let misses = report["cache"]["misses"].as_u64().unwrap();
    let hits = report["cache"]["hits"].as_u64().unwrap();
    assert!(misses >= 1 && hits > misses, "{report}");
}
