//! Top-level destructuring shorthands written in full before minifying.

use swc_core::ecma::ast::*;

/// Writes the shorthand properties of top-level destructuring patterns in full (`const { a,
/// b = 1 } = o` as `const { a: a, b: b = 1 } = o`, the same bindings). swc's compressor
/// expands them itself, giving the new binding a context of its own, so that the binding
/// leaves the module's top level: the mangler renamed it, and other modules' imports of it
/// (monaco's `const { getWindow, … } = …`, vscode-uri's `const { URI, Utils } = LIB`) named
/// nothing.
pub(super) fn expand_top_level_shorthands(module: &mut Module) {
    fn expand(pat: &mut Pat) {
        match pat {
            Pat::Object(o) => {
                for prop in &mut o.props {
                    if let ObjectPatProp::Assign(a) = prop {
                        let key = PropName::Ident(IdentName::new(a.key.id.sym.clone(), a.key.id.span));
                        let binding = Pat::Ident(a.key.clone());
                        let value = match a.value.take() {
                            Some(default) => Pat::Assign(AssignPat { span: a.span, left: Box::new(binding), right: default }),
                            None => binding,
                        };
                        *prop = ObjectPatProp::KeyValue(KeyValuePatProp { key, value: Box::new(value) });
                    }
                    match prop {
                        ObjectPatProp::KeyValue(kv) => expand(&mut kv.value),
                        ObjectPatProp::Rest(r) => expand(&mut r.arg),
                        ObjectPatProp::Assign(_) => {}
                    }
                }
            }
            Pat::Array(a) => a.elems.iter_mut().flatten().for_each(expand),
            Pat::Assign(a) => expand(&mut a.left),
            Pat::Rest(r) => expand(&mut r.arg),
            _ => {}
        }
    }
    for item in &mut module.body {
        let var = match item {
            ModuleItem::Stmt(Stmt::Decl(Decl::Var(v))) => v,
            ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(ExportDecl { decl: Decl::Var(v), .. })) => v,
            _ => continue,
        };
        for d in &mut var.decls {
            expand(&mut d.name);
        }
    }
}
