//! Fixture-folder cases: each folder under `tests/cases/` is built with `kiln build CASE --out
//! TMP`; the snapshot holds every output file under a `---------- path ----------` header
//! (text in full, binary as size and hash), or, for a failing case, the exit code and the
//! messages.

use std::path::Path;

use crate::common::{kiln, read_tree, repo};

fn render_case(case: &Path) -> String {
    let out = tempfile::tempdir().unwrap();
    let output = kiln().arg("build").arg(case).arg("--out").arg(out.path()).arg("--quiet").output().unwrap();
    let code = output.status.code().unwrap_or(-1);
    if code != 0 {
        let root = case.canonicalize().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).replace(&root.display().to_string(), "[ROOT]");
        assert!(!out.path().join("manifest.json").exists(), "a failed build wrote output");
        return format!("exit code: {code}\n\n{stderr}");
    }
    let tree = read_tree(out.path());
    let mut text = String::new();
    for (path, bytes) in &tree {
        if path.ends_with(".gz") || path.ends_with(".br") {
            continue;
        }
        let twins: Vec<&str> = ["gz", "br"].into_iter().filter(|t| tree.contains_key(&format!("{path}.{t}"))).collect();
        let twins = if twins.is_empty() { String::new() } else { format!(" (+ {})", twins.join(", ")) };
        text.push_str(&format!("---------- {path}{twins} ----------\n"));
        if path.ends_with(".map") {
            text.push_str(&summarize_map(bytes, case));
            continue;
        }
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                text.push_str(s);
                if !s.ends_with('\n') {
                    text.push('\n');
                }
            }
            Err(_) => text.push_str(&format!("({} bytes, blake3 {})\n", bytes.len(), &blake3::hash(bytes).to_hex()[..16])),
        }
    }
    text
}

/// A source map, with `sources` made relative to the case folder (the map's own paths depend
/// on where the temporary output folder is).
fn summarize_map(bytes: &[u8], case: &Path) -> String {
    let map: serde_json::Value = serde_json::from_slice(bytes).expect("a JSON source map");
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let sources: Vec<String> = map["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().split(&format!("{name}/")).last().unwrap().to_owned())
        .collect();
    let mappings = map["mappings"].as_str().unwrap();
    format!(
        "file: {}\nsources: {sources:?}\nsourcesContent: {} present\nmappings: {} segments\n",
        map["file"],
        map["sourcesContent"].as_array().unwrap().iter().filter(|c| c.is_string()).count(),
        mappings.split([',', ';']).filter(|s| !s.is_empty()).count()
    )
}

/// Every case folder gets a snapshot named after it.
#[test]
fn fixture_cases() {
    let cases_dir = repo().join("tests/cases");
    let mut cases: Vec<_> = std::fs::read_dir(&cases_dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    cases.sort();
    assert!(cases.len() >= 5, "expected the fixture cases under {}", cases_dir.display());
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo().join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for case in cases {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            insta::assert_snapshot!(name, render_case(&case));
        }
    });
}
