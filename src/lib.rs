//! kiln: turns a frontend source tree into hashed, pre-compressed, CDN-ready files.
//!
//! The library is what the `kiln` binary calls: load a [`Config`], then [`build`]. The stages
//! live in [`stages`], run in order by [`pipeline`].

pub mod analysis;
pub mod budget;
pub mod cache;
pub mod cache_control;
pub mod cli;
pub mod config;
pub mod diagnostics;
pub mod encoding;
pub mod env_files;
pub mod fields;
pub mod graph;
pub mod key;
pub mod lab;
pub mod loader;
pub mod log;
pub mod mime;
pub mod nesting;
pub mod output;
pub mod par;
pub mod paths;
pub mod pipeline;
pub mod publish;
pub mod report;
pub mod s3;
pub mod schema;
pub mod secrets;
pub mod serve;
pub mod size;
pub mod sourcemap;
pub mod stages;
pub mod urls;
pub mod watch;

pub use config::{Config, Overrides};
pub use diagnostics::{BuildError, Diagnostic};
pub use pipeline::build;
pub use report::Report;
