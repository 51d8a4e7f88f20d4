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
pub mod names;
mod naming;
pub mod plan;
mod prepare;
mod print_cache;
mod rename;
mod render;
pub mod rewrite;
mod runtime;
mod shorthand;
mod symbols;
mod types;
pub mod unbound;
pub mod verify;

pub use join::assemble;
pub use prepare::{prepare, Prepared};
pub use render::render;
pub use types::{ChunkJob, Rendered};
