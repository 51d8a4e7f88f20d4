//! PNG: lossless recompression with oxipng.

use oxipng::{Options, StripChunks};

use crate::config::{ImageRule, Strip};

pub fn optimize(bytes: &[u8], rule: &ImageRule) -> Result<Vec<u8>, String> {
    let mut options = Options::from_preset(rule.png_level);
    options.strip = match rule.strip {
        Strip::None => StripChunks::None,
        // oxipng's "safe" keeps what changes how the image looks (colour profile, gamma…).
        Strip::Safe => StripChunks::Safe,
        Strip::All => StripChunks::All,
    };
    oxipng::optimize_from_memory(bytes, &options).map_err(|e| e.to_string())
}
