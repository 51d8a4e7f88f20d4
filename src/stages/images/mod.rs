//! Images: every PNG, JPEG and SVG the pipeline found is optimised in parallel, never made
//! larger; with `formats`/`widths`, raster images shown by `<img>` get WebP/AVIF and resized
//! variants, and the pages' `<img>` tags get `srcset`/`<picture>` markup. Results come from the
//! build cache when the same bytes were processed with the same options before.
//!
//! - [`png`]: oxipng, lossless.
//! - [`jpeg`]: metadata segments dropped, lossless; re-encoded with `jpeg_quality`.
//! - [`svg`]: comments, metadata, editor data and whitespace dropped, nothing redrawn.
//! - [`variants`]: decode (with a pixel limit), resize, encode.
//! - [`picture`]: the pages' markup.

mod error;
mod jpeg;
mod picture;
mod png;
mod svg;
mod variants;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::cache::{self, Cache};
use crate::config::{ImageOptions, ImageRule};
use crate::diagnostics::{BuildError, Diagnostic, Diagnostics};
use crate::graph::{Asset, AssetKey, AssetKind, Graph};
use crate::log::{stage_output, StageLog};
use crate::report::ImageStats;
use crate::stages::images::error::ImageError;
use variants::Encoding;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Png,
    Jpeg,
    Svg,
}

fn kind(rel: &str) -> Option<Kind> {
    let ext = rel.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => Kind::Png,
        "jpg" | "jpeg" => Kind::Jpeg,
        "svg" => Kind::Svg,
        _ => return None,
    })
}

/// The options that change an output, as cache-key bytes (the formats and widths are in each
/// variant's own key).
fn rule_key(rule: &ImageRule) -> Vec<u8> {
    let ImageRule { skip: _, png_level, strip, jpeg_quality, quality, formats: _, widths: _, svg_minify } = rule;
    let strip = match strip {
        crate::config::Strip::None => "none",
        crate::config::Strip::Safe => "safe",
        crate::config::Strip::All => "all",
    };
    let mut k = crate::fields::KeyFields::new(std::path::Path::new(""));
    k.field("png_level", png_level).field("strip", strip).field("jpeg_quality", jpeg_quality).field("quality", quality).field("svg_minify", svg_minify);
    k.into_bytes()
}

struct Done {
    index: usize,
    content: Option<Vec<u8>>,
    info: Option<picture::ImageInfo>,
    variants: Vec<Asset>,
    warning: Option<Diagnostic>,
}

fn run(options: &ImageOptions, graph: &mut Graph, cache: &Cache) -> Result<(ImageStats, Vec<Diagnostic>), BuildError> {
    let encoded = AtomicU64::new(0);
    // Images shown with <img src>: the ones variants are made for.
    let mut shown: std::collections::BTreeSet<AssetKey> = Default::default();
    for page in graph.assets.iter().filter(|a| a.kind == AssetKind::Html) {
        shown.extend(picture::img_sources(&String::from_utf8_lossy(&page.content), &page.refs));
    }
    let results: Vec<Result<Done, Diagnostic>> = graph
        .assets
        .par_iter()
        .enumerate()
        .filter(|(_, a)| a.kind == AssetKind::Raw)
        .filter_map(|(i, a)| a.src.as_file().and_then(kind).map(|k| (i, a, k)))
        .map(|(i, asset, k)| {
            let rel = asset.src.source_file();
            let rule = options.rule_for(rel);
            match process(options, cache, &encoded, asset, k, rule, shown.contains(&asset.src)) {
                Ok(mut done) => {
                    done.index = i;
                    Ok(done)
                }
                Err(message) if options.copy_bad => Ok(Done {
                    index: i,
                    content: None,
                    info: None,
                    variants: Vec::new(),
                    warning: Some(Diagnostic::warning(format!("{message}; copied as it is (images.on_bad_image = \"copy\")")).in_file(rel)),
                }),
                Err(message) => Err(Diagnostic::error(message.to_string())
                    .in_file(rel)
                    .with_note("fix or replace the file, or set images.on_bad_image = \"copy\" to ship it as it is")),
            }
        })
        .collect();
    let mut diags = Diagnostics::default();
    let mut warnings = Vec::new();
    let mut stats = ImageStats::default();
    let mut infos: BTreeMap<AssetKey, picture::ImageInfo> = BTreeMap::new();
    let mut new_assets = Vec::new();
    for r in results {
        match r {
            Err(d) => diags.push(d),
            Ok(done) => {
                let asset = &mut graph.assets[done.index];
                stats.files += 1;
                stats.bytes_before += asset.content.len() as u64;
                if let Some(c) = done.content {
                    asset.content = c;
                }
                stats.bytes_after += asset.content.len() as u64;
                stats.variants += done.variants.len() as u64;
                if let Some(info) = done.info {
                    infos.insert(asset.src.clone(), info);
                }
                new_assets.extend(done.variants);
                warnings.extend(done.warning);
            }
        }
    }
    if diags.has_errors() {
        return Err(diags.into());
    }
    // Other images pages show (GIF, WebP…): not optimised, but their size is read.
    let others: Vec<_> = graph
        .assets
        .iter()
        .filter(|a| a.kind == AssetKind::Raw && shown.contains(&a.src) && !infos.contains_key(&a.src))
        .filter_map(|a| variants::dimensions(&a.content, options.max_pixels).ok().map(|(width, height)| (a.src.clone(), width, height)))
        .collect();
    for (key, width, height) in others {
        infos.insert(key, picture::ImageInfo { width, height, ..Default::default() });
    }
    graph.assets.extend(new_assets);
    graph.assets.sort_by(|a, b| a.src.cmp(&b.src));
    let pages = picture::Pages { images: &infos, sizes: &options.sizes, loading: options.loading };
    graph.assets.par_iter_mut().filter(|a| a.kind == AssetKind::Html).for_each(|page| {
        let html = String::from_utf8_lossy(&page.content).into_owned();
        if let Some(out) = pages.rewrite(&html, &mut page.refs) {
            page.content = out.into_bytes();
        }
    });
    stats.encoded = encoded.load(Ordering::Relaxed);
    Ok((stats, warnings))
}

/// The cached result of `work` for `key`, counting the encodes actually done.
fn cached(cache: &Cache, encoded: &AtomicU64, key: [u8; 32], work: impl FnOnce() -> Result<Vec<u8>, ImageError>) -> Result<Vec<u8>, ImageError> {
    cache.get_or(&key, || {
        encoded.fetch_add(1, Ordering::Relaxed);
        work()
    })
}

fn process(options: &ImageOptions, cache: &Cache, encoded: &AtomicU64, asset: &Asset, k: Kind, rule: &ImageRule, shown: bool) -> Result<Done, ImageError> {
    let bytes = &asset.content;
    let mut done = Done { index: 0, content: None, info: None, variants: Vec::new(), warning: None };
    let max = options.max_pixels;
    if rule.skip {
        // Left as it is, but pages still learn its size.
        let size = if k == Kind::Svg { std::str::from_utf8(bytes).ok().and_then(svg::size) } else { variants::dimensions(bytes, max).ok() };
        done.info = size.filter(|_| shown).map(|(width, height)| picture::ImageInfo { width, height, ..Default::default() });
        return Ok(done);
    }
    let rk = rule_key(rule);
    // Checked from the header before any pixel is decoded (decompression bombs).
    let dims = if k == Kind::Svg { None } else { Some(variants::dimensions(bytes, max)?) };
    if shown {
        let size = if k == Kind::Svg { std::str::from_utf8(bytes).ok().and_then(svg::size) } else { dims };
        done.info = size.map(|(width, height)| picture::ImageInfo { width, height, ..Default::default() });
    }
    let wants_variants = shown && k != Kind::Svg && (!rule.formats.is_empty() || !rule.widths.is_empty());
    let optimized = match k {
        Kind::Png => cached(cache, encoded, cache::key("png", &[bytes, &rk]), || png::optimize(bytes, rule))?,
        Kind::Jpeg => {
            cached(cache, encoded, cache::key("jpeg", &[bytes, &rk]), || {
                // Decoding the whole image is what finds a truncated or damaged file.
                variants::decode(bytes, max)?;
                let lossless = jpeg::strip(bytes, rule.strip)?;
                Ok(match rule.jpeg_quality {
                    Some(q) => {
                        let lossy = variants::reencode_jpeg(bytes, q, max)?;
                        if lossy.len() < lossless.len() {
                            lossy
                        } else {
                            lossless
                        }
                    }
                    None => lossless,
                })
            })?
        }
        Kind::Svg if rule.svg_minify => {
            let text = std::str::from_utf8(bytes).map_err(|_| ImageError::SvgText)?;
            svg::minify(text)?.into_bytes()
        }
        Kind::Svg => bytes.clone(),
    };
    if optimized.len() < bytes.len() {
        done.content = Some(optimized);
    }
    let Some((width, height)) = dims.filter(|_| wants_variants) else { return Ok(done) };
    let original_encoding = if k == Kind::Png { Encoding::Png } else { Encoding::Jpeg };
    let widths: Vec<u32> = rule.widths.iter().copied().filter(|&w| w < width).collect();
    let rel = asset.src.source_file();
    let file = rel.rsplit_once('/').map_or(rel, |(_, f)| f);
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let mut decoded: Option<image::DynamicImage> = None;
    let mut make = |w: u32, enc: Encoding, variants_out: &mut Vec<Asset>| -> Result<AssetKey, ImageError> {
        let name = if w < width { format!("{stem}-{w}.{}", enc.ext()) } else { format!("{stem}.{}", enc.ext()) };
        let key = AssetKey::ImageVariant { image: rel.to_owned(), name };
        let ck = cache::key("variant", &[bytes, &rk, enc.ext().as_bytes(), &w.to_le_bytes()]);
        let out = cached(cache, encoded, ck, || {
            if decoded.is_none() {
                decoded = Some(variants::decode(bytes, max)?);
            }
            variants::encode(decoded.as_ref().expect("decoded above"), w, enc, rule)
        })?;
        variants_out.push(Asset {
            src: key.clone(),
            kind: AssetKind::Raw,
            is_entry: false,
            content: out,
            refs: Default::default(),
            chunk: None,
            css_keep: Vec::new(),
            fixed_path: None,
        });
        Ok(key)
    };
    let mut info = picture::ImageInfo { width, height, ..Default::default() };
    let mut out = Vec::new();
    for &w in &widths {
        let key = make(w, original_encoding, &mut out)?;
        info.same_format.push((key, w));
    }
    info.same_format.push((asset.src.clone(), width));
    for &f in &rule.formats {
        let mut list = Vec::new();
        for &w in widths.iter().chain([&width]) {
            list.push((make(w, Encoding::Modern(f), &mut out)?, w));
        }
        info.modern.push((f.mime(), list));
    }
    done.variants = out;
    done.info = Some(info);
    Ok(done)
}

/// The images stage: optimised in place, with the variants `images.rules` ask for, through
/// the build cache.
pub struct ImageStage<'a> {
    options: &'a ImageOptions,
    cache: &'a Cache,
}

pub struct ImagesOutput {
    pub graph: Graph,
    pub stats: ImageStats,
    pub log: StageLog,
}

stage_output!(ImagesOutput);

impl<'a> ImageStage<'a> {
    pub fn new(options: &'a ImageOptions, cache: &'a Cache) -> Self {
        ImageStage { options, cache }
    }

    pub fn run(self, mut graph: Graph) -> Result<ImagesOutput, BuildError> {
        let (stats, warnings) = run(self.options, &mut graph, self.cache)?;
        Ok(ImagesOutput { graph, stats, log: StageLog::warnings(Diagnostics(warnings)) })
    }
}
