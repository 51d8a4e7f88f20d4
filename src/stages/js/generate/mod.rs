//! Generate: each live module has its imports replaced by placeholder names and is minified
//! on its own (in parallel); the chunk's top-level names are then chosen once for the whole
//! chunk; each module is renamed to the final names and printed with source positions (in
//! parallel); the pieces are joined with a small runtime, namespace objects and the entry's
//! `export { … }`.
//!
//! Imports are replaced *before* minification by placeholder names that the minifier treats
//! as globals (`__kiln_l3_foo` for `foo` of module 3): it then never renames them, never
//! shadows them, and what it renames inside a module cannot collide with them. Renaming after
//! minification is by name, which is safe because every new name is one the chunk does not use.
//!
//! Minifying per module keeps both cores busy and never runs swc's serial whole-program passes
//! over a big bundle; the price is that constants are not folded across modules (esbuild makes
//! the same trade).

mod check;
mod join;
pub mod minify_cache;
mod naming;
mod prepare;
mod print_cache;
mod rename;
mod render;
mod runtime;
mod shorthand;
mod symbols;

use swc_core::ecma::ast::*;

use crate::graph::Refs;
use crate::sourcemap::Segment;
pub use join::assemble;
pub use prepare::{prepare, Prepared};
pub use render::{render, ChunkJob, Rendered};

/// The newest syntax the output may use: the target's ES version; ES2015 for a browserslist
/// query (every browser such queries usually name has it).
pub fn output_version(target: &str) -> EsVersion {
    if target.trim().eq_ignore_ascii_case("esnext") {
        EsVersion::latest()
    } else {
        super::parse::es_version(target.trim()).unwrap_or(EsVersion::Es2015)
    }
}

/// What an `import()` of a split chunk becomes: its URL placeholder, and the stylesheets and
/// chunks the loader fetches first.
pub struct DynamicLoad {
    pub url: String,
    pub css: Vec<String>,
    pub js: Vec<String>,
}

/// One output file's JS: code with asset placeholders, its references and source map.
pub struct ChunkCode {
    pub code: String,
    pub refs: Refs,
    pub segments: Vec<Segment>,
    /// Absolute paths and contents of the map's sources.
    pub sources: Vec<(std::path::PathBuf, String)>,
    /// The modules in the chunk, in order.
    pub modules: Vec<crate::graph::ModuleInfo>,
}
