//! What a visitor who loaded the live deploy downloads to load each page of the one being
//! published: nothing for a file the bucket already holds as it is, for a changed file its
//! smallest delta against a version the bucket holds (the visitor's dictionary), else its twin.
//! The same measure as a build's (`pages[].returning`), against the bucket instead of the
//! previous output.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use crate::output::Returning;

/// Per page (source path): its figures, given the keys the bucket held before (`live`) and the
/// keys this publish uploads.
pub fn measure(dir: &Path, manifest_name: &str, live: &BTreeMap<String, u64>, uploads: &BTreeSet<&str>) -> BTreeMap<String, Returning> {
    let Ok(report) = crate::report::Report::from_output(dir, manifest_name) else { return BTreeMap::new() };
    let index = crate::output::served_index(dir, manifest_name);
    let files: HashMap<&str, &crate::report::FileReport> = report.files.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut out = BTreeMap::new();
    for page in &report.pages {
        let mut r = Returning::default();
        for path in &page.initial {
            let Some(f) = files.get(path.as_str()) else { continue };
            // Neither the file nor a twin goes up: the visitor has it (or revalidates it).
            let changed = [path.clone(), format!("{path}.br"), format!("{path}.gz")].iter().any(|k| uploads.contains(k.as_str()));
            if !changed {
                continue;
            }
            let delta = index.deltas.get(path).into_iter().flatten().filter(|d| live.contains_key(&d.from)).map(|d| d.size).min();
            r.add_changed(f.brotli.or(f.gzip).unwrap_or(f.size), delta);
        }
        out.insert(page.page.clone(), r);
    }
    out
}
