//! Fingerprint: give every non-page file a name made from the hash of its final bytes.
//!
//! Names are assigned leaves first, so a file's bytes (and so its hash) include the final
//! names of what it refers to: a changed image changes the name of the stylesheet that points
//! at it, and of nothing else. Files in a reference cycle are hashed as one group (each
//! member's hash covers every member's content, with references inside the group written as
//! source paths), which is stable and needs no fixed point. Groups are processed in order;
//! the hashing inside large independent groups is cheap next to compression, so this stage
//! stays serial for a simple, thread-count-independent order.

mod names;
mod order;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::{Config, HashCascade, SourceMapMode};
use crate::diagnostics::{BuildError, Diagnostic, Diagnostics};
use crate::graph::{substitute_tracked, Asset, AssetKey, AssetKind, Graph, RefUse};
use crate::log::{stage_output, StageLog};
use crate::output::{Origin, OutputFile};
use crate::paths::project_relative;
use crate::sourcemap;
use crate::urls;
pub use names::base32;

/// What naming reads of the configuration.
#[derive(Debug, Clone)]
pub struct FingerprintOptions {
    /// The project root (source paths in maps and hashes are relative to it).
    pub root: PathBuf,
    pub out_dir: PathBuf,
    pub public_dir: Option<PathBuf>,
    pub base: String,
    pub file_names: crate::config::FileNames,
    pub hash_length: usize,
    pub hash_cascade: HashCascade,
    pub sourcemap: SourceMapMode,
    /// Offer hashed scripts, stylesheets and WebAssembly as compression dictionaries.
    pub dictionaries: bool,
}

impl FingerprintOptions {
    pub fn new(config: &Config) -> Self {
        FingerprintOptions {
            root: config.root.clone(),
            out_dir: config.out_dir.clone(),
            public_dir: config.public_dir.clone(),
            base: config.base.clone(),
            file_names: config.file_names.clone(),
            hash_length: config.hash_length,
            hash_cascade: config.hash_cascade,
            sourcemap: config.js.sourcemap,
            dictionaries: config.delta.enabled,
        }
    }

    fn rel(&self, path: &Path) -> String {
        project_relative(&self.root, path)
    }
}

/// The fingerprint stage: the graph becomes the output files, each at its final path.
pub struct FingerprintStage<'a> {
    options: &'a FingerprintOptions,
}

pub struct FingerprintOutput {
    pub files: Vec<OutputFile>,
    pub log: StageLog,
}

stage_output!(FingerprintOutput);

impl<'a> FingerprintStage<'a> {
    pub fn new(options: &'a FingerprintOptions) -> Self {
        FingerprintStage { options }
    }

    pub fn run(self, graph: Graph) -> Result<FingerprintOutput, BuildError> {
        let mut diags = Diagnostics::default();
        let public = read_public(self.options, &graph, &mut diags);
        let mut namer = Namer::new(self.options, &graph, &public, diags);
        for group in order::groups(&graph) {
            namer.name_group(&group);
        }
        namer.record_references();
        let Namer { done, maps, mut diags, .. } = namer;
        let mut files: Vec<OutputFile> = done.into_iter().flatten().chain(public).chain(maps).collect();
        files.sort_by(|a, b| a.path.cmp(&b.path).then(a.src.cmp(&b.src)));
        check_collisions(&mut files, &mut diags);
        if diags.has_errors() {
            return Err(diags.into());
        }
        Ok(FingerprintOutput { files, log: StageLog::default() })
    }
}

/// The public folder's files, copied unhashed to the top of the output.
fn read_public(options: &FingerprintOptions, graph: &Graph, diags: &mut Diagnostics) -> Vec<OutputFile> {
    let public_dir_rel = options.public_dir.as_ref().map(|p| options.rel(p)).unwrap_or_default();
    graph
        .public
        .par_iter()
        .map(|p| match std::fs::read(&p.abs) {
            Ok(bytes) => Ok(OutputFile::new(p.rel.clone(), Some(format!("{public_dir_rel}/{}", p.rel)), Origin::Public, false, bytes)),
            Err(e) => Err(Diagnostic::error(format!("cannot read: {e}")).in_file(options.rel(&p.abs)).of_kind(crate::diagnostics::Kind::Io)),
        })
        .collect::<Vec<_>>()
        .into_iter()
        .filter_map(|r| r.map_err(|d| diags.push(d)).ok())
        .collect()
}

/// The source an asset's output name is made from (before its hash is known, also where it
/// will land, for relative URLs).
fn naming_src(a: &Asset) -> String {
    match (a.kind, &a.src) {
        (AssetKind::Chunk, key) => chunk_naming_src(key),
        // A chunk's joined CSS is named after the chunk.
        (_, AssetKey::ChunkCss(chunk)) => format!("{}.css", chunk_naming_src(chunk).trim_end_matches(".js")),
        // An image variant is named by its `as`, beside the image.
        (_, AssetKey::ImageVariant { image, name }) => match image.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{name}"),
            None => name.clone(),
        },
        (_, key) => key.to_string(),
    }
}

/// A member of a group on its way to its name: its bytes with every reference outside the
/// group substituted (those inside written as `\0src\0` markers, only for hashing), how the
/// substitution moved its text, and its source map's mappings and hash.
struct Member {
    index: usize,
    bytes: Vec<u8>,
    map: Option<(String, Vec<u8>)>,
}

/// Names the groups in order, leaves first; holds what is named so far.
struct Namer<'a> {
    options: &'a FingerprintOptions,
    graph: &'a Graph,
    index: BTreeMap<&'a AssetKey, usize>,
    public_by_rel: BTreeMap<&'a str, &'a OutputFile>,
    /// Where each asset will land before its hash is known (for relative URLs).
    planned: Vec<String>,
    done: Vec<Option<OutputFile>>,
    maps: Vec<OutputFile>,
    diags: Diagnostics,
}

impl<'a> Namer<'a> {
    fn new(options: &'a FingerprintOptions, graph: &'a Graph, public: &'a [OutputFile], diags: Diagnostics) -> Self {
        let planned = graph
            .assets
            .iter()
            .map(|a| match (&a.fixed_path, a.kind) {
                (Some(p), _) => p.clone(),
                (None, AssetKind::Html) => a.src.to_string(),
                (None, _) => options.file_names.fill(&naming_src(a), ""),
            })
            .collect();
        Namer {
            options,
            graph,
            index: graph.index(),
            public_by_rel: public.iter().map(|p| (p.path.as_str(), p)).collect(),
            planned,
            done: vec![None; graph.assets.len()],
            maps: Vec::new(),
            diags,
        }
    }

    fn hash_name(&self, bytes: &[u8]) -> String {
        let mut name = base32(blake3::hash(bytes).as_bytes());
        name.truncate(self.options.hash_length);
        name
    }

    fn name_group(&mut self, group: &[usize]) {
        let members: Vec<Member> = group.iter().map(|&i| self.substitute(i)).collect();
        let graph = self.graph;
        let first = &graph.assets[group[0]];
        let cyclic = group.len() > 1 || first.refs.0.iter().any(|r| !r.public && r.target == first.src);
        let group_hash = cyclic.then(|| {
            let mut h = blake3::Hasher::new();
            for m in &members {
                h.update(graph.assets[m.index].src.to_string().as_bytes());
                h.update(&(m.bytes.len() as u64).to_le_bytes());
                h.update(&m.bytes);
            }
            h.finalize()
        });
        // Names first (a member's name may be needed by another member), then final bytes.
        let names: Vec<(String, String)> = members.iter().map(|m| (graph.assets[m.index].src.to_string(), self.path_of(m, group_hash.as_ref()))).collect();
        let group_names: BTreeMap<&str, &str> = names.iter().map(|(s, p)| (s.as_str(), p.as_str())).collect();
        for (m, (_, path)) in members.into_iter().zip(&names) {
            let bytes = if group_hash.is_some() {
                resolve_group_refs(
                    &m.bytes,
                    &group_names,
                    |to, import| {
                        if import {
                            urls::import_specifier(path, to)
                        } else {
                            urls::url(&self.options.base, path, to)
                        }
                    },
                )
            } else {
                m.bytes
            };
            self.finish(m.index, bytes, path, m.map);
        }
    }

    /// Asset `i`'s bytes with every reference it can resolve now substituted.
    fn substitute(&mut self, i: usize) -> Member {
        let asset = &self.graph.assets[i];
        let options = self.options;
        let (planned, done, index, public_by_rel, diags) = (&self.planned, &self.done, &self.index, &self.public_by_rel, &mut self.diags);
        let (bytes, moved) = substitute_tracked(&asset.content, |k| {
            let r = &asset.refs.0[k];
            if r.public {
                let Some(p) = r.target.as_file().and_then(|t| public_by_rel.get(t)) else { return Vec::new() };
                return match r.use_ {
                    RefUse::Integrity => p.integrity().as_bytes().to_vec(),
                    u if u.is_module_specifier() => urls::import_specifier(&planned[i], &p.path).into_bytes(),
                    _ => urls::url(&options.base, &planned[i], &p.path).into_bytes(),
                };
            }
            if r.use_.is_module_specifier() && options.hash_cascade == HashCascade::ImportMap {
                return urls::stable_name(&r.target).into_bytes();
            }
            let j = index[&r.target];
            match (&done[j], r.use_) {
                (Some(t), RefUse::Url) => urls::url(&options.base, &planned[i], &t.path).into_bytes(),
                (Some(t), RefUse::Integrity) => t.integrity().as_bytes().to_vec(),
                (Some(t), _) => urls::import_specifier(&planned[i], &t.path).into_bytes(),
                (None, RefUse::Url) => format!("\0{}\0", r.target).into_bytes(),
                (None, RefUse::Import | RefUse::DynamicImport | RefUse::Preload) => format!("\0>{}\0", r.target).into_bytes(),
                (None, RefUse::Integrity) => {
                    diags.push(
                        Diagnostic::error(format!("{} needs the integrity hash of {}, which refers back to it", asset.src, r.target))
                            .in_file(asset.src.to_string()),
                    );
                    Vec::new()
                }
            }
        });
        // A bundle's name also covers its source map, so a changed map never hides behind an
        // unchanged name.
        let map = asset.chunk.as_ref().and_then(|c| c.map.as_ref()).map(|m| {
            // Copied only when text before a mapping moved.
            let segments = if moved.is_empty() {
                std::borrow::Cow::Borrowed(&m.segments[..])
            } else {
                let mut s = m.segments.clone();
                sourcemap::shift(&mut s, &moved);
                std::borrow::Cow::Owned(s)
            };
            let mappings = sourcemap::encode(&segments);
            // Each source (its root-relative path, so the name does not depend on where the
            // project sits, and its text) hashed on its own, on every core, then the list of
            // those hashes and the mappings: a big bundle's sources are tens of MB, which
            // copied into one stream first took 21 ms on one core.
            let per_source: Vec<[u8; 32]> = m
                .sources
                .par_iter()
                .map(|(path, text)| {
                    let rel = options.rel(path);
                    let mut h = blake3::Hasher::new();
                    h.update(&(rel.len() as u64).to_le_bytes());
                    h.update(rel.as_bytes());
                    h.update(text.as_bytes());
                    *h.finalize().as_bytes()
                })
                .collect();
            let mut h = blake3::Hasher::new();
            for source in &per_source {
                h.update(source);
            }
            let hash = h.update_rayon(mappings.as_bytes()).finalize();
            (mappings, hash.as_bytes().to_vec())
        });
        Member { index: i, bytes, map }
    }

    /// The output path of a member: fixed, the page's own, or named by its hash (of its bytes
    /// and map, or of its group).
    fn path_of(&self, m: &Member, group_hash: Option<&blake3::Hash>) -> String {
        let asset = &self.graph.assets[m.index];
        if let Some(p) = &asset.fixed_path {
            return p.clone();
        }
        if asset.kind == AssetKind::Html {
            return asset.src.to_string();
        }
        let hash = match (group_hash, &m.map) {
            (None, Some((_, map_hash))) => {
                let mut all = m.bytes.clone();
                all.extend_from_slice(map_hash);
                self.hash_name(&all)
            }
            (None, None) => self.hash_name(&m.bytes),
            (Some(gh), _) => {
                let mut h = blake3::Hasher::new();
                h.update(gh.as_bytes());
                h.update(asset.src.to_string().as_bytes());
                let mut name = base32(h.finalize().as_bytes());
                name.truncate(self.options.hash_length);
                name
            }
        };
        self.options.file_names.fill(&naming_src(asset), &hash)
    }

    /// Records asset `i`'s output (and its source map's) at `path`. The map's document and
    /// the bundle's hashes are made side by side (for a big bundle both take a while).
    fn finish(&mut self, i: usize, mut bytes: Vec<u8>, path: &str, map: Option<(String, Vec<u8>)>) {
        let asset = &self.graph.assets[i];
        let mut map_file = None;
        if let (Some((mappings, _)), Some(m)) = (map, asset.chunk.as_ref().and_then(|c| c.map.as_ref())) {
            let file_name = path.rsplit('/').next().unwrap_or(path);
            if self.options.sourcemap == SourceMapMode::External {
                if !bytes.ends_with(b"\n") {
                    bytes.push(b'\n');
                }
                bytes.extend_from_slice(format!("//# sourceMappingURL={file_name}.map\n").as_bytes());
            }
            map_file = Some((file_name, mappings, m));
        }
        let hashed = asset.kind != AssetKind::Html && asset.fixed_path.is_none();
        let options = self.options;
        let (map_file, mut out) = rayon::join(
            || {
                map_file.map(|(file_name, mappings, m)| {
                    let out_dir_of_map = options.out_dir.join(crate::paths::parent(path));
                    let sources: Vec<String> = m.sources.iter().map(|(p, _)| relative_url(&out_dir_of_map, p)).collect();
                    let contents: Vec<Option<&str>> = m.sources.iter().map(|(_, t)| Some(t.as_str())).collect();
                    let doc = sourcemap::document(file_name, &sources, &contents, &mappings);
                    OutputFile::new(format!("{path}.map"), Some(format!("{}.map", asset.src)), Origin::SourceMap, true, doc)
                })
            },
            || OutputFile::new(path.to_owned(), Some(asset.src.to_string()), Origin::Asset(asset.kind), hashed, bytes),
        );
        self.maps.extend(map_file);
        out.is_entry = asset.is_entry;
        out.modules = asset.chunk.as_ref().map(|c| c.modules.clone()).unwrap_or_default();
        if hashed && options.dictionaries {
            out.dictionary = crate::output::DictionaryOffer::for_file(path, hash_in(path, &self.planned[i]), Some(asset.kind));
        }
        self.done[i] = Some(out);
    }

    /// What each output refers to, for the manifest.
    fn record_references(&mut self) {
        for (i, asset) in self.graph.assets.iter().enumerate() {
            let mut imports: Vec<(String, Option<AssetKind>)> = asset
                .refs
                .0
                .iter()
                .filter(|r| matches!(r.use_, RefUse::Url | RefUse::Import) && (r.target != asset.src || r.public))
                .filter_map(|r| {
                    if r.public {
                        r.target.as_file().and_then(|t| self.public_by_rel.get(t)).map(|p| (p.path.clone(), None))
                    } else {
                        self.done[self.index[&r.target]].as_ref().map(|t| (t.path.clone(), Some(r.kind)))
                    }
                })
                .collect();
            imports.sort();
            imports.dedup();
            let mut dynamic: Vec<String> = asset
                .refs
                .0
                .iter()
                .filter(|r| r.use_ == RefUse::DynamicImport && !r.public)
                .filter_map(|r| self.done[self.index[&r.target]].as_ref().map(|t| t.path.clone()))
                .collect();
            dynamic.sort();
            dynamic.dedup();
            if let Some(out) = self.done[i].as_mut() {
                out.imports = imports;
                out.dynamic_imports = dynamic;
            }
        }
    }
}

/// The hash in `path`, the output path of a file planned at `planned` (its path with an empty
/// hash): what is between their common start and common end.
fn hash_in<'p>(path: &'p str, planned: &str) -> &'p str {
    let start = path.bytes().zip(planned.bytes()).take_while(|(a, b)| a == b).count();
    let end = path.bytes().rev().zip(planned.bytes().rev()).take_while(|(a, b)| a == b).count().min(planned.len() - start);
    path.get(start..path.len().saturating_sub(end).max(start)).unwrap_or("")
}

/// The name a bundle gets its output name from: its source with a `.js` extension; an inline
/// module of `blog/index.html` is named after the page (`index.js`, `index-1.js`, …).
pub fn chunk_naming_src(key: &AssetKey) -> String {
    if let AssetKey::InlineModule { page, index } = key {
        let stem = page.rsplit_once('.').map_or(page.as_str(), |(s, _)| s);
        return if *index == 0 { format!("{stem}.js") } else { format!("{stem}-{index}.js") };
    }
    let src = key.source_file();
    match src.rsplit_once('.') {
        Some((stem, _)) if !stem.ends_with('/') => format!("{stem}.js"),
        _ => format!("{src}.js"),
    }
}

/// A `/`-separated relative path from the folder `from` to the file `to`.
fn relative_url(from: &Path, to: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to_parts: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to_parts).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); from.len() - common];
    parts.extend(to_parts[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    parts.join("/")
}

/// Replaces the `\0src\0` markers left for references inside a cycle group.
/// `\0>src\0` marks a module specifier.
fn resolve_group_refs(bytes: &[u8], names: &BTreeMap<&str, &str>, url: impl Fn(&str, bool) -> String) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some(start) = rest.iter().position(|&b| b == 0) {
        let Some(len) = rest[start + 1..].iter().position(|&b| b == 0) else { break };
        let src = String::from_utf8_lossy(&rest[start + 1..start + 1 + len]);
        let (src, import) = match src.strip_prefix('>') {
            Some(s) => (s, true),
            None => (src.as_ref(), false),
        };
        match names.get(src) {
            Some(path) => {
                out.extend_from_slice(&rest[..start]);
                out.extend_from_slice(url(path, import).as_bytes());
            }
            None => out.extend_from_slice(&rest[..start + 2 + len]),
        }
        rest = &rest[start + 2 + len..];
    }
    out.extend_from_slice(rest);
    out
}

/// Two sources with the same output path: identical bytes are one file; different bytes are an
/// error (a public file shadowing a page, or a pattern without enough of the path in it).
fn check_collisions(outputs: &mut Vec<OutputFile>, diags: &mut Diagnostics) {
    let mut i = 1;
    while i < outputs.len() {
        if outputs[i].path == outputs[i - 1].path {
            if outputs[i].bytes == outputs[i - 1].bytes {
                outputs.remove(i);
                continue;
            }
            diags.push(Diagnostic::error(format!(
                "{} and {} would both be written to {}",
                outputs[i - 1].src.as_deref().unwrap_or("?"),
                outputs[i].src.as_deref().unwrap_or("?"),
                outputs[i].path
            )));
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_hash_is_what_the_planned_path_lacks() {
        assert_eq!(super::hash_in("assets/main.abcd.js", "assets/main..js"), "abcd");
        assert_eq!(super::hash_in("a/b-xyz", "a/b-"), "xyz");
        assert_eq!(super::hash_in("x.aa.a", "x..a"), "aa");
    }
}
