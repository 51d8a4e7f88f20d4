//! `import.meta.glob`: patterns expanded to the files they match.

use std::path::{Path, PathBuf};

use swc_core::common::{Mark, Spanned, SyntaxContext, DUMMY_SP};
use swc_core::ecma::ast::*;

use crate::diagnostics::Diagnostic;
use crate::stages::js::scan::meta::build::{arrow, call_member, dynamic_import_at, key_value, member};
use crate::stages::js::scan::meta::Rewriter;

/// Extensions a pattern without one may stand for (`` import(`./pages/${p}`) ``).
pub(super) const CODE_EXTENSIONS: &[&str] = &["ts", "tsx", "mts", "js", "jsx", "mjs", "json"];

/// One file a pattern matched: its key (as the pattern writes it) and the specifier that
/// imports it from the module.
pub(super) struct Match {
    pub(super) key: String,
    pub(super) spec: String,
}

/// Glob metacharacters in a literal part of a pattern.
pub(super) fn escape_glob(s: &str) -> String {
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
pub(super) fn relative_spec(from: &Path, to: &Path) -> String {
    let rel = crate::paths::relative_path(from, to).unwrap_or_else(|| to.display().to_string());
    if rel.starts_with("../") {
        rel
    } else {
        format!("./{rel}")
    }
}

/// A relative pattern with `.` and `..` segments resolved as far as they go (`./a/../b/*.js`
/// is `./b/*.js`; leading `..` stay).
pub(super) fn normalize_pattern(p: &str) -> String {
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
    if joined.starts_with("..") {
        joined
    } else {
        format!("./{joined}")
    }
}

/// A folder listing a module's pattern made: the patterns, and what they matched (or why
/// they could not be expanded) as text; a replayed build expands them again and compares.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Listing {
    pub patterns: Vec<String>,
    pub found: String,
}

impl Listing {
    fn of(patterns: &[String], result: &Result<Vec<Match>, String>) -> Listing {
        let found = match result {
            Ok(matches) => matches.iter().map(|m| format!("{}\n{}\n", m.key, m.spec)).collect(),
            Err(e) => format!("error: {e}"),
        };
        Listing { patterns: patterns.to_vec(), found }
    }

    /// Whether expanding the patterns again (for the module at `path` under `root`) finds
    /// the same files.
    pub fn holds(&self, root: &Path, path: &Path) -> bool {
        *self == Listing::of(&self.patterns, &expand(root, path, &self.patterns))
    }
}

impl Rewriter<'_> {
    /// [`expand`] for this module, recorded in its listings.
    pub(super) fn expand(&mut self, patterns: &[String]) -> Result<Vec<Match>, String> {
        let result = expand(&self.ctx.options.loader.root, self.path, patterns);
        self.listings.push(Listing::of(patterns, &result));
        result
    }
}

/// Files matching `patterns` (positive and `!negative` globs, written as the module at `path`
/// would import them: `./`, `../` or `/` for the project `root`), sorted by key.
fn expand(root: &Path, path: &Path, patterns: &[String]) -> Result<Vec<Match>, String> {
    let dir = path.parent().unwrap_or(root).to_path_buf();
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
            (root, r)
        } else if p.starts_with("./") || p.starts_with("../") {
            (dir.as_path(), p)
        } else {
            return Err(format!("{p:?}: a pattern must start with ./, ../ or / (the project root)"));
        };
        let normalized = normalize_pattern(rel);
        let written = if root_form && p.starts_with('/') { format!("/{}", normalized.trim_start_matches("./")) } else { normalized.clone() };
        wants_node_modules |= p.contains("node_modules");
        let glob = globset::GlobBuilder::new(&written).literal_separator(true).build().map_err(|e| format!("{p:?} is not a valid pattern: {e}"))?;
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
            if !entry.file_type().is_file() || entry.path() == path {
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

impl Rewriter<'_> {
    /// `import.meta.glob(...)`.
    pub(super) fn glob(&mut self, call: &CallExpr) -> Option<Expr> {
        let patterns = self.glob_patterns(call)?;
        let options = self.glob_options(call)?;
        let matches = match self.expand(&patterns) {
            Ok(m) => m,
            Err(e) => {
                self.error(call.span.lo, Diagnostic::error(format!("import.meta.glob: {e}")));
                return None;
            }
        };
        let g = self.globs;
        self.globs += 1;
        let mut props = Vec::new();
        for (i, m) in matches.iter().enumerate() {
            let spec = format!("{}{}", m.spec, options.query);
            let value = self.glob_entry(call, format!("__glob_{g}_{i}"), &spec, &options);
            props.push(key_value(&m.key, value));
        }
        Some(Expr::Object(ObjectLit { span: call.span, props }))
    }

    /// The patterns of a glob call: a string literal, an array of them, or a template without `${}`.
    fn glob_patterns(&mut self, call: &CallExpr) -> Option<Vec<String>> {
        let pos = call.span.lo;
        Some(match call.args.first().map(|a| &*a.expr) {
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
        })
    }

    /// The options of a glob call (its second argument).
    fn glob_options(&mut self, call: &CallExpr) -> Option<GlobOptions> {
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
                        query = query_object(q);
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
        Some(GlobOptions { eager, import_name, query })
    }

    /// The value of one match in the object a glob call becomes: the import itself (eager),
    /// or a function that loads it.
    fn glob_entry(&mut self, call: &CallExpr, local: String, spec: &str, options: &GlobOptions) -> Expr {
        let (eager, import_name) = (options.eager, &options.import_name);
        if eager {
            let local = Ident::new(local.into(), call.span, self.top_ctxt);
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
                src: Box::new(Str { span: call.span, value: spec.into(), raw: None }),
                type_only: false,
                with: None,
                phase: ImportPhase::Evaluation,
            })));
            Expr::Ident(local)
        } else {
            let load = match import_name.as_deref() {
                None | Some("*") => dynamic_import_at(spec, call.span),
                Some(name) => {
                    let m = Ident::new("m".into(), DUMMY_SP, SyntaxContext::empty().apply_mark(Mark::new()));
                    let pick = arrow(vec![Pat::Ident(m.clone().into())], member(Expr::Ident(m), name));
                    call_member(dynamic_import_at(spec, call.span), "then", vec![pick])
                }
            };
            arrow(Vec::new(), load)
        }
    }
}

/// What a glob call's options ask for.
struct GlobOptions {
    eager: bool,
    /// The export each match gives (`*`, or none: the namespace).
    import_name: Option<String>,
    /// Appended to each match's specifier (`?raw`).
    query: String,
}

/// A glob's `query` written as an object: `{ raw: true, w: 300 }` → `?raw&w=300`.
fn query_object(q: &ObjectLit) -> String {
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
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}
