//! Stylesheets in the build cache: a stylesheet whose files and resolutions are as they were
//! is not bundled, lowered and minified again.
//!
//! Loading a stylesheet file is a pure function of the loader options, the texts of the files
//! lightningcss's bundler reads (the file and what it `@import`s) and where each `@import` and
//! `url()` resolves (which depends on which files exist). The entry, one per file (the next
//! build that loads the file differently replaces it), keeps those with the result: the CSS
//! with its placeholders, its references and, with `css.prune`, what `/* kiln-keep */` marks.
//! A later build reads and hashes each file again and resolves each URL again; if all is the
//! same, it takes the result. A stylesheet that had a problem is never kept, so its warnings
//! show on every build. Entries live in the local cache only.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::cache::stored::StoredRef;
use crate::cache::Cache;
use crate::graph::Refs;
use crate::loader::resolve::{resolve_css, FsCache, Resolved};
use crate::loader::{LoaderOptions, RefSink};

/// What loading a stylesheet read, besides the `url()`s the sink records.
#[derive(Default)]
pub struct Read {
    /// Every file read, with the blake3 of its text in hex.
    pub files: Vec<(PathBuf, String)>,
    /// Every `@import` resolved: the file it is written in, the specifier, the result as text.
    pub resolved: Vec<(PathBuf, String, Resolved)>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    files: Vec<(PathBuf, String)>,
    /// `@import`s and `url()`s resolved.
    resolved: Vec<(PathBuf, String, Resolved)>,
    content: String,
    refs: Vec<StoredRef>,
    css_keep: Vec<String>,
}

impl Entry {
    /// Whether loading the file now would read and resolve what it did.
    fn holds(&self, options: &LoaderOptions, fs: &FsCache) -> bool {
        let same_file = |(path, digest): &(PathBuf, String)| std::fs::read(path).is_ok_and(|b| blake3::hash(&b).to_hex().as_str() == digest);
        let same_target = |(from, url, was): &(PathBuf, String, Resolved)| &resolve_css(options, fs, from, url) == was;
        self.files.iter().all(same_file) && self.resolved.iter().all(same_target)
    }
}

/// The entry's key: the loader options (see [`LoaderOptions::key_fields`]), the file, and the
/// root: the entry names the files it read by their absolute paths and is checked against
/// them, so a project at another path sharing the cache folder must not find it.
fn key(options: &LoaderOptions, rel: &str) -> [u8; 32] {
    let root = options.root.as_os_str().as_encoded_bytes();
    crate::cache::key("css-file", &[&options.key_fields(), rel.as_bytes(), root])
}

/// [`super::load_file`] through the build cache.
pub fn load_file(options: &LoaderOptions, cache: &Cache, rel: &str, sink: &mut RefSink) -> Option<Vec<u8>> {
    let fresh = sink.refs.0.is_empty() && sink.diags.is_empty() && sink.css_keep.is_empty() && sink.css_resolved.is_empty();
    if !cache.is_on() || !fresh {
        return super::load_file(options, rel, sink).0;
    }
    let key = key(options, rel);
    let hit = cache.get_local(&key).and_then(|p| serde_json::from_slice::<Entry>(&p).ok()).filter(|e| e.holds(options, sink.fs));
    if let Some(entry) = hit {
        sink.refs = Refs(entry.refs.into_iter().map(Into::into).collect());
        sink.css_keep = entry.css_keep;
        return Some(entry.content.into_bytes());
    }
    let (content, read) = super::load_file(options, rel, sink);
    let content = content?;
    if sink.diags.is_empty() {
        if let Ok(text) = std::str::from_utf8(&content) {
            let mut resolved = read.resolved;
            resolved.extend(sink.css_resolved.iter().cloned());
            let entry = Entry {
                files: read.files,
                resolved,
                content: text.to_owned(),
                refs: sink.refs.0.iter().map(StoredRef::from).collect(),
                css_keep: sink.css_keep.clone(),
            };
            cache.put_local(&key, &serde_json::to_vec(&entry).expect("an entry serializes"));
        }
    }
    Some(content)
}
