//! Naming a chunk's symbols: how often each placeholder is used, what each stands for, the
//! symbols the chunk defines or imports from other chunks, and their final names (shortest
//! for the most used when minifying), avoiding every name a module keeps.

use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::atoms::Atom;
use swc_core::common::SyntaxContext;
use swc_core::ecma::ast::Id;

use crate::stages::js::generate::names::Namer;
use crate::stages::js::generate::prepare::Prepared;
use crate::stages::js::generate::runtime::HELPERS;
use crate::stages::js::generate::symbols::{binding_key, ph, Registry, SymbolKey};
use crate::stages::js::generate::types::{ChunkRender, Externals, Names, Symbol, Synthetic};
use crate::stages::js::link::Binding;
use crate::stages::js::scan::graph::ModuleId;

impl ChunkRender<'_> {
    /// How often each placeholder key is used in the chunk (keys the joined code names count
    /// too, as zero), and what each stands for: as its modules recorded, or its exports name.
    pub(super) fn placeholders(
        &self,
        prepared: &[Option<Prepared>],
        synthetic: &Synthetic,
        getters: &[(ModuleId, Vec<(Atom, Binding)>)],
    ) -> (FxHashMap<Atom, u32>, Registry) {
        let mut counts: FxHashMap<Atom, u32> = FxHashMap::default();
        let mut registry = Registry::default();
        for &m in self.job.order {
            if let Some(p) = &prepared[m] {
                for (sym, c) in &p.placeholder_refs {
                    *counts.entry(sym.clone()).or_default() += c;
                }
                registry.0.extend(p.registry.0.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        for (_, b) in self.job.exports.iter().flatten().chain(getters.iter().flat_map(|(_, g)| g.iter())) {
            if let Some(k) = binding_key(b) {
                counts.entry(registry.add(k)).or_insert(0);
            }
        }
        // The interop wrapper written before a module calls the CommonJS module's wrapper,
        // which may be defined by another chunk: registered, so that chunk exports it.
        for t in &synthetic.interop {
            counts.entry(registry.add(SymbolKey::Require(*t))).or_insert(0);
        }
        (counts, registry)
    }

    /// A module's file stem as a name part (`require_react`).
    pub(super) fn stem(&self, m: ModuleId) -> String {
        let s = self.modules[m].path.file_stem().and_then(|s| s.to_str()).unwrap_or("m");
        s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
    }

    /// Every symbol the chunk names, and the keys other chunks define (with their chunk).
    pub(super) fn symbols(
        &self,
        prepared: &[Option<Prepared>],
        synthetic: &Synthetic,
        externals: &Externals,
        getters: &[(ModuleId, Vec<(Atom, Binding)>)],
    ) -> (Vec<Symbol>, Vec<(Atom, usize)>) {
        let (modules, job) = (self.modules, self.job);
        let (counts, registry) = self.placeholders(prepared, synthetic, getters);
        let count = |sym: &Atom| counts.get(sym).copied().unwrap_or(0);
        let mut syms: Vec<Symbol> = Vec::new();
        for (i, &m) in job.order.iter().enumerate() {
            if let Some(p) = &prepared[m] {
                let top = SyntaxContext::empty().apply_mark(modules[m].top_level_mark);
                for (k, (id, c)) in p.top_decls.iter().enumerate() {
                    // Bindings other modules import are the ones in the module's top-level context.
                    let key = if id.1 == top { ph::local(m, &id.0) } else { SymbolKey::Private(m, k).name() };
                    syms.push((c + count(&key), i * 1_000_000 + k, key, id.0.to_string(), Some((m, id.clone()))));
                }
            }
        }
        let late = usize::MAX / 2;
        for (i, &m) in synthetic.ns_needed.iter().enumerate() {
            let key = ph::namespace(m);
            syms.push((count(&key) + 1, late + i, key, format!("{}_exports", self.stem(m)), None));
        }
        for (i, &m) in synthetic.cjs.iter().enumerate() {
            let key = ph::require(m);
            syms.push((count(&key) + 2, late + 100_000 + i, key, format!("require_{}", self.stem(m)), None));
        }
        for (i, &m) in synthetic.interop.iter().enumerate() {
            let key = ph::interop(m);
            syms.push((count(&key) + 1, late + 200_000 + i, key, format!("import_{}", self.stem(m)), None));
        }
        for (i, key) in externals.values().flatten().map(|(_, k)| k).enumerate() {
            syms.push((count(key) + 1, late + 400_000 + i, key.clone(), "external".into(), None));
        }
        for (i, h) in HELPERS.iter().enumerate() {
            if synthetic.helpers_used[i] {
                let key = ph::helper(i);
                syms.push((count(&key) + 1, late + 300_000 + i, key, (*h).to_owned(), None));
            }
        }
        // Keys other chunks define: imported under a local name.
        let here: FxHashSet<ModuleId> = job.order.iter().copied().collect();
        let owner = |key: &Atom| -> Option<(usize, &SymbolKey)> {
            let sym = registry.get(key)?;
            let t = sym.defined_by()?;
            if here.contains(&t) {
                return None;
            }
            job.chunk_of[t].filter(|&c| c != job.index).map(|c| (c, sym))
        };
        let mut foreign: Vec<(Atom, usize, &SymbolKey)> = counts.keys().filter_map(|k| owner(k).map(|(c, sym)| (k.clone(), c, sym))).collect();
        foreign.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        for (i, (key, _, sym)) in foreign.iter().enumerate() {
            syms.push((count(key), late + 500_000 + i, key.clone(), sym.readable(|t| self.stem(t)), None));
        }
        let foreign = foreign.into_iter().map(|(key, c, _)| (key, c)).collect();
        (syms, foreign)
    }

    /// Final names for the symbols, avoiding every name a module uses that is not renamed.
    pub(super) fn choose_names(&self, prepared: &[Option<Prepared>], mut syms: Vec<Symbol>) -> Names {
        let mut reserved: FxHashSet<Atom> = FxHashSet::default();
        for &m in self.job.order {
            if let Some(p) = &prepared[m] {
                reserved.extend(p.reserved.iter().cloned());
            }
        }
        for g in ["Object", "Promise", "Symbol", "exports", "module", "require", "document", "URL", "Error"] {
            reserved.insert(g.into());
        }
        if self.minify {
            syms.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        } else {
            syms.sort_by_key(|a| a.1);
        }
        let mut namer = Namer::new(reserved, self.minify);
        let mut names: FxHashMap<Atom, Atom> = FxHashMap::default();
        let mut own: FxHashMap<ModuleId, FxHashMap<Id, Atom>> = FxHashMap::default();
        for (_, _, key, original, binding) in &syms {
            let name = namer.name(original);
            if let Some((m, id)) = binding {
                own.entry(*m).or_default().insert(id.clone(), name.clone());
            }
            names.insert(key.clone(), name);
        }
        let helpers: [Atom; 4] = [0, 1, 2, 3].map(|i| names.get(&ph::helper(i)).cloned().unwrap_or_else(|| HELPERS[i].into()));
        Names { namer, names, own, helpers }
    }
}
