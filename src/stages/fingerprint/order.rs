//! The order in which files get their final names: a file after everything it refers to.
//! Files that refer to each other in a cycle form one group, named together.

use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;

use crate::graph::Graph;

/// Groups of asset indices, each group after the groups it depends on; members sorted.
pub fn groups(graph: &Graph) -> Vec<Vec<usize>> {
    let index = graph.index();
    let mut g: DiGraph<usize, ()> = DiGraph::with_capacity(graph.assets.len(), 0);
    let nodes: Vec<_> = (0..graph.assets.len()).map(|i| g.add_node(i)).collect();
    for (i, asset) in graph.assets.iter().enumerate() {
        for r in asset.refs.0.iter().filter(|r| !r.public) {
            if let Some(&j) = index.get(&r.target) {
                g.update_edge(nodes[i], nodes[j], ());
            }
        }
    }
    // Tarjan yields components in post-order: every component after those it reaches.
    tarjan_scc(&g)
        .into_iter()
        .map(|scc| {
            let mut members: Vec<usize> = scc.into_iter().map(|n| g[n]).collect();
            members.sort_unstable();
            members
        })
        .collect()
}
