//! What the JS stage's steps share: the context every module task reads, the chunks the
//! generate step hands on and what pages need of them, and placing a message in a module.
//! Below every step of the stage, it imports none of them.

use swc_core::common::{sync::Lrc, BytePos, Globals, Mark, SourceFile, SourceMap};
use swc_core::ecma::ast::Expr;

use crate::diagnostics::Diagnostic;
use crate::graph::{AssetKey, Refs};
use crate::stages::js::options::BundleOptions;
use crate::stages::js::scan::resolve::JsResolver;

/// What every module task shares.
pub struct JsCtx<'a> {
    pub options: &'a BundleOptions,
    pub cm: Lrc<SourceMap>,
    pub globals: Globals,
    pub unresolved_mark: Mark,
    pub resolver: JsResolver,
    /// `define`: dotted global paths and the expressions that replace them.
    pub defines: Vec<(Vec<String>, Box<Expr>)>,
    /// Specifiers kept as imports besides `js.external`: those the pages' import maps map.
    pub import_map: &'a [String],
    /// Building a classic worker script: an IIFE with no `import` and no `import.meta`.
    pub classic: bool,
    /// Minified and printed modules from earlier builds (the build cache's `js` packs).
    pub cache: &'a crate::cache::pack::Pack<'a>,
    /// What every module's [`crate::stages::js::scan::load_cache`] key shares.
    pub load_salt: [u8; 32],
    /// Vue and Svelte components' compilers (in Node, started when first needed).
    pub compilers: crate::sfc::Compilers<'a>,
}

impl JsCtx<'_> {
    /// Whether modules are loaded from the build cache (and kept there): with the cache on and
    /// minification (a module loaded so is parsed only when its minified form is not cached).
    pub fn lazy_loading(&self) -> bool {
        self.cache.is_on() && self.options.js.minify
    }
}

/// One bundle, before fingerprinting.
pub struct Chunk {
    pub code: String,
    pub refs: Refs,
    pub map: Option<crate::graph::ChunkMap>,
    pub modules: Vec<crate::graph::ModuleInfo>,
    /// The bundle of a page's module script or a configured entry (not a shared or lazy chunk).
    pub is_entry: bool,
    pub links: ChunkLinks,
    /// Written at this path, unhashed (a service worker).
    pub fixed_path: Option<String>,
    /// The text of its `.LEGAL.txt` file, with `js.legal_comments = "linked"`.
    pub legal: Option<String>,
}

impl Chunk {
    /// The key of its `.LEGAL.txt` file.
    pub fn legal_key(key: &AssetKey) -> AssetKey {
        AssetKey::File(format!("{key}.LEGAL.txt"))
    }
}

/// What pages and the assemble stage need to know of a chunk besides its code.
#[derive(Debug, Clone)]
pub struct ChunkLinks {
    /// The manifest key and asset source path.
    pub key: AssetKey,
    /// Stylesheets its modules import, in order (root-relative), and the key of the one file
    /// they are joined into.
    pub css: Vec<String>,
    pub css_key: Option<AssetKey>,
    /// The chunks it imports statically, directly or not, deepest first (a page preloads them).
    pub preload: Vec<AssetKey>,
    /// The CSS files a page loading this chunk links, in order.
    pub css_order: Vec<AssetKey>,
    /// The lazy chunks it loads with `import()`.
    pub dynamic: Vec<AssetKey>,
}

/// What is shown each bundle's code as soon as it is made ([`JsStage::on_bundle`]).
pub type OnBundle<'a> = &'a (dyn Fn(&[u8]) + Sync);

/// Places a diagnostic at a position of a parsed file.
pub fn locate(file: &SourceFile, rel: &str, pos: BytePos, d: Diagnostic) -> Diagnostic {
    let offset = (pos.0.saturating_sub(file.start_pos.0)) as usize;
    d.at_offset(rel, &file.src, offset)
}
