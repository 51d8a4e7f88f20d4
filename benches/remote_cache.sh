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
GARAGE=${GARAGE:-$(command -v garage || echo "$HOME/.cargo/bin/garage")}
bench=${KILN_BENCH_DIR:-$HOME/.cache/kiln-bench}
[[ -f $bench/three10/entry.js ]] || { echo "run shared/bench/three10 once first (it prepares $bench/three10)" >&2; exit 2; }
work=$(mktemp -d)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rpc=$(port); s3=$(port); admin=$(port)
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat > "$work/garage.toml" <<TOML
metadata_dir = "$work/meta"
data_dir = "$work/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$rpc"
rpc_public_addr = "127.0.0.1:$rpc"
rpc_secret = "$secret"
[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$s3"
root_domain = ".s3.garage.localhost"
[admin]
api_bind_addr = "127.0.0.1:$admin"
admin_token = "$secret"
TOML
chmod 600 "$work/garage.toml"
g() { "$GARAGE" -c "$work/garage.toml" "$@"; }
"$GARAGE" -c "$work/garage.toml" server >"$work/garage.log" 2>&1 &
gpid=$!
trap 'kill $gpid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do g status >/dev/null 2>&1 && break; sleep 0.1; done
node=$(g status | awk '/HEALTHY NODES/{getline; getline; print $1; exit}')
g layout assign -z dc1 -c 10G "$node" >/dev/null
g layout apply --version 1 >/dev/null
keyinfo=$(g key create bench)
export AWS_ACCESS_KEY_ID=$(echo "$keyinfo" | awk -F': *' '/Key ID/{print $2}')
export AWS_SECRET_ACCESS_KEY=$(echo "$keyinfo" | awk -F': *' '/Secret key/{print $2}')
export AWS_REGION=garage AWS_EC2_METADATA_DISABLED=true
g bucket create cache >/dev/null
g bucket allow --read --write --owner cache --key bench >/dev/null
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
