//! `kiln publish`: ship a built output to an S3-compatible bucket.
//!
//! 1. [`local`]: the output's objects, with Cache-Control, Content-Type and encodings.
//! 2. List the prefix once; read the newest deploy record; compare by kiln's own hash (hashed
//!    names: present with the same size is enough), giving uploads, unchanged and deletions.
//! 3. Upload in phases — hashed assets, other files, pages, the manifest — each finishing
//!    before the next, so a page never points at a missing object; archive the unhashed files.
//! 4. Write the deploy record, then delete what no retained deploy references.

pub mod invalidate;
pub mod local;
pub mod record;
mod request;
pub mod s3;

pub use request::PublishOverrides;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::config::PublishOptions;
use local::{LocalObject, Phase};
use record::{blob_key, Record, RecordObject};
use s3::Target;

/// Told about progress: the CLI draws a bar with bytes per second.
pub trait Progress: Send + Sync {
    fn phase(&self, _phase: &str, _files: usize, _bytes: u64) {}
    fn uploaded(&self, _bytes: u64) {}
}

pub struct Silent;
impl Progress for Silent {}

pub struct Request {
    pub dir: PathBuf,
    pub manifest_name: String,
    pub target: Target,
    pub options: PublishOptions,
    /// Which types get twins (and how), for the twins made at publish time.
    pub compress: crate::config::CompressOptions,
    pub dry_run: bool,
    /// `Some(None)`: back to the deploy before the live one; `Some(Some(id))`: to that one.
    pub rollback: Option<Option<String>>,
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
            s.push_str(&format!(
                "; {} deletions NOT done: more than publish.max_deletes — check the prefix, then raise max_deletes",
                self.deletions_skipped
            ));
        }
        if !self.invalidated.is_empty() {
            let what = if self.dry_run { "would invalidate" } else { "invalidated" };
            s.push_str(&format!(", {what} {} CloudFront paths", self.invalidated.len()));
            if let Some(id) = &self.invalidation_id {
                s.push_str(&format!(" ({id})"));
            }
        }
        s.push_str(&format!(", in {:.1} s (deploy {})", self.seconds, self.deploy));
        s
    }
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

pub fn run(req: Request, progress: &dyn Progress) -> Result<Summary, String> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(publish(req, progress))
}

async fn read_records(c: &aws_sdk_s3::Client, t: &Target, remote: &BTreeMap<String, u64>) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    for key in remote.keys().filter(|k| k.starts_with(record::DEPLOYS) && k.ends_with(".json")) {
        let bytes = s3::get_bytes(c, t, key).await?;
        let r: Record = serde_json::from_slice(&bytes).map_err(|e| format!("the deploy record {key} is damaged: {e}"))?;
        out.push(r);
    }
    out.sort_by(|a, b| (a.seq, &a.id).cmp(&(b.seq, &b.id)));
    Ok(out)
}

/// The sequence number of the next record.
fn next_seq(records: &[Record]) -> u64 {
    records.iter().map(|r| r.seq).max().map_or(1, |s| s + 1)
}

async fn publish(req: Request, progress: &dyn Progress) -> Result<Summary, String> {
    let started = Instant::now();
    let t = &req.target;
    let local = if req.rollback.is_none() {
        local::objects(&req.dir, &req.manifest_name, &req.options, &req.compress).map_err(|e| format!("{}: {e}", req.dir.display()))?
    } else {
        Vec::new()
    };
    let client = s3::client(t).await;
    let remote: BTreeMap<String, u64> = s3::list(&client, t).await?.into_iter().collect();
    let records = read_records(&client, t, &remote).await?;
    let mut summary = Summary { bucket: t.bucket.clone(), prefix: t.prefix.clone(), dry_run: req.dry_run, ..Default::default() };

    if let Some(which) = &req.rollback {
        return rollback(&client, &req, &remote, &records, which.as_deref(), summary, started, progress).await;
    }

    // Compare.
    let latest = records.last();
    let mut uploads: Vec<&LocalObject> = Vec::new();
    for o in &local {
        let same_size = remote.get(&o.rel) == Some(&o.size);
        let unchanged = same_size
            && (o.hashed
                || match latest.and_then(|r| r.objects.get(&o.rel)) {
                    Some(r) => r.hash == o.hash,
                    None => s3::head_hash(&client, t, &o.rel).await?.as_deref() == Some(o.hash.as_str()),
                });
        if unchanged {
            summary.unchanged += 1;
        } else {
            uploads.push(o);
        }
    }
    let objects: BTreeMap<String, RecordObject> = local
        .iter()
        .map(|o| (o.rel.clone(), RecordObject { hash: o.hash.clone(), size: o.size, hashed: o.hashed, phase: o.phase, headers: o.headers.clone() }))
        .collect();
    let stamp = record::utc_stamp(now());
    let digest = blake3::hash(serde_json::to_string(&objects).expect("records serialize").as_bytes()).to_hex();
    let new = Record { id: format!("{stamp}-{}", &digest[..8]), created: now(), seq: next_seq(&records), rollback_of: None, objects };
    summary.deploy = new.id.clone();
    // Archived copies of unhashed objects not archived yet.
    let blobs: Vec<(&LocalObject, String)> = local
        .iter()
        .filter(|o| !o.hashed)
        .map(|o| (o, blob_key(&o.hash)))
        .filter(|(_, b)| !remote.contains_key(b))
        .fold(Vec::new(), |mut acc, (o, b)| {
            if !acc.iter().any(|(_, x): &(&LocalObject, String)| *x == b) {
                acc.push((o, b));
            }
            acc
        });
    // Deletions: what the deploys falling out of retention reference and no retained one does.
    let keep_old = req.options.retain.saturating_sub(1);
    let (dropped, retained) = records.split_at(records.len().saturating_sub(keep_old));
    let mut referenced: BTreeSet<String> = new.references().collect();
    for r in retained {
        referenced.extend(r.references());
    }
    let mut deletions: Vec<String> = dropped
        .iter()
        .flat_map(|r| r.references())
        .filter(|k| !referenced.contains(k) && remote.contains_key(k))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    deletions.retain(|k| !k.starts_with(record::DEPLOYS));

    for o in &uploads {
        summary.uploads.entry(format!("{:?}", o.phase).to_lowercase()).or_default().push(o.rel.clone());
        summary.uploaded += 1;
        summary.uploaded_bytes += o.size;
    }
    if deletions.len() > req.options.max_deletes {
        summary.deletions_skipped = deletions.len();
        deletions.clear();
    }
    let changed_unhashed: Vec<String> = uploads.iter().filter(|o| !o.hashed).map(|o| o.rel.clone()).collect();
    if req.options.cloudfront_distribution.is_some() && !changed_unhashed.is_empty() {
        summary.invalidated = invalidate::paths(&changed_unhashed);
    }
    if req.dry_run {
        summary.deleted = deletions;
        summary.seconds = started.elapsed().as_secs_f64();
        return Ok(summary);
    }

    // Upload, phase by phase.
    for phase in [Phase::Assets, Phase::Other, Phase::Pages, Phase::Manifest] {
        let batch: Vec<&LocalObject> = uploads.iter().copied().filter(|o| o.phase == phase).collect();
        if batch.is_empty() {
            continue;
        }
        progress.phase(&format!("{phase:?}").to_lowercase(), batch.len(), batch.iter().map(|o| o.size).sum());
        run_batch(&client, t, &req.options, batch, progress).await?;
    }
    // Archive the unhashed objects (server-side copies), then make the deploy official.
    for (o, blob) in &blobs {
        s3::copy(&client, t, &o.rel, blob, &o.headers, &o.hash).await?;
    }
    let json = serde_json::to_vec_pretty(&new).expect("records serialize");
    s3::put_bytes(&client, t, &Record::key(&new.id), json, "application/json").await?;

    if !deletions.is_empty() {
        progress.phase("delete", deletions.len(), 0);
        s3::delete(&client, t, &deletions).await?;
    }
    if summary.deletions_skipped == 0 {
        let old: Vec<String> = dropped.iter().map(|r| Record::key(&r.id)).collect();
        if !old.is_empty() {
            s3::delete(&client, t, &old).await?;
        }
    }
    summary.deleted = deletions;
    if let (Some(dist), false) = (&req.options.cloudfront_distribution, summary.invalidated.is_empty()) {
        let id = invalidate::send(dist, &summary.invalidated, &new.id, t.profile.as_deref()).await?;
        summary.invalidation_id = Some(id);
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Uploads `batch` with at most `concurrency` requests in flight; the first error stops it.
async fn run_batch(client: &aws_sdk_s3::Client, t: &Target, options: &PublishOptions, batch: Vec<&LocalObject>, progress: &dyn Progress) -> Result<(), String> {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(options.concurrency));
    let mut set = tokio::task::JoinSet::new();
    let done = Arc::new(AtomicU64::new(0));
    for o in batch {
        let (client, t, o, sem) = (client.clone(), t.clone(), o.clone(), semaphore.clone());
        let threshold = options.multipart_threshold;
        let done = done.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await.map_err(|e| e.to_string())?;
            s3::put(&client, &t, &o.rel, &o.source, o.size, &o.headers, &o.hash, threshold).await?;
            done.fetch_add(o.size, Ordering::Relaxed);
            Ok::<u64, String>(o.size)
        });
    }
    let mut first_error = None;
    while let Some(r) = set.join_next().await {
        match r {
            Ok(Ok(bytes)) => progress.uploaded(bytes),
            Ok(Err(e)) => {
                if first_error.is_none() {
                    first_error = Some(e);
                    set.abort_all();
                }
            }
            Err(e) if e.is_cancelled() => {}
            Err(e) => first_error = first_error.or(Some(e.to_string())),
        }
    }
    first_error.map_or(Ok(()), Err)
}

#[allow(clippy::too_many_arguments)]
async fn rollback(
    client: &aws_sdk_s3::Client,
    req: &Request,
    remote: &BTreeMap<String, u64>,
    records: &[Record],
    which: Option<&str>,
    mut summary: Summary,
    started: Instant,
    progress: &dyn Progress,
) -> Result<Summary, String> {
    let t = &req.target;
    let live = records.last().ok_or("nothing to roll back: the prefix has no deploy record (publish first)")?;
    let target = match which {
        Some(id) => records.iter().find(|r| r.id == id).ok_or_else(|| {
            format!("no retained deploy {id:?}; retained: {}", records.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", "))
        })?,
        None => records
            .iter()
            .rev()
            .find(|r| r.objects != live.objects)
            .ok_or("nothing to roll back to: no retained deploy differs from the live one")?,
    };
    // Everything the old deploy needs must still be there.
    let missing: Vec<String> = target.references().filter(|k| !remote.contains_key(k)).collect();
    if !missing.is_empty() {
        return Err(format!("deploy {} can no longer be restored: {} of its objects are gone (first: {})", target.id, missing.len(), missing[0]));
    }
    summary.rollback_to = Some(target.id.clone());
    let mut changed: Vec<(&String, &RecordObject)> =
        target.objects.iter().filter(|(k, o)| !o.hashed && live.objects.get(*k).map(|l| &l.hash) != Some(&o.hash)).collect();
    changed.sort_by_key(|(k, o)| (o.phase, (*k).clone()));
    let same: HashMap<&String, bool> = target.objects.iter().map(|(k, o)| (k, live.objects.get(k).map(|l| &l.hash) == Some(&o.hash))).collect();
    summary.unchanged = same.values().filter(|s| **s).count();
    for (k, o) in &changed {
        summary.uploads.entry(format!("{:?}", o.phase).to_lowercase()).or_default().push((*k).clone());
        summary.uploaded += 1;
        summary.uploaded_bytes += o.size;
    }
    let id = format!("{}-{}", record::utc_stamp(now()), &blake3::hash(target.id.as_bytes()).to_hex()[..8]);
    summary.deploy = id.clone();
    if req.dry_run {
        summary.seconds = started.elapsed().as_secs_f64();
        return Ok(summary);
    }
    progress.phase("rollback", changed.len(), summary.uploaded_bytes);
    for (k, o) in changed {
        s3::copy(client, t, &blob_key(&o.hash), k, &o.headers, &o.hash).await?;
        progress.uploaded(o.size);
    }
    let new = Record { id, created: now(), seq: next_seq(records), rollback_of: Some(target.id.clone()), objects: target.objects.clone() };
    s3::put_bytes(client, t, &Record::key(&new.id), serde_json::to_vec_pretty(&new).expect("records serialize"), "application/json").await?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}
