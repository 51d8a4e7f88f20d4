//! Loading one module: its text read (or made: a JSON, CSS-module, `?raw`, `?url` or
//! `?inline` import), parsed, transformed and analysed, or taken from the load cache, and each
//! of its imports resolved to what it names.

use std::path::Path;

use swc_core::common::{sync::Lrc, Mark, SourceFile};

use crate::diagnostics::Diagnostic;
use crate::stages::js::replay::trace::ModuleTrace;
use crate::stages::js::scan::analyze::{analyze, Analysis, ImportKind, ImportRecord};
use crate::stages::js::scan::graph::*;
use crate::stages::js::scan::parse::{KeptComments, Parsed};
use crate::stages::js::scan::target::target_of;
use crate::stages::js::types::locate;
use crate::stages::js::types::JsCtx;

/// The text of a module that only re-exports something kiln computed.
fn default_export(value: &str) -> String {
    format!("export default {value};\n")
}

/// A `data:` URL of a file.
fn data_url(rel: &str, bytes: &[u8]) -> String {
    use base64::Engine;
    let mime = crate::mime::essence(rel);
    format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// A module of `kind` with nothing loaded yet.
fn bare(path: &Path, rel: &str, variant: Variant, kind: ModuleKind, side_effects_free: bool) -> JsModule {
    JsModule {
        path: path.to_path_buf(),
        rel: rel.to_owned(),
        variant,
        kind,
        ast: None,
        comments: KeptComments::default(),
        top_level_mark: Mark::root(),
        file: None,
        analysis: Analysis::default(),
        resolved: Vec::new(),
        side_effects_free,
        generated: false,
        css: None,
        css_text: None,
        original: None,
        lazy: false,
        load_key: None,
        contexts: Vec::new(),
    }
}

pub(super) fn load_one(ctx: &JsCtx, path: &Path, variant: Variant, inline: Option<String>, side_effects_free: bool) -> LoadResult {
    let rel = format!("{}{}", ctx.options.rel(path), variant.suffix());
    let empty = |kind, diags| LoadResult {
        module: bare(path, &rel, variant, kind, side_effects_free),
        targets: Vec::new(),
        diags,
        warnings: Vec::new(),
        trace: ModuleTrace::unread(path, variant),
    };
    let plain = variant == Variant::Plain;
    let css = (plain && inline.is_none() && crate::loader::css::is_css(path)).then(|| rel.clone());
    let transform = if plain && inline.is_none() { crate::stages::js::scan::target::transform_of(ctx.options, path) } else { None };
    let css = css.filter(|_| transform.is_none_or(|t| !t.css));
    if plain && inline.is_none() && !is_code(path) && css.is_none() && transform.is_none() {
        return empty(ModuleKind::Asset { rel: rel.clone() }, Vec::new());
    }
    if variant == Variant::Url {
        // Only files that are not code reach here (a script's URL is an entry's).
        return empty(ModuleKind::Asset { rel: ctx.options.rel(path) }, Vec::new());
    }
    let component = if plain && inline.is_none() { crate::sfc::Component::of(path) } else { None };
    let (text, digest) = match source_text(ctx, path, &rel, variant, inline, css.is_some()) {
        Ok(t) => t,
        Err(diags) => return empty(ModuleKind::Esm, diags),
    };
    let mut warnings = Vec::new();
    let Made { text, css, css_text, deps, original } = match made(ctx, path, &rel, text, css, transform, component, &mut warnings) {
        Ok(m) => m,
        Err(diags) => return empty(ModuleKind::Esm, diags),
    };
    let file = crate::stages::js::scan::parse::source_file(ctx, path, text);
    // Only the build cache uses the key (with the cache off, nothing is made for it).
    let ts = ctx.lazy_loading().then(|| ctx.resolver.ts_options(ctx.options, path).ok()).flatten();
    let load_key = ts.as_ref().map(|ts| crate::stages::js::scan::load_cache::key(ctx, &rel, &file.src, &crate::fields::of(&ctx.options.loader.root, ts)));
    let cached = match load_key.map(|key| crate::stages::js::scan::load_cache::lookup(ctx, path, &rel, &file, &key)) {
        Some(Err(d)) => return empty(ModuleKind::Esm, vec![d]),
        Some(Ok(found)) => found,
        None => None,
    };
    let base = JsModule { css, css_text, original, load_key, ..bare(path, &rel, variant, ModuleKind::Esm, side_effects_free) };
    let (module, listings, ts) = match cached {
        Some((restored, top_level_mark, contexts)) => {
            let module = JsModule {
                kind: if restored.cjs { ModuleKind::Cjs } else { ModuleKind::Esm },
                comments: restored.comments,
                top_level_mark,
                file: Some(file),
                analysis: restored.analysis,
                generated: restored.generated,
                lazy: true,
                contexts,
                ..base
            };
            (module, restored.listings, ts.unwrap_or_default())
        }
        None => match parse_module(ctx, path, &rel, file, None, &mut warnings) {
            Ok((analysis, mut parsed)) => {
                let cjs = is_cjs(&analysis, parsed.is_script);
                let keep = load_key.filter(|_| warnings.is_empty());
                let contexts = keep.map(|key| crate::stages::js::scan::load_cache::keep(ctx, &key, &parsed, &analysis, cjs)).unwrap_or_default();
                let (listings, ts) = (std::mem::take(&mut parsed.listings), std::mem::take(&mut parsed.ts));
                let module = JsModule {
                    kind: if cjs { ModuleKind::Cjs } else { ModuleKind::Esm },
                    ast: Some(parsed.module),
                    comments: parsed.comments,
                    top_level_mark: parsed.top_level_mark,
                    file: Some(parsed.file),
                    analysis,
                    generated: parsed.generated,
                    contexts,
                    ..base
                };
                (module, listings, ts)
            }
            Err(diags) => return empty(ModuleKind::Esm, diags),
        },
    };
    // The minify cache's key covers what the globs matched too (see load_cache::with_listings).
    let module = JsModule { load_key: module.load_key.map(|key| crate::stages::js::scan::load_cache::with_listings(&key, &listings)), ..module };
    let mut diags = Vec::new();
    let file = module.file.clone().expect("a loaded module has its file");
    let targets: Vec<Target> = module.analysis.records.iter().map(|r| resolve_record(ctx, path, &rel, &file, r, &mut diags)).collect();
    let mut trace = ModuleTrace::read(path, variant, digest, ts, &module.analysis.records, &targets);
    trace.listings = listings;
    trace.deps = deps;
    LoadResult { module, targets, diags, warnings, trace }
}

/// A module's text once a component compiler or a transform plugin had it: the code, the
/// stylesheet it stands for, the other files read, the component's own text and map.
struct Made {
    text: String,
    css: Option<String>,
    css_text: Option<String>,
    deps: Vec<(std::path::PathBuf, String)>,
    original: Option<std::sync::Arc<(String, crate::sourcemap::InputMap)>>,
}

/// `text` through the file's transform plugin or component compiler, if it has one (their
/// warnings go to `warnings`).
#[allow(clippy::too_many_arguments)]
fn made(
    ctx: &JsCtx,
    path: &Path,
    rel: &str,
    text: String,
    css: Option<String>,
    transform: Option<&crate::config::Transform>,
    component: Option<crate::sfc::Component>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Made, Vec<Diagnostic>> {
    let compiled = match (transform, component) {
        (Some(t), _) => ctx.compilers.transform(&t.module, t.css, &path.to_string_lossy(), rel, &text)?,
        (None, Some(kind)) => Some(ctx.compilers.compile(kind, &ctx.options.loader.root, path, rel, &text)?),
        (None, None) => None,
    };
    let Some(mut c) = compiled else { return Ok(Made { text, css, css_text: None, deps: Vec::new(), original: None }) };
    // Custom blocks: each one a transform plugin claims is a module the component calls with
    // itself (`?block=N`); the others are left out, with a warning.
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for (i, block) in c.custom.iter().enumerate() {
        if ctx.options.js.transforms.iter().any(|t| t.blocks.contains(&block.kind)) {
            let spec = serde_json::Value::String(format!("./{file}?block={i}"));
            c.code.push_str(&format!("\nimport __kiln_block{i} from {spec};\nif (typeof __kiln_block{i} === \"function\") __kiln_block{i}(_sfc_main);\n"));
        } else {
            let m = format!("the <{}> block is left out: no [[js.transform]] takes it (blocks = [\"{}\"])", block.kind, block.kind);
            c.warnings.push((m, block.line, 1));
        }
    }
    warnings.extend(c.warnings.iter().map(|(m, line, col)| match line {
        0 => Diagnostic::warning(m.clone()).in_file(rel),
        _ => Diagnostic::warning(m.clone()).at_line_col(rel, &text, *line, (*col).max(1)),
    }));
    let style = c.css.is_some().then(|| format!("{rel}{}", crate::loader::COMPONENT_STYLE));
    let original = c.map.as_deref().map(|m| std::sync::Arc::new((text.clone(), crate::sourcemap::InputMap::new(m))));
    Ok(Made { text: c.code, css: style, css_text: c.css, deps: c.deps, original })
}

/// The module a Vue component's `index`-th custom block is, made by the transform plugin that
/// claims its type.
fn custom_block(ctx: &JsCtx, path: &Path, rel: &str, index: u16, bytes: &[u8]) -> Result<String, Vec<Diagnostic>> {
    let source = String::from_utf8_lossy(bytes);
    let component = ctx.compilers.compile(crate::sfc::Component::Vue, &ctx.options.loader.root, path, rel, &source)?;
    let lost = || vec![Diagnostic::error(format!("{rel}: no custom block {index} (kiln's bug)")).in_file(rel).of_kind(crate::diagnostics::Kind::Internal)];
    let block = component.custom.get(usize::from(index)).ok_or_else(lost)?;
    let plugin = ctx.options.js.transforms.iter().find(|t| t.blocks.contains(&block.kind)).ok_or_else(lost)?;
    // Vite's id for a block: the plugins written for it look at `type` and `lang`.
    let lang = block.lang.as_deref().map(|l| format!("&lang.{l}")).unwrap_or_default();
    let id = format!("{}?vue&type={}&index={index}{lang}", path.display(), block.kind);
    match ctx.compilers.transform(&plugin.module, false, &id, rel, &block.text)? {
        Some(made) => Ok(made.code),
        None => Ok("export default undefined;\n".to_owned()),
    }
}

/// A script that only uses `import()` (valid in both kinds) is not CommonJS: `require` is.
pub(in crate::stages::js) fn is_cjs(analysis: &Analysis, is_script: bool) -> bool {
    let requires = analysis.records.iter().any(|r| r.kind == ImportKind::Require);
    !analysis.has_esm_syntax && (analysis.uses_cjs || is_script && requires)
}

/// Parses, transforms and analyzes the module in `file`; with `top_level_mark`, its top level
/// gets that mark (a module loaded from the build cache, parsed when it must be).
pub(in crate::stages::js) fn parse_module(
    ctx: &JsCtx,
    path: &Path,
    rel: &str,
    file: Lrc<SourceFile>,
    top_level_mark: Option<Mark>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(Analysis, Parsed), Vec<Diagnostic>> {
    let mut parsed = crate::stages::js::scan::parse::parse_file(ctx, path, rel, file, top_level_mark, warnings)?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("module");
    let stem: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let analysis = swc_core::common::GLOBALS.set(&ctx.globals, || analyze(&mut parsed.module, parsed.top_level_mark, ctx.unresolved_mark, &stem));
    Ok((analysis, parsed))
}

/// The module's source text: the file's (or the inline script's), or the code a variant or
/// a non-JS file stands for (`?raw`, `?inline`, `?worker`, JSON, a CSS module's names); and
/// the blake3 of the file read (none for an inline script).
fn source_text(
    ctx: &JsCtx,
    path: &Path,
    rel: &str,
    variant: Variant,
    inline: Option<String>,
    css: bool,
) -> Result<(String, Option<[u8; 32]>), Vec<Diagnostic>> {
    let plain = variant == Variant::Plain;
    let (bytes, digest) = match inline {
        Some(t) => (t.into_bytes(), None),
        None => match std::fs::read(path) {
            Ok(b) => {
                let digest = *blake3::hash(&b).as_bytes();
                (b, Some(digest))
            }
            Err(e) => return Err(vec![Diagnostic::error(format!("cannot read: {e}")).in_file(rel).of_kind(crate::diagnostics::Kind::Io)]),
        },
    };
    let text = match variant {
        Variant::Inline if crate::loader::css::is_css(path) => {
            let d = Diagnostic::error("`?inline` of a stylesheet is not supported")
                .with_note("import it as a plain stylesheet (its CSS is linked to the page), or with `?raw` for its source text")
                .in_file(rel);
            return Err(vec![d]);
        }
        Variant::Inline => default_export(&serde_json::Value::String(data_url(&ctx.options.rel(path), &bytes)).to_string()),
        Variant::Worker { shared } => {
            let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let spec = serde_json::Value::String(format!("./{file}")).to_string();
            let ctor = if shared { "SharedWorker" } else { "Worker" };
            format!(
                "export default function {ctor}Wrapper(options) {{ return new {ctor}(new URL({spec}, import.meta.url), {{ type: \"module\", name: options && options.name }}); }}\n"
            )
        }
        Variant::Block(i) => custom_block(ctx, path, rel, i, &bytes)?,
        Variant::Public => {
            let public = ctx.options.loader.public_dir.as_deref().unwrap_or(path);
            let within = path.strip_prefix(public).unwrap_or(path).to_string_lossy().replace('\\', "/");
            default_export(&serde_json::Value::String(format!("{}{within}", ctx.options.loader.base)).to_string())
        }
        Variant::Raw | Variant::Plain | Variant::Url => match String::from_utf8(bytes) {
            Ok(t) if variant == Variant::Raw => default_export(&serde_json::Value::String(t).to_string()),
            Ok(t) => t,
            Err(_) => return Err(vec![Diagnostic::error("not valid UTF-8").in_file(rel).of_kind(crate::diagnostics::Kind::Syntax)]),
        },
    };
    let text = if css {
        if rel.ends_with(".module.css") {
            match crate::loader::css::module_exports(&ctx.options.loader, rel, &text) {
                Ok(names) => css_module_js(&names),
                Err(d) => return Err(vec![d]),
            }
        } else {
            String::new()
        }
    } else if plain && path.extension().is_some_and(|e| e == "json") {
        match json_module(&text) {
            Ok(t) => t,
            Err(e) => {
                let d = Diagnostic::error(format!("invalid JSON: {e}"))
                    .at_line_col(rel, &text, e.line() as u32, e.column() as u32)
                    .of_kind(crate::diagnostics::Kind::Syntax);
                return Err(vec![d]);
            }
        }
    } else {
        text
    };
    Ok((text, digest))
}

/// Where import record `r` of the module at `path` leads (errors located in `file`).
fn resolve_record(ctx: &JsCtx, path: &Path, rel: &str, file: &Lrc<SourceFile>, r: &ImportRecord, diags: &mut Vec<Diagnostic>) -> Target {
    match target_of(ctx.options, &ctx.resolver, ctx.import_map, path, r) {
        Ok(t) => t,
        Err(msg) => {
            diags.push(locate(file, rel, r.span.lo, Diagnostic::error(msg.to_string()).of_kind(crate::diagnostics::Kind::Resolve)));
            Target::None
        }
    }
}

/// A CSS module's JS face: a default export mapping each local name to its scoped class
/// names, and a named export for each name that is an identifier.
fn css_module_js(names: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut fields = Vec::new();
    for (local, scoped) in names {
        let value = serde_json::Value::String(scoped.clone());
        let key = serde_json::Value::String(local.clone());
        let ident = local.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && local.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
            && !is_reserved(local);
        if ident {
            out.push_str(&format!("export const {local} = {value};\n"));
            fields.push(format!("{key}: {local}"));
        } else {
            fields.push(format!("{key}: {value}"));
        }
    }
    out.push_str(&format!("export default {{{}}};\n", fields.join(", ")));
    out
}

/// A JSON file as an ES module: a default export of the whole value, and a named export for
/// each top-level key that is a valid identifier (as esbuild and Vite do).
fn json_module(text: &str) -> Result<String, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    let mut out = String::new();
    if let serde_json::Value::Object(map) = &value {
        let mut names = Vec::new();
        for (k, v) in map {
            let ident = !k.is_empty()
                && k.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
                && !is_reserved(k);
            if ident {
                out.push_str(&format!("export const {k} = {v};\n"));
                names.push(format!("{}: {k}", serde_json::Value::String(k.clone())));
            } else {
                names.push(format!("{}: {v}", serde_json::Value::String(k.clone())));
            }
        }
        out.push_str(&format!("export default {{{}}};\n", names.join(", ")));
    } else {
        out.push_str(&format!("export default {value};\n"));
    }
    Ok(out)
}
