//! Decoding (with a pixel limit), resizing and encoding: the work behind responsive widths and
//! modern formats. Encoders: oxipng after the image crate's PNG writer, the image crate's JPEG
//! encoder, libwebp (the `webp` crate, lossy) and rav1e through `ravif` (AVIF), all building
//! from source here without system libraries.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader};

use crate::config::{ImageFormat, ImageRule};
use crate::stages::images::error::ImageError;

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

fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, ImageError> {
    Ok(ImageReader::new(Cursor::new(bytes)).with_guessed_format()?)
}

/// Width and height as displayed (after the Exif orientation), reading only the header;
/// refuses images over `max_pixels` before any pixel is decoded.
pub fn dimensions(bytes: &[u8], max_pixels: u64) -> Result<(u32, u32), ImageError> {
    let mut decoder = reader(bytes)?.into_decoder()?;
    let (w, h) = decoder.dimensions();
    let pixels = u64::from(w) * u64::from(h);
    if pixels > max_pixels {
        return Err(ImageError::TooLarge { width: w, height: h, max_pixels });
    }
    let rotated = decoder.orientation().is_ok_and(|o| {
        use image::metadata::Orientation::*;
        matches!(o, Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH)
    });
    Ok(if rotated { (h, w) } else { (w, h) })
}

/// The pixels, turned by the Exif orientation.
pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<DynamicImage, ImageError> {
    dimensions(bytes, max_pixels)?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(max_pixels.saturating_mul(8));
    let mut r = reader(bytes)?;
    r.limits(limits);
    let mut decoder = r.into_decoder()?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img)
}

/// `img` at `width` (never wider than it is) in `encoding`.
pub fn encode(img: &DynamicImage, width: u32, encoding: Encoding, rule: &ImageRule) -> Result<Vec<u8>, ImageError> {
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
            img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)?;
            out = super::png::optimize(&out, rule)?;
        }
        Encoding::Jpeg => {
            let rgb = img.to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, rule.jpeg_quality.unwrap_or(rule.quality.max(80))).encode_image(&rgb)?;
        }
        Encoding::Modern(ImageFormat::Webp) => {
            let rgba = img.to_rgba8();
            out = webp::Encoder::from_rgba(rgba.as_raw(), img.width(), img.height()).encode(f32::from(rule.quality)).to_vec();
        }
        Encoding::Modern(ImageFormat::Avif) => {
            let rgba = img.to_rgba8();
            let pixels: Vec<ravif::RGBA8> = rgba.pixels().map(|p| ravif::RGBA8::new(p[0], p[1], p[2], p[3])).collect();
            let encoded = ravif::Encoder::new().with_quality(f32::from(rule.quality)).with_speed(7).encode_rgba(ravif::Img::new(
                pixels.as_slice(),
                img.width() as usize,
                img.height() as usize,
            ))?;
            out = encoded.avif_file;
        }
    }
    Ok(out)
}

/// Re-encodes a JPEG at `quality`.
pub fn reencode_jpeg(bytes: &[u8], quality: u8, max_pixels: u64) -> Result<Vec<u8>, ImageError> {
    let img = decode(bytes, max_pixels)?;
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(&img.to_rgb8())?;
    Ok(out)
}
