//! Paths as kiln writes and compares them: lexically normalized, `/`-separated and relative to
//! the project root in messages and the manifest. Below every stage; imports nothing of kiln.

use std::path::{Component, Path, PathBuf};

/// `to` relative to the folder `from` (`../x/y`), when both are absolute and share more than
/// the file system's root.
pub fn relative_path(from: &Path, to: &Path) -> Option<String> {
    if !from.is_absolute() || !to.is_absolute() {
        return None;
    }
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    if common <= 1 {
        return None;
    }
    let mut parts: Vec<String> = vec!["..".into(); from.len() - common];
    parts.extend(to[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    Some(parts.join("/"))
}

/// `path` relative to `root` with `/` separators when inside it, else as given.
pub fn display_path(path: &Path, root: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) => rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"),
        Err(_) => path.display().to_string(),
    }
}

pub fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        normalize(p)
    } else {
        normalize(&std::env::current_dir().unwrap_or_default().join(p))
    }
}

/// Resolves `.` and `..` without touching the file system.
pub fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// [`lexical`], then canonicalizes the longest existing prefix (so a symlinked /tmp compares
/// equal to its target).
pub fn normalize(p: &Path) -> PathBuf {
    let out = lexical(p);
    let mut existing = out.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name().map(|n| n.to_owned()), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => return out,
        }
    }
    let mut canon = existing.canonicalize().unwrap_or(existing);
    for name in rest.into_iter().rev() {
        canon.push(name);
    }
    canon
}

/// The folder part of an output path (`""` at the top).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// `path` as written relative to the project `root`: `src/main.ts`, or `../pkg/x.js` for a
/// workspace file beside the project.
pub fn project_relative(root: &Path, path: &Path) -> String {
    if !path.starts_with(root) {
        if let Some(rel) = relative_path(root, path) {
            return rel;
        }
    }
    display_path(path, root)
}
