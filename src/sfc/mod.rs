//! Framework components compiled by the compilers the project itself installed, as Vite's
//! plugins call them: `.vue` files through `vue/compiler-sfc` (`@vitejs/plugin-vue`), `.svelte`
//! files and `.svelte.js`/`.svelte.ts` modules through `svelte/compiler`
//! (`@sveltejs/vite-plugin-svelte`). They run in Node ([`host`]); what they make is kept in the
//! build cache, keyed by the source, the compiler's version and the host script, and checked
//! against the other files the compile read (an imported props type, a `<style src>`).

mod host;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::diagnostics::{Diagnostic, Kind as DiagnosticKind};

pub use host::Hosts;

/// What kind of component a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    Vue,
    Svelte,
    /// A `.svelte.js` or `.svelte.ts` module (runes outside a component).
    SvelteModule,
}

impl Component {
    pub fn of(path: &Path) -> Option<Component> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".vue") {
            Some(Component::Vue)
        } else if name.ends_with(".svelte") {
            Some(Component::Svelte)
        } else if name.ends_with(".svelte.js") || name.ends_with(".svelte.ts") {
            Some(Component::SvelteModule)
        } else {
            None
        }
    }

    /// The npm package whose compiler it needs.
    fn package(self) -> &'static str {
        match self {
            Component::Vue => "vue",
            Component::Svelte | Component::SvelteModule => "svelte",
        }
    }

    fn op(self) -> &'static str {
        match self {
            Component::Vue => "vue",
            Component::Svelte => "svelte",
            Component::SvelteModule => "svelte-module",
        }
    }
}

/// A compiled component: one ES module, and the CSS its chunk carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Compiled {
    pub code: String,
    /// The compiler's source map of `code` (its `mappings`, into the component's file).
    #[serde(default)]
    pub map: Option<String>,
    /// The module is TypeScript (a Vue component with `lang="ts"`): kiln strips the types.
    pub typescript: bool,
    /// The component's styles, scoped by its compiler, in order (none: no style).
    pub css: Option<String>,
    /// The other files the compile read, with the blake3 of their bytes then.
    pub deps: Vec<(PathBuf, String)>,
    pub warnings: Vec<(String, u32, u32)>,
    /// A Vue component's custom blocks: type, `lang` (if given), text, line.
    #[serde(default)]
    pub custom: Vec<CustomBlock>,
}

/// A custom block of a Vue component (`<i18n lang="json">…</i18n>`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomBlock {
    pub kind: String,
    pub lang: Option<String>,
    pub text: String,
    pub line: u32,
}

/// The package.json of `package` as Node finds it from `root` (in `root/node_modules` or a
/// folder above, as a workspace installs it).
fn installed(root: &Path, package: &str) -> Option<Vec<u8>> {
    root.ancestors().find_map(|dir| std::fs::read(dir.join("node_modules").join(package).join("package.json")).ok())
}

/// The compilers of one build: the Node hosts (started on the first component not in the
/// cache) and the cache.
pub struct Compilers<'a> {
    pub hosts: Hosts,
    pub cache: &'a crate::cache::pack::Pack<'a>,
    /// The compilers' package.json, read once per build (`None`: not installed).
    pub installed: std::sync::Mutex<std::collections::BTreeMap<&'static str, Option<std::sync::Arc<Vec<u8>>>>>,
    /// What this build compiled or took from the cache, by key.
    pub compiled: std::sync::Mutex<std::collections::HashMap<[u8; 32], Compiled>>,
}

impl Compilers<'_> {
    /// `code` of the file at `path` (`rel` as messages show it) compiled for production; the
    /// project at `root` installed the compiler.
    pub fn compile(&self, kind: Component, root: &Path, path: &Path, rel: &str, code: &str) -> Result<Compiled, Vec<Diagnostic>> {
        let package = kind.package();
        let found = self
            .installed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(package)
            .or_insert_with(|| installed(root, package).map(std::sync::Arc::new))
            .clone();
        let Some(manifest) = found else {
            let d = Diagnostic::error(format!("{rel} needs the {package} package installed: kiln compiles it with the project's own compiler"))
                .with_note(if package == "vue" { "npm install vue".to_owned() } else { format!("npm install --save-dev {package}") })
                .in_file(rel)
                .of_kind(DiagnosticKind::Config);
            return Err(vec![d]);
        };
        let script = host::script_digest();
        let key = crate::cache::key("component", &[kind.op().as_bytes(), rel.as_bytes(), code.as_bytes(), &manifest, &script]);
        // Asked again in the same build (a Vue component's custom block needs it once more):
        // the answer of the first time, even with the build cache off.
        if let Some(seen) = self.compiled.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(seen.clone());
        }
        let compiled = match self.cache.get(&key).and_then(|b| serde_json::from_slice::<Compiled>(b).ok()).filter(unchanged) {
            Some(hit) => hit,
            None => {
                let made = self.ask(kind, root, path, rel, code)?;
                self.cache.put(&key, serde_json::to_vec(&made).expect("serializable"));
                made
            }
        };
        self.compiled.lock().unwrap_or_else(|e| e.into_inner()).insert(key, compiled.clone());
        Ok(compiled)
    }

    /// `code` through the transform plugin `module` (its `transform(code, id)`; `id`: the
    /// file's absolute path, or a Vue custom block's id); `css`: it returns a stylesheet.
    /// `None`: the plugin left the file alone. Messages name `rel`.
    pub fn transform(&self, module: &Path, css: bool, id: &str, rel: &str, code: &str) -> Result<Option<Compiled>, Vec<Diagnostic>> {
        let plugin = std::fs::read(module).map_err(|e| {
            vec![Diagnostic::error(format!("cannot read the transform plugin {}: {e}", module.display())).in_file(rel).of_kind(DiagnosticKind::Io)]
        })?;
        let key = crate::cache::key("transform", &[&plugin, rel.as_bytes(), code.as_bytes(), &[u8::from(css)], &host::script_digest()]);
        let id = id.to_owned();
        if let Some(hit) = self.cache.get(&key).and_then(|b| serde_json::from_slice::<Option<Compiled>>(b).ok()) {
            return Ok(hit);
        }
        let request = json!({ "op": "transform", "module": module, "file": id, "code": code });
        let answer = self.answer(&request, rel, code)?;
        let made = answer["code"].as_str().map(|out| Compiled {
            code: if css { String::new() } else { out.to_owned() },
            map: None,
            custom: Vec::new(),
            typescript: false,
            css: css.then(|| out.to_owned()),
            deps: Vec::new(),
            warnings: Vec::new(),
        });
        self.cache.put(&key, serde_json::to_vec(&made).expect("serializable"));
        Ok(made)
    }

    /// The host's answer to `request` about the file `rel` (text `code`), or its errors,
    /// located in the file.
    fn answer(&self, request: &Value, rel: &str, code: &str) -> Result<Value, Vec<Diagnostic>> {
        let answer = self.hosts.ask(request).map_err(|e| vec![Diagnostic::error(e.to_string()).in_file(rel).of_kind(DiagnosticKind::Config)])?;
        let errors: Vec<Diagnostic> = answer["errors"].as_array().into_iter().flatten().map(|e| located(e, rel, code)).collect();
        if errors.is_empty() {
            Ok(answer)
        } else {
            Err(errors)
        }
    }

    fn ask(&self, kind: Component, root: &Path, path: &Path, rel: &str, code: &str) -> Result<Compiled, Vec<Diagnostic>> {
        let mut request = json!({ "op": kind.op(), "root": root, "file": path, "code": code, "production": true });
        if kind == Component::SvelteModule {
            request["lang"] = json!(if rel.ends_with(".ts") { "ts" } else { "js" });
        }
        let answer = self.answer(&request, rel, code)?;
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let lang = answer["lang"].as_str().unwrap_or("js");
        if matches!(lang, "tsx" | "jsx") {
            let d = Diagnostic::error(format!("<script lang=\"{lang}\"> in a Vue component is not supported yet")).in_file(rel);
            return Err(vec![d]);
        }
        let css: Vec<String> = match kind {
            Component::Vue => answer["styles"].as_array().into_iter().flatten().filter_map(|s| text(&s["code"])).collect(),
            _ => text(&answer["css"]).into_iter().collect(),
        };
        let deps = answer["deps"].as_array().into_iter().flatten().filter_map(|d| d.as_str()).map(PathBuf::from).map(|p| {
            let digest = std::fs::read(&p).map(|b| blake3::hash(&b).to_hex().to_string()).unwrap_or_default();
            (p, digest)
        });
        let warnings: Vec<(String, u32, u32)> = answer["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|w| (text(&w["message"]).unwrap_or_default(), line_of(w, "line"), line_of(w, "column")))
            .collect();
        let custom = answer["custom"].as_array().into_iter().flatten().map(|b| CustomBlock {
            kind: b["type"].as_str().unwrap_or("custom").to_owned(),
            lang: b["attrs"]["lang"].as_str().map(str::to_owned),
            text: text(&b["content"]).unwrap_or_default(),
            line: line_of(b, "line"),
        });
        Ok(Compiled {
            code: text(&answer["code"]).unwrap_or_default(),
            map: text(&answer["map"]["mappings"]),
            custom: custom.collect(),
            typescript: lang == "ts",
            css: (!css.is_empty()).then(|| css.join("\n")),
            deps: deps.collect(),
            warnings,
        })
    }
}

fn line_of(v: &Value, field: &str) -> u32 {
    v[field].as_u64().unwrap_or(0) as u32
}

/// A compiler's error, at its line and column in the component.
fn located(e: &Value, rel: &str, code: &str) -> Diagnostic {
    let message = e["message"].as_str().unwrap_or("the compiler failed").lines().next().unwrap_or_default().to_owned();
    let d = Diagnostic::error(message).of_kind(DiagnosticKind::Syntax);
    match (line_of(e, "line"), line_of(e, "column")) {
        (0, _) => d.in_file(rel),
        (line, column) => d.at_line_col(rel, code, line, column.max(1)),
    }
}

/// Whether the other files a cached compile read are as they were.
fn unchanged(c: &Compiled) -> bool {
    c.deps.iter().all(|(p, digest)| std::fs::read(p).is_ok_and(|b| blake3::hash(&b).to_hex().as_str() == digest))
}
