//! Preparing one module (in parallel): imports replaced by placeholders, unused exports
//! dropped, minified on its own, and its names counted for the chunk's naming.

use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::atoms::Atom;
use swc_core::common::{SyntaxContext, DUMMY_SP};
use swc_core::ecma::ast::*;
use swc_core::ecma::minifier::optimize;
use swc_core::ecma::minifier::option::{CompressOptions, ExtraOptions, MangleOptions, MinifyOptions, TopLevelOptions};
use swc_core::ecma::visit::{Visit, VisitMut, VisitMutWith, VisitWith};

use crate::diagnostics::Diagnostic;
use crate::stages::js::generate::minify_cache;
use crate::stages::js::generate::rewrite::{ImportRewriter, Replacement};
use crate::stages::js::generate::symbols::{binding_key, module_value, ph, placeholder, Marker, Registry};
use crate::stages::js::generate::types::{output_version, print};
use crate::stages::js::link::{Binding, Linked};
use crate::stages::js::scan::analyze::{decl_ids, ImportKind};
use crate::stages::js::scan::graph::{JsModule, ModuleId, ModuleKind, Resolved};
use crate::stages::js::types::JsCtx;

pub struct Prepared {
    pub ast: Module,
    /// A module from the build cache: its minified tree still encoded (and `ast` empty),
    /// decoded only if the module has to be printed.
    pub stored: Option<minify_cache::StoredTree>,
    /// Top-level declarations in order, with how often each is referenced. By binding, not
    /// name: the compressor may hoist an inner binding to the top level with the name of
    /// another one (they differ by syntax context).
    pub top_decls: Vec<(Id, u32)>,
    /// How often each placeholder name is referenced.
    pub placeholder_refs: FxHashMap<Atom, u32>,
    /// What the placeholder names written into it stand for.
    pub registry: Registry,
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
    /// The build cache's key of its minification (with the cache on): printed modules are
    /// cached under it and the names they were printed with.
    pub minify_key: Option<[u8; 32]>,
}

pub(super) fn minify_options(cjs: bool, ecma: EsVersion) -> MinifyOptions {
    MinifyOptions {
        compress: Some(CompressOptions {
            module: !cjs,
            // Never introduce syntax newer than the target.
            ecma,
            top_level: Some(TopLevelOptions { functions: true }),
            passes: 1,
            ..CompressOptions::default()
        }),
        // One alphabet for every module's local names instead of one ordered by each module's
        // letter counts: a module is minified alone, and names that agree across the modules
        // of a chunk compress better together (three.js ×10: gzip −1.4 %, Brotli −1.3 %; the
        // React starter +0.18 %), while counting the letters took a seventh of minifying.
        mangle: Some(MangleOptions { top_level: Some(cjs), disable_char_freq: true, ..MangleOptions::default() }),
        ..MinifyOptions::default()
    }
}

/// Drops `export` from declarations nobody imports (so the compressor may remove them) and
/// removes re-export statements (the linker already followed them).
pub(super) fn strip_unused_exports(module: &mut Module, used: &FxHashSet<Id>) {
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
/// collected. A module loaded from the build cache (no tree) is parsed here if its minified
/// form is not cached; that parse fails only if kiln has a bug.
pub fn prepare(ctx: &JsCtx, modules: &[JsModule], m: ModuleId, ast: Option<Module>, linked: &Linked) -> Result<Prepared, Diagnostic> {
    let module = &modules[m];
    let cjs = module.kind == ModuleKind::Cjs;
    let global = SyntaxContext::empty().apply_mark(ctx.unresolved_mark);
    let decided = decide_imports(modules, m, linked);
    let options = ctx.options.js.minify.then(|| minify_options_for(ctx, module, cjs));
    let frame = module.file.as_ref().map(|f| minify_cache::Frame {
        start: f.start_pos.0,
        end: f.end_pos.0,
        unresolved: global,
        top_level: SyntaxContext::empty().apply_mark(module.top_level_mark),
    });
    // Only a module whose load entry was kept has a key (so only with the cache on).
    let key = match (&options, &frame, &module.load_key) {
        (Some(_), Some(_), Some(load)) => {
            let decisions = decided.text(&module.contexts);
            // The minify options are made from the target and the flags (`minify_options_for`).
            let target = &ctx.options.js.target;
            decisions.and_then(|d| minify_cache::key(load, &d, &linked.used_locals[m], &module.contexts, target, [cjs, ctx.classic, module.generated]))
        }
        _ => None,
    };
    let cached = match (&key, &frame) {
        (Some(key), Some(frame)) => cached(ctx, key, frame),
        _ => None,
    };
    // KILN_CHECK_CACHE: a cached module is minified again, and must give its entry's bytes.
    let check = cached.is_some() && ctx.options.checks.check_cache;
    if let (Some((summary, stored, tree)), Some(key), false) = (cached, key, check) {
        return Ok(from_summary(ctx, summary, stored, tree, decided.registry, key));
    }
    let mut ast = match ast {
        Some(ast) => ast,
        None => parse_again(ctx, module)?,
    };
    decided.apply(&mut ast, global);
    let (registry, markers) = (decided.registry, decided.markers);
    if !cjs {
        strip_unused_exports(&mut ast, &linked.used_locals[m]);
        crate::stages::js::generate::shorthand::expand_top_level_shorthands(&mut ast);
    }
    if ctx.classic {
        ast.visit_mut_with(&mut ClassicMeta { global });
    }
    let (mut minify_key, mut pending) = (None, None);
    if let (Some(options), Some(frame)) = (options, &frame) {
        let (tree, store) = minify_fresh(ctx, module, ast, &options, frame, key.is_some());
        (ast, minify_key, pending) = (tree, key, store);
    }
    if ctx.options.checks.trace_minify {
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
        markers: markers.iter().map(|&k| (k.text(), k)).collect(),
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
    let size = if ctx.options.js.min_chunk_size > 0 { print(&ctx.cm, &ast, ctx.options.js.minify).0.len() as u64 } else { 0 };
    let prepared = Prepared { ast, stored: None, top_decls, placeholder_refs, registry, reserved, assets, dynamic, entries, pure, size, minify_key };
    if let (Some(key), Some(pending)) = (minify_key, pending) {
        keep(ctx, &module.rel, &key, &prepared, pending, check)?;
    }
    Ok(prepared)
}

/// Keeps a module just minified in the build cache under `key`: its tree (`pending`) with what
/// naming needs of it, so the next build need not decode the tree. With `check`
/// (`KILN_CHECK_CACHE`), the cache's entry must be exactly that instead.
fn keep(ctx: &JsCtx, rel: &str, key: &[u8; 32], prepared: &Prepared, pending: Encoded, check: bool) -> Result<(), Diagnostic> {
    let (tree, contexts) = pending;
    let canonical = |id: &Id| contexts.get(&id.1).copied();
    let top: Option<Vec<(String, u32, u32)>> = prepared.top_decls.iter().map(|(id, n)| Some((id.0.to_string(), canonical(id)?, *n))).collect();
    let Some(top) = top else { return Ok(()) };
    let mut placeholders: Vec<(String, u32)> = prepared.placeholder_refs.iter().map(|(k, n)| (k.to_string(), *n)).collect();
    placeholders.sort_unstable();
    let mut reserved: Vec<String> = prepared.reserved.iter().map(ToString::to_string).collect();
    reserved.sort_unstable();
    let summary = minify_cache::Summary {
        top,
        placeholders,
        reserved,
        assets: prepared.assets.clone(),
        dynamic: prepared.dynamic.clone(),
        entries: prepared.entries.clone(),
        pure: prepared.pure,
    };
    let count = contexts.values().max().map_or(0, |&n| n as usize + 1);
    let entry = minify_cache::entry(count, &summary, &tree);
    if !check {
        ctx.cache.put(key, entry);
    } else if ctx.cache.get(key) != Some(&entry[..]) {
        return Err(Diagnostic::cache_differs("a minified module from the build cache differs from minifying it again").in_file(rel));
    }
    Ok(())
}

/// A cached module's [`Prepared`] from its summary, its tree left encoded unless `tree` was
/// decoded already (with `min_chunk_size`, which needs the printed size, or
/// `KILN_DEBUG_MINIFY`).
fn from_summary(
    ctx: &JsCtx,
    summary: minify_cache::Summary,
    stored: minify_cache::StoredTree,
    tree: Option<Module>,
    registry: Registry,
    key: [u8; 32],
) -> Prepared {
    let top_decls: Vec<(Id, u32)> = summary.top.into_iter().map(|(sym, c, n)| ((Atom::from(sym), stored.back[c as usize]), n)).collect();
    let size = match &tree {
        Some(ast) if ctx.options.js.min_chunk_size > 0 => print(&ctx.cm, ast, true).0.len() as u64,
        _ => 0,
    };
    Prepared {
        stored: tree.is_none().then_some(stored),
        ast: tree.unwrap_or_default(),
        top_decls,
        placeholder_refs: summary.placeholders.into_iter().map(|(k, n)| (Atom::from(k), n)).collect(),
        registry,
        reserved: summary.reserved.into_iter().map(Atom::from).collect(),
        assets: summary.assets,
        dynamic: summary.dynamic,
        entries: summary.entries,
        pure: summary.pure,
        size,
        minify_key: Some(key),
    }
}

/// The minifier's options for the module.
fn minify_options_for(ctx: &JsCtx, module: &JsModule, cjs: bool) -> MinifyOptions {
    let mut options = minify_options(cjs, output_version(&ctx.options.js.target));
    if module.generated {
        options.compress = None;
    }
    options
}

/// The module's minified form from the build cache: its summary and its tree, decoded now
/// only when it must be at once (see [`from_summary`]).
fn cached(ctx: &JsCtx, key: &[u8; 32], frame: &minify_cache::Frame) -> Option<(minify_cache::Summary, minify_cache::StoredTree, Option<Module>)> {
    let (summary, stored) = minify_cache::open(ctx.cache.get(key)?, frame)?;
    // A summary naming a context the entry lacks, or a tree that does not decode, never
    // comes from a sound entry: the module is minified again.
    if !summary.top.iter().all(|(_, c, _)| (*c as usize) < stored.back.len()) {
        return None;
    }
    let eager = ctx.options.js.min_chunk_size > 0 || ctx.options.checks.trace_minify;
    if !eager {
        return Some((summary, stored, None));
    }
    let tree = stored.decode()?;
    Some((summary, stored, Some(tree)))
}

/// The module parsed again: it was loaded from the build cache (see
/// [`crate::stages::js::scan::load_cache`]) and its minified form is not cached. Its top level has
/// the module's mark; the other contexts its analysis names (the transforms' fresh marks) are
/// given the module's, by their numbers in the entry.
fn parse_again(ctx: &JsCtx, module: &JsModule) -> Result<Module, Diagnostic> {
    let file = module.file.clone().expect("a module loaded from the cache has its file");
    let bug = "it was loaded before, when the build cache's entry was made; this is kiln's bug: build with --no-cache meanwhile, and report it";
    let mut warnings = Vec::new();
    let (analysis, parsed) = crate::stages::js::scan::graph::parse_module(ctx, &module.path, &module.rel, file, Some(module.top_level_mark), &mut warnings)
        .map_err(|diags| diags.into_iter().next().unwrap_or_else(|| Diagnostic::error("cannot parse it again").in_file(&module.rel)).with_note(bug))?;
    let mut frame = crate::stages::js::scan::load_cache::frame(ctx, &parsed.file, parsed.top_level_mark);
    let cjs = module.kind == ModuleKind::Cjs;
    let same = crate::stages::js::scan::load_cache::encode(&mut frame, &analysis, &parsed.comments, cjs, parsed.generated, &parsed.listings).is_some()
        && frame.contexts.len() == module.contexts.len();
    if !same {
        return Err(Diagnostic::error("parsed again, the module does not match its build cache entry").in_file(&module.rel).with_note(bug));
    }
    let mut ast = parsed.module;
    let map: FxHashMap<SyntaxContext, SyntaxContext> = frame.contexts.iter().copied().zip(module.contexts.iter().copied()).skip(3).collect();
    if !map.is_empty() {
        ast.visit_mut_with(&mut Recontext(&map));
    }
    Ok(ast)
}

/// Gives a tree's contexts others.
struct Recontext<'a>(&'a FxHashMap<SyntaxContext, SyntaxContext>);

impl VisitMut for Recontext<'_> {
    fn visit_mut_syntax_context(&mut self, c: &mut SyntaxContext) {
        if let Some(&to) = self.0.get(c) {
            *c = to;
        }
    }
}

/// A minified tree's stored form and the canonical number of each of its contexts.
type Encoded = (Vec<u8>, FxHashMap<SyntaxContext, u32>);

/// The module minified now: the tree, and (when `encode`: the cache is on) its stored form
/// and contexts, kept once the names are counted.
fn minify_fresh(ctx: &JsCtx, module: &JsModule, ast: Module, options: &MinifyOptions, frame: &minify_cache::Frame, encode: bool) -> (Module, Option<Encoded>) {
    let comments = module.comments.to_comments();
    let extra = ExtraOptions { unresolved_mark: ctx.unresolved_mark, top_level_mark: module.top_level_mark, mangle_name_cache: None };
    let mut minified = optimize(Program::Module(ast), ctx.cm.clone(), Some(&comments), None, options, &extra).expect_module();
    let stored = minify_cache::store(&mut minified, frame, encode);
    (minified, stored)
}

/// What the imports, `require()`s, `import()`s and asset URLs of a module become, decided from
/// the linker's bindings alone (the tree is not needed until they are applied), with what the
/// placeholder names and string markers written stand for.
struct Decided {
    registry: Registry,
    markers: Vec<Marker>,
    imports: FxHashMap<Id, Replacement>,
    ns_members: FxHashMap<(Id, Atom), Replacement>,
    requires: FxHashMap<String, Replacement>,
    dynamic: FxHashMap<String, Replacement>,
    split: FxHashMap<String, String>,
    urls: FxHashMap<String, String>,
}

impl Decided {
    /// Replaces them in the tree.
    fn apply(&self, ast: &mut Module, global: SyntaxContext) {
        ast.visit_mut_with(&mut ImportRewriter {
            imports: &self.imports,
            ns_members: &self.ns_members,
            requires: &self.requires,
            dynamic: &self.dynamic,
            split: &self.split,
            urls: &self.urls,
            ctxt: global,
        });
    }

    /// Everything applying them reads, as text in one order, the contexts by their numbers in
    /// the module's table (for the minify cache's key); `None` if a name's is not in it.
    fn text(&self, contexts: &[SyntaxContext]) -> Option<String> {
        let id = |id: &Id| minify_cache::canonical_id(contexts, id);
        let mut imports: Vec<String> = self.imports.iter().map(|(k, r)| Some(format!("{}\u{1}{r:?}", id(k)?))).collect::<Option<_>>()?;
        let mut ns: Vec<String> = self.ns_members.iter().map(|((k, a), r)| Some(format!("{}\u{1}{a}\u{1}{r:?}", id(k)?))).collect::<Option<_>>()?;
        imports.sort_unstable();
        ns.sort_unstable();
        fn sorted<V: std::fmt::Debug>(map: &FxHashMap<String, V>) -> Vec<(&String, &V)> {
            let mut list: Vec<_> = map.iter().collect();
            list.sort_unstable_by(|a, b| a.0.cmp(b.0));
            list
        }
        Some(format!("{imports:?}\0{ns:?}\0{:?}\0{:?}\0{:?}\0{:?}", sorted(&self.requires), sorted(&self.dynamic), sorted(&self.split), sorted(&self.urls)))
    }
}

/// What module `m`'s imports become (see [`Decided`]).
fn decide_imports(modules: &[JsModule], m: ModuleId, linked: &Linked) -> Decided {
    let module = &modules[m];
    let mut registry = Registry::default();
    let mut markers: Vec<Marker> = Vec::new();
    let mut with_key = |b: &Binding| {
        match b {
            Binding::AssetUrl(t) => markers.push(Marker::Asset(*t)),
            Binding::EntryUrl(w) => markers.push(Marker::Entry(*w)),
            _ => {}
        }
        if let Some(k) = binding_key(b) {
            registry.add(k);
        }
        placeholder(b)
    };
    let imports: FxHashMap<Id, Replacement> = linked.imports[m].iter().map(|(local, b)| (local.clone(), with_key(b))).collect();
    let ns_members: FxHashMap<(Id, Atom), Replacement> =
        linked.ns_members[m].iter().map(|(k, b)| (k.clone(), b.as_ref().map_or(Replacement::Undefined, &mut with_key))).collect();
    let (mut requires, mut dynamic, mut urls) = (FxHashMap::default(), FxHashMap::default(), FxHashMap::default());
    let mut split = FxHashMap::default();
    for (r, rec) in module.analysis.records.iter().enumerate() {
        if let Some(Resolved::Entry(w)) = module.resolved.get(r) {
            if matches!(rec.kind, ImportKind::AssetUrl | ImportKind::Worker { .. }) {
                markers.push(Marker::Entry(*w));
                urls.insert(rec.specifier.clone(), Marker::Entry(*w).text());
            }
            continue;
        }
        let Some(Resolved::Module(t)) = module.resolved.get(r) else { continue };
        match rec.kind {
            ImportKind::Require => {
                requires.insert(rec.specifier.clone(), module_value(modules, *t, false, &mut registry, &mut markers));
            }
            ImportKind::Dynamic if linked.dynamic_entries.binary_search(t).is_ok() => {
                markers.push(Marker::Dynamic(*t));
                split.insert(rec.specifier.clone(), Marker::Dynamic(*t).text());
            }
            ImportKind::Dynamic => {
                dynamic.insert(rec.specifier.clone(), module_value(modules, *t, true, &mut registry, &mut markers));
            }
            ImportKind::AssetUrl => {
                markers.push(Marker::Asset(*t));
                urls.insert(rec.specifier.clone(), Marker::Asset(*t).text());
            }
            _ => {}
        }
    }
    Decided { registry, markers, imports, ns_members, requires, dynamic, split, urls }
}

/// In a classic worker script: `import.meta.url` is the script's own URL, `self.location.href`
/// (the syntax `import.meta` does not parse outside modules).
pub(super) struct ClassicMeta {
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
            Expr::Member(MemberExpr { span: DUMMY_SP, obj: Box::new(obj), prop: MemberProp::Ident(IdentName::new(name.into(), DUMMY_SP)) })
        };
        member(member(Expr::Ident(Ident::new("self".into(), DUMMY_SP, self.global)), "location"), "href")
    }
}

/// A top-level item whose evaluation does nothing observable.
pub(super) fn is_pure_item(item: &ModuleItem) -> bool {
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

pub(super) struct Counter<'a> {
    index: FxHashMap<Id, usize>,
    top_decls: &'a mut Vec<(Id, u32)>,
    placeholder_refs: FxHashMap<Atom, u32>,
    /// The markers written into the module's strings, with what each stands for.
    markers: Vec<(String, Marker)>,
    reserved: FxHashSet<Atom>,
    assets: Vec<ModuleId>,
    dynamic: Vec<ModuleId>,
    entries: Vec<usize>,
}

impl Counter<'_> {
    /// The markers a string holds (the minifier may have joined or moved them).
    fn markers(&mut self, text: &str) {
        for (marker, what) in &self.markers {
            if text.contains(marker.as_str()) {
                match *what {
                    Marker::Asset(t) => self.assets.push(t),
                    Marker::Dynamic(t) => self.dynamic.push(t),
                    Marker::Entry(w) => self.entries.push(w),
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
