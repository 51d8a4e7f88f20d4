//! The secrets stage: nothing secret leaves the build (see [`crate::secrets`]). A file whose
//! name is a secret or private file's (a `.env`, a private key, a `.git/` folder…) and a file
//! holding a secret-looking value (a private key block, a live token) stop the build with an
//! error naming the file, the place, and where the value came from (the module or stylesheet
//! that holds it, or the `.env` variable); other dotfiles of the public folder (but
//! `.well-known/`) are left out with a warning. `[secrets]` lets named files and values
//! through.

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{BuildError, Diagnostic, Diagnostics};
use crate::log::{stage_output, StageLog};
use crate::output::{Origin, OutputFile};
use crate::secrets::{values, Allow, FileKind, Problem};

/// What the secrets stage reads of the config.
#[derive(Debug, Clone)]
pub struct SecretsOptions {
    pub allow: Allow,
    pub root: std::path::PathBuf,
    /// The variables `import.meta.env` exposes, to name the one a value came from.
    pub env: Vec<(String, String)>,
}

impl SecretsOptions {
    pub fn new(config: &Config) -> Self {
        SecretsOptions { allow: config.secrets.clone(), root: config.root.clone(), env: config.env.vars.clone() }
    }
}

pub struct SecretsStage<'a> {
    options: &'a SecretsOptions,
}

pub struct SecretsOutput {
    pub files: Vec<OutputFile>,
    pub log: StageLog,
}

stage_output!(SecretsOutput);

const ALLOW_NOTE: &str = "if it is meant to be public, list its output path in [secrets] allow_files in kiln.toml";

impl<'a> SecretsStage<'a> {
    pub fn new(options: &'a SecretsOptions) -> Self {
        SecretsStage { options }
    }

    pub fn run(self, files: Vec<OutputFile>) -> Result<SecretsOutput, BuildError> {
        let allow = &self.options.allow;
        let mut warnings = Diagnostics::default();
        let mut kept = Vec::with_capacity(files.len());
        for f in files {
            if f.origin == Origin::Public && allow.classify(&f.path) == FileKind::Dotfile {
                warnings.push(
                    Diagnostic::warning(format!(
                        "left out {}: a dotfile of the public folder (only .well-known/ is published)",
                        f.src.as_deref().unwrap_or(&f.path)
                    ))
                    .with_note("list its output path in [secrets] allow_files in kiln.toml to publish it"),
                );
                continue;
            }
            kept.push(f);
        }
        let problems: Vec<Diagnostic> = kept
            .par_iter()
            .filter_map(|f| allow.check(&f.path, f.src.as_deref(), &f.bytes).map(|p| (f, p)))
            .flat_map_iter(|(f, p)| self.diagnostics(f, p, &kept))
            .collect();
        if !problems.is_empty() {
            return Err(BuildError { diagnostics: problems });
        }
        Ok(SecretsOutput { files: kept, log: StageLog::warnings(warnings) })
    }

    fn diagnostics(&self, f: &OutputFile, p: Problem, files: &[OutputFile]) -> Vec<Diagnostic> {
        let from = match (f.origin, &f.src) {
            (Origin::Public, Some(src)) => format!("{src}, from the public folder"),
            (_, Some(src)) if *src != f.path => format!("{src}, which a page or a script references"),
            _ => f.path.clone(),
        };
        match p {
            Problem::Name { what } => vec![Diagnostic::error(format!("{} is {what}: kiln never ships such a file ({from})", f.path))
                .with_note(ALLOW_NOTE)
                .of_kind(crate::diagnostics::Kind::Secret)],
            Problem::Values(found) => found.iter().map(|v| self.value(f, v, files)).collect(),
        }
    }

    /// A value found in `f`: placed in the output file, and in the source that holds it (a
    /// module or the `.env` variable it came from) when one does.
    fn value(&self, f: &OutputFile, v: &values::Found, files: &[OutputFile]) -> Diagnostic {
        let (line, col) = values::line_col(&f.bytes, v.start);
        let secret = &f.bytes[v.start..v.end];
        // A source map holds its bundle's sources.
        let owner = match f.origin {
            Origin::SourceMap => files.iter().find(|c| f.path.strip_suffix(".map") == Some(c.path.as_str())).unwrap_or(f),
            _ => f,
        };
        let from = self.source_of(owner, secret).map_or_else(String::new, |place| format!("; it comes from {place}"));
        Diagnostic::error(format!("{}:{line}:{col} holds {} ({}){from}", f.path, v.rule.what, v.rule.id))
            .of_kind(crate::diagnostics::Kind::Secret)
            .with_note(format!("if it is meant to be public, add \"{}\" to [secrets] allow in kiln.toml", v.fingerprint))
    }

    /// Where a secret in `f` comes from: an exposed `.env` variable, or the first of the
    /// file's sources (a bundle's modules, a stylesheet's or a public file's source) whose text
    /// holds it, with line and column.
    fn source_of(&self, f: &OutputFile, secret: &[u8]) -> Option<String> {
        if let Some((name, _)) = self.options.env.iter().find(|(_, value)| memchr::memmem::find(value.as_bytes(), secret).is_some()) {
            return Some(format!("the .env variable {name}, which import.meta.env exposes"));
        }
        let sources = f.modules.iter().map(|m| m.path.clone()).chain(f.src.clone().filter(|s| !s.ends_with(".map")));
        for rel in sources {
            let Ok(text) = std::fs::read(crate::config::source_path(&self.options.root, &rel)) else { continue };
            if let Some(at) = memchr::memmem::find(&text, secret) {
                let (line, col) = values::line_col(&text, at);
                return Some(format!("{rel}:{line}:{col}"));
            }
        }
        None
    }
}
