//! The placeholder names that stand for bindings of other modules until a chunk's names are
//! chosen (`__kiln_l3_foo` for `foo` of module 3), and what each binding is replaced with.

use super::*;

/// Placeholder names, chunk-independent, that stand for bindings of other modules until the
/// chunk's names are chosen.
pub(super) mod ph {
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

/// What a binding is replaced with before minification.
pub(super) fn placeholder(b: &Binding) -> Replacement {
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
pub(super) fn module_value(modules: &[JsModule], t: ModuleId, dynamic: bool) -> Replacement {
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

/// The module a placeholder key belongs to, for keys defined by one module's chunk (its
/// top-level bindings, namespace object and CommonJS wrapper).
pub(super) fn key_module(key: &str) -> Option<ModuleId> {
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
pub(super) fn binding_key(b: &Binding) -> Option<Atom> {
    match b {
        Binding::Local(t, id) => Some(ph::local(*t, &id.0)),
        Binding::Namespace(t) => Some(ph::namespace(*t)),
        Binding::CjsExport(t, _) | Binding::CjsNamespace(t) => Some(ph::interop(*t)),
        Binding::External(spec, imported) => Some(ph::external(spec, imported.as_ref())),
        Binding::AssetUrl(_) | Binding::EntryUrl(_) => None,
    }
}
