//! Output names: the `file_names` pattern filled in with a file's source path and hash.

/// Lower-case RFC 4648 base32 without padding: only `a-z2-7`, so names stay distinct on
/// case-insensitive file systems (the reason esbuild uses it too).
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Fills `pattern` for the source file `src` (root-relative); `hash` may be empty to learn the
/// folder a file will land in before its hash is known.
pub fn output_path(pattern: &str, src: &str, hash: &str) -> String {
    let (dir, file) = src.rsplit_once('/').unwrap_or(("", src));
    let (name, ext) = match file.rsplit_once('.') {
        Some((n, e)) if !n.is_empty() => (n, e),
        _ => (file, ""),
    };
    let mut out = pattern.replace("[dir]", dir).replace("[name]", name).replace("[hash]", hash).replace("[ext]", ext);
    // Collapse what an empty [dir] or [ext] leaves behind.
    while out.contains("//") {
        out = out.replace("//", "/");
    }
    let out = out.trim_start_matches('/').to_owned();
    match out.strip_suffix('.') {
        Some(stripped) if ext.is_empty() => stripped.to_owned(),
        _ => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b"foobar"), "mzxw6ytboi");
        assert_eq!(base32(b"f"), "my");
    }

    #[test]
    fn patterns() {
        let p = "assets/[name].[hash].[ext]";
        assert_eq!(output_path(p, "img/logo.png", "abcd1234"), "assets/logo.abcd1234.png");
        assert_eq!(output_path("[dir]/[name]-[hash].[ext]", "logo.png", "h"), "logo-h.png");
        assert_eq!(output_path("[dir]/[name]-[hash].[ext]", "a/b/logo.png", "h"), "a/b/logo-h.png");
        assert_eq!(output_path(p, "LICENSE", "h"), "assets/LICENSE.h");
    }
}
