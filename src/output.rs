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
    /// A file kiln writes for the server or the browser: `_headers`, `sw.js`.
    Generated,
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
    /// `sha384-…` of `bytes`, made when first asked for ([`OutputFile::integrity`]): most
    /// files' (a source map's) never are, and a big one costs tens of milliseconds.
    integrity: std::sync::OnceLock<String>,
    /// Output paths of the files this one refers to, with their kinds, sorted (for a chunk:
    /// its CSS and the chunks it imports statically; not what it loads with `import()`).
    pub imports: Vec<(String, Option<AssetKind>)>,
    /// Output paths of the chunks it loads with `import()`, sorted.
    pub dynamic_imports: Vec<String>,
    /// For bundles: the modules in it.
    pub modules: Vec<crate::graph::ModuleInfo>,
}

/// The blake3 of an output's bytes, in hex; a big file's on every core.
fn digest(bytes: &[u8]) -> String {
    let hash = if bytes.len() >= 1 << 20 { blake3::Hasher::new().update_rayon(bytes).finalize() } else { blake3::hash(bytes) };
    hash.to_hex().to_string()
}

pub fn integrity(bytes: &[u8]) -> String {
    format!("sha384-{}", base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes)))
}

impl OutputFile {
    /// A file at `path` with these bytes and their hash, referring to nothing.
    pub fn new(path: String, src: Option<String>, origin: Origin, hashed: bool, bytes: Vec<u8>) -> OutputFile {
        OutputFile {
            hash: digest(&bytes),
            integrity: std::sync::OnceLock::new(),
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

    /// `sha384-…` of the bytes (for `integrity` attributes and the manifest).
    pub fn integrity(&self) -> &str {
        self.integrity.get_or_init(|| integrity(&self.bytes))
    }

    /// New bytes for the file, with their hash (its path stays).
    pub fn set_bytes(&mut self, bytes: Vec<u8>) {
        self.hash = digest(&bytes);
        self.integrity = std::sync::OnceLock::new();
        self.bytes = bytes;
    }
}

/// What a page fetches at start (the page, its stylesheets, its scripts and what they import
/// statically, fonts it or its CSS refers to) and what `import()` may load later (lazy chunks,
/// with what they import and link); output paths, sorted.
pub fn page_load(page: &OutputFile, by_path: &std::collections::BTreeMap<&str, &OutputFile>) -> (Vec<String>, Vec<String>) {
    let mut initial = vec![page.path.clone()];
    let mut stack: Vec<&OutputFile> = vec![page];
    while let Some(f) = stack.pop() {
        for (path, kind) in &f.imports {
            let starts = matches!(kind, Some(AssetKind::Css | AssetKind::Js | AssetKind::Chunk)) || crate::mime::group(path) == "font";
            if starts && !initial.contains(path) {
                initial.push(path.clone());
                if let Some(next) = by_path.get(path.as_str()) {
                    stack.push(next);
                }
            }
        }
    }
    let mut lazy: Vec<String> = Vec::new();
    let mut stack: Vec<&str> = initial.iter().filter_map(|p| by_path.get(p.as_str())).flat_map(|f| f.dynamic_imports.iter().map(String::as_str)).collect();
    while let Some(path) = stack.pop() {
        if initial.iter().any(|p| p == path) || lazy.iter().any(|p| p == path) {
            continue;
        }
        lazy.push(path.to_owned());
        if let Some(f) = by_path.get(path) {
            stack.extend(f.dynamic_imports.iter().map(String::as_str));
            for (p, kind) in &f.imports {
                if matches!(kind, Some(AssetKind::Css | AssetKind::Js | AssetKind::Chunk)) {
                    stack.push(p);
                }
            }
        }
    }
    initial.sort();
    lazy.sort();
    (initial, lazy)
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
    entries.values().filter_map(|e| e.get("file")?.as_str().map(str::to_owned)).filter(|f| crate::mime::essence(f) != "text/html").collect()
}
