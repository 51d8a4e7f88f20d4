//! `hash_cascade`: how a changed chunk's new name reaches its importers. When the file does not
//! say, import maps are chosen whenever every browser of `css.targets` runs them (with
//! `import.meta.resolve`, which the CSS loader of lazy chunks uses) and the entries are pages
//! (which carry the map); else hashes. The choice and its reason are in the build's report.

use super::raw::RawConfig;
use super::{Checker, HashCascade};

/// For each browser (browserslist's names), its name as people know it, the first version that
/// runs module scripts, and the first with import maps and `import.meta.resolve` (`None`: no
/// version has them). Browser data: caniuse's "es6-module", "import-maps" and
/// "mdn-javascript_operators_import_meta_resolve".
const BROWSERS: &[(&str, &str, f64, Option<f64>)] = &[
    ("chrome", "Chrome", 61.0, Some(105.0)),
    ("and_chr", "Chrome for Android", 61.0, Some(105.0)),
    ("android", "Android WebView", 61.0, Some(105.0)),
    ("edge", "Edge", 16.0, Some(105.0)),
    ("firefox", "Firefox", 60.0, Some(108.0)),
    ("and_ff", "Firefox for Android", 60.0, Some(108.0)),
    ("safari", "Safari", 11.0, Some(16.4)),
    ("ios_saf", "Safari on iOS", 11.0, Some(16.4)),
    ("opera", "Opera", 48.0, Some(91.0)),
    ("op_mob", "Opera Mobile", 48.0, Some(73.0)),
    ("samsung", "Samsung Internet", 8.2, Some(20.0)),
    ("and_qq", "QQ Browser", 10.4, Some(14.9)),
    ("and_uc", "UC Browser for Android", 11.8, None),
    ("baidu", "Baidu Browser", 7.12, None),
    ("kaios", "KaiOS Browser", 3.0, None),
];

/// A browserslist version as a number (`18.5-18.7`: its first; `all`: none).
fn version(v: &str) -> Option<f64> {
    let first = v.split('-').next()?;
    let mut parts = first.split('.');
    let major: f64 = parts.next()?.parse().ok()?;
    let minor: f64 = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0.0);
    Some(major + minor / if minor >= 10.0 { 100.0 } else { 10.0 })
}

/// The first browser of the browserslist `query` that runs module scripts but has no import
/// maps, as `UC Browser for Android 15.5`; `Err` when the query does not resolve. A browser
/// that runs no module script (Opera Mini, Internet Explorer) runs neither mode's pages, and an
/// unknown one is taken to lack import maps.
fn lacking(query: &str) -> Result<Option<String>, String> {
    let found = browserslist::resolve([query], &browserslist::Opts::default()).map_err(|e| e.to_string())?;
    for d in &found {
        let v = version(d.version());
        let known = BROWSERS.iter().find(|(name, ..)| *name == d.name());
        let runs_modules = match (known, v) {
            (Some((_, _, modules, _)), Some(v)) => v >= *modules,
            (Some(_), None) => false,
            (None, _) => !matches!(d.name(), "op_mini" | "ie" | "ie_mob" | "bb" | "node"),
        };
        let has_maps = matches!((known, v), (Some((_, _, _, Some(maps))), Some(v)) if v >= *maps);
        if runs_modules && !has_maps {
            let shown = known.map_or(d.name(), |(_, shown, ..)| shown);
            return Ok(Some(format!("{shown} {}", d.version())));
        }
    }
    Ok(None)
}

/// The mode, and (when the file did not choose it) why kiln chose it.
pub(super) fn hash_cascade(raw: &RawConfig, query: &str, entries: &[String], c: &Checker) -> (HashCascade, Option<String>) {
    match raw.hash_cascade.as_ref().map(|h| (h.span(), h.get_ref().as_str())) {
        Some((_, "hashes")) => return (HashCascade::Hashes, None),
        Some((_, "importmap")) => return (HashCascade::ImportMap, None),
        Some((span, other)) => {
            c.bad(span, format!("hash_cascade must be \"hashes\" or \"importmap\", not {other:?}"));
            return (HashCascade::Hashes, None);
        }
        None => {}
    }
    let pages = |e: &String| e.ends_with(".html") || e.ends_with(".htm");
    let (mode, why) = if !entries.iter().all(pages) {
        (HashCascade::Hashes, "the entries include scripts, which no page's import map would reach".to_owned())
    } else {
        match lacking(query) {
            Err(_) => (HashCascade::Hashes, format!("css.targets ({query:?}) could not be read")),
            Ok(Some(browser)) => (HashCascade::Hashes, format!("css.targets ({query:?}) includes {browser}, which runs module scripts but has no import maps")),
            Ok(None) => (HashCascade::ImportMap, format!("every browser of css.targets ({query:?}) that runs module scripts has import maps")),
        }
    };
    let name = if mode == HashCascade::ImportMap { "importmap" } else { "hashes" };
    (mode, Some(format!("hash_cascade: {name}, as {why} (set hash_cascade in kiln.toml to choose)")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_maps_need_every_target_that_runs_modules_to_have_them() {
        let of = |q: &str| lacking(q).unwrap();
        // browserslist's defaults include UC Browser 15.5 (Chromium 78): modules, no import maps.
        assert_eq!(of("defaults"), Some("UC Browser for Android 15.5".to_owned()));
        assert_eq!(of("chrome 104"), Some("Chrome 104".to_owned()));
        assert_eq!(of("safari 16.4, chrome 120, firefox 115"), None);
        assert_eq!(of("safari 15.6"), Some("Safari 15.6".to_owned()));
        // Browsers that run no module script run neither mode's pages.
        assert_eq!(of("ie 11, op_mini all, chrome 120"), None);
        assert_eq!(of("last 2 chrome versions, last 2 firefox versions, last 2 safari versions"), None);
        assert!(lacking("not a query").is_err());
        assert_eq!(version("18.5-18.7"), Some(18.5));
        assert_eq!(version("14.9"), Some(14.9));
        assert_eq!(version("7.12"), Some(7.12));
    }
}
