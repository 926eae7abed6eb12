#!/usr/bin/env bash
# Recording overhead benchmark: runs a file-heavy real workload untraced, under `glassbox run` and
# under `strace -f`, interleaved (so drift hits all three alike), RUNS times each (default 5),
# and prints the median wall times and the ratios. Then measures sustained recording throughput
# (events/s, lost) with the burst fixture. Figures go in docs/performance.md. Run as root.
#   scripts/bench-overhead.sh [RUNS]      env: BUILD_DIR (default build), WORKLOAD (grep|clamscan)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
build=${BUILD_DIR:-build}
glassbox=$PWD/$build/glassbox
burst=$PWD/$build/tests/fixtures/rec_actions
workload=${WORKLOAD:-grep}
[[ $(id -u) -eq 0 ]] || { echo "bench: run as root" >&2; exit 77; }
[[ -x $glassbox ]] || { echo "bench: build glassbox first ($glassbox)" >&2; exit 2; }

work=$(mktemp -d /tmp/glassbox-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
case $workload in
  grep) # every file of /usr/share/doc and /usr/share/man opened and read
    cmd=(grep -r -c -s glassbox-needle /usr/share/doc /usr/share/man /usr/share/locale) ;;
  clamscan) # a real AV scan with a tiny local DB (CPU-heavier)
    mkdir -p "$work/db"; echo "Glassbox.Bench:0:*:676c617373626f782d62656e6368" >"$work/db/b.ndb"
    cmd=(clamscan --no-summary -d "$work/db" -r /usr/share/doc) ;;
  *) echo "bench: WORKLOAD must be grep or clamscan" >&2; exit 2 ;;
esac

now_ns() { date +%s%N; }
time_it() { # prints elapsed ns of "$@", output discarded
  local t0 t1; t0=$(now_ns); "$@" >/dev/null 2>&1 || true; t1=$(now_ns); echo $((t1 - t0)); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

echo "workload: ${cmd[*]}"
echo "machine : $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
"${cmd[@]}" >/dev/null 2>&1 || true   # warm the page cache
: >"$work/plain"; : >"$work/gb"; : >"$work/st"
for i in $(seq 1 "$runs"); do
  time_it "${cmd[@]}" >>"$work/plain"
  time_it "$glassbox" run -q --allow-loss --out "$work/t.jsonl" -- "${cmd[@]}" >>"$work/gb"
  cp "$work/t.jsonl" "$work/last.jsonl" 2>/dev/null || true
  time_it strace -f -qq -o /dev/null "${cmd[@]}" >>"$work/st"
  echo "  run $i: plain $(tail -1 "$work/plain") ns, glassbox $(tail -1 "$work/gb") ns, strace $(tail -1 "$work/st") ns"
done
p=$(median <"$work/plain"); g=$(median <"$work/gb"); s=$(median <"$work/st")
summary=$(tail -1 "$work/last.jsonl")
events=$(sed -E 's/.*"events":([0-9]+).*/\1/' <<<"$summary")
lost=$(sed -E 's/.*"lost":([0-9]+).*/\1/' <<<"$summary")
awk -v p="$p" -v g="$g" -v s="$s" -v e="$events" -v l="$lost" 'BEGIN {
  printf "median wall: untraced %.3fs  glassbox %.3fs  strace -f %.3fs\n", p/1e9, g/1e9, s/1e9;
  printf "overhead   : glassbox %+.1f%%  strace -f %+.1f%%\n", (g/p-1)*100, (s/p-1)*100;
  printf "trace      : %d events (%.0f events/s of workload), lost %d\n", e, e/(g/1e9), l }'

# Sustained throughput: 2 threads x N open+close of one file, as fast as the CPU allows.
n=${BURST_OPENS:-500000}
if [[ -x $burst ]]; then
  touch "$work/f"
  t0=$(now_ns)
  "$glassbox" run -q --allow-loss --out "$work/burst.jsonl" -- "$burst" burst 2 "$n" "$work/f" || true
  t1=$(now_ns)
  summary=$(tail -1 "$work/burst.jsonl")
  events=$(sed -E 's/.*"events":([0-9]+).*/\1/' <<<"$summary")
  lost=$(sed -E 's/.*"lost":([0-9]+).*/\1/' <<<"$summary")
  dur=$(sed -E 's/.*"duration_ns":([0-9]+).*/\1/' <<<"$summary")
  awk -v e="$events" -v d="$dur" -v l="$lost" -v w=$((t1 - t0)) 'BEGIN {
    printf "burst      : %d events in %.3fs of recording = %.0f events/s, lost %d (wall %.3fs)\n", e, d/1e9, e/(d/1e9), l, w/1e9 }'
fi
