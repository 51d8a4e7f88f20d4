//! `[delta]`: compression-dictionary deltas (RFC 9842). Hashed scripts, stylesheets and
//! WebAssembly are offered to browsers as dictionaries for their next version, and each is
//! also sent compressed against the versions a returning visitor may still hold.

use super::raw::RawDelta;
use super::Checker;

/// The delta encodings RFC 9842 defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeltaEncoding {
    /// Brotli with the dictionary as a custom dictionary.
    Dcb,
    /// Zstandard with the dictionary as raw content.
    Dcz,
}

impl DeltaEncoding {
    /// Its `Content-Encoding` token, also the extension of its files.
    pub fn token(self) -> &'static str {
        match self {
            DeltaEncoding::Dcb => "dcb",
            DeltaEncoding::Dcz => "dcz",
        }
    }

    pub fn from_token(token: &str) -> Option<DeltaEncoding> {
        match token {
            "dcb" => Some(DeltaEncoding::Dcb),
            "dcz" => Some(DeltaEncoding::Dcz),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DeltaOptions {
    /// Offer dictionaries and make deltas (default true; off with `--no-compress`).
    pub enabled: bool,
    /// How many earlier versions of a file get a delta, newest first (default 3).
    pub versions: usize,
    /// The encodings made, in the order of preference (default dcb, dcz).
    pub encodings: Vec<DeltaEncoding>,
    /// A delta is kept only when at most this share of the file's Brotli twin (default 0.9).
    pub max_ratio: f64,
}

impl Default for DeltaOptions {
    fn default() -> Self {
        DeltaOptions { enabled: true, versions: 3, encodings: vec![DeltaEncoding::Dcb, DeltaEncoding::Dcz], max_ratio: 0.9 }
    }
}

pub(super) fn delta_options(raw: RawDelta, no_compress: bool, c: &Checker) -> DeltaOptions {
    let default = DeltaOptions::default();
    let versions = match &raw.versions {
        None => default.versions,
        Some(v) if (1..=20).contains(v.get_ref()) => *v.get_ref(),
        Some(v) => {
            c.bad(v.span(), format!("delta.versions must be between 1 and 20, not {}", v.get_ref()));
            default.versions
        }
    };
    let mut encodings = Vec::new();
    for e in raw.encodings.iter().flatten() {
        match DeltaEncoding::from_token(e.get_ref()) {
            Some(enc) if !encodings.contains(&enc) => encodings.push(enc),
            Some(_) => c.bad(e.span(), format!("delta.encodings lists {:?} twice", e.get_ref())),
            None => c.bad(e.span(), format!("delta.encodings: {:?} is not a delta encoding; use \"dcb\" or \"dcz\"", e.get_ref())),
        }
    }
    if raw.encodings.is_none() {
        encodings = default.encodings;
    }
    DeltaOptions { enabled: raw.enabled.unwrap_or(true) && !no_compress && !encodings.is_empty(), versions, encodings, max_ratio: default.max_ratio }
}
