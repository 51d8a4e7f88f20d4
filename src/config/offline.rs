//! `[offline]`: the service worker kiln writes (or fills), and `headers_file`.

use std::path::PathBuf;

use globset::GlobSet;
use toml::Spanned;

use super::raw::RawOffline;
use super::{build_globs, size_setting, Checker};

/// When a new worker takes over from the one a tab runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// At once (`skipWaiting` and `clients.claim`): open tabs keep their page, whose files stay
    /// fetchable because publish keeps the previous deploys.
    Immediate,
    /// When the page says so: the registration snippet fires a `kiln:update` event on `window`
    /// whose `detail.apply()` switches to the new worker and reloads.
    Prompt,
}

#[derive(Debug, Clone)]
pub struct OfflineOptions {
    /// The page (output path) shown for a navigation that fails offline and is not cached.
    pub fallback: Option<(String, std::ops::Range<usize>)>,
    pub update: Update,
    /// Add the registration snippet to every page.
    pub register: bool,
    /// `injectManifest` mode: the user's worker (a file of the project), whose
    /// `self.__KILN_MANIFEST` is replaced by the precache list.
    pub worker: Option<(PathBuf, String)>,
    /// Precache every hashed file (lazy chunks too), not only what pages load first.
    pub precache_all: bool,
    /// Output paths never precached (globs).
    pub exclude: GlobSet,
    /// A precached file over this size is an error (so none is skipped silently).
    pub max_file_size: u64,
}

pub(super) fn offline_options(raw: Option<RawOffline>, root: &std::path::Path, c: &Checker) -> Option<OfflineOptions> {
    let raw = raw?;
    if raw.enabled == Some(false) {
        return None;
    }
    let update = match raw.update.as_ref().map(|u| (u.get_ref().as_str(), u.span())) {
        None | Some(("immediate", _)) => Update::Immediate,
        Some(("prompt", _)) => Update::Prompt,
        Some((other, span)) => {
            c.bad(span, format!("offline.update must be \"immediate\" or \"prompt\", not {other:?}"));
            Update::Immediate
        }
    };
    let precache_all = match raw.precache.as_ref().map(|p| (p.get_ref().as_str(), p.span())) {
        None | Some(("first-load", _)) => false,
        Some(("all", _)) => true,
        Some((other, span)) => {
            c.bad(span, format!("offline.precache must be \"first-load\" or \"all\", not {other:?}"));
            false
        }
    };
    let worker = raw.worker.as_ref().map(|w: &Spanned<String>| {
        let path = root.join(w.get_ref());
        if !path.is_file() {
            c.bad(w.span(), format!("offline.worker: {} is not a file of the project", w.get_ref()));
        }
        (path, w.get_ref().clone())
    });
    Some(OfflineOptions {
        fallback: raw.fallback.map(|f| {
            let span = f.span();
            (f.into_inner().trim_start_matches('/').to_owned(), span)
        }),
        update,
        register: raw.register.unwrap_or(true),
        worker,
        precache_all,
        exclude: build_globs(raw.exclude.as_deref().unwrap_or_default(), c),
        max_file_size: size_setting(&raw.max_file_size, 5_000_000, "offline.max_file_size", c),
    })
}
