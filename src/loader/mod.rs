//! The loader layer: reads a file by its kind (HTML page, stylesheet, web app manifest, or
//! verbatim bytes), writes a placeholder for each local reference it finds ([`RefSink`], URLs
//! resolved by [`resolve`]), and loads what those references reach, wave by wave, in
//! parallel ([`Waves`]). The scan stage drives it from the pages; the JS stage calls it again
//! for the files scripts import. Loaders sit below every stage and import none.
//!
//! Each wave loads a sorted, de-duplicated list of files on the rayon pool; the files they
//! reference form the next wave. Every file is read and parsed once. Results are sorted by
//! path before anything else sees them, so the thread count cannot change the output.

pub mod css;
pub mod html;
mod options;
pub mod resolve;
pub mod webmanifest;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rayon::prelude::*;

use crate::cache::Cache;
use crate::diagnostics::{BuildError, Diagnostic, Diagnostics};
use crate::graph::{Asset, AssetKey, AssetKind, Graph, JsEntry, RefUse, Refs};
pub use options::LoaderOptions;
use resolve::{FsCache, Resolved};

/// File extensions of script entries (`--entry src/main.ts`).
pub fn is_script_entry(rel: &str) -> bool {
    let ext = rel.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    matches!(ext.as_str(), "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx")
}

/// What a loader hands back: the asset (unless it could not be read) and what it found wrong.
pub struct Loaded {
    pub asset: Option<Asset>,
    pub diags: Vec<Diagnostic>,
    /// Inline `<script type="module">`s of a page: key, virtual path, code.
    pub inline_modules: Vec<(AssetKey, std::path::PathBuf, String)>,
    /// Specifiers the page's import map maps.
    pub import_map: Vec<String>,
}

/// Loads files the JS stage found (`import logo from './logo.png'`) and what they refer to,
/// skipping files already in the graph.
/// A file the JS stage asks the loaders for: one under the root, or the CSS a component's
/// compiler made (`text`; `rel` is the component's path with `?style`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Request {
    pub rel: String,
    pub kind: AssetKind,
    pub text: Option<String>,
}

/// The suffix of a component's stylesheet's key (`src/App.vue?style`).
pub const COMPONENT_STYLE: &str = "?style";

pub fn load_more(options: &LoaderOptions, cache: &Cache, graph: &mut Graph, requests: Vec<Request>) -> Result<Diagnostics, BuildError> {
    let fs = FsCache::default();
    let mut diags = Diagnostics::default();
    let mut waves = Waves::new(options, &fs, cache, BTreeSet::new());
    for a in &graph.assets {
        waves.kinds.insert(a.src.clone(), a.kind);
    }
    let (made, files): (Vec<Request>, Vec<Request>) = requests.into_iter().partition(|r| r.text.is_some());
    let wave: Vec<(AssetKey, AssetKind)> =
        files.into_iter().map(|r| (AssetKey::File(r.rel), r.kind)).filter(|(key, _)| !waves.kinds.contains_key(key)).collect();
    let (mut assets, _) = waves.run(wave, &mut diags);
    for r in made {
        let text = r.text.unwrap_or_default();
        let origin = r.rel.strip_suffix(COMPONENT_STYLE).unwrap_or(&r.rel);
        let mut sink = RefSink::new(options, &fs);
        let at = css::Embedded { html_rel: origin, html: &text, start: 0 };
        let content = css::inline_sheet(options, &text, &at, &mut sink);
        let RefSink { refs, diags: found, css_keep, .. } = sink;
        diags.extend(found);
        let more = content.map(|c| Asset {
            src: AssetKey::File(r.rel),
            kind: AssetKind::Css,
            is_entry: false,
            content: c.into_bytes(),
            refs,
            chunk: None,
            css_keep,
            fixed_path: None,
        });
        assets.extend(more);
    }
    // What the components' stylesheets refer to (images, fonts), loaded as files.
    let mut wanted: BTreeMap<AssetKey, AssetKind> = BTreeMap::new();
    for r in assets.iter().flat_map(|a| a.refs.0.iter()).filter(|r| !r.public && !waves.kinds.contains_key(&r.target)) {
        let k = wanted.entry(r.target.clone()).or_insert(r.kind);
        *k = (*k).max(r.kind);
    }
    let wanted: Vec<(AssetKey, AssetKind)> = wanted.into_iter().filter(|(key, _)| !assets.iter().any(|a| &a.src == key)).collect();
    let (later, _) = waves.run(wanted, &mut diags);
    assets.extend(later);
    if diags.has_errors() {
        return Err(diags.into());
    }
    graph.assets.extend(assets);
    graph.assets.sort_by(|a: &Asset, b: &Asset| a.src.cmp(&b.src));
    Ok(diags)
}

/// Loads files wave by wave: what one wave refers to is the next.
pub struct Waves<'a> {
    options: &'a LoaderOptions,
    fs: &'a FsCache,
    /// The build cache (stylesheets).
    cache: &'a Cache,
    /// Files that are entries of the build (pages found by the walk).
    entries: BTreeSet<String>,
    /// Every file seen, with its loader.
    kinds: BTreeMap<AssetKey, AssetKind>,
    /// Per page: whether it has module scripts, and the specifiers its import map maps.
    pub import_maps: Vec<(bool, Vec<String>)>,
}

impl<'a> Waves<'a> {
    pub fn new(options: &'a LoaderOptions, fs: &'a FsCache, cache: &'a Cache, entries: BTreeSet<String>) -> Self {
        Waves { options, fs, cache, entries, kinds: BTreeMap::new(), import_maps: Vec::new() }
    }

    /// Loads `wave` and everything it reaches; bundles referenced by pages are collected as JS
    /// entries instead of being loaded.
    pub fn run(&mut self, mut wave: Vec<(AssetKey, AssetKind)>, diags: &mut Diagnostics) -> (Vec<Asset>, Vec<JsEntry>) {
        let mut assets = Vec::new();
        let mut js_entries: BTreeMap<AssetKey, JsEntry> = BTreeMap::new();
        while !wave.is_empty() {
            for (rel, kind) in &wave {
                self.kinds.insert(rel.clone(), *kind);
            }
            let loaded: Vec<Loaded> =
                wave.par_iter().map(|(key, kind)| load(self.options, self.fs, self.cache, key, *kind, self.entries.contains(key.source_file()))).collect();
            let mut next: BTreeMap<AssetKey, AssetKind> = BTreeMap::new();
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
                                path: self.options.path(r.target.source_file()),
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

fn load(options: &LoaderOptions, fs: &FsCache, cache: &Cache, key: &AssetKey, kind: AssetKind, is_entry: bool) -> Loaded {
    let rel = key.source_file();
    let abs = options.path(rel);
    let bytes = match std::fs::read(&abs) {
        Ok(b) => b,
        Err(e) => {
            return Loaded {
                asset: None,
                diags: vec![Diagnostic::error(format!("cannot read: {e}")).in_file(rel).of_kind(crate::diagnostics::Kind::Io)],
                inline_modules: Vec::new(),
                import_map: Vec::new(),
            }
        }
    };
    let mut sink = RefSink::new(options, fs);
    let content = match kind {
        AssetKind::Html => html::load(options, rel, &bytes, &mut sink),
        AssetKind::Css => css::cached::load_file(options, cache, rel, &mut sink),
        AssetKind::WebManifest => webmanifest::load(rel, &abs, &bytes, &mut sink),
        AssetKind::Js | AssetKind::Raw | AssetKind::Chunk => Some(bytes),
    };
    let RefSink { refs, diags, inline_modules, css_keep, import_map, .. } = sink;
    let asset = content.map(|content| Asset { src: key.clone(), kind, is_entry, content, refs, chunk: None, css_keep, fixed_path: None });
    Loaded { asset, diags, inline_modules, import_map }
}

/// Collects the references of one file as its loader meets them.
pub struct RefSink<'a> {
    pub options: &'a LoaderOptions,
    pub fs: &'a FsCache,
    pub refs: Refs,
    pub diags: Vec<Diagnostic>,
    /// Inline module scripts found in a page: key, virtual path, code.
    pub inline_modules: Vec<(AssetKey, std::path::PathBuf, String)>,
    /// With `css.prune`: selectors a `/* kiln-keep */` comment marks in the file's CSS.
    pub css_keep: Vec<String>,
    /// Specifiers a page's own `<script type="importmap">` maps.
    pub import_map: Vec<String>,
    /// Every URL written in CSS resolved: the file it is written in, the URL, the result as
    /// text (what a cached stylesheet checks again).
    pub css_resolved: Vec<(std::path::PathBuf, String, Resolved)>,
}

/// How to treat a reference whose file does not exist.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum IfMissing {
    Error,
    /// Warn and keep the URL (links to files another tool may produce).
    Warn,
}

impl<'a> RefSink<'a> {
    pub fn new(options: &'a LoaderOptions, fs: &'a FsCache) -> Self {
        RefSink {
            options,
            fs,
            refs: Refs::default(),
            diags: Vec::new(),
            inline_modules: Vec::new(),
            css_keep: Vec::new(),
            import_map: Vec::new(),
            css_resolved: Vec::new(),
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
        let resolved = resolve::resolve(self.options, self.fs, referrer, url);
        self.placeholder_for(resolved, url, hint, if_missing, locate)
    }

    /// [`RefSink::url`] for a URL written in CSS, where a bare specifier may name a package
    /// file ([`resolve::resolve_css`]).
    pub fn css_url(&mut self, referrer: &Path, url: &str, hint: Option<AssetKind>, locate: &dyn Fn(Diagnostic) -> Diagnostic) -> Option<String> {
        let resolved = resolve::resolve_css(self.options, self.fs, referrer, url);
        self.css_resolved.push((referrer.to_path_buf(), url.to_owned(), resolved.clone()));
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
                Some(self.refs.placeholder(&AssetKey::File(rel), kind, RefUse::Url, false) + &suffix)
            }
            Resolved::Public { rel, suffix } => Some(self.refs.placeholder(&AssetKey::File(rel), AssetKind::Raw, RefUse::Url, true) + &suffix),
            Resolved::Missing { path } => {
                let d = match if_missing {
                    IfMissing::Error => Diagnostic::error(format!("{url:?} refers to a missing file ({path})")).of_kind(crate::diagnostics::Kind::Resolve),
                    IfMissing::Warn => Diagnostic::warning(format!("{url:?} refers to a missing file ({path}); left as it is")),
                };
                self.diags.push(locate(d));
                None
            }
            Resolved::Outside { path } => {
                self.diags.push(locate(
                    Diagnostic::error(format!("{url:?} leads outside the project root and its workspace, or into the output folder ({path})"))
                        .of_kind(crate::diagnostics::Kind::Resolve),
                ));
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
