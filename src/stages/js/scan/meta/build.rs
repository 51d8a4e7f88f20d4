//! Small builders of the syntax the rewrites write.

use swc_core::atoms::Atom;
use swc_core::common::{Span, DUMMY_SP};
use swc_core::ecma::ast::*;

pub(super) fn str_lit(s: &str) -> Expr {
    Expr::Lit(Lit::Str(Str { span: DUMMY_SP, value: s.into(), raw: None }))
}

pub(super) fn undefined() -> Expr {
    Expr::Unary(UnaryExpr { span: DUMMY_SP, op: UnaryOp::Void, arg: Box::new(Expr::Lit(Lit::Num(Number { span: DUMMY_SP, value: 0.0, raw: None }))) })
}

pub(super) fn prop_name(p: &MemberProp) -> Option<Atom> {
    match p {
        MemberProp::Ident(i) => Some(i.sym.clone()),
        MemberProp::Computed(c) => match &*c.expr {
            Expr::Lit(Lit::Str(s)) => Some(s.value.to_atom_lossy().into_owned()),
            _ => None,
        },
        MemberProp::PrivateName(_) => None,
    }
}

pub(super) fn is_import_meta(e: &Expr) -> bool {
    matches!(e, Expr::MetaProp(m) if m.kind == MetaPropKind::ImportMeta)
}

pub(super) fn key_value(key: &str, value: Expr) -> PropOrSpread {
    PropOrSpread::Prop(Box::new(Prop::KeyValue(KeyValueProp {
        key: PropName::Str(Str { span: DUMMY_SP, value: key.into(), raw: None }),
        value: Box::new(value),
    })))
}

pub(super) fn dynamic_import(spec: &str) -> Expr {
    Expr::Call(CallExpr {
        callee: Callee::Import(Import { span: DUMMY_SP, phase: ImportPhase::Evaluation }),
        args: vec![ExprOrSpread { spread: None, expr: Box::new(str_lit(spec)) }],
        ..Default::default()
    })
}

pub(super) fn arrow(params: Vec<Pat>, body: Expr) -> Expr {
    Expr::Arrow(ArrowExpr { params, body: Box::new(ArrowFunctionBody::Expr(Box::new(body))), ..Default::default() })
}

pub(super) fn member(obj: Expr, name: &str) -> Expr {
    Expr::Member(MemberExpr {
        span: DUMMY_SP,
        obj: Box::new(obj),
        prop: MemberProp::Computed(ComputedPropName { span: DUMMY_SP, expr: Box::new(str_lit(name)) }),
    })
}

pub(super) fn call(callee: Expr, args: Vec<Expr>) -> Expr {
    Expr::Call(CallExpr {
        callee: Callee::Expr(Box::new(callee)),
        args: args.into_iter().map(|e| ExprOrSpread { spread: None, expr: Box::new(e) }).collect(),
        ..Default::default()
    })
}

pub(super) fn call_member(obj: Expr, method: &str, args: Vec<Expr>) -> Expr {
    call(Expr::Member(MemberExpr { span: DUMMY_SP, obj: Box::new(obj), prop: MemberProp::Ident(IdentName::new(method.into(), DUMMY_SP)) }), args)
}

pub(super) fn dynamic_import_at(spec: &str, span: Span) -> Expr {
    let mut e = dynamic_import(spec);
    if let Expr::Call(c) = &mut e {
        c.span = span;
        if let Expr::Lit(Lit::Str(s)) = &mut *c.args[0].expr {
            s.span = span;
        }
    }
    e
}

/// `` `./a.js` `` (a template with no `${}`) as the string literal it is, so it is bundled like one.
pub(super) fn literal_template(arg: Option<&mut ExprOrSpread>) {
    let Some(arg) = arg else { return };
    if let Expr::Tpl(t) = &*arg.expr {
        if t.exprs.is_empty() && t.quasis.len() == 1 {
            if let Some(cooked) = &t.quasis[0].cooked {
                *arg.expr = Expr::Lit(Lit::Str(Str { span: t.span, value: cooked.clone(), raw: None }));
            }
        }
    }
}
