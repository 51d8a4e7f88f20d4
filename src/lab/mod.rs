//! `kiln lab`: what visitors experience, measured in a real browser.
//!
//! 1. Serve the output folder exactly as `kiln serve` does (twins, cache headers), on a free
//!    loopback port.
//! 2. Start headless Chromium ([`find_chrome`]) and drive it over the DevTools protocol.
//! 3. Load each page `runs` times ([`measure::Load`]), each time in a fresh browser context
//!    under the [`profile`]'s emulation, a page per core at once, at most 2 ([`measure_all`]).
//! 4. Per page: the medians ([`metrics::Metrics`]), the typical run, and the files each metric
//!    depends on. [`gate`] checks them against `[[lab]]` rules.

pub mod gate;
#[cfg(feature = "lab")]
pub mod measure;
pub mod metrics;
pub mod profile;
#[cfg(feature = "lab")]
mod run;

#[cfg(feature = "lab")]
pub use run::{default_concurrency, run, LabOptions};

use serde::{Deserialize, Serialize};

use metrics::{Metrics, Problem, Run};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabReport {
    pub kiln: String,
    pub profile: String,
    pub runs: usize,
    pub pages: Vec<PageResult>,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageResult {
    pub page: String,
    pub median: Metrics,
    /// The run nearest the median LCP, whose details are shown.
    pub typical: usize,
    /// What each metric depends on, in the typical run.
    pub depends: Depends,
    pub runs: Vec<Run>,
}

/// Files (and, for CLS, elements) behind each metric.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Depends {
    /// The document and what blocked rendering before first paint.
    pub fcp: Vec<String>,
    /// Those, plus the LCP element's image and the fonts that arrived before it.
    pub lcp: Vec<String>,
    pub lcp_element: Option<String>,
    /// Scripts that ran, most code run first.
    pub tbt: Vec<String>,
    /// Elements that moved in the worst window.
    pub cls: Vec<String>,
}

/// Problems of every run, each once.
pub fn problems(page: &PageResult) -> Vec<&Problem> {
    let mut out: Vec<&Problem> = Vec::new();
    for p in page.runs.iter().flat_map(|r| &r.problems) {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

impl LabReport {
    /// One line per page with its medians (see [`table`]).
    pub fn table(&self) -> String {
        table(self)
    }
}

/// The lab as a table: one line per page with its medians.
pub fn table(report: &LabReport) -> String {
    use std::fmt::Write as _;
    let ms = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{:.0} ms", v));
    let head = ["page", "FCP", "LCP", "CLS", "TBT", "bytes", "requests", "unused JS", "unused CSS", "problems"];
    let rows: Vec<[String; 10]> = report
        .pages
        .iter()
        .map(|p| {
            let m = &p.median;
            [
                p.page.clone(),
                ms(m.fcp),
                ms(m.lcp),
                format!("{:.3}", m.cls),
                format!("{:.0} ms", m.tbt),
                crate::size::format_size(m.bytes),
                m.requests.to_string(),
                crate::size::format_size(m.unused_js),
                crate::size::format_size(m.unused_css),
                problems(p).len().to_string(),
            ]
        })
        .collect();
    let mut widths = head.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        let l: Vec<String> =
            cells.iter().enumerate().map(|(i, c)| if i == 0 { format!("{c:<w$}", w = widths[i]) } else { format!("{c:>w$}", w = widths[i]) }).collect();
        let _ = writeln!(out, "{}", l.join("  ").trim_end());
    };
    line(&mut out, &head.map(String::from));
    for r in &rows {
        line(&mut out, r);
    }
    for p in &report.pages {
        if let Some(el) = &p.depends.lcp_element {
            let _ = writeln!(out, "{}: LCP element {el}{}", p.page, p.runs[p.typical].lcp_file.as_ref().map(|f| format!(" ({f})")).unwrap_or_default());
        }
        for problem in problems(p) {
            let _ = writeln!(out, "{}: {}: {}", p.page, problem.kind.word(), problem.message);
        }
    }
    let _ = writeln!(out, "{} pages × {} runs, {} profile, in {:.1} s (medians shown)", report.pages.len(), report.runs, report.profile, report.seconds);
    out
}
