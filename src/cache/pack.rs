//! Packs: many small entries of one step in a few files, `<dir>/<step>/<hash>.pack`.
//!
//! A JS build stores thousands of small entries (one per module); as a file each, writing
//! them costs more than the work they save (creating and renaming 7,742 files took 3.7 s on
//! the ext4 disk of the machine the README's figures come from). A pack is opened once per
//! build: every pack of the step is mapped and indexed, lookups are answered from memory, and
//! the entries made in the build are written at the end as one new pack. When the step has
//! [`COMPACT_AT`] packs, the entries this build used (found or made) are written as one pack
//! instead and the others removed, so what stops being used goes away. Each entry carries
//! the blake3 of its payload: a damaged one is a miss, never used. Packs are whole files to
//! the cache's eviction (least recently used first); a pack is written to a temporary file
//! and renamed, so builds sharing the cache never read half of one.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

use rustc_hash::FxHashMap;

use super::Cache;

const MAGIC: &[u8; 8] = b"kilnp001";
/// Entry header: key, blake3 of the payload, payload length.
const HEADER: usize = 32 + 32 + 8;
/// With this many packs of a step, the next build writes one pack of what it used.
pub const COMPACT_AT: usize = 8;

pub struct Pack<'a> {
    cache: &'a Cache,
    dir: Option<PathBuf>,
    files: Vec<(PathBuf, Bytes)>,
    /// key → (file, payload start, payload length)
    index: FxHashMap<[u8; 32], (usize, usize, usize)>,
    used: Mutex<Vec<[u8; 32]>>,
    made: Mutex<Vec<([u8; 32], Vec<u8>)>>,
    /// The name of the step's pack in the remote cache.
    remote_name: String,
}

impl Cache {
    /// The packs of `step` (none when the cache is off).
    pub fn pack(&self, step: &str) -> Pack<'_> {
        // What an earlier pack of this cache is still writing.
        self.wait_for_writes();
        let dir = self.dir.as_ref().map(|d| d.join(step));
        let mut files = Vec::new();
        if let Some(Ok(list)) = dir.as_ref().map(std::fs::read_dir) {
            let mut paths: Vec<PathBuf> = list.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "pack")).collect();
            paths.sort();
            for p in paths {
                if let Some(bytes) = Bytes::map(&p) {
                    let _ = filetime::set_file_mtime(&p, filetime::FileTime::now());
                    files.push((p, bytes));
                }
            }
        }
        // A runner with none of the step's packs (a fresh CI machine) takes the one the
        // remote cache keeps, if any, and keeps it locally.
        let remote_name = format!("{step}-pack");
        if let (true, Some(dir)) = (files.is_empty(), &dir) {
            if let Some(bytes) = self.remote_named(&remote_name).filter(|b| b.starts_with(MAGIC)) {
                let path = dir.join(format!("{}.pack", blake3::Hasher::new().update_rayon(&bytes).finalize().to_hex()));
                // Kept locally on a thread of its own: writing tens of MB took 150 ms that
                // the build waited for (the build reads the pack from memory).
                let (dir, path_copy, copy) = (dir.clone(), path.clone(), bytes.clone());
                self.write_in_background(move || {
                    write_file(&dir, &path_copy, &copy);
                });
                files.push((path, Bytes::Owned(bytes)));
            }
        }
        let mut index = FxHashMap::default();
        for (f, (_, bytes)) in files.iter().enumerate() {
            if !bytes.starts_with(MAGIC) {
                continue;
            }
            let mut at = MAGIC.len();
            while at + HEADER <= bytes.len() {
                let key: [u8; 32] = bytes[at..at + 32].try_into().expect("32 bytes");
                let len = u64::from_le_bytes(bytes[at + 64..at + 72].try_into().expect("8 bytes")) as usize;
                let start = at + HEADER;
                if start.checked_add(len).is_none_or(|end| end > bytes.len()) {
                    break;
                }
                index.entry(key).or_insert((f, start, len));
                at = start + len;
            }
        }
        Pack { cache: self, dir, files, index, used: Mutex::default(), made: Mutex::default(), remote_name }
    }
}

impl Pack<'_> {
    /// The payload stored under `key`, if present and intact.
    pub fn get(&self, key: &[u8; 32]) -> Option<&[u8]> {
        self.dir.as_ref()?;
        let stats = self.cache;
        let Some(&(f, start, len)) = self.index.get(key) else {
            stats.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        let bytes = &self.files[f].1;
        let payload = &bytes[start..start + len];
        if blake3::hash(payload).as_bytes() != &bytes[start - 40..start - 8] {
            stats.corrupt.fetch_add(1, Ordering::Relaxed);
            stats.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        stats.hits.fetch_add(1, Ordering::Relaxed);
        self.used.lock().unwrap_or_else(|e| e.into_inner()).push(*key);
        Some(payload)
    }

    /// Keeps `payload` under `key`, written when the pack is closed.
    pub fn put(&self, key: &[u8; 32], payload: Vec<u8>) {
        if self.dir.is_some() {
            self.made.lock().unwrap_or_else(|e| e.into_inner()).push((*key, payload));
        }
    }

    pub fn is_on(&self) -> bool {
        self.dir.is_some()
    }

    /// Writes what this build made as a new pack (or, with [`COMPACT_AT`] packs already, all
    /// it used as one, removing the others); with a remote cache, a build that made entries
    /// uploads everything it used as the step's pack there. Without one, the pack is written
    /// on a thread of its own while the build goes on (the cache waits for it before it
    /// evicts and when the build ends). A failure to write only costs the next build the work.
    pub fn close(self) {
        let Some(dir) = self.dir else { return };
        let made = self.made.into_inner().unwrap_or_else(|e| e.into_inner());
        if made.is_empty() && self.files.len() <= COMPACT_AT {
            return;
        }
        let compact = self.files.len() + usize::from(!made.is_empty()) > COMPACT_AT;
        let used: Vec<([u8; 32], (usize, usize, usize))> =
            self.used.into_inner().unwrap_or_else(|e| e.into_inner()).into_iter().filter_map(|key| self.index.get(&key).map(|&at| (key, at))).collect();
        let upload = (!made.is_empty() && self.cache.remote.is_some()).then_some(self.remote_name);
        let (files, uploads) = (self.files, upload.is_some());
        let write = move || {
            let (made_only, all) = {
                let used = used.iter().map(|&(key, (f, start, len))| (key, &files[f].1[start..start + len]));
                let made = made.iter().map(|(k, p)| (*k, p.as_slice()));
                let everything = || encode(made.clone().chain(used.clone()).collect());
                // Compacting writes all it used; otherwise only what it made.
                let all = (compact || uploads).then(everything);
                let made_only = (!compact).then(|| encode(made.clone().collect()));
                (made_only, all)
            };
            let out = made_only.as_deref().or(all.as_deref()).expect("what is written is made");
            // The old packs are unmapped before they are removed (Windows removes no mapped file).
            let old: Vec<PathBuf> = files.into_iter().map(|(path, _)| path).collect();
            let name = dir.join(format!("{}.pack", blake3::hash(out).to_hex()));
            if !write_file(&dir, &name, out) {
                return None;
            }
            if compact {
                for path in old.iter().filter(|p| **p != name) {
                    let _ = std::fs::remove_file(path);
                }
            }
            all.filter(|_| uploads)
        };
        match upload {
            Some(remote_name) => {
                if let Some(all) = write() {
                    self.cache.put_remote_named(&remote_name, &all);
                }
            }
            None => self.cache.write_in_background(move || {
                write();
            }),
        }
    }
}

/// A pack's bytes: mapped from its file, not copied (copying three.js ×10's 50 MB of JS packs
/// took 48 ms of a one-line rebuild's critical path; mapping and indexing them takes 6 ms), or
/// fetched from the remote cache.
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Bytes {
    fn map(path: &std::path::Path) -> Option<Bytes> {
        let file = std::fs::File::open(path).ok()?;
        // SAFETY: a mapped file must not change while mapped. Packs never do: each is written
        // whole under a temporary name and renamed into place (`write_file`), and is only ever
        // removed after that (compaction, eviction), which leaves a mapping intact.
        let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
        Some(Bytes::Mapped(map))
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// A pack of `entries`, in one order whatever the threads did (the same entries make the
/// same pack).
fn encode(mut entries: Vec<([u8; 32], &[u8])>) -> Vec<u8> {
    entries.sort_by_key(|e| e.0);
    entries.dedup_by(|a, b| a.0 == b.0);
    let mut out = Vec::with_capacity(MAGIC.len() + entries.iter().map(|(_, p)| HEADER + p.len()).sum::<usize>());
    out.extend_from_slice(MAGIC);
    for (key, payload) in &entries {
        out.extend_from_slice(key);
        out.extend_from_slice(blake3::hash(payload).as_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(payload);
    }
    out
}

/// Writes `bytes` at `path` through a temporary file renamed into place.
fn write_file(dir: &std::path::Path, path: &std::path::Path, bytes: &[u8]) -> bool {
    if std::fs::create_dir_all(dir).is_err() {
        return false;
    }
    // One name per write: a pack fetched from the remote cache may still be being written
    // when the build writes its own.
    static WRITES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let tmp = dir.join(format!(".tmp-{}-{}", std::process::id(), WRITES.fetch_add(1, Ordering::Relaxed)));
    if std::fs::write(&tmp, bytes).is_err() || std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_store_find_verify_and_compact() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(Some(dir.path().to_path_buf()), u64::MAX);
        let key = |i: u8| super::super::key("test", &[&[i]]);
        let pack = cache.pack("step");
        assert_eq!(pack.get(&key(0)), None);
        pack.put(&key(0), b"zero".to_vec());
        pack.put(&key(1), b"one".to_vec());
        pack.close();
        let pack = cache.pack("step");
        assert_eq!(pack.get(&key(1)), Some(&b"one"[..]));
        pack.close();
        cache.wait_for_writes();
        assert_eq!(std::fs::read_dir(dir.path().join("step")).unwrap().count(), 1, "nothing new, nothing written");
        // A damaged payload is a miss.
        let file = std::fs::read_dir(dir.path().join("step")).unwrap().next().unwrap().unwrap().path();
        let mut bytes = std::fs::read(&file).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&file, bytes).unwrap();
        let pack = cache.pack("step");
        let damaged = [key(0), key(1)].iter().filter(|k| pack.get(k).is_none()).count();
        assert_eq!(damaged, 1);
        assert_eq!(cache.stats().corrupt, 1);
        pack.close();
        // Builds that each add an entry: the packs are compacted into what the last one used.
        for i in 2..2 + COMPACT_AT as u8 {
            let pack = cache.pack("step");
            let _ = pack.get(&key(i - 1));
            pack.put(&key(i), vec![i]);
            pack.close();
        }
        cache.wait_for_writes();
        let count = std::fs::read_dir(dir.path().join("step")).unwrap().count();
        assert!(count < COMPACT_AT, "{count} packs");
        let pack = cache.pack("step");
        let last = 1 + COMPACT_AT as u8;
        assert_eq!(pack.get(&key(last)), Some(&[last][..]));
        assert_eq!(pack.get(&key(last - 1)), Some(&[last - 1][..]));
    }
}
