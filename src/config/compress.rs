//! `[compress]`: the gzip and Brotli twins.

use toml::Spanned;

use super::raw::RawCompress;
use super::{Checker, Overrides};

#[derive(Debug, Clone)]
pub struct CompressOptions {
    pub gzip: bool,
    pub brotli: bool,
    pub gzip_level: u32,
    pub zopfli: bool,
    pub brotli_quality: u32,
    pub brotli_window: u32,
    pub min_size: u64,
    /// MIME types (with `*` wildcards, as `text/*`) that get compressed twins.
    pub types: Vec<String>,
    /// Whether source maps get twins too (off by default: browsers fetch them only for
    /// devtools, and they are the largest outputs).
    pub source_maps: bool,
}

pub fn default_compress_types() -> Vec<String> {
    [
        "text/*",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "application/xml",
        "application/wasm",
        "image/svg+xml",
        "image/x-icon",
    ]
    .map(String::from)
    .to_vec()
}

/// Settles `[compress]` (and `--no-compress`).
pub(super) fn compress_options(rc: RawCompress, overrides: &Overrides, c: &Checker) -> CompressOptions {
    let ranged = |v: &Option<Spanned<u32>>, default: u32, range: std::ops::RangeInclusive<u32>, key: &str| match v {
        None => default,
        Some(s) if range.contains(s.get_ref()) => *s.get_ref(),
        Some(s) => {
            c.bad(s.span(), format!("compress.{key} must be between {} and {}, not {}", range.start(), range.end(), s.get_ref()));
            default
        }
    };
    CompressOptions {
        gzip: rc.gzip.unwrap_or(true) && !overrides.no_compress,
        brotli: rc.brotli.unwrap_or(true) && !overrides.no_compress,
        gzip_level: ranged(&rc.gzip_level, 9, 1..=9, "gzip_level"),
        zopfli: rc.zopfli.unwrap_or(false),
        brotli_quality: ranged(&rc.brotli_quality, 11, 0..=11, "brotli_quality"),
        brotli_window: ranged(&rc.brotli_window, 24, 10..=24, "brotli_window"),
        min_size: rc.min_size.unwrap_or(1024),
        types: rc.types.map(|t| t.into_iter().map(Spanned::into_inner).collect()).unwrap_or_else(default_compress_types),
        source_maps: rc.source_maps.unwrap_or(false),
    }
}
