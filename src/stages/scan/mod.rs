//! Scan: find the pages, then load every file they reach, wave by wave, in parallel.
//!
//! Each wave loads a sorted, de-duplicated list of files on the rayon pool; the files they
//! reference form the next wave. Every file is read and parsed once, by the loader its kind
//! names (`html`, `css`, `webmanifest`, or a verbatim read), which writes placeholders for its
//! references (see [`crate::graph`]). Results are sorted by path before anything else sees
//! them, so the thread count cannot change the output.

pub mod resolve;
pub mod walk;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{BuildError, Diagnostic, Diagnostics};
use crate::graph::{Asset, AssetKind, Graph, RefUse, Refs};
use crate::stages::js::JsEntry;
use crate::stages::{css, html, webmanifest};
use resolve::{FsCache, Resolved};

/// What a loader hands back: the asset (unless it could not be read) and what it found wrong.
pub struct Loaded {
    pub asset: Option<Asset>,
    pub diags: Vec<Diagnostic>,
    /// Inline `<script type="module">`s of a page: key, virtual path, code.
    pub inline_modules: Vec<(String, std::path::PathBuf, String)>,
    /// Specifiers the page's import map maps.
    pub import_map: Vec<String>,
}

pub struct ScanOutput {
    pub graph: Graph,
    /// Warnings (errors end the build before this is returned).
    pub warnings: Diagnostics,
    /// Module scripts of the pages and configured script entries, for the JS stage.
    pub js_entries: Vec<JsEntry>,
    /// Bare specifiers every page with module scripts maps in its own import map: the browser
    /// resolves them, so bundles keep them as imports. (One mapped on some pages only is
    /// bundled: the pages without the map could not load it.)
    pub import_map: Vec<String>,
}

/// File extensions of script entries (`--entry src/main.ts`).
fn is_script_entry(rel: &str) -> bool {
    let ext = rel.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    matches!(ext.as_str(), "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx")
}

pub fn run(config: &Config) -> Result<ScanOutput, BuildError> {
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
    let mut waves = Waves { config, fs: &fs, entries: pages.iter().cloned().collect(), kinds: BTreeMap::new(), import_maps: Vec::new() };
    let (mut assets, mut js_entries) = waves.run(pages.iter().map(|e| (e.clone(), AssetKind::Html)).collect(), &mut diags);
    for rel in scripts {
        js_entries.push(JsEntry { path: config.path(&rel), key: rel, source: None });
    }
    if diags.has_errors() {
        return Err(diags.into());
    }
    modules_are_chunks_everywhere(&mut assets, &js_entries);
    let mut graph = Graph { assets, public };
    graph.assets.sort_by(|a: &Asset, b: &Asset| a.src.cmp(&b.src));
    let import_map = mapped_everywhere(&waves.import_maps);
    Ok(ScanOutput { graph, warnings: diags.sorted(), js_entries, import_map })
}

/// A file that is a module script somewhere is its bundle everywhere: a `<link
/// rel="preload">`, `prefetch` or plain `<script src>` of it points at the chunk, never at the
/// raw source (whose imports would not resolve in a browser).
fn modules_are_chunks_everywhere(assets: &mut Vec<Asset>, js_entries: &[JsEntry]) {
    let modules: BTreeSet<&str> = js_entries.iter().filter(|e| e.source.is_none()).map(|e| e.key.as_str()).collect();
    assets.retain(|a| !modules.contains(a.src.as_str()));
    for a in assets.iter_mut() {
        for r in a.refs.0.iter_mut() {
            if !r.public && modules.contains(r.target.as_str()) {
                r.kind = AssetKind::Chunk;
            }
        }
    }
}

/// Loads files the JS stage found (`import logo from './logo.png'`) and what they refer to,
/// skipping files already in the graph.
pub fn load_more(config: &Config, graph: &mut Graph, requests: Vec<(String, AssetKind)>) -> Result<Diagnostics, BuildError> {
    let fs = FsCache::default();
    let mut diags = Diagnostics::default();
    let mut waves = Waves { config, fs: &fs, entries: BTreeSet::new(), kinds: BTreeMap::new(), import_maps: Vec::new() };
    for a in &graph.assets {
        waves.kinds.insert(a.src.clone(), a.kind);
    }
    let wave: Vec<(String, AssetKind)> = requests.into_iter().filter(|(rel, _)| !waves.kinds.contains_key(rel)).collect();
    let (assets, _) = waves.run(wave, &mut diags);
    if diags.has_errors() {
        return Err(diags.into());
    }
    graph.assets.extend(assets);
    graph.assets.sort_by(|a: &Asset, b: &Asset| a.src.cmp(&b.src));
    Ok(diags)
}

struct Waves<'a> {
    config: &'a Config,
    fs: &'a FsCache,
    entries: BTreeSet<String>,
    /// Every file seen, with its loader.
    kinds: BTreeMap<String, AssetKind>,
    /// Per page: whether it has module scripts, and the specifiers its import map maps.
    import_maps: Vec<(bool, Vec<String>)>,
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

impl Waves<'_> {
    /// Loads `wave` and everything it reaches; bundles referenced by pages are collected as JS
    /// entries instead of being loaded.
    fn run(&mut self, mut wave: Vec<(String, AssetKind)>, diags: &mut Diagnostics) -> (Vec<Asset>, Vec<JsEntry>) {
        let mut assets = Vec::new();
        let mut js_entries: BTreeMap<String, JsEntry> = BTreeMap::new();
        while !wave.is_empty() {
            for (rel, kind) in &wave {
                self.kinds.insert(rel.clone(), *kind);
            }
            let loaded: Vec<Loaded> = wave
                .par_iter()
                .map(|(rel, kind)| load(self.config, self.fs, rel, *kind, self.entries.contains(rel)))
                .collect();
            let mut next: BTreeMap<String, AssetKind> = BTreeMap::new();
            for l in loaded {
                diags.extend(l.diags);
                if let Some(a) = l.asset.as_ref().filter(|a| a.kind == AssetKind::Html) {
                    let modules = !l.inline_modules.is_empty() || a.refs.0.iter().any(|r| r.kind == AssetKind::Chunk);
                    self.import_maps.push((modules, l.import_map.clone()));
                }
                for (key, path, source) in l.inline_modules {
                    js_entries.insert(key.clone(), JsEntry { key, path, source: Some(source) });
                }
                if let Some(asset) = l.asset {
                    for r in asset.refs.0.iter().filter(|r| !r.public) {
                        if r.kind == AssetKind::Chunk {
                            js_entries.entry(r.target.clone()).or_insert_with(|| JsEntry {
                                key: r.target.clone(),
                                path: self.config.path(&r.target),
                                source: None,
                            });
                        } else if !self.kinds.contains_key(&r.target) {
                            let k = next.entry(r.target.clone()).or_insert(r.kind);
                            *k = (*k).max(r.kind);
                        }
                    }
                    assets.push(asset);
                }
            }
            wave = next.into_iter().collect();
        }
        (assets, js_entries.into_values().collect())
    }
}

fn load(config: &Config, fs: &FsCache, rel: &str, kind: AssetKind, is_entry: bool) -> Loaded {
    let abs = config.path(rel);
    let bytes = match std::fs::read(&abs) {
        Ok(b) => b,
        Err(e) => {
            return Loaded {
                asset: None,
                diags: vec![Diagnostic::error(format!("cannot read: {e}")).in_file(rel)],
                inline_modules: Vec::new(),
                import_map: Vec::new(),
            }
        }
    };
    let mut sink = RefSink::new(config, fs);
    let content = match kind {
        AssetKind::Html => html::load(config, rel, &bytes, &mut sink),
        AssetKind::Css => css::load_file(config, rel, &mut sink),
        AssetKind::WebManifest => webmanifest::load(rel, &abs, &bytes, &mut sink),
        AssetKind::Js | AssetKind::Raw | AssetKind::Chunk => Some(bytes),
    };
    let RefSink { refs, diags, inline_modules, css_keep, import_map, .. } = sink;
    let asset = content.map(|content| Asset { src: rel.to_owned(), kind, is_entry, content, refs, map: None, modules: Vec::new(), css_keep, fixed_path: None });
    Loaded { asset, diags, inline_modules, import_map }
}

/// Collects the references of one file as its loader meets them.
pub struct RefSink<'a> {
    pub config: &'a Config,
    pub fs: &'a FsCache,
    pub refs: Refs,
    pub diags: Vec<Diagnostic>,
    /// Inline module scripts found in a page: key, virtual path, code.
    pub inline_modules: Vec<(String, std::path::PathBuf, String)>,
    /// With `css.prune`: selectors a `/* kiln-keep */` comment marks in the file's CSS.
    pub css_keep: Vec<String>,
    /// Specifiers a page's own `<script type="importmap">` maps.
    pub import_map: Vec<String>,
}

/// How to treat a reference whose file does not exist.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum IfMissing {
    Error,
    /// Warn and keep the URL (links to files another tool may produce).
    Warn,
}

impl<'a> RefSink<'a> {
    pub fn new(config: &'a Config, fs: &'a FsCache) -> Self {
        RefSink {
            config,
            fs,
            refs: Refs::default(),
            diags: Vec::new(),
            inline_modules: Vec::new(),
            css_keep: Vec::new(),
            import_map: Vec::new(),
        }
    }

    /// The text to write instead of `url` (written in the file `referrer`), or `None` to leave
    /// it as it is. `locate` puts a diagnostic at the reference's position.
    pub fn url(
        &mut self,
        referrer: &Path,
        url: &str,
        hint: Option<AssetKind>,
        if_missing: IfMissing,
        locate: &dyn Fn(Diagnostic) -> Diagnostic,
    ) -> Option<String> {
        let resolved = resolve::resolve(self.config, self.fs, referrer, url);
        self.placeholder_for(resolved, url, hint, if_missing, locate)
    }

    /// [`RefSink::url`] for a URL written in CSS, where a bare specifier may name a package
    /// file ([`resolve::resolve_css`]).
    pub fn css_url(
        &mut self,
        referrer: &Path,
        url: &str,
        hint: Option<AssetKind>,
        locate: &dyn Fn(Diagnostic) -> Diagnostic,
    ) -> Option<String> {
        let resolved = resolve::resolve_css(self.config, self.fs, referrer, url);
        self.placeholder_for(resolved, url, hint, IfMissing::Error, locate)
    }

    fn placeholder_for(
        &mut self,
        resolved: Resolved,
        url: &str,
        hint: Option<AssetKind>,
        if_missing: IfMissing,
        locate: &dyn Fn(Diagnostic) -> Diagnostic,
    ) -> Option<String> {
        match resolved {
            Resolved::External | Resolved::Folder => None,
            Resolved::Local { rel, suffix } => {
                let kind = AssetKind::for_path(&rel, hint);
                if kind == AssetKind::Html || (hint == Some(AssetKind::Chunk) && !is_script_entry(&rel)) {
                    return None;
                }
                Some(self.refs.placeholder(&rel, kind, RefUse::Url, false) + &suffix)
            }
            Resolved::Public { rel, suffix } => {
                Some(self.refs.placeholder(&rel, AssetKind::Raw, RefUse::Url, true) + &suffix)
            }
            Resolved::Missing { path } => {
                let d = match if_missing {
                    IfMissing::Error => Diagnostic::error(format!("{url:?} refers to a missing file ({path})")),
                    IfMissing::Warn => Diagnostic::warning(format!("{url:?} refers to a missing file ({path}); left as it is")),
                };
                self.diags.push(locate(d));
                None
            }
            Resolved::Outside { path } => {
                self.diags.push(locate(Diagnostic::error(format!(
                    "{url:?} leads outside the project root and its workspace, or into the output folder ({path})"
                ))));
                None
            }
        }
    }

    /// The placeholder for the integrity value of the asset that `url_placeholder` names.
    pub fn integrity_of(&mut self, url_placeholder: &str) -> Option<String> {
        let index: usize = url_placeholder.get(8..14)?.parse().ok()?;
        let r = self.refs.0.get(index)?.clone();
        Some(self.refs.placeholder(&r.target, r.kind, RefUse::Integrity, r.public))
    }
}
