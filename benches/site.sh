#!/usr/bin/env bash
# Whole-build benchmark: a generated site of about 5,000 files (benches/gen_site.py), built by
# kiln, next to gzip -9 and brotli -q 11 run over the same output files (two at a time, as
# kiln uses both cores here). Prints wall time and peak memory.
#
#   cargo build --release && benches/site.sh            # N=5000 RUNS=3 by default
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
KILN=${KILN:-$here/target/release/kiln}
N=${N:-5000}
RUNS=${RUNS:-3}
WORK=${KILN_BENCH_DIR:-$HOME/.cache/kiln-bench}/site$N
[[ -x $KILN ]] || { echo "no kiln binary at $KILN: run cargo build --release" >&2; exit 2; }
command -v brotli >/dev/null || { apt-get update -qq && apt-get install -y -qq brotli >/dev/null; }
if [[ ! -d $WORK/src ]]; then
  mkdir -p "$WORK" && python3 "$here/benches/gen_site.py" "$WORK/src" "$N"
fi
timed() { /usr/bin/time -f '%e %M' -o "$WORK/.time" "$@" >/dev/null 2>"$WORK/.err" || { cat "$WORK/.err" >&2; return 1; }; cat "$WORK/.time"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

walls=(); mems=()
for _ in $(seq 1 "$RUNS"); do
  read -r w m < <(timed "$KILN" build "$WORK/src" --out "$WORK/out" --quiet)
  walls+=("$w"); mems+=("$m")
done
kiln_wall=$(printf '%s\n' "${walls[@]}" | median); kiln_mem=$(printf '%s\n' "${mems[@]}" | median)
read -r w m < <(timed "$KILN" build "$WORK/src" --out "$WORK/out-nc" --quiet --no-compress)

# The files kiln compressed: those with a .br twin, copied aside so the tools see the same input.
rm -rf "$WORK/cmp" && mkdir -p "$WORK/cmp"
(cd "$WORK/out" && find . -name '*.br' | sed 's/\.br$//' | while read -r f; do mkdir -p "$WORK/cmp/$(dirname "$f")"; cp "$f" "$WORK/cmp/$f"; done)
files=$(find "$WORK/cmp" -type f | wc -l); bytes=$(find "$WORK/cmp" -type f -exec cat {} + | wc -c)
read -r gz_w _ < <(timed bash -c "find '$WORK/cmp' -type f ! -name '*.gz' ! -name '*.br' -print0 | xargs -0 -P2 -n50 gzip -9 -k -f -n")
read -r br_w _ < <(timed bash -c "find '$WORK/cmp' -type f ! -name '*.gz' ! -name '*.br' -print0 | xargs -0 -P2 -n50 brotli -q 11 -k -f")
total_out=$(find "$WORK/out" -type f ! -name '*.gz' ! -name '*.br' | wc -l)
printf 'site: %s source files -> %s output files (+ twins); %s text files, %s bytes compressed\n' "$(find "$WORK/src" -type f | wc -l)" "$total_out" "$files" "$bytes"
printf '%-34s %8s %9s\n' step wall_s peak_MiB
printf '%-34s %8s %9d\n' "kiln build (all stages)" "$kiln_wall" $((kiln_mem / 1024))
printf '%-34s %8s %9d\n' "kiln build --no-compress" "$w" $((m / 1024))
printf '%-34s %8s %9s\n' "gzip -9, same files, 2 at a time" "$gz_w" -
printf '%-34s %8s %9s\n' "brotli -q 11, same files, 2 at a time" "$br_w" -
