//! The documentation's links: every relative link names a file that exists, and every
//! `#anchor` a heading of its target (GitHub's slugs). The commands in the docs are checked
//! against the flags by the binary's own tests (`src/cli/reference.rs`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::common::repo;

fn documents() -> Vec<PathBuf> {
    let mut out = vec![repo().join("README.md"), repo().join("CHANGELOG.md")];
    for entry in walkdir::WalkDir::new(repo().join("docs")).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "md") {
            out.push(entry.path().to_path_buf());
        }
    }
    out
}

/// GitHub's anchor of a heading: lower case, spaces to `-`, punctuation other than `-` and
/// `_` dropped; a repeated heading gets `-1`, `-2`….
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
        }
        if fence {
            continue;
        }
        let Some(heading) = line.strip_prefix('#').map(|h| h.trim_start_matches('#')) else { continue };
        if !heading.starts_with(' ') {
            continue;
        }
        let plain = heading.trim().replace('`', "");
        let slug: String = plain
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        let mut candidate = slug.clone();
        let mut n = 0;
        while !out.insert(candidate.clone()) {
            n += 1;
            candidate = format!("{slug}-{n}");
        }
    }
    out
}

/// The targets of the Markdown links `[text](target)` outside code, with their line numbers.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fence = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
        }
        if fence {
            continue;
        }
        // Inline code spans hold no links.
        let mut plain = String::new();
        for (k, part) in line.split('`').enumerate() {
            if k % 2 == 0 {
                plain.push_str(part);
            }
        }
        let mut rest = plain.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].split_whitespace().next().unwrap_or_default();
            out.push((i + 1, target.to_owned()));
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn every_link_and_anchor_in_the_docs_resolves() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let shown = doc.strip_prefix(repo()).unwrap().display().to_string();
        for (line, target) in links(&text) {
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (file, anchor) = target.split_once('#').map_or((target.as_str(), None), |(f, a)| (f, Some(a)));
            let path: PathBuf = if file.is_empty() { doc.clone() } else { doc.parent().unwrap().join(file) };
            if !path.exists() {
                problems.push(format!("{shown}:{line}: {target}: no such file"));
                continue;
            }
            if let Some(anchor) = anchor {
                let is_md = path.extension().is_some_and(|e| e == "md");
                if is_md && !anchors(&std::fs::read_to_string(&path).unwrap()).contains(anchor) {
                    problems.push(format!("{shown}:{line}: {target}: no heading has this anchor"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "broken links:\n{}", problems.join("\n"));
    assert!(checked >= 50, "only {checked} links found");
}

#[test]
fn anchors_are_githubs() {
    let a = anchors("# kiln\n## Quick start\n### `kiln.toml`: keys\n## Quick start\n```\n# not a heading\n```\n");
    assert_eq!(a.into_iter().collect::<Vec<_>>(), ["kiln", "kilntoml-keys", "quick-start", "quick-start-1"]);
}
