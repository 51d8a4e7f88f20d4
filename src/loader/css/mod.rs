//! CSS: `@import`s bundled into the importing file, `url()`s rewritten to placeholders,
//! lowered for the configured browsers and minified, all with lightningcss.
//!
//! lightningcss's bundler does not rebase `url()`s of imported files, so the rewriter tracks
//! which source file each rule came from (every rule carries its `source_index`) and resolves
//! each `url()` against that file. One parse per file; no text is re-read.

pub mod cached;
pub mod keep;
pub(crate) mod precision;
mod provider;
mod urls;
pub mod used;

use std::path::Path;

use lightningcss::bundler::Bundler;
use lightningcss::rules::CssRule;
use lightningcss::stylesheet::{MinifyOptions, ParserOptions, PrinterOptions, StyleAttribute, StyleSheet};
use lightningcss::targets::Targets;
use lightningcss::visitor::Visit;

use crate::diagnostics::{line_col, Diagnostic};
use crate::graph::AssetKind;
use crate::loader::LoaderOptions;
use crate::loader::RefSink;
use provider::Provider;
use urls::UrlRewriter;

fn targets(options: &LoaderOptions) -> Targets {
    options.css.browsers.map(Targets::from).unwrap_or_default()
}

/// CSS modules (`*.module.css`): class names, ids, keyframes… become `[hash]_[local]`, the
/// hash taken from the file's root-relative path, so the JS side and the CSS side agree.
fn css_modules_config(rel: &str) -> Option<lightningcss::css_modules::Config> {
    rel.ends_with(".module.css").then(lightningcss::css_modules::Config::default)
}

fn project_root(options: &LoaderOptions) -> Option<&str> {
    options.root.to_str()
}

/// A CSS module's names, sorted: (local name, the scoped names it stands for, space-separated,
/// `composes` included).
pub fn module_exports(options: &LoaderOptions, rel: &str, text: &str) -> Result<Vec<(String, String)>, Diagnostic> {
    if let Some(offset) = too_deep(text) {
        return Err(too_deep_error().at_offset(rel, text, offset));
    }
    let abs = options.path(rel);
    let parser = ParserOptions { filename: abs.display().to_string(), css_modules: css_modules_config(rel), ..ParserOptions::default() };
    let sheet = StyleSheet::parse(text, parser).map_err(|e| {
        let (line, col) = e.loc.as_ref().map_or((1, 1), |l| (l.line + 1, l.column));
        Diagnostic::error(e.kind.to_string()).at_line_col(rel, text, line, col).of_kind(crate::diagnostics::Kind::Syntax)
    })?;
    let printed = sheet
        .to_css(PrinterOptions { project_root: project_root(options), ..PrinterOptions::default() })
        .map_err(|e| Diagnostic::error(format!("cannot print: {}", e.kind)).in_file(rel))?;
    let mut out: Vec<(String, String)> = printed
        .exports
        .unwrap_or_default()
        .into_iter()
        .map(|(local, export)| {
            let mut names = vec![export.name];
            for c in export.composes {
                match c {
                    lightningcss::css_modules::CssModuleReference::Local { name } | lightningcss::css_modules::CssModuleReference::Global { name } => {
                        names.push(name)
                    }
                    // `composes: x from './other.module.css'`: not followed (see the README).
                    lightningcss::css_modules::CssModuleReference::Dependency { .. } => {}
                }
            }
            (local, names.join(" "))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Loads a stylesheet file with its imports; `None` if it has errors (pushed to the sink).
/// Also returns every file read, with the blake3 of its text, and every `@import` resolved
/// (the `url()`s resolved are in the sink).
fn load_file(options: &LoaderOptions, rel: &str, sink: &mut RefSink) -> (Option<Vec<u8>>, cached::Read) {
    let abs = options.path(rel);
    let provider = Provider::new(options, sink.fs);
    let parser = ParserOptions { filename: abs.display().to_string(), css_modules: css_modules_config(rel), ..ParserOptions::default() };
    let mut bundler = Bundler::new(&provider, None, parser);
    let mut sheet = match bundler.bundle(&abs) {
        Ok(s) => s,
        Err(e) => {
            let d = Diagnostic::error(format!("{}", e.kind)).of_kind(crate::diagnostics::Kind::Syntax);
            sink.diags.push(provider.locate_error(d, e.loc.as_ref(), rel));
            return (None, cached::Read::default());
        }
    };
    let sources: Vec<std::path::PathBuf> = sheet.sources.iter().map(Into::into).collect();
    let locate = |index: u32, line: u32, column: u32, d: Diagnostic| {
        let file = sources.get(index as usize).cloned().unwrap_or_else(|| abs.clone());
        provider.at(d, &file, line, column)
    };
    let mut rewriter = UrlRewriter::new(sink, &sources, &locate);
    let _ = sheet.visit(&mut rewriter);
    sink.css_keep.append(&mut provider.keep.lock().expect("not poisoned"));
    let texts = provider.texts();
    let read = cached::Read { files: provider.digests(), resolved: std::mem::take(&mut *provider.resolved.lock().expect("not poisoned")) };
    (finish_sheet(options, sheet, rel, sink, texts.iter().map(String::as_str)), read)
}

fn finish_sheet<'t>(
    options: &LoaderOptions,
    mut sheet: StyleSheet,
    shown: &str,
    sink: &mut RefSink,
    sources: impl IntoIterator<Item = &'t str>,
) -> Option<Vec<u8>> {
    let numbers = precision::long_numbers(sources);
    let targets = targets(options);
    if let Err(e) = sheet.minify(MinifyOptions { targets, ..MinifyOptions::default() }) {
        sink.diags.push(Diagnostic::error(format!("cannot minify: {}", e.kind)).in_file(shown));
        return None;
    }
    let printed = sheet.to_css(PrinterOptions { minify: options.css.minify, targets, project_root: project_root(options), ..PrinterOptions::default() });
    match printed {
        Ok(r) => Some(precision::restore(r.code, &numbers).into_bytes()),
        Err(e) => {
            sink.diags.push(Diagnostic::error(format!("cannot print: {}", e.kind)).in_file(shown));
            None
        }
    }
}

/// Where an embedded piece of CSS sits in its HTML file, for locating its errors.
pub struct Embedded<'a> {
    pub html_rel: &'a str,
    pub html: &'a str,
    /// Byte offset of the CSS text inside the HTML.
    pub start: usize,
}

impl Embedded<'_> {
    pub fn at(&self, d: Diagnostic, line: u32, column: u32) -> Diagnostic {
        let (l0, c0) = line_col(self.html, self.start);
        let (line, column) = if line <= 1 { (l0, c0 + column.saturating_sub(1)) } else { (l0 + line - 1, column) };
        d.at_line_col(self.html_rel, self.html, line, column)
    }

    /// A lightningcss parse error (0-based line) of the embedded CSS, placed in the page.
    fn parse_error<T: std::fmt::Display>(&self, e: &lightningcss::error::Error<T>) -> Diagnostic {
        let (line, col) = e.loc.as_ref().map_or((1, 1), |l| (l.line + 1, l.column));
        self.at(Diagnostic::error(e.kind.to_string()).of_kind(crate::diagnostics::Kind::Syntax), line, col)
    }
}

/// A `<style>` element's text: `url()`s and `@import`s rewritten (imports point at the hashed
/// stylesheet; they are not inlined), minified.
pub fn inline_sheet(options: &LoaderOptions, code: &str, at: &Embedded, sink: &mut RefSink) -> Option<String> {
    let referrer = options.path(at.html_rel);
    if let Some(offset) = too_deep(code) {
        let (line, col) = line_col(code, offset);
        sink.diags.push(at.at(too_deep_error(), line, col));
        return None;
    }
    if options.css.prune {
        sink.css_keep.extend(keep::marked(code));
    }
    let mut sheet = match StyleSheet::parse(code, ParserOptions { filename: at.html_rel.to_owned(), ..Default::default() }) {
        Ok(s) => s,
        Err(e) => {
            sink.diags.push(at.parse_error(&e));
            return None;
        }
    };
    for rule in sheet.rules.0.iter_mut() {
        if let CssRule::Import(import) = rule {
            let (line, col) = (import.loc.line + 1, import.loc.column);
            let locate = |d| at.at(d, line, col);
            if let Some(new) = sink.css_url(&referrer, &import.url, Some(AssetKind::Css), &locate) {
                import.url = new.into();
            }
        }
    }
    let sources = [referrer.clone()];
    let locate = |_: u32, line: u32, column: u32, d: Diagnostic| at.at(d, line, column);
    let _ = sheet.visit(&mut UrlRewriter::new(sink, &sources, &locate));
    finish_sheet(options, sheet, at.html_rel, sink, [code]).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// A `style="…"` attribute's declarations, rewritten and minified.
pub fn inline_declarations(options: &LoaderOptions, code: &str, at: &Embedded, sink: &mut RefSink) -> Option<String> {
    let referrer = options.path(at.html_rel);
    if let Some(offset) = too_deep(code) {
        let (line, col) = line_col(code, offset);
        sink.diags.push(at.at(too_deep_error(), line, col));
        return None;
    }
    let mut attr = match StyleAttribute::parse(code, ParserOptions { filename: at.html_rel.to_owned(), ..Default::default() }) {
        Ok(s) => s,
        Err(e) => {
            sink.diags.push(at.parse_error(&e));
            return None;
        }
    };
    let sources = [referrer.clone()];
    let locate = |_: u32, line: u32, column: u32, d: Diagnostic| at.at(d, line, column);
    let _ = attr.visit(&mut UrlRewriter::new(sink, &sources, &locate));
    let targets = targets(options);
    attr.minify(MinifyOptions { targets, ..MinifyOptions::default() });
    match attr.to_css(PrinterOptions { minify: options.css.minify, targets, ..PrinterOptions::default() }) {
        Ok(r) => Some(precision::restore(r.code, &precision::long_numbers([code]))),
        Err(e) => {
            sink.diags.push(at.at(Diagnostic::error(format!("cannot print: {}", e.kind)), 1, 1));
            None
        }
    }
}

/// The deepest nesting of blocks (`{ … }`) a stylesheet may have: lightningcss parses,
/// minifies and prints nested rules by recursion, so deeper input could overflow the stack.
/// Real stylesheets nest a handful of levels.
pub const MAX_NESTING: usize = 1_000;

/// Where a stylesheet first nests deeper than [`MAX_NESTING`]: the byte offset of the brace.
pub fn too_deep(text: &str) -> Option<usize> {
    crate::nesting::too_deep(text, MAX_NESTING, crate::nesting::Lang::Css)
}

fn too_deep_error() -> Diagnostic {
    Diagnostic::error(format!("this stylesheet nests blocks more than {MAX_NESTING} levels deep, more than kiln can compile safely"))
}

/// True for paths lightningcss should treat as CSS files.
pub fn is_css(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("css"))
}
