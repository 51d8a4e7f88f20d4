//! The `Cache-Control` kiln gives each file, wherever it is served from (`kiln serve`, the
//! objects `kiln publish` writes, the `_headers` file): files named by their content hash
//! never change and are cached for a year; everything else is revalidated on every use.

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
#[cfg(any(feature = "serve", feature = "publish"))]
pub const REVALIDATE: &str = "public, max-age=0, must-revalidate";

/// A service worker keeps its URL from deploy to deploy, so it is never cached as immutable.
pub fn is_service_worker(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    matches!(name, "sw.js" | "service-worker.js" | "serviceworker.js")
}

/// The `Cache-Control` of the output file `rel` (served, or published).
#[cfg(any(feature = "serve", feature = "publish"))]
pub fn for_file(rel: &str, hashed: bool) -> &'static str {
    if hashed && !is_service_worker(rel) {
        IMMUTABLE
    } else {
        REVALIDATE
    }
}
