#!/usr/bin/env bash
# CSS pruning on a public framework: Bootstrap (from npm) on a page that uses a handful of its
# classes, built with and without `css.prune`. Prints the CSS bytes (raw, gzip, Brotli twins).
#
#   cargo build --release && benches/prune.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
KILN=${KILN:-$here/target/release/kiln}
WORK=${KILN_BENCH_DIR:-$HOME/.cache/kiln-bench}/prune
mkdir -p "$WORK" && cd "$WORK"
if [[ ! -f node_modules/bootstrap/dist/css/bootstrap.css ]]; then
  [[ -f package.json ]] || echo '{"private":true}' > package.json
  npm install --no-audit --no-fund --silent bootstrap@5.3.8 >/dev/null
fi
rm -rf site && mkdir -p site
cp node_modules/bootstrap/dist/css/bootstrap.css site/bootstrap.css
cat > site/index.html <<'HTML'
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="stylesheet" href="bootstrap.css"></head>
<body>
  <nav class="navbar navbar-expand-lg bg-body-tertiary"><div class="container"><a class="navbar-brand" href="#">Ember</a></div></nav>
  <main class="container py-4">
    <div class="row g-3">
      <div class="col-md-6"><div class="card"><div class="card-body"><h5 class="card-title">Sourdough</h5><p class="card-text">Fresh daily.</p><a class="btn btn-primary" href="#">Order</a></div></div></div>
      <div class="col-md-6"><div class="alert alert-warning" role="alert">Closed on Mondays.</div></div>
    </div>
  </main>
</body></html>
HTML
size() { find "$1/assets" -name '*.css' -exec cat {} + | wc -c; }
twin() { find "$1/assets" -name "*.css.$2" -exec cat {} + | wc -c; }
"$KILN" build site --out out-full --quiet --no-budgets
printf '[css]\nprune = true\n' > site/kiln.toml
"$KILN" build site --out out-pruned --quiet --no-budgets
printf '%-22s %10s %10s %10s\n' build css_bytes gzip brotli
printf '%-22s %10d %10d %10d\n' "bootstrap, minified" "$(size out-full)" "$(twin out-full gz)" "$(twin out-full br)"
printf '%-22s %10d %10d %10d\n' "bootstrap, pruned" "$(size out-pruned)" "$(twin out-pruned gz)" "$(twin out-pruned br)"
