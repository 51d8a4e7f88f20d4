//! The asset graph handed from the scan stage to fingerprinting and emit.
//!
//! A loaded asset's `content` is final except for its references to other assets: each is a
//! fixed-width placeholder (`__kiln_u000003__`) that indexes the asset's own `refs` list. The
//! fingerprint stage replaces them once the referenced files have their hashed names. Indexing
//! the asset's own list, rather than a global id, lets loaders run in parallel with no shared
//! numbering, so the output cannot depend on which thread loaded what first.

use std::collections::BTreeMap;

pub use crate::key::AssetKey;

/// How a file is loaded; decided by extension and by the tag that referenced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssetKind {
    /// A page: keeps its name, is the root of the graph.
    Html,
    /// A stylesheet: `@import`s bundled, `url()`s rewritten, minified.
    Css,
    /// A web app manifest: its icons rewritten.
    WebManifest,
    /// A classic script, hashed as it is.
    Js,
    /// A bundle made by the JS stage from a module script or a configured entry.
    Chunk,
    /// Anything else, hashed as it is.
    Raw,
}

impl AssetKind {
    /// The loader for a referenced file, from its extension (`rel=manifest` links pass
    /// `WebManifest` as the hint).
    pub fn for_path(path: &str, hint: Option<AssetKind>) -> AssetKind {
        if hint == Some(AssetKind::Chunk) {
            return AssetKind::Chunk;
        }
        let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        match ext.as_str() {
            "html" | "htm" => AssetKind::Html,
            "css" => AssetKind::Css,
            "webmanifest" => AssetKind::WebManifest,
            "js" | "mjs" | "cjs" => AssetKind::Js,
            "json" if hint == Some(AssetKind::WebManifest) => AssetKind::WebManifest,
            _ => AssetKind::Raw,
        }
    }
}

/// What a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum RefUse {
    /// The target's URL as seen from the referrer.
    Url,
    /// The target's `sha384-…` integrity value.
    Integrity,
    /// A chunk a chunk imports statically: a `./`-relative URL (or, with `hash_cascade =
    /// "importmap"`, the target's stable name).
    Import,
    /// A chunk loaded by `import()`: written like [`RefUse::Import`], not part of the
    /// referrer's start-up load.
    DynamicImport,
    /// A file the lazy loader fetches before a dynamic chunk runs (its CSS, its imports):
    /// written like [`RefUse::Import`], not a dependency of the referrer.
    Preload,
}

impl RefUse {
    /// Written as a module specifier rather than a URL under `base`.
    pub fn is_module_specifier(self) -> bool {
        matches!(self, RefUse::Import | RefUse::DynamicImport | RefUse::Preload)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ref {
    /// The target asset (a file of the public folder, when `public`).
    pub target: AssetKey,
    pub kind: AssetKind,
    pub use_: RefUse,
    /// The target is a file of the public folder (`target` is its path there), not an asset.
    pub public: bool,
}

/// The references of one asset, numbered in order of first appearance.
#[derive(Debug, Default, Clone)]
pub struct Refs(pub Vec<Ref>);

/// The file every output folder carries, so that a later build never walks an earlier output
/// as sources (wherever it was written) and publish never uploads it.
pub const OUTPUT_MARKER: &str = ".kiln-output";

pub const PLACEHOLDER_PREFIX: &[u8] = b"__kiln_";
pub const PLACEHOLDER_LEN: usize = 16;

impl Refs {
    /// The placeholder text for a reference, adding it if new.
    pub fn placeholder(&mut self, target: &AssetKey, kind: AssetKind, use_: RefUse, public: bool) -> String {
        let index = match self.0.iter().position(|r| &r.target == target && r.use_ == use_ && r.public == public) {
            Some(i) => i,
            None => {
                self.0.push(Ref { target: target.clone(), kind, use_, public });
                self.0.len() - 1
            }
        };
        let tag = match use_ {
            RefUse::Url => 'u',
            RefUse::Integrity => 'i',
            RefUse::Import => 'm',
            RefUse::DynamicImport => 'y',
            RefUse::Preload => 'w',
        };
        format!("__kiln_{tag}{index:06}__")
    }
}

/// Finds every placeholder in `content`, calling `f(index)` for its replacement text.
pub fn substitute(content: &[u8], mut f: impl FnMut(usize) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len());
    let mut rest = content;
    while let Some(pos) = find(rest, PLACEHOLDER_PREFIX) {
        let candidate = &rest[pos..];
        if let Some(index) = parse_placeholder(candidate) {
            out.extend_from_slice(&rest[..pos]);
            out.extend_from_slice(&f(index));
            rest = &rest[pos + PLACEHOLDER_LEN..];
        } else {
            out.extend_from_slice(&rest[..pos + PLACEHOLDER_PREFIX.len()]);
            rest = &rest[pos + PLACEHOLDER_PREFIX.len()..];
        }
    }
    out.extend_from_slice(rest);
    out
}

/// Like [`substitute`], also returning where text moved: `(line, column, delta)` for each
/// replacement whose length differs, in the coordinates of `content` (0-based line, byte
/// column), so a source map over `content` can be corrected.
pub fn substitute_tracked(content: &[u8], mut f: impl FnMut(usize) -> Vec<u8>) -> (Vec<u8>, Vec<(u32, u32, i64)>) {
    let mut shifts = Vec::new();
    let mut line = 0u32;
    let mut line_start = 0usize;
    let mut scanned = 0usize;
    let mut pos_in_content = 0usize;
    let out = substitute(content, |i| {
        let replacement = f(i);
        // Find this placeholder's position: the next placeholder at or after the cursor.
        let rest = &content[pos_in_content..];
        let at = pos_in_content + find(rest, PLACEHOLDER_PREFIX).unwrap_or(0);
        for (k, &b) in content[scanned..at].iter().enumerate() {
            if b == b'\n' {
                line += 1;
                line_start = scanned + k + 1;
            }
        }
        scanned = at;
        pos_in_content = at + PLACEHOLDER_LEN;
        let delta = replacement.len() as i64 - PLACEHOLDER_LEN as i64;
        if delta != 0 {
            shifts.push((line, (at + PLACEHOLDER_LEN - line_start) as u32, delta));
        }
        replacement
    });
    (out, shifts)
}

/// The reference index of the placeholder at the start of `s`.
pub fn placeholder_index(s: &[u8]) -> Option<usize> {
    parse_placeholder(s)
}

fn parse_placeholder(s: &[u8]) -> Option<usize> {
    if s.len() < PLACEHOLDER_LEN || !matches!(s[7], b'u' | b'i' | b'm' | b'y' | b'w') || &s[14..16] != b"__" {
        return None;
    }
    let digits = &s[8..14];
    digits.iter().all(u8::is_ascii_digit).then(|| std::str::from_utf8(digits).ok()?.parse().ok())?
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// The source map of a chunk, finished by the fingerprint stage once names are known.
#[derive(Debug, Clone)]
pub struct ChunkMap {
    pub segments: Vec<crate::sourcemap::Segment>,
    pub sources: Vec<(std::path::PathBuf, String)>,
}

/// A source module inside a bundle, for the analysis page and meta.json.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ModuleInfo {
    /// Root-relative source path.
    pub path: String,
    /// Bytes of the source file.
    pub bytes: u64,
    /// Bytes it takes in the bundle.
    pub bytes_in_output: u64,
    /// Source paths of the modules it imports.
    pub imports: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Asset {
    /// The asset's identity: its source path (relative to the root, `/`-separated), or what
    /// the build made it from.
    pub src: AssetKey,
    pub kind: AssetKind,
    /// An HTML page found by the `entries` globs.
    pub is_entry: bool,
    /// Bytes with placeholders for references.
    pub content: Vec<u8>,
    pub refs: Refs,
    /// For bundles: their source map and modules.
    pub chunk: Option<ChunkParts>,
    /// With `css.prune`: selectors (and `@keyframes`/`@font-face` names) marked to be kept.
    pub css_keep: Vec<String>,
    /// Written at this path, unhashed, instead of the `file_names` pattern (a service worker,
    /// whose URL must stay the same from one deploy to the next).
    pub fixed_path: Option<String>,
}

/// What a bundle carries besides its code.
#[derive(Debug, Clone)]
pub struct ChunkParts {
    /// The source map, finished once the file has its name.
    pub map: Option<ChunkMap>,
    /// The modules in it.
    pub modules: Vec<ModuleInfo>,
}

/// A file of `public_dir`, copied to the output's top level as it is.
#[derive(Debug, Clone)]
pub struct PublicFile {
    /// Path inside the public folder, which is also its path in the output.
    pub rel: String,
    pub abs: std::path::PathBuf,
}

/// Everything the scan stage found, sorted by source path.
#[derive(Debug, Default)]
pub struct Graph {
    pub assets: Vec<Asset>,
    pub public: Vec<PublicFile>,
}

impl Graph {
    pub fn index(&self) -> BTreeMap<&AssetKey, usize> {
        self.assets.iter().enumerate().map(|(i, a)| (&a.src, i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_round_trip() {
        let mut refs = Refs::default();
        let (ka, kb) = (AssetKey::file("img/a.png"), AssetKey::file("img/b.png"));
        let a = refs.placeholder(&ka, AssetKind::Raw, RefUse::Url, false);
        let b = refs.placeholder(&kb, AssetKind::Raw, RefUse::Url, false);
        assert_eq!(refs.placeholder(&ka, AssetKind::Raw, RefUse::Url, false), a);
        assert_eq!(a.len(), PLACEHOLDER_LEN);
        let text = format!("x {a} __kiln_ y {b}?q __kiln_u12");
        let out = substitute(text.as_bytes(), |i| format!("<{}>", refs.0[i].target).into_bytes());
        assert_eq!(String::from_utf8(out).unwrap(), "x <img/a.png> __kiln_ y <img/b.png>?q __kiln_u12");
    }
}

/// A bundle entry: a module script of a page (file or inline), or a configured entry.
#[derive(Debug, Clone)]
pub struct JsEntry {
    /// The manifest key and source path of the output (`src/main.ts`, `index.html?module=0`).
    pub key: AssetKey,
    pub path: std::path::PathBuf,
    pub source: Option<String>,
}

impl crate::fields::Keyed for JsEntry {
    fn write(&self, k: &mut crate::fields::KeyFields) {
        let JsEntry { key, path, source } = self;
        k.field("key", &key.to_string()).field("path", path).field("source", source);
    }
}
