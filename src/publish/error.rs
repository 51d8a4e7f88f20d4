//! Publish errors, each naming where it happened: the flag or `[publish]` key, the file of the
//! output, or the object in the bucket.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// A flag or `[publish]` key is missing or malformed; `key` names it (`--to`,
    /// `publish.bucket`).
    #[error("{key}: {message}")]
    Request { key: &'static str, message: String },
    /// The output folder is not a whole kiln output, or one of its files cannot be read.
    #[error("{}: {message}", path.display())]
    Output { path: PathBuf, message: String },
    /// A request to the bucket failed. `key` is the object (under the prefix) when there is
    /// one; `message` says what was being done, what the server answered and what to check.
    #[error("{message}")]
    Remote { key: Option<String>, message: String },
    /// A deploy record under `_kiln/deploys/` cannot be read.
    #[error("the deploy record {key} is damaged: {message}")]
    DamagedRecord { key: String, message: String },
    /// A rollback has no deploy to go back to, or that deploy can no longer be restored.
    #[error("{0}")]
    Rollback(String),
    /// The CloudFront invalidation failed, after the deploy went live.
    #[error("the pages are published, but invalidating CloudFront distribution {distribution} failed: {message}")]
    Invalidation { distribution: String, message: String },
    /// The Cloudflare purge failed, after the deploy went live.
    #[error("the pages are published, but purging Cloudflare zone {zone} failed: {message}")]
    Purge { zone: String, message: String },
    /// The async runtime could not start.
    #[error("cannot start the network runtime: {0}")]
    Runtime(String),
}

impl PublishError {
    pub fn remote(key: Option<&str>, message: impl Into<String>) -> PublishError {
        PublishError::Remote { key: key.map(str::to_owned), message: message.into() }
    }

    pub fn output(path: impl Into<PathBuf>, message: impl Into<String>) -> PublishError {
        PublishError::Output { path: path.into(), message: message.into() }
    }
}
