//! The runtime a chunk may carry, written once: the CommonJS and interop helpers and the lazy
//! chunk loader; and how values are written as JS text.

use swc_core::atoms::Atom;

use crate::stages::js::generate::rewrite::Replacement;

/// Names of the runtime helpers, in the order they are emitted.
pub(super) const HELPERS: [&str; 4] = ["__commonJS", "__toESM", "__toCommonJS", "__load"];

pub(super) fn helper_code(name: &str, names: &[Atom; 4], minify: bool) -> String {
    let code = match name {
        "__commonJS" => format!("var {} = (cb, mod) => () => (mod || cb((mod = {{ exports: {{}} }}).exports, mod), mod.exports);", names[0]),
        "__toESM" => format!(
            "var {} = (m) => m && m.__esModule ? m : Object.create(m == null ? null : Object(m), {{ default: {{ value: m, enumerable: true }} }});",
            names[1]
        ),
        _ => format!("var {} = (ns) => Object.defineProperty(Object.create(ns), \"__esModule\", {{ value: true }});", names[2]),
    };
    if minify {
        compact(&code)
    } else {
        code
    }
}

/// Drops the spaces of the runtime snippets above (which hold no string with spaces).
pub(super) fn compact(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let chars: Vec<char> = code.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = out.chars().last().unwrap_or(' ');
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
            if word(prev) && word(next) {
                out.push(' ');
            }
            continue;
        }
        out.push(c);
    }
    out
}

pub(super) fn js_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

pub(super) fn expr_text(r: &Replacement) -> String {
    match r {
        Replacement::Ident(a) => a.to_string(),
        Replacement::Member(o, p) => format!("{o}[{}]", js_string(p)),
        Replacement::Str(s) => js_string(s),
        Replacement::Undefined | Replacement::Expr(_) => "void 0".into(),
    }
}

pub(super) fn is_ident_name(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$') && s.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// The runtime of a lazy chunk's loader: adds `<link rel=modulepreload>` for the chunks it
/// imports and `<link rel=stylesheet>` for its CSS (waiting for those), then imports it.
pub(super) fn loader_code(name: &Atom, import_map: bool, minify: bool) -> String {
    let resolve = if import_map { "import.meta.resolve(u)" } else { "new URL(u, import.meta.url).href" };
    let code = format!(
        "var {name} = (load, css, js) => {{ if (typeof document > \"u\") return load(); \
         const have = (h) => [...document.querySelectorAll(\"link\")].some((l) => l.href === h); \
         const add = (h, rel) => {{ const l = document.createElement(\"link\"); l.rel = rel; l.href = h; document.head.appendChild(l); return l; }}; \
         for (const u of js) {{ const h = {resolve}; if (!have(h)) add(h, \"modulepreload\"); }} \
         return Promise.all(css.map((u) => {{ const h = {resolve}; if (have(h)) return; const l = add(h, \"stylesheet\"); \
         return new Promise((ok, fail) => {{ l.onload = ok; l.onerror = () => fail(new Error(\"cannot load: \" + h)); }}); }})).then(load); }};"
    );
    if minify {
        let resolve = if import_map { "import.meta.resolve(u)" } else { "new URL(u,import.meta.url).href" };
        format!(
            "var {name}=(f,c,j)=>{{if(typeof document>\"u\")return f();let d=document,s=h=>[...d.querySelectorAll(\"link\")].some(l=>l.href==h),\
             a=(h,r)=>{{let l=d.createElement(\"link\");l.rel=r;l.href=h;d.head.appendChild(l);return l}};\
             for(let u of j){{let h={resolve};s(h)||a(h,\"modulepreload\")}}\
             return Promise.all(c.map(u=>{{let h={resolve};if(!s(h)){{let l=a(h,\"stylesheet\");\
             return new Promise((o,e)=>{{l.onload=o;l.onerror=()=>e(Error(\"cannot load: \"+h))}})}}}})).then(f)}};"
        )
    } else {
        code
    }
}
