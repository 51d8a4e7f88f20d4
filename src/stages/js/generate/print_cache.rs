//! Printed modules in the build cache: a rebuild prints again only the modules whose
//! minified tree or whose names changed.
//!
//! What printing a module reads is small and known: its minified tree (named by its
//! minification's cache key, which covers the module's text), the final names of its own
//! top-level bindings and of the placeholders it uses, the chunk's URLs for the asset,
//! worker and lazy-chunk markers in its strings, the helpers' names, the interop wrappers
//! placed before it, whether it is CommonJS, the target and the kind of script. The key is
//! made of exactly those; the entry holds the code and its source positions, both relative
//! to the module, so it joins any chunk. A module whose print found a problem (kiln's bug,
//! reported) is never stored. `KILN_CHECK_CACHE=1` prints every cached module again and
//! stops the build if the two differ (the tests run with it).

use swc_core::atoms::Atom;

use crate::stages::js::graph::{ModuleId, ModuleKind};
use super::prepare::Prepared;
use super::render::{ChunkRefs, ChunkRender, Names, Piece, Synthetic};
use super::symbols::{ph, Marker};

/// Length-delimited fields into one hash.
struct Fields(blake3::Hasher);

impl Fields {
    fn add(&mut self, field: &[u8]) -> &mut Self {
        self.0.update(&(field.len() as u64).to_le_bytes());
        self.0.update(field);
        self
    }
    fn name(&mut self, name: Option<&Atom>) -> &mut Self {
        match name {
            Some(n) => self.add(b"+").add(n.as_bytes()),
            None => self.add(b"-"),
        }
    }
}

/// The key of printing module `m` of this chunk, if its minification had one.
pub(super) fn key(r: &ChunkRender, m: ModuleId, p: &Prepared, refs: &ChunkRefs, synthetic: &Synthetic, names: &Names) -> Option<[u8; 32]> {
    let minified = p.minify_key?;
    let mut f = Fields(blake3::Hasher::new());
    f.add(b"kiln printed module v1").add(&minified);
    f.add(r.ctx.options.js.target.as_bytes()).add(&[r.ctx.classic as u8, r.minify as u8, (r.modules[m].kind == ModuleKind::Cjs) as u8]);
    for h in &names.helpers {
        f.name(Some(h));
    }
    let own = names.own.get(&m);
    f.add(&(p.top_decls.len() as u64).to_le_bytes());
    for (id, _) in &p.top_decls {
        f.name(own.and_then(|o| o.get(id)));
    }
    let mut placeholders: Vec<&Atom> = p.placeholder_refs.keys().collect();
    placeholders.sort_unstable();
    f.add(&(placeholders.len() as u64).to_le_bytes());
    for k in placeholders {
        f.name(Some(k)).name(names.names.get(k));
    }
    for marker in p.assets.iter().map(|&t| Marker::Asset(t)).chain(p.entries.iter().map(|&w| Marker::Entry(w))) {
        let text = marker.text();
        f.add(text.as_bytes()).add(refs.asset_map.get(&text).map_or(&b"-"[..], |u| u.as_bytes()));
    }
    for &t in &p.dynamic {
        let text = Marker::Dynamic(t).text();
        f.add(text.as_bytes());
        match refs.dynamic.get(&text) {
            Some(load) => {
                f.add(load.url.as_bytes()).add(load.css.join("\n").as_bytes()).add(load.js.join("\n").as_bytes());
            }
            None => {
                f.add(b"-");
            }
        }
    }
    for &t in synthetic.interop_at.get(&m).into_iter().flatten() {
        f.name(names.get(&ph::interop(t)).as_ref()).name(names.get(&ph::require(t)).as_ref());
    }
    f.add(b"require").name(names.get(&ph::require(m)).as_ref());
    Some(*f.0.finalize().as_bytes())
}

/// Whether `KILN_CHECK_CACHE` asks to print cached modules again and compare.
pub(super) fn checking() -> bool {
    static CHECK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CHECK.get_or_init(|| std::env::var_os("KILN_CHECK_CACHE").is_some_and(|v| v != "0"))
}

pub(super) fn encode(piece: &Piece) -> Vec<u8> {
    let (_, code, segs, _) = piece;
    let mut out = Vec::with_capacity(8 + code.len() + segs.len() * 16);
    out.extend_from_slice(&(code.len() as u32).to_le_bytes());
    out.extend_from_slice(code.as_bytes());
    out.extend_from_slice(&(segs.len() as u32).to_le_bytes());
    for &(a, b, c, d) in segs {
        for v in [a, b, c, d] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

pub(super) fn decode(m: ModuleId, bytes: &[u8]) -> Option<Piece> {
    let mut at = 0;
    let u32_at = |at: &mut usize| -> Option<u32> {
        let v = u32::from_le_bytes(bytes.get(*at..*at + 4)?.try_into().ok()?);
        *at += 4;
        Some(v)
    };
    let len = u32_at(&mut at)? as usize;
    let code = std::str::from_utf8(bytes.get(at..at + len)?).ok()?.to_owned();
    at += len;
    let count = u32_at(&mut at)? as usize;
    let mut segs = Vec::with_capacity(count);
    for _ in 0..count {
        segs.push((u32_at(&mut at)?, u32_at(&mut at)?, u32_at(&mut at)?, u32_at(&mut at)?));
    }
    (at == bytes.len()).then_some((m, code, segs, None))
}
