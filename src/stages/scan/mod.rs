//! Scan: find the pages (and public files), then load every file they reach with the
//! [`crate::loader`], which hands back the graph and the module scripts for the JS stage.

pub mod walk;

use std::collections::BTreeSet;

use crate::config::Config;
use crate::diagnostics::{BuildError, Diagnostic, Diagnostics};
use crate::graph::{Asset, AssetKey, AssetKind, Graph, JsEntry};
use crate::loader::resolve::{self, FsCache};
use crate::loader::{is_script_entry, Waves};
use crate::log::{stage_output, StageLog};

pub struct ScanOutput {
    pub graph: Graph,
    /// Warnings (errors end the build before this is returned).
    pub log: StageLog,
    /// Module scripts of the pages and configured script entries, for the JS stage.
    pub js_entries: Vec<JsEntry>,
    /// Bare specifiers every page with module scripts maps in its own import map: the browser
    /// resolves them, so bundles keep them as imports. (One mapped on some pages only is
    /// bundled: the pages without the map could not load it.)
    pub import_map: Vec<String>,
}

fn run(config: &Config) -> Result<ScanOutput, BuildError> {
    let mut diags = Diagnostics::default();
    let found = walk::find_entries(config, &mut diags);
    let public = walk::find_public(config, &mut diags);
    let (scripts, pages): (Vec<String>, Vec<String>) = found.into_iter().partition(|rel| is_script_entry(rel));
    if pages.is_empty() && scripts.is_empty() && !diags.has_errors() {
        diags.push(
            Diagnostic::error(format!(
                "no pages found in {} (entries: {})",
                config.root.display(),
                config.entries.join(", ")
            ))
            .with_note("kiln builds the HTML pages under the root; set `entries` in kiln.toml (or pass --entry) to choose them"),
        );
    }
    let fs = FsCache::default();
    let mut waves = Waves::new(config, &fs, pages.iter().cloned().collect());
    let (mut assets, mut js_entries) = waves.run(pages.iter().map(|e| (AssetKey::file(e), AssetKind::Html)).collect(), &mut diags);
    for rel in scripts {
        js_entries.push(JsEntry { path: config.path(&rel), key: AssetKey::File(rel), source: None });
    }
    if diags.has_errors() {
        return Err(diags.into());
    }
    modules_are_chunks_everywhere(&mut assets, &js_entries);
    let mut graph = Graph { assets, public };
    graph.assets.sort_by(|a: &Asset, b: &Asset| a.src.cmp(&b.src));
    let import_map = mapped_everywhere(&waves.import_maps);
    Ok(ScanOutput { graph, log: StageLog::warnings(diags.sorted()), js_entries, import_map })
}

/// A file that is a module script somewhere is its bundle everywhere: a `<link
/// rel="preload">`, `prefetch` or plain `<script src>` of it points at the chunk, never at the
/// raw source (whose imports would not resolve in a browser).
fn modules_are_chunks_everywhere(assets: &mut Vec<Asset>, js_entries: &[JsEntry]) {
    let modules: BTreeSet<&AssetKey> = js_entries.iter().filter(|e| e.source.is_none()).map(|e| &e.key).collect();
    assets.retain(|a| !modules.contains(&a.src));
    for a in assets.iter_mut() {
        for r in a.refs.0.iter_mut() {
            if !r.public && modules.contains(&r.target) {
                r.kind = AssetKind::Chunk;
            }
        }
    }
}

/// The bare specifiers every page with module scripts maps, sorted.
fn mapped_everywhere(pages: &[(bool, Vec<String>)]) -> Vec<String> {
    let mut with_modules = pages.iter().filter(|(modules, _)| *modules).map(|(_, keys)| keys);
    let Some(first) = with_modules.next() else { return Vec::new() };
    let bare = |k: &String| !(k.starts_with('.') || k.starts_with('/') || resolve::is_external(k));
    let mut keys: Vec<String> = first.iter().filter(|k| bare(k)).cloned().collect();
    for other in with_modules {
        keys.retain(|k| other.contains(k));
    }
    keys.sort();
    keys.dedup();
    keys
}

/// The scan stage. It reads the project-wide settings (paths, targets, `base`) because the
/// loaders it drives write every reference the same way the rest of the build will.
pub struct ScanStage<'a> {
    config: &'a Config,
}

impl<'a> ScanStage<'a> {
    pub fn new(config: &'a Config) -> Self {
        ScanStage { config }
    }

    pub fn run(self) -> Result<ScanOutput, BuildError> {
        run(self.config)
    }
}

stage_output!(ScanOutput);
