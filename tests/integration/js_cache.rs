//! The JS stage's per-module cache (minified and printed modules): a rebuild takes unchanged
//! modules from the cache and writes exactly what a build without any cache writes, on every
//! fixture, and after an edit re-minifies and prints again only what changed. The whole JS
//! stage replayed, and stylesheets taken from the cache, until something they read changes.

use std::path::Path;

use crate::common::{kiln, read_tree, repo};

/// Builds `root` into `out` with the cache in `cache` (`None`: `--no-cache`); the report.
fn build(root: &Path, out: &Path, cache: Option<&Path>, extra: &[&str]) -> serde_json::Value {
    let mut cmd = kiln();
    // Every module taken from the cache is also printed again, and must print the same.
    cmd.env("KILN_CHECK_CACHE", "1");
    cmd.arg("build").arg(root).arg("--out").arg(out).args(["--quiet", "--json", "-", "--sourcemap", "--no-budgets"]).args(extra);
    match cache {
        Some(dir) => {
            let config = dir.with_extension("toml");
            let own = std::fs::read_to_string(root.join("kiln.toml")).unwrap_or_default();
            std::fs::write(&config, format!("cache_dir = {:?}\n{own}", dir.display().to_string())).unwrap();
            cmd.arg("--config").arg(config);
        }
        None => {
            cmd.arg("--no-cache");
        }
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}: {}", root.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A copy of a project (its installed packages included, which `copy_dir` leaves out where
/// they have `dist` folders); not its own output or cache.
fn project(rel: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = repo().join(rel);
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(&from).unwrap();
        if rel.components().next().is_some_and(|c| c.as_os_str() == "dist" || c.as_os_str() == ".kiln-cache") {
            continue;
        }
        let dest = dir.path().join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
    dir
}

#[test]
fn cached_modules_build_what_a_cold_build_does_on_every_fixture() {
    for rel in ["fixtures/site", "fixtures/app", "fixtures/pages", "tests/cases/js-minified", "tests/cases/sri-and-names"] {
        let src = project(rel);
        let work = tempfile::tempdir().unwrap();
        let cache = work.path().join("cache");
        build(src.path(), &work.path().join("cold"), None, &[]);
        let first = build(src.path(), &work.path().join("warm1"), Some(&cache), &[]);
        let second = build(src.path(), &work.path().join("warm2"), Some(&cache), &["--jobs", "1"]);
        let cold = read_tree(&work.path().join("cold"));
        assert_eq!(cold, read_tree(&work.path().join("warm1")), "{rel}: the first build with a cache differs from a build without");
        assert_eq!(cold, read_tree(&work.path().join("warm2")), "{rel}: the rebuild from the cache differs from a build without");
        assert!(first["cache"]["misses"].as_u64().unwrap() > 0, "{rel}: {first}");
        assert_eq!(second["cache"]["misses"], 0, "{rel}: every module and twin should come from the cache: {second}");
    }
}

#[test]
fn after_an_edit_only_the_changed_module_is_minified_again() {
    let src = project("fixtures/app");
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    build(src.path(), &work.path().join("warm"), Some(&cache), &[]);
    let price = src.path().join("src/price.ts");
    let text = std::fs::read_to_string(&price).unwrap();
    std::fs::write(&price, format!("{text}\nexport const edited = 'edited';\nconsole.log(edited);\n")).unwrap();
    let report = build(src.path(), &work.path().join("edited"), Some(&cache), &[]);
    build(src.path(), &work.path().join("cold"), None, &[]);
    assert_eq!(read_tree(&work.path().join("cold")), read_tree(&work.path().join("edited")), "the rebuild after an edit differs from a cold build");
    let out = read_tree(&work.path().join("edited"));
    assert!(out.iter().any(|(p, b)| p.ends_with(".js") && String::from_utf8_lossy(b).contains("edited")), "the edit is not in the output");
    // The edited module, and the twins of what changed, were made again; the rest came
    // from the cache.
    let misses = report["cache"]["misses"].as_u64().unwrap();
    let hits = report["cache"]["hits"].as_u64().unwrap();
    assert!(misses >= 1 && hits > misses, "{report}");
}

/// Whether the build's JS stage was replayed from the cache (its report's timings say so).
fn replayed(report: &serde_json::Value) -> bool {
    report["timings"].as_array().unwrap().iter().any(|t| t["stage"] == "js.replay")
}

/// Builds `root` with the cache and without; asserts both wrote the same; the cached build's
/// report and output JS.
fn build_both(root: &Path, work: &Path, step: &str) -> (serde_json::Value, String) {
    let report = build(root, &work.join(step), Some(&work.join("cache")), &[]);
    build(root, &work.join(format!("{step}-cold")), None, &[]);
    let out = read_tree(&work.join(step));
    assert_eq!(read_tree(&work.join(format!("{step}-cold"))), out, "{step}: the build with the cache differs from one without");
    let js = out.iter().filter(|(p, _)| p.ends_with(".js")).map(|(_, b)| String::from_utf8_lossy(b).into_owned()).collect();
    (report, js)
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn the_js_stage_is_replayed_until_a_file_it_read_or_a_resolution_changes() {
    let src = tempfile::tempdir().unwrap();
    let root = src.path();
    write(root, "index.html", "<!doctype html><title>t</title><script type=\"module\" src=\"src/main.js\"></script>\n");
    write(root, "src/main.js", "import { v } from './dep';\nimport pkg from 'pkg';\nimport { el } from './view.jsx';\nconsole.log(v, pkg, el);\n");
    write(root, "src/dep.js", "export const v = 'dep-js';\n");
    write(root, "src/view.jsx", "export const el = <b>x</b>;\n");
    write(root, "jsconfig.json", r#"{"compilerOptions": {"jsx": "react", "jsxFactory": "hOne"}}"#);
    write(root, "node_modules/pkg/package.json", r#"{"name": "pkg", "main": "a.js"}"#);
    write(root, "node_modules/pkg/a.js", "export default 'pkg-a';\n");
    write(root, "node_modules/pkg/b.js", "export default 'pkg-b';\n");
    let work = tempfile::tempdir().unwrap();
    let work = work.path();

    let (first, js) = build_both(root, work, "first");
    assert!(!replayed(&first) && js.contains("dep-js") && js.contains("pkg-a") && js.contains("hOne("), "{js}");
    let (again, _) = build_both(root, work, "again");
    assert!(replayed(&again), "nothing changed, so the JS stage is replayed: {again}");

    // Each change below is one a replay must see; after each, the next build replays again.
    let changes: [(&str, &dyn Fn(), &str); 5] = [
        ("an edited module", &|| write(root, "src/dep.js", "export const v = 'dep-edited';\n"), "dep-edited"),
        // `./dep` now resolves to dep.ts (extensions are tried .ts first): no module changed.
        ("a new file found first", &|| write(root, "src/dep.ts", "export const v: string = 'dep-ts';\n"), "dep-ts"),
        ("a package.json field", &|| write(root, "node_modules/pkg/package.json", r#"{"name": "pkg", "main": "b.js"}"#), "pkg-b"),
        ("the tsconfig options", &|| write(root, "jsconfig.json", r#"{"compilerOptions": {"jsx": "react", "jsxFactory": "hTwo"}}"#), "hTwo("),
        ("a removed module", &|| std::fs::remove_file(root.join("src/dep.ts")).unwrap(), "dep-edited"),
    ];
    for (i, (what, change, expect)) in changes.iter().enumerate() {
        change();
        let (report, js) = build_both(root, work, &format!("change{i}"));
        assert!(!replayed(&report), "{what}: the build replayed a stale JS stage");
        assert!(js.contains(expect), "{what}: {expect:?} is not in the output: {js}");
        let (report, _) = build_both(root, work, &format!("change{i}-again"));
        assert!(replayed(&report), "{what}: the build after it should replay");
    }
}

#[test]
fn a_js_stage_with_globs_is_replayed_until_they_match_other_files_and_one_that_warns_never() {
    let src = tempfile::tempdir().unwrap();
    let root = src.path();
    write(root, "index.html", "<!doctype html><title>t</title><script type=\"module\" src=\"src/main.js\"></script>\n");
    write(
        root,
        "src/main.js",
        "const pages = import.meta.glob('./pages/*.js', { eager: true });\nconsole.log(Object.keys(pages));\nconst lang = location.hash.slice(1);\nimport(`./locales/${lang}.js`).then(console.log);\n",
    );
    write(root, "src/pages/a.js", "export const a = 'page-a';\nconsole.log(a);\n");
    write(root, "src/locales/en.js", "export default 'locale-en';\n");
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    let (first, _) = build_both(root, work, "first");
    let (again, _) = build_both(root, work, "again");
    assert!(!replayed(&first) && replayed(&again), "{again}");
    // A new file matches a pattern while no module changes: each must show.
    let changes: [(&str, &str, &str); 3] = [
        ("a file the glob matches", "src/pages/b.js", "export const b = 'page-b';\nconsole.log(b);\n"),
        ("a file the import() pattern matches", "src/locales/fr.js", "export default 'locale-fr';\n"),
        ("a file neither matches", "src/other.js", "export default 'other';\n"),
    ];
    for (i, (what, file, text)) in changes.iter().enumerate() {
        write(root, file, text);
        let (report, js) = build_both(root, work, &format!("change{i}"));
        let expect = text.split('\'').nth(1).unwrap();
        if file.ends_with("other.js") {
            assert!(replayed(&report) && !js.contains(expect), "{what}: nothing imports it, so the stage is replayed: {report}");
        } else {
            assert!(!replayed(&report) && js.contains(expect), "{what}: {report}\n{js}");
            let (report, _) = build_both(root, work, &format!("change{i}-again"));
            assert!(replayed(&report), "{what}: the build after it should replay");
        }
    }

    // A warning shows on every build: a stage that warned is run again.
    write(root, "src/main.js", "const name = location.hash;\nimport(name).then(console.log);\n");
    let (first, _) = build_both(root, work, "warns");
    let (second, _) = build_both(root, work, "warns-again");
    for report in [&first, &second] {
        assert!(!replayed(report), "{report}");
        assert!(report["warnings"].as_array().unwrap().iter().any(|w| w["message"].as_str().unwrap().contains("import()")), "{report}");
    }
}

#[test]
fn a_stylesheet_is_taken_from_the_cache_until_a_file_it_read_or_a_url_changes() {
    let src = tempfile::tempdir().unwrap();
    let root = src.path();
    write(root, "index.html", "<!doctype html><title>t</title><link rel=\"stylesheet\" href=\"/css/main.css\"><p class=\"hero one two\">x</p>\n");
    write(root, "css/main.css", "@import \"pkg\";\n@import \"./base.css\";\n.hero { background: url(/img/a.svg) }\n");
    write(root, "css/base.css", "body { color: red }\n");
    write(root, "node_modules/pkg/package.json", r#"{"name": "pkg", "style": "one.css"}"#);
    write(root, "node_modules/pkg/one.css", ".one { color: green }\n");
    write(root, "node_modules/pkg/two.css", ".two { color: purple }\n");
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"><rect width=\"1\" height=\"1\" fill=\"#A00\"/></svg>\n";
    write(root, "public/img/a.svg", svg);
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    let css_of = |step: &str| -> String {
        read_tree(&work.join(step)).into_iter().filter(|(p, _)| p.ends_with(".css")).map(|(_, b)| String::from_utf8(b).unwrap()).collect()
    };

    build_both(root, work, "first");
    let first = css_of("first");
    assert!(first.contains(".one") && first.contains("red") && first.contains("/img/a.svg"), "{first}");
    let (again, _) = build_both(root, work, "again");
    assert_eq!(again["cache"]["misses"], 0, "the stylesheet and every twin come from the cache: {again}");

    type Change<'a> = (&'a str, &'a dyn Fn(), &'a dyn Fn(&str) -> bool);
    let changes: [Change; 4] = [
        ("an imported file", &|| write(root, "css/base.css", "body { color: blue }\n"), &|css| css.contains("#00f") || css.contains("blue")),
        ("a package's style field", &|| write(root, "node_modules/pkg/package.json", r#"{"name": "pkg", "style": "two.css"}"#), &|css| {
            css.contains(".two") && !css.contains(".one")
        }),
        // `/img/a.svg` named the public file; a file of the root now comes first.
        ("a new file a url() finds first", &|| write(root, "img/a.svg", svg), &|css| !css.contains("url(/img/a.svg)")),
        ("the file a url() names", &|| write(root, "img/a.svg", &svg.replace("#A00", "#0A0")), &|_| true),
    ];
    let mut before = first;
    for (i, (what, change, expect)) in changes.iter().enumerate() {
        change();
        build_both(root, work, &format!("change{i}"));
        let css = css_of(&format!("change{i}"));
        assert!(expect(&css) && css != before, "{what}: {css}");
        let (again, _) = build_both(root, work, &format!("change{i}-again"));
        assert_eq!(again["cache"]["misses"], 0, "{what}: the next build takes it from the cache: {again}");
        before = css;
    }
}

#[test]
fn a_module_loaded_from_the_cache_is_parsed_again_when_what_its_imports_become_changes() {
    let src = tempfile::tempdir().unwrap();
    let root = src.path();
    write(root, "index.html", "<!doctype html><title>t</title><script type=\"module\" src=\"src/main.jsx\"></script>\n");
    // main.jsx never changes: every rebuild loads it from the cache, without parsing it. Its
    // JSX brings an import the transform adds (with a context of its own).
    write(
        root,
        "src/main.jsx",
        "import { v } from './dep.js';\nimport * as ns from './ns.js';\nconsole.log(v, ns.a, /* @__PURE__ */ String(v), <b title={v}>{ns.a}</b>);\n",
    );
    write(root, "node_modules/react/package.json", r#"{"name": "react"}"#);
    write(root, "node_modules/react/jsx-runtime.js", "export function jsx(t, p) { return [t, p]; }\nexport const jsxs = jsx;\nexport const Fragment = 'f';\n");
    write(root, "src/dep.js", "export const v = 'dep-esm';\n");
    write(root, "src/ns.js", "export const a = 'ns-a';\nexport const b = 'ns-b';\n");
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    let (_, js) = build_both(root, work, "first");
    assert!(js.contains("dep-esm") && js.contains("ns-a"), "{js}");
    // Each change makes what main.jsx's imports become differ (a CommonJS module, a renamed
    // export behind the namespace), so its minified form is not in the cache: it is parsed
    // again, and must come out as a build without the cache writes it (build_both compares,
    // and KILN_CHECK_CACHE checks every module taken from the cache).
    let changes: [(&str, &str, &str); 3] = [
        ("src/dep.js", "exports.v = 'dep-cjs';\n", "dep-cjs"),
        ("src/ns.js", "export const b = 'ns-b2';\nconst a1 = 'ns-a2';\nexport { a1 as a };\n", "ns-a2"),
        ("src/dep.js", "export let v = 'dep-esm-again';\n", "dep-esm-again"),
    ];
    for (i, (file, text, expect)) in changes.iter().enumerate() {
        write(root, file, text);
        let (report, js) = build_both(root, work, &format!("change{i}"));
        assert!(!replayed(&report) && js.contains(expect), "{file}: {report}\n{js}");
    }
}

/// Two projects at different paths with the same settings and entries share one cache folder
/// (the corpus found it: the second took the first's replayed JS stage and stylesheets, whose
/// entries are checked against the files at the first's paths). Each must build its own.
#[test]
fn projects_at_other_paths_sharing_a_cache_folder_build_their_own_files() {
    let cache = tempfile::tempdir().unwrap();
    let make = |color: &str, text: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<link rel=stylesheet href=style.css><script type=module src=main.js></script>").unwrap();
        std::fs::write(dir.path().join("style.css"), format!("body{{color:{color}}}")).unwrap();
        std::fs::write(dir.path().join("main.js"), format!("import './extra.css';\ndocument.title = {text:?};\n")).unwrap();
        std::fs::write(dir.path().join("extra.css"), format!("p{{color:{color}}}")).unwrap();
        dir
    };
    let (a, b) = (make("red", "first"), make("blue", "second"));
    let out = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().join("shared");
    build(a.path(), &out.path().join("a"), Some(&cache_dir), &[]);
    build(b.path(), &out.path().join("b"), Some(&cache_dir), &[]);
    build(b.path(), &out.path().join("b-no-cache"), None, &[]);
    let (with, without) = (read_tree(&out.path().join("b")), read_tree(&out.path().join("b-no-cache")));
    assert_eq!(with.keys().collect::<Vec<_>>(), without.keys().collect::<Vec<_>>());
    for (path, bytes) in &with {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("red") && !text.contains("first"), "{path} holds the other project's code: {text}");
    }
}
