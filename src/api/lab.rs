//! The lab: a built site's pages loaded in Chromium, measured, and checked against the
//! `[[lab]]` rules of the budgets file.

use std::path::{Path, PathBuf};

use super::check::Budgets;
use crate::budget::Check;
use crate::diagnostics::{BuildError, Diagnostic};
use crate::environ::Env;
use crate::lab::profile::Profile;
use crate::lab::LabReport;

/// What to measure, and how.
#[derive(Debug, Clone)]
pub struct LabRequest {
    /// The output folder to serve.
    pub dir: PathBuf,
    /// The manifest's name in it (see [`crate::Config::manifest_file`]).
    pub manifest: String,
    /// Only the pages this glob matches (paths under `dir`).
    pub pages: Option<String>,
    /// Loads per page (the median is reported).
    pub runs: u32,
    /// The network and CPU a load is throttled to.
    pub profile: Profile,
    /// Loads in flight at once (`None`: [`default_lab_concurrency`]).
    pub concurrency: Option<u32>,
    /// Frames of each page's load kept for the analysis page.
    pub filmstrip: bool,
    /// The budgets file holding the `[[lab]]` rules ([`Budgets::load`]; without one, a page's
    /// uncaught exception, console error or failed request still fails the check).
    pub budgets: Option<Budgets>,
    /// A lab report (`kiln lab --json`) to compare with.
    pub baseline: Option<PathBuf>,
}

/// Loads in flight at once unless asked: one per core, at most two (more skews timings).
pub fn default_lab_concurrency() -> usize {
    crate::lab::default_concurrency()
}

/// Measures the pages of `request.dir` and checks them; `progress` hears of each load (page,
/// run).
pub fn lab(process: &Env, request: &LabRequest, progress: &(dyn Fn(&str, usize) + Sync)) -> Result<(LabReport, Check), BuildError> {
    let pages = match request.pages.as_deref().map(|g| globset::Glob::new(g.trim_start_matches("./"))).transpose() {
        Ok(g) => g.map(|g| g.compile_matcher()),
        Err(e) => return Err(BuildError::one(Diagnostic::error(format!("--pages: invalid glob: {}", e.kind())))),
    };
    let rules = request.budgets.as_ref().map_or(&[][..], Budgets::lab_rules);
    let baseline = match request.baseline.as_deref() {
        None => None,
        Some(p) => Some(read_lab_baseline(p)?),
    };
    let options = crate::lab::LabOptions {
        dir: request.dir.clone(),
        manifest_name: request.manifest.clone(),
        pages,
        runs: request.runs as usize,
        profile: request.profile,
        jobs: request.concurrency.map_or_else(crate::lab::default_concurrency, |n| n as usize),
        filmstrip: request.filmstrip,
        process: process.clone(),
    };
    let report = crate::lab::run(&options, progress).map_err(|e| BuildError::one(Diagnostic::error(e.to_string())))?;
    let check = crate::lab::gate::check(rules, &report, baseline.as_ref());
    Ok((report, check))
}

fn read_lab_baseline(path: &Path) -> Result<LabReport, BuildError> {
    let read = std::fs::read(path).map_err(|e| e.to_string()).and_then(|b| serde_json::from_slice::<LabReport>(&b).map_err(|e| e.to_string()));
    read.map_err(|e| {
        let d = Diagnostic::error(format!("cannot read the lab baseline (the JSON of an earlier `kiln lab --json`): {e}")).in_file(path.display().to_string());
        BuildError::one(d)
    })
}
