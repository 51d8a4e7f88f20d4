//! The files lightningcss's bundler reads: `@import` resolution by kiln's rules (root-relative
//! `/x.css`, public files and URLs with a scheme left as they are), and the texts kept for code
//! frames.

use std::path::{Path, PathBuf};

use elsa::sync::FrozenVec;
use lightningcss::bundler::{ResolveResult, SourceProvider};
use lightningcss::error::ErrorLocation;

use crate::diagnostics::Diagnostic;
use crate::loader::resolve::{resolve_css, FsCache, Resolved};
use crate::loader::LoaderOptions;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ImportError(String);

pub struct Provider<'c> {
    options: &'c LoaderOptions,
    fs: &'c FsCache,
    /// (path, text) of every file read; append-only so the bundler can borrow the texts.
    files: FrozenVec<Box<(PathBuf, String)>>,
    /// With `css.prune`: what `/* kiln-keep */` comments mark in the files read.
    pub keep: std::sync::Mutex<Vec<String>>,
    /// Every `@import` resolved: the file it is written in, the specifier, the result as text.
    pub resolved: std::sync::Mutex<Vec<(PathBuf, String, Resolved)>>,
}

impl<'c> Provider<'c> {
    pub fn new(options: &'c LoaderOptions, fs: &'c FsCache) -> Self {
        Provider { options, fs, files: FrozenVec::new(), keep: Default::default(), resolved: Default::default() }
    }

    /// Every file read, with the blake3 of its text, in hex.
    pub fn digests(&self) -> Vec<(PathBuf, String)> {
        (0..self.files.len()).filter_map(|i| self.files.get(i)).map(|(p, t)| (p.clone(), blake3::hash(t.as_bytes()).to_hex().to_string())).collect()
    }

    /// The texts of every file read.
    pub fn texts(&self) -> Vec<String> {
        (0..self.files.len()).filter_map(|i| self.files.get(i)).map(|(_, t)| t.clone()).collect()
    }

    fn text(&self, file: &Path) -> Option<&str> {
        (0..self.files.len()).filter_map(|i| self.files.get(i)).find(|(p, _)| p == file).map(|(_, t)| t.as_str())
    }

    /// Places `d` at a 1-based line and column of a file the bundler read.
    pub fn at(&self, d: Diagnostic, file: &Path, line: u32, column: u32) -> Diagnostic {
        let shown = self.options.rel(file);
        match self.text(file) {
            Some(text) => d.at_line_col(shown, text, line, column),
            None => d.in_file(shown),
        }
    }

    /// Places a lightningcss error (0-based line) in its file.
    pub fn locate_error(&self, d: Diagnostic, loc: Option<&ErrorLocation>, fallback: &str) -> Diagnostic {
        match loc {
            Some(l) => self.at(d, Path::new(&l.filename), l.line + 1, l.column),
            None => d.in_file(fallback),
        }
    }
}

impl SourceProvider for Provider<'_> {
    type Error = ImportError;

    fn read<'a>(&'a self, file: &Path) -> Result<&'a str, Self::Error> {
        let shown = self.options.rel(file);
        let bytes = std::fs::read(file).map_err(|e| ImportError(format!("cannot read {shown}: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|_| ImportError(format!("{shown} is not valid UTF-8")))?;
        if let Some(offset) = super::too_deep(&text) {
            let (line, col) = crate::diagnostics::line_col(&text, offset);
            return Err(ImportError(format!(
                "{shown}:{line}:{col} nests blocks more than {} levels deep, more than kiln can compile safely",
                super::MAX_NESTING
            )));
        }
        if self.options.css.prune {
            let marked = super::keep::marked(&text);
            self.keep.lock().expect("not poisoned").extend(marked);
        }
        let entry = self.files.push_get(Box::new((file.to_path_buf(), text)));
        Ok(entry.1.as_str())
    }

    fn resolve(&self, specifier: &str, originating_file: &Path) -> Result<ResolveResult, Self::Error> {
        let resolved = resolve_css(self.options, self.fs, originating_file, specifier);
        let record = (originating_file.to_path_buf(), specifier.to_owned(), resolved.clone());
        self.resolved.lock().expect("not poisoned").push(record);
        match resolved {
            Resolved::Local { rel, .. } => Ok(ResolveResult::File(self.options.path(&rel))),
            Resolved::External | Resolved::Public { .. } => Ok(ResolveResult::External(specifier.to_owned())),
            Resolved::Missing { path } => Err(ImportError(format!("@import {specifier:?} refers to a missing file ({path})"))),
            Resolved::Folder => Err(ImportError(format!("@import {specifier:?} names a folder"))),
            Resolved::Outside { path } => {
                Err(ImportError(format!("@import {specifier:?} leads outside the project root and its workspace, or into the output folder ({path})")))
            }
        }
    }
}
