#!/usr/bin/env bash
# Two CI runners sharing the remote build cache (a local Garage server), on three.js ×10 with
# source maps and the default twins: runner 1 starts with an empty local cache and an empty
# bucket, runner 2 with an empty local cache and what runner 1 uploaded. Prints both wall
# times, their ratio, the remote cache's figures from each report, and checks that both
# outputs are byte-identical.
#
#   cargo build --release && benches/remote_cache.sh      # needs garage (cargo install garage --locked)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
KILN=${KILN:-$here/target/release/kiln}
bench=${KILN_BENCH_DIR:-$HOME/.cache/kiln-bench}
[[ -f $bench/three10/entry.js ]] || { echo "run shared/bench/three10 once first (it prepares $bench/three10)" >&2; exit 2; }
work=$(mktemp -d)
trap 'garage_stop; rm -rf "$work"' EXIT
. "$here/benches/garage.sh"
garage_bucket cache
eval "$("$KILN" cache keygen | sed 's/^/export /')"

cp -r "$bench/three10" "$work/src"
runner() { # name: a build with an empty local cache; prints its wall seconds
  local name=$1
  printf 'cache_dir = "%s"\n[cache]\nremote = "s3://cache/three10"\nendpoint = "http://127.0.0.1:%s"\n' "$work/$name-cache" "$s3" > "$work/$name.toml"
  /usr/bin/time -f '%e' -o "$work/$name.time" "$KILN" build "$work/src" --config "$work/$name.toml" --entry entry.js --sourcemap \
    --out "$work/$name-out" --quiet --json "$work/$name.json"
  cat "$work/$name.time"
}
first=$(runner one)
second=$(runner two)
printf 'runner 1 (empty bucket):       %s s\n' "$first"
printf 'runner 2 (what runner 1 left): %s s  (%.3f× runner 1)\n' "$second" "$(echo "$second / $first" | bc -l)"
for r in one two; do
  python3 -c "import json,sys; print('$r', json.dumps(json.load(open(sys.argv[1]))['cache']['remote']))" "$work/$r.json"
done
diff -r "$work/one-out" "$work/two-out" >/dev/null && echo "both runners wrote byte-identical output" \
  || { echo "the runners' outputs differ" >&2; exit 1; }
