//! Numbers as precise as the source wrote them.
//!
//! lightningcss keeps numbers as `f32` and prints at most six significant digits, as the CSSOM
//! serializes them: Bootstrap's `33.333333%` columns come out as `33.3333%`. That moves a
//! column by a fraction of a pixel, enough to shift text by a pixel and change what the page
//! looks like (lightningcss#949 and #917 report the same). Minification must never change
//! rendering, so every number the source wrote with more digits than lightningcss prints is
//! put back in the printed stylesheet as written.

use std::collections::HashMap;

/// The digits of a number token starting at `i` of `s`, or `None` if `s[i]` does not start one
/// (it continues an identifier, a hex colour or a longer number).
fn number_at(s: &[u8], i: usize) -> Option<usize> {
    let starts = s[i].is_ascii_digit() || (s[i] == b'.' && s.get(i + 1).is_some_and(u8::is_ascii_digit));
    let after_word = i > 0 && (s[i - 1].is_ascii_alphanumeric() || matches!(s[i - 1], b'#' | b'_' | b'.' | b'\\'));
    if !starts || after_word {
        return None;
    }
    let mut j = i;
    let mut dot = false;
    while j < s.len() && (s[j].is_ascii_digit() || (s[j] == b'.' && !dot && s.get(j + 1).is_some_and(u8::is_ascii_digit))) {
        dot |= s[j] == b'.';
        j += 1;
    }
    Some(j)
}

/// How lightningcss prints the number `text`: as an `f32`, six significant digits, no trailing
/// zeros, and (minified) no leading zero.
fn printed(text: &str) -> Option<String> {
    let v: f32 = text.parse().ok()?;
    if !v.is_finite() || v == 0.0 {
        return None;
    }
    let magnitude = v.abs().log10().floor() as i32 + 1;
    let decimals = (6 - magnitude).max(0) as usize;
    let mut s = format!("{v:.decimals$}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    Some(s)
}

fn without_leading_zero(s: &str) -> &str {
    s.strip_prefix('0').filter(|r| r.starts_with('.')).unwrap_or(s)
}

/// The numbers of `sources` that printing shortens: printed form (with and without a leading
/// zero) → the source's digits. A printed form two different numbers share is left out.
pub fn long_numbers<'a>(sources: impl IntoIterator<Item = &'a str>) -> HashMap<String, String> {
    let mut map: HashMap<String, Option<String>> = HashMap::new();
    // Numbers the sources write as they are: a printed form equal to one of them may be that
    // number, so it is never replaced.
    let mut written: std::collections::HashSet<String> = std::collections::HashSet::new();
    for text in sources {
        let s = text.as_bytes();
        let mut i = 0;
        while i < s.len() {
            let Some(end) = number_at(s, i) else {
                i += 1;
                continue;
            };
            let token = &text[i..end];
            i = end;
            written.insert(token.to_owned());
            written.insert(without_leading_zero(token).to_owned());
            let digits = token.bytes().filter(u8::is_ascii_digit).count();
            if digits <= 6 || !token.contains('.') {
                continue;
            }
            let Some(short) = printed(token) else { continue };
            // `.99999999` prints as `1`: an integer the output surely writes elsewhere too.
            if !short.contains('.') {
                continue;
            }
            let full = token.trim_start_matches('0');
            let full = if full.starts_with('.') { format!("0{full}") } else { full.to_owned() };
            if short == full {
                continue;
            }
            for key in [short.clone(), without_leading_zero(&short).to_owned()] {
                let entry = map.entry(key).or_insert_with(|| Some(full.clone()));
                if entry.as_deref() != Some(full.as_str()) {
                    *entry = None;
                }
            }
        }
    }
    map.into_iter().filter(|(k, _)| !written.contains(k)).filter_map(|(k, v)| v.map(|v| (k, v))).collect()
}

/// `css` with every number printed shorter than the source wrote it restored.
pub fn restore(css: String, numbers: &HashMap<String, String>) -> String {
    if numbers.is_empty() {
        return css;
    }
    let s = css.as_bytes();
    let mut out = String::with_capacity(css.len() + 64);
    let (mut i, mut copied) = (0, 0);
    while i < s.len() {
        let Some(end) = number_at(s, i) else {
            i += 1;
            continue;
        };
        if let Some(full) = numbers.get(&css[i..end]) {
            out.push_str(&css[copied..i]);
            // Keep the printed style: no leading zero if the printer dropped it.
            let full = if css[i..end].starts_with('.') { without_leading_zero(full) } else { full.as_str() };
            out.push_str(full);
            copied = end;
        }
        i = end;
    }
    out.push_str(&css[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn puts_back_what_printing_rounded() {
        let source = ".a{flex:0 0 33.333333%;max-width:33.333333%}.b{width:8.333333%}.c{line-height:1.3333333}.d{color:#333333}.e{opacity:0.123456789}";
        let numbers = long_numbers([source]);
        let printed = ".a{flex:0 0 33.3333%;max-width:33.3333%}.b{width:8.33333%}.c{line-height:1.33333}.d{color:#333}.e{opacity:.123457}";
        assert_eq!(
            restore(printed.to_owned(), &numbers),
            ".a{flex:0 0 33.333333%;max-width:33.333333%}.b{width:8.333333%}.c{line-height:1.3333333}.d{color:#333}.e{opacity:.123456789}"
        );
    }

    #[test]
    fn never_replaces_a_form_the_source_also_writes_or_an_integer() {
        let source = ".a{opacity:.99999999}.b{z-index:1}.c:nth-child(1){width:33.333333%}.d{width:33.3333%}";
        let numbers = long_numbers([source]);
        assert!(numbers.is_empty(), "{numbers:?}");
    }

    #[test]
    fn leaves_short_numbers_and_names_alone() {
        let numbers = long_numbers([".x{width:50%} .h1{margin:1.5rem}"]);
        assert!(numbers.is_empty());
        let css = ".h1{width:33.3333%}".to_owned();
        assert_eq!(restore(css.clone(), &long_numbers([".q{width:33.333333%}"])), ".h1{width:33.333333%}");
    }
}
