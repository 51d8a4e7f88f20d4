//! `import.meta.env` and the other `import.meta` properties.

use swc_core::common::{Span, DUMMY_SP};
use swc_core::ecma::ast::*;

use crate::diagnostics::Diagnostic;
use crate::stages::js::scan::meta::build::{key_value, str_lit, undefined};
use crate::stages::js::scan::meta::Rewriter;
use crate::stages::js::types::locate;

impl Rewriter<'_> {
    /// `import.meta.env`: the whole object.
    pub(super) fn env_object(&self) -> Expr {
        let env = &self.ctx.options.env;
        let mut props = vec![
            key_value("BASE_URL", str_lit(&self.ctx.options.loader.base)),
            key_value("MODE", str_lit(&env.mode)),
            key_value("DEV", Expr::Lit(Lit::Bool(false.into()))),
            key_value("PROD", Expr::Lit(Lit::Bool(true.into()))),
            key_value("SSR", Expr::Lit(Lit::Bool(false.into()))),
        ];
        for (k, v) in &env.vars {
            props.push(key_value(k, str_lit(v)));
        }
        Expr::Object(ObjectLit { span: DUMMY_SP, props })
    }

    pub(super) fn env_value(&self, name: &str) -> Expr {
        let env = &self.ctx.options.env;
        match name {
            "BASE_URL" => str_lit(&self.ctx.options.loader.base),
            "MODE" => str_lit(&env.mode),
            "DEV" | "SSR" => Expr::Lit(Lit::Bool(false.into())),
            "PROD" => Expr::Lit(Lit::Bool(true.into())),
            _ => env.vars.iter().find(|(k, _)| k == name).map_or_else(undefined, |(_, v)| str_lit(v)),
        }
    }

    /// `import.meta.X` (not a call of `glob`): its replacement, `None` to keep it.
    pub(super) fn meta_property(&mut self, name: &str, span: Span) -> Option<Expr> {
        match name {
            "env" => Some(self.env_object()),
            "hot" | "webpackHot" | "vitest" => Some(undefined()),
            "url" | "resolve" => None,
            "glob" | "globEager" => {
                self.error(
                    span.lo,
                    Diagnostic::error(format!("import.meta.{name} must be called with string patterns"))
                        .with_note("write import.meta.glob('./dir/*.js'), or import.meta.glob('./dir/*.js', { eager: true })"),
                );
                None
            }
            other => {
                let d = Diagnostic::error(format!("import.meta.{other} is not something kiln knows: in a browser it would be undefined"))
                    .with_note("kiln provides import.meta.url, import.meta.resolve, import.meta.env and import.meta.glob");
                if self.path.components().any(|c| c.as_os_str() == "node_modules") {
                    // A package's code, usually behind a check for the platform: left as it is.
                    let d = Diagnostic::warning(format!("import.meta.{other} is undefined in a browser; left as it is in this package"));
                    self.warnings.push(locate(self.file, self.rel, span.lo, d));
                } else {
                    self.error(span.lo, d);
                }
                None
            }
        }
    }
}
