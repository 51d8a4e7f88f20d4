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
pub mod generate;
pub mod graph;
pub mod link;
pub mod names;
pub mod parse;
pub mod resolve;
pub mod rewrite;
pub mod sourcemap;

use std::path::PathBuf;

use rayon::prelude::*;
use swc_core::common::{sync::Lrc, Globals, Mark, SourceMap, GLOBALS};
use swc_core::ecma::ast::Expr;
use swc_core::ecma::transforms::react::Options as JsxOptions;

use crate::config::Config;
use crate::diagnostics::{BuildError, Diagnostic};
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
}

impl JsCtx<'_> {
    pub fn jsx_options(&self, path: &std::path::Path) -> JsxOptions {
        parse::jsx_options(&self.resolver.jsx_options(path))
    }
}

/// A bundle entry: a module script of a page (file or inline), or a configured entry.
#[derive(Debug, Clone)]
pub struct JsEntry {
    /// The manifest key and source path of the output (`src/main.ts`, `index.html?module=0`).
    pub key: String,
    pub path: PathBuf,
    pub source: Option<String>,
}

/// The source map of a chunk, finished by the fingerprint stage once names are known.
#[derive(Debug, Clone)]
pub struct ChunkMap {
    pub segments: Vec<sourcemap::Segment>,
    pub sources: Vec<(PathBuf, String)>,
}

/// One bundle, before fingerprinting.
pub struct Chunk {
    pub key: String,
    pub code: String,
    pub refs: Refs,
    pub map: Option<ChunkMap>,
    pub modules: Vec<crate::graph::ModuleInfo>,
}

pub struct Bundles {
    pub chunks: Vec<Chunk>,
    /// Time spent in each step, for `--timings`.
    pub timings: Vec<(&'static str, std::time::Duration)>,
    /// Files imported from JS that the pipeline must load and emit (root-relative paths).
    pub assets: Vec<(String, AssetKind)>,
}

pub fn bundle(config: &Config, entries: &[JsEntry]) -> Result<Bundles, BuildError> {
    if entries.is_empty() {
        return Ok(Bundles { chunks: Vec::new(), assets: Vec::new(), timings: Vec::new() });
    }
    let globals = Globals::new();
    let unresolved_mark = GLOBALS.set(&globals, Mark::new);
    let mut ctx = JsCtx {
        config,
        cm: Lrc::new(SourceMap::default()),
        globals,
        unresolved_mark,
        resolver: JsResolver::new(config),
        defines: Vec::new(),
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
    let (mut modules, entry_ids) = graph::load(&ctx, &specs)?;
    let asts: Vec<_> = modules.iter_mut().map(|m| m.ast.take()).collect();
    lap("js.load", &mut timings);
    let linker = link::Linker::new(&modules);
    let linked = linker.link(&entry_ids)?;
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
    let mut membership = vec![0u32; modules.len()];
    for &e in &entry_ids {
        for m in linker.order(e, &linked.included) {
            membership[m] += 1;
        }
    }
    let shared: Vec<bool> = membership.iter().map(|&c| c > 1).collect();
    let mut chunks = Vec::new();
    for (i, (&e, entry)) in entry_ids.iter().zip(entries).enumerate() {
        let code = GLOBALS.set(&ctx.globals, || generate::chunk(&ctx, &modules, &mut prepared, &shared, &linker, &linked, i, e));
        let map = (config.js.sourcemap != crate::config::SourceMapMode::None)
            .then_some(ChunkMap { segments: code.segments, sources: code.sources });
        chunks.push(Chunk { key: entry.key.clone(), code: code.code, refs: code.refs, map, modules: code.modules });
    }
    lap("js.print", &mut timings);
    let mut assets: Vec<(String, AssetKind)> = modules
        .iter()
        .enumerate()
        .filter(|(m, _)| linked.included[*m])
        .filter_map(|(_, module)| match &module.kind {
            ModuleKind::Asset { rel } => Some((rel.clone(), AssetKind::for_path(rel, None))),
            _ => None,
        })
        .collect();
    assets.sort();
    assets.dedup();
    Ok(Bundles { chunks, assets, timings })
}
