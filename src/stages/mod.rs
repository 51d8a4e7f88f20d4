//! The stages of a build, in the order [`crate::pipeline`] runs them.

pub mod compress;
pub mod delta;
pub mod emit;
pub mod fingerprint;
pub mod html;
pub mod images;
pub mod js;
pub mod preload;
pub mod prune;
pub mod scan;
pub mod secrets;
pub mod serving;
