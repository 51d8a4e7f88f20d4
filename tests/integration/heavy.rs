//! Issue 33: what heavy real apps (mermaid, pdf.js, monaco-editor) broke, one test each, run in
//! node: CommonJS shared between chunks, `new URL()` of package files, exports declared by
//! destructuring; and the unbound-name check that turns such linking bugs into located errors.

use crate::common::kiln;
use crate::js::project;
use crate::split::{build, file_of, node};

const EVERY_MODE: [&[&str]; 3] = [&[], &["--no-minify"], &["--sourcemap"]];

/// Two pages and two lazy chunks sharing CommonJS packages (one with `__esModule`, one that
/// assigns `module.exports`), imported by default, by name and as a namespace; and CommonJS
/// modules in two chunks that `require` one in a third. `@braintree/sanitize-url` in mermaid
/// was the first: the shared chunk held its wrapper and exported nothing, and each page called
/// `(0, a.sanitizeUrl)(…)` with `a` never defined.
const CJS_SHARED: &[(&str, &str)] = &[
    ("node_modules/esm-flagged/package.json", r#"{ "name": "esm-flagged", "main": "dist/index.js" }"#),
    (
        "node_modules/esm-flagged/dist/index.js",
        "\"use strict\";\nObject.defineProperty(exports, \"__esModule\", { value: true });\nexports.sanitizeUrl = void 0;\n\
         globalThis.flaggedRuns = (globalThis.flaggedRuns || 0) + 1;\n\
         function sanitizeUrl(u) { return /^javascript:/.test(u) ? 'about:blank' : u; }\nexports.sanitizeUrl = sanitizeUrl;\n",
    ),
    ("node_modules/plain/package.json", r#"{ "name": "plain", "main": "index.js" }"#),
    (
        "node_modules/plain/index.js",
        "var common = require('./common.js');\nmodule.exports = function greet(x) { return 'hi ' + x + common.mark; };\nmodule.exports.extra = 7;\n",
    ),
    ("node_modules/plain/common.js", "globalThis.commonRuns = (globalThis.commonRuns || 0) + 1;\nexports.mark = '!';\n"),
    ("node_modules/plain/other.js", "var common = require('./common.js');\nmodule.exports = { twice: common.mark + common.mark };\n"),
    (
        "main.js",
        "import { sanitizeUrl } from 'esm-flagged';\nimport greet from 'plain';\nimport * as ns from 'plain';\n\
         export const out = [sanitizeUrl('javascript:x'), greet('main'), ns.extra, ns.default.extra];\n\
         export async function open() { return [(await import('./lazy-a.js')).run(), (await import('./lazy-b.js')).run()]; }\n",
    ),
    (
        "other.js",
        "import { sanitizeUrl } from 'esm-flagged';\nimport greet from 'plain';\nimport twice from 'plain/other.js';\n\
         export const out = [sanitizeUrl('https://x.test/'), greet('other'), twice.twice];\n",
    ),
    ("lazy-a.js", "import dayjs from './dayjs-like.cjs';\nexport function run() { return dayjs('a'); }\n"),
    ("lazy-b.js", "import * as d from './dayjs-like.cjs';\nexport function run() { return d.default('b') + d.default.version; }\n"),
    (
        "dayjs-like.cjs",
        "globalThis.dayRuns = (globalThis.dayRuns || 0) + 1;\nmodule.exports = function (x) { return 'day:' + x; };\nmodule.exports.version = '@1';\n",
    ),
];

#[test]
fn commonjs_shared_between_chunks_runs() {
    for extra in EVERY_MODE {
        let p = project(CJS_SHARED);
        let (out, tree) = build(p.path(), &[&["--entry", "main.js", "--entry", "other.js"][..], extra].concat());
        let (main, other) = (file_of(&tree, "main.js"), file_of(&tree, "other.js"));
        // The CommonJS modules each sit in one file.
        for needle in ["flaggedRuns", "commonRuns", "dayRuns"] {
            let holders = tree.keys().filter(|k| k.ends_with(".js") && String::from_utf8_lossy(&tree[*k]).contains(needle)).count();
            assert_eq!(holders, 1, "{needle} {extra:?}");
        }
        let script = format!(
            "const a = await import('./{main}'); const b = await import('./{other}');\n\
             const opened = await a.open();\n\
             console.log(JSON.stringify([a.out, b.out, opened, globalThis.flaggedRuns, globalThis.commonRuns, globalThis.dayRuns]));"
        );
        assert_eq!(
            node(out.path(), &script),
            serde_json::json!([["about:blank", "hi main!", 7, 7], ["https://x.test/", "hi other!", "!!"], ["day:a", "day:b@1"], 1, 1, 1]),
            "{extra:?}"
        );
    }
}

/// `new URL('pkg/file', import.meta.url)` names a package's file when no such relative file
/// exists: pdf.js documents `new Worker(new URL('pdfjs-dist/build/pdf.worker.min.mjs',
/// import.meta.url))`, and monaco-editor's workers are found the same way. The package's
/// `exports` are honoured; a relative file of that name wins; neither is a located error.
const URL_OF_PACKAGE: &[(&str, &str)] = &[
    (
        "node_modules/fake-pdf/package.json",
        r#"{ "name": "fake-pdf", "type": "module", "exports": { ".": "./build/pdf.mjs", "./build/*": "./build/*", "./cmaps/*": "./cmaps/*" } }"#,
    ),
    ("node_modules/fake-pdf/build/pdf.mjs", "export const version = '1';\n"),
    ("node_modules/fake-pdf/build/pdf.worker.mjs", "globalThis.fakePdfWorker = 'worker ran';\n"),
    ("node_modules/fake-pdf/cmaps/a.bcmap", "BCMAP-DATA"),
    ("node_modules/fake-pdf/private/x.mjs", "export {};\n"),
    ("local-pdf/build/pdf.worker.mjs", "globalThis.localWorker = 'the relative file';\n"),
    (
        "main.js",
        "export const worker = new URL('fake-pdf/build/pdf.worker.mjs', import.meta.url).href;\n\
         export const cmap = new URL('fake-pdf/cmaps/a.bcmap', import.meta.url).href;\n\
         export const local = new URL('local-pdf/build/pdf.worker.mjs', import.meta.url).href;\n\
         export function start() { return new Worker(new URL('fake-pdf/build/pdf.worker.mjs', import.meta.url), { type: 'module' }); }\n",
    ),
];

#[test]
fn new_url_of_a_package_file_resolves_through_node_modules() {
    let p = project(URL_OF_PACKAGE);
    let (out, tree) = build(p.path(), &["--entry", "main.js"]);
    let main = file_of(&tree, "main.js");
    let urls = node(out.path(), &format!("const m = await import('./{main}'); console.log(JSON.stringify([m.worker, m.cmap, m.local]));"));
    // Each URL's file, found in the output by its name.
    let urls: Vec<String> = urls
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let name = u.as_str().unwrap().rsplit('/').next().unwrap().to_owned();
            tree.keys().find(|k| k.rsplit('/').next() == Some(name.as_str())).unwrap_or_else(|| panic!("{u} is not in the output: {:?}", tree.keys())).clone()
        })
        .collect();
    let body = |rel: &str| String::from_utf8_lossy(&tree[rel]).into_owned();
    assert!(body(&urls[0]).contains("worker ran"), "{urls:?}");
    assert_eq!(body(&urls[1]), "BCMAP-DATA");
    assert!(body(&urls[2]).contains("the relative file"), "{urls:?}");

    let bad = project(&[("main.js", "export const u = new URL('nowhere-pkg/file.js', import.meta.url).href;\n")]);
    let out = kiln().arg("build").arg(bad.path()).args(["--entry", "main.js", "-q"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("main.js:1:") && stderr.contains("nowhere-pkg/file.js") && stderr.contains("nor as a package's file"), "{stderr}");

    let unexported =
        project(&[URL_OF_PACKAGE[0], URL_OF_PACKAGE[4], ("main.js", "export const u = new URL('fake-pdf/private/x.mjs', import.meta.url).href;\n")]);
    let out = kiln().arg("build").arg(unexported.path()).args(["--entry", "main.js", "-q"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a file the package does not export is not found");
}

const LICENSED: &[(&str, &str)] = &[
    ("node_modules/mit-lib/package.json", r#"{ "name": "mit-lib", "version": "1.2.3", "license": "MIT", "type": "module" }"#),
    ("node_modules/mit-lib/LICENSE", "MIT License\n\nCopyright (c) 2026 Mit Lib's authors\n"),
    (
        "node_modules/mit-lib/index.js",
        "/*! mit-lib v1.2.3 | MIT */\nexport function f() { return 1; }\n/**\n * @license Another notice\n * on two lines\n */\nexport const g = 2;\n",
    ),
    ("node_modules/@s/bsd/package.json", r#"{ "name": "@s/bsd", "version": "0.1.0", "license": "BSD-3-Clause", "type": "module" }"#),
    ("node_modules/@s/bsd/LICENCE.md", "Redistribution and use in source and binary forms are permitted.\n"),
    ("node_modules/@s/bsd/index.js", "// @preserve the bsd notice\nexport const h = 3;\n"),
    ("main.js", "import { f, g } from 'mit-lib';\nimport { h } from '@s/bsd';\n/*! main's own notice */\nexport const out = f() + g + h;\n"),
    ("other.js", "import { f } from 'mit-lib';\nexport const out = f();\n"),
];

/// Legal comments survive the build, once each at the end of the chunk holding their code, as
/// esbuild keeps them by default; `js.legal_comments = "none"` drops them. `js.license_file`
/// lists the bundled packages with their licences and texts (Markdown or JSON).
#[test]
fn legal_comments_and_the_licence_file() {
    for extra in [&[][..], &["--no-minify"][..]] {
        let p = project(LICENSED);
        std::fs::write(p.path().join("kiln.toml"), "[js]\nlicense_file = \"licenses.md\"\n").unwrap();
        let (_out, tree) = build(p.path(), &[&["--entry", "main.js", "--entry", "other.js"][..], extra].concat());
        let text = |k: &str| String::from_utf8_lossy(&tree[k]).into_owned();
        let (main, shared) = (text(&file_of(&tree, "main.js")), text(&file_of(&tree, "_index.js")));
        assert!(shared.contains("/*! mit-lib v1.2.3 | MIT */\n") && shared.contains(" * @license Another notice\n * on two lines\n */"), "{extra:?}\n{shared}");
        assert!(main.contains("// @preserve the bsd notice\n") && main.contains("/*! main's own notice */"), "{main}");
        assert!(!main.contains("mit-lib v1.2.3"), "a notice is in the file that holds the code: {main}");
        assert_eq!(shared.matches("mit-lib v1.2.3").count(), 1);
        let tail = &shared[shared.rfind("export").unwrap()..];
        assert!(tail.contains("/*! mit-lib"), "the comments come last: {shared}");
        let licenses = text("licenses.md");
        assert!(licenses.contains("## @s/bsd 0.1.0 (BSD-3-Clause)\n\n    Redistribution and use"), "{licenses}");
        assert!(licenses.contains("## mit-lib 1.2.3 (MIT)\n\n    MIT License\n\n    Copyright (c) 2026 Mit Lib's authors\n"), "{licenses}");
        assert!(licenses.find("@s/bsd").unwrap() < licenses.find("mit-lib").unwrap(), "sorted by name");
    }

    let p = project(LICENSED);
    std::fs::write(p.path().join("kiln.toml"), "[js]\nlegal_comments = \"none\"\nlicense_file = \"legal/licenses.json\"\n").unwrap();
    let (_out, tree) = build(p.path(), &["--entry", "main.js"]);
    let main = String::from_utf8_lossy(&tree[&file_of(&tree, "main.js")]).into_owned();
    assert!(!main.contains("notice") && !main.contains("mit-lib v1"), "{main}");
    let json: serde_json::Value = serde_json::from_slice(&tree["legal/licenses.json"]).unwrap();
    assert_eq!(json[1]["name"], "mit-lib");
    assert_eq!(json[1]["license"], "MIT");
    assert!(json[1]["text"].as_str().unwrap().starts_with("MIT License"));

    // "linked": the notices in a .LEGAL.txt file that the chunk's last comment names.
    let p = project(LICENSED);
    std::fs::write(p.path().join("kiln.toml"), "[js]\nlegal_comments = \"linked\"\n").unwrap();
    let (_out, tree) = build(p.path(), &["--entry", "main.js"]);
    let main = String::from_utf8_lossy(&tree[&file_of(&tree, "main.js")]).into_owned();
    assert!(!main.contains("mit-lib v1.2.3") && !main.contains("bsd notice"), "{main}");
    let named = main.rsplit("/*! For license information please see ").next().unwrap().trim_end().trim_end_matches("*/").trim();
    let legal =
        tree.keys().find(|k| k.ends_with(".txt") && named.ends_with(k.rsplit('/').next().unwrap())).unwrap_or_else(|| panic!("{named} in {:?}", tree.keys()));
    let legal = String::from_utf8_lossy(&tree[legal]).into_owned();
    assert!(legal.contains("/*! mit-lib v1.2.3 | MIT */") && legal.contains("// @preserve the bsd notice") && legal.contains("main's own notice"), "{legal}");

    for (setting, message) in [("license_file = \"../up.md\"", "js.license_file"), ("legal_comments = \"linked-ish\"", "js.legal_comments")] {
        let p = project(LICENSED);
        std::fs::write(p.path().join("kiln.toml"), format!("[js]\n{setting}\n")).unwrap();
        let out = kiln().arg("build").arg(p.path()).args(["--entry", "main.js", "-q"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message) && stderr.contains("kiln.toml:2:"), "{stderr}");
    }
}

const DESTRUCTURED: &[(&str, &str)] = &[
    (
        "lib.js",
        "const SRC = (() => ({ URI: { parse: (x) => 'uri:' + x }, Utils: { dirname: (x) => x.split('/').slice(0, -1).join('/') }, deep: { inner: [1, [2, 3]] }, extra1: 'e1', extra2: 'e2' }))();\n\
         const { URI, Utils } = SRC;\n\
         const { deep: { inner: [first, [second, third = 9]] }, missing = 'default', ...rest } = SRC;\n\
         let [a1, , a3 = 'a3-default', ...aRest] = ['x', 'skipped', undefined, 'r1', 'r2'];\n\
         export { URI, Utils, first as One, second, third, missing, rest, a1, a3, aRest };\n\
         export const { extra1: e1 } = SRC;\n\
         export let [l1, l2] = [10, 20];\n\
         export function bump() { l1 += 1; }\n",
    ),
    ("reexport.js", "export { URI as U, One } from './lib.js';\nexport * from './lib.js';\n"),
    (
        "main.js",
        "import { URI, Utils, One, second, third, missing, rest, a1, a3, aRest, e1, l1, l2, bump } from './lib.js';\nimport { U } from './reexport.js';\n\
         bump();\n\
         export const out = [URI.parse('a'), Utils.dirname('a/b/c'), One, second, third, missing, Object.keys(rest).sort(), a1, a3, aRest, e1, l1, l2, U === URI];\n",
    ),
    ("other.js", "import { Utils, One, l1 } from './reexport.js';\nexport const out = [Utils.dirname('x/y'), One, l1];\nexport const worker = new URL('./worker.js', import.meta.url).href;\n"),
    // A worker's bundle is self-contained: the same module linked again, without splitting.
    ("worker.js", "import { URI as V, rest, aRest } from './reexport.js';\nglobalThis.workerOut = [V.parse('w'), rest.extra2, aRest.length];\n"),
];

/// Exports declared by destructuring (object and array, nested, with defaults and rest),
/// renamed, re-exported and through `export *`, used by modules of the same chunk and of
/// another: monaco's `const { getWindow, … } = (function () { … })()` and vscode-uri's
/// `const { URI, Utils } = LIB` stopped minified builds with an internal error.
#[test]
fn destructured_exports_link_in_every_mode() {
    for (extra, config) in [(&[][..], ""), (&["--no-minify"][..], ""), (&[][..], "[js]\nsplitting = false\n"), (&["--sourcemap"][..], "")] {
        let p = project(DESTRUCTURED);
        std::fs::write(p.path().join("kiln.toml"), config).unwrap();
        let (out, tree) = build(p.path(), &[&["--entry", "main.js", "--entry", "other.js"][..], extra].concat());
        let (main, other) = (file_of(&tree, "main.js"), file_of(&tree, "other.js"));
        let result = node(
            out.path(),
            &format!(
                "const a = await import('./{main}'); const b = await import('./{other}');\n\
                 await import(new URL(b.worker.split('/').pop(), new URL('./{main}', import.meta.url)).href);\n\
                 console.log(JSON.stringify([a.out, b.out, globalThis.workerOut]));"
            ),
        );
        let live = if config.is_empty() { 11 } else { 10 };
        assert_eq!(
            result,
            serde_json::json!([
                ["uri:a", "a/b", 1, 2, 3, "default", ["URI", "Utils", "extra1", "extra2"], "x", "a3-default", ["r1", "r2"], "e1", 11, 20, true],
                ["x", 1, live],
                ["uri:w", "e2", 2]
            ]),
            "{extra:?} {config:?}"
        );
    }
}
