#!/usr/bin/env bash
# Compression-dictionary deltas (docs/deltas.md), measured the way a returning visitor meets
# them: deploy N of an app is built and served by `kiln serve`, headless Chromium loads it, the
# app gets a one-line change and deploy N+1 is built over N's output, and the same Chromium
# loads the page again (tests/corpus/delta.mjs). Prints, from Chromium's own count of the body
# bytes received, what the changed chunk cost against its Brotli twin; then the build of
# deploy N+1 over N (no build cache) with deltas and with `[delta] enabled = false`, median
# wall time of RUNS runs each, run in turn, and the ratio pair by pair.
#
# The apps: three.js ×10 (ten copies of three.js behind one page, the benchmark of
# ../shared-style bundler comparisons, from ~/.cache/kiln-bench as benches/speed.sh sets it up)
# and the React starter (create-vite's template, from tests/corpus).
#
#   benches/deltas.sh                    # KILN=target/debug/kiln to try a debug build
#   RUNS=5 benches/deltas.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
kiln=$(realpath "${KILN:-target/release/kiln}")
RUNS=${RUNS:-3}
work=$(mktemp -d)
trap 'pkill -f "kiln serve $work" || true; rm -rf "$work"' EXIT
# shellcheck source=benches/lib.sh
source "$repo/benches/lib.sh"
[[ -d tests/corpus/node_modules/playwright-core ]] || (cd tests/corpus && npm ci --no-audit --no-fund --silent)

# three.js ×10 as a page: the entry's ten namespaces, and the revision the change edits.
bench=${KILN_BENCH_DIR:-$HOME/.cache/kiln-bench}
if [[ ! -d $bench/node_modules/three ]]; then
  mkdir -p "$bench" && (cd "$bench" && { [[ -f package.json ]] || echo '{"private":true}' > package.json; } &&
    npm install --no-audit --no-fund --silent three@0.187.0 >/dev/null)
fi
three=$work/three10
mkdir -p "$three"
for i in $(seq 1 10); do
  cp -r "$bench/node_modules/three/src" "$three/copy$i"
  echo "import * as copy$i from './copy$i/Three.js'; export {copy$i}" >> "$three/entry.js"
done
cat > "$three/index.html" <<'HTML'
<!doctype html><title>three.js x10</title><link rel=icon href="data:,">
<script type="module">import * as t from './entry.js'; document.body.textContent = `${Object.keys(t).length} copies, revision ${t.copy5.REVISION}`;</script>
HTML
three_change=(copy5/constants.js "export const REVISION = '\\([0-9]*\\)';" "export const REVISION = '\\1-dev';")

# The React starter, beside the corpus's apps so that its node_modules link stays inside the
# corpus's workspace.
react=$repo/tests/corpus/work/bench-deltas-react
rm -rf "$react" && cp -r tests/corpus/node_modules/create-vite/template-react "$react"
rm -f "$react/vite.config.js" && ln -s ../../node_modules "$react/node_modules"
react_change=(src/App.jsx "Your questions, answered" "Your questions, all answered")

# measure NAME APP FILE FROM TO: the returning visit, then the timings.
measure() {
  local name=$1 app=$2 file=$3 from=$4 to=$5
  local out=$work/$name-out
  "$kiln" build "$app" --out "$out" --no-cache -q --no-budgets
  cp -r "$out" "$work/$name-N"
  "$kiln" serve "$out" --port 0 > "$work/$name.serve" &
  local tries=0
  until grep -q 'http://' "$work/$name.serve"; do sleep 0.1; tries=$((tries + 1)); [[ $tries -lt 100 ]]; done
  local url; url=$(grep -o 'http://[^ ]*' "$work/$name.serve" | sed 's/127.0.0.1/localhost/')
  node tests/corpus/delta.mjs "$work/$name-profile" "$url" -- sh -c \
    "sed -i \"s|$from|$to|\" '$app/$file' && '$kiln' build '$app' --out '$out' --no-cache -q --no-budgets" > "$work/$name.json"
  node -e "
    const [first, second] = JSON.parse(require('fs').readFileSync('$work/$name.json', 'utf8'));
    const m = JSON.parse(require('fs').readFileSync('$out/manifest.json', 'utf8'));
    for (const [src, e] of Object.entries(m)) {
      if (!e.deltas) continue;
      const r = second.responses.find((x) => x.path === '/' + e.file);
      if (!r) continue;
      const twin = e.brotli ?? e.size;
      console.log(\`\${e.file}: Chromium received \${r.body} B as \${r.encoding}; its Brotli twin is \${twin} B (\${(100 * r.body / twin).toFixed(2)} %)\`);
    }
    const errors = [...first.console, ...second.console].filter((l) => /^(error|pageerror)/.test(l));
    if (errors.length + first.failed.length + second.failed.length) console.log('errors:', errors, first.failed, second.failed);
    console.log('page after the change:', JSON.stringify(second.text.slice(0, 80)));
  "
  pkill -f "kiln serve $out" || true
  # Deploy N+1 built over N, with and without deltas (a copy of the project with them off).
  local off=$app-off
  rm -rf "$off" && cp -a "$app" "$off"
  printf '\n[delta]\nenabled = false\n' >> "$off/kiln.toml"
  paired "$name: N+1 over N, deltas" "rm -rf '$out' && cp -r '$work/$name-N' '$out' && '$kiln' build '$app' --out '$out' --no-cache -q --no-budgets" \
    "$name: N+1 over N, no deltas" "rm -rf '$out' && cp -r '$work/$name-N' '$out' && '$kiln' build '$off' --out '$out' --no-cache -q --no-budgets"
}

echo "## three.js ×10 (median of $RUNS)"
measure three10 "$three" "${three_change[@]}"
echo
echo "## the React starter (median of $RUNS)"
measure react "$react" "${react_change[@]}"
rm -rf "$react" "$react-off"
