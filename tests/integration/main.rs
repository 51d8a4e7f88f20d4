//! kiln's integration tests: one binary that runs the real `kiln` executable.
//!
//! - `cases`: every folder under `tests/cases/` is a project; its output (or its error
//!   messages) is compared with an insta snapshot. `INSTA_UPDATE=always` rewrites them.
//! - `site`: properties of the sample site's build (references resolve, twins decompress,
//!   determinism across runs and thread counts, a failed build keeps the old output).
//! - `serve`: the preview server's headers over real HTTP.
//! - `deltas`: compression-dictionary deltas made against earlier outputs, served to clients
//!   that hold the dictionary, and received by a returning Chromium visitor.
//! - `images`: image optimisation, variants and markup, bad input, the build cache.
//! - `prune`: CSS pruning's listing and counts.
//! - `split`: code splitting, CSS from JS, import maps, in node and Chromium.
//! - `publish` (with `garage`, which starts a real Garage server): kiln publish end to end.
//! - `pages`: image loading, font preloads, `_headers`, the service worker offline and a
//!   deploy under an open tab, in Chromium (fixtures/pages).
//! - `js_cache`: minified and printed modules from the build cache print what a build
//!   without one prints, on every fixture and after an edit; the JS stage replayed and
//!   stylesheets from the cache until a file they read or a resolution changes.
//! - `remote_cache` (with `garage`): CI runners sharing the build cache through S3, signed
//!   entries, read-only jobs, namespaces, a remote that fails.
//! - `regression`: one test per reported bug.
//! - `heavy`: what heavy real apps broke (issue 33), run in node: CommonJS shared between
//!   chunks, `new URL()` of package files, destructured exports, the unbound-name check.
//! - `fuzz`: a few hundred mutated copies of the fixtures, built: no crash, no internal
//!   error, no build past its time bound (seeded: `KILN_FUZZ_SEED`, `KILN_FUZZ_RUNS`).
//! - `secrets`: secret files and values stop the build (issue 38), dotfiles are left out.
//! - `components`: Vue and Svelte starters built with their own compilers: a warm build needs no
//!   Node, a broken component is located and keeps the last output, determinism, source maps
//!   into the components' lines.
//! - `sfc_host`: the Node host that compiles Vue and Svelte components (`src/sfc/host.mjs`), over
//!   its protocol, with the corpus's pinned compilers (fixtures in `tests/sfc/`).
//! - `schema`: the JSON Schemas of kiln.toml and budgets.toml against documented examples,
//!   fixtures and what kiln refuses.
//! - `install`: the npm packages, packed and installed from their tarballs; the GitHub
//!   workflows and action under actionlint.
//! - `library`: a site built, checked and analysed in-process through the public API.
//! - `docs`: every link and anchor in the README, the changelog and docs/ resolves.
//! - `architecture`: the dependency rule and size limits of docs/architecture.md, on `src/`.

mod architecture;
mod browser;
mod budgets;
mod cases;
mod common;
mod components;
mod corpus;
mod deltas;
mod docs;
mod fuzz;
mod garage;
mod heavy;
mod images;
mod install;
mod js;
mod js_cache;
mod lab;
mod library;
mod modern_js;
mod pages;
mod prune;
mod publish;
mod regression;
mod remote_cache;
mod schema;
mod secrets;
mod serve;
mod sfc_host;
mod site;
mod split;
mod twins;
mod watch;
