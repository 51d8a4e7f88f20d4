//! Bundling a set of entries (load → link → minify → plan chunks → print), then the workers
//! and scripts by URL they start, each a self-contained set of its own.

use rayon::prelude::*;
use swc_core::common::{sync::Lrc, Globals, Mark, SourceMap, GLOBALS};

use crate::diagnostics::{BuildError, Diagnostic, Diagnostics};
use crate::graph::{AssetKey, AssetKind, JsEntry};
use crate::log::Timings;
use crate::stages::js::BundleOptions;

use crate::stages::js::generate::{self, plan, verify};
use crate::stages::js::link::{self, chunks};
use crate::stages::js::scan::graph::{self, EntrySpec, ModuleKind};
use crate::stages::js::scan::resolve::JsResolver;
use crate::stages::js::scan::{load_cache, parse};
use crate::stages::js::types::{Chunk, JsCtx};

pub struct Bundles {
    pub chunks: Vec<Chunk>,
    /// Time spent in each step, for `--timings`.
    pub timings: Timings,
    /// Files imported from JS that the pipeline must load and emit (root-relative paths).
    pub assets: Vec<crate::loader::Request>,
    pub warnings: Diagnostics,
    /// What loading each module read (see [`crate::stages::js::replay`]); empty for a replayed stage.
    pub traces: Vec<crate::stages::js::replay::trace::ModuleTrace>,
}

/// Bundles the entries, then every worker (and script imported by URL) they start, each as a
/// self-contained chunk of its own. `import_map`: specifiers the pages' import maps map, kept
/// as imports.
pub fn bundle(options: &BundleOptions, cache: &crate::cache::pack::Pack, entries: &[JsEntry], import_map: &[String]) -> Result<Bundles, BuildError> {
    if entries.is_empty() {
        return Ok(Bundles { chunks: Vec::new(), assets: Vec::new(), timings: Timings::default(), warnings: Diagnostics::default(), traces: Vec::new() });
    }
    let (mut out, extra) = bundle_set(options, cache, entries, import_map, false)?;
    let mut done: std::collections::BTreeSet<AssetKey> = entries.iter().map(|e| e.key.clone()).collect();
    let mut queue: std::collections::VecDeque<(graph::ExtraEntry, AssetKey)> = extra.into();
    // A worker's bundle is self-contained: no chunks shared with the page that starts it.
    let mut worker_config = options.clone();
    worker_config.js.splitting = false;
    worker_config.js.manual_chunks.clear();
    worker_config.js.min_chunk_size = 0;
    while let Some((entry, key)) = queue.pop_front() {
        if !done.insert(key.clone()) {
            continue;
        }
        let spec = JsEntry { key: key.clone(), path: entry.path.clone(), source: None };
        let (mut more, next) = bundle_set(&worker_config, cache, &[spec], import_map, entry.classic)?;
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
        out.timings.extend(more.timings);
        out.traces.append(&mut more.traces);
        queue.extend(next);
    }
    // A module a page and a worker share is checked once.
    out.traces.sort_by(|a, b| (&a.path, a.variant).cmp(&(&b.path, b.variant)));
    out.traces.dedup();
    out.assets.sort();
    out.assets.dedup();
    // A module a page and a worker share warns once.
    out.warnings = std::mem::take(&mut out.warnings).sorted();
    Ok(out)
}

/// Bundles one set of entries into chunks; returns them with the extra entry points (workers,
/// scripts imported by URL) their live modules start, and those entries' chunk keys. The
/// stage's table of contents: scan → link → generate (minify, plan, print) → verify.
fn bundle_set(
    options: &BundleOptions,
    cache: &crate::cache::pack::Pack,
    entries: &[JsEntry],
    import_map: &[String],
    classic: bool,
) -> Result<(Bundles, Vec<(graph::ExtraEntry, AssetKey)>), BuildError> {
    let ctx = context(options, cache, import_map, classic)?;
    let mut timings = Timings::default();
    let specs: Vec<EntrySpec> = entries.iter().map(|e| EntrySpec { path: e.path.clone(), source: e.source.clone() }).collect();
    let (loaded, warnings) = timings.time("js.load", || graph::load(&ctx, &specs))?;
    let graph::Loaded { mut modules, entry_ids, entries: extra, traces } = loaded;
    let extra_keys: Vec<AssetKey> = extra.iter().map(|e| e.key(&options.rel(&e.path))).collect();
    let asts: Vec<_> = modules.iter_mut().map(|m| m.ast.take()).collect();

    let linker = link::Linker::new(&modules);
    let linked = timings.time("js.link", || linker.link(&entry_ids, options.js.splitting))?;

    let mut prepared = timings.time("js.minify", || prepare_all(&ctx, &modules, asts, &linked))?;
    let chunks = timings.time("js.print", || {
        let page_entries: Vec<(graph::ModuleId, AssetKey)> = entry_ids.iter().zip(entries).map(|(&e, en)| (e, en.key.clone())).collect();
        let sizes: Vec<u64> = prepared.iter().map(|p| p.as_ref().map_or(0, |p| p.size)).collect();
        let pure: Vec<bool> = prepared.iter().map(|p| p.as_ref().is_none_or(|p| p.pure)).collect();
        let plan = chunks::plan(options, &modules, &linked, &page_entries, &sizes, &pure);
        plan::render_chunks(&ctx, &modules, &mut prepared, &linker, &linked, &plan, &extra_keys)
    })?;
    if options.checks.verify {
        timings.time("js.verify", || verify_chunks(&chunks, options, classic))?;
    }

    let assets = assets_of(&modules, &linked);
    let started = started_entries(&modules, &linked).into_iter().map(|w| (extra[w].clone(), extra_keys[w].clone())).collect();
    Ok((Bundles { chunks, assets, timings, warnings, traces }, started))
}

/// What every module task of a set shares: a source map, swc's globals, the resolver, the
/// `define`s parsed (an invalid one is an error naming its key).
fn context<'a>(options: &'a BundleOptions, cache: &'a crate::cache::pack::Pack, import_map: &'a [String], classic: bool) -> Result<JsCtx<'a>, BuildError> {
    let globals = Globals::new();
    let unresolved_mark = GLOBALS.set(&globals, Mark::new);
    let cm = Lrc::new(SourceMap::default());
    // swc's printer writes a few small positions (BytePos(1), 29, …) for nodes with no span;
    // with the first 64 KiB of positions held by no module, they map to nothing instead of
    // into whichever module happens to be first.
    cm.new_source_file(Lrc::new(swc_core::common::FileName::Anon), " ".repeat(1 << 16));
    let mut ctx = JsCtx {
        options,
        cm,
        globals,
        unresolved_mark,
        resolver: JsResolver::new(options),
        defines: Vec::new(),
        import_map,
        classic,
        cache,
        load_salt: load_cache::salt(options, import_map, classic),
        compilers: crate::sfc::Compilers {
            hosts: crate::sfc::Hosts::new(options.node.clone()),
            cache,
            installed: Default::default(),
            compiled: Default::default(),
        },
    };
    let mut diags = Vec::new();
    for (key, value) in &options.js.define {
        match parse::parse_define_value(&ctx, key, value) {
            Ok(expr) => ctx.defines.push((key.split('.').map(str::to_owned).collect(), expr)),
            Err(e) => diags.push(
                Diagnostic::error(format!("js.define.{key:?}: {value:?} is not a JS expression: {}", e.kind().msg())).of_kind(crate::diagnostics::Kind::Config),
            ),
        }
    }
    if !diags.is_empty() {
        return Err(BuildError { diagnostics: diags });
    }
    Ok(ctx)
}

/// Every chunk parsed again: none may hold syntax its target cannot run.
fn verify_chunks(chunks: &[Chunk], options: &BundleOptions, classic: bool) -> Result<(), BuildError> {
    let broken: Vec<Diagnostic> =
        chunks.par_iter().filter_map(|c| verify::check(&c.links.key.to_string(), &c.code, &options.js.target, classic).err()).collect();
    if broken.is_empty() {
        Ok(())
    } else {
        Err(BuildError { diagnostics: broken })
    }
}

/// The files live modules import that the pipeline loads and emits: assets, and stylesheets.
fn assets_of(modules: &[graph::JsModule], linked: &link::Linked) -> Vec<crate::loader::Request> {
    use crate::loader::Request;
    let mut assets: Vec<Request> = modules
        .iter()
        .enumerate()
        .filter(|(m, _)| linked.included[*m])
        .filter_map(|(_, module)| match (&module.kind, &module.css) {
            (ModuleKind::Asset { rel }, _) => Some(Request { rel: rel.clone(), kind: AssetKind::for_path(rel, None), text: None }),
            (_, Some(rel)) => Some(Request { rel: rel.clone(), kind: AssetKind::Css, text: module.css_text.clone() }),
            _ => None,
        })
        .collect();
    assets.sort();
    assets.dedup();
    assets
}

/// The extra entries (workers, scripts by URL) live modules start, by index, in order.
fn started_entries(modules: &[graph::JsModule], linked: &link::Linked) -> Vec<usize> {
    let mut started: Vec<usize> = modules
        .iter()
        .enumerate()
        .filter(|(m, _)| linked.included[*m])
        .flat_map(|(_, module)| {
            module.resolved.iter().filter_map(|r| match r {
                graph::Resolved::Entry(w) => Some(*w),
                _ => None,
            })
        })
        .collect();
    started.sort_unstable();
    started.dedup();
    started
}

/// Every live module prepared (minified), in parallel, largest first.
fn prepare_all(
    ctx: &JsCtx,
    modules: &[graph::JsModule],
    asts: Vec<Option<swc_core::ecma::ast::Module>>,
    linked: &link::Linked,
) -> Result<Vec<Option<generate::Prepared>>, BuildError> {
    let jobs: Vec<(usize, Option<swc_core::ecma::ast::Module>)> = asts.into_iter().enumerate().collect();
    let prepared = crate::par::map_largest_first(
        jobs,
        |(m, _)| modules[*m].text_len(),
        |(m, ast)| {
            // Asset modules have no tree; modules loaded from the build cache get one if they
            // must.
            if !linked.included[m] || ast.is_none() && !modules[m].lazy {
                return Ok(None);
            }
            GLOBALS.set(&ctx.globals, || generate::prepare(ctx, modules, m, ast, linked)).map(Some)
        },
    );
    prepared.into_iter().collect::<Result<_, Diagnostic>>().map_err(BuildError::one)
}
