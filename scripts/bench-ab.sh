#!/usr/bin/env bash
# Side-by-side comparison of two glassbox builds (before/after a recorder change): the burst
# (events/s captured, lost), the fixed start-up and the clamscan workload, with the untraced run,
# old and new alternated in every round so that the VM's drift hits all three alike (for clamscan
# the order turns round every round, and the script prints the median of each round's own ratios
# with a 95% confidence interval). Figures go in docs/performance.md ("side by side"). Run as
# root, after building both.
#   usage: scripts/bench-ab.sh OLD_GLASSBOX NEW_GLASSBOX [ROUNDS]   (default 3)
#   env: BURST (rec_actions fixture; default build/tests/fixtures/rec_actions), BURST_OPENS
#        (per thread, default 500000), CLAMSCAN_ROUNDS (default 5; 0 skips), START_ROUNDS (8);
#        ROUNDS 0 skips the burst
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
[[ $# -ge 2 ]] || { sed -n 2,8p "$0" >&2; exit 2; }
old=$1 new=$2 rounds=${3:-3}
burst=${BURST:-$PWD/build/tests/fixtures/rec_actions}
n=${BURST_OPENS:-500000}
[[ $(id -u) -eq 0 ]] || { echo "bench-ab: run as root" >&2; exit 77; }
for b in "$old" "$new" "$burst"; do [[ -x $b ]] || { echo "bench-ab: not executable: $b" >&2; exit 2; }; done

work=$(mktemp -d /tmp/glassbox-bench-ab.XXXXXX)
trap 'rm -rf "$work"' EXIT
touch "$work/f"
make_bench_db "$work/db"

# "EVENTS ev in S s = R/s lost L" from a trace's summary line.
capture() {
  tail -1 "$1" | python3 -c 'import json, sys
j = json.load(sys.stdin); d = j["duration_ns"] / 1e9
print("%d ev in %.3fs = %.0f/s lost %d" % (j["events"], d, j["events"] / d, j["lost"]))'
}
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "machine : $(nproc) CPUs, $(uname -r), load average $(load)"
echo "old     : $old"
echo "new     : $new"
echo "burst   : $burst burst 2 $n (capture rate = events / the summary's duration_ns)"
for i in $(seq 1 "$rounds"); do
  plain=$(time_it "$burst" burst 2 "$n" "$work/f")
  o=$(time_it "$old" run -q --allow-loss --out "$work/o.jsonl" -- "$burst" burst 2 "$n" "$work/f")
  oc=$(capture "$work/o.jsonl")
  w=$(time_it "$new" run -q --allow-loss --out "$work/n.jsonl" -- "$burst" burst 2 "$n" "$work/f")
  nc=$(capture "$work/n.jsonl")
  echo "  round $i: untraced ${plain%% *}s | old wall ${o%% *}s, $oc | new wall ${w%% *}s, $nc | load $(load)"
done

echo "start-up: glassbox run -q -- true (wall cpu)"
for i in $(seq 1 "${START_ROUNDS:-8}"); do
  echo "  round $i: old $(time_it "$old" run -q --out "$work/o.jsonl" -- true) new $(time_it "$new" run -q --out "$work/n.jsonl" -- true)"
done

cr=${CLAMSCAN_ROUNDS:-5}
if [[ $cr -gt 0 ]] && command -v clamscan >/dev/null; then
  cmd=(clamscan --no-summary -d "$work/db" -r /usr/share/doc)
  echo "clamscan: ${cmd[*]} (wall cpu; the order turns round every round, untraced next to both)"
  "${cmd[@]}" >/dev/null 2>&1 || true # warm the page cache
  for i in $(seq 1 "$cr"); do
    declare -A r=()
    order=(untraced old new)
    ((i % 2 == 0)) && order=(new old untraced)
    for o in "${order[@]}"; do
      case $o in
        untraced) r[$o]=$(time_it "${cmd[@]}") ;;
        old) r[$o]=$(time_it "$old" run -q --out "$work/o.jsonl" -- "${cmd[@]}") ;;
        new) r[$o]=$(time_it "$new" run -q --out "$work/n.jsonl" -- "${cmd[@]}") ;;
      esac
    done
    echo "  round $i: untraced ${r[untraced]} old ${r[old]} new ${r[new]} load $(load)" | tee -a "$work/clam"
  done
  # Each round's own ratios (wall): old/untraced, new/untraced, new/old.
  for pair in "old 7 4" "new 10 4" "new/old 10 7"; do
    set -- $pair
    awk -v a="$2" -v b="$3" '{ print $a / $b }' "$work/clam" >"$work/ratios"
    ci=$(median_ci <"$work/ratios")
    awk -v name="$1" -v n="$cr" -v m="$(median <"$work/ratios")" -v lo="${ci% *}" -v hi="${ci#* }" 'BEGIN {
      printf "  paired wall %-18s median %+.1f%%", (name == "new/old" ? "new against old" : name " against untraced"), (m - 1) * 100
      if (lo == "-") printf " (too few rounds for an interval)\n"
      else printf ", 95%% CI %+.1f%% .. %+.1f%% (sign test, %d rounds)\n", (lo - 1) * 100, (hi - 1) * 100, n }'
  done
fi
echo "load average after: $(load)"
