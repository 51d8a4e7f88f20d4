//! Returning-visitor bytes: for each page, what a visitor who loaded the previous output's
//! version of it downloads to load this one at start. A file the previous output had with the
//! same bytes at the same path costs nothing (it is cached; a page, revalidated); a changed
//! file costs its smallest delta against the version the previous output had, or, for a
//! visitor without delta support (or a file without such a delta), its twin. The visitor is
//! taken to hold every file of the previous output the page loads now; one the previous page
//! did not load would in truth cost its twin.

use std::collections::{BTreeMap, HashMap};

use crate::output::{Compressed, Origin, Returning};

/// Sets `returning` on each page of `files`, given the previous output's files (output path →
/// blake3 hash, from its manifest).
pub fn measure(files: &mut [Compressed], previous: &HashMap<String, String>) {
    let by_path: BTreeMap<&str, &crate::output::OutputFile> = files.iter().map(|c| (c.file.path.as_str(), &c.file)).collect();
    let index: HashMap<&str, &Compressed> = files.iter().map(|c| (c.file.path.as_str(), c)).collect();
    let figures: Vec<(usize, Returning)> = files
        .iter()
        .enumerate()
        .filter(|(_, c)| c.file.origin == Origin::Asset(crate::graph::AssetKind::Html))
        .map(|(i, c)| {
            let (initial, _) = crate::output::page_load(&c.file, &by_path);
            let mut r = Returning::default();
            for f in initial.iter().filter_map(|p| index.get(p.as_str())) {
                if previous.get(&f.file.path) == Some(&f.file.hash) {
                    continue;
                }
                let delta = f.deltas.iter().filter(|d| previous.contains_key(&d.from)).map(|d| d.bytes.len() as u64).min();
                r.add_changed(f.twin_size(), delta);
            }
            (i, r)
        })
        .collect();
    for (i, r) in figures {
        files[i].returning = Some(r);
    }
}
