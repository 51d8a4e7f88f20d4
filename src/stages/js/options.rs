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
    /// kiln checking itself (see [`crate::environ::SelfChecks`]); no output depends on it.
    pub checks: crate::environ::SelfChecks,
    /// The Node.js binary component compilers run in (`KILN_NODE`, else `node`).
    pub node: String,
}

impl BundleOptions {
    pub fn new(config: &Config) -> Self {
        BundleOptions {
            loader: LoaderOptions::new(config),
            js: config.js.clone(),
            env: config.env.clone(),
            hash_cascade: config.hash_cascade,
            checks: config.process.self_checks(),
            node: config.process.var("KILN_NODE").unwrap_or("node").to_owned(),
        }
    }

    /// The options as the build cache's keys have them (see [`crate::fields`]).
    pub fn key_fields(&self) -> Vec<u8> {
        crate::fields::of(&self.loader.root, self)
    }

    /// A path as written in messages, source maps and the manifest (see [`Config::rel`]).
    pub fn rel(&self, path: &Path) -> String {
        self.loader.rel(path)
    }
}

impl crate::fields::Keyed for BundleOptions {
    fn write(&self, k: &mut crate::fields::KeyFields) {
        let BundleOptions { loader, js, env, hash_cascade, checks: _, node: _ } = self;
        k.field("loader", loader).field("js", js).field("env", env).field("hash_cascade", hash_cascade);
    }
}
