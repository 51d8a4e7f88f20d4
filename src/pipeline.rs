//! The whole build, as a list of stages. Each stage hands a typed output to the next; the
//! build stops between stages when one reported errors, and nothing is written to `out_dir`
//! before the last stage, so a failed build changes nothing.

use std::time::{Duration, Instant};

use crate::config::Config;
use crate::diagnostics::{BuildError, Diagnostic};
use crate::report::Report;
use crate::stages::compress;
use crate::stages::fingerprint;
use crate::output::{self, Compressed, OutputFile, Origin};
use crate::graph::{Asset, AssetKind};
use crate::stages::{assemble, css, emit, html, images, js, scan};

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
/// within it are in [`crate::stages::js::limits`] and [`crate::stages::css`].
pub const STACK_SIZE: usize = 1 << 30;

/// Runs a build on a thread pool of `config.jobs` threads (every core by default).
pub fn build(config: &Config, progress: &dyn Progress) -> Result<Report, BuildError> {
    let mut pool = rayon::ThreadPoolBuilder::new().stack_size(STACK_SIZE);
    if let Some(jobs) = config.jobs {
        pool = pool.num_threads(jobs);
    }
    let pool = pool
        .build()
        .map_err(|e| BuildError::one(Diagnostic::error(format!("cannot start worker threads: {e}"))))?;
    pool.install(|| run(config, progress))
}

fn run(config: &Config, progress: &dyn Progress) -> Result<Report, BuildError> {
    let mut timings: Vec<(&'static str, Duration)> = Vec::new();
    let stage = |name: &'static str, total: Option<u64>| {
        progress.start(name, total);
        let started = Instant::now();
        move |timings: &mut Vec<(&'static str, Duration)>| {
            let elapsed = started.elapsed();
            progress.finish(name, elapsed);
            timings.push((name, elapsed));
        }
    };

    let done = stage("scan", None);
    let mut scanned = scan::run(config)?;
    done(&mut timings);

    if config.hash_cascade == crate::config::HashCascade::ImportMap
        && !scanned.js_entries.is_empty()
        && !scanned.graph.assets.iter().any(|a| a.kind == AssetKind::Html)
    {
        return Err(BuildError::one(
            Diagnostic::error("hash_cascade = \"importmap\" needs HTML pages to carry the import map, and this build has none")
                .with_note("script-only builds (--entry) must use the default, hash_cascade = \"hashes\""),
        ));
    }
    let done = stage("js", Some(scanned.js_entries.len() as u64));
    let bundles = js::bundle(config, &scanned.js_entries, &scanned.import_map)?;
    let js_steps = bundles.timings;
    scanned.warnings.extend(bundles.warnings.0);
    let mut links: Vec<assemble::ChunkLinks> = Vec::with_capacity(bundles.chunks.len());
    for chunk in bundles.chunks {
        scanned.graph.assets.push(Asset {
            src: chunk.links.key.clone(),
            kind: AssetKind::Chunk,
            is_entry: chunk.is_entry,
            content: chunk.code.into_bytes(),
            refs: chunk.refs,
            map: chunk.map,
            modules: chunk.modules,
            css_keep: Vec::new(),
            fixed_path: chunk.fixed_path,
        });
        links.push(chunk.links);
    }
    let more = scan::load_more(config, &mut scanned.graph, bundles.assets)?;
    scanned.warnings.extend(more.0);
    let assembled = assemble::run(config, &mut scanned.graph, &links);
    if assembled.has_errors() {
        return Err(assembled.into());
    }
    done(&mut timings);
    timings.extend(js_steps);

    let pruned = if config.css.prune {
        let done = stage("prune", None);
        let pruned = css::prune::run(config, &mut scanned.graph);
        done(&mut timings);
        pruned
    } else {
        Vec::new()
    };

    let cache = crate::cache::Cache::new(config.cache_dir.clone(), config.cache_max_size);
    let done = stage("images", None);
    let (image_stats, image_warnings) = images::run(config, &mut scanned.graph, &cache)?;
    scanned.warnings.0.extend(image_warnings);
    done(&mut timings);

    let done = stage("fingerprint", Some(scanned.graph.assets.len() as u64));
    let mut outputs: Vec<OutputFile> = fingerprint::run(config, scanned.graph)?;
    done(&mut timings);

    let done = stage("html", None);
    html::minify_pages(config, &mut outputs);
    done(&mut timings);

    let done = stage("compress", Some(outputs.len() as u64));
    let mut files: Vec<Compressed> = compress::run(&config.compress, outputs, &cache, &|| progress.tick());
    done(&mut timings);

    let done = stage("emit", None);
    if let Some(name) = &config.manifest {
        files.push(manifest_file(name, &files)?);
    }
    emit::run(config, &files)?;
    cache.evict();
    done(&mut timings);

    let cwd = std::env::current_dir().unwrap_or_default();
    let shown = config.out_dir.strip_prefix(&cwd).unwrap_or(&config.out_dir).display().to_string();
    let mut report = Report::new(shown, &files, timings, scanned.warnings.0);
    report.css_pruned = pruned;
    report.images = (image_stats.files > 0).then_some(image_stats);
    report.cache = config.cache_dir.is_some().then(|| cache.stats());
    Ok(report)
}

fn manifest_file(name: &str, files: &[Compressed]) -> Result<Compressed, BuildError> {
    if files.iter().any(|c| c.file.path == *name) {
        return Err(BuildError::one(
            Diagnostic::error(format!("the build manifest would overwrite the output file {name}"))
                .with_note("rename that file, or set `manifest` in kiln.toml to another name (or false)"),
        ));
    }
    let bytes = emit::manifest::build(files);
    let file = OutputFile {
        path: name.to_owned(),
        src: None,
        origin: Origin::Manifest,
        hashed: false,
        is_entry: false,
        hash: blake3::hash(&bytes).to_hex().to_string(),
        integrity: output::integrity(&bytes),
        bytes,
        imports: Vec::new(),
        dynamic_imports: Vec::new(),
        modules: Vec::new(),
    };
    // No twins: the manifest is read by back ends and deploy tools, not browsers, and Brotli 11
    // over a large one would take longer than the rest of the build.
    Ok(Compressed::uncompressed(file))
}
