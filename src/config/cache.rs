//! `[cache]`: the remote build cache on S3-compatible storage, shared by CI runners.

use std::time::Duration;

use super::raw::{RawCache, RawPublish};
use super::{size_setting, Checker, Overrides};

/// Where the remote cache lives and how a build may use it. Keys come from the environment
/// (see [`crate::cache::sign`]), never from here.
#[derive(Debug, Clone)]
pub struct RemoteCacheOptions {
    /// As written: `s3://BUCKET[/PREFIX]`.
    pub url: String,
    pub bucket: String,
    /// Empty, or ending with `/`.
    pub prefix: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub path_style: bool,
    pub checksum_when_required: bool,
    /// Where this build writes (a branch, say); read first.
    pub namespace: String,
    /// Read, in order, when this build's namespace misses (protected ones, like `main`).
    pub fallback: Vec<String>,
    /// Read, never write.
    pub read_only: bool,
    /// Entries larger than this are not uploaded.
    pub max_entry_size: u64,
    /// How long one request may take before the remote is given up for this build.
    pub timeout: Duration,
}

pub const REMOTE_VAR: &str = "KILN_CACHE_REMOTE";
pub const NAMESPACE_VAR: &str = "KILN_CACHE_NAMESPACE";
pub const READ_ONLY_VAR: &str = "KILN_CACHE_READ_ONLY";

/// The remote cache settings from `[cache]`, `[publish]` (endpoint, region, addressing) and
/// the environment; `None` when no remote is set, or with `--no-cache`.
pub(super) fn remote_cache_options(raw: RawCache, publish: &RawPublish, overrides: &Overrides, c: &Checker) -> Option<RemoteCacheOptions> {
    let env = |name: &str| overrides.process.var(name).map(|v| v.trim().to_owned());
    let (url, span) = match env(REMOTE_VAR) {
        Some(v) => (v, None),
        None => match &raw.remote {
            Some(r) => (r.get_ref().clone(), Some(r.span())),
            None => (String::new(), None),
        },
    };
    let namespace =
        env(NAMESPACE_VAR).filter(|n| !n.is_empty()).or_else(|| raw.namespace.as_ref().map(|n| n.get_ref().clone())).unwrap_or_else(|| "main".into());
    let fallback: Vec<String> = raw.fallback.as_ref().map_or_else(|| vec!["main".into()], |f| f.iter().map(|n| n.get_ref().clone()).collect());
    for (name, span) in
        std::iter::once((&namespace, raw.namespace.as_ref().map(|n| n.span()))).chain(raw.fallback.iter().flatten().map(|n| (n.get_ref(), Some(n.span()))))
    {
        if name.is_empty() || !name.chars().all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch)) {
            let msg = format!("cache namespace {name:?}: use letters, digits, '-', '_' and '.' (a branch name like feature/x can be written feature-x)");
            match span {
                Some(s) => c.bad(s, msg),
                None => c.push(crate::diagnostics::Diagnostic::error(format!("{NAMESPACE_VAR}: {msg}"))),
            }
        }
    }
    let max_entry_size = size_setting(&raw.max_entry_size, 256 << 20, "cache.max_entry_size", c);
    let timeout = Duration::from_secs(raw.timeout.map_or(10, |t| *t.get_ref()).max(1));
    if url.is_empty() || overrides.no_cache {
        return None;
    }
    let Some(rest) = url.strip_prefix("s3://").filter(|r| !r.is_empty() && !r.starts_with('/')) else {
        let msg = format!("cache.remote: {url:?}: write it as s3://BUCKET or s3://BUCKET/PREFIX");
        match span {
            Some(s) => c.bad(s, msg),
            None => c.push(crate::diagnostics::Diagnostic::error(format!("{REMOTE_VAR}: {msg}"))),
        }
        return None;
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let prefix = prefix.trim_matches('/');
    let endpoint = raw.endpoint.clone().or_else(|| publish.endpoint.clone());
    let read_only = overrides.cache_read_only
        || env(READ_ONLY_VAR).is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "" | "0" | "false" | "no"))
        || raw.read_only.unwrap_or(false);
    Some(RemoteCacheOptions {
        bucket: bucket.to_owned(),
        prefix: if prefix.is_empty() { String::new() } else { format!("{prefix}/") },
        region: raw.region.clone().or_else(|| publish.region.clone()),
        path_style: raw.path_style.or(publish.path_style).unwrap_or(endpoint.is_some()),
        checksum_when_required: endpoint.is_some(),
        endpoint,
        fallback: fallback.into_iter().filter(|f| *f != namespace).collect(),
        namespace,
        read_only,
        max_entry_size,
        timeout,
        url,
    })
}
