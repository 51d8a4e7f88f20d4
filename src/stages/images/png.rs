//! PNG: lossless recompression with oxipng.

use oxipng::{Options, StripChunks};

use crate::config::{ImageRule, Strip};
use crate::stages::images::error::ImageError;

pub fn optimize(bytes: &[u8], rule: &ImageRule) -> Result<Vec<u8>, ImageError> {
    let mut options = Options::from_preset(rule.png_level);
    options.strip = match rule.strip {
        Strip::None => StripChunks::None,
        // oxipng's "safe" keeps what changes how the image looks (colour profile, gamma…).
        Strip::Safe => StripChunks::Safe,
        Strip::All => StripChunks::All,
    };
    Ok(oxipng::optimize_from_memory(bytes, &options)?)
}
