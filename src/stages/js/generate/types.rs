//! What the generate steps share: a chunk's job and what rendering it makes, the names chosen,
//! the references it writes, and printing a module. Below every step of `generate/`, it
//! imports none of them.

use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::atoms::Atom;
use swc_core::common::source_map::SourceMap;
use swc_core::common::sync::Lrc;
use swc_core::common::BytePos;
use swc_core::ecma::ast::*;
use swc_core::ecma::codegen::text_writer::{omit_trailing_semi, JsWriter, WriteJs};
use swc_core::ecma::codegen::{Config as CodegenConfig, Emitter};

use crate::diagnostics::Diagnostic;
use crate::graph::{AssetKey, Refs};
use crate::sourcemap::Segment;
use crate::stages::js::generate::names::Namer;
use crate::stages::js::generate::unbound::Scope;
use crate::stages::js::link::{Binding, Linked};
use crate::stages::js::scan::graph::{JsModule, ModuleId};
use crate::stages::js::types::JsCtx;

/// What a chunk needs besides its modules.
pub struct ChunkJob<'a> {
    pub index: usize,
    /// Its modules, in evaluation order.
    pub order: &'a [ModuleId],
    /// What it exports: an entry's exports (`None` for shared chunks).
    pub exports: Option<Vec<(Atom, Binding)>>,
    /// Per module: the chunk it is in (with splitting).
    pub chunk_of: &'a [Option<usize>],
    /// Modules whose namespace object is built (in their own chunk).
    pub need_ns: &'a [bool],
    /// Modules also in other chunks (without splitting): printed from a copy.
    pub copied: &'a [bool],
    /// Per dynamic entry module: its chunk's key, and what the loader fetches first
    /// (stylesheet keys, chunk keys).
    pub dynamic: &'a FxHashMap<ModuleId, (AssetKey, Vec<AssetKey>, Vec<AssetKey>)>,
    /// The chunk key of each extra entry (worker) of the graph.
    pub extra_keys: &'a [AssetKey],
}

/// A chunk printed, before its imports of other chunks and its exports are written.
pub struct Rendered {
    /// The body (runtime, namespace objects, modules), its references and source map.
    pub code: ChunkCode,
    /// Final local names of placeholder keys.
    pub names: FxHashMap<Atom, Atom>,
    /// Keys defined in other chunks, with the chunk that defines each.
    pub foreign: Vec<(Atom, usize)>,
    /// `import` lines for externals.
    pub externals: String,
    /// The entry's exports: (local, exported).
    pub entry_exports: Vec<(String, String)>,
    /// Syntax found in a module's final tree that no browser would run, or a name read that
    /// nothing binds (kiln's bug).
    pub problems: Vec<Diagnostic>,
    /// The names the chunk declares at its top level (what it may export).
    pub declared: FxHashSet<Atom>,
    /// The legal comments of its modules, once each, for the end of the file.
    pub legal: Vec<String>,
}

/// The URLs a chunk's modules write: asset files, extra entries (workers), and lazy chunks
/// with what their loader fetches first; all as reference placeholders of the chunk.
#[derive(Default)]
pub(in crate::stages::js::generate) struct ChunkRefs {
    pub(in crate::stages::js::generate) refs: Refs,
    pub(in crate::stages::js::generate) asset_url: FxHashMap<ModuleId, String>,
    /// Asset and entry placeholders of the modules (`__kiln_as3__`) to the chunk's.
    pub(in crate::stages::js::generate) asset_map: FxHashMap<String, String>,
    pub(in crate::stages::js::generate) entry_url: FxHashMap<usize, String>,
    pub(in crate::stages::js::generate) dynamic: FxHashMap<String, DynamicLoad>,
}

/// The synthetic symbols a chunk needs: CommonJS wrappers, interop wrappers (and the module
/// that first needs each), namespace objects, and which runtime helpers.
pub(in crate::stages::js::generate) struct Synthetic {
    pub(in crate::stages::js::generate) cjs: Vec<ModuleId>,
    pub(in crate::stages::js::generate) interop: Vec<ModuleId>,
    pub(in crate::stages::js::generate) interop_at: FxHashMap<ModuleId, Vec<ModuleId>>,
    pub(in crate::stages::js::generate) ns_needed: Vec<ModuleId>,
    pub(in crate::stages::js::generate) helpers_used: [bool; 4],
}

/// External imports a chunk keeps, by specifier: (imported name or namespace, placeholder); an
/// empty list is an import for side effects only.
pub(in crate::stages::js::generate) type Externals = std::collections::BTreeMap<String, Vec<(Option<Atom>, Atom)>>;

/// A symbol to name: (use count, order, the placeholder key, the name it had, the module
/// binding it is). The most used get the shortest names when minifying.
pub(in crate::stages::js::generate) type Symbol = (u32, usize, Atom, String, Option<(ModuleId, Id)>);

/// A module printed: its code, source positions, a problem its final tree has, and what it
/// declares at its top level and reads unbound.
pub(in crate::stages::js::generate) type Piece = (ModuleId, String, Vec<(u32, u32, u32, u32)>, Option<Diagnostic>, Scope);

/// The names chosen for a chunk.
pub(in crate::stages::js::generate) struct Names {
    pub(in crate::stages::js::generate) namer: Namer,
    /// Placeholder keys to final names.
    pub(in crate::stages::js::generate) names: FxHashMap<Atom, Atom>,
    /// Per module, its own top-level bindings' final names.
    pub(in crate::stages::js::generate) own: FxHashMap<ModuleId, FxHashMap<Id, Atom>>,
    pub(in crate::stages::js::generate) helpers: [Atom; 4],
}

impl Names {
    pub(in crate::stages::js::generate) fn get(&self, key: &Atom) -> Option<Atom> {
        self.names.get(key).cloned()
    }
}

/// One chunk being rendered: what every step reads.
pub(in crate::stages::js::generate) struct ChunkRender<'a> {
    pub(in crate::stages::js::generate) ctx: &'a JsCtx<'a>,
    pub(in crate::stages::js::generate) modules: &'a [JsModule],
    pub(in crate::stages::js::generate) linked: &'a Linked,
    pub(in crate::stages::js::generate) job: &'a ChunkJob<'a>,
    pub(in crate::stages::js::generate) minify: bool,
}

/// What a chunk's imports bind: the keys it imports from other chunks, and its externals.
pub(in crate::stages::js::generate) struct Bound<'a> {
    pub(in crate::stages::js::generate) foreign: &'a [(Atom, usize)],
    pub(in crate::stages::js::generate) externals: &'a Externals,
}

/// The newest syntax the output may use: the target's ES version; ES2015 for a browserslist
/// query (every browser such queries usually name has it).
pub fn output_version(target: &str) -> EsVersion {
    if target.trim().eq_ignore_ascii_case("esnext") {
        EsVersion::latest()
    } else {
        crate::stages::js::scan::parse::es_version(target.trim()).unwrap_or(EsVersion::Es2015)
    }
}

/// What an `import()` of a split chunk becomes: its URL placeholder, and the stylesheets and
/// chunks the loader fetches first.
pub struct DynamicLoad {
    pub url: String,
    pub css: Vec<String>,
    pub js: Vec<String>,
}

/// One output file's JS: code with asset placeholders, its references and source map.
pub struct ChunkCode {
    pub code: String,
    pub refs: Refs,
    pub segments: Vec<Segment>,
    /// Absolute paths and contents of the map's sources.
    pub sources: Vec<(std::path::PathBuf, String)>,
    /// The modules in the chunk, in order.
    pub modules: Vec<crate::graph::ModuleInfo>,
}

/// Prints a module; returns the code and the (source position, output line/column) pairs.
pub(in crate::stages::js::generate) fn print(
    cm: &Lrc<SourceMap>,
    module: &Module,
    minify: bool,
) -> (String, Vec<(BytePos, swc_core::common::source_map::LineCol)>) {
    let mut buf = Vec::new();
    let mut mappings = Vec::new();
    {
        let writer = JsWriter::new(cm.clone(), "\n", &mut buf, Some(&mut mappings));
        let writer: Box<dyn WriteJs> = if minify { Box::new(omit_trailing_semi(writer)) } else { Box::new(writer) };
        let mut emitter =
            Emitter { cfg: CodegenConfig::default().with_minify(minify).with_target(EsVersion::latest()), cm: cm.clone(), comments: None, wr: writer };
        emitter.emit_module(module).expect("writing to a Vec cannot fail");
    }
    (String::from_utf8(buf).expect("the printer writes UTF-8"), mappings)
}
