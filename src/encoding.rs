//! gzip and Brotli encodings of output files: deterministic (no timestamp or file name in the
//! gzip header), so twins are byte-identical across builds and machines. Used by the compress
//! stage and by publish, which makes twins a build kept none of.

use std::io::Write;

use crate::config::CompressOptions;
use crate::mime;

/// Whether `path` of `len` bytes gets twins under these options.
pub fn wants_twins(options: &CompressOptions, path: &str, len: u64) -> bool {
    (options.gzip || options.brotli) && len >= options.min_size && twin_type(options, path)
}

/// Whether files like `path` get twins whatever their size: their type is in
/// `compress.types`, and a source map only with `compress.source_maps`.
pub fn twin_type(options: &CompressOptions, path: &str) -> bool {
    (options.source_maps || !path.ends_with(".map")) && mime::matches_any(mime::essence(path), &options.types)
}

/// gzip with mtime 0, no file name, OS "unknown": the same bytes on every machine.
pub fn gzip(data: &[u8], level: u32, zopfli: bool) -> Vec<u8> {
    if zopfli {
        let mut out = Vec::new();
        zopfli::compress(zopfli::Options::default(), zopfli::Format::Gzip, data, &mut out).expect("writing to a Vec cannot fail");
        return out;
    }
    let mut enc = flate2::GzBuilder::new().mtime(0).operating_system(255).write(Vec::with_capacity(data.len() / 3 + 64), flate2::Compression::new(level));
    enc.write_all(data).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

/// Brotli at `quality` with a `window` (lgwin) of at most 24, the largest every browser
/// decodes, and no wider than `data` needs (see [`fitted_window`]).
pub fn brotli(data: &[u8], quality: u32, window: u32) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: quality as i32,
        lgwin: fitted_window(data.len(), window) as i32,
        size_hint: data.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(data.len() / 4 + 64);
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect("writing to a Vec cannot fail");
    out
}

/// The narrowest window, from 16 to `window`, that reaches back over `len` bytes (a window of
/// 2^lgwin reaches 2^lgwin − 16 back). A wider one finds nothing more in a file that size but
/// costs memory: at qualities 10 and 11 the match finder keeps two entries per byte of window
/// (128 MiB at 24), zeroed when allocated, whatever the file's size. Never below 16, the
/// window whose header takes one bit (10 to 15 take seven), so small files lose no byte.
pub fn fitted_window(len: usize, window: u32) -> u32 {
    let needed = (len + 16).next_power_of_two().trailing_zeros();
    needed.max(16).min(window)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_brotli_window_fits_the_file() {
        assert_eq!(fitted_window(0, 24), 16);
        assert_eq!(fitted_window(65_520, 24), 16);
        assert_eq!(fitted_window(65_521, 24), 17);
        assert_eq!(fitted_window(200_000, 24), 18);
        assert_eq!(fitted_window(1000, 12), 12);
        assert_eq!(fitted_window(5_000_000, 24), 23);
        assert_eq!(fitted_window(20_000_000, 24), 24);
        assert_eq!(fitted_window(5_000_000, 20), 20);
    }

    #[test]
    fn twins_round_trip_and_are_deterministic() {
        let data: Vec<u8> = (0..20_000u32).flat_map(|i| format!("line {} of text\n", i % 97).into_bytes()).collect();
        let gz = gzip(&data, 9, false);
        assert_eq!(gz, gzip(&data, 9, false));
        assert_eq!(&gz[4..8], &[0, 0, 0, 0], "mtime must be zero");
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        let zz = gzip(&data, 9, true);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&zz[..]).read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        let br = brotli(&data, 11, 24);
        let mut back = Vec::new();
        brotli::Decompressor::new(&br[..], 4096).read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
    }
}
