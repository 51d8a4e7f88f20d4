//! Compress: gzip and Brotli twins of text-like outputs, in parallel, each kept only if smaller.
//!
//! Both encoders are deterministic (no timestamp or file name in the gzip header), so twins
//! are byte-identical across builds and machines. Files of a megabyte or more are compressed
//! in content-defined [`segments`], so an edit recompresses only the part that changed.

pub mod early;
mod once;
pub mod segments;

pub use early::Early;

use rayon::prelude::*;

use crate::cache::{self, Cache};
use crate::config::CompressOptions;
use crate::diagnostics::BuildError;
use crate::encoding::{brotli, gzip, wants_twins};
use crate::log::{stage_output, StageLog};
use crate::output::{Compressed, OutputFile};

fn run(options: &CompressOptions, files: Vec<OutputFile>, early: &Early, cache: &Cache, progress: &(dyn Fn() + Sync)) -> Vec<Compressed> {
    files
        .into_par_iter()
        .map(|file| {
            let c = compress_cached(options, file, early, cache);
            progress();
            c
        })
        .collect()
}

/// A file's twins through the build cache (an empty entry means "no smaller twin"); a file of
/// [`segments::SEGMENTED_FROM`] bytes or more is compressed in segments (zopfli's gzip aside),
/// taking those begun [`early`].
fn compress_cached(options: &CompressOptions, file: OutputFile, early: &Early, cache: &Cache) -> Compressed {
    if !wants_twins(options, &file.path, file.bytes.len() as u64) {
        return Compressed::uncompressed(file);
    }
    let bytes = &file.bytes;
    // Where a large file is cut, found once for both twins.
    let cuts = (bytes.len() >= segments::SEGMENTED_FROM).then(|| segments::cuts(bytes));
    // gzip and Brotli side by side (each large file's segments in parallel too).
    let (gzip, brotli) = rayon::join(
        || {
            options.gzip.then(|| {
                if let Some(cuts) = cuts.as_deref().filter(|_| !options.zopfli) {
                    return segments::gzip(bytes, cuts, options.gzip_level, early.made(), cache);
                }
                let key = cache::key("gzip", &[bytes, format!("{}|{}", options.gzip_level, options.zopfli).as_bytes()]);
                cache.get_or::<()>(&key, || Ok(gzip(bytes, options.gzip_level, options.zopfli))).unwrap_or_default()
            })
        },
        || {
            options.brotli.then(|| {
                // Qualities 0 and 1 cannot write streams that join (and are fast whole).
                if let Some(cuts) = cuts.as_deref().filter(|_| options.brotli_quality >= segments::BROTLI_MIN_QUALITY) {
                    return segments::brotli(
                        bytes,
                        cuts,
                        segments::BrotliSettings { quality: options.brotli_quality, window: options.brotli_window },
                        early.made(),
                        cache,
                    );
                }
                let key = cache::key("brotli-fitted", &[bytes, format!("{}|{}", options.brotli_quality, options.brotli_window).as_bytes()]);
                cache.get_or::<()>(&key, || Ok(brotli(bytes, options.brotli_quality, options.brotli_window))).unwrap_or_default()
            })
        },
    );
    let smaller = |z: Vec<u8>| (!z.is_empty() && z.len() < file.bytes.len()).then_some(z);
    let (gzip, brotli) = (gzip.and_then(smaller), brotli.and_then(smaller));
    Compressed { file, gzip, brotli, deltas: Vec::new(), returning: None }
}

/// The compress stage; `tick` is called once per file done (the progress bar).
pub struct CompressStage<'a> {
    options: &'a CompressOptions,
    early: &'a Early,
    cache: &'a Cache,
    tick: &'a (dyn Fn() + Sync),
}

pub struct CompressOutput {
    pub files: Vec<Compressed>,
    pub log: StageLog,
}

stage_output!(CompressOutput);

impl<'a> CompressStage<'a> {
    /// `early`: the segments begun while the stages before ran ([`Early::start`]).
    pub fn new(options: &'a CompressOptions, early: &'a Early, cache: &'a Cache, tick: &'a (dyn Fn() + Sync)) -> Self {
        CompressStage { options, early, cache, tick }
    }

    pub fn run(self, files: Vec<OutputFile>) -> Result<CompressOutput, BuildError> {
        let files = run(self.options, files, self.early, self.cache, self.tick);
        self.early.stop();
        Ok(CompressOutput { files, log: StageLog::default() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_file_gets_twins_at_every_brotli_quality() {
        let data: Vec<u8> = (0..200_000u32).flat_map(|i| format!("const v{} = {};\n", i % 5000, i % 77).into_bytes()).collect();
        assert!(data.len() > segments::SEGMENTED_FROM);
        let file = |bytes: &[u8]| OutputFile::new("big.js".into(), None, crate::output::Origin::Public, false, bytes.to_vec());
        for quality in [0, 1, 2, 5] {
            let options = CompressOptions {
                gzip: true,
                brotli: true,
                gzip_level: 1,
                zopfli: false,
                brotli_quality: quality,
                brotli_window: 22,
                min_size: 0,
                types: crate::config::default_compress_types(),
                source_maps: false,
            };
            let c = compress_cached(&options, file(&data), &Early::default(), &Cache::disabled());
            let back = segments::tests::unbrotli(&c.brotli.expect("a smaller Brotli twin"));
            assert!(back == data, "quality {quality}");
        }
    }
}
