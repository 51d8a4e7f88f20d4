//! Built sites loaded in headless Chromium (Debian's `chromium`, installed by scripts/test):
//! the page renders what its scripts produce, with no console message.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{kiln, repo, serve};

pub fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.is_file(),
        "Chromium is not installed at {}: run ./scripts/test, which installs Debian's chromium (or apt-get install chromium)",
        path.display()
    );
    path
}

/// Loads `url` and returns the DOM after scripts ran, and the console messages.
pub fn load(url: &str) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", url])
        .output()
        .expect("chromium runs");
    let console = String::from_utf8_lossy(&out.stderr).lines().filter(|l| l.contains(":CONSOLE")).map(str::to_owned).collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

fn build(root: &Path) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let result = kiln().arg("build").arg(root).arg("--out").arg(out.path()).arg("-q").output().unwrap();
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    out
}

#[test]
fn the_sample_site_runs_its_typescript_and_jsx() {
    let out = build(&repo().join("fixtures/site"));
    let server = serve(out.path());
    let (dom, console) = load(&server.url);
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(dom.contains("<strong>Friday</strong> Olive sourdough"), "the JSX widget did not render:\n{dom}");
    assert!(!dom.contains("Loading…"), "{dom}");
    assert!(dom.contains("Closed on Monday."), "the shared component did not render:\n{dom}");
    assert!(!dom.contains("Bake schedule</caption>"), "the lazy route rendered before it was opened");
    // The lazy route, opened by its link; and the second page, sharing the component.
    let (dom, console) = load(&format!("{}#schedule", server.url));
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(dom.contains("<caption>Bake schedule</caption>") && dom.contains("<td>06:30</td>"), "the lazy route did not render:\n{dom}");
    let (dom, console) = load(&format!("{}about.html", server.url));
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(dom.contains("<p class=\"hours\">Tuesday to Sunday, 7:00 to 15:00. Closed on Monday.</p>"), "{dom}");
}

#[test]
fn the_preact_app_from_npm_renders() {
    let app = repo().join("fixtures/app");
    assert!(app.join("node_modules/preact/package.json").is_file(), "fixtures/app/node_modules is missing: run ./scripts/test, which installs it with npm ci");
    let out = build(&app);
    let code: String = std::fs::read_dir(out.path().join("assets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "js"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(!code.contains("UNUSED_DISCOUNT_MARKER"), "an unused export was not tree-shaken");
    let server = serve(out.path());
    let (dom, console) = load(&server.url);
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(dom.contains("<li data-name=\"Rye\">Rye: £4.00</li>"), "preact did not render:\n{dom}");
    assert!(dom.contains("All of them: £13.50"), "{dom}");
    assert!(dom.contains("src=\"/assets/logo."), "the imported SVG's URL is used:\n{dom}");
}

/// Screenshot of `url` at a fixed size.
fn screenshot(url: &str, path: &Path) -> Vec<u8> {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium())
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        .args(["--hide-scrollbars", "--window-size=1000,1400", "--virtual-time-budget=3000"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", path.display()))
        .arg(url)
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::read(path).unwrap()
}

#[test]
fn css_pruning_shrinks_the_css_and_renders_the_same() {
    let plain = crate::common::sample_site();
    let pruned = crate::common::sample_site();
    let toml = std::fs::read_to_string(pruned.path().join("kiln.toml")).unwrap();
    std::fs::write(pruned.path().join("kiln.toml"), toml.replace("[css]\n", "[css]\nprune = true\n")).unwrap();
    let css = |dir: &Path| -> String {
        std::fs::read_dir(dir.join("assets"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "css"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    };
    let (a, b) = (build(plain.path()), build(pruned.path()));
    let (before, after) = (css(a.path()).len(), css(b.path()).len());
    assert!(after < before, "pruning did not shrink the CSS: {before} → {after}");
    let css = css(b.path());
    assert!(!css.contains("card--featured") && !css.contains("glow"), "{css}");
    let (sa, sb) = (serve(a.path()), serve(b.path()));
    let shots = tempfile::tempdir().unwrap();
    for page in ["", "about.html", "blog/first-loaf.html"] {
        let x = screenshot(&format!("{}{page}", sa.url), &shots.path().join("a.png"));
        let y = screenshot(&format!("{}{page}", sb.url), &shots.path().join("b.png"));
        assert!(x.len() > 20_000, "/{page}: the screenshot looks empty ({} bytes)", x.len());
        assert!(x == y, "/{page} renders differently with pruning");
    }
}
