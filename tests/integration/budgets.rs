//! Budgets: `kiln build` and `kiln check` against budgets.toml, with baselines, CI outputs
//! and exit codes.

use std::path::Path;

use crate::common::kiln;
use crate::js::project;

fn site() -> tempfile::TempDir {
    project(&[
        ("index.html", "<!doctype html><link rel=stylesheet href=css/site.css><script type=module src=main.js></script><p>hi</p>\n"),
        ("css/site.css", ".a { color: red; }\n.b { margin: 0 auto; }\n"),
        ("main.js", "document.body.dataset.ready = 'yes';\n"),
    ])
}

fn write(root: &Path, budgets: &str) {
    std::fs::write(root.join("budgets.toml"), budgets).unwrap();
}

#[test]
fn rules_pass_warn_and_fail_with_exit_codes() {
    let p = site();
    write(p.path(), "[[budget]]\nfiles = \"css/*.css\"\nmax = \"10 KB\"\n\n[[budget]]\ntype = \"all\"\nmeasure = \"raw\"\nmax = 100000\nmax_count = 10\n");
    let out = kiln().arg("build").arg(p.path()).arg("-q").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    write(p.path(), "[[budget]]\npage = \"index.html\"\nmeasure = \"raw\"\nwarn = 10\n");
    let out = kiln().arg("build").arg(p.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "warnings pass");
    assert!(String::from_utf8_lossy(&out.stdout).contains("warn "), "{}", String::from_utf8_lossy(&out.stdout));
    let out = kiln().arg("build").arg(p.path()).arg("--strict").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "--strict fails on warnings");

    write(p.path(), "[[budget]]\nname = \"tiny scripts\"\ntype = \"script\"\nmeasure = \"raw\"\nmax = 10\n");
    let out = kiln().arg("build").arg(p.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAIL") && stdout.contains("over the limit"), "{stdout}");
    assert!(p.path().join("dist/index.html").is_file(), "a breach keeps the output");
    let out = kiln().arg("build").arg(p.path()).arg("--no-budgets").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn malformed_budgets_exit_2_at_the_key() {
    let p = site();
    write(p.path(), "[[budget]]\ntype = \"script\"\nmax = \"12 parsecs\"\n");
    let out = kiln().arg("build").arg(p.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("budgets.toml:3:7") && stderr.contains("parsecs"), "{stderr}");
    write(p.path(), "[[budget]]\ntype = \"script\"\nmaximum = 3\n");
    let out = kiln().arg("build").arg(p.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("budgets.toml:3:1"));
}

#[test]
fn baselines_match_files_by_source_and_show_growth() {
    let p = site();
    let base = p.path().join("base.json");
    let out = kiln().arg("build").arg(p.path()).args(["-q", "--no-budgets", "--json"]).arg(&base).output().unwrap();
    assert!(out.status.success());
    std::fs::write(
        p.path().join("css/site.css"),
        ".a { color: red; }\n.b { margin: 0 auto; }\n".to_string().to_owned()
            + ".c { padding: 1px 2px 3px 4px; border: 1px solid #123456; }\n.d { display: grid; gap: 4px 8px; }\n",
    )
    .unwrap();
    std::fs::write(p.path().join("extra.txt"), "new").unwrap();
    std::fs::write(
        p.path().join("index.html"),
        "<!doctype html><link rel=stylesheet href=css/site.css><script type=module src=main.js></script><a href=extra.txt>x</a>\n",
    )
    .unwrap();
    write(p.path(), "[[budget]]\nfiles = \"css/*.css\"\neach = true\nmeasure = \"raw\"\nmax_growth = \"10%\"\n");
    let out = kiln().arg("build").arg(p.path()).arg("--baseline").arg(&base).args(["--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout[out.stdout.iter().position(|&b| b == b'{').unwrap()..]).unwrap();
    let o = &json["outcomes"][0];
    assert_eq!(o["subject"], "css/site.css", "matched by source path although the hash changed");
    assert!(o["delta"].as_i64().unwrap() > 0);
    assert_eq!(o["status"], "fail");
    assert!(json["added"].as_array().unwrap().iter().any(|a| a == "extra.txt"), "{json}");
}

#[test]
fn github_annotations_step_summary_and_junit() {
    let p = site();
    write(p.path(), "[[budget]]\nname = \"scripts\"\ntype = \"script\"\nmeasure = \"raw\"\nmax = 5\n\n[[budget]]\ntype = \"stylesheet\"\nmax = \"1 MB\"\n");
    let summary = p.path().join("summary.md");
    let junit = p.path().join("junit.xml");
    let out = kiln()
        .arg("build")
        .arg(p.path())
        .args(["-q", "--junit"])
        .arg(&junit)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("::error file=") && stdout.contains("budgets.toml,line=1,col=1,title=budget scripts::"), "{stdout}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("| ❌ | scripts |") && md.contains("| ✅ |"), "{md}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
    assert_eq!(suite.attribute("tests"), Some("2"));
    assert_eq!(suite.attribute("failures"), Some("1"));
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("failure")).count(), 1);
}

#[test]
fn check_measures_an_existing_output() {
    let p = site();
    assert!(kiln().arg("build").arg(p.path()).args(["-q", "--no-budgets"]).output().unwrap().status.success());
    write(p.path(), "[[budget]]\npage = \"index.html\"\nmeasure = \"raw\"\nmax = 20\n");
    let out = kiln().current_dir(p.path()).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("index.html (initial)"), "{stdout}");
    write(p.path(), "[[budget]]\npage = \"index.html\"\nmeasure = \"raw\"\nmax = 100000\n");
    let out = kiln().current_dir(p.path()).arg("check").arg("dist").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    std::fs::remove_file(p.path().join("budgets.toml")).unwrap();
    let out = kiln().current_dir(p.path()).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "no budgets file is an error for check");
}

#[test]
fn analysis_page_draws_a_box_per_file_and_module() {
    let p = project(&[
        ("index.html", "<!doctype html><link rel=stylesheet href=site.css><script type=module src=src/main.js></script>\n"),
        ("site.css", ".a { color: red }\n"),
        ("src/main.js", "import { a } from './a.js';\nimport { b } from './b.js';\ndocument.title = a + b;\n"),
        ("src/a.js", "export const a = 'A'.repeat(3);\n"),
        ("src/b.js", "export const b = 'B'.repeat(4);\n"),
    ]);
    write(p.path(), "[[budget]]\ntype = \"all\"\nmax = \"1 MB\"\n");
    let analysis = p.path().join("analysis");
    let out = kiln().arg("build").arg(p.path()).args(["-q", "--json", "-", "--analyze"]).arg(&analysis).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout[..out.stdout.iter().rposition(|&b| b == b'}').unwrap() + 1]).unwrap();
    let files = report["files"].as_array().unwrap();
    let modules: usize = files.iter().map(|f| f["modules"].as_array().map_or(0, Vec::len)).sum();
    assert_eq!(modules, 3);

    // meta.json: esbuild's metafile shape.
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(analysis.join("meta.json")).unwrap()).unwrap();
    assert!(meta["inputs"]["src/main.js"]["imports"].as_array().unwrap().iter().any(|i| i["path"] == "src/a.js"));
    let bundle = meta["outputs"].as_object().unwrap().iter().find(|(k, _)| k.ends_with(".js")).unwrap().1;
    assert_eq!(bundle["entryPoint"], "src/main.js");
    assert_eq!(bundle["inputs"].as_object().unwrap().len(), 3);

    // The page, drawn by headless Chromium with no network.
    let page = format!("file://{}", analysis.join("report.html").display());
    let (dom, console) = crate::browser::load(&page);
    assert!(console.is_empty(), "{console:?}");
    assert_eq!(dom.matches("class=\"box output").count(), files.len(), "one box per output file");
    assert_eq!(dom.matches("class=\"box module").count(), modules, "one box per module in the bundle");
    assert!(dom.contains("<td class=\"pass\">pass</td>"), "budget rows are shown");
    let shot = analysis.join("report.png");
    let profile = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(crate::browser::chromium())
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--window-size=1200,900"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&page)
        .output()
        .unwrap();
    assert!(status.status.success());
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 5_000, "a screenshot of the treemap");
}
