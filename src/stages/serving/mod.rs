//! Files for the server and the browser, made once every URL is final: the service worker of
//! `[offline]` ([`worker`]) and the `_headers` file of `headers_file = true` ([`headers`]).
//! With `offline.register`, pages get the worker's registration snippet first, so their
//! revisions in the precache are those of the pages written.

pub mod headers;
pub mod worker;

use lol_html::html_content::ContentType;
use lol_html::{element, rewrite_str, RewriteStrSettings};

use crate::config::{Config, OfflineOptions};
use crate::diagnostics::{BuildError, Diagnostic, Diagnostics};
use crate::graph::AssetKind;
use crate::log::{stage_output, StageLog};
use crate::output::{Origin, OutputFile};

/// What the serving stage reads of the config.
#[derive(Debug, Clone)]
pub struct ServingOptions {
    pub base: String,
    pub headers_file: bool,
    pub offline: Option<OfflineOptions>,
}

impl ServingOptions {
    pub fn new(config: &Config) -> Self {
        ServingOptions { base: config.base.clone(), headers_file: config.headers_file, offline: config.offline.clone() }
    }
}

/// The snippet before `</body>`, or at the end of a page without one.
fn add_snippet(html: &[u8], snippet: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(html);
    let done = std::cell::Cell::new(false);
    let body = element!("body", |el| {
        if let Some(handlers) = el.end_tag_handlers() {
            let snippet = snippet.to_owned();
            let on_end: lol_html::EndTagHandler<'static> = Box::new(move |end| {
                end.before(&snippet, ContentType::Html);
                Ok(())
            });
            handlers.push(on_end);
            done.set(true);
        }
        Ok(())
    });
    let out = rewrite_str(&text, RewriteStrSettings::new().append_element_content_handler(body)).unwrap_or_else(|_| text.clone().into_owned());
    if done.get() && out.contains(snippet) {
        out.into_bytes()
    } else {
        format!("{text}{snippet}").into_bytes()
    }
}

/// A generated file may not take the place of one of the build's own.
fn taken(files: &[OutputFile], path: &str, key: &str) -> Option<Diagnostic> {
    let f = files.iter().find(|f| f.path == path)?;
    Some(
        Diagnostic::error(format!("{key}: the output already has {path} (from {})", f.src.as_deref().unwrap_or("?")))
            .with_note(format!("kiln writes {path} itself here: remove the other file, or turn {key} off")),
    )
}

fn offline(options: &ServingOptions, offline: &OfflineOptions, files: &mut Vec<OutputFile>) -> Result<(), Vec<Diagnostic>> {
    if let Some(d) = taken(files, "sw.js", "[offline]") {
        return Err(vec![d]);
    }
    if let Some((page, _)) = &offline.fallback {
        if !files.iter().any(|f| &f.path == page && f.origin == Origin::Asset(AssetKind::Html)) {
            return Err(vec![
                Diagnostic::error(format!("offline.fallback: {page} is not a page of the output")).with_note("name a page of the site, e.g. offline.html")
            ]);
        }
    }
    if offline.register {
        let snippet = worker::registration(offline, &options.base);
        for f in files.iter_mut().filter(|f| f.origin == Origin::Asset(AssetKind::Html)) {
            let bytes = add_snippet(&f.bytes, &snippet);
            f.set_bytes(bytes);
        }
    }
    let list = worker::precache(files, offline, &options.base)?;
    let manifest = worker::manifest_json(&list, &options.base);
    let code = match &offline.worker {
        None => worker::generate(&manifest, offline, &options.base),
        Some((path, shown)) => {
            let source =
                std::fs::read_to_string(path).map_err(|e| vec![Diagnostic::error(format!("offline.worker: cannot read {shown}: {e}")).in_file(shown)])?;
            worker::inject(&source, shown, &manifest).map_err(|d| vec![d])?
        }
    };
    files.push(OutputFile::new("sw.js".into(), None, Origin::Generated, false, code.into_bytes()));
    Ok(())
}

/// The serving stage: `sw.js` and `_headers`, when asked for.
pub struct ServingStage<'a> {
    options: &'a ServingOptions,
}

pub struct ServingOutput {
    pub files: Vec<OutputFile>,
    pub log: StageLog,
}

stage_output!(ServingOutput);

impl<'a> ServingStage<'a> {
    pub fn new(options: &'a ServingOptions) -> Self {
        ServingStage { options }
    }

    pub fn run(self, mut files: Vec<OutputFile>) -> Result<ServingOutput, BuildError> {
        let o = self.options;
        if !o.headers_file && o.offline.is_none() {
            return Ok(ServingOutput { files, log: StageLog { skipped: true, ..StageLog::default() } });
        }
        if let Some(offline_options) = &o.offline {
            offline(o, offline_options, &mut files).map_err(|diagnostics| BuildError { diagnostics })?;
        }
        let mut warnings = Diagnostics::default();
        if o.headers_file {
            if let Some(d) = taken(&files, "_headers", "headers_file") {
                return Err(BuildError::one(d));
            }
            let (text, found) = headers::headers_file(&files, &o.base);
            for w in found {
                warnings.push(w);
            }
            files.push(OutputFile::new("_headers".into(), None, Origin::Generated, false, text.into_bytes()));
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(ServingOutput { files, log: StageLog::warnings(warnings) })
    }
}
