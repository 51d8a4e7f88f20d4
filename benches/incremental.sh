#!/usr/bin/env bash
# Rebuilds, measured on three.js ×10 (esbuild's benchmark, as shared/bench/three10 prepares it):
# a cold build (empty cache), a rebuild with no change, and a rebuild after a one-line change
# in one module (copy 5's REVISION constant), all with source maps and the default twins
# (gzip 9, Brotli 11). Prints wall seconds, the ratio to the cold build, and the twins' sizes.
# Checks that the rebuild after the change writes what a cold build of the changed input
# writes.
#
#   benches/incremental.sh                        # KILN=target/debug/kiln for a debug build
#   KILN_BENCH_DIR=~/.cache/kiln-bench benches/incremental.sh
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=$(realpath "${KILN:-target/release/kiln}")
bench=${KILN_BENCH_DIR:-$HOME/.cache/kiln-bench}
[[ -f $bench/three10/entry.js ]] || { echo "run shared/bench/three10 once first (it prepares $bench/three10)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
cp -r "$bench"/three10/copy* "$bench/three10/entry.js" "$work/src/"

build() { # out-dir, extra args...; prints wall seconds
  local out=$1; shift
  /usr/bin/time -f '%e' -o "$work/.time" "$kiln" build "$work/src" --entry entry.js --sourcemap --quiet --out "$out" "$@"
  cat "$work/.time"
}
twins() { ls -l "$1"/assets/*.br "$1"/assets/*.gz | awk '{printf "%s %s  ", $9, $5}' | sed "s|$1/assets/||g"; echo; }

cold=$(build "$work/out")
echo "cold build:            ${cold} s"
twins "$work/out"
same=$(build "$work/out")
printf 'no-change rebuild:     %s s  (%.3f× cold)\n' "$same" "$(echo "$same / $cold" | bc -l)"
sed -i "s/^export const REVISION = '\(.*\)';/export const REVISION = '\1-edited';/" "$work/src/copy5/constants.js"
grep -q "edited" "$work/src/copy5/constants.js"
edit=$(build "$work/out")
printf 'one-line change:       %s s  (%.3f× cold)\n' "$edit" "$(echo "$edit / $cold" | bc -l)"
build "$work/cold" --no-cache > /dev/null
diff -r "$work/out" "$work/cold" > /dev/null && echo "the rebuild's output is byte-identical to a cold build of the changed input" \
  || { echo "the rebuild's output differs from a cold build" >&2; exit 1; }
