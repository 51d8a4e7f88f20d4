//! What a build reads of the process it runs in: environment variables and the working
//! folder. The caller captures them once ([`Env::from_process`] in the CLI) and hands them in
//! through [`crate::Overrides`]; no step reads the process environment itself, so a program
//! calling the library decides what a build sees (and two builds in one process see what each
//! was given).

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Environment variables and a working folder.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
    /// Where relative paths in messages are relative to; empty: paths are shown absolute.
    pub cwd: PathBuf,
}

impl Env {
    /// This process's variables (those that are valid UTF-8) and working folder.
    pub fn from_process() -> Env {
        let vars = std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))).collect();
        Env { vars, cwd: std::env::current_dir().unwrap_or_default() }
    }

    /// No variables, paths shown relative to `cwd`.
    pub fn empty(cwd: impl Into<PathBuf>) -> Env {
        Env { vars: BTreeMap::new(), cwd: cwd.into() }
    }

    /// With `name` set to `value`.
    pub fn with(mut self, name: &str, value: &str) -> Env {
        self.vars.insert(name.to_owned(), value.to_owned());
        self
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Whether `name` is set to something other than empty or `0`.
    pub fn flag(&self, name: &str) -> bool {
        self.var(name).is_some_and(|v| !v.is_empty() && v != "0")
    }

    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Checks and traces for kiln's own tests and for reports of its bugs, from
    /// `KILN_VERIFY`, `KILN_CHECK_CACHE` and `KILN_DEBUG_MINIFY`.
    pub fn self_checks(&self) -> SelfChecks {
        SelfChecks {
            verify: cfg!(debug_assertions) || self.var("KILN_VERIFY").is_some(),
            check_cache: self.flag("KILN_CHECK_CACHE"),
            trace_minify: self.var("KILN_DEBUG_MINIFY").is_some(),
        }
    }
}

/// kiln checking itself (none of these changes an output).
#[derive(Debug, Clone, Copy, Default)]
pub struct SelfChecks {
    /// Every chunk parsed again and checked for syntax the target cannot run (on in debug
    /// builds; `KILN_VERIFY`).
    pub verify: bool,
    /// Modules taken from the build cache printed again and compared (`KILN_CHECK_CACHE`).
    pub check_cache: bool,
    /// Each module printed to stderr as it goes to the minifier (`KILN_DEBUG_MINIFY`).
    pub trace_minify: bool,
}
