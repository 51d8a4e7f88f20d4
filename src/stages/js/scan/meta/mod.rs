//! The forms apps migrating from Vite use, compiled away before a module is analyzed:
//!
//! - `import.meta.env` (`MODE`, `PROD`, `DEV`, `SSR`, `BASE_URL` and the public variables of
//!   [`crate::env_files`]) becomes an object literal, `import.meta.env.X` its value (or
//!   `undefined`), `import.meta.hot` `undefined`; `import.meta.url` and `import.meta.resolve`
//!   stay; any other `import.meta.X` is a located error (in a browser it would be `undefined`
//!   and the page would fail at run time).
//! - `import.meta.glob(patterns, { eager, import, query })` becomes an object whose keys are the
//!   matching files and whose values load them (lazily with `import()`, or eagerly through
//!   imports added at the top of the module).
//! - `` import(`./locales/${lang}.js`) `` (and `'./locales/' + lang + '.js'`) becomes a lookup
//!   in an object of `import()`s of every file the pattern matches, so each becomes a lazy
//!   chunk; `` new URL(`./img/${name}.png`, import.meta.url) `` likewise picks among the
//!   matching files' URLs. A pattern kiln cannot expand is a located error, unless the call
//!   carries a `/* @vite-ignore */` (or `/* kiln-ignore */`) comment.
//!
//! What the rewritten code imports is plain `import`/`import()` syntax with string literals, so
//! the analysis after this sees every file as an ordinary import record.

use std::path::Path;

use swc_core::common::comments::{Comments, SingleThreadedComments};
use swc_core::common::{BytePos, Mark, SourceFile, Spanned, SyntaxContext};
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

mod build;
mod dynamic;
mod env;
mod glob;

pub use glob::Listing;

use crate::diagnostics::Diagnostic;
use crate::stages::js::types::locate;
use crate::stages::js::types::JsCtx;
use build::*;

struct Rewriter<'a> {
    ctx: &'a JsCtx<'a>,
    path: &'a Path,
    file: &'a SourceFile,
    rel: &'a str,
    comments: &'a SingleThreadedComments,
    top_ctxt: SyntaxContext,
    global: SyntaxContext,
    /// Imports to add at the top of the module (eager globs).
    imports: Vec<ModuleItem>,
    globs: usize,
    /// The folder listings its globs and `import()` patterns made: the module depends on
    /// which files exist.
    listings: Vec<Listing>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

/// What rewriting a module found: its warnings, and the folder listings it made.
#[derive(Default)]
pub struct Rewritten {
    pub warnings: Vec<Diagnostic>,
    pub listings: Vec<Listing>,
}

/// Rewrites the forms above in `program`; returns the warnings, or the errors.
pub fn rewrite(
    ctx: &JsCtx,
    path: &Path,
    rel: &str,
    file: &SourceFile,
    comments: &SingleThreadedComments,
    top_level_mark: Mark,
    program: &mut Program,
) -> Result<Rewritten, Vec<Diagnostic>> {
    // Most modules hold none of these forms: no walk for them.
    let src = &file.src;
    let has = |needle: &&str| memchr::memmem::find(src.as_bytes(), needle.as_bytes()).is_some();
    if !["import.meta", "import(", "import (", "new URL"].iter().any(has) {
        return Ok(Rewritten::default());
    }
    let mut r = Rewriter {
        ctx,
        path,
        file,
        rel,
        comments,
        top_ctxt: SyntaxContext::empty().apply_mark(top_level_mark),
        global: SyntaxContext::empty().apply_mark(ctx.unresolved_mark),
        imports: Vec::new(),
        globs: 0,
        listings: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    program.visit_mut_with(&mut r);
    if !r.errors.is_empty() {
        return Err(r.errors);
    }
    if !r.imports.is_empty() {
        if let Program::Script(s) = program {
            let body = std::mem::take(&mut s.body).into_iter().map(ModuleItem::Stmt).collect();
            *program = Program::Module(Module { span: s.span, body, shebang: s.shebang.take() });
        }
        if let Program::Module(m) = program {
            let mut body = std::mem::take(&mut r.imports);
            body.append(&mut m.body);
            m.body = body;
        }
    }
    Ok(Rewritten { warnings: r.warnings, listings: r.listings })
}

impl Rewriter<'_> {
    fn error(&mut self, pos: BytePos, d: Diagnostic) {
        self.errors.push(locate(self.file, self.rel, pos, d));
    }

    fn ignored(&self, pos: BytePos) -> bool {
        self.comments.get_leading(pos).is_some_and(|list| list.iter().any(|c| c.text.contains("@vite-ignore") || c.text.contains("kiln-ignore")))
    }
}

impl VisitMut for Rewriter<'_> {
    fn visit_mut_expr(&mut self, e: &mut Expr) {
        // `import.meta?.env` is `import.meta.env`: import.meta is never nullish.
        if let Expr::OptChain(o) = e {
            if let OptChainBase::Member(m) = &*o.base {
                if is_import_meta(&m.obj) {
                    *e = Expr::Member(m.clone());
                }
            }
        }
        match e {
            Expr::Member(m) => {
                // `import.meta.env.X`
                if let Expr::Member(inner) = &*m.obj {
                    if is_import_meta(&inner.obj) && prop_name(&inner.prop).as_deref() == Some("env") {
                        if let Some(name) = prop_name(&m.prop) {
                            *e = self.env_value(&name);
                            return;
                        }
                    }
                }
                if is_import_meta(&m.obj) {
                    if let Some(name) = prop_name(&m.prop) {
                        if let Some(new) = self.meta_property(&name, m.span) {
                            *e = new;
                        }
                    }
                    return;
                }
            }
            Expr::Call(c) => {
                if let Callee::Expr(callee) = &c.callee {
                    if let Expr::Member(m) = &**callee {
                        if is_import_meta(&m.obj) && matches!(prop_name(&m.prop).as_deref(), Some("glob")) {
                            let c = c.clone();
                            if let Some(new) = self.glob(&c) {
                                *e = new;
                            }
                            return;
                        }
                    }
                }
                if let Callee::Import(_) = c.callee {
                    literal_template(c.args.first_mut());
                    if let Some(new) = self.dynamic_pattern(c) {
                        *e = new;
                        e.visit_mut_children_with(self);
                        return;
                    }
                    if let Some(arg) = c.args.first() {
                        if !matches!(&*arg.expr, Expr::Lit(Lit::Str(_))) && Self::pattern_of(&arg.expr).is_none() && !self.ignored(arg.expr.span().lo) {
                            let pos = arg.expr.span().lo;
                            self.warnings.push(locate(
                                self.file,
                                self.rel,
                                pos,
                                Diagnostic::warning(
                                    "this import() is left as it is: its argument is computed at run time, so kiln cannot bundle what it loads",
                                )
                                .with_note("use a template like `./pages/${name}.js` to bundle every file it may name, or mark it /* @vite-ignore */"),
                            ));
                        }
                    }
                }
            }
            Expr::New(n) => {
                if matches!(&*n.callee, Expr::Ident(i) if i.sym == *"URL") {
                    literal_template(n.args.as_mut().and_then(|a| a.first_mut()));
                }
                self.dynamic_url(n)
            }
            _ => {}
        }
        e.visit_mut_children_with(self);
    }
}
