//! JS: module scripts and configured entries become bundles.
//!
//! The shape is esbuild's scan → link → generate, on swc's parser, transforms, minifier and
//! printer:
//! - [`graph`]: load every reachable module in parallel waves; each is read, parsed,
//!   transformed (TypeScript, JSX, `define`), analyzed and has its imports resolved in one
//!   task, never parsed twice;
//! - [`link`]: bind imports to definitions, mark live modules and exports, order modules;
//! - [`generate`]: minify modules in parallel, name the chunk's top-level symbols once, print
//!   modules in parallel with source positions, join them.
//!
//! A chunk's references to emitted files (`import logo from './logo.png'`) are placeholders,
//! replaced by the fingerprint stage like every other reference.

pub mod analyze;
pub mod chunks;
pub mod class_fields;
pub mod generate;
pub mod graph;
pub mod limits;
pub mod link;
pub mod meta;
pub mod names;
pub mod parse;
pub mod resolve;
pub mod rewrite;
pub mod verify;

use std::path::PathBuf;

use rayon::prelude::*;
use swc_core::common::{sync::Lrc, Globals, Mark, SourceMap, GLOBALS};
use swc_core::ecma::ast::Expr;

use crate::config::Config;
use crate::diagnostics::{BuildError, Diagnostic, Diagnostics};
use crate::graph::{AssetKind, Refs};
use graph::{EntrySpec, ModuleKind};
use resolve::JsResolver;

/// What every module task shares.
pub struct JsCtx<'a> {
    pub config: &'a Config,
    pub cm: Lrc<SourceMap>,
    pub globals: Globals,
    pub unresolved_mark: Mark,
    pub resolver: JsResolver,
    /// `define`: dotted global paths and the expressions that replace them.
    pub defines: Vec<(Vec<String>, Box<Expr>)>,
    /// Specifiers kept as imports besides `js.external`: those the pages' import maps map.
    pub import_map: &'a [String],
    /// Building a classic worker script: an IIFE with no `import` and no `import.meta`.
    pub classic: bool,
}

/// A bundle entry: a module script of a page (file or inline), or a configured entry.
#[derive(Debug, Clone)]
pub struct JsEntry {
    /// The manifest key and source path of the output (`src/main.ts`, `index.html?module=0`).
    pub key: String,
    pub path: PathBuf,
    pub source: Option<String>,
}

/// One bundle, before fingerprinting.
pub struct Chunk {
    pub code: String,
    pub refs: Refs,
    pub map: Option<crate::graph::ChunkMap>,
    pub modules: Vec<crate::graph::ModuleInfo>,
    /// The bundle of a page's module script or a configured entry (not a shared or lazy chunk).
    pub is_entry: bool,
    pub links: ChunkLinks,
    /// Written at this path, unhashed (a service worker).
    pub fixed_path: Option<String>,
}

/// What pages and the assemble stage need to know of a chunk besides its code.
#[derive(Debug, Clone)]
pub struct ChunkLinks {
    /// The manifest key and asset source path.
    pub key: String,
    /// Stylesheets its modules import, in order (root-relative), and the key of the one file
    /// they are joined into.
    pub css: Vec<String>,
    pub css_key: Option<String>,
    /// The chunks it imports statically, directly or not, deepest first (a page preloads them).
    pub preload: Vec<String>,
    /// The CSS files a page loading this chunk links, in order.
    pub css_order: Vec<String>,
    /// The lazy chunks it loads with `import()`.
    pub dynamic: Vec<String>,
}

pub struct Bundles {
    pub chunks: Vec<Chunk>,
    /// Time spent in each step, for `--timings`.
    pub timings: Vec<(&'static str, std::time::Duration)>,
    /// Files imported from JS that the pipeline must load and emit (root-relative paths).
    pub assets: Vec<(String, AssetKind)>,
    pub warnings: Diagnostics,
}

/// Bundles the entries, then every worker (and script imported by URL) they start, each as a
/// self-contained chunk of its own. `import_map`: specifiers the pages' import maps map, kept
/// as imports.
pub fn bundle(config: &Config, entries: &[JsEntry], import_map: &[String]) -> Result<Bundles, BuildError> {
    if entries.is_empty() {
        return Ok(Bundles { chunks: Vec::new(), assets: Vec::new(), timings: Vec::new(), warnings: Diagnostics::default() });
    }
    let (mut out, extra) = bundle_set(config, entries, import_map, false)?;
    let mut done: std::collections::BTreeSet<String> = entries.iter().map(|e| e.key.clone()).collect();
    let mut queue: std::collections::VecDeque<(graph::ExtraEntry, String)> = extra.into();
    // A worker's bundle is self-contained: no chunks shared with the page that starts it.
    let mut worker_config = config.clone();
    worker_config.js.splitting = false;
    worker_config.js.manual_chunks.clear();
    worker_config.js.min_chunk_size = 0;
    while let Some((entry, key)) = queue.pop_front() {
        if !done.insert(key.clone()) {
            continue;
        }
        let spec = JsEntry { key: key.clone(), path: entry.path.clone(), source: None };
        let (mut more, next) = bundle_set(&worker_config, &[spec], import_map, entry.classic)?;
        for c in &mut more.chunks {
            c.is_entry = false;
            if entry.service && c.links.key == key {
                // A service worker keeps its URL from one deploy to the next, at the top
                // level so that its scope can be the whole site.
                let stem = entry.path.file_stem().map_or_else(|| "sw".into(), |s| s.to_string_lossy().into_owned());
                c.fixed_path = Some(format!("{stem}.js"));
            }
        }
        out.chunks.append(&mut more.chunks);
        out.assets.append(&mut more.assets);
        out.warnings.extend(more.warnings.0);
        for (name, t) in more.timings {
            match out.timings.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 += t,
                None => out.timings.push((name, t)),
            }
        }
        queue.extend(next);
    }
    out.assets.sort();
    out.assets.dedup();
    // A module a page and a worker share warns once.
    out.warnings = std::mem::take(&mut out.warnings).sorted();
    Ok(out)
}

/// Bundles one set of entries into chunks; returns them with the extra entry points (workers,
/// scripts imported by URL) their live modules start, and those entries' chunk keys.
fn bundle_set(
    config: &Config,
    entries: &[JsEntry],
    import_map: &[String],
    classic: bool,
) -> Result<(Bundles, Vec<(graph::ExtraEntry, String)>), BuildError> {
    let globals = Globals::new();
    let unresolved_mark = GLOBALS.set(&globals, Mark::new);
    let mut ctx = JsCtx {
        config,
        cm: Lrc::new(SourceMap::default()),
        globals,
        unresolved_mark,
        resolver: JsResolver::new(config),
        defines: Vec::new(),
        import_map,
        classic,
    };
    let mut diags = Vec::new();
    let mut defines = Vec::new();
    for (key, value) in &config.js.define {
        match parse::parse_define_value(&ctx, key, value) {
            Ok(expr) => defines.push((key.split('.').map(str::to_owned).collect(), expr)),
            Err(e) => diags.push(Diagnostic::error(format!("js.define.{key:?}: {value:?} is not a JS expression: {e}"))),
        }
    }
    if !diags.is_empty() {
        return Err(BuildError { diagnostics: diags });
    }
    ctx.defines = defines;

    let mut timings = Vec::new();
    let mut started = std::time::Instant::now();
    let mut lap = |name: &'static str, timings: &mut Vec<(&'static str, std::time::Duration)>| {
        timings.push((name, started.elapsed()));
        started = std::time::Instant::now();
    };
    let specs: Vec<EntrySpec> = entries.iter().map(|e| EntrySpec { path: e.path.clone(), source: e.source.clone() }).collect();
    let (loaded, warnings) = graph::load(&ctx, &specs)?;
    let graph::Loaded { mut modules, entry_ids, entries: extra } = loaded;
    let extra_keys: Vec<String> = extra.iter().map(|e| e.key(&config.rel(&e.path))).collect();
    let asts: Vec<_> = modules.iter_mut().map(|m| m.ast.take()).collect();
    lap("js.load", &mut timings);
    let linker = link::Linker::new(&modules);
    let linked = linker.link(&entry_ids, config.js.splitting)?;
    lap("js.link", &mut timings);

    let mut prepared: Vec<Option<generate::Prepared>> = asts
        .into_par_iter()
        .enumerate()
        .map(|(m, ast)| {
            let ast = ast?;
            linked.included[m].then(|| GLOBALS.set(&ctx.globals, || generate::prepare(&ctx, &modules, m, ast, &linked)))
        })
        .collect();
    lap("js.minify", &mut timings);
    let page_entries: Vec<(graph::ModuleId, String)> = entry_ids.iter().zip(entries).map(|(&e, en)| (e, en.key.clone())).collect();
    let sizes: Vec<u64> = prepared.iter().map(|p| p.as_ref().map_or(0, |p| p.size)).collect();
    let pure: Vec<bool> = prepared.iter().map(|p| p.as_ref().is_none_or(|p| p.pure)).collect();
    let plan = chunks::plan(config, &modules, &linked, &page_entries, &sizes, &pure);
    let chunks = render_chunks(&ctx, &modules, &mut prepared, &linker, &linked, &plan, &extra_keys)?;
    lap("js.print", &mut timings);
    if verify::reparse_enabled() {
        let broken: Vec<Diagnostic> =
            chunks.par_iter().filter_map(|c| verify::check(&c.links.key, &c.code, &config.js.target, classic).err()).collect();
        if !broken.is_empty() {
            return Err(BuildError { diagnostics: broken });
        }
        lap("js.verify", &mut timings);
    }
    let mut assets: Vec<(String, AssetKind)> = modules
        .iter()
        .enumerate()
        .filter(|(m, _)| linked.included[*m])
        .filter_map(|(_, module)| match (&module.kind, &module.css) {
            (ModuleKind::Asset { rel }, _) => Some((rel.clone(), AssetKind::for_path(rel, None))),
            (_, Some(rel)) => Some((rel.clone(), AssetKind::Css)),
            _ => None,
        })
        .collect();
    assets.sort();
    assets.dedup();
    // The extra entries live modules start.
    let mut started_entries: Vec<usize> = modules
        .iter()
        .enumerate()
        .filter(|(m, _)| linked.included[*m])
        .flat_map(|(_, module)| module.resolved.iter().filter_map(|r| match r {
            graph::Resolved::Entry(w) => Some(*w),
            _ => None,
        }))
        .collect();
    started_entries.sort_unstable();
    started_entries.dedup();
    let extra_out = started_entries.into_iter().map(|w| (extra[w].clone(), extra_keys[w].clone())).collect();
    Ok((Bundles { chunks, assets, timings, warnings }, extra_out))
}

/// Prints every chunk of the plan, then writes the imports and exports that join them.
fn render_chunks(
    ctx: &JsCtx,
    modules: &[graph::JsModule],
    prepared: &mut [Option<generate::Prepared>],
    linker: &link::Linker,
    linked: &link::Linked,
    plan: &chunks::Plan,
    extra_keys: &[String],
) -> Result<Vec<Chunk>, BuildError> {
    use chunks::ChunkKind;
    use rustc_hash::FxHashMap;
    use swc_core::atoms::Atom;
    let n = modules.len();
    // Namespace objects: those the linker asked for, and ES modules that are `require`d.
    let mut need_ns = linked.needs_namespace.clone();
    for (m, module) in modules.iter().enumerate().filter(|(m, _)| linked.included[*m]) {
        for (r, rec) in module.analysis.records.iter().enumerate() {
            if let (analyze::ImportKind::Require, Some(graph::Resolved::Module(t))) = (rec.kind, module.resolved.get(r)) {
                if modules[*t].kind == ModuleKind::Esm {
                    need_ns[*t] = true;
                }
            }
        }
        let _ = m;
    }
    let mut membership = vec![0u32; n];
    for c in &plan.chunks {
        for &m in &c.modules {
            membership[m] += 1;
        }
    }
    let copied: Vec<bool> = membership.iter().map(|&c| c > 1).collect();
    // What loading each lazy chunk fetches first: the CSS of it and of the chunks it imports
    // (deepest first), and those chunks.
    let mut dynamic: FxHashMap<graph::ModuleId, (String, Vec<String>, Vec<String>)> = FxHashMap::default();
    for (c, chunk) in plan.chunks.iter().enumerate() {
        let Some(e) = chunk.entry else { continue };
        if linked.dynamic_entries.binary_search(&e).is_err() {
            continue;
        }
        let closure = plan.static_closure(c);
        let css = plan.css_order(c, modules);
        let js: Vec<String> = closure.iter().map(|&d| plan.chunks[d].key.clone()).collect();
        dynamic.insert(e, (chunk.key.clone(), css, js));
    }
    let mut rendered = Vec::with_capacity(plan.chunks.len());
    for (c, chunk) in plan.chunks.iter().enumerate() {
        let exports = match chunk.kind {
            ChunkKind::Page(i) => Some(linked.entry_exports[i].clone()),
            ChunkKind::Dynamic(d) => Some(linker.export_names(d)),
            _ => None,
        };
        let job = generate::ChunkJob {
            index: c,
            order: &chunk.modules,
            // A classic script exports nothing.
            exports: if ctx.classic { None } else { exports },
            extra_keys,
            chunk_of: &plan.chunk_of,
            need_ns: &need_ns,
            copied: &copied,
            dynamic: &dynamic,
        };
        rendered.push(GLOBALS.set(&ctx.globals, || generate::render(ctx, modules, prepared, linker, linked, &job)));
    }
    let problems: Vec<Diagnostic> = rendered.iter_mut().flat_map(|r| std::mem::take(&mut r.problems)).collect();
    if !problems.is_empty() {
        return Err(BuildError { diagnostics: problems });
    }
    // Export names: each chunk's local name, made distinct from its entry's export names.
    let mut wanted: Vec<std::collections::BTreeSet<Atom>> = vec![Default::default(); plan.chunks.len()];
    for r in &rendered {
        for (key, owner) in &r.foreign {
            wanted[*owner].insert(key.clone());
        }
    }
    let mut export_names: Vec<FxHashMap<Atom, String>> = vec![FxHashMap::default(); plan.chunks.len()];
    for (c, keys) in wanted.iter().enumerate() {
        let mut taken: std::collections::HashSet<String> = rendered[c].entry_exports.iter().map(|(_, e)| e.clone()).collect();
        for key in keys {
            let Some(local) = rendered[c].names.get(key) else { continue };
            let mut name = local.to_string();
            while !taken.insert(name.clone()) {
                name.push('$');
            }
            export_names[c].insert(key.clone(), name);
        }
    }
    let minify = ctx.config.js.minify;
    let mut out = Vec::with_capacity(plan.chunks.len());
    for (c, r) in rendered.into_iter().enumerate() {
        let chunk = &plan.chunks[c];
        let mut order: Vec<usize> = chunk.deps.clone();
        for (_, owner) in &r.foreign {
            if !order.contains(owner) {
                order.push(*owner);
            }
        }
        let imports: Vec<(String, Vec<(String, String)>)> = order
            .iter()
            .map(|&d| {
                let mut names: Vec<(String, String)> = r
                    .foreign
                    .iter()
                    .filter(|(_, o)| *o == d)
                    .filter_map(|(key, _)| Some((export_names[d].get(key)?.clone(), r.names.get(key)?.to_string())))
                    .collect();
                names.sort();
                (plan.chunks[d].key.clone(), names)
            })
            .collect();
        let mut shared: Vec<(String, String)> = export_names[c]
            .iter()
            .filter_map(|(key, exported)| Some((r.names.get(key)?.to_string(), exported.clone())))
            .collect();
        shared.sort_by(|a, b| a.1.cmp(&b.1));
        if ctx.classic && !r.externals.is_empty() {
            return Err(BuildError::one(
                Diagnostic::error(format!("{} is started as a classic worker, which cannot import external modules", chunk.key))
                    .with_note("start it with { type: 'module' } to keep its external imports"),
            ));
        }
        let mut code = generate::assemble(r, &imports, &shared, minify, ctx.classic);
        if let Some(css) = chunk.css_key() {
            // Not written in the code: records that the chunk's CSS belongs to it.
            code.refs.placeholder(&css, AssetKind::Css, crate::graph::RefUse::Url, false);
        }
        let map = (ctx.config.js.sourcemap != crate::config::SourceMapMode::None)
            .then_some(crate::graph::ChunkMap { segments: code.segments, sources: code.sources });
        let links = ChunkLinks {
            key: chunk.key.clone(),
            css: chunk.css.clone(),
            css_key: chunk.css_key(),
            preload: plan.static_closure(c).into_iter().map(|d| plan.chunks[d].key.clone()).collect(),
            css_order: plan.css_order(c, modules),
            dynamic: {
                let mut keys: Vec<String> = Vec::new();
                for &m in &chunk.modules {
                    for (r, rec) in modules[m].analysis.records.iter().enumerate() {
                        if let (analyze::ImportKind::Dynamic, Some(graph::Resolved::Module(t))) = (rec.kind, modules[m].resolved.get(r)) {
                            if let Some((key, _, _)) = dynamic.get(t) {
                                if !keys.contains(key) {
                                    keys.push(key.clone());
                                }
                            }
                        }
                    }
                }
                keys
            },
        };
        out.push(Chunk {
            code: code.code,
            refs: code.refs,
            map,
            modules: code.modules,
            is_entry: matches!(chunk.kind, ChunkKind::Page(_)),
            links,
            fixed_path: None,
        });
    }
    Ok(out)
}
