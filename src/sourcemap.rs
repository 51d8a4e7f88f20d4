//! Source map v3 for a chunk: the per-module positions the printer collected, mapped back to
//! the original files (TypeScript and JSX lines included), encoded once for the whole chunk.

/// One mapping: generated line and column, source index, original line and column (0-based).
pub type Segment = (u32, u32, u32, u32, u32);

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn vlq(out: &mut String, value: i64) {
    let mut v = if value < 0 { ((-value) << 1) | 1 } else { value << 1 } as u64;
    loop {
        let mut digit = (v & 31) as u8;
        v >>= 5;
        if v > 0 {
            digit |= 32;
        }
        out.push(B64[digit as usize] as char);
        if v == 0 {
            break;
        }
    }
}

fn unvlq(bytes: &[u8], i: &mut usize) -> Option<i64> {
    let (mut result, mut shift) = (0u64, 0);
    loop {
        let c = *bytes.get(*i)?;
        *i += 1;
        let digit = B64.iter().position(|&b| b == c)? as u64;
        result |= (digit & 31) << shift;
        shift += 5;
        if digit & 32 == 0 {
            break;
        }
    }
    Some(if result & 1 == 1 { -((result >> 1) as i64) } else { (result >> 1) as i64 })
}

/// The source map of a file kiln did not write itself (a component's compiled module): where
/// each of its positions comes from in the original file, looked up when a chunk's map is
/// made, so the chunk maps to the original lines.
#[derive(Debug, Clone, Default)]
pub struct InputMap {
    /// Per generated line: (column, original line, original column), by column.
    lines: Vec<Vec<(u32, u32, u32)>>,
}

impl InputMap {
    /// From a `mappings` string (the segments of the map's first source).
    pub fn new(mappings: &str) -> InputMap {
        let mut lines: Vec<Vec<(u32, u32, u32)>> = Vec::new();
        for (line, col, src, ol, oc) in decode(mappings) {
            if src != 0 {
                continue;
            }
            let line = line as usize;
            if lines.len() <= line {
                lines.resize(line + 1, Vec::new());
            }
            lines[line].push((col, ol, oc));
        }
        for l in &mut lines {
            l.sort_unstable();
        }
        InputMap { lines }
    }

    /// The original position of generated `line`:`column` (0-based): the mapping at or before
    /// it on its line, else the last one of a line above.
    pub fn original(&self, line: u32, column: u32) -> Option<(u32, u32)> {
        let here = self.lines.get(line as usize)?;
        let at = here.partition_point(|&(c, ..)| c <= column);
        if at > 0 {
            let (_, ol, oc) = here[at - 1];
            return Some((ol, oc));
        }
        self.lines[..line as usize].iter().rev().find_map(|l| l.last()).map(|&(_, ol, oc)| (ol, oc)).or_else(|| here.first().map(|&(_, ol, oc)| (ol, oc)))
    }
}

/// Segments encoded by one task: a big bundle's map is encoded in pieces on every core.
const PIECE: usize = 1 << 16;

/// Encodes sorted segments as a `mappings` string.
pub fn encode(segments: &[Segment]) -> String {
    encode_in_pieces(segments, PIECE)
}

/// [`encode`], `piece` segments per task: each piece starts from the state the segment
/// before it leaves, so the pieces join into the string one pass would write.
fn encode_in_pieces(segments: &[Segment], piece: usize) -> String {
    use rayon::prelude::*;
    if segments.len() <= piece {
        return encode_after(segments, None);
    }
    let pieces: Vec<String> = segments.par_chunks(piece).enumerate().map(|(i, part)| encode_after(part, (i > 0).then(|| segments[i * piece - 1]))).collect();
    pieces.concat()
}

/// Encodes `segments` as they follow `before` (none: at the start of the map).
fn encode_after(segments: &[Segment], before: Option<Segment>) -> String {
    let mut out = String::with_capacity(segments.len() * 6);
    let (mut line, mut prev_col, mut prev_src, mut prev_sl, mut prev_sc) = match before {
        Some((gl, gc, src, sl, sc)) => (gl, gc as i64, src as i64, sl as i64, sc as i64),
        None => (0u32, 0i64, 0i64, 0i64, 0i64),
    };
    let mut first_in_line = before.is_none();
    for &(gl, gc, src, sl, sc) in segments {
        while line < gl {
            out.push(';');
            line += 1;
            prev_col = 0;
            first_in_line = true;
        }
        if !first_in_line {
            out.push(',');
        }
        first_in_line = false;
        vlq(&mut out, gc as i64 - prev_col);
        vlq(&mut out, src as i64 - prev_src);
        vlq(&mut out, sl as i64 - prev_sl);
        vlq(&mut out, sc as i64 - prev_sc);
        prev_col = gc as i64;
        prev_src = src as i64;
        prev_sl = sl as i64;
        prev_sc = sc as i64;
    }
    out
}

/// Decodes a `mappings` string (segments with a source; others are dropped).
pub fn decode(mappings: &str) -> Vec<Segment> {
    let bytes = mappings.as_bytes();
    let mut out = Vec::new();
    let (mut line, mut i) = (0u32, 0usize);
    let (mut col, mut src, mut sl, mut sc) = (0i64, 0i64, 0i64, 0i64);
    while i < bytes.len() {
        match bytes[i] {
            b';' => {
                line += 1;
                col = 0;
                i += 1;
            }
            b',' => i += 1,
            _ => {
                let mut fields = [0i64; 5];
                let mut n = 0;
                while i < bytes.len() && bytes[i] != b',' && bytes[i] != b';' && n < 5 {
                    match unvlq(bytes, &mut i) {
                        Some(v) => fields[n] = v,
                        None => return out,
                    }
                    n += 1;
                }
                col += fields[0];
                if n >= 4 {
                    src += fields[1];
                    sl += fields[2];
                    sc += fields[3];
                    out.push((line, col as u32, src as u32, sl as u32, sc as u32));
                }
            }
        }
    }
    out
}

/// A whole source map document. `file` (the bundle's hashed name, new after any edit) comes
/// last: a large map's twins are compressed in segments, and a change at the end redoes one
/// segment where a change at the start would redo the first megabyte. The document is the one
/// serde_json writes for `{version, sources, sourcesContent, names, mappings, file}`, written
/// on every core: each part's length is measured first, then each part (a source's text
/// escaped as a JSON string, or text copied as it is) is written into its own slice of the
/// document (escaping the sources into strings of their own and joining them took 55–65 ms
/// for three.js ×10's 33 MB map, the join on one core).
pub fn document(file: &str, sources: &[String], contents: &[Option<&str>], mappings: &str) -> Vec<u8> {
    use rayon::prelude::*;
    fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
        serde_json::to_string(value).expect("a source map part serializes")
    }
    // Base64 digits, `,` and `;` only: nothing to escape.
    debug_assert!(mappings.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/,;".contains(&b)));
    let head = format!("{{\"version\":3,\"sources\":{},\"sourcesContent\":[", json(sources));
    let tail = format!("\",\"file\":{}}}", json(file));
    let mut parts: Vec<Part> = Vec::with_capacity(2 * contents.len() + 4);
    parts.push(Part::Raw(&head));
    for (i, text) in contents.iter().enumerate() {
        if i > 0 {
            parts.push(Part::Raw(","));
        }
        parts.push(text.map_or(Part::Raw("null"), Part::Json));
    }
    parts.push(Part::Raw("],\"names\":[],\"mappings\":\""));
    parts.push(Part::Raw(mappings));
    parts.push(Part::Raw(&tail));
    let lens: Vec<usize> = parts.par_iter().map(Part::len).collect();
    let mut out = vec![0u8; lens.iter().sum()];
    let slices = crate::par::split_by_lens(&mut out, &lens);
    parts.into_par_iter().zip(slices).for_each(|(part, slice)| part.write(slice));
    out
}

/// A part of a source map document.
enum Part<'a> {
    /// Copied as it is.
    Raw(&'a str),
    /// Written as a JSON string.
    Json(&'a str),
}

/// What JSON writes for each byte inside a string, as serde_json does: 0 for the byte itself,
/// else the letter after the backslash (`u` for `\u00XX`).
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

impl Part<'_> {
    fn len(&self) -> usize {
        match self {
            Part::Raw(s) => s.len(),
            Part::Json(s) => {
                2 + s
                    .bytes()
                    .map(|b| match ESCAPE[b as usize] {
                        0 => 1,
                        b'u' => 6,
                        _ => 2,
                    })
                    .sum::<usize>()
            }
        }
    }

    /// Writes the part into `out`, which is exactly [`Part::len`] bytes long.
    fn write(self, out: &mut [u8]) {
        let text = match self {
            Part::Raw(s) => return out.copy_from_slice(s.as_bytes()),
            Part::Json(s) => s.as_bytes(),
        };
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out[0] = b'"';
        let (mut at, mut run) = (1, 0);
        for (i, &b) in text.iter().enumerate() {
            let e = ESCAPE[b as usize];
            if e == 0 {
                continue;
            }
            // The bytes before this one that need no escape, copied at once.
            out[at..at + i - run].copy_from_slice(&text[run..i]);
            at += i - run;
            run = i + 1;
            if e == b'u' {
                out[at..at + 6].copy_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
                at += 6;
            } else {
                out[at..at + 2].copy_from_slice(&[b'\\', e]);
                at += 2;
            }
        }
        out[at..at + text.len() - run].copy_from_slice(&text[run..]);
        at += text.len() - run;
        out[at] = b'"';
        debug_assert_eq!(at + 1, out.len());
    }
}

/// Moves mappings after text replacements: each `(line, col, delta)` says that on `line`,
/// text at or after original column `col` moved by `delta` columns.
pub fn shift(segments: &mut [Segment], shifts: &[(u32, u32, i64)]) {
    if shifts.is_empty() {
        return;
    }
    for seg in segments.iter_mut() {
        let moved: i64 = shifts.iter().filter(|(l, c, _)| *l == seg.0 && *c <= seg.1).map(|(_, _, d)| *d).sum();
        seg.1 = (seg.1 as i64 + moved).max(0) as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let segs = vec![(0, 0, 0, 0, 0), (0, 9, 0, 1, 4), (2, 3, 1, 10, 2), (2, 30, 0, 0, 7)];
        let m = encode(&segs);
        assert_eq!(decode(&m), segs);
        assert_eq!(encode(&[(0, 0, 0, 0, 0), (1, 5, 0, 16, 3)]), "AAAA;KAgBG");
    }

    #[test]
    fn the_document_is_what_serde_writes() {
        #[derive(serde::Serialize)]
        struct Document<'a> {
            version: u8,
            sources: &'a [String],
            #[serde(rename = "sourcesContent")]
            sources_content: &'a [Option<&'a str>],
            names: [&'a str; 0],
            mappings: &'a str,
            file: &'a str,
        }
        let sources = ["../src/a.ts".to_owned(), "../src/\"q\".js".to_owned(), "é/b.js".to_owned()];
        let every_byte: String = (0..128u8).map(char::from).collect::<String>() + "\\\"é\u{7f}\u{1f}";
        let contents = [Some("let a = \"x\";\n\tb\u{1}\u{2028}"), None, Some(""), Some(every_byte.as_str()), Some("\"")];
        for (sources, contents) in [(&sources[..], &contents[..]), (&[][..], &[][..])] {
            let doc = Document { version: 3, sources, sources_content: contents, names: [], mappings: "AAAA;CAAC", file: "a.b1c2.js" };
            assert_eq!(String::from_utf8(document("a.b1c2.js", sources, contents, "AAAA;CAAC")).unwrap(), serde_json::to_string(&doc).unwrap());
        }
    }

    #[test]
    fn pieces_encode_what_one_pass_does() {
        let mut segs = Vec::new();
        let mut state = 7u64;
        let mut next = |m: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 33) % m) as u32
        };
        let mut line = 0;
        for _ in 0..1000 {
            line += next(3);
            segs.push((line, next(200), next(5), next(900), next(80)));
        }
        segs.sort();
        let whole = encode_after(&segs, None);
        for piece in [1, 2, 3, 7, 64, 999, 1000] {
            assert_eq!(encode_in_pieces(&segs, piece), whole, "pieces of {piece}");
        }
        assert_eq!(decode(&whole), segs);
    }

    #[test]
    fn shifts_only_later_columns_of_the_line() {
        let mut segs = vec![(0, 2, 0, 0, 0), (0, 20, 0, 0, 9), (1, 20, 0, 1, 0)];
        shift(&mut segs, &[(0, 10, 5)]);
        assert_eq!(segs, vec![(0, 2, 0, 0, 0), (0, 25, 0, 0, 9), (1, 20, 0, 1, 0)]);
    }
}
