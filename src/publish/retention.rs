//! Retention: a publish keeps the newest `publish.retain` deploys (the new one included) and
//! deletes what only older deploys reference, so a visitor still on a retained deploy's pages
//! never meets a missing file.

use std::collections::{BTreeMap, BTreeSet};

use super::record::{self, Record};
use crate::config::PublishOptions;

pub struct Retention {
    /// Objects no retained deploy references, in key order (deploy records excluded).
    pub deletions: Vec<String>,
    /// The records of the deploys that fall out of retention.
    pub dropped_records: Vec<String>,
}

impl Retention {
    /// `records`: the deploys of the prefix, oldest first; `new`: the deploy being made;
    /// `remote`: the keys the prefix holds.
    pub fn decide(records: &[Record], new: &Record, remote: &BTreeMap<String, u64>, options: &PublishOptions) -> Retention {
        let keep_old = options.retain.saturating_sub(1);
        let (dropped, retained) = records.split_at(records.len().saturating_sub(keep_old));
        let mut referenced: BTreeSet<String> = new.references().collect();
        for r in retained {
            referenced.extend(r.references());
        }
        let deletions: BTreeSet<String> = dropped
            .iter()
            .flat_map(|r| r.references())
            .filter(|k| !referenced.contains(k) && remote.contains_key(k) && !k.starts_with(record::DEPLOYS))
            .collect();
        Retention { deletions: deletions.into_iter().collect(), dropped_records: dropped.iter().map(|r| Record::key(&r.id)).collect() }
    }
}
