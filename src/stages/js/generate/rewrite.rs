//! After a module is minified: its imports become direct references to the definitions
//! (`foo` → the final name of the binding it imports, `ns.foo` → that binding, a CommonJS
//! import → a property of the interop object), `require`/`import()`/`new URL` point at
//! bundled modules or emitted files, and import/export syntax is removed.

use rustc_hash::FxHashMap;
use swc_core::atoms::Atom;
use swc_core::common::{SyntaxContext, DUMMY_SP};
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

/// What an imported reference becomes.
#[derive(Debug, Clone)]
pub enum Replacement {
    Ident(Atom),
    /// `object.property` (CommonJS interop).
    Member(Atom, Atom),
    /// A string (an asset URL placeholder).
    Str(String),
    Undefined,
    /// An arbitrary expression, as JS source already printed (calls to runtime helpers).
    Expr(Box<Expr>),
}

pub fn ident(name: &Atom) -> Ident {
    Ident::new(name.clone(), DUMMY_SP, SyntaxContext::empty())
}

pub fn call(callee: &Atom, args: Vec<Expr>) -> Expr {
    Expr::Call(CallExpr {
        callee: Callee::Expr(Box::new(Expr::Ident(ident(callee)))),
        args: args.into_iter().map(|e| ExprOrSpread { spread: None, expr: Box::new(e) }).collect(),
        ..Default::default()
    })
}

impl Replacement {
    pub fn to_expr(&self) -> Expr {
        self.to_expr_in(SyntaxContext::empty())
    }

    pub fn to_expr_in(&self, ctxt: SyntaxContext) -> Expr {
        self.to_expr_at(ctxt, DUMMY_SP)
    }

    /// The expression, its name at `span` (the import it replaces: an error about the name
    /// then points there, and the source map maps it there).
    pub fn to_expr_at(&self, ctxt: SyntaxContext, span: swc_core::common::Span) -> Expr {
        match self {
            Replacement::Ident(a) => Expr::Ident(Ident::new(a.clone(), span, ctxt)),
            Replacement::Member(o, p) => {
                Expr::Member(MemberExpr { span: DUMMY_SP, obj: Box::new(Expr::Ident(Ident::new(o.clone(), span, ctxt))), prop: member_prop(p) })
            }
            Replacement::Str(s) => Expr::Lit(Lit::Str(Str { span: DUMMY_SP, value: s.as_str().into(), raw: None })),
            Replacement::Undefined => Expr::Unary(UnaryExpr {
                span: DUMMY_SP,
                op: UnaryOp::Void,
                arg: Box::new(Expr::Lit(Lit::Num(Number { span: DUMMY_SP, value: 0.0, raw: None }))),
            }),
            Replacement::Expr(e) => {
                let mut e = (**e).clone();
                e.visit_mut_with(&mut SetCtxt(ctxt));
                e
            }
        }
    }
}

/// Gives the names of a built expression a context.
struct SetCtxt(SyntaxContext);

impl VisitMut for SetCtxt {
    fn visit_mut_ident(&mut self, i: &mut Ident) {
        i.ctxt = self.0;
    }
}

fn member_prop(name: &Atom) -> MemberProp {
    let valid =
        name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$') && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$');
    if valid {
        MemberProp::Ident(IdentName::new(name.clone(), DUMMY_SP))
    } else {
        MemberProp::Computed(ComputedPropName {
            span: DUMMY_SP,
            expr: Box::new(Expr::Lit(Lit::Str(Str { span: DUMMY_SP, value: name.as_str().into(), raw: None }))),
        })
    }
}

pub struct ImportRewriter<'a> {
    pub imports: &'a FxHashMap<Id, Replacement>,
    pub ns_members: &'a FxHashMap<(Id, Atom), Replacement>,
    /// `require('x')` by specifier.
    pub requires: &'a FxHashMap<String, Replacement>,
    /// `import('x')` by specifier: the namespace expression the promise resolves to.
    pub dynamic: &'a FxHashMap<String, Replacement>,
    /// `import('x')` of a module with a chunk of its own, by specifier: the new specifier.
    pub split: &'a FxHashMap<String, String>,
    /// `new URL('x', import.meta.url)` by specifier: the URL placeholder.
    pub urls: &'a FxHashMap<String, String>,
    /// The context given to the names written in (the unresolved one, so the minifier treats
    /// them as globals).
    pub ctxt: SyntaxContext,
}

fn str_arg(args: &[ExprOrSpread]) -> Option<String> {
    match args.first().map(|a| &*a.expr) {
        Some(Expr::Lit(Lit::Str(s))) => Some(s.value.to_string_lossy().into_owned()),
        _ => None,
    }
}

impl ImportRewriter<'_> {
    /// Removes import and export syntax, keeping exported declarations as plain ones.
    pub fn strip_module_syntax(module: &mut Module) {
        let items = std::mem::take(&mut module.body);
        module.body = items
            .into_iter()
            .filter_map(|item| match item {
                ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)) => Some(ModuleItem::Stmt(Stmt::Decl(e.decl))),
                ModuleItem::ModuleDecl(_) => None,
                stmt => Some(stmt),
            })
            .collect();
    }

    fn replacement(&self, e: &Expr) -> Option<Expr> {
        match e {
            Expr::Ident(id) => self.imports.get(&id.to_id()).map(|r| r.to_expr_at(self.ctxt, id.span)),
            Expr::Member(m) => {
                let Expr::Ident(obj) = &*m.obj else { return None };
                let name: Atom = match &m.prop {
                    MemberProp::Ident(p) => p.sym.clone(),
                    MemberProp::Computed(c) => match &*c.expr {
                        Expr::Lit(Lit::Str(s)) => s.value.to_atom_lossy().into_owned(),
                        _ => return None,
                    },
                    MemberProp::PrivateName(_) => return None,
                };
                self.ns_members.get(&(obj.to_id(), name)).map(|r| r.to_expr_at(self.ctxt, obj.span))
            }
            _ => None,
        }
    }
}

impl VisitMut for ImportRewriter<'_> {
    fn visit_mut_expr(&mut self, e: &mut Expr) {
        if let Some(new) = self.replacement(e) {
            *e = new;
            return;
        }
        if let Expr::Call(c) = e {
            if let Callee::Import(_) = c.callee {
                if let Some(spec) = str_arg(&c.args).and_then(|s| self.split.get(&s)) {
                    *c.args[0].expr = Replacement::Str(spec.clone()).to_expr();
                    c.args.truncate(1);
                    return;
                }
                if let Some(target) = str_arg(&c.args).and_then(|s| self.dynamic.get(&s)) {
                    // Promise.resolve().then(() => namespace)
                    let resolve = Expr::Call(CallExpr {
                        callee: Callee::Expr(Box::new(Expr::Member(MemberExpr {
                            span: DUMMY_SP,
                            obj: Box::new(Expr::Ident(Ident::new("Promise".into(), DUMMY_SP, self.ctxt))),
                            prop: member_prop(&"resolve".into()),
                        }))),
                        ..Default::default()
                    });
                    let arrow =
                        Expr::Arrow(ArrowExpr { body: Box::new(ArrowFunctionBody::Expr(Box::new(target.to_expr_in(self.ctxt)))), ..Default::default() });
                    *e = Expr::Call(CallExpr {
                        callee: Callee::Expr(Box::new(Expr::Member(MemberExpr { span: DUMMY_SP, obj: Box::new(resolve), prop: member_prop(&"then".into()) }))),
                        args: vec![ExprOrSpread { spread: None, expr: Box::new(arrow) }],
                        ..Default::default()
                    });
                    return;
                }
            }
            if let Callee::Expr(callee) = &c.callee {
                if matches!(&**callee, Expr::Ident(i) if i.sym == *"require") && c.args.len() == 1 {
                    if let Some(target) = str_arg(&c.args).and_then(|s| self.requires.get(&s)) {
                        *e = target.to_expr_in(self.ctxt);
                        return;
                    }
                }
            }
        }
        if let Expr::New(n) = e {
            if let (Expr::Ident(callee), Some(args)) = (&*n.callee, &mut n.args) {
                if callee.sym == *"URL" && args.len() == 2 {
                    if let Some(url) = str_arg(args).and_then(|s| self.urls.get(&s)) {
                        *args[0].expr = Replacement::Str(url.clone()).to_expr();
                    }
                }
            }
        }
        e.visit_mut_children_with(self);
    }

    fn visit_mut_callee(&mut self, c: &mut Callee) {
        // `(0, obj.f)()` so an imported function is not called with the interop object as `this`.
        if let Callee::Expr(e) = c {
            if let Some(Expr::Member(m)) = self.replacement(e) {
                **e = Expr::Seq(SeqExpr {
                    span: DUMMY_SP,
                    exprs: vec![Box::new(Expr::Lit(Lit::Num(Number { span: DUMMY_SP, value: 0.0, raw: None }))), Box::new(Expr::Member(m))],
                });
                return;
            }
        }
        c.visit_mut_children_with(self);
    }

    fn visit_mut_prop(&mut self, p: &mut Prop) {
        if let Prop::Shorthand(id) = p {
            if let Some(r) = self.imports.get(&id.to_id()) {
                *p = Prop::KeyValue(KeyValueProp {
                    key: PropName::Ident(IdentName::new(id.sym.clone(), id.span)),
                    value: Box::new(r.to_expr_at(self.ctxt, id.span)),
                });
                return;
            }
        }
        p.visit_mut_children_with(self);
    }
}
