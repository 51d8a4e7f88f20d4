//! Assemble: after bundling, each chunk's CSS imports become one stylesheet, and every page
//! links what its scripts need at start (their chunks' CSS, `modulepreload` for the chunks they
//! import) and, with `hash_cascade = "importmap"`, carries the import map of its chunks.

mod css;
mod pages;

use crate::config::Config;
use crate::diagnostics::Diagnostics;
use crate::graph::Graph;
use crate::stages::js::Chunk;

/// What the pages and stylesheets need to know of a chunk once its code is in the graph.
#[derive(Debug, Clone)]
pub struct ChunkLinks {
    pub key: String,
    pub css: Vec<String>,
    pub css_key: Option<String>,
    pub preload: Vec<String>,
    pub css_order: Vec<String>,
    pub dynamic: Vec<String>,
}

impl ChunkLinks {
    pub fn of(chunk: &Chunk) -> Self {
        ChunkLinks {
            key: chunk.key.clone(),
            css: chunk.css.clone(),
            css_key: chunk.css_key.clone(),
            preload: chunk.preload.clone(),
            css_order: chunk.css_order.clone(),
            dynamic: chunk.dynamic.clone(),
        }
    }
}

pub fn run(config: &Config, graph: &mut Graph, chunks: &[ChunkLinks]) -> Diagnostics {
    let diags = css::join(graph, chunks);
    pages::link(config, graph, chunks);
    graph.assets.sort_by(|a, b| a.src.cmp(&b.src));
    diags
}
