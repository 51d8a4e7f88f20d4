//! The objects a built output becomes: key, body (a file, or part of one), and headers.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::error::PublishError;
use crate::config::{PublishEncoding, PublishOptions};
use crate::mime;

/// When an object goes up: every phase finishes before the next starts, so no visitor gets a
/// page that points at an object not yet there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Content-hashed files (new names never collide with live ones).
    Assets,
    /// Everything else but pages and the manifest (public files, service worker…).
    Other,
    Pages,
    Manifest,
}

impl Phase {
    /// Its name in the summary and the progress lines (as it is serialized).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Assets => "assets",
            Phase::Other => "other",
            Phase::Pages => "pages",
            Phase::Manifest => "manifest",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Headers {
    pub content_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    pub cache_control: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<(String, String)>,
}

/// Where an object's bytes come from.
#[derive(Debug, Clone)]
pub enum Source {
    File(PathBuf),
    /// Made at publish time: the twin of a small file the build left without one.
    Bytes(std::sync::Arc<Vec<u8>>),
}

#[derive(Debug, Clone)]
pub struct LocalObject {
    /// Path in the output (`/`-separated), which is the key under the prefix.
    pub rel: String,
    pub source: Source,
    pub size: u64,
    pub phase: Phase,
    /// Named by content hash: existence with the same size is proof of the same content.
    pub hashed: bool,
    pub headers: Headers,
    /// blake3 of the bytes and headers, hex: stored as `x-amz-meta-kiln-hash`.
    pub hash: String,
}

/// Every object of the output in `dir`, or an error saying why it is not a whole kiln output.
/// With `siblings`, every file whose type is in `compress.types` gets `.br` and `.gz` keys,
/// made here when the build kept no twin (too small, or not smaller), so an edge rule can pick
/// by type and `Accept-Encoding` without knowing which twins exist.
pub fn objects(
    dir: &Path,
    manifest_name: &str,
    options: &PublishOptions,
    compress: &crate::config::CompressOptions,
    secrets: &crate::secrets::Allow,
) -> Result<Vec<LocalObject>, PublishError> {
    let index = whole_output(dir, manifest_name)?;
    let hashed = &index.hashed;
    // Each delta: the file it is a delta of, and its encoding.
    let deltas: HashMap<&str, (&str, &'static str)> =
        index.deltas.iter().flat_map(|(file, ds)| ds.iter().map(move |d| (d.file.as_str(), (file.as_str(), d.encoding.token())))).collect();
    let files = nothing_secret(dir, files(dir)?, secrets, &deltas)?;
    let present: HashSet<&str> = files.iter().map(|f| f.0.as_str()).collect();
    let mut out = Vec::new();
    for (rel, path, size) in &files {
        // A delta goes up under its own key (whatever the encoding mode), with its encoding and
        // the type and caching of its file, with the hashed assets: the edge code chooses it.
        if let Some(&(base, encoding)) = deltas.get(rel.as_str()) {
            let headers = headers(base, Some(encoding), true, options, &index);
            let bytes = std::fs::read(path).map_err(|e| PublishError::output(path, format!("cannot read: {e}")))?;
            let hash = object_hash(&bytes, &headers);
            out.push(LocalObject { rel: rel.clone(), source: Source::File(path.clone()), size: *size, phase: Phase::Assets, hashed: true, hash, headers });
            continue;
        }
        let Some((base, encoding)) = twin_of(rel, &present, options.encoding) else { continue };
        // In place: the twin's bytes go to the main key, which then is not uploaded itself.
        let in_place = matches!(options.encoding, PublishEncoding::BrotliInPlace | PublishEncoding::GzipInPlace);
        let key = if in_place && encoding.is_some() { base.to_owned() } else { rel.clone() };
        let is_hashed = hashed.contains(base) || base.strip_suffix(".map").is_some_and(|b| hashed.contains(b));
        let phase = if base == manifest_name {
            Phase::Manifest
        } else if mime::essence(base) == "text/html" {
            Phase::Pages
        } else if is_hashed {
            Phase::Assets
        } else {
            Phase::Other
        };
        let headers = headers(base, encoding, is_hashed, options, &index);
        let bytes = std::fs::read(path).map_err(|e| PublishError::output(path, format!("cannot read: {e}")))?;
        let wants_twins = options.encoding == PublishEncoding::Siblings && encoding.is_none() && crate::encoding::twin_type(compress, base);
        if wants_twins {
            for (ext, enc) in [("br", "br"), ("gz", "gzip")] {
                if present.contains(format!("{rel}.{ext}").as_str()) {
                    continue;
                }
                let twin = if ext == "br" {
                    crate::encoding::brotli(&bytes, compress.brotli_quality, compress.brotli_window)
                } else {
                    crate::encoding::gzip(&bytes, compress.gzip_level, false)
                };
                let h = Headers { content_encoding: Some(enc.to_owned()), ..headers.clone() };
                out.push(LocalObject {
                    rel: format!("{rel}.{ext}"),
                    size: twin.len() as u64,
                    hash: object_hash(&twin, &h),
                    source: Source::Bytes(std::sync::Arc::new(twin)),
                    phase,
                    hashed: is_hashed,
                    headers: h,
                });
            }
        }
        out.push(LocalObject {
            rel: key,
            source: Source::File(path.clone()),
            size: *size,
            phase,
            hashed: is_hashed,
            hash: object_hash(&bytes, &headers),
            headers,
        });
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// The files to publish without dotfiles (but `.well-known/`, and what `[secrets] allow_files`
/// keeps), or an error naming every file the build would have refused: an output folder edited
/// by hand, or an older kiln's, must not put a secret online.
fn nothing_secret(
    dir: &Path,
    files: Vec<(String, PathBuf, u64)>,
    secrets: &crate::secrets::Allow,
    deltas: &HashMap<&str, (&str, &'static str)>,
) -> Result<Vec<(String, PathBuf, u64)>, PublishError> {
    use crate::secrets::{FileKind, Problem};
    let mut kept = Vec::with_capacity(files.len());
    let mut refused = Vec::new();
    for (rel, path, size) in files {
        // A twin or a delta is judged by the file it encodes (its bytes are compressed).
        let base = deltas.get(rel.as_str()).map(|d| d.0).or_else(|| rel.strip_suffix(".br")).or_else(|| rel.strip_suffix(".gz")).unwrap_or(&rel);
        match secrets.classify(base) {
            FileKind::Dotfile => continue,
            FileKind::Secret(what) => {
                refused.push(format!("{rel} is {what}"));
                continue;
            }
            FileKind::Plain => {}
        }
        if base == rel {
            let bytes = std::fs::read(&path).map_err(|e| PublishError::output(&path, format!("cannot read: {e}")))?;
            if let Some(Problem::Values(found)) = secrets.check(&rel, None, &bytes) {
                for f in found {
                    let (line, col) = crate::secrets::values::line_col(&bytes, f.start);
                    refused.push(format!("{rel}:{line}:{col} holds {} ({}; [secrets] allow takes \"{}\")", f.rule.what, f.rule.id, f.fingerprint));
                }
            }
        }
        kept.push((rel, path, size));
    }
    if !refused.is_empty() {
        return Err(PublishError::output(dir, format!("holds what kiln never publishes, so nothing was uploaded:\n  {}", refused.join("\n  "))));
    }
    Ok(kept)
}

/// What the manifest of the output in `dir` says (its hashed files, its deltas), once it is
/// known to be a whole kiln output: the folder exists, has its manifest, and holds every file
/// the manifest names.
fn whole_output(dir: &Path, manifest_name: &str) -> Result<crate::output::ServedIndex, PublishError> {
    if !dir.is_dir() {
        return Err(PublishError::output(dir, "does not exist: run `kiln build` first"));
    }
    if !dir.join(manifest_name).is_file() {
        return Err(PublishError::output(
            dir,
            format!(
                "has no {manifest_name}: it is not a finished kiln output (run `kiln build`; publishing needs the manifest to tell hashed files from others)"
            ),
        ));
    }
    let index = crate::output::served_index(dir, manifest_name);
    // Every file the manifest names must be here: a half-written output is refused.
    for f in index.hashed.iter().chain(&index.delta_files) {
        if !dir.join(f).is_file() {
            return Err(PublishError::output(dir.join(manifest_name), format!("lists {f}, which is missing: the output is incomplete; rebuild it")));
        }
    }
    Ok(index)
}

/// (path in the output, file, size) of every file to publish, in name order.
fn files(dir: &Path) -> Result<Vec<(String, PathBuf, u64)>, PublishError> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| PublishError::output(e.path().unwrap_or(dir).to_owned(), e.to_string()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = crate::paths::display_path(entry.path(), dir);
        if rel.split('/').any(|s| s.starts_with(".dist.kiln-") || s == ".kiln") || rel == crate::graph::OUTPUT_MARKER {
            continue;
        }
        let size = entry.metadata().map_err(|e| PublishError::output(entry.path(), e.to_string()))?.len();
        files.push((rel, entry.into_path(), size));
    }
    Ok(files)
}

/// The key a file's bytes are served under and their `Content-Encoding`: a twin (`x.js.br`
/// beside `x.js`) is its base's encoded body; `None` for a file this encoding mode does not
/// publish (the twins it does not use, a main file whose twin goes up in its place).
fn twin_of<'a>(rel: &'a str, present: &HashSet<&str>, mode: PublishEncoding) -> Option<(&'a str, Option<&'static str>)> {
    let twin = [(".br", "br"), (".gz", "gzip")].into_iter().find_map(|(ext, enc)| {
        let base = rel.strip_suffix(ext)?;
        present.contains(base).then_some((base, enc))
    });
    match twin {
        Some((base, enc)) => match (mode, enc) {
            (PublishEncoding::Siblings, _) => Some((base, Some(enc))),
            (PublishEncoding::BrotliInPlace, "br") | (PublishEncoding::GzipInPlace, "gzip") => Some((base, Some(enc))),
            _ => None,
        },
        None => {
            let in_place_twin = match mode {
                PublishEncoding::BrotliInPlace => Some(format!("{rel}.br")),
                PublishEncoding::GzipInPlace => Some(format!("{rel}.gz")),
                _ => None,
            };
            if in_place_twin.is_some_and(|t| present.contains(t.as_str())) {
                return None;
            }
            Some((rel, None))
        }
    }
}

/// The headers of the object for `base`: hashed files are immutable (but a service worker,
/// whose URL never changes), others revalidate; `publish.headers` rules override. A file offered
/// as a compression dictionary (its twins and deltas too) carries its `Use-As-Dictionary` value
/// as `x-amz-meta-use-as-dictionary`, for the edge code to send (S3 stores no other header).
fn headers(base: &str, encoding: Option<&str>, is_hashed: bool, options: &PublishOptions, index: &crate::output::ServedIndex) -> Headers {
    let mut cache_control = crate::cache_control::for_file(base, is_hashed).to_owned();
    let mut extra = Vec::new();
    if let Some(rule) = options.headers.iter().find(|r| r.files.is_match(base)) {
        if let Some(cc) = &rule.cache_control {
            cache_control = cc.clone();
        }
        extra = rule.headers.clone();
    }
    if let Some(offer) = index.dictionaries.get(base) {
        extra.push((USE_AS_DICTIONARY_META.to_owned(), offer.clone()));
    }
    Headers { content_type: mime::content_type(base), content_encoding: encoding.map(str::to_owned), cache_control, extra }
}

/// The metadata an object offered as a compression dictionary carries its `Use-As-Dictionary`
/// value in.
pub const USE_AS_DICTIONARY_META: &str = "x-amz-meta-use-as-dictionary";

/// blake3 of an object's bytes and headers, hex: a changed header is a changed object.
fn object_hash(bytes: &[u8], headers: &Headers) -> String {
    let mut h = blake3::Hasher::new();
    h.update(bytes);
    h.update(serde_json::to_string(headers).expect("headers serialize").as_bytes());
    h.finalize().to_hex().to_string()
}
