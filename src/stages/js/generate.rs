//! Generate: each live module has its imports replaced by placeholder names and is minified
//! on its own (in parallel); the chunk's top-level names are then chosen once for the whole
//! chunk; each module is renamed to the final names and printed with source positions (in
//! parallel); the pieces are joined with a small runtime, namespace objects and the entry's
//! `export { … }`.
//!
//! Imports are replaced *before* minification by placeholder names that the minifier treats
//! as globals (`__kiln_l3_foo` for `foo` of module 3): it then never renames them, never
//! shadows them, and what it renames inside a module cannot collide with them. Renaming after
//! minification is by name, which is safe because every new name is one the chunk does not use.
//!
//! Minifying per module keeps both cores busy and never runs swc's serial whole-program passes
//! over a big bundle; the price is that constants are not folded across modules (esbuild makes
//! the same trade).

use std::fmt::Write as _;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::atoms::Atom;
use swc_core::common::source_map::SourceMap;
use swc_core::common::{sync::Lrc, BytePos, SyntaxContext, DUMMY_SP, GLOBALS};
use swc_core::ecma::ast::*;
use swc_core::ecma::codegen::text_writer::{omit_trailing_semi, JsWriter, WriteJs};
use swc_core::ecma::codegen::{Config as CodegenConfig, Emitter};
use swc_core::ecma::minifier::optimize;
use swc_core::ecma::minifier::option::{CompressOptions, ExtraOptions, MangleOptions, MinifyOptions, TopLevelOptions};
use swc_core::ecma::transforms::base::fixer::fixer;
use swc_core::ecma::visit::{Visit, VisitMut, VisitMutWith, VisitWith};

use super::analyze::{collect_pat_ids, ImportKind};
use super::graph::{JsModule, ModuleId, ModuleKind, Resolved};
use super::link::{Binding, Linked, Linker};
use super::names::Namer;
use super::rewrite::{call, ident, ImportRewriter, Replacement};
use super::sourcemap::Segment;
use super::JsCtx;
use crate::graph::{AssetKind, RefUse, Refs};

/// Placeholder names, chunk-independent, that stand for bindings of other modules until the
/// chunk's names are chosen.
mod ph {
    use super::*;

    pub fn local(t: ModuleId, sym: &Atom) -> Atom {
        format!("__kiln_l{t}_{sym}").into()
    }
    pub fn namespace(t: ModuleId) -> Atom {
        format!("__kiln_ns{t}").into()
    }
    pub fn interop(t: ModuleId) -> Atom {
        format!("__kiln_ix{t}").into()
    }
    pub fn require(t: ModuleId) -> Atom {
        format!("__kiln_rq{t}").into()
    }
    pub fn helper(i: usize) -> Atom {
        format!("__kiln_h{i}").into()
    }
    pub fn asset(t: ModuleId) -> String {
        format!("__kiln_as{t}__")
    }
    /// An external import, named by a hash of its specifier and imported name so every
    /// module importing the same thing shares it.
    pub fn external(spec: &str, imported: Option<&Atom>) -> Atom {
        let key = format!("{spec}\0{}", imported.map_or("*", |a| a.as_str()));
        format!("__kiln_ex{}", &blake3::hash(key.as_bytes()).to_hex()[..12]).into()
    }
    pub fn is_placeholder(sym: &str) -> bool {
        sym.starts_with("__kiln_")
    }
}

/// The newest syntax the output may use: the target's ES version; ES2015 for a browserslist
/// query (every browser such queries usually name has it).
pub fn output_version(target: &str) -> EsVersion {
    if target.trim().eq_ignore_ascii_case("esnext") {
        EsVersion::latest()
    } else {
        super::parse::es_version(target.trim()).unwrap_or(EsVersion::Es2015)
    }
}

/// What a binding is replaced with before minification.
fn placeholder(b: &Binding) -> Replacement {
    match b {
        Binding::Local(t, id) => Replacement::Ident(ph::local(*t, &id.0)),
        Binding::Namespace(t) => Replacement::Ident(ph::namespace(*t)),
        Binding::CjsExport(t, name) => Replacement::Member(ph::interop(*t), name.clone()),
        Binding::CjsNamespace(t) => Replacement::Ident(ph::interop(*t)),
        Binding::AssetUrl(t) => Replacement::Str(ph::asset(*t)),
        Binding::External(spec, imported) => Replacement::Ident(ph::external(spec, imported.as_ref())),
    }
}

/// How a module is seen through `require()` (or, `dynamic`, through `import()`).
fn module_value(modules: &[JsModule], t: ModuleId, dynamic: bool) -> Replacement {
    match &modules[t].kind {
        ModuleKind::Cjs => {
            let req = call(&ph::require(t), vec![]);
            Replacement::Expr(Box::new(if dynamic { call(&ph::helper(1), vec![req]) } else { req }))
        }
        ModuleKind::Esm if dynamic => Replacement::Ident(ph::namespace(t)),
        ModuleKind::Esm => Replacement::Expr(Box::new(call(&ph::helper(2), vec![Expr::Ident(ident(&ph::namespace(t)))]))),
        ModuleKind::Asset { .. } => Replacement::Str(ph::asset(t)),
    }
}

pub struct Prepared {
    pub ast: Module,
    /// Top-level declarations in order, with how often each is referenced. By binding, not
    /// name: the compressor may hoist an inner binding to the top level with the name of
    /// another one (they differ by syntax context).
    pub top_decls: Vec<(Id, u32)>,
    /// How often each placeholder name is referenced.
    pub placeholder_refs: FxHashMap<Atom, u32>,
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
    /// The modules in the chunk, in order.
    pub modules: Vec<crate::graph::ModuleInfo>,
}

fn minify_options(cjs: bool, ecma: EsVersion) -> MinifyOptions {
    MinifyOptions {
        compress: Some(CompressOptions {
            module: !cjs,
            // Never introduce syntax newer than the target.
            ecma,
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
            ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(_) | ModuleDecl::ExportAll(_) | ModuleDecl::Import(_)) => {}
            other => module.body.push(other),
        }
    }
}

/// Step one, per module: imports to placeholders, unused exports dropped, minified, names
/// collected.
pub fn prepare(ctx: &JsCtx, modules: &[JsModule], m: ModuleId, mut ast: Module, linked: &Linked) -> Prepared {
    let module = &modules[m];
    let cjs = module.kind == ModuleKind::Cjs;
    let global = SyntaxContext::empty().apply_mark(ctx.unresolved_mark);
    let imports: FxHashMap<Id, Replacement> =
        linked.imports[m].iter().map(|(local, b)| (local.clone(), placeholder(b))).collect();
    let ns_members: FxHashMap<(Id, Atom), Replacement> = linked.ns_members[m]
        .iter()
        .map(|(k, b)| (k.clone(), b.as_ref().map_or(Replacement::Undefined, placeholder)))
        .collect();
    let (mut requires, mut dynamic, mut urls) = (FxHashMap::default(), FxHashMap::default(), FxHashMap::default());
    for (r, rec) in module.analysis.records.iter().enumerate() {
        let Some(Resolved::Module(t)) = module.resolved.get(r) else { continue };
        match rec.kind {
            ImportKind::Require => {
                requires.insert(rec.specifier.clone(), module_value(modules, *t, false));
            }
            ImportKind::Dynamic => {
                dynamic.insert(rec.specifier.clone(), module_value(modules, *t, true));
            }
            ImportKind::AssetUrl => {
                urls.insert(rec.specifier.clone(), ph::asset(*t));
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
        ctxt: global,
    });
    if !cjs {
        strip_unused_exports(&mut ast, &linked.used_locals[m]);
    }
    if ctx.config.js.minify {
        let comments = module.comments.to_comments();
        let options = minify_options(cjs, output_version(&ctx.config.js.target));
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
    if std::env::var_os("KILN_DEBUG_MINIFY").is_some() {
        eprintln!("--- {} prepared:\n{}", module.rel, print(&ctx.cm, &ast, false).0);
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
    let mut counter = Counter {
        index: top_decls.iter().enumerate().map(|(i, (id, _))| (id.clone(), i)).collect(),
        top_decls: &mut top_decls,
        placeholder_refs: FxHashMap::default(),
        reserved: FxHashSet::default(),
    };
    ast.visit_with(&mut counter);
    let Counter { placeholder_refs, reserved, .. } = counter;
    Prepared { ast, top_decls, placeholder_refs, reserved }
}

struct Counter<'a> {
    index: FxHashMap<Id, usize>,
    top_decls: &'a mut Vec<(Id, u32)>,
    placeholder_refs: FxHashMap<Atom, u32>,
    reserved: FxHashSet<Atom>,
}

impl Visit for Counter<'_> {
    fn visit_ident(&mut self, i: &Ident) {
        if let Some(&k) = self.index.get(&i.to_id()) {
            self.top_decls[k].1 += 1;
        } else if ph::is_placeholder(&i.sym) {
            *self.placeholder_refs.entry(i.sym.clone()).or_default() += 1;
        } else {
            self.reserved.insert(i.sym.clone());
        }
    }
}

/// After minification: placeholder and top-level names to final names, asset placeholders
/// to the chunk's URL placeholders. By name, not binding: safe because every new name is one
/// no module of the chunk uses.
struct FinalNames<'a> {
    /// The module's own top-level bindings.
    own: Option<&'a FxHashMap<Id, Atom>>,
    /// Placeholder names of the chunk.
    names: &'a FxHashMap<Atom, Atom>,
    assets: &'a FxHashMap<String, String>,
}

impl FinalNames<'_> {
    fn get(&self, id: &Ident) -> Option<&Atom> {
        if ph::is_placeholder(&id.sym) {
            self.names.get(&id.sym)
        } else {
            self.own?.get(&id.to_id())
        }
    }
}

impl VisitMut for FinalNames<'_> {
    fn visit_mut_ident(&mut self, i: &mut Ident) {
        if let Some(n) = self.get(i) {
            i.sym = n.clone();
        }
    }

    fn visit_mut_prop(&mut self, p: &mut Prop) {
        if let Prop::Shorthand(id) = p {
            if let Some(n) = self.get(id) {
                *p = Prop::KeyValue(KeyValueProp {
                    key: PropName::Ident(IdentName::new(id.sym.clone(), id.span)),
                    value: Box::new(Expr::Ident(Ident::new(n.clone(), id.span, id.ctxt))),
                });
                return;
            }
        }
        p.visit_mut_children_with(self);
    }

    fn visit_mut_object_pat_prop(&mut self, p: &mut ObjectPatProp) {
        if let ObjectPatProp::Assign(a) = p {
            if let Some(n) = self.get(&a.key.id).cloned() {
                let mut value = Pat::Ident(BindingIdent { id: Ident::new(n.clone(), a.key.span, a.key.ctxt), type_ann: None });
                if let Some(default) = a.value.take() {
                    let mut default = default;
                    default.visit_mut_with(self);
                    value = Pat::Assign(AssignPat { span: a.span, left: Box::new(value), right: default });
                }
                *p = ObjectPatProp::KeyValue(KeyValuePatProp {
                    key: PropName::Ident(IdentName::new(a.key.sym.clone(), a.key.span)),
                    value: Box::new(value),
                });
                return;
            }
        }
        p.visit_mut_children_with(self);
    }

    fn visit_mut_str(&mut self, s: &mut Str) {
        let text = s.value.to_string_lossy();
        if text.contains("__kiln_as") {
            let mut out = text.into_owned();
            for (from, to) in self.assets {
                if out.contains(from.as_str()) {
                    out = out.replace(from.as_str(), to);
                }
            }
            s.value = out.as_str().into();
            s.raw = None;
        }
    }

    fn visit_mut_tpl_element(&mut self, t: &mut TplElement) {
        if t.raw.contains("__kiln_as") {
            let mut raw = t.raw.to_string();
            for (from, to) in self.assets {
                raw = raw.replace(from.as_str(), to);
            }
            t.raw = raw.as_str().into();
            t.cooked = Some(raw.as_str().into());
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
#[allow(clippy::too_many_arguments)]
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

    // Asset URL placeholders of the chunk, in module order.
    let mut refs = Refs::default();
    let mut asset_url: FxHashMap<ModuleId, String> = FxHashMap::default();
    let mut asset_map: FxHashMap<String, String> = FxHashMap::default();
    for &m in &order {
        if let ModuleKind::Asset { rel } = &modules[m].kind {
            let url = refs.placeholder(rel, AssetKind::for_path(rel, None), RefUse::Url, false);
            asset_map.insert(ph::asset(m), url.clone());
            asset_url.insert(m, url);
        }
    }

    // Synthetic symbols the chunk needs.
    let cjs: Vec<ModuleId> = order.iter().copied().filter(|&m| modules[m].kind == ModuleKind::Cjs).collect();
    let mut interop_at: FxHashMap<ModuleId, Vec<ModuleId>> = FxHashMap::default();
    let mut interop: Vec<ModuleId> = Vec::new();
    let mut ns_needed: Vec<ModuleId> =
        order.iter().copied().filter(|&m| linked.needs_namespace[m] && modules[m].kind == ModuleKind::Esm).collect();
    let mut esm_required = false;
    for &m in &order {
        for (r, rec) in modules[m].analysis.records.iter().enumerate() {
            let Some(Resolved::Module(t)) = modules[m].resolved.get(r) else { continue };
            let t = *t;
            let from_esm = modules[m].kind == ModuleKind::Esm;
            match (&modules[t].kind, rec.kind) {
                (ModuleKind::Cjs, ImportKind::Static | ImportKind::ReExport | ImportKind::Dynamic) if from_esm
                    && !interop.contains(&t) => {
                        interop.push(t);
                        interop_at.entry(m).or_default().push(t);
                    }
                (ModuleKind::Esm, ImportKind::Require) => {
                    esm_required = true;
                    if !ns_needed.contains(&t) {
                        ns_needed.push(t);
                    }
                }
                _ => {}
            }
        }
    }
    let helpers_used = [!cjs.is_empty(), !interop.is_empty(), esm_required];
    // External imports the chunk keeps, by specifier: (imported name or namespace, placeholder),
    // and specifiers imported only for their side effects.
    let mut externals: std::collections::BTreeMap<String, Vec<(Option<Atom>, Atom)>> = Default::default();
    fn add_external(
        externals: &mut std::collections::BTreeMap<String, Vec<(Option<Atom>, Atom)>>,
        spec: &String,
        imported: &Option<Atom>,
    ) {
        let key = ph::external(spec, imported.as_ref());
        let list = externals.entry(spec.clone()).or_default();
        if !list.iter().any(|(_, k)| *k == key) {
            list.push((imported.clone(), key));
        }
    }
    for &m in &order {
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
    for (_, b) in &linked.entry_exports[entry_index] {
        if let Binding::External(spec, imported) = b {
            add_external(&mut externals, spec, imported);
        }
    }

    // Every name a module uses that is not renamed here is reserved.
    let mut reserved: FxHashSet<Atom> = FxHashSet::default();
    let mut placeholder_counts: FxHashMap<Atom, u32> = FxHashMap::default();
    for &m in &order {
        if let Some(p) = &prepared[m] {
            reserved.extend(p.reserved.iter().cloned());
            for (sym, c) in &p.placeholder_refs {
                *placeholder_counts.entry(sym.clone()).or_default() += c;
            }
        }
    }
    for g in ["Object", "Promise", "Symbol", "exports", "module", "require"] {
        reserved.insert(g.into());
    }

    // (use count, tie-break, placeholder it replaces, original name); the most used symbols
    // get the shortest names.
    let mut syms: Vec<(u32, usize, Atom, String, Option<(ModuleId, Id)>)> = Vec::new();
    let count = |sym: &Atom| placeholder_counts.get(sym).copied().unwrap_or(0);
    for (i, &m) in order.iter().enumerate() {
        if let Some(p) = &prepared[m] {
            let top = SyntaxContext::empty().apply_mark(modules[m].top_level_mark);
            for (k, (id, c)) in p.top_decls.iter().enumerate() {
                // Bindings other modules import are the ones in the module's top-level context.
                let key = if id.1 == top { ph::local(m, &id.0) } else { format!("__kiln_p{m}_{k}").into() };
                syms.push((c + count(&key), i * 1_000_000 + k, key, id.0.to_string(), Some((m, id.clone()))));
            }
        }
    }
    let stem = |m: ModuleId| -> String {
        let s = modules[m].path.file_stem().and_then(|s| s.to_str()).unwrap_or("m");
        s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
    };
    let late = usize::MAX / 2;
    for (i, &m) in ns_needed.iter().enumerate() {
        let key = ph::namespace(m);
        syms.push((count(&key) + 1, late + i, key, format!("{}_exports", stem(m)), None));
    }
    for (i, &m) in cjs.iter().enumerate() {
        let key = ph::require(m);
        syms.push((count(&key) + 2, late + 100_000 + i, key, format!("require_{}", stem(m)), None));
    }
    for (i, &m) in interop.iter().enumerate() {
        let key = ph::interop(m);
        syms.push((count(&key) + 1, late + 200_000 + i, key, format!("import_{}", stem(m)), None));
    }
    for (i, key) in externals.values().flatten().map(|(_, k)| k).enumerate() {
        syms.push((count(key) + 1, late + 400_000 + i, key.clone(), "external".into(), None));
    }
    for (i, h) in HELPERS.iter().enumerate() {
        if helpers_used[i] {
            let key = ph::helper(i);
            syms.push((count(&key) + 1, late + 300_000 + i, key, (*h).to_owned(), None));
        }
    }
    if minify {
        syms.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    } else {
        syms.sort_by_key(|a| a.1);
    }
    let mut namer = Namer::new(reserved, minify);
    let mut names: FxHashMap<Atom, Atom> = FxHashMap::default();
    let mut own_names: FxHashMap<ModuleId, FxHashMap<Id, Atom>> = FxHashMap::default();
    for (_, _, key, original, own) in &syms {
        let name = namer.name(original);
        if let Some((m, id)) = own {
            own_names.entry(*m).or_default().insert(id.clone(), name.clone());
        }
        names.insert(key.clone(), name);
    }
    let final_name = |key: &Atom| names.get(key).cloned();
    let helper_names: [Atom; 3] = [0, 1, 2].map(|i| final_name(&ph::helper(i)).unwrap_or_else(|| HELPERS[i].into()));
    // A binding as written in the joined code (namespace getters, the export list).
    let resolved_text = |b: &Binding| -> Replacement {
        let named = |key: Atom| final_name(&key).map_or(Replacement::Undefined, Replacement::Ident);
        match b {
            Binding::Local(t, id) => named(ph::local(*t, &id.0)),
            Binding::Namespace(t) => named(ph::namespace(*t)),
            Binding::CjsExport(t, name) => {
                final_name(&ph::interop(*t)).map_or(Replacement::Undefined, |n| Replacement::Member(n, name.clone()))
            }
            Binding::CjsNamespace(t) => named(ph::interop(*t)),
            Binding::AssetUrl(t) => asset_url.get(t).map_or(Replacement::Undefined, |u| Replacement::Str(u.clone())),
            Binding::External(spec, imported) => named(ph::external(spec, imported.as_ref())),
        }
    };

    // Rename and print every module of the chunk, in parallel.
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
        .map(|(m, mut ast)| {
            GLOBALS.set(&ctx.globals, || {
                let module = &modules[m];
                ImportRewriter::strip_module_syntax(&mut ast);
                let own = own_names.get(&m);
                ast.visit_mut_with(&mut FinalNames { own, names: &names, assets: &asset_map });
                let mut body: Vec<ModuleItem> = Vec::new();
                for t in interop_at.get(&m).into_iter().flatten() {
                    if let (Some(name), Some(req)) = (final_name(&ph::interop(*t)), final_name(&ph::require(*t))) {
                        body.push(var_decl(&name, call(&helper_names[1], vec![call(&req, vec![])])));
                    }
                }
                if module.kind == ModuleKind::Cjs {
                    let stmts: Vec<Stmt> = ast.body.drain(..).filter_map(|i| i.stmt()).collect();
                    let arrow = Expr::Arrow(ArrowExpr {
                        params: vec![Pat::Ident(ident(&"exports".into()).into()), Pat::Ident(ident(&"module".into()).into())],
                        body: Box::new(ArrowFunctionBody::FunctionBody(FunctionBody { span: DUMMY_SP, stmts })),
                        ..Default::default()
                    });
                    if let Some(name) = final_name(&ph::require(m)) {
                        body.push(var_decl(&name, call(&helper_names[0], vec![arrow])));
                    }
                } else {
                    body.append(&mut ast.body);
                }
                ast.body = body;
                ast.visit_mut_with(&mut fixer(None));
                let (code, mappings) = print(&ctx.cm, &ast, minify);
                let segs: Vec<(u32, u32, u32, u32)> = match &module.file {
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
            })
        })
        .collect();

    // Join: external imports, runtime, namespace objects, modules, exports.
    let mut code = String::new();
    for (spec, names) in &externals {
        let spec_text = js_string(spec);
        if names.is_empty() {
            let _ = writeln!(code, "import {spec_text};");
        }
        for (imported, key) in names {
            let Some(local) = final_name(key) else { continue };
            match imported {
                None => {
                    let _ = writeln!(code, "import * as {local} from {spec_text};");
                }
                Some(name) => {
                    let name_text = if is_ident_name(name) { name.to_string() } else { js_string(name) };
                    let _ = writeln!(code, "import {{ {name_text} as {local} }} from {spec_text};");
                }
            }
        }
    }
    for (i, h) in HELPERS.iter().enumerate() {
        if helpers_used[i] {
            code.push_str(&helper_code(h, &helper_names, minify));
            code.push('\n');
        }
    }
    for &m in &ns_needed {
        let Some(name) = final_name(&ph::namespace(m)) else { continue };
        let mut getters = Vec::new();
        for (export, b) in linker.export_names(m) {
            let key = if is_ident_name(&export) { export.to_string() } else { js_string(&export) };
            let value = expr_text(&resolved_text(&b));
            getters.push(if minify { format!("get {key}(){{return {value}}}") } else { format!("get {key}() {{ return {value}; }}") });
        }
        if minify {
            let _ = writeln!(code, "var {name}=Object.freeze({{__proto__:null,[Symbol.toStringTag]:\"Module\",{}}});", getters.join(","));
        } else {
            let _ = writeln!(
                code,
                "var {name} = Object.freeze({{ __proto__: null, [Symbol.toStringTag]: \"Module\",\n {} }});",
                getters.join(",\n ")
            );
        }
    }
    let mut sources: Vec<(std::path::PathBuf, String)> = Vec::new();
    let mut source_index: FxHashMap<ModuleId, u32> = FxHashMap::default();
    let mut segments: Vec<Segment> = Vec::new();
    let mut lines = code.matches('\n').count() as u32;
    let mut module_infos = Vec::new();
    for (m, text, segs) in pieces {
        module_infos.push(crate::graph::ModuleInfo {
            path: modules[m].rel.clone(),
            bytes: modules[m].file.as_ref().map_or(0, |f| f.src.len() as u64),
            bytes_in_output: text.len() as u64,
            imports: modules[m]
                .resolved
                .iter()
                .filter_map(|r| match r {
                    Resolved::Module(t) => Some(modules[*t].rel.clone()),
                    _ => None,
                })
                .fold(Vec::new(), |mut acc: Vec<String>, p| {
                    if !acc.contains(&p) {
                        acc.push(p);
                    }
                    acc
                }),
        });
        if !minify {
            let _ = writeln!(code, "// {}", modules[m].rel);
            lines += 1;
        }
        if !segs.is_empty() {
            let idx = *source_index.entry(m).or_insert_with(|| {
                let file = modules[m].file.as_ref().expect("mapped modules have files");
                sources.push((modules[m].path.clone(), file.src.to_string()));
                (sources.len() - 1) as u32
            });
            segments.extend(segs.into_iter().map(|(l, c, sl, sc)| (lines + l, c, idx, sl, sc)));
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
        for (name, b) in exports {
            let local = match resolved_text(b) {
                Replacement::Ident(a) => a.to_string(),
                other => {
                    let tmp = namer.name(&format!("export_{}", if is_ident_name(name) { name.as_str() } else { "value" }));
                    let _ = writeln!(code, "var {tmp}={};", expr_text(&other));
                    tmp.to_string()
                }
            };
            let exported = if is_ident_name(name) { name.to_string() } else { js_string(name) };
            specs.push(if local == exported { local } else { format!("{local} as {exported}") });
        }
        if minify {
            let _ = writeln!(code, "export{{{}}};", specs.join(","));
        } else {
            let _ = writeln!(code, "export {{ {} }};", specs.join(", "));
        }
    }
    segments.sort_unstable();
    ChunkCode { entry, code, refs, segments, sources, modules: module_infos }
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
