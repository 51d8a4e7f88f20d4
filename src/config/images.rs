//! `[images]`: what the images stage does to each image.

use globset::GlobSet;

use super::raw::{RawImageRule, RawImages};
use toml::Spanned;

use super::{build_globs, Checker};

/// Which PNG chunks (and JPEG segments) go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strip {
    /// Nothing.
    None,
    /// Metadata that does not change how the image looks (colour profiles and orientation stay).
    Safe,
    /// Every optional chunk, colour profiles included.
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    Avif,
    Webp,
}

impl ImageFormat {
    pub fn ext(self) -> &'static str {
        match self {
            ImageFormat::Avif => "avif",
            ImageFormat::Webp => "webp",
        }
    }
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Avif => "image/avif",
            ImageFormat::Webp => "image/webp",
        }
    }
}

/// What is done to one image.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRule {
    /// Left byte-identical.
    pub skip: bool,
    /// oxipng preset, 0 to 6.
    pub png_level: u8,
    pub strip: Strip,
    /// Re-encode JPEGs at this quality (kept only if smaller); `None`: lossless only.
    pub jpeg_quality: Option<u8>,
    /// Quality of WebP/AVIF variants and of resized JPEGs, 1 to 100.
    pub quality: u8,
    /// Modern-format variants to make of raster images.
    pub formats: Vec<ImageFormat>,
    /// Widths of resized variants (never wider than the original).
    pub widths: Vec<u32>,
    /// Minify SVG (comments, metadata, whitespace); false leaves it as it is.
    pub svg_minify: bool,
}

#[derive(Debug, Clone)]
pub struct ImageOptions {
    pub defaults: ImageRule,
    /// `[[images.rules]]`: files glob and the rule for them; the first match wins.
    pub rules: Vec<(GlobSet, ImageRule)>,
    /// `sizes` written beside a generated `srcset` when the `<img>` has none.
    pub sizes: String,
    /// Copy an image that cannot be decoded (with a warning) instead of failing.
    pub copy_bad: bool,
    /// Images with more pixels are refused (decompression bombs).
    pub max_pixels: u64,
    /// How pages load their images (`lazy`, `eager`, `priority`).
    pub loading: Loading,
}

/// How pages' `<img>` tags load, decided per page in document order; an attribute the author
/// wrote always wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loading {
    /// `loading="lazy" decoding="async"` on the images after the first `eager` ones.
    pub lazy: bool,
    pub eager: u32,
    /// `fetchpriority="high"` on the page's first large image (and it is never lazy).
    pub priority: bool,
    /// `width`/`height` on every local image without them, not only on those with variants.
    pub dimensions: bool,
}

impl ImageOptions {
    pub fn rule_for(&self, rel: &str) -> &ImageRule {
        self.rules.iter().find(|(set, _)| set.is_match(rel)).map_or(&self.defaults, |(_, r)| r)
    }
}

/// Applies the settings of `raw` over `base`, reporting bad values at their keys.
fn image_rule(base: &ImageRule, raw: &RawImageRule, c: &Checker) -> ImageRule {
    let bad = |span, msg| c.bad(span, msg);
    let mut rule = base.clone();
    if let Some(v) = raw.skip {
        rule.skip = v;
    }
    if let Some(v) = &raw.png_level {
        if *v.get_ref() > 6 {
            bad(v.span(), format!("images.png_level must be 0 to 6, not {}", v.get_ref()));
        }
        rule.png_level = (*v.get_ref()).min(6);
    }
    if let Some(v) = &raw.strip {
        rule.strip = match v.get_ref().as_str() {
            "safe" => Strip::Safe,
            "all" => Strip::All,
            "none" => Strip::None,
            other => {
                bad(v.span(), format!("images.strip must be \"safe\", \"all\" or \"none\", not {other:?}"));
                rule.strip
            }
        };
    }
    let percent = |v: &Spanned<u8>, key: &str| {
        if !(1..=100).contains(v.get_ref()) {
            bad(v.span(), format!("images.{key} must be 1 to 100, not {}", v.get_ref()));
        }
        (*v.get_ref()).clamp(1, 100)
    };
    if let Some(v) = &raw.jpeg_quality {
        rule.jpeg_quality = Some(percent(v, "jpeg_quality"));
    }
    if let Some(v) = &raw.quality {
        rule.quality = percent(v, "quality");
    }
    if let Some(list) = &raw.formats {
        rule.formats = list
            .iter()
            .filter_map(|f| match f.get_ref().as_str() {
                "avif" => Some(ImageFormat::Avif),
                "webp" => Some(ImageFormat::Webp),
                other => {
                    bad(f.span(), format!("images.formats: {other:?} is not \"avif\" or \"webp\""));
                    None
                }
            })
            .collect();
    }
    if let Some(list) = &raw.widths {
        rule.widths = list
            .iter()
            .filter_map(|w| {
                if *w.get_ref() == 0 || *w.get_ref() > 16_384 {
                    bad(w.span(), format!("images.widths: {} is not a width from 1 to 16384", w.get_ref()));
                    return None;
                }
                Some(*w.get_ref())
            })
            .collect();
        rule.widths.sort_unstable();
        rule.widths.dedup();
    }
    if let Some(v) = &raw.svg {
        rule.svg_minify = match v.get_ref().as_str() {
            "minify" => true,
            "keep" => false,
            other => {
                bad(v.span(), format!("images.svg must be \"minify\" or \"keep\", not {other:?}"));
                rule.svg_minify
            }
        };
    }
    rule
}

pub(super) fn images_options(raw: RawImages, c: &Checker) -> ImageOptions {
    let base =
        ImageRule { skip: false, png_level: 2, strip: Strip::Safe, jpeg_quality: None, quality: 75, formats: Vec::new(), widths: Vec::new(), svg_minify: true };
    let top = RawImageRule {
        files: None,
        skip: raw.skip,
        png_level: raw.png_level,
        strip: raw.strip,
        jpeg_quality: raw.jpeg_quality,
        quality: raw.quality,
        formats: raw.formats,
        widths: raw.widths,
        svg: raw.svg,
    };
    let defaults = image_rule(&base, &top, c);
    let rules = raw
        .rules
        .unwrap_or_default()
        .iter()
        .filter_map(|r| {
            let Some(files) = &r.files else {
                c.bad(0..0, "each [[images.rules]] needs `files`, a glob of the images it applies to".into());
                return None;
            };
            Some((build_globs(std::slice::from_ref(files), c), image_rule(&defaults, r, c)))
        })
        .collect();
    let copy_bad = match &raw.on_bad_image {
        None => false,
        Some(v) => match v.get_ref().as_str() {
            "error" => false,
            "copy" => true,
            other => {
                c.bad(v.span(), format!("images.on_bad_image must be \"error\" or \"copy\", not {other:?}"));
                false
            }
        },
    };
    ImageOptions {
        defaults,
        rules,
        sizes: raw.sizes.unwrap_or_else(|| "100vw".into()),
        copy_bad,
        max_pixels: raw.max_pixels.unwrap_or(100_000_000),
        loading: Loading {
            lazy: raw.lazy.unwrap_or(true),
            eager: raw.eager.unwrap_or(2),
            priority: raw.priority.unwrap_or(true),
            dimensions: raw.dimensions.unwrap_or(false),
        },
    }
}
