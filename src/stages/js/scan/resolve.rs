//! Module resolution as Node and the bundlers users know do it, by oxc_resolver: relative
//! paths, bare specifiers through `node_modules`, package.json `exports` and `imports` with
//! conditions, `browser`/`module`/`main` fields, extensions, index files, tsconfig `paths`.

use std::path::{Path, PathBuf};

use oxc_resolver::{ResolveError, ResolveOptions, Resolver, TsconfigDiscovery};

use crate::stages::js::BundleOptions;

pub const EXTENSIONS: &[&str] = &[".ts", ".tsx", ".mts", ".cts", ".jsx", ".mjs", ".cjs", ".js", ".json"];

pub struct JsResolver {
    inner: Resolver,
    /// The nearest tsconfig.json or jsconfig.json of each directory asked about (files do not
    /// change during a build; each module asks, and the answer is its folder's).
    nearest_config: std::sync::Mutex<std::collections::HashMap<PathBuf, Option<PathBuf>>>,
}

/// What a specifier names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A file to bundle (or an asset, decided by extension), with whether its package says it
    /// has no side effects.
    File { path: PathBuf, side_effects_free: bool },
    /// Left as an import in the output (configured `external`, or a URL).
    External,
}

impl JsResolver {
    pub fn new(options: &BundleOptions) -> Self {
        let options = ResolveOptions {
            condition_names: options.js.conditions.clone(),
            // `svelte` first, as @sveltejs/vite-plugin-svelte adds it: a Svelte component
            // library's components as sources.
            main_fields: vec!["svelte".into(), "browser".into(), "module".into(), "main".into()],
            alias_fields: vec![vec!["browser".into()]],
            extensions: EXTENSIONS.iter().map(|e| (*e).to_owned()).collect(),
            // TypeScript sources import `./x.js` meaning `./x.ts`.
            extension_alias: vec![
                (".js".into(), vec![".ts".into(), ".tsx".into(), ".js".into()]),
                (".mjs".into(), vec![".mts".into(), ".mjs".into()]),
                (".cjs".into(), vec![".cts".into(), ".cjs".into()]),
                // `import './counter.svelte'` of a `counter.svelte.ts` module (runes outside a
                // component), as Svelte's docs write it.
                (".svelte".into(), vec![".svelte".into(), ".svelte.ts".into(), ".svelte.js".into()]),
            ],
            tsconfig: Some(TsconfigDiscovery::Auto),
            alias: options.js.alias.iter().map(|(from, to)| (from.clone(), vec![oxc_resolver::AliasValue::Path(to.clone())])).collect(),
            ..ResolveOptions::default()
        };
        JsResolver { inner: Resolver::new(options), nearest_config: Default::default() }
    }

    /// Resolves `specifier` as written in the file `from`.
    pub fn resolve(&self, options: &BundleOptions, from: &Path, specifier: &str) -> Result<Target, ResolveError> {
        if options.js.external.iter().any(|e| e == specifier || specifier.starts_with(&format!("{e}/")))
            || specifier.starts_with("http://")
            || specifier.starts_with("https://")
            || specifier.starts_with("data:")
        {
            return Ok(Target::External);
        }
        let resolution = self.inner.resolve_file(from, specifier)?;
        let path = resolution.path().to_path_buf();
        let side_effects_free = resolution.package_json().is_some_and(|pkg| match pkg.side_effects() {
            Some(oxc_resolver::SideEffects::Bool(b)) => !b,
            Some(oxc_resolver::SideEffects::String(glob)) => !side_effect_glob(pkg.path().parent(), &path, &[glob]),
            Some(oxc_resolver::SideEffects::Array(globs)) => !side_effect_glob(pkg.path().parent(), &path, &globs),
            None => false,
        });
        Ok(Target::File { path, side_effects_free })
    }

    /// The tsconfig.json (else jsconfig.json) in `dir` or the nearest folder above it.
    fn nearest_config(&self, dir: &Path) -> Option<PathBuf> {
        if let Some(known) = self.nearest_config.lock().unwrap_or_else(|e| e.into_inner()).get(dir) {
            return known.clone();
        }
        let found = ["tsconfig.json", "jsconfig.json"]
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
            .or_else(|| dir.parent().and_then(|up| self.nearest_config(up)));
        self.nearest_config.lock().unwrap_or_else(|e| e.into_inner()).insert(dir.to_path_buf(), found.clone());
        found
    }

    /// The compiler options that apply to `file`: from the tsconfig.json TypeScript would use
    /// for it (`extends` applied, a solution-style config's `references` followed to the project
    /// whose `include`/`files` hold the file), else from the nearest tsconfig.json or
    /// jsconfig.json above it (as esbuild reads them for JS files too), else kiln.toml's
    /// `js.jsx*` defaults. Files in `node_modules` get no tsconfig.
    pub fn ts_options(&self, options: &BundleOptions, file: &Path) -> Result<TsOptions, TsconfigError> {
        let found = match self.inner.find_tsconfig(file) {
            Ok(Some(t)) => Some(t),
            Err(e) => return Err(TsconfigError::Applying(e)),
            Ok(None) if file.components().any(|c| c.as_os_str() == "node_modules") => None,
            Ok(None) => {
                let nearest = file.parent().and_then(|dir| self.nearest_config(dir));
                match nearest {
                    Some(p) => Some(self.inner.resolve_tsconfig(&p).map_err(|e| TsconfigError::Nearest(options.rel(&p), e))?),
                    None => None,
                }
            }
        };
        let defaults = &options.js.jsx;
        let mut out = TsOptions {
            jsx: JsxFromTsconfig {
                jsx: defaults.classic.then(|| "react".to_owned()),
                import_source: defaults.import_source.clone(),
                factory: defaults.factory.clone(),
                fragment_factory: defaults.fragment.clone(),
            },
            ..TsOptions::default()
        };
        let Some(tsconfig) = found else {
            out.use_define_for_class_fields = true;
            return Ok(out);
        };
        let o = &tsconfig.compiler_options;
        if o.jsx.is_some() {
            out.jsx.jsx = o.jsx.clone();
        }
        if o.jsx_import_source.is_some() {
            out.jsx.import_source = o.jsx_import_source.clone();
        }
        if o.jsx_factory.is_some() {
            out.jsx.factory = o.jsx_factory.clone();
        }
        if o.jsx_fragment_factory.is_some() {
            out.jsx.fragment_factory = o.jsx_fragment_factory.clone();
        }
        out.experimental_decorators = o.experimental_decorators.unwrap_or(false);
        out.emit_decorator_metadata = o.emit_decorator_metadata.unwrap_or(false);
        // TypeScript's default follows `target`: define semantics from ES2022 on (and for
        // ESNext, or no target).
        out.use_define_for_class_fields = o.use_define_for_class_fields.unwrap_or_else(|| {
            let target = o.target.as_deref().unwrap_or("esnext").to_ascii_lowercase();
            match target.strip_prefix("es") {
                Some("3" | "5" | "6") => false,
                Some(year) => year.parse::<u32>().map_or(true, |y| y >= 2022),
                None => true,
            }
        });
        out.verbatim_module_syntax = o.verbatim_module_syntax.unwrap_or(false);
        out.tsconfig = Some(tsconfig.path().to_path_buf());
        Ok(out)
    }
}

/// Why the tsconfig.json that applies to a file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum TsconfigError {
    #[error("cannot read the tsconfig.json that applies here: {0}")]
    Applying(ResolveError),
    /// The nearest tsconfig.json or jsconfig.json (shown relative to the root).
    #[error("cannot read {0}: {1}")]
    Nearest(String, ResolveError),
}

/// What a tsconfig.json (or kiln.toml) says about compiling one file.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TsOptions {
    pub jsx: JsxFromTsconfig,
    /// Legacy (TypeScript "experimental") decorators instead of standard ones.
    pub experimental_decorators: bool,
    pub emit_decorator_metadata: bool,
    /// Class fields are defined (`Object.defineProperty` semantics, as JS has them) rather
    /// than assigned in the constructor.
    pub use_define_for_class_fields: bool,
    /// Imports are kept as written (none is dropped for being used only as a type).
    pub verbatim_module_syntax: bool,
    /// The tsconfig.json the options came from.
    pub tsconfig: Option<PathBuf>,
}

/// `compilerOptions.jsx*` of a tsconfig.json.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JsxFromTsconfig {
    pub jsx: Option<String>,
    pub import_source: Option<String>,
    pub factory: Option<String>,
    pub fragment_factory: Option<String>,
}

/// Whether `path` matches one of package.json's `sideEffects` globs (relative to the package).
/// A file whose path cannot be put relative to its package (a package reached through a
/// symlink, as pnpm and workspaces lay them out, with one path resolved and the other not)
/// counts as having side effects: dropping a stylesheet import on a guess is a silent breakage.
fn side_effect_glob(pkg_dir: Option<&Path>, path: &Path, globs: &[&str]) -> bool {
    let Some(rel) = pkg_dir.and_then(|d| relative_in(d, path)) else { return true };
    let rel = rel.to_string_lossy().replace('\\', "/");
    globs.iter().any(|g| {
        let g = g.trim_start_matches("./");
        // A pattern without a slash matches a file name anywhere (as webpack does).
        let pattern = if g.contains('/') { g.to_owned() } else { format!("**/{g}") };
        globset::Glob::new(&pattern).map(|g| g.compile_matcher().is_match(rel.as_str())).unwrap_or(false)
    })
}

/// `path` relative to the package folder `dir`, through symlinks if it must.
fn relative_in(dir: &Path, path: &Path) -> Option<PathBuf> {
    if let Ok(rel) = path.strip_prefix(dir) {
        return Some(rel.to_path_buf());
    }
    let (dir, path) = (dir.canonicalize().ok()?, path.canonicalize().ok()?);
    path.strip_prefix(&dir).ok().map(Path::to_path_buf)
}

impl crate::fields::Keyed for TsOptions {
    fn write(&self, k: &mut crate::fields::KeyFields) {
        let TsOptions { jsx, experimental_decorators, emit_decorator_metadata, use_define_for_class_fields, verbatim_module_syntax, tsconfig } = self;
        let JsxFromTsconfig { jsx, import_source, factory, fragment_factory } = jsx;
        k.field("jsx", jsx).field("jsx.import_source", import_source).field("jsx.factory", factory).field("jsx.fragment_factory", fragment_factory);
        k.field("experimental_decorators", experimental_decorators).field("emit_decorator_metadata", emit_decorator_metadata);
        k.field("use_define_for_class_fields", use_define_for_class_fields).field("verbatim_module_syntax", verbatim_module_syntax);
        k.field("tsconfig", tsconfig);
    }
}
