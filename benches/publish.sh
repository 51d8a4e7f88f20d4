#!/usr/bin/env bash
# Publishing 10,000 small files to a local Garage server, then re-publishing with no change:
# kiln publish beside `aws s3 sync` (awscli from PyPI: pip install awscli) on the same files,
# each into its own bucket. Starts Garage on free loopback ports in a temporary folder.
#
#   cargo build --release && cargo install garage --locked && benches/publish.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
KILN=${KILN:-$here/target/release/kiln}
N=${N:-10000}
command -v aws >/dev/null || { echo "awscli missing: pip install awscli" >&2; exit 2; }
work=$(mktemp -d)
trap 'garage_stop; rm -rf "$work"' EXIT
. "$here/benches/garage.sh"
for b in kiln awscli; do garage_bucket $b; done

# The output: N small hashed files listed in a manifest, and a page.
python3 - "$work/out" "$N" <<'PY'
import json, os, sys
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{out}/assets", exist_ok=True)
manifest = {}
for i in range(n):
    name = f"assets/f{i:05d}.{i:08x}.txt"
    with open(f"{out}/{name}", "w") as f:
        f.write(f"file {i}\n" * 20)
    manifest[f"f{i:05d}.txt"] = {"file": name, "src": f"f{i:05d}.txt"}
with open(f"{out}/index.html", "w") as f:
    f.write("<!doctype html><title>bench</title>")
with open(f"{out}/manifest.json", "w") as f:
    json.dump(manifest, f)
PY
t() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc; }
# Twins off (encoding = "none"), so both tools upload the same N+2 files.
cat > "$work/kiln.toml" <<'TOML'
[publish]
encoding = "none"
concurrency = 16
TOML
cd "$work"
k1=$(t "$KILN" publish "$work/out" --to s3://kiln --endpoint "http://127.0.0.1:$s3" -q)
k2=$(t "$KILN" publish "$work/out" --to s3://kiln --endpoint "http://127.0.0.1:$s3" -q)
a1=$(t aws --endpoint-url "http://127.0.0.1:$s3" s3 sync "$work/out" s3://awscli --only-show-errors)
a2=$(t aws --endpoint-url "http://127.0.0.1:$s3" s3 sync "$work/out" s3://awscli --only-show-errors)
printf '%-28s %10s %14s\n' tool first_s no_change_s
printf '%-28s %10.2f %14.2f\n' "kiln publish" "$k1" "$k2"
printf '%-28s %10.2f %14.2f\n' "aws s3 sync (awscli 1.x)" "$a1" "$a2"
printf 'ratio aws/kiln: first %.2f, no change %.2f\n' "$(echo "$a1 / $k1" | bc -l)" "$(echo "$a2 / $k2" | bc -l)"
