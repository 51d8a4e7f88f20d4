//! Where an import record leads: a module of the graph (with the query it is imported with),
//! a script built as an entry point of its own, or nothing (left as an import). Shared by
//! loading a module ([`crate::stages::js::scan::graph`]) and by the replay's check that every import of a
//! module still leads where it did ([`crate::stages::js::replay::trace`]).

use std::path::{Path, PathBuf};

use crate::graph::AssetKey;
use crate::stages::js::options::BundleOptions;
use crate::stages::js::scan::analyze::{ImportKind, ImportRecord};
use crate::stages::js::scan::resolve::{JsResolver, Target as Resolution};

/// How a file is imported: as code, or through one of the queries Vite users write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Variant {
    Plain,
    /// `?raw`: the file's text as the default export.
    Raw,
    /// `?url`: the URL of the emitted file (of the built chunk, for a script).
    Url,
    /// `?inline`: the file as a `data:` URL.
    Inline,
    /// `?worker` / `?sharedworker`: a constructor of a module worker running the file.
    Worker {
        shared: bool,
    },
    /// The `index`-th custom block of a Vue component (`<i18n>`, `<docs>`) through the
    /// transform plugin that claims its type: a module whose default export the component
    /// calls with itself, as Vite runs such blocks.
    Block(u16),
    /// A file of the public folder named by its root-absolute path (`/icons.svg`, as Vue's
    /// template compiler imports the URLs a template holds): its URL as the folder serves it.
    Public,
}

impl Variant {
    /// Splits a known query off a specifier: `./a.txt?raw` → (`./a.txt`, Raw).
    pub fn split(specifier: &str) -> (&str, Variant) {
        let Some((path, query)) = specifier.split_once('?') else { return (specifier, Variant::Plain) };
        let mut keys: Vec<&str> = query.split('&').map(|k| k.split('=').next().unwrap_or(k)).collect();
        keys.sort_unstable();
        let variant = match keys.as_slice() {
            ["raw"] => Variant::Raw,
            ["url"] | ["url", "worker"] | ["sharedworker", "url"] => Variant::Url,
            ["inline"] => Variant::Inline,
            ["worker"] => Variant::Worker { shared: false },
            ["sharedworker"] => Variant::Worker { shared: true },
            ["block"] => match query.strip_prefix("block=").and_then(|i| i.parse().ok()) {
                Some(i) => Variant::Block(i),
                None => return (specifier, Variant::Plain),
            },
            _ => return (specifier, Variant::Plain),
        };
        (path, variant)
    }

    /// The suffix a module's name carries for this variant.
    pub fn suffix(self) -> std::borrow::Cow<'static, str> {
        match self {
            Variant::Plain => "".into(),
            Variant::Raw => "?raw".into(),
            Variant::Url => "?url".into(),
            Variant::Inline => "?inline".into(),
            Variant::Worker { shared: false } => "?worker".into(),
            Variant::Worker { shared: true } => "?sharedworker".into(),
            Variant::Public => "?public".into(),
            Variant::Block(i) => format!("?block={i}").into(),
        }
    }
}

/// A script built as an entry point of its own (a worker, or a script imported by URL).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct ExtraEntry {
    pub path: PathBuf,
    /// A classic script (an IIFE with no `import`), not a module.
    pub classic: bool,
    /// A service worker: written at the output's top level under a stable name.
    pub service: bool,
}

impl ExtraEntry {
    /// Its chunk's key: `src/w.ts?worker`, `src/w.ts?worker=classic`, `sw.ts?serviceworker`.
    pub fn key(&self, rel: &str) -> AssetKey {
        let kind = if self.service { "serviceworker" } else { "worker" };
        AssetKey::module(rel, &if self.classic { format!("{kind}=classic") } else { kind.to_owned() })
    }
}

/// File extensions loaded as code; anything else imported from JS is an asset.
pub fn is_code(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    matches!(ext.as_str(), "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx" | "json" | "vue" | "svelte")
}

/// What one import record names, before modules are numbered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Target {
    /// A module of this graph: its path, variant, and whether its package is side-effect free.
    Module(PathBuf, Variant, bool),
    Entry(ExtraEntry),
    /// Left as an import, or failed (reported).
    None,
}

/// Why an import leads to no module.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// No file (`file`: a worker's or `new URL()`'s file, not an import); `nor_package`: not
    /// as a package's file either.
    #[error("cannot {} {specifier:?}: {error}{}", if *file { "find the file" } else { "resolve import" }, if *nor_package { ", nor as a package's file" } else { "" })]
    NotFound { specifier: String, file: bool, error: oxc_resolver::ResolveError, nor_package: bool },
    #[error("{specifier:?} resolves outside the project root and its workspace ({})", path.display())]
    Outside { specifier: String, path: PathBuf },
    #[error("{0:?} is not a script, so it cannot run as a worker")]
    NotAScript(String),
    /// A plain import of a file kiln neither compiles nor knows as an asset: never turned into
    /// a URL string the code would then use as a module.
    #[error("cannot import {specifier:?}: {}", unknown_kind(ext))]
    UnknownKind { specifier: String, ext: String },
}

/// What would load a file of extension `ext` that kiln does not (the message's second half).
fn unknown_kind(ext: &str) -> String {
    match ext {
        "astro" => "Astro components are built by Astro itself, not by a bundler".into(),
        "" => "a file without an extension is neither code nor a known asset; import it with `?url` for its URL or `?raw` for its text".into(),
        _ => format!(
            ".{ext} files are neither code nor a known asset: import it with `?url` for its URL or `?raw` for its text, or list \"{ext}\" in js.assets_include to import its URL"
        ),
    }
}

/// File extensions an import from JS turns into the file's URL without asking (as Vite's known
/// asset types): images, media, fonts, WebAssembly, and a few documents.
const ASSETS: &[&str] = &[
    "apng",
    "avif",
    "bmp",
    "cur",
    "gif",
    "ico",
    "jfif",
    "jpeg",
    "jpg",
    "jxl",
    "pjp",
    "pjpeg",
    "png",
    "svg",
    "webp",
    "aac",
    "flac",
    "m4a",
    "mov",
    "mp3",
    "mp4",
    "ogg",
    "opus",
    "vtt",
    "wav",
    "webm",
    "eot",
    "otf",
    "ttf",
    "woff",
    "woff2",
    "wasm",
    "pdf",
    "txt",
    "webmanifest",
];

/// The `[[js.transform]]` plugin that takes the file at `path`, if any (the first whose globs
/// match its root-relative path).
pub fn transform_of<'o>(options: &'o BundleOptions, path: &Path) -> Option<&'o crate::config::Transform> {
    if options.js.transforms.is_empty() {
        return None;
    }
    let rel = options.rel(path);
    options.js.transforms.iter().find(|t| t.files.is_match(&rel))
}

/// The file of the public folder a root-absolute specifier names (`/icons.svg`).
fn public_file(options: &BundleOptions, spec: &str) -> Option<PathBuf> {
    let public = options.loader.public_dir.as_ref()?;
    let rel = spec.trim_start_matches('/');
    let path = public.join(rel);
    (!rel.split('/').any(|s| s == "..") && path.is_file()).then_some(path)
}

/// Whether an import from JS may name `path` as an asset (its URL).
fn is_known_asset(options: &BundleOptions, path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    ASSETS.contains(&ext.as_str()) || options.js.assets_include.contains(&ext)
}

/// Where import record `r` of the module at `path` leads, or why it cannot be resolved.
/// `import_map`: specifiers the pages' import maps resolve in the browser.
pub fn target_of(options: &BundleOptions, resolver: &JsResolver, import_map: &[String], path: &Path, r: &ImportRecord) -> Result<Target, ImportError> {
    let (spec, query) = Variant::split(&r.specifier);
    if import_map.iter().any(|k| k == &r.specifier || (k.ends_with('/') && r.specifier.starts_with(k.as_str()))) {
        return Ok(Target::None);
    }
    // `new URL('x.wasm', import.meta.url)` is a URL relative to the module; when no such file
    // exists, `new URL('pdfjs-dist/build/pdf.worker.mjs', import.meta.url)` names a package's
    // file (as Vite and webpack resolve it, the package's `exports` honoured).
    let resolved = match r.kind {
        ImportKind::AssetUrl | ImportKind::Worker { .. } if !spec.starts_with(['.', '/']) => match resolver.resolve(options, path, &format!("./{spec}")) {
            Ok(found) => Ok(found),
            Err(relative) => resolver.resolve(options, path, spec).map_err(|_| (relative, true)),
        },
        _ => resolver.resolve(options, path, spec).map_err(|e| (e, false)),
    };
    match resolved {
        Ok(Resolution::File { path: p, side_effects_free }) => {
            if !options.loader.may_read(&p) {
                return Err(ImportError::Outside { specifier: r.specifier.clone(), path: p });
            }
            let code = is_code(&p) && !crate::loader::css::is_css(&p);
            Ok(match r.kind {
                ImportKind::Worker { classic, service } => {
                    if !code {
                        return Err(ImportError::NotAScript(r.specifier.clone()));
                    }
                    Target::Entry(ExtraEntry { path: p, classic, service })
                }
                // `new URL('./x.ts', import.meta.url)`: the URL of the script built.
                ImportKind::AssetUrl if code => Target::Entry(ExtraEntry { path: p, classic: false, service: false }),
                ImportKind::AssetUrl => Target::Module(p, Variant::Plain, side_effects_free),
                _ if query == Variant::Plain
                    && !code
                    && !crate::loader::css::is_css(&p)
                    && !is_known_asset(options, &p)
                    && transform_of(options, &p).is_none() =>
                {
                    let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
                    return Err(ImportError::UnknownKind { specifier: r.specifier.clone(), ext });
                }
                _ if query == Variant::Url && code => Target::Entry(ExtraEntry { path: p, classic: false, service: false }),
                _ => Target::Module(p, query, side_effects_free),
            })
        }
        Ok(Resolution::External) => Ok(Target::None),
        Err(_) if query == Variant::Plain && spec.starts_with('/') && public_file(options, spec).is_some() => {
            Ok(Target::Module(public_file(options, spec).expect("checked"), Variant::Public, true))
        }
        Err((error, nor_package)) => {
            let file = matches!(r.kind, ImportKind::AssetUrl | ImportKind::Worker { .. });
            Err(ImportError::NotFound { specifier: r.specifier.clone(), file, error, nor_package })
        }
    }
}
