//! Pages link what their module scripts need at start: the CSS of the script's chunks (in
//! dependency order), `<link rel="modulepreload">` for the chunks it imports statically, and
//! with `hash_cascade = "importmap"` an `<script type="importmap">` mapping the stable names
//! chunks import each other by to their hashed URLs.

use std::collections::BTreeMap;

use lol_html::html_content::ContentType;
use lol_html::{element, rewrite_str, RewriteStrSettings};

use crate::config::HashCascade;
use crate::graph::{AssetKey, AssetKind, Graph, RefUse, Refs};
use crate::stages::js::BundleOptions;
use crate::urls::stable_name;

use crate::stages::js::types::ChunkLinks;

fn push_unique(list: &mut Vec<AssetKey>, item: &AssetKey) {
    if !list.contains(item) {
        list.push(item.clone());
    }
}

/// The tags for one page: what goes first in `<head>` (the import map) and last.
fn tags(options: &BundleOptions, refs: &mut Refs, entries: &[&ChunkLinks], by_key: &BTreeMap<&AssetKey, &ChunkLinks>) -> (String, String) {
    let (mut css, mut preload) = (Vec::new(), Vec::new());
    for e in entries {
        for k in &e.css_order {
            push_unique(&mut css, k);
        }
        for k in &e.preload {
            push_unique(&mut preload, k);
        }
    }
    let integrity = |refs: &mut Refs, key: &AssetKey, kind| {
        if options.loader.sri {
            format!(" integrity=\"{}\" crossorigin", refs.placeholder(key, kind, RefUse::Integrity, false))
        } else {
            String::new()
        }
    };
    let mut tail = String::new();
    for k in &css {
        let url = refs.placeholder(k, AssetKind::Css, RefUse::Url, false);
        let sri = integrity(refs, k, AssetKind::Css);
        tail.push_str(&format!("<link rel=\"stylesheet\" href=\"{url}\"{sri}>"));
    }
    for k in &preload {
        let url = refs.placeholder(k, AssetKind::Chunk, RefUse::Url, false);
        let sri = integrity(refs, k, AssetKind::Chunk);
        tail.push_str(&format!("<link rel=\"modulepreload\" href=\"{url}\"{sri}>"));
    }
    let mut head = String::new();
    if options.hash_cascade == HashCascade::ImportMap {
        // Every chunk the page may load, now or lazily, and the CSS lazy chunks fetch.
        let mut all: Vec<AssetKey> = Vec::new();
        let mut stack: Vec<AssetKey> = entries.iter().map(|e| e.key.clone()).collect();
        while let Some(k) = stack.pop() {
            if all.contains(&k) {
                continue;
            }
            all.push(k.clone());
            if let Some(c) = by_key.get(&k) {
                stack.extend(c.preload.iter().cloned());
                stack.extend(c.dynamic.iter().cloned());
            }
        }
        let mut map = BTreeMap::new();
        for k in &all {
            map.insert(stable_name(k), refs.placeholder(k, AssetKind::Chunk, RefUse::Url, false));
            if let Some(css) = by_key.get(k).and_then(|c| c.css_key.clone()) {
                map.insert(stable_name(&css), refs.placeholder(&css, AssetKind::Css, RefUse::Url, false));
            }
        }
        let json = serde_json::to_string(&serde_json::json!({ "imports": map })).expect("strings serialize");
        head = format!("<script type=\"importmap\">{json}</script>");
    }
    (head, tail)
}

pub fn link(options: &BundleOptions, graph: &mut Graph, chunks: &[ChunkLinks]) {
    let by_key: BTreeMap<&AssetKey, &ChunkLinks> = chunks.iter().map(|c| (&c.key, c)).collect();
    for page in graph.assets.iter_mut().filter(|a| a.kind == AssetKind::Html) {
        let entries: Vec<&ChunkLinks> = page
            .refs
            .0
            .iter()
            .filter(|r| r.kind == AssetKind::Chunk && r.use_ == RefUse::Url && !r.public)
            .filter_map(|r| by_key.get(&r.target).copied())
            .collect();
        if entries.is_empty() {
            continue;
        }
        let (head, tail) = tags(options, &mut page.refs, &entries, &by_key);
        if head.is_empty() && tail.is_empty() {
            continue;
        }
        let html = String::from_utf8_lossy(&page.content).into_owned();
        let mut placed = false;
        let with_head = rewrite_str(
            &html,
            RewriteStrSettings::new().append_element_content_handler(element!("head", |el| {
                if !placed {
                    el.prepend(&head, ContentType::Html);
                    el.append(&tail, ContentType::Html);
                    placed = true;
                }
                Ok(())
            })),
        );
        let out = match with_head {
            Ok(out) if placed => out,
            // No <head> element written: before the first module script.
            _ => {
                let mut done = false;
                rewrite_str(
                    &html,
                    RewriteStrSettings::new().append_element_content_handler(element!("script[type=module]", |el| {
                        if !done {
                            el.before(&format!("{head}{tail}"), ContentType::Html);
                            done = true;
                        }
                        Ok(())
                    })),
                )
                .unwrap_or(html)
            }
        };
        page.content = out.into_bytes();
    }
}
