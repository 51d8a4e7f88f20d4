//! Scan: every module the entries reach, loaded in parallel waves ([`graph`]): read, parsed
//! and transformed ([`parse`]: TypeScript, JSX, decorators, `define`, the target; [`meta`]:
//! `import.meta.env`, `import.meta.glob`, template `import()`; [`class_fields`], [`limits`]),
//! its imports and exports found ([`analyze`]) and resolved ([`resolve`], [`target`]); a
//! module loaded before comes from the build cache ([`load_cache`]).

pub mod analyze;
pub mod class_fields;
pub mod graph;
pub mod limits;
pub mod load_cache;
pub mod meta;
pub mod parse;
pub mod resolve;
pub mod target;
