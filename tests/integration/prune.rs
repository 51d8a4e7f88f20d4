//! CSS pruning as a user sees it: `--verbose` lists what went, the JSON report counts it, and
//! the analysis page shows it.

use crate::common::{kiln, repo};

#[test]
fn verbose_lists_removed_selectors_and_reports_count_them() {
    let out = tempfile::tempdir().unwrap();
    let analysis = out.path().join("analysis");
    let case = repo().join("tests/cases/css-prune");
    let run = kiln()
        .arg("build")
        .arg(&case)
        .arg("--out")
        .arg(out.path().join("dist"))
        .args(["--verbose", "--no-budgets", "--json"])
        .arg(out.path().join("report.json"))
        .arg("--analyze")
        .arg(&analysis)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("css prune: style.css 13 of 32 rules removed"), "{stdout}");
    for gone in ["  - .widget-closed\n", "  - #missing\n", "  - .not-marked\n", "  - @keyframes never\n", "  - @font-face unused serif\n"] {
        assert!(stdout.contains(gone), "{gone:?} not listed: {stdout}");
    }
    assert!(stdout.contains("css prune: index.html <style> 1 of 3 rules removed") && stdout.contains("  - .inline-unused\n"), "{stdout}");
    for kept in ["added-by-cms", "widget-open", "inline-kept"] {
        assert!(!stdout.contains(kept), "{kept} is marked to be kept: {stdout}");
    }

    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    let sheet = report["css_pruned"].as_array().unwrap().iter().find(|p| p["src"] == "style.css").unwrap();
    assert_eq!((sheet["rules_before"].as_u64(), sheet["rules_removed"].as_u64()), (Some(32), Some(13)));
    assert_eq!(sheet["removed"].as_array().unwrap().len(), 12);
    assert!(sheet["bytes_after"].as_u64() < sheet["bytes_before"].as_u64());

    let page = std::fs::read_to_string(analysis.join("report.html")).unwrap();
    assert!(page.contains("<h2>CSS pruning</h2>") && page.contains("\"rules_removed\":13"), "analysis page lacks the pruning counts");
}
