//! Joining: a rendered chunk with its imports of other chunks and its exports; the external
//! imports and module list of a chunk.

use std::fmt::Write as _;

use crate::graph::{AssetKey, AssetKind, RefUse};
use crate::stages::js::generate::runtime::{is_ident_name, js_string};
use crate::stages::js::generate::types::{ChunkCode, Externals, Names, Rendered};
use crate::stages::js::scan::graph::{JsModule, ModuleId, Resolved};

/// The finished code of a chunk: externals, imports of other chunks (`imports`: the chunk key
/// and (exported name, local name) pairs, in order), the body, then its exports (the entry's,
/// and `shared`: (local, exported) for what other chunks import from it).
pub fn assemble(r: Rendered, imports: &[(AssetKey, Vec<(String, String)>)], shared: &[(String, String)], minify: bool, classic: bool) -> ChunkCode {
    let Rendered { code: mut chunk, externals: mut head, entry_exports, legal, .. } = r;
    for (key, names) in imports {
        let spec = chunk.refs.placeholder(key, AssetKind::Chunk, RefUse::Import, false);
        if names.is_empty() {
            let _ = writeln!(head, "import \"{spec}\";");
            continue;
        }
        let list: Vec<String> = names.iter().map(|(e, l)| if e == l { l.clone() } else { format!("{e} as {l}") }).collect();
        if minify {
            let _ = writeln!(head, "import{{{}}}from\"{spec}\";", list.join(","));
        } else {
            let _ = writeln!(head, "import {{ {} }} from \"{spec}\";", list.join(", "));
        }
    }
    let shift = head.matches('\n').count() as u32;
    for s in &mut chunk.segments {
        s.0 += shift;
    }
    let mut code = head;
    code.push_str(&chunk.code);
    let specs: Vec<String> =
        entry_exports.iter().chain(shared).map(|(local, exported)| if local == exported { local.clone() } else { format!("{local} as {exported}") }).collect();
    if !specs.is_empty() {
        if minify {
            let _ = writeln!(code, "export{{{}}};", specs.join(","));
        } else {
            let _ = writeln!(code, "export {{ {} }};", specs.join(", "));
        }
    }
    if classic {
        // A classic script: its own scope, so its top-level names stay out of the worker's
        // global scope.
        code = format!("(() => {{\n{code}}})();\n");
        for s in &mut chunk.segments {
            s.0 += 1;
        }
    }
    // Legal comments last, as esbuild's `eof` keeps them (no mapping moves).
    for comment in legal {
        code.push_str(&comment);
        code.push('\n');
    }
    // Modules are joined in output order, so the segments usually are sorted already (a
    // check is cheaper than sorting millions of them; the result is the same either way).
    if !chunk.segments.is_sorted() {
        chunk.segments.sort_unstable();
    }
    chunk.code = code;
    chunk
}

/// What the report says of a module in a chunk.
pub(super) fn module_info(modules: &[JsModule], m: ModuleId, text: &str) -> crate::graph::ModuleInfo {
    crate::graph::ModuleInfo {
        path: modules[m].rel.clone(),
        bytes: modules[m].file.as_ref().map_or(0, |f| f.src.len() as u64),
        bytes_in_output: text.len() as u64,
        imports: modules[m]
            .resolved
            .iter()
            .filter_map(|r| match r {
                Resolved::Module(t) => Some(modules[*t].rel.clone()),
                _ => None,
            })
            .fold(Vec::new(), |mut acc: Vec<String>, p| {
                if !acc.contains(&p) {
                    acc.push(p);
                }
                acc
            }),
    }
}

/// The `import` lines for externals, written by `assemble` above everything.
pub(super) fn external_imports(externals: &Externals, names: &Names) -> String {
    let mut ext_code = String::new();
    for (spec, list) in externals {
        let spec_text = js_string(spec);
        if list.is_empty() {
            let _ = writeln!(ext_code, "import {spec_text};");
        }
        for (imported, key) in list {
            let Some(local) = names.get(key) else { continue };
            match imported {
                None => {
                    let _ = writeln!(ext_code, "import * as {local} from {spec_text};");
                }
                Some(name) => {
                    let name_text = if is_ident_name(name) { name.to_string() } else { js_string(name) };
                    let _ = writeln!(ext_code, "import {{ {name_text} as {local} }} from {spec_text};");
                }
            }
        }
    }
    ext_code
}

/// The legal comments of a chunk's modules, in module order, once each.
pub(super) fn legal_comments(modules: &[JsModule], order: &[ModuleId]) -> Vec<String> {
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut out = Vec::new();
    for &m in order {
        for c in modules[m].comments.legal() {
            if seen.insert(c.clone()) {
                out.push(c);
            }
        }
    }
    out
}
