//! How deep brackets nest in a text, read without parsing it. The parsers kiln uses (swc's,
//! lightningcss's) recurse, so a text nested deeply enough would overflow a thread's stack and
//! abort with no message; this scan, which does not recurse, refuses such a text first.

/// The language a text is in: which strings and comments to skip.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// `/* */` comments; `'` and `"` strings.
    Css,
    /// Also `//` comments and `` ` `` template literals (which may span lines). A regular
    /// expression is read as code, which can only count too many brackets, never too few.
    Js,
}

/// Bytes the scan acts on; every other byte is passed over in a tight loop (most of a text).
const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut k = 0;
    let bytes = *b"\\/\"'`([{)]}";
    while k < bytes.len() {
        t[bytes[k] as usize] = true;
        k += 1;
    }
    t
};

/// The byte offset where `text` first nests `(`, `[` and `{` deeper than `max`.
pub fn too_deep(text: &str, max: usize, lang: Lang) -> Option<usize> {
    let b = text.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < b.len() {
        if !SPECIAL[b[i] as usize] {
            i += 1;
            continue;
        }
        match b[i] {
            b'\\' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(b.len(), |j| i + 2 + j + 1);
            }
            b'/' if lang == Lang::Js && b.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(b.len(), |j| i + j);
            }
            q @ (b'"' | b'\'' | b'`') if q != b'`' || lang == Lang::Js => {
                i += 1;
                while i < b.len() && b[i] != q && (q == b'`' || b[i] != b'\n') {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_strings_and_comments() {
        assert_eq!(too_deep("a((b))", 1, Lang::Js), Some(2));
        assert_eq!(too_deep("'(((' /* ((( */ // (((\n`((\n(` (x)", 1, Lang::Js), None);
        assert_eq!(too_deep(".a{content:\"{{{\"} /* {{ */", 1, Lang::Css), None);
        assert_eq!(too_deep(".a{.b{}}", 1, Lang::Css), Some(5));
    }
}
