//! Generate: each live module is minified on its own (in parallel); the chunk's top-level
//! names are then chosen once for the whole chunk; each module is rewritten to refer to the
//! final names and printed with source positions (in parallel); the pieces are joined with a
//! small runtime, namespace objects and the entry's `export { … }`.
//!
//! Minifying per module keeps both cores busy and never runs swc's serial whole-program passes
//! over a big bundle; the price is that constants are not folded across modules (esbuild makes
//! the same trade).

use std::fmt::Write as _;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::atoms::Atom;
use swc_core::common::{sync::Lrc, BytePos, DUMMY_SP, GLOBALS};
use swc_core::common::source_map::SourceMap;
use swc_core::ecma::ast::*;
use swc_core::ecma::codegen::text_writer::{omit_trailing_semi, JsWriter, WriteJs};
use swc_core::ecma::codegen::{Config as CodegenConfig, Emitter};
use swc_core::ecma::minifier::optimize;
use swc_core::ecma::minifier::option::{CompressOptions, ExtraOptions, MangleOptions, MinifyOptions, TopLevelOptions};
use swc_core::ecma::transforms::base::fixer::fixer;
use swc_core::ecma::transforms::base::rename::rename;
use swc_core::ecma::visit::{Visit, VisitMutWith, VisitWith};

use super::analyze::{collect_pat_ids, ImportKind};
use super::graph::{JsModule, ModuleId, ModuleKind, Resolved};
use super::link::{Binding, Linked, Linker};
use super::names::Namer;
use super::rewrite::{call, ident, ImportRewriter, Replacement};
use super::sourcemap::Segment;
use super::JsCtx;
use crate::graph::{AssetKind, RefUse, Refs};

/// A module after minification, with what naming needs to know about it.
pub struct Prepared {
    pub ast: Module,
    /// Top-level declarations in order, with how often each is referenced.
    pub top_decls: Vec<(Id, u32)>,
    /// How often each import local is referenced.
    pub import_refs: FxHashMap<Id, u32>,
    /// Every other name in the module (globals it reads, nested bindings): top-level names of
    /// the chunk must avoid them.
    pub reserved: FxHashSet<Atom>,
}

/// One output file's JS: code with asset placeholders, its references and source map.
pub struct ChunkCode {
    pub entry: ModuleId,
    pub code: String,
    pub refs: Refs,
    pub segments: Vec<Segment>,
    /// Absolute paths and contents of the map's sources.
    pub sources: Vec<(std::path::PathBuf, String)>,
}

fn minify_options(minify: bool, cjs: bool) -> MinifyOptions {
    if !minify {
        return MinifyOptions::default();
    }
    MinifyOptions {
        compress: Some(CompressOptions {
            module: !cjs,
            top_level: Some(TopLevelOptions { functions: true }),
            passes: 2,
            ..CompressOptions::default()
        }),
        mangle: Some(MangleOptions { top_level: Some(cjs), ..MangleOptions::default() }),
        ..MinifyOptions::default()
    }
}

/// Drops `export` from declarations nobody imports (so the compressor may remove them) and
/// removes re-export statements (the linker already followed them).
fn strip_unused_exports(module: &mut Module, used: &FxHashSet<Id>) {
    let items = std::mem::take(&mut module.body);
    for item in items {
        match item {
            ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)) => {
                let mut ids = Vec::new();
                match &e.decl {
                    Decl::Fn(f) => ids.push(f.ident.clone()),
                    Decl::Class(c) => ids.push(c.ident.clone()),
                    Decl::Var(v) => v.decls.iter().for_each(|d| collect_pat_ids(&d.name, &mut ids)),
                    _ => {}
                }
                if ids.iter().any(|i| used.contains(&i.to_id())) {
                    module.body.push(ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)));
                } else {
                    module.body.push(ModuleItem::Stmt(Stmt::Decl(e.decl)));
                }
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(mut e)) if e.src.is_none() => {
                e.specifiers.retain(|s| match s {
                    ExportSpecifier::Named(n) => matches!(&n.orig, ModuleExportName::Ident(i) if used.contains(&i.to_id())),
                    _ => false,
                });
                if !e.specifiers.is_empty() {
                    module.body.push(ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(e)));
                }
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(_) | ModuleDecl::ExportAll(_)) => {}
            other => module.body.push(other),
        }
    }
}

/// Step one, per module: strip, minify, collect names.
pub fn prepare(ctx: &JsCtx, module: &JsModule, mut ast: Module, used: &FxHashSet<Id>) -> Prepared {
    let cjs = module.kind == ModuleKind::Cjs;
    if !cjs {
        strip_unused_exports(&mut ast, used);
    }
    if ctx.config.js.minify {
        let comments = module.comments.to_comments();
        let mut options = minify_options(true, cjs);
        // Import bindings are renamed by the linker, not the mangler.
        if let Some(mangle) = options.mangle.as_mut() {
            mangle.reserved = module.analysis.imports.iter().map(|i| i.local.0.clone()).collect();
        }
        ast = GLOBALS.set(&ctx.globals, || {
            let extra = ExtraOptions {
                unresolved_mark: ctx.unresolved_mark,
                top_level_mark: module.top_level_mark,
                mangle_name_cache: None,
            };
            let program = optimize(Program::Module(ast), ctx.cm.clone(), Some(&comments), None, &options, &extra);
            program.expect_module()
        });
    }
    let mut top_decls: Vec<(Id, u32)> = Vec::new();
    if !cjs {
        for item in &ast.body {
            let decl = match item {
                ModuleItem::Stmt(Stmt::Decl(d)) => d,
                ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)) => &e.decl,
                _ => continue,
            };
            let mut ids = Vec::new();
            match decl {
                Decl::Fn(f) => ids.push(f.ident.clone()),
                Decl::Class(c) => ids.push(c.ident.clone()),
                Decl::Var(v) => v.decls.iter().for_each(|d| collect_pat_ids(&d.name, &mut ids)),
                _ => {}
            }
            for id in ids {
                if !top_decls.iter().any(|(t, _)| *t == id.to_id()) {
                    top_decls.push((id.to_id(), 0));
                }
            }
        }
    }
    let import_locals: FxHashSet<Id> = module.analysis.imports.iter().map(|i| i.local.clone()).collect();
    let mut counter = Counter {
        index: top_decls.iter().enumerate().map(|(i, (id, _))| (id.clone(), i)).collect(),
        top_decls: &mut top_decls,
        import_locals: &import_locals,
        import_refs: FxHashMap::default(),
        reserved: FxHashSet::default(),
    };
    ast.visit_with(&mut counter);
    let Counter { import_refs, reserved, .. } = counter;
    Prepared { ast, top_decls, import_refs, reserved }
}

struct Counter<'a> {
    index: FxHashMap<Id, usize>,
    top_decls: &'a mut Vec<(Id, u32)>,
    import_locals: &'a FxHashSet<Id>,
    import_refs: FxHashMap<Id, u32>,
    reserved: FxHashSet<Atom>,
}

impl Visit for Counter<'_> {
    fn visit_ident(&mut self, i: &Ident) {
        let id = i.to_id();
        if let Some(&k) = self.index.get(&id) {
            self.top_decls[k].1 += 1;
        } else if self.import_locals.contains(&id) {
            *self.import_refs.entry(id).or_default() += 1;
        } else {
            self.reserved.insert(i.sym.clone());
        }
    }
}

/// Names of the runtime helpers, in the order they are emitted.
const HELPERS: [&str; 3] = ["__commonJS", "__toESM", "__toCommonJS"];

fn helper_code(name: &str, names: &[Atom; 3], minify: bool) -> String {
    let code = match name {
        "__commonJS" => format!(
            "var {} = (cb, mod) => () => (mod || cb((mod = {{ exports: {{}} }}).exports, mod), mod.exports);",
            names[0]
        ),
        "__toESM" => format!(
            "var {} = (m) => m && m.__esModule ? m : Object.create(m == null ? null : Object(m), {{ default: {{ value: m, enumerable: true }} }});",
            names[1]
        ),
        _ => format!(
            "var {} = (ns) => Object.defineProperty(Object.create(ns), \"__esModule\", {{ value: true }});",
            names[2]
        ),
    };
    if minify {
        compact(&code)
    } else {
        code
    }
}

/// Drops the spaces of the runtime snippets above (which hold no string with spaces).
fn compact(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let chars: Vec<char> = code.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = out.chars().last().unwrap_or(' ');
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
            if word(prev) && word(next) {
                out.push(' ');
            }
            continue;
        }
        out.push(c);
    }
    out
}

fn js_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

fn expr_text(r: &Replacement) -> String {
    match r {
        Replacement::Ident(a) => a.to_string(),
        Replacement::Member(o, p) => format!("{o}[{}]", js_string(p)),
        Replacement::Str(s) => js_string(s),
        Replacement::Undefined | Replacement::Expr(_) => "void 0".into(),
    }
}

fn is_ident_name(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && s.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// Builds the code of the chunk for `entry`.
pub fn chunk(
    ctx: &JsCtx,
    modules: &[JsModule],
    prepared: &mut [Option<Prepared>],
    shared: &[bool],
    linker: &Linker,
    linked: &Linked,
    entry_index: usize,
    entry: ModuleId,
) -> ChunkCode {
    let minify = ctx.config.js.minify;
    let order = linker.order(entry, &linked.included);

    // Asset placeholders, in module order.
    let mut refs = Refs::default();
    let mut asset_url: FxHashMap<ModuleId, String> = FxHashMap::default();
    for &m in &order {
        if let ModuleKind::Asset { rel } = &modules[m].kind {
            let kind = AssetKind::for_path(rel, None);
            asset_url.insert(m, refs.placeholder(rel, kind, RefUse::Url, false));
        }
    }

    // Which synthetic symbols the chunk needs.
    let cjs: Vec<ModuleId> = order.iter().copied().filter(|&m| modules[m].kind == ModuleKind::Cjs).collect();
    let ns_needed: Vec<ModuleId> =
        order.iter().copied().filter(|&m| linked.needs_namespace[m] && modules[m].kind == ModuleKind::Esm).collect();
    // ESM modules that import a CommonJS module: the interop object is made before the first.
    let mut interop_at: FxHashMap<ModuleId, Vec<ModuleId>> = FxHashMap::default();
    let mut interop: FxHashSet<ModuleId> = FxHashSet::default();
    let mut esm_required: FxHashSet<ModuleId> = FxHashSet::default();
    for &m in &order {
        if modules[m].kind != ModuleKind::Esm {
            for r in &modules[m].resolved {
                if let Resolved::Module(t) = r {
                    if modules[*t].kind == ModuleKind::Esm {
                        esm_required.insert(*t);
                    }
                }
            }
            continue;
        }
        for (r, rec) in modules[m].analysis.records.iter().enumerate() {
            if let Some(Resolved::Module(t)) = modules[m].resolved.get(r) {
                let t = *t;
                match (rec.kind, &modules[t].kind) {
                    (ImportKind::Static | ImportKind::ReExport | ImportKind::Dynamic, ModuleKind::Cjs) => {
                        if interop.insert(t) {
                            interop_at.entry(m).or_default().push(t);
                        }
                    }
                    (ImportKind::Require, ModuleKind::Esm) => {
                        esm_required.insert(t);
                    }
                    _ => {}
                }
            }
        }
    }
    // Required ESM modules are seen through their namespace object.
    let mut ns_needed = ns_needed;
    for &t in &order {
        if esm_required.contains(&t) && !ns_needed.contains(&t) && modules[t].kind == ModuleKind::Esm {
            ns_needed.push(t);
        }
    }
    let helpers_used = [!cjs.is_empty(), !interop.is_empty(), !esm_required.is_empty()];

    // Reserved: every name modules use that is not renamed here.
    let mut reserved: FxHashSet<Atom> = FxHashSet::default();
    for &m in &order {
        if let Some(p) = &prepared[m] {
            reserved.extend(p.reserved.iter().cloned());
        }
    }
    for g in ["Object", "Promise", "Symbol", "exports", "module", "require"] {
        reserved.insert(g.into());
    }

    // Symbols with their use counts; the most used get the shortest names.
    #[derive(Clone)]
    enum Sym {
        Top(ModuleId, Id),
        Namespace(ModuleId),
        Require(ModuleId),
        Interop(ModuleId),
        Helper(usize),
    }
    let mut counts: FxHashMap<(ModuleId, Id), u32> = FxHashMap::default();
    for &m in &order {
        let Some(p) = &prepared[m] else { continue };
        for (id, c) in &p.top_decls {
            *counts.entry((m, id.clone())).or_default() += c;
        }
        for (local, c) in &p.import_refs {
            if let Some(Binding::Local(t, id)) = linked.imports[m].get(local) {
                *counts.entry((*t, id.clone())).or_default() += c;
            }
        }
    }
    let mut syms: Vec<(u32, usize, Sym, String)> = Vec::new();
    for (i, &m) in order.iter().enumerate() {
        if let Some(p) = &prepared[m] {
            for (k, (id, _)) in p.top_decls.iter().enumerate() {
                let c = counts.get(&(m, id.clone())).copied().unwrap_or(0);
                syms.push((c, i * 100_000 + k, Sym::Top(m, id.clone()), id.0.to_string()));
            }
        }
    }
    let stem = |m: ModuleId| -> String {
        let s = modules[m].path.file_stem().and_then(|s| s.to_str()).unwrap_or("m");
        s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
    };
    for (i, &m) in ns_needed.iter().enumerate() {
        syms.push((1, usize::MAX / 4 + i, Sym::Namespace(m), format!("{}_exports", stem(m))));
    }
    for (i, &m) in cjs.iter().enumerate() {
        syms.push((2, usize::MAX / 4 + 10_000 + i, Sym::Require(m), format!("require_{}", stem(m))));
    }
    let mut interop_list: Vec<ModuleId> = interop.iter().copied().collect();
    interop_list.sort_unstable();
    for (i, &m) in interop_list.iter().enumerate() {
        syms.push((2, usize::MAX / 4 + 20_000 + i, Sym::Interop(m), format!("import_{}", stem(m))));
    }
    for (i, h) in HELPERS.iter().enumerate() {
        if helpers_used[i] {
            syms.push((1, usize::MAX / 4 + 30_000 + i, Sym::Helper(i), (*h).to_owned()));
        }
    }
    if minify {
        syms.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    } else {
        syms.sort_by(|a, b| a.1.cmp(&b.1));
    }
    let mut namer = Namer::new(reserved, minify);
    let mut top_names: FxHashMap<(ModuleId, Id), Atom> = FxHashMap::default();
    let mut own_names: FxHashMap<ModuleId, FxHashMap<Id, Atom>> = FxHashMap::default();
    let mut ns_name: FxHashMap<ModuleId, Atom> = FxHashMap::default();
    let mut require_name: FxHashMap<ModuleId, Atom> = FxHashMap::default();
    let mut interop_name: FxHashMap<ModuleId, Atom> = FxHashMap::default();
    let mut helper_names: [Atom; 3] = HELPERS.map(Atom::from);
    for (_, _, sym, original) in &syms {
        let name = namer.name(original);
        match sym {
            Sym::Top(m, id) => {
                own_names.entry(*m).or_default().insert(id.clone(), name.clone());
                top_names.insert((*m, id.clone()), name);
            }
            Sym::Namespace(m) => {
                ns_name.insert(*m, name);
            }
            Sym::Require(m) => {
                require_name.insert(*m, name);
            }
            Sym::Interop(m) => {
                interop_name.insert(*m, name);
            }
            Sym::Helper(i) => helper_names[*i] = name,
        }
    }

    let replacement = |b: &Binding| -> Replacement {
        match b {
            Binding::Local(t, id) => {
                top_names.get(&(*t, id.clone())).map_or(Replacement::Undefined, |n| Replacement::Ident(n.clone()))
            }
            Binding::Namespace(t) => ns_name.get(t).map_or(Replacement::Undefined, |n| Replacement::Ident(n.clone())),
            Binding::CjsExport(t, name) => interop_name
                .get(t)
                .map_or(Replacement::Undefined, |n| Replacement::Member(n.clone(), name.clone())),
            Binding::CjsNamespace(t) => interop_name.get(t).map_or(Replacement::Undefined, |n| Replacement::Ident(n.clone())),
            Binding::AssetUrl(t) => asset_url.get(t).map_or(Replacement::Undefined, |u| Replacement::Str(u.clone())),
            Binding::External => Replacement::Undefined,
        }
    };
    // How a module is seen when required or dynamically imported.
    let module_value = |t: ModuleId, dynamic: bool| -> Option<Replacement> {
        match &modules[t].kind {
            ModuleKind::Cjs => {
                let req = call(require_name.get(&t)?, vec![]);
                Some(Replacement::Expr(Box::new(if dynamic { call(&helper_names[1], vec![req]) } else { req })))
            }
            ModuleKind::Esm => {
                let ns = ns_name.get(&t)?;
                Some(if dynamic {
                    Replacement::Ident(ns.clone())
                } else {
                    Replacement::Expr(Box::new(call(&helper_names[2], vec![Expr::Ident(ident(ns))])))
                })
            }
            ModuleKind::Asset { .. } => asset_url.get(&t).map(|u| Replacement::Str(u.clone())),
        }
    };

    // Print every module of the chunk, in parallel.
    let jobs: Vec<(ModuleId, Module)> = order
        .iter()
        .filter_map(|&m| {
            let p = prepared[m].as_mut()?;
            let ast = if shared[m] { p.ast.clone() } else { std::mem::take(&mut p.ast) };
            Some((m, ast))
        })
        .collect();
    let pieces: Vec<(ModuleId, String, Vec<(u32, u32, u32, u32)>)> = jobs
        .into_par_iter()
        .map(|(m, mut ast)| GLOBALS.set(&ctx.globals, || {
            let module = &modules[m];
            let mut imports: FxHashMap<Id, Replacement> = FxHashMap::default();
            for (local, b) in &linked.imports[m] {
                imports.insert(local.clone(), replacement(b));
            }
            let ns_members: FxHashMap<(Id, Atom), Replacement> = linked.ns_members[m]
                .iter()
                .map(|(k, b)| (k.clone(), b.as_ref().map_or(Replacement::Undefined, &replacement)))
                .collect();
            let (mut requires, mut dynamic, mut urls) = (FxHashMap::default(), FxHashMap::default(), FxHashMap::default());
            for (r, rec) in module.analysis.records.iter().enumerate() {
                let Some(Resolved::Module(t)) = module.resolved.get(r) else { continue };
                match rec.kind {
                    ImportKind::Require => {
                        if let Some(v) = module_value(*t, false) {
                            requires.insert(rec.specifier.clone(), v);
                        }
                    }
                    ImportKind::Dynamic => {
                        if let Some(v) = module_value(*t, true) {
                            dynamic.insert(rec.specifier.clone(), v);
                        }
                    }
                    ImportKind::AssetUrl => {
                        if let Some(u) = asset_url.get(t) {
                            urls.insert(rec.specifier.clone(), u.clone());
                        }
                    }
                    _ => {}
                }
            }
            ast.visit_mut_with(&mut ImportRewriter {
                imports: &imports,
                ns_members: &ns_members,
                requires: &requires,
                dynamic: &dynamic,
                urls: &urls,
            });
            ImportRewriter::strip_module_syntax(&mut ast);
            if let Some(own) = own_names.get(&m) {
                ast.visit_mut_with(&mut rename(own));
            }
            let mut body: Vec<ModuleItem> = Vec::new();
            for t in interop_at.get(&m).into_iter().flatten() {
                if let (Some(name), Some(req)) = (interop_name.get(t), require_name.get(t)) {
                    body.push(var_decl(name, call(&helper_names[1], vec![call(req, vec![])])));
                }
            }
            if module.kind == ModuleKind::Cjs {
                let stmts: Vec<Stmt> = ast.body.drain(..).filter_map(|i| i.stmt()).collect();
                let arrow = Expr::Arrow(ArrowExpr {
                    params: vec![Pat::Ident(ident(&"exports".into()).into()), Pat::Ident(ident(&"module".into()).into())],
                    body: Box::new(ArrowFunctionBody::FunctionBody(FunctionBody { span: DUMMY_SP, stmts })),
                    ..Default::default()
                });
                if let Some(name) = require_name.get(&m) {
                    body.push(var_decl(name, call(&helper_names[0], vec![arrow])));
                }
            } else {
                body.append(&mut ast.body);
            }
            ast.body = body;
            ast.visit_mut_with(&mut fixer(None));
            let (code, mappings) = print(&ctx.cm, &ast, minify);
            let file = module.file.clone();
            let segs: Vec<(u32, u32, u32, u32)> = match &file {
                Some(f) => mappings
                    .into_iter()
                    .filter(|(pos, _)| !pos.is_dummy() && *pos >= f.start_pos && *pos <= f.end_pos)
                    .map(|(pos, lc)| {
                        let loc = ctx.cm.lookup_char_pos_with(f.clone(), pos);
                        (lc.line, lc.col, loc.line.saturating_sub(1) as u32, loc.col.0 as u32)
                    })
                    .collect(),
                None => Vec::new(),
            };
            (m, code, segs)
        }))
        .collect();

    // Join: runtime, namespace objects, modules, exports.
    let nl = if minify { "" } else { "\n" };
    let mut code = String::new();
    for (i, h) in HELPERS.iter().enumerate() {
        if helpers_used[i] {
            code.push_str(&helper_code(h, &helper_names, minify));
            code.push('\n');
        }
    }
    for &m in &ns_needed {
        let Some(name) = ns_name.get(&m) else { continue };
        let mut getters = Vec::new();
        for (export, b) in linker.export_names(m) {
            let key = if is_ident_name(&export) { export.to_string() } else { js_string(&export) };
            getters.push(if minify {
                format!("get {key}(){{return {}}}", expr_text(&replacement(&b)))
            } else {
                format!("get {key}() {{ return {}; }}", expr_text(&replacement(&b)))
            });
        }
        if minify {
            let _ = writeln!(
                code,
                "var {name}=Object.freeze({{__proto__:null,[Symbol.toStringTag]:\"Module\",{}}});",
                getters.join(",")
            );
        } else {
            let _ = writeln!(
                code,
                "var {name} = Object.freeze({{ __proto__: null, [Symbol.toStringTag]: \"Module\",{nl} {} }});",
                getters.join(&format!(",{nl} "))
            );
        }
    }
    let mut sources: Vec<(std::path::PathBuf, String)> = Vec::new();
    let mut source_index: FxHashMap<ModuleId, u32> = FxHashMap::default();
    let mut segments: Vec<Segment> = Vec::new();
    let mut lines = code.matches('\n').count() as u32;
    for (m, text, segs) in pieces {
        if !minify {
            let _ = writeln!(code, "// {}", modules[m].rel);
            lines += 1;
        }
        let line0 = lines;
        if !segs.is_empty() {
            let idx = *source_index.entry(m).or_insert_with(|| {
                let file = modules[m].file.as_ref().expect("mapped modules have files");
                sources.push((modules[m].path.clone(), file.src.to_string()));
                (sources.len() - 1) as u32
            });
            segments.extend(segs.into_iter().map(|(l, c, sl, sc)| (line0 + l, c, idx, sl, sc)));
        }
        code.push_str(&text);
        lines += text.matches('\n').count() as u32;
        if !code.ends_with('\n') {
            code.push('\n');
            lines += 1;
        }
    }
    let exports = &linked.entry_exports[entry_index];
    if !exports.is_empty() {
        let mut specs = Vec::new();
        let mut extra = String::new();
        for (name, b) in exports {
            let local = match replacement(b) {
                Replacement::Ident(a) => a.to_string(),
                other => {
                    let tmp = namer.name(&format!("export_{}", if is_ident_name(name) { name.as_str() } else { "value" }));
                    let _ = writeln!(extra, "var {tmp}={};", expr_text(&other));
                    tmp.to_string()
                }
            };
            let exported = if is_ident_name(name) { name.to_string() } else { js_string(name) };
            specs.push(if local == exported { local } else { format!("{local} as {exported}") });
        }
        code.push_str(&extra);
        if minify {
            let _ = writeln!(code, "export{{{}}};", specs.join(","));
        } else {
            let _ = writeln!(code, "export {{ {} }};", specs.join(", "));
        }
    }
    segments.sort_unstable();
    ChunkCode { entry, code, refs, segments, sources }
}

fn var_decl(name: &Atom, init: Expr) -> ModuleItem {
    ModuleItem::Stmt(Stmt::Decl(Decl::Var(Box::new(VarDecl {
        span: DUMMY_SP,
        kind: VarDeclKind::Var,
        decls: vec![VarDeclarator {
            span: DUMMY_SP,
            name: Pat::Ident(ident(name).into()),
            init: Some(Box::new(init)),
            definite: false,
        }],
        ..Default::default()
    }))))
}

/// Prints a module; returns the code and the (source position, output line/column) pairs.
fn print(cm: &Lrc<SourceMap>, module: &Module, minify: bool) -> (String, Vec<(BytePos, swc_core::common::source_map::LineCol)>) {
    let mut buf = Vec::new();
    let mut mappings = Vec::new();
    {
        let writer = JsWriter::new(cm.clone(), "\n", &mut buf, Some(&mut mappings));
        let writer: Box<dyn WriteJs> = if minify { Box::new(omit_trailing_semi(writer)) } else { Box::new(writer) };
        let mut emitter = Emitter {
            cfg: CodegenConfig::default().with_minify(minify).with_target(EsVersion::latest()),
            cm: cm.clone(),
            comments: None,
            wr: writer,
        };
        emitter.emit_module(module).expect("writing to a Vec cannot fail");
    }
    (String::from_utf8(buf).expect("the printer writes UTF-8"), mappings)
}
