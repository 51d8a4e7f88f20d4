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
