//! The files of an output, as the stages after fingerprinting hand them on, and what an output
//! folder says about itself. Below every stage.

use std::collections::HashSet;
use std::path::Path;

use base64::Engine;
use sha2::{Digest, Sha384};

use crate::graph::AssetKind;

/// Where an output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Asset(AssetKind),
    Public,
    /// The build manifest kiln writes.
    Manifest,
    /// The source map of a bundle.
    SourceMap,
}

/// One file of the output, before compression.
#[derive(Debug, Clone)]
pub struct OutputFile {
    /// Path inside out_dir, `/`-separated.
    pub path: String,
    /// The source path (root-relative) it was built from; `None` for the manifest.
    pub src: Option<String>,
    pub origin: Origin,
    /// Named by content hash (and so cacheable for a year).
    pub hashed: bool,
    pub is_entry: bool,
    pub bytes: Vec<u8>,
    /// blake3 of `bytes`, hex.
    pub hash: String,
    /// `sha384-…` of `bytes`.
    pub integrity: String,
    /// Output paths of the files this one refers to, with their kinds, sorted (for a chunk:
    /// its CSS and the chunks it imports statically; not what it loads with `import()`).
    pub imports: Vec<(String, Option<AssetKind>)>,
    /// Output paths of the chunks it loads with `import()`, sorted.
    pub dynamic_imports: Vec<String>,
    /// For bundles: the modules in it.
    pub modules: Vec<crate::graph::ModuleInfo>,
}

pub fn integrity(bytes: &[u8]) -> String {
    format!("sha384-{}", base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes)))
}

impl OutputFile {
    /// A file at `path` with these bytes, its hash and integrity computed, referring to nothing.
    pub fn new(path: String, src: Option<String>, origin: Origin, hashed: bool, bytes: Vec<u8>) -> OutputFile {
        OutputFile {
            hash: blake3::hash(&bytes).to_hex().to_string(),
            integrity: integrity(&bytes),
            path,
            src,
            origin,
            hashed,
            is_entry: false,
            bytes,
            imports: Vec::new(),
            dynamic_imports: Vec::new(),
            modules: Vec::new(),
        }
    }
}

/// An output with its compressed twins.
#[derive(Debug, Clone)]
pub struct Compressed {
    pub file: OutputFile,
    pub gzip: Option<Vec<u8>>,
    pub brotli: Option<Vec<u8>>,
}

impl Compressed {
    pub fn uncompressed(file: OutputFile) -> Self {
        Compressed { file, gzip: None, brotli: None }
    }
}

/// The hashed files of an output folder, from its build manifest (`file` of every non-page
/// entry).
pub fn hashed_files(dir: &Path, manifest_name: &str) -> HashSet<String> {
    let Ok(text) = std::fs::read_to_string(dir.join(manifest_name)) else { return HashSet::new() };
    let Ok(serde_json::Value::Object(entries)) = serde_json::from_str(&text) else { return HashSet::new() };
    entries
        .values()
        .filter_map(|e| e.get("file")?.as_str().map(str::to_owned))
        .filter(|f| crate::mime::essence(f) != "text/html")
        .collect()
}
