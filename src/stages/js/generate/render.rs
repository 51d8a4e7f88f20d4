//! Rendering one chunk: its references, its symbols named once for the whole chunk, its
//! modules renamed and printed in parallel, then the runtime, namespace objects and exports.

use std::fmt::Write as _;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use swc_core::atoms::Atom;
use swc_core::common::{DUMMY_SP, GLOBALS};
use swc_core::ecma::ast::*;
use swc_core::ecma::transforms::base::fixer::fixer;
use swc_core::ecma::visit::VisitMutWith;

use crate::diagnostics::Diagnostic;
use crate::graph::{AssetKey, AssetKind, RefUse};
use crate::sourcemap::Segment;
use crate::stages::js::generate::join::{external_imports, legal_comments, module_info};
use crate::stages::js::generate::prepare::Prepared;
use crate::stages::js::generate::rename::FinalNames;
use crate::stages::js::generate::rewrite::{call, ident, ImportRewriter, Replacement};
use crate::stages::js::generate::runtime::{expr_text, helper_code, is_ident_name, js_string, loader_code, HELPERS};
use crate::stages::js::generate::symbols::{ph, Marker};
use crate::stages::js::generate::types::print;
use crate::stages::js::generate::types::{Bound, ChunkCode, ChunkJob, ChunkRefs, ChunkRender, DynamicLoad, Externals, Names, Piece, Rendered, Synthetic};
use crate::stages::js::generate::unbound::{self, Scope};
use crate::stages::js::link::{Binding, Linked, Linker};
use crate::stages::js::scan::analyze::ImportKind;
use crate::stages::js::scan::graph::{JsModule, ModuleId, ModuleKind, Resolved};
use crate::stages::js::types::JsCtx;

/// Sorts a module's source-map segments. The printer does not always record positions in
/// output order; sorted per module, on the module's thread, the chunk's segments are sorted
/// once joined (each module starts on a line of its own), which the join would otherwise do
/// for millions at once.
fn in_output_order(segs: &mut [(u32, u32, u32, u32)]) {
    if !segs.is_sorted() {
        segs.sort_unstable();
    }
}

/// Names and prints one chunk.
pub fn render(ctx: &JsCtx, modules: &[JsModule], prepared: &mut [Option<Prepared>], linker: &Linker, linked: &Linked, job: &ChunkJob) -> Rendered {
    let r = ChunkRender { ctx, modules, linked, job, minify: ctx.options.js.minify };
    let refs = r.references(prepared);
    let needs_loader = refs.dynamic.values().any(|d| !d.css.is_empty() || !d.js.is_empty());
    let synthetic = r.synthetic(needs_loader);
    let getters: Vec<(ModuleId, Vec<(Atom, Binding)>)> = synthetic.ns_needed.iter().map(|&m| (m, linker.export_names(m))).collect();
    let externals = r.externals(&getters);
    let (symbols, foreign) = r.symbols(prepared, &synthetic, &externals, &getters);
    let mut names = r.choose_names(prepared, symbols);
    let mut pieces = r.print_modules(prepared, &refs, &synthetic, &names);
    let mut problems: Vec<Diagnostic> = pieces.iter().filter_map(|p| p.3.clone()).collect();
    let scopes: Vec<(ModuleId, Scope)> = pieces.iter_mut().map(|p| (p.0, std::mem::take(&mut p.4))).collect();
    let ext_code = external_imports(&externals, &names);
    let mut code = r.runtime_and_namespaces(&synthetic, &getters, &refs, &names);
    let mut own = code.clone();
    let (sources, segments, module_infos) = r.join_pieces(&mut code, pieces);
    let tail = code.len();
    r.run_cjs_entry(&mut code, &names);
    let entry_exports = r.entry_exports(&mut code, &refs, &mut names);
    own.push_str(&code[tail..]);
    let bound = Bound { foreign: &foreign, externals: &externals };
    let declared = r.check_unbound(prepared, &scopes, &own, &bound, &names, &entry_exports, &mut problems);
    let ChunkRefs { refs, .. } = refs;
    Rendered {
        code: ChunkCode { code, refs, segments, sources, modules: module_infos },
        names: names.names,
        foreign,
        externals: ext_code,
        entry_exports,
        problems,
        declared,
        legal: if ctx.options.js.legal_comments != crate::config::LegalComments::None { legal_comments(modules, job.order) } else { Vec::new() },
    }
}

impl ChunkRender<'_> {
    /// Asset URLs and lazy chunks the chunk's modules (and its exports) name, in module order.
    fn references(&self, prepared: &[Option<Prepared>]) -> ChunkRefs {
        let (modules, job) = (self.modules, self.job);
        let mut c = ChunkRefs::default();
        for &m in job.order {
            let Some(p) = &prepared[m] else { continue };
            for &t in &p.assets {
                if let ModuleKind::Asset { rel } = &modules[t].kind {
                    let url = c.refs.placeholder(&AssetKey::file(rel.as_str()), AssetKind::for_path(rel, None), RefUse::Url, false);
                    c.asset_map.insert(Marker::Asset(t).text(), url.clone());
                    c.asset_url.insert(t, url);
                }
            }
            for &w in &p.entries {
                if let Some(key) = job.extra_keys.get(w) {
                    let url = c.refs.placeholder(key, AssetKind::Chunk, RefUse::Url, false);
                    c.asset_map.insert(Marker::Entry(w).text(), url.clone());
                    c.entry_url.insert(w, url);
                }
            }
            for &t in &p.dynamic {
                let Some((key, css, js)) = job.dynamic.get(&t) else { continue };
                let url = c.refs.placeholder(key, AssetKind::Chunk, RefUse::DynamicImport, false);
                let css = css.iter().map(|k| c.refs.placeholder(k, AssetKind::Css, RefUse::Preload, false)).collect();
                let js = js.iter().map(|k| c.refs.placeholder(k, AssetKind::Chunk, RefUse::Preload, false)).collect();
                c.dynamic.insert(Marker::Dynamic(t).text(), DynamicLoad { url, css, js });
            }
        }
        for (_, b) in job.exports.iter().flatten() {
            if let Binding::AssetUrl(t) = b {
                if let ModuleKind::Asset { rel } = &modules[*t].kind {
                    let url = c.refs.placeholder(&AssetKey::file(rel.as_str()), AssetKind::for_path(rel, None), RefUse::Url, false);
                    c.asset_url.insert(*t, url);
                }
            }
            if let Binding::EntryUrl(w) = b {
                if let Some(key) = job.extra_keys.get(*w) {
                    c.entry_url.insert(*w, c.refs.placeholder(key, AssetKind::Chunk, RefUse::Url, false));
                }
            }
        }
        c
    }

    fn synthetic(&self, needs_loader: bool) -> Synthetic {
        let (modules, order) = (self.modules, self.job.order);
        let cjs: Vec<ModuleId> = order.iter().copied().filter(|&m| modules[m].kind == ModuleKind::Cjs).collect();
        let mut interop_at: FxHashMap<ModuleId, Vec<ModuleId>> = FxHashMap::default();
        let mut interop: Vec<ModuleId> = Vec::new();
        let ns_needed: Vec<ModuleId> = order.iter().copied().filter(|&m| self.job.need_ns[m] && modules[m].kind == ModuleKind::Esm).collect();
        let mut esm_required = false;
        let mut dynamic_interop = false;
        for &m in order {
            for (r, rec) in modules[m].analysis.records.iter().enumerate() {
                let Some(Resolved::Module(t)) = modules[m].resolved.get(r) else { continue };
                let t = *t;
                let from_esm = modules[m].kind == ModuleKind::Esm;
                match (&modules[t].kind, rec.kind) {
                    (ModuleKind::Cjs, ImportKind::Static | ImportKind::ReExport | ImportKind::Dynamic) if from_esm && !interop.contains(&t) => {
                        interop.push(t);
                        interop_at.entry(m).or_default().push(t);
                    }
                    (ModuleKind::Esm, ImportKind::Require) => esm_required = true,
                    // `import()` of CommonJS from CommonJS: the interop helper is called inline.
                    (ModuleKind::Cjs, ImportKind::Dynamic) => dynamic_interop = true,
                    _ => {}
                }
            }
        }
        let helpers_used = [!cjs.is_empty(), !interop.is_empty() || dynamic_interop, esm_required, needs_loader];
        Synthetic { cjs, interop, interop_at, ns_needed, helpers_used }
    }

    fn externals(&self, getters: &[(ModuleId, Vec<(Atom, Binding)>)]) -> Externals {
        let (modules, linked) = (self.modules, self.linked);
        let mut externals = Externals::default();
        fn add_external(externals: &mut Externals, spec: &str, imported: &Option<Atom>) {
            let key = ph::external(spec, imported.as_ref());
            let list = externals.entry(spec.to_owned()).or_default();
            if !list.iter().any(|(_, k)| *k == key) {
                list.push((imported.clone(), key));
            }
        }
        for &m in self.job.order {
            for b in linked.imports[m].values().chain(linked.ns_members[m].values().flatten()) {
                if let Binding::External(spec, imported) = b {
                    add_external(&mut externals, spec, imported);
                }
            }
            for (r, rec) in modules[m].analysis.records.iter().enumerate() {
                if rec.kind == ImportKind::Static && modules[m].resolved.get(r) == Some(&Resolved::External) {
                    externals.entry(rec.specifier.clone()).or_default();
                }
            }
        }
        for (_, b) in self.job.exports.iter().flatten().chain(getters.iter().flat_map(|(_, g)| g.iter())) {
            if let Binding::External(spec, imported) = b {
                add_external(&mut externals, spec, imported);
            }
        }
        externals
    }

    /// A binding as written in the joined code (namespace getters, the export list).
    fn resolved_text(&self, b: &Binding, refs: &ChunkRefs, names: &Names) -> Replacement {
        let named = |key: Atom| names.get(&key).map_or(Replacement::Undefined, Replacement::Ident);
        match b {
            Binding::Local(t, id) => named(ph::local(*t, &id.0)),
            Binding::Namespace(t) => named(ph::namespace(*t)),
            Binding::CjsExport(t, name) => names.get(&ph::interop(*t)).map_or(Replacement::Undefined, |n| Replacement::Member(n, name.clone())),
            Binding::CjsNamespace(t) => named(ph::interop(*t)),
            Binding::AssetUrl(t) => refs.asset_url.get(t).map_or(Replacement::Undefined, |u| Replacement::Str(u.clone())),
            Binding::EntryUrl(w) => refs.entry_url.get(w).map_or(Replacement::Undefined, |u| Replacement::Str(u.clone())),
            Binding::External(spec, imported) => named(ph::external(spec, imported.as_ref())),
        }
    }

    /// Renames and prints every module of the chunk, in parallel (or takes it from the build
    /// cache: see [`crate::stages::js::generate::print_cache`]).
    fn print_modules(&self, prepared: &mut [Option<Prepared>], refs: &ChunkRefs, synthetic: &Synthetic, names: &Names) -> Vec<Piece> {
        type Job = (ModuleId, Module, Option<crate::stages::js::generate::minify_cache::StoredTree>, Option<[u8; 32]>);
        // The cache keys first, on every core (each hashes the module's names and references).
        let keys: Vec<Option<[u8; 32]>> = {
            let prepared = &*prepared;
            self.job
                .order
                .par_iter()
                .map(|&m| prepared[m].as_ref().and_then(|p| crate::stages::js::generate::print_cache::key(self, m, p, refs, synthetic, names)))
                .collect()
        };
        let jobs: Vec<Job> = self
            .job
            .order
            .iter()
            .zip(keys)
            .filter_map(|(&m, key)| {
                let p = prepared[m].as_mut()?;
                let (ast, stored) = if self.job.copied[m] { (p.ast.clone(), p.stored.clone()) } else { (std::mem::take(&mut p.ast), p.stored.take()) };
                Some((m, ast, stored, key))
            })
            .collect();
        let cache = self.ctx.cache;
        crate::par::map_largest_first(
            jobs,
            |(m, ..)| self.modules[*m].text_len(),
            |(m, ast, stored, key)| {
                // An entry a kiln before this one wrote may hold its segments unsorted.
                let cached = key.and_then(|k| cache.get(&k)).and_then(|b| crate::stages::js::generate::print_cache::decode(m, b)).map(|mut piece| {
                    in_output_order(&mut piece.2);
                    piece
                });
                let cached = match cached {
                    Some(piece) if !self.ctx.options.checks.check_cache => return piece,
                    other => other,
                };
                let ast = match stored {
                    None => ast,
                    Some(stored) => match GLOBALS.set(&self.ctx.globals, || stored.decode()) {
                        Some(tree) => tree,
                        None => {
                            let d = Diagnostic::error("internal error: a minified module from the build cache does not decode")
                                .with_note("this is a bug in kiln; build with --no-cache meanwhile, and please report it")
                                .in_file(&self.modules[m].rel);
                            return (m, String::new(), Vec::new(), Some(d), Scope::default());
                        }
                    },
                };
                let piece = GLOBALS.set(&self.ctx.globals, || self.print_module(m, ast, refs, synthetic, names));
                if let Some(c) = cached {
                    assert!(
                        c.1 == piece.1 && c.2 == piece.2 && c.4 == piece.4,
                        "KILN_CHECK_CACHE: the cached print of {} differs from a fresh one",
                        self.modules[m].rel
                    );
                }
                if let (Some(k), None) = (key, &piece.3) {
                    cache.put(&k, crate::stages::js::generate::print_cache::encode(&piece));
                }
                piece
            },
        )
    }

    fn print_module(&self, m: ModuleId, mut ast: Module, refs: &ChunkRefs, synthetic: &Synthetic, names: &Names) -> Piece {
        let (ctx, module) = (self.ctx, &self.modules[m]);
        ImportRewriter::strip_module_syntax(&mut ast);
        let own = names.own.get(&m);
        ast.visit_mut_with(&mut FinalNames { own, names: &names.names, assets: &refs.asset_map, dynamic: &refs.dynamic, loader: &names.helpers[3] });
        let mut body: Vec<ModuleItem> = Vec::new();
        for t in synthetic.interop_at.get(&m).into_iter().flatten() {
            if let (Some(name), Some(req)) = (names.get(&ph::interop(*t)), names.get(&ph::require(*t))) {
                body.push(var_decl(&name, call(&names.helpers[1], vec![call(&req, vec![])])));
            }
        }
        if module.kind == ModuleKind::Cjs {
            let stmts: Vec<Stmt> = ast.body.drain(..).filter_map(|i| i.stmt()).collect();
            let arrow = Expr::Arrow(ArrowExpr {
                params: vec![Pat::Ident(ident(&"exports".into()).into()), Pat::Ident(ident(&"module".into()).into())],
                body: Box::new(ArrowFunctionBody::FunctionBody(FunctionBody { span: DUMMY_SP, stmts })),
                ..Default::default()
            });
            if let Some(name) = names.get(&ph::require(m)) {
                body.push(var_decl(&name, call(&names.helpers[0], vec![arrow])));
            }
        } else {
            body.append(&mut ast.body);
        }
        ast.body = body;
        ast.visit_mut_with(&mut fixer(None));
        let problem = crate::stages::js::generate::verify::check_module(&ast, &ctx.options.js.target, ctx.classic).map(|(pos, what)| {
            let d = Diagnostic::error(format!("internal error: {what} would reach the output, which the target cannot run"))
                .with_note("this is a bug in kiln; please report it with the input that caused it");
            match &module.file {
                Some(f) if pos >= f.start_pos && pos <= f.end_pos => crate::stages::js::types::locate(f, &module.rel, pos, d),
                _ => d.in_file(&module.rel),
            }
        });
        // What it declares and reads unbound, found on the final tree (see `unbound`).
        let scope = match &module.file {
            Some(f) => unbound::of_module(&mut ast, Some(f.start_pos.0), f.end_pos.0),
            None => unbound::of_module(&mut ast, None, 0),
        };
        let (code, mappings) = print(&ctx.cm, &ast, self.minify);
        let mut segs: Vec<(u32, u32, u32, u32)> = match &module.file {
            Some(f) => {
                // In a file of one-byte characters a column is the byte offset in its line, found
                // without the source map's general lookup (three million positions in a big
                // bundle); any other file goes through it.
                let analysis = f.analyze();
                let (lines, ascii) = (&analysis.lines, analysis.multibyte_chars.is_empty());
                mappings
                    .into_iter()
                    .filter(|(pos, _)| !pos.is_dummy() && *pos >= f.start_pos && *pos <= f.end_pos)
                    .map(|(pos, lc)| {
                        if ascii {
                            let line = lines.partition_point(|&start| start <= pos) - 1;
                            return (lc.line, lc.col, line as u32, pos.0 - lines[line].0);
                        }
                        let loc = ctx.cm.lookup_char_pos_with(f.clone(), pos);
                        (lc.line, lc.col, loc.line.saturating_sub(1) as u32, loc.col.0 as u32)
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        in_output_order(&mut segs);
        (m, code, segs, problem, scope)
    }

    /// The start of the body: the runtime helpers used, then the namespace objects.
    fn runtime_and_namespaces(&self, synthetic: &Synthetic, getters: &[(ModuleId, Vec<(Atom, Binding)>)], refs: &ChunkRefs, names: &Names) -> String {
        let minify = self.minify;
        let mut code = String::new();
        for (i, h) in HELPERS.iter().enumerate() {
            if synthetic.helpers_used[i] {
                if i == 3 {
                    let import_map = self.ctx.options.hash_cascade == crate::config::HashCascade::ImportMap;
                    code.push_str(&loader_code(&names.helpers[3], import_map, minify));
                } else {
                    code.push_str(&helper_code(h, &names.helpers, minify));
                }
                code.push('\n');
            }
        }
        for (m, exports) in getters {
            let Some(name) = names.get(&ph::namespace(*m)) else { continue };
            let mut list = Vec::new();
            for (export, b) in exports {
                let key = if is_ident_name(export) { export.to_string() } else { js_string(export) };
                let value = expr_text(&self.resolved_text(b, refs, names));
                list.push(if minify { format!("get {key}(){{return {value}}}") } else { format!("get {key}() {{ return {value}; }}") });
            }
            if minify {
                let _ = writeln!(code, "var {name}=Object.freeze({{__proto__:null,[Symbol.toStringTag]:\"Module\",{}}});", list.join(","));
            } else {
                let _ = writeln!(code, "var {name} = Object.freeze({{ __proto__: null, [Symbol.toStringTag]: \"Module\",\n {} }});", list.join(",\n "));
            }
        }
        code
    }

    /// Appends the printed modules to `code`; returns the source map's sources and segments
    /// and what the report says of each module.
    fn join_pieces(&self, code: &mut String, pieces: Vec<Piece>) -> (Vec<(std::path::PathBuf, String)>, Vec<Segment>, Vec<crate::graph::ModuleInfo>) {
        let modules = self.modules;
        // What each piece is for the report, and how many lines it holds, on every core.
        let (module_infos, line_counts): (Vec<crate::graph::ModuleInfo>, Vec<u32>) =
            pieces.par_iter().map(|(m, text, ..)| (module_info(modules, *m, text), text.matches('\n').count() as u32)).unzip();
        // In order: the code, and where each mapped piece starts and which source it maps to.
        let mut mapped: Vec<ModuleId> = Vec::new();
        let mut source_index: FxHashMap<ModuleId, u32> = FxHashMap::default();
        let mut starts: Vec<Option<(u32, u32)>> = Vec::with_capacity(pieces.len());
        let mut lines = code.matches('\n').count() as u32;
        code.reserve(pieces.iter().map(|p| p.1.len() + 1).sum());
        for ((m, text, segs, ..), n) in pieces.iter().zip(&line_counts) {
            if text.trim().is_empty() {
                starts.push(None);
                continue;
            }
            if !self.minify {
                let _ = writeln!(code, "// {}", modules[*m].rel);
                lines += 1;
            }
            starts.push((!segs.is_empty()).then(|| {
                let idx = *source_index.entry(*m).or_insert_with(|| {
                    mapped.push(*m);
                    (mapped.len() - 1) as u32
                });
                (lines, idx)
            }));
            code.push_str(text);
            lines += n;
            if !code.ends_with('\n') {
                code.push('\n');
                lines += 1;
            }
        }
        // The sources' text and the map's segments, on every core (in the same order).
        let sources = mapped
            .par_iter()
            .map(|&m| {
                let text = match &modules[m].original {
                    Some(original) => original.0.clone(),
                    None => modules[m].file.as_ref().expect("mapped modules have files").src.to_string(),
                };
                (modules[m].path.clone(), text)
            })
            .collect();
        // Each mapped piece's segments written into its own slice of the list, on every core
        // (collected piece by piece and joined, 1.7 million of them took 40 ms).
        let counts: Vec<usize> = pieces.iter().zip(&starts).map(|(p, start)| if start.is_some() { p.2.len() } else { 0 }).collect();
        let mut segments: Vec<Segment> = vec![(0, 0, 0, 0, 0); counts.iter().sum()];
        let slices = crate::par::split_by_lens(&mut segments, &counts);
        pieces.into_par_iter().zip(starts).zip(slices).for_each(|(((m, _, segs, ..), start), slice)| {
            let Some((line, idx)) = start else { return };
            // A component's positions are in its compiled module: its compiler's map takes them
            // back to the component's own lines.
            let input = modules[m].original.as_ref().map(|o| &o.1);
            for (out, (l, c, sl, sc)) in slice.iter_mut().zip(segs) {
                let (sl, sc) = match input {
                    Some(i) => i.original(sl, sc).unwrap_or((0, 0)),
                    None => (sl, sc),
                };
                *out = (line + l, c, idx, sl, sc);
            }
        });
        (sources, segments, module_infos)
    }

    /// An entry chunk whose entry module is CommonJS runs it: its body is wrapped in a function
    /// that nothing else may call (a page's `<script type=module>` written with `require`).
    fn run_cjs_entry(&self, code: &mut String, names: &Names) {
        let Some(&entry) = self.job.order.last().filter(|_| self.job.exports.is_some()) else { return };
        if self.modules[entry].kind == ModuleKind::Cjs {
            if let Some(name) = names.get(&ph::require(entry)) {
                let _ = writeln!(code, "{name}();");
            }
        }
    }

    /// The entry's exports as (local, exported); a value without a local name gets one.
    fn entry_exports(&self, code: &mut String, refs: &ChunkRefs, names: &mut Names) -> Vec<(String, String)> {
        let mut entry_exports = Vec::new();
        for (name, b) in self.job.exports.iter().flatten() {
            let local = match self.resolved_text(b, refs, names) {
                Replacement::Ident(a) => a.to_string(),
                other => {
                    let tmp = names.namer.name(&format!("export_{}", if is_ident_name(name) { name.as_str() } else { "value" }));
                    let _ = writeln!(code, "var {tmp}={};", expr_text(&other));
                    tmp.to_string()
                }
            };
            let exported = if is_ident_name(name) { name.to_string() } else { js_string(name) };
            entry_exports.push((local, exported));
        }
        entry_exports
    }
}

pub(super) fn var_decl(name: &Atom, init: Expr) -> ModuleItem {
    ModuleItem::Stmt(Stmt::Decl(Decl::Var(Box::new(VarDecl {
        span: DUMMY_SP,
        kind: VarDeclKind::Var,
        decls: vec![VarDeclarator { span: DUMMY_SP, name: Pat::Ident(ident(name).into()), init: Some(Box::new(init)), definite: false }],
        ..Default::default()
    }))))
}
