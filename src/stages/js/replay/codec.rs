//! The stored form of a JS stage's output: the traces of the modules it loaded, then its
//! chunks. The small parts (references, module lists, links, the traces) are JSON; the code,
//! the source maps' positions (variable-length deltas) and the sources' text are bytes. A
//! source whose text is the file a trace read is stored as that trace's number, and a
//! replay takes the text from the file it has just checked, so the entry holds no second copy
//! of the project's sources.

use std::path::PathBuf;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cache::stored::StoredRef;
use crate::cache::varint;
use crate::graph::{ChunkMap, ModuleInfo, Refs};
use crate::sourcemap::Segment;
use crate::stages::js::replay::stored::StoredLinks;
use crate::stages::js::replay::trace::ModuleTrace;
use crate::stages::js::types::Chunk;

const MAGIC: &[u8; 8] = b"kilnjs01";

/// A stored output with its head read: the traces to check, and where the bytes start.
#[derive(Deserialize)]
pub struct Stored {
    pub traces: Vec<ModuleTrace>,
    chunks: Vec<ChunkHead>,
    assets: Vec<crate::loader::Request>,
    #[serde(skip)]
    body: usize,
}

#[derive(Serialize)]
struct HeadRef<'a> {
    traces: &'a [ModuleTrace],
    chunks: &'a [ChunkHead],
    assets: &'a [crate::loader::Request],
}

#[derive(Serialize, Deserialize)]
struct ChunkHead {
    refs: Vec<StoredRef>,
    modules: Vec<ModuleInfo>,
    is_entry: bool,
    links: StoredLinks,
    fixed_path: Option<String>,
    /// Its `.LEGAL.txt` file's text (`js.legal_comments = "linked"`).
    #[serde(default)]
    legal: Option<String>,
    /// The map's sources: each path, and the trace whose file is its text (else the text
    /// follows the positions); none without a map.
    map: Option<Vec<(PathBuf, Option<usize>)>>,
}

impl Stored {
    /// The head of `payload` (the traces, the chunks' small parts); `None` if it is not one.
    pub fn read(payload: &[u8]) -> Option<Stored> {
        let mut at = MAGIC.len();
        if !payload.starts_with(MAGIC) {
            return None;
        }
        let len = usize::try_from(varint::get(payload, &mut at)?).ok()?;
        let mut head: Stored = serde_json::from_slice(payload.get(at..at.checked_add(len)?)?).ok()?;
        head.body = at + len;
        Some(head)
    }
}

pub fn encode(traces: &[ModuleTrace], chunks: &[Chunk], assets: &[crate::loader::Request]) -> Vec<u8> {
    // A source's text is a file a trace read when its blake3 is that trace's digest.
    let by_path: std::collections::HashMap<(&std::path::Path, &str), usize> =
        traces.iter().enumerate().filter_map(|(i, t)| Some(((t.path.as_path(), t.digest.as_deref()?), i))).collect();
    let heads: Vec<ChunkHead> = chunks
        .iter()
        .map(|c| ChunkHead {
            refs: c.refs.0.iter().map(StoredRef::from).collect(),
            modules: c.modules.clone(),
            is_entry: c.is_entry,
            links: StoredLinks::from(&c.links),
            fixed_path: c.fixed_path.clone(),
            legal: c.legal.clone(),
            map: c.map.as_ref().map(|m| {
                m.sources
                    .par_iter()
                    .map(|(path, text)| {
                        let digest = blake3::hash(text.as_bytes()).to_hex();
                        (path.clone(), by_path.get(&(path.as_path(), digest.as_str())).copied())
                    })
                    .collect()
            }),
        })
        .collect();
    let head = serde_json::to_vec(&HeadRef { traces, chunks: &heads, assets }).expect("the head serializes");
    let mut out = Vec::with_capacity(head.len() + chunks.iter().map(|c| c.code.len() * 3).sum::<usize>());
    out.extend_from_slice(MAGIC);
    varint::put(&mut out, head.len() as u64);
    out.extend_from_slice(&head);
    for (chunk, h) in chunks.iter().zip(&heads) {
        put_bytes(&mut out, chunk.code.as_bytes());
        if let (Some(map), Some(sources)) = (&chunk.map, &h.map) {
            put_segments(&mut out, &map.segments);
            for ((_, text), (_, from)) in map.sources.iter().zip(sources) {
                if from.is_none() {
                    put_bytes(&mut out, text.as_bytes());
                }
            }
        }
    }
    out
}

/// What a replay hands on: the chunks, and the assets they reach (source path, kind).
pub type Decoded = (Vec<Chunk>, Vec<crate::loader::Request>);

/// The chunks and assets of `payload` (whose head is `head`), the text of sources taken from
/// `files` (the bytes of each trace's file, as just checked).
pub fn decode(head: Stored, payload: &[u8], files: &[Option<Vec<u8>>]) -> Option<Decoded> {
    let mut at = head.body;
    let mut chunks = Vec::with_capacity(head.chunks.len());
    for h in head.chunks {
        let code = String::from_utf8(get_bytes(payload, &mut at)?.to_vec()).ok()?;
        let map = match h.map {
            None => None,
            Some(sources) => {
                let segments = get_segments(payload, &mut at)?;
                let mut texts = Vec::with_capacity(sources.len());
                for (path, from) in sources {
                    let text = match from {
                        Some(t) => String::from_utf8(files.get(t)?.clone()?).ok()?,
                        None => String::from_utf8(get_bytes(payload, &mut at)?.to_vec()).ok()?,
                    };
                    texts.push((path, text));
                }
                Some(ChunkMap { segments, sources: texts })
            }
        };
        chunks.push(Chunk {
            code,
            refs: Refs(h.refs.into_iter().map(Into::into).collect()),
            map,
            modules: h.modules,
            is_entry: h.is_entry,
            links: h.links.into(),
            fixed_path: h.fixed_path,
            legal: h.legal,
        });
    }
    (at == payload.len()).then_some((chunks, head.assets))
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    varint::put(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn get_bytes<'a>(bytes: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    let len = usize::try_from(varint::get(bytes, at)?).ok()?;
    let out = bytes.get(*at..at.checked_add(len)?)?;
    *at += len;
    Some(out)
}

/// Sorted segments as deltas from the one before (the column from the line's start).
fn put_segments(out: &mut Vec<u8>, segments: &[Segment]) {
    varint::put(out, segments.len() as u64);
    let mut prev = (0u32, 0u32, 0u32, 0u32, 0u32);
    for &s in segments {
        let col = if s.0 == prev.0 { i64::from(s.1) - i64::from(prev.1) } else { i64::from(s.1) };
        varint::put(out, varint::zigzag(i64::from(s.0) - i64::from(prev.0)));
        varint::put(out, varint::zigzag(col));
        varint::put(out, varint::zigzag(i64::from(s.2) - i64::from(prev.2)));
        varint::put(out, varint::zigzag(i64::from(s.3) - i64::from(prev.3)));
        varint::put(out, varint::zigzag(i64::from(s.4) - i64::from(prev.4)));
        prev = s;
    }
}

fn get_segments(bytes: &[u8], at: &mut usize) -> Option<Vec<Segment>> {
    let count = usize::try_from(varint::get(bytes, at)?).ok()?;
    let mut out = Vec::with_capacity(count.min(bytes.len()));
    let mut prev = (0i64, 0i64, 0i64, 0i64, 0i64);
    let next = |at: &mut usize| Some(varint::unzigzag(varint::get(bytes, at)?));
    for _ in 0..count {
        let line = prev.0 + next(at)?;
        let col = next(at)? + if line == prev.0 { prev.1 } else { 0 };
        let s = (line, col, prev.2 + next(at)?, prev.3 + next(at)?, prev.4 + next(at)?);
        let field = |v: i64| u32::try_from(v).ok();
        out.push((field(s.0)?, field(s.1)?, field(s.2)?, field(s.3)?, field(s.4)?));
        prev = s;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn segments_round_trip() {
        let segs = vec![(0, 0, 0, 0, 0), (0, 7, 3, 2, 9), (0, 9, 1, 40, 0), (2, 1, 1, 0, 3), (2, 4, 0, 5, 1), (u32::MAX, u32::MAX, 7, u32::MAX, 0)];
        let mut out = Vec::new();
        crate::stages::js::replay::codec::put_segments(&mut out, &segs);
        let mut at = 0;
        assert_eq!(crate::stages::js::replay::codec::get_segments(&out, &mut at), Some(segs));
        assert_eq!(at, out.len());
        let mut at = 0;
        assert_eq!(crate::stages::js::replay::codec::get_segments(&out[..out.len() - 1], &mut at), None, "a truncated entry is a miss");
    }
}
