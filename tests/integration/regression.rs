//! One test per reported bug, for the bugs a case folder cannot show: a bug that is a project
//! and its output (run in node, or a failing build's messages) is a folder in
//! `tests/cases/regression-*` instead; these need symlinks, a source changed between builds, a
//! browser, a package tree, or a file the build must not take from elsewhere.

use crate::common::kiln;

/// A page that is a symlink to a file outside the root must not be read.
#[cfg(unix)]
#[test]
fn symlinked_page_outside_root_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.html"), "<p>secret</p>").unwrap();
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("index.html"), "<!doctype html><img src=\"img.png\" alt=\"\">").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.html"), root.path().join("leak.html")).unwrap();
    std::fs::write(outside.path().join("img.png"), "x").unwrap();
    std::os::unix::fs::symlink(outside.path().join("img.png"), root.path().join("img.png")).unwrap();
    let out = kiln().arg("build").arg(root.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("leak.html"), "{stderr}");
    assert!(stderr.contains("leads outside the project root"), "{stderr}");
    assert!(stderr.contains("index.html:1:26"), "the symlinked image is refused too: {stderr}");
}

/// Building twice in a row into the same folder replaces it, leaving no stale files.
#[test]
fn rebuild_removes_stale_files() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("index.html"), "<!doctype html><link rel=stylesheet href=a.css>").unwrap();
    std::fs::write(root.path().join("a.css"), ".a{color:red}").unwrap();
    assert!(kiln().arg("build").arg(root.path()).arg("-q").output().unwrap().status.success());
    let first: Vec<_> = std::fs::read_dir(root.path().join("dist/assets")).unwrap().map(|e| e.unwrap().file_name()).collect();
    std::fs::write(root.path().join("a.css"), ".a{color:blue}").unwrap();
    assert!(kiln().arg("build").arg(root.path()).arg("-q").output().unwrap().status.success());
    let second: Vec<_> = std::fs::read_dir(root.path().join("dist/assets")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(first.len(), 1);
    assert_eq!(second.len(), 1);
    assert_ne!(first, second);
}

// Issue 12: what real apps and real sites broke, one test each.

use crate::js::project;

const SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>";

fn build_ok(root: &std::path::Path, args: &[&str]) -> (tempfile::TempDir, std::collections::BTreeMap<String, Vec<u8>>) {
    let out = tempfile::tempdir().unwrap();
    let b = kiln().arg("build").arg(root).arg("--out").arg(out.path().join("d")).args(["-q", "--no-compress", "--no-budgets"]).args(args).output().unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let tree = crate::common::read_tree(&out.path().join("d"));
    (out, tree)
}

fn text_of(tree: &std::collections::BTreeMap<String, Vec<u8>>, ext: &str) -> String {
    tree.iter().filter(|(k, _)| k.ends_with(ext)).map(|(_, v)| String::from_utf8_lossy(v).into_owned()).collect()
}

/// `@import 'bootstrap/dist/css/bootstrap.min.css'` and `@import '@fontsource/inter'` name
/// package files: looked up in node_modules (the `style` field first), with their `url()`s.
#[test]
fn bare_css_imports_and_urls_resolve_as_packages() {
    let p = project(&[
        ("index.html", "<!doctype html><link rel=stylesheet href=src/site.css>"),
        (
            "src/site.css",
            "@import 'ui-kit/dist/kit.css';\n@import '@fonts/inter';\n@import '~ui-kit/dist/extra.css';\n.logo { background: url(ui-kit/dist/logo.svg); }\n",
        ),
        ("node_modules/ui-kit/package.json", r#"{ "name": "ui-kit", "main": "index.js" }"#),
        ("node_modules/ui-kit/dist/kit.css", ".kit { color: teal }\n"),
        ("node_modules/ui-kit/dist/extra.css", ".extra { color: navy }\n"),
        ("node_modules/ui-kit/dist/logo.svg", SVG),
        ("node_modules/@fonts/inter/package.json", r#"{ "name": "@fonts/inter", "main": "index.js", "style": "inter.css" }"#),
        ("node_modules/@fonts/inter/inter.css", "@font-face { font-family: Inter; src: url(./files/inter.woff2) format('woff2'); }\n"),
        ("node_modules/@fonts/inter/files/inter.woff2", "woff2"),
    ]);
    let (_, tree) = build_ok(p.path(), &[]);
    let css = text_of(&tree, ".css");
    assert!(css.contains(".kit{color:teal}") && css.contains(".extra{color:navy}"), "{css}");
    for asset in ["assets/inter.", "assets/logo."] {
        let url = css.split("url(").skip(1).map(|u| &u[..u.find(')').unwrap()]).find(|u| u.contains(asset)).unwrap_or_else(|| panic!("{asset} in {css}"));
        assert!(tree.contains_key(&url[1..]), "{url} is not emitted");
    }
}

/// pnpm and workspaces: `node_modules/@acme/ui` is a symlink to a workspace package outside the
/// app's root; its CSS `url()`s may be read. A file outside the workspace may not.
#[cfg(unix)]
#[test]
fn workspace_packages_outside_the_root_are_read() {
    let w = project(&[
        ("pnpm-workspace.yaml", "packages:\n  - apps/*\n  - packages/*\n"),
        ("packages/ui/package.json", r#"{ "name": "@acme/ui", "exports": { ".": "./index.js", "./ui.css": "./ui.css" } }"#),
        ("packages/ui/index.js", "export const button = 'ui button';\n"),
        ("packages/ui/ui.css", ".btn { background: url(./bg.svg) }\n"),
        ("packages/ui/bg.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
        ("apps/web/index.html", "<!doctype html><script type=module src=main.js></script>"),
        ("apps/web/main.js", "import '@acme/ui/ui.css';\nimport { button } from '@acme/ui';\ndocument.title = button;\n"),
    ]);
    std::fs::create_dir_all(w.path().join("apps/web/node_modules/@acme")).unwrap();
    std::os::unix::fs::symlink("../../../../packages/ui", w.path().join("apps/web/node_modules/@acme/ui")).unwrap();
    let (_, tree) = build_ok(&w.path().join("apps/web"), &[]);
    assert!(text_of(&tree, ".js").contains("ui button"));
    let css = text_of(&tree, ".css");
    assert!(css.contains("/assets/bg.") && tree.keys().any(|k| k.starts_with("assets/bg.")), "{css}");
    // Outside the workspace: refused.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.css"), ".s{}").unwrap();
    std::fs::write(
        w.path().join("apps/web/index.html"),
        format!("<!doctype html><link rel=stylesheet href=\"../../../{}/secret.css\">", outside.path().file_name().unwrap().to_string_lossy()),
    )
    .unwrap();
    let out = kiln().arg("build").arg(w.path().join("apps/web")).arg("--out").arg(w.path().join("o")).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("leads outside the project root and its workspace"));
}

/// A page's own import map: what it maps stays an import, resolved by the browser.
#[test]
fn specifiers_a_page_import_map_maps_stay_external() {
    let p = project(&[
        (
            "index.html",
            "<!doctype html><script type=importmap>{\"imports\": {\"vue\": \"https://cdn.example.com/vue.js\", \"lib/\": \"/vendor/lib/\", \"local\": \"./vendor/local.js\"}}</script><script type=module src=main.js></script>",
        ),
        ("main.js", "import { ref } from 'vue';\nimport { x } from 'lib/x.js';\nimport { y } from 'local';\ndocument.title = ref(x + y);\n"),
        ("vendor/local.js", "export const y = 'y';\n"),
    ]);
    let (_, tree) = build_ok(p.path(), &[]);
    let js = text_of(&tree, ".js");
    assert!(js.contains("\"vue\"") && js.contains("\"lib/x.js\"") && js.contains("\"local\""), "{js}");
    let html = String::from_utf8_lossy(&tree["index.html"]).into_owned();
    assert!(html.contains("https://cdn.example.com/vue.js") && html.contains("/assets/local."), "the local file it maps to is built: {html}");
    // A page with module scripts and no such map could not load it: then it is bundled.
    std::fs::write(p.path().join("other.html"), "<!doctype html><script type=module src=other.js></script>").unwrap();
    std::fs::write(
        p.path().join("other.js"),
        "import { ref } from 'vue';
document.title = ref('x');
",
    )
    .unwrap();
    let out = kiln().arg("build").arg(p.path()).arg("--out").arg(p.path().join("o2")).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot resolve import \"vue\""));
}

/// Minification must not close the gaps between inline-block buttons (a Bootstrap admin
/// template's row of `.btn-circle`): the page looks the same minified or not.
#[test]
fn html_minification_keeps_the_gaps_between_inline_blocks() {
    let page = "<!doctype html>\n<html>\n<head>\n  <style>.btn { display: inline-block; width: 40px; height: 40px; background: #36c; border-radius: 50%; } pre.x { white-space: pre }</style>\n</head>\n<body>\n  <div>\n    <a class=\"btn\"></a>\n    <a class=\"btn\"></a>\n    <a class=\"btn\"></a>\n  </div>\n  <p class=\"x\">  two   spaces  </p>\n  <div class=\"keep\">  a    b  </div>\n</body>\n</html>\n";
    let css = ".keep { white-space: pre-wrap }";
    let minified = project(&[("index.html", page), ("k.css", css)]);
    let plain = project(&[("index.html", page), ("k.css", css), ("kiln.toml", "[html]\nminify = false\n")]);
    for p in [&minified, &plain] {
        let html = std::fs::read_to_string(p.path().join("index.html")).unwrap().replace("</head>", "<link rel=stylesheet href=k.css></head>");
        std::fs::write(p.path().join("index.html"), html).unwrap();
    }
    let (a, ta) = build_ok(minified.path(), &[]);
    let (b, _) = build_ok(plain.path(), &[]);
    let html = String::from_utf8_lossy(&ta["index.html"]).into_owned();
    assert!(html.len() < page.len() && html.contains("</a>\n<a") || html.contains("</a> <a"), "{html}");
    let (sa, sb) = (crate::common::serve(&a.path().join("d")), crate::common::serve(&b.path().join("d")));
    let case = serde_json::json!({ "name": "gaps", "a": sa.url, "b": sb.url, "texts": [".keep"] });
    let shots = tempfile::tempdir().unwrap();
    let r = &crate::corpus::browse(&[case], shots.path())[0];
    assert_eq!(r["pixels"]["differing"], 0, "minified and plain pages differ: {}", r["shots"]);
    assert_eq!(r["a"]["texts"], r["b"]["texts"]);
}

/// The page walk skips what `.gitignore` names (another tool's output) and every kiln output,
/// wherever it was written.
#[test]
fn ignored_folders_and_earlier_outputs_are_not_walked() {
    let p = project(&[
        (".git/HEAD", "ref: refs/heads/main\n"),
        (".gitignore", "dist-vite/\ncoverage\n"),
        ("index.html", "<!doctype html><p>hi"),
        ("dist-vite/index.html", "<!doctype html><script type=module src=/assets/index-XYZ.js></script>"),
        ("coverage/index.html", "<!doctype html><link rel=stylesheet href=base.css>"),
    ]);
    let first = kiln().arg("build").arg(p.path()).args(["--out"]).arg(p.path().join("dist-kiln")).args(["-q"]).output().unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(p.path().join("dist-kiln/.kiln-output").is_file());
    let elsewhere = tempfile::tempdir().unwrap();
    let second = kiln().arg("build").arg(p.path()).args(["--out"]).arg(elsewhere.path().join("o")).args(["-q", "--json", "-"]).output().unwrap();
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    let report: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    let pages: Vec<&str> = report["files"].as_array().unwrap().iter().filter(|f| f["group"] == "document").map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(pages, ["index.html"], "{report}");
}

#[test]
fn analyze_needs_no_folder() {
    let p = project(&[("index.html", "<!doctype html><p>hi")]);
    let out = kiln().arg("build").arg(p.path()).arg("--analyze").arg("-q").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(p.path().join(".kiln/report.html").is_file());
}

#[test]
fn each_command_names_itself_when_it_fails() {
    let empty = tempfile::tempdir().unwrap();
    let out = kiln().arg("publish").arg(empty.path().join("none")).args(["--to", "s3://bucket"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.trim_end().ends_with("kiln publish: failed with 1 error"), "{stderr}");
    let out = kiln().arg("check").arg(empty.path().join("none")).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).trim_end().ends_with("kiln check: failed with 1 error"));
}

/// three.js 0.187 built from its own entry with a source map: swc's printer writes a few small
/// positions (BytePos(1), 29, …) for nodes that have no span, and they became mappings into
/// whichever file the source map held first, here the license comment of three.module.js (19
/// of them, and 143 lines whose first mapping pointed at the wrong place).
#[test]
fn no_mapping_points_into_the_license_comment_of_the_first_file() {
    let three = crate::common::repo().join("tests/corpus/node_modules/three/build");
    let dir = tempfile::tempdir().unwrap();
    for f in ["three.module.js", "three.core.js"] {
        std::fs::copy(three.join(f), dir.path().join(f)).unwrap();
    }
    let out = dir.path().join("out");
    let result =
        kiln().arg("build").arg(dir.path()).args(["--entry", "three.module.js", "--sourcemap", "--no-compress", "-q", "--out"]).arg(&out).output().unwrap();
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let map_file = std::fs::read_dir(out.join("assets")).unwrap().map(|e| e.unwrap().path()).find(|p| p.extension().is_some_and(|e| e == "map")).unwrap();
    let map: serde_json::Value = serde_json::from_slice(&std::fs::read(map_file).unwrap()).unwrap();
    // Where each source's leading `/** … */` comment ends (line, column).
    let comment_ends: Vec<Option<(u32, u32)>> = map["sourcesContent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|text| {
            let text = text.as_str()?;
            let end = text.starts_with("/*").then(|| text.find("*/"))?? + 2;
            let before = &text[..end];
            let line = before.matches('\n').count() as u32;
            Some((line, (end - before.rfind('\n').map_or(0, |n| n + 1)) as u32))
        })
        .collect();
    assert!(comment_ends.iter().filter(|e| e.is_some()).count() == 2, "both files start with their license");
    let segments = kiln::parts::decode_sourcemap(map["mappings"].as_str().unwrap());
    assert!(segments.len() > 100_000);
    let inside: Vec<_> =
        segments.iter().filter(|&&(_, _, src, sl, sc)| comment_ends[src as usize].is_some_and(|(el, ec)| sl < el || (sl == el && sc < ec))).collect();
    assert!(inside.is_empty(), "{} mappings point into a license comment, the first: {:?}", inside.len(), inside.first());
}

/// Element Plus through a symlinked `node_modules` (as pnpm and the corpus lay packages out):
/// `import 'element-plus/dist/index.css'` built with exit 0 into an unstyled page. The package's
/// `sideEffects` globs were matched against the file's absolute path when it could not be put
/// relative to the package: resolved through the package's `exports`, the file's path is the
/// real one and the package.json's the one through the symlink. The stylesheet counted as
/// side-effect free and its import was dropped.
#[cfg(unix)]
#[test]
fn a_package_stylesheet_through_a_symlinked_node_modules_is_kept() {
    let w = project(&[
        ("pnpm-workspace.yaml", "packages:\n  - app\n"),
        ("shared/node_modules/ui-kit/package.json", r#"{ "name": "ui-kit", "sideEffects": ["dist/*"], "exports": { ".": "./index.js", "./*": "./*" } }"#),
        ("shared/node_modules/ui-kit/index.js", "export const kit = 'kit';\n"),
        ("shared/node_modules/ui-kit/dist/index.css", ".kit { color: teal }\n"),
        ("app/index.html", "<!doctype html><script type=module src=main.js></script>"),
        ("app/main.js", "import 'ui-kit/dist/index.css';\nimport { kit } from 'ui-kit';\ndocument.title = kit;\n"),
    ]);
    std::os::unix::fs::symlink("../shared/node_modules", w.path().join("app/node_modules")).unwrap();
    let (_, tree) = build_ok(&w.path().join("app"), &[]);
    assert!(text_of(&tree, ".css").contains(".kit{color:teal}"), "{:?}", tree.keys());
}
