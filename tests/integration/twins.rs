//! Twins of large files: built in content-defined segments, read by node's decoders (zlib and
//! Google's Brotli), and the same bytes after an edit whether rebuilt from the cache or cold,
//! on one thread or several.

use std::path::Path;

use crate::common::{copy_dir, kiln, read_tree, repo};

/// A project whose bundle and map are over a megabyte: React DOM's development build (CJS,
/// unminified) between two small local modules.
fn project(dir: &Path, b: &str) {
    for package in ["react", "react-dom", "scheduler"] {
        let to = dir.join("node_modules").join(package);
        if !to.exists() {
            copy_dir(&repo().join("tests/corpus/node_modules").join(package), &to);
        }
    }
    std::fs::write(dir.join("a.js"), "export const a = 'first local module';\n").unwrap();
    std::fs::write(dir.join("b.js"), b).unwrap();
    std::fs::write(
        dir.join("entry.js"),
        "import { a } from './a.js';\nimport * as client from './node_modules/react-dom/cjs/react-dom-client.development.js';\nimport { b } from './b.js';\nexport { a, b, client };\n",
    )
    .unwrap();
}

fn build(dir: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let report = out.with_extension("json");
    let result = kiln()
        .arg("build")
        .arg(dir)
        .args(["--entry", "entry.js", "--sourcemap", "--no-minify", "--quiet", "--out"])
        .arg(out)
        .arg("--json")
        .arg(&report)
        .args(extra)
        .output()
        .unwrap();
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap()
}

#[test]
fn large_twins_are_built_in_segments_and_rebuilt_byte_identically() {
    let dir = tempfile::tempdir().unwrap();
    let outs = tempfile::tempdir().unwrap();
    project(dir.path(), "export const b = 'second local module';\n");
    let cold_report = build(dir.path(), &outs.path().join("first"), &[]);
    let first = read_tree(&outs.path().join("first"));
    let big: Vec<&String> = first.iter().filter(|(p, bytes)| (p.ends_with(".js") || p.ends_with(".map")) && bytes.len() > 1 << 20).map(|(p, _)| p).collect();
    assert_eq!(big.len(), 2, "the bundle and its map are over 1 MiB: {:?}", first.keys().collect::<Vec<_>>());

    // By default a source map gets no twins; the bundle's twins are read by node.
    let map = big.iter().find(|p| p.ends_with(".map")).unwrap();
    assert!(!first.contains_key(&format!("{map}.br")) && !first.contains_key(&format!("{map}.gz")), "no twins for the map by default");
    let bundle = big.iter().find(|p| p.ends_with(".js")).unwrap();
    decoded_by_node(&outs.path().join("first"), bundle);

    // An edit near the end of the bundle: the rebuild takes the segments before it from the
    // cache, and writes what a cold build of the edited project writes.
    // With `compress.source_maps`, the map gets segmented twins as well.
    project(dir.path(), "export const b = 'second local module, edited';\n");
    std::fs::write(dir.path().join("kiln.toml"), "[compress]\nsource_maps = true\n").unwrap();
    let rebuilt = build(dir.path(), &outs.path().join("rebuilt"), &[]);
    // The cold build on one thread: segments are cut by content, never by thread count.
    build(dir.path(), &outs.path().join("cold"), &["--no-cache", "--jobs", "1"]);
    let (rebuilt_tree, cold) = (read_tree(&outs.path().join("rebuilt")), read_tree(&outs.path().join("cold")));
    assert_eq!(rebuilt_tree.keys().collect::<Vec<_>>(), cold.keys().collect::<Vec<_>>());
    for (path, bytes) in &cold {
        assert!(rebuilt_tree[path] == *bytes, "{path} differs between the rebuild and a cold build");
    }
    assert_ne!(rebuilt_tree, first, "the edit changed the output");
    let map = rebuilt_tree.keys().find(|p| p.ends_with(".map")).unwrap();
    assert!(rebuilt_tree[map].len() > 1 << 20);
    decoded_by_node(&outs.path().join("rebuilt"), map);
    // The bundle's segments before the edit come from the first build's cache.
    let count = |report: &serde_json::Value, what: &str| report["cache"][what].as_u64().unwrap();
    let (hits, made) = (count(&rebuilt, "hits"), count(&cold_report, "misses"));
    assert!(hits > 0 && hits < made, "segments come from the cache: {hits} hits, against {made} made by the first build");
}

/// Node's decoders (zlib, Google's Brotli) read both twins of `path` back to the file.
fn decoded_by_node(out: &Path, path: &str) {
    for (twin, decode) in [("br", "brotliDecompressSync"), ("gz", "gunzipSync")] {
        let file = out.join(format!("{path}.{twin}"));
        let original = out.join(path);
        let script = format!(
            "const zlib = require('zlib'), fs = require('fs');
             const back = zlib.{decode}(fs.readFileSync({file:?}));
             if (!back.equals(fs.readFileSync({original:?}))) {{ console.error('differs'); process.exit(1); }}"
        );
        let out = std::process::Command::new("node").args(["-e", &script]).output().expect("node runs");
        assert!(out.status.success(), "{path}.{twin}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
