//! `kiln.toml` + command-line overrides → one validated [`Config`].
//!
//! The file is read into [`RawConfig`], where every field is optional and unknown keys are
//! rejected; [`Config::load`] is the one place that fills defaults and validates, so every stage
//! reads settled values. Values that can be wrong in ways serde cannot see (a browserslist query,
//! a file-name pattern) are kept with their spans so their errors point at the key's line:col.

use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use lightningcss::targets::Browsers;
use serde::Deserialize;
use toml::Spanned;

use crate::diagnostics::{BuildError, Diagnostic, Diagnostics};
use crate::stages::budget::size::SizeValue as RawSize;

pub const CONFIG_FILE: &str = "kiln.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    out_dir: Option<Spanned<String>>,
    public_dir: Option<Spanned<String>>,
    entries: Option<Vec<Spanned<String>>>,
    exclude: Option<Vec<Spanned<String>>>,
    base: Option<Spanned<String>>,
    file_names: Option<Spanned<String>>,
    hash_length: Option<Spanned<usize>>,
    sri: Option<bool>,
    manifest: Option<Spanned<ManifestSetting>>,
    hash_cascade: Option<Spanned<String>>,
    cache_dir: Option<Spanned<String>>,
    cache_max_size: Option<Spanned<RawSize>>,
    images: Option<RawImages>,
    publish: Option<RawPublish>,
    html: Option<RawHtml>,
    css: Option<RawCss>,
    js: Option<RawJs>,
    env: Option<RawEnv>,
    compress: Option<RawCompress>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnv {
    mode: Option<Spanned<String>>,
    prefixes: Option<Vec<Spanned<String>>>,
    dir: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJs {
    minify: Option<bool>,
    sourcemap: Option<Spanned<SourceMapSetting>>,
    target: Option<Spanned<String>>,
    define: Option<std::collections::BTreeMap<String, String>>,
    conditions: Option<Vec<String>>,
    external: Option<Vec<String>>,
    splitting: Option<bool>,
    min_chunk_size: Option<u64>,
    manual_chunks: Option<std::collections::BTreeMap<String, Vec<Spanned<String>>>>,
    alias: Option<std::collections::BTreeMap<String, Spanned<String>>>,
    jsx: Option<Spanned<String>>,
    jsx_import_source: Option<String>,
    jsx_factory: Option<String>,
    jsx_fragment: Option<String>,
}


/// Image settings a rule may override.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawImageRule {
    files: Option<Spanned<String>>,
    skip: Option<bool>,
    png_level: Option<Spanned<u8>>,
    strip: Option<Spanned<String>>,
    jpeg_quality: Option<Spanned<u8>>,
    quality: Option<Spanned<u8>>,
    formats: Option<Vec<Spanned<String>>>,
    widths: Option<Vec<Spanned<u32>>>,
    svg: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImages {
    skip: Option<bool>,
    png_level: Option<Spanned<u8>>,
    strip: Option<Spanned<String>>,
    jpeg_quality: Option<Spanned<u8>>,
    quality: Option<Spanned<u8>>,
    formats: Option<Vec<Spanned<String>>>,
    widths: Option<Vec<Spanned<u32>>>,
    svg: Option<Spanned<String>>,
    sizes: Option<String>,
    on_bad_image: Option<Spanned<String>>,
    max_pixels: Option<u64>,
    rules: Option<Vec<RawImageRule>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPublish {
    bucket: Option<String>,
    prefix: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
    path_style: Option<bool>,
    checksum: Option<Spanned<String>>,
    encoding: Option<Spanned<String>>,
    retain: Option<Spanned<usize>>,
    max_deletes: Option<usize>,
    concurrency: Option<Spanned<usize>>,
    multipart_threshold: Option<Spanned<RawSize>>,
    headers: Option<Vec<RawPublishHeaders>>,
    cloudfront_distribution: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPublishHeaders {
    files: Spanned<String>,
    cache_control: Option<String>,
    headers: Option<std::collections::BTreeMap<String, Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SourceMapSetting {
    Enabled(bool),
    Mode(String),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ManifestSetting {
    Enabled(bool),
    Name(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHtml {
    minify: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCss {
    targets: Option<Spanned<String>>,
    minify: Option<bool>,
    prune: Option<bool>,
    safelist: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompress {
    gzip: Option<bool>,
    brotli: Option<bool>,
    gzip_level: Option<Spanned<u32>>,
    zopfli: Option<bool>,
    brotli_quality: Option<Spanned<u32>>,
    brotli_window: Option<Spanned<u32>>,
    min_size: Option<u64>,
    types: Option<Vec<Spanned<String>>>,
}

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
    /// `--mode`: the `.env.[mode]` files read and `import.meta.env.MODE`.
    pub mode: Option<String>,
}

/// Where source maps go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceMapMode {
    None,
    /// `x.js.map` beside the file, named in a `sourceMappingURL` comment.
    External,
    /// `x.js.map` beside the file, not named in it (for error trackers).
    Hidden,
}

#[derive(Debug, Clone)]
pub struct JsOptions {
    pub minify: bool,
    pub sourcemap: SourceMapMode,
    /// `esnext`, `es2015`…`es2024`, or a browserslist query.
    pub target: String,
    /// Dotted global → JS expression source.
    pub define: Vec<(String, String)>,
    /// package.json `exports` conditions, in order.
    pub conditions: Vec<String>,
    /// Specifiers left as imports in the output.
    pub external: Vec<String>,
    /// `import()` of a local ES module makes a chunk loaded on demand, and modules shared by
    /// several entries or chunks get chunks of their own.
    pub splitting: bool,
    /// Shared chunks smaller than this (minified bytes) merge into a chunk loaded by a superset
    /// of their entries, when every module they hold only declares things.
    pub min_chunk_size: u64,
    /// Named chunks: modules whose root-relative path matches one of a group's globs (a bare
    /// package name means that package under `node_modules`) go into a chunk of that name.
    pub manual_chunks: Vec<(String, GlobSet)>,
    /// JSX settings for files no tsconfig.json or jsconfig.json gives any.
    pub jsx: JsxDefaults,
    /// `js.alias`: a specifier (or a prefix of one, up to a `/`) → a path (absolute) or a
    /// package name, as Vite's `resolve.alias` and webpack's `resolve.alias` map them.
    pub alias: Vec<(String, String)>,
}

/// `js.jsx*`: how JSX compiles where no tsconfig.json says.
#[derive(Debug, Clone, Default)]
pub struct JsxDefaults {
    /// The classic runtime (`React.createElement`) instead of the automatic one.
    pub classic: bool,
    pub import_source: Option<String>,
    pub factory: Option<String>,
    pub fragment: Option<String>,
}

/// `[env]`: what `import.meta.env` holds.
#[derive(Debug, Clone)]
pub struct EnvOptions {
    /// `import.meta.env.MODE`; also picks the `.env.[mode]` files.
    pub mode: String,
    /// Public variables (names starting with one of the prefixes) from the environment and the
    /// `.env` files, sorted by name.
    pub vars: Vec<(String, String)>,
}

/// Which PNG chunks (and JPEG segments) go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strip {
    /// Nothing.
    None,
    /// Metadata that does not change how the image looks (colour profiles and orientation stay).
    Safe,
    /// Every optional chunk, colour profiles included.
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    Avif,
    Webp,
}

impl ImageFormat {
    pub fn ext(self) -> &'static str {
        match self {
            ImageFormat::Avif => "avif",
            ImageFormat::Webp => "webp",
        }
    }
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Avif => "image/avif",
            ImageFormat::Webp => "image/webp",
        }
    }
}

/// What is done to one image.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRule {
    /// Left byte-identical.
    pub skip: bool,
    /// oxipng preset, 0 to 6.
    pub png_level: u8,
    pub strip: Strip,
    /// Re-encode JPEGs at this quality (kept only if smaller); `None`: lossless only.
    pub jpeg_quality: Option<u8>,
    /// Quality of WebP/AVIF variants and of resized JPEGs, 1 to 100.
    pub quality: u8,
    /// Modern-format variants to make of raster images.
    pub formats: Vec<ImageFormat>,
    /// Widths of resized variants (never wider than the original).
    pub widths: Vec<u32>,
    /// Minify SVG (comments, metadata, whitespace); false leaves it as it is.
    pub svg_minify: bool,
}

#[derive(Debug, Clone)]
pub struct ImageOptions {
    pub defaults: ImageRule,
    /// `[[images.rules]]`: files glob and the rule for them; the first match wins.
    pub rules: Vec<(GlobSet, ImageRule)>,
    /// `sizes` written beside a generated `srcset` when the `<img>` has none.
    pub sizes: String,
    /// Copy an image that cannot be decoded (with a warning) instead of failing.
    pub copy_bad: bool,
    /// Images with more pixels are refused (decompression bombs).
    pub max_pixels: u64,
}

impl ImageOptions {
    pub fn rule_for(&self, rel: &str) -> &ImageRule {
        self.rules.iter().find(|(set, _)| set.is_match(rel)).map_or(&self.defaults, |(_, r)| r)
    }
}

/// How compressed twins reach the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PublishEncoding {
    /// `x.js` as it is, plus `x.js.br` and `x.js.gz` with `Content-Encoding`, for an edge rule
    /// that picks one by `Accept-Encoding`.
    Siblings,
    /// The Brotli (or gzip) bytes at `x.js` itself, with `Content-Encoding`.
    BrotliInPlace,
    GzipInPlace,
    /// Only `x.js`.
    None,
}

/// A `[[publish.headers]]` rule: the files it matches, and what it sets.
#[derive(Debug, Clone)]
pub struct HeaderRule {
    pub files: GlobSet,
    pub cache_control: Option<String>,
    /// Other headers S3 stores: `content-disposition`, `content-language`, `expires`, and
    /// `x-amz-meta-*`.
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct PublishOptions {
    pub bucket: Option<String>,
    pub prefix: String,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub path_style: Option<bool>,
    /// Send checksums only when an operation requires one (`Some(true)`), or whenever
    /// supported (`Some(false)`); `None`: when required for custom endpoints, else supported.
    pub checksum_when_required: Option<bool>,
    pub encoding: PublishEncoding,
    pub retain: usize,
    pub max_deletes: usize,
    pub concurrency: usize,
    pub multipart_threshold: u64,
    pub headers: Vec<HeaderRule>,
    /// Invalidate the changed unhashed paths on this CloudFront distribution after publishing.
    pub cloudfront_distribution: Option<String>,
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

#[derive(Debug, Clone)]
pub struct Config {
    /// The project folder, canonical.
    pub root: PathBuf,
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
    pub file_names: String,
    pub hash_length: usize,
    pub sri: bool,
    /// File name of the build manifest inside `out_dir`, or none.
    pub manifest: Option<String>,
    pub hash_cascade: HashCascade,
    /// The build cache's folder (`None`: `--no-cache`) and size limit.
    pub cache_dir: Option<PathBuf>,
    pub cache_max_size: u64,
    pub images: ImageOptions,
    pub publish: PublishOptions,
    pub html: HtmlOptions,
    pub css: CssOptions,
    pub js: JsOptions,
    pub env: EnvOptions,
    pub compress: CompressOptions,
    /// The workspace the project belongs to (a pnpm, npm or yarn workspace, or the git
    /// repository): files there may be read from outside the root, as workspace packages
    /// live beside the app.
    pub workspace_root: Option<PathBuf>,
    /// Worker threads; `None` uses every core.
    pub jobs: Option<usize>,
    /// The config file that was read, if any.
    pub config_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct HtmlOptions {
    pub minify: bool,
}

#[derive(Debug, Clone)]
pub struct CssOptions {
    pub targets_query: String,
    pub browsers: Option<Browsers>,
    pub minify: bool,
    /// Drop rules no page can match.
    pub prune: bool,
    /// Names (globs) pruning keeps even when no page shows them.
    pub safelist: GlobSet,
}

#[derive(Debug, Clone)]
pub struct CompressOptions {
    pub gzip: bool,
    pub brotli: bool,
    pub gzip_level: u32,
    pub zopfli: bool,
    pub brotli_quality: u32,
    pub brotli_window: u32,
    pub min_size: u64,
    /// MIME types (with `*` wildcards, as `text/*`) that get compressed twins.
    pub types: Vec<String>,
}

pub const DEFAULT_FILE_NAMES: &str = "assets/[name].[hash].[ext]";
pub const DEFAULT_TARGETS: &str = "defaults";

pub fn default_compress_types() -> Vec<String> {
    [
        "text/*",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "application/xml",
        "application/wasm",
        "image/svg+xml",
        "image/x-icon",
    ]
    .map(String::from)
    .to_vec()
}

impl Config {
    /// Reads `kiln.toml` (from `root`, or the file named in `overrides`) and applies the
    /// overrides. Every problem found is reported, each at its key's line:col.
    pub fn load(root: &Path, overrides: &Overrides) -> Result<Config, BuildError> {
        let root = match root.canonicalize() {
            Ok(p) if p.is_dir() => p,
            Ok(p) => {
                return Err(BuildError::one(
                    Diagnostic::error("the project root is not a folder").in_file(p.display().to_string()),
                ))
            }
            Err(e) => {
                return Err(BuildError::one(
                    Diagnostic::error(format!("cannot open the project root: {e}")).in_file(root.display().to_string()),
                ))
            }
        };
        let (config_file, text) = match &overrides.config_file {
            Some(f) => match std::fs::read_to_string(f) {
                Ok(t) => (Some(f.clone()), t),
                Err(e) => return Err(BuildError::io(f, &e, "read the config file")),
            },
            None => {
                let f = root.join(CONFIG_FILE);
                match std::fs::read_to_string(&f) {
                    Ok(t) => (Some(f), t),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, String::new()),
                    Err(e) => return Err(BuildError::io(&f, &e, "read the config file")),
                }
            }
        };
        let shown = config_file.as_ref().map(|f| display_path(f, &root)).unwrap_or_default();
        let raw: RawConfig = match toml::from_str(&text) {
            Ok(r) => r,
            Err(e) => return Err(BuildError::one(Diagnostic::from_toml(&e, "config", &shown, &text))),
        };
        let diags = std::cell::RefCell::new(Diagnostics::default());
        let bad = |value_span: std::ops::Range<usize>, msg: String| {
            diags.borrow_mut().push(Diagnostic::error(msg).at_offset(&shown, &text, value_span.start));
        };

        // Paths in the file are relative to the root; --out is relative to the working directory.
        let configured_out_dir = normalize(&root.join(raw.out_dir.as_ref().map_or("dist", |s| s.get_ref().as_str())));
        let out_dir = match &overrides.out_dir {
            Some(p) => absolute(p),
            None => configured_out_dir.clone(),
        };
        let public_dir = raw
            .public_dir
            .as_ref()
            .map_or(Some("public"), |s| (!s.get_ref().is_empty()).then(|| s.get_ref().as_str()))
            .map(|p| normalize(&root.join(p)));

        if root.starts_with(&out_dir) {
            let msg = format!(
                "out_dir {} is the project root or contains it: the build would delete its own sources",
                out_dir.display()
            );
            match &raw.out_dir {
                Some(s) if overrides.out_dir.is_none() => bad(s.span(), msg),
                _ => diags.borrow_mut().push(Diagnostic::error(msg)),
            }
        }
        if let Some(public) = &public_dir {
            if public.starts_with(&out_dir) || out_dir.starts_with(public) {
                diags.borrow_mut().push(Diagnostic::error(format!(
                    "out_dir {} and public_dir {} overlap",
                    out_dir.display(),
                    public.display()
                )));
            }
        }

        let entries: Vec<Spanned<String>> = if overrides.entries.is_empty() {
            raw.entries.unwrap_or_else(|| vec![Spanned::new(0..0, "**/*.html".to_owned())])
        } else {
            overrides.entries.iter().map(|e| Spanned::new(0..0, e.trim_start_matches("./").to_owned())).collect()
        };
        let entry_set = build_globs(&entries, &bad);
        let exclude = build_globs(raw.exclude.as_deref().unwrap_or_default(), &bad);

        let base = raw.base.as_ref().map_or("/".to_owned(), |b| b.get_ref().clone());
        let file_names = raw.file_names.as_ref().map_or(DEFAULT_FILE_NAMES.to_owned(), |s| s.get_ref().clone());
        if let Some(s) = &raw.file_names {
            if let Err(msg) = check_file_names(s.get_ref()) {
                bad(s.span(), format!("file_names: {msg}"));
            }
        }
        let hash_length = raw.hash_length.as_ref().map_or(8, |h| *h.get_ref());
        if let Some(h) = &raw.hash_length {
            if !(4..=52).contains(h.get_ref()) {
                bad(h.span(), format!("hash_length must be between 4 and 52, not {}", h.get_ref()));
            }
        }
        let manifest = match raw.manifest.as_ref().map(|m| (m.span(), m.get_ref())) {
            None | Some((_, ManifestSetting::Enabled(true))) => Some("manifest.json".to_owned()),
            Some((_, ManifestSetting::Enabled(false))) => None,
            Some((span, ManifestSetting::Name(n))) => {
                if n.is_empty() || n.contains(['/', '\\']) || n.starts_with('.') {
                    bad(span, format!("manifest must be a plain file name, not {n:?}"));
                }
                Some(n.clone())
            }
        };

        let raw_css = raw.css.unwrap_or_default();
        let targets_query = raw_css.targets.as_ref().map_or(DEFAULT_TARGETS.to_owned(), |t| t.get_ref().clone());
        let browsers = match Browsers::from_browserslist([targets_query.as_str()]) {
            Ok(b) => b,
            Err(e) => {
                let span = raw_css.targets.as_ref().map_or(0..0, |t| t.span());
                bad(span, format!("css.targets: invalid browserslist query {targets_query:?}: {e}"));
                None
            }
        };

        let rc = raw.compress.unwrap_or_default();
        let ranged = |v: &Option<Spanned<u32>>, default: u32, range: std::ops::RangeInclusive<u32>, key: &str| {
            match v {
                None => default,
                Some(s) if range.contains(s.get_ref()) => *s.get_ref(),
                Some(s) => {
                    bad(
                        s.span(),
                        format!("compress.{key} must be between {} and {}, not {}", range.start(), range.end(), s.get_ref()),
                    );
                    default
                }
            }
        };
        let gzip_level = ranged(&rc.gzip_level, 9, 1..=9, "gzip_level");
        let brotli_quality = ranged(&rc.brotli_quality, 11, 0..=11, "brotli_quality");
        let brotli_window = ranged(&rc.brotli_window, 24, 10..=24, "brotli_window");
        let types = rc
            .types
            .map(|t| t.into_iter().map(Spanned::into_inner).collect())
            .unwrap_or_else(default_compress_types);
        let compress = CompressOptions {
            gzip: rc.gzip.unwrap_or(true) && !overrides.no_compress,
            brotli: rc.brotli.unwrap_or(true) && !overrides.no_compress,
            gzip_level,
            zopfli: rc.zopfli.unwrap_or(false),
            brotli_quality,
            brotli_window,
            min_size: rc.min_size.unwrap_or(1024),
            types,
        };

        let safelist = build_globs(raw_css.safelist.as_deref().unwrap_or_default(), &bad);
        let rj = raw.js.unwrap_or_default();
        let sourcemap = match (&overrides.sourcemap, rj.sourcemap.as_ref().map(|s| (s.span(), s.get_ref()))) {
            (Some(mode), _) => *mode,
            (None, None | Some((_, SourceMapSetting::Enabled(false)))) => SourceMapMode::None,
            (None, Some((_, SourceMapSetting::Enabled(true)))) => SourceMapMode::External,
            (None, Some((_, SourceMapSetting::Mode(m)))) => match m.as_str() {
                "external" | "linked" => SourceMapMode::External,
                "hidden" => SourceMapMode::Hidden,
                other => {
                    let span = rj.sourcemap.as_ref().map_or(0..0, |s| s.span());
                    bad(span, format!("js.sourcemap must be true, false, \"external\" or \"hidden\", not {other:?}"));
                    SourceMapMode::None
                }
            },
        };
        let target = rj.target.as_ref().map_or("esnext".to_owned(), |t| t.get_ref().clone());
        if let Some(t) = &rj.target {
            let v = t.get_ref().trim().to_ascii_lowercase();
            let es = v == "esnext" || v == "es5" || v == "es6" || (v.starts_with("es20") && v.len() == 6);
            if !es {
                if let Err(e) = Browsers::from_browserslist([t.get_ref().as_str()]) {
                    bad(t.span(), format!("js.target must be esnext, es2015…es2024 or a browserslist query; {:?}: {e}", t.get_ref()));
                }
            }
        }
        let mut define: Vec<(String, String)> = rj.define.unwrap_or_default().into_iter().collect();
        if !define.iter().any(|(k, _)| k == "process.env.NODE_ENV") {
            define.push(("process.env.NODE_ENV".into(), "\"production\"".into()));
        }
        let jsx = JsxDefaults {
            classic: match rj.jsx.as_ref().map(|j| (j.span(), j.get_ref().as_str())) {
                None | Some((_, "automatic")) => false,
                Some((_, "classic")) => true,
                Some((span, other)) => {
                    bad(span, format!("js.jsx must be \"automatic\" or \"classic\", not {other:?}"));
                    false
                }
            },
            import_source: rj.jsx_import_source.clone(),
            factory: rj.jsx_factory.clone(),
            fragment: rj.jsx_fragment.clone(),
        };
        let alias = rj
            .alias
            .unwrap_or_default()
            .into_iter()
            .map(|(from, to)| {
                let (span, to) = (to.span(), to.into_inner());
                if from.is_empty() || to.is_empty() {
                    bad(span, "js.alias: neither side may be empty".into());
                }
                // A path (`./src`, `/abs`) is relative to the root; anything else is a package.
                let to = if to.starts_with("./") || to.starts_with("../") || to == "." {
                    normalize(&root.join(&to)).display().to_string()
                } else {
                    to
                };
                (from, to)
            })
            .collect();
        let js = JsOptions {
            jsx,
            alias,
            minify: rj.minify.unwrap_or(true) && !overrides.no_minify,
            sourcemap,
            target,
            define,
            conditions: rj
                .conditions
                .unwrap_or_else(|| ["browser", "import", "module", "default"].map(String::from).to_vec()),
            external: rj.external.unwrap_or_default(),
            splitting: rj.splitting.unwrap_or(true),
            min_chunk_size: rj.min_chunk_size.unwrap_or(0),
            manual_chunks: rj
                .manual_chunks
                .unwrap_or_default()
                .into_iter()
                .map(|(name, patterns)| {
                    // A bare package name stands for everything in that package.
                    let globs: Vec<Spanned<String>> = patterns
                        .into_iter()
                        .map(|p| {
                            let (span, text) = (p.span(), p.into_inner());
                            let bare = !text.contains(['*', '?', '[', '{']) && !text.contains('/') || text.starts_with('@') && text.matches('/').count() == 1;
                            let text = if bare { format!("**/node_modules/{text}/**") } else { text };
                            Spanned::new(span, text)
                        })
                        .collect();
                    (name, build_globs(&globs, &bad))
                })
                .collect(),
        };
        let cache_dir = (!overrides.no_cache).then(|| match &raw.cache_dir {
            Some(d) => normalize(&root.join(d.get_ref())),
            None => crate::cache::default_dir(&root),
        });
        let cache_max_size = size_setting(&raw.cache_max_size, 1_000_000_000, "cache_max_size", &bad);
        let images = images_options(raw.images.unwrap_or_default(), &bad);
        let publish = publish_options(raw.publish.unwrap_or_default(), &bad);
        let hash_cascade = match raw.hash_cascade.as_ref().map(|h| (h.span(), h.get_ref().as_str())) {
            None | Some((_, "hashes")) => HashCascade::Hashes,
            Some((_, "importmap")) => HashCascade::ImportMap,
            Some((span, other)) => {
                bad(span, format!("hash_cascade must be \"hashes\" or \"importmap\", not {other:?}"));
                HashCascade::Hashes
            }
        };
        let raw_env = raw.env.unwrap_or_default();
        let mode = overrides
            .mode
            .clone()
            .or_else(|| raw_env.mode.as_ref().map(|m| m.get_ref().clone()))
            .unwrap_or_else(|| "production".to_owned());
        if mode.is_empty() || mode.contains(['/', '\\']) {
            match &raw_env.mode {
                Some(m) if overrides.mode.is_none() => bad(m.span(), format!("env.mode must be a plain word, not {mode:?}")),
                _ => diags.borrow_mut().push(Diagnostic::error(format!("--mode must be a plain word, not {mode:?}"))),
            }
        }
        let prefixes: Vec<String> = match &raw_env.prefixes {
            None => vec!["VITE_".into(), "KILN_".into()],
            Some(list) => {
                for p in list.iter().filter(|p| p.get_ref().is_empty()) {
                    bad(p.span(), "env.prefixes: an empty prefix would expose every variable of the environment".into());
                }
                list.iter().map(|p| p.get_ref().clone()).collect()
            }
        };
        let env_dir = raw_env.dir.as_ref().map_or_else(|| root.clone(), |d| normalize(&root.join(d.get_ref())));
        let vars = match crate::env_files::read(&env_dir, &mode, &prefixes) {
            Ok(v) => v,
            Err(d) => {
                diags.borrow_mut().push(d);
                Vec::new()
            }
        };
        let env = EnvOptions { mode, vars };
        let workspace_root = crate::env_files::workspace_root(&root);
        if overrides.jobs == Some(0) {
            diags.borrow_mut().push(Diagnostic::error("--jobs must be at least 1"));
        }
        let diags = diags.into_inner();
        if diags.has_errors() {
            return Err(diags.into());
        }
        Ok(Config {
            root,
            out_dir,
            configured_out_dir,
            public_dir,
            entries: entries.into_iter().map(Spanned::into_inner).collect(),
            entry_set,
            exclude,
            base,
            file_names,
            hash_length,
            sri: raw.sri.unwrap_or(false),
            manifest,
            hash_cascade,
            cache_dir,
            cache_max_size,
            images,
            publish,
            html: HtmlOptions { minify: raw.html.and_then(|h| h.minify).unwrap_or(true) },
            css: CssOptions {
                targets_query,
                browsers,
                minify: raw_css.minify.unwrap_or(true),
                prune: raw_css.prune.unwrap_or(false),
                safelist,
            },
            js,
            env,
            compress,
            workspace_root,
            jobs: overrides.jobs,
            config_file,
        })
    }

    /// The absolute path of a root-relative source path (which may start with `../` for a
    /// file of the workspace).
    pub fn path(&self, rel: &str) -> PathBuf {
        lexical(&self.root.join(rel))
    }

    /// Whether a file (its real path, symlinks followed) may be read as a source: inside the
    /// root, inside the workspace, or inside a `node_modules` folder of the root or of a folder
    /// above it (where package resolution looks). Never inside the output folder.
    pub fn may_read(&self, real: &Path) -> bool {
        if real.starts_with(&self.out_dir) {
            return false;
        }
        real.starts_with(&self.root)
            || self.workspace_root.as_ref().is_some_and(|w| real.starts_with(w))
            || self.root.ancestors().any(|a| real.starts_with(a.join("node_modules")))
    }

    /// A path as written in messages and the manifest: `/`-separated, relative to the root
    /// (with `../` for files of the workspace outside it).
    pub fn rel(&self, path: &Path) -> String {
        if !path.starts_with(&self.root) {
            if let Some(rel) = relative_path(&self.root, path) {
                return rel;
            }
        }
        display_path(path, &self.root)
    }
}

/// Applies the settings of `raw` over `base`, reporting bad values at their keys.
fn image_rule(base: &ImageRule, raw: &RawImageRule, bad: &impl Fn(std::ops::Range<usize>, String)) -> ImageRule {
    let mut rule = base.clone();
    if let Some(v) = raw.skip {
        rule.skip = v;
    }
    if let Some(v) = &raw.png_level {
        if *v.get_ref() > 6 {
            bad(v.span(), format!("images.png_level must be 0 to 6, not {}", v.get_ref()));
        }
        rule.png_level = (*v.get_ref()).min(6);
    }
    if let Some(v) = &raw.strip {
        rule.strip = match v.get_ref().as_str() {
            "safe" => Strip::Safe,
            "all" => Strip::All,
            "none" => Strip::None,
            other => {
                bad(v.span(), format!("images.strip must be \"safe\", \"all\" or \"none\", not {other:?}"));
                rule.strip
            }
        };
    }
    let percent = |v: &Spanned<u8>, key: &str| {
        if !(1..=100).contains(v.get_ref()) {
            bad(v.span(), format!("images.{key} must be 1 to 100, not {}", v.get_ref()));
        }
        (*v.get_ref()).clamp(1, 100)
    };
    if let Some(v) = &raw.jpeg_quality {
        rule.jpeg_quality = Some(percent(v, "jpeg_quality"));
    }
    if let Some(v) = &raw.quality {
        rule.quality = percent(v, "quality");
    }
    if let Some(list) = &raw.formats {
        rule.formats = list
            .iter()
            .filter_map(|f| match f.get_ref().as_str() {
                "avif" => Some(ImageFormat::Avif),
                "webp" => Some(ImageFormat::Webp),
                other => {
                    bad(f.span(), format!("images.formats: {other:?} is not \"avif\" or \"webp\""));
                    None
                }
            })
            .collect();
    }
    if let Some(list) = &raw.widths {
        rule.widths = list
            .iter()
            .filter_map(|w| {
                if *w.get_ref() == 0 || *w.get_ref() > 16_384 {
                    bad(w.span(), format!("images.widths: {} is not a width from 1 to 16384", w.get_ref()));
                    return None;
                }
                Some(*w.get_ref())
            })
            .collect();
        rule.widths.sort_unstable();
        rule.widths.dedup();
    }
    if let Some(v) = &raw.svg {
        rule.svg_minify = match v.get_ref().as_str() {
            "minify" => true,
            "keep" => false,
            other => {
                bad(v.span(), format!("images.svg must be \"minify\" or \"keep\", not {other:?}"));
                rule.svg_minify
            }
        };
    }
    rule
}

fn images_options(raw: RawImages, bad: &impl Fn(std::ops::Range<usize>, String)) -> ImageOptions {
    let base = ImageRule {
        skip: false,
        png_level: 2,
        strip: Strip::Safe,
        jpeg_quality: None,
        quality: 75,
        formats: Vec::new(),
        widths: Vec::new(),
        svg_minify: true,
    };
    let top = RawImageRule {
        files: None,
        skip: raw.skip,
        png_level: raw.png_level,
        strip: raw.strip,
        jpeg_quality: raw.jpeg_quality,
        quality: raw.quality,
        formats: raw.formats,
        widths: raw.widths,
        svg: raw.svg,
    };
    let defaults = image_rule(&base, &top, bad);
    let rules = raw
        .rules
        .unwrap_or_default()
        .iter()
        .filter_map(|r| {
            let Some(files) = &r.files else {
                bad(0..0, "each [[images.rules]] needs `files`, a glob of the images it applies to".into());
                return None;
            };
            Some((build_globs(std::slice::from_ref(files), bad), image_rule(&defaults, r, bad)))
        })
        .collect();
    let copy_bad = match &raw.on_bad_image {
        None => false,
        Some(v) => match v.get_ref().as_str() {
            "error" => false,
            "copy" => true,
            other => {
                bad(v.span(), format!("images.on_bad_image must be \"error\" or \"copy\", not {other:?}"));
                false
            }
        },
    };
    ImageOptions {
        defaults,
        rules,
        sizes: raw.sizes.unwrap_or_else(|| "100vw".into()),
        copy_bad,
        max_pixels: raw.max_pixels.unwrap_or(100_000_000),
    }
}

/// A size key's bytes, or `default`; a bad value is reported at the key.
fn size_setting(value: &Option<Spanned<RawSize>>, default: u64, key: &str, bad: &impl Fn(std::ops::Range<usize>, String)) -> u64 {
    match value {
        None => default,
        Some(v) => v.get_ref().bytes().unwrap_or_else(|e| {
            bad(v.span(), format!("{key}: {e}"));
            default
        }),
    }
}

fn publish_options(raw: RawPublish, bad: &impl Fn(std::ops::Range<usize>, String)) -> PublishOptions {
    let checksum_when_required = raw.checksum.as_ref().and_then(|c| match c.get_ref().as_str() {
        "when_required" => Some(true),
        "when_supported" => Some(false),
        other => {
            bad(c.span(), format!("publish.checksum must be \"when_required\" or \"when_supported\", not {other:?}"));
            None
        }
    });
    let encoding = match raw.encoding.as_ref().map(|e| (e.span(), e.get_ref().as_str())) {
        None | Some((_, "siblings")) => PublishEncoding::Siblings,
        Some((_, "brotli-in-place")) => PublishEncoding::BrotliInPlace,
        Some((_, "gzip-in-place")) => PublishEncoding::GzipInPlace,
        Some((_, "none")) => PublishEncoding::None,
        Some((span, other)) => {
            bad(span, format!("publish.encoding must be \"siblings\", \"brotli-in-place\", \"gzip-in-place\" or \"none\", not {other:?}"));
            PublishEncoding::Siblings
        }
    };
    let retain = raw.retain.as_ref().map_or(3, |r| {
        if *r.get_ref() == 0 {
            bad(r.span(), "publish.retain must be at least 1 (the live deploy)".into());
        }
        (*r.get_ref()).max(1)
    });
    let concurrency = raw.concurrency.as_ref().map_or(16, |c| {
        if *c.get_ref() == 0 || *c.get_ref() > 256 {
            bad(c.span(), format!("publish.concurrency must be 1 to 256, not {}", c.get_ref()));
        }
        (*c.get_ref()).clamp(1, 256)
    });
    let multipart_threshold = size_setting(&raw.multipart_threshold, 16 * 1024 * 1024, "publish.multipart_threshold", bad).max(5 * 1024 * 1024);
    let headers = raw
        .headers
        .unwrap_or_default()
        .into_iter()
        .map(|h| {
            let extra = h
                .headers
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(name, value)| {
                    let lower = name.to_ascii_lowercase();
                    let stored = matches!(lower.as_str(), "content-disposition" | "content-language" | "expires") || lower.starts_with("x-amz-meta-");
                    if !stored {
                        bad(value.span(), format!(
                            "publish.headers: S3 does not store a {name:?} header; it stores cache_control, content-disposition, content-language, expires and x-amz-meta-* (set others at the CDN)"
                        ));
                        return None;
                    }
                    Some((lower, value.into_inner()))
                })
                .collect();
            HeaderRule { files: build_globs(std::slice::from_ref(&h.files), bad), cache_control: h.cache_control, headers: extra }
        })
        .collect();
    PublishOptions {
        bucket: raw.bucket,
        prefix: raw.prefix.unwrap_or_default(),
        region: raw.region,
        endpoint: raw.endpoint,
        path_style: raw.path_style,
        checksum_when_required,
        encoding,
        retain,
        max_deletes: raw.max_deletes.unwrap_or(256),
        concurrency,
        multipart_threshold,
        headers,
        cloudfront_distribution: raw.cloudfront_distribution,
    }
}

fn build_globs(patterns: &[Spanned<String>], bad: &impl Fn(std::ops::Range<usize>, String)) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        match Glob::new(p.get_ref()) {
            Ok(g) => {
                b.add(g);
            }
            Err(e) => bad(p.span(), format!("invalid glob {:?}: {}", p.get_ref(), e.kind())),
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

/// A file-name pattern must name a file by its hash, inside the output, with the hash in the
/// last path segment (so that relative URLs can be computed before the hash is known).
fn check_file_names(pattern: &str) -> Result<(), String> {
    if !pattern.contains("[hash]") {
        return Err("the pattern must contain [hash], or files could not be cached for a year".into());
    }
    let last = pattern.rsplit('/').next().unwrap_or(pattern);
    if !last.contains("[hash]") {
        return Err("[hash] must be in the last path segment".into());
    }
    if pattern.starts_with('/') || pattern.split('/').any(|s| s == "..") {
        return Err("the pattern must stay inside out_dir (no leading / or ..)".into());
    }
    let mut rest = pattern;
    while let Some(i) = rest.find('[') {
        let end = rest[i..].find(']').ok_or("unclosed [")?;
        let token = &rest[i..i + end + 1];
        if !matches!(token, "[name]" | "[hash]" | "[ext]" | "[dir]") {
            return Err(format!("unknown placeholder {token}; use [name], [hash], [ext] or [dir]"));
        }
        rest = &rest[i + end + 1..];
    }
    Ok(())
}

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

fn absolute(p: &Path) -> PathBuf {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn load_with(toml_text: &str) -> Result<Config, BuildError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), toml_text).unwrap();
        Config::load(dir.path(), &Overrides::default())
    }

    #[test]
    fn defaults_without_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(dir.path(), &Overrides::default()).unwrap();
        assert_eq!(c.out_dir, dir.path().canonicalize().unwrap().join("dist"));
        assert_eq!(c.file_names, DEFAULT_FILE_NAMES);
        assert_eq!(c.hash_length, 8);
        assert!(c.compress.gzip && c.compress.brotli);
        assert!(c.css.browsers.is_some());
    }

    #[test]
    fn unknown_key_names_key_and_position() {
        let err = load_with("out_dir = \"dist\"\n[compress]\nbrotly = true\n").unwrap_err();
        let d = &err.diagnostics[0];
        assert!(d.message.contains("brotly"), "{}", d.message);
        let loc = d.location.as_ref().unwrap();
        assert_eq!((loc.line, loc.column), (3, 1));
    }

    #[test]
    fn wrong_type_and_bad_values_are_all_reported() {
        let err = load_with("sri = true\nhash_length = \"eight\"").unwrap_err();
        let d = &err.diagnostics[0];
        assert!(d.message.contains("invalid type"), "{}", d.message);
        assert_eq!(d.location.as_ref().unwrap().line, 2);
        let err = load_with("hash_length = 2\nfile_names = \"assets/[name].[ext]\"\n[css]\ntargets = \"nonsense 12\"\n")
            .unwrap_err();
        assert_eq!(err.diagnostics.len(), 3, "{:?}", err.diagnostics);
        let lines: Vec<u32> = err.diagnostics.iter().map(|d| d.location.as_ref().unwrap().line).collect();
        assert_eq!(lines, vec![1, 2, 4]);
    }

    #[test]
    fn out_dir_must_not_contain_root() {
        for dir in [".", ".."] {
            let err = load_with(&format!("out_dir = \"{dir}\"")).unwrap_err();
            assert!(err.diagnostics.iter().any(|d| d.message.contains("contains it")), "{:?}", err.diagnostics);
        }
    }

    #[test]
    fn file_name_patterns() {
        assert!(check_file_names("assets/[dir]/[name]-[hash].[ext]").is_ok());
        assert!(check_file_names("[hash]/[name].[ext]").is_err());
        assert!(check_file_names("../[name].[hash].[ext]").is_err());
        assert!(check_file_names("assets/[nam].[hash]").is_err());
    }
}
