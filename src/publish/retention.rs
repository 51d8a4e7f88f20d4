//! Retention: a publish keeps the newest `publish.retain` *distinct* deploys (the new one
//! included; re-publishing an unchanged build is the same deploy, so it never pushes an older
//! one out) and deletes what only older deploys reference, so a visitor still on a retained
//! deploy's pages never meets a missing file. With `publish.keep_days`, a deploy also stays
//! until that many days have passed since a newer deploy replaced it.

use std::collections::{BTreeMap, BTreeSet};

use super::record::{self, Record, RecordObject};

pub struct Retention {
    /// Objects no retained deploy references, in key order (deploy records excluded).
    pub deletions: Vec<String>,
    /// The records of the deploys that fall out of retention.
    pub dropped_records: Vec<String>,
}

/// A deploy record and its place among the prefix's records.
type Numbered<'a> = (usize, &'a Record);

impl Retention {
    /// `records`: the deploys of the prefix, oldest first; `new`: the deploy being made;
    /// `remote`: the keys the prefix holds; `retain` and `keep_days` as in `[publish]`; `now`:
    /// seconds since the Unix epoch.
    pub fn decide(records: &[Record], new: &Record, remote: &BTreeMap<String, u64>, retain: usize, keep_days: u64, now: u64) -> Retention {
        let keep = retained(records, new, retain, keep_days, now);
        let (retained, dropped): (Vec<Numbered>, Vec<Numbered>) = records.iter().enumerate().partition(|(i, _)| keep[*i]);
        let mut referenced: BTreeSet<String> = new.references().collect();
        for (_, r) in &retained {
            referenced.extend(r.references());
        }
        let deletions: BTreeSet<String> = dropped
            .iter()
            .flat_map(|(_, r)| r.references())
            .filter(|k| !referenced.contains(k) && remote.contains_key(k) && !k.starts_with(record::DEPLOYS))
            .collect();
        // A record with the new one's id (the same objects, published within the same second)
        // is being overwritten by it, not dropped.
        let dropped_records = dropped.iter().filter(|(_, r)| r.id != new.id).map(|(_, r)| Record::key(&r.id)).collect();
        Retention { deletions: deletions.into_iter().collect(), dropped_records }
    }
}

/// Per record (oldest first): whether it stays. Going from the newest, a record stays while
/// fewer than `retain` distinct deploys are kept, or while the deploy that replaced it is
/// younger than `keep_days`; one with the same objects as a newer kept record is dropped (its
/// objects stay through that record).
fn retained(records: &[Record], new: &Record, retain: usize, keep_days: u64, now: u64) -> Vec<bool> {
    let mut kept: Vec<&BTreeMap<String, RecordObject>> = vec![&new.objects];
    let mut keep = vec![false; records.len()];
    // When the deploy being looked at stopped being live: when the next newer distinct one was made.
    let mut replaced_at = new.created;
    let (mut newer_objects, mut newer_created) = (&new.objects, new.created);
    for (i, r) in records.iter().enumerate().rev() {
        if r.objects != *newer_objects {
            replaced_at = newer_created;
        }
        let young = now.saturating_sub(replaced_at) < keep_days.saturating_mul(86_400);
        // A record of the same objects as a newer kept one is that deploy again: its objects
        // stay through the newer record, and the record itself goes.
        keep[i] = if kept.contains(&&r.objects) {
            false
        } else if kept.len() < retain || young {
            kept.push(&r.objects);
            true
        } else {
            false
        };
        (newer_objects, newer_created) = (&r.objects, r.created);
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, created: u64, content: &str) -> Record {
        let mut objects = BTreeMap::new();
        let headers =
            crate::publish::local::Headers { content_type: "text/html".into(), content_encoding: None, cache_control: String::new(), extra: Vec::new() };
        objects.insert(
            format!("{content}.js"),
            RecordObject { hash: content.into(), size: 1, hashed: true, phase: crate::publish::local::Phase::Assets, headers },
        );
        Record { id: id.into(), created, seq: 0, rollback_of: None, objects }
    }

    #[test]
    fn republishing_an_unchanged_build_keeps_the_previous_deploy() {
        // a, then b three times (the last one being made now): b is one deploy, so a stays with
        // retain = 2, and the older records of b are dropped as copies of the new one.
        let records = [record("1", 10, "a"), record("2", 20, "b"), record("3", 30, "b")];
        let new = record("4", 40, "b");
        assert_eq!(retained(&records, &new, 2, 0, 40), [true, false, false]);
        // A third distinct deploy pushes a out.
        let new = record("4", 40, "c");
        assert_eq!(retained(&records, &new, 2, 0, 40), [false, false, true]);
    }

    #[test]
    fn a_record_the_new_one_overwrites_is_not_deleted() {
        // Published twice within a second: the same id, so the new record replaces the old.
        let records = [record("1", 10, "a"), record("2", 20, "b")];
        let new = record("2", 20, "b");
        let remote = BTreeMap::new();
        let r = Retention::decide(&records, &new, &remote, 2, 0, 20);
        assert!(r.dropped_records.is_empty(), "{:?}", r.dropped_records);
    }

    #[test]
    fn keep_days_holds_a_replaced_deploy() {
        let day = 86_400;
        let records = [record("1", 0, "a"), record("2", 10 * day, "b")];
        let new = record("3", 11 * day, "c");
        // a was replaced on day 10 and b on day 11: with keep_days = 3 both stay on day 11.
        assert_eq!(retained(&records, &new, 1, 3, 11 * day), [true, true]);
        // b was replaced on day 11: on day 13 it stays, a (replaced on day 10) goes.
        assert_eq!(retained(&records, &new, 1, 3, 13 * day), [false, true]);
        assert_eq!(retained(&records, &new, 1, 0, 11 * day), [false, false]);
    }
}
