//! `[css]` and `[html]`.

use lightningcss::targets::Browsers;

use super::raw::{RawCss, RawHtml};
use super::{build_patterns, Checker, Globs};

pub const DEFAULT_TARGETS: &str = "defaults";

#[derive(Debug, Clone)]
pub struct HtmlOptions {
    pub minify: bool,
    /// At most this many `<link rel=preload as=font>` added to a page (0: none).
    pub preload_fonts: usize,
}

#[derive(Debug, Clone)]
pub struct CssOptions {
    pub targets_query: String,
    pub browsers: Option<Browsers>,
    pub minify: bool,
    /// Drop rules no page can match.
    pub prune: bool,
    /// Names (globs) pruning keeps even when no page shows them.
    pub safelist: Globs,
}

pub(super) fn html_options(raw: Option<RawHtml>) -> HtmlOptions {
    let raw = raw.unwrap_or_default();
    HtmlOptions { minify: raw.minify.unwrap_or(true), preload_fonts: raw.preload_fonts.unwrap_or(2) }
}

/// Settles `[css]`: the browserslist query is checked here, where its key's span is known.
pub(super) fn css_options(raw_css: RawCss, c: &Checker) -> CssOptions {
    let targets_query = raw_css.targets.as_ref().map_or(DEFAULT_TARGETS.to_owned(), |t| t.get_ref().clone());
    let browsers = match Browsers::from_browserslist([targets_query.as_str()]) {
        Ok(b) => b,
        Err(e) => {
            let span = raw_css.targets.as_ref().map_or(0..0, |t| t.span());
            c.bad(span, format!("css.targets: invalid browserslist query {targets_query:?}: {e}"));
            None
        }
    };
    CssOptions {
        targets_query,
        browsers,
        minify: raw_css.minify.unwrap_or(true),
        prune: raw_css.prune.unwrap_or(false),
        safelist: build_patterns(raw_css.safelist.as_deref().unwrap_or_default(), c),
    }
}

impl crate::fields::Keyed for CssOptions {
    fn write(&self, k: &mut crate::fields::KeyFields) {
        let CssOptions { targets_query, browsers, minify, prune, safelist } = self;
        // The browsers come from the query (and kiln's browserslist data, which its version
        // covers), so the query is enough.
        let _ = browsers;
        k.field("targets", targets_query).field("minify", minify).field("prune", prune).field("safelist", safelist);
    }
}
