//! What the loaders read of the project: its folders, `base`, `sri` and the CSS options.
//! Made once from the [`Config`] by the stages that drive the loaders (scan, JS).

use std::path::{Path, PathBuf};

use crate::config::{Config, CssOptions};

#[derive(Debug, Clone)]
pub struct LoaderOptions {
    /// The project folder, canonical.
    pub root: PathBuf,
    /// The output folder: never read as sources.
    pub out_dir: PathBuf,
    pub public_dir: Option<PathBuf>,
    /// The workspace the project belongs to: its files may be read from outside the root.
    pub workspace_root: Option<PathBuf>,
    /// Prefix of every rewritten URL.
    pub base: String,
    /// Pages get `integrity` attributes.
    pub sri: bool,
    pub css: CssOptions,
}

impl LoaderOptions {
    pub fn new(config: &Config) -> Self {
        LoaderOptions {
            root: config.root.clone(),
            out_dir: config.out_dir.clone(),
            public_dir: config.public_dir.clone(),
            workspace_root: config.workspace_root.clone(),
            base: config.base.clone(),
            sri: config.sri,
            css: config.css.clone(),
        }
    }

    /// The absolute path of a root-relative source path.
    pub fn path(&self, rel: &str) -> PathBuf {
        crate::config::source_path(&self.root, rel)
    }

    /// The options a cache entry of loaded files is keyed by: all but the output folder, which
    /// loading reads only to refuse files inside it (a check that resolves every reference again
    /// covers that), so a build into another folder finds the same entries.
    pub fn for_cache_key(&self) -> LoaderOptions {
        LoaderOptions { out_dir: PathBuf::new(), ..self.clone() }
    }

    /// Whether a file (its real path) may be read as a source (see [`Config::may_read`]).
    pub fn may_read(&self, real: &Path) -> bool {
        crate::config::may_read(&self.root, &self.out_dir, self.workspace_root.as_deref(), real)
    }

    /// A path as written in messages and the manifest: `/`-separated, relative to the root.
    pub fn rel(&self, path: &Path) -> String {
        crate::paths::project_relative(&self.root, path)
    }
}
