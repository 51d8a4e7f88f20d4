#!/usr/bin/env bash
# Build speed side by side, in one session:
# 1. three.js ×10 (shared/bench/three10): kiln's default build (gzip + Brotli twins) and
#    `--no-compress`, each in a run beside esbuild and Rolldown (cold: no build cache);
# 2. the React starter of the real-app corpus (create-vite's react template, as
#    tests/integration/corpus.rs assembles it): kiln default, kiln `--no-compress`, and
#    `vite build`, median wall time of RUNS runs each.
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

app=$repo/tests/corpus/work/react
if [[ ! -f $app/index.html ]]; then
  # The corpus test assembles the app (and installs tests/corpus/node_modules first if needed).
  [[ -d tests/corpus/node_modules/vite ]] || (cd tests/corpus && npm ci --no-audit --no-fund --silent)
  cargo test --quiet --test integration corpus::corpus_react -- --exact >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { # label, command...: RUNS runs, prints the median wall and peak memory
  local label=$1; shift
  local walls=() mems=()
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$work/.time" "$@" >/dev/null 2>"$work/.err" || { cat "$work/.err" >&2; exit 1; }
    read -r w m < "$work/.time"; walls+=("$w"); mems+=("$m")
  done
  printf '%-28s %6s s  %6s MiB\n' "$label" "$(printf '%s\n' "${walls[@]}" | median)" \
    "$(( $(printf '%s\n' "${mems[@]}" | median) / 1024 ))"
}
echo "## the React starter (median of $RUNS)"
timed "kiln (twins)" "$kiln" build "$app" --out "$work/kiln" --no-cache -q --no-budgets
timed "kiln --no-compress" "$kiln" build "$app" --out "$work/kiln-nc" --no-cache -q --no-budgets --no-compress
timed "vite build" bash -c "cd '$app' && node '$repo/tests/corpus/node_modules/vite/bin/vite.js' build --logLevel error --emptyOutDir --outDir '$work/vite' --config vite.corpus.mjs"
