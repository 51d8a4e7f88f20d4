//! `[js]`: how scripts are bundled.

use lightningcss::targets::Browsers;
use toml::Spanned;

use super::raw::{RawJs, SourceMapSetting};
use super::{build_patterns, Checker, Globs, Overrides};
use crate::paths::normalize;

/// Where source maps go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceMapMode {
    None,
    /// `x.js.map` beside the file, named in a `sourceMappingURL` comment.
    External,
    /// `x.js.map` beside the file, not named in it (for error trackers).
    Hidden,
}

#[derive(Debug, Clone)]
pub struct JsOptions {
    pub minify: bool,
    pub sourcemap: SourceMapMode,
    /// `esnext`, `es2015`…`es2024`, or a browserslist query.
    pub target: String,
    /// Dotted global → JS expression source.
    pub define: Vec<(String, String)>,
    /// package.json `exports` conditions, in order.
    pub conditions: Vec<String>,
    /// Specifiers left as imports in the output.
    pub external: Vec<String>,
    /// More extensions (lowercase, no dot) an import from JS may name as an asset.
    pub assets_include: Vec<String>,
    /// `import()` of a local ES module makes a chunk loaded on demand, and modules shared by
    /// several entries or chunks get chunks of their own.
    pub splitting: bool,
    /// Shared chunks smaller than this (minified bytes) merge into a chunk loaded by a superset
    /// of their entries, when every module they hold only declares things.
    pub min_chunk_size: u64,
    /// Named chunks: modules whose root-relative path matches one of a group's globs (a bare
    /// package name means that package under `node_modules`) go into a chunk of that name.
    pub manual_chunks: Vec<(String, Globs)>,
    /// JSX settings for files no tsconfig.json or jsconfig.json gives any.
    pub jsx: JsxDefaults,
    /// `js.alias`: a specifier (or a prefix of one, up to a `/`) → a path (absolute) or a
    /// package name, as Vite's `resolve.alias` and webpack's `resolve.alias` map them.
    pub alias: Vec<(String, String)>,
    /// Where the bundled code's legal comments go (`js.legal_comments`).
    pub legal_comments: LegalComments,
    /// Where the list of bundled packages and their licences goes, relative to the output
    /// folder (`js.license_file`).
    pub license_file: Option<String>,
    /// `[[js.transform]]`: transform plugins, in order (the first whose globs match a file).
    pub transforms: Vec<Transform>,
}

/// A transform plugin: a Node module's `transform(code, id)` for the files its globs match.
#[derive(Debug, Clone)]
pub struct Transform {
    pub files: Globs,
    /// The Vue custom block types it takes.
    pub blocks: Vec<String>,
    /// The module, absolute.
    pub module: std::path::PathBuf,
    /// It returns CSS (else JS).
    pub css: bool,
}

/// `js.legal_comments`: where the legal comments of the bundled code go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegalComments {
    /// Once each, at the end of the chunk that holds their code (esbuild's default).
    Eof,
    /// In a `.LEGAL.txt` file beside the chunk, which the chunk's last comment names.
    Linked,
    None,
}

/// `js.jsx*`: how JSX compiles where no tsconfig.json says.
#[derive(Debug, Clone, Default)]
pub struct JsxDefaults {
    /// The classic runtime (`React.createElement`) instead of the automatic one.
    pub classic: bool,
    pub import_source: Option<String>,
    pub factory: Option<String>,
    pub fragment: Option<String>,
}

/// Settles `[js]` and the flags that override it.
pub(super) fn js_options(rj: RawJs, overrides: &Overrides, root: &std::path::Path, c: &Checker) -> JsOptions {
    let bad = |span, msg| c.bad(span, msg);
    let sourcemap = match (&overrides.sourcemap, rj.sourcemap.as_ref().map(|s| (s.span(), s.get_ref()))) {
        (Some(mode), _) => *mode,
        (None, None | Some((_, SourceMapSetting::Enabled(false)))) => SourceMapMode::None,
        (None, Some((_, SourceMapSetting::Enabled(true)))) => SourceMapMode::External,
        (None, Some((_, SourceMapSetting::Mode(m)))) => match m.as_str() {
            "external" | "linked" => SourceMapMode::External,
            "hidden" => SourceMapMode::Hidden,
            other => {
                let span = rj.sourcemap.as_ref().map_or(0..0, |s| s.span());
                bad(span, format!("js.sourcemap must be true, false, \"external\" or \"hidden\", not {other:?}"));
                SourceMapMode::None
            }
        },
    };
    let target = rj.target.as_ref().map_or("esnext".to_owned(), |t| t.get_ref().clone());
    if let Some(t) = &rj.target {
        let v = t.get_ref().trim().to_ascii_lowercase();
        let es = v == "esnext" || v == "es5" || v == "es6" || (v.starts_with("es20") && v.len() == 6);
        if !es {
            if let Err(e) = Browsers::from_browserslist([t.get_ref().as_str()]) {
                bad(t.span(), format!("js.target must be esnext, es2015…es2024 or a browserslist query; {:?}: {e}", t.get_ref()));
            }
        }
    }
    let define = defines(rj.define.unwrap_or_default());
    let jsx = JsxDefaults {
        classic: match rj.jsx.as_ref().map(|j| (j.span(), j.get_ref().as_str())) {
            None | Some((_, "automatic")) => false,
            Some((_, "classic")) => true,
            Some((span, other)) => {
                bad(span, format!("js.jsx must be \"automatic\" or \"classic\", not {other:?}"));
                false
            }
        },
        import_source: rj.jsx_import_source.clone(),
        factory: rj.jsx_factory.clone(),
        fragment: rj.jsx_fragment.clone(),
    };
    let alias = rj
        .alias
        .unwrap_or_default()
        .into_iter()
        .map(|(from, to)| {
            let (span, to) = (to.span(), to.into_inner());
            if from.is_empty() || to.is_empty() {
                bad(span, "js.alias: neither side may be empty".into());
            }
            // A path (`./src`, `/abs`) is relative to the root; anything else is a package.
            let to = if to.starts_with("./") || to.starts_with("../") || to == "." { normalize(&root.join(&to)).display().to_string() } else { to };
            (from, to)
        })
        .collect();
    let legal_comments = match rj.legal_comments.as_ref().map(|l| (l.span(), l.get_ref().as_str())) {
        None | Some((_, "eof")) => LegalComments::Eof,
        Some((_, "linked")) => LegalComments::Linked,
        Some((_, "none")) => LegalComments::None,
        Some((span, other)) => {
            bad(span, format!("js.legal_comments must be \"eof\", \"linked\" or \"none\", not {other:?}"));
            LegalComments::Eof
        }
    };
    let license_file = rj.license_file.map(|f| {
        let (span, f) = (f.span(), f.into_inner());
        let ok =
            !f.is_empty() && !f.starts_with('/') && !f.split(['/', '\\']).any(|p| p == ".." || p.is_empty()) && (f.ends_with(".md") || f.ends_with(".json"));
        if !ok {
            bad(span, format!("js.license_file must be a relative path in the output folder ending in .md or .json, not {f:?}"));
        }
        f
    });
    JsOptions {
        jsx,
        alias,
        legal_comments,
        license_file,
        minify: rj.minify.unwrap_or(true) && !overrides.no_minify,
        sourcemap,
        target,
        define,
        conditions: rj.conditions.unwrap_or_else(|| ["browser", "import", "module", "production", "svelte", "default"].map(String::from).to_vec()),
        external: rj.external.unwrap_or_default(),
        assets_include: rj.assets_include.unwrap_or_default().into_iter().map(|e| e.trim_start_matches('.').to_ascii_lowercase()).collect(),
        splitting: rj.splitting.unwrap_or(true),
        min_chunk_size: rj.min_chunk_size.unwrap_or(0),
        manual_chunks: manual_chunks(rj.manual_chunks.unwrap_or_default(), c),
        transforms: rj.transform.unwrap_or_default().into_iter().filter_map(|t| transform(t, root, c)).collect(),
    }
}

/// `js.define`, with Vite's production defines where it sets none: `process.env.NODE_ENV`, and
/// the feature flags @vitejs/plugin-vue sets for Vue's ES-module build (they only name Vue's
/// globals).
fn defines(given: std::collections::BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut define: Vec<(String, String)> = given.into_iter().collect();
    let defaults = [
        ("process.env.NODE_ENV", "\"production\""),
        ("__VUE_OPTIONS_API__", "true"),
        ("__VUE_PROD_DEVTOOLS__", "false"),
        ("__VUE_PROD_HYDRATION_MISMATCH_DETAILS__", "false"),
    ];
    for (key, value) in defaults {
        if !define.iter().any(|(k, _)| k == key) {
            define.push((key.into(), value.into()));
        }
    }
    define
}

/// One `[[js.transform]]`, checked: its globs, its module (which must exist), its output.
fn transform(t: super::raw::RawTransform, root: &std::path::Path, c: &Checker) -> Option<Transform> {
    let files = build_patterns(&t.files, c);
    let (span, module) = (t.module.span(), t.module.into_inner());
    if t.files.is_empty() && t.blocks.as_ref().is_none_or(Vec::is_empty) {
        c.bad(span.clone(), format!("js.transform: {module:?} takes nothing: give it files (globs) or blocks (Vue custom block types)"));
    }
    let path = root.join(&module);
    if !path.is_file() {
        c.bad(span, format!("js.transform: module {module:?} is not a file (a path from the project root, like \"./plugins/yaml.mjs\")"));
        return None;
    }
    let css = match t.output.as_ref().map(|o| (o.span(), o.get_ref().as_str())) {
        None | Some((_, "js")) => false,
        Some((_, "css")) => true,
        Some((span, other)) => {
            c.bad(span, format!("js.transform: output must be \"js\" or \"css\", not {other:?}"));
            false
        }
    };
    Some(Transform { files, blocks: t.blocks.unwrap_or_default(), module: path, css })
}

/// `js.manual_chunks`: a bare package name stands for everything in that package.
fn manual_chunks(groups: std::collections::BTreeMap<String, Vec<Spanned<String>>>, c: &Checker) -> Vec<(String, Globs)> {
    groups
        .into_iter()
        .map(|(name, patterns)| {
            let globs: Vec<Spanned<String>> = patterns
                .into_iter()
                .map(|p| {
                    let (span, text) = (p.span(), p.into_inner());
                    let bare = !text.contains(['*', '?', '[', '{']) && !text.contains('/') || text.starts_with('@') && text.matches('/').count() == 1;
                    let text = if bare { format!("**/node_modules/{text}/**") } else { text };
                    Spanned::new(span, text)
                })
                .collect();
            (name, build_patterns(&globs, c))
        })
        .collect()
}

impl crate::fields::Keyed for JsOptions {
    fn write(&self, k: &mut crate::fields::KeyFields) {
        let JsOptions {
            minify,
            sourcemap,
            target,
            define,
            conditions,
            external,
            assets_include,
            splitting,
            min_chunk_size,
            manual_chunks,
            jsx,
            alias,
            legal_comments,
            license_file,
            transforms,
        } = self;
        let JsxDefaults { classic, import_source, factory, fragment } = jsx;
        let sourcemap = match sourcemap {
            SourceMapMode::None => "none",
            SourceMapMode::External => "external",
            SourceMapMode::Hidden => "hidden",
        };
        let legal = match legal_comments {
            LegalComments::Eof => "eof",
            LegalComments::Linked => "linked",
            LegalComments::None => "none",
        };
        // An alias to a path holds it absolute: it enters relative to the root.
        let alias: Vec<(&String, String)> = alias
            .iter()
            .map(|(from, to)| (from, if std::path::Path::new(to).is_absolute() { format!("path:{}", k.rel(std::path::Path::new(to))) } else { to.clone() }))
            .collect();
        k.field("minify", minify).field("sourcemap", sourcemap).field("target", target).field("define", define);
        k.field("conditions", conditions).field("external", external).field("assets_include", assets_include).field("splitting", splitting);
        k.field("min_chunk_size", min_chunk_size).field("manual_chunks", manual_chunks);
        k.field("jsx.classic", classic).field("jsx.import_source", import_source).field("jsx.factory", factory).field("jsx.fragment", fragment);
        k.field("alias", &alias).field("legal_comments", legal).field("license_file", license_file);
        for (i, t) in transforms.iter().enumerate() {
            let module = k.rel(&t.module);
            k.field(&format!("transform.{i}.files"), &t.files).field(&format!("transform.{i}.module"), &module).field(&format!("transform.{i}.css"), &t.css);
            k.field(&format!("transform.{i}.blocks"), &t.blocks);
        }
    }
}
