//! From a URL written in a source file to the file it names.
//!
//! The rules are the ones Vite users expect: `/x` is relative to the root (or, failing that, to
//! the public folder), anything else to the referring file; URLs with a scheme, protocol-relative
//! URLs, `data:` URIs and bare fragments are left alone; `?query` and `#fragment` are kept.

use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;

use crate::config::{display_path, normalize, Config};

#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    /// Not ours to touch: external, `data:`, fragment-only, empty.
    External,
    /// A file of the project: its path relative to the root, and the `?query#fragment` to keep.
    Local { rel: String, suffix: String },
    /// A file of the public folder: its path in the output, and the suffix.
    Public { rel: String, suffix: String },
    /// A folder (`/docs/`): a page route, not a file.
    Folder,
    /// Nothing there; `path` is where kiln looked.
    Missing { path: String },
    /// Leads outside the project root (through `..` or a symlink), or into the output folder.
    Outside { path: String },
}

pub fn is_external(url: &str) -> bool {
    let url = url.trim();
    if url.is_empty() || url.starts_with('#') || url.starts_with("//") {
        return true;
    }
    // A scheme: letters, digits, + - . before the first ':' (http:, data:, mailto:, blob:...).
    match url.find(':') {
        Some(i) => {
            let scheme = &url[..i];
            !scheme.is_empty()
                && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && !url[..i].contains('/')
        }
        None => false,
    }
}

/// Splits `a/b.png?v=1#x` into the path and the suffix that is kept verbatim.
pub fn split_suffix(url: &str) -> (&str, &str) {
    match url.find(['?', '#']) {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    }
}

/// Resolves `url`, written in the file `referrer` (an absolute path inside the root).
pub fn resolve(config: &Config, referrer: &Path, url: &str) -> Resolved {
    let url = url.trim();
    if is_external(url) {
        return Resolved::External;
    }
    let (path, suffix) = split_suffix(url);
    if path.is_empty() {
        return Resolved::External;
    }
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    let suffix = suffix.to_owned();
    let candidate: PathBuf = if let Some(abs) = decoded.strip_prefix('/') {
        let in_root = normalize(&config.root.join(abs));
        if !in_root.exists() {
            if let Some(public) = &config.public_dir {
                let in_public = normalize(&public.join(abs));
                if in_public.starts_with(public) && in_public.is_file() {
                    return Resolved::Public { rel: display_path(&in_public, public), suffix };
                }
            }
        }
        in_root
    } else {
        normalize(&referrer.parent().unwrap_or(&config.root).join(decoded.as_ref()))
    };
    if !candidate.starts_with(&config.root) || candidate.starts_with(&config.out_dir) {
        return Resolved::Outside { path: candidate.display().to_string() };
    }
    if path.ends_with('/') || candidate.is_dir() {
        return Resolved::Folder;
    }
    if !candidate.exists() {
        return Resolved::Missing { path: display_path(&candidate, &config.root) };
    }
    // A symlink inside the root may still lead out of it.
    match candidate.canonicalize() {
        Ok(real) if real.starts_with(&config.root) && !real.starts_with(&config.out_dir) => {}
        Ok(real) => return Resolved::Outside { path: real.display().to_string() },
        Err(_) => return Resolved::Missing { path: display_path(&candidate, &config.root) },
    }
    if let Some(public) = &config.public_dir {
        if candidate.starts_with(public) {
            return Resolved::Public { rel: display_path(&candidate, public), suffix };
        }
    }
    Resolved::Local { rel: display_path(&candidate, &config.root), suffix }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;

    #[test]
    fn external_urls() {
        for u in ["https://x.org/a.png", "//cdn.x/a.js", "data:image/png;base64,AA", "#top", "mailto:a@b", "", "  "] {
            assert!(is_external(u), "{u}");
        }
        for u in ["a.png", "/a.png", "./a:b.png", "../x/y.css?x=1"] {
            assert!(!is_external(u), "{u}");
        }
    }

    #[test]
    fn resolves_relative_absolute_public_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("pages/img")).unwrap();
        std::fs::create_dir_all(root.join("public")).unwrap();
        std::fs::write(root.join("pages/img/a b.png"), b"x").unwrap();
        std::fs::write(root.join("public/robots.txt"), b"x").unwrap();
        let config = Config::load(root, &Overrides::default()).unwrap();
        let page = config.root.join("pages/index.html");
        assert_eq!(
            resolve(&config, &page, "img/a%20b.png?v=2#f"),
            Resolved::Local { rel: "pages/img/a b.png".into(), suffix: "?v=2#f".into() }
        );
        assert_eq!(
            resolve(&config, &page, "/pages/img/a%20b.png"),
            Resolved::Local { rel: "pages/img/a b.png".into(), suffix: String::new() }
        );
        assert_eq!(resolve(&config, &page, "/robots.txt"), Resolved::Public { rel: "robots.txt".into(), suffix: String::new() });
        assert_eq!(resolve(&config, &page, "img/none.png"), Resolved::Missing { path: "pages/img/none.png".into() });
        assert!(matches!(resolve(&config, &page, "../../etc/passwd"), Resolved::Outside { .. }));
        assert_eq!(resolve(&config, &page, "/docs/"), Resolved::Folder);
    }
}
