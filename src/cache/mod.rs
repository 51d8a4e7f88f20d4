//! The build cache: outputs of slow, pure steps (image encoding, Brotli and gzip twins) stored
//! under a key made of their input bytes, their options and kiln's version, so a rebuild with
//! unchanged inputs redoes none of that work.
//!
//! One file per entry, `<dir>/<2 hex>/<64 hex>`, holding a magic tag, the blake3 of the
//! payload, then the payload: a damaged or truncated entry fails the check and is rebuilt,
//! never used. Entries are written to a temporary file in the same folder and renamed into
//! place, so two builds sharing the cache never see half an entry. A read touches the entry's
//! modification time; after a build, the least recently used entries go until the cache fits
//! in its size limit.
//!
//! With `[cache] remote`, a local miss is looked up in a shared bucket ([`remote`]) before the
//! work is done, and what the build makes is uploaded there too, signed ([`sign`]).

pub mod pack;
#[cfg(feature = "publish")]
pub mod remote;
#[cfg(feature = "publish")]
pub mod sign;
pub mod stored;
pub mod varint;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const MAGIC: &[u8; 8] = b"kilnc001";
const HEADER: usize = MAGIC.len() + 32;

#[derive(Debug, Default, Clone, Copy, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    /// Entries that failed their check (and were rebuilt).
    pub corrupt: u64,
    /// Entries removed to keep the cache under its size limit.
    pub evicted: u64,
    /// What the remote cache did, when one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<RemoteStats>,
}

/// What the remote cache did in one build.
#[derive(Debug, Default, Clone, Copy, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct RemoteStats {
    /// Entries taken from the remote (after a local miss), and their bytes.
    pub hits: u64,
    pub bytes_read: u64,
    /// Local misses the remote did not have either.
    pub misses: u64,
    /// Entries uploaded, and their bytes.
    pub written: u64,
    pub bytes_written: u64,
    /// Entries whose signature did not verify: rebuilt, never used.
    pub rejected: u64,
    /// Objects requested (a key no namespace lists costs none).
    pub requests: u64,
    /// Whether the remote failed and was turned off for the rest of the build.
    pub failed: bool,
    pub read_only: bool,
}

/// A store shared by builds on other machines, behind the local cache: the S3 bucket of
/// `[cache] remote` ([`remote::Remote`], with the `publish` feature).
pub trait RemoteStore: Send + Sync {
    /// The entry, if the store has it and it is trusted.
    fn get(&self, key: &[u8; 32]) -> Option<Vec<u8>>;
    /// Uploads an entry (when the store is writable).
    fn put(&self, key: &[u8; 32], payload: &[u8]);
    /// Replaces a named entry in this build's namespace.
    fn replace(&self, key: &[u8; 32], payload: &[u8]);
    /// Waits for the uploads; the warnings the store has for the build.
    fn finish(&self) -> Vec<String>;
    fn stats(&self) -> RemoteStats;
}

pub struct Cache {
    dir: Option<PathBuf>,
    max_bytes: u64,
    hits: AtomicU64,
    misses: AtomicU64,
    corrupt: AtomicU64,
    evicted: AtomicU64,
    remote: Option<Box<dyn RemoteStore>>,
    /// Writes running on their own threads (packs), waited for before eviction, at the end
    /// of the build, and when the cache is dropped (a failed build).
    writes: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>>,
}

/// A cache key: blake3 over kiln's version, a step name and the step's inputs.
pub fn key(step: &str, parts: &[&[u8]]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(build_identity());
    h.update(&[0]);
    h.update(step.as_bytes());
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p);
    }
    *h.finalize().as_bytes()
}

/// What tells apart two builds of kiln with the same version: nothing for a release build;
/// for a debug build (kiln's own tests and development) its executable's modification time, so
/// that a kiln rebuilt from changed code never takes what an older build made.
fn build_identity() -> &'static [u8] {
    static ID: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        if !cfg!(debug_assertions) {
            return Vec::new();
        }
        let modified = std::env::current_exe().and_then(std::fs::metadata).and_then(|m| m.modified());
        modified.map(|t| format!("{t:?}").into_bytes()).unwrap_or_default()
    })
}

impl Cache {
    /// A cache in `dir` (`None`: caching off) holding at most `max_bytes`.
    pub fn new(dir: Option<PathBuf>, max_bytes: u64) -> Self {
        Cache {
            dir,
            max_bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            corrupt: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            remote: None,
            writes: std::sync::Mutex::default(),
        }
    }

    /// The same cache, backed by `remote` (only when the local cache is on).
    pub fn with_remote(mut self, remote: Option<Box<dyn RemoteStore>>) -> Self {
        if self.dir.is_some() {
            self.remote = remote;
        }
        self
    }

    /// Waits for the local writes and the remote cache's uploads; the remote's warnings.
    pub fn finish(&self) -> Vec<String> {
        self.wait_for_writes();
        self.remote.as_ref().map(|r| r.finish()).unwrap_or_default()
    }

    /// Runs `write` on a thread of its own, so the build goes on meanwhile.
    fn write_in_background(&self, write: impl FnOnce() + Send + 'static) {
        // With no thread to be had the write is lost, which only costs the next build the work.
        if let Ok(h) = std::thread::Builder::new().name("kiln-cache-write".into()).spawn(write) {
            self.writes.lock().unwrap_or_else(|e| e.into_inner()).push(h);
        }
    }

    fn wait_for_writes(&self) {
        let writes = std::mem::take(&mut *self.writes.lock().unwrap_or_else(|e| e.into_inner()));
        for w in writes {
            let _ = w.join();
        }
    }

    #[cfg(test)]
    pub fn disabled() -> Self {
        Cache::new(None, 0)
    }

    /// Whether the build has a cache (no `--no-cache`).
    pub fn is_on(&self) -> bool {
        self.dir.is_some()
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            corrupt: self.corrupt.load(Ordering::Relaxed),
            evicted: self.evicted.load(Ordering::Relaxed),
            remote: self.remote.as_ref().map(|r| r.stats()),
        }
    }

    fn path(&self, key: &[u8; 32]) -> Option<PathBuf> {
        let hex = blake3::Hash::from(*key).to_hex();
        Some(self.dir.as_ref()?.join(&hex[..2]).join(hex.as_str()))
    }

    /// The stored payload, if present and intact (locally, else in the remote cache).
    pub fn get(&self, key: &[u8; 32]) -> Option<Vec<u8>> {
        self.get_local(key).or_else(|| self.remote_get(key))
    }

    /// The payload stored in the local cache, if present and intact.
    pub fn get_local(&self, key: &[u8; 32]) -> Option<Vec<u8>> {
        self.read_local(key, true)
    }

    /// The payload stored in the local cache, if present and intact, not counted as a hit or a
    /// miss: a record kept beside the steps' entries (the dictionaries an output had).
    pub fn peek_local(&self, key: &[u8; 32]) -> Option<Vec<u8>> {
        self.read_local(key, false)
    }

    fn read_local(&self, key: &[u8; 32], count: bool) -> Option<Vec<u8>> {
        let path = self.path(key)?;
        let Ok(mut bytes) = std::fs::read(&path) else {
            if count {
                self.misses.fetch_add(1, Ordering::Relaxed);
            }
            return None;
        };
        let intact = bytes.len() >= HEADER && &bytes[..MAGIC.len()] == MAGIC && blake3::hash(&bytes[HEADER..]).as_bytes() == &bytes[MAGIC.len()..HEADER];
        if !intact {
            self.corrupt.fetch_add(1, Ordering::Relaxed);
            if count {
                self.misses.fetch_add(1, Ordering::Relaxed);
            }
            let _ = std::fs::remove_file(&path);
            return None;
        }
        if count {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        // Recently used: eviction goes by modification time.
        let _ = filetime::set_file_mtime(&path, filetime::FileTime::now());
        bytes.drain(..HEADER);
        Some(bytes)
    }

    /// Whether the local cache holds `key` (marked as recently used if so); its payload is not
    /// checked.
    pub fn has_local(&self, key: &[u8; 32]) -> bool {
        let Some(path) = self.path(key) else { return false };
        filetime::set_file_mtime(&path, filetime::FileTime::now()).is_ok()
    }

    /// Stores `payload` in the local cache only, on a thread of its own (see
    /// [`Cache::finish`]).
    pub fn put_local_in_background(&self, key: [u8; 32], payload: Vec<u8>) {
        let Some(path) = self.path(&key) else { return };
        self.write_in_background(move || write_entry(&path, &payload));
    }

    /// The remote cache's entry named `name` (a step's pack), if there is one and it is
    /// signed with this build's key.
    pub fn remote_named(&self, name: &str) -> Option<Vec<u8>> {
        self.remote.as_ref()?.get(&key("named", &[name.as_bytes()]))
    }

    /// Replaces the remote cache's entry named `name` in this build's namespace.
    pub fn put_remote_named(&self, name: &str, payload: &[u8]) {
        if let Some(r) = &self.remote {
            r.replace(&key("named", &[name.as_bytes()]), payload);
        }
    }

    /// A local miss taken from the remote cache, and kept locally.
    fn remote_get(&self, key: &[u8; 32]) -> Option<Vec<u8>> {
        let payload = self.remote.as_ref()?.get(key)?;
        self.put_local(key, &payload);
        Some(payload)
    }

    /// Stores `payload` (and uploads it to the remote cache); a failure to write only costs
    /// the next build the work.
    pub fn put(&self, key: &[u8; 32], payload: &[u8]) {
        self.put_local(key, payload);
        if let Some(r) = &self.remote {
            r.put(key, payload);
        }
    }

    /// Stores `payload` in the local cache only.
    pub fn put_local(&self, key: &[u8; 32], payload: &[u8]) {
        if let Some(path) = self.path(key) {
            write_entry(&path, payload);
        }
    }

    /// The cached payload for `key`, or `make()`'s, stored for next time.
    pub fn get_or<E>(&self, key: &[u8; 32], make: impl FnOnce() -> Result<Vec<u8>, E>) -> Result<Vec<u8>, E> {
        if let Some(hit) = self.get(key) {
            return Ok(hit);
        }
        let made = make()?;
        self.put(key, &made);
        Ok(made)
    }

    /// Removes the least recently used entries until the cache fits in its limit.
    pub fn evict(&self) {
        self.wait_for_writes();
        let Some(dir) = &self.dir else { return };
        let mut entries: Vec<(filetime::FileTime, u64, PathBuf)> = walkdir::WalkDir::new(dir)
            .min_depth(2)
            .max_depth(2)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                Some((filetime::FileTime::from_last_modification_time(&m), m.len(), e.into_path()))
            })
            .collect();
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        if total <= self.max_bytes {
            return;
        }
        entries.sort();
        for (_, len, path) in entries {
            if total <= self.max_bytes {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= len;
                self.evicted.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        self.wait_for_writes();
    }
}

/// Writes an entry (magic, checksum, payload) at `path` through a temporary file renamed into
/// place; a failure only costs the next build the work.
fn write_entry(path: &Path, payload: &[u8]) {
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let mut bytes = Vec::with_capacity(HEADER + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(blake3::hash(payload).as_bytes());
    bytes.extend_from_slice(payload);
    let tmp = dir.join(format!(".tmp-{}-{:?}", std::process::id(), std::thread::current().id()).replace(['(', ')'], ""));
    if std::fs::write(&tmp, &bytes).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Where the cache goes by default: `node_modules/.cache/kiln` when the project has a
/// `node_modules` folder (where Babel, ESLint and Vite keep theirs), else `.kiln-cache`.
pub fn default_dir(root: &Path) -> PathBuf {
    if root.join("node_modules").is_dir() {
        root.join("node_modules/.cache/kiln")
    } else {
        root.join(".kiln-cache")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_corruption_and_eviction() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(Some(dir.path().to_path_buf()), 10_000);
        let k = key("test", &[b"input", b"options"]);
        assert_ne!(k, key("test", &[b"inpu", b"toptions"]), "parts are length-delimited");
        assert_eq!(cache.get(&k), None);
        cache.put(&k, b"payload");
        assert_eq!(cache.get(&k).as_deref(), Some(&b"payload"[..]));
        // A damaged entry is a miss, and removed.
        let path = cache.path(&k).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(cache.get(&k), None);
        assert!(!path.exists());
        assert_eq!(cache.stats().corrupt, 1);
        // Over the limit, the least recently used go first.
        let keys: Vec<[u8; 32]> = (0..4u8).map(|i| key("test", &[&[i]])).collect();
        for (i, k) in keys.iter().enumerate() {
            cache.put(k, &vec![i as u8; 4000]);
            let old = filetime::FileTime::from_unix_time(1_000_000 + i as i64, 0);
            filetime::set_file_mtime(cache.path(k).unwrap(), old).unwrap();
        }
        assert!(cache.get(&keys[0]).is_some(), "reading makes it the most recent");
        cache.evict();
        assert!(cache.path(&keys[0]).unwrap().exists());
        assert!(!cache.path(&keys[1]).unwrap().exists() && !cache.path(&keys[2]).unwrap().exists());
        assert!(cache.path(&keys[3]).unwrap().exists());
    }
}
