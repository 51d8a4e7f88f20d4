//! The service worker (`[offline]`): `sw.js` at the output's top level, its scope the site.
//!
//! - Precache: every page (revision: its content hash) and what pages load first (their
//!   stylesheets, scripts, fonts, the images of `<img src>` not made lazy and their icons),
//!   or every hashed file with `precache = "all"`. Hashed files carry no revision: their name
//!   is one. A file over `max_file_size` is an error naming it, unless `exclude` names it:
//!   nothing is left out silently.
//! - The cache is named from the hash of that list, so a deploy that changes nothing keeps
//!   it; on activate, the other `kiln-precache-…` caches go.
//! - Navigations go to the network first; offline, the precached copy of the page (or the
//!   copy kept from the last visit), else the fallback page.
//! - Other same-origin GETs: the precache first, else the network, keeping a copy of what the
//!   server marks `immutable` (lazy chunks, images) for offline use.
//! - Updates: `immediate` takes over at once (open tabs keep working: their files are still on
//!   the origin, which publish retention guarantees); `prompt` waits for the page to call
//!   `detail.apply()` on the `kiln:update` event.
//!
//! With `worker`, the user's file is copied with `self.__KILN_MANIFEST` replaced by the list
//! (`[{url, revision}]`), Workbox's `injectManifest` way; its absence is an error.

use std::collections::BTreeSet;

use lol_html::{element, rewrite_str, RewriteStrSettings};

use crate::config::{OfflineOptions, Update};
use crate::diagnostics::Diagnostic;
use crate::graph::AssetKind;
use crate::output::{Origin, OutputFile};

use super::headers::site_url;

/// What `self.__KILN_MANIFEST` stands for in a user's worker.
pub const INJECTION_POINT: &str = "self.__KILN_MANIFEST";

/// The output paths of the eager `<img src>` and icons of a page, when they are output files.
fn page_images(page: &OutputFile, base: &str, paths: &BTreeSet<&str>) -> Vec<String> {
    let mut urls = Vec::new();
    let html = String::from_utf8_lossy(&page.bytes);
    let _ = rewrite_str(
        &html,
        RewriteStrSettings::new().append_element_content_handler(element!("img[src], link[href][rel~=icon]", |el| {
            let lazy = el.get_attribute("loading").is_some_and(|l| l.eq_ignore_ascii_case("lazy"));
            if !lazy {
                urls.extend(el.get_attribute("src").or_else(|| el.get_attribute("href")));
            }
            Ok(())
        })),
    );
    let prefix = site_url(base, "");
    urls.into_iter()
        .filter_map(|u| {
            let path = u.strip_prefix(&prefix).map(str::to_owned).or_else(|| urls_relative(&page.path, &u))?;
            paths.contains(path.as_str()).then_some(path)
        })
        .collect()
}

/// A relative URL resolved against the page's own folder (for a relative `base`).
fn urls_relative(page: &str, url: &str) -> Option<String> {
    if url.contains(':') || url.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    for seg in url.split('/') {
        match seg {
            ".." => {
                parts.pop()?;
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// The precache list: (output path, revision) — `None` for hashed files.
pub fn precache(files: &[OutputFile], options: &OfflineOptions, base: &str) -> Result<Vec<(String, Option<String>)>, Vec<Diagnostic>> {
    let by_path: std::collections::BTreeMap<&str, &OutputFile> = files.iter().map(|f| (f.path.as_str(), f)).collect();
    let paths: BTreeSet<&str> = by_path.keys().copied().collect();
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    for page in files.iter().filter(|f| f.origin == Origin::Asset(AssetKind::Html)) {
        let (initial, _) = crate::output::page_load(page, &by_path);
        wanted.extend(initial);
        wanted.extend(page_images(page, base, &paths));
    }
    if options.precache_all {
        wanted.extend(files.iter().filter(|f| f.hashed && f.origin != Origin::SourceMap).map(|f| f.path.clone()));
    }
    let mut errors = Vec::new();
    let mut list = Vec::new();
    for path in wanted {
        let Some(f) = by_path.get(path.as_str()) else { continue };
        if options.exclude.is_match(&path) {
            continue;
        }
        if f.bytes.len() as u64 > options.max_file_size {
            errors.push(
                Diagnostic::error(format!(
                    "offline: {path} is {} bytes, over offline.max_file_size ({} bytes): it would not be precached",
                    f.bytes.len(),
                    options.max_file_size
                ))
                .with_note("raise offline.max_file_size, or list the file in offline.exclude to leave it to the network"),
            );
            continue;
        }
        let revision = (!f.hashed).then(|| f.hash[..16].to_owned());
        list.push((path, revision));
    }
    if errors.is_empty() {
        Ok(list)
    } else {
        Err(errors)
    }
}

/// The list as the worker reads it: `[{"url": …, "revision": …}]`.
pub fn manifest_json(list: &[(String, Option<String>)], base: &str) -> String {
    let items: Vec<serde_json::Value> = list.iter().map(|(p, r)| serde_json::json!({ "url": site_url(base, p), "revision": r })).collect();
    serde_json::to_string(&items).expect("JSON")
}

/// The worker kiln writes.
pub fn generate(manifest: &str, options: &OfflineOptions, base: &str) -> String {
    let name = &blake3::hash(manifest.as_bytes()).to_hex()[..16];
    let fallback = options.fallback.as_ref().map_or("null".to_owned(), |(p, _)| serde_json::to_string(&site_url(base, p)).expect("JSON"));
    let immediate = options.update == Update::Immediate;
    format!(
        "// Written by kiln: the precache of this deploy, network-first pages, an offline fallback.\n\
const PRECACHE = \"kiln-precache-{name}\";\nconst RUNTIME = \"kiln-runtime\";\nconst PAGES = \"kiln-pages\";\n\
const MANIFEST = {manifest};\nconst FALLBACK = {fallback};\nconst IMMEDIATE = {immediate};\n{}",
        include_str!("worker.js")
    )
}

/// The snippet that registers the worker, added before `</body>` (or at the end) of each page.
pub fn registration(options: &OfflineOptions, base: &str) -> String {
    let url = serde_json::to_string(&site_url(base, "sw.js")).expect("JSON");
    let prompt = match options.update {
        Update::Immediate => String::new(),
        Update::Prompt => "function w(s){s&&navigator.serviceWorker.controller&&dispatchEvent(new CustomEvent(\"kiln:update\",{detail:{apply:function(){navigator.serviceWorker.addEventListener(\"controllerchange\",function(){location.reload()});s.postMessage({type:\"SKIP_WAITING\"})}}}))}w(r.waiting);r.addEventListener(\"updatefound\",function(){var n=r.installing;n&&n.addEventListener(\"statechange\",function(){n.state===\"installed\"&&w(n)})})".to_owned(),
    };
    format!("<script>if(\"serviceWorker\"in navigator)addEventListener(\"load\",function(){{navigator.serviceWorker.register({url}).then(function(r){{{prompt}}})}})</script>")
}

/// The user's worker with the list put in; an error if it has no injection point.
pub fn inject(source: &str, shown: &str, manifest: &str) -> Result<String, Diagnostic> {
    if !source.contains(INJECTION_POINT) {
        return Err(Diagnostic::error(format!("offline.worker: {shown} has no {INJECTION_POINT}, where kiln puts the precache list"))
            .in_file(shown)
            .with_note("write e.g. `const manifest = self.__KILN_MANIFEST;` in the worker"));
    }
    Ok(source.replace(INJECTION_POINT, manifest))
}
