//! `import()` and `new URL()` of a template or concatenation: every file the pattern matches.

use swc_core::common::{BytePos, Mark, Spanned, SyntaxContext, DUMMY_SP};
use swc_core::ecma::ast::*;

use crate::diagnostics::Diagnostic;
use crate::stages::js::scan::meta::build::{arrow, call, dynamic_import_at, key_value, member, str_lit, undefined};
use crate::stages::js::scan::meta::glob::{escape_glob, Match, CODE_EXTENSIONS};
use crate::stages::js::scan::meta::Rewriter;

impl Rewriter<'_> {
    /// The glob pattern of a template (`` `./a/${x}.js` ``) or a `+` chain starting with a
    /// string, with the expression parts; `None` if `e` is neither.
    pub(super) fn pattern_of(e: &Expr) -> Option<(Vec<String>, usize)> {
        match e {
            Expr::Tpl(t) if !t.exprs.is_empty() => {
                let parts: Vec<String> = t.quasis.iter().map(|q| q.cooked.as_ref().map(|c| c.to_string_lossy().into_owned()).unwrap_or_default()).collect();
                Some((parts, t.exprs.len()))
            }
            Expr::Bin(b) if b.op == BinaryOp::Add => {
                // Flatten the left-leaning chain.
                let mut terms: Vec<&Expr> = Vec::new();
                let mut cur = e;
                while let Expr::Bin(b) = cur {
                    if b.op != BinaryOp::Add {
                        break;
                    }
                    terms.push(&b.right);
                    cur = &b.left;
                }
                terms.push(cur);
                terms.reverse();
                if !matches!(terms.first(), Some(Expr::Lit(Lit::Str(_)))) {
                    return None;
                }
                let mut parts = vec![String::new()];
                let mut holes = 0;
                for t in terms {
                    match t {
                        Expr::Lit(Lit::Str(s)) => parts.last_mut().expect("one part").push_str(&s.value.to_string_lossy()),
                        _ => {
                            holes += 1;
                            parts.push(String::new());
                        }
                    }
                }
                (holes > 0).then_some((parts, holes))
            }
            _ => None,
        }
    }

    /// Files a dynamic pattern can name, with the keys the runtime string takes for each.
    pub(super) fn expand_dynamic(&mut self, parts: &[String], pos: BytePos, what: &str) -> Option<Vec<Match>> {
        let first = parts.first().map(String::as_str).unwrap_or("");
        if !(first.starts_with("./") || first.starts_with("../") || first.starts_with('/')) {
            self.error(
                pos,
                Diagnostic::error(format!("kiln cannot expand this {what}: the path must start with ./, ../ or /"))
                    .with_note("to load a URL computed at run time as it is, mark the argument with /* @vite-ignore */"),
            );
            return None;
        }
        if parts.iter().skip(1).any(|p| p.contains('?')) || first.contains('?') {
            self.error(pos, Diagnostic::error(format!("kiln cannot expand this {what}: a query in the pattern is not supported")));
            return None;
        }
        let pattern: String = parts.iter().map(|p| escape_glob(p)).collect::<Vec<_>>().join("*");
        let last = parts.last().map(String::as_str).unwrap_or("");
        let file_part = last.rsplit('/').next().unwrap_or(last);
        let has_ext = file_part.contains('.');
        let (patterns, strip_ext): (Vec<String>, bool) =
            if has_ext { (vec![pattern.clone()], false) } else { (CODE_EXTENSIONS.iter().map(|e| format!("{pattern}.{e}")).collect(), true) };
        let mut matches = match self.expand(&patterns) {
            Ok(m) => m,
            Err(e) => {
                self.error(pos, Diagnostic::error(format!("kiln cannot expand this {what}: {e}")));
                return None;
            }
        };
        if matches.is_empty() {
            self.error(pos, Diagnostic::error(format!("no file matches the pattern {pattern:?} of this {what}")));
            return None;
        }
        if strip_ext {
            // The string may name the file with its extension or without it.
            let mut both = Vec::with_capacity(matches.len() * 2);
            for m in matches {
                if let Some((stem, _)) = m.key.rsplit_once('.') {
                    both.push(Match { key: stem.to_owned(), spec: m.spec.clone() });
                }
                both.push(m);
            }
            both.sort_by(|a, b| a.key.cmp(&b.key));
            both.dedup_by(|a, b| a.key == b.key);
            matches = both;
        }
        Some(matches)
    }

    /// `` import(`./locales/${l}.js`) `` → a lookup among the matching files' `import()`s.
    pub(super) fn dynamic_pattern(&mut self, c: &mut CallExpr) -> Option<Expr> {
        let arg = c.args.first()?;
        let (parts, _) = Self::pattern_of(&arg.expr)?;
        let pos = arg.expr.span().lo;
        if self.ignored(pos) || self.ignored(c.span.lo) {
            return None;
        }
        if c.args.len() > 1 {
            self.error(pos, Diagnostic::error("kiln cannot expand an import() with a pattern and options"));
            return None;
        }
        let matches = self.expand_dynamic(&parts, pos, "import()")?;
        let props: Vec<PropOrSpread> = matches.iter().map(|m| key_value(&m.key, arrow(Vec::new(), dynamic_import_at(&m.spec, c.span)))).collect();
        let table = Expr::Object(ObjectLit { span: DUMMY_SP, props });
        let mark = Mark::new();
        let (m, k) = (
            Ident::new("m".into(), DUMMY_SP, SyntaxContext::empty().apply_mark(mark)),
            Ident::new("k".into(), DUMMY_SP, SyntaxContext::empty().apply_mark(mark)),
        );
        let lookup = Expr::Member(MemberExpr {
            span: DUMMY_SP,
            obj: Box::new(Expr::Ident(m.clone())),
            prop: MemberProp::Computed(ComputedPropName { span: DUMMY_SP, expr: Box::new(Expr::Ident(k.clone())) }),
        });
        let global = |name: &str| Expr::Ident(Ident::new(name.into(), DUMMY_SP, self.global));
        let error = Expr::New(NewExpr {
            callee: Box::new(global("Error")),
            args: Some(vec![ExprOrSpread {
                spread: None,
                expr: Box::new(Expr::Bin(BinExpr {
                    span: DUMMY_SP,
                    op: BinaryOp::Add,
                    left: Box::new(str_lit("Unknown variable dynamic import: ")),
                    right: Box::new(Expr::Ident(k.clone())),
                })),
            }]),
            ..Default::default()
        });
        let reject = call(member(global("Promise"), "reject"), vec![error]);
        let body = Expr::Cond(CondExpr { span: DUMMY_SP, test: Box::new(lookup.clone()), cons: Box::new(call(lookup, Vec::new())), alt: Box::new(reject) });
        let helper = Expr::Paren(ParenExpr { span: DUMMY_SP, expr: Box::new(arrow(vec![Pat::Ident(m.into()), Pat::Ident(k.into())], body)) });
        let arg = c.args.remove(0);
        Some(call(helper, vec![table, *arg.expr]))
    }

    /// `` new URL(`./img/${n}.png`, import.meta.url) `` → `new URL({…}[key], import.meta.url)`.
    pub(super) fn dynamic_url(&mut self, n: &mut NewExpr) {
        let Expr::Ident(callee) = &*n.callee else { return };
        let Some(args) = &mut n.args else { return };
        if callee.sym != *"URL" || args.len() != 2 {
            return;
        }
        if !crate::stages::js::scan::analyze::is_meta_url(&args[1].expr) {
            return;
        }
        let Some((parts, _)) = Self::pattern_of(&args[0].expr) else { return };
        let pos = args[0].expr.span().lo;
        if self.ignored(pos) {
            return;
        }
        let Some(matches) = self.expand_dynamic(&parts, pos, "new URL()") else { return };
        let g = self.globs;
        self.globs += 1;
        let mut props = Vec::new();
        for (i, m) in matches.iter().enumerate() {
            let local = Ident::new(format!("__glob_{g}_{i}").into(), DUMMY_SP, self.top_ctxt);
            self.imports.push(ModuleItem::ModuleDecl(ModuleDecl::Import(ImportDecl {
                span: DUMMY_SP,
                specifiers: vec![ImportSpecifier::Default(ImportDefaultSpecifier { span: DUMMY_SP, local: local.clone() })],
                src: Box::new(Str { span: n.span, value: format!("{}?url", m.spec).into(), raw: None }),
                type_only: false,
                with: None,
                phase: ImportPhase::Evaluation,
            })));
            props.push(key_value(&m.key, Expr::Ident(local)));
        }
        let table = Expr::Object(ObjectLit { span: DUMMY_SP, props });
        let key = std::mem::replace(&mut *args[0].expr, undefined());
        *args[0].expr = Expr::Member(MemberExpr {
            span: DUMMY_SP,
            obj: Box::new(table),
            prop: MemberProp::Computed(ComputedPropName { span: DUMMY_SP, expr: Box::new(key) }),
        });
    }
}
