# Sourced by the benchmarks that need an S3 server: starts Garage (GARAGE, else from PATH or
# ~/.cargo/bin) on free loopback ports in the folder $work (which the caller made, and whose
# removal the caller's EXIT trap does after `garage_stop`), with one node and a key whose
# credentials are exported as AWS_*; sets $s3 (the S3 API's port). `garage_bucket NAME`
# creates a bucket the key may read and write.
garage_pid=
garage_stop() { [[ -z $garage_pid ]] || kill "$garage_pid" 2>/dev/null || true; }
GARAGE=${GARAGE:-$(command -v garage || echo "$HOME/.cargo/bin/garage")}
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
garage_pid=$!
for _ in $(seq 100); do g status >/dev/null 2>&1 && break; sleep 0.1; done
node=$(g status | awk '/HEALTHY NODES/{getline; getline; print $1; exit}')
g layout assign -z dc1 -c 10G "$node" >/dev/null
g layout apply --version 1 >/dev/null
keyinfo=$(g key create bench)
export AWS_ACCESS_KEY_ID=$(echo "$keyinfo" | awk -F': *' '/Key ID/{print $2}')
export AWS_SECRET_ACCESS_KEY=$(echo "$keyinfo" | awk -F': *' '/Secret key/{print $2}')
export AWS_REGION=garage AWS_DEFAULT_REGION=garage AWS_EC2_METADATA_DISABLED=true
garage_bucket() { g bucket create "$1" >/dev/null; g bucket allow --read --write --owner "$1" --key bench >/dev/null; }
