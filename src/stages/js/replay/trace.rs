//! What loading one module read, kept so that a later build can tell, without parsing it,
//! whether loading it again would give the same module: the bytes of its file, the tsconfig
//! options that applied, and where each of its imports led.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use swc_core::common::DUMMY_SP;

use crate::stages::js::scan::analyze::{ImportKind, ImportRecord};
use crate::stages::js::scan::meta::Listing;
use crate::stages::js::scan::resolve::{JsResolver, TsOptions};
use crate::stages::js::scan::target::{target_of, Target, Variant};
use crate::stages::js::BundleOptions;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleTrace {
    pub path: PathBuf,
    pub variant: Variant,
    /// The blake3 of the file's bytes, in hex; none for an inline script (its text is part of
    /// the stage's key) and for a file imported as an asset (the JS stage never reads it).
    pub digest: Option<String>,
    /// The tsconfig options that applied to a parsed module.
    pub ts: Option<TsOptions>,
    pub records: Vec<RecordTrace>,
    /// The folder listings its globs and `import()` patterns made.
    pub listings: Vec<Listing>,
    /// Other files its compiler read (a component's imported props type, `<style src>`), with
    /// the blake3 of their bytes in hex.
    #[serde(default)]
    pub deps: Vec<(PathBuf, String)>,
}

/// One import of the module, and where it led.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordTrace {
    pub specifier: String,
    pub kind: ImportKind,
    /// The resolution (a file with its variant and side-effect flag, a worker's entry, or
    /// nothing for an external import).
    pub target: Target,
}

impl ModuleTrace {
    /// A module whose file the JS stage does not read (an asset imported for its URL).
    pub fn unread(path: &Path, variant: Variant) -> Self {
        ModuleTrace { path: path.to_path_buf(), variant, digest: None, ts: None, records: Vec::new(), listings: Vec::new(), deps: Vec::new() }
    }

    /// A module read (`digest`: its file's blake3; none for an inline script) and parsed.
    pub(in crate::stages::js) fn read(
        path: &Path,
        variant: Variant,
        digest: Option<[u8; 32]>,
        ts: TsOptions,
        records: &[ImportRecord],
        targets: &[Target],
    ) -> Self {
        let records = records.iter().zip(targets).map(|(r, t)| RecordTrace { specifier: r.specifier.clone(), kind: r.kind, target: t.clone() }).collect();
        ModuleTrace {
            path: path.to_path_buf(),
            variant,
            digest: digest.map(|d| blake3::Hash::from(d).to_hex().to_string()),
            ts: Some(ts),
            records,
            listings: Vec::new(),
            deps: Vec::new(),
        }
    }

    /// The bytes of the module's file if they are the ones it read (`Some(None)`: it read
    /// none); `None` if the file changed or is gone.
    pub fn bytes(&self) -> Option<Option<Vec<u8>>> {
        let same = |(p, d): &(PathBuf, String)| std::fs::read(p).is_ok_and(|b| blake3::hash(&b).to_hex().as_str() == d);
        if !self.deps.iter().all(same) {
            return None;
        }
        let Some(digest) = &self.digest else { return Some(None) };
        let bytes = std::fs::read(&self.path).ok()?;
        (blake3::hash(&bytes).to_hex().as_str() == digest).then_some(Some(bytes))
    }

    /// Whether the module's tsconfig options, its folder listings and the targets of its
    /// imports are the ones it had (`import_map`: the specifiers the pages' import maps
    /// resolve).
    pub fn resolves_alike(&self, options: &BundleOptions, resolver: &JsResolver, import_map: &[String]) -> bool {
        if let Some(ts) = &self.ts {
            match resolver.ts_options(options, &self.path) {
                Ok(now) if &now == ts => {}
                _ => return false,
            }
        }
        if !self.listings.iter().all(|l| l.holds(&options.loader.root, &self.path)) {
            return false;
        }
        self.records.iter().all(|r| {
            let record = ImportRecord { specifier: r.specifier.clone(), span: DUMMY_SP, kind: r.kind };
            target_of(options, resolver, import_map, &self.path, &record).is_ok_and(|now| now == r.target)
        })
    }
}
