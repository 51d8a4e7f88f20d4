//! Asset keys: what identifies an asset in the graph, in references and in the manifest.
//!
//! Most assets are files under the root, but some are made by the build: the stylesheet
//! joined from a chunk's CSS imports, a resized copy of an image, a page's inline module
//! script, a worker built as an entry point of its own. Each of these is a variant that keeps
//! its parts apart, so no stage builds a string that another parses back. The manifest key
//! is the [`Display`](std::fmt::Display) form (`src/main.ts?css`, `img/hero.jpg?as=hero-480.webp`,
//! `index.html?module=0`, `src/w.ts?worker`), and keys sort (and compare) as those strings do,
//! so every order a build writes is the one it had when the keys were strings.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

#[derive(Debug, Clone)]
pub enum AssetKey {
    /// A file under the root (`/`-separated, relative), or a bundle named like one: a page's
    /// or a dynamic import's entry module, a shared chunk (`_vendor.js`).
    File(String),
    /// The stylesheet joined from the CSS a chunk imports.
    ChunkCss(Box<AssetKey>),
    /// A resized or re-encoded copy of an image, written beside it as `name`.
    ImageVariant { image: String, name: String },
    /// The `index`-th inline `<script type="module">` of a page.
    InlineModule { page: String, index: usize },
    /// A module built with a query as an entry point of its own: a worker (`worker`,
    /// `worker=classic`), a service worker (`serviceworker`), or a file imported with one of
    /// Vite's queries (`raw`).
    Query { path: String, query: String },
}

impl AssetKey {
    pub fn file(path: impl Into<String>) -> AssetKey {
        AssetKey::File(path.into())
    }

    /// The key of a module (`rel`, without its query) imported with `query` (empty for none).
    pub fn module(rel: &str, query: &str) -> AssetKey {
        if query.is_empty() {
            AssetKey::File(rel.to_owned())
        } else {
            AssetKey::Query { path: rel.to_owned(), query: query.to_owned() }
        }
    }

    /// The stylesheet of this chunk's CSS imports.
    pub fn css_of(&self) -> AssetKey {
        AssetKey::ChunkCss(Box::new(self.clone()))
    }

    /// The path of a plain file.
    pub fn as_file(&self) -> Option<&str> {
        match self {
            AssetKey::File(p) => Some(p),
            _ => None,
        }
    }

    /// The source file the asset comes from (the chunk's, for a chunk's CSS; the page, for an
    /// inline module).
    pub fn source_file(&self) -> &str {
        match self {
            AssetKey::File(p) | AssetKey::Query { path: p, .. } => p,
            AssetKey::ChunkCss(chunk) => chunk.source_file(),
            AssetKey::ImageVariant { image, .. } => image,
            AssetKey::InlineModule { page, .. } => page,
        }
    }

    fn write(&self, out: &mut impl fmt::Write) -> fmt::Result {
        match self {
            AssetKey::File(p) => out.write_str(p),
            AssetKey::ChunkCss(chunk) => {
                chunk.write(out)?;
                out.write_str("?css")
            }
            AssetKey::ImageVariant { image, name } => write!(out, "{image}?as={name}"),
            AssetKey::InlineModule { page, index } => write!(out, "{page}?module={index}"),
            AssetKey::Query { path, query } => write!(out, "{path}?{query}"),
        }
    }
}

impl fmt::Display for AssetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f)
    }
}

impl Ord for AssetKey {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (AssetKey::File(a), AssetKey::File(b)) => a.cmp(b),
            _ => self.to_string().cmp(&other.to_string()),
        }
    }
}

impl PartialOrd for AssetKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for AssetKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for AssetKey {}

impl Hash for AssetKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            AssetKey::File(p) => p.as_str().hash(state),
            _ => self.to_string().as_str().hash(state),
        }
    }
}

impl serde::Serialize for AssetKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_manifest_key() {
        let main = AssetKey::file("src/main.ts");
        assert_eq!(main.css_of().to_string(), "src/main.ts?css");
        assert_eq!(AssetKey::InlineModule { page: "index.html".into(), index: 0 }.css_of().to_string(), "index.html?module=0?css");
        assert_eq!(AssetKey::ImageVariant { image: "img/a.jpg".into(), name: "a-480.webp".into() }.to_string(), "img/a.jpg?as=a-480.webp");
        assert_eq!(AssetKey::module("src/w.ts", "worker=classic").to_string(), "src/w.ts?worker=classic");
        assert_eq!(AssetKey::module("src/w.ts", ""), main_like("src/w.ts"));
    }

    fn main_like(p: &str) -> AssetKey {
        AssetKey::File(p.into())
    }

    #[test]
    fn keys_sort_as_their_strings() {
        let mut keys = [
            AssetKey::file("src/main.ts"),
            AssetKey::file("src/main.ts").css_of(),
            AssetKey::file("src/main.tsx"),
            AssetKey::InlineModule { page: "index.html".into(), index: 1 },
            AssetKey::file("index.html"),
            AssetKey::file("index.html2"),
        ];
        keys.sort();
        let strings: Vec<String> = keys.iter().map(ToString::to_string).collect();
        let mut sorted = strings.clone();
        sorted.sort();
        assert_eq!(strings, sorted);
        assert_eq!(AssetKey::file("a?css"), AssetKey::file("a").css_of());
    }
}
