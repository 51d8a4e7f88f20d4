//! Assemble, the JS stage's last step: after bundling, each chunk's CSS imports become one stylesheet, and every page
//! links what its scripts need at start (their chunks' CSS, `modulepreload` for the chunks they
//! import) and, with `hash_cascade = "importmap"`, carries the import map of its chunks.

mod css;
mod pages;

use crate::diagnostics::Diagnostics;
use crate::graph::Graph;
pub use crate::stages::js::types::ChunkLinks;
use crate::stages::js::BundleOptions;

pub fn run(options: &BundleOptions, graph: &mut Graph, chunks: &[ChunkLinks]) -> Diagnostics {
    let diags = css::join(graph, chunks);
    pages::link(options, graph, chunks);
    graph.assets.sort_by(|a, b| a.src.cmp(&b.src));
    diags
}
