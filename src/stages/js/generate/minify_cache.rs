//! Minified modules in the build cache: a rebuild minifies only the modules whose input to
//! the minifier changed.
//!
//! The key is made of what the minifier's input is made from, without the tree (so that a
//! module loaded from the cache need not be parsed: see [`crate::stages::js::scan::load_cache`]):
//! the key of loading the module (its text, path, options and tsconfig options), what the
//! linker decided its imports become, the exports kept, the minify options and a few flags
//! ([`key`]). `KILN_CHECK_CACHE=1` minifies every cached module again and stops the build if
//! its entry differs (the tests run with it). A tree holds build-dependent numbers: positions
//! (where the file sits among the build's files, which depends on the order threads loaded
//! them) and syntax contexts (numbered as threads create them). Both are made canonical for
//! the stored tree: positions relative to the module's file, contexts
//! numbered in the order the tree meets them, with the empty, the unresolved (globals) and
//! the module's top-level context as 0, 1 and 2. A cached tree is read back with this
//! build's positions and contexts (fresh ones for the others: only their equality matters to
//! the naming and printing that follow).
//!
//! Positions outside the module's file that the minifier leaves (it reuses spans of other
//! trees) map to nothing in the source map anyway; they are made dummy in every build, cached
//! or not, so a cached module prints exactly as a freshly minified one.
//!
//! Entries stay in the local cache: a chunk has thousands of modules, too many to fetch one
//! request each from the remote cache.

use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::common::{BytePos, Mark, Span, SyntaxContext, DUMMY_SP};
use swc_core::ecma::ast::{Id, Module};
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

/// The module's file in this build: its first and last position, and the contexts that are
/// the same in every build.
#[derive(Clone)]
pub(super) struct Frame {
    pub start: u32,
    pub end: u32,
    pub unresolved: SyntaxContext,
    pub top_level: SyntaxContext,
}

impl Frame {
    /// Whether `s` lies in the module's file.
    fn contains(&self, s: Span) -> bool {
        self.start <= s.lo.0 && s.hi.0 <= self.end
    }
}

enum Mode {
    /// For storing: positions relative, those outside the file dummy.
    Store,
    /// Back to this build's numbers: positions absolute.
    Restore,
}

struct Canon<'a> {
    frame: &'a Frame,
    mode: Mode,
    ctxts: FxHashMap<SyntaxContext, u32>,
    back: Vec<SyntaxContext>,
    /// A stored context number beyond those the entry declared (never from a sound entry).
    broken: bool,
}

impl Canon<'_> {
    fn new(frame: &Frame, mode: Mode) -> Canon<'_> {
        let mut c = Canon { frame, mode, ctxts: FxHashMap::default(), back: Vec::new(), broken: false };
        for ctxt in [SyntaxContext::empty(), frame.unresolved, frame.top_level] {
            c.number(ctxt);
        }
        c
    }

    fn number(&mut self, ctxt: SyntaxContext) -> u32 {
        let next = self.back.len() as u32;
        *self.ctxts.entry(ctxt).or_insert_with(|| {
            self.back.push(ctxt);
            next
        })
    }

    fn inside(&self, s: Span) -> bool {
        self.frame.contains(s)
    }
}

/// Not a position: dummy, or one of the reserved values (`#__PURE__` markers and the like).
fn no_position(s: Span) -> bool {
    s.is_dummy()
}

impl VisitMut for Canon<'_> {
    fn visit_mut_span(&mut self, s: &mut Span) {
        if no_position(*s) {
            return;
        }
        let start = self.frame.start;
        let relative = |s: Span| Span::new(BytePos(s.lo.0 - start + 1), BytePos(s.hi.0 - start + 1));
        match &mut self.mode {
            Mode::Store => *s = if self.inside(*s) { relative(*s) } else { DUMMY_SP },
            Mode::Restore => *s = Span::new(BytePos(s.lo.0 - 1 + start), BytePos(s.hi.0 - 1 + start)),
        }
    }

    fn visit_mut_syntax_context(&mut self, c: &mut SyntaxContext) {
        match self.mode {
            Mode::Restore => match self.back.get(c.as_u32() as usize) {
                Some(&back) => *c = back,
                None => self.broken = true,
            },
            _ => *c = SyntaxContext::from_u32(self.number(*c)),
        }
    }
}

/// A name with its context by its number in the module's table (see
/// [`crate::stages::js::scan::graph::JsModule::contexts`]), if the table has it.
pub(super) fn canonical_id(contexts: &[SyntaxContext], id: &Id) -> Option<String> {
    let n = contexts.iter().position(|&c| c == id.1)?;
    Some(format!("{}\u{1}{n}", id.0))
}

/// The cache key of minifying a module, made without its tree: the key of loading it
/// (`load`: its text, path, options, tsconfig options and the files its globs matched; see
/// [`crate::stages::js::scan::load_cache`]), what its imports became (`decisions`), the exports
/// kept (`used`), the target and whether it is CommonJS, a classic worker's, or generated code
/// (from which the minify options are made). The tree handed to the minifier is a pure
/// function of these.
/// `None` when a kept export's context is not in the module's table.
pub(super) fn key(load: &[u8; 32], decisions: &str, used: &FxHashSet<Id>, contexts: &[SyntaxContext], target: &str, flags: [bool; 3]) -> Option<[u8; 32]> {
    let mut used: Vec<String> = used.iter().map(|id| canonical_id(contexts, id)).collect::<Option<_>>()?;
    used.sort_unstable();
    let flags = flags.map(u8::from);
    Some(crate::cache::key("js-minified-v4", &[load, decisions.as_bytes(), used.join("\0").as_bytes(), target.as_bytes(), &flags]))
}

/// Makes the minifier's positions outside the module dummy (in every build: see the module
/// docs); when `encode`, the stored form of the tree and the canonical number of each of its
/// contexts (`None` if it cannot be encoded).
pub(super) fn store(ast: &mut Module, frame: &Frame, encode: bool) -> Option<(Vec<u8>, FxHashMap<SyntaxContext, u32>)> {
    if !encode {
        // What storing and restoring would leave: positions outside the file dummy, the rest
        // as they were.
        ast.visit_mut_with(&mut Outside(frame));
        return None;
    }
    let mut canon = Canon::new(frame, Mode::Store);
    ast.visit_mut_with(&mut canon);
    let mut buf = cbor4ii::core::utils::BufWriter::new(Vec::new());
    let encoded = encode && cbor4ii::core::enc::Encode::encode(&*ast, &mut buf).is_ok();
    canon.mode = Mode::Restore;
    ast.visit_mut_with(&mut canon);
    encoded.then(|| (buf.into_inner(), canon.ctxts))
}

/// Makes the positions outside the module's file dummy.
struct Outside<'a>(&'a Frame);

impl VisitMut for Outside<'_> {
    fn visit_mut_span(&mut self, s: &mut Span) {
        if !no_position(*s) && !self.0.contains(*s) {
            *s = DUMMY_SP;
        }
    }
}

/// What naming a chunk needs of a minified module, with its contexts canonical: what
/// `prepare` counts in the tree, stored beside it so a cached module is not decoded unless
/// it has to be printed.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Summary {
    /// Top-level declarations: name, context, references.
    pub top: Vec<(String, u32, u32)>,
    pub placeholders: Vec<(String, u32)>,
    pub reserved: Vec<String>,
    pub assets: Vec<usize>,
    pub dynamic: Vec<usize>,
    pub entries: Vec<usize>,
    pub pure: bool,
}

/// An entry: the number of contexts, the summary, the tree.
pub(super) fn entry(contexts: usize, summary: &Summary, tree: &[u8]) -> Vec<u8> {
    let summary = serde_json::to_vec(summary).unwrap_or_default();
    let mut out = Vec::with_capacity(8 + summary.len() + tree.len());
    out.extend_from_slice(&(contexts as u32).to_le_bytes());
    out.extend_from_slice(&(summary.len() as u32).to_le_bytes());
    out.extend_from_slice(&summary);
    out.extend_from_slice(tree);
    out
}

/// A cached minified tree, still encoded, with this build's contexts for its canonical ones.
#[derive(Clone)]
pub struct StoredTree {
    tree: Vec<u8>,
    pub(super) back: Vec<SyntaxContext>,
    frame: Frame,
}

/// An entry read back: its summary and its tree, with a context of this build for each
/// canonical one (fresh ones beyond the three every build shares; run with the build's
/// globals set).
pub(super) fn open(bytes: &[u8], frame: &Frame) -> Option<(Summary, StoredTree)> {
    let (contexts, rest) = bytes.split_first_chunk::<4>()?;
    let (len, rest) = rest.split_first_chunk::<4>()?;
    let (summary, tree) = rest.split_at_checked(u32::from_le_bytes(*len) as usize)?;
    let summary: Summary = serde_json::from_slice(summary).ok()?;
    let mut back = Canon::new(frame, Mode::Restore).back;
    while back.len() < u32::from_le_bytes(*contexts) as usize {
        back.push(SyntaxContext::empty().apply_mark(Mark::new()));
    }
    Some((summary, StoredTree { tree: tree.to_vec(), back, frame: frame.clone() }))
}

impl StoredTree {
    /// The tree, with this build's positions and contexts (run with the build's globals set);
    /// `None` if it does not decode.
    pub(super) fn decode(&self) -> Option<Module> {
        let mut ast: Module = cbor4ii::core::dec::Decode::decode(&mut cbor4ii::core::utils::SliceReader::new(&self.tree)).ok()?;
        let mut canon = Canon::new(&self.frame, Mode::Restore);
        canon.back.clone_from(&self.back);
        ast.visit_mut_with(&mut canon);
        (!canon.broken).then_some(ast)
    }
}
