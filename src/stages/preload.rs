//! Font preloads (`html.preload_fonts`, at most that many a page; 0 turns them off): a page
//! gets `<link rel="preload" as="font" crossorigin>` for the web fonts its first render needs,
//! found from the real graph rather than guessed.
//!
//! For each page, the stylesheets it loads at start (its `<link rel=stylesheet>`s, the CSS of
//! the chunks it runs, its `<style>`s) are read. A style rule counts when one of its selectors
//! may match the page (the same test as CSS pruning, over the words of the page and of the
//! scripts it runs at start); the families its `font-family` or `font` names (through
//! `var()` too) are the families used. An `@font-face` of a used family is preloaded when:
//! - it is the regular face (its weights include 400, its style normal) and a counting rule
//!   sets the family with no other weight, or it has the weight and style a counting rule
//!   sets beside that family;
//! - its `unicode-range`, if any, covers a character of the page or its start-up scripts;
//! - its first source is a `url()` (a `local()` first may mean nothing is downloaded).
//!
//! The preloaded URL is that first source; a page that already refers to the file (its own
//! preload) gets none. Preloading a file the page does not use would cost bandwidth and make
//! Chromium warn, so every test here leans towards leaving a font out.

use std::collections::{BTreeMap, HashSet};

use lightningcss::printer::PrinterOptions;
use lightningcss::properties::font::{AbsoluteFontWeight, FontFamily, FontWeight};
use lightningcss::properties::Property;
use lightningcss::rules::font_face::{FontFaceProperty, Source};
use lightningcss::rules::CssRule;
use lightningcss::stylesheet::{ParserOptions, StyleSheet};
use lightningcss::traits::ToCss;
use lol_html::html_content::ContentType;
use lol_html::{element, rewrite_str, RewriteStrSettings};
use rayon::prelude::*;

use crate::diagnostics::BuildError;
use crate::graph::{placeholder_index, Asset, AssetKey, AssetKind, Graph, RefUse, Refs, PLACEHOLDER_LEN};
use crate::loader::css::keep::children;
use crate::loader::css::used::{words, Used};
use crate::loader::html::map_styles;
use crate::log::{stage_output, StageLog};

/// One `@font-face`, as far as preloading goes.
#[derive(Debug, Clone)]
struct Face {
    family: String,
    /// The file of its first source, with its kind.
    file: (AssetKey, AssetKind),
    mime: &'static str,
    weights: (f32, f32),
    italic: bool,
    ranges: Vec<(u32, u32)>,
}

/// What the counting rules of a page ask for.
#[derive(Debug, Default)]
struct Usage {
    families: HashSet<String>,
    /// Families a rule sets with no weight, or 400, and no italic: their regular face is used.
    plain: HashSet<String>,
    /// (family, weight, italic) set together in one rule.
    styled: Vec<(String, f32, bool)>,
    /// Custom properties set by counting rules, for `var()` in a family list.
    vars: BTreeMap<String, String>,
    /// Family lists written through `var()`, resolved once every rule is read.
    pending: Vec<(String, Option<f32>, bool)>,
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches(|c| c == '"' || c == '\'').trim().to_ascii_lowercase()
}

fn family_names(list: &[FontFamily]) -> Vec<String> {
    list.iter()
        .filter_map(|f| match f {
            FontFamily::FamilyName(n) => n.to_css_string(PrinterOptions::default()).ok().map(|s| unquote(&s)),
            FontFamily::Generic(_) => None,
        })
        .collect()
}

fn weight_number(w: &FontWeight) -> Option<f32> {
    match w {
        FontWeight::Absolute(AbsoluteFontWeight::Weight(n)) => Some(*n),
        FontWeight::Absolute(AbsoluteFontWeight::Normal) => Some(400.0),
        FontWeight::Absolute(AbsoluteFontWeight::Bold) => Some(700.0),
        _ => None,
    }
}

/// A `font-weight` / `font-style` value written as text (`700`, `bold`, `italic`).
fn weight_text(v: &str) -> Option<f32> {
    match v.trim() {
        "normal" => Some(400.0),
        "bold" => Some(700.0),
        n => n.parse().ok(),
    }
}

impl Usage {
    /// The declarations of one counting rule.
    fn read(&mut self, declarations: &[Property]) {
        let mut families: Vec<String> = Vec::new();
        let mut weight = None;
        let mut italic = false;
        let mut via_var: Option<String> = None;
        for p in declarations {
            match p {
                Property::FontFamily(list) => families = family_names(list),
                Property::Font(f) => {
                    families = family_names(&f.family);
                    weight = weight_number(&f.weight);
                    italic = f.style.to_css_string(PrinterOptions::default()).is_ok_and(|s| s.starts_with("italic") || s.starts_with("oblique"));
                }
                Property::FontWeight(w) => weight = weight_number(w),
                Property::FontStyle(s) => {
                    italic = s.to_css_string(PrinterOptions::default()).is_ok_and(|s| s.starts_with("italic") || s.starts_with("oblique"))
                }
                Property::Custom(c) => {
                    let name = c.name.to_css_string(PrinterOptions::default()).unwrap_or_default();
                    let value = p.value_to_css_string(PrinterOptions::default()).unwrap_or_default();
                    self.vars.insert(name, value);
                }
                Property::Unparsed(u) => {
                    let name = u.property_id.name();
                    let value = p.value_to_css_string(PrinterOptions::default()).unwrap_or_default();
                    match name {
                        "font-family" | "font" => via_var = Some(value),
                        "font-weight" => weight = weight_text(&value),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        if let Some(text) = via_var {
            self.pending.push((text, weight, italic));
        }
        for f in families {
            self.note(f, weight, italic);
        }
    }

    fn note(&mut self, family: String, weight: Option<f32>, italic: bool) {
        match weight {
            Some(w) if w != 400.0 || italic => self.styled.push((family.clone(), w, italic)),
            _ if !italic => {
                self.plain.insert(family.clone());
            }
            _ => self.styled.push((family.clone(), 400.0, italic)),
        }
        self.families.insert(family);
    }

    /// Resolves the family lists written through `var()` (a few levels deep).
    fn resolve(&mut self) {
        for (text, weight, italic) in std::mem::take(&mut self.pending) {
            let mut text = text;
            for _ in 0..4 {
                let Some(start) = text.find("var(") else { break };
                let end = text[start..].find(')').map_or(text.len(), |e| start + e + 1);
                let name = text[start + 4..end.saturating_sub(1)].split(',').next().unwrap_or("").trim().to_owned();
                let value = self.vars.get(&name).cloned().unwrap_or_default();
                text.replace_range(start..end, &value);
            }
            // A `font` shorthand puts the family list last, after the size.
            for f in text.split(',').map(|f| unquote(f.rsplit(|c: char| c.is_ascii_digit() || c == ')').next().unwrap_or(f))) {
                if !f.is_empty() {
                    self.note(f, weight, italic);
                }
            }
        }
    }

    fn wants(&self, face: &Face) -> bool {
        if !self.families.contains(&face.family) {
            return false;
        }
        let covers = |w: f32| face.weights.0 <= w && w <= face.weights.1;
        (covers(400.0) && !face.italic && self.plain.contains(&face.family))
            || self.styled.iter().any(|(f, w, i)| f == &face.family && covers(*w) && *i == face.italic)
    }
}

fn font_mime(format: Option<&str>, path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match (format.unwrap_or(""), ext.as_str()) {
        ("woff2", _) | (_, "woff2") => "font/woff2",
        ("woff", _) | (_, "woff") => "font/woff",
        ("opentype", _) | (_, "otf") => "font/otf",
        _ => "font/ttf",
    }
}

/// The `@font-face` a rule declares, if its first source is a file of the build.
fn face(properties: &[FontFaceProperty], refs: &Refs) -> Option<Face> {
    let mut family = None;
    let mut file = None;
    let mut weights = (400.0, 400.0);
    let mut italic = false;
    let mut ranges = Vec::new();
    for p in properties {
        match p {
            FontFaceProperty::FontFamily(f) => family = family_names(std::slice::from_ref(f)).pop(),
            FontFaceProperty::Source(list) => {
                let Some(Source::Url(first)) = list.first() else { return None };
                let text = first.url.url.as_ref();
                let r = refs.0.get(placeholder_index(text.get(..PLACEHOLDER_LEN)?.as_bytes())?)?;
                if r.use_ != RefUse::Url || r.public {
                    return None;
                }
                let format = first.format.as_ref().and_then(|f| f.to_css_string(PrinterOptions::default()).ok());
                let mime = font_mime(format.as_deref().map(|f| f.trim_matches('"')), r.target.source_file());
                file = Some(((r.target.clone(), r.kind), mime));
            }
            FontFaceProperty::FontWeight(size) => {
                let (a, b) = (weight_number(&size.0), weight_number(&size.1));
                if let (Some(a), Some(b)) = (a, b) {
                    weights = (a.min(b), a.max(b));
                }
            }
            FontFaceProperty::FontStyle(s) => {
                italic = s.to_css_string(PrinterOptions::default()).is_ok_and(|s| s.starts_with("italic") || s.starts_with("oblique"));
            }
            FontFaceProperty::UnicodeRange(list) => ranges = list.iter().map(|r| (r.start, r.end)).collect(),
            _ => {}
        }
    }
    let (file, mime) = file?;
    Some(Face { family: family?, file, mime, weights, italic, ranges })
}

/// The faces and usage one stylesheet gives, for a page whose names are `used`.
fn read_css(css: &str, refs: &Refs, used: &Used, faces: &mut Vec<Face>, usage: &mut Usage) {
    let Ok(sheet) = StyleSheet::parse(css, ParserOptions::default()) else { return };
    let mut stack: Vec<&CssRule> = sheet.rules.0.iter().rev().collect();
    while let Some(rule) = stack.pop() {
        match rule {
            CssRule::FontFace(f) => faces.extend(face(&f.properties, refs)),
            CssRule::Style(s) if s.selectors.0.iter().any(|sel| used.may_match(sel)) => {
                usage.read(&s.declarations.declarations);
                usage.read(&s.declarations.important_declarations);
            }
            // Print styles do not decide a first render.
            CssRule::Media(m) if m.query.to_css_string(PrinterOptions::default()).is_ok_and(|q| q.trim() == "print") => continue,
            _ => {}
        }
        if let Some(inner) = children(rule) {
            stack.extend(inner.0.iter().rev());
        }
    }
}

/// A font to preload: its file, kind and MIME type.
type Preload = (AssetKey, AssetKind, &'static str);

/// The fonts to preload for one page, in stylesheet order, at most `max`.
fn page_fonts(page: &Asset, by_key: &BTreeMap<&AssetKey, &Asset>, max: usize) -> Vec<Preload> {
    let html = String::from_utf8_lossy(&page.content);
    let start: Vec<&Asset> = page.refs.0.iter().filter(|r| r.use_ == RefUse::Url && !r.public).filter_map(|r| by_key.get(&r.target).copied()).collect();
    let mut names = HashSet::new();
    // One pass: the page without its `<style>`s (for its words), and those styles.
    let mut inline: Vec<String> = Vec::new();
    let without_styles = map_styles(&html, |css| {
        inline.push(css.to_owned());
        String::new()
    });
    let text_of_page = without_styles.as_deref().unwrap_or(&html);
    words(text_of_page, &mut names);
    let mut chars: HashSet<char> = text_of_page.chars().filter(|c| !c.is_ascii()).collect();
    for script in start.iter().filter(|a| matches!(a.kind, AssetKind::Js | AssetKind::Chunk)) {
        let text = String::from_utf8_lossy(&script.content);
        words(&text, &mut names);
        chars.extend(text.chars().filter(|c| !c.is_ascii()));
    }
    let empty = globset::GlobSet::empty();
    let used = Used { words: &names, safelist: &empty };
    let (mut faces, mut usage) = (Vec::new(), Usage::default());
    for css in start.iter().filter(|a| a.kind == AssetKind::Css) {
        read_css(&String::from_utf8_lossy(&css.content), &css.refs, &used, &mut faces, &mut usage);
    }
    for css in &inline {
        read_css(css, &page.refs, &used, &mut faces, &mut usage);
    }
    usage.resolve();
    let covered = |ranges: &[(u32, u32)]| {
        ranges.is_empty() || ranges.iter().any(|&(a, b)| (a <= 0x7a && b >= 0x41) || chars.iter().any(|&c| (a..=b).contains(&(c as u32))))
    };
    let already: HashSet<&AssetKey> = page.refs.0.iter().map(|r| &r.target).collect();
    let mut out: Vec<Preload> = Vec::new();
    for f in faces.into_iter().filter(|f| usage.wants(f) && covered(&f.ranges) && !already.contains(&f.file.0)) {
        if out.len() < max && !out.iter().any(|(k, _, _)| k == &f.file.0) {
            out.push((f.file.0, f.file.1, f.mime));
        }
    }
    out
}

/// Adds the preload links at the end of the page's `<head>`; `None` if it has none.
fn insert(html: &str, links: &str) -> Option<String> {
    let done = std::cell::Cell::new(false);
    let head = element!("head", |el| {
        el.append(links, ContentType::Html);
        done.set(true);
        Ok(())
    });
    let out = rewrite_str(html, RewriteStrSettings::new().append_element_content_handler(head)).ok()?;
    done.get().then_some(out)
}

/// The preload stage: font preloads added to pages, before fingerprinting makes their URLs.
pub struct PreloadStage {
    max_fonts: usize,
}

pub struct PreloadOutput {
    pub graph: Graph,
    pub log: StageLog,
}

stage_output!(PreloadOutput);

impl PreloadStage {
    pub fn new(max_fonts: usize) -> Self {
        PreloadStage { max_fonts }
    }

    pub fn run(self, mut graph: Graph) -> Result<PreloadOutput, BuildError> {
        if self.max_fonts == 0 {
            return Ok(PreloadOutput { graph, log: StageLog { skipped: true, ..StageLog::default() } });
        }
        let by_key: BTreeMap<&AssetKey, &Asset> = graph.assets.iter().map(|a| (&a.src, a)).collect();
        let plans: Vec<(usize, Vec<Preload>)> = graph
            .assets
            .par_iter()
            .enumerate()
            .filter(|(_, a)| a.kind == AssetKind::Html)
            .map(|(i, page)| (i, page_fonts(page, &by_key, self.max_fonts)))
            .filter(|(_, fonts)| !fonts.is_empty())
            .collect();
        for (i, fonts) in plans {
            let page = &mut graph.assets[i];
            let mut refs = page.refs.clone();
            let links: String = fonts
                .iter()
                .map(|(key, kind, mime)| {
                    let href = refs.placeholder(key, *kind, RefUse::Url, false);
                    format!("<link rel=\"preload\" href=\"{href}\" as=\"font\" type=\"{mime}\" crossorigin>")
                })
                .collect();
            // A page without a `<head>` tag gets nothing (and no reference it does not use).
            if let Some(out) = insert(&String::from_utf8_lossy(&page.content), &links) {
                page.content = out.into_bytes();
                page.refs = refs;
            }
        }
        Ok(PreloadOutput { graph, log: StageLog::default() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faces_for(css: &str, page_words: &str) -> Vec<String> {
        let mut names = HashSet::new();
        words(page_words, &mut names);
        let empty = globset::GlobSet::empty();
        let used = Used { words: &names, safelist: &empty };
        let mut refs = Refs::default();
        let mut css = css.to_owned();
        for name in ["regular", "bold", "italic", "other"] {
            let ph = refs.placeholder(&AssetKey::File(format!("{name}.woff2")), AssetKind::Raw, RefUse::Url, false);
            css = css.replace(&format!("{name}.woff2"), &ph);
        }
        let (mut faces, mut usage) = (Vec::new(), Usage::default());
        read_css(&css, &refs, &used, &mut faces, &mut usage);
        usage.resolve();
        faces.into_iter().filter(|f| usage.wants(f)).map(|f| f.file.0.to_string()).collect()
    }

    const FACES: &str = "@font-face{font-family:Inter;src:url(regular.woff2)format('woff2');font-weight:400}\
        @font-face{font-family:Inter;src:url(bold.woff2);font-weight:700}\
        @font-face{font-family:Inter;src:url(italic.woff2);font-style:italic}\
        @font-face{font-family:Other;src:url(other.woff2)}";

    #[test]
    fn the_regular_face_of_a_used_family() {
        assert_eq!(faces_for(&format!("{FACES} body{{font-family:Inter,sans-serif}}"), "<p>hi"), ["regular.woff2"]);
    }

    #[test]
    fn a_weight_set_beside_the_family_in_a_matching_rule() {
        let css = format!("{FACES} .title{{font:700 2rem Inter}} .unseen{{font-family:Other}}");
        assert_eq!(faces_for(&css, "<h1 class=title>"), ["bold.woff2"]);
        assert!(faces_for(&css, "<h1>").is_empty(), "no element has the class");
    }

    #[test]
    fn a_family_through_a_custom_property() {
        let css = format!("{FACES} :root{{--font: \"Inter\", sans-serif}} body{{font-family:var(--font)}}");
        assert_eq!(faces_for(&css, "<p>"), ["regular.woff2"]);
    }
}
