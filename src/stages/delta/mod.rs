//! Delta: each hashed script, stylesheet and WebAssembly file compressed against the earlier
//! versions of it that a returning visitor may hold as dictionaries (RFC 9842, see
//! [`crate::delta`]), in `dcb` and `dcz`.
//!
//! An earlier version is one with the same dictionary pattern (the file's output name with its
//! hash as `*`, so `main.NEW.js` is matched by what `main.OLD.js` registered): the previous
//! output's, then those earlier builds recorded in the build cache ([`history`]), newest first,
//! at most `delta.versions`. A delta is kept only when it is clearly smaller than the file's
//! Brotli twin (at most `max_ratio` of it). Deltas are pure functions of the two files, so
//! they are the same whatever the thread count, and cached by both files' hashes.

pub mod history;
pub mod returning;

use rayon::prelude::*;

use crate::cache::{self, Cache};
use crate::config::{Config, DeltaEncoding, DeltaOptions};
use crate::diagnostics::BuildError;
use crate::log::{stage_output, StageLog};
use crate::output::{Compressed, Delta};
use history::Version;

/// What the stage needs: the options, and where the previous output and its record are.
#[derive(Debug, Clone)]
pub struct DeltaStageOptions {
    pub delta: DeltaOptions,
    pub out_dir: std::path::PathBuf,
    pub manifest: Option<String>,
    pub record: [u8; 32],
}

impl DeltaStageOptions {
    pub fn new(config: &Config) -> Self {
        DeltaStageOptions {
            delta: config.delta.clone(),
            out_dir: config.out_dir.clone(),
            manifest: config.manifest.clone(),
            record: history::record_key(&config.root, &config.out_dir),
        }
    }
}

pub struct DeltaStage<'a> {
    options: &'a DeltaStageOptions,
    cache: &'a Cache,
}

pub struct DeltaOutput {
    pub files: Vec<Compressed>,
    pub log: StageLog,
}

stage_output!(DeltaOutput);

impl<'a> DeltaStage<'a> {
    pub fn new(options: &'a DeltaStageOptions, cache: &'a Cache) -> Self {
        DeltaStage { options, cache }
    }

    pub fn run(self, mut files: Vec<Compressed>) -> Result<DeltaOutput, BuildError> {
        let options = &self.options.delta;
        let previous = history::previous(&self.options.out_dir, self.options.manifest.as_deref());
        if !options.enabled {
            if let Some(previous) = &previous {
                returning::measure(&mut files, &previous.files);
            }
            return Ok(DeltaOutput { files, log: StageLog { skipped: true, ..StageLog::default() } });
        }
        let earlier = history::load(previous.as_ref(), self.cache, &self.options.record);
        let pairs = pairs(&files, &earlier, options.versions);
        let made: Vec<(usize, Vec<Delta>)> = pairs.par_iter().map(|&(i, v)| (i, deltas(&files[i], &earlier[v], options, self.cache))).collect();
        for (i, deltas) in made {
            files[i].deltas.extend(deltas);
        }
        for c in &mut files {
            c.deltas.sort_by_key(|d| (d.dictionary, d.encoding));
        }
        history::save(&files, &earlier, options.versions + 1, self.cache, &self.options.record);
        if let Some(previous) = &previous {
            returning::measure(&mut files, &previous.files);
        }
        Ok(DeltaOutput { files, log: StageLog::default() })
    }
}

/// Each file offered as a dictionary, with each earlier version of it (indexes into `files`
/// and `earlier`): at most `versions` of them, newest first, none identical to the file.
fn pairs(files: &[Compressed], earlier: &[Version], versions: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, c) in files.iter().enumerate() {
        let Some(offer) = &c.file.dictionary else { continue };
        let mut seen: Vec<&str> = Vec::new();
        for (v, version) in earlier.iter().enumerate() {
            if version.pattern != offer.pattern || version.dest.as_deref() != offer.dest || version.hash == c.file.hash || seen.contains(&version.hash.as_str())
            {
                continue;
            }
            if seen.len() == versions {
                break;
            }
            seen.push(&version.hash);
            out.push((i, v));
        }
    }
    out
}

/// The deltas of `c` against `version` that are clearly smaller than its Brotli twin, each
/// through the build cache (an empty entry: it was not worth keeping); the encodings side by
/// side.
fn deltas(c: &Compressed, version: &Version, options: &DeltaOptions, cache: &Cache) -> Vec<Delta> {
    let twin = c.brotli.as_ref().map_or(c.file.bytes.len(), Vec::len);
    let limit = (twin as f64 * options.max_ratio) as usize;
    let effort = crate::delta::Effort::for_size(c.file.bytes.len());
    let key = |encoding: DeltaEncoding| {
        cache::key("delta", &[encoding.token().as_bytes(), effort.name().as_bytes(), version.hash.as_bytes(), c.file.hash.as_bytes()])
    };
    let mut bodies: Vec<(DeltaEncoding, Option<Vec<u8>>)> = options.encodings.iter().map(|&e| (e, cache.get(&key(e)))).collect();
    if bodies.iter().any(|(_, b)| b.is_none()) {
        let Some(dictionary) = version.bytes(cache) else { return Vec::new() };
        bodies.par_iter_mut().filter(|(_, b)| b.is_none()).for_each(|(encoding, body)| {
            let made = make(*encoding, effort, &dictionary, &c.file.bytes);
            let made = if made.len() <= limit { made } else { Vec::new() };
            cache.put(&key(*encoding), &made);
            *body = Some(made);
        });
    }
    bodies
        .into_iter()
        .filter_map(|(encoding, body)| {
            let bytes = body.filter(|b| !b.is_empty() && b.len() <= limit)?;
            let dictionary = crate::delta::dictionary_of(&bytes)?;
            Some(Delta { encoding, dictionary, from: version.path.clone(), bytes })
        })
        .collect()
}

fn make(encoding: DeltaEncoding, effort: crate::delta::Effort, dictionary: &[u8], data: &[u8]) -> Vec<u8> {
    match encoding {
        DeltaEncoding::Dcb => crate::delta::dcb(dictionary, data, effort),
        // Zstandard fails only on allocation: no delta then.
        DeltaEncoding::Dcz => crate::delta::dcz(dictionary, data, effort).unwrap_or_default(),
    }
}
