//! The files of an output, as the stages after fingerprinting hand them on, and what an output
//! folder says about itself. Below every stage.

use std::collections::{HashMap, HashSet};
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
    /// For a hashed script, stylesheet or WebAssembly file: how it is offered to browsers as a
    /// dictionary for its next version ([`crate::delta`]).
    pub dictionary: Option<DictionaryOffer>,
}

/// A file offered as a compression dictionary (RFC 9842): the URL pattern its next versions
/// match, and the request destination they are fetched as.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DictionaryOffer {
    /// Its output path with the hash as `*` (URL-pattern syntax, special characters escaped):
    /// `assets/main.*.js` for `assets/main.k3j2m1xa.js`.
    pub pattern: String,
    /// `script`, `style`, or none (any destination: WebAssembly is fetched).
    pub dest: Option<&'static str>,
}

impl DictionaryOffer {
    /// The offer for a hashed file at `path` whose name was made with `hash`; `None` for what
    /// is not a script, stylesheet or WebAssembly, or when the hash is not in its name.
    pub fn for_file(path: &str, hash: &str, kind: Option<AssetKind>) -> Option<DictionaryOffer> {
        let dest = match (crate::mime::essence(path), kind) {
            ("text/javascript", Some(AssetKind::Js | AssetKind::Chunk)) => Some("script"),
            ("text/css", _) => Some("style"),
            ("application/wasm", _) => None,
            _ => return None,
        };
        let (dir, name) = path.rsplit_once('/').map_or(("", path), |(d, n)| (d, n));
        let at = name.rfind(hash).filter(|_| !hash.is_empty())?;
        let escape = |s: &str| s.chars().flat_map(|c| if "\\:*(){}+?".contains(c) { vec!['\\', c] } else { vec![c] }).collect::<String>();
        let name = format!("{}*{}", escape(&name[..at]), escape(&name[at + hash.len()..]));
        let pattern = if dir.is_empty() { name } else { format!("{}/{name}", escape(dir)) };
        Some(DictionaryOffer { pattern, dest })
    }
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
            dictionary: None,
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

/// An output with its compressed twins, and its deltas against earlier versions.
#[derive(Debug, Clone)]
pub struct Compressed {
    pub file: OutputFile,
    pub gzip: Option<Vec<u8>>,
    pub brotli: Option<Vec<u8>>,
    /// Sorted by dictionary, then encoding.
    pub deltas: Vec<Delta>,
    /// For a page, when the output replaced a previous one: what a visitor who loaded the
    /// previous version downloads to load this one.
    pub returning: Option<Returning>,
}

impl Compressed {
    pub fn uncompressed(file: OutputFile) -> Self {
        Compressed { file, gzip: None, brotli: None, deltas: Vec::new(), returning: None }
    }

    /// The bytes a browser downloads for this file without a delta: its Brotli twin, else its
    /// gzip twin, else the file.
    pub fn twin_size(&self) -> u64 {
        self.brotli.as_ref().or(self.gzip.as_ref()).map_or(self.file.bytes.len(), Vec::len) as u64
    }
}

/// What a returning visitor downloads to load a page at start, who loaded the previous deploy's
/// version of it: nothing for what is unchanged (cached, or a page revalidated), for a changed
/// file its smallest delta against the version the previous deploy had (`deltas`) or its
/// twin (`twins`: the same visitor without delta support).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Returning {
    pub deltas: u64,
    pub twins: u64,
}

impl Returning {
    /// Counts a changed file: its twin, or its smallest usable delta when smaller.
    pub fn add_changed(&mut self, twin: u64, delta: Option<u64>) {
        self.twins += twin;
        self.deltas += delta.map_or(twin, |d| d.min(twin));
    }
}

/// A file compressed against an earlier version of itself (RFC 9842), sent to a client that
/// holds that version as a dictionary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    pub encoding: crate::config::DeltaEncoding,
    /// The SHA-256 of the dictionary: what `Available-Dictionary` names.
    pub dictionary: [u8; 32],
    /// The output path the dictionary had.
    pub from: String,
    pub bytes: Vec<u8>,
}

impl Delta {
    /// Where the delta of the output `file` is written: beside it, named by the dictionary's
    /// hash (base64url, so an edge function finds it from the `Available-Dictionary` header by
    /// swapping two characters) and the encoding.
    pub fn path(file: &str, dictionary: &[u8; 32], encoding: crate::config::DeltaEncoding) -> String {
        use base64::Engine;
        format!("{file}.{}.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(dictionary), encoding.token())
    }
}

/// What a server needs to know about an output folder, from its build manifest: the hashed
/// files, the dictionaries offered and the deltas made.
#[derive(Debug, Default, Clone)]
pub struct ServedIndex {
    /// Output paths of the files named by their hash (`file` of every non-page entry).
    pub hashed: HashSet<String>,
    /// The `Use-As-Dictionary` value of each file offered as a dictionary.
    pub dictionaries: HashMap<String, String>,
    /// Each file's deltas.
    pub deltas: HashMap<String, Vec<ServedDelta>>,
    /// The output paths of every delta (not served at their own URLs).
    pub delta_files: HashSet<String>,
}

/// A delta of a file, as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedDelta {
    /// The SHA-256 of the dictionary it needs.
    pub dictionary: [u8; 32],
    pub encoding: crate::config::DeltaEncoding,
    /// Its output path.
    pub file: String,
    pub size: u64,
    /// The output path the dictionary had.
    pub from: String,
}

/// The index of the output folder `dir`, from its build manifest (empty without one).
pub fn served_index(dir: &Path, manifest_name: &str) -> ServedIndex {
    let mut index = ServedIndex::default();
    let Ok(text) = std::fs::read_to_string(dir.join(manifest_name)) else { return index };
    let Ok(serde_json::Value::Object(entries)) = serde_json::from_str(&text) else { return index };
    for e in entries.values() {
        let Some(file) = e.get("file").and_then(|f| f.as_str()) else { continue };
        if crate::mime::essence(file) == "text/html" {
            continue;
        }
        index.hashed.insert(file.to_owned());
        if let Some(header) = e.pointer("/dictionary/useAsDictionary").and_then(|v| v.as_str()) {
            index.dictionaries.insert(file.to_owned(), header.to_owned());
        }
        let deltas: Vec<ServedDelta> = e
            .get("deltas")
            .and_then(|d| d.as_array())
            .into_iter()
            .flatten()
            .filter_map(|d| {
                let dictionary = base64::engine::general_purpose::STANDARD.decode(d.get("dictionary")?.as_str()?).ok()?.try_into().ok()?;
                let encoding = crate::config::DeltaEncoding::from_token(d.get("encoding")?.as_str()?)?;
                let text = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_owned);
                Some(ServedDelta { dictionary, encoding, file: text("file")?, size: d.get("size")?.as_u64()?, from: text("from")? })
            })
            .collect();
        index.delta_files.extend(deltas.iter().map(|d| d.file.clone()));
        if !deltas.is_empty() {
            index.deltas.insert(file.to_owned(), deltas);
        }
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_stylesheets_and_wasm_are_offered_under_their_name_with_the_hash_as_a_wildcard() {
        let offer = |path: &str, hash: &str, kind| DictionaryOffer::for_file(path, hash, Some(kind)).map(|o| (o.pattern, o.dest));
        assert_eq!(offer("assets/main.k3j2m1xa.js", "k3j2m1xa", AssetKind::Chunk), Some(("assets/main.*.js".into(), Some("script"))));
        assert_eq!(offer("assets/site.abcd.css", "abcd", AssetKind::Css), Some(("assets/site.*.css".into(), Some("style"))));
        assert_eq!(offer("m-abcd.wasm", "abcd", AssetKind::Raw), Some(("m-*.wasm".into(), None)));
        // URL-pattern syntax is escaped.
        assert_eq!(offer("assets/a(1)+b.abcd.js", "abcd", AssetKind::Js), Some((r"assets/a\(1\)\+b.*.js".into(), Some("script"))));
        assert_eq!(offer("assets/logo.abcd.png", "abcd", AssetKind::Raw), None);
        assert_eq!(offer("assets/main.abcd.js", "", AssetKind::Chunk), None);
    }
}
