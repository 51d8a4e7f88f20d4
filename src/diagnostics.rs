//! Located messages and their rendering.
//!
//! Stages never stop at the first problem: they push [`Diagnostic`]s into a list, and the
//! pipeline checks for errors between stages (esbuild's `log.HasErrors()`), so one run reports
//! every broken reference at once. A diagnostic carries the text of the line it points at, taken
//! when it is made, so rendering never has to read a file again.

use std::fmt::Write as _;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A position in a file: 1-based line and 1-based column (in characters).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Location {
    /// Path as shown to the user (relative to the project root when inside it).
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// The text of the line, for the code frame.
    #[serde(skip)]
    pub line_text: Option<String>,
}

/// What kind of problem a diagnostic reports, for programs that act on it (lightningcss's
/// `Error<Kind>`): a CI script can tell a broken input from a bad setting or kiln's own bug
/// without reading the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// kiln.toml, budgets.toml, a flag, or an environment variable kiln reads.
    Config,
    /// A file or folder that cannot be read or written.
    Io,
    /// A source that does not parse: JS, TypeScript, CSS, HTML, JSON, a `.env` file.
    Syntax,
    /// A reference, import or URL that leads to no file, or outside the project.
    Resolve,
    /// A secret file or value that would ship.
    Secret,
    /// kiln's own bug: an internal check failed (a placeholder or an unbound name would reach
    /// an output file, a cached result differs from making it again).
    Internal,
    /// Anything else: an input kiln cannot build as it is, a server, a remote cache.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub kind: Kind,
    pub message: String,
    pub location: Option<Location>,
    /// A hint on how to fix it.
    pub note: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, kind: Kind::Other, message: message.into(), location: None, note: None }
    }

    /// What `KILN_CHECK_CACHE=1` reports when something taken from the build cache differs
    /// from making it again: `what` differs (kiln's bug), with what to do meanwhile.
    pub fn cache_differs(what: &str) -> Self {
        Diagnostic::error(format!("{what} (kiln's bug)")).with_note("build with --no-cache meanwhile, and report it").of_kind(Kind::Internal)
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, kind: Kind::Other, message: message.into(), location: None, note: None }
    }

    /// Points at a file without a position (an unreadable file, a whole-file problem).
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.location = Some(Location { file: file.into(), line: 0, column: 0, line_text: None });
        self
    }

    /// Points at a byte offset of `source`.
    pub fn at_offset(self, file: impl Into<String>, source: &str, offset: usize) -> Self {
        let (line, column) = line_col(source, offset);
        self.at_line_col(file, source, line, column)
    }

    /// Points at a 1-based line and column of `source`.
    pub fn at_line_col(mut self, file: impl Into<String>, source: &str, line: u32, column: u32) -> Self {
        let line_text = source.lines().nth(line.saturating_sub(1) as usize).map(str::to_owned);
        self.location = Some(Location { file: file.into(), line, column, line_text });
        self
    }

    /// A TOML file that does not parse or does not fit its schema, at the error's position.
    pub fn from_toml(e: &toml::de::Error, what: &str, file: &str, source: &str) -> Self {
        let d = Diagnostic::error(format!("invalid {what}: {}", e.message().trim())).of_kind(Kind::Config);
        match e.span() {
            Some(span) => d.at_offset(file, source, span.start),
            None => d.in_file(file),
        }
    }

    /// The same diagnostic, of `kind`.
    pub fn of_kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders as `file:line:col: error: message` followed by a code frame.
    pub fn render(&self, color: bool) -> String {
        let paint = |code: &str, text: &str| {
            if color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_owned()
            }
        };
        let (label, code) = match self.severity {
            Severity::Error => ("error", "1;31"),
            Severity::Warning => ("warning", "1;33"),
        };
        let mut out = String::new();
        let _ = write!(out, "{}: {}", paint(code, label), paint("1", &self.message));
        if let Some(loc) = &self.location {
            if loc.line > 0 {
                let _ = write!(out, "\n  --> {}:{}:{}", loc.file, loc.line, loc.column);
            } else {
                let _ = write!(out, "\n  --> {}", loc.file);
            }
            if let Some(text) = &loc.line_text {
                let number = loc.line.to_string();
                let pad = " ".repeat(number.len());
                // Long lines (minified code) are cut to a window around the column.
                let chars: Vec<char> = text.chars().map(|c| if c == '\t' { ' ' } else { c }).collect();
                let col = (loc.column.saturating_sub(1) as usize).min(chars.len());
                let start = col.saturating_sub(60);
                let end = (col + 60).min(chars.len());
                let mut shown: String = chars[start..end].iter().collect();
                let mut caret_at = col - start;
                if start > 0 {
                    shown.insert(0, '…');
                    caret_at += 1;
                }
                if end < chars.len() {
                    shown.push('…');
                }
                let _ = write!(out, "\n{pad} |\n{number} | {shown}\n{pad} | {}{}", " ".repeat(caret_at), paint(code, "^"));
            }
        }
        if let Some(note) = &self.note {
            let _ = write!(out, "\n  = note: {note}");
        }
        out
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = source[line_start..offset].chars().count() as u32 + 1;
    (line, column)
}

/// A list of diagnostics gathered by a stage.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Sorted by file and position so that output does not depend on thread scheduling.
    pub fn sorted(mut self) -> Self {
        self.0.sort_by(|a, b| (a.location.as_ref(), a.severity, &a.message).cmp(&(b.location.as_ref(), b.severity, &b.message)));
        self.0.dedup();
        self
    }
}

/// The error a build ends with: everything that went wrong, with locations.
#[derive(Debug, thiserror::Error)]
#[error("{} error(s)", .diagnostics.iter().filter(|d| d.is_error()).count())]
pub struct BuildError {
    pub diagnostics: Vec<Diagnostic>,
}

impl BuildError {
    pub fn one(d: Diagnostic) -> Self {
        BuildError { diagnostics: vec![d] }
    }

    pub fn io(path: &Path, err: &std::io::Error, what: &str) -> Self {
        BuildError::one(Diagnostic::error(format!("cannot {what}: {err}")).in_file(path.display().to_string()).of_kind(Kind::Io))
    }
}

impl From<Diagnostics> for BuildError {
    fn from(d: Diagnostics) -> Self {
        BuildError { diagnostics: d.sorted().0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let src = "ab\ncdé f\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 3), (2, 1));
        // 'f' is after a two-byte character: byte 8, column 5
        assert_eq!(line_col(src, 8), (2, 5));
    }

    #[test]
    fn render_has_frame_and_caret() {
        let d = Diagnostic::error("missing file").at_line_col("a.html", "one\n  <img src=x>\n", 2, 8);
        let r = d.render(false);
        assert!(r.contains("--> a.html:2:8"), "{r}");
        assert!(r.contains("2 |   <img src=x>"), "{r}");
        assert!(r.ends_with("  |        ^"), "{r}");
    }
}
