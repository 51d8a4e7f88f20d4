//! The library's commands: what `kiln build`, `check`, `lab` and `publish` do, as calls that
//! take typed options and return typed results. The CLI parses flags into these, prints what
//! they return, and maps a [`Verdict`] or an error to an exit code; a program calling kiln
//! does the same without it.

mod check;
#[cfg(feature = "lab")]
mod lab;
#[cfg(feature = "publish")]
mod publish;

use std::path::{Path, PathBuf};

pub use check::{check_budgets, report_check, BudgetOptions, Budgets, CheckFormat, CheckOutput, Verdict};
#[cfg(feature = "lab")]
pub use lab::{default_lab_concurrency, lab, LabRequest};
#[cfg(feature = "publish")]
pub use publish::{publish, PublishOverrides, PublishProgress, PublishSummary};

pub use crate::edge::{Edge, EdgeCode};

use crate::budget::Check;
use crate::config::Config;
use crate::diagnostics::{BuildError, Diagnostic};
use crate::lab::LabReport;
use crate::report::Report;

/// The edge code (`kiln edge`) that serves the output folder `dir` (else the config's
/// `out_dir`) from a CDN as `kiln serve` does: its deltas, twins and dictionary headers. Only the
/// CloudFront viewer request function depends on the output (its table of deltas).
pub fn edge_code(config: &Config, dir: Option<&Path>, edge: Edge) -> Result<EdgeCode, BuildError> {
    let dir = dir.map_or_else(|| config.out_dir.clone(), Path::to_path_buf);
    let index = match edge {
        Edge::CloudfrontRequest => {
            if !dir.join(config.manifest_file()).is_file() {
                let d = Diagnostic::error(format!(
                    "no {} here: the CloudFront function lists the deltas of a built output (run `kiln build` first)",
                    config.manifest_file()
                ))
                .in_file(dir.display().to_string())
                .of_kind(crate::diagnostics::Kind::Io);
                return Err(BuildError::one(d));
            }
            crate::output::served_index(&dir, config.manifest_file())
        }
        _ => crate::output::ServedIndex::default(),
    };
    Ok(crate::edge::code(edge, &index, &config.base))
}

/// An output folder built earlier (`kiln check`, `kiln lab --analyze`): `dir`, else the
/// config's `out_dir`, and its report read back from the files and the manifest.
pub fn read_output(config: &Config, dir: Option<&Path>) -> Result<(PathBuf, Report), BuildError> {
    let dir = dir.map_or_else(|| config.out_dir.clone(), Path::to_path_buf);
    if !dir.is_dir() {
        let d = Diagnostic::error("nothing to check: the folder does not exist (run `kiln build` first)")
            .in_file(dir.display().to_string())
            .of_kind(crate::diagnostics::Kind::Io);
        return Err(BuildError::one(d));
    }
    let report = Report::from_output(&dir, config.manifest_file()).map_err(|e| BuildError::io(&dir, &e, "read the output"))?;
    Ok((dir, report))
}

/// The bundle analysis: `report.html` (treemap, budgets, lab) and `meta.json` (esbuild's
/// metafile format) in `dir`; the page's path.
pub fn write_analysis(dir: &Path, report: &Report, check: Option<&Check>, lab: Option<&LabReport>) -> Result<PathBuf, BuildError> {
    let page = dir.join("report.html");
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&page, crate::analysis::report_html(report, check, lab)))
        .and_then(|()| std::fs::write(dir.join("meta.json"), crate::analysis::meta_json(report)))
        .map_err(|e| BuildError::io(dir, &e, "write the analysis"))?;
    Ok(page)
}
