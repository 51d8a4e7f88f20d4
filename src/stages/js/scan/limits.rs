//! How deep a module's syntax may nest.
//!
//! swc's passes (the resolver, the transforms, the minifier, the printer) walk the tree by
//! recursion, so a deep enough input would overflow a thread's stack and abort the process with
//! no message. kiln runs its stages on threads with large stacks ([`crate::pipeline::STACK_SIZE`])
//! and refuses, with a located error, any module nested deeper than [`MAX_DEPTH`], a depth the
//! whole pipeline was measured to survive with room to spare (see `tests/integration/limits.rs`).
//! Real code nests a few dozen levels; generated code can reach thousands.
//!
//! The commonest deep input, a long chain of binary operators (`s + a + b + …`, 200,000 terms in
//! some generated files), is split before anything else walks it ([`split_long_chains`]): swc's
//! minifier also takes time that grows with the square of such a chain's length.

use swc_core::common::{BytePos, Spanned, SyntaxContext, DUMMY_SP};
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{Visit, VisitMut, VisitMutWith, VisitWith};

use crate::diagnostics::Diagnostic;

/// The deepest nesting of expressions and statements a module may have.
pub const MAX_DEPTH: usize = 10_000;

/// What one walk over a freshly parsed module learns.
#[derive(Debug, Default)]
pub struct Survey {
    /// Where the syntax first nests deeper than [`MAX_DEPTH`] (not counting chains of binary
    /// operators, which are split).
    pub too_deep: Option<BytePos>,
    /// A chain of binary operators longer than [`CHAIN_PART`]: to split.
    pub long_chain: bool,
    /// A decorator anywhere (most modules have none; the decorator passes are then skipped).
    pub decorators: bool,
}

struct Surveyor {
    depth: usize,
    survey: Survey,
}

impl Surveyor {
    fn enter(&mut self, span: swc_core::common::Span) -> bool {
        if self.survey.too_deep.is_some() {
            return false;
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.survey.too_deep = Some(span.lo);
            self.depth -= 1;
            return false;
        }
        true
    }
}

impl Visit for Surveyor {
    fn visit_expr(&mut self, e: &Expr) {
        if let Expr::Bin(_) = e {
            // A chain is walked along its spine without nesting deeper: it will be split.
            let mut length = 0;
            let mut cur = e;
            let mut rights = Vec::new();
            while let Expr::Bin(b) = cur {
                length += 1;
                rights.push(&*b.right);
                cur = &b.left;
            }
            if length > CHAIN_PART {
                self.survey.long_chain = true;
                if self.enter(e.span()) {
                    cur.visit_with(self);
                    for r in rights {
                        r.visit_with(self);
                    }
                    self.depth -= 1;
                }
                return;
            }
        }
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

    fn visit_decorator(&mut self, d: &Decorator) {
        self.survey.decorators = true;
        d.visit_children_with(self);
    }
}

/// Walks `program` once for [`Survey`].
pub fn survey(program: &Program) -> Survey {
    let mut s = Surveyor { depth: 0, survey: Survey::default() };
    program.visit_with(&mut s);
    s.survey
}

/// Bracket nesting the parser itself (also recursive) is never given: checked on the text,
/// before parsing, with a margin over [`MAX_DEPTH`] (the parser was measured to survive twice
/// this on a build thread's stack).
pub const MAX_BRACKETS: usize = 100_000;

/// Where `src` first nests brackets deeper than [`MAX_BRACKETS`]: a byte offset.
pub fn too_deep_text(src: &str) -> Option<usize> {
    crate::nesting::too_deep(src, MAX_BRACKETS, crate::nesting::Lang::Js)
}

pub fn too_deep_error(limit: usize) -> Diagnostic {
    Diagnostic::error(format!("this code nests more than {limit} levels deep, more than kiln can compile safely"))
        .with_note("split the expression (a long `a + b + …` chain, deeply nested literals) into smaller parts, or load the data as JSON")
}

/// Operations a chain keeps together; longer chains are split into parts this long.
const CHAIN_PART: usize = 500;

/// The temporary a split chain carries its value in.
const CHAIN_TEMP: &str = "__chain$";

/// Rewrites every left-nested chain of binary operators longer than [`CHAIN_PART`]
/// (`x0 + x1 + … + xn`, any operators) as `(t = x0 + … + x499, t = t + x500 + …, …, t)`, with `t`
/// a module-level variable. The same operations run on the same values in the same order, so
/// the result is the same; and `t` is always read (first operand of a part) before anything
/// else in the part runs, so a call inside the chain that runs another chain (recursion,
/// generators) cannot disturb it. Returns whether anything was split. Run before the resolver.
pub fn split_long_chains(program: &mut Program) -> bool {
    let mut s = Splitter { split: false };
    program.visit_mut_with(&mut s);
    if s.split {
        let decl = Stmt::Decl(Decl::Var(Box::new(VarDecl {
            kind: VarDeclKind::Var,
            decls: vec![VarDeclarator { span: DUMMY_SP, name: Pat::Ident(temp().into()), init: None, definite: false }],
            ..Default::default()
        })));
        // After the directive prologue (`"use strict"`), which must stay first.
        let directive = |s: &Stmt| matches!(s, Stmt::Expr(e) if matches!(&*e.expr, Expr::Lit(Lit::Str(_))));
        match program {
            Program::Module(m) => {
                let at = m.body.iter().take_while(|i| matches!(i, ModuleItem::Stmt(s) if directive(s))).count();
                m.body.insert(at, ModuleItem::Stmt(decl));
            }
            Program::Script(sc) => {
                let at = sc.body.iter().take_while(|s| directive(s)).count();
                sc.body.insert(at, decl);
            }
        }
    }
    s.split
}

fn temp() -> Ident {
    Ident::new(CHAIN_TEMP.into(), DUMMY_SP, SyntaxContext::empty())
}

struct Splitter {
    split: bool,
}

impl VisitMut for Splitter {
    fn visit_mut_expr(&mut self, e: &mut Expr) {
        let mut length = 0;
        let mut cur: &Expr = e;
        while let Expr::Bin(b) = cur {
            length += 1;
            cur = &b.left;
        }
        if length <= CHAIN_PART {
            e.visit_mut_children_with(self);
            return;
        }
        self.split = true;
        // The spine, top first, taken apart without recursion.
        let mut links: Vec<(BinaryOp, Box<Expr>, swc_core::common::Span)> = Vec::with_capacity(length);
        let mut bottom = std::mem::replace(e, Expr::Invalid(Invalid { span: DUMMY_SP }));
        while let Expr::Bin(b) = bottom {
            let BinExpr { span, op, left, right } = b;
            links.push((op, right, span));
            bottom = *left;
        }
        links.reverse();
        bottom.visit_mut_with(self);
        let assign = |value: Expr| -> Box<Expr> {
            Box::new(Expr::Assign(AssignExpr {
                span: DUMMY_SP,
                op: AssignOp::Assign,
                left: AssignTarget::Simple(SimpleAssignTarget::Ident(temp().into())),
                right: Box::new(value),
            }))
        };
        let mut parts: Vec<Box<Expr>> = Vec::with_capacity(links.len() / CHAIN_PART + 2);
        let mut acc = bottom;
        for (i, (op, mut right, span)) in links.into_iter().enumerate() {
            right.visit_mut_with(self);
            if i > 0 && i % CHAIN_PART == 0 {
                parts.push(assign(acc));
                acc = Expr::Ident(temp());
            }
            acc = Expr::Bin(BinExpr { span, op, left: Box::new(acc), right });
        }
        parts.push(assign(acc));
        parts.push(Box::new(Expr::Ident(temp())));
        *e = Expr::Paren(ParenExpr { span: DUMMY_SP, expr: Box::new(Expr::Seq(SeqExpr { span: DUMMY_SP, exprs: parts })) });
    }
}
