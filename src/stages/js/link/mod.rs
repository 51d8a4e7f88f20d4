//! Link: bind every import to the export that defines it (through re-export chains and
//! `export *`), decide which modules and exports are live (tree shaking at module and export
//! level; statements inside a module are left to the compressor), and order modules as ESM
//! evaluates them. Works on the analysis records only, never on ASTs.

pub mod chunks;

use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::atoms::Atom;
use swc_core::ecma::ast::Id;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::stages::js::scan::analyze::{ExportDef, ImportKind, NsUse};
use crate::stages::js::scan::graph::{JsModule, ModuleId, ModuleKind, Resolved};
use crate::stages::js::types::locate;

/// What a name refers to once imports are followed to their definitions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Binding {
    /// A top-level binding of an ES module.
    Local(ModuleId, Id),
    /// The namespace object of an ES module.
    Namespace(ModuleId),
    /// A property of a CommonJS module's exports (through the ESM interop object).
    CjsExport(ModuleId, Atom),
    /// The ESM view of a CommonJS module (`import * as x from './cjs'`).
    CjsNamespace(ModuleId),
    /// The URL of an imported asset.
    AssetUrl(ModuleId),
    /// Not bundled (a configured `external`, or a URL): the specifier and the name imported
    /// from it (`None`: the namespace).
    External(String, Option<Atom>),
    /// The URL of an extra entry's chunk (`import url from './w.ts?url'`).
    EntryUrl(usize),
}

pub struct Linked {
    /// Per module: the binding of each referenced import local.
    pub imports: Vec<FxHashMap<Id, Binding>>,
    /// Per module: for `ns.name` uses of namespace imports, the binding of each name.
    pub ns_members: Vec<FxHashMap<(Id, Atom), Option<Binding>>>,
    /// Modules in the output.
    pub included: Vec<bool>,
    /// Per module: its top-level bindings that something uses (exports not in here are dropped).
    pub used_locals: Vec<FxHashSet<Id>>,
    /// Modules whose namespace object is needed.
    pub needs_namespace: Vec<bool>,
    /// Per entry: its exports, sorted, with their bindings.
    pub entry_exports: Vec<Vec<(Atom, Binding)>>,
    /// With splitting: the ES modules loaded by `import()`, each the entry of a chunk, sorted.
    pub dynamic_entries: Vec<ModuleId>,
}

pub struct Linker<'a> {
    modules: &'a [JsModule],
}

impl<'a> Linker<'a> {
    pub fn new(modules: &'a [JsModule]) -> Self {
        Linker { modules }
    }

    fn specifier(&self, m: ModuleId, record: usize) -> String {
        self.modules[m].analysis.records[record].specifier.clone()
    }

    fn target(&self, m: ModuleId, record: usize) -> Option<ModuleId> {
        match self.modules[m].resolved.get(record) {
            Some(Resolved::Module(t)) => Some(*t),
            _ => None,
        }
    }

    /// What `name` (`None`: the namespace) of a record that names no module of this graph
    /// binds to: an extra entry's URL (its default export, the only one it has), or an external
    /// import. `None`: the entry has no such export.
    fn unbundled(&self, m: ModuleId, record: usize, name: Option<&Atom>) -> Option<Binding> {
        match self.modules[m].resolved.get(record) {
            Some(Resolved::Entry(w)) => name.is_some_and(|n| n == "default").then_some(Binding::EntryUrl(*w)),
            _ => Some(Binding::External(self.specifier(m, record), name.cloned())),
        }
    }

    /// Follows `name` exported by `m` to its definition. `None`: no such export (or ambiguous
    /// through `export *`).
    pub fn resolve_export(&self, m: ModuleId, name: &Atom, visited: &mut Vec<(ModuleId, Atom)>) -> Option<Binding> {
        if visited.iter().any(|(vm, vn)| *vm == m && vn == name) {
            return None;
        }
        visited.push((m, name.clone()));
        let module = &self.modules[m];
        match &module.kind {
            ModuleKind::Cjs => return Some(Binding::CjsExport(m, name.clone())),
            ModuleKind::Asset { .. } => return (name == "default").then_some(Binding::AssetUrl(m)),
            ModuleKind::Esm => {}
        }
        if let Some((_, def, _)) = module.analysis.exports.iter().find(|(n, _, _)| n == name) {
            return match def {
                ExportDef::Local(id) => Some(self.through_import(m, id, visited)),
                ExportDef::ReExport { record, name } => match self.target(m, *record) {
                    Some(t) => self.resolve_export(t, name, visited),
                    None => self.unbundled(m, *record, Some(name)),
                },
                ExportDef::NamespaceOf { record } => match self.target(m, *record) {
                    Some(t) => Some(self.namespace_of(t)),
                    None => self.unbundled(m, *record, None),
                },
            };
        }
        if name == "default" {
            return None;
        }
        let mut found: Option<Binding> = None;
        for &record in &module.analysis.star_exports {
            let Some(t) = self.target(m, record) else { continue };
            if matches!(self.modules[t].kind, ModuleKind::Cjs) {
                continue;
            }
            if let Some(b) = self.resolve_export(t, name, &mut visited.clone()) {
                match &found {
                    None => found = Some(b),
                    Some(f) if *f == b => {}
                    Some(_) => return None,
                }
            }
        }
        found
    }

    fn namespace_of(&self, m: ModuleId) -> Binding {
        match self.modules[m].kind {
            ModuleKind::Cjs => Binding::CjsNamespace(m),
            _ => Binding::Namespace(m),
        }
    }

    /// A local that is itself an import (`import {a} from 'x'; export {a}`) binds through.
    fn through_import(&self, m: ModuleId, id: &Id, visited: &mut Vec<(ModuleId, Atom)>) -> Binding {
        let module = &self.modules[m];
        if let Some(imp) = module.analysis.imports.iter().find(|i| i.local == *id) {
            let Some(t) = self.target(m, imp.record) else {
                return self
                    .unbundled(m, imp.record, imp.imported.as_ref())
                    .unwrap_or_else(|| Binding::External(self.specifier(m, imp.record), imp.imported.clone()));
            };
            return match &imp.imported {
                None => self.namespace_of(t),
                Some(name) => self.resolve_export(t, name, visited).unwrap_or_else(|| Binding::External(self.specifier(m, imp.record), Some(name.clone()))),
            };
        }
        Binding::Local(m, id.clone())
    }

    /// Every export name of `m` (own, then through `export *`), sorted, with its binding.
    pub fn export_names(&self, m: ModuleId) -> Vec<(Atom, Binding)> {
        let mut names: FxHashSet<Atom> = FxHashSet::default();
        let mut stack = vec![m];
        let mut seen = FxHashSet::default();
        while let Some(x) = stack.pop() {
            if !seen.insert(x) || !matches!(self.modules[x].kind, ModuleKind::Esm) {
                continue;
            }
            for (n, _, _) in &self.modules[x].analysis.exports {
                if x == m || n != "default" {
                    names.insert(n.clone());
                }
            }
            for &r in &self.modules[x].analysis.star_exports {
                if let Some(t) = self.target(x, r) {
                    stack.push(t);
                }
            }
        }
        let mut out: Vec<(Atom, Binding)> = names.into_iter().filter_map(|n| self.resolve_export(m, &n, &mut Vec::new()).map(|b| (n, b))).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    pub fn link(&self, entries: &[ModuleId], splitting: bool) -> Result<Linked, Diagnostics> {
        let n = self.modules.len();
        let mut linked = Linked {
            imports: vec![FxHashMap::default(); n],
            ns_members: vec![FxHashMap::default(); n],
            included: vec![false; n],
            used_locals: vec![FxHashSet::default(); n],
            needs_namespace: vec![false; n],
            entry_exports: Vec::new(),
            dynamic_entries: Vec::new(),
        };
        let diags = self.bind_imports(&mut linked);
        if diags.has_errors() {
            return Err(diags);
        }
        self.mark_live(entries, splitting, &mut linked);
        linked.dynamic_entries.sort_unstable();
        Ok(linked)
    }

    /// Binds every import (checking that each named export exists), in module order.
    fn bind_imports(&self, linked: &mut Linked) -> Diagnostics {
        let mut diags = Diagnostics::default();
        for (m, module) in self.modules.iter().enumerate() {
            for imp in &module.analysis.imports {
                let Some(t) = self.target(m, imp.record) else {
                    match self.unbundled(m, imp.record, imp.imported.as_ref()) {
                        Some(b) => {
                            linked.imports[m].insert(imp.local.clone(), b);
                        }
                        None => {
                            if let Some(file) = &module.file {
                                diags.push(locate(
                                    file,
                                    &module.rel,
                                    imp.span.lo,
                                    Diagnostic::error(format!(
                                        "{:?} gives the URL of a built script as its default export only",
                                        self.specifier(m, imp.record)
                                    )),
                                ));
                            }
                        }
                    }
                    continue;
                };
                let binding = match &imp.imported {
                    None => self.namespace_of(t),
                    Some(name) => match self.resolve_export(t, name, &mut Vec::new()) {
                        Some(b) => b,
                        None => {
                            if let Some(file) = &module.file {
                                diags.push(locate(
                                    file,
                                    &module.rel,
                                    imp.span.lo,
                                    Diagnostic::error(format!("no matching export in {:?} for import {:?}", self.modules[t].rel, name.as_str())),
                                ));
                            }
                            continue;
                        }
                    },
                };
                linked.imports[m].insert(imp.local.clone(), binding);
            }
            for (ns, usage) in &module.analysis.ns_use {
                if let (NsUse::Members(names), Some(Binding::Namespace(t))) = (usage, linked.imports[m].get(ns).cloned()) {
                    for name in names {
                        let b = self.resolve_export(t, name, &mut Vec::new());
                        linked.ns_members[m].insert((ns.clone(), name.clone()), b);
                    }
                }
            }
        }
        diags
    }

    /// Marks what is live, from the entries: the modules that must run and the bindings used.
    fn mark_live(&self, entries: &[ModuleId], splitting: bool, linked: &mut Linked) {
        let mut work: Vec<ModuleId> = Vec::new();
        let mut used: Vec<Binding> = Vec::new();
        for &e in entries {
            let exports = self.export_names(e);
            used.extend(exports.iter().map(|(_, b)| b.clone()));
            linked.entry_exports.push(exports);
            work.push(e);
        }
        loop {
            while let Some(m) = work.pop() {
                if linked.included[m] {
                    continue;
                }
                linked.included[m] = true;
                self.include(m, splitting, linked, &mut work, &mut used);
            }
            if used.is_empty() {
                break;
            }
            for b in std::mem::take(&mut used) {
                self.use_binding(b, linked, &mut work, &mut used);
            }
            if work.is_empty() && used.is_empty() {
                break;
            }
        }
    }

    /// Module `m` runs: the modules it must run first go on `work`, the bindings it uses on
    /// `used`. A module's own exports are bound by their users; its local uses of its own
    /// top-level bindings are the compressor's business.
    fn include(&self, m: ModuleId, splitting: bool, linked: &mut Linked, work: &mut Vec<ModuleId>, used: &mut Vec<Binding>) {
        let module = &self.modules[m];
        for (r, rec) in module.analysis.records.iter().enumerate() {
            let Some(t) = self.target(m, r) else { continue };
            let must_run = match rec.kind {
                ImportKind::Static | ImportKind::ReExport => !self.modules[t].side_effects_free,
                ImportKind::Dynamic if splitting && self.modules[t].kind == ModuleKind::Esm => {
                    // Its own chunk, whose exports are its module's.
                    if !linked.dynamic_entries.contains(&t) {
                        linked.dynamic_entries.push(t);
                        used.extend(self.export_names(t).into_iter().map(|(_, b)| b));
                    }
                    true
                }
                ImportKind::Require | ImportKind::Dynamic => {
                    used.push(self.namespace_of(t));
                    true
                }
                ImportKind::AssetUrl | ImportKind::Worker { .. } => true,
            };
            if must_run {
                work.push(t);
            }
        }
        for imp in &module.analysis.imports {
            if !module.analysis.referenced.contains(&imp.local) {
                continue;
            }
            let Some(b) = linked.imports[m].get(&imp.local) else { continue };
            match (b, module.analysis.ns_use.get(&imp.local)) {
                (Binding::Namespace(_), Some(NsUse::Members(_))) => {
                    for b in linked.ns_members[m].iter().filter(|((ns, _), _)| *ns == imp.local).filter_map(|(_, b)| b.clone()) {
                        used.push(b);
                    }
                }
                _ => used.push(b.clone()),
            }
        }
    }

    /// Binding `b` is used: its module runs, and a namespace object needs every export.
    fn use_binding(&self, b: Binding, linked: &mut Linked, work: &mut Vec<ModuleId>, used: &mut Vec<Binding>) {
        match b {
            Binding::Local(m, id) => {
                if linked.used_locals[m].insert(id) {
                    work.push(m);
                }
            }
            Binding::Namespace(m) => {
                work.push(m);
                if !linked.needs_namespace[m] {
                    linked.needs_namespace[m] = true;
                    used.extend(self.export_names(m).into_iter().map(|(_, b)| b));
                }
            }
            Binding::CjsExport(m, _) | Binding::CjsNamespace(m) | Binding::AssetUrl(m) => work.push(m),
            Binding::External(..) | Binding::EntryUrl(_) => {}
        }
    }
}
