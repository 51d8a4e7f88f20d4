//! The `kiln` binary's own modules: its flags ([`args`]) and how it shows progress and
//! failures on a terminal ([`ui`]). The library knows nothing of either.

pub mod args;
pub mod ui;

#[cfg(test)]
mod reference;
