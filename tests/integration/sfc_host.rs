//! The Node side of component compiling (`src/sfc/host.mjs`), on its own: a long-lived `node`
//! process speaking newline-delimited JSON, compiling with the Vue and Svelte compilers the
//! project installed (here the corpus's pinned `vue` and `svelte`). The fixtures are in
//! `tests/sfc/`. What is checked comes from the fixtures' own text and from the compilers'
//! documented behaviour (Vite's scope-id formula, Svelte's external CSS), never from output
//! saved earlier.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

use crate::common::repo;

struct Host {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next: u64,
}

impl Host {
    fn start() -> Host {
        let corpus = repo().join("tests/corpus/node_modules");
        assert!(corpus.join("vue").is_dir() && corpus.join("svelte").is_dir(), "scripts/test installs tests/corpus's npm packages (vue, svelte)");
        let mut child = Command::new("node")
            .arg(repo().join("src/sfc/host.mjs"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node runs");
        let (stdin, stdout) = (child.stdin.take().unwrap(), BufReader::new(child.stdout.take().unwrap()));
        Host { child, stdin, stdout, next: 1 }
    }

    /// Sends `request` (an `id` added) and reads the one line that answers it.
    fn ask(&mut self, mut request: Value) -> Value {
        let id = self.next;
        self.next += 1;
        request["id"] = json!(id);
        writeln!(self.stdin, "{request}").unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let answer: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a protocol line ({e}): {line:?}"));
        assert_eq!(answer["id"], json!(id), "{answer}");
        answer
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn root() -> PathBuf {
    repo().join("tests/corpus")
}

fn fixture(rel: &str) -> (PathBuf, String) {
    let path = repo().join("tests/sfc").join(rel);
    let code = std::fs::read_to_string(&path).unwrap();
    (path, code)
}

fn no_errors(answer: &Value) {
    assert!(answer["errors"].as_array().is_none_or(|e| e.is_empty()), "{}", answer["errors"]);
}

/// The 1-based line and column of the first occurrence of `needle` in `text`.
fn position(text: &str, needle: &str) -> (u64, u64) {
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle:?} not in the fixture"));
    let before = &text[..at];
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().unwrap().chars().count() as u64 + 1;
    (line, column)
}

fn version_pinned(package: &str) -> String {
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(root().join("package.json")).unwrap()).unwrap();
    manifest["dependencies"][package].as_str().unwrap().to_owned()
}

fn vue_request(path: &Path, code: &str) -> Value {
    json!({ "op": "vue", "root": root(), "file": path, "code": code, "production": true })
}

#[test]
fn the_host_names_the_compilers_the_project_installed() {
    let mut host = Host::start();
    let hello = host.ask(json!({ "op": "hello", "root": root() }));
    assert_eq!(hello["vue"], json!(version_pinned("vue")), "{hello}");
    assert_eq!(hello["svelte"], json!(version_pinned("svelte")), "{hello}");
    // A project without them: none, and the host keeps answering.
    let bare = tempfile::tempdir().unwrap();
    let none = host.ask(json!({ "op": "hello", "root": bare.path() }));
    assert_eq!((none["vue"].clone(), none["svelte"].clone()), (Value::Null, Value::Null), "{none}");
    let again = host.ask(json!({ "op": "hello", "root": root() }));
    assert_eq!(again["vue"], hello["vue"]);
}

#[test]
fn a_vue_component_compiles_to_one_module_with_its_styles_scoped() {
    use sha2::Digest;
    let mut host = Host::start();
    let (path, code) = fixture("vue/Typed.vue");
    let answer = host.ask(vue_request(&path, &code));
    no_errors(&answer);
    // Vite's production scope id: sha256 of the root-relative path and the source, 8 hex digits.
    let rel = "../sfc/vue/Typed.vue"; // the fixture, from the root that holds the compilers
    let id: String = sha2::Sha256::digest(format!("{rel}{code}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>()[..8].to_owned();
    assert_eq!(answer["scopeId"], json!(id), "{}", answer["scopeId"]);
    let js = answer["code"].as_str().unwrap();
    assert!(js.contains(&format!("data-v-{id}")), "the component carries its scope id:\n{js}");
    assert!(js.contains("from 'vue'") || js.contains("from \"vue\""), "{js}");
    assert!(!js.contains("?vue&type="), "one module, no virtual parts:\n{js}");
    // Props typed by an imported interface: the compiler read types.ts, and lists it.
    for prop in ["title", "count", "tags"] {
        assert!(js.contains(prop), "prop {prop} from types.ts:\n{js}");
    }
    let deps: Vec<&str> = answer["deps"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(deps.iter().any(|d| d.ends_with("types.ts")) && deps.iter().any(|d| d.ends_with("shared.css")), "{deps:?}");
    assert_eq!(answer["lang"], "ts", "TypeScript stays for kiln to strip");
    // Three style blocks: scoped (with v-bind), a CSS module, and one read from src=.
    let styles = answer["styles"].as_array().unwrap();
    assert_eq!(styles.len(), 3, "{styles:?}");
    let scoped = styles[0]["code"].as_str().unwrap();
    assert!(scoped.contains(&format!("[data-v-{id}]")) && scoped.contains("var(--"), "{scoped}");
    assert!(styles[1]["module"] == json!(true) || styles[1]["module"] == json!("$style"), "{}", styles[1]);
    assert!(js.contains("__cssModules"), "the module's class names are in the JS:\n{js}");
    // The custom block is handed back, not compiled.
    assert_eq!(answer["custom"][0]["type"], "i18n", "{}", answer["custom"]);
    // The map points back into the .vue file.
    let map = &answer["map"];
    assert!(map["sources"].as_array().unwrap().iter().any(|s| s.as_str().unwrap().ends_with("Typed.vue")), "{map}");
}

#[test]
fn vue_errors_keep_their_place_in_the_component() {
    let mut host = Host::start();
    for (file, needle) in [("vue/Bad.vue", "v-if>"), ("vue/BadScript.vue", ""), ("vue/BadStyle.vue", "")] {
        let (path, code) = fixture(file);
        let answer = host.ask(vue_request(&path, &code));
        let errors = answer["errors"].as_array().unwrap_or_else(|| panic!("{file}: {answer}"));
        assert!(!errors.is_empty(), "{file} compiles, but is broken");
        let e = &errors[0];
        assert!(e["file"].as_str().unwrap().ends_with(file.rsplit('/').next().unwrap()), "{e}");
        assert!(e["line"].as_u64().unwrap() >= 1 && e["column"].as_u64().unwrap() >= 1, "{file}: {e}");
        if !needle.is_empty() {
            let (line, _) = position(&code, needle);
            assert_eq!(e["line"], json!(line), "{file}: {e}");
        }
    }
    // Still answering after three failures.
    let (path, code) = fixture("vue/TplOnly.vue");
    no_errors(&host.ask(vue_request(&path, &code)));
}

#[test]
fn a_svelte_component_compiles_for_the_browser_with_external_css() {
    let mut host = Host::start();
    let (path, code) = fixture("svelte/Runes.svelte");
    let answer = host.ask(json!({ "op": "svelte", "root": root(), "file": path, "code": code, "production": true }));
    no_errors(&answer);
    let js = answer["code"].as_str().unwrap();
    assert!(js.contains("svelte/internal/client"), "the client runtime:\n{js}");
    assert!(!js.contains("interface Props"), "TypeScript stripped by Svelte:\n{js}");
    let css = answer["css"].as_str().unwrap();
    assert!(css.contains("button.svelte-") && css.contains("font-weight"), "the component's CSS, scoped, for kiln to emit:\n{css}");
    let class = css.split("button.").nth(1).unwrap().split(|c: char| !(c.is_alphanumeric() || c == '-')).next().unwrap();
    assert!(js.contains(class), "the markup carries the CSS's class {class}:\n{js}");
    // Legacy syntax too.
    let (path, code) = fixture("svelte/Legacy.svelte");
    no_errors(&host.ask(json!({ "op": "svelte", "root": root(), "file": path, "code": code, "production": true })));
    // An unclosed block: located in the file.
    let (path, code) = fixture("svelte/Bad.svelte");
    let bad = host.ask(json!({ "op": "svelte", "root": root(), "file": path, "code": code, "production": true }));
    let e = &bad["errors"][0];
    assert!(e["line"].as_u64().unwrap() >= position(&code, "{#if").0, "{bad}");
}

#[test]
fn svelte_modules_and_transform_plugins_run_in_the_same_host() {
    let mut host = Host::start();
    let (path, code) = fixture("svelte/store.svelte.js");
    let module = host.ask(json!({ "op": "svelte-module", "root": root(), "file": path, "code": code, "production": true }));
    no_errors(&module);
    assert!(!module["code"].as_str().unwrap().contains("$state("), "runes compiled:\n{}", module["code"]);
    let (data, yaml) = fixture("transform/data.yaml");
    let plugin = repo().join("tests/sfc/transform/plugin.mjs");
    let out = host.ask(json!({ "op": "transform", "module": plugin, "file": data, "code": yaml }));
    no_errors(&out);
    assert_eq!(out["code"], json!("export default {\"a\":\"1\",\"b\":\"two\"}"), "{out}");
    // The plugin's console.log went to stderr: the next answer still parses (Host::ask checks).
    let hello = host.ask(json!({ "op": "hello", "root": root() }));
    assert!(hello["vue"].is_string());
}
