//! The real-app corpus: starters, apps around real libraries and static sites that nobody on
//! this project wrote, installed from npm at pinned versions (`tests/corpus/package.json`).
//!
//! Each app is assembled in `tests/corpus/work/NAME` from its npm package, plus the few glue
//! files in `tests/corpus/apps/NAME` (a page that uses a library, a Vite config that replaces a
//! framework plugin). It is then built by kiln and by Vite 8 — or, for a static site, kept as
//! it is — both outputs are served, and each page is opened in headless Chromium on both
//! sides (`tests/corpus/browse.mjs`): same screenshot, same text after the same clicks, and no
//! console error, uncaught exception, failed request or HTTP error on either side.
//!
//! The apps' `node_modules` is a symlink to the corpus's shared one, outside the app's root,
//! as pnpm and workspaces lay it out. `KILN_CORPUS_SIZES=FILE` appends each app's JS and CSS
//! sizes (kiln beside Vite) to FILE, for the README's table (`benches/corpus.sh`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::{kiln, read_tree, repo, serve};

struct Page {
    path: &'static str,
    /// Browser actions, as JSON (`[{"click": ".counter"}]`).
    actions: &'static str,
    /// Elements whose text must be the same on both sides, each with a part it must contain.
    texts: &'static [(&'static str, &'static str)],
    /// Extra wait before the screenshot (script-driven animations).
    settle: u32,
}

const fn page(path: &'static str) -> Page {
    Page { path, actions: "[]", texts: &[], settle: 300 }
}

/// The root page of an app whose script writes its result into `#out` and marks it `.done`.
const fn result_page(texts: &'static [(&'static str, &'static str)]) -> Page {
    Page { path: "", actions: r##"[{"wait": "#out.done"}]"##, texts, settle: 300 }
}

struct App {
    name: &'static str,
    /// A starter made by its own generator (a script under tests/corpus/node_modules and its
    /// flags), run offline in `tests/corpus/work` to create the app folder.
    scaffold: &'static [&'static str],
    /// (path under tests/corpus/node_modules, destination inside the app folder).
    copy: &'static [(&'static str, &'static str)],
    /// (from, to) inside the app folder, after copying.
    rename: &'static [(&'static str, &'static str)],
    /// Files removed (framework-plugin configs, unit tests).
    remove: &'static [&'static str],
    /// (file, text, replacement).
    replace: &'static [(&'static str, &'static str, &'static str)],
    /// The project root inside the app folder.
    root: &'static str,
    /// Symlinks (inside the app folder → target relative to the link's folder); the app's
    /// `node_modules` links to the shared one unless it has its own links.
    links: &'static [(&'static str, &'static str)],
    /// Built by Vite too; otherwise a static site compared with its source folder.
    vite: bool,
    pages: &'static [Page],
    /// Text no output file may contain.
    forbidden: &'static [&'static str],
}

const COUNTER: Page =
    Page { path: "", actions: r#"[{"click": ".counter"}, {"click": ".counter"}, {"click": ".counter"}]"#, texts: &[(".counter", "3")], settle: 300 };

/// An app built by kiln and Vite from its glue alone, one page at its root.
const fn app(name: &'static str) -> App {
    App { name, scaffold: &[], copy: &[], rename: &[], remove: &[], replace: &[], root: ".", links: &[], vite: true, pages: ROOT_PAGE, forbidden: &[] }
}

/// A create-vite starter, with its plugin config (Vite is given the one in the app's glue).
const fn starter(name: &'static str, copy: &'static [(&'static str, &'static str)]) -> App {
    App {
        copy,
        rename: &[("_gitignore", ".gitignore"), ("_oxlintrc.json", ".oxlintrc.json")],
        remove: &["vite.config.js", "vite.config.ts"],
        pages: &[COUNTER],
        ..app(name)
    }
}

fn corpus() -> PathBuf {
    repo().join("tests/corpus")
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_file() {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
        return;
    }
    for entry in walkdir::WalkDir::new(from).follow_links(true) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        if rel.components().any(|c| c.as_os_str() == "node_modules") {
            continue;
        }
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Assembles the app's folder afresh.
fn assemble(app: &App) -> PathBuf {
    let modules = corpus().join("node_modules");
    assert!(
        modules.join("vite/package.json").is_file() && modules.join("playwright-core/package.json").is_file(),
        "tests/corpus/node_modules is missing: run ./scripts/test, which installs it with npm ci"
    );
    let dir = corpus().join("work").join(app.name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    if let [script, flags @ ..] = app.scaffold {
        let made = Command::new("node").current_dir(corpus().join("work")).arg(modules.join(script)).arg(app.name).args(flags).output().unwrap();
        assert!(made.status.success() && dir.is_dir(), "{}: {script} failed: {}", app.name, String::from_utf8_lossy(&made.stderr));
    }
    std::fs::create_dir_all(&dir).unwrap();
    for (from, to) in app.copy {
        copy_tree(&modules.join(from), &dir.join(to));
    }
    for (from, to) in app.rename {
        if dir.join(from).exists() {
            std::fs::rename(dir.join(from), dir.join(to)).unwrap();
        }
    }
    for f in app.remove {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let overlay = corpus().join("apps").join(app.name);
    if overlay.is_dir() {
        copy_tree(&overlay, &dir);
    }
    for (file, from, to) in app.replace {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{}: {file} no longer contains {from:?}", app.name);
        std::fs::write(&path, text.replace(from, to)).unwrap();
    }
    let links: Vec<(String, String)> = if app.links.is_empty() {
        vec![("node_modules".into(), "../../node_modules".into())]
    } else {
        app.links.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    };
    for (link, target) in links {
        let link = dir.join(link);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, &link).unwrap();
    }
    dir
}

fn run(cmd: &mut Command, what: &str) {
    crate::common::succeed(cmd, what);
}

fn vite_build(root: &Path, out: &Path) {
    let mut cmd = Command::new("node");
    cmd.current_dir(root).arg(corpus().join("node_modules/vite/bin/vite.js")).args(["build", "--logLevel", "error", "--emptyOutDir", "--outDir"]).arg(out);
    if root.join("vite.corpus.mjs").is_file() {
        cmd.args(["--config", "vite.corpus.mjs"]);
    }
    run(&mut cmd, "vite build");
}

/// JS and CSS bytes of an output folder: (JS raw, JS gzip, CSS raw, CSS gzip).
fn sizes(dir: &Path) -> (usize, usize, usize, usize) {
    use std::io::Write;
    let gz = |b: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(b).unwrap();
        e.finish().unwrap().len()
    };
    let mut s = (0, 0, 0, 0);
    for (path, bytes) in read_tree(dir) {
        if path.ends_with(".js") || path.ends_with(".mjs") {
            s.0 += bytes.len();
            s.1 += gz(&bytes);
        } else if path.ends_with(".css") {
            s.2 += bytes.len();
            s.3 += gz(&bytes);
        }
    }
    s
}

fn check(app: &App) {
    let dir = assemble(app);
    let root = dir.join(app.root);
    let out = tempfile::tempdir().unwrap();
    let kiln_out = out.path().join("kiln");
    let build = kiln().arg("build").arg(&root).arg("--out").arg(&kiln_out).args(["-q", "--no-compress", "--no-budgets"]).output().unwrap();
    assert!(build.status.success(), "{}: kiln build failed:\n{}", app.name, String::from_utf8_lossy(&build.stderr));
    // Built again from the build cache (the JS stage replayed, stylesheets cached), which must
    // give the same files; KILN_CHECK_CACHE also runs everything in full and compares.
    let again = out.path().join("kiln-again");
    let rebuild = kiln()
        .env("KILN_CHECK_CACHE", "1")
        .arg("build")
        .arg(&root)
        .arg("--out")
        .arg(&again)
        .args(["-q", "--no-compress", "--no-budgets", "--json", "-"])
        .output()
        .unwrap();
    assert!(rebuild.status.success(), "{}: kiln rebuild failed:\n{}", app.name, String::from_utf8_lossy(&rebuild.stderr));
    assert_eq!(read_tree(&kiln_out), read_tree(&again), "{}: the rebuild from the cache differs", app.name);
    let report: serde_json::Value = serde_json::from_slice(&rebuild.stdout).unwrap();
    let replayed = report["timings"].as_array().unwrap().iter().any(|t| t["stage"] == "js.replay");
    let warned = !report["warnings"].as_array().unwrap().is_empty();
    assert!(replayed || warned, "{}: the rebuild should replay the JS stage: {report}", app.name);
    let other = if app.vite {
        let vite_out = out.path().join("vite");
        vite_build(&root, &vite_out);
        vite_out
    } else {
        root.clone()
    };
    for (path, bytes) in read_tree(&kiln_out) {
        let text = String::from_utf8_lossy(&bytes);
        for f in app.forbidden {
            assert!(!text.contains(f), "{}: {path} contains {f:?}", app.name);
        }
    }
    if let Some(file) = std::env::var_os("KILN_CORPUS_SIZES") {
        use std::io::Write;
        let (k, v) = (sizes(&kiln_out), if app.vite { Some(sizes(&other)) } else { None });
        let v = v.map_or_else(|| "-\t-\t-\t-".to_owned(), |v| format!("{}\t{}\t{}\t{}", v.0, v.1, v.2, v.3));
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(file).unwrap();
        writeln!(f, "{}\t{}\t{}\t{}\t{}\t{}", app.name, k.0, k.1, k.2, k.3, v).unwrap();
    }
    let (a, b) = (serve(&other), serve(&kiln_out));
    let cases: Vec<serde_json::Value> = app
        .pages
        .iter()
        .map(|p| {
            serde_json::json!({
                "name": format!("{}-{}", app.name, if p.path.is_empty() { "index" } else { p.path }),
                "a": format!("{}{}", a.url, p.path),
                "b": format!("{}{}", b.url, p.path),
                "actions": serde_json::from_str::<serde_json::Value>(p.actions).unwrap(),
                "texts": p.texts.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
                "settle": p.settle,
            })
        })
        .collect();
    let shots = corpus().join("work").join(format!("{}-shots", app.name));
    let results = browse(&cases, &shots);
    let mut problems = Vec::new();
    for (r, p) in results.iter().zip(app.pages) {
        let name = r["name"].as_str().unwrap();
        for side in ["a", "b"] {
            let who = if side == "b" {
                "kiln"
            } else if app.vite {
                "vite"
            } else {
                "source"
            };
            let s = &r[side];
            if !s["error"].is_null() {
                problems.push(format!("{name} ({who}): {}", s["error"]));
            }
            for key in ["consoleErrors", "pageErrors", "failedRequests", "httpErrors"] {
                for e in s[key].as_array().unwrap() {
                    problems.push(format!("{name} ({who}): {key}: {e}"));
                }
            }
            for (sel, part) in p.texts {
                let text = s["texts"][sel].as_str().unwrap_or("");
                if !text.contains(part) {
                    problems.push(format!("{name} ({who}): {sel} shows {text:?}, not {part:?}"));
                }
            }
        }
        if r["a"]["texts"] != r["b"]["texts"] {
            problems.push(format!("{name}: texts differ: {} vs {}", r["a"]["texts"], r["b"]["texts"]));
        }
        let differing = r["pixels"]["differing"].as_i64().unwrap_or(-1);
        if differing != 0 {
            problems.push(format!("{name}: {differing} pixels differ ({})", r["shots"]));
        }
    }
    assert!(problems.is_empty(), "{}:\n{}", app.name, problems.join("\n"));
}

/// Opens each case's two pages in headless Chromium (`tests/corpus/browse.mjs`, whose header
/// says what a case and a result hold); screenshots go to `shots`.
pub fn browse(cases: &[serde_json::Value], shots: &Path) -> Vec<serde_json::Value> {
    assert!(
        corpus().join("node_modules/playwright-core/package.json").is_file(),
        "tests/corpus/node_modules is missing: run ./scripts/test, which installs it with npm ci"
    );
    let mut child =
        Command::new("node").arg(corpus().join("browse.mjs")).arg(shots).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(serde_json::to_string(cases).unwrap().as_bytes()).unwrap();
    }
    let result = child.wait_with_output().unwrap();
    assert!(result.status.success(), "browse.mjs failed:\n{}", String::from_utf8_lossy(&result.stderr));
    serde_json::from_slice(&result.stdout).unwrap()
}

macro_rules! corpus_tests {
    ($($test:ident => $app:expr;)*) => {
        $(
            #[test]
            fn $test() {
                const APP: App = $app;
                check(&APP);
            }
        )*
    };
}

const ROOT_PAGE: &[Page] = &[page("")];
const INDEX_HTML: &[Page] = &[page("index.html")];
const H5BP_PAGES: &[Page] = &[page("index.html"), page("404.html")];

const SB_ADMIN_PAGES: &[Page] = &[
    page("404.html"),
    page("blank.html"),
    page("buttons.html"),
    page("cards.html"),
    // Chart.js animates its charts from script, which reduced motion does not stop.
    Page { settle: 2000, ..page("charts.html") },
    page("forgot-password.html"),
    Page { settle: 2000, ..page("index.html") },
    page("login.html"),
    page("register.html"),
    page("tables.html"),
    page("utilities-animation.html"),
    page("utilities-border.html"),
    page("utilities-color.html"),
    page("utilities-other.html"),
];

const fn site(name: &'static str, package: &'static [(&'static str, &'static str)], root: &'static str, pages: &'static [Page]) -> App {
    App { copy: package, root, vite: false, pages, ..app(name) }
}

corpus_tests! {
    corpus_vanilla => starter("vanilla", &[("create-vite/template-vanilla", ".")]);
    corpus_vanilla_ts => starter("vanilla-ts", &[("create-vite/template-vanilla-ts", ".")]);
    corpus_react => starter("react", &[("create-vite/template-react", ".")]);
    corpus_react_ts => starter("react-ts", &[("create-vite/template-react-ts", ".")]);
    corpus_preact => starter("preact", &[("create-vite/template-preact", ".")]);
    corpus_preact_ts => starter("preact-ts", &[("create-vite/template-preact-ts", ".")]);
    corpus_vue_ts => starter("vue-ts", &[("create-vite/template-vue-ts", ".")]);
    corpus_create_vue_router_pinia => App {
        scaffold: &["create-vue/bundle.js", "--ts", "--router", "--pinia", "--force"],
        remove: &["vite.config.ts"],
        // Home, then the router's About view (a lazy chunk), as a visitor clicks it.
        pages: &[Page {
            path: "",
            actions: r#"[{"click": "nav a[href='/about']"}]"#,
            texts: &[("header h1", "You did it!"), (".about h1", "This is an about page")],
            settle: 300,
        }],
        ..app("create-vue")
    };
    corpus_svelte_ts => starter("svelte-ts", &[("create-vite/template-svelte-ts", ".")]);
    corpus_vue_element_plus => App {
        copy: &[
            ("create-vite/template-vue-ts/tsconfig.json", "tsconfig.json"),
            ("create-vite/template-vue-ts/tsconfig.app.json", "tsconfig.app.json"),
            ("create-vite/template-vue-ts/tsconfig.node.json", "tsconfig.node.json"),
        ],
        pages: &[Page {
            path: "",
            actions: r##"[{"click": ".counter"}, {"click": ".counter"}, {"click": ".counter"}, {"click": "#tab-second"}]"##,
            texts: &[(".counter", "Clicked 3"), (".el-tag", "KILN"), (".el-tabs__item.is-active", "Second")],
            settle: 600,
        }],
        ..app("vue-element-plus")
    };
    corpus_svelte_bits_ui => App {
        copy: &[
            ("create-vite/template-svelte-ts/tsconfig.json", "tsconfig.json"),
            ("create-vite/template-svelte-ts/tsconfig.app.json", "tsconfig.app.json"),
            ("create-vite/template-svelte-ts/tsconfig.node.json", "tsconfig.node.json"),
        ],
        pages: &[Page {
            path: "",
            actions: r#"[{"click": ".counter"}, {"click": ".counter"}, {"click": ".counter"}, {"click": ".trigger"}, {"click": ".box"}]"#,
            texts: &[(".counter", "Clicked 3"), (".answer", "Svelte's own compiler"), (".check", "yes")],
            settle: 600,
        }],
        ..app("svelte-bits-ui")
    };
    corpus_lit => starter("lit", &[("create-vite/template-lit", ".")]);
    corpus_lit_ts_decorators => starter("lit-ts", &[("create-vite/template-lit-ts", ".")]);
    corpus_mdui_locales_template_import_glob_env => App {
        pages: &[result_page(&[("#out", "de-de, 63 locales: "), ("#title", "Locales from npm (production)")])],
        forbidden: &["hunter2-never-shipped"],
        ..app("locales")
    };
    corpus_sqlite_wasm_worker => App {
        copy: &[("@sqlite.org/sqlite-wasm/dist/sqlite3.wasm", "public/assets/sqlite3.wasm")],
        pages: &[result_page(&[("#out", "sum = 42")])],
        ..app("workers")
    };
    corpus_fontsource_fonts => App {
        pages: &[result_page(&[("#out", "Inter: true, Inter Variable: true")])],
        ..app("fonts")
    };
    corpus_next_app_css_modules => App {
        copy: &[("create-next-app/dist/templates/app/js/app", "app"), ("create-next-app/dist/templates/app/js/public", "public")],
        rename: &[("app/page.js", "app/page.jsx")],
        remove: &["app/layout.js"],
        ..app("next-app")
    };
    corpus_cra_template => App {
        copy: &[("cra-template/template/src", "src"), ("cra-template/template/public", "public")],
        rename: &[("public/index.html", "index.html"), ("src/App.js", "src/App.jsx"), ("src/index.js", "src/index.jsx")],
        remove: &["src/App.test.js", "src/setupTests.js"],
        replace: &[
            ("index.html", "%PUBLIC_URL%", ""),
            ("index.html", "</body>", "<script type=\"module\" src=\"/src/index.jsx\"></script></body>"),
        ],
        ..app("cra")
    };
    corpus_create_preact_router => App {
        copy: &[("create-preact/templates/base", "."), ("create-preact/templates/config/router", "src")],
        rename: &[("_gitignore", ".gitignore")],
        remove: &["vite.config.js"],
        ..app("preact-router")
    };
    corpus_workspace_monorepo => App {
        copy: &[("create-vite/template-vanilla-ts", "apps/web")],
        rename: &[("apps/web/_gitignore", "apps/web/.gitignore")],
        root: "apps/web",
        // npm workspaces: the packages are linked into the workspace's node_modules, and
        // everything else comes from above.
        links: &[("node_modules/@corpus/counter", "../../packages/counter"), ("node_modules/@corpus/ui", "../../packages/ui")],
        pages: &[COUNTER],
        ..app("monorepo")
    };
    // Issue 33: heavy packages. mermaid's diagrams are lazy chunks sharing CommonJS packages;
    // pdf.js and monaco-editor find their workers by `new URL()` of the package's files.
    corpus_mermaid_lazy_diagrams => App {
        pages: &[result_page(&[("#out", "flowchart: true, sequence: true")])],
        ..app("mermaid")
    };
    corpus_pdfjs_worker_canvas => App {
        pages: &[result_page(&[("#out", "pages: 1, text: Hello from pdf.js")])],
        ..app("pdfjs")
    };
    corpus_monaco_editor_typescript_worker => App {
        pages: &[result_page(&[("#out", "markers: 1, Type 'string' is not assignable to type 'number'.")])],
        ..app("monaco")
    };
    corpus_static_sb_admin_2 => site("sb-admin-2", &[("startbootstrap-sb-admin-2", ".")], ".", SB_ADMIN_PAGES);
    corpus_static_creative => site("creative", &[("startbootstrap-creative", ".")], ".", INDEX_HTML);
    corpus_static_agency => site("agency", &[("startbootstrap-agency", ".")], ".", INDEX_HTML);
    corpus_static_freelancer => site("freelancer", &[("startbootstrap-freelancer", ".")], ".", INDEX_HTML);
    corpus_static_html5_boilerplate => site("html5-boilerplate", &[("html5-boilerplate/dist", ".")], ".", H5BP_PAGES);
}
