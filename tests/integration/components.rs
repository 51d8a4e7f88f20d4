//! Vue and Svelte components compiled with the project's own compilers (`src/sfc/`), on
//! create-vite's starters with the corpus's pinned packages: a warm build needs no Node at
//! all, a broken component fails the build at its line and keeps the last output, and without
//! Node the error says what to install. (The starters' pages against Vite's, in Chromium, are
//! in `corpus.rs`: `corpus_vue_ts`, `corpus_svelte_ts`.)

use std::path::{Path, PathBuf};

use crate::common::{kiln, read_tree, repo};

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A create-vite template assembled under `tests/corpus/work/NAME`, its packages the corpus's.
fn starter(template: &str, name: &str) -> PathBuf {
    let corpus = repo().join("tests/corpus");
    assert!(corpus.join("node_modules/vue").is_dir(), "tests/corpus/node_modules is missing: run ./scripts/test, which installs it");
    let dir = corpus.join("work").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    copy_tree(&corpus.join("node_modules/create-vite").join(template), &dir);
    std::os::unix::fs::symlink("../../node_modules", dir.join("node_modules")).unwrap();
    // A build cache of its own: the default one (node_modules/.cache/kiln) is the corpus's,
    // shared by every app and by earlier runs, which may hold a component this test changes.
    std::fs::write(dir.join("kiln.toml"), "cache_dir = \".kiln-cache\"\n").unwrap();
    dir
}

fn build(root: &Path, out: &Path, node: Option<&str>) -> std::process::Output {
    let mut cmd = kiln();
    if let Some(node) = node {
        cmd.env("KILN_NODE", node);
    }
    cmd.arg("build").arg(root).arg("--out").arg(out).args(["-q", "--no-compress", "--no-budgets"]).output().unwrap()
}

fn ok(output: &std::process::Output) {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn a_warm_build_compiles_no_component_again() {
    for (template, name, entry) in [("template-vue-ts", "components-warm-vue", "src/main.ts"), ("template-svelte-ts", "components-warm-svelte", "src/main.ts")]
    {
        let root = starter(template, name);
        let out = tempfile::tempdir().unwrap();
        ok(&build(&root, &out.path().join("a"), None));
        // A change outside the components: the JS stage runs again, and every component comes
        // from the build cache (no Node to start: KILN_NODE names no program).
        let main = root.join(entry);
        let text = std::fs::read_to_string(&main).unwrap();
        std::fs::write(&main, format!("{text}\nconsole.log('changed');\n")).unwrap();
        let warm = build(&root, &out.path().join("b"), Some("/nonexistent/node"));
        ok(&warm);
        // A component changed: compiled again, so Node is needed, and missing.
        let component = if template.contains("vue") { "src/components/HelloWorld.vue" } else { "src/App.svelte" };
        let app = root.join(component);
        let text = std::fs::read_to_string(&app).unwrap();
        std::fs::write(&app, text.replacen("Get started", "Get going", 1)).unwrap();
        let cold = build(&root, &out.path().join("c"), Some("/nonexistent/node"));
        assert_eq!(cold.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&cold.stderr);
        assert!(stderr.contains("cannot start `/nonexistent/node`") && stderr.contains("install Node.js"), "{stderr}");
        assert!(stderr.contains(component), "{stderr}");
        ok(&build(&root, &out.path().join("c"), None));
        let js: String =
            read_tree(&out.path().join("c")).into_iter().filter(|(k, _)| k.ends_with(".js")).map(|(_, v)| String::from_utf8_lossy(&v).into_owned()).collect();
        assert!(js.contains("Get going"), "the changed component is in the output");
    }
}

#[test]
fn a_broken_component_fails_at_its_line_and_keeps_the_last_output() {
    let root = starter("template-vue-ts", "components-broken-vue");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    ok(&build(&root, &out, None));
    let before = read_tree(&out);
    let app = root.join("src/components/HelloWorld.vue");
    let text = std::fs::read_to_string(&app).unwrap();
    let broken = text.replacen("<button", "<button v-if", 1);
    std::fs::write(&app, &broken).unwrap();
    let failed = build(&root, &out, None);
    assert_eq!(failed.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    let line = broken[..broken.find("<button v-if").unwrap()].matches('\n').count() + 1;
    assert!(stderr.contains(&format!("src/components/HelloWorld.vue:{line}:")), "located in the component:\n{stderr}");
    assert!(read_tree(&out) == before, "a failed build leaves the last output as it was");
    // Svelte: an unclosed block.
    let root = starter("template-svelte-ts", "components-broken-svelte");
    let counter = root.join("src/lib/Counter.svelte");
    let text = std::fs::read_to_string(&counter).unwrap();
    std::fs::write(&counter, format!("{text}\n{{#if true}}\n<p>open</p>\n")).unwrap();
    let failed = build(&root, &tempfile::tempdir().unwrap().path().join("o"), None);
    assert_eq!(failed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("src/lib/Counter.svelte:"), "{}", String::from_utf8_lossy(&failed.stderr));
}

#[test]
fn component_builds_are_deterministic_across_thread_counts() {
    let root = starter("template-svelte-ts", "components-jobs");
    let vue = starter("template-vue-ts", "components-jobs-vue");
    for root in [root, vue] {
        let out = tempfile::tempdir().unwrap();
        let run = |name: &str, jobs: &str| {
            let o = kiln()
                .arg("build")
                .arg(&root)
                .arg("--out")
                .arg(out.path().join(name))
                .args(["-q", "--no-cache", "--no-budgets", "--jobs", jobs])
                .output()
                .unwrap();
            ok(&o);
            read_tree(&out.path().join(name))
        };
        assert!(run("one", "1") == run("two", "2"), "{}: --jobs 1 and 2 differ", root.display());
    }
}

/// The chunk's source map points into the components' own lines (the compilers' maps composed
/// with kiln's), their text as the sources' content.
#[test]
fn source_maps_point_into_the_components() {
    for (template, name, file, needle) in [
        ("template-vue-ts", "components-maps-vue", "src/components/HelloWorld.vue", "count++"),
        ("template-svelte-ts", "components-maps-svelte", "src/lib/Counter.svelte", "onclick={increment}"),
    ] {
        let root = starter(template, name);
        let out = tempfile::tempdir().unwrap();
        let b = kiln().arg("build").arg(&root).arg("--out").arg(out.path()).args(["-q", "--no-compress", "--no-budgets", "--sourcemap"]).output().unwrap();
        ok(&b);
        let tree = read_tree(out.path());
        let (_, map) = tree.iter().find(|(k, _)| k.ends_with(".js.map")).expect("a source map");
        let map: serde_json::Value = serde_json::from_slice(map).unwrap();
        let sources: Vec<&str> = map["sources"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
        let idx = sources.iter().position(|s| s.ends_with(file)).unwrap_or_else(|| panic!("{file} in {sources:?}"));
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        assert_eq!(map["sourcesContent"][idx].as_str(), Some(text.as_str()), "{file}: its own text, not the compiled module");
        let lines = text.lines().count() as u32;
        let line = text.lines().position(|l| l.contains(needle)).unwrap() as u32;
        let segments: Vec<_> = kiln::parts::decode_sourcemap(map["mappings"].as_str().unwrap()).into_iter().filter(|s| s.2 == idx as u32).collect();
        assert!(segments.iter().all(|s| s.3 < lines), "{file}: a mapping past its last line");
        assert!(segments.iter().any(|s| s.3 == line), "{file}: nothing maps to line {} ({needle})", line + 1);
    }
}

/// A Vue custom block a transform plugin claims (`blocks = ["i18n"]`) is a module the component
/// calls with itself, as Vite runs it; one no plugin claims is left out with a warning.
#[test]
fn custom_blocks_go_to_the_transform_plugin_that_claims_them() {
    let root = starter("template-vue-ts", "components-custom-blocks");
    let hello = root.join("src/components/HelloWorld.vue");
    let text = std::fs::read_to_string(&hello).unwrap();
    let blocks = "\n<i18n lang=\"json\">\n{ \"en\": { \"greeting\": \"hello from the i18n block\" } }\n</i18n>\n\n<docs>\nHow to use it.\n</docs>\n";
    std::fs::write(&hello, format!("{text}{blocks}")).unwrap();
    std::fs::create_dir_all(root.join("plugins")).unwrap();
    std::fs::write(
        root.join("plugins/i18n.mjs"),
        "export function transform(code, id) {\n  if (!/[?&]type=i18n/.test(id)) return null;\n  return `export default (component) => { component.i18n = ${JSON.stringify(JSON.parse(code))}; };`;\n}\n",
    )
    .unwrap();
    let toml = std::fs::read_to_string(root.join("kiln.toml")).unwrap();
    std::fs::write(root.join("kiln.toml"), format!("{toml}\n[[js.transform]]\nblocks = [\"i18n\"]\nmodule = \"./plugins/i18n.mjs\"\n")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let b = kiln().arg("build").arg(&root).arg("--out").arg(out.path()).args(["--no-compress", "--no-budgets"]).output().unwrap();
    ok(&b);
    let stderr = String::from_utf8_lossy(&b.stderr);
    assert!(stderr.contains("the <docs> block is left out") && stderr.contains("HelloWorld.vue:"), "{stderr}");
    assert!(!stderr.contains("<i18n> block is left out"), "{stderr}");
    let js: String = read_tree(out.path()).into_iter().filter(|(k, _)| k.ends_with(".js")).map(|(_, v)| String::from_utf8_lossy(&v).into_owned()).collect();
    assert!(js.contains("hello from the i18n block") && js.contains(".i18n="), "the block's module runs on the component:\n{}", &js[..js.len().min(400)]);
}
