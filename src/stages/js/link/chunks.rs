//! Chunks: which output file each live module goes into.
//!
//! Every page entry and every module loaded by `import()` is an entry point. A module goes
//! into the chunk of the set of entry points that reach it through static imports (esbuild's
//! rule): reached from one entry point, it is in that entry's chunk; from several, in a shared
//! chunk for exactly that set, so it is in one file and evaluated once. `manual_chunks` groups
//! take their modules first; `min_chunk_size` then merges small shared chunks where that
//! changes no module's side effects. Without splitting, each entry gets every module it reaches
//! (shared ones copied).

use rustc_hash::{FxHashMap, FxHashSet};

use crate::graph::AssetKey;
use crate::stages::js::link::Linked;
use crate::stages::js::scan::analyze::ImportKind;
use crate::stages::js::scan::graph::{JsModule, ModuleId, Resolved};
use crate::stages::js::BundleOptions;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkKind {
    /// The bundle of a page's module script or a configured entry (index into the entries).
    Page(usize),
    /// The chunk `import()` of this module loads.
    Dynamic(ModuleId),
    /// Modules several entry points share.
    Shared,
    /// A `manual_chunks` group.
    Manual,
}

#[derive(Debug, Clone)]
pub struct ChunkPlan {
    /// Manifest key and asset source path.
    pub key: AssetKey,
    pub kind: ChunkKind,
    /// The entry module, for page and dynamic chunks.
    pub entry: Option<ModuleId>,
    /// Modules in evaluation order.
    pub modules: Vec<ModuleId>,
    /// Stylesheets its modules import, in order (root-relative).
    pub css: Vec<String>,
    /// Where its first stylesheet comes in the source order: chunks' CSS files are linked in
    /// this order.
    pub css_rank: usize,
    /// Chunks it imports statically, in the order they must run.
    pub deps: Vec<usize>,
}

impl ChunkPlan {
    /// A chunk with nothing placed in it yet.
    fn empty(key: AssetKey, kind: ChunkKind, entry: Option<ModuleId>) -> ChunkPlan {
        ChunkPlan { key, kind, entry, modules: Vec::new(), css: Vec::new(), css_rank: usize::MAX, deps: Vec::new() }
    }

    /// The key of the stylesheet made of this chunk's CSS imports.
    pub fn css_key(&self) -> Option<AssetKey> {
        (!self.css.is_empty()).then(|| self.key.css_of())
    }
}

pub struct Plan {
    pub chunks: Vec<ChunkPlan>,
    /// Per entry-point chunk (the first chunks): its modules' evaluation order from its entry.
    pub entry_order: Vec<Vec<ModuleId>>,
    /// Per module: its chunk (with splitting; without, modules may be in several).
    pub chunk_of: Vec<Option<usize>>,
}

impl Plan {
    /// The CSS files loading chunk `c` needs (its own and those of the chunks it imports), in
    /// source order.
    /// `modules` gives each module's stylesheet, if it is one.
    pub fn css_order(&self, c: usize, modules: &[JsModule]) -> Vec<AssetKey> {
        let mut with_css: Vec<usize> = self.static_closure(c).into_iter().chain([c]).filter(|&d| !self.chunks[d].css.is_empty()).collect();
        // Where each chunk's first stylesheet comes in the evaluation order from this entry.
        let position: FxHashMap<ModuleId, usize> = match self.entry_order.get(c) {
            Some(order) => order.iter().enumerate().filter(|(_, m)| modules[**m].css.is_some()).map(|(i, m)| (*m, i)).collect(),
            None => FxHashMap::default(),
        };
        let first = |d: usize| self.chunks[d].modules.iter().filter_map(|m| position.get(m)).min().copied().unwrap_or(usize::MAX);
        with_css.sort_by_key(|&d| (first(d), self.chunks[d].css_rank));
        with_css.into_iter().filter_map(|d| self.chunks[d].css_key()).collect()
    }

    /// The chunks `c` imports statically, directly or not, deepest first.
    pub fn static_closure(&self, c: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut seen = FxHashSet::default();
        fn visit(plan: &Plan, c: usize, seen: &mut FxHashSet<usize>, out: &mut Vec<usize>) {
            if !seen.insert(c) {
                return;
            }
            for &d in &plan.chunks[c].deps {
                visit(plan, d, seen, out);
            }
            out.push(c);
        }
        for &d in &self.chunks[c].deps {
            visit(self, d, &mut seen, &mut out);
        }
        out
    }
}

/// True when `record` of `m` pulls its target into the same load (everything but an `import()`
/// that gets a chunk of its own).
fn is_static_edge(modules: &[JsModule], linked: &Linked, m: ModuleId, record: usize) -> Option<ModuleId> {
    let Some(Resolved::Module(t)) = modules[m].resolved.get(record) else { return None };
    let kind = modules[m].analysis.records[record].kind;
    if kind == ImportKind::Dynamic && linked.dynamic_entries.binary_search(t).is_ok() {
        return None;
    }
    Some(*t)
}

/// Depth-first post-order from `start` over static edges, walking through modules left out
/// (side-effect-free barrels) to the live ones behind them; `visit` gets each live module once.
fn walk(modules: &[JsModule], linked: &Linked, start: ModuleId, seen: &mut [bool], mut visit: impl FnMut(ModuleId)) {
    if seen[start] {
        return;
    }
    seen[start] = true;
    let mut stack: Vec<(ModuleId, usize)> = vec![(start, 0)];
    while let Some((m, i)) = stack.pop() {
        if i < modules[m].resolved.len() {
            stack.push((m, i + 1));
            if let Some(t) = is_static_edge(modules, linked, m, i) {
                if !seen[t] {
                    seen[t] = true;
                    stack.push((t, 0));
                }
            }
        } else if linked.included[m] {
            visit(m);
        }
    }
}

/// The first live modules `m`'s static edges lead to (through left-out modules).
fn live_targets(modules: &[JsModule], linked: &Linked, m: ModuleId) -> Vec<ModuleId> {
    let mut out = Vec::new();
    let mut seen = FxHashSet::default();
    let mut stack: Vec<ModuleId> = (0..modules[m].resolved.len()).rev().filter_map(|r| is_static_edge(modules, linked, m, r)).collect();
    while let Some(t) = stack.pop() {
        if !seen.insert(t) {
            continue;
        }
        if linked.included[t] {
            out.push(t);
        } else {
            stack.extend((0..modules[t].resolved.len()).rev().filter_map(|r| is_static_edge(modules, linked, t, r)));
        }
    }
    out
}

fn stem(modules: &[JsModule], m: ModuleId) -> String {
    let s = modules[m].path.file_stem().and_then(|s| s.to_str()).unwrap_or("chunk");
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
}

/// Reach sets (which entry points reach each module), a global evaluation rank, and each
/// point's modules in evaluation order.
#[allow(clippy::type_complexity)]
fn reach(modules: &[JsModule], linked: &Linked, points: &[(ModuleId, ChunkKind, AssetKey)]) -> (Vec<Vec<u32>>, Vec<usize>, Vec<Vec<ModuleId>>) {
    let n = modules.len();
    let mut reached: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut rank: Vec<usize> = vec![usize::MAX; n];
    let mut next_rank = 0;
    let mut per_point: Vec<Vec<ModuleId>> = Vec::with_capacity(points.len());
    for (k, (m, _, _)) in points.iter().enumerate() {
        let mut seen = vec![false; n];
        let mut order = Vec::new();
        walk(modules, linked, *m, &mut seen, |x| {
            reached[x].push(k as u32);
            if rank[x] == usize::MAX {
                rank[x] = next_rank;
                next_rank += 1;
            }
            order.push(x);
        });
        per_point.push(order);
    }
    (reached, rank, per_point)
}

/// `sizes`: minified bytes per module (only needed with `min_chunk_size`); `pure`: modules
/// whose top level only declares things.
pub fn plan(options: &BundleOptions, modules: &[JsModule], linked: &Linked, entries: &[(ModuleId, AssetKey)], sizes: &[u64], pure: &[bool]) -> Plan {
    let n = modules.len();
    // Entry points: pages first, then dynamic entries that are not page entries.
    let mut points: Vec<(ModuleId, ChunkKind, AssetKey)> = entries.iter().enumerate().map(|(i, (m, key))| (*m, ChunkKind::Page(i), key.clone())).collect();
    if options.js.splitting {
        for &d in &linked.dynamic_entries {
            if !points.iter().any(|(m, _, _)| *m == d) {
                points.push((d, ChunkKind::Dynamic(d), modules[d].key()));
            }
        }
    }
    let (reached, rank, per_point) = reach(modules, linked, &points);

    let mut chunks: Vec<ChunkPlan> = points.iter().map(|(m, kind, key)| ChunkPlan::empty(key.clone(), kind.clone(), Some(*m))).collect();
    let mut chunk_of: Vec<Option<usize>> = vec![None; n];
    if !options.js.splitting {
        for (c, order) in per_point.iter().enumerate() {
            chunks[c].modules = order.clone();
        }
        finish(modules, &mut chunks, &rank);
        return Plan { chunks, entry_order: per_point, chunk_of };
    }

    let is_point: FxHashSet<ModuleId> = points.iter().map(|(m, _, _)| *m).collect();
    let mut by_set: FxHashMap<Vec<u32>, usize> = FxHashMap::default();
    let mut manual: FxHashMap<&str, usize> = FxHashMap::default();
    let mut live: Vec<ModuleId> = (0..n).filter(|&m| linked.included[m] && rank[m] != usize::MAX).collect();
    live.sort_by_key(|&m| rank[m]);
    let mut used_keys: FxHashSet<AssetKey> = chunks.iter().map(|c| c.key.clone()).collect();
    let mut unique_key = |base: String| {
        let mut key = AssetKey::File(format!("_{base}.js"));
        let mut i = 2;
        while !used_keys.insert(key.clone()) {
            key = AssetKey::File(format!("_{base}{i}.js"));
            i += 1;
        }
        key
    };
    for &m in &live {
        let group = (!is_point.contains(&m))
            .then(|| options.js.manual_chunks.iter().find(|(_, set)| set.is_match(&modules[m].rel) || set.is_match(&modules[m].path)))
            .flatten();
        let c = if let Some((name, _)) = group {
            *manual.entry(name.as_str()).or_insert_with(|| {
                chunks.push(ChunkPlan::empty(unique_key(name.clone()), ChunkKind::Manual, None));
                chunks.len() - 1
            })
        } else if reached[m].len() == 1 {
            reached[m][0] as usize
        } else {
            *by_set.entry(reached[m].clone()).or_insert_with(|| {
                chunks.push(ChunkPlan::empty(unique_key(stem(modules, m)), ChunkKind::Shared, None));
                chunks.len() - 1
            })
        };
        chunks[c].modules.push(m);
        chunk_of[m] = Some(c);
    }

    if options.js.min_chunk_size > 0 {
        merge_small(options.js.min_chunk_size, &mut chunks, &mut chunk_of, &reached, sizes, pure);
        chunks = drop_merged(chunks, &mut chunk_of);
    }
    for c in &mut chunks {
        c.modules.sort_by_key(|&m| rank[m]);
    }
    static_deps(modules, linked, &mut chunks, &chunk_of, &rank);
    finish(modules, &mut chunks, &rank);
    Plan { chunks, entry_order: per_point, chunk_of }
}

/// The shared chunks merged away dropped (entry chunks stay, even empty: they are loaded),
/// `chunk_of` renumbered.
fn drop_merged(chunks: Vec<ChunkPlan>, chunk_of: &mut [Option<usize>]) -> Vec<ChunkPlan> {
    let mut new_index = vec![usize::MAX; chunks.len()];
    let mut kept = Vec::new();
    for (i, c) in chunks.into_iter().enumerate() {
        if !c.modules.is_empty() || matches!(c.kind, ChunkKind::Page(_) | ChunkKind::Dynamic(_)) {
            new_index[i] = kept.len();
            kept.push(c);
        }
    }
    for c in chunk_of.iter_mut().flatten() {
        *c = new_index[*c];
    }
    kept
}

/// Static dependencies between chunks, in the order their modules are first needed.
fn static_deps(modules: &[JsModule], linked: &Linked, chunks: &mut [ChunkPlan], chunk_of: &[Option<usize>], rank: &[usize]) {
    for (c, chunk) in chunks.iter_mut().enumerate() {
        let mut deps: Vec<(usize, usize)> = Vec::new();
        for &m in &chunk.modules {
            for t in live_targets(modules, linked, m) {
                if let Some(d) = chunk_of[t] {
                    if d != c && !deps.iter().any(|(x, _)| *x == d) {
                        deps.push((d, rank[t]));
                    }
                }
            }
        }
        chunk.deps = deps.into_iter().map(|(d, _)| d).collect();
    }
}

/// Each chunk's stylesheets, in module order.
fn finish(modules: &[JsModule], chunks: &mut [ChunkPlan], rank: &[usize]) {
    for c in chunks.iter_mut() {
        let mut css: Vec<String> = Vec::new();
        for &m in &c.modules {
            if let Some(rel) = &modules[m].css {
                c.css_rank = c.css_rank.min(rank[m]);
                if !css.contains(rel) {
                    css.push(rel.clone());
                }
            }
        }
        c.css = css;
    }
}

/// Merges each shared chunk smaller than `min` into another chunk when nothing changes for
/// any module with side effects: the merged chunk is loaded by the union of both entry sets,
/// so a chunk whose set grows must hold only pure modules.
fn merge_small(min: u64, chunks: &mut [ChunkPlan], chunk_of: &mut [Option<usize>], reached: &[Vec<u32>], sizes: &[u64], pure: &[bool]) {
    let set_of = |c: &ChunkPlan| -> Vec<u32> {
        let mut s: Vec<u32> = c.modules.iter().flat_map(|&m| reached[m].iter().copied()).collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    loop {
        let mut merged = false;
        for a in 0..chunks.len() {
            if chunks[a].kind != ChunkKind::Shared || chunks[a].modules.is_empty() {
                continue;
            }
            let size: u64 = chunks[a].modules.iter().map(|&m| sizes[m]).sum();
            if size >= min {
                continue;
            }
            let sa = set_of(&chunks[a]);
            let a_pure = chunks[a].modules.iter().all(|&m| pure[m]);
            // The best target: the one whose entry set adds the fewest entries.
            let mut best: Option<(usize, usize)> = None;
            for (b, chunk_b) in chunks.iter().enumerate() {
                if b == a || chunk_b.modules.is_empty() || chunk_b.kind == ChunkKind::Manual {
                    continue;
                }
                let sb = set_of(chunk_b);
                let a_grows = sb.iter().any(|x| !sa.contains(x));
                let b_grows = sa.iter().any(|x| !sb.contains(x));
                let b_pure = chunk_b.modules.iter().all(|&m| pure[m]);
                if (a_grows && !a_pure) || (b_grows && !b_pure) {
                    continue;
                }
                let added = sb.iter().filter(|x| !sa.contains(x)).count() + sa.iter().filter(|x| !sb.contains(x)).count();
                if best.is_none_or(|(_, n)| added < n) {
                    best = Some((b, added));
                }
            }
            if let Some((b, _)) = best {
                // The merged chunk keeps the name of the one loaded by more entries.
                let sb_len = set_of(&chunks[b]).len();
                if sa.len() > sb_len && chunks[b].kind == ChunkKind::Shared {
                    chunks[b].key = std::mem::replace(&mut chunks[a].key, AssetKey::File(String::new()));
                }
                let moved = std::mem::take(&mut chunks[a].modules);
                for &m in &moved {
                    chunk_of[m] = Some(b);
                }
                chunks[b].modules.extend(moved);
                merged = true;
            }
        }
        if !merged {
            break;
        }
    }
}
