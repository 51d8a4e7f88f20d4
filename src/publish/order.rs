//! The upload order: hashed assets, other files, pages, then the manifest, each phase finished
//! before the next starts, so no visitor is sent a page that points at an object not there yet.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::error::PublishError;
use super::local::{LocalObject, Phase};
use super::s3::{self, Target};
use super::Progress;
use crate::config::PublishOptions;

/// Uploads `uploads` phase by phase.
pub async fn upload(
    client: &aws_sdk_s3::Client,
    t: &Target,
    options: &PublishOptions,
    uploads: &[&LocalObject],
    progress: &dyn Progress,
) -> Result<(), PublishError> {
    for phase in [Phase::Assets, Phase::Other, Phase::Pages, Phase::Manifest] {
        let batch: Vec<&LocalObject> = uploads.iter().copied().filter(|o| o.phase == phase).collect();
        if batch.is_empty() {
            continue;
        }
        progress.phase(phase.name(), batch.len(), batch.iter().map(|o| o.size).sum());
        run_batch(client, t, options, batch, progress).await?;
    }
    Ok(())
}

/// Uploads `batch` with at most `concurrency` requests in flight; the first error stops it.
async fn run_batch(
    client: &aws_sdk_s3::Client,
    t: &Target,
    options: &PublishOptions,
    batch: Vec<&LocalObject>,
    progress: &dyn Progress,
) -> Result<(), PublishError> {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(options.concurrency));
    let mut set = tokio::task::JoinSet::new();
    let done = Arc::new(AtomicU64::new(0));
    for o in batch {
        let (client, t, o, sem) = (client.clone(), t.clone(), o.clone(), semaphore.clone());
        let threshold = options.multipart_threshold;
        let done = done.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await.map_err(|e| PublishError::Runtime(e.to_string()))?;
            s3::put(&client, &t, &o.rel, &o.source, o.size, &o.headers, &o.hash, threshold).await?;
            done.fetch_add(o.size, Ordering::Relaxed);
            Ok::<u64, PublishError>(o.size)
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
            Err(e) => first_error = first_error.or(Some(PublishError::Runtime(e.to_string()))),
        }
    }
    first_error.map_or(Ok(()), Err)
}
