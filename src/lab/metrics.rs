//! What one page load measured ([`Run`]), the medians over runs ([`Metrics`]), and the
//! arithmetic behind them: CLS session windows, Total Blocking Time, unused bytes from
//! coverage ranges.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A layout shift the page reported (without recent input).
#[derive(Debug, Clone, Deserialize)]
pub struct Shift {
    /// Start, ms since navigation.
    pub t: f64,
    pub v: f64,
    /// The elements that moved (`tag#id` or `tag.class`).
    #[serde(default)]
    pub by: Vec<String>,
}

/// A long task (over 50 ms on the main thread).
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct LongTask {
    pub t: f64,
    pub d: f64,
}

/// Bytes and requests of one kind of file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    pub requests: u64,
    pub bytes: u64,
}

/// One file the page fetched.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fetched {
    /// The path under the served folder (`assets/app.1a2b3c4d.js`), or the URL when it is
    /// elsewhere.
    pub file: String,
    pub group: String,
    /// Bytes over the wire (headers included, as the browser counts them).
    pub bytes: u64,
    pub status: u16,
    /// It blocked rendering (a stylesheet or a classic script in the head).
    pub blocking: bool,
    /// When its response ended, ms since navigation.
    pub end: f64,
}

/// Bytes of a file the page loaded but did not use by the end of the load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unused {
    pub file: String,
    pub total: u64,
    pub unused: u64,
}

/// What went wrong in a load: an uncaught exception, a console error, a failed request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    Exception,
    ConsoleError,
    FailedRequest,
}

impl ProblemKind {
    /// How the kind reads in messages.
    pub fn word(self) -> &'static str {
        match self {
            ProblemKind::Exception => "uncaught exception",
            ProblemKind::ConsoleError => "console error",
            ProblemKind::FailedRequest => "failed request",
        }
    }
}

/// One load of one page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Run {
    pub fcp: Option<f64>,
    pub lcp: Option<f64>,
    pub lcp_element: Option<String>,
    /// The image (or video poster) the LCP element painted, if any.
    pub lcp_file: Option<String>,
    pub cls: f64,
    /// The elements that moved in the worst CLS window.
    pub cls_elements: Vec<String>,
    pub tbt: f64,
    /// ms from navigation to quiet (no request and no long task for the quiet window).
    pub quiet: f64,
    pub by_type: BTreeMap<String, Transfer>,
    pub fetched: Vec<Fetched>,
    pub unused_js: Vec<Unused>,
    pub unused_css: Vec<Unused>,
    pub problems: Vec<Problem>,
    /// Frames of the screen while the page loaded (with `--analyze`; kept for the typical run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filmstrip: Vec<Frame>,
}

/// The screen at `t` ms after navigation, as a small JPEG in base64.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub t: f64,
    pub jpeg: String,
}

impl Run {
    pub fn bytes(&self) -> u64 {
        self.by_type.values().map(|t| t.bytes).sum()
    }

    pub fn requests(&self) -> u64 {
        self.by_type.values().map(|t| t.requests).sum()
    }

    pub fn unused_js_bytes(&self) -> u64 {
        self.unused_js.iter().map(|u| u.unused).sum()
    }

    pub fn unused_css_bytes(&self) -> u64 {
        self.unused_css.iter().map(|u| u.unused).sum()
    }
}

/// The medians of a page's runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub fcp: Option<f64>,
    pub lcp: Option<f64>,
    pub cls: f64,
    pub tbt: f64,
    pub bytes: u64,
    pub requests: u64,
    pub unused_js: u64,
    pub unused_css: u64,
}

impl Metrics {
    pub fn of(runs: &[Run]) -> Metrics {
        let opt = |f: &dyn Fn(&Run) -> Option<f64>| {
            let v: Vec<f64> = runs.iter().filter_map(f).collect();
            (!v.is_empty()).then(|| median(&v))
        };
        let all = |f: &dyn Fn(&Run) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
        Metrics {
            fcp: opt(&|r| r.fcp),
            lcp: opt(&|r| r.lcp),
            cls: all(&|r| r.cls),
            tbt: all(&|r| r.tbt),
            bytes: all(&|r| r.bytes() as f64).round() as u64,
            requests: all(&|r| r.requests() as f64).round() as u64,
            unused_js: all(&|r| r.unused_js_bytes() as f64).round() as u64,
            unused_css: all(&|r| r.unused_css_bytes() as f64).round() as u64,
        }
    }
}

/// The median (the mean of the two middle values for an even count); 0 for none.
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The index of the run whose LCP (else FCP, else quiet time) is nearest the median: the run
/// shown as typical.
pub fn typical(runs: &[Run]) -> usize {
    let key = |r: &Run| r.lcp.or(r.fcp).unwrap_or(r.quiet);
    let m = median(&runs.iter().map(key).collect::<Vec<_>>());
    (0..runs.len()).min_by(|a, b| (key(&runs[*a]) - m).abs().total_cmp(&(key(&runs[*b]) - m).abs())).unwrap_or(0)
}

/// Cumulative Layout Shift as the web-vitals definition has it: shifts grouped in session
/// windows (a gap under 1 s, at most 5 s long); the largest window's sum. Returns it with the
/// elements that moved in that window.
pub fn cls(shifts: &[Shift]) -> (f64, Vec<String>) {
    let mut best = (0.0, Vec::new());
    let mut window: Option<(f64, f64, f64, Vec<String>)> = None; // start, last, sum, elements
    let mut sorted: Vec<&Shift> = shifts.iter().collect();
    sorted.sort_by(|a, b| a.t.total_cmp(&b.t));
    for s in sorted {
        match &mut window {
            Some((start, last, sum, by)) if s.t - *last < 1000.0 && s.t - *start < 5000.0 => {
                *last = s.t;
                *sum += s.v;
                by.extend(s.by.iter().cloned());
            }
            _ => window = Some((s.t, s.t, s.v, s.by.clone())),
        }
        let (_, _, sum, by) = window.as_ref().expect("set above");
        if *sum > best.0 {
            best = (*sum, by.clone());
        }
    }
    best.1.sort();
    best.1.dedup();
    best
}

/// Total Blocking Time: of each long task, the part past its first 50 ms that falls between
/// first contentful paint and `end` (a task straddling FCP counts only after it, as in
/// Lighthouse).
pub fn tbt(tasks: &[LongTask], fcp: Option<f64>, end: f64) -> f64 {
    let Some(fcp) = fcp else { return 0.0 };
    tasks.iter().map(|t| ((t.t + t.d).min(end) - (t.t + 50.0).max(fcp)).max(0.0)).sum()
}

/// Bytes of a script of `len` units V8 did not run: block coverage ranges nest (the first
/// covers the whole script), and the innermost range around a position decides its count.
pub fn unused_js(len: usize, ranges: &[(usize, usize, i64)]) -> usize {
    let mut used = vec![false; len];
    let mut sorted: Vec<&(usize, usize, i64)> = ranges.iter().collect();
    // Outer ranges first: by start, then the longest.
    sorted.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    for (start, end, count) in sorted {
        let (start, end) = ((*start).min(len), (*end).min(len));
        used[start..end].fill(*count > 0);
    }
    used.iter().filter(|u| !**u).count()
}

/// The length of the union of `ranges` (start, end).
pub fn union_len(ranges: &[(usize, usize)]) -> usize {
    let mut sorted = ranges.to_vec();
    sorted.sort();
    let mut total = 0;
    let mut current: Option<(usize, usize)> = None;
    for (s, e) in sorted {
        match &mut current {
            Some((_, ce)) if s <= *ce => *ce = (*ce).max(e),
            _ => {
                if let Some((cs, ce)) = current {
                    total += ce - cs;
                }
                current = Some((s, e));
            }
        }
    }
    if let Some((cs, ce)) = current {
        total += ce - cs;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shift(t: f64, v: f64) -> Shift {
        Shift { t, v, by: vec![format!("div#s{t}")] }
    }

    #[test]
    fn cls_takes_the_worst_session_window() {
        // Two windows: 0.1 + 0.05 (gap under 1 s), then 0.12 alone after a 2 s gap.
        let (v, by) = cls(&[shift(100.0, 0.1), shift(900.0, 0.05), shift(2900.0, 0.12)]);
        assert!((v - 0.15).abs() < 1e-9, "{v}");
        assert_eq!(by, ["div#s100", "div#s900"]);
        // A window is at most 5 s long, however close its shifts.
        let many: Vec<Shift> = (0..12).map(|i| shift(i as f64 * 900.0, 0.01)).collect();
        assert!((cls(&many).0 - 0.06).abs() < 1e-9, "{}", cls(&many).0);
        assert_eq!(cls(&[]).0, 0.0);
    }

    #[test]
    fn tbt_counts_what_is_over_50_ms_after_fcp() {
        let tasks = [LongTask { t: 0.0, d: 120.0 }, LongTask { t: 500.0, d: 80.0 }, LongTask { t: 900.0, d: 300.0 }];
        // The first task ends before FCP; 30 + 250 after.
        assert_eq!(tbt(&tasks, Some(200.0), 5000.0), 280.0);
        // A task that straddles FCP: only its part after FCP, less what is left of 50 ms.
        assert_eq!(tbt(&[LongTask { t: 0.0, d: 200.0 }], Some(100.0), 5000.0), 100.0);
        assert_eq!(tbt(&[LongTask { t: 0.0, d: 200.0 }], Some(20.0), 5000.0), 150.0);
        assert_eq!(tbt(&tasks, None, 5000.0), 0.0);
    }

    #[test]
    fn unused_bytes_from_nested_ranges() {
        // A 100-unit script: all ran once, except a function at 20..60, inside which a block
        // at 30..40 ran anyway.
        assert_eq!(unused_js(100, &[(0, 100, 1), (20, 60, 0), (30, 40, 1)]), 30);
        assert_eq!(unused_js(10, &[]), 10);
        assert_eq!(union_len(&[(0, 10), (5, 20), (30, 40)]), 30);
    }

    #[test]
    fn medians_and_the_typical_run() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let run = |lcp: f64| Run {
            fcp: Some(lcp / 2.0),
            lcp: Some(lcp),
            lcp_element: None,
            lcp_file: None,
            cls: 0.0,
            cls_elements: vec![],
            tbt: 0.0,
            quiet: 0.0,
            by_type: BTreeMap::new(),
            fetched: vec![],
            unused_js: vec![],
            unused_css: vec![],
            problems: vec![],
            filmstrip: vec![],
        };
        let runs = [run(900.0), run(1500.0), run(1000.0)];
        assert_eq!(typical(&runs), 2);
        assert_eq!(Metrics::of(&runs).lcp, Some(1000.0));
    }
}
