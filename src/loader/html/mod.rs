//! The HTML loader: every local reference of a page found with lol_html and rewritten to a
//! placeholder, inline CSS run through the CSS loader, inline module scripts and the page's
//! import map handed to the JS stage. (Pages are minified later, by the html stage.)

mod srcset;

use std::cell::RefCell;
use std::path::Path;

use lol_html::html_content::{ContentType, Element, TextChunk};
use lol_html::{element, rewrite_str, text, RewriteStrSettings};

use crate::diagnostics::Diagnostic;
use crate::graph::{AssetKey, AssetKind};
use crate::loader::css::{self, Embedded};
use crate::loader::LoaderOptions;
use crate::loader::{IfMissing, RefSink};

/// How an attribute's value is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Attr {
    /// One URL.
    Url,
    /// A `srcset` list.
    Srcset,
    /// A `link href`, handled by its `rel`.
    LinkHref,
    /// An `a href`: only to local non-HTML files, and a missing one is a warning.
    Anchor,
    /// A `style` attribute.
    Style,
}

/// Which attributes of which elements hold references.
const REFERENCES: &[(&str, &str, Attr)] = &[
    ("script[src]", "src", Attr::Url),
    ("link[href]", "href", Attr::LinkHref),
    ("img[src]", "src", Attr::Url),
    ("img[srcset]", "srcset", Attr::Srcset),
    ("source[src]", "src", Attr::Url),
    ("source[srcset]", "srcset", Attr::Srcset),
    ("video[poster]", "poster", Attr::Url),
    ("video[src]", "src", Attr::Url),
    ("audio[src]", "src", Attr::Url),
    ("track[src]", "src", Attr::Url),
    ("embed[src]", "src", Attr::Url),
    ("object[data]", "data", Attr::Url),
    ("input[type=image][src]", "src", Attr::Url),
    ("meta[property=\"og:image\"][content]", "content", Attr::Url),
    ("meta[property=\"og:image:url\"][content]", "content", Attr::Url),
    ("meta[property=\"og:video\"][content]", "content", Attr::Url),
    ("meta[property=\"og:audio\"][content]", "content", Attr::Url),
    ("meta[name=\"twitter:image\"][content]", "content", Attr::Url),
    ("meta[name=\"msapplication-TileImage\"][content]", "content", Attr::Url),
    ("a[href]", "href", Attr::Anchor),
    ("[style]", "style", Attr::Style),
    // Inline SVG: sprites (`<use href="icons.svg#x">`) and images, in both spellings.
    ("use", "href", Attr::Url),
    ("use", "xlink:href", Attr::Url),
    ("image", "href", Attr::Url),
    ("image", "xlink:href", Attr::Url),
    ("feimage", "href", Attr::Url),
    ("feimage", "xlink:href", Attr::Url),
];

/// `link rel` values whose `href` is a file to build; other links (canonical, alternate,
/// preconnect…) are left alone.
const LINK_RELS: &[&str] =
    &["stylesheet", "icon", "shortcut", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon", "manifest", "preload", "modulepreload", "prefetch"];

struct Page<'a, 'c> {
    options: &'a LoaderOptions,
    rel: &'a str,
    abs: &'a Path,
    source: &'a str,
    sink: &'a mut RefSink<'c>,
    /// Text of the `<style>` element being read, and where it started.
    style: String,
    style_start: Option<usize>,
    /// Inline module scripts seen so far, and the key of the one being read.
    inline_count: usize,
    inline_index: Option<usize>,
    inline_code: String,
    /// Text of the `<script type="importmap">` being read.
    import_map: Option<String>,
}

/// Loads a page; `None` if it has errors (pushed to the sink).
pub fn load(options: &LoaderOptions, rel: &str, bytes: &[u8], sink: &mut RefSink) -> Option<Vec<u8>> {
    let source = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let valid = String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned();
            let d = Diagnostic::error("the page is not valid UTF-8")
                .of_kind(crate::diagnostics::Kind::Syntax)
                .with_note("save it as UTF-8; kiln reads pages as UTF-8 only");
            sink.diags.push(d.at_offset(rel, &valid, valid.len()));
            return None;
        }
    };
    let abs = options.path(rel);
    let page = RefCell::new(Page {
        options,
        rel,
        abs: &abs,
        source,
        sink,
        style: String::new(),
        style_start: None,
        inline_count: 0,
        inline_index: None,
        inline_code: String::new(),
        import_map: None,
    });
    let mut handlers = Vec::new();
    for &(selector, name, how) in REFERENCES {
        let page = &page;
        handlers.push(element!(selector, move |el| {
            page.borrow_mut().attribute(el, name, how);
            Ok(())
        }));
    }
    handlers.push(element!("script[type=module]", |el| {
        page.borrow_mut().inline_module(el);
        Ok(())
    }));
    handlers.push(text!("script[type=module]", |chunk| {
        page.borrow_mut().inline_module_text(chunk);
        Ok(())
    }));
    handlers.push(element!("script[type=importmap]", |_| {
        page.borrow_mut().import_map = Some(String::new());
        Ok(())
    }));
    handlers.push(text!("script[type=importmap]", |chunk| {
        page.borrow_mut().import_map_text(chunk);
        Ok(())
    }));
    handlers.push(text!("style", |chunk| {
        page.borrow_mut().style_text(chunk);
        Ok(())
    }));
    let settings = handlers.into_iter().fold(RewriteStrSettings::new(), |s, h| s.append_element_content_handler(h));
    let result = rewrite_str(source, settings);
    // A page with broken references is still returned, so the files it does reach are loaded
    // and checked too: one run reports every error.
    match result {
        Ok(out) => Some(out.into_bytes()),
        Err(e) => {
            page.borrow_mut().sink.diags.push(Diagnostic::error(format!("cannot parse the page: {e}")).in_file(rel).of_kind(crate::diagnostics::Kind::Syntax));
            None
        }
    }
}

impl Page<'_, '_> {
    fn attribute(&mut self, el: &mut Element, name: &str, how: Attr) {
        let Some(attr) = el.attributes().iter().find(|a| a.name() == name) else { return };
        let value = attr.value();
        let offset = attr.value_source_location().map_or_else(|| el.source_location().bytes().start, |l| l.bytes().start);
        let new = match how {
            Attr::Url => {
                let module = el.tag_name() == "script" && el.get_attribute("type").is_some_and(|t| t.trim().eq_ignore_ascii_case("module"));
                self.url(&value, offset, module.then_some(AssetKind::Chunk), IfMissing::Error)
            }
            Attr::Anchor => {
                let (path, _) = crate::loader::resolve::split_suffix(&value);
                let file_name = path.rsplit('/').next().unwrap_or("");
                let is_file = file_name.contains('.') && AssetKind::for_path(file_name, None) != AssetKind::Html;
                if is_file {
                    self.url(&value, offset, None, IfMissing::Warn)
                } else {
                    None
                }
            }
            Attr::LinkHref => {
                let rel = el.get_attribute("rel").unwrap_or_default().to_ascii_lowercase();
                let rels: Vec<&str> = rel.split_ascii_whitespace().collect();
                if !rels.iter().any(|r| LINK_RELS.contains(r)) {
                    return;
                }
                let hint = if rels.contains(&"manifest") {
                    Some(AssetKind::WebManifest)
                } else if rels.contains(&"stylesheet") {
                    Some(AssetKind::Css)
                } else if rels.contains(&"modulepreload") {
                    // The module's bundle, never its source.
                    Some(AssetKind::Chunk)
                } else {
                    None
                };
                let new = self.url(&value, offset, hint, IfMissing::Error);
                if let Some(placeholder) = &new {
                    // Not plain `preload`: the later real fetch (from CSS, say) has no integrity and
                    // would not reuse a preload that has one.
                    let sri_rel = rels.iter().any(|r| matches!(*r, "stylesheet" | "modulepreload"));
                    if sri_rel {
                        self.integrity(el, placeholder);
                    }
                }
                new
            }
            Attr::Srcset => {
                let mut changed = false;
                let parts: Vec<String> = srcset::parse(&value)
                    .into_iter()
                    .map(|c| {
                        let url = match self.url(c.url, offset + c.offset, None, IfMissing::Error) {
                            Some(u) => {
                                changed = true;
                                u
                            }
                            None => c.url.to_owned(),
                        };
                        if c.descriptor.is_empty() {
                            url
                        } else {
                            format!("{url} {}", c.descriptor)
                        }
                    })
                    .collect();
                changed.then(|| parts.join(", "))
            }
            Attr::Style => {
                let at = Embedded { html_rel: self.rel, html: self.source, start: offset };
                css::inline_declarations(self.options, &value, &at, self.sink)
            }
        };
        if let Some(new) = new {
            if how == Attr::Url && el.tag_name() == "script" {
                self.integrity(el, &new);
            }
            let _ = el.set_attribute(name, &new);
        }
    }

    fn url(&mut self, url: &str, offset: usize, hint: Option<AssetKind>, if_missing: IfMissing) -> Option<String> {
        let (rel, source) = (self.rel, self.source);
        let at = move |d: Diagnostic| d.at_offset(rel, source, offset);
        self.sink.url(self.abs, url, hint, if_missing, &at)
    }

    /// With `sri = true`, an `integrity` attribute for the file the placeholder names.
    fn integrity(&mut self, el: &mut Element, placeholder: &str) {
        if !self.options.sri || !placeholder.starts_with("__kiln_u") {
            return;
        }
        if let Some(value) = self.sink.integrity_of(placeholder) {
            let _ = el.set_attribute("integrity", &value);
            let cross_origin = crate::loader::resolve::is_external(&self.options.base);
            if cross_origin && !el.has_attribute("crossorigin") {
                let _ = el.set_attribute("crossorigin", "anonymous");
            }
        }
    }

    /// An inline `<script type="module">` becomes a bundle of its own, loaded by `src`.
    fn inline_module(&mut self, el: &mut Element) {
        if el.has_attribute("src") {
            return;
        }
        let n = self.inline_count;
        self.inline_count += 1;
        let key = AssetKey::InlineModule { page: self.rel.to_owned(), index: n };
        let placeholder = self.sink.refs.placeholder(&key, AssetKind::Chunk, crate::graph::RefUse::Url, false);
        let _ = el.set_attribute("src", &placeholder);
        self.integrity(el, &placeholder);
        self.inline_index = Some(n);
        self.inline_code.clear();
    }

    fn inline_module_text(&mut self, chunk: &mut TextChunk) {
        if self.inline_index.is_none() {
            return;
        }
        self.inline_code.push_str(chunk.as_str());
        chunk.remove();
        if chunk.last_in_text_node() {
            let Some(n) = self.inline_index.take() else { return };
            let key = AssetKey::InlineModule { page: self.rel.to_owned(), index: n };
            // A virtual file beside the page, so imports resolve from the page's folder.
            let path = self.abs.with_file_name(format!("{}.module{n}.js", self.abs.file_stem().and_then(|s| s.to_str()).unwrap_or("page")));
            let code = std::mem::take(&mut self.inline_code);
            self.sink.inline_modules.push((key, path, code));
        }
    }

    /// A page's own import map: the specifiers it maps stay imports in the bundles (the
    /// browser resolves them), and the local files it maps to are built and hashed like any
    /// other reference.
    fn import_map_text(&mut self, chunk: &mut TextChunk) {
        let Some(text) = self.import_map.as_mut() else { return };
        text.push_str(chunk.as_str());
        if !chunk.last_in_text_node() {
            chunk.remove();
            return;
        }
        let text = self.import_map.take().unwrap_or_default();
        let start = chunk.source_location().bytes().start;
        let mut map: serde_json::Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                let d = Diagnostic::error(format!("this import map is not valid JSON: {e}")).of_kind(crate::diagnostics::Kind::Syntax);
                self.sink.diags.push(d.at_offset(self.rel, self.source, start));
                chunk.replace(&text, ContentType::Html);
                return;
            }
        };
        if let Some(imports) = map.get_mut("imports") {
            self.import_map_table(imports, start);
        }
        if let Some(scopes) = map.get_mut("scopes").and_then(|s| s.as_object_mut()) {
            for (_, table) in scopes.iter_mut() {
                self.import_map_table(table, start);
            }
        }
        chunk.replace(&map.to_string(), ContentType::Html);
    }

    fn import_map_table(&mut self, table: &mut serde_json::Value, start: usize) {
        let Some(table) = table.as_object_mut() else { return };
        for (key, value) in table.iter_mut() {
            self.sink.import_map.push(key.clone());
            if let Some(url) = value.as_str() {
                if let Some(new) = self.url(url, start, Some(AssetKind::Js), IfMissing::Error) {
                    *value = serde_json::Value::String(new);
                }
            }
        }
    }

    fn style_text(&mut self, chunk: &mut TextChunk) {
        if self.style_start.is_none() {
            self.style_start = Some(chunk.source_location().bytes().start);
        }
        self.style.push_str(chunk.as_str());
        if !chunk.last_in_text_node() {
            chunk.remove();
            return;
        }
        let code = std::mem::take(&mut self.style);
        let start = self.style_start.take().unwrap_or(0);
        if code.trim().is_empty() {
            return;
        }
        let at = Embedded { html_rel: self.rel, html: self.source, start };
        match css::inline_sheet(self.options, &code, &at, self.sink) {
            Some(css) => chunk.replace(&css, ContentType::Html),
            None => chunk.replace(&code, ContentType::Html),
        }
    }
}

/// `html` with the text of each `<style>` element replaced by `f` of it; `None` if the page
/// cannot be rewritten.
pub fn map_styles(html: &str, mut f: impl FnMut(&str) -> String) -> Option<String> {
    let mut text = String::new();
    let handler = text!("style", |chunk| {
        text.push_str(chunk.as_str());
        if chunk.last_in_text_node() {
            let new = f(&std::mem::take(&mut text));
            chunk.replace(&new, ContentType::Html);
        } else {
            chunk.remove();
        }
        Ok(())
    });
    rewrite_str(html, RewriteStrSettings::new().append_element_content_handler(handler)).ok()
}
