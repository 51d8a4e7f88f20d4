//! How deep a module's syntax may nest.
//!
//! swc's passes (the resolver, the transforms, the minifier, the printer) walk the tree by
//! recursion, so a deep enough input would overflow a thread's stack and abort the process with
//! no message. kiln runs its stages on threads with large stacks ([`crate::pipeline::STACK_SIZE`])
//! and refuses, with a located error, any module nested deeper than [`MAX_DEPTH`], a depth the
//! whole pipeline was measured to survive with room to spare (see `tests/integration/limits.rs`).
//! Real code nests a few dozen levels; generated code (long `a + b + …` chains, deeply nested
//! array literals) can reach thousands.

use swc_core::common::{BytePos, Spanned};
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{Visit, VisitWith};

use crate::diagnostics::Diagnostic;

/// The deepest nesting of expressions and statements a module may have.
pub const MAX_DEPTH: usize = 10_000;

struct Depth {
    depth: usize,
    /// Where the limit was first crossed.
    over: Option<BytePos>,
}

impl Depth {
    fn enter(&mut self, span: swc_core::common::Span) -> bool {
        if self.over.is_some() {
            return false;
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.over = Some(span.lo);
            self.depth -= 1;
            return false;
        }
        true
    }
}

impl Visit for Depth {
    fn visit_expr(&mut self, e: &Expr) {
        if self.enter(e.span()) {
            e.visit_children_with(self);
            self.depth -= 1;
        }
    }

    fn visit_stmt(&mut self, s: &Stmt) {
        if self.enter(s.span()) {
            s.visit_children_with(self);
            self.depth -= 1;
        }
    }

    fn visit_pat(&mut self, p: &Pat) {
        if self.enter(p.span()) {
            p.visit_children_with(self);
            self.depth -= 1;
        }
    }

    fn visit_ts_type(&mut self, t: &TsType) {
        if self.enter(t.span()) {
            t.visit_children_with(self);
            self.depth -= 1;
        }
    }
}

/// Where `program` first nests deeper than [`MAX_DEPTH`], if it does.
pub fn too_deep(program: &Program) -> Option<BytePos> {
    let mut d = Depth { depth: 0, over: None };
    program.visit_with(&mut d);
    d.over
}

pub fn too_deep_error() -> Diagnostic {
    Diagnostic::error(format!("this code nests more than {MAX_DEPTH} levels deep, more than kiln can compile safely"))
        .with_note("split the expression (a long `a + b + …` chain, deeply nested literals) into smaller parts, or load the data as JSON")
}
