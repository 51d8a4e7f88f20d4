//! What a module imports and exports, read from its AST once after parsing.
//!
//! `export default …` is normalized here into a plain declaration plus an export of its local
//! name, so every export is either a local binding, a re-export, or a namespace.

use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::atoms::Atom;
use swc_core::common::{Mark, Span, SyntaxContext, DUMMY_SP};
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{Visit, VisitWith};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ImportKind {
    /// `import … from` (or a bare `import 'x'`).
    Static,
    /// `export … from` / `export * from`.
    ReExport,
    /// `import('x')`.
    Dynamic,
    /// `require('x')`.
    Require,
    /// `new URL('x', import.meta.url)`.
    AssetUrl,
    /// The script of `new Worker(new URL('x', import.meta.url), …)`, `new SharedWorker(…)`,
    /// `navigator.serviceWorker.register(new URL(…))` or a worklet's `addModule(new URL(…))`:
    /// an entry point of its own, built as a classic script unless `{ type: 'module' }` says
    /// otherwise (worklets are always modules).
    Worker { classic: bool, service: bool },
}

#[derive(Debug, Clone)]
pub struct ImportRecord {
    pub specifier: String,
    pub span: Span,
    pub kind: ImportKind,
}

#[derive(Debug, Clone)]
pub struct NamedImport {
    pub local: Id,
    /// The export it asks for; `None` for a namespace import (`* as x`).
    pub imported: Option<Atom>,
    pub record: usize,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExportDef {
    Local(Id),
    ReExport { record: usize, name: Atom },
    NamespaceOf { record: usize },
}

/// How a namespace import (`import * as ns`) is used.
#[derive(Debug, Clone)]
pub enum NsUse {
    /// Only as `ns.name`: these names.
    Members(FxHashSet<Atom>),
    /// As a value (passed, exported, computed access): the whole namespace object is needed.
    Escapes,
}

#[derive(Debug, Default, Clone)]
pub struct Analysis {
    pub records: Vec<ImportRecord>,
    pub imports: Vec<NamedImport>,
    pub exports: Vec<(Atom, ExportDef, Span)>,
    pub star_exports: Vec<usize>,
    pub ns_use: FxHashMap<Id, NsUse>,
    pub referenced: FxHashSet<Id>,
    pub has_esm_syntax: bool,
    pub uses_cjs: bool,
}

fn export_name(n: &ModuleExportName) -> Atom {
    match n {
        ModuleExportName::Ident(i) => i.sym.clone(),
        ModuleExportName::Str(s) => s.value.to_atom_lossy().into_owned(),
    }
}

/// `export { local as default }`, so the compressor keeps what a default export names.
fn export_as_default(local: Ident) -> ModuleItem {
    ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(NamedExport {
        span: DUMMY_SP,
        specifiers: vec![ExportSpecifier::Named(ExportNamedSpecifier {
            span: DUMMY_SP,
            orig: ModuleExportName::Ident(local),
            exported: Some(ModuleExportName::Ident(Ident::new("default".into(), DUMMY_SP, SyntaxContext::empty()))),
            is_type_only: false,
        })],
        src: None,
        type_only: false,
        with: None,
    }))
}

/// The bindings a declaration introduces.
pub fn decl_ids(decl: &Decl) -> Vec<Ident> {
    match decl {
        Decl::Fn(f) => vec![f.ident.clone()],
        Decl::Class(c) => vec![c.ident.clone()],
        Decl::Var(v) => {
            let mut ids = Vec::new();
            for d in &v.decls {
                collect_pat_ids(&d.name, &mut ids);
            }
            ids
        }
        _ => Vec::new(),
    }
}

pub fn collect_pat_ids(pat: &Pat, out: &mut Vec<Ident>) {
    match pat {
        Pat::Ident(b) => out.push(b.id.clone()),
        Pat::Array(a) => a.elems.iter().flatten().for_each(|p| collect_pat_ids(p, out)),
        Pat::Object(o) => {
            for p in &o.props {
                match p {
                    ObjectPatProp::KeyValue(kv) => collect_pat_ids(&kv.value, out),
                    ObjectPatProp::Assign(a) => out.push(a.key.id.clone()),
                    ObjectPatProp::Rest(r) => collect_pat_ids(&r.arg, out),
                }
            }
        }
        Pat::Rest(r) => collect_pat_ids(&r.arg, out),
        Pat::Assign(a) => collect_pat_ids(&a.left, out),
        _ => {}
    }
}

/// Normalizes `export default` and collects the module's records. `stem` names the local
/// binding of an anonymous default export (`{stem}_default`).
pub fn analyze(module: &mut Module, top_level_mark: Mark, unresolved_mark: Mark, stem: &str) -> Analysis {
    let mut a = Analysis::default();
    let top_ctxt = SyntaxContext::empty().apply_mark(top_level_mark);
    let default_ident = || Ident::new(format!("{stem}_default").into(), DUMMY_SP, top_ctxt);
    let items = std::mem::take(&mut module.body);
    let mut body = Vec::with_capacity(items.len());
    for item in items {
        match item {
            ModuleItem::ModuleDecl(ModuleDecl::Import(import)) => {
                a.has_esm_syntax = true;
                if import.type_only {
                    continue;
                }
                import_decl(&mut a, &import);
                body.push(ModuleItem::ModuleDecl(ModuleDecl::Import(import)));
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)) => {
                a.has_esm_syntax = true;
                for id in decl_ids(&e.decl) {
                    a.exports.push((id.sym.clone(), ExportDef::Local(id.to_id()), id.span));
                }
                body.push(ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)));
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultDecl(e)) => {
                a.has_esm_syntax = true;
                let decl = match e.decl {
                    DefaultDecl::Fn(f) => {
                        let ident = f.ident.unwrap_or_else(default_ident);
                        Decl::Fn(FnDecl { ident, declare: false, function: f.function })
                    }
                    DefaultDecl::Class(c) => {
                        let ident = c.ident.unwrap_or_else(default_ident);
                        Decl::Class(ClassDecl { ident, declare: false, class: c.class })
                    }
                    DefaultDecl::TsInterfaceDecl(_) => continue,
                };
                let id = decl_ids(&decl).remove(0);
                a.exports.push(("default".into(), ExportDef::Local(id.to_id()), e.span));
                body.push(ModuleItem::Stmt(Stmt::Decl(decl)));
                body.push(export_as_default(id));
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(e)) => {
                a.has_esm_syntax = true;
                let ident = default_ident();
                a.exports.push(("default".into(), ExportDef::Local(ident.to_id()), e.span));
                body.push(ModuleItem::Stmt(Stmt::Decl(Decl::Var(Box::new(VarDecl {
                    span: e.span,
                    kind: VarDeclKind::Var,
                    decls: vec![VarDeclarator { span: e.span, name: ident.clone().into(), init: Some(e.expr), definite: false }],
                    ..Default::default()
                })))));
                body.push(export_as_default(ident));
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(e)) => {
                a.has_esm_syntax = true;
                if e.type_only {
                    continue;
                }
                named_exports(&mut a, &e);
                body.push(ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(e)));
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportAll(e)) => {
                a.has_esm_syntax = true;
                if e.type_only {
                    continue;
                }
                let r = record(&mut a, &e.src, ImportKind::ReExport);
                a.star_exports.push(r);
                body.push(ModuleItem::ModuleDecl(ModuleDecl::ExportAll(e)));
            }
            ModuleItem::ModuleDecl(ModuleDecl::TsImportEquals(_) | ModuleDecl::TsExportAssignment(_) | ModuleDecl::TsNamespaceExport(_)) => {}
            other => body.push(other),
        }
    }
    module.body = body;
    let mut refs = References { a: &mut a, unresolved: unresolved_mark };
    module.visit_with(&mut refs);
    a
}

/// Adds an import record for `src`; returns its index.
fn record(a: &mut Analysis, src: &Str, kind: ImportKind) -> usize {
    a.records.push(ImportRecord { specifier: src.value.to_string_lossy().into_owned(), span: src.span, kind });
    a.records.len() - 1
}

/// The record and bindings of an `import` declaration.
fn import_decl(a: &mut Analysis, import: &ImportDecl) {
    let r = record(a, &import.src, ImportKind::Static);
    for s in &import.specifiers {
        let (local, imported) = match s {
            ImportSpecifier::Named(n) => (&n.local, Some(n.imported.as_ref().map_or_else(|| n.local.sym.clone(), export_name))),
            ImportSpecifier::Default(d) => (&d.local, Some(Atom::from("default"))),
            ImportSpecifier::Namespace(ns) => {
                a.ns_use.insert(ns.local.to_id(), NsUse::Members(FxHashSet::default()));
                (&ns.local, None)
            }
        };
        a.imports.push(NamedImport { local: local.to_id(), imported, record: r, span: local.span });
    }
}

/// The exports of an `export { … }` (from another module, with `from`).
fn named_exports(a: &mut Analysis, e: &NamedExport) {
    match &e.src {
        None => {
            for s in &e.specifiers {
                if let ExportSpecifier::Named(n) = s {
                    if n.is_type_only {
                        continue;
                    }
                    let ModuleExportName::Ident(orig) = &n.orig else { continue };
                    let name = n.exported.as_ref().map_or_else(|| orig.sym.clone(), export_name);
                    a.exports.push((name, ExportDef::Local(orig.to_id()), n.span));
                }
            }
        }
        Some(src) => {
            let r = record(a, src, ImportKind::ReExport);
            for s in &e.specifiers {
                match s {
                    ExportSpecifier::Named(n) => {
                        let orig = export_name(&n.orig);
                        let name = n.exported.as_ref().map_or_else(|| orig.clone(), export_name);
                        a.exports.push((name, ExportDef::ReExport { record: r, name: orig }, n.span));
                    }
                    ExportSpecifier::Namespace(ns) => {
                        a.exports.push((export_name(&ns.name), ExportDef::NamespaceOf { record: r }, ns.span));
                    }
                    ExportSpecifier::Default(d) => {
                        a.exports.push((d.exported.sym.clone(), ExportDef::ReExport { record: r, name: "default".into() }, d.exported.span));
                    }
                }
            }
        }
    }
}

struct References<'a> {
    a: &'a mut Analysis,
    unresolved: Mark,
}

impl References<'_> {
    fn use_ident(&mut self, id: &Ident) {
        let key = id.to_id();
        if let Some(ns) = self.a.ns_use.get_mut(&key) {
            *ns = NsUse::Escapes;
        }
        if id.ctxt.outer() == self.unresolved && (id.sym == *"module" || id.sym == *"exports") {
            self.a.uses_cjs = true;
        }
        self.a.referenced.insert(key);
    }

    fn string_arg(args: &[ExprOrSpread]) -> Option<&Str> {
        match args.first().map(|a| &*a.expr) {
            Some(Expr::Lit(Lit::Str(s))) if args.len() == 1 || args.len() == 2 => Some(s),
            _ => None,
        }
    }
}

impl Visit for References<'_> {
    fn visit_import_decl(&mut self, _: &ImportDecl) {}

    fn visit_export_named_specifier(&mut self, n: &ExportNamedSpecifier) {
        if let ModuleExportName::Ident(i) = &n.orig {
            self.use_ident(i);
        }
    }

    fn visit_named_export(&mut self, e: &NamedExport) {
        if e.src.is_none() {
            e.visit_children_with(self);
        }
    }

    fn visit_expr(&mut self, e: &Expr) {
        if let Expr::Ident(id) = e {
            self.use_ident(id);
            return;
        }
        e.visit_children_with(self);
    }

    fn visit_prop(&mut self, p: &Prop) {
        if let Prop::Shorthand(id) = p {
            self.use_ident(id);
            return;
        }
        p.visit_children_with(self);
    }

    fn visit_member_expr(&mut self, m: &MemberExpr) {
        if let Expr::Ident(obj) = &*m.obj {
            let key = obj.to_id();
            if let Some(NsUse::Members(names)) = self.a.ns_use.get_mut(&key) {
                let name = match &m.prop {
                    MemberProp::Ident(p) => Some(p.sym.clone()),
                    MemberProp::Computed(c) => match &*c.expr {
                        Expr::Lit(Lit::Str(s)) => Some(s.value.to_atom_lossy().into_owned()),
                        _ => None,
                    },
                    MemberProp::PrivateName(_) => None,
                };
                if let Some(name) = name {
                    names.insert(name);
                    self.a.referenced.insert(key);
                    if let MemberProp::Computed(c) = &m.prop {
                        c.visit_with(self);
                    }
                    return;
                }
            }
        }
        m.visit_children_with(self);
    }

    fn visit_call_expr(&mut self, c: &CallExpr) {
        match &c.callee {
            Callee::Import(_) => {
                if let Some(s) = Self::string_arg(&c.args) {
                    self.a.records.push(ImportRecord { specifier: s.value.to_string_lossy().into_owned(), span: s.span, kind: ImportKind::Dynamic });
                }
            }
            Callee::Expr(e) => {
                if let Expr::Member(m) = &**e {
                    let method = m.prop.as_ident().map(|p| p.sym.as_str().to_owned());
                    let on_service_worker = matches!(&*m.obj, Expr::Member(o) if o.prop.as_ident().is_some_and(|p| p.sym == *"serviceWorker"));
                    let handled = match method.as_deref() {
                        Some("register") if on_service_worker => self.worker_script(&c.args, true, false),
                        Some("addModule") => self.worker_script(&c.args, false, true),
                        _ => false,
                    };
                    if handled {
                        m.obj.visit_with(self);
                        for a in c.args.iter().skip(1) {
                            a.visit_with(self);
                        }
                        return;
                    }
                }
                if let Expr::Ident(id) = &**e {
                    if id.sym == *"require" && id.ctxt.outer() == self.unresolved {
                        if let (Some(s), 1) = (Self::string_arg(&c.args), c.args.len()) {
                            self.a.records.push(ImportRecord { specifier: s.value.to_string_lossy().into_owned(), span: s.span, kind: ImportKind::Require });
                            self.a.uses_cjs = true;
                            return;
                        }
                    }
                }
            }
            Callee::Super(_) => {}
        }
        c.visit_children_with(self);
    }

    fn visit_new_expr(&mut self, n: &NewExpr) {
        if let (Expr::Ident(callee), Some(args)) = (&*n.callee, &n.args) {
            if callee.sym == *"URL" && args.len() == 2 && is_meta_url(&args[1].expr) {
                if let Expr::Lit(Lit::Str(s)) = &*args[0].expr {
                    let spec = s.value.to_string_lossy().into_owned();
                    // `new URL('.', import.meta.url)`, `new URL('./', …)`: a folder, not a file.
                    let folder = spec == "." || spec == ".." || spec.ends_with('/');
                    if !folder && !crate::loader::resolve::is_external(&spec) {
                        self.a.records.push(ImportRecord { specifier: spec, span: s.span, kind: ImportKind::AssetUrl });
                    }
                }
            }
            let is_worker = (callee.sym == *"Worker" || callee.sym == *"SharedWorker") && callee.ctxt.outer() == self.unresolved;
            if is_worker && self.worker_script(args, false, false) {
                for a in args.iter().skip(1) {
                    a.visit_with(self);
                }
                return;
            }
        }
        n.visit_children_with(self);
    }
}

/// `import.meta.url`.
pub(in crate::stages::js) fn is_meta_url(e: &Expr) -> bool {
    matches!(e, Expr::Member(m) if matches!(&*m.obj, Expr::MetaProp(mp) if mp.kind == MetaPropKind::ImportMeta)
        && m.prop.as_ident().is_some_and(|p| p.sym == *"url"))
}

/// The string of `new URL('x', import.meta.url)`.
fn meta_url_string(e: &Expr) -> Option<&Str> {
    let Expr::New(n) = e else { return None };
    let (Expr::Ident(callee), Some(args)) = (&*n.callee, &n.args) else { return None };
    if callee.sym != *"URL" || args.len() != 2 || !is_meta_url(&args[1].expr) {
        return None;
    }
    match &*args[0].expr {
        Expr::Lit(Lit::Str(s)) => Some(s),
        _ => None,
    }
}

/// Whether worker options (`{ type: 'module' }`) ask for a module script; `None` when they are
/// not a literal kiln can read.
fn module_type(options: Option<&ExprOrSpread>) -> Option<bool> {
    let Some(o) = options else { return Some(false) };
    let Expr::Object(o) = &*o.expr else { return None };
    let mut module = false;
    for p in &o.props {
        let PropOrSpread::Prop(p) = p else { return None };
        if let Prop::KeyValue(kv) = &**p {
            let key = match &kv.key {
                PropName::Ident(i) => i.sym.to_string(),
                PropName::Str(s) => s.value.to_string_lossy().into_owned(),
                _ => continue,
            };
            if key == "type" {
                match &*kv.value {
                    Expr::Lit(Lit::Str(s)) => module = s.value.as_str() == Some("module"),
                    _ => return None,
                }
            }
        }
    }
    Some(module)
}

impl References<'_> {
    /// Records the script of a worker-like call (`args[0]` = `new URL('x', import.meta.url)`);
    /// false if `args` is not of that form.
    fn worker_script(&mut self, args: &[ExprOrSpread], service: bool, always_module: bool) -> bool {
        let Some(s) = args.first().and_then(|a| meta_url_string(&a.expr)) else { return false };
        let spec = s.value.to_string_lossy().into_owned();
        if crate::loader::resolve::is_external(&spec) {
            return false;
        }
        // Options kiln cannot read: a classic script runs as a module worker too, not the
        // other way round.
        let classic = !always_module && !module_type(args.get(1)).unwrap_or(false);
        self.a.records.push(ImportRecord { specifier: spec, span: s.span, kind: ImportKind::Worker { classic, service } });
        true
    }
}
