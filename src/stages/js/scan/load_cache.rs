//! Loaded modules in the build cache: what the linker and the minify cache need of a module
//! (its imports and exports, its kept comments, its kind), so that a rebuild does not parse a
//! module whose minified form it has too.
//!
//! Parsing and transforming a module is a pure function of its text, its path, the stage's
//! options (and whether it builds a classic worker, and the import-map specifiers), the
//! tsconfig options that apply, and the folder listings its globs and `import()` patterns
//! made; the entry's key is made of all of these but the listings, which the entry holds and
//! which are listed again before it is used. An entry holds positions relative to the file
//! and syntax contexts by number: 0 (none), 1 (the unresolved globals), 2 (the module's top
//! level), then those of names the transforms added (the JSX runtime's import), which get
//! fresh ones when the entry is read back. The names of inner scopes among those the module
//! references are left out (the linker asks only about its imports' locals).
//! A module loaded from an entry has no tree; `prepare` parses it only if its minified form is
//! not in the cache (see [`crate::stages::js::generate::minify_cache`]), with the same top-level mark, so
//! the tree agrees with the analysis. A module whose loading warned keeps no entry, so that
//! its warnings show on every build.

use serde::{Deserialize, Serialize};
use std::path::Path;
use swc_core::atoms::Atom;
use swc_core::common::comments::{Comment, CommentKind};

use swc_core::common::{sync::Lrc, BytePos, Mark, SourceFile, Span, SyntaxContext, DUMMY_SP};
use swc_core::ecma::ast::Id;

use crate::diagnostics::Diagnostic;
use crate::stages::js::options::BundleOptions;
use crate::stages::js::scan::analyze::{Analysis, ExportDef, ImportKind, ImportRecord, NamedImport, NsUse};
use crate::stages::js::scan::meta::Listing;
use crate::stages::js::scan::parse::{KeptComments, Parsed};
use crate::stages::js::types::JsCtx;

/// What every key of one bundle set shares: the options (as the replayed stage's key has
/// them), the import-map specifiers and whether the set is a classic worker's.
pub(in crate::stages::js) fn salt(options: &BundleOptions, import_map: &[String], classic: bool) -> [u8; 32] {
    let options = options.key_fields();
    crate::cache::key("js-load-salt", &[&options, import_map.join("\n").as_bytes(), &[classic as u8]])
}

/// The key of loading the module `rel` (root-relative, with its variant) whose text is `text`,
/// under the tsconfig options `ts` (their key fields).
pub(in crate::stages::js) fn key(ctx: &JsCtx, rel: &str, text: &str, ts: &[u8]) -> [u8; 32] {
    crate::cache::key("js-load", &[&ctx.load_salt, rel.as_bytes(), blake3::hash(text.as_bytes()).as_bytes(), ts])
}

/// `key` with the folder listings a module's globs and `import()` patterns made (the entry is
/// found by `key` and holds them; the minify cache's key needs them too, as its tree does).
pub(in crate::stages::js) fn with_listings(key: &[u8; 32], listings: &[Listing]) -> [u8; 32] {
    let mut fields = Vec::new();
    for Listing { patterns, found } in listings {
        fields.extend_from_slice(&crate::fields::of(std::path::Path::new(""), &(patterns, found)));
    }
    crate::cache::key("js-load-listings", &[key, &fields])
}

/// A name as stored: its context by number (see [`Frame`]).
type StoredId = (String, u32);
/// A span as stored: relative to the file, 1-based (0, 0 for a dummy span).
type StoredSpan = (u32, u32);

#[derive(Serialize, Deserialize)]
enum StoredDef {
    Local(StoredId),
    ReExport(usize, String),
    NamespaceOf(usize),
}

#[derive(Serialize, Deserialize)]
struct Entry {
    records: Vec<(String, StoredSpan, ImportKind)>,
    imports: Vec<(StoredId, Option<String>, usize, StoredSpan)>,
    exports: Vec<(String, StoredDef, StoredSpan)>,
    star_exports: Vec<usize>,
    /// `None`: the namespace escapes.
    ns_use: Vec<(StoredId, Option<Vec<String>>)>,
    referenced: Vec<StoredId>,
    has_esm_syntax: bool,
    uses_cjs: bool,
    /// How many contexts its names have (see [`Frame`]).
    contexts: u32,
    /// Leading (true) or trailing, where, block (true) or line, its span, its text.
    comments: Vec<(bool, u32, bool, StoredSpan, String)>,
    cjs: bool,
    generated: bool,
    listings: Vec<Listing>,
}

/// What a module loaded from the cache has instead of a parse.
pub(in crate::stages::js) struct Restored {
    pub analysis: Analysis,
    pub comments: KeptComments,
    pub cjs: bool,
    pub generated: bool,
    pub listings: Vec<Listing>,
}

/// The module's file in this build, and its contexts by canonical number: none, the
/// unresolved globals, its top level, then the others its analysis names (the marks the
/// transforms made for names they added, as the JSX runtime's import), in the order the entry
/// meets them.
pub(in crate::stages::js) struct Frame<'a> {
    pub file: &'a SourceFile,
    pub contexts: Vec<SyntaxContext>,
}

impl<'a> Frame<'a> {
    pub fn new(file: &'a SourceFile, unresolved: SyntaxContext, top_level: SyntaxContext) -> Self {
        Frame { file, contexts: vec![SyntaxContext::empty(), unresolved, top_level] }
    }

    fn span(&self, s: Span) -> Option<StoredSpan> {
        if s.is_dummy() {
            return Some((0, 0));
        }
        let (start, end) = (self.file.start_pos.0, self.file.end_pos.0);
        (start <= s.lo.0 && s.hi.0 <= end).then(|| (s.lo.0 - start + 1, s.hi.0 - start + 1))
    }

    fn unspan(&self, (lo, hi): StoredSpan) -> Option<Span> {
        if (lo, hi) == (0, 0) {
            return Some(DUMMY_SP);
        }
        let start = self.file.start_pos.0;
        let (lo, hi) = (lo.checked_sub(1)?.checked_add(start)?, hi.checked_sub(1)?.checked_add(start)?);
        (lo <= hi && hi <= self.file.end_pos.0).then(|| Span::new(BytePos(lo), BytePos(hi)))
    }

    /// A name as stored, its context numbered (a new one gets the next number).
    fn id(&mut self, id: &Id) -> StoredId {
        let n = match self.contexts.iter().position(|&c| c == id.1) {
            Some(n) => n,
            None => {
                self.contexts.push(id.1);
                self.contexts.len() - 1
            }
        };
        (id.0.to_string(), n as u32)
    }

    /// A name as stored, only if its context is numbered already (the names of inner scopes
    /// among those the module references are not kept).
    fn known_id(&self, id: &Id) -> Option<StoredId> {
        let n = self.contexts.iter().position(|&c| c == id.1)?;
        Some((id.0.to_string(), n as u32))
    }

    fn unid(&self, (sym, c): &StoredId) -> Option<Id> {
        Some((Atom::from(sym.as_str()), *self.contexts.get(*c as usize)?))
    }
}

/// The entry of a module just loaded, if it can be kept (see the module docs).
pub(in crate::stages::js) fn encode(
    frame: &mut Frame,
    analysis: &Analysis,
    comments: &KeptComments,
    cjs: bool,
    generated: bool,
    listings: &[Listing],
) -> Option<Vec<u8>> {
    let f = frame;
    let records = analysis.records.iter().map(|r| Some((r.specifier.clone(), f.span(r.span)?, r.kind))).collect::<Option<_>>()?;
    let imports = analysis
        .imports
        .iter()
        .map(|i| Some((f.id(&i.local), i.imported.as_ref().map(ToString::to_string), i.record, f.span(i.span)?)))
        .collect::<Option<_>>()?;
    let exports = analysis
        .exports
        .iter()
        .map(|(name, def, span)| {
            let def = match def {
                ExportDef::Local(id) => StoredDef::Local(f.id(id)),
                ExportDef::ReExport { record, name } => StoredDef::ReExport(*record, name.to_string()),
                ExportDef::NamespaceOf { record } => StoredDef::NamespaceOf(*record),
            };
            Some((name.to_string(), def, f.span(*span)?))
        })
        .collect::<Option<_>>()?;
    let mut ns_use: Vec<(StoredId, Option<Vec<String>>)> = analysis
        .ns_use
        .iter()
        .map(|(id, usage)| {
            let names = match usage {
                NsUse::Members(names) => {
                    let mut names: Vec<String> = names.iter().map(ToString::to_string).collect();
                    names.sort_unstable();
                    Some(names)
                }
                NsUse::Escapes => None,
            };
            Some((f.id(id), names))
        })
        .collect::<Option<_>>()?;
    // In one order, whatever the maps' (the same module keeps the same entry).
    ns_use.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    // The linker asks `referenced` only about imports' locals (numbered above): the names of
    // inner scopes it also holds are left out.
    let mut referenced: Vec<StoredId> = analysis.referenced.iter().filter_map(|id| f.known_id(id)).collect();
    referenced.sort_unstable();
    let mut kept = Vec::new();
    for (leading, map) in [(true, &comments.leading), (false, &comments.trailing)] {
        for (pos, list) in map {
            let at = f.span(Span::new(*pos, *pos))?.0;
            for c in list {
                kept.push((leading, at, c.kind == CommentKind::Block, f.span(c.span)?, c.text.to_string()));
            }
        }
    }
    kept.sort_by_key(|c| (c.0, c.1));
    let entry = Entry {
        records,
        imports,
        exports,
        star_exports: analysis.star_exports.clone(),
        ns_use,
        referenced,
        has_esm_syntax: analysis.has_esm_syntax,
        uses_cjs: analysis.uses_cjs,
        contexts: f.contexts.len() as u32,
        comments: kept,
        cjs,
        generated,
        listings: listings.to_vec(),
    };
    serde_json::to_vec(&entry).ok()
}

/// An entry read back with this build's positions and contexts (fresh ones for those beyond
/// the three every module has, added to `frame`; run with the build's globals set); `None` if
/// it does not decode or holds what no sound entry holds.
pub(in crate::stages::js) fn decode(frame: &mut Frame, bytes: &[u8]) -> Option<Restored> {
    let e: Entry = serde_json::from_slice(bytes).ok()?;
    if e.contexts < 3 || e.contexts > 1 << 16 {
        return None;
    }
    while frame.contexts.len() < e.contexts as usize {
        frame.contexts.push(SyntaxContext::empty().apply_mark(Mark::new()));
    }
    let f = &*frame;
    let records = e.records.into_iter().map(|(specifier, span, kind)| Some(ImportRecord { specifier, span: f.unspan(span)?, kind })).collect::<Option<_>>()?;
    let imports = e
        .imports
        .iter()
        .map(|(local, imported, record, span)| {
            Some(NamedImport { local: f.unid(local)?, imported: imported.as_deref().map(Atom::from), record: *record, span: f.unspan(*span)? })
        })
        .collect::<Option<_>>()?;
    let exports = e
        .exports
        .iter()
        .map(|(name, def, span)| {
            let def = match def {
                StoredDef::Local(id) => ExportDef::Local(f.unid(id)?),
                StoredDef::ReExport(record, name) => ExportDef::ReExport { record: *record, name: Atom::from(name.as_str()) },
                StoredDef::NamespaceOf(record) => ExportDef::NamespaceOf { record: *record },
            };
            Some((Atom::from(name.as_str()), def, f.unspan(*span)?))
        })
        .collect::<Option<_>>()?;
    let ns_use = e
        .ns_use
        .iter()
        .map(|(id, names)| {
            let usage = match names {
                Some(names) => NsUse::Members(names.iter().map(|n| Atom::from(n.as_str())).collect()),
                None => NsUse::Escapes,
            };
            Some((f.unid(id)?, usage))
        })
        .collect::<Option<_>>()?;
    let referenced = e.referenced.iter().map(|id| f.unid(id)).collect::<Option<_>>()?;
    let mut comments = KeptComments::default();
    for (leading, at, block, span, text) in e.comments {
        let pos = f.unspan((at, at))?.lo;
        let kind = if block { CommentKind::Block } else { CommentKind::Line };
        let comment = Comment { kind, span: f.unspan(span)?, text: text.into() };
        let map = if leading { &mut comments.leading } else { &mut comments.trailing };
        map.entry(pos).or_default().push(comment);
    }
    let analysis =
        Analysis { records, imports, exports, star_exports: e.star_exports, ns_use, referenced, has_esm_syntax: e.has_esm_syntax, uses_cjs: e.uses_cjs };
    Some(Restored { analysis, comments, cjs: e.cjs, generated: e.generated, listings: e.listings })
}

/// Keeps the entry of a module just parsed under `key`, if it can be kept; the module's
/// contexts by number (none if not kept).
pub(in crate::stages::js) fn keep(ctx: &JsCtx, key: &[u8; 32], parsed: &Parsed, analysis: &Analysis, cjs: bool) -> Vec<SyntaxContext> {
    swc_core::common::GLOBALS.set(&ctx.globals, || {
        let mut frame = frame(ctx, &parsed.file, parsed.top_level_mark);
        match encode(&mut frame, analysis, &parsed.comments, cjs, parsed.generated, &parsed.listings) {
            Some(entry) => {
                ctx.cache.put(key, entry);
                frame.contexts
            }
            None => Vec::new(),
        }
    })
}

/// The module's entry in the build cache, read back with a fresh top-level mark (and its
/// contexts by canonical number), if its folder listings still hold. With
/// `KILN_CHECK_CACHE=1` the module is parsed too, and an entry that differs from what parsing
/// gives is an error (kiln's bug).
pub(in crate::stages::js) fn lookup(
    ctx: &JsCtx,
    path: &Path,
    rel: &str,
    file: &Lrc<SourceFile>,
    key: &[u8; 32],
) -> Result<Option<(Restored, Mark, Vec<SyntaxContext>)>, Diagnostic> {
    let Some(bytes) = ctx.cache.get(key) else { return Ok(None) };
    let found = swc_core::common::GLOBALS.set(&ctx.globals, || {
        let top_level_mark = Mark::new();
        let mut frame = frame(ctx, file, top_level_mark);
        let restored = decode(&mut frame, bytes)?;
        let holds = restored.listings.iter().all(|l| l.holds(&ctx.options.loader.root, path));
        holds.then_some((restored, top_level_mark, frame.contexts))
    });
    if found.is_some() && ctx.options.checks.check_cache {
        let mut warnings = Vec::new();
        let again = crate::stages::js::scan::graph::parse_module(ctx, path, rel, file.clone(), None, &mut warnings).ok().and_then(|(analysis, parsed)| {
            let cjs = crate::stages::js::scan::graph::is_cjs(&analysis, parsed.is_script);
            swc_core::common::GLOBALS.set(&ctx.globals, || {
                encode(&mut frame(ctx, &parsed.file, parsed.top_level_mark), &analysis, &parsed.comments, cjs, parsed.generated, &parsed.listings)
            })
        });
        if again.as_deref() != Some(bytes) {
            return Err(Diagnostic::cache_differs("a loaded module from the build cache differs from loading it again").in_file(rel));
        }
    }
    Ok(found)
}

/// A module's frame for its entry (run with the build's globals set).
pub(in crate::stages::js) fn frame<'a>(ctx: &JsCtx, file: &'a SourceFile, top_level_mark: Mark) -> Frame<'a> {
    Frame::new(file, SyntaxContext::empty().apply_mark(ctx.unresolved_mark), SyntaxContext::empty().apply_mark(top_level_mark))
}
