//! `kiln lab` on `fixtures/lab` in the real Chromium (Debian's, found through KILN_CHROME):
//! the metrics are there and make sense, a shift after the first paint counts, a thrown error and a missing chunk fail the run, a
//! `[[lab]]` budget fails with exit 1 and `allow` lets a known message through, and a missing
//! browser is a clear error.

use std::path::Path;

use serde_json::Value;

use crate::common::{copy_dir, kiln, repo};

/// A copy of fixtures/lab, built into its dist/.
fn built_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("fixtures/lab"), dir.path());
    let out = kiln().arg("build").arg(dir.path()).args(["-q", "--no-cache", "--no-budgets"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    dir
}

/// Runs `kiln lab` on `site`'s dist/ with the JSON on standard output.
fn lab(site: &Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let out = kiln()
        .current_dir(site)
        .env("KILN_CHROME", crate::browser::chromium())
        .args(["lab", "dist", "--json", "-", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // Two JSON documents: the lab report, then the checks.
    let mut docs = serde_json::Deserializer::from_str(&stdout).into_iter::<Value>();
    let report = docs.next().and_then(Result::ok).unwrap_or_else(|| panic!("no lab JSON:\n{stdout}\n{stderr}"));
    (out.status.code(), report, format!("{stdout}\n{stderr}"))
}

fn page<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["pages"].as_array().unwrap().iter().find(|p| p["page"] == name).unwrap_or_else(|| panic!("{name} not measured: {report}"))
}

#[test]
fn the_lab_measures_every_page_in_chromium() {
    let site = built_site();
    let (code, report, all) = lab(site.path(), &["--runs", "2"]);
    assert_eq!(code, Some(0), "{all}");
    assert_eq!(report["profile"], "mobile");
    let pages: Vec<&str> = report["pages"].as_array().unwrap().iter().map(|p| p["page"].as_str().unwrap()).collect();
    assert_eq!(pages, ["about.html", "blog/post.html", "index.html"]);
    let home = page(&report, "index.html");
    assert_eq!(home["runs"].as_array().unwrap().len(), 2);
    let m = &home["median"];
    let (fcp, lcp) = (m["fcp"].as_f64().unwrap(), m["lcp"].as_f64().unwrap());
    // Under the mobile profile every request waits 562.5 ms: the document alone takes that.
    assert!(fcp > 562.0 && lcp >= fcp && lcp < 20_000.0, "fcp {fcp} lcp {lcp}");
    let typical = &home["runs"][home["typical"].as_u64().unwrap() as usize];
    assert_eq!(typical["lcp_element"], "img.hero", "{typical}");
    assert!(typical["lcp_file"].as_str().unwrap().starts_with("assets/hero."), "{typical}");
    // Requests: the page, its stylesheet, two scripts (main and the chunk it imports), the image.
    let by_type = &typical["by_type"];
    for group in ["document", "stylesheet", "script", "image"] {
        assert!(by_type[group]["requests"].as_u64().unwrap_or(0) >= 1, "no {group} in {by_type}");
        assert!(by_type[group]["bytes"].as_u64().unwrap_or(0) > 0, "{group} bytes in {by_type}");
    }
    assert!(by_type["script"]["requests"].as_u64().unwrap() >= 2, "the chunk import() loads: {by_type}");
    // Unused code: the widget rules of site.css, and `shout` (never called).
    assert!(m["unused_css"].as_u64().unwrap() > 300, "{m}");
    let unused_js = typical["unused_js"].as_array().unwrap();
    assert!(unused_js.iter().any(|u| u["unused"].as_u64().unwrap() > 0), "{unused_js:?}");
    // What the metrics depend on: the stylesheet blocked the first paint; the LCP waited for the image.
    let depends = &home["depends"];
    assert!(depends["fcp"].as_array().unwrap().iter().any(|f| f.as_str().unwrap().ends_with(".css")), "{depends}");
    assert!(depends["lcp"].as_array().unwrap().iter().any(|f| f.as_str().unwrap().starts_with("assets/hero.")), "{depends}");
    assert!(depends["tbt"].as_array().unwrap().iter().any(|f| f.as_str().unwrap().ends_with(".js")), "{depends}");
    assert_eq!(m["cls"].as_f64().unwrap(), 0.0, "images have their width and height: nothing moves");
    for p in report["pages"].as_array().unwrap() {
        for r in p["runs"].as_array().unwrap() {
            assert_eq!(r["problems"], serde_json::json!([]), "{}", p["page"]);
        }
    }
}

#[test]
fn a_thrown_error_and_a_missing_chunk_fail_the_lab() {
    let site = built_site();
    let dist = site.path().join("dist");
    // A page whose script throws.
    std::fs::write(dist.join("broken.html"), "<!doctype html><title>b</title><h1>Broken</h1><script>null.boom()</script>").unwrap();
    // A page that pushes its text down after the first paint: a layout shift the lab must see.
    std::fs::write(
        dist.join("shift.html"),
        "<!doctype html><title>s</title><h1>Shift</h1><p>Text that moves.</p><script>requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => { const d = document.createElement('div'); d.style.height = '300px'; document.body.prepend(d); }, 100)))</script>",
    )
    .unwrap();
    // The chunk main.js imports at start, deleted after the build (a deploy that lost it).
    let chunk = std::fs::read_dir(dist.join("assets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("extra.") && p.extension().is_some_and(|x| x == "js"))
        .expect("the extra chunk");
    std::fs::remove_file(&chunk).unwrap();
    let (code, report, all) = lab(site.path(), &["--runs", "1", "--profile", "desktop"]);
    assert_eq!(code, Some(1), "{all}");
    let problems = |name: &str| {
        page(&report, name)["runs"][0]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| format!("{}: {}", p["kind"].as_str().unwrap(), p["message"].as_str().unwrap()))
            .collect::<Vec<_>>()
    };
    let broken = problems("broken.html");
    assert!(broken.iter().any(|p| p.starts_with("exception: ") && p.contains("boom")), "{broken:?}");
    let home = problems("index.html");
    let name = chunk.file_name().unwrap().to_string_lossy().into_owned();
    assert!(home.iter().any(|p| p.starts_with("failed_request: ") && p.contains(&name) && p.contains("404")), "{home:?}");
    assert!(home.iter().any(|p| p.starts_with("exception: ")), "the rejected import() is uncaught: {home:?}");
    assert!(all.contains("\"status\": \"fail\""), "{all}");
    let shift = page(&report, "shift.html");
    assert!(shift["median"]["cls"].as_f64().unwrap() > 0.05, "{shift}");
    assert_eq!(shift["runs"][0]["problems"], serde_json::json!([]), "{shift}");
}

#[test]
fn a_lab_budget_fails_with_exit_1_and_allow_lets_a_known_message_through() {
    let site = built_site();
    std::fs::write(
        site.path().join("budgets.toml"),
        "[[lab]]\npages = \"index.html\"\nlcp = \"1 ms\"\ncls = 0.1\n\n[[lab]]\npages = \"about.html\"\nfcp = { max = \"60 s\", warn = \"1 ms\" }\n",
    )
    .unwrap();
    let out = kiln()
        .current_dir(site.path())
        .env("KILN_CHROME", crate::browser::chromium())
        .args(["lab", "dist", "--runs", "1", "--profile", "desktop"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("FAIL") && stdout.contains("index.html lcp") && stdout.contains("is over the limit of 1 ms"), "{stdout}");
    assert!(stdout.contains("warn") && stdout.contains("about.html fcp"), "{stdout}");
    // --strict turns the warning into a failure; without the failing rule the run passes.
    std::fs::write(site.path().join("budgets.toml"), "[[lab]]\npages = \"about.html\"\nfcp = { max = \"60 s\", warn = \"1 ms\" }\n").unwrap();
    let run = |args: &[&str]| {
        kiln()
            .current_dir(site.path())
            .env("KILN_CHROME", crate::browser::chromium())
            .args(["lab", "dist", "--runs", "1", "--profile", "desktop", "-q"])
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(run(&[]), Some(0));
    assert_eq!(run(&["--strict"]), Some(1));
    // A page that logs a console error fails, unless a rule covering it allows the message.
    std::fs::write(
        site.path().join("dist/noisy.html"),
        "<!doctype html><title>n</title><h1>Noisy</h1><script>console.error('legacy widget: deprecated option')</script>",
    )
    .unwrap();
    assert_eq!(run(&["--pages", "noisy.html"]), Some(1));
    std::fs::write(site.path().join("budgets.toml"), "[[lab]]\npages = \"noisy.html\"\nallow = [\"legacy widget\"]\n").unwrap();
    assert_eq!(run(&["--pages", "noisy.html"]), Some(0));
    // A malformed rule is an error at its line and column, exit 2.
    std::fs::write(site.path().join("budgets.toml"), "[[lab]]\nlcp = \"soon\"\n").unwrap();
    let out = kiln().current_dir(site.path()).env("KILN_CHROME", crate::browser::chromium()).args(["lab", "dist"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("budgets.toml:2:7"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn without_chromium_the_lab_says_how_to_get_it() {
    let site = built_site();
    let out = kiln().current_dir(site.path()).env("KILN_CHROME", site.path().join("no-such-chrome")).args(["lab", "dist"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("KILN_CHROME") && stderr.contains("not a file"), "{stderr}");
    let out = kiln().current_dir(site.path()).env_remove("KILN_CHROME").env("PATH", "/nonexistent").args(["lab", "dist"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("apt-get install chromium"), "{stderr}");
}

#[test]
fn the_analysis_page_shows_the_lab_with_a_filmstrip() {
    let site = built_site();
    let out = kiln()
        .current_dir(site.path())
        .env("KILN_CHROME", crate::browser::chromium())
        .args(["lab", "dist", "--runs", "1", "--pages", "index.html", "--analyze", "lab-report", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(site.path().join("lab-report/report.html")).unwrap();
    let data = html.split("const data = ").nth(1).and_then(|d| d.split(";\n").next()).expect("the inline data");
    let data: Value = serde_json::from_str(&data.replace("<\\/", "</")).unwrap();
    let page = &data["lab"]["pages"][0];
    assert_eq!(page["page"], "index.html");
    assert_eq!(page["depends"]["lcp_element"], "img.hero");
    let frames = page["filmstrip"].as_array().unwrap();
    assert!(!frames.is_empty() && frames.len() <= 8, "{} frames", frames.len());
    for f in frames {
        let jpeg = base64_decode(f["jpeg"].as_str().unwrap());
        assert_eq!(&jpeg[..3], &[0xff, 0xd8, 0xff], "a JPEG");
    }
    let times: Vec<f64> = frames.iter().map(|f| f["t"].as_f64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // `kiln build --lab --analyze`: the same section, and lab rules beside byte budgets.
    std::fs::write(site.path().join("budgets.toml"), "[[budget]]\ntype = \"all\"\nmax = \"1 MB\"\n\n[[lab]]\npages = \"index.html\"\ncls = 0.25\n").unwrap();
    let out = kiln()
        .env("KILN_CHROME", crate::browser::chromium())
        .arg("build")
        .arg(site.path())
        .args(["--lab", "--lab-runs", "1", "--lab-profile", "desktop", "--lab-pages", "index.html", "--analyze", "-q", "--no-cache"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(site.path().join(".kiln/report.html")).unwrap();
    assert!(html.contains("\"measure\":\"shift\"") && html.contains("\"measure\":\"brotli\""), "lab outcomes join the byte budgets in one table");
    assert!(html.contains("\"filmstrip\":[{"), "a filmstrip in the build's analysis");
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}
