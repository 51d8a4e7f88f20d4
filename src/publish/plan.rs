//! What a publish changes: which objects go up (new, or changed by content or headers) and
//! which are already live, the deploy record of the result, and the archived copies of
//! unhashed objects still to make.

use std::collections::BTreeMap;

use super::error::PublishError;
use super::local::LocalObject;
use super::record::{self, blob_key, Record, RecordObject};
use super::s3::{self, Target};
use super::{next_seq, now};

pub struct Plan<'a> {
    /// Objects to upload, in key order.
    pub uploads: Vec<&'a LocalObject>,
    /// How many objects are live already.
    pub unchanged: usize,
    /// The record of the deploy this publish makes live.
    pub record: Record,
    /// Unhashed objects with no archived copy yet, and the key of that copy (one per content).
    pub blobs: Vec<(&'a LocalObject, String)>,
}

impl<'a> Plan<'a> {
    /// Compares `local` with what the prefix holds (`remote`: key → size) and the newest deploy
    /// record. A hashed name present with the same size is the same content; an unhashed key is
    /// compared by kiln's hash, from the record or, failing that, the object's metadata.
    pub async fn make(
        client: &aws_sdk_s3::Client,
        t: &Target,
        local: &'a [LocalObject],
        remote: &BTreeMap<String, u64>,
        records: &[Record],
    ) -> Result<Plan<'a>, PublishError> {
        let latest = records.last();
        let mut uploads = Vec::new();
        let mut unchanged = 0;
        for o in local {
            let same_size = remote.get(&o.rel) == Some(&o.size);
            let same = same_size
                && (o.hashed
                    || match latest.and_then(|r| r.objects.get(&o.rel)) {
                        Some(r) => r.hash == o.hash,
                        None => s3::head_hash(client, t, &o.rel).await?.as_deref() == Some(o.hash.as_str()),
                    });
            if same {
                unchanged += 1;
            } else {
                uploads.push(o);
            }
        }
        Ok(Plan { uploads, unchanged, record: new_record(local, records), blobs: blobs(local, remote) })
    }
}

/// The record of a deploy of `local`: named by the time and a digest of its objects.
fn new_record(local: &[LocalObject], records: &[Record]) -> Record {
    let objects: BTreeMap<String, RecordObject> = local
        .iter()
        .map(|o| (o.rel.clone(), RecordObject { hash: o.hash.clone(), size: o.size, hashed: o.hashed, phase: o.phase, headers: o.headers.clone() }))
        .collect();
    let created = now();
    let digest = blake3::hash(serde_json::to_string(&objects).expect("records serialize").as_bytes()).to_hex();
    Record { id: format!("{}-{}", record::utc_stamp(created), &digest[..8]), created, seq: next_seq(records), rollback_of: None, objects }
}

/// Archived copies of unhashed objects not archived yet, one per content.
fn blobs<'a>(local: &'a [LocalObject], remote: &BTreeMap<String, u64>) -> Vec<(&'a LocalObject, String)> {
    let mut out: Vec<(&LocalObject, String)> = Vec::new();
    for o in local.iter().filter(|o| !o.hashed) {
        let blob = blob_key(&o.hash);
        if !remote.contains_key(&blob) && !out.iter().any(|(_, b)| *b == blob) {
            out.push((o, blob));
        }
    }
    out
}
