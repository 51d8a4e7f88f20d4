//! A chunk's unbound-name check (see [`crate::stages::js::generate::unbound`]): what its modules read
//! unbound against what it declares, imports, and what its sources read as globals.

use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::atoms::Atom;
use swc_core::common::BytePos;

use crate::diagnostics::Diagnostic;
use crate::stages::js::generate::prepare::Prepared;
use crate::stages::js::generate::types::{Bound, ChunkRender, Names};
use crate::stages::js::generate::unbound::{self, Scope, Unbound, BUG, NOWHERE};
use crate::stages::js::scan::graph::ModuleId;

impl ChunkRender<'_> {
    /// Checks that every name the chunk's code reads unbound is declared, imported, or a global
    /// its sources read; each one that is not becomes a problem. Returns the names the chunk
    /// declares at its top level. `own`: the code kiln wrote around the modules (runtime,
    /// namespace objects, the entry's exports).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn check_unbound(
        &self,
        prepared: &[Option<Prepared>],
        scopes: &[(ModuleId, Scope)],
        own: &str,
        bound: &Bound,
        names: &Names,
        entry_exports: &[(String, String)],
        problems: &mut Vec<Diagnostic>,
    ) -> FxHashSet<Atom> {
        let key = self.job.order.last().map_or_else(String::new, |&m| self.modules[m].rel.clone());
        let own_scope = match unbound::of_text(own) {
            Ok(s) => s,
            Err(e) => {
                problems.push(
                    Diagnostic::error(format!("internal error: the code kiln wrote around the modules does not parse ({})", e.kind().msg()))
                        .of_kind(crate::diagnostics::Kind::Internal)
                        .with_note(BUG)
                        .in_file(key.clone()),
                );
                Scope::default()
            }
        };
        let mut declared: FxHashSet<Atom> = scopes.iter().flat_map(|(_, s)| s.top.iter().cloned()).chain(own_scope.top.iter().cloned()).collect();
        declared.extend(bound.foreign.iter().filter_map(|(k, _)| names.get(k)));
        declared.extend(bound.externals.values().flatten().filter_map(|(_, k)| names.get(k)));
        // What a kiln name stands for, looked up only for a name that breaks the rule.
        let symbol = |name: &Atom| -> Option<String> {
            if names.helpers.contains(name) {
                return Some("a runtime helper".to_owned());
            }
            names.names.iter().find(|(_, n)| *n == name).map(|(k, _)| self.describe(k))
        };
        // Whether a module of the chunk reads the name (each name asked once).
        let mut known: FxHashMap<Atom, bool> = FxHashMap::default();
        let mut source_global = |name: &Atom| -> bool {
            *known.entry(name.clone()).or_insert_with(|| self.job.order.iter().any(|&m| prepared[m].as_ref().is_some_and(|p| p.reserved.contains(name))))
        };
        for (m, scope) in scopes {
            let found = unbound::check(scope.free.iter().map(|(n, _)| n), &declared, &mut source_global, symbol);
            for u in found {
                let name = match &u {
                    Unbound::Symbol(n, _) | Unbound::Unknown(n) => n,
                };
                let at = scope.free.iter().find(|(n, _)| n == name).map_or(NOWHERE, |(_, at)| *at);
                problems.push(self.located(*m, at, unbound_message(&u)));
            }
        }
        for u in unbound::check(own_scope.free.iter().map(|(n, _)| n), &declared, &mut source_global, symbol) {
            problems.push(
                Diagnostic::error(format!("{} (in the code kiln writes around the modules)", unbound_message(&u)))
                    .with_note(BUG)
                    .of_kind(crate::diagnostics::Kind::Internal)
                    .in_file(key.clone()),
            );
        }
        for (local, exported) in entry_exports {
            if !declared.contains(&Atom::from(local.as_str())) {
                problems.push(
                    Diagnostic::error(format!("internal error: the chunk exports `{exported}` as `{local}`, which nothing in it declares"))
                        .of_kind(crate::diagnostics::Kind::Internal)
                        .with_note(BUG)
                        .in_file(key.clone()),
                );
            }
        }
        declared
    }

    /// A problem at `at` (an offset into module `m`'s source), or in the module.
    fn located(&self, m: ModuleId, at: u32, message: String) -> Diagnostic {
        let module = &self.modules[m];
        let d = Diagnostic::error(message).with_note(BUG).of_kind(crate::diagnostics::Kind::Internal);
        match &module.file {
            Some(f) if at != NOWHERE => crate::stages::js::types::locate(f, &module.rel, BytePos(f.start_pos.0 + at), d),
            _ => d.in_file(&module.rel),
        }
    }

    /// What a placeholder key stands for, for an error message.
    fn describe(&self, key: &Atom) -> String {
        let rel = |digits: &str| digits.parse::<usize>().ok().and_then(|m| self.modules.get(m)).map_or("?", |m| m.rel.as_str()).to_owned();
        let k = key.as_str().strip_prefix("__kiln_").unwrap_or(key.as_str());
        if let Some(rest) = k.strip_prefix("rq") {
            format!("the CommonJS wrapper of {}", rel(rest))
        } else if let Some(rest) = k.strip_prefix("ix") {
            format!("the ES module view of the CommonJS module {}", rel(rest))
        } else if let Some(rest) = k.strip_prefix("ns") {
            format!("the namespace object of {}", rel(rest))
        } else if let Some((m, name)) = k.strip_prefix('l').and_then(|r| r.split_once('_')) {
            format!("`{name}` of {}", rel(m))
        } else if let Some((m, _)) = k.strip_prefix('p').and_then(|r| r.split_once('_')) {
            format!("a top-level binding of {}", rel(m))
        } else if k.starts_with("ex") {
            "an external import".to_owned()
        } else {
            "a runtime helper".to_owned()
        }
    }
}

fn unbound_message(u: &Unbound) -> String {
    match u {
        Unbound::Symbol(n, what) => format!("internal error: `{n}` ({what}) is read here, but nothing in its chunk declares or imports it"),
        Unbound::Unknown(n) => format!("internal error: `{n}` is read here, but nothing in its chunk declares it and no source module reads such a global"),
    }
}
