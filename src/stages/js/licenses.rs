//! The third-party licence file (`js.license_file`): every package whose code is in the
//! output's bundles, with its version, the licence its package.json names and the text of its
//! licence file, in Markdown or JSON. Bundling copies a package's code, and licences such as
//! MIT and BSD ask that their notice travels with it (Vite 8.1's `build.license` does the same).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::graph::{Asset, AssetKey, AssetKind, Refs};

use crate::stages::js::options::BundleOptions;
use crate::stages::js::types::Chunk;

/// A package found in the output.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
struct Package {
    name: String,
    version: String,
    /// The package.json's `license` (or its old `licenses` list), "UNKNOWN" without one.
    license: String,
    /// The text of its LICENSE (LICENCE, COPYING…) file, if it has one.
    text: Option<String>,
}

/// The licence file's asset, at its fixed path, if one is asked for.
pub fn asset(options: &BundleOptions, chunks: &[Chunk]) -> Option<Asset> {
    let path = options.js.license_file.as_ref()?;
    let mut dirs: BTreeMap<PathBuf, ()> = BTreeMap::new();
    for chunk in chunks {
        for m in &chunk.modules {
            let abs = crate::config::source_path(&options.loader.root, &m.path);
            if let Some(dir) = package_dir(&abs) {
                dirs.insert(dir, ());
            }
        }
    }
    let mut packages: Vec<Package> = dirs.keys().filter_map(|d| package(d)).collect();
    packages.sort();
    packages.dedup();
    let content = if path.ends_with(".json") {
        let mut text = serde_json::to_string_pretty(&packages).expect("plain data serialises");
        text.push('\n');
        text
    } else {
        markdown(&packages)
    };
    Some(Asset {
        src: AssetKey::Query { path: path.clone(), query: "licenses".into() },
        kind: AssetKind::Raw,
        is_entry: false,
        content: content.into_bytes(),
        refs: Refs::default(),
        chunk: None,
        css_keep: Vec::new(),
        fixed_path: Some(path.clone()),
    })
}

/// The folder of the package a file belongs to: the one after the last `node_modules` (two
/// levels for a scoped name).
fn package_dir(file: &Path) -> Option<PathBuf> {
    let parts: Vec<_> = file.components().collect();
    let at = parts.iter().rposition(|c| c.as_os_str() == "node_modules")?;
    let first = parts.get(at + 1)?.as_os_str().to_str()?;
    let take = if first.starts_with('@') { at + 3 } else { at + 2 };
    if take >= parts.len() {
        return None;
    }
    Some(parts[..take].iter().collect())
}

fn package(dir: &Path) -> Option<Package> {
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).ok()?).ok()?;
    let name = json["name"].as_str()?.to_owned();
    let version = json["version"].as_str().unwrap_or("").to_owned();
    let license = match (&json["license"], &json["licenses"]) {
        (serde_json::Value::String(s), _) => s.clone(),
        (serde_json::Value::Object(o), _) => o.get("type").and_then(|t| t.as_str()).unwrap_or("UNKNOWN").to_owned(),
        (_, serde_json::Value::Array(list)) => {
            let types: Vec<&str> = list.iter().filter_map(|l| l["type"].as_str()).collect();
            if types.is_empty() {
                "UNKNOWN".to_owned()
            } else {
                format!("({})", types.join(" OR "))
            }
        }
        _ => "UNKNOWN".to_owned(),
    };
    Some(Package { name, version, license, text: license_text(dir) })
}

/// The package's licence file: the first, by name, of LICENSE, LICENCE, COPYING (any case, with
/// or without an extension such as .md or .txt).
fn license_text(dir: &Path) -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            let stem = n.split('.').next().unwrap_or("").to_ascii_lowercase();
            matches!(stem.as_str(), "license" | "licence" | "copying" | "license-mit")
        })
        .collect();
    names.sort();
    let text = std::fs::read_to_string(dir.join(names.first()?)).ok()?;
    Some(text.trim_end().replace("\r\n", "\n"))
}

fn markdown(packages: &[Package]) -> String {
    let mut out = String::from("# Third-party licences\n\nThe bundles of this build hold code of these packages.\n");
    for p in packages {
        out.push_str(&format!("\n## {} {} ({})\n\n", p.name, p.version, p.license));
        match &p.text {
            Some(text) => {
                // Indented, so that nothing in the text reads as Markdown.
                for line in text.lines() {
                    if line.is_empty() {
                        out.push('\n');
                    } else {
                        out.push_str("    ");
                        out.push_str(line);
                        out.push('\n');
                    }
                }
            }
            None => out.push_str("(the package has no licence file)\n"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::stages::js::licenses::*;

    #[test]
    fn the_package_of_a_file() {
        assert_eq!(package_dir(Path::new("/a/node_modules/x/lib/i.js")), Some(PathBuf::from("/a/node_modules/x")));
        assert_eq!(package_dir(Path::new("/a/node_modules/@s/x/i.js")), Some(PathBuf::from("/a/node_modules/@s/x")));
        assert_eq!(package_dir(Path::new("/a/node_modules/x/node_modules/y/i.js")), Some(PathBuf::from("/a/node_modules/x/node_modules/y")));
        assert_eq!(package_dir(Path::new("/a/src/i.js")), None);
    }
}
