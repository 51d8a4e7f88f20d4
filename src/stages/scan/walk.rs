//! Finds the pages (the `entries` globs) and the public files.
//!
//! The page walk skips what ripgrep skips — files that `.gitignore` and `.git/info/exclude`
//! name inside a git repository (read in every folder and its parents up to the repository's
//! root), that `.ignore` names anywhere, dot-files and dot-folders — and `node_modules`, the
//! public folder, `exclude`, and every kiln output folder (one holding [`OUTPUT_MARKER`],
//! wherever it was written).
//! Another tool's output (`dist-vite/`, `coverage/`, `storybook-static/`) is in `.gitignore`
//! in every project that has one, so its pages are never taken for sources.

use walkdir::WalkDir;

use super::ScanOptions;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::graph::{PublicFile, OUTPUT_MARKER};
use crate::paths::display_path;

/// Pages matching `entries` and not skipped (see above); sorted.
pub fn find_entries(options: &ScanOptions, diags: &mut Diagnostics) -> Vec<String> {
    let mut builder = ignore::WalkBuilder::new(&options.loader.root);
    builder
        .follow_links(false)
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .ignore(true)
        .parents(true)
        .require_git(true)
        .sort_by_file_name(|a, b| a.cmp(b));
    let root = options.loader.root.clone();
    let (out_dir, configured, public) = (options.loader.out_dir.clone(), options.configured_out_dir.clone(), options.loader.public_dir.clone());
    builder.filter_entry(move |e| {
        let path = e.path();
        if path == root || !e.file_type().is_some_and(|t| t.is_dir()) {
            return true;
        }
        !(e.file_name() == "node_modules" || path == out_dir || path == configured || public.as_deref() == Some(path) || path.join(OUTPUT_MARKER).is_file())
    });
    let mut found = Vec::new();
    for entry in builder.build() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                diags.push(
                    Diagnostic::error(format!("cannot read: {e}")).in_file(options.loader.rel(&options.loader.root)).of_kind(crate::diagnostics::Kind::Io),
                );
                continue;
            }
        };
        let Some(file_type) = entry.file_type() else { continue };
        let is_file = file_type.is_file() || (file_type.is_symlink() && entry.path().is_file());
        if !is_file {
            continue;
        }
        let rel = options.loader.rel(entry.path());
        if !options.entry_set.is_match(&rel) || options.exclude.is_match(&rel) {
            continue;
        }
        if entry.path_is_symlink() {
            match entry.path().canonicalize() {
                Ok(real) if real.starts_with(&options.loader.root) => {}
                _ => {
                    diags.push(
                        Diagnostic::error("this page is a symlink that leads outside the project root").in_file(rel).of_kind(crate::diagnostics::Kind::Resolve),
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
fn readable(options: &ScanOptions, entry: walkdir::Result<walkdir::DirEntry>, diags: &mut Diagnostics) -> Option<walkdir::DirEntry> {
    match entry {
        Ok(e) => Some(e),
        Err(e) => {
            let path = e.path().map(|p| options.loader.rel(p)).unwrap_or_default();
            diags.push(Diagnostic::error(format!("cannot read: {e}")).in_file(path).of_kind(crate::diagnostics::Kind::Io));
            None
        }
    }
}

/// Every file of the public folder, sorted; symlinks leading outside the root are errors.
pub fn find_public(options: &ScanOptions, diags: &mut Diagnostics) -> Vec<PublicFile> {
    let Some(public) = &options.loader.public_dir else { return Vec::new() };
    if !public.is_dir() {
        return Vec::new();
    }
    let mut files = Vec::new();
    for entry in WalkDir::new(public).follow_links(false).sort_by_file_name() {
        let Some(entry) = readable(options, entry, diags) else { continue };
        let rel_in_root = options.loader.rel(entry.path());
        if entry.path_is_symlink() {
            match entry.path().canonicalize() {
                Ok(real) if real.starts_with(&options.loader.root) && real.is_file() => {}
                Ok(real) if real.starts_with(&options.loader.root) => continue,
                _ => {
                    diags.push(
                        Diagnostic::error("this public file is a symlink that leads outside the project root")
                            .in_file(rel_in_root)
                            .of_kind(crate::diagnostics::Kind::Resolve),
                    );
                    continue;
                }
            }
        } else if !entry.file_type().is_file() {
            continue;
        }
        if options.exclude.is_match(&rel_in_root) {
            continue;
        }
        files.push(PublicFile { rel: display_path(entry.path(), public), abs: entry.path().to_path_buf() });
    }
    files
}
