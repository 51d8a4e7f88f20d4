//! Decoding (with a pixel limit), resizing and encoding: the work behind responsive widths and
//! modern formats. Encoders: oxipng after the image crate's PNG writer, the image crate's JPEG
//! encoder, libwebp (the `webp` crate, lossy) and rav1e through `ravif` (AVIF), all building
//! from source here without system libraries.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader};

use crate::config::{ImageFormat, ImageRule};

/// What a variant is encoded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Png,
    Jpeg,
    Modern(ImageFormat),
}

impl Encoding {
    pub fn ext(self) -> &'static str {
        match self {
            Encoding::Png => "png",
            Encoding::Jpeg => "jpg",
            Encoding::Modern(f) => f.ext(),
        }
    }
}

fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, String> {
    ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| e.to_string())
}

/// Width and height as displayed (after the Exif orientation), reading only the header;
/// refuses images over `max_pixels` before any pixel is decoded.
pub fn dimensions(bytes: &[u8], max_pixels: u64) -> Result<(u32, u32), String> {
    let mut decoder = reader(bytes)?.into_decoder().map_err(|e| e.to_string())?;
    let (w, h) = decoder.dimensions();
    let pixels = u64::from(w) * u64::from(h);
    if pixels > max_pixels {
        return Err(format!(
            "the image is {w}×{h} ({:.0} megapixels), over images.max_pixels ({:.0} megapixels): refused, as decoding it would take {} of memory",
            pixels as f64 / 1e6,
            max_pixels as f64 / 1e6,
            human(pixels * 4)
        ));
    }
    let rotated = decoder.orientation().is_ok_and(|o| {
        use image::metadata::Orientation::*;
        matches!(o, Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH)
    });
    Ok(if rotated { (h, w) } else { (w, h) })
}

fn human(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / 1e9)
}

/// The pixels, turned by the Exif orientation.
pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<DynamicImage, String> {
    dimensions(bytes, max_pixels)?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(max_pixels.saturating_mul(8));
    let mut r = reader(bytes)?;
    r.limits(limits);
    let mut decoder = r.into_decoder().map_err(|e| e.to_string())?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img)
}

/// `img` at `width` (never wider than it is) in `encoding`.
pub fn encode(img: &DynamicImage, width: u32, encoding: Encoding, rule: &ImageRule) -> Result<Vec<u8>, String> {
    let resized;
    let img = if width < img.width() {
        let height = ((u64::from(img.height()) * u64::from(width) + u64::from(img.width()) / 2) / u64::from(img.width())).max(1) as u32;
        resized = img.resize_exact(width, height, image::imageops::FilterType::Lanczos3);
        &resized
    } else {
        img
    };
    let mut out = Vec::new();
    match encoding {
        Encoding::Png => {
            img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).map_err(|e| e.to_string())?;
            out = super::png::optimize(&out, rule)?;
        }
        Encoding::Jpeg => {
            let rgb = img.to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, rule.jpeg_quality.unwrap_or(rule.quality.max(80)))
                .encode_image(&rgb)
                .map_err(|e| e.to_string())?;
        }
        Encoding::Modern(ImageFormat::Webp) => {
            let rgba = img.to_rgba8();
            out = webp::Encoder::from_rgba(rgba.as_raw(), img.width(), img.height()).encode(f32::from(rule.quality)).to_vec();
        }
        Encoding::Modern(ImageFormat::Avif) => {
            let rgba = img.to_rgba8();
            let pixels: Vec<ravif::RGBA8> = rgba.pixels().map(|p| ravif::RGBA8::new(p[0], p[1], p[2], p[3])).collect();
            let encoded = ravif::Encoder::new()
                .with_quality(f32::from(rule.quality))
                .with_speed(7)
                .encode_rgba(ravif::Img::new(pixels.as_slice(), img.width() as usize, img.height() as usize))
                .map_err(|e| e.to_string())?;
            out = encoded.avif_file;
        }
    }
    Ok(out)
}

/// Re-encodes a JPEG at `quality`.
pub fn reencode_jpeg(bytes: &[u8], quality: u8, max_pixels: u64) -> Result<Vec<u8>, String> {
    let img = decode(bytes, max_pixels)?;
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(&img.to_rgb8()).map_err(|e| e.to_string())?;
    Ok(out)
}
