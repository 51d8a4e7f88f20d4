//! The whole build, as a list of stages. Each stage is a type made from its options that turns
//! the previous stage's output into its own, with the warnings it found and the time its steps
//! took; the build stops at the first stage that fails. Nothing is written to `out_dir` before
//! the last stage (the write stage fills a staging folder beside it, removed if a later stage
//! fails), so a failed build changes nothing.
//!
//! | stage       | takes               | hands on                                        |
//! |-------------|---------------------|-------------------------------------------------|
//! | scan        | the project         | graph of pages and what they reach, JS entries  |
//! | js          | scan's output       | graph with chunks, what they import, pages linked |
//! | prune       | graph               | graph with unused CSS rules dropped             |
//! | images      | graph               | graph with images optimised and variants added, |
//! |             |                     | pages' images sized and their loading set       |
//! | preload     | graph               | graph with pages preloading the fonts they use  |
//! | fingerprint | graph               | output files at their hashed paths              |
//! | html        | output files        | output files with pages minified                |
//! | secrets     | output files        | without the public folder's dotfiles; nothing   |
//! |             |                     | secret (a secret file or value is an error)     |
//! | serving     | output files        | with `sw.js` and `_headers` when asked for       |
//! | write       | output files        | a staging folder holding them (twins not yet)   |
//! | compress    | output files        | files with gzip and Brotli twins                |
//! | delta       | compressed files    | with deltas against the versions visitors hold  |
//! | emit        | staging folder, compressed files | the twins and manifest written, the folder swapped in |

use std::time::Duration;

use crate::cache::Cache;
use crate::config::Config;
use crate::diagnostics::{BuildError, Diagnostic, Diagnostics};
use crate::log::{Clock, StageOutput, Timings};
use crate::report::Report;
use crate::stages::compress::{CompressStage, Early};
use crate::stages::delta::{DeltaStage, DeltaStageOptions};
use crate::stages::emit::{EmitOptions, EmitStage, WriteStage};
use crate::stages::fingerprint::{FingerprintOptions, FingerprintStage};
use crate::stages::html::HtmlStage;
use crate::stages::images::ImageStage;
use crate::stages::js::{BundleOptions, JsStage};
use crate::stages::preload::PreloadStage;
use crate::stages::prune::PruneStage;
use crate::stages::scan::{ScanOptions, ScanStage};
use crate::stages::secrets::{SecretsOptions, SecretsStage};
use crate::stages::serving::{ServingOptions, ServingStage};

/// Told about progress; the CLI draws a bar or prints lines, tests ignore it.
pub trait Progress: Sync {
    /// A stage starts; `total` is the number of items it will tick through, if known.
    fn start(&self, _stage: &'static str, _total: Option<u64>) {}
    fn tick(&self) {}
    fn finish(&self, _stage: &'static str, _elapsed: Duration) {}
}

pub struct Silent;
impl Progress for Silent {}

/// The stack of each build thread. The parsers, transforms, minifier and printers kiln uses
/// recurse over the syntax tree, so deeply nested input needs deep stacks; the memory is only
/// reserved, and touched as deep as an input really goes. The nesting limits that keep inputs
/// within it are in [`crate::stages::js::scan::limits`] and [`crate::loader::css`].
pub const STACK_SIZE: usize = 1 << 30;

/// Runs a build on a thread pool of `config.jobs` threads (every core by default).
pub fn build(config: &Config, progress: &dyn Progress) -> Result<Report, BuildError> {
    let mut pool = rayon::ThreadPoolBuilder::new().stack_size(STACK_SIZE);
    if let Some(jobs) = config.jobs {
        pool = pool.num_threads(jobs);
    }
    let pool = pool.build().map_err(|e| BuildError::one(Diagnostic::error(format!("cannot start worker threads: {e}"))))?;
    pool.install(|| run(config, progress))
}

fn run(config: &Config, progress: &dyn Progress) -> Result<Report, BuildError> {
    let mut warnings = Diagnostics::default();
    let cache = Cache::new(config.cache_dir.clone(), config.cache_max_size).with_remote(remote_cache(config, &mut warnings));
    let (scan, bundle) = (ScanOptions::new(config), BundleOptions::new(config));
    let (names, emit) = (FingerprintOptions::new(config), EmitOptions::new(config));
    let (secrets, serving) = (SecretsOptions::new(config), ServingOptions::new(config));
    let delta = DeltaStageOptions::new(config);
    let mut log = Log { progress, timings: Timings::default(), warnings };

    let scanned = log.stage("scan", None, || ScanStage::new(&scan, &cache).run())?;
    // Large bundles' twins begin as soon as the JS stage has them, on the cores the stages up
    // to compress leave idle.
    let early = Early::default();
    let (pruned, images, emitted) = rayon::in_place_scope(|scope| {
        let start = |code: &[u8]| early.start(scope, code, &config.compress, &cache);
        let done = (|| {
            let bundled = log.stage("js", Some(scanned.js_entries.len()), || JsStage::new(&bundle, &cache).on_bundle(&start).run(scanned))?;
            let pruned = log.stage("prune", None, || PruneStage::new(&config.css).run(bundled.graph))?;
            let images = log.stage("images", None, || ImageStage::new(&config.images, &cache).run(pruned.graph))?;
            let preloaded = log.stage("preload", None, || PreloadStage::new(config.html.preload_fonts).run(images.graph))?;
            let named = log.stage("fingerprint", Some(preloaded.graph.assets.len()), || FingerprintStage::new(&names).run(preloaded.graph))?;
            let pages = log.stage("html", None, || HtmlStage::new(&config.html).run(named.files))?;
            let checked = log.stage("secrets", None, || SecretsStage::new(&secrets).run(pages.files))?;
            let served = log.stage("serving", None, || ServingStage::new(&serving).run(checked.files))?;
            let written = log.stage("write", None, || WriteStage::new(&emit).run(&served.files))?;
            let tick = || progress.tick();
            let compressed =
                log.stage("compress", Some(served.files.len()), || CompressStage::new(&config.compress, &early, &cache, &tick).run(served.files))?;
            let deltas = log.stage("delta", None, || DeltaStage::new(&delta, &cache).run(compressed.files))?;
            let emitted = log.stage("emit", None, || EmitStage::new(&emit).run(written.staging, deltas.files).inspect(|_| cache.evict()))?;
            Ok::<_, BuildError>((pruned.pruned, images.stats, emitted))
        })();
        // A failed build drops what has not begun (what has finishes before the scope ends).
        early.stop();
        done
    })?;
    log.warnings.extend(cache.finish().into_iter().map(Diagnostic::warning));

    let mut report = Report::new(crate::paths::display_path(&config.out_dir, &config.process.cwd), &emitted.files, log.timings.0, log.warnings.0);
    report.css_pruned = pruned;
    report.images = (images.files > 0).then_some(images);
    report.cache = config.cache_dir.is_some().then(|| cache.stats());
    // The hash cascade kiln chose matters to builds that made chunks.
    if emitted.files.iter().any(|c| c.file.origin == crate::output::Origin::Asset(crate::graph::AssetKind::Chunk)) {
        report.notes.extend(config.hash_cascade_reason.clone());
    }
    Ok(report)
}

/// The remote cache `[cache] remote` names, with the keys the environment gives; without a
/// key (or with a malformed one) the build goes on without it, and says why.
#[cfg(feature = "publish")]
fn remote_cache(config: &Config, warnings: &mut Diagnostics) -> Option<Box<dyn crate::cache::RemoteStore>> {
    use crate::cache::sign::{Keys, PUBLIC_VAR, SECRET_VAR, SIGNING_VAR};
    let options = config.cache_remote.clone()?;
    let url = options.url.clone();
    let keys = match Keys::from_env(|name| config.process.var(name).map(str::to_owned)) {
        Ok(Some(keys)) => keys,
        Ok(None) => {
            warnings.push(Diagnostic::warning(format!(
                "remote cache {url}: no key in the environment ({SECRET_VAR}, {SIGNING_VAR} or {PUBLIC_VAR}); entries are only used when signed, so the remote cache is off"
            )));
            return None;
        }
        Err(e) => {
            warnings.push(Diagnostic::warning(format!("remote cache {url}: {e}; the remote cache is off")));
            return None;
        }
    };
    let remote = crate::cache::remote::Remote::new(options, keys)
        .map_err(|e| warnings.push(Diagnostic::warning(format!("cannot start the remote cache's I/O threads: {e}"))))
        .ok()?;
    Some(Box::new(remote))
}

/// Without the `publish` feature, kiln has no S3 client: a configured remote cache is off.
#[cfg(not(feature = "publish"))]
fn remote_cache(config: &Config, warnings: &mut Diagnostics) -> Option<Box<dyn crate::cache::RemoteStore>> {
    let options = config.cache_remote.as_ref()?;
    warnings
        .push(Diagnostic::warning(format!("remote cache {}: this kiln was built without the `publish` feature (S3), so the remote cache is off", options.url)));
    None
}

/// Times each stage (telling `progress`), and collects its warnings and step timings.
struct Log<'a> {
    progress: &'a dyn Progress,
    timings: Timings,
    warnings: Diagnostics,
}

impl Log<'_> {
    fn stage<O: StageOutput>(&mut self, name: &'static str, total: Option<usize>, run: impl FnOnce() -> Result<O, BuildError>) -> Result<O, BuildError> {
        self.progress.start(name, total.map(|n| n as u64));
        let clock = Clock::start();
        let mut out = run()?;
        let span = clock.stop();
        let log = std::mem::take(out.log());
        if !log.skipped {
            self.progress.finish(name, span.wall);
            self.timings.add(name, span);
        }
        self.timings.extend(log.steps);
        self.warnings.extend(log.warnings.0);
        Ok(out)
    }
}
