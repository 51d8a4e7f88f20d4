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

use crate::cache::varint::{get as read_varint, put as varint, unzigzag, zigzag};

use crate::stages::js::generate::prepare::Prepared;
use crate::stages::js::generate::symbols::{ph, Marker};
use crate::stages::js::generate::types::{ChunkRefs, ChunkRender, Names, Piece, Synthetic};
use crate::stages::js::generate::unbound::Scope;
use crate::stages::js::scan::graph::{ModuleId, ModuleKind};

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
    f.add(b"kiln printed module v2").add(&minified);
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

/// A printed module: its code, then its source positions as variable-length deltas (most are
/// a few bytes; as four `u32`s each, three.js ×10's took 29 MB), then its scope (the names it
/// declares at its top level, the names it reads unbound with where).
pub(super) fn encode(piece: &Piece) -> Vec<u8> {
    let (_, code, segs, _, scope) = piece;
    let mut out = Vec::with_capacity(16 + code.len() + segs.len() * 5);
    varint(&mut out, code.len() as u64);
    out.extend_from_slice(code.as_bytes());
    varint(&mut out, segs.len() as u64);
    let mut prev = (0u32, 0u32, 0u32, 0u32);
    for &(line, col, src_line, src_col) in segs {
        let col_delta = if line == prev.0 { i64::from(col) - i64::from(prev.1) } else { i64::from(col) };
        varint(&mut out, zigzag(i64::from(line) - i64::from(prev.0)));
        varint(&mut out, zigzag(col_delta));
        varint(&mut out, zigzag(i64::from(src_line) - i64::from(prev.2)));
        varint(&mut out, zigzag(i64::from(src_col) - i64::from(prev.3)));
        prev = (line, col, src_line, src_col);
    }
    let name = |out: &mut Vec<u8>, n: &Atom| {
        varint(out, n.len() as u64);
        out.extend_from_slice(n.as_bytes());
    };
    varint(&mut out, scope.top.len() as u64);
    for n in &scope.top {
        name(&mut out, n);
    }
    varint(&mut out, scope.free.len() as u64);
    for (n, at) in &scope.free {
        name(&mut out, n);
        varint(&mut out, u64::from(*at));
    }
    out
}

pub(super) fn decode(m: ModuleId, bytes: &[u8]) -> Option<Piece> {
    let mut at = 0;
    let len = usize::try_from(read_varint(bytes, &mut at)?).ok()?;
    let code = std::str::from_utf8(bytes.get(at..at.checked_add(len)?)?).ok()?.to_owned();
    at += len;
    let count = usize::try_from(read_varint(bytes, &mut at)?).ok()?;
    let mut segs = Vec::with_capacity(count.min(bytes.len()));
    let mut prev = (0i64, 0i64, 0i64, 0i64);
    for _ in 0..count {
        let line = prev.0 + unzigzag(read_varint(bytes, &mut at)?);
        let col_delta = unzigzag(read_varint(bytes, &mut at)?);
        let col = if line == prev.0 { prev.1 + col_delta } else { col_delta };
        let src_line = prev.2 + unzigzag(read_varint(bytes, &mut at)?);
        let src_col = prev.3 + unzigzag(read_varint(bytes, &mut at)?);
        prev = (line, col, src_line, src_col);
        let field = |v: i64| u32::try_from(v).ok();
        segs.push((field(line)?, field(col)?, field(src_line)?, field(src_col)?));
    }
    let name = |at: &mut usize| -> Option<Atom> {
        let len = usize::try_from(read_varint(bytes, at)?).ok()?;
        let text = std::str::from_utf8(bytes.get(*at..at.checked_add(len)?)?).ok()?;
        *at += len;
        Some(Atom::from(text))
    };
    let mut scope = Scope::default();
    let count = usize::try_from(read_varint(bytes, &mut at)?).ok()?;
    for _ in 0..count.min(bytes.len()) {
        scope.top.push(name(&mut at)?);
    }
    let count = usize::try_from(read_varint(bytes, &mut at)?).ok()?;
    for _ in 0..count.min(bytes.len()) {
        let n = name(&mut at)?;
        scope.free.push((n, u32::try_from(read_varint(bytes, &mut at)?).ok()?));
    }
    (at == bytes.len()).then_some((m, code, segs, None, scope))
}

#[cfg(test)]
mod tests {
    #[test]
    fn printed_modules_round_trip() {
        let segs = vec![(0, 0, 0, 0), (0, 7, 3, 2), (0, 9, 1, 40), (2, 1, 1, 0), (2, 0, 0, 5), (u32::MAX, u32::MAX, u32::MAX, 0)];
        let scope = crate::stages::js::generate::print_cache::Scope { top: vec!["a".into()], free: vec![("b".into(), 7), ("é".into(), u32::MAX)] };
        let piece = (3, "let a=1;\né".to_owned(), segs, None, scope);
        let bytes = crate::stages::js::generate::print_cache::encode(&piece);
        assert_eq!(crate::stages::js::generate::print_cache::decode(3, &bytes), Some(piece));
        assert_eq!(crate::stages::js::generate::print_cache::decode(3, &bytes[..bytes.len() - 1]), None, "a truncated entry is a miss");
    }
}
