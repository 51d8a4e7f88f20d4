//! Budgets: checking a build's report against `budgets.toml`, and saying what a check found
//! (byte budgets and lab rules alike).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::budget::{self, output, Check, Status};
use crate::config::Config;
use crate::diagnostics::{BuildError, Diagnostic};
use crate::environ::Env;
use crate::report::Report;

/// Whether a check passed (exit code 0) or failed (exit code 1). Errors are not verdicts: they
/// are a [`BuildError`] (exit code 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    Failed,
}

impl Verdict {
    /// A check's verdict: a failed rule fails it; with `strict`, a warning does too.
    pub fn of(check: &Check, strict: bool) -> Verdict {
        match check.worst() {
            Status::Fail => Verdict::Failed,
            Status::Warn if strict => Verdict::Failed,
            _ => Verdict::Passed,
        }
    }

    /// Both passed.
    pub fn and(self, other: Verdict) -> Verdict {
        if self == Verdict::Passed {
            other
        } else {
            self
        }
    }
}

/// Which budgets a check uses.
#[derive(Debug, Clone, Default)]
pub struct BudgetOptions {
    /// The budgets file (`--budgets`); else `budgets.toml` in the project root or a folder
    /// above it, up to the working folder.
    pub file: Option<PathBuf>,
    /// A report saved earlier (`kiln build --json`) to compare with, for `max_increase` rules.
    pub baseline: Option<PathBuf>,
    /// No budgets file is an error (`kiln check`), not a check skipped (`kiln build`).
    pub required: bool,
}

/// The budgets file `options` name or find, from the project at `root`; `None` when there
/// is none (and none is required).
pub(crate) fn budgets_file(root: &Path, options: &BudgetOptions, process: &Env) -> Result<Option<(PathBuf, String)>, BuildError> {
    let cwd = &process.cwd;
    let Some(file) = budget::find(root, options.file.as_deref(), cwd) else {
        if options.required {
            let d = Diagnostic::error("no budgets.toml found")
                .with_note("write one beside kiln.toml, or pass --budgets FILE")
                .of_kind(crate::diagnostics::Kind::Config);
            return Err(BuildError::one(d));
        }
        return Ok(None);
    };
    let shown = file.strip_prefix(cwd).unwrap_or(&file).display().to_string();
    Ok(Some((file, shown)))
}

/// A budgets file, read and checked once: its byte budgets and its `[[lab]]` rules, for a
/// command that checks both (`kiln build --lab`).
#[derive(Debug, Clone)]
pub struct Budgets {
    rules: crate::budgets_file::BudgetsFile,
}

impl Budgets {
    /// The budgets file `options` name or find from the project at `root` (see
    /// [`BudgetOptions::file`]), read and checked; `None` when there is none and none is
    /// required.
    pub fn load(root: &Path, options: &BudgetOptions, process: &Env) -> Result<Option<Budgets>, BuildError> {
        let Some((file, shown)) = budgets_file(root, options, process)? else { return Ok(None) };
        Ok(Some(Budgets { rules: crate::budgets_file::load(&file, &shown)? }))
    }

    /// The byte budgets checked against `report` (`baseline`: a report saved earlier, for
    /// `max_increase` rules).
    pub fn check(&self, report: &Report, baseline: Option<&Path>) -> Result<Check, BuildError> {
        let baseline = baseline.map(budget::read_baseline).transpose()?;
        Ok(budget::check(&self.rules.budget, report, baseline.as_ref()))
    }

    #[cfg(feature = "lab")]
    pub(crate) fn lab_rules(&self) -> &[crate::lab::gate::Rule] {
        &self.rules.lab
    }
}

/// The byte budgets of the project's budgets file checked against `report`; `None` without a
/// budgets file.
pub fn check_budgets(config: &Config, report: &Report, options: &BudgetOptions) -> Result<Option<Check>, BuildError> {
    let Some(budgets) = Budgets::load(&config.root, options, &config.process)? else { return Ok(None) };
    budgets.check(report, options.baseline.as_deref()).map(Some)
}

/// How a check is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CheckFormat {
    /// One line per rule, then a count.
    #[default]
    Table,
    /// The check as JSON.
    Json,
}

/// Where and how [`report_check`] says what a check found.
#[derive(Debug, Clone, Default)]
pub struct CheckOutput {
    pub format: CheckFormat,
    /// No table (JSON, JUnit and GitHub's annotations are still written).
    pub quiet: bool,
    /// A warning fails the check too.
    pub strict: bool,
    /// Also write JUnit XML here.
    pub junit: Option<PathBuf>,
    /// A table even for a check of no rule (byte budgets show their count line).
    pub show_empty: bool,
}

/// Writes a check to `out` as a table or JSON, as JUnit XML to its file, and, in a GitHub
/// Actions job (`GITHUB_ACTIONS=true` in `process`), as annotations and a job summary (a
/// problem writing it goes to `err`); the check's verdict.
pub fn report_check(check: &Check, how: &CheckOutput, process: &Env, out: &mut dyn Write, err: &mut dyn Write) -> Result<Verdict, BuildError> {
    let text = match how.format {
        CheckFormat::Table if how.quiet || (!how.show_empty && check.outcomes.is_empty()) => String::new(),
        CheckFormat::Table => output::table(check),
        CheckFormat::Json => output::json(check),
    };
    let _ = out.write_all(text.as_bytes());
    if let Some(problem) = output::github(check, process, out) {
        let _ = writeln!(err, "kiln: {problem}");
    }
    if let Some(junit) = &how.junit {
        std::fs::write(junit, output::junit(check)).map_err(|e| BuildError::io(junit, &e, "write the JUnit report"))?;
    }
    Ok(Verdict::of(check, how.strict))
}
