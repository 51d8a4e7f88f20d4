//! Why an image cannot be optimised: the file is damaged, too large to decode, or an encoder
//! failed. The stage reports it at the file (or copies the file, with `on_bad_image = "copy"`).

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{0}")]
    Image(#[from] image::ImageError),
    #[error("{0}")]
    Read(#[from] std::io::Error),
    #[error("{}", too_large(*width, *height, *max_pixels))]
    TooLarge { width: u32, height: u32, max_pixels: u64 },
    #[error("{0}")]
    Png(#[from] oxipng::PngError),
    /// A JPEG's segments do not parse (what is wrong with them).
    #[error("{0}")]
    Jpeg(&'static str),
    #[error("{0}")]
    Avif(#[from] ravif::Error),
    #[error("the SVG is not valid UTF-8")]
    SvgText,
    #[error("the SVG is not well-formed XML: {0}")]
    Svg(#[from] roxmltree::Error),
    /// kiln's own bug: its minified SVG does not parse.
    #[error("minified SVG does not parse: {0}")]
    SvgMinified(roxmltree::Error),
}

fn too_large(width: u32, height: u32, max_pixels: u64) -> String {
    let pixels = u64::from(width) * u64::from(height);
    format!(
        "the image is {width}×{height} ({:.0} megapixels), over images.max_pixels ({:.0} megapixels): refused, as decoding it would take {:.1} GB of memory",
        pixels as f64 / 1e6,
        max_pixels as f64 / 1e6,
        (pixels * 4) as f64 / 1e9
    )
}
