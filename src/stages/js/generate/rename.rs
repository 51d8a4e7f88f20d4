//! Renaming a prepared module to its chunk's final names.

use rustc_hash::FxHashMap;
use swc_core::atoms::Atom;
use swc_core::common::DUMMY_SP;
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

use crate::stages::js::generate::rewrite::call;
use crate::stages::js::generate::symbols::ph;
use crate::stages::js::generate::types::DynamicLoad;

/// After minification: placeholder and top-level names to final names, asset placeholders
/// to the chunk's URL placeholders. By name, not binding: safe because every new name is one
/// no module of the chunk uses.
pub(super) struct FinalNames<'a> {
    /// The module's own top-level bindings.
    pub(super) own: Option<&'a FxHashMap<Id, Atom>>,
    /// Placeholder names of the chunk.
    pub(super) names: &'a FxHashMap<Atom, Atom>,
    pub(super) assets: &'a FxHashMap<String, String>,
    /// `import()`s of split chunks, by their `__kiln_dy…` specifier.
    pub(super) dynamic: &'a FxHashMap<String, DynamicLoad>,
    /// The loader helper's name.
    pub(super) loader: &'a Atom,
}

impl FinalNames<'_> {
    fn get(&self, id: &Ident) -> Option<&Atom> {
        if ph::is_placeholder(&id.sym) {
            self.names.get(&id.sym)
        } else {
            self.own?.get(&id.to_id())
        }
    }
}

impl VisitMut for FinalNames<'_> {
    fn visit_mut_expr(&mut self, e: &mut Expr) {
        if let Expr::Call(c) = e {
            if let (Callee::Import(_), Some(Expr::Lit(Lit::Str(s)))) = (&c.callee, c.args.first().map(|a| &*a.expr)) {
                if let Some(load) = s.value.as_str().and_then(|v| self.dynamic.get(v)) {
                    let mut import = c.clone();
                    *import.args[0].expr = Expr::Lit(Lit::Str(Str { span: s.span, value: load.url.as_str().into(), raw: None }));
                    if load.css.is_empty() && load.js.is_empty() {
                        *c = import;
                        return;
                    }
                    let list = |items: &[String]| {
                        Expr::Array(ArrayLit {
                            span: DUMMY_SP,
                            elems: items.iter().map(|u| Some(ExprOrSpread { spread: None, expr: Box::new(Expr::Lit(Lit::Str(u.as_str().into()))) })).collect(),
                        })
                    };
                    let thunk = Expr::Arrow(ArrowExpr { body: Box::new(ArrowFunctionBody::Expr(Box::new(Expr::Call(import)))), ..Default::default() });
                    *e = call(self.loader, vec![thunk, list(&load.css), list(&load.js)]);
                    return;
                }
            }
        }
        e.visit_mut_children_with(self);
    }

    fn visit_mut_ident(&mut self, i: &mut Ident) {
        if let Some(n) = self.get(i) {
            i.sym = n.clone();
        }
    }

    fn visit_mut_prop(&mut self, p: &mut Prop) {
        if let Prop::Shorthand(id) = p {
            if let Some(n) = self.get(id) {
                *p = Prop::KeyValue(KeyValueProp {
                    key: PropName::Ident(IdentName::new(id.sym.clone(), id.span)),
                    value: Box::new(Expr::Ident(Ident::new(n.clone(), id.span, id.ctxt))),
                });
                return;
            }
        }
        p.visit_mut_children_with(self);
    }

    fn visit_mut_object_pat_prop(&mut self, p: &mut ObjectPatProp) {
        if let ObjectPatProp::Assign(a) = p {
            if let Some(n) = self.get(&a.key.id).cloned() {
                let mut value = Pat::Ident(BindingIdent { id: Ident::new(n.clone(), a.key.span, a.key.ctxt), type_ann: None });
                if let Some(default) = a.value.take() {
                    let mut default = default;
                    default.visit_mut_with(self);
                    value = Pat::Assign(AssignPat { span: a.span, left: Box::new(value), right: default });
                }
                *p = ObjectPatProp::KeyValue(KeyValuePatProp { key: PropName::Ident(IdentName::new(a.key.sym.clone(), a.key.span)), value: Box::new(value) });
                return;
            }
        }
        p.visit_mut_children_with(self);
    }

    fn visit_mut_str(&mut self, s: &mut Str) {
        let text = s.value.to_string_lossy();
        if text.contains("__kiln_as") || text.contains("__kiln_en") {
            let mut out = text.into_owned();
            for (from, to) in self.assets {
                if out.contains(from.as_str()) {
                    out = out.replace(from.as_str(), to);
                }
            }
            s.value = out.as_str().into();
            s.raw = None;
        }
    }

    fn visit_mut_tpl_element(&mut self, t: &mut TplElement) {
        if t.raw.contains("__kiln_as") || t.raw.contains("__kiln_en") {
            let mut raw = t.raw.to_string();
            for (from, to) in self.assets {
                raw = raw.replace(from.as_str(), to);
            }
            t.raw = raw.as_str().into();
            t.cooked = Some(raw.as_str().into());
        }
    }
}
