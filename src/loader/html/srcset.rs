//! `srcset` values: comma-separated image candidates, each a URL and an optional descriptor.

/// One candidate: the URL and the descriptor text after it (may be empty), with the URL's byte
/// offset in the attribute value.
#[derive(Debug, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub url: &'a str,
    pub descriptor: &'a str,
    pub offset: usize,
}

/// Splits a srcset the way the HTML standard's parser does: a URL runs to the next whitespace
/// (trailing commas belong to the separator), then a descriptor runs to the next comma.
pub fn parse(value: &str) -> Vec<Candidate<'_>> {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b',') {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut url_end = i;
        let mut ended_by_comma = false;
        while url_end > start && bytes[url_end - 1] == b',' {
            url_end -= 1;
            ended_by_comma = true;
        }
        let descriptor = if ended_by_comma {
            ""
        } else {
            let d_start = i;
            // A descriptor may hold parentheses with commas inside (future syntax); respect them.
            let mut depth = 0usize;
            while i < bytes.len() {
                match bytes[i] {
                    b'(' => depth += 1,
                    b')' => depth = depth.saturating_sub(1),
                    b',' if depth == 0 => break,
                    _ => {}
                }
                i += 1;
            }
            value[d_start..i].trim()
        };
        out.push(Candidate { url: &value[start..url_end], descriptor, offset: start });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates() {
        let c = parse(" a.png 1x, b.png  2x,c.png,\n d.png 480w ");
        let urls: Vec<_> = c.iter().map(|c| (c.url, c.descriptor)).collect();
        assert_eq!(urls, vec![("a.png", "1x"), ("b.png", "2x"), ("c.png", ""), ("d.png", "480w")]);
        assert_eq!(c[1].offset, 11);
        let c = parse("data:image/png;base64,AAA= 1x, x.png 2x");
        assert_eq!(c[0].url, "data:image/png;base64,AAA=");
        assert_eq!(c[1].url, "x.png");
    }
}
