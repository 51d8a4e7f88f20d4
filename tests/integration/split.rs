//! Code splitting: lazy chunks, shared chunks, CSS imported from JS, CSS modules,
//! modulepreload, import maps, manual chunks and the small-chunk merge, run in node and in
//! headless Chromium.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::common::{kiln, read_tree, serve};
use crate::js::project;

pub fn build(root: &Path, extra: &[&str]) -> (tempfile::TempDir, BTreeMap<String, Vec<u8>>) {
    let out = tempfile::tempdir().unwrap();
    let result = kiln().arg("build").arg(root).arg("--out").arg(out.path()).args(["-q", "--no-compress", "--no-budgets"]).args(extra).output().unwrap();
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let tree = read_tree(out.path());
    (out, tree)
}

fn manifest(tree: &BTreeMap<String, Vec<u8>>) -> serde_json::Value {
    serde_json::from_slice(&tree["manifest.json"]).unwrap()
}

pub fn file_of(tree: &BTreeMap<String, Vec<u8>>, key: &str) -> String {
    manifest(tree)[key]["file"].as_str().unwrap_or_else(|| panic!("no {key} in the manifest")).to_owned()
}

fn text(tree: &BTreeMap<String, Vec<u8>>, path: &str) -> String {
    String::from_utf8_lossy(&tree[path]).into_owned()
}

/// Runs an ES module script in node (cwd: `dir`) and returns its JSON output.
pub fn node(dir: &Path, script: &str) -> serde_json::Value {
    let out = Command::new("node").current_dir(dir).args(["--input-type=module", "-e", script]).output().expect("node runs");
    assert!(out.status.success(), "node failed:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

const LAZY: &[(&str, &str)] = &[
    ("main.js", "import { label } from './shared.js';\nexport const name = label('main');\nexport async function open() { const m = await import('./lazy.js'); return m.run(); }\n"),
    ("other.js", "import { label } from './shared.js';\nexport const name = label('other');\n"),
    ("shared.js", "globalThis.evaluations = (globalThis.evaluations || 0) + 1;\nexport function label(x) { return 'shared:' + x; }\n"),
    ("lazy.js", "import { label } from './shared.js';\nglobalThis.lazyRan = true;\nexport function run() { return label('lazy'); }\n"),
];

#[test]
fn lazy_and_shared_chunks_run_in_node() {
    for extra in [&[][..], &["--no-minify"][..]] {
        let p = project(LAZY);
        let (out, tree) = build(p.path(), &[&["--entry", "main.js", "--entry", "other.js"][..], extra].concat());
        let m = manifest(&tree);
        let (main, other, lazy, shared) = (file_of(&tree, "main.js"), file_of(&tree, "other.js"), file_of(&tree, "lazy.js"), file_of(&tree, "_shared.js"));
        assert_eq!(m["main.js"]["dynamicImports"], serde_json::json!(["lazy.js"]));
        assert_eq!(m["main.js"]["imports"], serde_json::json!(["_shared.js"]));
        assert_eq!(m["lazy.js"]["imports"], serde_json::json!(["_shared.js"]));
        // The shared module is in one file only.
        let holders: Vec<&String> = tree.keys().filter(|k| k.ends_with(".js") && text(&tree, k).contains("globalThis.evaluations")).collect();
        assert_eq!(holders, [&shared], "{extra:?}");
        let script = format!(
            "const a = await import('./{main}'); const b = await import('./{other}');\n\
             const before = globalThis.lazyRan === true;\n\
             const opened = await a.open();\n\
             console.log(JSON.stringify([a.name, b.name, before, opened, globalThis.lazyRan, globalThis.evaluations]));"
        );
        let result = node(out.path(), &script);
        assert_eq!(result, serde_json::json!(["shared:main", "shared:other", false, "shared:lazy", true, 1]), "{extra:?}\n{}", text(&tree, &main));
        let _ = lazy;
    }
}

#[test]
fn split_output_is_deterministic_across_thread_counts() {
    let p = project(LAZY);
    let args = ["--entry", "main.js", "--entry", "other.js", "--sourcemap"];
    let (_, one) = build(p.path(), &[&args[..], &["--jobs", "1"]].concat());
    let (_, two) = build(p.path(), &[&args[..], &["--jobs", "2"]].concat());
    let (_, again) = build(p.path(), &[&args[..], &["--jobs", "2"]].concat());
    assert_eq!(one, two);
    assert_eq!(two, again);
}

/// The pages of a site with a lazy route: the page names what it changes to once the route
/// ran, so `--dump-dom` shows it.
const SITE: &[(&str, &str)] = &[
    ("index.html", "<!doctype html><html><head><title>t</title></head><body><p id=order class=order>order</p><div id=out></div><script type=module src=main.js></script></body></html>\n"),
    ("about.html", "<!doctype html><html><head><title>t</title></head><body><div id=out></div><script type=module src=about.js></script></body></html>\n"),
    ("main.js", "import './base.css';\nimport { count } from './shared.js';\n\
        const out = document.getElementById('out');\n\
        const fetched = () => performance.getEntriesByType('resource').map((e) => e.name.split('/').pop()).sort().join(' ');\n\
        out.dataset.before = fetched();\n\
        out.dataset.order = getComputedStyle(document.getElementById('order')).color;\n\
        if (location.hash === '#go') import('./lazy.js').then((m) => { m.render(out); out.dataset.after = fetched(); \
        out.dataset.lazyColor = getComputedStyle(document.getElementById('lazy')).color; out.dataset.count = String(count()); });\n"),
    ("about.js", "import { count } from './shared.js';\ndocument.getElementById('out').dataset.count = String(count());\n"),
    ("shared.js", "import './shared.css';\nglobalThis.evaluations = (globalThis.evaluations || 0) + 1;\nexport const count = () => globalThis.evaluations;\n"),
    ("lazy.js", "import './lazy.css';\nimport { count } from './shared.js';\nexport function render(out) { const p = document.createElement('p'); p.id = 'lazy'; p.className = 'lazy'; p.textContent = 'lazy ' + count(); out.append(p); }\n"),
    // Source order: base.css, then shared.css (imported through shared.js): shared wins.
    ("base.css", ".order { color: rgb(255, 0, 0); }\n"),
    ("shared.css", ".order { color: rgb(0, 0, 255); }\n"),
    ("lazy.css", ".lazy { color: rgb(0, 128, 0); }\n"),
];

fn attr(dom: &str, name: &str) -> String {
    let start = dom.find(&format!("{name}=\"")).unwrap_or_else(|| panic!("no {name} in\n{dom}")) + name.len() + 2;
    dom[start..].split('"').next().unwrap().to_owned()
}

#[test]
fn lazy_chunks_load_on_demand_with_their_css_in_chromium() {
    for cascade in ["hashes", "importmap"] {
        let p = project(SITE);
        std::fs::write(p.path().join("kiln.toml"), format!("hash_cascade = \"{cascade}\"\n")).unwrap();
        let (out, tree) = build(p.path(), &[]);
        let lazy = file_of(&tree, "lazy.js");
        let lazy_name = lazy.rsplit('/').next().unwrap();
        let index = text(&tree, "index.html");
        assert!(index.contains("rel=modulepreload"), "{index}");
        assert_eq!(index.contains("<script type=importmap>"), cascade == "importmap", "{index}");
        let server = serve(out.path());
        let (dom, console) = crate::browser::load(&format!("{}#go", server.url));
        assert!(console.is_empty(), "{cascade}: console messages: {console:#?}");
        let (before, after) = (attr(&dom, "data-before"), attr(&dom, "data-after"));
        assert!(!before.contains(lazy_name), "{cascade}: the lazy chunk was fetched at start: {before}");
        assert!(after.contains(lazy_name), "{cascade}: the lazy chunk was not fetched: {after}");
        let lazy_css = file_of(&tree, "lazy.js?css");
        assert!(after.contains(lazy_css.rsplit('/').next().unwrap()), "{cascade}: the lazy chunk's CSS was not fetched: {after}");
        assert_eq!(attr(&dom, "data-lazy-color"), "rgb(0, 128, 0)", "{cascade}: the lazy CSS is applied");
        assert_eq!(attr(&dom, "data-order"), "rgb(0, 0, 255)", "{cascade}: CSS in source order");
        assert_eq!(attr(&dom, "data-count"), "1", "{cascade}: the shared module ran once");
        assert!(dom.contains("<p id=\"lazy\" class=\"lazy\">lazy 1</p>"), "{dom}");
        // The other page shares the module through the same file.
        let (about, console) = crate::browser::load(&format!("{}about.html", server.url));
        assert!(console.is_empty(), "{console:#?}");
        assert_eq!(attr(&about, "data-count"), "1");
    }
}

/// Output names of a build, by manifest key (pages by their path).
fn names(tree: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, String> {
    let m = manifest(tree);
    m.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v["file"].as_str().unwrap().to_owned())).collect()
}

#[test]
fn a_changed_leaf_renames_its_importers_or_only_itself_with_an_import_map() {
    let files: &[(&str, &str)] = &[
        ("index.html", "<!doctype html><title>a</title><script type=module src=main.js></script>\n"),
        ("two.html", "<!doctype html><title>b</title><script type=module src=two.js></script>\n"),
        ("main.js", "import { leaf } from './leaf.js';\nimport './main.css';\ndocument.title = leaf();\ndocument.onclick = () => import('./route.js');\ndocument.onkeydown = () => import('./unrelated.js');\n"),
        ("two.js", "import { leaf } from './leaf.js';\ndocument.title = leaf() + 2;\n"),
        ("route.js", "import { leaf } from './leaf.js';\nexport const r = leaf() + 'route';\n"),
        ("unrelated.js", "export const u = 'unrelated';\n"),
        ("leaf.js", "export const leaf = () => 'leaf v1';\n"),
        ("main.css", "body { margin: 0; }\n"),
    ];
    for cascade in ["hashes", "importmap"] {
        let p = project(files);
        std::fs::write(p.path().join("kiln.toml"), format!("hash_cascade = \"{cascade}\"\n")).unwrap();
        let (_, first) = build(p.path(), &[]);
        std::fs::write(p.path().join("leaf.js"), "export const leaf = () => 'leaf v2';\n").unwrap();
        let (_, second) = build(p.path(), &[]);
        let (a, b) = (names(&first), names(&second));
        let mut renamed: Vec<&str> = a.iter().filter(|(k, v)| b[*k] != **v).map(|(k, _)| k.as_str()).collect();
        renamed.sort();
        let pages_changed: Vec<&str> = ["index.html", "two.html"].into_iter().filter(|p| first[*p] != second[*p]).collect();
        if cascade == "hashes" {
            // The leaf's chunk and every chunk that imports it, directly or through a lazy import.
            assert_eq!(renamed, ["_leaf.js", "main.js", "route.js", "two.js"], "{cascade}");
        } else {
            assert_eq!(renamed, ["_leaf.js"], "{cascade}");
        }
        assert_eq!(pages_changed, ["index.html", "two.html"], "{cascade}: pages name the new files");
    }
}

#[test]
fn css_modules_export_scoped_names_and_prune_with_them() {
    let p = project(&[
        ("index.html", "<!doctype html><title>m</title><div id=out></div><script type=module src=main.js></script>\n"),
        (
            "main.js",
            "import styles, { title } from './card.module.css';\nimport { used } from './other.module.css';\n\
            document.getElementById('out').className = `${styles.card} ${title} ${used}`;\n",
        ),
        ("card.module.css", ".card { padding: 1px; }\n.title { font-weight: bold; }\n.card .title { color: red; }\n"),
        ("other.module.css", ".used { margin: 1px; }\n.unused { margin: 2px; }\n"),
        ("kiln.toml", "[css]\nprune = true\n"),
    ]);
    let (out, tree) = build(p.path(), &[]);
    let css = text(&tree, &file_of(&tree, "main.js?css"));
    let js = text(&tree, &file_of(&tree, "main.js"));
    // Scoped names, the same in the CSS and in the JS.
    let scoped = |local: &str| -> String {
        let at = css.find(&format!("_{local}{{")).or_else(|| css.find(&format!("_{local} "))).unwrap_or_else(|| panic!("{local} in {css}"));
        let start = css[..at].rfind('.').unwrap() + 1;
        css[start..at + 1 + local.len()].to_owned()
    };
    for local in ["card", "title", "used"] {
        let name = scoped(local);
        assert_ne!(name, local, "{css}");
        assert!(js.contains(&name), "{name} not in {js}");
    }
    // `unused` was never imported: tree shaking drops its export, pruning drops its rule.
    assert!(!css.contains("unused"), "{css}");
    assert!(!js.contains("unused"), "{js}");
    // No separate files for the imported stylesheets.
    assert_eq!(tree.keys().filter(|k| k.ends_with(".css")).count(), 1, "{:?}", tree.keys());
    let server = serve(out.path());
    let (dom, console) = crate::browser::load(&server.url);
    assert!(console.is_empty(), "{console:#?}");
    assert!(dom.contains(&format!("class=\"{} {} {}\"", scoped("card"), scoped("title"), scoped("used"))), "{dom}");
}

#[test]
fn manual_chunks_group_packages_and_small_pure_chunks_merge() {
    let files: &[(&str, &str)] = &[
        ("a.js", "import { big } from './big.js';\nimport { tiny } from './tiny.js';\nimport { pad } from 'leftpad';\nexport const a = big() + tiny() + pad('a');\n"),
        ("b.js", "import { big } from './big.js';\nimport { tiny } from './tiny.js';\nexport const b = big() + tiny();\n"),
        ("c.js", "import { big } from './big.js';\nimport { effect } from './effect.js';\nexport const c = big() + effect;\n"),
        ("d.js", "import { effect } from './effect.js';\nimport { big } from './big.js';\nexport const d = effect + big();\n"),
        ("big.js", "export function big() { return 'big:' + 'x'.repeat(10); }\nexport const table = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];\n"),
        ("tiny.js", "export function tiny() { return 'tiny'; }\n"),
        ("effect.js", "globalThis.effects = (globalThis.effects || 0) + 1;\nexport const effect = 'effect';\n"),
        ("node_modules/leftpad/package.json", "{\"name\":\"leftpad\",\"version\":\"1.0.0\",\"module\":\"index.js\"}\n"),
        ("node_modules/leftpad/index.js", "export const pad = (s) => ' ' + s;\n"),
    ];
    let entries = ["--entry", "a.js", "--entry", "b.js", "--entry", "c.js", "--entry", "d.js"];
    let p = project(files);
    let (_, plain) = build(p.path(), &entries);
    let plain_keys: Vec<String> = names(&plain).into_keys().filter(|k| k.starts_with('_')).collect();
    assert_eq!(plain_keys, ["_big.js", "_effect.js", "_tiny.js"], "shared chunks, by entry set");
    std::fs::write(p.path().join("kiln.toml"), "[js]\nmin_chunk_size = 200\nmanual_chunks = { vendor = [\"leftpad\"] }\n").unwrap();
    let (out, merged) = build(p.path(), &entries);
    let keys: Vec<String> = names(&merged).into_keys().filter(|k| k.starts_with('_')).collect();
    // tiny.js (a, b) is pure and joins big.js (a, b, c, d); effect.js has a side effect and
    // stays on its own; leftpad goes to the vendor chunk.
    assert_eq!(keys, ["_big.js", "_effect.js", "_vendor.js"]);
    assert!(text(&merged, &file_of(&merged, "_vendor.js")).contains("\" \"+"), "leftpad is in the vendor chunk");
    let (a, b, c, d) = (file_of(&merged, "a.js"), file_of(&merged, "b.js"), file_of(&merged, "c.js"), file_of(&merged, "d.js"));
    let result = node(
        out.path(),
        &format!(
            "const r = []; for (const f of ['{a}', '{b}', '{c}', '{d}']) {{ const m = await import('./' + f); r.push(Object.values(m)[0]); }}\n\
             console.log(JSON.stringify([r, globalThis.effects]));"
        ),
    );
    assert_eq!(result, serde_json::json!([["big:xxxxxxxxxxtiny a", "big:xxxxxxxxxxtiny", "big:xxxxxxxxxxeffect", "effectbig:xxxxxxxxxx"], 1]));
}

#[test]
fn budgets_see_what_a_page_loads_later() {
    let p = project(SITE);
    std::fs::write(p.path().join("budgets.toml"), "[[budget]]\npage = \"index.html\"\nload = \"lazy\"\nmeasure = \"raw\"\nmax = \"10 B\"\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = |cmd: &mut assert_cmd::Command| {
        let o = cmd.output().unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let (code, stdout) = run(kiln().arg("build").arg(p.path()).arg("--out").arg(out.path()).args(["--no-compress"]));
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("index.html (lazy)"), "{stdout}");
    // The lazy chunk and its CSS, as `kiln check` reads them back from the manifest.
    let lazy_bytes: u64 = ["lazy.js", "lazy.js?css"]
        .iter()
        .map(|k| {
            let m: serde_json::Value = serde_json::from_slice(&std::fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
            m[k]["size"].as_u64().unwrap()
        })
        .sum();
    let (code, checked) = run(kiln().arg("check").arg(out.path()).arg("--budgets").arg(p.path().join("budgets.toml")));
    assert_eq!(code, Some(1), "{checked}");
    let shown = format!("{:.2} kB raw", lazy_bytes as f64 / 1000.0);
    assert!(stdout.contains(&shown) && checked.contains(&shown), "{shown}:\n{stdout}\n{checked}");
}

#[test]
fn import_maps_need_pages() {
    let p = project(LAZY);
    std::fs::write(p.path().join("kiln.toml"), "hash_cascade = \"importmap\"\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = kiln().arg("build").arg(p.path()).arg("--out").arg(out.path()).args(["--entry", "main.js"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs HTML pages"), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn the_hash_cascade_follows_the_targets_and_says_why() {
    let run = |toml: &str, extra: &[&str]| {
        let p = project(SITE);
        std::fs::write(p.path().join("kiln.toml"), toml).unwrap();
        let out = tempfile::tempdir().unwrap();
        let json = out.path().join("report.json");
        let r = kiln()
            .arg("build")
            .arg(p.path())
            .arg("--out")
            .arg(out.path().join("dist"))
            .arg("--json")
            .arg(&json)
            .args(["--no-compress", "--no-budgets"])
            .args(extra)
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        let index = std::fs::read_to_string(out.path().join("dist/index.html")).unwrap_or_default();
        (String::from_utf8_lossy(&r.stdout).into_owned(), report["notes"].clone(), index.contains("<script type=importmap>"), out)
    };
    // Every target that runs module scripts has import maps: import maps, and the page works.
    let (table, notes, map, out) = run("[css]\ntargets = \"last 2 chrome versions, last 2 firefox versions, last 2 safari versions\"\n", &[]);
    assert!(map, "{notes}");
    assert!(notes[0].as_str().unwrap().starts_with("hash_cascade: importmap, as every browser of css.targets"), "{notes}");
    assert!(table.contains("hash_cascade: importmap"), "{table}");
    let server = serve(&out.path().join("dist"));
    let (dom, console) = crate::browser::load(&format!("{}#go", server.url));
    assert!(console.is_empty() && dom.contains("<p id=\"lazy\" class=\"lazy\">lazy 1</p>"), "{console:?}\n{dom}");
    // browserslist's defaults include UC Browser 15.5: modules, no import maps.
    let (_, notes, map, _) = run("", &[]);
    assert!(!map);
    assert!(notes[0].as_str().unwrap().contains("includes UC Browser for Android 15.5, which runs module scripts but has no import maps"), "{notes}");
    // Script entries: no page would carry the map.
    let (_, notes, _, _) = run("[css]\ntargets = \"last 2 chrome versions\"\n", &["--entry", "main.js"]);
    assert!(notes[0].as_str().unwrap().starts_with("hash_cascade: hashes, as the entries include scripts"), "{notes}");
    // Set in the file: no note.
    let (_, notes, map, _) = run("hash_cascade = \"hashes\"\n[css]\ntargets = \"last 2 chrome versions\"\n", &[]);
    assert!(!map && notes.is_null(), "{notes}");
}
