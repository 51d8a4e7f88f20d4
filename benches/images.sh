#!/usr/bin/env bash
# Image optimisation on real files: 300 PNG emoji from npm (emoji-datasource-twitter, 64 px),
# shown by one page. kiln (cold with --no-cache, then with an empty and a warm cache) beside
# the oxipng command-line tool at the same level (2, --strip safe) on the same files, two at a
# time. Prints bytes before/after and seconds.
#
#   cargo build --release && cargo install oxipng --locked && benches/images.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
KILN=${KILN:-$here/target/release/kiln}
OXIPNG=${OXIPNG:-$(command -v oxipng || echo "$HOME/.cargo/bin/oxipng")}
N=${N:-300}
WORK=${KILN_BENCH_DIR:-$HOME/.cache/kiln-bench}/images
mkdir -p "$WORK" && cd "$WORK"
if [[ ! -d node_modules/emoji-datasource-twitter/img/twitter/64 ]]; then
  [[ -f package.json ]] || echo '{"private":true}' > package.json
  npm install --no-audit --no-fund --silent emoji-datasource-twitter@15.1.2 >/dev/null
fi
[[ -x "$OXIPNG" ]] || { echo "oxipng not found: cargo install oxipng --locked" >&2; exit 2; }
rm -rf site out-* oxi .cache-bench && mkdir -p site/img oxi
mapfile -t files < <(printf '%s\n' node_modules/emoji-datasource-twitter/img/twitter/64/*.png | sort | sed -n "1,${N}p")
cp "${files[@]}" site/img/
{ echo '<!doctype html><title>emoji</title>'; for f in site/img/*.png; do echo "<img src=\"img/$(basename "$f")\" alt>"; done; } > site/index.html
printf 'cache_dir = "%s"\n' "$WORK/.cache-bench" > site/kiln.toml
before=$(cat site/img/*.png | wc -c)
t() { local s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc; }
cold=$(t "$KILN" build site --out out-cold --no-cache --no-compress --no-budgets -q)
empty=$(t "$KILN" build site --out out-empty --no-compress --no-budgets -q)
warm=$(t "$KILN" build site --out out-warm --no-compress --no-budgets -q)
after=$(find out-cold/assets -name '*.png' -exec cat {} + | wc -c)
cp site/img/*.png oxi/
oxi_t=$(t bash -c "ls oxi/*.png | xargs -n 25 -P 2 '$OXIPNG' -o 2 --strip safe -q")
oxi_after=$(cat oxi/*.png | wc -c)
printf '%-32s %12s %12s %9s\n' tool bytes_before bytes_after seconds
printf '%-32s %12d %12d %9.2f\n' "kiln, --no-cache" "$before" "$after" "$cold"
printf '%-32s %12d %12d %9.2f\n' "kiln, empty cache" "$before" "$after" "$empty"
printf '%-32s %12d %12d %9.2f\n' "kiln, warm cache" "$before" "$after" "$warm"
printf '%-32s %12d %12d %9.2f\n' "oxipng -o 2 --strip safe (-P 2)" "$before" "$oxi_after" "$oxi_t"
