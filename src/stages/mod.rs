//! The stages of a build, in the order [`crate::pipeline`] runs them.

pub mod assemble;
pub mod budget;
pub mod compress;
pub mod css;
pub mod emit;
pub mod fingerprint;
pub mod html;
pub mod images;
pub mod js;
pub mod scan;
pub mod webmanifest;
