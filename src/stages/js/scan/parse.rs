//! Read → parse → resolver marks → JSX → decorators → TypeScript strip → class fields →
//! `import.meta` forms → `define` → lowering for the target, once per module.
//!
//! Every module gets its own top-level mark, so top-level names of different modules stay
//! distinct bindings when the linker later puts them in one scope. Comments are dropped except
//! the annotations the compressor reads (`#__PURE__`, `#__NO_SIDE_EFFECTS__`), kept as plain
//! maps so a parsed module can move between threads.

use std::path::Path;

use rustc_hash::FxHashMap;
use swc_core::common::comments::{Comment, SingleThreadedComments};
use swc_core::common::{sync::Lrc, BytePos, FileName, Mark, SourceFile, Spanned, GLOBALS};
use swc_core::ecma::ast::{EsVersion, Expr, MetaPropKind, Module, ModuleItem, Program};
use swc_core::ecma::parser::{parse_file_as_expr, parse_file_as_program, EsSyntax, Syntax, TsSyntax};
use swc_core::ecma::transforms::base::resolver;
use swc_core::ecma::transforms::proposal;
use swc_core::ecma::transforms::react::{jsx, Options as JsxOptions, Runtime};
use swc_core::ecma::transforms::typescript::typescript;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

use crate::diagnostics::Diagnostic;
use crate::stages::js::types::{locate, JsCtx};

/// The comments kept for a module, as plain (sendable) maps.
#[derive(Debug, Default, Clone)]
pub struct KeptComments {
    pub leading: FxHashMap<BytePos, Vec<Comment>>,
    pub trailing: FxHashMap<BytePos, Vec<Comment>>,
}

impl KeptComments {
    pub fn to_comments(&self) -> SingleThreadedComments {
        use std::cell::RefCell;
        use std::rc::Rc;
        SingleThreadedComments::from_leading_and_trailing(Rc::new(RefCell::new(self.leading.clone())), Rc::new(RefCell::new(self.trailing.clone())))
    }

    fn keep(comments: SingleThreadedComments) -> Self {
        let (leading, trailing) = comments.take_all();
        let filter = |map: std::rc::Rc<std::cell::RefCell<FxHashMap<BytePos, Vec<Comment>>>>| {
            let mut map = map.take();
            map.retain(|_, list| {
                list.retain(|c| c.text.contains("__PURE__") || c.text.contains("__NO_SIDE_EFFECTS__") || is_legal(&c.text));
                !list.is_empty()
            });
            map
        };
        KeptComments { leading: filter(leading), trailing: filter(trailing) }
    }
}

/// A legal comment, as esbuild tells them: `/*! … */` or `//! …`, or one that says `@license`
/// or `@preserve`. They are kept for the end of the chunk (`js.legal_comments`).
pub fn is_legal(text: &str) -> bool {
    text.starts_with('!') || text.contains("@license") || text.contains("@preserve")
}

impl KeptComments {
    /// The legal comments, in source order, as written (`/*…*/` or `//…`).
    pub fn legal(&self) -> Vec<String> {
        let mut found: Vec<(BytePos, String)> = self
            .leading
            .iter()
            .chain(&self.trailing)
            .flat_map(|(_, list)| list.iter())
            .filter(|c| is_legal(&c.text))
            .map(|c| {
                let text = match c.kind {
                    swc_core::common::comments::CommentKind::Block => format!("/*{}*/", c.text),
                    swc_core::common::comments::CommentKind::Line => format!("//{}", c.text),
                };
                (c.span.lo, text)
            })
            .collect();
        found.sort();
        found.dedup();
        found.into_iter().map(|(_, t)| t).collect()
    }
}

pub struct Parsed {
    pub module: Module,
    pub comments: KeptComments,
    pub top_level_mark: Mark,
    pub file: Lrc<SourceFile>,
    /// The source had no `import`/`export` (a script: CommonJS or plain).
    pub is_script: bool,
    /// It held an operator chain long enough to be split (generated code): it is minified
    /// without the compressor, whose passes take time that grows with the square of such
    /// chains (and would join the parts again).
    pub generated: bool,
    /// The tsconfig options that applied (what a replayed build checks again).
    pub ts: crate::stages::js::scan::resolve::TsOptions,
    /// The folder listings its globs and `import()` patterns made.
    pub listings: Vec<crate::stages::js::scan::meta::Listing>,
}

fn syntax_for(path: &Path) -> Syntax {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        // A Vue component's module may be TypeScript (`lang="ts"`); one in JS parses as TS too.
        "ts" | "mts" | "cts" | "vue" => Syntax::Typescript(TsSyntax { tsx: false, decorators: true, ..Default::default() }),
        "tsx" => Syntax::Typescript(TsSyntax { tsx: true, decorators: true, ..Default::default() }),
        _ => Syntax::Es(EsSyntax {
            jsx: true,
            import_attributes: true,
            decorators: true,
            decorators_before_export: true,
            auto_accessors: true,
            explicit_resource_management: true,
            ..Default::default()
        }),
    }
}

/// The module's file in the build's source map.
pub fn source_file(ctx: &JsCtx, path: &Path, text: String) -> Lrc<SourceFile> {
    ctx.cm.new_source_file(Lrc::new(FileName::Real(path.to_path_buf())), text)
}

/// [`parse`] of a file already in the source map; with `top_level_mark`, the module's top
/// level gets that mark (a module loaded from the build cache, parsed when it must be).
pub fn parse_file(
    ctx: &JsCtx,
    path: &Path,
    rel: &str,
    file: Lrc<SourceFile>,
    top_level_mark: Option<Mark>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Parsed, Vec<Diagnostic>> {
    let ts = ctx
        .resolver
        .ts_options(ctx.options, path)
        .map_err(|e| vec![Diagnostic::error(e.to_string()).in_file(rel).of_kind(crate::diagnostics::Kind::Config)])?;
    let text = file.src.as_str();
    if let Some(offset) = crate::stages::js::scan::limits::too_deep_text(text) {
        return Err(vec![crate::stages::js::scan::limits::too_deep_error(crate::stages::js::scan::limits::MAX_BRACKETS).at_offset(rel, text, offset)]);
    }
    let syntax = syntax_for(path);
    let is_ts = matches!(syntax, Syntax::Typescript(_));
    let might_have_jsx = match &syntax {
        Syntax::Typescript(t) => t.tsx,
        _ => ["/>", "</"].iter().any(|n| memchr::memmem::find(text.as_bytes(), n.as_bytes()).is_some()),
    };
    let comments = SingleThreadedComments::default();
    let program = parse_program(&file, rel, syntax, &comments)?;
    let mut program = program;
    let survey = crate::stages::js::scan::limits::survey(&program);
    if let Some(pos) = survey.too_deep {
        return Err(vec![locate(&file, rel, pos, crate::stages::js::scan::limits::too_deep_error(crate::stages::js::scan::limits::MAX_DEPTH))]);
    }
    let generated = survey.long_chain && crate::stages::js::scan::limits::split_long_chains(&mut program);
    let is_script = matches!(program, Program::Script(_));
    let result = GLOBALS.set(&ctx.globals, || {
        use swc_core::ecma::transforms::base::helpers::{inject_helpers, Helpers, HELPERS};
        HELPERS.set(&Helpers::new(false), || {
            // A fresh mark unless one is given (not `Mark::default()`, the root).
            let top_level_mark = match top_level_mark {
                Some(mark) => mark,
                None => Mark::new(),
            };
            let mut program = program;
            program.mutate(resolver(ctx.unresolved_mark, top_level_mark, is_ts));
            // JSX first: a classic-runtime factory (`h`) is an import that only JSX uses, and the
            // TypeScript pass drops imports it sees no use of.
            if might_have_jsx {
                let options = jsx_options(&ts.jsx);
                program.mutate(jsx(ctx.cm.clone(), Some(&comments), options, top_level_mark, ctx.unresolved_mark));
            }
            let decorated = survey.decorators;
            // Legacy decorators read the types (`emitDecoratorMetadata`), so they run before
            // the types are stripped.
            if decorated && ts.experimental_decorators {
                program.mutate(proposal::decorators::decorators(proposal::decorators::Config {
                    legacy: true,
                    emit_metadata: ts.emit_decorator_metadata,
                    use_define_for_class_fields: ts.use_define_for_class_fields,
                }));
            }
            if is_ts {
                let options = swc_core::ecma::transforms::typescript::Config {
                    native_class_properties: ts.use_define_for_class_fields,
                    verbatim_module_syntax: ts.verbatim_module_syntax,
                    ..Default::default()
                };
                program.mutate(typescript(options, ctx.unresolved_mark, top_level_mark));
            }
            if !ts.use_define_for_class_fields {
                program.visit_mut_with(&mut crate::stages::js::scan::class_fields::AssignFields);
            }
            if decorated && !ts.experimental_decorators {
                program.mutate(proposal::decorator_2023_11::decorator_2023_11());
            }
            // `define` first: it may set `import.meta.env.X` itself.
            if !ctx.defines.is_empty() {
                program.visit_mut_with(&mut Define { defines: &ctx.defines, unresolved: ctx.unresolved_mark });
            }
            let meta = crate::stages::js::scan::meta::rewrite(ctx, path, rel, &file, &comments, top_level_mark, &mut program);
            lower(ctx, &mut program, &comments);
            program.mutate(inject_helpers(ctx.unresolved_mark));
            let module = match program {
                Program::Module(m) => m,
                Program::Script(s) => Module { span: s.span, body: s.body.into_iter().map(ModuleItem::Stmt).collect(), shebang: s.shebang },
            };
            meta.map(|w| (module, top_level_mark, w))
        })
    });
    let (module, top_level_mark, meta) = result?;
    warnings.extend(meta.warnings);
    Ok(Parsed { module, comments: KeptComments::keep(comments), top_level_mark, file, is_script, generated, ts, listings: meta.listings })
}

/// The file's syntax tree, or every syntax error the parser found, located.
fn parse_program(file: &Lrc<SourceFile>, rel: &str, syntax: Syntax, comments: &SingleThreadedComments) -> Result<Program, Vec<Diagnostic>> {
    let syntax_error = |e: &swc_core::ecma::parser::error::Error| {
        locate(file, rel, e.span().lo, Diagnostic::error(e.kind().msg().into_owned()).of_kind(crate::diagnostics::Kind::Syntax))
    };
    let mut recovered = Vec::new();
    let parsed = parse_file_as_program(file, syntax, EsVersion::latest(), Some(comments), &mut recovered);
    let mut errors: Vec<Diagnostic> = recovered.iter().map(syntax_error).collect();
    match parsed {
        Ok(program) if errors.is_empty() => Ok(program),
        Ok(_) => Err(errors),
        Err(e) => {
            errors.push(syntax_error(&e));
            Err(errors)
        }
    }
}

/// Lowers syntax for `js.target`: an ES version, or a browserslist query through preset-env.
/// Helpers the lowering needs are inlined into the module (the caller injects them).
fn lower(ctx: &JsCtx, program: &mut Program, comments: &SingleThreadedComments) {
    use swc_core::ecma::preset_env::{self, Targets};
    use swc_core::ecma::transforms::base::assumptions::Assumptions;
    let target = ctx.options.js.target.trim();
    if target.eq_ignore_ascii_case("esnext") {
        return;
    }
    if let Some(version) = es_version(target) {
        program.mutate(preset_env::transform_from_es_version(ctx.unresolved_mark, Some(comments), version, Assumptions::default(), false));
    } else {
        // A browserslist query, in the form preset-env reads from JSON.
        let targets: Option<Targets> = serde_json::from_value(serde_json::Value::String(target.to_owned())).ok();
        let options = preset_env::Config { targets, ..Default::default() };
        program.mutate(preset_env::transform_from_env(ctx.unresolved_mark, Some(comments), options.into(), Assumptions::default()));
    }
}

/// `es2015` … `es2024` as a version; `None` for anything else.
pub fn es_version(target: &str) -> Option<EsVersion> {
    Some(match target.to_ascii_lowercase().as_str() {
        "es5" => EsVersion::Es5,
        "es2015" | "es6" => EsVersion::Es2015,
        "es2016" => EsVersion::Es2016,
        "es2017" => EsVersion::Es2017,
        "es2018" => EsVersion::Es2018,
        "es2019" => EsVersion::Es2019,
        "es2020" => EsVersion::Es2020,
        "es2021" => EsVersion::Es2021,
        "es2022" => EsVersion::Es2022,
        "es2023" | "es2024" => EsVersion::Es2022,
        _ => return None,
    })
}

/// JSX options: the file's tsconfig.json (`jsx`, `jsxImportSource`, `jsxFactory`,
/// `jsxFragmentFactory`), else the automatic runtime from `react`.
pub fn jsx_options(from_tsconfig: &crate::stages::js::scan::resolve::JsxFromTsconfig) -> JsxOptions {
    let classic = matches!(from_tsconfig.jsx.as_deref(), Some("react"));
    JsxOptions {
        runtime: Some(if classic { Runtime::Classic } else { Runtime::Automatic }),
        import_source: from_tsconfig.import_source.as_deref().map(Into::into),
        pragma: from_tsconfig.factory.as_deref().map(|s| s.to_owned().into()),
        pragma_frag: from_tsconfig.fragment_factory.as_deref().map(|s| s.to_owned().into()),
        development: Some(false),
        ..Default::default()
    }
}

/// Parses a `define` value (a JS expression).
pub fn parse_define_value(ctx: &JsCtx, key: &str, value: &str) -> Result<Box<Expr>, swc_core::ecma::parser::error::Error> {
    let file = ctx.cm.new_source_file(Lrc::new(FileName::Custom(format!("define:{key}"))), value.to_owned());
    let mut recovered = Vec::new();
    let expr = parse_file_as_expr(&file, Syntax::Es(Default::default()), EsVersion::latest(), None, &mut recovered)?;
    if let Some(e) = recovered.into_iter().next() {
        return Err(e);
    }
    Ok(expr)
}

/// Replaces `process.env.NODE_ENV` (and other configured dotted globals) with expressions.
struct Define<'a> {
    defines: &'a [(Vec<String>, Box<Expr>)],
    unresolved: Mark,
}

impl Define<'_> {
    fn matches(&self, expr: &Expr, path: &[String]) -> bool {
        match (expr, path.split_last()) {
            (Expr::Ident(id), Some((last, []))) => id.sym == **last && id.ctxt.outer() == self.unresolved,
            (Expr::MetaProp(m), Some((last, [first]))) => m.kind == MetaPropKind::ImportMeta && first == "import" && last == "meta",
            (Expr::Member(m), Some((last, rest))) if !rest.is_empty() => m.prop.as_ident().is_some_and(|p| p.sym == **last) && self.matches(&m.obj, rest),
            _ => false,
        }
    }
}

impl VisitMut for Define<'_> {
    fn visit_mut_expr(&mut self, expr: &mut Expr) {
        if matches!(expr, Expr::Ident(_) | Expr::Member(_)) {
            if let Some((_, value)) = self.defines.iter().find(|(path, _)| self.matches(expr, path)) {
                *expr = (**value).clone();
                return;
            }
        }
        expr.visit_mut_children_with(self);
    }
}
