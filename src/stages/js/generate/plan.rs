//! Rendering the chunks of a plan: each printed (see [`crate::stages::js::generate`]), then joined by the
//! imports and exports between them.

use rustc_hash::FxHashMap;
use swc_core::atoms::Atom;
use swc_core::common::GLOBALS;

use crate::diagnostics::{BuildError, Diagnostic};
use crate::graph::{AssetKey, AssetKind};

use crate::stages::js::generate;
use crate::stages::js::link::chunks::ChunkKind;
use crate::stages::js::link::{self, chunks};
use crate::stages::js::scan::analyze;
use crate::stages::js::scan::graph::{self, ModuleKind};
use crate::stages::js::types::{Chunk, ChunkLinks, JsCtx};

/// What loading each lazy chunk (by its entry module) fetches first: its key, the CSS of it
/// and of the chunks it imports (deepest first), and those chunks.
type LazyLoads = FxHashMap<graph::ModuleId, (AssetKey, Vec<AssetKey>, Vec<AssetKey>)>;

/// Prints every chunk of the plan, then writes the imports and exports that join them.
pub(in crate::stages::js) fn render_chunks(
    ctx: &JsCtx,
    modules: &[graph::JsModule],
    prepared: &mut [Option<generate::Prepared>],
    linker: &link::Linker,
    linked: &link::Linked,
    plan: &chunks::Plan,
    extra_keys: &[AssetKey],
) -> Result<Vec<Chunk>, BuildError> {
    let need_ns = namespaces_needed(modules, linked);
    let mut membership = vec![0u32; modules.len()];
    for c in &plan.chunks {
        for &m in &c.modules {
            membership[m] += 1;
        }
    }
    let copied: Vec<bool> = membership.iter().map(|&c| c > 1).collect();
    let dynamic = lazy_loads(modules, linked, plan);
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
    let export_names = export_names(&rendered, plan.chunks.len());
    let mut out = Vec::with_capacity(plan.chunks.len());
    for (c, r) in rendered.into_iter().enumerate() {
        out.push(join(ctx, modules, plan, c, r, &export_names, &dynamic)?);
    }
    Ok(out)
}

/// Namespace objects to build: those the linker asked for, and ES modules that are `require`d.
fn namespaces_needed(modules: &[graph::JsModule], linked: &link::Linked) -> Vec<bool> {
    let mut need_ns = linked.needs_namespace.clone();
    for (_, module) in modules.iter().enumerate().filter(|(m, _)| linked.included[*m]) {
        for (r, rec) in module.analysis.records.iter().enumerate() {
            if let (analyze::ImportKind::Require, Some(graph::Resolved::Module(t))) = (rec.kind, module.resolved.get(r)) {
                if modules[*t].kind == ModuleKind::Esm {
                    need_ns[*t] = true;
                }
            }
        }
    }
    need_ns
}

fn lazy_loads(modules: &[graph::JsModule], linked: &link::Linked, plan: &chunks::Plan) -> LazyLoads {
    let mut dynamic = LazyLoads::default();
    for (c, chunk) in plan.chunks.iter().enumerate() {
        let Some(e) = chunk.entry else { continue };
        if linked.dynamic_entries.binary_search(&e).is_err() {
            continue;
        }
        let closure = plan.static_closure(c);
        let css = plan.css_order(c, modules);
        let js: Vec<AssetKey> = closure.iter().map(|&d| plan.chunks[d].key.clone()).collect();
        dynamic.insert(e, (chunk.key.clone(), css, js));
    }
    dynamic
}

/// Per chunk: the name it exports each key other chunks import under (its local name, made
/// distinct from its entry's export names).
fn export_names(rendered: &[generate::Rendered], chunks: usize) -> Vec<FxHashMap<Atom, String>> {
    let mut wanted: Vec<std::collections::BTreeSet<Atom>> = vec![Default::default(); chunks];
    for r in rendered {
        for (key, owner) in &r.foreign {
            wanted[*owner].insert(key.clone());
        }
    }
    let mut export_names: Vec<FxHashMap<Atom, String>> = vec![FxHashMap::default(); chunks];
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
    export_names
}

/// Chunk `c` finished: its imports of the chunks it depends on, its exports to them, and what
/// pages and the assemble step need to know of it.
fn join(
    ctx: &JsCtx,
    modules: &[graph::JsModule],
    plan: &chunks::Plan,
    c: usize,
    r: generate::Rendered,
    export_names: &[FxHashMap<Atom, String>],
    dynamic: &LazyLoads,
) -> Result<Chunk, BuildError> {
    let chunk = &plan.chunks[c];
    let mut order: Vec<usize> = chunk.deps.clone();
    for (_, owner) in &r.foreign {
        if !order.contains(owner) {
            order.push(*owner);
        }
    }
    // Every key it names from another chunk is imported: one the other chunk does not
    // declare would leave a name unbound (see `unbound`).
    if let Some((key, d)) = r.foreign.iter().find(|(key, d)| r.names.contains_key(key) && !export_names[*d].contains_key(key)) {
        return Err(BuildError::one(
            Diagnostic::error(format!(
                "internal error: {} needs `{}` ({key}) from {}, which does not declare it",
                chunk.key, r.names[key], plan.chunks[*d].key
            ))
            .with_note(crate::stages::js::generate::unbound::BUG),
        ));
    }
    let imports: Vec<(AssetKey, Vec<(String, String)>)> = order
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
    let mut shared: Vec<(String, String)> =
        export_names[c].iter().filter_map(|(key, exported)| Some((r.names.get(key)?.to_string(), exported.clone()))).collect();
    shared.sort_by(|a, b| a.1.cmp(&b.1));
    // What other chunks import from it must be declared in it (see `unbound`).
    if let Some((local, exported)) = shared.iter().find(|(local, _)| !r.declared.contains(&Atom::from(local.as_str()))) {
        return Err(BuildError::one(
            Diagnostic::error(format!("internal error: {} exports `{local}` as `{exported}` to other chunks, but nothing in it declares it", chunk.key))
                .with_note("this is a bug in kiln; please report it with the input that caused it"),
        ));
    }
    if ctx.classic && !r.externals.is_empty() {
        return Err(BuildError::one(
            Diagnostic::error(format!("{} is started as a classic worker, which cannot import external modules", chunk.key))
                .with_note("start it with { type: 'module' } to keep its external imports"),
        ));
    }
    let mut r = r;
    let linked = ctx.options.js.legal_comments == crate::config::LegalComments::Linked && !r.legal.is_empty();
    let legal = if linked { Some(std::mem::take(&mut r.legal).join("\n") + "\n") } else { None };
    let mut code = generate::assemble(r, &imports, &shared, ctx.options.js.minify, ctx.classic);
    if legal.is_some() {
        // The last comment names the chunk's `.LEGAL.txt` file (as esbuild's `linked` does).
        let url = code.refs.placeholder(&Chunk::legal_key(&chunk.key), AssetKind::Raw, crate::graph::RefUse::Url, false);
        code.code.push_str(&format!("/*! For license information please see {url} */\n"));
    }
    if let Some(css) = chunk.css_key() {
        // Not written in the code: records that the chunk's CSS belongs to it.
        code.refs.placeholder(&css, AssetKind::Css, crate::graph::RefUse::Url, false);
    }
    let map =
        (ctx.options.js.sourcemap != crate::config::SourceMapMode::None).then_some(crate::graph::ChunkMap { segments: code.segments, sources: code.sources });
    let links = ChunkLinks {
        key: chunk.key.clone(),
        css: chunk.css.clone(),
        css_key: chunk.css_key(),
        preload: plan.static_closure(c).into_iter().map(|d| plan.chunks[d].key.clone()).collect(),
        css_order: plan.css_order(c, modules),
        dynamic: lazy_chunks_loaded(modules, chunk, dynamic),
    };
    Ok(Chunk {
        code: code.code,
        refs: code.refs,
        map,
        modules: code.modules,
        is_entry: matches!(chunk.kind, ChunkKind::Page(_)),
        links,
        fixed_path: None,
        legal,
    })
}

/// The lazy chunks a chunk's modules load with `import()`, in order.
fn lazy_chunks_loaded(modules: &[graph::JsModule], chunk: &chunks::ChunkPlan, dynamic: &LazyLoads) -> Vec<AssetKey> {
    let mut keys: Vec<AssetKey> = Vec::new();
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
}
