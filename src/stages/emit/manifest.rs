//! `manifest.json`, in Vite's shape so back-end integrations can read it, plus kiln's sizes,
//! hashes and integrity values.
//!
//! Keys are source paths relative to the root. `file` is the output path; `css` and `assets`
//! list output paths of the stylesheets and other files an entry refers to; `imports` lists the
//! keys of the chunks it imports statically, `dynamicImports` those it loads with `import()`.

use std::collections::BTreeMap;

use base64::Engine;
use serde::Serialize;

use crate::diagnostics::{BuildError, Diagnostic};
use crate::graph::AssetKind;
use crate::output::{Compressed, Origin, OutputFile};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub file: String,
    pub src: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_entry: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub css: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dynamic_imports: Vec<String>,
    pub size: u64,
    pub gzip: Option<u64>,
    pub brotli: Option<u64>,
    pub hash: String,
    pub integrity: String,
    /// How the file is offered as a compression dictionary for its next version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dictionary: Option<Dictionary>,
    /// The file compressed against earlier versions of it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deltas: Vec<DeltaEntry>,
}

/// A dictionary offer: the pattern (an output path) and destination its next versions match,
/// and the `Use-As-Dictionary` header that says so.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dictionary {
    pub pattern: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dest: Option<&'static str>,
    pub use_as_dictionary: String,
}

/// A delta: the dictionary it needs (base64 SHA-256, as `Available-Dictionary` names it),
/// the file that dictionary was, its encoding, and where and how large it is.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeltaEntry {
    pub dictionary: String,
    pub from: String,
    pub encoding: &'static str,
    pub file: String,
    pub size: u64,
}

/// Makes the integrity of each file the manifest lists, on every core (each is made once, when
/// first asked for: the write stage does it while the twins are made).
pub fn hash_listed<'a>(files: impl Iterator<Item = &'a OutputFile>) {
    use rayon::prelude::*;
    let listed: Vec<&OutputFile> = files.filter(|f| matches!(f.origin, Origin::Asset(_))).collect();
    listed.par_iter().for_each(|f| {
        f.integrity();
    });
}

/// The manifest's bytes; public files are not listed (they keep their names). `base` is kiln's
/// `base`, for the `Use-As-Dictionary` values.
pub fn build(files: &[Compressed], base: &str) -> Vec<u8> {
    hash_listed(files.iter().map(|c| &c.file));
    let by_path: BTreeMap<&str, &Compressed> = files.iter().map(|c| (c.file.path.as_str(), c)).collect();
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for c in files {
        let f = &c.file;
        let (Origin::Asset(_), Some(src)) = (f.origin, &f.src) else { continue };
        let (mut css, mut assets, mut imports) = (Vec::new(), Vec::new(), Vec::new());
        for (path, kind) in &f.imports {
            match kind {
                Some(AssetKind::Css) => css.push(path.clone()),
                Some(AssetKind::Js | AssetKind::Chunk) => {
                    if let Some(src) = by_path.get(path.as_str()).and_then(|t| t.file.src.clone()) {
                        imports.push(src);
                    }
                }
                _ => assets.push(path.clone()),
            }
        }
        entries.insert(
            src.clone(),
            Entry {
                file: f.path.clone(),
                src: src.clone(),
                is_entry: f.is_entry,
                css,
                assets,
                imports,
                dynamic_imports: f.dynamic_imports.iter().filter_map(|p| by_path.get(p.as_str()).and_then(|t| t.file.src.clone())).collect(),
                size: f.bytes.len() as u64,
                gzip: c.gzip.as_ref().map(|z| z.len() as u64),
                brotli: c.brotli.as_ref().map(|z| z.len() as u64),
                hash: f.hash.clone(),
                integrity: f.integrity().to_owned(),
                dictionary: f.dictionary.as_ref().map(|d| Dictionary {
                    pattern: d.pattern.clone(),
                    dest: d.dest,
                    use_as_dictionary: crate::delta::use_as_dictionary(base, &d.pattern, d.dest),
                }),
                deltas: c
                    .deltas
                    .iter()
                    .map(|d| DeltaEntry {
                        dictionary: base64::engine::general_purpose::STANDARD.encode(d.dictionary),
                        from: d.from.clone(),
                        encoding: d.encoding.token(),
                        file: crate::output::Delta::path(&f.path, &d.dictionary, d.encoding),
                        size: d.bytes.len() as u64,
                    })
                    .collect(),
            },
        );
    }
    let mut out = serde_json::to_vec_pretty(&entries).expect("a map of strings serializes");
    out.push(b'\n');
    out
}

/// The manifest as an output file named `name`, beside the files it lists.
pub fn file(name: &str, files: &[Compressed], base: &str) -> Result<Compressed, BuildError> {
    if files.iter().any(|c| c.file.path == *name) {
        return Err(BuildError::one(
            Diagnostic::error(format!("the build manifest would overwrite the output file {name}"))
                .with_note("rename that file, or set `manifest` in kiln.toml to another name (or false)"),
        ));
    }
    let bytes = build(files, base);
    let file = OutputFile::new(name.to_owned(), None, Origin::Manifest, false, bytes);
    // No twins: the manifest is read by back ends and deploy tools, not browsers, and Brotli 11
    // over a large one would take longer than the rest of the build.
    Ok(Compressed::uncompressed(file))
}
