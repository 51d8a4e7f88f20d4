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

    /// The options a cache entry of loaded files is keyed by (see [`crate::fields`]).
    pub fn key_fields(&self) -> Vec<u8> {
        crate::fields::of(&self.root, self)
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

/// All but the root and the output folder. The root: every path enters the key relative to it,
/// so a checkout at another path finds the same entries. The output folder: loading reads it
/// only to refuse files inside it (a check that resolves every reference again covers that),
/// so a build into another folder finds the same entries.
impl crate::fields::Keyed for LoaderOptions {
    fn write(&self, k: &mut crate::fields::KeyFields) {
        let LoaderOptions { root: _, out_dir: _, public_dir, workspace_root, base, sri, css } = self;
        k.field("public_dir", public_dir).field("workspace_root", workspace_root).field("base", base).field("sri", sri).field("css", css);
    }
}
