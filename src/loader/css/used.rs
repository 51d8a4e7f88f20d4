//! Which selectors a page can match, from the words of its HTML and scripts (PurgeCSS's
//! default extractor): CSS pruning drops the rules no page can match, and font preloading reads
//! only the rules a page can.

use std::collections::HashSet;

use lightningcss::selector::{Component, Selector};

/// Names that exist in every document, written or not: the elements an HTML parser inserts
/// when the source leaves them out (`<table><tr>` gets a `<tbody>`, `<col>` a `<colgroup>`,
/// a cell outside a row its `<tr>`).
const ALWAYS: &[&str] = &["html", "head", "body", "tbody", "colgroup", "tr", "*"];

/// Every word of `text`, the way PurgeCSS's default extractor splits content.
pub fn words(text: &str, into: &mut HashSet<String>) {
    for w in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
        if !w.is_empty() {
            into.insert(w.to_owned());
        }
    }
}

pub struct Used<'a> {
    pub words: &'a HashSet<String>,
    pub safelist: &'a globset::GlobSet,
}

impl Used<'_> {
    fn has(&self, name: &str) -> bool {
        self.words.contains(name) || ALWAYS.contains(&name) || self.safelist.is_match(name) || self.composed(name)
    }

    /// A name a script may build from parts: `alert-${kind}` leaves the word `alert-`, so any
    /// `alert-…` class may be used (and `${size}-lg` any `…-lg`).
    fn composed(&self, name: &str) -> bool {
        name.char_indices()
            .filter(|(_, c)| *c == '-' || *c == '_')
            .any(|(i, _)| (i > 0 && self.words.contains(&name[..=i])) || (i + 1 < name.len() && self.words.contains(&name[i..])))
    }

    pub fn may_match(&self, selector: &Selector) -> bool {
        selector.iter_raw_match_order().all(|c| match c {
            Component::Class(name) | Component::ID(name) => self.has(name.as_ref()),
            Component::LocalName(n) => self.has(n.lower_name.as_ref()) || self.has(n.name.as_ref()),
            Component::AttributeInNoNamespaceExists { local_name, .. } => self.has(local_name.as_ref()),
            Component::AttributeInNoNamespace { local_name, .. } => self.has(local_name.as_ref()),
            Component::Is(list) | Component::Where(list) | Component::Any(_, list) => list.iter().any(|s| self.may_match(s)),
            _ => true,
        })
    }
}
