//! The JS bundler: bundles built by the real binary and run in node.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{kiln, read_tree};

/// Writes a project from (path, content) pairs.
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// Builds `entry` of `root` into `root/out`; returns the out folder and the bundle's path.
pub fn bundle(root: &Path, entry: &str, extra: &[&str]) -> (PathBuf, PathBuf) {
    let out_dir = root.join("out");
    let output = kiln().arg("build").arg(root).args(["--entry", entry, "--quiet", "--out"]).arg(&out_dir).args(extra).output().unwrap();
    assert!(output.status.success(), "build failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let main = read_tree(&out_dir)
        .into_keys()
        .filter(|p| p.ends_with(".js"))
        .map(|p| out_dir.join(p))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("a bundle");
    (out_dir, main)
}

/// Imports the bundle in node as `m` and prints the JSON of `expr`.
pub fn node(bundle: &Path, expr: &str) -> serde_json::Value {
    let script =
        format!("globalThis.log = []; const m = await import({:?}); console.log(JSON.stringify(await ({expr})));", format!("file://{}", bundle.display()));
    let out = Command::new("node").args(["--input-type=module", "-e", &script]).output().expect("node runs");
    assert!(out.status.success(), "node failed:\n{}\n{}", String::from_utf8_lossy(&out.stderr), std::fs::read_to_string(bundle).unwrap());
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn both_modes(files: &[(&str, &str)], entry: &str, expr: &str, expected: serde_json::Value) {
    for extra in [&[][..], &["--no-minify"][..]] {
        let p = project(files);
        let (_, main) = bundle(p.path(), entry, extra);
        assert_eq!(node(&main, expr), expected, "with {extra:?}:\n{}", std::fs::read_to_string(&main).unwrap());
    }
}

#[test]
fn live_bindings_and_namespaces() {
    both_modes(
        &[
            ("main.js", "import { count, inc } from './counter.js';\nimport * as ns from './counter.js';\nexport function run() { inc(); inc(); return [count, ns.count, Object.keys(ns).sort()]; }\nexport { ns };\n"),
            ("counter.js", "export let count = 0;\nexport function inc() { count++; }\n"),
        ],
        "main.js",
        "[m.run(), m.ns.count, m.ns[Symbol.toStringTag]]",
        serde_json::json!([[2, 2, ["count", "inc"]], 2, "Module"]),
    );
}

#[test]
fn circular_imports_evaluate_in_spec_order() {
    both_modes(
        &[
            ("main.js", "import './a.js';\nimport { b } from './b.js';\nlog.push('main:' + b());\nexport const order = log;\n"),
            ("a.js", "import { b } from './b.js';\nlog.push('a');\nexport function a() { return 'a' + b(); }\n"),
            ("b.js", "import { a } from './a.js';\nlog.push('b');\nexport function b() { return 'b'; }\nexport function callA() { return a(); }\n"),
        ],
        "main.js",
        "m.order",
        serde_json::json!(["b", "a", "main:b"]),
    );
}

#[test]
fn export_star_and_reexport_chains() {
    both_modes(
        &[
            ("main.js", "export * from './barrel.js';\nexport { default as def, renamed as again } from './barrel.js';\n"),
            ("barrel.js", "export * from './x.js';\nexport * from './y.js';\nexport { y as renamed } from './y.js';\nexport { default } from './x.js';\n"),
            ("x.js", "export const x = 'x';\nexport const shared = 'ambiguous';\nexport default 'dx';\n"),
            ("y.js", "export const y = 'y';\nexport const shared = 'ambiguous too';\n"),
        ],
        "main.js",
        "[Object.keys(m).sort(), m.x, m.y, m.renamed, m.again, m.def]",
        serde_json::json!([["again", "def", "renamed", "x", "y"], "x", "y", "y", "y", "dx"]),
    );
}

#[test]
fn commonjs_interop_both_ways() {
    both_modes(
        &[
            ("main.mjs", "import fn, { named } from './plain.cjs';\nimport esm from './flagged.cjs';\nimport * as whole from './plain.cjs';\nconst back = require('./esm.js');\nexport const r = [fn(), named, esm, typeof whole.default, back.value, back.__esModule, back.default];\n"),
            ("plain.cjs", "module.exports = function () { return 'called'; };\nmodule.exports.named = 'n';\n"),
            ("flagged.cjs", "Object.defineProperty(exports, '__esModule', { value: true });\nexports.default = 'from default';\n"),
            ("esm.js", "export const value = 'esm value';\nexport default 'esm default';\n"),
        ],
        "main.mjs",
        "m.r",
        serde_json::json!(["called", "n", "from default", "function", "esm value", true, "esm default"]),
    );
}

#[test]
fn typescript_jsx_json_and_define() {
    let files = [
        ("kiln.toml", "[js.define]\n\"import.meta.env.MODE\" = '\"test\"'\n"),
        ("tsconfig.json", "{ \"compilerOptions\": { \"jsx\": \"react-jsx\", \"jsxImportSource\": \"tiny\" } }\n"),
        ("node_modules/tiny/package.json", "{ \"name\": \"tiny\", \"exports\": { \"./jsx-runtime\": { \"import\": \"./jsx.mjs\", \"require\": \"./nope.cjs\" } } }\n"),
        ("node_modules/tiny/jsx.mjs", "export function jsx(type, props) { return { type, props }; }\nexport const jsxs = jsx;\nexport const Fragment = 'frag';\n"),
        ("src/app.tsx", "import data, { version } from './data.json';\ninterface Props { who: string }\nenum Color { Red = 'red' }\nexport const App = ({ who }: Props) => <div title={who}>{Color.Red}</div>;\nexport const facts = { mode: process.env.NODE_ENV, env: import.meta.env.MODE, version, name: data.name };\n"),
        ("src/data.json", "{ \"name\": \"kiln\", \"version\": 3, \"not-an-ident\": true }"),
    ];
    both_modes(
        &files,
        "src/app.tsx",
        "[m.App({ who: 'you' }), m.facts]",
        serde_json::json!([{ "type": "div", "props": { "title": "you", "children": "red" } }, { "mode": "production", "env": "test", "version": 3, "name": "kiln" }]),
    );
}

#[test]
fn asset_imports_give_urls_of_emitted_files() {
    let p = project(&[
        ("main.js", "import logo from './img/logo.svg';\nexport const a = logo;\nexport const b = new URL('./img/photo.png', import.meta.url).pathname;\n"),
        ("img/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
    ]);
    std::fs::write(p.path().join("img/photo.png"), crate::common::png(4, 4)).unwrap();
    let (out, main) = bundle(p.path(), "main.js", &[]);
    let urls = node(&main, "[m.a, m.b]");
    for url in urls.as_array().unwrap() {
        let path = url.as_str().unwrap();
        assert!(path.starts_with("/assets/"), "{path}");
        assert!(out.join(path.trim_start_matches('/')).is_file(), "{path} is not in the output");
    }
}

#[test]
fn tree_shaking_drops_unused_code() {
    let p = project(&[
        ("main.js", "import { used } from './lib.js';\nimport { alsoUsed } from 'pkg';\nimport './effects.js';\nexport const r = used() + alsoUsed;\n"),
        ("lib.js", "export function used() { return 1; }\nexport function unused() { return 'UNUSED_EXPORT_MARKER'; }\nconst dead = /*#__PURE__*/ make('PURE_CALL_MARKER');\nfunction make(x) { globalThis.sink = x; return x; }\n/*#__NO_SIDE_EFFECTS__*/ function build(x) { globalThis.sink = x; return x; }\nconst alsoDead = build('NO_SIDE_EFFECTS_MARKER');\n"),
        ("effects.js", "globalThis.effect = 'EFFECT_KEPT';\n"),
        ("node_modules/pkg/package.json", "{ \"name\": \"pkg\", \"sideEffects\": false, \"module\": \"index.js\" }"),
        ("node_modules/pkg/index.js", "export { alsoUsed } from './a.js';\nexport { other } from './b.js';\n"),
        ("node_modules/pkg/a.js", "export const alsoUsed = 2;\n"),
        ("node_modules/pkg/b.js", "console.log('SIDE_EFFECT_FREE_MODULE_MARKER');\nexport const other = 3;\n"),
    ]);
    let (_, main) = bundle(p.path(), "main.js", &[]);
    let code = std::fs::read_to_string(&main).unwrap();
    for gone in ["UNUSED_EXPORT_MARKER", "PURE_CALL_MARKER", "NO_SIDE_EFFECTS_MARKER", "SIDE_EFFECT_FREE_MODULE_MARKER"] {
        assert!(!code.contains(gone), "{gone} is still in the bundle:\n{code}");
    }
    assert!(code.contains("EFFECT_KEPT"), "side effects are kept:\n{code}");
    assert_eq!(node(&main, "m.r"), serde_json::json!(3));
}

#[test]
fn source_maps_point_at_the_original_typescript() {
    let p = project(&[(
        "src/main.ts",
        "type Id = string;\n\n\ninterface Shape { id: Id }\nexport function describe(s: Shape): string {\n  return 'shape ' + s.id;\n}\n",
    )]);
    let (out, main) = bundle(p.path(), "src/main.ts", &["--sourcemap"]);
    let code = std::fs::read_to_string(&main).unwrap();
    let name = main.file_name().unwrap().to_string_lossy().into_owned();
    assert!(code.ends_with(&format!("//# sourceMappingURL={name}.map\n")), "{code}");
    let map: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join(format!("assets/{name}.map"))).unwrap()).unwrap();
    assert_eq!(map["file"], name.as_str());
    let sources = map["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 1);
    assert!(sources[0].as_str().unwrap().ends_with("src/main.ts"), "{sources:?}");
    assert!(map["sourcesContent"][0].as_str().unwrap().contains("interface Shape"));
    // The string literal is on line 6 of the source (0-based 5).
    let segments = kiln::parts::decode_sourcemap(map["mappings"].as_str().unwrap());
    let col = code.find("\"shape \"").or_else(|| code.find("'shape '")).expect("the literal") as u32;
    let line_start = code[..col as usize].rfind('\n').map_or(0, |i| i + 1) as u32;
    let gen_line = code[..col as usize].matches('\n').count() as u32;
    let hit = segments.iter().rfind(|s| s.0 == gen_line && s.1 <= col - line_start).expect("a mapping on that line");
    assert_eq!(hit.3, 5, "mapped to line {} of main.ts", hit.3 + 1);
    // Hidden maps: the file, without the comment.
    let p = project(&[("a.js", "export const a = 1;\n")]);
    let (out, main) = bundle(p.path(), "a.js", &["--sourcemap", "hidden"]);
    assert!(!std::fs::read_to_string(&main).unwrap().contains("sourceMappingURL"));
    assert!(read_tree(&out).keys().any(|k| k.ends_with(".js.map")));
}

#[test]
fn errors_have_code_frames_and_keep_the_previous_output() {
    let p = project(&[
        ("main.js", "import { nope } from './lib.js';\nimport missing from './missing.js';\nexport const x = nope + missing;\n"),
        ("lib.js", "export const yes = 1;\n"),
        ("broken.ts", "export const a = ;\n"),
    ]);
    let out_dir = p.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(out_dir.join("keep.txt"), "previous").unwrap();
    let output = kiln().arg("build").arg(p.path()).args(["--entry", "main.js", "--entry", "broken.ts", "--out"]).arg(&out_dir).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("main.js:2:21"), "unresolved import located: {stderr}");
    assert!(stderr.contains("cannot resolve import \"./missing.js\""), "{stderr}");
    assert!(stderr.contains("broken.ts:1:18"), "parse error located: {stderr}");
    assert!(stderr.contains("export const a = ;"), "with the line: {stderr}");
    assert_eq!(std::fs::read_to_string(out_dir.join("keep.txt")).unwrap(), "previous");
    // With the files fixed but a missing export: that error, located.
    std::fs::write(p.path().join("missing.js"), "export default 2;\n").unwrap();
    std::fs::write(p.path().join("broken.ts"), "export const a = 1;\n").unwrap();
    let output = kiln().arg("build").arg(p.path()).args(["--entry", "main.js", "--out"]).arg(&out_dir).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("main.js:1:10") && stderr.contains("no matching export"), "{stderr}");
}

#[test]
fn pages_load_their_module_scripts_as_bundles() {
    let p = project(&[
        ("index.html", "<!doctype html><script type=\"module\" src=\"./src/main.ts\"></script>\n<script type=\"module\">import { greet } from './src/greet.ts'; document.title = greet('inline');</script>\n"),
        ("src/main.ts", "import { greet } from './greet';\ndocument.body.textContent = greet('file');\n"),
        ("src/greet.ts", "export const greet = (who: string): string => `hello ${who}`;\n"),
    ]);
    let out = p.path().join("dist");
    let output = kiln().arg("build").arg(p.path()).arg("-q").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    let tree = read_tree(&out);
    let scripts: Vec<&String> = tree.keys().filter(|k| k.ends_with(".js")).collect();
    // The two entries, and the module both use in a chunk of its own, which the page preloads.
    assert_eq!(scripts.len(), 3, "{scripts:?}");
    for s in &scripts {
        assert!(html.contains(&format!("/{s}")), "{html} does not load {s}");
        let code = String::from_utf8_lossy(&tree[s.as_str()]);
        if s.contains("_greet.") {
            assert!(code.contains("hello ") && !code.contains("import"), "{code}");
            assert!(html.contains(&format!("<link href=/{s} rel=modulepreload>")), "{html}");
        } else {
            assert!(code.contains("_greet.") && !code.contains("hello "), "imports the shared chunk: {code}");
        }
    }
    assert!(!html.contains("greet(") && !html.contains("import"), "the inline module moved out of the page: {html}");
    let manifest: serde_json::Value = serde_json::from_slice(&tree["manifest.json"]).unwrap();
    assert_eq!(manifest["src/main.ts"]["isEntry"], true);
    assert!(manifest["src/main.ts"]["file"].as_str().unwrap().starts_with("assets/main."));
}

#[test]
fn bundles_are_deterministic_across_thread_counts() {
    let files = [
        ("main.js", "export * from './a.js';\nexport * from './b.js';\nexport { default as c } from './c.cjs';\n"),
        ("a.js", "export const a = [1, 2, 3].map((x) => x * 2);\nexport function shared(v) { return v + 1; }\n"),
        ("b.js", "import { shared } from './a.js';\nexport const b = shared(41);\n"),
        ("c.cjs", "module.exports = { c: true };\n"),
    ];
    let p = project(&files);
    let mut outputs = Vec::new();
    for jobs in ["1", "2", "3"] {
        let out = p.path().join(format!("out{jobs}"));
        let output = kiln().arg("build").arg(p.path()).args(["--entry", "main.js", "--sourcemap", "-q", "--jobs", jobs, "--out"]).arg(&out).output().unwrap();
        assert!(output.status.success());
        outputs.push(read_tree(&out));
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
}

#[test]
fn target_lowers_syntax() {
    let files = [("main.js", "export class Box { #v; constructor(v) { this.#v = v; } get value() { return this.#v?.n ?? 'none'; } }\nexport const r = [new Box({ n: 1 }).value, new Box(null).value, [1, 2].map((x) => x ** 2)];\n")];
    for target in ["es2015", "chrome 60"] {
        let p = project(&files);
        std::fs::write(p.path().join("kiln.toml"), format!("[js]\ntarget = {target:?}\n")).unwrap();
        let (_, main) = bundle(p.path(), "main.js", &[]);
        let code = std::fs::read_to_string(&main).unwrap();
        let newer: &[&str] = if target == "es2015" { &["?.", "??", "#v", "**"] } else { &["?.", "??", "#v"] };
        for modern in newer {
            assert!(!code.contains(modern), "{modern} survived target {target}:\n{code}");
        }
        assert_eq!(node(&main, "m.r"), serde_json::json!([1, "none", [1, 4]]), "{code}");
    }
    let p = project(&files);
    std::fs::write(p.path().join("kiln.toml"), "[js]\ntarget = \"netscape 4\"\n").unwrap();
    let out = kiln().arg("build").arg(p.path()).args(["--entry", "main.js"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kiln.toml:2:10"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn external_imports_stay_imports() {
    let p = project(&[
        ("kiln.toml", "[js]\nexternal = [\"./ext.mjs\"]\n"),
        ("main.js", "import { twice } from './ext.mjs';\nimport * as ext from './ext.mjs';\nimport './ext.mjs';\nexport const r = twice(2) + ext.twice(1);\nexport { twice as again } from './ext.mjs';\n"),
    ]);
    for extra in [&[][..], &["--no-minify"][..]] {
        let (out, main) = bundle(p.path(), "main.js", extra);
        let code = std::fs::read_to_string(&main).unwrap();
        assert!(code.contains("from \"./ext.mjs\""), "{code}");
        std::fs::write(out.join("assets/ext.mjs"), "export const twice = (x) => x * 2;\n").unwrap();
        assert_eq!(node(&main, "[m.r, m.again(3)]"), serde_json::json!([6, 6]), "{code}");
    }
}

#[test]
fn top_level_await_and_side_effect_globs() {
    both_modes(
        &[
            ("main.js", "import { value } from './slow.js';\nimport { kept } from 'globbed';\nexport const r = [value, kept, globalThis.sideEffect ?? 'none', globalThis.dropped ?? 'dropped'];\n"),
            ("slow.js", "export const value = await new Promise((resolve) => setTimeout(() => resolve('awaited'), 5));\n"),
            ("node_modules/globbed/package.json", "{ \"name\": \"globbed\", \"module\": \"index.js\", \"sideEffects\": [\"./effects/*.js\"] }"),
            ("node_modules/globbed/index.js", "import './effects/register.js';\nimport './pure.js';\nexport const kept = 'kept';\n"),
            ("node_modules/globbed/effects/register.js", "globalThis.sideEffect = 'ran';\n"),
            ("node_modules/globbed/pure.js", "globalThis.dropped = 'PURE_FILE_RAN';\n"),
        ],
        "main.js",
        "m.r",
        serde_json::json!(["awaited", "kept", "ran", "dropped"]),
    );
}

/// Real packages from npm (installed in fixtures/app by scripts/test): React's CommonJS
/// builds and lodash-es, bundled and run.
#[test]
fn react_server_rendering_bundle_runs() {
    let app = crate::common::repo().join("fixtures/app");
    assert!(
        app.join("node_modules/react-dom/package.json").is_file(),
        "fixtures/app/node_modules is missing: run ./scripts/test, which installs it with npm ci"
    );
    let out = tempfile::tempdir().unwrap();
    let output = kiln().arg("build").arg(&app).args(["--entry", "src/ssr.js", "-q", "--no-budgets", "--out"]).arg(out.path()).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let main = read_tree(out.path()).into_keys().find(|k| k.ends_with(".js")).map(|k| out.path().join(k)).unwrap();
    assert_eq!(node(&main, "m.html"), serde_json::json!("<ul><li>1+2!</li><li>3+4!</li><li>5!</li></ul>"));
}
