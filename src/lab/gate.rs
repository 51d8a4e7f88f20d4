//! `[[lab]]` rules in budgets.toml: limits on what the lab measured, per page glob, checked
//! into the same [`Check`] as byte budgets (so the same table, JSON, GitHub annotations, step
//! summary and JUnit). A page with an uncaught exception, a console error or a failed request
//! fails too, unless a rule covering it allows that message.
//!
//! ```toml
//! [[lab]]
//! pages = "blog/**"                       # default: every page
//! lcp = "2.5 s"                           # a maximum, or { max = "2.5 s", warn = "2 s" }
//! cls = 0.1
//! tbt = "200 ms"
//! unused_js = "50 KB"
//! allow = ["ResizeObserver loop"]         # problems whose message contains one of these
//! ```

use serde::Deserialize;
use toml::Spanned;

use super::metrics::Metrics;
use super::{LabReport, PageResult};
use crate::budget::rules::Measure;
use crate::budget::{Check, Outcome, Status};
use crate::diagnostics::Diagnostic;

/// One lab rule: limits on the medians of what `kiln lab` measured, for the pages it covers.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    /// Shown in reports.
    name: Option<String>,
    /// A glob over page paths (default: every page).
    #[schemars(with = "Option<String>")]
    pages: Option<Spanned<String>>,
    /// First Contentful Paint: "1.8 s", "200 ms" or ms.
    #[schemars(with = "Option<RawLimit>")]
    fcp: Option<Spanned<RawLimit>>,
    /// Largest Contentful Paint.
    #[schemars(with = "Option<RawLimit>")]
    lcp: Option<Spanned<RawLimit>>,
    /// Cumulative Layout Shift (a score, e.g. 0.1).
    #[schemars(with = "Option<RawLimit>")]
    cls: Option<Spanned<RawLimit>>,
    /// Total Blocking Time.
    #[schemars(with = "Option<RawLimit>")]
    tbt: Option<Spanned<RawLimit>>,
    /// Bytes over the wire, every request of the load ("500 KB").
    #[schemars(with = "Option<RawLimit>")]
    bytes: Option<Spanned<RawLimit>>,
    /// Requests of the load.
    #[schemars(with = "Option<RawLimit>")]
    requests: Option<Spanned<RawLimit>>,
    /// Bytes of JS loaded but never run.
    #[schemars(with = "Option<RawLimit>")]
    unused_js: Option<Spanned<RawLimit>>,
    /// Bytes of CSS loaded but never used.
    #[schemars(with = "Option<RawLimit>")]
    unused_css: Option<Spanned<RawLimit>>,
    /// Problems (exceptions, console errors, failed requests) whose message contains one of
    /// these pass.
    #[serde(default)]
    allow: Vec<String>,
}

/// A maximum, or `{ max = …, warn = … }`.
#[derive(Deserialize, Clone, schemars::JsonSchema)]
#[serde(untagged)]
enum RawLimit {
    One(RawValue),
    Levels { max: Option<RawValue>, warn: Option<RawValue> },
}

/// A number, or a string with its unit ("2.5 s", "200 ms", "50 KB").
#[derive(Deserialize, Clone, schemars::JsonSchema)]
#[serde(untagged)]
enum RawValue {
    Number(f64),
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Fcp,
    Lcp,
    Cls,
    Tbt,
    Bytes,
    Requests,
    UnusedJs,
    UnusedCss,
}

impl Metric {
    pub const ALL: [Metric; 8] = [Metric::Fcp, Metric::Lcp, Metric::Cls, Metric::Tbt, Metric::Bytes, Metric::Requests, Metric::UnusedJs, Metric::UnusedCss];

    pub fn key(self) -> &'static str {
        match self {
            Metric::Fcp => "fcp",
            Metric::Lcp => "lcp",
            Metric::Cls => "cls",
            Metric::Tbt => "tbt",
            Metric::Bytes => "bytes",
            Metric::Requests => "requests",
            Metric::UnusedJs => "unused_js",
            Metric::UnusedCss => "unused_css",
        }
    }

    pub fn measure(self) -> Measure {
        match self {
            Metric::Fcp | Metric::Lcp | Metric::Tbt => Measure::Ms,
            Metric::Cls => Measure::Shift,
            Metric::Bytes | Metric::UnusedJs | Metric::UnusedCss => Measure::Transfer,
            Metric::Requests => Measure::Count,
        }
    }

    /// The median as an outcome value (ms, thousandths of CLS, bytes, count); `None` when the
    /// page never painted (no FCP or LCP).
    pub fn value(self, m: &Metrics) -> Option<u64> {
        match self {
            Metric::Fcp => m.fcp.map(|v| v.round() as u64),
            Metric::Lcp => m.lcp.map(|v| v.round() as u64),
            Metric::Cls => Some((m.cls * 1000.0).round() as u64),
            Metric::Tbt => Some(m.tbt.round() as u64),
            Metric::Bytes => Some(m.bytes),
            Metric::Requests => Some(m.requests),
            Metric::UnusedJs => Some(m.unused_js),
            Metric::UnusedCss => Some(m.unused_css),
        }
    }

    /// Parses a limit: times as "2.5 s" or "200 ms" (a bare number is ms), CLS as a number,
    /// sizes as budgets take them, requests as a whole number.
    fn parse(self, v: &RawValue) -> Result<u64, String> {
        let text = match v {
            RawValue::Number(n) => n.to_string(),
            RawValue::Text(t) => t.trim().to_owned(),
        };
        match self.measure() {
            Measure::Ms => {
                let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
                    (n, 1.0)
                } else if let Some(n) = text.strip_suffix('s') {
                    (n, 1000.0)
                } else {
                    (text.as_str(), 1.0)
                };
                number
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| *n >= 0.0)
                    .map(|n| (n * scale).round() as u64)
                    .ok_or_else(|| format!("{text:?} is not a time (write \"2.5 s\" or \"200 ms\")"))
            }
            Measure::Shift => text
                .parse::<f64>()
                .ok()
                .filter(|n| *n >= 0.0)
                .map(|n| (n * 1000.0).round() as u64)
                .ok_or_else(|| format!("{text:?} is not a layout-shift score (write 0.1)")),
            Measure::Count => text.parse::<u64>().map_err(|_| format!("{text:?} is not a whole number")),
            _ => crate::size::parse_size(&text).map_err(|e| e.to_string()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub pages: globset::GlobMatcher,
    pub limits: Vec<(Metric, Option<u64>, Option<u64>)>,
    pub allow: Vec<String>,
    pub file: String,
    pub line: u32,
    pub column: u32,
}

/// The `[[lab]]` rules of a budgets file (`text`, named `shown` in messages), read by
/// [`crate::budgets_file`]; their problems go to `diags`.
pub fn rules(raw: &[Spanned<RawRule>], text: &str, shown: &str, diags: &mut Vec<Diagnostic>) -> Vec<Rule> {
    let mut rules = Vec::new();
    for (i, spanned) in raw.iter().enumerate() {
        let mut bad = |span: std::ops::Range<usize>, msg: String| diags.push(Diagnostic::error(msg).at_offset(shown, text, span.start));
        let (line, column) = crate::diagnostics::line_col(text, spanned.span().start);
        let r = spanned.get_ref();
        let pattern = r.pages.as_ref().map_or("**", |p| p.get_ref().as_str());
        let pages = match globset::GlobBuilder::new(pattern.trim_start_matches("./")).literal_separator(false).build() {
            Ok(g) => g.compile_matcher(),
            Err(e) => {
                bad(r.pages.as_ref().map_or(spanned.span(), |p| p.span()), format!("pages: invalid glob: {}", e.kind()));
                continue;
            }
        };
        let mut limits = Vec::new();
        for metric in Metric::ALL {
            let raw = match metric {
                Metric::Fcp => &r.fcp,
                Metric::Lcp => &r.lcp,
                Metric::Cls => &r.cls,
                Metric::Tbt => &r.tbt,
                Metric::Bytes => &r.bytes,
                Metric::Requests => &r.requests,
                Metric::UnusedJs => &r.unused_js,
                Metric::UnusedCss => &r.unused_css,
            };
            let Some(limit) = raw else { continue };
            let (max, warn) = match limit.get_ref() {
                RawLimit::One(v) => (Some(v.clone()), None),
                RawLimit::Levels { max, warn } => (max.clone(), warn.clone()),
            };
            let mut read = |v: Option<RawValue>| v.and_then(|v| metric.parse(&v).map_err(|e| bad(limit.span(), format!("{}: {e}", metric.key()))).ok());
            let (max, warn) = (read(max), read(warn));
            if max.is_some() || warn.is_some() {
                limits.push((metric, max, warn));
            }
        }
        if limits.is_empty() && r.allow.is_empty() {
            bad(spanned.span(), format!("lab rule {}: give a limit ({}) or `allow`", i + 1, Metric::ALL.map(Metric::key).join(", ")));
            continue;
        }
        rules.push(Rule {
            name: r.name.clone().unwrap_or_else(|| format!("lab {pattern}")),
            pages,
            limits,
            allow: r.allow.clone(),
            file: shown.to_owned(),
            line,
            column,
        });
    }
    rules
}

/// Checks the lab's medians against `rules`, and every page's problems; `baseline` is an
/// earlier lab report (`kiln lab --json`) to show deltas against.
pub fn check(rules: &[Rule], report: &LabReport, baseline: Option<&LabReport>) -> Check {
    let mut outcomes = Vec::new();
    for page in &report.pages {
        let before = baseline.and_then(|b| b.pages.iter().find(|p| p.page == page.page));
        let covering: Vec<&Rule> = rules.iter().filter(|r| r.pages.is_match(&page.page)).collect();
        for rule in &covering {
            for (metric, max, warn) in &rule.limits {
                outcomes.push(limit_outcome(rule, page, before, *metric, *max, *warn));
            }
        }
        let allowed = |message: &str| covering.iter().any(|r| r.allow.iter().any(|a| message.contains(a.as_str())));
        for problem in crate::lab::problems(page).into_iter().filter(|p| !allowed(&p.message)) {
            let (file, line, column) = covering.first().map_or((String::new(), 0, 0), |r| (r.file.clone(), r.line, r.column));
            outcomes.push(Outcome {
                rule: "lab: no errors".into(),
                subject: page.page.clone(),
                measure: Measure::Count,
                value: 1,
                count: 1,
                limit: Some(0),
                baseline: None,
                delta: None,
                status: Status::Fail,
                reasons: vec![format!("{}: {}", problem.kind.word(), problem.message)],
                file,
                line,
                column,
            });
        }
    }
    Check { outcomes, added: Vec::new(), removed: Vec::new() }
}

fn limit_outcome(rule: &Rule, page: &PageResult, before: Option<&PageResult>, metric: Metric, max: Option<u64>, warn: Option<u64>) -> Outcome {
    let measure = metric.measure();
    let value = metric.value(&page.median);
    let base = before.and_then(|b| metric.value(&b.median));
    let mut status = Status::Pass;
    let mut reasons = Vec::new();
    let mut limit = max.or(warn);
    match value {
        None => {
            status = Status::Fail;
            reasons.push(format!("no {} was recorded: the page painted nothing", metric.key()));
        }
        Some(v) => {
            if let Some(m) = max.filter(|m| v > *m) {
                status = Status::Fail;
                limit = Some(m);
                reasons.push(format!("{} {} is over the limit of {}", metric.key(), measure.show(v), measure.show_limit(m)));
            }
            if let Some(w) = warn.filter(|w| v > *w) {
                if status == Status::Pass {
                    status = Status::Warn;
                    limit = Some(w);
                }
                reasons.push(format!("{} {} is over the warning level of {}", metric.key(), measure.show(v), measure.show_limit(w)));
            }
        }
    }
    let value = value.unwrap_or(0);
    Outcome {
        rule: rule.name.clone(),
        subject: format!("{} {}", page.page, metric.key()),
        measure,
        value,
        count: page.runs.len() as u64,
        limit,
        baseline: base,
        delta: base.map(|b| value as i64 - b as i64),
        status,
        reasons,
        file: rule.file.clone(),
        line: rule.line,
        column: rule.column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, shown: &str) -> Result<Vec<Rule>, crate::diagnostics::BuildError> {
        crate::budgets_file::parse(text, shown).map(|f| f.lab)
    }

    #[test]
    fn limits_read_in_their_units_and_errors_are_located() {
        let rules = parse(
            "[[budget]]\ntype = \"all\"\nmax = \"1 MB\"\n\n[[lab]]\npages = \"blog/*.html\"\nlcp = \"2.5 s\"\ntbt = { max = 300, warn = \"200 ms\" }\ncls = 0.1\nunused_js = \"50 KB\"\nrequests = 40\n",
            "budgets.toml",
        )
        .unwrap();
        assert_eq!(rules.len(), 1);
        let r = &rules[0];
        assert!(r.pages.is_match("blog/a.html") && !r.pages.is_match("index.html"));
        assert_eq!(r.line, 5);
        let get = |m: Metric| r.limits.iter().find(|l| l.0 == m).map(|l| (l.1, l.2));
        assert_eq!(get(Metric::Lcp), Some((Some(2500), None)));
        assert_eq!(get(Metric::Tbt), Some((Some(300), Some(200))));
        assert_eq!(get(Metric::Cls), Some((Some(100), None)));
        assert_eq!(get(Metric::UnusedJs), Some((Some(50_000), None)));
        assert_eq!(get(Metric::Requests), Some((Some(40), None)));

        let err = parse("[[lab]]\nlcp = \"fast\"\n", "budgets.toml").unwrap_err();
        let loc = err.diagnostics[0].location.as_ref().unwrap();
        assert_eq!((loc.line, loc.column), (2, 7), "{:?}", err.diagnostics);
        assert!(err.diagnostics[0].message.contains("lcp"), "{:?}", err.diagnostics);
        let err = parse("[[lab]]\nlcpp = 3\n", "budgets.toml").unwrap_err();
        assert_eq!(err.diagnostics[0].location.as_ref().unwrap().line, 2, "{:?}", err.diagnostics);
        assert!(parse("[[lab]]\npages = \"*\"\n", "budgets.toml").is_err(), "a rule without a limit");
    }
}
