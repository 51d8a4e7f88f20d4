//! Page minification, after fingerprinting (the URLs in a page are final).
//!
//! Whitespace is decided here, and everything else by minify-html (its spec-compliant
//! minifications only: comments, optional tags, attribute quotes), which is given pages whose
//! text holds no whitespace it could remove: each run kiln keeps is written as a marker
//! character first and turned back into whitespace after.
//!
//! Nothing that can render is removed. Whitespace between inline or inline-block elements is a
//! visible gap (a row of buttons loses its spacing when it goes, which is what minify-html
//! alone does), and CSS decides what is inline, so a run is collapsed to one space (or one
//! newline, when it held one), never dropped. Text is kept exactly as written where whitespace
//! is preserved: `<pre>`, `<textarea>`, `<title>`, scripts and styles, elements with a
//! `white-space` style attribute, and elements a rule of the site's CSS may give `white-space:
//! pre | pre-wrap | break-spaces | pre-line` (matched by the tag, class or id of the rule's
//! subject: a superset of what the rule can match). Whitespace is removed only where it never
//! renders: inside `<head>`, and around `<head>` and `<body>`.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

use lightningcss::properties::Property;
use lightningcss::rules::{CssRule, CssRuleList};
use lightningcss::selector::Component;
use lightningcss::stylesheet::{ParserOptions, StyleSheet};
use lol_html::html_content::{ContentType, Element, TextType};
use lol_html::{doc_comments, doc_text, element, rewrite_str, RewriteStrSettings};

/// The elements a stylesheet may give preserved whitespace.
#[derive(Debug, Default, Clone)]
pub struct Preserved {
    tags: HashSet<String>,
    classes: HashSet<String>,
    ids: HashSet<String>,
    /// A rule whose subject names no tag, class or id (`[data-x]`, `*`, `:is(…)`): any
    /// element may be preserved, so whitespace is left alone on every page.
    any: bool,
}

impl Preserved {
    /// Reads the rules of a stylesheet that preserve whitespace. A sheet that cannot be
    /// parsed counts as preserving everywhere.
    pub fn add_css(&mut self, css: &str) {
        match StyleSheet::parse(css, ParserOptions::default()) {
            Ok(sheet) => self.add_rules(&sheet.rules),
            Err(_) => self.any = true,
        }
    }

    fn add_rules(&mut self, rules: &CssRuleList) {
        for rule in &rules.0 {
            match rule {
                CssRule::Style(style) => {
                    let preserves = style.declarations.iter().any(|(p, _)| preserves_whitespace(p));
                    if preserves {
                        for selector in style.selectors.0.iter() {
                            self.add_subject(selector);
                        }
                    }
                    self.add_rules(&style.rules);
                }
                CssRule::Media(r) => self.add_rules(&r.rules),
                CssRule::Supports(r) => self.add_rules(&r.rules),
                CssRule::Container(r) => self.add_rules(&r.rules),
                CssRule::LayerBlock(r) => self.add_rules(&r.rules),
                CssRule::Scope(r) => self.add_rules(&r.rules),
                CssRule::StartingStyle(r) => self.add_rules(&r.rules),
                CssRule::MozDocument(r) => self.add_rules(&r.rules),
                CssRule::Nesting(r) => {
                    let r = &r.style;
                    if r.declarations.iter().any(|(p, _)| preserves_whitespace(p)) {
                        self.any = true;
                    }
                    self.add_rules(&r.rules);
                }
                CssRule::Unknown(_) => {}
                _ => {}
            }
        }
    }

    /// The rightmost compound of a selector: the element it styles.
    fn add_subject(&mut self, selector: &lightningcss::selector::Selector) {
        let mut named = false;
        for c in selector.iter() {
            match c {
                Component::LocalName(n) => {
                    self.tags.insert(n.lower_name.as_ref().to_ascii_lowercase());
                    named = true;
                }
                Component::Class(n) => {
                    self.classes.insert(n.as_ref().to_owned());
                    named = true;
                }
                Component::ID(n) => {
                    self.ids.insert(n.as_ref().to_owned());
                    named = true;
                }
                _ => {}
            }
        }
        if !named {
            self.any = true;
        }
    }

    fn matches(&self, el: &Element) -> bool {
        if self.tags.contains(&el.tag_name()) {
            return true;
        }
        if let Some(id) = el.get_attribute("id") {
            if self.ids.contains(id.trim()) {
                return true;
            }
        }
        if let Some(class) = el.get_attribute("class") {
            if class.split_ascii_whitespace().any(|c| self.classes.contains(c)) {
                return true;
            }
        }
        el.get_attribute("style").is_some_and(|s| s.to_ascii_lowercase().contains("white-space"))
    }
}

fn preserves_whitespace(p: &Property) -> bool {
    use lightningcss::properties::text::WhiteSpace;
    match p {
        Property::WhiteSpace(w) => !matches!(w, WhiteSpace::Normal | WhiteSpace::NoWrap),
        // Longhands (`white-space-collapse: preserve`) and values kiln does not parse.
        other => {
            let name = other.property_id().name().to_ascii_lowercase();
            name.starts_with("white-space")
        }
    }
}

/// Markers for whitespace while minify-html runs: a collapsed run (space or newline), and
/// each character of preserved whitespace. Private-use characters; a page that already holds
/// one is minified for whitespace only.
const SPACE: char = '\u{E000}';
const NEWLINE: char = '\u{E001}';
const TAB: char = '\u{E002}';
const RETURN: char = '\u{E003}';
const FORM_FEED: char = '\u{E004}';

fn marker(c: char) -> char {
    match c {
        '\n' => NEWLINE,
        '\t' => TAB,
        '\r' => RETURN,
        '\x0c' => FORM_FEED,
        _ => SPACE,
    }
}

/// Whether `text` writes a marker character as a character reference (`&#xE001;`,
/// `&#57345;`), which minify-html decodes.
fn has_marker_reference(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.match_indices("&#").any(|(i, _)| {
        let rest = &lower[i + 2..];
        let (digits, radix) = match rest.strip_prefix('x') {
            Some(hex) => (hex.chars().take_while(char::is_ascii_hexdigit).collect::<String>(), 16),
            None => (rest.chars().take_while(char::is_ascii_digit).collect::<String>(), 10),
        };
        u32::from_str_radix(&digits, radix).ok().and_then(char::from_u32).is_some_and(|c| unmark(c).is_some())
    })
}

fn unmark(c: char) -> Option<char> {
    Some(match c {
        SPACE => ' ',
        NEWLINE => '\n',
        TAB => '\t',
        RETURN => '\r',
        FORM_FEED => '\x0c',
        _ => return None,
    })
}

/// Minifies one page; `preserved` holds what the site's stylesheets preserve. A page that
/// cannot be rewritten is returned as it is.
pub fn minify(page: &[u8], preserved: &Preserved) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(page) else { return page.to_vec() };
    let mut preserved = preserved.clone();
    // The page's own `<style>` elements count too, each read whole.
    let mut style = String::new();
    let _ = rewrite_str(
        text,
        RewriteStrSettings::new().append_element_content_handler(lol_html::text!("style", |t| {
            style.push_str(t.as_str());
            if t.last_in_text_node() {
                preserved.add_css(&std::mem::take(&mut style));
            }
            Ok(())
        })),
    );
    let markers = text.chars().any(|c| unmark(c).is_some()) || has_marker_reference(text);
    let Some(marked) = rewrite(text, &preserved, !markers) else { return page.to_vec() };
    if markers {
        return marked.into_bytes();
    }
    let cfg = minify_html::Cfg { keep_html_and_head_opening_tags: true, minify_css: false, minify_js: false, ..minify_html::Cfg::default() };
    let out = minify_html::minify(marked.as_bytes(), &cfg);
    let out = String::from_utf8(out).expect("minify-html writes UTF-8");
    out.chars().map(|c| unmark(c).unwrap_or(c)).collect::<String>().into_bytes()
}

/// Whether a comment is kept: conditional comments, which some pages still carry.
fn keep_comment(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with("[if") || t.starts_with("<![endif")
}

/// Collapses (or keeps) every whitespace run of the page's text; with `mark`, writes what it
/// keeps as markers.
fn rewrite(text: &str, preserved: &Preserved, mark: bool) -> Option<String> {
    // Depth of elements whose text is kept as written, of `<head>`, and whether the body's
    // content started (an element that belongs in the body, or `<body>` itself).
    let keep = Rc::new(Cell::new(0usize));
    let head = Rc::new(Cell::new(0usize));
    let body = Cell::new(false);
    let body_ended = Rc::new(Cell::new(false));
    // Whether the output so far ends with collapsed whitespace (a text node can arrive in
    // several chunks).
    let pending_space = RefCell::new(false);
    let enter = |counter: &Rc<Cell<usize>>, el: &mut Element| {
        if el.end_tag_handlers().is_none() {
            return;
        }
        counter.set(counter.get() + 1);
        let counter = counter.clone();
        let _ = el.on_end_tag(Box::new(move |_| {
            counter.set(counter.get().saturating_sub(1));
            Ok(())
        }));
    };
    let mark_end = |el: &mut Element| {
        if el.end_tag_handlers().is_none() {
            return;
        }
        let ended = body_ended.clone();
        let _ = el.on_end_tag(Box::new(move |_| {
            ended.set(true);
            Ok(())
        }));
    };
    let everything_kept = preserved.any;
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("*", |el| {
            let tag = el.tag_name();
            let head_only = matches!(tag.as_str(), "html" | "head" | "title" | "meta" | "link" | "style" | "script" | "base" | "noscript" | "template");
            if !head_only {
                body.set(true);
                // The body's content closes `<head>`, whether or not `</head>` is written
                // (and an end tag left out never calls its handler).
                head.set(0);
            }
            if tag == "body" || tag == "html" {
                mark_end(el);
            }
            if tag == "head" {
                enter(&head, el);
            } else if matches!(tag.as_str(), "pre" | "textarea" | "listing" | "plaintext" | "xmp") || preserved.matches(el) {
                enter(&keep, el);
            }
            Ok(())
        }))
        .append_document_content_handler(doc_comments!(|c| {
            if !keep_comment(&c.text()) {
                c.remove();
            }
            Ok(())
        }))
        .append_document_content_handler(doc_text!(|t| {
            if t.text_type() != TextType::Data {
                *pending_space.borrow_mut() = false;
                return Ok(());
            }
            let source = t.as_str();
            if everything_kept || keep.get() > 0 {
                *pending_space.borrow_mut() = false;
                if mark && source.contains(|c: char| c.is_ascii_whitespace()) {
                    let out: String = source.chars().map(|c| if c.is_ascii_whitespace() { marker(c) } else { c }).collect();
                    t.replace(&out, ContentType::Html);
                }
                return Ok(());
            }
            // Whitespace never renders in `<head>`, nor before the body's content or after its end.
            let drop = head.get() > 0 || ((!body.get() || body_ended.get()) && source.trim().is_empty());
            let out = collapse(source, drop, mark, &mut pending_space.borrow_mut(), t.last_in_text_node());
            if out != source {
                t.replace(&out, ContentType::Html);
            }
            Ok(())
        }));
    rewrite_str(text, settings).ok()
}

/// One chunk of a text node with each whitespace run collapsed to one space (a newline if the
/// run has one), or dropped with `drop`; with `mark`, written as markers. `pending`: the
/// output so far ends with collapsed whitespace (carried across the chunks of a node; `last`
/// ends the node).
fn collapse(source: &str, drop: bool, mark: bool, pending: &mut bool, last: bool) -> String {
    let mut out = String::with_capacity(source.len());
    let mut run: Option<bool> = None; // Some(has_newline) while in a run of whitespace
    let flush = |out: &mut String, nl: bool, pending: bool| {
        if !(drop || pending && out.is_empty()) {
            out.push(match (mark, nl) {
                (true, true) => NEWLINE,
                (true, false) => SPACE,
                (false, true) => '\n',
                (false, false) => ' ',
            });
        }
    };
    for c in source.chars() {
        if c.is_ascii_whitespace() {
            run = Some(run.unwrap_or(false) || c == '\n');
        } else {
            if let Some(nl) = run.take() {
                flush(&mut out, nl, *pending);
            }
            out.push(c);
        }
    }
    if let Some(nl) = run {
        flush(&mut out, nl, *pending);
        *pending = true;
    } else if !out.is_empty() {
        *pending = false;
    }
    if last {
        *pending = false;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn min(page: &str, css: &str) -> String {
        let mut p = Preserved::default();
        p.add_css(css);
        String::from_utf8(minify(page.as_bytes(), &p)).unwrap()
    }

    #[test]
    fn collapses_whitespace_between_inline_elements_instead_of_removing_it() {
        let page = "<!doctype html>\n<html>\n  <head>\n    <title> A  title </title>\n  </head>\n  <body>\n    <!-- gone -->\n    <a class=\"btn x\">1</a>\n    <a class=btn>2</a>   <b>x</b>\n  </body>\n</html>\n";
        let out = min(page, "");
        assert!(out.contains(">1</a>\n<a class=btn>2</a> <b>x</b>"), "{out}");
        assert!(!out.contains("gone"), "{out}");
        assert!(out.contains("<title> A  title </title>") || out.contains("<title>A title</title>"), "{out}");
        assert!(out.contains("<head><title>"), "whitespace in head goes: {out}");
        assert!(out.len() < page.len());
    }

    #[test]
    fn keeps_urls_and_quotes_what_needs_it() {
        let page = b"<!doctype html>\n<html>\n  <head>\n    <link rel=\"stylesheet\" href=\"/assets/a.1234.css\" integrity=\"sha384-ab+/c=\">\n  </head>\n  <body>\n    <p>Hi  there</p>\n  </body>\n</html>\n";
        let out = String::from_utf8(minify(page, &Preserved::default())).unwrap();
        assert!(out.contains("href=/assets/a.1234.css"), "{out}");
        assert!(out.contains("integrity=\"sha384-ab+/c=\""), "{out}");
        assert!(out.contains("<p>Hi there"), "{out}");
        assert!(out.len() < page.len());
    }

    #[test]
    fn keeps_preformatted_text() {
        let page = "<pre>  a\n    b</pre><textarea>  x  </textarea><p style=\"white-space: pre\">  kept  </p><div class=code>  also  kept </div><div>  not   kept </div><script>  var  a = 1; </script>";
        let out = min(page, ".code{white-space:pre-wrap}");
        assert!(out.contains("<pre>  a\n    b</pre>"), "{out}");
        assert!(out.contains("<textarea>  x  </textarea>"), "{out}");
        assert!(out.contains(">  kept  "), "{out}");
        assert!(out.contains(">  also  kept </div>"), "{out}");
        assert!(out.contains("<div> not kept </div>"), "{out}");
        assert!(out.contains("var  a = 1;"), "{out}");
    }

    #[test]
    fn a_rule_that_may_preserve_anything_leaves_whitespace_alone() {
        let page = "<div>  a   b </div><!-- c -->";
        assert_eq!(min(page, "[data-x]{white-space:pre}"), "<div>  a   b </div>");
    }

    #[test]
    fn a_head_without_its_end_tag_does_not_swallow_the_body() {
        let page = "<head><title>x</title><body><p>Hello world</p>\n<a>1</a> <a>2</a>";
        let out = min(page, "");
        assert!(out.contains("Hello world") && out.contains("1</a> <a>2"), "{out}");
    }

    #[test]
    fn marker_characters_written_as_references_are_kept() {
        let page = "<p>&#xE001; icon   text</p><p>&#57344;</p>";
        let out = min(page, "");
        assert!(!out.contains('\n') && !out.contains("  "), "{out:?}");
        assert!(out.contains('\u{E001}') || out.contains("&#xE001;"), "{out:?}");
    }

    #[test]
    fn a_page_with_marker_characters_is_still_minified_safely() {
        let page = "<p>\u{E000} icon</p>\n\n<p>two   spaces</p>";
        let out = min(page, "");
        assert_eq!(out, "<p>\u{E000} icon</p>\n<p>two spaces</p>");
    }
}
