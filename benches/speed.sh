#!/usr/bin/env bash
# Build speed side by side, in one session:
# 1. three.js ×10 (shared/bench/three10): kiln's default build (gzip + Brotli twins) and
#    `--no-compress`, each in a run beside esbuild and Rolldown (cold: no build cache);
# 2. the React starter of the real-app corpus (create-vite's react template, as
#    tests/integration/corpus.rs assembles it): kiln default, kiln `--no-compress`, and
#    `vite build`, median wall time of RUNS runs each;
# 3. mermaid (the corpus's mermaid app: about 110 chunks, most of them lazy), the many-chunk
#    shape: kiln `--no-compress` against `vite build`, and kiln's default build (gzip and
#    Brotli twins) against `vite build` followed by gzip -9 and Brotli 11 of every output file
#    with node's zlib (what vite-plugin-compression does); RUNS alternating runs, each printed.
#
#   benches/speed.sh                 # KILN=target/debug/kiln to try a debug build
#   RUNS=5 benches/speed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
kiln=$(realpath "${KILN:-target/release/kiln}")
export RUNS=${RUNS:-3}
three10=$(realpath "${THREE10:-../shared/bench/three10}")

echo "## three.js ×10, kiln's default build (twins)"
KILN=$kiln KILN_ARGS='build {in} --entry entry.js --sourcemap --no-cache --out {out}' "$three10"
echo
echo "## three.js ×10, kiln --no-compress"
KILN=$kiln KILN_ARGS='build {in} --entry entry.js --sourcemap --no-cache --no-compress --out {out}' "$three10"
echo

assembled() { # corpus app name, its test: assembles tests/corpus/work/NAME once
  if [[ ! -f $repo/tests/corpus/work/$1/index.html ]]; then
    # The corpus test assembles the app (and installs tests/corpus/node_modules first if needed).
    [[ -d tests/corpus/node_modules/vite ]] || (cd tests/corpus && npm ci --no-audit --no-fund --silent)
    cargo test --quiet --test integration "corpus::$2" -- --exact >/dev/null
  fi
}
assembled react corpus_react
assembled mermaid corpus_mermaid_lazy_diagrams
app=$repo/tests/corpus/work/react
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=benches/lib.sh
source "$repo/benches/lib.sh"
echo "## the React starter (median of $RUNS)"
timed "kiln (twins)" "$kiln" build "$app" --out "$work/kiln" --no-cache -q --no-budgets
timed "kiln --no-compress" "$kiln" build "$app" --out "$work/kiln-nc" --no-cache -q --no-budgets --no-compress
timed "vite build" bash -c "cd '$app' && node '$repo/tests/corpus/node_modules/vite/bin/vite.js' build --logLevel error --emptyOutDir --outDir '$work/vite' --config vite.corpus.mjs"

# Every file of an output folder compressed beside it, as vite-plugin-compression does.
compress_js='
const fs = require("fs"), path = require("path"), zlib = require("zlib");
const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]);
for (const f of walk(process.argv[1])) {
  if (/\.(gz|br)$/.test(f)) continue;
  const b = fs.readFileSync(f);
  fs.writeFileSync(f + ".gz", zlib.gzipSync(b, { level: 9 }));
  fs.writeFileSync(f + ".br", zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length } }));
}'
mermaid=$repo/tests/corpus/work/mermaid
vite="node '$repo/tests/corpus/node_modules/vite/bin/vite.js' build --logLevel error --emptyOutDir"
echo
echo "## mermaid, about 110 chunks ($RUNS alternating runs, each printed)"
for _ in $(seq "$RUNS"); do
  RUNS=1 timed "kiln --no-compress" "$kiln" build "$mermaid" --out "$work/m-kiln-nc" --no-cache -q --no-budgets --no-compress
  RUNS=1 timed "vite build" bash -c "cd '$mermaid' && $vite --outDir '$work/m-vite'"
  RUNS=1 timed "kiln (twins)" "$kiln" build "$mermaid" --out "$work/m-kiln" --no-cache -q --no-budgets
  RUNS=1 timed "vite build + gzip + brotli" bash -c "cd '$mermaid' && $vite --outDir '$work/m-vite-c' && node -e '$compress_js' '$work/m-vite-c'"
done
