//! `[publish]`: where and how `kiln publish` uploads.

use globset::GlobSet;

use super::raw::{RawPublish, RawPublishHeaders};
use super::{build_globs, size_setting, Checker};

/// How compressed twins reach the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PublishEncoding {
    /// `x.js` as it is, plus `x.js.br` and `x.js.gz` with `Content-Encoding`, for an edge rule
    /// that picks one by `Accept-Encoding`.
    Siblings,
    /// The Brotli (or gzip) bytes at `x.js` itself, with `Content-Encoding`.
    BrotliInPlace,
    GzipInPlace,
    /// Only `x.js`.
    None,
}

/// A `[[publish.headers]]` rule: the files it matches, and what it sets.
#[derive(Debug, Clone)]
pub struct HeaderRule {
    pub files: GlobSet,
    pub cache_control: Option<String>,
    /// Other headers S3 stores: `content-disposition`, `content-language`, `expires`, and
    /// `x-amz-meta-*`.
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct PublishOptions {
    pub bucket: Option<String>,
    pub prefix: String,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub path_style: Option<bool>,
    /// Send checksums only when an operation requires one (`Some(true)`), or whenever
    /// supported (`Some(false)`); `None`: when required for custom endpoints, else supported.
    pub checksum_when_required: Option<bool>,
    pub encoding: PublishEncoding,
    /// Distinct deploys whose files stay (the live one included).
    pub retain: usize,
    /// Days an object stays after the deploy that last used it was replaced, whatever `retain` says.
    pub keep_days: u64,
    pub max_deletes: usize,
    pub concurrency: usize,
    pub multipart_threshold: u64,
    pub headers: Vec<HeaderRule>,
    /// Invalidate the changed unhashed paths on this CloudFront distribution after publishing.
    pub cloudfront_distribution: Option<String>,
    /// Purge the changed unhashed URLs from this Cloudflare zone after publishing.
    pub cloudflare: Option<Cloudflare>,
}

#[derive(Debug, Clone)]
pub struct Cloudflare {
    /// The zone id (Cloudflare dashboard, the domain's Overview page).
    pub zone: String,
    /// `publish.site_url`: where the pages are served, without a trailing slash
    /// (`https://example.com`, or `https://example.com/docs`).
    pub site_url: String,
}

pub(super) fn publish_options(mut raw: RawPublish, checker: &Checker) -> PublishOptions {
    let bad = |span, msg| checker.bad(span, msg);
    let checksum_when_required = raw.checksum.as_ref().and_then(|c| match c.get_ref().as_str() {
        "when_required" => Some(true),
        "when_supported" => Some(false),
        other => {
            bad(c.span(), format!("publish.checksum must be \"when_required\" or \"when_supported\", not {other:?}"));
            None
        }
    });
    let encoding = match raw.encoding.as_ref().map(|e| (e.span(), e.get_ref().as_str())) {
        None | Some((_, "siblings")) => PublishEncoding::Siblings,
        Some((_, "brotli-in-place")) => PublishEncoding::BrotliInPlace,
        Some((_, "gzip-in-place")) => PublishEncoding::GzipInPlace,
        Some((_, "none")) => PublishEncoding::None,
        Some((span, other)) => {
            bad(span, format!("publish.encoding must be \"siblings\", \"brotli-in-place\", \"gzip-in-place\" or \"none\", not {other:?}"));
            PublishEncoding::Siblings
        }
    };
    let retain = raw.retain.as_ref().map_or(3, |r| {
        if *r.get_ref() == 0 {
            bad(r.span(), "publish.retain must be at least 1 (the live deploy)".into());
        }
        (*r.get_ref()).max(1)
    });
    let concurrency = raw.concurrency.as_ref().map_or(16, |c| {
        if *c.get_ref() == 0 || *c.get_ref() > 256 {
            bad(c.span(), format!("publish.concurrency must be 1 to 256, not {}", c.get_ref()));
        }
        (*c.get_ref()).clamp(1, 256)
    });
    let multipart_threshold = size_setting(&raw.multipart_threshold, 16 * 1024 * 1024, "publish.multipart_threshold", checker).max(5 * 1024 * 1024);
    let headers = header_rules(raw.headers.take(), checker);
    let site_url = raw.site_url.as_ref().and_then(|u| {
        let url = u.get_ref().trim().trim_end_matches('/');
        let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or("");
        if host.is_empty() || host.starts_with('/') || url.contains(['?', '#', ' ']) {
            bad(u.span(), format!("publish.site_url must be the address the pages are served under, like \"https://example.com\", not {:?}", u.get_ref()));
            return None;
        }
        Some(url.to_owned())
    });
    let cloudflare = cloudflare(&raw, site_url.as_deref(), checker);
    PublishOptions {
        bucket: raw.bucket,
        prefix: raw.prefix.unwrap_or_default(),
        region: raw.region,
        endpoint: raw.endpoint,
        path_style: raw.path_style,
        checksum_when_required,
        encoding,
        retain,
        keep_days: raw.keep_days.unwrap_or(0),
        max_deletes: raw.max_deletes.unwrap_or(256),
        concurrency,
        multipart_threshold,
        headers,
        cloudfront_distribution: raw.cloudfront_distribution,
        cloudflare,
    }
}

/// `[[publish.headers]]`: only the headers S3 stores.
fn header_rules(headers: Option<Vec<RawPublishHeaders>>, checker: &Checker) -> Vec<HeaderRule> {
    let bad = |span, msg| checker.bad(span, msg);
    headers
        .unwrap_or_default()
        .into_iter()
        .map(|h| {
            let extra = h
                .headers
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(name, value)| {
                    let lower = name.to_ascii_lowercase();
                    let stored = matches!(lower.as_str(), "content-disposition" | "content-language" | "expires") || lower.starts_with("x-amz-meta-");
                    if !stored {
                        bad(value.span(), format!(
                            "publish.headers: S3 does not store a {name:?} header; it stores cache_control, content-disposition, content-language, expires and x-amz-meta-* (set others at the CDN)"
                        ));
                        return None;
                    }
                    Some((lower, value.into_inner()))
                })
                .collect();
            HeaderRule { files: build_globs(std::slice::from_ref(&h.files), checker), cache_control: h.cache_control, headers: extra }
        })
        .collect()
}

/// `publish.cloudflare_zone`, which needs `publish.site_url` (checked as `site_url`).
fn cloudflare(raw: &RawPublish, site_url: Option<&str>, checker: &Checker) -> Option<Cloudflare> {
    let bad = |span, msg| checker.bad(span, msg);
    raw.cloudflare_zone.as_ref().and_then(|z| {
        let zone = z.get_ref().trim();
        if zone.is_empty() || !zone.bytes().all(|b| b.is_ascii_alphanumeric()) {
            bad(
                z.span(),
                format!("publish.cloudflare_zone must be the zone's id (32 letters and digits, on the domain's Overview page), not {:?}", z.get_ref()),
            );
            return None;
        }
        match site_url {
            Some(site_url) => Some(Cloudflare { zone: zone.to_owned(), site_url: site_url.to_owned() }),
            None => {
                if raw.site_url.is_none() {
                    bad(
                        z.span(),
                        "publish.cloudflare_zone purges URLs: set publish.site_url to the address the pages are served under (\"https://example.com\")".into(),
                    );
                }
                None
            }
        }
    })
}
