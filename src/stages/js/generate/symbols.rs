//! The placeholder names that stand for bindings of other modules until a chunk's names are
//! chosen (`__kiln_l3_foo` for `foo` of module 3), and what each binding is replaced with.

use rustc_hash::FxHashMap;
use swc_core::atoms::Atom;
use swc_core::ecma::ast::*;

use crate::stages::js::generate::rewrite::{call, ident, Replacement};
use crate::stages::js::generate::runtime::HELPERS;
use crate::stages::js::link::Binding;
use crate::stages::js::scan::graph::{JsModule, ModuleId, ModuleKind};

/// A binding of the chunk to be, before its final name is chosen. Its placeholder name
/// ([`SymbolKey::name`]) stands for it in module code until then; what a name stands for is
/// recorded where the name is written (see [`Registry`]), never read back from the name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SymbolKey {
    /// The top-level binding `name` of a module, which other modules may import.
    Local(ModuleId, Atom),
    /// The `k`-th top-level declaration of a module that is not in its top-level context (the
    /// compressor hoisted it): named in the chunk, never imported.
    Private(ModuleId, usize),
    /// A module's namespace object.
    Namespace(ModuleId),
    /// A CommonJS module's wrapper (`require_x()`).
    Require(ModuleId),
    /// A CommonJS module's exports as an ES module sees them.
    Interop(ModuleId),
    /// A runtime helper, by index into `HELPERS`.
    Helper(usize),
    /// An external import, named by a hash of its specifier and imported name so every
    /// module importing the same thing shares it.
    External(String),
}

impl SymbolKey {
    pub fn external(spec: &str, imported: Option<&Atom>) -> SymbolKey {
        let key = format!("{spec}\0{}", imported.map_or("*", |a| a.as_str()));
        SymbolKey::External(blake3::hash(key.as_bytes()).to_hex()[..12].to_owned())
    }

    /// The placeholder name: chunk-independent, and a name no module uses.
    pub fn name(&self) -> Atom {
        match self {
            SymbolKey::Local(t, sym) => format!("__kiln_l{t}_{sym}"),
            SymbolKey::Private(m, k) => format!("__kiln_p{m}_{k}"),
            SymbolKey::Namespace(t) => format!("__kiln_ns{t}"),
            SymbolKey::Require(t) => format!("__kiln_rq{t}"),
            SymbolKey::Interop(t) => format!("__kiln_ix{t}"),
            SymbolKey::Helper(i) => format!("__kiln_h{i}"),
            SymbolKey::External(hash) => format!("__kiln_ex{hash}"),
        }
        .into()
    }

    /// The module whose chunk defines the binding, for bindings that exist once (a module's
    /// top-level bindings, namespace object and CommonJS wrapper); interop wrappers, helpers
    /// and externals are defined by every chunk that uses them.
    pub fn defined_by(&self) -> Option<ModuleId> {
        match self {
            SymbolKey::Local(t, _) | SymbolKey::Private(t, _) | SymbolKey::Namespace(t) | SymbolKey::Require(t) => Some(*t),
            SymbolKey::Interop(_) | SymbolKey::Helper(_) | SymbolKey::External(_) => None,
        }
    }

    /// The name it gets in readable output, before conflicts are resolved; `stem` gives a
    /// module's file stem as a name part.
    pub fn readable(&self, stem: impl Fn(ModuleId) -> String) -> String {
        match self {
            SymbolKey::Local(_, sym) => sym.to_string(),
            SymbolKey::Private(..) => "x".into(),
            SymbolKey::Namespace(t) => format!("{}_exports", stem(*t)),
            SymbolKey::Require(t) => format!("require_{}", stem(*t)),
            SymbolKey::Interop(t) => format!("import_{}", stem(*t)),
            SymbolKey::Helper(i) => HELPERS[*i].to_owned(),
            SymbolKey::External(_) => "external".into(),
        }
    }
}

/// What the placeholder names written into modules stand for.
#[derive(Debug, Default, Clone)]
pub struct Registry(pub FxHashMap<Atom, SymbolKey>);

impl Registry {
    pub fn add(&mut self, key: SymbolKey) -> Atom {
        let name = key.name();
        self.0.entry(name.clone()).or_insert(key);
        name
    }

    pub fn get(&self, name: &Atom) -> Option<&SymbolKey> {
        self.0.get(name)
    }
}

/// A URL or specifier written into a module as a string until its chunk knows it: the URL of
/// an asset module, the specifier of an `import()` of a lazy chunk, the URL of an extra
/// entry's (a worker's) chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Marker {
    Asset(ModuleId),
    Dynamic(ModuleId),
    Entry(usize),
}

impl Marker {
    pub fn text(self) -> String {
        match self {
            Marker::Asset(t) => format!("__kiln_as{t}__"),
            Marker::Dynamic(t) => format!("__kiln_dy{t}__"),
            Marker::Entry(w) => format!("__kiln_en{w}__"),
        }
    }
}

/// Placeholder names, chunk-independent, that stand for bindings of other modules until the
/// chunk's names are chosen.
pub(super) mod ph {
    use super::*;

    pub fn local(t: ModuleId, sym: &Atom) -> Atom {
        SymbolKey::Local(t, sym.clone()).name()
    }
    pub fn namespace(t: ModuleId) -> Atom {
        SymbolKey::Namespace(t).name()
    }
    pub fn interop(t: ModuleId) -> Atom {
        SymbolKey::Interop(t).name()
    }
    pub fn require(t: ModuleId) -> Atom {
        SymbolKey::Require(t).name()
    }
    pub fn helper(i: usize) -> Atom {
        SymbolKey::Helper(i).name()
    }
    pub fn external(spec: &str, imported: Option<&Atom>) -> Atom {
        SymbolKey::external(spec, imported).name()
    }
    pub fn is_placeholder(sym: &str) -> bool {
        sym.starts_with("__kiln_")
    }
}

/// What a binding is replaced with before minification.
pub(super) fn placeholder(b: &Binding) -> Replacement {
    match b {
        Binding::Local(t, id) => Replacement::Ident(ph::local(*t, &id.0)),
        Binding::Namespace(t) => Replacement::Ident(ph::namespace(*t)),
        Binding::CjsExport(t, name) => Replacement::Member(ph::interop(*t), name.clone()),
        Binding::CjsNamespace(t) => Replacement::Ident(ph::interop(*t)),
        Binding::AssetUrl(t) => Replacement::Str(Marker::Asset(*t).text()),
        Binding::External(spec, imported) => Replacement::Ident(ph::external(spec, imported.as_ref())),
        Binding::EntryUrl(w) => Replacement::Str(Marker::Entry(*w).text()),
    }
}

/// How a module is seen through `require()` (or, `dynamic`, through `import()`); what the
/// names and markers it writes stand for goes into `registry` and `markers`.
pub(super) fn module_value(modules: &[JsModule], t: ModuleId, dynamic: bool, registry: &mut Registry, markers: &mut Vec<Marker>) -> Replacement {
    match &modules[t].kind {
        ModuleKind::Cjs => {
            let req = call(&registry.add(SymbolKey::Require(t)), vec![]);
            Replacement::Expr(Box::new(if dynamic { call(&registry.add(SymbolKey::Helper(1)), vec![req]) } else { req }))
        }
        ModuleKind::Esm if dynamic => Replacement::Ident(registry.add(SymbolKey::Namespace(t))),
        ModuleKind::Esm => {
            let ns = registry.add(SymbolKey::Namespace(t));
            Replacement::Expr(Box::new(call(&registry.add(SymbolKey::Helper(2)), vec![Expr::Ident(ident(&ns))])))
        }
        ModuleKind::Asset { .. } => {
            markers.push(Marker::Asset(t));
            Replacement::Str(Marker::Asset(t).text())
        }
    }
}

/// The placeholder name of a binding, if it has one.
pub(super) fn binding_key(b: &Binding) -> Option<SymbolKey> {
    match b {
        Binding::Local(t, id) => Some(SymbolKey::Local(*t, id.0.clone())),
        Binding::Namespace(t) => Some(SymbolKey::Namespace(*t)),
        Binding::CjsExport(t, _) | Binding::CjsNamespace(t) => Some(SymbolKey::Interop(*t)),
        Binding::External(spec, imported) => Some(SymbolKey::external(spec, imported.as_ref())),
        Binding::AssetUrl(_) | Binding::EntryUrl(_) => None,
    }
}
