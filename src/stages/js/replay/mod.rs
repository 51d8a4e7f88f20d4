//! Replaying the JS stage: when every module of the last build with the same options and
//! entries reads and resolves as it did then, the build takes that build's chunks instead of
//! loading, linking, minifying and printing again.
//!
//! Loading a module is a pure function of a few inputs, which its [`trace::ModuleTrace`]
//! records: the bytes of its file, the tsconfig options that apply to it, the files each of
//! its `import.meta.glob`s and `import()` patterns matched, and where each of its imports
//! resolves (which covers new files that would now be found first, `package.json` changes,
//! `sideEffects`, aliases). The rest of the stage is a pure function of the modules,
//! the options and the entries, which make the entry's key. So the check reads and hashes
//! every module's file (in parallel; a changed file ends it before anything is resolved),
//! then expands every pattern and resolves every import again; all the same, the stored
//! output is the output a full run would give. A build whose JS stage warned keeps no entry,
//! so that warnings show on every build. One entry per key is kept (the next build replaces it), in the local cache only.
//! `KILN_CHECK_CACHE=1` runs the stage in full after a replay and stops the build if the
//! two outputs differ.

pub mod codec;
mod stored;
pub mod trace;

use rayon::prelude::*;

use crate::cache::Cache;
use crate::diagnostics::{BuildError, Diagnostic, Diagnostics};
use crate::graph::JsEntry;
use crate::log::{Clock, Timings};
use crate::stages::js::bundle::Bundles;
use crate::stages::js::scan::resolve::JsResolver;
use crate::stages::js::BundleOptions;
use trace::ModuleTrace;

pub struct Replay<'a> {
    cache: &'a Cache,
    key: [u8; 32],
}

impl<'a> Replay<'a> {
    /// The stage's entry for these options (see [`BundleOptions::key_fields`]), entries and
    /// import-map specifiers, and the root: the entry's traces name the files they read by
    /// their absolute paths and are checked against them (it lives in the local cache only),
    /// so a project at another path sharing the cache folder must not find it.
    pub fn new(cache: &'a Cache, options: &BundleOptions, entries: &[JsEntry], import_map: &[String]) -> Self {
        let fields = options.key_fields();
        let entries = crate::fields::of(&options.loader.root, entries);
        let root = options.loader.root.as_os_str().as_encoded_bytes();
        let key = crate::cache::key("js-stage", &[&fields, &entries, import_map.join("\n").as_bytes(), root]);
        Replay { cache, key }
    }

    /// The stored output, if every module it was made from still reads and resolves alike.
    pub fn lookup(&self, options: &BundleOptions, import_map: &[String]) -> Option<Bundles> {
        let clock = Clock::start();
        let payload = self.cache.get_local(&self.key)?;
        let stored = codec::Stored::read(&payload)?;
        let files: Vec<Option<Vec<u8>>> = stored.traces.par_iter().map(ModuleTrace::bytes).collect::<Option<_>>()?;
        let resolver = JsResolver::new(options);
        if !stored.traces.par_iter().all(|t| t.resolves_alike(options, &resolver, import_map)) {
            return None;
        }
        let (chunks, assets) = codec::decode(stored, &payload, &files)?;
        let mut timings = Timings::default();
        timings.add("js.replay", clock.stop());
        Some(Bundles { chunks, assets, timings, warnings: Diagnostics::default(), traces: Vec::new() })
    }

    /// Keeps the output of a full run for the next build (written on a thread of its own).
    pub fn store(&self, bundles: &Bundles) {
        // Nothing to encode for: no cache (`--no-cache`), or a stage that warned.
        if !self.cache.is_on() || !bundles.warnings.0.is_empty() {
            return;
        }
        let payload = codec::encode(&bundles.traces, &bundles.chunks, &bundles.assets);
        self.cache.put_local_in_background(self.key, payload);
    }
}

/// `KILN_CHECK_CACHE`: a replayed output must be the one the full run just made.
pub fn compare(replayed: &Bundles, fresh: &Bundles) -> Result<(), BuildError> {
    // With no traces, every source's text is compared too.
    let a = codec::encode(&[], &replayed.chunks, &replayed.assets);
    let b = codec::encode(&[], &fresh.chunks, &fresh.assets);
    if a == b {
        return Ok(());
    }
    Err(BuildError::one(Diagnostic::cache_differs("the JS stage replayed from the build cache differs from a full run")))
}
