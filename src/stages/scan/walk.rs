//! Finds the pages (the `entries` globs) and the public files.

use std::path::Path;

use walkdir::WalkDir;

use crate::config::{display_path, Config};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::graph::PublicFile;

/// Pages matching `entries`, outside out_dir, public_dir, `node_modules` and dot-folders, and
/// not excluded; sorted.
pub fn find_entries(config: &Config, diags: &mut Diagnostics) -> Vec<String> {
    let walker = WalkDir::new(&config.root).follow_links(false).sort_by_file_name().into_iter();
    let mut found = Vec::new();
    for entry in walker.filter_entry(|e| keep_dir(config, e.path(), e.depth())) {
        let Some(entry) = readable(config, entry, diags) else { continue };
        let is_file = entry.file_type().is_file()
            || (entry.file_type().is_symlink() && entry.path().is_file());
        if !is_file {
            continue;
        }
        let rel = config.rel(entry.path());
        if !config.entry_set.is_match(&rel) || config.exclude.is_match(&rel) {
            continue;
        }
        if entry.path_is_symlink() {
            match entry.path().canonicalize() {
                Ok(real) if real.starts_with(&config.root) => {}
                _ => {
                    diags.push(
                        Diagnostic::error("this page is a symlink that leads outside the project root")
                            .in_file(rel),
                    );
                    continue;
                }
            }
        }
        found.push(rel);
    }
    found
}

/// The entry, or `None` with an error naming the unreadable path.
fn readable(config: &Config, entry: walkdir::Result<walkdir::DirEntry>, diags: &mut Diagnostics) -> Option<walkdir::DirEntry> {
    match entry {
        Ok(e) => Some(e),
        Err(e) => {
            let path = e.path().map(|p| config.rel(p)).unwrap_or_default();
            diags.push(Diagnostic::error(format!("cannot read: {e}")).in_file(path));
            None
        }
    }
}

fn keep_dir(config: &Config, path: &Path, depth: usize) -> bool {
    if depth == 0 {
        return true;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !(name.starts_with('.')
        || name == "node_modules"
        || path == config.out_dir
        || path == config.configured_out_dir
        || config.public_dir.as_deref() == Some(path))
}

/// Every file of the public folder, sorted; symlinks leading outside the root are errors.
pub fn find_public(config: &Config, diags: &mut Diagnostics) -> Vec<PublicFile> {
    let Some(public) = &config.public_dir else { return Vec::new() };
    if !public.is_dir() {
        return Vec::new();
    }
    let mut files = Vec::new();
    for entry in WalkDir::new(public).follow_links(false).sort_by_file_name() {
        let Some(entry) = readable(config, entry, diags) else { continue };
        let rel_in_root = config.rel(entry.path());
        if entry.path_is_symlink() {
            match entry.path().canonicalize() {
                Ok(real) if real.starts_with(&config.root) && real.is_file() => {}
                Ok(real) if real.starts_with(&config.root) => continue,
                _ => {
                    diags.push(
                        Diagnostic::error("this public file is a symlink that leads outside the project root")
                            .in_file(rel_in_root),
                    );
                    continue;
                }
            }
        } else if !entry.file_type().is_file() {
            continue;
        }
        if config.exclude.is_match(&rel_in_root) {
            continue;
        }
        files.push(PublicFile { rel: display_path(entry.path(), public), abs: entry.path().to_path_buf() });
    }
    files
}
