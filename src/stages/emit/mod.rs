//! Emit: write the whole output into a staging folder beside `out_dir`, then swap it in.
//!
//! Nothing touches `out_dir` until every file of the new output is on disk, so a build that
//! fails (or is killed) leaves the previous output exactly as it was.

pub mod manifest;

use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{BuildError, Diagnostic};
use crate::log::{stage_output, StageLog};
use crate::output::{Compressed, OutputFile};

/// The twins to write beside their files.
fn twins(files: &[Compressed]) -> Vec<(String, &[u8])> {
    let mut out = Vec::with_capacity(files.len() * 2);
    for c in files {
        if let Some(gz) = &c.gzip {
            out.push((format!("{}.gz", c.file.path), &gz[..]));
        }
        if let Some(br) = &c.brotli {
            out.push((format!("{}.br", c.file.path), &br[..]));
        }
        for d in &c.deltas {
            out.push((crate::output::Delta::path(&c.file.path, &d.dictionary, d.encoding), &d.bytes[..]));
        }
    }
    out
}

/// Whether `path` is a regular file (not a link to one) holding exactly `bytes`; its size is
/// compared first, so most files that differ are never read.
fn holds(path: &Path, bytes: &[u8]) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64) && std::fs::read(path).is_ok_and(|b| b == bytes)
}

/// An output path must be relative and stay inside out_dir.
fn is_safe(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains('\\'))
        && Path::new(path).components().all(|c| matches!(c, Component::Normal(_)))
}

fn sibling(out_dir: &Path, tag: &str) -> PathBuf {
    let name = out_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "dist".into());
    out_dir.with_file_name(format!(".{name}.kiln-{tag}-{}", std::process::id()))
}

/// Where `bytes` holds one of kiln's internal placeholders (a reference not substituted, a
/// symbol not named), if it does.
pub fn leaked_placeholder(bytes: &[u8]) -> Option<usize> {
    let prefix = crate::graph::PLACEHOLDER_PREFIX;
    let finder = memchr::memmem::Finder::new(prefix);
    let mut from = 0;
    while let Some(i) = finder.find(&bytes[from..]) {
        let at = from + i;
        let rest = &bytes[at + prefix.len()..];
        let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
        let two = |tags: &[&[u8]]| tags.iter().any(|t| rest.starts_with(t));
        let kiln_shaped =
            // __kiln_u000003__ and the other reference placeholders
            (matches!(rest.first(), Some(b'u' | b'i' | b'm' | b'y' | b'w')) && digits(&rest[1..]) == 6 && rest[7..].starts_with(b"__"))
            // __kiln_as3__, __kiln_dy3__, __kiln_en3__ (assets, lazy chunks, workers)
            || (two(&[b"as", b"dy", b"en"]) && {
                let n = digits(&rest[2..]);
                n > 0 && rest[2 + n..].starts_with(b"__")
            })
            // __kiln_ex0123456789ab (external imports)
            || (rest.starts_with(b"ex") && rest.len() >= 14 && rest[2..14].iter().all(u8::is_ascii_hexdigit))
            // __kiln_ns3, __kiln_ix3, __kiln_rq3 and __kiln_l3_name, __kiln_p3_1, __kiln_h0 (symbols)
            || (two(&[b"ns", b"ix", b"rq"]) && digits(&rest[2..]) > 0)
            || (matches!(rest.first(), Some(b'l' | b'p' | b'h')) && digits(&rest[1..]) > 0);
        if kiln_shaped {
            return Some(at);
        }
        from = at + prefix.len();
    }
    None
}

/// No internal placeholder may reach a file kiln rewrote (pages, stylesheets, bundles): one
/// that would is kiln's bug, reported as such, and nothing is written.
fn check_placeholders(files: &[OutputFile]) -> Result<(), BuildError> {
    use crate::graph::AssetKind;
    use crate::output::Origin;
    let mut diags = Vec::new();
    for f in files {
        let rewritten = matches!(f.origin, Origin::Asset(AssetKind::Html | AssetKind::Css | AssetKind::Chunk | AssetKind::WebManifest) | Origin::Generated);
        if !rewritten {
            continue;
        }
        if let Some(at) = leaked_placeholder(&f.bytes) {
            let text = String::from_utf8_lossy(&f.bytes);
            diags.push(
                Diagnostic::error("internal error: an internal placeholder would reach this output file")
                    .of_kind(crate::diagnostics::Kind::Internal)
                    .with_note(format!("built from {}; this is a bug in kiln, please report it", f.src.as_deref().unwrap_or("?")))
                    .at_offset(&f.path, &text, at),
            );
        }
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(BuildError { diagnostics: diags })
    }
}

/// The staging folder of a build under way, holding the files written so far. Dropped before
/// the emit stage swapped it in (a later stage failed), it is removed.
pub struct Staging {
    dir: PathBuf,
    out_dir: PathBuf,
    swapped: bool,
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.swapped {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Staging {
    /// A fresh, empty staging folder beside `out_dir`.
    fn new(out_dir: &Path) -> Result<Staging, BuildError> {
        let parent = out_dir.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|e| BuildError::io(parent, &e, "create the output's parent folder"))?;
        let dir = sibling(out_dir, "staging");
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| BuildError::io(&dir, &e, "clear the staging folder"))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| BuildError::io(&dir, &e, "create a folder"))?;
        Ok(Staging { dir, out_dir: out_dir.to_path_buf(), swapped: false })
    }

    /// Writes `writes` into the folder (checked to stay inside it).
    fn write(&self, writes: &[(String, &[u8])]) -> Result<(), BuildError> {
        if let Some((bad, _)) = writes.iter().find(|(p, _)| !is_safe(p)) {
            return Err(BuildError::one(
                Diagnostic::error(format!("refusing to write {bad:?}: it is not inside out_dir")).of_kind(crate::diagnostics::Kind::Internal),
            ));
        }
        let previous = self.out_dir.is_dir().then_some(self.out_dir.as_path());
        write_all(&self.dir, previous, writes)
    }

    /// Marks the folder as kiln's output and puts it at `out_dir`.
    fn swap_in(mut self) -> Result<(), BuildError> {
        let marker = self.dir.join(crate::graph::OUTPUT_MARKER);
        let text = format!("{{\"generator\":\"kiln\",\"version\":\"{}\"}}\n", env!("CARGO_PKG_VERSION"));
        std::fs::write(&marker, text).map_err(|e| BuildError::io(&marker, &e, "write"))?;
        swap(&self.dir, &self.out_dir)?;
        self.swapped = true;
        Ok(())
    }
}

/// Writes each file into `staging`; one the previous output (`previous`) holds with the same
/// bytes at the same path is linked instead (a rebuild rewrites only what changed, and
/// removing the previous output then frees nothing the new one uses).
fn write_all(staging: &Path, previous: Option<&Path>, writes: &[(String, &[u8])]) -> Result<(), BuildError> {
    let mut dirs: Vec<PathBuf> = writes.iter().filter_map(|(p, _)| staging.join(p).parent().map(Path::to_path_buf)).collect();
    dirs.push(staging.to_path_buf());
    dirs.sort();
    dirs.dedup();
    for d in &dirs {
        std::fs::create_dir_all(d).map_err(|e| BuildError::io(d, &e, "create a folder"))?;
    }
    writes.par_iter().try_for_each(|(p, bytes)| {
        let path = staging.join(p);
        if let Some(old) = previous.map(|d| d.join(p)).filter(|old| holds(old, bytes)) {
            if std::fs::hard_link(&old, &path).is_ok() {
                return Ok(());
            }
        }
        std::fs::write(&path, bytes).map_err(|e| BuildError::io(&path, &e, "write"))
    })
}

/// Puts `staging` at `out_dir`. On Linux the two folders trade places in one step
/// (`renameat2` with `RENAME_EXCHANGE`), so a server reading `out_dir` (`kiln serve --watch`)
/// sees the old output or the new, never neither; elsewhere, or where the file system cannot,
/// the old output is moved aside, then removed once the new one is in place, and put back if
/// the second rename fails.
fn swap(staging: &Path, out_dir: &Path) -> Result<(), BuildError> {
    if out_dir.is_dir() && exchange(staging, out_dir) {
        let _ = std::fs::remove_dir_all(staging);
        return Ok(());
    }
    if !out_dir.exists() {
        return std::fs::rename(staging, out_dir).map_err(|e| BuildError::io(out_dir, &e, "move the new output in place"));
    }
    if !out_dir.is_dir() {
        return Err(BuildError::one(
            Diagnostic::error("out_dir exists and is not a folder").in_file(out_dir.display().to_string()).of_kind(crate::diagnostics::Kind::Io),
        ));
    }
    let old = sibling(out_dir, "old");
    std::fs::rename(out_dir, &old).map_err(|e| BuildError::io(out_dir, &e, "move the previous output aside"))?;
    if let Err(e) = std::fs::rename(staging, out_dir) {
        let _ = std::fs::rename(&old, out_dir);
        return Err(BuildError::io(out_dir, &e, "move the new output in place"));
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let (Ok(a), Ok(b)) = (std::ffi::CString::new(a.as_os_str().as_bytes()), std::ffi::CString::new(b.as_os_str().as_bytes())) else { return false };
    // SAFETY: both are valid NUL-terminated paths, relative to the current folder.
    unsafe { libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> bool {
    false
}

/// Where and what emit writes.
#[derive(Debug, Clone)]
pub struct EmitOptions {
    pub out_dir: PathBuf,
    /// File name of the build manifest inside `out_dir`, or none.
    pub manifest: Option<String>,
    /// kiln's `base` (the manifest's `Use-As-Dictionary` values are under it).
    pub base: String,
}

impl EmitOptions {
    pub fn new(config: &Config) -> Self {
        EmitOptions { out_dir: config.out_dir.clone(), manifest: config.manifest.clone(), base: config.base.clone() }
    }
}

/// The write stage: every output file checked and written into a staging folder beside
/// `out_dir`, while the compress stage makes the twins (the large bundles' slowest segments
/// are still being compressed on other cores by then).
pub struct WriteStage<'a> {
    options: &'a EmitOptions,
}

pub struct WriteOutput {
    pub staging: Staging,
    pub log: StageLog,
}

stage_output!(WriteOutput);

impl<'a> WriteStage<'a> {
    pub fn new(options: &'a EmitOptions) -> Self {
        WriteStage { options }
    }

    pub fn run(self, files: &[OutputFile]) -> Result<WriteOutput, BuildError> {
        check_placeholders(files)?;
        let staging = Staging::new(&self.options.out_dir)?;
        let writes: Vec<(String, &[u8])> = files.iter().map(|f| (f.path.clone(), &f.bytes[..])).collect();
        // The manifest lists the integrity of what it lists: made while the files are
        // written (the kernel copying a big map into a file keeps one core busy).
        let (written, ()) = rayon::join(
            || staging.write(&writes),
            || {
                if self.options.manifest.is_some() {
                    manifest::hash_listed(files.iter());
                }
            },
        );
        written?;
        Ok(WriteOutput { staging, log: StageLog::default() })
    }
}

/// The emit stage: the twins and the manifest written beside the files the write stage
/// wrote, and the whole output swapped in at once.
pub struct EmitStage<'a> {
    options: &'a EmitOptions,
}

/// What was written (the manifest included).
pub struct EmitOutput {
    pub files: Vec<Compressed>,
    pub log: StageLog,
}

stage_output!(EmitOutput);

impl<'a> EmitStage<'a> {
    pub fn new(options: &'a EmitOptions) -> Self {
        EmitStage { options }
    }

    /// `files` are those the write stage wrote into `staging`, with their twins.
    pub fn run(self, staging: Staging, mut files: Vec<Compressed>) -> Result<EmitOutput, BuildError> {
        let listed = files.len();
        if let Some(name) = &self.options.manifest {
            files.push(manifest::file(name, &files, &self.options.base)?);
        }
        let mut writes = twins(&files[..listed]);
        writes.extend(files[listed..].iter().map(|c| (c.file.path.clone(), &c.file.bytes[..])));
        staging.write(&writes)?;
        staging.swap_in()?;
        Ok(EmitOutput { files, log: StageLog::default() })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_found_and_lookalikes_are_not() {
        use super::leaked_placeholder as leak;
        assert_eq!(leak(b"a __kiln_u000003__ b"), Some(2));
        assert_eq!(leak(b"new URL(\"__kiln_as2__\",import.meta.url)"), Some(9));
        assert!(leak(b"var __kiln_l3_foo = 1").is_some());
        assert!(leak(b"__kiln_ex0123456789ab").is_some());
        assert!(leak(b"__kiln_ns12").is_some());
        assert_eq!(leak(b"the __kiln_ prefix and __kiln_docs"), None);
    }

    #[test]
    fn safe_paths() {
        assert!(super::is_safe("assets/a.png"));
        assert!(!super::is_safe("../a.png"));
        assert!(!super::is_safe("/etc/passwd"));
        assert!(!super::is_safe("a/./b"));
    }
}
