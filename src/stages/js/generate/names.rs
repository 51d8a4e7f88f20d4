//! Final names of the top-level symbols of a chunk.
//!
//! Modules are minified one by one (in parallel), with nested scopes mangled by swc; their
//! top-level names are then chosen here, for the whole chunk at once: the most used symbols get
//! the shortest names, and no name may equal a free variable (a global the code reads) or any
//! nested binding of the chunk, so no reference can be captured by an inner scope.

use rustc_hash::FxHashSet;
use swc_core::atoms::Atom;

use crate::stages::js::scan::graph::is_reserved;

const FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$";
const REST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$0123456789";

/// The n-th name of the sequence a, b, …, $, aa, ba, …
fn nth_name(mut n: usize) -> String {
    let mut s = String::new();
    s.push(FIRST[n % FIRST.len()] as char);
    n /= FIRST.len();
    while n > 0 {
        n -= 1;
        s.push(REST[n % REST.len()] as char);
        n /= REST.len();
    }
    s
}

pub struct Namer {
    taken: FxHashSet<Atom>,
    next: usize,
    minify: bool,
}

impl Namer {
    /// `reserved`: free variables and nested binding names of the chunk.
    pub fn new(reserved: FxHashSet<Atom>, minify: bool) -> Self {
        Namer { taken: reserved, next: 0, minify }
    }

    /// A fresh name: the next short one when minifying, else `original` (or `original$N`).
    pub fn name(&mut self, original: &str) -> Atom {
        if self.minify {
            loop {
                let candidate = nth_name(self.next);
                self.next += 1;
                if !is_reserved(&candidate) && !self.taken.contains(&Atom::from(candidate.as_str())) {
                    let atom: Atom = candidate.into();
                    self.taken.insert(atom.clone());
                    return atom;
                }
            }
        }
        let base = if original.is_empty() { "_" } else { original };
        let mut candidate = base.to_owned();
        let mut n = 1;
        while is_reserved(&candidate) || self.taken.contains(&Atom::from(candidate.as_str())) {
            candidate = format!("{base}${n}");
            n += 1;
        }
        let atom: Atom = candidate.into();
        self.taken.insert(atom.clone());
        atom
    }
}

#[cfg(test)]
mod tests {
    use crate::stages::js::generate::names::*;

    #[test]
    fn sequence_and_reserved() {
        assert_eq!(nth_name(0), "a");
        assert_eq!(nth_name(53), "$");
        assert_eq!(nth_name(54), "aa");
        assert_eq!(nth_name(55), "ba");
        let mut reserved = FxHashSet::default();
        reserved.insert(Atom::from("a"));
        let mut n = Namer::new(reserved, true);
        assert_eq!(n.name("x"), "b");
        let mut n = Namer::new(FxHashSet::default(), false);
        assert_eq!(n.name("foo"), "foo");
        assert_eq!(n.name("foo"), "foo$1");
        assert_eq!(n.name("class"), "class$1");
    }
}
