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
pub mod urls;

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{BuildError, Diagnostic, Diagnostics};
use crate::config::{HashCascade, SourceMapMode};
use crate::graph::{substitute_tracked, AssetKind, Graph, RefUse};
use crate::output::{OutputFile, Origin};
use crate::sourcemap;
pub use names::{base32, output_path};

pub fn run(config: &Config, graph: Graph) -> Result<Vec<OutputFile>, BuildError> {
    let mut diags = Diagnostics::default();
    let public_dir_rel = config.public_dir.as_ref().map(|p| config.rel(p)).unwrap_or_default();
    let public: Vec<OutputFile> = graph
        .public
        .par_iter()
        .map(|p| match std::fs::read(&p.abs) {
            Ok(bytes) => Ok(OutputFile::new(p.rel.clone(), Some(format!("{public_dir_rel}/{}", p.rel)), Origin::Public, false, bytes)),
            Err(e) => Err(Diagnostic::error(format!("cannot read: {e}")).in_file(config.rel(&p.abs))),
        })
        .collect::<Vec<_>>()
        .into_iter()
        .filter_map(|r| r.map_err(|d| diags.push(d)).ok())
        .collect();
    let public_by_rel: BTreeMap<&str, &OutputFile> = public.iter().map(|p| (p.path.as_str(), p)).collect();

    let index = graph.index();
    let n = graph.assets.len();
    let mut done: Vec<Option<OutputFile>> = vec![None; n];
    // Where each asset will land before its hash is known (for relative URLs).
    let naming_src = |a: &crate::graph::Asset| -> String {
        match (a.kind, a.src.strip_suffix("?css")) {
            (AssetKind::Chunk, _) => chunk_naming_src(&a.src),
            // A chunk's joined CSS is named after the chunk.
            (AssetKind::Css, Some(chunk)) => format!("{}.css", chunk_naming_src(chunk).trim_end_matches(".js")),
            // An image variant (`img/hero.jpg?as=hero-480.webp`) is named by its `as`.
            _ => match a.src.split_once("?as=") {
                Some((base, name)) => match base.rsplit_once('/') {
                    Some((dir, _)) => format!("{dir}/{name}"),
                    None => name.to_owned(),
                },
                None => a.src.clone(),
            },
        }
    };
    let planned: Vec<String> = graph
        .assets
        .iter()
        .map(|a| match (&a.fixed_path, a.kind) {
            (Some(p), _) => p.clone(),
            (None, AssetKind::Html) => a.src.clone(),
            (None, _) => output_path(&config.file_names, &naming_src(a), ""),
        })
        .collect();
    let mut maps: Vec<OutputFile> = Vec::new();
    let hash_name = |bytes: &[u8]| -> String {
        let mut name = base32(blake3::hash(bytes).as_bytes());
        name.truncate(config.hash_length);
        name
    };

    for group in order::groups(&graph) {
        // Content with every reference outside the group substituted; references inside the
        // group written as their source paths (only for hashing).
        let mut partial: Vec<(usize, Vec<u8>)> = Vec::with_capacity(group.len());
        let mut shifts: Vec<Vec<(u32, u32, i64)>> = Vec::with_capacity(group.len());
        for &i in &group {
            let asset = &graph.assets[i];
            let (bytes, moved) = substitute_tracked(&asset.content, |k| {
                let r = &asset.refs.0[k];
                if r.public {
                    let Some(p) = public_by_rel.get(r.target.as_str()) else { return Vec::new() };
                    return match r.use_ {
                        RefUse::Integrity => p.integrity.clone().into_bytes(),
                        u if u.is_module_specifier() => urls::import_specifier(&planned[i], &p.path).into_bytes(),
                        _ => urls::url(&config.base, &planned[i], &p.path).into_bytes(),
                    };
                }
                if r.use_.is_module_specifier() && config.hash_cascade == HashCascade::ImportMap {
                    return urls::stable_name(&r.target).into_bytes();
                }
                let j = index[r.target.as_str()];
                match (&done[j], r.use_) {
                    (Some(t), RefUse::Url) => urls::url(&config.base, &planned[i], &t.path).into_bytes(),
                    (Some(t), RefUse::Integrity) => t.integrity.clone().into_bytes(),
                    (Some(t), _) => urls::import_specifier(&planned[i], &t.path).into_bytes(),
                    (None, RefUse::Url) => format!("\0{}\0", r.target).into_bytes(),
                    (None, RefUse::Import | RefUse::DynamicImport | RefUse::Preload) => format!("\0>{}\0", r.target).into_bytes(),
                    (None, RefUse::Integrity) => {
                        diags.push(
                            Diagnostic::error(format!(
                                "{} needs the integrity hash of {}, which refers back to it",
                                asset.src, r.target
                            ))
                            .in_file(&asset.src),
                        );
                        Vec::new()
                    }
                }
            });
            partial.push((i, bytes));
            shifts.push(moved);
        }
        let cyclic = group.len() > 1 || graph.assets[group[0]].refs.0.iter().any(|r| !r.public && r.target == graph.assets[group[0]].src);
        let group_hash = cyclic.then(|| {
            let mut h = blake3::Hasher::new();
            for (i, bytes) in &partial {
                h.update(graph.assets[*i].src.as_bytes());
                h.update(&(bytes.len() as u64).to_le_bytes());
                h.update(bytes);
            }
            h.finalize()
        });
        // Names first (a member's name may be needed by another member), then final bytes.
        let mut names = Vec::with_capacity(group.len());
        // A bundle's name also covers its source map, so a changed map never hides behind an
        // unchanged name.
        let mut mapped: Vec<Option<(String, Vec<u8>)>> = Vec::with_capacity(group.len());
        for ((i, _), moved) in partial.iter().zip(&shifts) {
            mapped.push(graph.assets[*i].map.as_ref().map(|m| {
                let mut segments = m.segments.clone();
                sourcemap::shift(&mut segments, moved);
                let mut h = blake3::Hasher::new();
                for (path, text) in &m.sources {
                    // Root-relative, so the name does not depend on where the project sits.
                    h.update(config.rel(path).as_bytes());
                    h.update(text.as_bytes());
                }
                let mappings = sourcemap::encode(&segments);
                h.update(mappings.as_bytes());
                (mappings, h.finalize().as_bytes().to_vec())
            }));
        }
        for ((i, bytes), map) in partial.iter().zip(&mapped) {
            let asset = &graph.assets[*i];
            let path = if let Some(p) = &asset.fixed_path {
                p.clone()
            } else if asset.kind == AssetKind::Html {
                asset.src.clone()
            } else {
                let hash = match &group_hash {
                    None if map.is_some() => {
                        let mut all = bytes.clone();
                        all.extend_from_slice(&map.as_ref().expect("checked").1);
                        hash_name(&all)
                    }
                    None => hash_name(bytes),
                    Some(gh) => {
                        let mut h = blake3::Hasher::new();
                        h.update(gh.as_bytes());
                        h.update(asset.src.as_bytes());
                        let mut name = base32(h.finalize().as_bytes());
                        name.truncate(config.hash_length);
                        name
                    }
                };
                output_path(&config.file_names, &naming_src(asset), &hash)
            };
            names.push((asset.src.clone(), path));
        }
        let group_names: BTreeMap<&str, &str> = names.iter().map(|(s, p)| (s.as_str(), p.as_str())).collect();
        for (((i, bytes), (_, path)), map) in partial.into_iter().zip(&names).zip(mapped) {
            let asset = &graph.assets[i];
            let mut bytes = if group_hash.is_some() {
                resolve_group_refs(&bytes, &group_names, |to, import| {
                    if import {
                        urls::import_specifier(path, to)
                    } else {
                        urls::url(&config.base, path, to)
                    }
                })
            } else {
                bytes
            };
            if let (Some((mappings, _)), Some(m)) = (map, &asset.map) {
                let map_path = format!("{path}.map");
                let file_name = path.rsplit('/').next().unwrap_or(path);
                let out_dir_of_map = config.out_dir.join(names::parent(path));
                let sources: Vec<String> = m.sources.iter().map(|(p, _)| relative_url(&out_dir_of_map, p)).collect();
                let contents: Vec<Option<String>> = m.sources.iter().map(|(_, t)| Some(t.clone())).collect();
                let doc = sourcemap::document(file_name, &sources, &contents, &mappings);
                if config.js.sourcemap == SourceMapMode::External {
                    if !bytes.ends_with(b"\n") {
                        bytes.push(b'\n');
                    }
                    bytes.extend_from_slice(format!("//# sourceMappingURL={file_name}.map\n").as_bytes());
                }
                maps.push(OutputFile::new(map_path, Some(format!("{}.map", asset.src)), Origin::SourceMap, true, doc.into_bytes()));
            }
            let hashed = asset.kind != AssetKind::Html && asset.fixed_path.is_none();
            let mut out = OutputFile::new(path.clone(), Some(asset.src.clone()), Origin::Asset(asset.kind), hashed, bytes);
            out.is_entry = asset.is_entry;
            out.modules = asset.modules.clone();
            done[i] = Some(out);
        }
    }
    // What each output refers to, for the manifest.
    for (i, asset) in graph.assets.iter().enumerate() {
        let mut imports: Vec<(String, Option<AssetKind>)> = asset
            .refs
            .0
            .iter()
            .filter(|r| matches!(r.use_, RefUse::Url | RefUse::Import) && (r.target != asset.src || r.public))
            .filter_map(|r| {
                if r.public {
                    public_by_rel.get(r.target.as_str()).map(|p| (p.path.clone(), None))
                } else {
                    done[index[r.target.as_str()]].as_ref().map(|t| (t.path.clone(), Some(r.kind)))
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
            .filter_map(|r| done[index[r.target.as_str()]].as_ref().map(|t| t.path.clone()))
            .collect();
        dynamic.sort();
        dynamic.dedup();
        if let Some(out) = done[i].as_mut() {
            out.imports = imports;
            out.dynamic_imports = dynamic;
        }
    }
    let mut outputs: Vec<OutputFile> = done.into_iter().flatten().chain(public).chain(maps).collect();
    outputs.sort_by(|a, b| a.path.cmp(&b.path).then(a.src.cmp(&b.src)));
    check_collisions(&mut outputs, &mut diags);
    if diags.has_errors() {
        return Err(diags.into());
    }
    Ok(outputs)
}

/// The name a bundle gets its output name from: its source with a `.js` extension; an inline
/// module of `blog/index.html` is named after the page (`index.js`, `index-1.js`, …).
pub fn chunk_naming_src(src: &str) -> String {
    if let Some((page, n)) = src.split_once("?module=") {
        let stem = page.rsplit_once('.').map_or(page, |(s, _)| s);
        return if n == "0" { format!("{stem}.js") } else { format!("{stem}-{n}.js") };
    }
    match src.rsplit_once('.') {
        Some((stem, _)) if !stem.ends_with('/') => format!("{stem}.js"),
        _ => format!("{src}.js"),
    }
}

/// A `/`-separated relative path from the folder `from` to the file `to`.
fn relative_url(from: &std::path::Path, to: &std::path::Path) -> String {
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
