//! From a URL written in a source file to the file it names.
//!
//! The rules are the ones Vite users expect: `/x` is relative to the root (or, failing that, to
//! the public folder), anything else to the referring file; URLs with a scheme, protocol-relative
//! URLs, `data:` URIs and bare fragments are left alone; `?query` and `#fragment` are kept.

use std::path::{Path, PathBuf};

use dashmap::DashMap;
use percent_encoding::percent_decode_str;

use crate::loader::LoaderOptions;
use crate::paths::{display_path, lexical};

/// What the file system says about a path, asked once per path per build: many files refer
/// to the same icon or font, and each answer costs several system calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// A file whose real path (after symlinks) is inside the root and outside out_dir.
    File,
    Dir,
    Missing,
    /// Exists, but its real path leads outside the root or into out_dir.
    Escapes,
}

/// The file-status cache shared by every loader of one build, and the package resolver CSS
/// falls back on for bare specifiers.
#[derive(Default)]
pub struct FsCache {
    status: DashMap<PathBuf, Status>,
    packages: std::sync::OnceLock<oxc_resolver::Resolver>,
}

impl FsCache {
    fn status(&self, options: &LoaderOptions, path: &Path) -> Status {
        if let Some(s) = self.status.get(path) {
            return *s;
        }
        let s = match std::fs::metadata(path) {
            Err(_) => Status::Missing,
            Ok(m) if m.is_dir() => Status::Dir,
            Ok(_) => match path.canonicalize() {
                Ok(real) if options.may_read(&real) => Status::File,
                Ok(_) => Status::Escapes,
                Err(_) => Status::Missing,
            },
        };
        self.status.insert(path.to_path_buf(), s);
        s
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Resolved {
    /// Not ours to touch: external, `data:`, fragment-only, empty.
    External,
    /// A file of the project: its path relative to the root (`../` for a file of the
    /// workspace or a package outside it), and the `?query#fragment` to keep.
    Local { rel: String, suffix: String },
    /// A file of the public folder: its path in the output, and the suffix.
    Public { rel: String, suffix: String },
    /// A folder (`/docs/`): a page route, not a file.
    Folder,
    /// Nothing there; `path` is where kiln looked.
    Missing { path: String },
    /// Leads outside the project root and its workspace (through `..` or a symlink), or into
    /// the output folder.
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
pub fn resolve(options: &LoaderOptions, fs: &FsCache, referrer: &Path, url: &str) -> Resolved {
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
        let in_root = lexical(&options.root.join(abs));
        if fs.status(options, &in_root) == Status::Missing {
            if let Some(public) = &options.public_dir {
                let in_public = lexical(&public.join(abs));
                if in_public.starts_with(public) && fs.status(options, &in_public) == Status::File {
                    return Resolved::Public { rel: display_path(&in_public, public), suffix };
                }
            }
        }
        in_root
    } else {
        lexical(&referrer.parent().unwrap_or(&options.root).join(decoded.as_ref()))
    };
    if !options.may_read(&candidate) {
        return Resolved::Outside { path: candidate.display().to_string() };
    }
    match fs.status(options, &candidate) {
        _ if path.ends_with('/') => return Resolved::Folder,
        Status::Dir => return Resolved::Folder,
        Status::Missing => return Resolved::Missing { path: display_path(&candidate, &options.root) },
        Status::Escapes => {
            let real = candidate.canonicalize().unwrap_or_else(|_| candidate.clone());
            return Resolved::Outside { path: real.display().to_string() };
        }
        Status::File => {}
    }
    if let Some(public) = &options.public_dir {
        if candidate.starts_with(public) {
            return Resolved::Public { rel: display_path(&candidate, public), suffix };
        }
    }
    Resolved::Local { rel: options.rel(&candidate), suffix }
}

/// A specifier a stylesheet may mean as a package path: not relative, not root-relative
/// (`bootstrap/dist/css/bootstrap.css`, `@fontsource/inter`, webpack's `~bootstrap/…`).
fn bare(url: &str) -> Option<&str> {
    let url = url.trim();
    let url = url.strip_prefix('~').unwrap_or(url);
    (!url.starts_with('.') && !url.starts_with('/') && !is_external(url) && !url.is_empty()).then_some(url)
}

/// [`resolve`] for a URL written in CSS (`@import`, `url()`): a bare specifier that names no
/// file beside the stylesheet is looked up as a package, as esbuild and Vite do (the `style`
/// condition and field first, for packages whose main file is JS).
pub fn resolve_css(options: &LoaderOptions, fs: &FsCache, referrer: &Path, url: &str) -> Resolved {
    let first = if url.trim().starts_with('~') { Resolved::Missing { path: url.to_owned() } } else { resolve(options, fs, referrer, url) };
    let Resolved::Missing { .. } = first else { return first };
    let Some(spec) = bare(url) else { return first };
    let (path, suffix) = split_suffix(spec);
    let resolver = fs.packages.get_or_init(|| {
        oxc_resolver::Resolver::new(oxc_resolver::ResolveOptions {
            condition_names: vec!["style".into(), "import".into(), "default".into()],
            main_fields: vec!["style".into(), "main".into()],
            main_files: vec!["index".into()],
            extensions: vec![".css".into()],
            ..oxc_resolver::ResolveOptions::default()
        })
    });
    let from = referrer.parent().unwrap_or(&options.root);
    match resolver.resolve(from, path) {
        Ok(r) => {
            let found = r.path().to_path_buf();
            match fs.status(options, &found) {
                Status::File => Resolved::Local { rel: options.rel(&found), suffix: suffix.to_owned() },
                Status::Escapes | Status::Missing | Status::Dir => Resolved::Outside { path: found.display().to_string() },
            }
        }
        Err(_) => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Overrides};

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
        let fs = FsCache::default();
        let options = crate::loader::LoaderOptions::new(&config);
        let resolve = |page: &Path, url: &str| super::resolve(&options, &fs, page, url);
        assert_eq!(resolve(&page, "img/a%20b.png?v=2#f"), Resolved::Local { rel: "pages/img/a b.png".into(), suffix: "?v=2#f".into() });
        assert_eq!(resolve(&page, "/pages/img/a%20b.png"), Resolved::Local { rel: "pages/img/a b.png".into(), suffix: String::new() });
        assert_eq!(resolve(&page, "/robots.txt"), Resolved::Public { rel: "robots.txt".into(), suffix: String::new() });
        assert_eq!(resolve(&page, "img/none.png"), Resolved::Missing { path: "pages/img/none.png".into() });
        assert!(matches!(resolve(&page, "../../etc/passwd"), Resolved::Outside { .. }));
        assert_eq!(resolve(&page, "/docs/"), Resolved::Folder);
    }
}
