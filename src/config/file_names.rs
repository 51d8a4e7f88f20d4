//! `file_names`: the pattern hashed files are named by, parsed once into its parts.

/// A part of the pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// `[dir]`: the source file's folder, root-relative.
    Dir,
    /// `[name]`: its name without the extension.
    Name,
    /// `[hash]`: the content hash.
    Hash,
    /// `[ext]`: its extension.
    Ext,
}

/// Why a `file_names` pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("the pattern must contain [hash], or files could not be cached for a year")]
    NoHash,
    #[error("[hash] must be in the last path segment")]
    HashNotLast,
    #[error("the pattern must stay inside out_dir (no leading / or ..)")]
    Outside,
    #[error("unclosed [")]
    Unclosed,
    #[error("unknown placeholder {0}; use [name], [hash], [ext] or [dir]")]
    Placeholder(String),
}

/// A checked `file_names` pattern: it names a file by its hash, inside the output, with the
/// hash in the last path segment (so that relative URLs can be computed before the hash is
/// known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileNames {
    pattern: String,
    parts: Vec<Part>,
}

impl FileNames {
    /// The pattern, or why kiln cannot use it.
    pub fn parse(pattern: &str) -> Result<FileNames, PatternError> {
        if !pattern.contains("[hash]") {
            return Err(PatternError::NoHash);
        }
        if !pattern.rsplit('/').next().unwrap_or(pattern).contains("[hash]") {
            return Err(PatternError::HashNotLast);
        }
        if pattern.starts_with('/') || pattern.split('/').any(|s| s == "..") {
            return Err(PatternError::Outside);
        }
        let mut parts = Vec::new();
        let mut rest = pattern;
        while let Some(i) = rest.find('[') {
            if i > 0 {
                parts.push(Part::Text(rest[..i].to_owned()));
            }
            let end = rest[i..].find(']').ok_or(PatternError::Unclosed)?;
            parts.push(match &rest[i..i + end + 1] {
                "[dir]" => Part::Dir,
                "[name]" => Part::Name,
                "[hash]" => Part::Hash,
                "[ext]" => Part::Ext,
                token => return Err(PatternError::Placeholder(token.to_owned())),
            });
            rest = &rest[i + end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(FileNames { pattern: pattern.to_owned(), parts })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// The output path of the source file `src` (root-relative); `hash` may be empty to learn
    /// the folder a file will land in before its hash is known. Each part is filled once, so a
    /// source named like a placeholder (`[ext].png`) keeps its name.
    pub fn fill(&self, src: &str, hash: &str) -> String {
        let (dir, file) = src.rsplit_once('/').unwrap_or(("", src));
        let (name, ext) = match file.rsplit_once('.') {
            Some((n, e)) if !n.is_empty() => (n, e),
            _ => (file, ""),
        };
        let mut out = String::new();
        for part in &self.parts {
            out.push_str(match part {
                Part::Text(t) => t,
                Part::Dir => dir,
                Part::Name => name,
                Part::Hash => hash,
                Part::Ext => ext,
            });
        }
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
}

#[cfg(test)]
mod tests {
    use super::FileNames;

    #[test]
    fn patterns_are_checked() {
        assert!(FileNames::parse("assets/[dir]/[name]-[hash].[ext]").is_ok());
        assert!(FileNames::parse("[hash]/[name].[ext]").is_err());
        assert!(FileNames::parse("../[name].[hash].[ext]").is_err());
        assert!(FileNames::parse("assets/[nam].[hash]").is_err());
        assert!(FileNames::parse("assets/[name].[ext]").is_err());
        assert!(FileNames::parse("assets/[name].[hash").is_err());
    }

    #[test]
    fn patterns_are_filled() {
        let p = FileNames::parse("assets/[name].[hash].[ext]").unwrap();
        assert_eq!(p.fill("img/logo.png", "abcd1234"), "assets/logo.abcd1234.png");
        assert_eq!(p.fill("LICENSE", "h"), "assets/LICENSE.h");
        let d = FileNames::parse("[dir]/[name]-[hash].[ext]").unwrap();
        assert_eq!(d.fill("logo.png", "h"), "logo-h.png");
        assert_eq!(d.fill("a/b/logo.png", "h"), "a/b/logo-h.png");
        // Names that look like placeholders stay as they are (routes named `[id].tsx`).
        assert_eq!(p.fill("img/[ext].png", "h"), "assets/[ext].h.png");
        assert_eq!(d.fill("pages/[hash]/[name].js", "h"), "pages/[hash]/[name]-h.js");
    }
}
