//! The invariant every emitted chunk must hold before it is written: it is plain JavaScript
//! (no TypeScript, no JSX, no decorators: syntax no browser runs), a module or, for a classic
//! worker, a script, using no syntax newer than `js.target` when that is an ES version (from
//! ES2016 on: the output is ES modules, which need ES2015). A chunk that fails is kiln's bug,
//! not the user's: the build stops with an internal error naming the place, instead of shipping
//! a page that cannot run.
//!
//! Two checks, by cost: [`check_module`] walks each module's final syntax tree before it is
//! printed (in parallel, a few percent of the JS stage: always on), and [`check`] parses each
//! whole printed chunk again, which catches a printer fault too but costs a fifth of the JS
//! stage on a large bundle: on in debug builds (so every test and fixture runs it) and with
//! `KILN_VERIFY=1`.

use swc_core::common::{sync::Lrc, FileName, SourceMap, Spanned};
use swc_core::ecma::ast::Module;
use swc_core::ecma::ast::*;
use swc_core::ecma::parser::{parse_file_as_module, parse_file_as_script, EsSyntax, Syntax};
use swc_core::ecma::visit::{Visit, VisitWith};

use crate::diagnostics::Diagnostic;

/// Checks one chunk's code (placeholders included: they sit in strings and names).
pub fn check(key: &str, code: &str, target: &str, classic: bool) -> Result<(), Diagnostic> {
    let cm: Lrc<SourceMap> = Default::default();
    let file = cm.new_source_file(Lrc::new(FileName::Custom(key.to_owned())), code.to_owned());
    let syntax = Syntax::Es(EsSyntax { import_attributes: true, explicit_resource_management: true, ..Default::default() });
    let mut recovered = Vec::new();
    let internal = |pos: swc_core::common::BytePos, msg: String| {
        let offset = (pos.0.saturating_sub(file.start_pos.0)) as usize;
        Diagnostic::error(format!("internal error: kiln produced a chunk that does not parse as JavaScript ({msg})"))
            .with_note("this is a bug in kiln; please report it with the input that caused it")
            .at_offset(key, &file.src, offset)
    };
    let version = crate::stages::js::scan::parse::es_version(target.trim());
    if classic {
        let script =
            parse_file_as_script(&file, syntax, EsVersion::latest(), None, &mut recovered).map_err(|e| internal(e.span().lo, e.kind().msg().into_owned()))?;
        if let Some(e) = recovered.first() {
            return Err(internal(e.span().lo, e.kind().msg().into_owned()));
        }
        if let Some(v) = version {
            too_new(&script, v).map_or(Ok(()), |(pos, what)| Err(internal(pos, format!("{what} is newer than js.target {target}"))))
        } else {
            Ok(())
        }
    } else {
        let module =
            parse_file_as_module(&file, syntax, EsVersion::latest(), None, &mut recovered).map_err(|e| internal(e.span().lo, e.kind().msg().into_owned()))?;
        if let Some(e) = recovered.first() {
            return Err(internal(e.span().lo, e.kind().msg().into_owned()));
        }
        if let Some(v) = version {
            too_new(&module, v).map_or(Ok(()), |(pos, what)| Err(internal(pos, format!("{what} is newer than js.target {target}"))))
        } else {
            Ok(())
        }
    }
}

/// The first syntax of a module's final tree that no browser would run (TypeScript, JSX,
/// decorators; `import`/`export`/`import.meta` in a classic script) or that is newer than an
/// ES `target`.
pub fn check_module(module: &Module, target: &str, classic: bool) -> Option<(swc_core::common::BytePos, &'static str)> {
    let version = crate::stages::js::scan::parse::es_version(target.trim()).unwrap_or(EsVersion::latest());
    let mut f = Features { version, found: None, foreign: true, classic };
    module.visit_with(&mut f);
    f.found
}

/// The first syntax in `node` newer than `version`, with its position.
fn too_new<N: VisitWith<Features>>(node: &N, version: EsVersion) -> Option<(swc_core::common::BytePos, &'static str)> {
    let mut f = Features { version, found: None, foreign: false, classic: false };
    node.visit_with(&mut f);
    f.found
}

pub struct Features {
    version: EsVersion,
    found: Option<(swc_core::common::BytePos, &'static str)>,
    /// Also look for syntax that is not JavaScript (a tree, not a parse, is checked).
    foreign: bool,
    classic: bool,
}

impl Features {
    fn need(&mut self, since: EsVersion, span: swc_core::common::Span, what: &'static str) {
        if self.found.is_none() && self.version < since {
            self.found = Some((span.lo, what));
        }
    }

    fn not_js(&mut self, span: swc_core::common::Span, what: &'static str) {
        if self.foreign && self.found.is_none() {
            self.found = Some((span.lo, what));
        }
    }
}

/// Syntax that is not JavaScript: found in a tree, it was not compiled away.
macro_rules! foreign {
    ($($method:ident: $ty:ty => $what:literal,)*) => {
        $(
            fn $method(&mut self, n: &$ty) {
                self.not_js(n.span(), $what);
            }
        )*
    };
}

impl Visit for Features {
    foreign! {
        visit_decorator: Decorator => "a decorator",
        visit_jsx_element: JSXElement => "JSX",
        visit_jsx_fragment: JSXFragment => "JSX",
        visit_ts_type_ann: TsTypeAnn => "a TypeScript type annotation",
        visit_ts_as_expr: TsAsExpr => "a TypeScript `as`",
        visit_ts_satisfies_expr: TsSatisfiesExpr => "a TypeScript `satisfies`",
        visit_ts_non_null_expr: TsNonNullExpr => "a TypeScript `!`",
        visit_ts_type_assertion: TsTypeAssertion => "a TypeScript type assertion",
        visit_ts_const_assertion: TsConstAssertion => "a TypeScript `as const`",
        visit_ts_instantiation: TsInstantiation => "TypeScript type arguments",
        visit_ts_enum_decl: TsEnumDecl => "a TypeScript enum",
        visit_ts_module_decl: TsModuleDecl => "a TypeScript namespace",
        visit_ts_interface_decl: TsInterfaceDecl => "a TypeScript interface",
        visit_ts_type_alias_decl: TsTypeAliasDecl => "a TypeScript type alias",
        visit_ts_param_prop: TsParamProp => "a TypeScript parameter property",
    }

    fn visit_module_decl(&mut self, d: &ModuleDecl) {
        if self.classic {
            self.not_js(d.span(), "an import or export in a classic script");
        }
        d.visit_children_with(self);
    }

    fn visit_meta_prop_expr(&mut self, m: &MetaPropExpr) {
        if self.classic && m.kind == MetaPropKind::ImportMeta {
            self.not_js(m.span, "import.meta in a classic script");
        }
    }

    fn visit_bin_expr(&mut self, e: &BinExpr) {
        match e.op {
            BinaryOp::Exp => self.need(EsVersion::Es2016, e.span, "the ** operator"),
            BinaryOp::NullishCoalescing => self.need(EsVersion::Es2020, e.span, "the ?? operator"),
            _ => {}
        }
        e.visit_children_with(self);
    }

    fn visit_assign_expr(&mut self, e: &AssignExpr) {
        match e.op {
            AssignOp::ExpAssign => self.need(EsVersion::Es2016, e.span, "the **= operator"),
            AssignOp::AndAssign | AssignOp::OrAssign | AssignOp::NullishAssign => self.need(EsVersion::Es2021, e.span, "a logical assignment"),
            _ => {}
        }
        e.visit_children_with(self);
    }

    fn visit_function(&mut self, f: &Function) {
        if f.is_async {
            self.need(EsVersion::Es2017, f.span, "an async function");
        }
        if f.is_async && f.is_generator {
            self.need(EsVersion::Es2018, f.span, "an async generator");
        }
        f.visit_children_with(self);
    }

    fn visit_class_prop(&mut self, p: &ClassProp) {
        self.need(EsVersion::Es2022, p.span, "a class field");
        p.visit_children_with(self);
    }

    fn visit_private_prop(&mut self, p: &PrivateProp) {
        self.need(EsVersion::Es2022, p.span, "a private class field");
        p.visit_children_with(self);
    }

    fn visit_private_method(&mut self, p: &PrivateMethod) {
        self.need(EsVersion::Es2022, p.span, "a private method");
        p.visit_children_with(self);
    }

    fn visit_static_block(&mut self, b: &StaticBlock) {
        self.need(EsVersion::Es2022, b.span, "a static block");
        b.visit_children_with(self);
    }

    fn visit_opt_chain_expr(&mut self, o: &OptChainExpr) {
        self.need(EsVersion::Es2020, o.span, "optional chaining (?.)");
        o.visit_children_with(self);
    }

    fn visit_big_int(&mut self, b: &BigInt) {
        self.need(EsVersion::Es2020, b.span, "a BigInt literal");
    }

    fn visit_catch_clause(&mut self, c: &CatchClause) {
        if c.param.is_none() {
            self.need(EsVersion::Es2019, c.span, "a catch without a binding");
        }
        c.visit_children_with(self);
    }

    fn visit_for_of_stmt(&mut self, f: &ForOfStmt) {
        if f.is_await {
            self.need(EsVersion::Es2018, f.span, "for await…of");
        }
        f.visit_children_with(self);
    }

    fn visit_object_lit(&mut self, o: &ObjectLit) {
        if o.props.iter().any(|p| matches!(p, PropOrSpread::Spread(_))) {
            self.need(EsVersion::Es2018, o.span, "object spread");
        }
        o.visit_children_with(self);
    }

    fn visit_object_pat(&mut self, o: &ObjectPat) {
        if o.props.iter().any(|p| matches!(p, ObjectPatProp::Rest(_))) {
            self.need(EsVersion::Es2018, o.span, "object rest");
        }
        o.visit_children_with(self);
    }

    fn visit_await_expr(&mut self, a: &AwaitExpr) {
        self.need(EsVersion::Es2017, a.span, "await");
        a.visit_children_with(self);
    }

    fn visit_regex(&mut self, r: &Regex) {
        let flags = r.flags.as_str();
        if flags.contains('s') {
            self.need(EsVersion::Es2018, r.span, "the regular expression flag s");
        }
        if flags.contains('d') {
            self.need(EsVersion::Es2022, r.span, "the regular expression flag d");
        }
        if flags.contains('v') {
            self.need(EsVersion::Es2022, r.span, "the regular expression flag v");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::stages::js::generate::verify::check;

    fn tree(code: &str, ts: bool) -> swc_core::ecma::ast::Module {
        let cm: swc_core::common::sync::Lrc<swc_core::common::SourceMap> = Default::default();
        let file = cm.new_source_file(swc_core::common::sync::Lrc::new(swc_core::common::FileName::Anon), code.to_owned());
        let syntax = if ts {
            swc_core::ecma::parser::Syntax::Typescript(swc_core::ecma::parser::TsSyntax { tsx: true, decorators: true, ..Default::default() })
        } else {
            swc_core::ecma::parser::Syntax::Es(Default::default())
        };
        swc_core::ecma::parser::parse_file_as_module(&file, syntax, swc_core::ecma::ast::EsVersion::latest(), None, &mut Vec::new()).unwrap()
    }

    #[test]
    fn trees_with_leftover_syntax_fail() {
        use crate::stages::js::generate::verify::check_module;
        assert!(check_module(&tree("const a = 1; class A { x = 1 }", false), "esnext", false).is_none());
        assert_eq!(check_module(&tree("@dec class A {}", true), "esnext", false).map(|f| f.1), Some("a decorator"));
        assert_eq!(check_module(&tree("const a: number = 1;", true), "esnext", false).map(|f| f.1), Some("a TypeScript type annotation"));
        assert_eq!(check_module(&tree("const a = <div/>;", true), "esnext", false).map(|f| f.1), Some("JSX"));
        assert!(check_module(&tree("const u = import.meta.url;", false), "esnext", true).is_some());
        assert!(check_module(&tree("a?.b", false), "es2019", false).is_some());
    }

    #[test]
    fn plain_code_passes_and_leftover_syntax_fails() {
        assert!(check("a.js", "export const a = 1;\nclass A { x = 1 }\n", "esnext", false).is_ok());
        let d = check("a.js", "@dec class A {}\n", "esnext", false).unwrap_err();
        assert!(d.render(false).contains("a.js:1:"), "{}", d.render(false));
        assert!(check("a.js", "const a = <div/>;", "esnext", false).is_err());
        assert!(check("a.js", "let a: number = 1;", "esnext", false).is_err());
        assert!(check("w.js", "(() => { import.meta.url })();", "esnext", true).is_err(), "import.meta in a classic script");
    }

    #[test]
    fn syntax_newer_than_the_target_fails() {
        assert!(check("a.js", "a?.b;", "es2019", false).is_err());
        assert!(check("a.js", "a?.b;", "es2020", false).is_ok());
        assert!(check("a.js", "class A { x = 1 }", "es2021", false).is_err());
        assert!(check("a.js", "a ??= 1;", "es2020", false).is_err());
    }
}
