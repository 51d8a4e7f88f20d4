//! The earlier versions of each dictionary a returning visitor may hold: the previous output's
//! (read through its manifest), then those an earlier build recorded in the build cache
//! (newest first), each with the bytes to compress against.

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
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Its output path.
    pub path: String,
    /// Where its bytes are: a file of the previous output (not recorded), else the cache.
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

impl Version {
    pub fn sha(&self) -> Option<[u8; 32]> {
        let bytes: Vec<u8> = (0..self.sha256.len()).step_by(2).filter_map(|i| u8::from_str_radix(self.sha256.get(i..i + 2)?, 16).ok()).collect();
        bytes.try_into().ok()
    }

    /// Its bytes, if still at hand (checked against its hash).
    pub fn bytes(&self, cache: &Cache) -> Option<Vec<u8>> {
        let sha = self.sha()?;
        let bytes = match &self.file {
            Some(path) => std::fs::read(path).ok(),
            None => cache.get_local(&blob_key(&sha)),
        }?;
        (crate::delta::dictionary_hash(&bytes) == sha).then_some(bytes)
    }
}

/// Where a dictionary's bytes are kept in the cache.
fn blob_key(sha: &[u8; 32]) -> [u8; 32] {
    cache::key("delta-dictionary", &[sha])
}

/// The record of an output's dictionaries in the cache: one per output folder, named by the
/// project folder's name and the output's path inside it (the same for a checkout at another
/// path, and apart for two projects sharing a cache).
pub fn record_key(root: &Path, out_dir: &Path) -> [u8; 32] {
    let name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let inside = out_dir.strip_prefix(root).unwrap_or(out_dir).to_string_lossy().into_owned();
    cache::key("delta-history", &[name.as_bytes(), inside.as_bytes()])
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The manifest's description of a dictionary file, as kiln writes it.
#[derive(Deserialize)]
struct ManifestEntry {
    file: String,
    dictionary: Option<ManifestDictionary>,
}

#[derive(Deserialize)]
struct ManifestDictionary {
    pattern: String,
    dest: Option<String>,
}

/// The earlier versions, newest first: the previous output's dictionaries (from its manifest),
/// then the cache's record.
pub fn load(out_dir: &Path, manifest: Option<&str>, cache: &Cache, record: &[u8; 32]) -> Vec<Version> {
    let mut versions = Vec::new();
    if let Some(text) = manifest.and_then(|m| std::fs::read(out_dir.join(m)).ok()) {
        let entries: std::collections::BTreeMap<String, ManifestEntry> = serde_json::from_slice(&text).unwrap_or_default();
        for e in entries.into_values() {
            let Some(d) = e.dictionary else { continue };
            let path = out_dir.join(&e.file);
            let Ok(bytes) = std::fs::read(&path) else { continue };
            let sha256 = hex(&crate::delta::dictionary_hash(&bytes));
            versions.push(Version { pattern: d.pattern, dest: d.dest, sha256, path: e.file, file: Some(path) });
        }
    }
    let recorded: Vec<Version> = cache.peek_local(record).and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    for v in recorded {
        if !versions.iter().any(|o| o.sha256 == v.sha256 && o.pattern == v.pattern) {
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
        let sha = crate::delta::dictionary_hash(&c.file.bytes);
        if !cache.has_local(&blob_key(&sha)) {
            cache.put_local(&blob_key(&sha), &c.file.bytes);
        }
        list.push(Version { pattern: offer.pattern.clone(), dest: offer.dest.map(str::to_owned), sha256: hex(&sha), path: c.file.path.clone(), file: None });
    }
    for v in earlier {
        let same = list.iter().filter(|o| o.pattern == v.pattern && o.dest == v.dest).count();
        if same >= keep || list.iter().any(|o| o.sha256 == v.sha256 && o.pattern == v.pattern) {
            continue;
        }
        if v.file.is_some() {
            // From the previous output: its bytes go into the cache with it.
            let (Some(sha), Some(bytes)) = (v.sha(), v.bytes(cache)) else { continue };
            if !cache.has_local(&blob_key(&sha)) {
                cache.put_local(&blob_key(&sha), &bytes);
            }
        }
        list.push(Version { file: None, ..v.clone() });
    }
    let text = serde_json::to_vec(&list).expect("strings serialize");
    cache.put_local(record, &text);
}
