//! Secrets never ship: the rules the build, `kiln publish` and `kiln serve` share. A file whose
//! name is a known secret or private file ([`names`]) and a text holding a secret-looking value
//! ([`values`]) are refused unless `[secrets]` allows them; other dotfiles (but
//! `.well-known/`) are left out. Below every stage.

pub mod names;
pub mod values;

use globset::GlobSet;

pub use names::FileKind;

/// What `[secrets]` lets through: output paths (globs) of files whose name is meant to ship
/// (and dotfiles to keep), and fingerprints of values meant to ship.
#[derive(Debug, Clone)]
pub struct Allow {
    pub files: GlobSet,
    pub values: Vec<String>,
    /// Rules whose every value is meant to ship (`gcp-api-key` for an app of browser keys).
    pub rules: Vec<String>,
}

impl Default for Allow {
    fn default() -> Self {
        Allow { files: GlobSet::empty(), values: Vec::new(), rules: Vec::new() }
    }
}

/// What is wrong with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Its name (or the name of the source it came from) is a secret file's.
    Name { what: &'static str },
    /// It holds secret-looking values (byte ranges, each with its rule and fingerprint).
    Values(Vec<values::Found>),
}

impl Allow {
    /// What `path` (in the output) is, once `allow_files` is applied: an allowed file is plain.
    pub fn classify(&self, path: &str) -> FileKind {
        match names::classify(path) {
            FileKind::Plain => FileKind::Plain,
            _ if self.files.is_match(path) => FileKind::Plain,
            other => other,
        }
    }

    /// The secret-looking values of a text file that are not allowed (nothing for a binary
    /// file: one with a NUL byte in its first 8 KiB).
    pub fn values(&self, bytes: &[u8]) -> Vec<values::Found> {
        if memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some() {
            return Vec::new();
        }
        let mut found = values::scan(bytes);
        found.retain(|f| !self.values.contains(&f.fingerprint) && !self.rules.iter().any(|r| r == f.rule.id));
        found
    }

    /// Everything wrong with a file going out: its name at `path`, or that of the source it
    /// came from (`src`), then its values.
    pub fn check(&self, path: &str, src: Option<&str>, bytes: &[u8]) -> Option<Problem> {
        let named = [Some(path), src].into_iter().flatten().find_map(|p| match names::classify(p) {
            FileKind::Secret(what) if !self.files.is_match(path) => Some(what),
            _ => None,
        });
        if let Some(what) = named {
            return Some(Problem::Name { what });
        }
        let found = self.values(bytes);
        (!found.is_empty()).then_some(Problem::Values(found))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lets_named_files_and_values_through() {
        let mut b = globset::GlobSetBuilder::new();
        b.add(globset::Glob::new("certs/*.pem").unwrap());
        b.add(globset::Glob::new(".htaccess").unwrap());
        let key = b"k = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'";
        let print = values::fingerprint("stripe-access-token", b"sk_live_4eC39HqLyjWDarjtT1zdp7dc");
        let allow = Allow { files: b.build().unwrap(), values: vec![print], rules: vec!["jwt".into()] };
        assert_eq!(allow.check("a.js", None, b"t='eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N'"), None, "a rule allowed whole");
        assert_eq!(allow.classify("certs/ca.pem"), FileKind::Plain);
        assert_eq!(allow.classify(".htaccess"), FileKind::Plain);
        assert!(matches!(allow.classify("other.pem"), FileKind::Secret(_)));
        assert_eq!(allow.check("a.js", None, key), None);
        assert!(matches!(Allow::default().check("a.js", None, key), Some(Problem::Values(v)) if v.len() == 1));
        assert!(matches!(Allow::default().check("assets/x.txt", Some("public/.env"), b""), Some(Problem::Name { .. })));
        assert_eq!(Allow::default().check("a.bin", None, b"\0sk_live_4eC39HqLyjWDarjtT1zdp7dc"), None, "binary files are not scanned");
    }
}
