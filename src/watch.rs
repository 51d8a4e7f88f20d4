//! Watch mode: what changed under the project, debounced, for `kiln build --watch` and
//! `kiln serve --watch` to rebuild on.
//!
//! The project folder is watched itself (for files and folders made at its top) and each of
//! its folders recursively, except those that change because of the build or that no build
//! reads from: the output and cache folders, `.git`, and `node_modules` (as Vite does; after an
//! `npm install`, save a file or restart). Events are gathered until none has come for
//! [`DEBOUNCE`]: an editor's save (write, rename, chmod) or a `git checkout` is one rebuild.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::Duration;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

/// Quiet time that ends a burst of changes.
pub const DEBOUNCE: Duration = Duration::from_millis(100);

/// Folder names never watched, wherever they are.
const SKIPPED: [&str; 2] = [".git", "node_modules"];

pub struct Watcher {
    root: PathBuf,
    /// Folders whose changes are the build's own (out_dir, the cache, staging folders).
    ignored: Vec<PathBuf>,
    inner: RecommendedWatcher,
    events: Receiver<notify::Result<notify::Event>>,
    watched: BTreeSet<PathBuf>,
}

/// Why the folder cannot be watched.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("{}: {error}", root.display())]
    Root { root: PathBuf, error: std::io::Error },
    #[error("cannot watch for changes: {0}")]
    Start(notify::Error),
    #[error("cannot watch {}: {error}", folder.display())]
    Watch { folder: PathBuf, error: notify::Error },
}

impl Watcher {
    /// Watches `root`, but none of `ignored` (absolute or relative to the current folder).
    pub fn new(root: &Path, ignored: &[PathBuf]) -> Result<Watcher, WatchError> {
        let root = std::path::absolute(root).map_err(|error| WatchError::Root { root: root.to_path_buf(), error })?;
        let (tx, events) = channel();
        let inner = notify::recommended_watcher(move |e| {
            let _ = tx.send(e);
        })
        .map_err(WatchError::Start)?;
        let mut w = Watcher { root, ignored: Vec::new(), inner, events, watched: BTreeSet::new() };
        w.set_ignored(ignored);
        w.inner.watch(&w.root, RecursiveMode::NonRecursive).map_err(|error| WatchError::Watch { folder: w.root.clone(), error })?;
        w.watch_children();
        Ok(w)
    }

    /// Replaces the folders ignored (after the config changed where the output goes).
    pub fn set_ignored(&mut self, ignored: &[PathBuf]) {
        self.ignored = ignored.iter().filter_map(|p| std::path::absolute(p).ok()).collect();
    }

    fn ignores(&self, path: &Path) -> bool {
        path.components().any(|c| SKIPPED.iter().any(|s| c.as_os_str() == *s)) || self.ignored.iter().any(|i| path.starts_with(i) || sibling_of(path, i))
    }

    /// Each folder at the top of the project that is not ignored, recursively.
    fn watch_children(&mut self) {
        let Ok(entries) = std::fs::read_dir(&self.root) else { return };
        for e in entries.filter_map(Result::ok) {
            let path = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir())
                && !self.ignores(&path)
                && !self.watched.contains(&path)
                && self.inner.watch(&path, RecursiveMode::Recursive).is_ok()
            {
                self.watched.insert(path);
            }
        }
    }

    /// Blocks until something the build reads changed, then until the burst is over; returns
    /// what changed (paths relative to the project when inside it). `None`: the watcher stopped.
    pub fn changes(&mut self) -> Option<Vec<PathBuf>> {
        let mut changed = BTreeSet::new();
        loop {
            let event = if changed.is_empty() {
                match self.events.recv() {
                    Ok(e) => e,
                    Err(_) => return None,
                }
            } else {
                match self.events.recv_timeout(DEBOUNCE) {
                    Ok(e) => e,
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return None,
                }
            };
            let Ok(event) = event else { continue };
            if matches!(event.kind, EventKind::Access(_)) {
                continue;
            }
            for path in event.paths {
                if !self.ignores(&path) {
                    changed.insert(path);
                }
            }
        }
        // A folder made at the top of the project is watched from now on.
        self.watched.retain(|p| p.is_dir());
        self.watch_children();
        Some(changed.into_iter().map(|p| p.strip_prefix(&self.root).map(Path::to_path_buf).unwrap_or(p)).collect())
    }
}

/// Folders a watch ignores besides `.git` and `node_modules`: what the build writes.
pub fn written_by_build(config: &crate::Config) -> Vec<PathBuf> {
    let mut out = vec![config.out_dir.clone()];
    out.extend(config.cache_dir.clone());
    out
}

/// What changed, for a status line: the first three paths, and how many more.
pub fn changed_line(changed: &[PathBuf]) -> String {
    let mut names: Vec<String> = changed.iter().take(3).map(|p| p.display().to_string()).collect();
    if changed.len() > 3 {
        names.push(format!("and {} more", changed.len() - 3));
    }
    names.join(", ")
}

/// A failed build's errors as the terminal shows them, without colour (for the page overlay).
fn plain_errors(e: &crate::BuildError) -> String {
    e.diagnostics.iter().map(|d| d.render(false)).collect::<Vec<_>>().join("\n\n")
}

/// `kiln serve --watch`: builds the project in `root`, serves its output on `addr`, and builds
/// again after each burst of changes; open pages reload after a good build and show a failed
/// one's errors (the last good output stays served). Unless `quiet`, the address goes to standard
/// output and status lines to standard error. Returns only if serving fails.
pub fn serve(root: &'static Path, overrides: crate::Overrides, addr: std::net::SocketAddr, quiet: bool) -> Result<(), crate::BuildError> {
    use crate::{BuildError, Config, Diagnostic};
    let config = Config::load(root, &overrides)?;
    let mut watcher = Watcher::new(root, &written_by_build(&config)).map_err(|e| BuildError::one(Diagnostic::error(e.to_string())))?;
    let once = |config: &Config| -> Result<String, String> {
        let started = std::time::Instant::now();
        match crate::build(config, &crate::pipeline::Silent) {
            Ok(report) => Ok(format!("built {} files in {} ms", report.files.len(), started.elapsed().as_millis())),
            Err(e) => Err(plain_errors(&e)),
        }
    };
    let say = move |line: &str| {
        if !quiet {
            eprintln!("kiln serve: {line}");
        }
    };
    let failed = |errors: &str| eprintln!("{errors}\n\nkiln serve: the build failed; serving the last good output");
    let first = once(&config);
    let site = crate::serve::Site::new(config.out_dir.clone(), config.manifest_file(), true);
    match first {
        Ok(line) => say(&line),
        Err(errors) => {
            failed(&errors);
            site.failed(errors);
        }
    }
    let builder = site.clone();
    std::thread::spawn(move || {
        while let Some(changed) = watcher.changes() {
            say(&format!("{} changed: building again", changed_line(&changed)));
            let result = Config::load(root, &overrides).map_err(|e| plain_errors(&e)).and_then(|c| {
                watcher.set_ignored(&written_by_build(&c));
                once(&c)
            });
            match result {
                Ok(line) => {
                    builder.rebuilt();
                    say(&format!("{line}; pages reload"));
                }
                Err(errors) => {
                    failed(&errors);
                    builder.failed(errors);
                }
            }
        }
    });
    let shown = config.out_dir.display().to_string();
    crate::serve::serve_site(site, addr, |bound| {
        use std::io::Write as _;
        if !quiet {
            println!("serving {shown} at http://{bound}/ (watching for changes)");
            let _ = std::io::stdout().flush();
        }
    })
    .map_err(|e| BuildError::one(Diagnostic::error(format!("cannot serve on {addr}: {e}"))))
}

/// Emit's staging and set-aside folders sit beside out_dir, named after it (`.dist.kiln-…`).
fn sibling_of(path: &Path, out: &Path) -> bool {
    let (Some(parent), Some(name)) = (out.parent(), out.file_name()) else { return false };
    let Ok(rest) = path.strip_prefix(parent) else { return false };
    let prefix = format!(".{}.kiln-", name.to_string_lossy());
    rest.components().next().is_some_and(|c| c.as_os_str().to_string_lossy().starts_with(&prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_staging_and_skipped_folders_are_ignored() {
        let out = Path::new("/p/dist");
        assert!(sibling_of(Path::new("/p/.dist.kiln-staging-1/a.js"), out));
        assert!(!sibling_of(Path::new("/p/distant/a.js"), out));
        assert!(!sibling_of(Path::new("/p/src/a.js"), out));
    }

    #[test]
    fn a_saved_file_is_one_change_and_the_output_is_not_watched() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::create_dir_all(dir.path().join("dist")).unwrap();
        std::fs::create_dir_all(dir.path().join("node_modules/x")).unwrap();
        let mut w = Watcher::new(dir.path(), &[dir.path().join("dist")]).unwrap();
        let root = dir.path().to_path_buf();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            std::fs::write(root.join("dist/out.js"), "x").unwrap();
            std::fs::write(root.join("node_modules/x/i.js"), "x").unwrap();
            std::fs::write(root.join("src/a.js"), "1").unwrap();
            std::fs::write(root.join("src/a.js"), "2").unwrap();
        });
        let changed = w.changes().unwrap();
        writer.join().unwrap();
        assert_eq!(changed, vec![PathBuf::from("src/a.js")]);
        // A folder made later is watched too.
        std::fs::create_dir_all(dir.path().join("lib")).unwrap();
        let changed = w.changes().unwrap();
        assert_eq!(changed, vec![PathBuf::from("lib")]);
        let root = dir.path().to_path_buf();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            std::fs::write(root.join("lib/b.js"), "1").unwrap();
        });
        assert_eq!(w.changes().unwrap(), vec![PathBuf::from("lib/b.js")]);
    }
}
