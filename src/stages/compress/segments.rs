//! Twins of large files, compressed in content-defined segments.
//!
//! A file of [`SEGMENTED_FROM`] bytes or more is cut where a rolling hash of its bytes says
//! (FastCDC), so the cuts depend on the content near them, not on offsets: an edit moves or
//! changes only the segments around it. Each segment is compressed on its own (in parallel,
//! each through the build cache), and the pieces are joined into one ordinary gzip or Brotli
//! stream that any decoder reads:
//! - gzip: each segment is raw deflate ending in a full flush (byte-aligned, no reference to
//!   what came before); the joined stream gets one header, an empty final block, and the
//!   CRC-32 and length of the whole file;
//! - Brotli: the first segment is an "appendable" stream, the others "catable" ones (no
//!   static dictionary), each allowed to refer to the [`PREFIX`] bytes before it, joined by
//!   the brotli crate's concatenator (the way its own multi-threaded encoder works).
//!
//! A cold build and a rebuild after an edit cut and compress the same way, so their twins are
//! byte-identical; a rebuild recompresses only the segments whose bytes, or whose prefix,
//! changed. The price: gzip segments start with an empty history, and Brotli finds nothing
//! more than a megabyte back (measured in the README).

use std::ops::Range;

use rayon::prelude::*;

use crate::cache::{self, Cache};

use super::once::MadeOnce;

/// Files this large or larger are compressed in segments.
pub const SEGMENTED_FROM: usize = 1 << 20;
// Segments of half a megabyte on average. Brotli 11 hashes a segment's whole prefix before it
// starts (0.14 s a MiB), so more segments cost more in all; fewer make a rebuild wait on one
// big segment on one core. On three.js ×10's bundle (7.7 MB), against 1 MiB on average:
// Brotli 7.1 core-seconds instead of 6.3, the cold build 5% slower and the twin 0.5% larger,
// but a one-line rebuild 20% faster (1.3 s instead of 1.6 s), because the edit's segment and
// the next one, whose prefix reaches the edit, are 0.76 MB each and made side by side on two
// cores instead of one segment of 1.5 MB on one (measured in the README).
const MIN_SEGMENT: u32 = 256 << 10;
const AVG_SEGMENT: u32 = 512 << 10;
const MAX_SEGMENT: u32 = 1 << 20;

/// How far back a Brotli segment may refer: far enough to find what repeats within a
/// module or between neighbours, near enough that an edit redoes only a few segments.
pub const PREFIX: usize = 1 << 20;
/// Segments shorter than this refer to nothing before them.
const SHORT_SEGMENT: usize = 4096;

/// The lowest Brotli quality whose streams can be joined (qualities 0 and 1 use a one-pass
/// encoder that writes no catable stream).
pub const BROTLI_MIN_QUALITY: u32 = 2;

/// Where `data` is cut: content-defined, in order, covering all of it. A trailing
/// source-map comment gets a segment of its own: it names the map by its hash, so it
/// changes with any edit, and would otherwise make the last full segment change too.
pub fn cuts(data: &[u8]) -> Vec<Range<usize>> {
    let body = map_comment_start(data).unwrap_or(data.len());
    let mut cuts: Vec<Range<usize>> =
        fastcdc::v2020::FastCDC::new(&data[..body], MIN_SEGMENT, AVG_SEGMENT, MAX_SEGMENT).map(|c| c.offset..c.offset + c.length).collect();
    if body < data.len() {
        cuts.push(body..data.len());
    }
    cuts
}

/// Where the last line starts, if it is a source-map comment (`//# sourceMappingURL=` in
/// JS, `/*# sourceMappingURL=` in CSS) of a file long enough to be cut before it.
fn map_comment_start(data: &[u8]) -> Option<usize> {
    let trimmed = data.strip_suffix(b"\n").unwrap_or(data);
    let start = trimmed.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line = &trimmed[start..];
    let is_comment = line.starts_with(b"//# sourceMappingURL=") || line.starts_with(b"/*# sourceMappingURL=");
    (is_comment && line.len() < 4096 && start >= MIN_SEGMENT as usize).then_some(start)
}

/// A gzip segment to make: where it is in the file, and its cache key.
pub struct GzipJob {
    pub range: Range<usize>,
    pub key: [u8; 32],
    level: u32,
}

/// The gzip segments of `data` cut at `cuts`.
pub fn gzip_jobs(data: &[u8], cuts: &[Range<usize>], level: u32) -> Vec<GzipJob> {
    let settings = level.to_string();
    cuts.iter().map(|r| GzipJob { range: r.clone(), key: cache::key("gzip-segment", &[&data[r.clone()], settings.as_bytes()]), level }).collect()
}

/// The gzip twin of `data`, cut at `cuts`.
pub fn gzip(data: &[u8], cuts: &[Range<usize>], level: u32, early: &MadeOnce, cache: &Cache) -> Vec<u8> {
    let jobs = gzip_jobs(data, cuts, level).into_iter().map(Job::Gzip).collect();
    let pieces = make_all(data, jobs, early, cache);
    // XFL: 2 for the slowest level, 4 for the fastest, as gzip writes it.
    let xfl = match level {
        9 => 2,
        1 => 4,
        _ => 0,
    };
    let mut out = Vec::with_capacity(pieces.iter().map(Vec::len).sum::<usize>() + 20);
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255]);
    for p in &pieces {
        out.extend_from_slice(p);
    }
    // An empty final block with fixed codes: BFINAL=1, BTYPE=01, end-of-block.
    out.extend_from_slice(&[0x03, 0x00]);
    let mut crc = flate2::Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// Raw deflate of `data` ending in a full flush: byte-aligned, not final, and referring to
/// nothing before it, so such pieces can follow each other.
fn deflate_flushed(data: &[u8], level: u32) -> Vec<u8> {
    let mut z = flate2::Compress::new(flate2::Compression::new(level), false);
    let mut out = Vec::with_capacity(data.len() / 3 + 1024);
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity().max(64 << 10));
        }
        let read = z.total_in() as usize;
        z.compress_vec(&data[read..], &mut out, flate2::FlushCompress::Full).expect("deflating into a Vec cannot fail");
        if z.total_in() as usize == data.len() && out.len() < out.capacity() {
            return out;
        }
    }
}

#[derive(Clone, Copy)]
pub struct BrotliSettings {
    pub quality: u32,
    pub window: u32,
}

impl BrotliSettings {
    /// These settings for segments: `window` no wider than [`SEGMENT_WINDOW`].
    fn for_segments(self) -> BrotliSettings {
        BrotliSettings { window: self.window.min(SEGMENT_WINDOW), ..self }
    }
}

/// The window segments are compressed with: the narrowest that reaches from a segment's end
/// back over the longest segment and its prefix (a stream's window covers all but its last
/// 16 bytes). A wider one only costs the encoder's match finder memory (two entries per byte
/// of window, cleared for each segment) and every decoder a larger buffer.
pub const SEGMENT_WINDOW: u32 = 22;
const _: () = assert!(PREFIX + MAX_SEGMENT as usize <= (1 << SEGMENT_WINDOW) - 16);

/// A Brotli segment to make: where it is in the file, the bytes before it that it may refer
/// to (given to the encoder as a custom dictionary: in the joined stream they are exactly what
/// the decoder has just written), and its cache key, which holds both.
pub struct BrotliJob {
    pub range: Range<usize>,
    pub before: Range<usize>,
    pub key: [u8; 32],
    settings: BrotliSettings,
}

/// The Brotli segments of `data` cut at `cuts`.
pub fn brotli_jobs(data: &[u8], cuts: &[Range<usize>], settings: BrotliSettings) -> Vec<BrotliJob> {
    let settings = settings.for_segments();
    let text = format!("{}|{}", settings.quality, settings.window);
    cuts.iter()
        .map(|r| {
            // A short segment (the map comment) would spend longer hashing a prefix than
            // the prefix could save.
            let reach = if r.len() < SHORT_SEGMENT { 0 } else { PREFIX };
            let before = r.start.saturating_sub(reach)..r.start;
            let kind = if r.start == 0 { "brotli-segment-first" } else { "brotli-segment" };
            let key = cache::key(kind, &[&data[before.clone()], &data[r.clone()], text.as_bytes()]);
            BrotliJob { range: r.clone(), before, key, settings }
        })
        .collect()
}

/// The Brotli twin of `data`, cut at `cuts`.
pub fn brotli(data: &[u8], cuts: &[Range<usize>], settings: BrotliSettings, early: &MadeOnce, cache: &Cache) -> Vec<u8> {
    let jobs = brotli_jobs(data, cuts, settings).into_iter().map(Job::Brotli).collect();
    join_brotli(&make_all(data, jobs, early, cache), settings.for_segments().window)
}

/// A segment to make, of either twin.
pub enum Job {
    Brotli(BrotliJob),
    Gzip(GzipJob),
}

impl Job {
    /// The segment, from this build's early work, the build cache, or made here; `None` when
    /// `wait` is false and another thread is making it.
    pub fn run(&self, data: &[u8], wait: bool, early: &MadeOnce, cache: &Cache) -> Option<Vec<u8>> {
        let key = match self {
            Job::Brotli(j) => &j.key,
            Job::Gzip(j) => &j.key,
        };
        early.get_or(key, wait, || cache.get_or::<()>(key, || Ok(self.make(data))).unwrap_or_default())
    }

    /// The segment compressed (`data` is the whole file).
    fn make(&self, data: &[u8]) -> Vec<u8> {
        match self {
            Job::Brotli(j) => brotli_piece(j.range.start == 0, &data[j.before.clone()], &data[j.range.clone()], j.settings.quality, j.settings.window),
            Job::Gzip(j) => deflate_flushed(&data[j.range.clone()], j.level),
        }
    }
}

/// Every segment of `jobs`, in order: those nobody is making yet on every core, then those
/// another thread was making, once made.
fn make_all(data: &[u8], jobs: Vec<Job>, early: &MadeOnce, cache: &Cache) -> Vec<Vec<u8>> {
    let first: Vec<Option<Vec<u8>>> = jobs.par_iter().map(|j| j.run(data, false, early, cache)).collect();
    first.into_iter().zip(&jobs).map(|(made, j)| made.or_else(|| j.run(data, true, early, cache)).expect("a segment waited for is made")).collect()
}

/// One segment as a Brotli stream that may refer to `before`, the bytes just before it: the
/// first (nothing before) can have others appended, the rest can be appended.
fn brotli_piece(first: bool, before: &[u8], data: &[u8], quality: u32, window: u32) -> Vec<u8> {
    use brotli::enc::encode::{BrotliEncoderOperation, BrotliEncoderStateStruct};
    let mut state = BrotliEncoderStateStruct::new(brotli::enc::StandardAlloc::default());
    state.params = brotli::enc::BrotliEncoderParams {
        quality: quality as i32,
        lgwin: window as i32,
        size_hint: data.len(),
        appendable: true,
        catable: !first,
        // The concatenator finds where the first stream's header ends by this metadata
        // block, which decoders skip.
        magic_number: first,
        ..Default::default()
    };
    if !before.is_empty() {
        state.set_custom_dictionary_with_optional_precomputed_hasher(before.len(), before, brotli::enc::UnionHasher::Uninit, true);
    }
    let mut out = vec![0u8; data.len() + data.len() / 8 + 1024];
    let (mut in_left, mut in_at, mut out_left, mut out_at) = (data.len(), 0usize, out.len(), 0usize);
    loop {
        let ok = state.compress_stream(
            BrotliEncoderOperation::BROTLI_OPERATION_FINISH,
            &mut in_left,
            data,
            &mut in_at,
            &mut out_left,
            &mut out,
            &mut out_at,
            &mut None,
            &mut |_, _, _, _| (),
        );
        assert!(ok, "Brotli refused its input (a kiln bug)");
        if state.is_finished() {
            break;
        }
        if out_left == 0 {
            out_left += out.len();
            out.resize(out.len() * 2, 0);
        }
    }
    out.truncate(out_at);
    out
}

fn join_brotli(pieces: &[Vec<u8>], window: u32) -> Vec<u8> {
    use brotli::concat::{BroCatli, BroCatliResult};
    let mut cat = BroCatli::new_with_window_size(window as u8);
    let mut out = vec![0u8; pieces.iter().map(Vec::len).sum::<usize>() + 64];
    let mut written = 0;
    for p in pieces {
        cat.new_brotli_file();
        let mut read = 0;
        loop {
            match cat.stream(p, &mut read, &mut out, &mut written) {
                BroCatliResult::NeedsMoreInput => break,
                BroCatliResult::NeedsMoreOutput => out.resize(out.len() * 2, 0),
                other => panic!("joining Brotli segments: {other:?} (a kiln bug)"),
            }
        }
    }
    loop {
        match cat.finish(&mut out, &mut written) {
            BroCatliResult::Success => break,
            BroCatliResult::NeedsMoreOutput => out.resize(out.len() * 2, 0),
            other => panic!("joining Brotli segments: {other:?} (a kiln bug)"),
        }
    }
    out.truncate(written);
    out
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::io::Read;

    /// Text that compresses like code: repeated words with varying numbers.
    pub(in crate::stages::compress) fn sample(len: usize, seed: u64) -> Vec<u8> {
        let words = ["function", "return", "const", "this.value", "=>", "{", "}", "matrix", "vector", "length", ";\n"];
        let mut x = seed;
        let mut out = Vec::with_capacity(len + 16);
        while out.len() < len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.extend_from_slice(words[(x % words.len() as u64) as usize].as_bytes());
            out.extend_from_slice(format!(" {} ", x % 1000).as_bytes());
        }
        out.truncate(len);
        out
    }

    fn br(data: &[u8], cuts: &[Range<usize>], quality: u32, window: u32, cache: &Cache) -> Vec<u8> {
        brotli(data, cuts, BrotliSettings { quality, window }, &MadeOnce::default(), cache)
    }

    fn gz(data: &[u8], cuts: &[Range<usize>], level: u32, cache: &Cache) -> Vec<u8> {
        gzip(data, cuts, level, &MadeOnce::default(), cache)
    }

    fn gunzip(z: &[u8]) -> Vec<u8> {
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(z).read_to_end(&mut back).unwrap();
        back
    }

    pub(in crate::stages::compress) fn unbrotli(z: &[u8]) -> Vec<u8> {
        let mut back = Vec::new();
        brotli::Decompressor::new(z, 4096).read_to_end(&mut back).unwrap();
        back
    }

    #[test]
    fn segmented_twins_decode_to_the_file() {
        let data = sample(6 << 20, 7);
        assert!(cuts(&data).len() > 3);
        let cache = Cache::disabled();
        let c = cuts(&data);
        assert_eq!(gunzip(&gz(&data, &c, 9, &cache)), data);
        assert_eq!(unbrotli(&br(&data, &c, 5, 24, &cache)), data);
        // The trailer is the whole file's CRC and length, which a strict decoder checks.
        let z = gz(&data, &c, 6, &cache);
        assert_eq!(&z[z.len() - 4..], &(data.len() as u32).to_le_bytes());
    }

    #[test]
    fn a_trailing_map_comment_is_a_segment_of_its_own() {
        let mut data = sample(3 << 20, 5);
        data.extend_from_slice(b"\n//# sourceMappingURL=entry.abcd1234.js.map\n");
        let mut renamed = data.clone();
        renamed.truncate(data.len() - 21);
        renamed.extend_from_slice(b"efgh5678.js.map\n");
        let (a, b) = (cuts(&data), cuts(&renamed));
        assert_eq!(a.len(), b.len());
        assert_eq!(&data[a.last().unwrap().clone()], b"//# sourceMappingURL=entry.abcd1234.js.map\n");
        // Every segment but the comment's is the same.
        assert_eq!(a[..a.len() - 1], b[..b.len() - 1]);
        let cache = Cache::disabled();
        assert_eq!(unbrotli(&br(&data, &a, 5, 24, &cache)), data);
        assert_eq!(gunzip(&gz(&renamed, &b, 6, &cache)), renamed);
    }

    #[test]
    fn an_edit_changes_only_the_segments_around_it() {
        let data = sample(10 << 20, 11);
        let mut edited = data.clone();
        edited.splice(5_000_000..5_000_010, b"an edit of a few more bytes".iter().copied());
        let (a, b) = (cuts(&data), cuts(&edited));
        let pieces = |d: &[u8], c: &[Range<usize>]| c.iter().map(|r| blake3::hash(&d[r.clone()])).collect::<std::collections::HashSet<_>>();
        let (pa, pb) = (pieces(&data, &a), pieces(&edited, &b));
        let changed = pb.difference(&pa).count();
        assert!(changed <= 2, "{changed} of {} segments changed", b.len());

        // A rebuild through a cache holding the first build's segments compresses only those,
        // and gives the bytes a cold build of the edited file gives.
        let dir = tempfile::tempdir().unwrap();
        let warm = Cache::new(Some(dir.path().to_path_buf()), u64::MAX);
        br(&data, &a, 5, 24, &warm);
        let before = warm.stats().misses;
        let rebuilt = br(&edited, &b, 5, 24, &warm);
        // Redone: the segments holding the edit, and those whose prefix reaches it.
        let reach = b.iter().filter(|r| r.end > 5_000_000 && r.start.saturating_sub(PREFIX) < 5_000_027).count();
        let redone = warm.stats().misses - before;
        assert!(redone as usize <= reach && reach < b.len() / 2, "{redone} redone, {reach} in reach, of {}", b.len());
        assert_eq!(rebuilt, br(&edited, &b, 5, 24, &Cache::disabled()));
        assert_eq!(unbrotli(&rebuilt), edited);
    }
}
