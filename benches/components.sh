#!/usr/bin/env bash
# Vue and Svelte starters (the corpus's vue-ts, svelte-ts and create-vue apps, as
# tests/integration/corpus.rs assembles them): kiln's cold build (no build cache: every
# component compiled, Node started) beside `vite build` with the framework's plugin, median wall
# time of RUNS runs each; then a warm build after a change outside the components, with
# KILN_NODE naming no program, which succeeds only if no Node process is needed.
#
#   benches/components.sh                 # KILN=target/debug/kiln to try a debug build
#   RUNS=5 benches/components.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
kiln=$(realpath "${KILN:-target/release/kiln}")
RUNS=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# shellcheck source=benches/lib.sh
source "$repo/benches/lib.sh"

for pair in vue-ts:corpus_vue_ts svelte-ts:corpus_svelte_ts create-vue:corpus_create_vue_router_pinia; do
  name=${pair%%:*} test=${pair#*:}
  app=$repo/tests/corpus/work/$name
  if [[ ! -f $app/index.html ]]; then
    [[ -d tests/corpus/node_modules/vite ]] || (cd tests/corpus && npm ci --no-audit --no-fund --silent)
    cargo test --quiet --test integration "corpus::$test" -- --exact >/dev/null
  fi
  # A copy with a build cache of its own (the corpus's is shared by every app), beside the
  # app so that its node_modules link stays inside the corpus's workspace.
  copy=$repo/tests/corpus/work/bench-$name
  rm -rf "$copy" && mkdir -p "$copy"
  (cd "$app" && tar --exclude=node_modules -cf - .) | (cd "$copy" && tar xf -)
  ln -s ../../node_modules "$copy/node_modules"
  printf 'cache_dir = ".kiln-cache"\n' > "$copy/kiln.toml"
  echo "## $name (median of $RUNS)"
  timed "kiln --no-cache --no-compress" "$kiln" build "$copy" --out "$work/$name-k" --no-cache -q --no-budgets --no-compress
  timed "vite build" bash -c "cd '$copy' && node '$repo/tests/corpus/node_modules/vite/bin/vite.js' build --logLevel error --emptyOutDir --outDir '$work/$name-v' --config vite.corpus.mjs"
  "$kiln" build "$copy" --out "$work/$name-warm" -q --no-budgets --no-compress
  # Each run changes src/main.ts first: the JS stage runs (no replay), every component comes
  # from the build cache.
  timed "kiln warm, a change, no Node" bash -c "echo \"// \$RANDOM\" >> '$copy/src/main.ts' && KILN_NODE=/nonexistent/node '$kiln' build '$copy' --out '$work/$name-warm' -q --no-budgets --no-compress"
  echo
  rm -rf "$copy"
done
