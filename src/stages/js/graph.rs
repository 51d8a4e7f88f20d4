//! The module graph: every module reachable from the entries, loaded wave by wave in
//! parallel (read, parse, transform, analyze and resolve its imports in one task), numbered
//! in a thread-independent order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use swc_core::common::{sync::Lrc, Mark, SourceFile};
use swc_core::ecma::ast::Module;

use super::analyze::{analyze, Analysis, ImportKind};
use super::parse::{locate, parse, KeptComments};
use super::resolve::Target;
use super::JsCtx;
use crate::diagnostics::{Diagnostic, Diagnostics};

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
    /// Resolution failed (already reported).
    Failed,
}

pub struct JsModule {
    pub path: PathBuf,
    /// Root-relative path, for messages, source maps and the manifest.
    pub rel: String,
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
    /// A stylesheet imported from JS (root-relative path): the module is its JS face (empty,
    /// or a CSS module's class names) and its chunk carries the CSS.
    pub css: Option<String>,
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

struct LoadResult {
    module: JsModule,
    /// Resolved paths, one per record (`None`: failed or external).
    targets: Vec<Option<(PathBuf, bool)>>,
    diags: Vec<Diagnostic>,
}

pub fn load(ctx: &JsCtx, entries: &[EntrySpec]) -> Result<(Vec<JsModule>, Vec<ModuleId>), Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut ids: BTreeMap<PathBuf, ModuleId> = BTreeMap::new();
    let mut modules: Vec<Option<JsModule>> = Vec::new();
    let mut wave: Vec<(ModuleId, PathBuf, Option<String>, bool)> = Vec::new();
    let mut entry_ids = Vec::new();
    for e in entries {
        let id = *ids.entry(e.path.clone()).or_insert_with(|| {
            modules.push(None);
            wave.push((modules.len() - 1, e.path.clone(), e.source.clone(), false));
            modules.len() - 1
        });
        entry_ids.push(id);
    }
    let mut pending_targets: Vec<(ModuleId, Vec<Option<(PathBuf, bool)>>)> = Vec::new();
    while !wave.is_empty() {
        let results: Vec<(ModuleId, LoadResult)> =
            wave.par_iter().map(|(id, path, source, sef)| (*id, load_one(ctx, path, source.clone(), *sef))).collect();
        let mut next = Vec::new();
        for (id, r) in results {
            diags.extend(r.diags);
            for t in r.targets.iter().flatten() {
                if !ids.contains_key(&t.0) {
                    modules.push(None);
                    let new_id = modules.len() - 1;
                    ids.insert(t.0.clone(), new_id);
                    next.push((new_id, t.0.clone(), None, t.1));
                }
            }
            pending_targets.push((id, r.targets));
            modules[id] = Some(r.module);
        }
        wave = next;
    }
    let mut modules: Vec<JsModule> = modules.into_iter().map(|m| m.expect("every id is loaded")).collect();
    for (id, targets) in pending_targets {
        modules[id].resolved = targets
            .into_iter()
            .map(|t| match t {
                Some((path, _)) => Resolved::Module(ids[&path]),
                None => Resolved::External,
            })
            .collect();
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok((modules, entry_ids))
}

fn load_one(ctx: &JsCtx, path: &Path, inline: Option<String>, side_effects_free: bool) -> LoadResult {
    let rel = ctx.config.rel(path);
    let empty = |kind, diags| LoadResult {
        module: JsModule {
            path: path.to_path_buf(),
            rel: rel.clone(),
            kind,
            ast: None,
            comments: KeptComments::default(),
            top_level_mark: Mark::root(),
            file: None,
            analysis: Analysis::default(),
            resolved: Vec::new(),
            side_effects_free,
            css: None,
        },
        targets: Vec::new(),
        diags,
    };
    let css = (inline.is_none() && crate::stages::css::is_css(path)).then(|| rel.clone());
    if inline.is_none() && !is_code(path) && css.is_none() {
        return empty(ModuleKind::Asset { rel: rel.clone() }, Vec::new());
    }
    let text = match inline {
        Some(t) => t,
        None => match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => return empty(ModuleKind::Esm, vec![Diagnostic::error("not valid UTF-8").in_file(&rel)]),
            },
            Err(e) => return empty(ModuleKind::Esm, vec![Diagnostic::error(format!("cannot read: {e}")).in_file(&rel)]),
        },
    };
    let text = if css.is_some() {
        if rel.ends_with(".module.css") {
            match crate::stages::css::module_exports(ctx.config, &rel, &text) {
                Ok(names) => css_module_js(&names),
                Err(d) => return empty(ModuleKind::Esm, vec![d]),
            }
        } else {
            String::new()
        }
    } else if path.extension().is_some_and(|e| e == "json") {
        match json_module(&text) {
            Ok(t) => t,
            Err(e) => {
                let d = Diagnostic::error(format!("invalid JSON: {e}")).at_line_col(&rel, &text, e.line() as u32, e.column() as u32);
                return empty(ModuleKind::Esm, vec![d]);
            }
        }
    } else {
        text
    };
    let mut parsed = match parse(ctx, path, &rel, text) {
        Ok(p) => p,
        Err(diags) => return empty(ModuleKind::Esm, diags),
    };
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("module");
    let stem: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let analysis = swc_core::common::GLOBALS
        .set(&ctx.globals, || analyze(&mut parsed.module, parsed.top_level_mark, ctx.unresolved_mark, &stem));
    let kind = if !analysis.has_esm_syntax && (analysis.uses_cjs || parsed.is_script && !analysis.records.is_empty()) {
        ModuleKind::Cjs
    } else {
        ModuleKind::Esm
    };
    let mut diags = Vec::new();
    let targets = analysis
        .records
        .iter()
        .map(|r| match ctx.resolver.resolve(ctx.config, path, &r.specifier) {
            Ok(Target::File { path: p, side_effects_free }) => {
                if !p.starts_with(&ctx.config.root) && !p.components().any(|c| c.as_os_str() == "node_modules") {
                    diags.push(locate(&parsed.file, &rel, r.span.lo, Diagnostic::error(format!(
                        "{:?} resolves outside the project root ({})", r.specifier, p.display()
                    ))));
                    return None;
                }
                Some((p, side_effects_free))
            }
            Ok(Target::External) => None,
            Err(e) => {
                let what = match r.kind {
                    ImportKind::AssetUrl => "cannot find the file",
                    _ => "cannot resolve import",
                };
                diags.push(locate(&parsed.file, &rel, r.span.lo, Diagnostic::error(format!("{what} {:?}: {e}", r.specifier))));
                None
            }
        })
        .collect();
    LoadResult {
        module: JsModule {
            path: path.to_path_buf(),
            rel,
            kind,
            ast: Some(parsed.module),
            comments: parsed.comments,
            top_level_mark: parsed.top_level_mark,
            file: Some(parsed.file),
            analysis,
            resolved: Vec::new(),
            side_effects_free,
            css,
        },
        targets,
        diags,
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
