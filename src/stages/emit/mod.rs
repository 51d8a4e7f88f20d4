//! Emit: write the whole output into a staging folder beside `out_dir`, then swap it in.
//!
//! Nothing touches `out_dir` until every file of the new output is on disk, so a build that
//! fails (or is killed) leaves the previous output exactly as it was.

pub mod manifest;

use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{BuildError, Diagnostic};
use crate::stages::compress::Compressed;

/// The files to write: each output and its twins.
fn writes(files: &[Compressed]) -> Vec<(String, &[u8])> {
    let mut out = Vec::with_capacity(files.len() * 3);
    for c in files {
        out.push((c.file.path.clone(), &c.file.bytes[..]));
        if let Some(gz) = &c.gzip {
            out.push((format!("{}.gz", c.file.path), &gz[..]));
        }
        if let Some(br) = &c.brotli {
            out.push((format!("{}.br", c.file.path), &br[..]));
        }
    }
    out
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

pub fn run(config: &Config, files: &[Compressed]) -> Result<(), BuildError> {
    let out_dir = &config.out_dir;
    let writes = writes(files);
    if let Some((bad, _)) = writes.iter().find(|(p, _)| !is_safe(p)) {
        return Err(BuildError::one(Diagnostic::error(format!("refusing to write {bad:?}: it is not inside out_dir"))));
    }
    let parent = out_dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| BuildError::io(parent, &e, "create the output's parent folder"))?;
    let staging = sibling(out_dir, "staging");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| BuildError::io(&staging, &e, "clear the staging folder"))?;
    }
    let result = write_all(&staging, &writes).and_then(|()| swap(&staging, out_dir));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn write_all(staging: &Path, writes: &[(String, &[u8])]) -> Result<(), BuildError> {
    let mut dirs: Vec<PathBuf> = writes.iter().filter_map(|(p, _)| staging.join(p).parent().map(Path::to_path_buf)).collect();
    dirs.push(staging.to_path_buf());
    dirs.sort();
    dirs.dedup();
    for d in &dirs {
        std::fs::create_dir_all(d).map_err(|e| BuildError::io(d, &e, "create a folder"))?;
    }
    writes.par_iter().try_for_each(|(p, bytes)| {
        let path = staging.join(p);
        std::fs::write(&path, bytes).map_err(|e| BuildError::io(&path, &e, "write"))
    })
}

/// Puts `staging` at `out_dir`: the old output is moved aside, then removed once the new one
/// is in place; if the second rename fails, the old output is put back.
fn swap(staging: &Path, out_dir: &Path) -> Result<(), BuildError> {
    if !out_dir.exists() {
        return std::fs::rename(staging, out_dir).map_err(|e| BuildError::io(out_dir, &e, "move the new output in place"));
    }
    if !out_dir.is_dir() {
        return Err(BuildError::one(
            Diagnostic::error("out_dir exists and is not a folder").in_file(out_dir.display().to_string()),
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

#[cfg(test)]
mod tests {
    #[test]
    fn safe_paths() {
        assert!(super::is_safe("assets/a.png"));
        assert!(!super::is_safe("../a.png"));
        assert!(!super::is_safe("/etc/passwd"));
        assert!(!super::is_safe("a/./b"));
    }
}
