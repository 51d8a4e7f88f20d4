//! The unbound-name invariant: every name a chunk reads that no scope in it declares must be a
//! global its sources read unbound (`window`, `Object`, a global another script defines). A
//! name kiln chose for one of the chunk's symbols (a module's binding, a CommonJS wrapper, an
//! interop object, a namespace) that nothing in the chunk declares or imports is a linking bug
//! which would otherwise ship as a `ReferenceError` at run time: the build stops with an
//! internal error naming the module and the place instead.
//!
//! The scopes are those of the code as printed, found by name exactly as a JS engine finds
//! them: each module's final tree has its syntax contexts cleared and is resolved again
//! (swc's resolver) just before it is printed, in parallel with the other modules, and the
//! chunk then matches what each module reads unbound with what the others declare at the top
//! level, its runtime declares, and its imports bind. Printed modules kept in the build cache
//! keep what this found of them.

use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::atoms::Atom;
use swc_core::common::{sync::Lrc, FileName, Mark, SourceMap, SyntaxContext};
use swc_core::ecma::ast::*;
use swc_core::ecma::parser::{parse_file_as_module, EsSyntax, Syntax};
use swc_core::ecma::transforms::base::resolver;
use swc_core::ecma::visit::{Visit, VisitMut, VisitMutWith, VisitWith};

/// The note of every error this check finds.
pub const BUG: &str = "this is a bug in kiln, which would have shipped as a ReferenceError; please report it with the input that caused it";

/// Where a module's code reads a name, as a byte offset into its source file (`u32::MAX`:
/// unknown, for code kiln wrote).
pub const NOWHERE: u32 = u32::MAX;

/// What one piece of a chunk (a module as printed, or the chunk's own runtime) declares at its
/// top level and reads without declaring.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Names declared at the top level, sorted.
    pub top: Vec<Atom>,
    /// Names read (or assigned) with no declaration in the piece, sorted, each with the first
    /// place it is read.
    pub free: Vec<(Atom, u32)>,
}

/// The scope of a final tree, which is resolved anew (only its syntax contexts change, which
/// printing does not read). `start`: where the module's source file starts, to turn positions
/// into offsets. Must run inside swc's `GLOBALS`.
pub fn of_module(module: &mut Module, start: Option<u32>, end: u32) -> Scope {
    module.visit_mut_with(&mut Clear);
    let (unresolved, top) = (Mark::new(), Mark::new());
    module.visit_mut_with(&mut resolver(unresolved, top, false));
    let mut c = Collect { unresolved, top, tops: FxHashSet::default(), free: FxHashMap::default() };
    module.visit_with(&mut c);
    let mut top: Vec<Atom> = c.tops.into_iter().collect();
    top.sort_unstable();
    let mut free: Vec<(Atom, u32)> = c
        .free
        .into_iter()
        .map(|(name, pos)| {
            let offset = match start {
                Some(s) if pos >= s && pos <= end => pos - s,
                _ => NOWHERE,
            };
            (name, offset)
        })
        .collect();
    free.sort_unstable();
    Scope { top, free }
}

/// The scope of code kiln wrote as text (a chunk's runtime, namespace objects and exports).
/// Must run inside swc's `GLOBALS`.
pub fn of_text(code: &str) -> Result<Scope, swc_core::ecma::parser::error::Error> {
    let cm: Lrc<SourceMap> = Default::default();
    let file = cm.new_source_file(Lrc::new(FileName::Anon), code.to_owned());
    let mut recovered = Vec::new();
    let mut module = parse_file_as_module(&file, Syntax::Es(EsSyntax::default()), EsVersion::latest(), None, &mut recovered)?;
    if let Some(e) = recovered.into_iter().next() {
        return Err(e);
    }
    Ok(of_module(&mut module, None, 0))
}

/// Clears every syntax context, so the resolver sees the tree as freshly parsed.
struct Clear;

impl VisitMut for Clear {
    fn visit_mut_syntax_context(&mut self, c: &mut SyntaxContext) {
        *c = SyntaxContext::empty();
    }
}

struct Collect {
    unresolved: Mark,
    top: Mark,
    tops: FxHashSet<Atom>,
    free: FxHashMap<Atom, u32>,
}

impl Visit for Collect {
    fn visit_ident(&mut self, i: &Ident) {
        let outer = i.ctxt.outer();
        if outer == self.top {
            self.tops.insert(i.sym.clone());
        } else if outer == self.unresolved {
            let pos = if i.span.lo.is_dummy() { u32::MAX } else { i.span.lo.0 };
            self.free.entry(i.sym.clone()).and_modify(|p| *p = (*p).min(pos)).or_insert(pos);
        }
    }
}

/// Globals kiln's own runtime reads (the CommonJS and interop helpers, the lazy-chunk loader,
/// namespace objects).
pub const RUNTIME_GLOBALS: [&str; 6] = ["Object", "Symbol", "Promise", "document", "URL", "Error"];

/// A name a chunk reads that nothing in it binds, and what it is.
#[derive(Debug, PartialEq, Eq)]
pub enum Unbound {
    /// A name kiln gave one of the chunk's symbols (with what the symbol is).
    Symbol(Atom, String),
    /// A name no source module reads and kiln's runtime does not use either.
    Unknown(Atom),
}

/// The chunk's rule: a name read in `free` must be declared (at some piece's top level, or by
/// an import), or be a global its sources read (`source_global`: a name some module of the
/// chunk reads that is not one of the chunk's symbols; kiln never gives a symbol such a name)
/// or the runtime reads. `symbol`: what a name kiln gave one of the chunk's symbols stands for,
/// asked only for a name that breaks the rule.
pub fn check<'a>(
    free: impl IntoIterator<Item = &'a Atom>,
    declared: &FxHashSet<Atom>,
    source_global: &mut impl FnMut(&Atom) -> bool,
    symbol: impl Fn(&Atom) -> Option<String>,
) -> Vec<Unbound> {
    let mut out = Vec::new();
    for name in free {
        if declared.contains(name) || RUNTIME_GLOBALS.contains(&name.as_str()) || source_global(name) {
            continue;
        }
        out.push(match symbol(name) {
            Some(what) => Unbound::Symbol(name.clone(), what),
            None => Unbound::Unknown(name.clone()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::stages::js::generate::unbound::*;
    use swc_core::common::GLOBALS;

    fn scope(code: &str) -> Scope {
        GLOBALS.set(&Default::default(), || of_text(code).unwrap())
    }

    fn names(list: &[(Atom, u32)]) -> Vec<&str> {
        list.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn finds_what_a_piece_declares_and_reads_unbound() {
        let s = scope(
            "var a = b + 1; function f(x) { let y = x; return y + c + arguments.length; } class K {} \
             const { p, q: [r = d] , ...rest } = e; try {} catch (err) { err + g } label: for (;;) break label; \
             (function h() { h; })(); const o = { a, [k]: 1, m() { return this.z } }; typeof t;",
        );
        assert_eq!(s.top.iter().map(Atom::as_str).collect::<Vec<_>>(), ["K", "a", "f", "o", "p", "r", "rest"]);
        assert_eq!(names(&s.free), ["arguments", "b", "c", "d", "e", "g", "k", "t"]);
    }

    #[test]
    fn block_scopes_and_shadowing() {
        let s = scope("{ let a = 1; a; } a; for (let i = 0; i < 1; i++) {} i; var w = (a) => a + v;");
        assert_eq!(names(&s.free), ["a", "i", "v"]);
        assert_eq!(s.top.iter().map(Atom::as_str).collect::<Vec<_>>(), ["w"]);
    }

    #[test]
    fn the_rule() {
        let declared: FxHashSet<Atom> = ["a".into()].into_iter().collect();
        let symbols: FxHashMap<Atom, String> = [("b".into(), "the interop object of x.js".to_owned())].into_iter().collect();
        let sources: FxHashSet<Atom> = ["window".into()].into_iter().collect();
        let free: Vec<Atom> = ["a", "b", "window", "Object", "zz"].into_iter().map(Atom::from).collect();
        assert_eq!(
            check(&free, &declared, &mut |n| sources.contains(n), |n| symbols.get(n).cloned()),
            [Unbound::Symbol("b".into(), "the interop object of x.js".into()), Unbound::Unknown("zz".into())]
        );
    }
}
