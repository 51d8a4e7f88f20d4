//! `[env]`: what `import.meta.env` holds.

use super::raw::RawEnv;
use super::{Checker, Overrides};
use crate::diagnostics::Diagnostic;
use crate::paths::normalize;

/// `[env]`: what `import.meta.env` holds.
#[derive(Debug, Clone)]
pub struct EnvOptions {
    /// `import.meta.env.MODE`; also picks the `.env.[mode]` files.
    pub mode: String,
    /// Public variables (names starting with one of the prefixes) from the environment and the
    /// `.env` files, sorted by name.
    pub vars: Vec<(String, String)>,
}

/// Settles `[env]` and `--mode`, and reads the public variables.
pub(super) fn env_options(raw_env: RawEnv, overrides: &Overrides, root: &std::path::Path, c: &Checker) -> EnvOptions {
    let mode = overrides.mode.clone().or_else(|| raw_env.mode.as_ref().map(|m| m.get_ref().clone())).unwrap_or_else(|| "production".to_owned());
    if mode.is_empty() || mode.contains(['/', '\\']) {
        match &raw_env.mode {
            Some(m) if overrides.mode.is_none() => c.bad(m.span(), format!("env.mode must be a plain word, not {mode:?}")),
            _ => c.push(Diagnostic::error(format!("--mode must be a plain word, not {mode:?}"))),
        }
    }
    let prefixes: Vec<String> = match &raw_env.prefixes {
        None => vec!["VITE_".into(), "KILN_".into()],
        Some(list) => {
            for p in list.iter().filter(|p| p.get_ref().is_empty()) {
                c.bad(p.span(), "env.prefixes: an empty prefix would expose every variable of the environment".into());
            }
            list.iter().map(|p| p.get_ref().clone()).collect()
        }
    };
    let env_dir = raw_env.dir.as_ref().map_or_else(|| root.to_path_buf(), |d| normalize(&root.join(d.get_ref())));
    let vars = match crate::env_files::read(&env_dir, &mode, &prefixes, &overrides.process) {
        Ok(v) => v,
        Err(d) => {
            c.push(d);
            Vec::new()
        }
    };
    EnvOptions { mode, vars }
}

impl crate::fields::Keyed for EnvOptions {
    fn write(&self, k: &mut crate::fields::KeyFields) {
        let EnvOptions { mode, vars } = self;
        k.field("mode", mode).field("vars", vars);
    }
}
