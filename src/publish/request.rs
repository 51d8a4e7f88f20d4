//! A publish request from the configuration and what the command line overrides, so the
//! library can publish without the CLI.

use std::path::PathBuf;

use super::error::PublishError;
use super::s3::Target;
use super::Request;
use crate::config::Config;

/// What a caller may give beside `kiln.toml` (the CLI's flags).
#[derive(Debug, Default, Clone)]
pub struct PublishOverrides {
    /// `s3://BUCKET[/PREFIX]`, instead of `publish.bucket` and `publish.prefix`.
    pub to: Option<String>,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// A named profile of the AWS config files.
    pub profile: Option<String>,
    /// The folder to publish (default: `out_dir`).
    pub dir: Option<PathBuf>,
    pub dry_run: bool,
    /// `Some(None)`: back to the deploy before the live one; `Some(Some(id))`: to that one.
    pub rollback: Option<Option<String>>,
}

impl Request {
    /// The request `config` and `overrides` describe; the error names what is missing or
    /// malformed.
    pub fn new(config: &Config, overrides: &PublishOverrides) -> Result<Request, PublishError> {
        let options = config.publish.clone();
        let (bucket, prefix) = match &overrides.to {
            Some(url) => {
                let Some(rest) = url.strip_prefix("s3://") else {
                    return Err(PublishError::Request { key: "--to", message: format!("{url:?}: write it as s3://BUCKET or s3://BUCKET/PREFIX") });
                };
                let (b, p) = rest.split_once('/').unwrap_or((rest, ""));
                (b.to_owned(), p.to_owned())
            }
            None => match &options.bucket {
                Some(b) => (b.clone(), options.prefix.clone()),
                None => {
                    return Err(PublishError::Request {
                        key: "publish.bucket",
                        message: "no bucket: give --to s3://BUCKET[/PREFIX], or set publish.bucket in kiln.toml".into(),
                    })
                }
            },
        };
        if bucket.is_empty() {
            let key = if overrides.to.is_some() { "--to" } else { "publish.bucket" };
            return Err(PublishError::Request { key, message: "the bucket name is empty".into() });
        }
        let prefix = prefix.trim_matches('/');
        let prefix = if prefix.is_empty() { String::new() } else { format!("{prefix}/") };
        let endpoint = overrides.endpoint.clone().or(options.endpoint.clone());
        let target = Target {
            bucket,
            prefix,
            region: overrides.region.clone().or(options.region.clone()),
            // A custom endpoint (Garage, MinIO, R2…) gets path-style addressing and checksums
            // only when required, unless the config says otherwise.
            path_style: options.path_style.unwrap_or(endpoint.is_some()),
            checksum_when_required: options.checksum_when_required.unwrap_or(endpoint.is_some()),
            endpoint,
            profile: overrides.profile.clone(),
        };
        let cloudflare_token = config.process.var(super::purge::TOKEN_VAR).filter(|t| !t.trim().is_empty()).map(str::to_owned);
        if options.cloudflare.is_some() && cloudflare_token.is_none() && !overrides.dry_run {
            return Err(PublishError::Request {
                key: super::purge::TOKEN_VAR,
                message: "publish.cloudflare_zone is set but the environment has no API token: create one with the Zone > Cache Purge permission and export it (nothing was uploaded)".into(),
            });
        }
        Ok(Request {
            dir: overrides.dir.clone().unwrap_or_else(|| config.out_dir.clone()),
            manifest_name: config.manifest_file().to_owned(),
            target,
            options,
            compress: config.compress.clone(),
            secrets: config.secrets.clone(),
            dry_run: overrides.dry_run,
            rollback: overrides.rollback.clone(),
            cloudflare_token,
            cloudflare_api: config.process.var(super::purge::API_VAR).map(str::to_owned),
        })
    }
}
