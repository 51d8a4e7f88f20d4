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

use super::analyze::{decl_ids, ImportKind};
use super::graph::{JsModule, ModuleId, ModuleKind, Resolved};
use super::link::{Binding, Linked, Linker};
use super::names::Namer;
use super::rewrite::{call, ident, ImportRewriter, Replacement};
use crate::sourcemap::Segment;
use super::JsCtx;
use crate::diagnostics::Diagnostic;
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
    /// The URL of extra entry `w`'s chunk (a worker), until the chunk's URL is known.
    pub fn entry(w: usize) -> String {
        format!("__kiln_en{w}__")
    }
    /// The specifier of an `import()` of module `t`, until its chunk's URL is known.
    pub fn dynamic(t: ModuleId) -> String {
        format!("__kiln_dy{t}__")
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
        Binding::EntryUrl(w) => Replacement::Str(ph::entry(*w)),
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
    /// Asset modules whose URL it writes, modules it loads with `import()` as chunks, and
    /// extra entries (workers) whose chunk's URL it writes.
    pub assets: Vec<ModuleId>,
    pub dynamic: Vec<ModuleId>,
    pub entries: Vec<usize>,
    /// Its top level only declares functions, classes without static parts, and variables
    /// initialised with literals or functions: evaluating it has no effect.
    pub pure: bool,
    /// Bytes of its minified code (only measured for `min_chunk_size`).
    pub size: u64,
}

/// What an `import()` of a split chunk becomes: its URL placeholder, and the stylesheets and
/// chunks the loader fetches first.
pub struct DynamicLoad {
    pub url: String,
    pub css: Vec<String>,
    pub js: Vec<String>,
}

/// One output file's JS: code with asset placeholders, its references and source map.
pub struct ChunkCode {
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
                let ids = decl_ids(&e.decl);
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
    let mut split = FxHashMap::default();
    for (r, rec) in module.analysis.records.iter().enumerate() {
        if let Some(Resolved::Entry(w)) = module.resolved.get(r) {
            if matches!(rec.kind, ImportKind::AssetUrl | ImportKind::Worker { .. }) {
                urls.insert(rec.specifier.clone(), ph::entry(*w));
            }
            continue;
        }
        let Some(Resolved::Module(t)) = module.resolved.get(r) else { continue };
        match rec.kind {
            ImportKind::Require => {
                requires.insert(rec.specifier.clone(), module_value(modules, *t, false));
            }
            ImportKind::Dynamic if linked.dynamic_entries.binary_search(t).is_ok() => {
                split.insert(rec.specifier.clone(), ph::dynamic(*t));
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
        split: &split,
        urls: &urls,
        ctxt: global,
    });
    if !cjs {
        strip_unused_exports(&mut ast, &linked.used_locals[m]);
    }
    if ctx.classic {
        ast.visit_mut_with(&mut ClassicMeta { global });
    }
    if ctx.config.js.minify {
        let comments = module.comments.to_comments();
        let mut options = minify_options(cjs, output_version(&ctx.config.js.target));
        if module.generated {
            options.compress = None;
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
            for id in decl_ids(decl) {
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
        assets: Vec::new(),
        dynamic: Vec::new(),
        entries: Vec::new(),
    };
    ast.visit_with(&mut counter);
    let Counter { placeholder_refs, reserved, mut assets, mut dynamic, mut entries, .. } = counter;
    for list in [&mut assets, &mut dynamic, &mut entries] {
        list.sort_unstable();
        list.dedup();
    }
    let pure = !cjs && ast.body.iter().all(is_pure_item);
    let size = if ctx.config.js.min_chunk_size > 0 { print(&ctx.cm, &ast, ctx.config.js.minify).0.len() as u64 } else { 0 };
    Prepared { ast, top_decls, placeholder_refs, reserved, assets, dynamic, entries, pure, size }
}

/// In a classic worker script: `import.meta.url` is the script's own URL, `self.location.href`
/// (the syntax `import.meta` does not parse outside modules).
struct ClassicMeta {
    global: SyntaxContext,
}

impl VisitMut for ClassicMeta {
    fn visit_mut_expr(&mut self, e: &mut Expr) {
        let is_meta = |e: &Expr| matches!(e, Expr::MetaProp(m) if m.kind == MetaPropKind::ImportMeta);
        if is_meta(e) {
            // `import.meta` alone: an object with its `url`.
            *e = Expr::Object(ObjectLit {
                span: DUMMY_SP,
                props: vec![PropOrSpread::Prop(Box::new(Prop::KeyValue(KeyValueProp {
                    key: PropName::Ident(IdentName::new("url".into(), DUMMY_SP)),
                    value: Box::new(self.location_href()),
                })))],
            });
            return;
        }
        if let Expr::Member(m) = e {
            if is_meta(&m.obj) && m.prop.as_ident().is_some_and(|p| p.sym == *"url") {
                *e = self.location_href();
                return;
            }
        }
        e.visit_mut_children_with(self);
    }
}

impl ClassicMeta {
    fn location_href(&self) -> Expr {
        let member = |obj: Expr, name: &str| {
            Expr::Member(MemberExpr {
                span: DUMMY_SP,
                obj: Box::new(obj),
                prop: MemberProp::Ident(IdentName::new(name.into(), DUMMY_SP)),
            })
        };
        member(member(Expr::Ident(Ident::new("self".into(), DUMMY_SP, self.global)), "location"), "href")
    }
}

/// A top-level item whose evaluation does nothing observable.
fn is_pure_item(item: &ModuleItem) -> bool {
    fn pure_expr(e: &Expr) -> bool {
        match e {
            Expr::Lit(_) | Expr::Fn(_) | Expr::Arrow(_) | Expr::Tpl(Tpl { exprs: _, .. }) => match e {
                Expr::Tpl(t) => t.exprs.iter().all(|e| pure_expr(e)),
                _ => true,
            },
            Expr::Unary(u) => u.op != UnaryOp::Delete && pure_expr(&u.arg),
            Expr::Array(a) => a.elems.iter().flatten().all(|e| e.spread.is_none() && pure_expr(&e.expr)),
            Expr::Object(o) => o.props.iter().all(|p| match p {
                PropOrSpread::Prop(p) => match &**p {
                    Prop::KeyValue(kv) => !matches!(kv.key, PropName::Computed(_)) && pure_expr(&kv.value),
                    Prop::Method(_) => true,
                    _ => false,
                },
                PropOrSpread::Spread(_) => false,
            }),
            Expr::Paren(p) => pure_expr(&p.expr),
            _ => false,
        }
    }
    let decl_pure = |d: &Decl| match d {
        Decl::Fn(_) => true,
        Decl::Class(c) => {
            c.class.super_class.is_none()
                && c.class.body.iter().all(|m| match m {
                    ClassMember::Constructor(_) | ClassMember::Method(_) | ClassMember::PrivateMethod(_) | ClassMember::Empty(_) => true,
                    ClassMember::ClassProp(p) => !p.is_static && !matches!(p.key, PropName::Computed(_)),
                    ClassMember::PrivateProp(p) => !p.is_static,
                    _ => false,
                })
                && c.class.decorators.is_empty()
        }
        Decl::Var(v) => v.decls.iter().all(|d| matches!(d.name, Pat::Ident(_)) && d.init.as_deref().is_none_or(pure_expr)),
        _ => false,
    };
    match item {
        ModuleItem::Stmt(Stmt::Decl(d)) => decl_pure(d),
        ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)) => decl_pure(&e.decl),
        ModuleItem::Stmt(Stmt::Empty(_)) => true,
        ModuleItem::ModuleDecl(ModuleDecl::Import(_) | ModuleDecl::ExportNamed(_) | ModuleDecl::ExportAll(_)) => true,
        _ => false,
    }
}

struct Counter<'a> {
    index: FxHashMap<Id, usize>,
    top_decls: &'a mut Vec<(Id, u32)>,
    placeholder_refs: FxHashMap<Atom, u32>,
    reserved: FxHashSet<Atom>,
    assets: Vec<ModuleId>,
    dynamic: Vec<ModuleId>,
    entries: Vec<usize>,
}

impl Counter<'_> {
    /// Module numbers in `__kiln_as{t}__` / `__kiln_dy{t}__` / `__kiln_en{w}__` markers of a
    /// string.
    fn markers(&mut self, text: &str) {
        for (tag, into) in [("__kiln_as", &mut self.assets), ("__kiln_dy", &mut self.dynamic), ("__kiln_en", &mut self.entries)] {
            for (i, _) in text.match_indices(tag) {
                let digits: String = text[i + tag.len()..].chars().take_while(char::is_ascii_digit).collect();
                if let Ok(t) = digits.parse() {
                    into.push(t);
                }
            }
        }
    }
}

impl Visit for Counter<'_> {
    fn visit_str(&mut self, s: &Str) {
        if let Some(text) = s.value.as_str() {
            if text.contains("__kiln_") {
                self.markers(text);
            }
        }
    }

    fn visit_tpl_element(&mut self, t: &TplElement) {
        if t.raw.contains("__kiln_") {
            self.markers(&t.raw);
        }
    }

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
    /// `import()`s of split chunks, by their `__kiln_dy…` specifier.
    dynamic: &'a FxHashMap<String, DynamicLoad>,
    /// The loader helper's name.
    loader: &'a Atom,
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
    fn visit_mut_expr(&mut self, e: &mut Expr) {
        if let Expr::Call(c) = e {
            if let (Callee::Import(_), Some(Expr::Lit(Lit::Str(s)))) = (&c.callee, c.args.first().map(|a| &*a.expr)) {
                if let Some(load) = s.value.as_str().and_then(|v| self.dynamic.get(v)) {
                    let mut import = c.clone();
                    *import.args[0].expr = Expr::Lit(Lit::Str(Str { span: s.span, value: load.url.as_str().into(), raw: None }));
                    if load.css.is_empty() && load.js.is_empty() {
                        *c = import;
                        return;
                    }
                    let list = |items: &[String]| {
                        Expr::Array(ArrayLit {
                            span: DUMMY_SP,
                            elems: items
                                .iter()
                                .map(|u| Some(ExprOrSpread { spread: None, expr: Box::new(Expr::Lit(Lit::Str(u.as_str().into()))) }))
                                .collect(),
                        })
                    };
                    let thunk = Expr::Arrow(ArrowExpr {
                        body: Box::new(ArrowFunctionBody::Expr(Box::new(Expr::Call(import)))),
                        ..Default::default()
                    });
                    *e = call(self.loader, vec![thunk, list(&load.css), list(&load.js)]);
                    return;
                }
            }
        }
        e.visit_mut_children_with(self);
    }

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
        if text.contains("__kiln_as") || text.contains("__kiln_en") {
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
        if t.raw.contains("__kiln_as") || t.raw.contains("__kiln_en") {
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
const HELPERS: [&str; 4] = ["__commonJS", "__toESM", "__toCommonJS", "__load"];

fn helper_code(name: &str, names: &[Atom; 4], minify: bool) -> String {
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

/// What a chunk needs besides its modules.
pub struct ChunkJob<'a> {
    pub index: usize,
    /// Its modules, in evaluation order.
    pub order: &'a [ModuleId],
    /// What it exports: an entry's exports (`None` for shared chunks).
    pub exports: Option<Vec<(Atom, Binding)>>,
    /// Per module: the chunk it is in (with splitting).
    pub chunk_of: &'a [Option<usize>],
    /// Modules whose namespace object is built (in their own chunk).
    pub need_ns: &'a [bool],
    /// Modules also in other chunks (without splitting): printed from a copy.
    pub copied: &'a [bool],
    /// Per dynamic entry module: its chunk's key, and what the loader fetches first
    /// (stylesheet keys, chunk keys).
    pub dynamic: &'a FxHashMap<ModuleId, (String, Vec<String>, Vec<String>)>,
    /// The chunk key of each extra entry (worker) of the graph.
    pub extra_keys: &'a [String],
}

/// A chunk printed, before its imports of other chunks and its exports are written.
pub struct Rendered {
    /// The body (runtime, namespace objects, modules), its references and source map.
    pub code: ChunkCode,
    /// Final local names of placeholder keys.
    pub names: FxHashMap<Atom, Atom>,
    /// Keys defined in other chunks, with the chunk that defines each.
    pub foreign: Vec<(Atom, usize)>,
    /// `import` lines for externals.
    pub externals: String,
    /// The entry's exports: (local, exported).
    pub entry_exports: Vec<(String, String)>,
    /// Syntax found in a module's final tree that no browser would run (kiln's bug).
    pub problems: Vec<Diagnostic>,
}

/// The module a placeholder key belongs to, for keys defined by one module's chunk (its
/// top-level bindings, namespace object and CommonJS wrapper).
fn key_module(key: &str) -> Option<ModuleId> {
    let rest = key.strip_prefix("__kiln_")?;
    let digits = if let Some(r) = rest.strip_prefix("ns") {
        r
    } else if let Some(r) = rest.strip_prefix("rq") {
        r
    } else if let Some(r) = rest.strip_prefix('l') {
        r.split('_').next()?
    } else {
        return None;
    };
    digits.parse().ok()
}

/// The placeholder name of a binding, if it has one.
fn binding_key(b: &Binding) -> Option<Atom> {
    match b {
        Binding::Local(t, id) => Some(ph::local(*t, &id.0)),
        Binding::Namespace(t) => Some(ph::namespace(*t)),
        Binding::CjsExport(t, _) | Binding::CjsNamespace(t) => Some(ph::interop(*t)),
        Binding::External(spec, imported) => Some(ph::external(spec, imported.as_ref())),
        Binding::AssetUrl(_) | Binding::EntryUrl(_) => None,
    }
}

/// The runtime of a lazy chunk's loader: adds `<link rel=modulepreload>` for the chunks it
/// imports and `<link rel=stylesheet>` for its CSS (waiting for those), then imports it.
fn loader_code(name: &Atom, import_map: bool, minify: bool) -> String {
    let resolve = if import_map { "import.meta.resolve(u)" } else { "new URL(u, import.meta.url).href" };
    let code = format!(
        "var {name} = (load, css, js) => {{ if (typeof document > \"u\") return load(); \
         const have = (h) => [...document.querySelectorAll(\"link\")].some((l) => l.href === h); \
         const add = (h, rel) => {{ const l = document.createElement(\"link\"); l.rel = rel; l.href = h; document.head.appendChild(l); return l; }}; \
         for (const u of js) {{ const h = {resolve}; if (!have(h)) add(h, \"modulepreload\"); }} \
         return Promise.all(css.map((u) => {{ const h = {resolve}; if (have(h)) return; const l = add(h, \"stylesheet\"); \
         return new Promise((ok, fail) => {{ l.onload = ok; l.onerror = () => fail(new Error(\"cannot load: \" + h)); }}); }})).then(load); }};"
    );
    if minify {
        let resolve = if import_map { "import.meta.resolve(u)" } else { "new URL(u,import.meta.url).href" };
        format!(
            "var {name}=(f,c,j)=>{{if(typeof document>\"u\")return f();let d=document,s=h=>[...d.querySelectorAll(\"link\")].some(l=>l.href==h),\
             a=(h,r)=>{{let l=d.createElement(\"link\");l.rel=r;l.href=h;d.head.appendChild(l);return l}};\
             for(let u of j){{let h={resolve};s(h)||a(h,\"modulepreload\")}}\
             return Promise.all(c.map(u=>{{let h={resolve};if(!s(h)){{let l=a(h,\"stylesheet\");\
             return new Promise((o,e)=>{{l.onload=o;l.onerror=()=>e(Error(\"cannot load: \"+h))}})}}}})).then(f)}};"
        )
    } else {
        code
    }
}

/// Names and prints one chunk.
pub fn render(ctx: &JsCtx, modules: &[JsModule], prepared: &mut [Option<Prepared>], linker: &Linker, linked: &Linked, job: &ChunkJob) -> Rendered {
    let minify = ctx.config.js.minify;
    let order = job.order;
    let here: FxHashSet<ModuleId> = order.iter().copied().collect();
    let owner = |key: &Atom| -> Option<usize> {
        let t = key_module(key)?;
        if here.contains(&t) {
            return None;
        }
        job.chunk_of[t].filter(|&c| c != job.index)
    };

    // Asset URLs and lazy chunks the chunk's modules name, in module order.
    let mut refs = Refs::default();
    let mut asset_url: FxHashMap<ModuleId, String> = FxHashMap::default();
    let mut asset_map: FxHashMap<String, String> = FxHashMap::default();
    let mut entry_url: FxHashMap<usize, String> = FxHashMap::default();
    let mut dyn_map: FxHashMap<String, DynamicLoad> = FxHashMap::default();
    for &m in order {
        let Some(p) = &prepared[m] else { continue };
        for &t in &p.assets {
            if let ModuleKind::Asset { rel } = &modules[t].kind {
                let url = refs.placeholder(rel, AssetKind::for_path(rel, None), RefUse::Url, false);
                asset_map.insert(ph::asset(t), url.clone());
                asset_url.insert(t, url);
            }
        }
        for &w in &p.entries {
            if let Some(key) = job.extra_keys.get(w) {
                let url = refs.placeholder(key, AssetKind::Chunk, RefUse::Url, false);
                asset_map.insert(ph::entry(w), url.clone());
                entry_url.insert(w, url);
            }
        }
        for &t in &p.dynamic {
            let Some((key, css, js)) = job.dynamic.get(&t) else { continue };
            let url = refs.placeholder(key, AssetKind::Chunk, RefUse::DynamicImport, false);
            let css = css.iter().map(|k| refs.placeholder(k, AssetKind::Css, RefUse::Preload, false)).collect();
            let js = js.iter().map(|k| refs.placeholder(k, AssetKind::Chunk, RefUse::Preload, false)).collect();
            dyn_map.insert(ph::dynamic(t), DynamicLoad { url, css, js });
        }
    }
    for (_, b) in job.exports.iter().flatten() {
        if let Binding::AssetUrl(t) = b {
            if let ModuleKind::Asset { rel } = &modules[*t].kind {
                let url = refs.placeholder(rel, AssetKind::for_path(rel, None), RefUse::Url, false);
                asset_url.insert(*t, url);
            }
        }
        if let Binding::EntryUrl(w) = b {
            if let Some(key) = job.extra_keys.get(*w) {
                entry_url.insert(*w, refs.placeholder(key, AssetKind::Chunk, RefUse::Url, false));
            }
        }
    }
    let needs_loader = dyn_map.values().any(|d| !d.css.is_empty() || !d.js.is_empty());

    // Synthetic symbols the chunk needs.
    let cjs: Vec<ModuleId> = order.iter().copied().filter(|&m| modules[m].kind == ModuleKind::Cjs).collect();
    let mut interop_at: FxHashMap<ModuleId, Vec<ModuleId>> = FxHashMap::default();
    let mut interop: Vec<ModuleId> = Vec::new();
    let ns_needed: Vec<ModuleId> =
        order.iter().copied().filter(|&m| job.need_ns[m] && modules[m].kind == ModuleKind::Esm).collect();
    let mut esm_required = false;
    for &m in order {
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
                (ModuleKind::Esm, ImportKind::Require) => esm_required = true,
                _ => {}
            }
        }
    }
    let helpers_used = [!cjs.is_empty(), !interop.is_empty(), esm_required, needs_loader];
    // External imports the chunk keeps, by specifier: (imported name or namespace, placeholder),
    // and specifiers imported only for their side effects.
    let mut externals: std::collections::BTreeMap<String, Vec<(Option<Atom>, Atom)>> = Default::default();
    fn add_external(externals: &mut std::collections::BTreeMap<String, Vec<(Option<Atom>, Atom)>>, spec: &str, imported: &Option<Atom>) {
        let key = ph::external(spec, imported.as_ref());
        let list = externals.entry(spec.to_owned()).or_default();
        if !list.iter().any(|(_, k)| *k == key) {
            list.push((imported.clone(), key));
        }
    }
    for &m in order {
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
    let getters: Vec<(ModuleId, Vec<(Atom, Binding)>)> = ns_needed.iter().map(|&m| (m, linker.export_names(m))).collect();
    for (_, b) in job.exports.iter().flatten().chain(getters.iter().flat_map(|(_, g)| g.iter())) {
        if let Binding::External(spec, imported) = b {
            add_external(&mut externals, spec, imported);
        }
    }

    // Every name a module uses that is not renamed here is reserved.
    let mut reserved: FxHashSet<Atom> = FxHashSet::default();
    let mut placeholder_counts: FxHashMap<Atom, u32> = FxHashMap::default();
    for &m in order {
        if let Some(p) = &prepared[m] {
            reserved.extend(p.reserved.iter().cloned());
            for (sym, c) in &p.placeholder_refs {
                *placeholder_counts.entry(sym.clone()).or_default() += c;
            }
        }
    }
    for g in ["Object", "Promise", "Symbol", "exports", "module", "require", "document", "URL", "Error"] {
        reserved.insert(g.into());
    }
    // Keys the joined code names beyond the modules' own references.
    for (_, b) in job.exports.iter().flatten().chain(getters.iter().flat_map(|(_, g)| g.iter())) {
        if let Some(k) = binding_key(b) {
            placeholder_counts.entry(k).or_insert(0);
        }
    }
    for t in &interop {
        placeholder_counts.entry(ph::require(*t)).or_insert(0);
    }

    // (use count, tie-break, placeholder it replaces, original name); the most used symbols
    // get the shortest names.
    // (use count, order, the placeholder key, the name it had, the module binding it is)
    type Symbol = (u32, usize, Atom, String, Option<(ModuleId, Id)>);
    let mut syms: Vec<Symbol> = Vec::new();
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
    // Keys other chunks define: imported under a local name.
    let mut foreign: Vec<(Atom, usize)> = placeholder_counts.keys().filter_map(|k| owner(k).map(|c| (k.clone(), c))).collect();
    foreign.sort();
    for (i, (key, _)) in foreign.iter().enumerate() {
        let t = key_module(key).expect("foreign keys name a module");
        let original = if key.starts_with("__kiln_ns") {
            format!("{}_exports", stem(t))
        } else if key.starts_with("__kiln_rq") {
            format!("require_{}", stem(t))
        } else {
            key.strip_prefix("__kiln_l").and_then(|r| r.split_once('_')).map_or("x", |(_, s)| s).to_owned()
        };
        syms.push((count(key), late + 500_000 + i, key.clone(), original, None));
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
    let helper_names: [Atom; 4] = [0, 1, 2, 3].map(|i| final_name(&ph::helper(i)).unwrap_or_else(|| HELPERS[i].into()));
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
            Binding::EntryUrl(w) => entry_url.get(w).map_or(Replacement::Undefined, |u| Replacement::Str(u.clone())),
            Binding::External(spec, imported) => named(ph::external(spec, imported.as_ref())),
        }
    };

    // Rename and print every module of the chunk, in parallel.
    let jobs: Vec<(ModuleId, Module)> = order
        .iter()
        .filter_map(|&m| {
            let p = prepared[m].as_mut()?;
            let ast = if job.copied[m] { p.ast.clone() } else { std::mem::take(&mut p.ast) };
            Some((m, ast))
        })
        .collect();
    // (module, its printed code, its source positions)
    type Piece = (ModuleId, String, Vec<(u32, u32, u32, u32)>, Option<Diagnostic>);
    let pieces: Vec<Piece> = jobs
        .into_par_iter()
        .map(|(m, mut ast)| {
            GLOBALS.set(&ctx.globals, || {
                let module = &modules[m];
                ImportRewriter::strip_module_syntax(&mut ast);
                let own = own_names.get(&m);
                ast.visit_mut_with(&mut FinalNames { own, names: &names, assets: &asset_map, dynamic: &dyn_map, loader: &helper_names[3] });
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
                let problem = super::verify::check_module(&ast, &ctx.config.js.target, ctx.classic).map(|(pos, what)| {
                    let d = Diagnostic::error(format!("internal error: {what} would reach the output, which the target cannot run"))
                        .with_note("this is a bug in kiln; please report it with the input that caused it");
                    match &module.file {
                        Some(f) if pos >= f.start_pos && pos <= f.end_pos => super::parse::locate(f, &module.rel, pos, d),
                        _ => d.in_file(&module.rel),
                    }
                });
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
                (m, code, segs, problem)
            })
        })
        .collect();
    let problems: Vec<Diagnostic> = pieces.iter().filter_map(|p| p.3.clone()).collect();

    // External imports, written by `assemble` above everything.
    let mut ext_code = String::new();
    for (spec, list) in &externals {
        let spec_text = js_string(spec);
        if list.is_empty() {
            let _ = writeln!(ext_code, "import {spec_text};");
        }
        for (imported, key) in list {
            let Some(local) = final_name(key) else { continue };
            match imported {
                None => {
                    let _ = writeln!(ext_code, "import * as {local} from {spec_text};");
                }
                Some(name) => {
                    let name_text = if is_ident_name(name) { name.to_string() } else { js_string(name) };
                    let _ = writeln!(ext_code, "import {{ {name_text} as {local} }} from {spec_text};");
                }
            }
        }
    }
    // Body: runtime, namespace objects, modules.
    let mut code = String::new();
    for (i, h) in HELPERS.iter().enumerate() {
        if helpers_used[i] {
            if i == 3 {
                code.push_str(&loader_code(&helper_names[3], ctx.config.hash_cascade == crate::config::HashCascade::ImportMap, minify));
            } else {
                code.push_str(&helper_code(h, &helper_names, minify));
            }
            code.push('\n');
        }
    }
    for (m, exports) in &getters {
        let Some(name) = final_name(&ph::namespace(*m)) else { continue };
        let mut list = Vec::new();
        for (export, b) in exports {
            let key = if is_ident_name(export) { export.to_string() } else { js_string(export) };
            let value = expr_text(&resolved_text(b));
            list.push(if minify { format!("get {key}(){{return {value}}}") } else { format!("get {key}() {{ return {value}; }}") });
        }
        if minify {
            let _ = writeln!(code, "var {name}=Object.freeze({{__proto__:null,[Symbol.toStringTag]:\"Module\",{}}});", list.join(","));
        } else {
            let _ = writeln!(
                code,
                "var {name} = Object.freeze({{ __proto__: null, [Symbol.toStringTag]: \"Module\",\n {} }});",
                list.join(",\n ")
            );
        }
    }
    let mut sources: Vec<(std::path::PathBuf, String)> = Vec::new();
    let mut source_index: FxHashMap<ModuleId, u32> = FxHashMap::default();
    let mut segments: Vec<Segment> = Vec::new();
    let mut lines = code.matches('\n').count() as u32;
    let mut module_infos = Vec::new();
    for (m, text, segs, _) in pieces {
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
        if text.trim().is_empty() {
            continue;
        }
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
    let mut entry_exports = Vec::new();
    for (name, b) in job.exports.iter().flatten() {
        let local = match resolved_text(b) {
            Replacement::Ident(a) => a.to_string(),
            other => {
                let tmp = namer.name(&format!("export_{}", if is_ident_name(name) { name.as_str() } else { "value" }));
                let _ = writeln!(code, "var {tmp}={};", expr_text(&other));
                tmp.to_string()
            }
        };
        let exported = if is_ident_name(name) { name.to_string() } else { js_string(name) };
        entry_exports.push((local, exported));
    }
    Rendered { code: ChunkCode { code, refs, segments, sources, modules: module_infos }, names, foreign, externals: ext_code, entry_exports, problems }
}

/// The finished code of a chunk: externals, imports of other chunks (`imports`: the chunk key
/// and (exported name, local name) pairs, in order), the body, then its exports (the entry's,
/// and `shared`: (local, exported) for what other chunks import from it).
pub fn assemble(
    r: Rendered,
    imports: &[(String, Vec<(String, String)>)],
    shared: &[(String, String)],
    minify: bool,
    classic: bool,
) -> ChunkCode {
    let Rendered { code: mut chunk, externals: mut head, entry_exports, .. } = r;
    for (key, names) in imports {
        let spec = chunk.refs.placeholder(key, AssetKind::Chunk, RefUse::Import, false);
        if names.is_empty() {
            let _ = writeln!(head, "import \"{spec}\";");
            continue;
        }
        let list: Vec<String> = names.iter().map(|(e, l)| if e == l { l.clone() } else { format!("{e} as {l}") }).collect();
        if minify {
            let _ = writeln!(head, "import{{{}}}from\"{spec}\";", list.join(","));
        } else {
            let _ = writeln!(head, "import {{ {} }} from \"{spec}\";", list.join(", "));
        }
    }
    let shift = head.matches('\n').count() as u32;
    for s in &mut chunk.segments {
        s.0 += shift;
    }
    let mut code = head;
    code.push_str(&chunk.code);
    let specs: Vec<String> = entry_exports
        .iter()
        .chain(shared)
        .map(|(local, exported)| if local == exported { local.clone() } else { format!("{local} as {exported}") })
        .collect();
    if !specs.is_empty() {
        if minify {
            let _ = writeln!(code, "export{{{}}};", specs.join(","));
        } else {
            let _ = writeln!(code, "export {{ {} }};", specs.join(", "));
        }
    }
    if classic {
        // A classic script: its own scope, so its top-level names stay out of the worker's
        // global scope.
        code = format!("(() => {{\n{code}}})();\n");
        for s in &mut chunk.segments {
            s.0 += 1;
        }
    }
    chunk.segments.sort_unstable();
    chunk.code = code;
    chunk
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
