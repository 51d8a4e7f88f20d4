//! `/* kiln-keep */` comments, read from each CSS source file as it is loaded (once a file is
//! bundled and minified its comments are gone), and the rule helpers pruning shares.

use lightningcss::printer::PrinterOptions;
use lightningcss::rules::{CssRule, CssRuleList, Location};
use lightningcss::selector::Selector;
use lightningcss::stylesheet::{ParserOptions, StyleSheet};
use lightningcss::traits::ToCss;

/// The selectors and names that the keep comments of one source file mark. A file that does
/// not parse marks nothing here (the CSS stage reports its errors).
pub fn marked(text: &str) -> Vec<String> {
    if !text.contains("kiln-keep") {
        return Vec::new();
    }
    // (start of the comment, end of the comment, what it says).
    let mut marks = Vec::new();
    let mut at = 0;
    while let Some(open) = text[at..].find("/*").map(|i| at + i) {
        let Some(close) = text[open + 2..].find("*/").map(|i| open + 2 + i) else { break };
        let body = text[open + 2..close].trim().trim_start_matches('!').trim();
        match body {
            "kiln-keep" | "kiln-keep start" | "kiln-keep end" => marks.push((open, close + 2, body)),
            _ => {}
        }
        at = close + 2;
    }
    let Ok(sheet) = StyleSheet::parse(text, ParserOptions::default()) else { return Vec::new() };
    let mut rules = Vec::new();
    flatten(&sheet.rules, &mut rules);
    rules.sort_by_key(|(loc, _)| *loc);
    let position = |byte: usize| {
        let before = &text[..byte];
        let line = before.matches('\n').count() as u32;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, text[line_start..byte].encode_utf16().count() as u32 + 1)
    };
    let mut out = Vec::new();
    let mut region_start = None;
    for (open, close, body) in marks {
        match body {
            "kiln-keep" => {
                let after = position(close);
                if let Some((_, rule)) = rules.iter().find(|(loc, _)| *loc >= after) {
                    kept_by(rule, &mut out);
                }
            }
            "kiln-keep start" => region_start = Some(position(close)),
            _ => {
                if let Some(start) = region_start.take() {
                    let end = position(open);
                    for (_, rule) in rules.iter().filter(|(loc, _)| *loc >= start && *loc < end) {
                        kept_by(rule, &mut out);
                    }
                }
            }
        }
    }
    out
}

/// What keeping `rule` whole keeps: its selectors (and those nested in it), or the name of a
/// `@keyframes` or `@font-face`.
fn kept_by(rule: &CssRule, into: &mut Vec<String>) {
    match rule {
        CssRule::Style(r) => into.extend(r.selectors.0.iter().map(selector_text)),
        CssRule::Keyframes(k) => into.push(format!("@keyframes {}", keyframes_name(k))),
        CssRule::FontFace(_) => {
            let text = rule.to_css_string(PrinterOptions::default()).unwrap_or_default();
            into.extend(font_family(&text).map(|f| format!("@font-face {}", f.to_ascii_lowercase())));
        }
        _ => {}
    }
    if let Some(inner) = children(rule) {
        for r in &inner.0 {
            kept_by(r, into);
        }
    }
}

/// Every rule with its start, in document order (a block before the rules inside it).
fn flatten<'a, 'i>(rules: &'a CssRuleList<'i>, into: &mut Vec<((u32, u32), &'a CssRule<'i>)>) {
    for r in &rules.0 {
        if let Some(loc) = rule_loc(r) {
            into.push(((loc.line, loc.column), r));
        }
        if let Some(inner) = children(r) {
            flatten(inner, into);
        }
    }
}

/// Where a rule starts, for the rules a keep comment can mark.
fn rule_loc(rule: &CssRule) -> Option<Location> {
    Some(match rule {
        CssRule::Style(r) => r.loc,
        CssRule::Media(r) => r.loc,
        CssRule::Supports(r) => r.loc,
        CssRule::LayerBlock(r) => r.loc,
        CssRule::Container(r) => r.loc,
        CssRule::StartingStyle(r) => r.loc,
        CssRule::Scope(r) => r.loc,
        CssRule::Keyframes(r) => r.loc,
        CssRule::FontFace(r) => r.loc,
        _ => return None,
    })
}

pub(crate) fn children<'a, 'i>(rule: &'a CssRule<'i>) -> Option<&'a CssRuleList<'i>> {
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

pub(crate) fn selector_text(s: &Selector) -> String {
    s.to_css_string(PrinterOptions { minify: true, ..PrinterOptions::default() }).unwrap_or_default()
}

pub(crate) fn keyframes_name(k: &lightningcss::rules::keyframes::KeyframesRule) -> String {
    k.name.to_css_string(PrinterOptions::default()).unwrap_or_default().trim_matches('"').to_owned()
}

/// The family an `@font-face` declares, without quotes.
pub(crate) fn font_family(text: &str) -> Option<String> {
    let start = text.find("font-family:")? + "font-family:".len();
    let value = text[start..].split([';', '}']).next()?.trim();
    Some(value.trim_matches(|c| c == '"' || c == '\'').to_owned())
}
