//! `useDefineForClassFields: false`: class fields as TypeScript compiled them before ES2022.
//!
//! A public field with an initializer becomes an assignment in the constructor (`this.x = v`,
//! after `super()`), a static one an assignment in a static block (where `this` is the class,
//! as in a static initializer); a field without an initializer is not emitted at all. With JS's
//! own (define) semantics a field is an own property of the instance that hides an accessor of
//! the prototype, which is exactly what legacy decorators such as Lit's `@property()` install:
//! shipped as-is, those properties stop reacting.
//!
//! Private fields (`#x`) stay declared, as JS requires, but their initializers move along with
//! the public ones, so every field is still initialized in the order it was written (`n = 5;
//! #d = this.n * 2` must see `n`). Left as they are: fields with decorators (the
//! standard-decorator pass after this one needs them), and fields with a computed key that is
//! not a literal (moving the key's evaluation into the constructor would run it once per
//! instance).

use swc_core::common::{util::take::Take, DUMMY_SP};
use swc_core::ecma::ast::*;
use swc_core::ecma::utils::constructor::inject_after_super;
use swc_core::ecma::utils::default_constructor_with_span;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

pub struct AssignFields;

/// `this.key` (or `this["key"]`).
fn this_member(key: PropName) -> Option<MemberExpr> {
    let prop = match key {
        PropName::Ident(i) => MemberProp::Ident(i),
        PropName::Str(s) => MemberProp::Computed(ComputedPropName { span: DUMMY_SP, expr: Box::new(Expr::Lit(Lit::Str(s))) }),
        PropName::Num(n) => MemberProp::Computed(ComputedPropName { span: DUMMY_SP, expr: Box::new(Expr::Lit(Lit::Num(n))) }),
        PropName::BigInt(b) => MemberProp::Computed(ComputedPropName { span: DUMMY_SP, expr: Box::new(Expr::Lit(Lit::BigInt(b))) }),
        PropName::Computed(c) if matches!(&*c.expr, Expr::Lit(Lit::Str(_) | Lit::Num(_))) => MemberProp::Computed(c),
        _ => return None,
    };
    Some(MemberExpr { span: DUMMY_SP, obj: Box::new(Expr::This(ThisExpr { span: DUMMY_SP })), prop })
}

fn assign(target: MemberExpr, value: Box<Expr>, span: swc_core::common::Span) -> Box<Expr> {
    Box::new(Expr::Assign(AssignExpr { span, op: AssignOp::Assign, left: AssignTarget::Simple(SimpleAssignTarget::Member(target)), right: value }))
}

impl VisitMut for AssignFields {
    fn visit_mut_class(&mut self, class: &mut Class) {
        class.visit_mut_children_with(self);
        let movable = |p: &ClassProp| !p.declare && !p.is_abstract && p.decorators.is_empty() && this_member(p.key.clone()).is_some();
        if !class.body.iter().any(|m| matches!(m, ClassMember::ClassProp(p) if movable(p))) {
            return;
        }
        let mut inits: Vec<Box<Expr>> = Vec::new();
        let mut members = Vec::with_capacity(class.body.len());
        for member in class.body.take() {
            match member {
                ClassMember::ClassProp(p) if movable(&p) => {
                    let Some(value) = p.value else { continue };
                    let target = this_member(p.key).expect("movable fields have a plain key");
                    let expr = assign(target, value, p.span);
                    if p.is_static {
                        members.push(ClassMember::StaticBlock(StaticBlock {
                            span: p.span,
                            body: BlockStmt { span: p.span, stmts: vec![Stmt::Expr(ExprStmt { span: p.span, expr })], ..Default::default() },
                        }));
                    } else {
                        inits.push(expr);
                    }
                }
                ClassMember::PrivateProp(mut p) if p.decorators.is_empty() && p.value.is_some() => {
                    let value = p.value.take().expect("checked");
                    let target =
                        MemberExpr { span: DUMMY_SP, obj: Box::new(Expr::This(ThisExpr { span: DUMMY_SP })), prop: MemberProp::PrivateName(p.key.clone()) };
                    let expr = assign(target, value, p.span);
                    let (span, is_static) = (p.span, p.is_static);
                    members.push(ClassMember::PrivateProp(p));
                    if is_static {
                        members.push(ClassMember::StaticBlock(StaticBlock {
                            span,
                            body: BlockStmt { span, stmts: vec![Stmt::Expr(ExprStmt { span, expr })], ..Default::default() },
                        }));
                    } else {
                        inits.push(expr);
                    }
                }
                other => members.push(other),
            }
        }
        if !inits.is_empty() {
            let at = members.iter().position(|m| matches!(m, ClassMember::Constructor(_)));
            match at {
                Some(i) => {
                    if let ClassMember::Constructor(c) = &mut members[i] {
                        inject_after_super(c, inits);
                    }
                }
                None => {
                    let mut c = default_constructor_with_span(class.super_class.is_some(), class.span);
                    inject_after_super(&mut c, inits);
                    members.insert(0, ClassMember::Constructor(c));
                }
            }
        }
        class.body = members;
    }
}
