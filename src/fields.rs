//! Cache keys written as explicit fields.
//!
//! A key that hashed an options struct's `Debug` text changed whenever a type's printing did,
//! and it carried absolute paths: two CI runners whose checkouts sit at different paths made
//! different keys for the same inputs and replaced each other's entries in a shared remote
//! cache. Here every value goes in as length-delimited bytes, and every path relative to the
//! project root (`/`-separated, `..` for a workspace above it), so a key is the same on any
//! machine that builds the same sources with the same settings.
//!
//! Types write themselves through [`Keyed`]; a struct's impl destructures it without `..`, so
//! a field added later does not compile until the key says what it does with it.

use std::path::{Path, PathBuf};

/// The bytes of a key under construction. Each value is length-prefixed (and each option and
/// list tagged), so two different lists of values never write the same bytes.
pub struct KeyFields<'r> {
    root: &'r Path,
    bytes: Vec<u8>,
}

impl<'r> KeyFields<'r> {
    /// Fields whose paths are written relative to `root`.
    pub fn new(root: &'r Path) -> Self {
        KeyFields { root, bytes: Vec::new() }
    }

    /// A named value: the name keeps two fields from trading places unnoticed.
    pub fn field(&mut self, name: &str, value: &(impl Keyed + ?Sized)) -> &mut Self {
        self.raw(name.as_bytes());
        value.write(self);
        self
    }

    /// Bytes as one length-prefixed value.
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        self.bytes.extend_from_slice(bytes);
        self
    }

    /// A path as the project names it (see [`crate::paths::project_relative`]).
    pub fn path(&mut self, path: &Path) -> &mut Self {
        let rel = self.rel(path);
        self.raw(rel.as_bytes())
    }

    /// `path` relative to the root, as [`KeyFields::path`] writes it.
    pub fn rel(&self, path: &Path) -> String {
        if path.as_os_str().is_empty() {
            String::new()
        } else {
            crate::paths::project_relative(self.root, path)
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// A value that can be part of a cache key.
pub trait Keyed {
    fn write(&self, k: &mut KeyFields);
}

impl Keyed for str {
    fn write(&self, k: &mut KeyFields) {
        k.raw(self.as_bytes());
    }
}

impl Keyed for String {
    fn write(&self, k: &mut KeyFields) {
        k.raw(self.as_bytes());
    }
}

impl Keyed for bool {
    fn write(&self, k: &mut KeyFields) {
        k.raw(&[*self as u8]);
    }
}

macro_rules! keyed_int {
    ($($t:ty),*) => {$(
        impl Keyed for $t {
            fn write(&self, k: &mut KeyFields) {
                k.raw(&(*self as u64).to_le_bytes());
            }
        }
    )*};
}
keyed_int!(u8, u16, u32, u64, usize);

impl Keyed for Path {
    fn write(&self, k: &mut KeyFields) {
        k.path(self);
    }
}

impl Keyed for PathBuf {
    fn write(&self, k: &mut KeyFields) {
        k.path(self);
    }
}

impl<T: Keyed> Keyed for Option<T> {
    fn write(&self, k: &mut KeyFields) {
        match self {
            None => k.raw(b"-"),
            Some(v) => {
                k.raw(b"+");
                v.write(k);
                k
            }
        };
    }
}

impl<T: Keyed> Keyed for [T] {
    fn write(&self, k: &mut KeyFields) {
        k.raw(&(self.len() as u64).to_le_bytes());
        for v in self {
            v.write(k);
        }
    }
}

impl<T: Keyed> Keyed for Vec<T> {
    fn write(&self, k: &mut KeyFields) {
        self.as_slice().write(k);
    }
}

impl<A: Keyed, B: Keyed> Keyed for (A, B) {
    fn write(&self, k: &mut KeyFields) {
        self.0.write(k);
        self.1.write(k);
    }
}

impl<T: Keyed + ?Sized> Keyed for &T {
    fn write(&self, k: &mut KeyFields) {
        (**self).write(k);
    }
}

/// The bytes of `value`'s fields, paths relative to `root`.
pub fn of(root: &Path, value: &(impl Keyed + ?Sized)) -> Vec<u8> {
    let mut k = KeyFields::new(root);
    value.write(&mut k);
    k.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_enter_relative_to_the_root() {
        let a = of(Path::new("/ci/runner-1/app"), &Some(PathBuf::from("/ci/runner-1/app/src/tsconfig.json")));
        let b = of(Path::new("/home/me/work/app"), &Some(PathBuf::from("/home/me/work/app/src/tsconfig.json")));
        assert_eq!(a, b);
        let above = of(Path::new("/ci/repo/apps/web"), &PathBuf::from("/ci/repo"));
        assert_eq!(above, of(Path::new("/x/apps/web"), &PathBuf::from("/x")));
    }

    #[test]
    fn different_values_never_write_the_same_bytes() {
        let root = Path::new("/r");
        assert_ne!(of(root, &vec!["ab".to_owned(), "c".to_owned()]), of(root, &vec!["a".to_owned(), "bc".to_owned()]));
        assert_ne!(of(root, &None::<String>), of(root, &Some(String::new())));
        assert_ne!(of(root, &(1u32, true)), of(root, &(1u32, false)));
    }
}
