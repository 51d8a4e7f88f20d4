# Shared by the side-by-side scripts (sourced): `timed LABEL COMMAND...` runs COMMAND $RUNS
# times and prints the median wall time and peak memory; needs $work (a scratch folder).
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() {
  local label=$1; shift
  local walls=() mems=()
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$work/.time" "$@" >/dev/null 2>"$work/.err" || { cat "$work/.err" >&2; exit 1; }
    read -r w m < "$work/.time"; walls+=("$w"); mems+=("$m")
  done
  printf '%-34s %6s s  %6s MiB\n' "$label" "$(printf '%s\n' "${walls[@]}" | median)" \
    "$(( $(printf '%s\n' "${mems[@]}" | median) / 1024 ))"
}
# `paired LABEL_A COMMAND_A LABEL_B COMMAND_B` (each command one string, run by sh -c): A and B
# in turn, $RUNS times each, so a machine drifting in speed moves both alike; prints each
# median wall time and the median of the pairs' ratios A/B.
paired() {
  local la=$1 ca=$2 lb=$3 cb=$4 wa=() wb=() ratios=()
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e' -o "$work/.time" sh -c "$ca" >/dev/null 2>"$work/.err" || { cat "$work/.err" >&2; exit 1; }
    local a; a=$(cat "$work/.time")
    /usr/bin/time -f '%e' -o "$work/.time" sh -c "$cb" >/dev/null 2>"$work/.err" || { cat "$work/.err" >&2; exit 1; }
    local b; b=$(cat "$work/.time")
    wa+=("$a"); wb+=("$b"); ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", a / b}')")
  done
  printf '%-34s %6s s\n' "$la" "$(printf '%s\n' "${wa[@]}" | median)"
  printf '%-34s %6s s\n' "$lb" "$(printf '%s\n' "${wb[@]}" | median)"
  printf '%-34s %6s\n' "ratio, pair by pair" "$(printf '%s\n' "${ratios[@]}" | median)"
}
