//! Budgets: check a build's report against `budgets.toml`, optionally against a baseline
//! report, and say what grew.
//!
//! kiln measures the very twins it ships, so a Brotli budget is the Brotli size a browser
//! downloads, not an estimate. Files are matched across builds by source path, which does not
//! change when a hash does.

pub mod output;
pub mod rules;

use std::collections::BTreeSet;

use serde::Serialize;

use crate::report::{FileReport, Report};
use crate::size::{self, Growth};
use rules::{Load, Measure, Rule, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

/// One checked subject: a rule applied to a file, a set of files, a page or a type.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub rule: String,
    pub subject: String,
    pub measure: Measure,
    pub value: u64,
    pub count: u64,
    /// The limit that decided the status (or the error limit when it passed).
    pub limit: Option<u64>,
    pub baseline: Option<u64>,
    pub delta: Option<i64>,
    pub status: Status,
    /// Why it warned or failed.
    pub reasons: Vec<String>,
    pub file: String,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Check {
    pub outcomes: Vec<Outcome>,
    /// Compared with the baseline: files that appeared and disappeared (source paths).
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl Check {
    pub fn worst(&self) -> Status {
        self.outcomes.iter().map(|o| o.status).max().unwrap_or(Status::Pass)
    }
}

fn measured(f: &FileReport, m: Measure) -> u64 {
    match m {
        // Lab measures never reach file budgets.
        Measure::Raw | Measure::Ms | Measure::Shift | Measure::Transfer | Measure::Count | Measure::Returning => f.size,
        Measure::Gzip => f.gzip.unwrap_or(f.size),
        Measure::Brotli => f.brotli.unwrap_or(f.size),
    }
}

/// A page rule's returning-visitor bytes in `report` (with deltas), if the report has them.
fn returning(rule: &Rule, report: &Report) -> Option<u64> {
    let Target::Page { page, .. } = &rule.target else { return None };
    report.pages.iter().find(|p| p.page == *page)?.returning.map(|r| r.deltas)
}

/// The key a file is matched by across builds.
fn key(f: &FileReport) -> &str {
    f.src.as_deref().unwrap_or(&f.path)
}

/// The files a rule's subject covers in `report`, by subject name.
fn subjects<'r>(rule: &Rule, report: &'r Report) -> Vec<(String, Vec<&'r FileReport>)> {
    match &rule.target {
        Target::Files { pattern, matcher, each } => {
            let files: Vec<&FileReport> =
                report.files.iter().filter(|f| matcher.is_match(&f.path) || f.src.as_deref().is_some_and(|s| matcher.is_match(s))).collect();
            if *each {
                files.into_iter().map(|f| (key(f).to_owned(), vec![f])).collect()
            } else {
                vec![(pattern.clone(), files)]
            }
        }
        Target::Page { page, load } => {
            let paths: Vec<&String> = report
                .pages
                .iter()
                .filter(|p| p.page == *page)
                .flat_map(|p| match load {
                    Load::Initial => p.initial.iter(),
                    Load::Lazy => p.lazy.iter(),
                })
                .collect();
            let files = report.files.iter().filter(|f| paths.contains(&&f.path)).collect();
            vec![(rule.name.clone(), files)]
        }
        Target::Type { group } => {
            let files = report.files.iter().filter(|f| group == "all" || f.group == *group).collect();
            vec![(rule.name.clone(), files)]
        }
    }
}

pub fn check(rules: &[Rule], report: &Report, baseline: Option<&Report>) -> Check {
    let mut outcomes = Vec::new();
    for rule in rules {
        let base_subjects: Vec<(String, Vec<&FileReport>)> = baseline.map(|b| subjects(rule, b)).unwrap_or_default();
        for (subject, files) in subjects(rule, report) {
            let (value, base) = if rule.measure == Measure::Returning {
                // Known only for an output that replaced another: without one, nothing to check.
                let Some(value) = returning(rule, report) else { continue };
                (value, baseline.and_then(|b| returning(rule, b)))
            } else {
                let base = baseline
                    .and_then(|_| base_subjects.iter().find(|(s, _)| *s == subject).map(|(_, fs)| fs.iter().map(|f| measured(f, rule.measure)).sum::<u64>()));
                (files.iter().map(|f| measured(f, rule.measure)).sum(), base)
            };
            let count = files.len() as u64;
            let mut status = Status::Pass;
            let mut reasons = Vec::new();
            let mut limit = rule.max.or(rule.warn);
            let mut judge = |level: Status, over: bool, why: String, lim: Option<u64>| {
                if over {
                    if level > status {
                        status = level;
                        if lim.is_some() {
                            limit = lim;
                        }
                    }
                    reasons.push(why);
                }
            };
            let fmt = size::format_size;
            if let Some(max) = rule.max {
                judge(Status::Fail, value > max, format!("{} is over the limit of {}", fmt(value), fmt(max)), Some(max));
            }
            if let Some(warn) = rule.warn {
                judge(Status::Warn, value > warn, format!("{} is over the warning level of {}", fmt(value), fmt(warn)), Some(warn));
            }
            if let Some(max) = rule.max_count {
                judge(Status::Fail, count > max, format!("{count} files, more than {max}"), None);
            }
            if let Some(warn) = rule.warn_count {
                judge(Status::Warn, count > warn, format!("{count} files, more than the warning level of {warn}"), None);
            }
            let growth = |g: Option<Growth>| g.zip(base).filter(|(g, b)| g.exceeded(*b, value));
            if let Some((g, b)) = growth(rule.max_growth) {
                judge(Status::Fail, true, format!("grew from {} to {}, more than {g}", fmt(b), fmt(value)), None);
            }
            if let Some((g, b)) = growth(rule.warn_growth) {
                judge(Status::Warn, true, format!("grew from {} to {}, more than the warning level of {g}", fmt(b), fmt(value)), None);
            }
            outcomes.push(Outcome {
                rule: rule.name.clone(),
                subject,
                measure: rule.measure,
                value,
                count,
                limit,
                baseline: base,
                delta: base.map(|b| value as i64 - b as i64),
                status,
                reasons,
                file: rule.file.clone(),
                line: rule.line,
                column: rule.column,
            });
        }
    }
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    if let Some(b) = baseline {
        let now: BTreeSet<&str> = report.files.iter().map(key).collect();
        let before: BTreeSet<&str> = b.files.iter().map(key).collect();
        added = now.difference(&before).map(|s| s.to_string()).collect();
        removed = before.difference(&now).map(|s| s.to_string()).collect();
    }
    Check { outcomes, added, removed }
}

/// The budgets file: `explicit` (`--budgets`), else `budgets.toml` in the project root or a
/// folder above it, up to `cwd`.
pub fn find(root: &std::path::Path, explicit: Option<&std::path::Path>, cwd: &std::path::Path) -> Option<std::path::PathBuf> {
    if let Some(f) = explicit {
        return Some(f.to_path_buf());
    }
    let cwd = cwd.canonicalize().ok()?;
    let mut dir = Some(root);
    while let Some(d) = dir {
        let candidate = d.join("budgets.toml");
        if candidate.is_file() {
            return Some(candidate);
        }
        if d == cwd || !d.starts_with(&cwd) {
            break;
        }
        dir = d.parent();
    }
    None
}

/// A report saved earlier (`kiln build --json`), to compare against.
pub fn read_baseline(path: &std::path::Path) -> Result<Report, crate::diagnostics::BuildError> {
    std::fs::read(path).map_err(|e| e.to_string()).and_then(|b| serde_json::from_slice::<Report>(&b).map_err(|e| e.to_string())).map_err(|e| {
        crate::diagnostics::BuildError::one(
            crate::diagnostics::Diagnostic::error(format!("cannot read the baseline report: {e}")).in_file(path.display().to_string()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{PageLoad, Totals};

    fn file(path: &str, src: &str, group: &str, size: u64, brotli: u64) -> FileReport {
        FileReport {
            path: path.into(),
            src: Some(src.into()),
            group: group.into(),
            hashed: true,
            entry: false,
            size,
            gzip: Some(brotli + 10),
            brotli: Some(brotli),
            hash: String::new(),
            modules: Vec::new(),
        }
    }

    fn report(files: Vec<FileReport>) -> Report {
        Report {
            kiln: "test".into(),
            out_dir: "dist".into(),
            pages: vec![PageLoad { page: "index.html".into(), initial: files.iter().map(|f| f.path.clone()).collect(), lazy: vec![], returning: None }],
            files,
            totals: Totals::default(),
            timings: vec![],
            warnings: vec![],
            css_pruned: vec![],
            images: None,
            cache: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn limits_levels_and_growth() {
        let rules = crate::budgets_file::parse(
            "[[budget]]\nfiles = \"src/*.ts\"\neach = true\nmax = \"1 KB\"\nwarn = 800\n\n[[budget]]\ntype = \"script\"\nmax_count = 1\nmax_growth = \"10%\"\n\n[[budget]]\npage = \"index.html\"\nmeasure = \"raw\"\nmax = 5000\n",
            "budgets.toml",
        )
        .unwrap()
        .budget;
        let base = report(vec![file("assets/a.1.js", "src/a.ts", "script", 3000, 700)]);
        let now = report(vec![file("assets/a.2.js", "src/a.ts", "script", 3100, 900), file("assets/b.1.js", "src/b.ts", "script", 4000, 1200)]);
        let c = check(&rules, &now, Some(&base));
        let by = |s: &str| c.outcomes.iter().find(|o| o.subject == s).unwrap();
        assert_eq!(by("src/a.ts").status, Status::Warn);
        assert_eq!(by("src/a.ts").delta, Some(200));
        assert_eq!(by("src/b.ts").status, Status::Fail);
        let scripts = by("all script files");
        assert_eq!(scripts.status, Status::Fail);
        assert_eq!(scripts.reasons.len(), 2, "{:?}", scripts.reasons);
        assert_eq!(by("index.html (initial)").value, 7100);
        assert_eq!(by("index.html (initial)").status, Status::Fail);
        assert_eq!(c.added, vec!["src/b.ts"]);
        assert_eq!(c.worst(), Status::Fail);
    }
}
