//! The module graph: every module reachable from the entries, loaded in parallel (read, parse,
//! transform, analyze and resolve its imports in one task, which starts the loads of the
//! modules it finds), then numbered in a thread-independent order.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::common::{sync::Lrc, Mark, SourceFile, SyntaxContext};
use swc_core::ecma::ast::Module;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::graph::AssetKey;
use crate::stages::js::replay::trace::ModuleTrace;
use crate::stages::js::scan::analyze::Analysis;
use crate::stages::js::scan::parse::KeptComments;
use crate::stages::js::types::JsCtx;

mod module;
use crate::stages::js::scan::target::{is_code, Target};
pub use crate::stages::js::scan::target::{ExtraEntry, Variant};
use module::load_one;
pub(in crate::stages::js) use module::{is_cjs, parse_module};

pub type ModuleId = usize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleKind {
    Esm,
    /// CommonJS: wrapped in a function called on first `require`.
    Cjs,
    /// A file that is not code (`import url from './logo.png'`): its default export is the
    /// URL of the emitted file, `rel` its root-relative path.
    Asset {
        rel: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Module(ModuleId),
    External,
    /// The script of a worker (or a file imported with `?url` / named by `new URL()`): an entry
    /// point built into a chunk of its own; the index into [`Loaded::entries`].
    Entry(usize),
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
    /// Bytes of its text (0 for an asset): what minifying and printing it cost, roughly.
    pub fn text_len(&self) -> usize {
        self.file.as_ref().map_or(0, |f| f.src.len())
    }

    /// The key of the chunk this module is the entry of (its path, with its variant's query).
    pub fn key(&self) -> AssetKey {
        let suffix = self.variant.suffix();
        match self.rel.strip_suffix(suffix.as_ref()) {
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
    /// A component's source text and its compiler's map: the chunk's map points into it, not
    /// into the compiled module.
    pub original: Option<std::sync::Arc<(String, crate::sourcemap::InputMap)>>,
    /// The CSS a component's compiler made (`css` is then the component's path with `?style`).
    pub css_text: Option<String>,
    /// Loaded from the build cache: `ast` is none until `prepare` parses it, if it must (see
    /// [`crate::stages::js::scan::load_cache`]).
    pub lazy: bool,
    /// The key of loading it (its text, path and options; see [`crate::stages::js::scan::load_cache`]) with the
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

struct LoadResult {
    module: JsModule,
    /// One per record.
    targets: Vec<Target>,
    diags: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    trace: ModuleTrace,
}

/// A module as the graph knows it before numbering: its path and how it is imported.
type Key = (PathBuf, Variant);

pub fn load(ctx: &JsCtx, entries: &[EntrySpec]) -> Result<(Loaded, Diagnostics), Diagnostics> {
    number(entries, load_all(ctx, entries))
}

/// Loads every module reachable from the entries. Each loaded module starts the loads of the
/// modules it imports that nobody has started, so both cores stay busy until the last one
/// (loading wave by wave, each wave waiting for its slowest module, used 1.3 cores of two).
fn load_all(ctx: &JsCtx, entries: &[EntrySpec]) -> FxHashMap<Key, LoadResult> {
    // Every entry is claimed before any load starts, so an entry given as text is never
    // loaded from disk because a module imports its path first.
    let loads = Loads { ctx, started: Mutex::new(entries.iter().map(|e| (e.path.clone(), Variant::Plain)).collect()), done: Mutex::default() };
    rayon::scope(|s| {
        let mut first = FxHashSet::default();
        for e in entries.iter().filter(|e| first.insert(&e.path)) {
            loads.spawn(s, (e.path.clone(), Variant::Plain), e.source.clone(), false);
        }
    });
    loads.done.into_inner().expect("no load panicked")
}

/// The loads of one graph: the modules claimed so far, and what their loads gave.
struct Loads<'a> {
    ctx: &'a JsCtx<'a>,
    started: Mutex<FxHashSet<Key>>,
    done: Mutex<FxHashMap<Key, LoadResult>>,
}

impl<'a> Loads<'a> {
    /// Loads `key` on the scope, then whatever it imports that nobody has claimed.
    fn spawn<'s>(&'s self, s: &rayon::Scope<'s>, key: Key, source: Option<String>, side_effects_free: bool) {
        s.spawn(move |s| {
            let r = load_one(self.ctx, &key.0, key.1, source, side_effects_free);
            for t in &r.targets {
                if let Target::Module(path, variant, sef) = t {
                    let next = (path.clone(), *variant);
                    if self.started.lock().expect("no load panicked").insert(next.clone()) {
                        self.spawn(s, next, None, *sef);
                    }
                }
            }
            self.done.lock().expect("no load panicked").insert(key, r);
        });
    }
}

/// Numbers the loaded modules breadth first from the entries, each module's imports in their
/// order: the same ids whatever order the loads finished in.
fn number(entries: &[EntrySpec], mut results: FxHashMap<Key, LoadResult>) -> Result<(Loaded, Diagnostics), Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut warnings = Diagnostics::default();
    let mut ids: FxHashMap<Key, ModuleId> = FxHashMap::default();
    let mut extra: BTreeMap<ExtraEntry, usize> = BTreeMap::new();
    let mut extra_list: Vec<ExtraEntry> = Vec::new();
    let mut modules: Vec<Option<JsModule>> = Vec::new();
    let mut wave: Vec<(ModuleId, Key)> = Vec::new();
    let mut entry_ids = Vec::new();
    for e in entries {
        let key = (e.path.clone(), Variant::Plain);
        let id = *ids.entry(key.clone()).or_insert_with(|| {
            modules.push(None);
            wave.push((modules.len() - 1, key));
            modules.len() - 1
        });
        entry_ids.push(id);
    }
    let mut pending_targets: Vec<(ModuleId, Vec<Target>)> = Vec::new();
    let mut traces: Vec<Option<ModuleTrace>> = Vec::new();
    while !wave.is_empty() {
        let mut next = Vec::new();
        for (id, key) in wave {
            let r = results.remove(&key).expect("every module found was loaded");
            diags.extend(r.diags);
            warnings.extend(r.warnings);
            for t in &r.targets {
                match t {
                    Target::Module(path, variant, _) => {
                        let key = (path.clone(), *variant);
                        if !ids.contains_key(&key) {
                            modules.push(None);
                            ids.insert(key.clone(), modules.len() - 1);
                            next.push((modules.len() - 1, key));
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

pub fn is_reserved(word: &str) -> bool {
    matches!(
        word,
        "break"
            | "case"
            | "catch"
            | "class"
            | "const"
            | "continue"
            | "debugger"
            | "default"
            | "delete"
            | "do"
            | "else"
            | "enum"
            | "export"
            | "extends"
            | "false"
            | "finally"
            | "for"
            | "function"
            | "if"
            | "import"
            | "in"
            | "instanceof"
            | "new"
            | "null"
            | "return"
            | "super"
            | "switch"
            | "this"
            | "throw"
            | "true"
            | "try"
            | "typeof"
            | "var"
            | "void"
            | "while"
            | "with"
            | "yield"
            | "let"
            | "static"
            | "implements"
            | "interface"
            | "package"
            | "private"
            | "protected"
            | "public"
            | "await"
            | "arguments"
            | "eval"
            | "undefined"
            | "NaN"
            | "Infinity"
    )
}
