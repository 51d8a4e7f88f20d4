//! What the JS stage reads: the `[js]` and env settings, how chunks name each other, and what
//! the loaders need (for the files scripts import) — made once from the [`Config`].

use std::path::Path;

use crate::config::{Config, EnvOptions, HashCascade, JsOptions};
use crate::loader::LoaderOptions;

#[derive(Debug, Clone)]
pub struct BundleOptions {
    /// The project's folders, `base`, `sri` and CSS options, shared with the loaders.
    pub loader: LoaderOptions,
    pub js: JsOptions,
    pub env: EnvOptions,
    pub hash_cascade: HashCascade,
}

impl BundleOptions {
    pub fn new(config: &Config) -> Self {
        BundleOptions { loader: LoaderOptions::new(config), js: config.js.clone(), env: config.env.clone(), hash_cascade: config.hash_cascade }
    }

    /// The options as the build cache's keys have them: all of them but the output folder
    /// (see [`LoaderOptions::for_cache_key`]), as text.
    pub fn cache_description(&self) -> String {
        format!("{:?}", BundleOptions { loader: self.loader.for_cache_key(), ..self.clone() })
    }

    /// A path as written in messages, source maps and the manifest (see [`Config::rel`]).
    pub fn rel(&self, path: &Path) -> String {
        self.loader.rel(path)
    }
}
