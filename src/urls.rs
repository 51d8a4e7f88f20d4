//! The URL by which one output refers to another, and the stable name a chunk is imported by
//! through an import map.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use crate::key::AssetKey;
use crate::paths::parent;

/// Everything but unreserved characters, `/` and a few sub-delimiters safe in paths is escaped.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\'')
    .add(b'(')
    .add(b')')
    .add(b'\\')
    .add(b'^')
    .add(b'|');

/// True when `base` asks for URLs relative to the referring file.
pub fn is_relative_base(base: &str) -> bool {
    base.is_empty() || base == "./" || base == "."
}

/// The URL of the output `to` as written in the output `from` (paths relative to out_dir).
pub fn url(base: &str, from: &str, to: &str) -> String {
    if is_relative_base(base) {
        let from_dir: Vec<&str> = parent(from).split('/').filter(|s| !s.is_empty()).collect();
        let to_parts: Vec<&str> = to.split('/').collect();
        let common = from_dir.iter().zip(&to_parts).take_while(|(a, b)| a == b).count();
        let mut parts: Vec<&str> = vec![".."; from_dir.len() - common];
        parts.extend(&to_parts[common..]);
        let joined = parts.join("/");
        utf8_percent_encode(&joined, PATH).to_string()
    } else {
        let sep = if base.ends_with('/') { "" } else { "/" };
        format!("{base}{sep}{}", utf8_percent_encode(to, PATH))
    }
}

/// A module specifier for `to` written in `from`: `./`-relative, as `import` needs (a bare
/// `x.js` would be a package name).
pub fn import_specifier(from: &str, to: &str) -> String {
    let rel = url("./", from, to);
    if rel.starts_with("../") {
        rel
    } else {
        format!("./{rel}")
    }
}

/// The name a chunk (or a file a lazy chunk preloads) is imported by with
/// `hash_cascade = "importmap"`: its source path, without a hash, so it never changes.
pub fn stable_name(key: &AssetKey) -> String {
    // A chunk's joined CSS (`src/main.ts?css`) is named like a file beside it.
    let src = match key {
        AssetKey::ChunkCss(chunk) => format!("{chunk}.css"),
        _ => key.to_string(),
    };
    format!("kiln/{}", utf8_percent_encode(&src, PATH))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_and_relative() {
        assert_eq!(url("/", "index.html", "assets/a b.png"), "/assets/a%20b.png");
        assert_eq!(url("https://cdn.example/app", "x.html", "assets/a.png"), "https://cdn.example/app/assets/a.png");
        assert_eq!(url("./", "index.html", "assets/a.png"), "assets/a.png");
        assert_eq!(url("./", "blog/post/index.html", "assets/a.png"), "../../assets/a.png");
        assert_eq!(url("./", "assets/site.css", "assets/font.woff2"), "font.woff2");
        assert_eq!(url("", "assets/css/site.css", "assets/img/x.png"), "../img/x.png");
        assert_eq!(import_specifier("assets/a.js", "assets/b.js"), "./b.js");
        assert_eq!(import_specifier("assets/js/a.js", "assets/b.js"), "../b.js");
        assert_eq!(stable_name(&AssetKey::InlineModule { page: "index.html".into(), index: 0 }), "kiln/index.html%3Fmodule=0");
        assert_eq!(stable_name(&AssetKey::file("src/main.ts").css_of()), "kiln/src/main.ts.css");
    }
}
