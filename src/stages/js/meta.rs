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

use std::path::{Path, PathBuf};

use swc_core::atoms::Atom;
use swc_core::common::comments::{Comments, SingleThreadedComments};
use swc_core::common::{BytePos, Mark, SourceFile, Span, Spanned, SyntaxContext, DUMMY_SP};
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

use super::parse::locate;
use super::JsCtx;
use crate::diagnostics::Diagnostic;

/// Extensions a pattern without one may stand for (`` import(`./pages/${p}`) ``).
const CODE_EXTENSIONS: &[&str] = &["ts", "tsx", "mts", "js", "jsx", "mjs", "json"];

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
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
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
) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    // Most modules hold none of these forms: no walk for them.
    let src = &file.src;
    if !(src.contains("import.meta") || src.contains("import(") || src.contains("import (") || src.contains("new URL")) {
        return Ok(Vec::new());
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
    Ok(r.warnings)
}

fn str_lit(s: &str) -> Expr {
    Expr::Lit(Lit::Str(Str { span: DUMMY_SP, value: s.into(), raw: None }))
}

fn undefined() -> Expr {
    Expr::Unary(UnaryExpr {
        span: DUMMY_SP,
        op: UnaryOp::Void,
        arg: Box::new(Expr::Lit(Lit::Num(Number { span: DUMMY_SP, value: 0.0, raw: None }))),
    })
}

fn prop_name(p: &MemberProp) -> Option<Atom> {
    match p {
        MemberProp::Ident(i) => Some(i.sym.clone()),
        MemberProp::Computed(c) => match &*c.expr {
            Expr::Lit(Lit::Str(s)) => Some(s.value.to_atom_lossy().into_owned()),
            _ => None,
        },
        MemberProp::PrivateName(_) => None,
    }
}

fn is_import_meta(e: &Expr) -> bool {
    matches!(e, Expr::MetaProp(m) if m.kind == MetaPropKind::ImportMeta)
}

fn key_value(key: &str, value: Expr) -> PropOrSpread {
    PropOrSpread::Prop(Box::new(Prop::KeyValue(KeyValueProp {
        key: PropName::Str(Str { span: DUMMY_SP, value: key.into(), raw: None }),
        value: Box::new(value),
    })))
}

fn dynamic_import(spec: &str) -> Expr {
    Expr::Call(CallExpr {
        callee: Callee::Import(Import { span: DUMMY_SP, phase: ImportPhase::Evaluation }),
        args: vec![ExprOrSpread { spread: None, expr: Box::new(str_lit(spec)) }],
        ..Default::default()
    })
}

fn arrow(params: Vec<Pat>, body: Expr) -> Expr {
    Expr::Arrow(ArrowExpr {
        params,
        body: Box::new(ArrowFunctionBody::Expr(Box::new(body))),
        ..Default::default()
    })
}

fn member(obj: Expr, name: &str) -> Expr {
    Expr::Member(MemberExpr {
        span: DUMMY_SP,
        obj: Box::new(obj),
        prop: MemberProp::Computed(ComputedPropName { span: DUMMY_SP, expr: Box::new(str_lit(name)) }),
    })
}

fn call(callee: Expr, args: Vec<Expr>) -> Expr {
    Expr::Call(CallExpr {
        callee: Callee::Expr(Box::new(callee)),
        args: args.into_iter().map(|e| ExprOrSpread { spread: None, expr: Box::new(e) }).collect(),
        ..Default::default()
    })
}

/// One file a pattern matched: its key (as the pattern writes it) and the specifier that
/// imports it from the module.
struct Match {
    key: String,
    spec: String,
}

/// Glob metacharacters in a literal part of a pattern.
fn escape_glob(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}') {
            out.push('[');
            out.push(c);
            out.push(']');
        } else {
            out.push(c);
        }
    }
    out
}

/// A `./`-relative specifier from the folder `from` to the file `to`.
fn relative_spec(from: &Path, to: &Path) -> String {
    let rel = crate::paths::relative_path(from, to).unwrap_or_else(|| to.display().to_string());
    if rel.starts_with("../") {
        rel
    } else {
        format!("./{rel}")
    }
}

/// A relative pattern with `.` and `..` segments resolved as far as they go (`./a/../b/*.js`
/// is `./b/*.js`; leading `..` stay).
fn normalize_pattern(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "." | "" => {}
            ".." if out.last().is_some_and(|l| *l != "..") => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    let joined = out.join("/");
    if joined.starts_with("..") { joined } else { format!("./{joined}") }
}

impl Rewriter<'_> {
    fn error(&mut self, pos: BytePos, d: Diagnostic) {
        self.errors.push(locate(self.file, self.rel, pos, d));
    }

    fn ignored(&self, pos: BytePos) -> bool {
        self.comments
            .get_leading(pos)
            .is_some_and(|list| list.iter().any(|c| c.text.contains("@vite-ignore") || c.text.contains("kiln-ignore")))
    }

    /// Files matching `patterns` (positive and `!negative` globs, written as the module would
    /// import them: `./`, `../` or `/` for the root), sorted by key. `strip_ext`: the keys leave
    /// out the extension (a pattern that had none).
    fn expand(&self, patterns: &[String]) -> Result<Vec<Match>, String> {
        let dir = self.path.parent().unwrap_or(&self.ctx.config.root).to_path_buf();
        let root = &self.ctx.config.root;
        // Globs match paths written as the pattern writes them (`./pages/a.ts`, `../x/y.ts`,
        // `/src/a.ts`), never absolute ones, so the project's own path cannot act as a pattern.
        let mut positive = globset::GlobSetBuilder::new();
        let mut negative = globset::GlobSetBuilder::new();
        let mut bases: Vec<PathBuf> = Vec::new();
        let mut root_form = false;
        let mut wants_node_modules = false;
        for p in patterns {
            let (neg, p) = match p.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, p.as_str()),
            };
            let (anchor, rel) = if let Some(r) = p.strip_prefix('/') {
                root_form = true;
                (root.as_path(), r)
            } else if p.starts_with("./") || p.starts_with("../") {
                (dir.as_path(), p)
            } else {
                return Err(format!("{p:?}: a pattern must start with ./, ../ or / (the project root)"));
            };
            let normalized = normalize_pattern(rel);
            let written = if root_form && p.starts_with('/') { format!("/{}", normalized.trim_start_matches("./")) } else { normalized.clone() };
            wants_node_modules |= p.contains("node_modules");
            let glob = globset::GlobBuilder::new(&written)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("{p:?} is not a valid pattern: {e}"))?;
            if neg {
                negative.add(glob);
            } else {
                positive.add(glob);
                // Walk from the deepest folder without a glob character.
                let literal: Vec<&str> = normalized.split('/').take_while(|s| !s.contains(['*', '?', '[', '{'])).collect();
                let literal = if literal.len() == normalized.split('/').count() { &literal[..literal.len() - 1] } else { &literal[..] };
                bases.push(crate::paths::lexical(&anchor.join(literal.join("/"))));
            }
        }
        let positive = positive.build().map_err(|e| e.to_string())?;
        let negative = negative.build().map_err(|e| e.to_string())?;
        bases.sort();
        bases.dedup();
        let written_as = |f: &Path| -> String {
            if root_form {
                format!("/{}", crate::paths::display_path(f, root))
            } else {
                relative_spec(&dir, f)
            }
        };
        let mut files: Vec<PathBuf> = Vec::new();
        for base in &bases {
            let walker = walkdir::WalkDir::new(base).follow_links(true).sort_by_file_name().into_iter().filter_entry(|e| {
                let name = e.file_name().to_string_lossy();
                e.depth() == 0 || !(name.starts_with('.') || (!wants_node_modules && name == "node_modules"))
            });
            for entry in walker.flatten() {
                if !entry.file_type().is_file() || entry.path() == self.path {
                    continue;
                }
                let text = written_as(entry.path());
                if positive.is_match(&text) && !negative.is_match(&text) {
                    files.push(entry.path().to_path_buf());
                }
            }
        }
        files.sort();
        files.dedup();
        Ok(files
            .into_iter()
            .map(|f| {
                let spec = relative_spec(&dir, &f);
                let key = written_as(&f);
                Match { key, spec }
            })
            .collect())
    }

    /// `import.meta.env`: the whole object.
    fn env_object(&self) -> Expr {
        let env = &self.ctx.config.env;
        let mut props = vec![
            key_value("BASE_URL", str_lit(&self.ctx.config.base)),
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

    fn env_value(&self, name: &str) -> Expr {
        let env = &self.ctx.config.env;
        match name {
            "BASE_URL" => str_lit(&self.ctx.config.base),
            "MODE" => str_lit(&env.mode),
            "DEV" | "SSR" => Expr::Lit(Lit::Bool(false.into())),
            "PROD" => Expr::Lit(Lit::Bool(true.into())),
            _ => env.vars.iter().find(|(k, _)| k == name).map_or_else(undefined, |(_, v)| str_lit(v)),
        }
    }

    /// `import.meta.X` (not a call of `glob`): its replacement, `None` to keep it.
    fn meta_property(&mut self, name: &str, span: Span) -> Option<Expr> {
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

    /// `import.meta.glob(...)`.
    fn glob(&mut self, call: &CallExpr) -> Option<Expr> {
        let pos = call.span.lo;
        let patterns: Vec<String> = match call.args.first().map(|a| &*a.expr) {
            Some(Expr::Lit(Lit::Str(s))) => vec![s.value.to_string_lossy().into_owned()],
            Some(Expr::Array(a)) => {
                let mut out = Vec::new();
                for e in a.elems.iter().flatten() {
                    match &*e.expr {
                        Expr::Lit(Lit::Str(s)) => out.push(s.value.to_string_lossy().into_owned()),
                        _ => {
                            self.error(e.expr.span().lo, Diagnostic::error("import.meta.glob patterns must be string literals"));
                            return None;
                        }
                    }
                }
                out
            }
            Some(Expr::Tpl(t)) if t.exprs.is_empty() => {
                vec![t.quasis.iter().map(|q| q.cooked.as_ref().map(|c| c.to_string_lossy().into_owned()).unwrap_or_default()).collect()]
            }
            _ => {
                self.error(pos, Diagnostic::error("import.meta.glob needs a string literal pattern (or an array of them)"));
                return None;
            }
        };
        let mut eager = false;
        let mut import_name: Option<String> = None;
        let mut query = String::new();
        if let Some(opts) = call.args.get(1) {
            let Expr::Object(o) = &*opts.expr else {
                self.error(opts.expr.span().lo, Diagnostic::error("import.meta.glob options must be an object literal"));
                return None;
            };
            for p in &o.props {
                let PropOrSpread::Prop(p) = p else {
                    self.error(o.span.lo, Diagnostic::error("import.meta.glob options must be an object literal"));
                    return None;
                };
                let Prop::KeyValue(kv) = &**p else {
                    self.error(o.span.lo, Diagnostic::error("import.meta.glob options must be written as key: value"));
                    return None;
                };
                let key = match &kv.key {
                    PropName::Ident(i) => i.sym.to_string(),
                    PropName::Str(s) => s.value.to_string_lossy().into_owned(),
                    _ => String::new(),
                };
                let value = &*kv.value;
                let string = |v: &Expr| match v {
                    Expr::Lit(Lit::Str(s)) => Some(s.value.to_string_lossy().into_owned()),
                    _ => None,
                };
                match (key.as_str(), value) {
                    ("eager", Expr::Lit(Lit::Bool(b))) => eager = b.value,
                    ("import", v) if string(v).is_some() => import_name = string(v),
                    ("query", v) if string(v).is_some() => {
                        let q = string(v).unwrap_or_default();
                        query = if q.is_empty() || q.starts_with('?') { q } else { format!("?{q}") };
                    }
                    ("query", Expr::Object(q)) => {
                        let mut parts = Vec::new();
                        for p in &q.props {
                            if let PropOrSpread::Prop(p) = p {
                                if let Prop::KeyValue(kv) = &**p {
                                    let k = match &kv.key {
                                        PropName::Ident(i) => i.sym.to_string(),
                                        PropName::Str(s) => s.value.to_string_lossy().into_owned(),
                                        _ => continue,
                                    };
                                    match &*kv.value {
                                        Expr::Lit(Lit::Bool(b)) if b.value => parts.push(k),
                                        Expr::Lit(Lit::Str(s)) => parts.push(format!("{k}={}", s.value.to_string_lossy())),
                                        Expr::Lit(Lit::Num(n)) => parts.push(format!("{k}={}", n.value)),
                                        _ => {}
                                    }
                                }
                            }
                        }
                        query = if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) };
                    }
                    ("as", v) if string(v).is_some() => {
                        query = format!("?{}", string(v).unwrap_or_default());
                        import_name.get_or_insert_with(|| "default".into());
                    }
                    (other, _) => {
                        self.error(
                            kv.value.span().lo,
                            Diagnostic::error(format!("import.meta.glob option {other:?} is not supported here"))
                                .with_note("kiln reads eager (true/false), import (a name), query (a string or an object) and as"),
                        );
                        return None;
                    }
                }
            }
        }
        let matches = match self.expand(&patterns) {
            Ok(m) => m,
            Err(e) => {
                self.error(pos, Diagnostic::error(format!("import.meta.glob: {e}")));
                return None;
            }
        };
        let g = self.globs;
        self.globs += 1;
        let mut props = Vec::new();
        for (i, m) in matches.iter().enumerate() {
            let spec = format!("{}{query}", m.spec);
            let value = if eager {
                let local = Ident::new(format!("__glob_{g}_{i}").into(), call.span, self.top_ctxt);
                let specifier = match import_name.as_deref() {
                    None | Some("*") => ImportSpecifier::Namespace(ImportStarAsSpecifier { span: DUMMY_SP, local: local.clone() }),
                    Some(name) => ImportSpecifier::Named(ImportNamedSpecifier {
                        span: DUMMY_SP,
                        local: local.clone(),
                        imported: Some(ModuleExportName::Str(Str { span: DUMMY_SP, value: name.into(), raw: None })),
                        is_type_only: false,
                    }),
                };
                self.imports.push(ModuleItem::ModuleDecl(ModuleDecl::Import(ImportDecl {
                    span: DUMMY_SP,
                    specifiers: vec![specifier],
                    src: Box::new(Str { span: call.span, value: spec.as_str().into(), raw: None }),
                    type_only: false,
                    with: None,
                    phase: ImportPhase::Evaluation,
                })));
                Expr::Ident(local)
            } else {
                let load = match import_name.as_deref() {
                    None | Some("*") => dynamic_import_at(&spec, call.span),
                    Some(name) => {
                        let m = Ident::new("m".into(), DUMMY_SP, SyntaxContext::empty().apply_mark(Mark::new()));
                        let pick = arrow(vec![Pat::Ident(m.clone().into())], member(Expr::Ident(m), name));
                        call_member(dynamic_import_at(&spec, call.span), "then", vec![pick])
                    }
                };
                arrow(Vec::new(), load)
            };
            props.push(key_value(&m.key, value));
        }
        Some(Expr::Object(ObjectLit { span: call.span, props }))
    }

    /// The glob pattern of a template (`` `./a/${x}.js` ``) or a `+` chain starting with a
    /// string, with the expression parts; `None` if `e` is neither.
    fn pattern_of(e: &Expr) -> Option<(Vec<String>, usize)> {
        match e {
            Expr::Tpl(t) if !t.exprs.is_empty() => {
                let parts: Vec<String> =
                    t.quasis.iter().map(|q| q.cooked.as_ref().map(|c| c.to_string_lossy().into_owned()).unwrap_or_default()).collect();
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
    fn expand_dynamic(&mut self, parts: &[String], pos: BytePos, what: &str) -> Option<Vec<Match>> {
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
        let (patterns, strip_ext): (Vec<String>, bool) = if has_ext {
            (vec![pattern.clone()], false)
        } else {
            (CODE_EXTENSIONS.iter().map(|e| format!("{pattern}.{e}")).collect(), true)
        };
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
    fn dynamic_pattern(&mut self, c: &mut CallExpr) -> Option<Expr> {
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
        let props: Vec<PropOrSpread> =
            matches.iter().map(|m| key_value(&m.key, arrow(Vec::new(), dynamic_import_at(&m.spec, c.span)))).collect();
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
        let body = Expr::Cond(CondExpr {
            span: DUMMY_SP,
            test: Box::new(lookup.clone()),
            cons: Box::new(call(lookup, Vec::new())),
            alt: Box::new(reject),
        });
        let helper = Expr::Paren(ParenExpr {
            span: DUMMY_SP,
            expr: Box::new(arrow(vec![Pat::Ident(m.into()), Pat::Ident(k.into())], body)),
        });
        let arg = c.args.remove(0);
        Some(call(helper, vec![table, *arg.expr]))
    }

    /// `` new URL(`./img/${n}.png`, import.meta.url) `` → `new URL({…}[key], import.meta.url)`.
    fn dynamic_url(&mut self, n: &mut NewExpr) {
        let Expr::Ident(callee) = &*n.callee else { return };
        let Some(args) = &mut n.args else { return };
        if callee.sym != *"URL" || args.len() != 2 {
            return;
        }
        if !super::analyze::is_meta_url(&args[1].expr) {
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

/// `` `./a.js` `` (a template with no `${}`) as the string literal it is, so it is bundled like one.
fn literal_template(arg: Option<&mut ExprOrSpread>) {
    let Some(arg) = arg else { return };
    if let Expr::Tpl(t) = &*arg.expr {
        if t.exprs.is_empty() && t.quasis.len() == 1 {
            if let Some(cooked) = &t.quasis[0].cooked {
                *arg.expr = Expr::Lit(Lit::Str(Str { span: t.span, value: cooked.clone(), raw: None }));
            }
        }
    }
}

fn dynamic_import_at(spec: &str, span: Span) -> Expr {
    let mut e = dynamic_import(spec);
    if let Expr::Call(c) = &mut e {
        c.span = span;
        if let Expr::Lit(Lit::Str(s)) = &mut *c.args[0].expr {
            s.span = span;
        }
    }
    e
}

fn call_member(obj: Expr, method: &str, args: Vec<Expr>) -> Expr {
    call(
        Expr::Member(MemberExpr {
            span: DUMMY_SP,
            obj: Box::new(obj),
            prop: MemberProp::Ident(IdentName::new(method.into(), DUMMY_SP)),
        }),
        args,
    )
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
                                Diagnostic::warning("this import() is left as it is: its argument is computed at run time, so kiln cannot bundle what it loads")
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
