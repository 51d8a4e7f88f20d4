//! CSS pruning (`css.prune = true`): drop style rules no page can match.
//!
//! The names a page can use are every word (`[A-Za-z0-9_-]+`) in the built HTML and scripts,
//! as PurgeCSS's default extractor reads them: class lists built from strings in JS still
//! count, and nothing kiln cannot see through is assumed absent. A selector is dropped only
//! when one of its parts needs a class, id, element or attribute name that appears nowhere;
//! `:not()`, `:has()` and anything else kiln cannot reason about count as matching. A rule
//! goes when all its selectors go; `@media` and other blocks that end up empty go too; then
//! custom properties, `@keyframes` and `@font-face` that nothing left refers to.
//!
//! `/* kiln-keep */` before a rule (or an `@media`/`@supports`… block) keeps it whole;
//! `/* kiln-keep start */ … /* kiln-keep end */` keeps every rule between. Comments are gone
//! once a file is bundled and minified, so the marks are read from each source file as it is
//! loaded ([`crate::loader::css::keep::marked`]) and carried with the asset as the selectors they keep.

use std::collections::HashSet;

use lightningcss::printer::PrinterOptions;
use lightningcss::properties::custom::CustomPropertyName;
use lightningcss::properties::Property;
use lightningcss::rules::{CssRule, CssRuleList};
use lightningcss::stylesheet::{ParserOptions, StyleSheet};
use lightningcss::traits::ToCss;

use crate::loader::css::keep::{children, font_family, keyframes_name, selector_text};
use crate::loader::css::used::{words, Used};
use crate::loader::html::map_styles;
use rayon::prelude::*;

use crate::config::CssOptions;
use crate::diagnostics::BuildError;
use crate::graph::{AssetKind, Graph};
use crate::log::{stage_output, StageLog};
use crate::report::PrunedCss;

/// What pruning did to one stylesheet.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pruned {
    pub rules_before: usize,
    pub rules_removed: usize,
    /// The selectors dropped, then `@keyframes name` and `@font-face family` for those dropped.
    pub removed: Vec<String>,
}

fn count(rules: &CssRuleList) -> usize {
    rules.0.iter().map(|r| 1 + children(r).map_or(0, |c| count(c))).sum()
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

fn prune_rules(rules: &mut CssRuleList, used: &Used, keep: &HashSet<&str>, removed: &mut Vec<String>) {
    rules.0.retain_mut(|rule| {
        if let CssRule::Style(style) = rule {
            style.selectors.0.retain(|s| {
                if used.may_match(s) {
                    return true;
                }
                let text = selector_text(s);
                let kept = keep.contains(text.as_str());
                if !kept {
                    removed.push(text);
                }
                kept
            });
            if style.selectors.0.is_empty() {
                return false;
            }
        }
        let was_block = !matches!(rule, CssRule::Style(_));
        if let Some(inner) = children_mut(rule) {
            prune_rules(inner, used, keep, removed);
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
fn prune_unreferenced(rules: &mut CssRuleList, keep: &HashSet<&str>, removed: &mut Vec<String>) {
    let mut rest = rules.clone();
    rest.0.retain(|r| !matches!(r, CssRule::Keyframes(_) | CssRule::FontFace(_)));
    let kept = print(&rest);
    let mut tokens = HashSet::new();
    words(&kept, &mut tokens);
    let kept_lower = kept.to_ascii_lowercase();
    rules.0.retain(|rule| match rule {
        CssRule::Keyframes(k) => {
            let name = keyframes_name(k);
            let marked = format!("@keyframes {name}");
            let kept = tokens.contains(&name) || keep.contains(marked.as_str());
            if !kept {
                removed.push(marked);
            }
            kept
        }
        CssRule::FontFace(_) => {
            let text = rule.to_css_string(PrinterOptions::default()).unwrap_or_default();
            match font_family(&text) {
                Some(family) => {
                    let family = family.to_ascii_lowercase();
                    let marked = format!("@font-face {family}");
                    let kept = kept_lower.contains(&family) || keep.contains(marked.as_str());
                    if !kept {
                        removed.push(marked);
                    }
                    kept
                }
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

/// Prunes a stylesheet's text (as the CSS stage printed it); `None` if it does not parse.
/// `keep` holds what [`marked`] found in the sheet's sources.
pub fn prune(css: &str, used: &Used, keep: &[String], minify: bool) -> Option<(String, Pruned)> {
    let mut sheet = StyleSheet::parse(css, ParserOptions::default()).ok()?;
    let keep: HashSet<&str> = keep.iter().map(String::as_str).collect();
    let before = count(&sheet.rules);
    let mut removed = Vec::new();
    prune_rules(&mut sheet.rules, used, &keep, &mut removed);
    prune_custom_properties(&mut sheet.rules, used);
    prune_unreferenced(&mut sheet.rules, &keep, &mut removed);
    let after = count(&sheet.rules);
    let out = sheet.to_css(PrinterOptions { minify, ..PrinterOptions::default() }).ok()?;
    let code = crate::loader::css::precision::restore(out.code, &crate::loader::css::precision::long_numbers([css]));
    Some((code, Pruned { rules_before: before, rules_removed: before - after, removed }))
}

/// The prune stage (`css.prune`): every stylesheet and every page's `<style>` elements pruned
/// with the words of all built pages and scripts.
pub struct PruneStage<'a> {
    options: &'a CssOptions,
}

pub struct PruneOutput {
    pub graph: Graph,
    /// What was pruned, per stylesheet and page.
    pub pruned: Vec<PrunedCss>,
    pub log: StageLog,
}

stage_output!(PruneOutput);

impl<'a> PruneStage<'a> {
    pub fn new(options: &'a CssOptions) -> Self {
        PruneStage { options }
    }

    pub fn run(self, mut graph: Graph) -> Result<PruneOutput, BuildError> {
        if !self.options.prune {
            return Ok(PruneOutput { graph, pruned: Vec::new(), log: StageLog { skipped: true, ..StageLog::default() } });
        }
        let pruned = prune_graph(self.options, &mut graph);
        Ok(PruneOutput { graph, pruned, log: StageLog::default() })
    }
}

fn prune_graph(options: &CssOptions, graph: &mut Graph) -> Vec<PrunedCss> {
    let mut words_seen = HashSet::new();
    for a in graph.assets.iter().filter(|a| matches!(a.kind, AssetKind::Html | AssetKind::Js | AssetKind::Chunk)) {
        let text = String::from_utf8_lossy(&a.content);
        match a.kind {
            // A page's own `<style>` text names every selector in it: not evidence of use.
            AssetKind::Html => {
                let without = map_styles(&text, |_| String::new());
                words(without.as_deref().unwrap_or(&text), &mut words_seen);
            }
            _ => words(&text, &mut words_seen),
        }
    }
    let used = Used { words: &words_seen, safelist: &options.safelist };
    let minify = options.minify;
    let results: Vec<Option<PrunedCss>> = graph
        .assets
        .par_iter_mut()
        .map(|a| {
            let before = a.content.len() as u64;
            let text = String::from_utf8_lossy(&a.content).into_owned();
            let (code, p) = match a.kind {
                AssetKind::Css => prune(&text, &used, &a.css_keep, minify)?,
                AssetKind::Html if text.contains("<style") || text.contains("<STYLE") => {
                    let mut total = Pruned::default();
                    let html = map_styles(&text, |css| match prune(css, &used, &a.css_keep, minify) {
                        Some((code, p)) => {
                            total.rules_before += p.rules_before;
                            total.rules_removed += p.rules_removed;
                            total.removed.extend(p.removed);
                            code
                        }
                        None => css.to_owned(),
                    })?;
                    if total.rules_before == 0 {
                        return None;
                    }
                    (html, total)
                }
                _ => return None,
            };
            a.content = code.into_bytes();
            Some(PrunedCss {
                src: a.src.to_string(),
                inline: a.kind == AssetKind::Html,
                rules_before: p.rules_before,
                rules_removed: p.rules_removed,
                bytes_before: before,
                bytes_after: a.content.len() as u64,
                removed: p.removed,
            })
        })
        .collect();
    results.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(css: &str, content: &str, safelist: &[&str]) -> String {
        run_keeping(css, content, safelist, &[])
    }

    fn run_keeping(css: &str, content: &str, safelist: &[&str], keep: &[String]) -> String {
        let mut w = HashSet::new();
        words(content, &mut w);
        let mut b = globset::GlobSetBuilder::new();
        for s in safelist {
            b.add(globset::Glob::new(s).unwrap());
        }
        let set = b.build().unwrap();
        prune(css, &Used { words: &w, safelist: &set }, keep, true).unwrap().0
    }

    #[test]
    fn keep_comments_mark_rules_blocks_and_regions() {
        let source = "/* kiln-keep */\n.marked, .also { color: red }\n.gone { color: blue }\n\
                      /*! kiln-keep */ @media print { .printed { color: black } }\n\
                      /* kiln-keep start */\n.r1 { a: 1 }\n@keyframes k { to { opacity: 0 } }\n\
                      /* kiln-keep end */\n.after { b: 2 }\n@keyframes lost { to { opacity: 1 } }\n";
        let keep = crate::loader::css::keep::marked(source);
        assert_eq!(keep, [".marked", ".also", ".printed", ".r1", "@keyframes k"], "{keep:?}");
        let minified = StyleSheet::parse(source, ParserOptions::default()).unwrap();
        let minified = minified.to_css(PrinterOptions { minify: true, ..PrinterOptions::default() }).unwrap().code;
        let out = run_keeping(&minified, "", &[], &keep);
        for kept in [".marked", ".also", "@media print", ".printed", ".r1", "@keyframes k"] {
            assert!(out.contains(kept), "{kept} was dropped: {out}");
        }
        for gone in [".gone", ".after", "lost"] {
            assert!(!out.contains(gone), "{gone} was kept: {out}");
        }
    }

    #[test]
    fn lists_what_it_removed() {
        let mut w = HashSet::new();
        words("class=a", &mut w);
        let set = globset::GlobSet::empty();
        let (_, p) = prune(".a{x:1}.b,.c{y:2}@keyframes spin{to{opacity:0}}", &Used { words: &w, safelist: &set }, &[], true).unwrap();
        assert_eq!(p.removed, [".b", ".c", "@keyframes spin"]);
        assert_eq!((p.rules_before, p.rules_removed), (3, 2));
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
