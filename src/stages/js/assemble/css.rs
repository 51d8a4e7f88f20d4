//! One stylesheet per chunk, made of the CSS files its modules import, in import order.

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::graph::{substitute, Asset, AssetKey, AssetKind, Graph, Refs};

use crate::stages::js::types::ChunkLinks;

/// Splits the leading `@charset`/`@import` statements off a printed stylesheet: `@import` must
/// come first in a file, so those of every part go to the top of the joined one.
fn leading_imports(css: &str) -> (Vec<&str>, &str) {
    let mut imports = Vec::new();
    let mut rest = css.trim_start();
    loop {
        let is_import = rest.starts_with("@import");
        if !(is_import || rest.starts_with("@charset")) {
            break;
        }
        let Some(end) = statement_end(rest) else { break };
        if is_import {
            imports.push(rest[..end].trim());
        }
        rest = rest[end..].trim_start();
    }
    (imports, rest)
}

/// The end (after `;`) of the statement at the start of `text`, skipping quoted strings and
/// parentheses.
fn statement_end(text: &str) -> Option<usize> {
    let (mut quote, mut depth) = (None, 0i32);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ';') if depth == 0 => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// Adds each chunk's joined stylesheet to the graph, and removes the stylesheets that were
/// loaded only to be joined (nothing else refers to them).
pub fn join(graph: &mut Graph, chunks: &[ChunkLinks]) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let index = graph.index();
    let mut joined = Vec::new();
    let mut parts_used: Vec<AssetKey> = Vec::new();
    for chunk in chunks {
        let Some(key) = &chunk.css_key else { continue };
        let mut refs = Refs::default();
        let (mut head, mut body) = (String::new(), String::new());
        let mut keep = Vec::new();
        for rel in &chunk.css {
            let part_key = AssetKey::file(rel.as_str());
            let Some(&i) = index.get(&part_key) else {
                diags.push(Diagnostic::error(format!("{rel}, imported by {}, was not loaded", chunk.key)));
                continue;
            };
            let part = &graph.assets[i];
            let text = substitute(&part.content, |k| {
                let r = &part.refs.0[k];
                refs.placeholder(&r.target, r.kind, r.use_, r.public).into_bytes()
            });
            let text = String::from_utf8_lossy(&text).into_owned();
            let (imports, rest) = leading_imports(&text);
            for import in imports {
                head.push_str(import);
                head.push('\n');
            }
            body.push_str(rest);
            if !body.ends_with('\n') {
                body.push('\n');
            }
            keep.extend(part.css_keep.iter().cloned());
            parts_used.push(part_key);
        }
        head.push_str(&body);
        joined.push(Asset {
            src: key.clone(),
            kind: AssetKind::Css,
            is_entry: false,
            content: head.into_bytes(),
            refs,
            chunk: None,
            css_keep: keep,
            fixed_path: None,
        });
    }
    graph.assets.extend(joined);
    // A part stays only when a page, stylesheet or other file refers to it.
    parts_used.sort();
    parts_used.dedup();
    let referenced: std::collections::HashSet<&AssetKey> =
        graph.assets.iter().flat_map(|a| a.refs.0.iter().filter(|r| !r.public && r.target != a.src).map(|r| &r.target)).collect();
    let drop: std::collections::HashSet<AssetKey> = parts_used.into_iter().filter(|p| !referenced.contains(p)).collect();
    graph.assets.retain(|a| !drop.contains(&a.src));
    diags
}

#[cfg(test)]
mod tests {
    use crate::stages::js::assemble::css::*;

    #[test]
    fn imports_move_to_the_top() {
        let (imports, rest) = leading_imports("@charset \"utf-8\";@import url(\"a;b.css\");@import 'x.css' screen;.a{b:c}");
        assert_eq!(imports, ["@import url(\"a;b.css\");", "@import 'x.css' screen;"]);
        assert_eq!(rest, ".a{b:c}");
    }
}
