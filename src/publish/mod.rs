//! `kiln publish`: ship a built output to an S3-compatible bucket.
//!
//! 1. [`local`]: the output's objects, with Cache-Control, Content-Type and encodings.
//! 2. List the prefix once and read the deploy records; [`plan`]: compare by kiln's own hash
//!    (hashed names: present with the same size is enough), giving uploads and unchanged, and
//!    the new deploy record; [`retention`]: what falls out of the retained deploys.
//! 3. [`order`]: upload in phases — hashed assets, other files, pages, the manifest — each
//!    finishing before the next, so a page never points at a missing object; archive the
//!    unhashed files.
//! 4. Write the deploy record, then delete what no retained deploy references.
//!
//! [`rollback`] makes an earlier retained deploy live again from its archived copies. Errors
//! are [`PublishError`]s naming the key, file or object.

mod error;
pub mod invalidate;
pub mod local;
mod order;
mod plan;
pub mod purge;
pub mod record;
mod request;
mod retention;
mod returning;
mod rollback;
pub mod s3;

pub use error::PublishError;
pub use request::PublishOverrides;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::config::PublishOptions;
use record::Record;
use s3::Target;

/// Told about progress: the CLI draws a bar with bytes per second.
pub trait Progress: Send + Sync {
    fn phase(&self, _phase: &str, _files: usize, _bytes: u64) {}
    fn uploaded(&self, _bytes: u64) {}
}

pub struct Request {
    pub dir: PathBuf,
    pub manifest_name: String,
    pub target: Target,
    pub options: PublishOptions,
    /// Which types get twins (and how), for the twins made at publish time.
    pub compress: crate::config::CompressOptions,
    /// What the secret checks let through (`[secrets]`): a file the build would refuse is
    /// never uploaded.
    pub secrets: crate::secrets::Allow,
    pub dry_run: bool,
    /// `Some(None)`: back to the deploy before the live one; `Some(Some(id))`: to that one.
    pub rollback: Option<Option<String>>,
    /// With `publish.cloudflare_zone`: the API token (`CLOUDFLARE_API_TOKEN`), required
    /// unless `dry_run`.
    pub cloudflare_token: Option<String>,
    /// Cloudflare's API address (`CLOUDFLARE_API_BASE_URL`, for tests), else its own.
    pub cloudflare_api: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub bucket: String,
    pub prefix: String,
    pub dry_run: bool,
    /// The deploy record written (or that would be).
    pub deploy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_to: Option<String>,
    /// Keys uploaded (or copied back, for a rollback), by phase.
    pub uploads: BTreeMap<String, Vec<String>>,
    pub uploaded: usize,
    pub uploaded_bytes: u64,
    pub unchanged: usize,
    pub deleted: Vec<String>,
    /// Deletions left undone because there were more than `max_deletes`.
    pub deletions_skipped: usize,
    /// With `publish.cloudfront_distribution`: the paths invalidated (or that would be), and
    /// the invalidation's id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invalidated: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalidation_id: Option<String>,
    /// With `publish.cloudflare_zone`: the URLs purged (or that would be), or the whole zone,
    /// and the ids of the purge requests.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub purged: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub purged_everything: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub purge_ids: Vec<String>,
    /// Per page: what a visitor who loaded the live deploy downloads to load this one, with
    /// deltas and with twins only (empty for a first publish or a rollback).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub returning: BTreeMap<String, crate::output::Returning>,
    pub seconds: f64,
}

impl Summary {
    pub fn line(&self) -> String {
        let verb = if self.dry_run { "would upload" } else { "uploaded" };
        let mut s = format!(
            "{} s3://{}/{}: {verb} {} files ({}), {} unchanged, {} deleted",
            if self.rollback_to.is_some() { "rolled back" } else { "published to" },
            self.bucket,
            self.prefix,
            self.uploaded,
            crate::size::kb(self.uploaded_bytes),
            self.unchanged,
            self.deleted.len()
        );
        if self.deletions_skipped > 0 {
            s.push_str(&format!("; {} deletions NOT done: more than publish.max_deletes — check the prefix, then raise max_deletes", self.deletions_skipped));
        }
        if !self.invalidated.is_empty() {
            let what = if self.dry_run { "would invalidate" } else { "invalidated" };
            s.push_str(&format!(", {what} {} CloudFront paths", self.invalidated.len()));
            if let Some(id) = &self.invalidation_id {
                s.push_str(&format!(" ({id})"));
            }
        }
        let purge = if self.dry_run { "would purge" } else { "purged" };
        if self.purged_everything {
            s.push_str(&format!(", {purge} the whole Cloudflare zone"));
        } else if !self.purged.is_empty() {
            s.push_str(&format!(", {purge} {} Cloudflare URLs", self.purged.len()));
        }
        s.push_str(&format!(", in {:.1} s (deploy {})", self.seconds, self.deploy));
        s
    }
}

pub(crate) fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

pub fn run(req: Request, progress: &dyn Progress) -> Result<Summary, PublishError> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| PublishError::Runtime(e.to_string()))?;
    rt.block_on(publish(req, progress))
}

async fn read_records(c: &aws_sdk_s3::Client, t: &Target, remote: &BTreeMap<String, u64>) -> Result<Vec<Record>, PublishError> {
    let mut out = Vec::new();
    for key in remote.keys().filter(|k| k.starts_with(record::DEPLOYS) && k.ends_with(".json")) {
        let bytes = s3::get_bytes(c, t, key).await?;
        let r: Record = serde_json::from_slice(&bytes).map_err(|e| PublishError::DamagedRecord { key: key.clone(), message: e.to_string() })?;
        out.push(r);
    }
    out.sort_by(|a, b| (a.seq, &a.id).cmp(&(b.seq, &b.id)));
    Ok(out)
}

/// The sequence number of the next record.
pub(crate) fn next_seq(records: &[Record]) -> u64 {
    records.iter().map(|r| r.seq).max().map_or(1, |s| s + 1)
}

async fn publish(req: Request, progress: &dyn Progress) -> Result<Summary, PublishError> {
    let started = Instant::now();
    let t = &req.target;
    let local = if req.rollback.is_none() { local::objects(&req.dir, &req.manifest_name, &req.options, &req.compress, &req.secrets)? } else { Vec::new() };
    let client = s3::client(t).await;
    let remote: BTreeMap<String, u64> = s3::list(&client, t).await?.into_iter().collect();
    let records = read_records(&client, t, &remote).await?;
    let mut summary = Summary { bucket: t.bucket.clone(), prefix: t.prefix.clone(), dry_run: req.dry_run, ..Default::default() };

    if let Some(which) = &req.rollback {
        return rollback::run(&client, &req, &remote, &records, which.as_deref(), summary, started, progress).await;
    }

    let plan = plan::Plan::make(&client, t, &local, &remote, &records).await?;
    summary.unchanged = plan.unchanged;
    summary.deploy = plan.record.id.clone();
    let retention = retention::Retention::decide(&records, &plan.record, &remote, req.options.retain, req.options.keep_days, now());
    let mut deletions = retention.deletions;
    for o in &plan.uploads {
        summary.uploads.entry(o.phase.name().to_owned()).or_default().push(o.rel.clone());
        summary.uploaded += 1;
        summary.uploaded_bytes += o.size;
    }
    if deletions.len() > req.options.max_deletes {
        summary.deletions_skipped = deletions.len();
        deletions.clear();
    }
    let changed_unhashed: Vec<String> = plan.uploads.iter().filter(|o| !o.hashed).map(|o| o.rel.clone()).collect();
    plan_cdns(&req, &changed_unhashed, &mut summary);
    if !records.is_empty() {
        let uploads: std::collections::BTreeSet<&str> = plan.uploads.iter().map(|o| o.rel.as_str()).collect();
        summary.returning = returning::measure(&req.dir, &req.manifest_name, &remote, &uploads);
    }
    if req.dry_run {
        summary.deleted = deletions;
        summary.seconds = started.elapsed().as_secs_f64();
        return Ok(summary);
    }

    order::upload(&client, t, &req.options, &plan.uploads, progress).await?;
    // Archive the unhashed objects (server-side copies), then make the deploy official.
    for (o, blob) in &plan.blobs {
        s3::copy(&client, t, &o.rel, blob, &o.headers, &o.hash).await?;
    }
    let json = serde_json::to_vec_pretty(&plan.record).expect("records serialize");
    s3::put_bytes(&client, t, &Record::key(&plan.record.id), json, "application/json").await?;

    if !deletions.is_empty() {
        progress.phase("delete", deletions.len(), 0);
        s3::delete(&client, t, &deletions).await?;
    }
    if summary.deletions_skipped == 0 && !retention.dropped_records.is_empty() {
        s3::delete(&client, t, &retention.dropped_records).await?;
    }
    summary.deleted = deletions;
    refresh_cdns(&req, &plan.record.id, &mut summary).await?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// What the CDNs in front of the bucket are told about the changed unhashed keys (hashed
/// names never need it): CloudFront paths to invalidate, Cloudflare URLs to purge.
fn plan_cdns(req: &Request, changed_unhashed: &[String], summary: &mut Summary) {
    if changed_unhashed.is_empty() {
        return;
    }
    if req.options.cloudfront_distribution.is_some() {
        summary.invalidated = invalidate::paths(changed_unhashed);
    }
    if let Some(cf) = &req.options.cloudflare {
        match purge::scope(&cf.site_url, &invalidate::viewer_paths(changed_unhashed)) {
            purge::Scope::Urls(urls) => summary.purged = urls,
            purge::Scope::Everything => summary.purged_everything = true,
        }
    }
}

/// Sends what [`plan_cdns`] decided, once the deploy is live. `reference` names the deploy.
async fn refresh_cdns(req: &Request, reference: &str, summary: &mut Summary) -> Result<(), PublishError> {
    if let (Some(dist), false) = (&req.options.cloudfront_distribution, summary.invalidated.is_empty()) {
        let id = invalidate::send(dist, &summary.invalidated, reference, req.target.profile.as_deref()).await?;
        summary.invalidation_id = Some(id);
    }
    if let Some(cf) = &req.options.cloudflare {
        let scope = if summary.purged_everything { purge::Scope::Everything } else { purge::Scope::Urls(summary.purged.clone()) };
        if summary.purged_everything || !summary.purged.is_empty() {
            let token = req.cloudflare_token.as_deref().expect("Request::new requires the token unless dry-run");
            summary.purge_ids = purge::send(&cf.zone, token, req.cloudflare_api.as_deref(), &scope).await?;
        }
    }
    Ok(())
}
