#!/usr/bin/env bash
# Output sizes of the real-app corpus (tests/integration/corpus.rs), kiln beside Vite 8: runs the
# corpus tests (which build every app both ways and compare them in Chromium) and prints the JS
# and CSS bytes of each output, raw and gzip -9, as a Markdown table.
#
#   benches/corpus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=$(mktemp)
KILN_CORPUS_SIZES=$sizes cargo test --quiet --test integration corpus_ >/dev/null
echo "| App | JS kiln | JS Vite | JS gzip kiln | JS gzip Vite | CSS kiln | CSS Vite | CSS gzip kiln | CSS gzip Vite |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
sort "$sizes" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $6, $3, $7, $4, $8, $5, $9 }'
rm -f "$sizes"
