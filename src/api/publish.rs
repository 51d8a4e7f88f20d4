//! Publishing an output folder to an S3-compatible bucket (see `publish/`).

pub use crate::publish::{Progress as PublishProgress, PublishOverrides, Summary as PublishSummary};

use crate::config::Config;
use crate::diagnostics::{BuildError, Diagnostic};

/// Uploads the output `overrides` and `config` name, in the order that never leaves a page
/// pointing at a missing file (or rolls back, or plans only, as asked); what was done.
pub fn publish(config: &Config, overrides: &PublishOverrides, progress: &dyn PublishProgress) -> Result<PublishSummary, BuildError> {
    let fail = |message: String| BuildError::one(Diagnostic::error(message));
    let request = crate::publish::Request::new(config, overrides).map_err(|e| fail(e.to_string()))?;
    crate::publish::run(request, progress).map_err(|e| fail(e.to_string()))
}
