//! The earlier versions of each dictionary a returning visitor may hold: the previous output's
//! (read through its manifest), then those an earlier build recorded in the build cache
//! (newest first). A version is known by its blake3 hash (the manifest's `hash`), so finding
//! that nothing changed reads no file; its bytes are read only to make a delta.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cache::{self, Cache};
use crate::output::Compressed;

/// One earlier version of a file offered as a dictionary.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Version {
    /// Its [`crate::output::DictionaryOffer`]'s pattern and destination.
    pub pattern: String,
    pub dest: Option<String>,
    /// The blake3 of its bytes, hex (as [`crate::output::OutputFile::hash`]).
    pub hash: String,
    /// Its output path.
    pub path: String,
    /// Where its bytes are: a file of the previous output (not recorded), else the cache.
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

impl Version {
    /// Its bytes, if still at hand (checked against its hash).
    pub fn bytes(&self, cache: &Cache) -> Option<Vec<u8>> {
        let bytes = match &self.file {
            Some(path) => std::fs::read(path).ok(),
            None => cache.get_local(&blob_key(&self.hash)),
        }?;
        (blake3::hash(&bytes).to_hex().as_str() == self.hash).then_some(bytes)
    }
}

/// Where a dictionary's bytes are kept in the cache.
fn blob_key(hash: &str) -> [u8; 32] {
    cache::key("delta-dictionary", &[hash.as_bytes()])
}

/// The record of an output's dictionaries in the cache: one per output folder, named by the
/// project folder's name and the output's path inside it (the same for a checkout at another
/// path, and apart for two projects sharing a cache).
pub fn record_key(root: &Path, out_dir: &Path) -> [u8; 32] {
    let name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let inside = out_dir.strip_prefix(root).unwrap_or(out_dir).to_string_lossy().into_owned();
    cache::key("delta-history", &[name.as_bytes(), inside.as_bytes()])
}

/// The manifest's description of a dictionary file, as kiln writes it.
#[derive(Deserialize)]
struct ManifestEntry {
    file: String,
    hash: String,
    dictionary: Option<ManifestDictionary>,
}

#[derive(Deserialize)]
struct ManifestDictionary {
    pattern: String,
    dest: Option<String>,
}

/// The previous output, as its manifest describes it (`None` without one: a first build, or
/// no manifest).
pub struct Previous {
    /// Each file's output path and blake3 hash.
    pub files: std::collections::HashMap<String, String>,
    /// The files it offered as dictionaries.
    versions: Vec<Version>,
}

/// Reads the previous output's manifest in `out_dir`.
pub fn previous(out_dir: &Path, manifest: Option<&str>) -> Option<Previous> {
    let text = std::fs::read(out_dir.join(manifest?)).ok()?;
    let entries: std::collections::BTreeMap<String, ManifestEntry> = serde_json::from_slice(&text).ok()?;
    let mut previous = Previous { files: std::collections::HashMap::new(), versions: Vec::new() };
    for e in entries.into_values() {
        if let Some(d) = e.dictionary {
            let file = Some(out_dir.join(&e.file));
            previous.versions.push(Version { pattern: d.pattern, dest: d.dest, hash: e.hash.clone(), path: e.file.clone(), file });
        }
        previous.files.insert(e.file, e.hash);
    }
    Some(previous)
}

/// The earlier versions, newest first: the previous output's dictionaries, then the cache's
/// record.
pub fn load(previous: Option<&Previous>, cache: &Cache, record: &[u8; 32]) -> Vec<Version> {
    let mut versions: Vec<Version> = previous.map(|p| p.versions.clone()).unwrap_or_default();
    let recorded: Vec<Version> = cache.peek_local(record).and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    for v in recorded {
        if !versions.iter().any(|o| o.hash == v.hash && o.pattern == v.pattern) {
            versions.push(v);
        }
    }
    versions
}

/// Records this build's dictionaries (and their bytes) in the local cache ahead of `earlier`,
/// keeping `keep` versions of each. Not in the remote cache: a CI runner's history is the
/// deploys it publishes over, not what other runners built.
pub fn save(files: &[Compressed], earlier: &[Version], keep: usize, cache: &Cache, record: &[u8; 32]) {
    if !cache.is_on() {
        return;
    }
    let mut list: Vec<Version> = Vec::new();
    let mut current: Vec<&Compressed> = files.iter().filter(|c| c.file.dictionary.is_some()).collect();
    current.sort_by(|a, b| a.file.path.cmp(&b.file.path));
    for c in current {
        let offer = c.file.dictionary.as_ref().expect("filtered");
        if !cache.has_local(&blob_key(&c.file.hash)) {
            cache.put_local(&blob_key(&c.file.hash), &c.file.bytes);
        }
        let version =
            Version { pattern: offer.pattern.clone(), dest: offer.dest.map(str::to_owned), hash: c.file.hash.clone(), path: c.file.path.clone(), file: None };
        if !list.contains(&version) {
            list.push(version);
        }
    }
    for v in earlier {
        let same = list.iter().filter(|o| o.pattern == v.pattern && o.dest == v.dest).count();
        if same >= keep || list.iter().any(|o| o.hash == v.hash && o.pattern == v.pattern) {
            continue;
        }
        if v.file.is_some() && !cache.has_local(&blob_key(&v.hash)) {
            // From the previous output: its bytes go into the cache with it.
            let Some(bytes) = v.bytes(cache) else { continue };
            cache.put_local(&blob_key(&v.hash), &bytes);
        }
        list.push(Version { file: None, ..v.clone() });
    }
    let text = serde_json::to_vec(&list).expect("strings serialize");
    cache.put_local(record, &text);
}
