//! Deploy records: each publish stores, under `_kiln/deploys/`, every object it made live with
//! its hash, size and headers. Retention and rollback read them; the pages and other unhashed
//! files of a deploy are archived under `_kiln/blobs/<hash>` so a rollback can copy them back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::local::{Headers, Phase};

pub const DEPLOYS: &str = "_kiln/deploys/";
pub const BLOBS: &str = "_kiln/blobs/";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecordObject {
    pub hash: String,
    pub size: u64,
    pub hashed: bool,
    pub phase: Phase,
    pub headers: Headers,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    /// Seconds since the Unix epoch.
    pub created: u64,
    /// One more than the newest record's when it was written: deploys are ordered by this, not
    /// by time (two publishes in the same second, or clocks of two CI runners that disagree,
    /// must not make retention take the previous deploy for an old one).
    #[serde(default)]
    pub seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_of: Option<String>,
    pub objects: BTreeMap<String, RecordObject>,
}

impl Record {
    pub fn key(id: &str) -> String {
        format!("{DEPLOYS}{id}.json")
    }

    /// Every key under the prefix this deploy needs: its objects, and the archived copies of
    /// its unhashed ones.
    pub fn references(&self) -> impl Iterator<Item = String> + '_ {
        self.objects.iter().flat_map(|(k, o)| {
            let blob = (!o.hashed).then(|| blob_key(&o.hash));
            std::iter::once(k.clone()).chain(blob)
        })
    }
}

pub fn blob_key(hash: &str) -> String {
    format!("{BLOBS}{hash}")
}

/// `20261122T041500Z`: sorts as time does.
pub fn utc_stamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(1_795_234_567), "20261121T041607Z");
        assert_eq!(utc_stamp(951_782_400), "20000229T000000Z");
    }
}
