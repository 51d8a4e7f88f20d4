//! How budget results are shown: a table, JSON, GitHub Actions annotations and step summary,
//! and JUnit XML for other CI systems.

use std::fmt::Write as _;

use super::{Check, Outcome, Status};

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Warn => "warn",
        Status::Fail => "FAIL",
    }
}

fn delta_text(o: &Outcome) -> String {
    match o.delta {
        None => "-".into(),
        Some(d) if d >= 0 => format!("+{}", o.measure.show_limit(d as u64)),
        Some(d) => format!("-{}", o.measure.show_limit(d.unsigned_abs())),
    }
}

fn limit_text(o: &Outcome) -> String {
    o.limit.map_or_else(|| "-".into(), |l| o.measure.show_limit(l))
}

/// A readable table: status, rule, subject, value, limit, delta.
pub fn table(check: &Check) -> String {
    let rows: Vec<[String; 6]> = check
        .outcomes
        .iter()
        .map(|o| [status_word(o.status).into(), o.subject.clone(), o.measure.show(o.value), limit_text(o), delta_text(o), o.reasons.join("; ")])
        .collect();
    let head = ["status", "budget", "value", "limit", "delta", ""];
    let mut widths = head.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate().take(5) {
            let _ = write!(l, "{c:<w$}  ", w = widths[i]);
        }
        l.push_str(&cells[5]);
        let _ = writeln!(out, "{}", l.trim_end());
    };
    line(&mut out, &head.map(String::from));
    for r in &rows {
        line(&mut out, r);
    }
    if !check.added.is_empty() {
        let _ = writeln!(out, "new files: {}", check.added.join(", "));
    }
    if !check.removed.is_empty() {
        let _ = writeln!(out, "removed files: {}", check.removed.join(", "));
    }
    let count = |s| check.outcomes.iter().filter(|o| o.status == s).count();
    let _ = writeln!(out, "budgets: {} passed, {} warned, {} failed", count(Status::Pass), count(Status::Warn), count(Status::Fail));
    out
}

pub fn json(check: &Check) -> String {
    serde_json::to_string_pretty(check).expect("budget results serialize") + "\n"
}

/// GitHub Actions workflow commands: one annotation per warning or failure, pointing at the
/// rule in budgets.toml.
pub fn github_annotations(check: &Check) -> String {
    let escape = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    let mut out = String::new();
    for o in check.outcomes.iter().filter(|o| o.status != Status::Pass) {
        let level = if o.status == Status::Fail { "error" } else { "warning" };
        let _ = writeln!(
            out,
            "::{level} file={},line={},col={},title=budget {}::{}",
            o.file,
            o.line,
            o.column,
            escape(&o.rule).replace(',', "%2C").replace(':', "%3A"),
            escape(&format!("{}: {}", o.subject, o.reasons.join("; ")))
        );
    }
    out
}

/// A Markdown table for `$GITHUB_STEP_SUMMARY`.
pub fn markdown(check: &Check) -> String {
    let mut out = String::from("### kiln budgets\n\n| | budget | value | limit | delta |\n| --- | --- | --- | --- | --- |\n");
    for o in &check.outcomes {
        let icon = match o.status {
            Status::Pass => "✅",
            Status::Warn => "⚠️",
            Status::Fail => "❌",
        };
        let _ = writeln!(out, "| {icon} | {} | {} | {} | {} |", o.subject.replace('|', "\\|"), o.measure.show(o.value), limit_text(o), delta_text(o));
    }
    out.push('\n');
    out
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// JUnit XML: one test case per outcome; failures fail, warnings are reported as passing
/// cases with a system-out note.
pub fn junit(check: &Check) -> String {
    let failures = check.outcomes.iter().filter(|o| o.status == Status::Fail).count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"kiln budgets\" tests=\"{}\" failures=\"{failures}\">\n",
        check.outcomes.len()
    );
    for o in &check.outcomes {
        let _ = write!(out, "    <testcase classname=\"{}\" name=\"{}\">", xml(&o.rule), xml(&o.subject));
        match o.status {
            Status::Fail => {
                let _ = write!(out, "<failure message=\"{}\"/>", xml(&o.reasons.join("; ")));
            }
            Status::Warn => {
                let _ = write!(out, "<system-out>{}</system-out>", xml(&o.reasons.join("; ")));
            }
            Status::Pass => {}
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// In a GitHub Actions job (`GITHUB_ACTIONS=true` in `process`): annotations written to `out`
/// and the table appended to the job summary. Returns a problem writing the summary, if any.
pub fn github(result: &Check, process: &crate::environ::Env, out: &mut dyn std::io::Write) -> Option<String> {
    if process.var("GITHUB_ACTIONS") != Some("true") {
        return None;
    }
    let _ = out.write_all(github_annotations(result).as_bytes());
    let summary = process.var("GITHUB_STEP_SUMMARY")?;
    let appended =
        std::fs::OpenOptions::new().create(true).append(true).open(summary).and_then(|mut f| std::io::Write::write_all(&mut f, markdown(result).as_bytes()));
    appended.err().map(|e| format!("cannot append to $GITHUB_STEP_SUMMARY: {e}"))
}
