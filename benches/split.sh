#!/usr/bin/env bash
# What each page loads at start (the page, its CSS, scripts and what they import statically,
# fonts), with code splitting on (the default) and off (`js.splitting = false`: each page's
# script is one bundle with every module it reaches, lazy routes inlined). Prints raw and
# Brotli bytes per page, from the build's JSON report.
#
#   cargo build --release && benches/split.sh [PROJECT]     # default: fixtures/site
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
KILN=${KILN:-$here/target/release/kiln}
project=${1:-$here/fixtures/site}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$project" "$work/on"
rm -rf "$work/on/dist"
cp -r "$work/on" "$work/off"
if grep -q '^\[js\]' "$work/off/kiln.toml" 2>/dev/null; then
  sed -i 's/^\[js\]/[js]\nsplitting = false/' "$work/off/kiln.toml"
else
  printf '\n[js]\nsplitting = false\n' >> "$work/off/kiln.toml"
fi
for mode in on off; do
  "$KILN" build "$work/$mode" --out "$work/$mode-out" --no-budgets -q --json "$work/$mode.json"
done
python3 - "$work/on.json" "$work/off.json" <<'PY'
import json, sys
def loads(path):
    r = json.load(open(path))
    files = {f["path"]: f for f in r["files"]}
    out = {}
    for p in r["pages"]:
        fs = [files[x] for x in p["initial"] if x in files]
        lazy = [files[x] for x in p.get("lazy", []) if x in files]
        out[p["page"]] = (sum(f["size"] for f in fs), sum(f.get("brotli") or f["size"] for f in fs),
                          len(fs), sum(f["size"] for f in lazy))
    return out
on, off = loads(sys.argv[1]), loads(sys.argv[2])
print(f"{'page':28} {'files':>5} {'raw off':>9} {'raw on':>9} {'br off':>8} {'br on':>8} {'lazy raw':>9}")
for page in sorted(on):
    a, b = off[page], on[page]
    print(f"{page:28} {b[2]:>5} {a[0]:>9} {b[0]:>9} {a[1]:>8} {b[1]:>8} {b[3]:>9}")
PY
