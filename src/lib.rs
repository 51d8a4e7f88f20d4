//! kiln: turns a frontend source tree into hashed, pre-compressed, CDN-ready files, checks them
//! against budgets and in a browser, and publishes them.
//!
//! The library is what the `kiln` binary calls, and it can be called without it: load a
//! [`Config`] (the `kiln.toml` of a project, with [`Overrides`]), then
//!
//! - [`build`] it into its output folder: a [`Report`] of every file written;
//! - check the report against the project's budgets ([`check_budgets`]), and say what the
//!   check found, as a table, JSON, JUnit XML and GitHub annotations ([`report_check`]);
//! - measure the pages in Chromium ([`lab`], with the `lab` feature);
//! - write the bundle analysis ([`write_analysis`]);
//! - publish the output to an S3-compatible bucket ([`publish`], with the `publish` feature).
//!
//! ```no_run
//! let overrides = kiln::Overrides { process: kiln::Env::from_process(), ..Default::default() };
//! let config = kiln::Config::load(std::path::Path::new("site"), &overrides)?;
//! let report = kiln::build(&config, &kiln::Silent)?;
//! let budgets = kiln::BudgetOptions::default();
//! if let Some(check) = kiln::check_budgets(&config, &report, &budgets)? {
//!     println!("{}", check.worst() == kiln::Status::Fail);
//! }
//! # Ok::<(), kiln::BuildError>(())
//! ```
//!
//! Every failure is a [`BuildError`]: located [`Diagnostic`]s (file, line, column). The stages
//! live in `stages/`, run in order by `pipeline.rs`; how the code is laid out is in
//! `docs/architecture.md`.

mod analysis;
mod api;
mod budget;
mod budgets_file;
mod cache;
mod cache_control;
mod config;
mod delta;
mod diagnostics;
mod edge;
mod encoding;
mod env_files;
mod environ;
mod fields;
mod graph;
mod key;
// Without the `lab` feature, what the lab reports (the analysis page shows it) and its rules.
#[cfg_attr(not(feature = "lab"), allow(dead_code))]
mod lab;
mod loader;
mod log;
mod mime;
mod nesting;
mod output;
mod par;
mod paths;
mod pipeline;
#[cfg(feature = "publish")]
mod publish;
mod report;
#[cfg(feature = "publish")]
mod s3;
pub mod schema;
mod secrets;
#[cfg(feature = "serve")]
mod serve;
mod sfc;
mod size;
mod sourcemap;
mod stages;
mod urls;
#[cfg(feature = "serve")]
mod watch;

pub use api::*;
pub use budget::{Check, Outcome, Status};
pub use config::{Config, Overrides, SourceMapMode, DEFAULT_MANIFEST};
pub use diagnostics::{BuildError, Diagnostic, Kind, Location, Severity};
pub use environ::{Env, SelfChecks};
pub use lab::profile::Profile as LabProfile;
pub use lab::LabReport;
pub use pipeline::{build, Progress, Silent};
pub use report::Report;

/// Pieces of kiln that stand on their own, for other tools (and kiln's benches and tests).
pub mod parts {
    pub use crate::budgets_file::{parse as parse_budgets_file, BudgetsFile};
    #[cfg(feature = "publish")]
    pub use crate::cache::sign::{keygen as cache_keygen, PUBLIC_VAR as CACHE_PUBLIC_VAR, SIGNING_VAR as CACHE_SIGNING_VAR};
    pub use crate::delta::{available_dictionary, available_dictionary_header, dcb, dcz, dictionary_hash, dictionary_of, Effort};
    pub use crate::encoding::{brotli, gzip};
    pub use crate::output::{integrity, served_index, ServedIndex};
    #[cfg(feature = "publish")]
    pub use crate::publish::s3;
    #[cfg(feature = "serve")]
    pub use crate::serve::serve;
    pub use crate::size::{kb, parse_size};
    pub use crate::sourcemap::decode as decode_sourcemap;
    #[cfg(feature = "serve")]
    pub use crate::watch::{changed_line, serve as serve_watch, written_by_build, Watcher};
}
