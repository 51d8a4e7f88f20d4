//! Scan: find the pages (and public files), then load every file they reach with the
//! [`crate::loader`], which hands back the graph and the module scripts for the JS stage.

pub mod walk;

use std::collections::BTreeSet;
use std::path::PathBuf;

use globset::GlobSet;

use crate::config::Config;

use crate::diagnostics::{BuildError, Diagnostic, Diagnostics};
use crate::graph::{Asset, AssetKey, AssetKind, Graph, JsEntry};
use crate::loader::resolve::{self, FsCache};
use crate::loader::{is_script_entry, LoaderOptions, Waves};
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

fn run(options: &ScanOptions, cache: &crate::cache::Cache) -> Result<ScanOutput, BuildError> {
    let mut diags = Diagnostics::default();
    let found = walk::find_entries(options, &mut diags);
    let public = walk::find_public(options, &mut diags);
    let (scripts, pages): (Vec<String>, Vec<String>) = found.into_iter().partition(|rel| is_script_entry(rel));
    if pages.is_empty() && scripts.is_empty() && !diags.has_errors() {
        diags.push(
            Diagnostic::error(format!("no pages found in {} (entries: {})", options.loader.root.display(), options.entries.join(", ")))
                .with_note("kiln builds the HTML pages under the root; set `entries` in kiln.toml (or pass --entry) to choose them"),
        );
    }
    let fs = FsCache::default();
    let mut waves = Waves::new(&options.loader, &fs, cache, pages.iter().cloned().collect());
    let (mut assets, mut js_entries) = waves.run(pages.iter().map(|e| (AssetKey::file(e), AssetKind::Html)).collect(), &mut diags);
    for rel in scripts {
        js_entries.push(JsEntry { path: options.loader.path(&rel), key: AssetKey::File(rel), source: None });
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

/// What the scan reads: which pages to build, what to skip, and what the loaders need.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub loader: LoaderOptions,
    /// The `entries` globs (for messages) and their set.
    pub entries: Vec<String>,
    pub entry_set: GlobSet,
    pub exclude: GlobSet,
    /// The out_dir the config names: skipped by the page walk even when `--out` sends this
    /// build elsewhere.
    pub configured_out_dir: PathBuf,
}

impl ScanOptions {
    pub fn new(config: &Config) -> Self {
        ScanOptions {
            loader: LoaderOptions::new(config),
            entries: config.entries.clone(),
            entry_set: config.entry_set.clone(),
            exclude: config.exclude.clone(),
            configured_out_dir: config.configured_out_dir.clone(),
        }
    }
}

/// The scan stage.
pub struct ScanStage<'a> {
    options: &'a ScanOptions,
    cache: &'a crate::cache::Cache,
}

impl<'a> ScanStage<'a> {
    /// The stage; stylesheets are kept in `cache` (see [`crate::loader::css`]).
    pub fn new(options: &'a ScanOptions, cache: &'a crate::cache::Cache) -> Self {
        ScanStage { options, cache }
    }

    pub fn run(self) -> Result<ScanOutput, BuildError> {
        run(self.options, self.cache)
    }
}

stage_output!(ScanOutput);
