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

/// Encodes sorted segments as a `mappings` string.
pub fn encode(segments: &[Segment]) -> String {
    let mut out = String::with_capacity(segments.len() * 6);
    let (mut line, mut prev_col, mut prev_src, mut prev_sl, mut prev_sc) = (0u32, 0i64, 0i64, 0i64, 0i64);
    let mut first_in_line = true;
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
/// segment where a change at the start would redo the first megabyte.
pub fn document(file: &str, sources: &[String], contents: &[Option<&str>], mappings: &str) -> String {
    /// Written field by field, borrowing the sources' text (a big bundle's is tens of MB).
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
    let doc = Document { version: 3, sources, sources_content: contents, names: [], mappings, file };
    serde_json::to_string(&doc).expect("a source map serializes")
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
    fn shifts_only_later_columns_of_the_line() {
        let mut segs = vec![(0, 2, 0, 0, 0), (0, 20, 0, 0, 9), (1, 20, 0, 1, 0)];
        shift(&mut segs, &[(0, 10, 5)]);
        assert_eq!(segs, vec![(0, 2, 0, 0, 0), (0, 25, 0, 0, 9), (1, 20, 0, 1, 0)]);
    }
}
