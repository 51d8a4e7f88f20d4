//! `kiln.toml` + command-line overrides → one validated [`Config`].
//!
//! The file is read into [`raw::RawConfig`], where every field is optional and unknown keys are
//! rejected; [`Config::load`] is the one place that fills defaults and validates, so every stage
//! reads settled values. Each section (`[js]`, `[images]`, …) has a file of its own with its
//! settled type and the function that settles it. Values that can be wrong in ways serde cannot
//! see (a browserslist query, a file-name pattern) are kept with their spans so their errors
//! point at the key's line:col.

mod cache;
mod cascade;
mod compress;
mod css;
mod delta;
mod env;
mod file_names;
mod images;
mod js;
mod offline;
mod publish;
mod raw;
pub mod schema;

pub(crate) use raw::RawConfig;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::ops::Range;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use toml::Spanned;

pub use cache::RemoteCacheOptions;
#[cfg(test)]
pub use compress::default_compress_types;
pub use compress::CompressOptions;
pub use css::{CssOptions, HtmlOptions};
pub use delta::{DeltaEncoding, DeltaOptions};
pub use env::EnvOptions;
pub use file_names::FileNames;
pub use images::{ImageFormat, ImageOptions, ImageRule, Loading, Strip};
pub use js::{JsOptions, LegalComments, SourceMapMode, Transform};
pub use offline::{OfflineOptions, Update};
#[cfg(feature = "publish")]
pub use publish::PublishEncoding;
pub use publish::PublishOptions;

use crate::diagnostics::{BuildError, Diagnostic, Diagnostics, Kind};
use crate::paths::{absolute, display_path, lexical, normalize};
use crate::size::SizeValue as RawSize;
use raw::ManifestSetting;

pub const CONFIG_FILE: &str = "kiln.toml";
pub const DEFAULT_FILE_NAMES: &str = "assets/[name].[hash].[ext]";

/// Settings given on the command line, which win over the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub out_dir: Option<PathBuf>,
    pub jobs: Option<usize>,
    pub no_compress: bool,
    /// `--entry`: build these files (root-relative) instead of the `entries` globs.
    pub entries: Vec<String>,
    pub no_minify: bool,
    pub sourcemap: Option<SourceMapMode>,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--cache-read-only`: read the remote cache, write nothing to it.
    pub cache_read_only: bool,
    /// `--mode`: the `.env.[mode]` files read and `import.meta.env.MODE`.
    pub mode: Option<String>,
    /// The environment variables and working folder the build sees (see [`crate::environ`]).
    pub process: crate::environ::Env,
}

/// How a changed chunk's new name reaches the files that import it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashCascade {
    /// Importers write the hashed URL, so they change name too (the default).
    Hashes,
    /// Chunks import each other by stable names, mapped to hashed URLs by an import map in
    /// each page: only the changed chunk and the pages change.
    ImportMap,
}

impl crate::fields::Keyed for HashCascade {
    fn write(&self, k: &mut crate::fields::KeyFields) {
        k.raw(match self {
            HashCascade::Hashes => b"hashes",
            HashCascade::ImportMap => b"importmap",
        });
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The project folder, canonical.
    pub root: PathBuf,
    /// The environment variables and working folder the build sees (from [`Overrides`]).
    pub process: crate::environ::Env,
    /// Where the output goes, absolute (it may not exist yet).
    pub out_dir: PathBuf,
    /// The out_dir the config names (or the default), skipped by the page walk even when
    /// `--out` sends this build elsewhere: it holds an earlier output, not sources.
    pub configured_out_dir: PathBuf,
    /// Copied verbatim and unhashed to the output's top level, when it exists.
    pub public_dir: Option<PathBuf>,
    pub entries: Vec<String>,
    pub entry_set: GlobSet,
    pub exclude: GlobSet,
    /// Prefix of every rewritten URL; `./` (or empty) gives URLs relative to the referring file.
    pub base: String,
    pub file_names: FileNames,
    pub hash_length: usize,
    pub sri: bool,
    /// File name of the build manifest inside `out_dir`, or none.
    pub manifest: Option<String>,
    pub hash_cascade: HashCascade,
    /// Why kiln chose `hash_cascade` when the file did not set it (shown with the build's
    /// report).
    pub hash_cascade_reason: Option<String>,
    /// The build cache's folder (`None`: `--no-cache`) and size limit.
    pub cache_dir: Option<PathBuf>,
    pub cache_max_size: u64,
    /// The remote cache (`[cache] remote`), when one is set.
    pub cache_remote: Option<RemoteCacheOptions>,
    pub images: ImageOptions,
    pub publish: PublishOptions,
    pub html: HtmlOptions,
    pub css: CssOptions,
    pub js: JsOptions,
    pub env: EnvOptions,
    pub compress: CompressOptions,
    /// `[delta]`: compression-dictionary deltas.
    pub delta: DeltaOptions,
    /// Write `_headers` (Cloudflare Pages, Netlify): Early Hints `Link`s and cache headers.
    pub headers_file: bool,
    /// `[offline]`: the service worker, when asked for.
    pub offline: Option<OfflineOptions>,
    /// What the secret checks let through (`[secrets]`).
    pub secrets: crate::secrets::Allow,
    /// The workspace the project belongs to (a pnpm, npm or yarn workspace, or the git
    /// repository): files there may be read from outside the root, as workspace packages
    /// live beside the app.
    pub workspace_root: Option<PathBuf>,
    /// Worker threads; `None` uses every core.
    pub jobs: Option<usize>,
    /// The config file that was read, if any.
    pub config_file: Option<PathBuf>,
}

/// Collects every problem found in the file, each at its key's line:col, so one run reports
/// them all.
pub(crate) struct Checker<'a> {
    shown: &'a str,
    text: &'a str,
    diags: RefCell<Diagnostics>,
}

impl Checker<'_> {
    /// A bad value, reported at the start of its span in the file.
    pub(crate) fn bad(&self, span: Range<usize>, msg: String) {
        self.diags.borrow_mut().push(Diagnostic::error(msg).at_offset(self.shown, self.text, span.start).of_kind(Kind::Config));
    }

    /// A problem without a place in the file (a command-line value).
    pub(crate) fn push(&self, d: Diagnostic) {
        self.diags.borrow_mut().push(d.of_kind(Kind::Config));
    }
}

impl Config {
    /// Reads `kiln.toml` (from `root`, or the file named in `overrides`) and applies the
    /// overrides. Every problem found is reported, each at its key's line:col.
    pub fn load(root: &Path, overrides: &Overrides) -> Result<Config, BuildError> {
        let root = project_root(root)?;
        let (config_file, text) = read_file(&root, overrides)?;
        let shown = config_file.as_ref().map(|f| display_path(f, &root)).unwrap_or_default();
        let mut raw: RawConfig = match toml::from_str(&text) {
            Ok(r) => r,
            Err(e) => return Err(BuildError::one(Diagnostic::from_toml(&e, "config", &shown, &text))),
        };
        let c = Checker { shown: &shown, text: &text, diags: RefCell::default() };
        let (out_dir, configured_out_dir, public_dir) = folders(&raw, &root, overrides, &c);
        let entries: Vec<Spanned<String>> = if overrides.entries.is_empty() {
            raw.entries.take().unwrap_or_else(|| vec![Spanned::new(0..0, "**/*.html".to_owned())])
        } else {
            overrides.entries.iter().map(|e| Spanned::new(0..0, e.trim_start_matches("./").to_owned())).collect()
        };
        let cache_dir = (!overrides.no_cache).then(|| match &raw.cache_dir {
            Some(d) => normalize(&root.join(d.get_ref())),
            None => crate::cache::default_dir(&root),
        });
        let mut config = Config {
            process: overrides.process.clone(),
            out_dir,
            configured_out_dir,
            public_dir,
            entry_set: build_globs(&entries, &c),
            entries: entries.into_iter().map(Spanned::into_inner).collect(),
            exclude: build_globs(raw.exclude.as_deref().unwrap_or_default(), &c),
            base: raw.base.as_ref().map_or("/".to_owned(), |b| b.get_ref().clone()),
            file_names: file_names(&raw, &c),
            hash_length: hash_length(&raw, &c),
            sri: raw.sri.unwrap_or(false),
            manifest: manifest_name(&raw, &c),
            hash_cascade: HashCascade::Hashes,
            hash_cascade_reason: None,
            cache_dir,
            cache_max_size: size_setting(&raw.cache_max_size, 1_000_000_000, "cache_max_size", &c),
            cache_remote: cache::remote_cache_options(raw.cache.take().unwrap_or_default(), raw.publish.as_ref().unwrap_or(&Default::default()), overrides, &c),
            css: css::css_options(raw.css.take().unwrap_or_default(), &c),
            html: css::html_options(raw.html.take()),
            compress: compress::compress_options(raw.compress.take().unwrap_or_default(), overrides, &c),
            delta: delta::delta_options(raw.delta.take().unwrap_or_default(), overrides.no_compress, &c),
            js: js::js_options(raw.js.take().unwrap_or_default(), overrides, &root, &c),
            env: env::env_options(raw.env.take().unwrap_or_default(), overrides, &root, &c),
            images: images::images_options(raw.images.take().unwrap_or_default(), &c),
            publish: publish::publish_options(raw.publish.take().unwrap_or_default(), &c),
            headers_file: raw.headers_file.unwrap_or(false),
            offline: offline::offline_options(raw.offline.take(), &root, &c),
            secrets: secrets_allow(raw.secrets.take().unwrap_or_default(), &c),
            workspace_root: crate::env_files::workspace_root(&root),
            jobs: overrides.jobs,
            config_file,
            root,
        };
        (config.hash_cascade, config.hash_cascade_reason) = cascade::hash_cascade(&raw, &config.css.targets_query, &config.entries, &c);
        if overrides.jobs == Some(0) {
            c.push(Diagnostic::error("--jobs must be at least 1"));
        }
        let diags = c.diags.into_inner();
        if diags.has_errors() {
            return Err(diags.into());
        }
        Ok(config)
    }

    /// The absolute path of a root-relative source path (which may start with `../` for a
    /// file of the workspace).
    pub fn path(&self, rel: &str) -> PathBuf {
        source_path(&self.root, rel)
    }

    /// Whether a file (its real path, symlinks followed) may be read as a source: inside the
    /// root, inside the workspace, or inside a `node_modules` folder of the root or of a folder
    /// above it (where package resolution looks). Never inside the output folder.
    pub fn may_read(&self, real: &Path) -> bool {
        may_read(&self.root, &self.out_dir, self.workspace_root.as_deref(), real)
    }

    /// A path as written in messages and the manifest: `/`-separated, relative to the root
    /// (with `../` for files of the workspace outside it).
    pub fn rel(&self, path: &Path) -> String {
        crate::paths::project_relative(&self.root, path)
    }
}

/// [`Config::path`], for the option structs that carry the root.
pub fn source_path(root: &Path, rel: &str) -> PathBuf {
    lexical(&root.join(rel))
}

/// [`Config::may_read`], for the option structs that carry the folders it needs.
pub fn may_read(root: &Path, out_dir: &Path, workspace_root: Option<&Path>, real: &Path) -> bool {
    if real.starts_with(out_dir) {
        return false;
    }
    // In a `node_modules` folder of the root or of a folder above it: some folder of `real`
    // named node_modules sits in a folder the root is in (no path is built: this runs for
    // every import resolved).
    real.starts_with(root)
        || workspace_root.is_some_and(|w| real.starts_with(w))
        || real.ancestors().any(|a| a.file_name().is_some_and(|n| n == "node_modules") && a.parent().is_some_and(|p| root.starts_with(p)))
}

fn project_root(root: &Path) -> Result<PathBuf, BuildError> {
    match root.canonicalize() {
        Ok(p) if p.is_dir() => Ok(p),
        Ok(p) => Err(BuildError::one(Diagnostic::error("the project root is not a folder").in_file(p.display().to_string()))),
        Err(e) => Err(BuildError::one(Diagnostic::error(format!("cannot open the project root: {e}")).in_file(root.display().to_string()))),
    }
}

/// The config file named on the command line, else `kiln.toml` in the root if there is one.
fn read_file(root: &Path, overrides: &Overrides) -> Result<(Option<PathBuf>, String), BuildError> {
    match &overrides.config_file {
        Some(f) => match std::fs::read_to_string(f) {
            Ok(t) => Ok((Some(f.clone()), t)),
            Err(e) => Err(BuildError::io(f, &e, "read the config file")),
        },
        None => {
            let f = root.join(CONFIG_FILE);
            match std::fs::read_to_string(&f) {
                Ok(t) => Ok((Some(f), t)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((None, String::new())),
                Err(e) => Err(BuildError::io(&f, &e, "read the config file")),
            }
        }
    }
}

/// The output folder (as used and as configured) and the public folder, all absolute.
fn folders(raw: &RawConfig, root: &Path, overrides: &Overrides, c: &Checker) -> (PathBuf, PathBuf, Option<PathBuf>) {
    // Paths in the file are relative to the root; --out is relative to the working directory.
    let configured_out_dir = normalize(&root.join(raw.out_dir.as_ref().map_or("dist", |s| s.get_ref().as_str())));
    let out_dir = overrides.out_dir.as_deref().map_or_else(|| configured_out_dir.clone(), absolute);
    let public_dir =
        raw.public_dir.as_ref().map_or(Some("public"), |s| (!s.get_ref().is_empty()).then(|| s.get_ref().as_str())).map(|p| normalize(&root.join(p)));
    check_folders(raw, root, &out_dir, public_dir.as_deref(), overrides, c);
    (out_dir, configured_out_dir, public_dir)
}

fn file_names(raw: &RawConfig, c: &Checker) -> FileNames {
    let default = || FileNames::parse(DEFAULT_FILE_NAMES).expect("the default pattern is valid");
    let Some(s) = &raw.file_names else { return default() };
    FileNames::parse(s.get_ref()).unwrap_or_else(|msg| {
        c.bad(s.span(), format!("file_names: {msg}"));
        default()
    })
}

fn hash_length(raw: &RawConfig, c: &Checker) -> usize {
    let Some(h) = &raw.hash_length else { return 8 };
    if !(4..=52).contains(h.get_ref()) {
        c.bad(h.span(), format!("hash_length must be between 4 and 52, not {}", h.get_ref()));
    }
    *h.get_ref()
}

/// The output must not hold the sources, nor overlap the public folder.
fn check_folders(raw: &RawConfig, root: &Path, out_dir: &Path, public_dir: Option<&Path>, overrides: &Overrides, c: &Checker) {
    if root.starts_with(out_dir) {
        let msg = format!("out_dir {} is the project root or contains it: the build would delete its own sources", out_dir.display());
        match &raw.out_dir {
            Some(s) if overrides.out_dir.is_none() => c.bad(s.span(), msg),
            _ => c.push(Diagnostic::error(msg)),
        }
    }
    if let Some(public) = public_dir {
        if public.starts_with(out_dir) || out_dir.starts_with(public) {
            c.push(Diagnostic::error(format!("out_dir {} and public_dir {} overlap", out_dir.display(), public.display())));
        }
    }
}

/// The manifest's name unless `kiln.toml` names another.
pub const DEFAULT_MANIFEST: &str = "manifest.json";

impl Config {
    /// Where readers of an output (check, lab, serve, publish) look for its manifest: the
    /// configured name, or the default one when the build writes none.
    pub fn manifest_file(&self) -> &str {
        self.manifest.as_deref().unwrap_or(DEFAULT_MANIFEST)
    }
}

fn manifest_name(raw: &RawConfig, c: &Checker) -> Option<String> {
    match raw.manifest.as_ref().map(|m| (m.span(), m.get_ref())) {
        None | Some((_, ManifestSetting::Enabled(true))) => Some(DEFAULT_MANIFEST.to_owned()),
        Some((_, ManifestSetting::Enabled(false))) => None,
        Some((span, ManifestSetting::Name(n))) => {
            if n.is_empty() || n.contains(['/', '\\']) || n.starts_with('.') {
                c.bad(span, format!("manifest must be a plain file name, not {n:?}"));
            }
            Some(n.clone())
        }
    }
}

/// A size key's bytes, or `default`; a bad value is reported at the key.
fn size_setting(value: &Option<Spanned<RawSize>>, default: u64, key: &str, c: &Checker) -> u64 {
    match value {
        None => default,
        Some(v) => v.get_ref().bytes().unwrap_or_else(|e| {
            c.bad(v.span(), format!("{key}: {e}"));
            default
        }),
    }
}

/// `[secrets]`: the files and values the secret checks let through.
fn secrets_allow(raw: raw::RawSecrets, c: &Checker) -> crate::secrets::Allow {
    let files = raw.allow_files.unwrap_or_default();
    let values: Vec<String> = raw
        .allow
        .unwrap_or_default()
        .into_iter()
        .map(|v| {
            let (span, v) = (v.span(), v.into_inner());
            let ok = v.split_once(':').is_some_and(|(rule, hash)| !rule.is_empty() && hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()));
            if !ok {
                c.bad(span, format!("secrets.allow takes fingerprints as the build prints them (\"rule:16 hex digits\"), not {v:?}"));
            }
            v
        })
        .collect();
    let rules: Vec<String> = raw
        .allow_rules
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            let (span, r) = (r.span(), r.into_inner());
            if !crate::secrets::values::rule_ids().any(|id| id == r) {
                let known: Vec<&str> = crate::secrets::values::rule_ids().collect();
                c.bad(span, format!("secrets.allow_rules: no rule is called {r:?} (the rules: {})", known.join(", ")));
            }
            r
        })
        .collect();
    crate::secrets::Allow { files: build_globs(&files, c), values, rules }
}

fn build_globs(patterns: &[Spanned<String>], c: &Checker) -> GlobSet {
    build_patterns(patterns, c).set
}

/// Globs as written, with the set they compile to (the patterns are what a cache key holds).
#[derive(Debug, Clone)]
pub struct Globs {
    pub patterns: Vec<String>,
    pub set: GlobSet,
}

impl std::ops::Deref for Globs {
    type Target = GlobSet;
    fn deref(&self) -> &GlobSet {
        &self.set
    }
}

impl crate::fields::Keyed for Globs {
    fn write(&self, k: &mut crate::fields::KeyFields) {
        self.patterns.write(k);
    }
}

fn build_patterns(patterns: &[Spanned<String>], c: &Checker) -> Globs {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        match Glob::new(p.get_ref()) {
            Ok(g) => {
                b.add(g);
            }
            Err(e) => c.bad(p.span(), format!("invalid glob {:?}: {}", p.get_ref(), e.kind())),
        }
    }
    let set = b.build().unwrap_or_else(|_| GlobSet::empty());
    Globs { patterns: patterns.iter().map(|p| p.get_ref().clone()).collect(), set }
}
