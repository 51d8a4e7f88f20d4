//! JS: module scripts and configured entries become bundles.
//!
//! The shape is esbuild's scan → link → generate, on swc's parser, transforms, minifier and
//! printer, one folder per phase; [`bundle`]'s `bundle_set` is the table of contents:
//! - [`scan`]: load every reachable module in parallel waves; each is read, parsed,
//!   transformed (TypeScript, JSX, `define`), analyzed and has its imports resolved in one
//!   task, never parsed twice (and kept in the build cache);
//! - [`link`]: bind imports to definitions, mark live modules and exports, order modules,
//!   plan the chunks;
//! - [`generate`]: minify modules in parallel, name each chunk's top-level symbols once, print
//!   modules in parallel with source positions, join them, check the result;
//! - [`replay`]: the whole stage's output from the last build, when nothing it read changed;
//! - [`assemble`]: join each chunk's CSS imports into one stylesheet, and link pages to what
//!   their scripts need at start.
//!
//! What the phases share sits below them in [`types`] and [`options`].
//!
//! The stage owns its chunks end to end: it adds them to the graph as assets, has the loader
//! read the files scripts import, and links pages and CSS, so the graph it hands on is whole.
//! A chunk's references to emitted files (`import logo from './logo.png'`) are placeholders,
//! replaced by the fingerprint stage like every other reference.

mod assemble;
mod bundle;
pub mod generate;
pub mod licenses;
pub mod link;
mod options;
pub mod replay;
pub mod scan;
pub mod types;

pub use options::BundleOptions;
pub use types::{Chunk, ChunkLinks, OnBundle};

use crate::config::HashCascade;
use crate::diagnostics::{BuildError, Diagnostic};
use crate::graph::{Asset, AssetKind, ChunkParts, Graph, Refs};
use crate::log::{stage_output, Clock, StageLog};
use crate::stages::scan::ScanOutput;

/// The JS stage: bundles what the scan found and hands on the whole graph.
pub struct JsStage<'a> {
    options: &'a BundleOptions,
    cache: &'a crate::cache::Cache,
    on_bundle: Option<OnBundle<'a>>,
}

pub struct JsOutput {
    pub graph: Graph,
    pub log: StageLog,
}

stage_output!(JsOutput);

impl<'a> JsStage<'a> {
    /// The stage; minified modules are kept in `cache` (see [`generate::minify_cache`]).
    pub fn new(options: &'a BundleOptions, cache: &'a crate::cache::Cache) -> Self {
        JsStage { options, cache, on_bundle: None }
    }

    /// `f` is shown each bundle's code as soon as it is made, before the stage's remaining
    /// steps (the pipeline starts compressing large bundles then: see
    /// [`crate::stages::compress::Early`]).
    pub fn on_bundle(self, f: OnBundle<'a>) -> Self {
        JsStage { on_bundle: Some(f), ..self }
    }

    pub fn run(self, scanned: ScanOutput) -> Result<JsOutput, BuildError> {
        let options = self.options;
        let ScanOutput { mut graph, js_entries, import_map, .. } = scanned;
        if options.hash_cascade == HashCascade::ImportMap && !js_entries.is_empty() && !graph.assets.iter().any(|a| a.kind == AssetKind::Html) {
            return Err(BuildError::one(
                Diagnostic::error("hash_cascade = \"importmap\" needs HTML pages to carry the import map, and this build has none")
                    .with_note("script-only builds (--entry) must use the default, hash_cascade = \"hashes\""),
            ));
        }
        let bundles = self.bundles(&js_entries, &import_map)?;
        let mut log = StageLog { warnings: bundles.warnings, steps: bundles.timings, skipped: false };
        let licenses = licenses::asset(options, &bundles.chunks);
        let links = add_chunks(&mut graph, bundles.chunks);
        graph.assets.extend(licenses);
        let more = crate::loader::load_more(&options.loader, self.cache, &mut graph, bundles.assets)?;
        log.warnings.extend(more.0);
        let assembled = assemble::run(options, &mut graph, &links);
        if assembled.has_errors() {
            return Err(assembled.into());
        }
        Ok(JsOutput { graph, log })
    }
}

impl JsStage<'_> {
    /// The chunks of the entries: replayed from the last build when nothing it read changed
    /// (see [`replay`]), else bundled (and kept for the next build).
    fn bundles(&self, js_entries: &[crate::graph::JsEntry], import_map: &[String]) -> Result<bundle::Bundles, BuildError> {
        let options = self.options;
        let replay = replay::Replay::new(self.cache, options, js_entries, import_map);
        let clock = Clock::start();
        let replayed = match replay.lookup(options, import_map) {
            Some(replayed) if !self.options.checks.check_cache => {
                self.show(&replayed);
                return Ok(replayed);
            }
            replayed => replayed,
        };
        let checked = clock.stop();
        let pack = self.cache.pack("js");
        let mut bundles = bundle::bundle(options, &pack, js_entries, import_map)?;
        self.show(&bundles);
        pack.close();
        bundles.timings.add("js.check", checked);
        if let Some(replayed) = replayed {
            replay::compare(&replayed, &bundles)?;
            bundles.timings.extend(replayed.timings);
        }
        let clock = Clock::start();
        replay.store(&bundles);
        bundles.timings.add("js.store", clock.stop());
        Ok(bundles)
    }
}

impl JsStage<'_> {
    fn show(&self, bundles: &bundle::Bundles) {
        if let Some(f) = self.on_bundle {
            for chunk in &bundles.chunks {
                f(chunk.code.as_bytes());
            }
        }
    }
}

/// Adds each chunk to the graph as an asset; returns what assembling needs of them.
fn add_chunks(graph: &mut Graph, chunks: Vec<Chunk>) -> Vec<ChunkLinks> {
    let mut links = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        if let Some(text) = chunk.legal {
            graph.assets.push(Asset {
                src: Chunk::legal_key(&chunk.links.key),
                kind: AssetKind::Raw,
                is_entry: false,
                content: text.into_bytes(),
                refs: Refs::default(),
                chunk: None,
                css_keep: Vec::new(),
                fixed_path: None,
            });
        }
        graph.assets.push(Asset {
            src: chunk.links.key.clone(),
            kind: AssetKind::Chunk,
            is_entry: chunk.is_entry,
            content: chunk.code.into_bytes(),
            refs: chunk.refs,
            chunk: Some(ChunkParts { map: chunk.map, modules: chunk.modules }),
            css_keep: Vec::new(),
            fixed_path: chunk.fixed_path,
        });
        links.push(chunk.links);
    }
    links
}
