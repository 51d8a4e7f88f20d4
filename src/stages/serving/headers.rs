//! `_headers` (`headers_file = true`), in the format Cloudflare Pages and Netlify read: a path
//! pattern line, then indented `Name: value` lines.
//!
//! - Each page gets a rule with a `Link:` line per file it loads first (stylesheets
//!   `rel=preload; as=style`, module chunks `rel=modulepreload`, classic scripts
//!   `rel=preload; as=script`, the fonts the page preloads `rel=preload; as=font; crossorigin`),
//!   so the CDN sends them
//!   as 103 Early Hints while the page is made. Cloudflare builds Early Hints from a page's
//!   `<link>`s only when they carry no `crossorigin`, which leaves fonts and module preloads
//!   out; written here, they get one. A page is matched by its URL with and without `.html`
//!   (`/about` and `/about.html`, `/blog/` and `/blog/index.html`), as both platforms serve
//!   both.
//! - Hashed files get `Cache-Control: public, max-age=31536000, immutable`: one `/folder/*`
//!   rule for a folder holding only hashed files, else a rule per file. No two rules set the
//!   same header on one path (both platforms would join the values with a comma).
//!
//! - Hashed scripts, stylesheets and WebAssembly get `Use-As-Dictionary` (when `[delta]` is
//!   on), one rule per file, so browsers keep them as dictionaries for their next versions
//!   (an edge function serving the deltas is then needed to use them: see `docs/deltas.md`).
//!   These rules come last: over the limit, the smallest files' are left out first.
//!
//! Cloudflare Pages reads at most [`MAX_RULES`] rules and [`MAX_LINE`] characters a line.
//! Over those, a warning names what was left out: first the `.html` twins of page rules,
//! then whole page rules from the last page backwards; a line too long is left out.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostic;
use crate::graph::AssetKind;
use crate::output::{Origin, OutputFile};

pub const MAX_RULES: usize = 100;
pub const MAX_LINE: usize = 2000;

/// One rule: a path pattern and its header lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub pattern: String,
    pub headers: Vec<(String, String)>,
}

/// The URL of an output path on the site: `base` when it is a path or an origin, else `/`.
pub fn site_url(base: &str, path: &str) -> String {
    let base = if base.starts_with('/') || base.contains("://") { base } else { "/" };
    format!("{}/{}", base.trim_end_matches('/'), path)
}

/// The `Link` value for one file a page loads first; `None` for what gets no hint.
fn link(url: &str, path: &str, kind: Option<AssetKind>) -> Option<String> {
    let group = crate::mime::group(path);
    Some(match kind {
        Some(AssetKind::Css) => format!("<{url}>; rel=preload; as=style"),
        Some(AssetKind::Chunk) => format!("<{url}>; rel=modulepreload"),
        Some(AssetKind::Js) => format!("<{url}>; rel=preload; as=script"),
        _ if group == "font" => format!("<{url}>; rel=preload; as=font; type={}; crossorigin", crate::mime::content_type(path)),
        _ => return None,
    })
}

/// The URLs a page answers to: its `.html` path and the one without.
fn page_patterns(base: &str, path: &str) -> (String, Option<String>) {
    let full = site_url(base, path);
    if let Some(dir) = full.strip_suffix("index.html") {
        (dir.to_owned(), Some(full.clone()))
    } else if let Some(stem) = full.strip_suffix(".html") {
        (stem.to_owned(), Some(full.clone()))
    } else {
        (full, None)
    }
}

/// The page rules, one per page URL form; the first of each pair is the pretty URL.
fn page_rules(files: &[OutputFile], base: &str) -> Vec<(Rule, Option<Rule>)> {
    let by_path: BTreeMap<&str, &OutputFile> = files.iter().map(|f| (f.path.as_str(), f)).collect();
    let kinds: BTreeMap<&str, Option<AssetKind>> = files.iter().flat_map(|f| f.imports.iter().map(|(p, k)| (p.as_str(), *k))).collect();
    let mut out = Vec::new();
    for page in files.iter().filter(|f| f.origin == Origin::Asset(AssetKind::Html)) {
        let (initial, _) = crate::output::page_load(page, &by_path);
        let links: Vec<(String, String)> = initial
            .iter()
            .filter(|p| **p != page.path)
            // Fonts only when the page preloads them: a stylesheet's `@font-face` may go unused.
            .filter(|p| crate::mime::group(p) != "font" || page.imports.iter().any(|(i, _)| i == *p))
            .filter_map(|p| link(&site_url(base, p), p, kinds.get(p.as_str()).copied().flatten()))
            .map(|v| ("Link".to_owned(), v))
            .collect();
        if links.is_empty() {
            continue;
        }
        let (pretty, html) = page_patterns(base, &page.path);
        out.push((Rule { pattern: pretty, headers: links.clone() }, html.map(|pattern| Rule { pattern, headers: links })));
    }
    out
}

/// The cache rules: `/folder/*` for folders of hashed files only, the other hashed files one by one.
fn cache_rules(files: &[OutputFile], base: &str) -> Vec<Rule> {
    let folder = |p: &str| p.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_owned());
    // A folder is "pure" when nothing unhashed is in it or below it.
    let mut impure: std::collections::BTreeSet<String> = Default::default();
    for f in files.iter().filter(|f| !f.hashed || crate::cache_control::is_service_worker(&f.path)) {
        let mut d = folder(&f.path);
        loop {
            impure.insert(d.clone());
            if d.is_empty() {
                break;
            }
            d = folder(&d);
        }
    }
    let mut rules: BTreeMap<String, Rule> = BTreeMap::new();
    for f in files.iter().filter(|f| f.hashed && !crate::cache_control::is_service_worker(&f.path)) {
        // The topmost pure folder above the file, if any.
        let mut top: Option<String> = None;
        let mut d = folder(&f.path);
        while !d.is_empty() && !impure.contains(&d) {
            top = Some(d.clone());
            d = folder(&d);
        }
        let pattern = match top {
            Some(dir) => format!("{}/*", site_url(base, &dir)),
            None => site_url(base, &f.path),
        };
        rules.entry(pattern.clone()).or_insert(Rule { pattern, headers: vec![("Cache-Control".into(), crate::cache_control::IMMUTABLE.into())] });
    }
    rules.into_values().collect()
}

/// The dictionary rules, the largest files first.
fn dictionary_rules(files: &[OutputFile], base: &str) -> Vec<Rule> {
    let mut offered: Vec<&OutputFile> = files.iter().filter(|f| f.dictionary.is_some()).collect();
    offered.sort_by(|a, b| b.bytes.len().cmp(&a.bytes.len()).then_with(|| a.path.cmp(&b.path)));
    offered
        .into_iter()
        .filter_map(|f| {
            let d = f.dictionary.as_ref()?;
            Some(Rule {
                pattern: site_url(base, &f.path),
                headers: vec![("Use-As-Dictionary".into(), crate::delta::use_as_dictionary(base, &d.pattern, d.dest))],
            })
        })
        .collect()
}

/// The `_headers` text, and warnings for what the platform limits left out.
pub fn headers_file(files: &[OutputFile], base: &str) -> (String, Vec<Diagnostic>) {
    let mut warnings = Vec::new();
    let cache = cache_rules(files, base);
    let mut pages = page_rules(files, base);
    // Lines over the limit are dropped, with a warning.
    for (pretty, _) in &mut pages {
        let before = pretty.headers.len();
        pretty.headers.retain(|(k, v)| k.len() + v.len() + 4 <= MAX_LINE);
        if pretty.headers.len() < before {
            warnings.push(Diagnostic::warning(format!(
                "_headers: {} Link lines of {} are over {MAX_LINE} characters (Cloudflare Pages' limit) and were left out",
                before - pretty.headers.len(),
                pretty.pattern
            )));
        }
    }
    for (pretty, html) in &mut pages {
        if let Some(h) = html {
            h.headers = pretty.headers.clone();
        }
    }
    let mut count = cache.len() + pages.iter().map(|(_, h)| 1 + usize::from(h.is_some())).sum::<usize>();
    if count > MAX_RULES {
        let twins = pages.iter().filter(|(_, h)| h.is_some()).count();
        for (_, h) in pages.iter_mut().rev() {
            if count <= MAX_RULES {
                break;
            }
            if h.take().is_some() {
                count -= 1;
            }
        }
        warnings.push(Diagnostic::warning(format!(
            "_headers: over {MAX_RULES} rules (Cloudflare Pages' limit): the `.html` URL forms of {} pages get no Early Hints rule",
            twins - pages.iter().filter(|(_, h)| h.is_some()).count()
        )));
    }
    if count > MAX_RULES {
        let keep = MAX_RULES.saturating_sub(cache.len());
        let dropped: Vec<String> = pages.drain(keep.min(pages.len())..).map(|(p, _)| p.pattern).collect();
        warnings.push(Diagnostic::warning(format!(
            "_headers: still over {MAX_RULES} rules: {} pages get no Early Hints rule ({})",
            dropped.len(),
            dropped.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    let mut offers = dictionary_rules(files, base);
    let room = MAX_RULES.saturating_sub(cache.len() + pages.iter().map(|(_, h)| 1 + usize::from(h.is_some())).sum::<usize>());
    if offers.len() > room {
        warnings.push(Diagnostic::warning(format!(
            "_headers: over {MAX_RULES} rules (Cloudflare Pages' limit): the {} smallest of {} files offered as compression dictionaries get no Use-As-Dictionary rule",
            offers.len() - room,
            offers.len()
        )));
        offers.truncate(room);
    }
    let mut rules: Vec<Rule> = Vec::new();
    for (pretty, html) in pages {
        rules.push(pretty);
        rules.extend(html);
    }
    rules.extend(cache);
    rules.extend(offers);
    let mut text = String::new();
    for r in &rules {
        text.push_str(&r.pattern);
        text.push('\n');
        for (k, v) in &r.headers {
            text.push_str(&format!("  {k}: {v}\n"));
        }
    }
    (text, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls_with_and_without_html() {
        assert_eq!(page_patterns("/", "index.html"), ("/".into(), Some("/index.html".into())));
        assert_eq!(page_patterns("/", "blog/index.html"), ("/blog/".into(), Some("/blog/index.html".into())));
        assert_eq!(page_patterns("/app/", "about.html"), ("/app/about".into(), Some("/app/about.html".into())));
        assert_eq!(site_url("./", "a.css"), "/a.css");
    }

    fn file(path: &str, hashed: bool) -> OutputFile {
        OutputFile::new(path.into(), Some(path.into()), Origin::Asset(AssetKind::Raw), hashed, Vec::new())
    }

    #[test]
    fn a_folder_with_an_unhashed_file_gets_rules_per_file() {
        let files = vec![file("assets/a.1.css", true), file("assets/b.2.js", true), file("img/c.3.png", true), file("img/robots.txt", false)];
        let patterns: Vec<String> = cache_rules(&files, "/").into_iter().map(|r| r.pattern).collect();
        assert_eq!(patterns, ["/assets/*", "/img/c.3.png"]);
    }
}
