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
# Prints "wall_s cpu_s" of "$@" (cpu = user+sys of the command and its children: for glassbox
# that is the workload plus the recorder). Output of the command is discarded.
time_it() {
  local TIMEFORMAT='%R %U %S' out
  out=$( { time "$@" >/dev/null 2>&1; } 2>&1 ) || true
  awk '{printf "%.3f %.3f\n", $1, $2 + $3}' <<<"$out"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "workload: ${cmd[*]}"
echo "machine : $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"${cmd[@]}" >/dev/null 2>&1 || true   # warm the page cache
: >"$work/plain"; : >"$work/gb"; : >"$work/st"
for i in $(seq 1 "$runs"); do
  time_it "${cmd[@]}" >>"$work/plain"
  time_it "$glassbox" run -q --allow-loss --out "$work/t.jsonl" -- "${cmd[@]}" >>"$work/gb"
  time_it strace -f -qq -o /dev/null "${cmd[@]}" >>"$work/st"
  echo "  run $i (wall cpu, s): plain $(tail -1 "$work/plain"), glassbox $(tail -1 "$work/gb"), strace $(tail -1 "$work/st")"
done
pw=$(cut -d' ' -f1 "$work/plain" | median); pc=$(cut -d' ' -f2 "$work/plain" | median)
gw=$(cut -d' ' -f1 "$work/gb" | median); gc=$(cut -d' ' -f2 "$work/gb" | median)
sw=$(cut -d' ' -f1 "$work/st" | median); sc=$(cut -d' ' -f2 "$work/st" | median)
summary=$(tail -1 "$work/t.jsonl")
events=$(sed -E 's/.*"events":([0-9]+).*/\1/' <<<"$summary")
lost=$(sed -E 's/.*"lost":([0-9]+).*/\1/' <<<"$summary")
awk -v pw="$pw" -v gw="$gw" -v sw="$sw" -v pc="$pc" -v gc="$gc" -v sc="$sc" -v e="$events" -v l="$lost" 'BEGIN {
  printf "median wall: untraced %.3fs  glassbox %.3fs  strace -f %.3fs\n", pw, gw, sw;
  printf "wall ratio : glassbox %.2fx (%+.1f%%)  strace -f %.2fx (%+.1f%%)\n", gw/pw, (gw/pw-1)*100, sw/pw, (sw/pw-1)*100;
  printf "median cpu : untraced %.3fs  glassbox %.3fs  strace -f %.3fs  (user+sys, children included)\n", pc, gc, sc;
  printf "trace      : %d events (%.0f events/s of traced wall time), lost %d\n", e, e/gw, l }'

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
