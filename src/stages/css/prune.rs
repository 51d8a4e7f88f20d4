//! CSS pruning (`css.prune = true`): drop style rules no page can match.
//!
//! The names a page can use are every word (`[A-Za-z0-9_-]+`) in the built HTML and scripts,
//! as PurgeCSS's default extractor reads them: class lists built from strings in JS still
//! count, and nothing kiln cannot see through is assumed absent. A selector is dropped only
//! when one of its parts needs a class, id, element or attribute name that appears nowhere;
//! `:not()`, `:has()` and anything else kiln cannot reason about count as matching. A rule
//! goes when all its selectors go; `@media` and other blocks that end up empty go too; then
//! custom properties, `@keyframes` and `@font-face` that nothing left refers to.

use std::collections::HashSet;

use lightningcss::printer::PrinterOptions;
use lightningcss::properties::custom::CustomPropertyName;
use lightningcss::properties::Property;
use lightningcss::rules::{CssRule, CssRuleList};
use lightningcss::selector::{Component, Selector};
use lightningcss::stylesheet::{ParserOptions, StyleSheet};
use lightningcss::traits::ToCss;

/// Names that exist in every document, written or not.
const ALWAYS: &[&str] = &["html", "head", "body", "*"];

/// Every word of `text`, the way PurgeCSS's default extractor splits content.
pub fn words(text: &str, into: &mut HashSet<String>) {
    for w in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
        if !w.is_empty() {
            into.insert(w.to_owned());
        }
    }
}

pub struct Used<'a> {
    pub words: &'a HashSet<String>,
    pub safelist: &'a globset::GlobSet,
}

impl Used<'_> {
    fn has(&self, name: &str) -> bool {
        self.words.contains(name) || ALWAYS.contains(&name) || self.safelist.is_match(name) || self.composed(name)
    }

    /// A name a script may build from parts: `alert-${kind}` leaves the word `alert-`, so any
    /// `alert-…` class may be used (and `${size}-lg` any `…-lg`).
    fn composed(&self, name: &str) -> bool {
        name.char_indices().filter(|(_, c)| *c == '-' || *c == '_').any(|(i, _)| {
            (i > 0 && self.words.contains(&name[..=i])) || (i + 1 < name.len() && self.words.contains(&name[i..]))
        })
    }

    fn may_match(&self, selector: &Selector) -> bool {
        selector.iter_raw_match_order().all(|c| match c {
            Component::Class(name) | Component::ID(name) => self.has(name.as_ref()),
            Component::LocalName(n) => self.has(n.lower_name.as_ref()) || self.has(n.name.as_ref()),
            Component::AttributeInNoNamespaceExists { local_name, .. } => self.has(local_name.as_ref()),
            Component::AttributeInNoNamespace { local_name, .. } => self.has(local_name.as_ref()),
            Component::Is(list) | Component::Where(list) | Component::Any(_, list) => list.iter().any(|s| self.may_match(s)),
            _ => true,
        })
    }
}

/// What pruning did to one stylesheet.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub rules_before: usize,
    pub rules_removed: usize,
}

fn count(rules: &CssRuleList) -> usize {
    rules.0.iter().map(|r| 1 + children(r).map_or(0, |c| count(c))).sum()
}

fn children<'a, 'i>(rule: &'a CssRule<'i>) -> Option<&'a CssRuleList<'i>> {
    Some(match rule {
        CssRule::Media(r) => &r.rules,
        CssRule::Supports(r) => &r.rules,
        CssRule::LayerBlock(r) => &r.rules,
        CssRule::Container(r) => &r.rules,
        CssRule::StartingStyle(r) => &r.rules,
        CssRule::Scope(r) => &r.rules,
        CssRule::Style(r) => &r.rules,
        _ => return None,
    })
}

fn children_mut<'a, 'i>(rule: &'a mut CssRule<'i>) -> Option<&'a mut CssRuleList<'i>> {
    Some(match rule {
        CssRule::Media(r) => &mut r.rules,
        CssRule::Supports(r) => &mut r.rules,
        CssRule::LayerBlock(r) => &mut r.rules,
        CssRule::Container(r) => &mut r.rules,
        CssRule::StartingStyle(r) => &mut r.rules,
        CssRule::Scope(r) => &mut r.rules,
        CssRule::Style(r) => &mut r.rules,
        _ => return None,
    })
}

fn prune_rules(rules: &mut CssRuleList, used: &Used) {
    rules.0.retain_mut(|rule| {
        if let CssRule::Style(style) = rule {
            style.selectors.0.retain(|s| used.may_match(s));
            if style.selectors.0.is_empty() {
                return false;
            }
        }
        let was_block = !matches!(rule, CssRule::Style(_));
        if let Some(inner) = children_mut(rule) {
            prune_rules(inner, used);
            if was_block && inner.0.is_empty() {
                return false;
            }
        }
        true
    });
}

fn print(rules: &CssRuleList) -> String {
    rules.0.iter().filter_map(|r| r.to_css_string(PrinterOptions::default()).ok()).collect::<Vec<_>>().join("\n")
}

/// Drops the `@keyframes` and `@font-face` rules nothing kept refers to.
fn prune_unreferenced(rules: &mut CssRuleList) {
    let mut rest = rules.clone();
    rest.0.retain(|r| !matches!(r, CssRule::Keyframes(_) | CssRule::FontFace(_)));
    let kept = print(&rest);
    let mut tokens = HashSet::new();
    words(&kept, &mut tokens);
    let kept_lower = kept.to_ascii_lowercase();
    rules.0.retain(|rule| match rule {
        CssRule::Keyframes(k) => {
            let name = k.name.to_css_string(PrinterOptions::default()).unwrap_or_default();
            tokens.contains(name.trim_matches('"'))
        }
        CssRule::FontFace(_) => {
            let text = rule.to_css_string(PrinterOptions::default()).unwrap_or_default();
            match font_family(&text) {
                Some(family) => kept_lower.contains(&family.to_ascii_lowercase()),
                None => true,
            }
        }
        _ => true,
    });
}

/// Drops custom property declarations (`--x: …`) that no `var(--x)` in the kept CSS and no
/// word of the pages and scripts (`style="--x: 1"`, `setProperty('--x')`) refers to. Rules
/// left with nothing in them go too.
fn prune_custom_properties(rules: &mut CssRuleList, used: &Used) {
    let text = print(rules);
    let referenced: HashSet<&str> = text
        .match_indices("var(")
        .filter_map(|(i, _)| {
            let rest = text[i + 4..].trim_start();
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))?;
            Some(&rest[..end])
        })
        .collect();
    let keep = |p: &Property| match p {
        Property::Custom(c) => match &c.name {
            CustomPropertyName::Custom(name) => {
                let name: &str = name.as_ref();
                referenced.contains(name) || used.words.contains(name) || used.safelist.is_match(name)
            }
            CustomPropertyName::Unknown(_) => true,
        },
        _ => true,
    };
    fn walk(rules: &mut CssRuleList, keep: &dyn Fn(&Property) -> bool) {
        rules.0.retain_mut(|rule| {
            if let CssRule::Style(style) = rule {
                let had = style.declarations.declarations.len() + style.declarations.important_declarations.len();
                style.declarations.declarations.retain(|p| keep(p));
                style.declarations.important_declarations.retain(|p| keep(p));
                walk(&mut style.rules, keep);
                let left = style.declarations.declarations.len() + style.declarations.important_declarations.len();
                return !(had > 0 && left == 0 && style.rules.0.is_empty());
            }
            if let Some(inner) = children_mut(rule) {
                walk(inner, keep);
                return !inner.0.is_empty();
            }
            true
        });
    }
    walk(rules, &keep);
}

/// The family an `@font-face` declares, without quotes.
fn font_family(text: &str) -> Option<String> {
    let start = text.find("font-family:")? + "font-family:".len();
    let value = text[start..].split([';', '}']).next()?.trim();
    Some(value.trim_matches(|c| c == '"' || c == '\'').to_owned())
}

/// Prunes a stylesheet's text (as the CSS stage printed it); `None` if it does not parse.
pub fn prune(css: &str, used: &Used, minify: bool) -> Option<(String, Pruned)> {
    let mut sheet = StyleSheet::parse(css, ParserOptions::default()).ok()?;
    let before = count(&sheet.rules);
    prune_rules(&mut sheet.rules, used);
    prune_custom_properties(&mut sheet.rules, used);
    prune_unreferenced(&mut sheet.rules);
    let after = count(&sheet.rules);
    let out = sheet.to_css(PrinterOptions { minify, ..PrinterOptions::default() }).ok()?;
    Some((out.code, Pruned { rules_before: before, rules_removed: before - after }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(css: &str, content: &str, safelist: &[&str]) -> String {
        let mut w = HashSet::new();
        words(content, &mut w);
        let mut b = globset::GlobSetBuilder::new();
        for s in safelist {
            b.add(globset::Glob::new(s).unwrap());
        }
        let set = b.build().unwrap();
        prune(css, &Used { words: &w, safelist: &set }, true).unwrap().0
    }

    #[test]
    fn drops_what_cannot_match() {
        let css = ".used{a:1}.gone{b:2}#main{c:3}#nope{d:4}div.used{e:5}span{f:6}[data-x]{g:7}[data-y]{h:8}\
                   .used:not(.gone){i:9}:is(.gone,.used) p{j:10}:is(.gone,.alsogone){k:11}\
                   @media (min-width:1px){.gone{l:12}.used{m:13}}@media print{.gone{n:14}}\
                   .js-open{o:15}.card{.gone{p:16}.used{q:17}}";
        let out = run(css, "<div id=main class=\"used card\" data-x><p>", &["js-*"]);
        let composed = run(".alert-success{a:1}.alert-danger{b:2}.x-lg{c:3}.nope-lg{d:4}", "el.className = `alert-${kind} ${size}-lg`", &[]);
        assert!(composed.contains("a:1") && composed.contains("b:2") && composed.contains("c:3"), "{composed}");
        for kept in ["a:1", "c:3", "e:5", "g:7", "i:9", "j:10", "m:13", "o:15", "q:17"] {
            assert!(out.contains(kept), "{kept} was dropped: {out}");
        }
        for gone in ["b:2", "d:4", "f:6", "h:8", "k:11", "l:12", "n:14", "p:16", "@media print"] {
            assert!(!out.contains(gone), "{gone} was kept: {out}");
        }
    }

    #[test]
    fn keyframes_and_font_faces_follow_their_users() {
        let css = "@keyframes spin{to{transform:rotate(1turn)}}@keyframes fade{to{opacity:0}}\
                   @font-face{font-family:Used Face;src:url(a.woff2)}@font-face{font-family:\"Lost\";src:url(b.woff2)}\
                   .a{animation:spin 1s;font-family:Used Face,serif}.b{animation:fade 1s;font-family:Lost}";
        let out = run(css, "class=a", &[]);
        assert!(out.contains("@keyframes spin") && out.contains("a.woff2"), "{out}");
        let vars = run(":root{--used:1px;--unused:2px;--scripted:3px}.a{margin:var(--used)}.b{--only:1}", "class=a setProperty('--scripted')", &[]);
        assert!(vars.contains("--used") && vars.contains("--scripted"), "{vars}");
        assert!(!vars.contains("--unused") && !vars.contains("--only"), "{vars}");
        assert!(!out.contains("fade") && !out.contains("b.woff2"), "{out}");
    }
}
