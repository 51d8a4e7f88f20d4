//! The module graph: every module reachable from the entries, loaded wave by wave in
//! parallel (read, parse, transform, analyze and resolve its imports in one task), numbered
//! in a thread-independent order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use swc_core::common::{sync::Lrc, Mark, SourceFile, SyntaxContext};
use swc_core::ecma::ast::Module;

use super::analyze::{analyze, Analysis, ImportKind, ImportRecord};
use super::parse::{locate, KeptComments, Parsed};
use super::replay::trace::ModuleTrace;
use super::resolve::{JsResolver, Target as Resolution};
use super::{BundleOptions, JsCtx};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::graph::AssetKey;

pub type ModuleId = usize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleKind {
    Esm,
    /// CommonJS: wrapped in a function called on first `require`.
    Cjs,
    /// A file that is not code (`import url from './logo.png'`): its default export is the
    /// URL of the emitted file, `rel` its root-relative path.
    Asset { rel: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Module(ModuleId),
    External,
    /// The script of a worker (or a file imported with `?url` / named by `new URL()`): an entry
    /// point built into a chunk of its own; the index into [`Loaded::entries`].
    Entry(usize),
    /// Resolution failed (already reported).
    Failed,
}

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
    Worker { shared: bool },
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
            _ => return (specifier, Variant::Plain),
        };
        (path, variant)
    }

    /// The suffix a module's name carries for this variant.
    pub fn suffix(self) -> &'static str {
        match self {
            Variant::Plain => "",
            Variant::Raw => "?raw",
            Variant::Url => "?url",
            Variant::Inline => "?inline",
            Variant::Worker { shared: false } => "?worker",
            Variant::Worker { shared: true } => "?sharedworker",
        }
    }
}

/// A script built as an entry point of its own (a worker, or a script imported by URL).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

/// The module graph of one set of entries.
pub struct Loaded {
    pub modules: Vec<JsModule>,
    /// The module of each entry given.
    pub entry_ids: Vec<ModuleId>,
    /// Scripts the modules start as entry points of their own, in a stable order.
    pub entries: Vec<ExtraEntry>,
    /// What loading each module read, in module order.
    pub traces: Vec<ModuleTrace>,
}

impl JsModule {
    /// The key of the chunk this module is the entry of (its path, with its variant's query).
    pub fn key(&self) -> AssetKey {
        let suffix = self.variant.suffix();
        match self.rel.strip_suffix(suffix) {
            Some(path) if !suffix.is_empty() => AssetKey::module(path, &suffix[1..]),
            _ => AssetKey::File(self.rel.clone()),
        }
    }
}

pub struct JsModule {
    pub path: PathBuf,
    /// Root-relative path (with the variant's query), for messages, source maps and the manifest.
    pub rel: String,
    pub variant: Variant,
    pub kind: ModuleKind,
    pub ast: Option<Module>,
    pub comments: KeptComments,
    pub top_level_mark: Mark,
    pub file: Option<Lrc<SourceFile>>,
    pub analysis: Analysis,
    /// One per `analysis.records`.
    pub resolved: Vec<Resolved>,
    /// package.json says the module has no side effects.
    pub side_effects_free: bool,
    /// Generated code with long operator chains: minified without the compressor.
    pub generated: bool,
    /// A stylesheet imported from JS (root-relative path): the module is its JS face (empty,
    /// or a CSS module's class names) and its chunk carries the CSS.
    pub css: Option<String>,
    /// Loaded from the build cache: `ast` is none until `prepare` parses it, if it must (see
    /// [`super::load_cache`]).
    pub lazy: bool,
    /// The key of loading it (its text, path and options; see [`super::load_cache`]) with the
    /// folder listings its globs made: what the tree it parses to is a function of.
    pub load_key: Option<[u8; 32]>,
    /// With a `load_key` and its entry kept: the contexts of the names its analysis holds, by
    /// the numbers the entry gives them (the minify cache's key numbers them alike).
    pub contexts: Vec<SyntaxContext>,
}

/// An entry: a file, or an inline `<script type="module">` of a page (then `source` is its
/// text and `path` a virtual file beside the page).
#[derive(Debug, Clone)]
pub struct EntrySpec {
    pub path: PathBuf,
    pub source: Option<String>,
}

/// File extensions loaded as code; anything else imported from JS is an asset.
fn is_code(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    matches!(ext.as_str(), "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx" | "json")
}

/// What one import record names, before modules are numbered.
#[derive(Debug, Clone)]
pub(super) enum Target {
    /// A module of this graph: its path, variant, and whether its package is side-effect free.
    Module(PathBuf, Variant, bool),
    Entry(ExtraEntry),
    /// Left as an import, or failed (reported).
    None,
}

struct LoadResult {
    module: JsModule,
    /// One per record.
    targets: Vec<Target>,
    diags: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    trace: ModuleTrace,
}

pub fn load(ctx: &JsCtx, entries: &[EntrySpec]) -> Result<(Loaded, Diagnostics), Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut warnings = Diagnostics::default();
    type Key = (PathBuf, Variant);
    let mut ids: BTreeMap<Key, ModuleId> = BTreeMap::new();
    let mut extra: BTreeMap<ExtraEntry, usize> = BTreeMap::new();
    let mut extra_list: Vec<ExtraEntry> = Vec::new();
    let mut modules: Vec<Option<JsModule>> = Vec::new();
    let mut wave: Vec<(ModuleId, PathBuf, Variant, Option<String>, bool)> = Vec::new();
    let mut entry_ids = Vec::new();
    for e in entries {
        let id = *ids.entry((e.path.clone(), Variant::Plain)).or_insert_with(|| {
            modules.push(None);
            wave.push((modules.len() - 1, e.path.clone(), Variant::Plain, e.source.clone(), false));
            modules.len() - 1
        });
        entry_ids.push(id);
    }
    let mut pending_targets: Vec<(ModuleId, Vec<Target>)> = Vec::new();
    let mut traces: Vec<Option<ModuleTrace>> = Vec::new();
    while !wave.is_empty() {
        let results: Vec<(ModuleId, LoadResult)> = wave
            .par_iter()
            .map(|(id, path, variant, source, sef)| (*id, load_one(ctx, path, *variant, source.clone(), *sef)))
            .collect();
        let mut next = Vec::new();
        for (id, r) in results {
            diags.extend(r.diags);
            warnings.extend(r.warnings);
            for t in &r.targets {
                match t {
                    Target::Module(path, variant, sef) => {
                        if let std::collections::btree_map::Entry::Vacant(slot) = ids.entry((path.clone(), *variant)) {
                            modules.push(None);
                            let new_id = modules.len() - 1;
                            slot.insert(new_id);
                            next.push((new_id, path.clone(), *variant, None, *sef));
                        }
                    }
                    Target::Entry(e) => {
                        if !extra.contains_key(e) {
                            extra.insert(e.clone(), extra_list.len());
                            extra_list.push(e.clone());
                        }
                    }
                    Target::None => {}
                }
            }
            pending_targets.push((id, r.targets));
            modules[id] = Some(r.module);
            traces.resize_with(modules.len(), || None);
            traces[id] = Some(r.trace);
        }
        wave = next;
    }
    let mut modules: Vec<JsModule> = modules.into_iter().map(|m| m.expect("every id is loaded")).collect();
    let traces = traces.into_iter().map(|t| t.expect("every id is loaded")).collect();
    for (id, targets) in pending_targets {
        modules[id].resolved = targets
            .into_iter()
            .map(|t| match t {
                Target::Module(path, variant, _) => Resolved::Module(ids[&(path, variant)]),
                Target::Entry(e) => Resolved::Entry(extra[&e]),
                Target::None => Resolved::External,
            })
            .collect();
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok((Loaded { modules, entry_ids, entries: extra_list, traces }, warnings))
}

/// The text of a module that only re-exports something kiln computed.
fn default_export(value: &str) -> String {
    format!("export default {value};\n")
}

/// A `data:` URL of a file.
fn data_url(rel: &str, bytes: &[u8]) -> String {
    use base64::Engine;
    let mime = crate::mime::essence(rel);
    format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// A module of `kind` with nothing loaded yet.
fn bare(path: &Path, rel: &str, variant: Variant, kind: ModuleKind, side_effects_free: bool) -> JsModule {
    JsModule {
        path: path.to_path_buf(),
        rel: rel.to_owned(),
        variant,
        kind,
        ast: None,
        comments: KeptComments::default(),
        top_level_mark: Mark::root(),
        file: None,
        analysis: Analysis::default(),
        resolved: Vec::new(),
        side_effects_free,
        generated: false,
        css: None,
        lazy: false,
        load_key: None,
        contexts: Vec::new(),
    }
}

fn load_one(ctx: &JsCtx, path: &Path, variant: Variant, inline: Option<String>, side_effects_free: bool) -> LoadResult {
    let rel = format!("{}{}", ctx.options.rel(path), variant.suffix());
    let empty = |kind, diags| LoadResult {
        module: bare(path, &rel, variant, kind, side_effects_free),
        targets: Vec::new(),
        diags,
        warnings: Vec::new(),
        trace: ModuleTrace::unread(path, variant),
    };
    let plain = variant == Variant::Plain;
    let css = (plain && inline.is_none() && crate::loader::css::is_css(path)).then(|| rel.clone());
    if plain && inline.is_none() && !is_code(path) && css.is_none() {
        return empty(ModuleKind::Asset { rel: rel.clone() }, Vec::new());
    }
    if variant == Variant::Url {
        // Only files that are not code reach here (a script's URL is an entry's).
        return empty(ModuleKind::Asset { rel: ctx.options.rel(path) }, Vec::new());
    }
    let (text, digest) = match source_text(ctx, path, &rel, variant, inline, css.is_some()) {
        Ok(t) => t,
        Err(diags) => return empty(ModuleKind::Esm, diags),
    };
    let file = super::parse::source_file(ctx, path, text);
    // Only the build cache uses the key (with the cache off, nothing is made for it).
    let ts = ctx.lazy_loading().then(|| ctx.resolver.ts_options(ctx.options, path).ok().map(|ts| format!("{ts:?}"))).flatten();
    let load_key = ts.as_deref().map(|ts| super::load_cache::key(ctx, &rel, &file.src, ts));
    let cached = match load_key.map(|key| super::load_cache::lookup(ctx, path, &rel, &file, &key)) {
        Some(Err(d)) => return empty(ModuleKind::Esm, vec![d]),
        Some(Ok(found)) => found,
        None => None,
    };
    let base = JsModule { css, load_key, ..bare(path, &rel, variant, ModuleKind::Esm, side_effects_free) };
    let mut warnings = Vec::new();
    let (module, listings, ts) = match cached {
        Some((restored, top_level_mark, contexts)) => {
            let module = JsModule {
                kind: if restored.cjs { ModuleKind::Cjs } else { ModuleKind::Esm },
                comments: restored.comments,
                top_level_mark,
                file: Some(file),
                analysis: restored.analysis,
                generated: restored.generated,
                lazy: true,
                contexts,
                ..base
            };
            (module, restored.listings, ts.unwrap_or_default())
        }
        None => match parse_module(ctx, path, &rel, file, None, &mut warnings) {
            Ok((analysis, mut parsed)) => {
                let cjs = is_cjs(&analysis, parsed.is_script);
                let keep = load_key.filter(|_| warnings.is_empty());
                let contexts = keep.map(|key| super::load_cache::keep(ctx, &key, &parsed, &analysis, cjs)).unwrap_or_default();
                let (listings, ts) = (std::mem::take(&mut parsed.listings), std::mem::take(&mut parsed.ts));
                let module = JsModule {
                    kind: if cjs { ModuleKind::Cjs } else { ModuleKind::Esm },
                    ast: Some(parsed.module),
                    comments: parsed.comments,
                    top_level_mark: parsed.top_level_mark,
                    file: Some(parsed.file),
                    analysis,
                    generated: parsed.generated,
                    contexts,
                    ..base
                };
                (module, listings, ts)
            }
            Err(diags) => return empty(ModuleKind::Esm, diags),
        },
    };
    // The minify cache's key covers what the globs matched too (see load_cache::with_listings).
    let module = JsModule { load_key: module.load_key.map(|key| super::load_cache::with_listings(&key, &listings)), ..module };
    let mut diags = Vec::new();
    let file = module.file.clone().expect("a loaded module has its file");
    let targets: Vec<Target> = module.analysis.records.iter().map(|r| resolve_record(ctx, path, &rel, &file, r, &mut diags)).collect();
    let mut trace = ModuleTrace::read(path, variant, digest, ts, &module.analysis.records, &targets);
    trace.listings = listings;
    LoadResult { module, targets, diags, warnings, trace }
}

/// A script that only uses `import()` (valid in both kinds) is not CommonJS: `require` is.
pub(super) fn is_cjs(analysis: &Analysis, is_script: bool) -> bool {
    let requires = analysis.records.iter().any(|r| r.kind == ImportKind::Require);
    !analysis.has_esm_syntax && (analysis.uses_cjs || is_script && requires)
}

/// Parses, transforms and analyzes the module in `file`; with `top_level_mark`, its top level
/// gets that mark (a module loaded from the build cache, parsed when it must be).
pub(super) fn parse_module(ctx: &JsCtx, path: &Path, rel: &str, file: Lrc<SourceFile>, top_level_mark: Option<Mark>, warnings: &mut Vec<Diagnostic>) -> Result<(Analysis, Parsed), Vec<Diagnostic>> {
    let mut parsed = super::parse::parse_file(ctx, path, rel, file, top_level_mark, warnings)?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("module");
    let stem: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let analysis = swc_core::common::GLOBALS
        .set(&ctx.globals, || analyze(&mut parsed.module, parsed.top_level_mark, ctx.unresolved_mark, &stem));
    Ok((analysis, parsed))
}


/// The module's source text: the file's (or the inline script's), or the code a variant or
/// a non-JS file stands for (`?raw`, `?inline`, `?worker`, JSON, a CSS module's names); and
/// the blake3 of the file read (none for an inline script).
fn source_text(ctx: &JsCtx, path: &Path, rel: &str, variant: Variant, inline: Option<String>, css: bool) -> Result<(String, Option<[u8; 32]>), Vec<Diagnostic>> {
    let plain = variant == Variant::Plain;
    let (bytes, digest) = match inline {
        Some(t) => (t.into_bytes(), None),
        None => match std::fs::read(path) {
            Ok(b) => {
                let digest = *blake3::hash(&b).as_bytes();
                (b, Some(digest))
            }
            Err(e) => return Err(vec![Diagnostic::error(format!("cannot read: {e}")).in_file(rel)]),
        },
    };
    let text = match variant {
        Variant::Inline if crate::loader::css::is_css(path) => {
            let d = Diagnostic::error("`?inline` of a stylesheet is not supported")
                .with_note("import it as a plain stylesheet (its CSS is linked to the page), or with `?raw` for its source text")
                .in_file(rel);
            return Err(vec![d]);
        }
        Variant::Inline => default_export(&serde_json::Value::String(data_url(&ctx.options.rel(path), &bytes)).to_string()),
        Variant::Worker { shared } => {
            let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let spec = serde_json::Value::String(format!("./{file}")).to_string();
            let ctor = if shared { "SharedWorker" } else { "Worker" };
            format!(
                "export default function {ctor}Wrapper(options) {{ return new {ctor}(new URL({spec}, import.meta.url), {{ type: \"module\", name: options && options.name }}); }}\n"
            )
        }
        Variant::Raw | Variant::Plain | Variant::Url => match String::from_utf8(bytes) {
            Ok(t) if variant == Variant::Raw => default_export(&serde_json::Value::String(t).to_string()),
            Ok(t) => t,
            Err(_) => return Err(vec![Diagnostic::error("not valid UTF-8").in_file(rel)]),
        },
    };
    let text = if css {
        if rel.ends_with(".module.css") {
            match crate::loader::css::module_exports(&ctx.options.loader, rel, &text) {
                Ok(names) => css_module_js(&names),
                Err(d) => return Err(vec![d]),
            }
        } else {
            String::new()
        }
    } else if plain && path.extension().is_some_and(|e| e == "json") {
        match json_module(&text) {
            Ok(t) => t,
            Err(e) => {
                let d = Diagnostic::error(format!("invalid JSON: {e}")).at_line_col(rel, &text, e.line() as u32, e.column() as u32);
                return Err(vec![d]);
            }
        }
    } else {
        text
    };
    Ok((text, digest))
}

/// Where import record `r` of the module at `path` leads (errors located in `file`).
fn resolve_record(ctx: &JsCtx, path: &Path, rel: &str, file: &Lrc<SourceFile>, r: &ImportRecord, diags: &mut Vec<Diagnostic>) -> Target {
    match target_of(ctx.options, &ctx.resolver, ctx.import_map, path, r) {
        Ok(t) => t,
        Err(msg) => {
            diags.push(locate(file, rel, r.span.lo, Diagnostic::error(msg)));
            Target::None
        }
    }
}

/// Where import record `r` of the module at `path` leads, or why it cannot be resolved.
/// `import_map`: specifiers the pages' import maps resolve in the browser.
pub(super) fn target_of(options: &BundleOptions, resolver: &JsResolver, import_map: &[String], path: &Path, r: &ImportRecord) -> Result<Target, String> {
    let (spec, query) = Variant::split(&r.specifier);
    // `new URL('x.wasm', import.meta.url)` is a URL relative to the module, not a
    // package name.
    let relative;
    let spec = match r.kind {
        ImportKind::AssetUrl | ImportKind::Worker { .. } if !spec.starts_with(['.', '/']) => {
            relative = format!("./{spec}");
            relative.as_str()
        }
        _ => spec,
    };
    if import_map.iter().any(|k| k == &r.specifier || (k.ends_with('/') && r.specifier.starts_with(k.as_str()))) {
        return Ok(Target::None);
    }
    match resolver.resolve(options, path, spec) {
        Ok(Resolution::File { path: p, side_effects_free }) => {
            if !options.loader.may_read(&p) {
                return Err(format!("{:?} resolves outside the project root and its workspace ({})", r.specifier, p.display()));
            }
            let code = is_code(&p) && !crate::loader::css::is_css(&p);
            Ok(match r.kind {
                ImportKind::Worker { classic, service } => {
                    if !code {
                        return Err(format!("{:?} is not a script, so it cannot run as a worker", r.specifier));
                    }
                    Target::Entry(ExtraEntry { path: p, classic, service })
                }
                // `new URL('./x.ts', import.meta.url)`: the URL of the script built.
                ImportKind::AssetUrl if code => Target::Entry(ExtraEntry { path: p, classic: false, service: false }),
                ImportKind::AssetUrl => Target::Module(p, Variant::Plain, side_effects_free),
                _ if query == Variant::Url && code => Target::Entry(ExtraEntry { path: p, classic: false, service: false }),
                _ => Target::Module(p, query, side_effects_free),
            })
        }
        Ok(Resolution::External) => Ok(Target::None),
        Err(e) => {
            let what = match r.kind {
                ImportKind::AssetUrl | ImportKind::Worker { .. } => "cannot find the file",
                _ => "cannot resolve import",
            };
            Err(format!("{what} {:?}: {e}", r.specifier))
        }
    }
}

/// A CSS module's JS face: a default export mapping each local name to its scoped class
/// names, and a named export for each name that is an identifier.
fn css_module_js(names: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut fields = Vec::new();
    for (local, scoped) in names {
        let value = serde_json::Value::String(scoped.clone());
        let key = serde_json::Value::String(local.clone());
        let ident = local.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && local.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
            && !is_reserved(local);
        if ident {
            out.push_str(&format!("export const {local} = {value};\n"));
            fields.push(format!("{key}: {local}"));
        } else {
            fields.push(format!("{key}: {value}"));
        }
    }
    out.push_str(&format!("export default {{{}}};\n", fields.join(", ")));
    out
}

/// A JSON file as an ES module: a default export of the whole value, and a named export for
/// each top-level key that is a valid identifier (as esbuild and Vite do).
fn json_module(text: &str) -> Result<String, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    let mut out = String::new();
    if let serde_json::Value::Object(map) = &value {
        let mut names = Vec::new();
        for (k, v) in map {
            let ident = !k.is_empty()
                && k.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
                && !is_reserved(k);
            if ident {
                out.push_str(&format!("export const {k} = {v};\n"));
                names.push(format!("{}: {k}", serde_json::Value::String(k.clone())));
            } else {
                names.push(format!("{}: {v}", serde_json::Value::String(k.clone())));
            }
        }
        out.push_str(&format!("export default {{{}}};\n", names.join(", ")));
    } else {
        out.push_str(&format!("export default {value};\n"));
    }
    Ok(out)
}

pub fn is_reserved(word: &str) -> bool {
    matches!(
        word,
        "break" | "case" | "catch" | "class" | "const" | "continue" | "debugger" | "default" | "delete" | "do"
            | "else" | "enum" | "export" | "extends" | "false" | "finally" | "for" | "function" | "if" | "import"
            | "in" | "instanceof" | "new" | "null" | "return" | "super" | "switch" | "this" | "throw" | "true"
            | "try" | "typeof" | "var" | "void" | "while" | "with" | "yield" | "let" | "static" | "implements"
            | "interface" | "package" | "private" | "protected" | "public" | "await" | "arguments" | "eval"
            | "undefined" | "NaN" | "Infinity"
    )
}
