//! Content types by extension: one table for the preview server, the compressor and publish.
//!
//! The OS's and mime_guess's tables are wrong or missing for several web formats (wasm,
//! webmanifest, avif, mjs, map), and text types need `charset=utf-8` to be served right.

/// The MIME type of a path, without parameters.
pub fn essence(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" | "mjs" | "cjs" => "text/javascript",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "xml" => "application/xml",
        "rss" => "application/rss+xml",
        "atom" => "application/atom+xml",
        "txt" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "bmp" => "image/bmp",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "eot" => "application/vnd.ms-fontobject",
        "wasm" => "application/wasm",
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "ogv" => "video/ogg",
        "mp3" => "audio/mpeg",
        "ogg" | "oga" => "audio/ogg",
        "wav" => "audio/wav",
        "m4a" => "audio/mp4",
        "vtt" => "text/vtt",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

/// The `Content-Type` header value: with `charset=utf-8` for text.
pub fn content_type(path: &str) -> String {
    let e = essence(path);
    if is_text(e) {
        format!("{e}; charset=utf-8")
    } else {
        e.to_owned()
    }
}

fn is_text(essence: &str) -> bool {
    essence.starts_with("text/")
        || matches!(
            essence,
            "application/json" | "application/manifest+json" | "application/xml" | "application/rss+xml" | "application/atom+xml" | "image/svg+xml"
        )
}

/// Whether `essence` matches one of the patterns (`text/*`, `application/json`).
pub fn matches_any(essence: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| match p.strip_suffix("/*") {
        Some(top) => essence.split('/').next() == Some(top),
        None => p == essence,
    })
}

/// The group a file is listed under in the build report (and counted in budgets).
pub fn group(path: &str) -> &'static str {
    let e = essence(path);
    match e {
        "text/html" => "document",
        "text/css" => "stylesheet",
        "text/javascript" => "script",
        _ if e.starts_with("image/") => "image",
        _ if e.starts_with("font/") || e == "application/vnd.ms-fontobject" => "font",
        _ if e.starts_with("video/") || e.starts_with("audio/") => "media",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(content_type("a.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("x.wasm"), "application/wasm");
        assert_eq!(content_type("site.webmanifest"), "application/manifest+json; charset=utf-8");
        assert!(matches_any("text/css", &["text/*".into()]));
        assert!(!matches_any("image/png", &["text/*".into(), "image/svg+xml".into()]));
        assert_eq!(group("a/b.woff2"), "font");
    }
}
