//! Module resolution as Node and the bundlers users know do it, by oxc_resolver: relative
//! paths, bare specifiers through `node_modules`, package.json `exports` and `imports` with
//! conditions, `browser`/`module`/`main` fields, extensions, index files, tsconfig `paths`.

use std::path::{Path, PathBuf};

use oxc_resolver::{ResolveOptions, Resolver, TsconfigDiscovery};

use crate::config::Config;

pub const EXTENSIONS: &[&str] = &[".ts", ".tsx", ".mts", ".cts", ".jsx", ".mjs", ".cjs", ".js", ".json"];

pub struct JsResolver {
    inner: Resolver,
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
    pub fn new(config: &Config) -> Self {
        let options = ResolveOptions {
            condition_names: config.js.conditions.clone(),
            main_fields: vec!["browser".into(), "module".into(), "main".into()],
            alias_fields: vec![vec!["browser".into()]],
            extensions: EXTENSIONS.iter().map(|e| (*e).to_owned()).collect(),
            // TypeScript sources import `./x.js` meaning `./x.ts`.
            extension_alias: vec![
                (".js".into(), vec![".ts".into(), ".tsx".into(), ".js".into()]),
                (".mjs".into(), vec![".mts".into(), ".mjs".into()]),
                (".cjs".into(), vec![".cts".into(), ".cjs".into()]),
            ],
            tsconfig: Some(TsconfigDiscovery::Auto),
            ..ResolveOptions::default()
        };
        JsResolver { inner: Resolver::new(options) }
    }

    /// Resolves `specifier` as written in the file `from`.
    pub fn resolve(&self, config: &Config, from: &Path, specifier: &str) -> Result<Target, String> {
        if config.js.external.iter().any(|e| e == specifier || specifier.starts_with(&format!("{e}/")))
            || specifier.starts_with("http://")
            || specifier.starts_with("https://")
            || specifier.starts_with("data:")
        {
            return Ok(Target::External);
        }
        let resolution = self.inner.resolve_file(from, specifier).map_err(|e| e.to_string())?;
        let path = resolution.path().to_path_buf();
        let side_effects_free = resolution.package_json().is_some_and(|pkg| match pkg.side_effects() {
            Some(oxc_resolver::SideEffects::Bool(b)) => !b,
            Some(oxc_resolver::SideEffects::String(glob)) => !side_effect_glob(pkg.path().parent(), &path, &[glob]),
            Some(oxc_resolver::SideEffects::Array(globs)) => !side_effect_glob(pkg.path().parent(), &path, &globs),
            None => false,
        });
        Ok(Target::File { path, side_effects_free })
    }

    /// JSX settings from the nearest tsconfig.json (with `extends` applied).
    pub fn jsx_options(&self, file: &Path) -> JsxFromTsconfig {
        let Ok(Some(tsconfig)) = self.inner.find_tsconfig(file) else { return JsxFromTsconfig::default() };
        let o = &tsconfig.compiler_options;
        JsxFromTsconfig {
            jsx: o.jsx.clone(),
            import_source: o.jsx_import_source.clone(),
            factory: o.jsx_factory.clone(),
            fragment_factory: o.jsx_fragment_factory.clone(),
        }
    }
}

/// `compilerOptions.jsx*` of a tsconfig.json.
#[derive(Debug, Default, Clone)]
pub struct JsxFromTsconfig {
    pub jsx: Option<String>,
    pub import_source: Option<String>,
    pub factory: Option<String>,
    pub fragment_factory: Option<String>,
}

/// Whether `path` matches one of package.json's `sideEffects` globs (relative to the package).
fn side_effect_glob(pkg_dir: Option<&Path>, path: &Path, globs: &[&str]) -> bool {
    let rel = pkg_dir.and_then(|d| path.strip_prefix(d).ok()).unwrap_or(path);
    let rel = rel.to_string_lossy();
    globs.iter().any(|g| {
        let g = g.trim_start_matches("./");
        // A pattern without a slash matches a file name anywhere (as webpack does).
        let pattern = if g.contains('/') { g.to_owned() } else { format!("**/{g}") };
        globset::Glob::new(&pattern).map(|g| g.compile_matcher().is_match(rel.as_ref())).unwrap_or(false)
    })
}
