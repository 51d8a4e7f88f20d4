//! kiln.toml as written: every field optional, unknown keys rejected, values that can be
//! wrong in ways serde cannot see kept with their spans (for errors at the key's line:col).

use serde::Deserialize;
use toml::Spanned;

use crate::size::SizeValue as RawSize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) out_dir: Option<Spanned<String>>,
    pub(super) public_dir: Option<Spanned<String>>,
    pub(super) entries: Option<Vec<Spanned<String>>>,
    pub(super) exclude: Option<Vec<Spanned<String>>>,
    pub(super) base: Option<Spanned<String>>,
    pub(super) file_names: Option<Spanned<String>>,
    pub(super) hash_length: Option<Spanned<usize>>,
    pub(super) sri: Option<bool>,
    pub(super) manifest: Option<Spanned<ManifestSetting>>,
    pub(super) hash_cascade: Option<Spanned<String>>,
    pub(super) cache_dir: Option<Spanned<String>>,
    pub(super) cache_max_size: Option<Spanned<RawSize>>,
    pub(super) cache: Option<RawCache>,
    pub(super) images: Option<RawImages>,
    pub(super) publish: Option<RawPublish>,
    pub(super) html: Option<RawHtml>,
    pub(super) css: Option<RawCss>,
    pub(super) js: Option<RawJs>,
    pub(super) env: Option<RawEnv>,
    pub(super) compress: Option<RawCompress>,
    pub(super) headers_file: Option<bool>,
    pub(super) offline: Option<RawOffline>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCache {
    pub(super) remote: Option<Spanned<String>>,
    pub(super) endpoint: Option<String>,
    pub(super) region: Option<String>,
    pub(super) path_style: Option<bool>,
    pub(super) namespace: Option<Spanned<String>>,
    pub(super) fallback: Option<Vec<Spanned<String>>>,
    pub(super) read_only: Option<bool>,
    pub(super) max_entry_size: Option<Spanned<RawSize>>,
    pub(super) timeout: Option<Spanned<u64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOffline {
    pub(super) enabled: Option<bool>,
    pub(super) fallback: Option<Spanned<String>>,
    pub(super) update: Option<Spanned<String>>,
    pub(super) register: Option<bool>,
    pub(super) worker: Option<Spanned<String>>,
    pub(super) precache: Option<Spanned<String>>,
    pub(super) exclude: Option<Vec<Spanned<String>>>,
    pub(super) max_file_size: Option<Spanned<RawSize>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEnv {
    pub(super) mode: Option<Spanned<String>>,
    pub(super) prefixes: Option<Vec<Spanned<String>>>,
    pub(super) dir: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJs {
    pub(super) minify: Option<bool>,
    pub(super) sourcemap: Option<Spanned<SourceMapSetting>>,
    pub(super) target: Option<Spanned<String>>,
    pub(super) define: Option<std::collections::BTreeMap<String, String>>,
    pub(super) conditions: Option<Vec<String>>,
    pub(super) external: Option<Vec<String>>,
    pub(super) splitting: Option<bool>,
    pub(super) min_chunk_size: Option<u64>,
    pub(super) manual_chunks: Option<std::collections::BTreeMap<String, Vec<Spanned<String>>>>,
    pub(super) alias: Option<std::collections::BTreeMap<String, Spanned<String>>>,
    pub(super) jsx: Option<Spanned<String>>,
    pub(super) jsx_import_source: Option<String>,
    pub(super) jsx_factory: Option<String>,
    pub(super) jsx_fragment: Option<String>,
}


/// Image settings a rule may override.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct RawImageRule {
    pub(super) files: Option<Spanned<String>>,
    pub(super) skip: Option<bool>,
    pub(super) png_level: Option<Spanned<u8>>,
    pub(super) strip: Option<Spanned<String>>,
    pub(super) jpeg_quality: Option<Spanned<u8>>,
    pub(super) quality: Option<Spanned<u8>>,
    pub(super) formats: Option<Vec<Spanned<String>>>,
    pub(super) widths: Option<Vec<Spanned<u32>>>,
    pub(super) svg: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawImages {
    pub(super) skip: Option<bool>,
    pub(super) png_level: Option<Spanned<u8>>,
    pub(super) strip: Option<Spanned<String>>,
    pub(super) jpeg_quality: Option<Spanned<u8>>,
    pub(super) quality: Option<Spanned<u8>>,
    pub(super) formats: Option<Vec<Spanned<String>>>,
    pub(super) widths: Option<Vec<Spanned<u32>>>,
    pub(super) svg: Option<Spanned<String>>,
    pub(super) sizes: Option<String>,
    pub(super) on_bad_image: Option<Spanned<String>>,
    pub(super) max_pixels: Option<u64>,
    pub(super) lazy: Option<bool>,
    pub(super) dimensions: Option<bool>,
    pub(super) eager: Option<u32>,
    pub(super) priority: Option<bool>,
    pub(super) rules: Option<Vec<RawImageRule>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPublish {
    pub(super) bucket: Option<String>,
    pub(super) prefix: Option<String>,
    pub(super) region: Option<String>,
    pub(super) endpoint: Option<String>,
    pub(super) path_style: Option<bool>,
    pub(super) checksum: Option<Spanned<String>>,
    pub(super) encoding: Option<Spanned<String>>,
    pub(super) retain: Option<Spanned<usize>>,
    pub(super) keep_days: Option<u64>,
    pub(super) max_deletes: Option<usize>,
    pub(super) concurrency: Option<Spanned<usize>>,
    pub(super) multipart_threshold: Option<Spanned<RawSize>>,
    pub(super) headers: Option<Vec<RawPublishHeaders>>,
    pub(super) cloudfront_distribution: Option<String>,
    pub(super) cloudflare_zone: Option<Spanned<String>>,
    pub(super) site_url: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPublishHeaders {
    pub(super) files: Spanned<String>,
    pub(super) cache_control: Option<String>,
    pub(super) headers: Option<std::collections::BTreeMap<String, Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum SourceMapSetting {
    Enabled(bool),
    Mode(String),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum ManifestSetting {
    Enabled(bool),
    Name(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHtml {
    pub(super) minify: Option<bool>,
    pub(super) preload_fonts: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCss {
    pub(super) targets: Option<Spanned<String>>,
    pub(super) minify: Option<bool>,
    pub(super) prune: Option<bool>,
    pub(super) safelist: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCompress {
    pub(super) gzip: Option<bool>,
    pub(super) brotli: Option<bool>,
    pub(super) gzip_level: Option<Spanned<u32>>,
    pub(super) zopfli: Option<bool>,
    pub(super) brotli_quality: Option<Spanned<u32>>,
    pub(super) brotli_window: Option<Spanned<u32>>,
    pub(super) min_size: Option<u64>,
    pub(super) types: Option<Vec<Spanned<String>>>,
    pub(super) source_maps: Option<bool>,
}
