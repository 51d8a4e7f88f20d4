//! Twins started early: a large bundle's segments are compressed from the moment the JS stage
//! has made it, while the rest of the build runs (keeping the JS stage's entry, fingerprinting:
//! naming files and writing out the source map, writing the files), on the cores those leave
//! idle.
//!
//! A file's final bytes are known only once the fingerprint stage has named what it refers
//! to, but a bundle's are mostly known when the JS stage hands it on: only its placeholders
//! (fixed-width stand-ins for other files' names) and a trailing source-map comment change.
//! Its [`segments`](super::segments) are content-defined, so those clear of placeholders are
//! the segments the final file will have. They are compressed as soon as the JS stage has
//! the bundle, through the build cache, and kept here by key, the key the compress stage computes
//! from the final bytes and the settings. Nothing is trusted: a guessed segment the final file
//! does not have is simply never asked for.
//!
//! Each key is made once. A segment already being made elsewhere is waited for; one not yet
//! begun is made by whoever gets to it first (so the compress stage never waits on work that
//! has not started).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::cache::Cache;
use crate::config::CompressOptions;
use crate::graph::PLACEHOLDER_PREFIX;

use super::once::MadeOnce;
use super::segments;

/// The segments of this build, and whether work not yet begun is still wanted.
#[derive(Default)]
pub struct Early {
    made: MadeOnce,
    /// Set once the compress stage is done (or the build failed): work not yet begun is dropped.
    stopped: AtomicBool,
}

impl Early {
    /// The segments made (or being made) in this build, by key.
    pub fn made(&self) -> &MadeOnce {
        &self.made
    }

    /// Starts, on `scope`, the twins' segments of a bundle's code (placeholders and all) if
    /// it is large enough to be cut, as far as they are clear of placeholders: Brotli's first
    /// (the slowest), then gzip's.
    pub fn start<'s>(&'s self, scope: &rayon::Scope<'s>, code: &[u8], options: &'s CompressOptions, cache: &'s Cache) {
        if code.len() < segments::SEGMENTED_FROM || !crate::encoding::wants_twins(options, "bundle.js", code.len() as u64) {
            return;
        }
        let bytes: Arc<[u8]> = Arc::from(code);
        let cuts = segments::cuts(&bytes);
        let clear = |r: &std::ops::Range<usize>| !contains(&bytes[r.clone()], PLACEHOLDER_PREFIX);
        let mut jobs = Vec::new();
        if options.brotli && options.brotli_quality >= segments::BROTLI_MIN_QUALITY {
            let settings = segments::BrotliSettings { quality: options.brotli_quality, window: options.brotli_window };
            jobs.extend(
                segments::brotli_jobs(&bytes, &cuts, settings).into_iter().filter(|job| clear(&(job.before.start..job.range.end))).map(segments::Job::Brotli),
            );
        }
        if options.gzip && !options.zopfli {
            jobs.extend(segments::gzip_jobs(&bytes, &cuts, options.gzip_level).into_iter().filter(|job| clear(&job.range)).map(segments::Job::Gzip));
        }
        for job in jobs {
            let bytes = bytes.clone();
            scope.spawn(move |_| {
                if !self.stopped.load(Ordering::Relaxed) {
                    job.run(&bytes, false, &self.made, cache);
                }
            });
        }
    }

    /// Drops the work not yet begun.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn each_key_is_made_once_and_a_panicked_maker_leaves_it_to_the_next() {
        let early = Early::default();
        let made = AtomicUsize::new(0);
        let key = [7u8; 32];
        rayon::scope(|s| {
            for _ in 0..8 {
                s.spawn(|_| {
                    let got = early.made().get_or(&key, true, || {
                        made.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        b"seg".to_vec()
                    });
                    assert_eq!(got.as_deref(), Some(&b"seg"[..]));
                });
            }
        });
        assert_eq!(made.load(Ordering::SeqCst), 1);

        let other = [8u8; 32];
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| early.made().get_or(&other, false, || panic!("maker failed"))));
        assert!(panicked.is_err());
        assert_eq!(early.made().get_or(&other, true, || b"again".to_vec()).as_deref(), Some(&b"again"[..]));
    }

    #[test]
    fn segments_begun_early_are_those_of_the_final_file_clear_of_placeholders() {
        let mut content = segments::tests::sample(4 << 20, 3);
        content.splice(3 << 20..3 << 20, *b"__kiln_u000000__");
        let options = CompressOptions {
            gzip: true,
            brotli: true,
            gzip_level: 6,
            zopfli: false,
            brotli_quality: 5,
            brotli_window: 22,
            min_size: 0,
            types: crate::config::default_compress_types(),
            source_maps: false,
        };
        let (early, cache) = (Early::default(), Cache::disabled());
        rayon::scope(|s| early.start(s, &content, &options, &cache));

        // The fingerprint stage names the file the placeholder stands for (a longer text).
        let mut fin = content.clone();
        fin.splice(3 << 20..(3 << 20) + 16, *b"assets/logo.0123abcd.svg");
        let cuts = segments::cuts(&fin);
        let settings = segments::BrotliSettings { quality: 5, window: 22 };
        let made =
            |keys: Vec<[u8; 32]>| keys.iter().filter(|k| matches!(early.made.slots.lock().unwrap().get(*k), Some(super::super::once::Slot::Made(_)))).count();
        let br: Vec<_> = segments::brotli_jobs(&fin, &cuts, settings).into_iter().map(|j| (j.key, j.before.start..j.range.end)).collect();
        let gz: Vec<_> = segments::gzip_jobs(&fin, &cuts, 6).into_iter().map(|j| (j.key, j.range)).collect();
        // Every final segment clear of the placeholder's bytes (and, for Brotli, whose prefix
        // is) was made early, and none that is not.
        let at = (3 << 20)..(3 << 20) + 24;
        let clear = |r: &std::ops::Range<usize>| r.end <= at.start || r.start >= at.end;
        let (br_clear, gz_clear): (Vec<_>, Vec<_>) =
            (br.iter().filter(|j| clear(&j.1)).map(|j| j.0).collect(), gz.iter().filter(|j| clear(&j.1)).map(|j| j.0).collect());
        assert!(br_clear.len() >= 2 && gz_clear.len() >= 3, "{} {}", br_clear.len(), gz_clear.len());
        assert_eq!(made(br_clear.clone()), br_clear.len());
        assert_eq!(made(gz_clear.clone()), gz_clear.len());
        assert_eq!(made(br.iter().chain(&gz).map(|j| j.0).collect()), br_clear.len() + gz_clear.len());
        assert_eq!(early.made.slots.lock().unwrap().len(), br_clear.len() + gz_clear.len(), "only segments clear of placeholders");

        // The twins made with them are those made without.
        let fresh = Early::default();
        assert_eq!(segments::brotli(&fin, &cuts, settings, early.made(), &cache), segments::brotli(&fin, &cuts, settings, fresh.made(), &cache));
        assert_eq!(segments::gzip(&fin, &cuts, 6, early.made(), &cache), segments::gzip(&fin, &cuts, 6, fresh.made(), &cache));
    }

    #[test]
    fn a_segment_being_made_is_left_to_its_maker_unless_waited_for() {
        let early = Early::default();
        let key = [9u8; 32];
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            s.spawn(|| {
                early.made().get_or(&key, false, || {
                    started_tx.send(()).unwrap();
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    b"first".to_vec()
                })
            });
            started_rx.recv().unwrap();
            assert_eq!(early.made().get_or(&key, false, || b"second".to_vec()), None);
            assert_eq!(early.made().get_or(&key, true, || b"second".to_vec()).as_deref(), Some(&b"first"[..]));
        });
    }
}
