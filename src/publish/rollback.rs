//! `kiln publish --rollback`: an earlier retained deploy made live again, its unhashed objects
//! copied back from their archived copies (its hashed ones are still there: retention keeps
//! what any retained deploy references).

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use super::error::PublishError;
use super::record::{self, blob_key, Record, RecordObject};
use super::s3;
use super::{next_seq, now, plan_cdns, refresh_cdns, Progress, Request, Summary};

#[allow(clippy::too_many_arguments)]
pub async fn run(
    client: &aws_sdk_s3::Client,
    req: &Request,
    remote: &BTreeMap<String, u64>,
    records: &[Record],
    which: Option<&str>,
    mut summary: Summary,
    started: Instant,
    progress: &dyn Progress,
) -> Result<Summary, PublishError> {
    let t = &req.target;
    let live = records.last().ok_or_else(|| PublishError::Rollback("nothing to roll back: the prefix has no deploy record (publish first)".into()))?;
    let target = match which {
        Some(id) => records.iter().find(|r| r.id == id).ok_or_else(|| {
            PublishError::Rollback(format!("no retained deploy {id:?}; retained: {}", records.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", ")))
        })?,
        None => records
            .iter()
            .rev()
            .find(|r| r.objects != live.objects)
            .ok_or_else(|| PublishError::Rollback("nothing to roll back to: no retained deploy differs from the live one".into()))?,
    };
    // Everything the old deploy needs must still be there.
    let missing: Vec<String> = target.references().filter(|k| !remote.contains_key(k)).collect();
    if !missing.is_empty() {
        return Err(PublishError::Rollback(format!(
            "deploy {} can no longer be restored: {} of its objects are gone (first: {})",
            target.id,
            missing.len(),
            missing[0]
        )));
    }
    summary.rollback_to = Some(target.id.clone());
    let mut changed: Vec<(&String, &RecordObject)> =
        target.objects.iter().filter(|(k, o)| !o.hashed && live.objects.get(*k).map(|l| &l.hash) != Some(&o.hash)).collect();
    changed.sort_by_key(|(k, o)| (o.phase, (*k).clone()));
    let same: HashMap<&String, bool> = target.objects.iter().map(|(k, o)| (k, live.objects.get(k).map(|l| &l.hash) == Some(&o.hash))).collect();
    summary.unchanged = same.values().filter(|s| **s).count();
    for (k, o) in &changed {
        summary.uploads.entry(o.phase.name().to_owned()).or_default().push((*k).clone());
        summary.uploaded += 1;
        summary.uploaded_bytes += o.size;
    }
    let id = format!("{}-{}", record::utc_stamp(now()), &blake3::hash(target.id.as_bytes()).to_hex()[..8]);
    summary.deploy = id.clone();
    plan_cdns(req, &changed.iter().map(|(k, _)| (*k).clone()).collect::<Vec<_>>(), &mut summary);
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
    refresh_cdns(req, &new.id, &mut summary).await?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}
