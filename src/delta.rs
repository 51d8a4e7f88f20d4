//! Compression Dictionary Transport (RFC 9842): a file compressed against an earlier version
//! of itself that the browser still holds, sent when its request names that version in
//! `Available-Dictionary` and accepts `dcb` or `dcz`.
//!
//! - `dcb`: `FF 44 43 42`, the SHA-256 of the dictionary, then a Brotli stream made with the
//!   dictionary as a custom (raw) dictionary. Brotli's window is at most 16 MiB (lgwin 24), and
//!   the `brotli` crate keeps only the dictionary's tail that fits in the window, so the window
//!   is the smallest that holds the dictionary and the file, up to lgwin 24 (at lgwin 22, a 9 MB
//!   file's delta against its previous version measured 1.1 MB instead of 477 bytes; and a window
//!   larger than needed costs time and memory: quality 11's tables grow with it).
//! - `dcz`: a Zstandard skippable frame (`5E 2A 4D 18`, length 32, little-endian) holding the
//!   SHA-256 of the dictionary, then a Zstandard frame made with the dictionary as raw content.
//!   A client accepts a window of max(8 MiB, 1.25 × the dictionary), at most 128 MiB.

use sha2::Digest;

/// The start of a `dcb` body.
const DCB_MAGIC: [u8; 4] = [0xFF, 0x44, 0x43, 0x42];
/// The start of a `dcz` body: a skippable frame's magic and its length (32).
const DCZ_MAGIC: [u8; 8] = [0x5E, 0x2A, 0x4D, 0x18, 0x20, 0x00, 0x00, 0x00];

/// The SHA-256 that names a dictionary (the bytes a client hashes: the file as served,
/// decoded).
pub fn dictionary_hash(dictionary: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(dictionary).into()
}

/// The dictionary an `Available-Dictionary` header names (`:<base64 of the SHA-256>:`, a
/// structured-field byte sequence); `None` when it is malformed.
pub fn available_dictionary(header: &str) -> Option<[u8; 32]> {
    use base64::Engine;
    let inner = header.trim().strip_prefix(':')?.strip_suffix(':')?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(inner).ok()?;
    bytes.try_into().ok()
}

/// The `Available-Dictionary` value a client sends for `dictionary`.
pub fn available_dictionary_header(dictionary: &[u8]) -> String {
    use base64::Engine;
    format!(":{}:", base64::engine::general_purpose::STANDARD.encode(dictionary_hash(dictionary)))
}

/// Whether an `Accept-Encoding` value accepts `token` (listed, not with `q=0`; `*` does not
/// count: a delta is sent only to a client that names it).
#[cfg(any(feature = "serve", test))]
pub fn accepts(accept_encoding: &str, token: &str) -> bool {
    accept_encoding.split(',').any(|item| {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let q = parts.filter_map(|p| p.trim().strip_prefix("q=")).next_back().and_then(|q| q.trim().parse::<f32>().ok()).unwrap_or(1.0);
        name.eq_ignore_ascii_case(token) && q > 0.0
    })
}

/// The delta to send for a request with these `Available-Dictionary` and `Accept-Encoding`
/// values: the smallest one made against that dictionary in an encoding the client accepts;
/// `None` (send the ordinary twin) for a missing or malformed header, an unknown dictionary,
/// or a client that accepts neither encoding.
#[cfg(any(feature = "serve", test))]
pub fn choose<'a>(deltas: &'a [crate::output::ServedDelta], available: Option<&str>, accept_encoding: Option<&str>) -> Option<&'a crate::output::ServedDelta> {
    let dictionary = available_dictionary(available?)?;
    let accept = accept_encoding?;
    deltas.iter().filter(|d| d.dictionary == dictionary && accepts(accept, d.encoding.token())).min_by_key(|d| (d.size, d.encoding))
}

/// The file a delta's output path (`x.js.<dictionary's SHA-256, base64url>.dcb`) is a delta of;
/// `None` for any other path.
#[cfg(any(feature = "publish", test))]
pub fn delta_of(path: &str) -> Option<&str> {
    let rest = path.strip_suffix(".dcb").or_else(|| path.strip_suffix(".dcz"))?;
    let (file, id) = rest.rsplit_once('.')?;
    (id.len() == 43 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')).then_some(file)
}

/// The URL path of the output path `path` on a site served under `base` (kiln's `base`; an
/// origin's path part, or `/` for a relative base).
pub fn site_path(base: &str, path: &str) -> String {
    let prefix = if base.starts_with('/') {
        base
    } else if let Some((_, rest)) = base.split_once("://") {
        rest.find('/').map_or("/", |i| &rest[i..])
    } else {
        "/"
    };
    format!("{}/{path}", prefix.trim_end_matches('/'))
}

/// The `Use-As-Dictionary` value offering a file as a dictionary for the URLs matching
/// `pattern` (an output path in URL-pattern syntax) under `base` (kiln's `base`), fetched as
/// `dest` (any destination when `None`). Under a relative base (`./`) the pattern is the file
/// name's alone, which the browser resolves against the dictionary's own URL.
pub fn use_as_dictionary(base: &str, pattern: &str, dest: Option<&str>) -> String {
    let path = if base.starts_with('/') || base.contains("://") { site_path(base, pattern) } else { pattern.rsplit('/').next().unwrap_or(pattern).to_owned() };
    // A structured-field string: `\` and `"` escaped.
    let quoted = path.replace('\\', "\\\\").replace('"', "\\\"");
    match dest {
        Some(d) => format!("match=\"{quoted}\", match-dest=(\"{d}\")"),
        None => format!("match=\"{quoted}\""),
    }
}

/// How hard a delta is searched for. Against a dictionary nearly the same as the file, most of
/// a delta is one long match, which the faster settings find too: on three.js ×10's 7.8 MB
/// bundle after a one-line change, Brotli 9 made 85 bytes in 0.13 s where 11 made 39 in 2.7 s,
/// and Zstandard 12 made 2.0 KB in 0.16 s where 19 made 1.1 KB in 1.4 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// Brotli 11, Zstandard 19: files under [`Effort::LARGE_FROM`].
    Best,
    /// Brotli 9, Zstandard 12.
    Large,
}

impl Effort {
    /// Files of this many bytes or more are made with [`Effort::Large`].
    pub const LARGE_FROM: usize = 1 << 20;

    pub fn for_size(len: usize) -> Effort {
        if len >= Self::LARGE_FROM {
            Effort::Large
        } else {
            Effort::Best
        }
    }

    /// Its name, in cache keys.
    pub fn name(self) -> &'static str {
        match self {
            Effort::Best => "best",
            Effort::Large => "large",
        }
    }
}

/// The dictionary (SHA-256) a `dcb` or `dcz` body was made against, read from its header.
pub fn dictionary_of(body: &[u8]) -> Option<[u8; 32]> {
    let at = if body.starts_with(&DCB_MAGIC) {
        DCB_MAGIC.len()
    } else if body.starts_with(&DCZ_MAGIC) {
        DCZ_MAGIC.len()
    } else {
        return None;
    };
    body.get(at..at + 32)?.try_into().ok()
}

/// `data` as a `dcb` body against `dictionary`.
pub fn dcb(dictionary: &[u8], data: &[u8], effort: Effort) -> Vec<u8> {
    let quality = if effort == Effort::Best { 11 } else { 9 };
    let params = brotli::enc::BrotliEncoderParams { quality, lgwin: dcb_window_log(dictionary.len(), data.len()), size_hint: data.len(), ..Default::default() };
    let mut out = Vec::with_capacity(data.len() / 8 + 64);
    out.extend_from_slice(&DCB_MAGIC);
    out.extend_from_slice(&dictionary_hash(dictionary));
    let mut nop = |_: &mut brotli::interface::PredictionModeContextMap<brotli::InputReferenceMut>,
                   _: &mut [brotli::interface::StaticCommand],
                   _: brotli::InputPair,
                   _: &mut brotli::enc::StandardAlloc| ();
    let (mut input, mut output) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    brotli::enc::BrotliCompressCustomIoCustomDict(
        &mut brotli::IoReaderWrapper(&mut std::io::Cursor::new(data)),
        &mut brotli::IoWriterWrapper(&mut out),
        &mut input,
        &mut output,
        &params,
        brotli::enc::StandardAlloc::default(),
        &mut nop,
        dictionary,
        std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "unexpected end"),
    )
    .expect("compressing from memory into memory cannot fail");
    out
}

/// The Brotli window (log2) of a `dcb` body: the smallest that holds the dictionary and the
/// file (a window is 16 bytes short of its power of two), from 16 to 24.
fn dcb_window_log(dictionary: usize, data: usize) -> i32 {
    let needed = dictionary + data + 16;
    (16..24).find(|w| 1usize << w >= needed).unwrap_or(24)
}

/// The window (log2) a `dcz` body may use: the file's own size when it fits under what a client
/// accepts for this dictionary, else the largest window under that limit.
fn dcz_window_log(dictionary: usize, data: usize) -> u32 {
    let limit = (dictionary + dictionary / 4).clamp(8 << 20, 128 << 20);
    let fits = usize::BITS - data.max(1 << 10).saturating_sub(1).leading_zeros();
    if 1usize << fits <= limit {
        fits
    } else {
        usize::BITS - 1 - limit.leading_zeros()
    }
}

/// `data` as a `dcz` body against `dictionary` (at its best, Zstandard level 19: 22 measured
/// no smaller).
pub fn dcz(dictionary: &[u8], data: &[u8], effort: Effort) -> std::io::Result<Vec<u8>> {
    use zstd::zstd_safe::{CParameter, DictContentType};
    let mut c = zstd::bulk::Compressor::new(if effort == Effort::Best { 19 } else { 12 })?;
    c.set_parameter(CParameter::WindowLog(dcz_window_log(dictionary.len(), data.len())))?;
    c.context_mut()
        .load_dictionary_advanced(dictionary, DictContentType::RawContent)
        .map_err(|code| std::io::Error::other(zstd::zstd_safe::get_error_name(code)))?;
    let frame = c.compress(data)?;
    let mut out = Vec::with_capacity(frame.len() + 40);
    out.extend_from_slice(&DCZ_MAGIC);
    out.extend_from_slice(&dictionary_hash(dictionary));
    out.extend_from_slice(&frame);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two versions of a script: the second differs by one line.
    fn versions() -> (Vec<u8>, Vec<u8>) {
        let mut old = String::new();
        for i in 0..4000 {
            old.push_str(&format!("export function f{i}(a, b) {{ return a * {i} + b - {}; }}\n", i % 7));
        }
        let new = old.replacen("return a * 2000 + b", "return a * 2001 + b", 1);
        (old.into_bytes(), new.into_bytes())
    }

    #[test]
    fn a_delta_goes_only_to_a_client_that_holds_its_dictionary_and_accepts_its_encoding() {
        use crate::config::DeltaEncoding::{Dcb, Dcz};
        use crate::output::ServedDelta;
        let (a, b) = (dictionary_hash(b"a"), dictionary_hash(b"b"));
        let d = |dictionary, encoding, size| ServedDelta { dictionary, encoding, file: format!("{size}"), size, from: String::new() };
        let deltas = [d(a, Dcb, 40), d(a, Dcz, 30), d(b, Dcb, 10)];
        let header = available_dictionary_header(b"a");
        let pick = |av: Option<&str>, ae: Option<&str>| choose(&deltas, av, ae).map(|d| d.size);
        assert_eq!(pick(Some(&header), Some("gzip, br, zstd, dcb, dcz")), Some(30));
        assert_eq!(pick(Some(&header), Some("gzip, br, dcb")), Some(40));
        assert_eq!(pick(Some(&header), Some("gzip, br, dcb;q=0, dcz")), Some(30));
        assert_eq!(pick(Some(&header), Some("gzip, br, *")), None);
        assert_eq!(pick(Some(&header), None), None);
        assert_eq!(pick(None, Some("dcb, dcz")), None);
        assert_eq!(pick(Some(":bm90IGEgaGFzaA==:"), Some("dcb, dcz")), None);
        assert_eq!(pick(Some("garbage"), Some("dcb, dcz")), None);
        assert_eq!(pick(Some(&available_dictionary_header(b"c")), Some("dcb, dcz")), None);
    }

    #[test]
    fn a_delta_path_names_its_file() {
        let d = crate::output::Delta::path("assets/a.k3j2.js", &dictionary_hash(b"x"), crate::config::DeltaEncoding::Dcz);
        assert_eq!(delta_of(&d), Some("assets/a.k3j2.js"));
        assert_eq!(delta_of("assets/a.js.br"), None);
        assert_eq!(delta_of("assets/notes.dcb"), None);
    }

    #[test]
    fn dictionaries_match_their_next_versions_under_the_base() {
        assert_eq!(use_as_dictionary("/", "assets/main.*.js", Some("script")), r#"match="/assets/main.*.js", match-dest=("script")"#);
        assert_eq!(use_as_dictionary("/app/", "assets/a.*.css", Some("style")), r#"match="/app/assets/a.*.css", match-dest=("style")"#);
        assert_eq!(use_as_dictionary("https://cdn.example.com/x/", "m.*.wasm", None), r#"match="/x/m.*.wasm""#);
        assert_eq!(use_as_dictionary("./", "assets/main.*.js", Some("script")), r#"match="main.*.js", match-dest=("script")"#);
        assert_eq!(use_as_dictionary("/", r"assets/a\(1\).*.js", Some("script")), r#"match="/assets/a\\(1\\).*.js", match-dest=("script")"#);
    }

    #[test]
    fn dcb_decodes_with_the_dictionary_and_is_far_smaller_than_brotli() {
        let (old, new) = versions();
        let body = dcb(&old, &new, Effort::Best);
        assert_eq!(&body[..4], &DCB_MAGIC);
        assert_eq!(&body[4..36], &dictionary_hash(&old));
        let mut decoded = Vec::new();
        brotli_decompressor::BrotliDecompressCustomDict(&mut &body[36..], &mut decoded, &mut [0; 4096], &mut [0; 4096], old.clone()).unwrap();
        assert!(decoded == new);
        let plain = crate::encoding::brotli(&new, 11, 22);
        assert!(body.len() * 20 < plain.len(), "dcb {} B, brotli {} B", body.len(), plain.len());
        // Deterministic.
        assert!(dcb(&old, &new, Effort::Best) == body);
        assert_eq!(dictionary_of(&body), Some(dictionary_hash(&old)));
    }

    #[test]
    fn dcz_decodes_with_the_dictionary_and_is_far_smaller_than_brotli() {
        use zstd::zstd_safe::{DCtx, DictContentType};
        let (old, new) = versions();
        let body = dcz(&old, &new, Effort::Best).unwrap();
        assert_eq!(dictionary_of(&body), Some(dictionary_hash(&old)));
        assert_eq!(&body[..8], &DCZ_MAGIC);
        assert_eq!(&body[8..40], &dictionary_hash(&old));
        let mut d = DCtx::create();
        d.load_dictionary_advanced(&old, DictContentType::RawContent).unwrap();
        let mut decoded: Vec<u8> = Vec::with_capacity(new.len());
        d.decompress(&mut decoded, &body[40..]).unwrap();
        assert!(decoded == new);
        // A plain zstd decoder skips the skippable frame: the body decodes as it is.
        let mut d = DCtx::create();
        d.load_dictionary_advanced(&old, DictContentType::RawContent).unwrap();
        let mut whole: Vec<u8> = Vec::with_capacity(new.len());
        d.decompress(&mut whole, &body).unwrap();
        assert!(whole == new);
        let plain = crate::encoding::brotli(&new, 11, 22);
        assert!(body.len() * 20 < plain.len(), "dcz {} B, brotli {} B", body.len(), plain.len());
        assert!(dcz(&old, &new, Effort::Best).unwrap() == body);
    }

    #[test]
    fn available_dictionary_reads_what_a_client_sends() {
        let dict = b"console.log(1)";
        let header = available_dictionary_header(dict);
        assert_eq!(available_dictionary(&header), Some(dictionary_hash(dict)));
        for bad in ["", "abc", ":not base64!:", ":YWJj:", "YWJj"] {
            assert_eq!(available_dictionary(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_zstd_window_fits_what_clients_accept() {
        // Small files: their own size (at least 1 KiB).
        assert_eq!(dcz_window_log(100_000, 100), 10);
        assert_eq!(dcz_window_log(100_000, 300_000), 19);
        // A file larger than max(8 MiB, 1.25 × dictionary): the largest window under it.
        assert_eq!(dcz_window_log(1 << 20, 20 << 20), 23);
        assert_eq!(dcz_window_log(40 << 20, 100 << 20), 25);
        assert_eq!(dcz_window_log(400 << 20, 400 << 20), 27);
    }
}
