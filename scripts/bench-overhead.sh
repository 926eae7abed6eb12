#!/usr/bin/env bash
# Recording overhead benchmark (issue #2 section 8, issue #3's re-run with every kind enabled: the
# recorder always records every kind). For each workload it runs the command untraced, under
# `glassbox run` and under `strace -f`, interleaved (so drift hits all three alike), RUNS times
# each (default 5), and prints the median wall times and ratios. The order turns round every
# round (untraced, glassbox, strace; then strace, glassbox, untraced), so the untraced run is
# always next to the glassbox run, and the median of the rounds' own glassbox/untraced ratios
# is printed too, with a 95% confidence interval (the sign test's), and their Hodges-Lehmann
# estimate with the Wilcoxon interval (scripts/bench-pool.py, which also pools runs): this VM's
# speed drifts by 10-30% within minutes, which moves the medians of the columns more than the
# overhead being measured, while two neighbouring runs drift little. Then the fixed start-up
# cost of `glassbox run` (BPF load and attach, median of 5), and the sustained recording
# throughput (events/s, lost) with the burst fixture. Figures go in docs/performance.md. Run as
# root.
#   scripts/bench-overhead.sh [RUNS]
#   env: BUILD_DIR (default build); WORKLOADS (default "clamscan grep"); BURST_OPENS (default
#        500000 per thread, 2 threads; 0 skips the burst); STRACE_RUNS (default RUNS: strace -f
#        only in the first N rounds; its ratio is far from the threshold, while the glassbox
#        ratio needs many rounds for a narrow confidence interval)
# Workloads, both file-heavy and real:
#   clamscan  an antivirus scan (what glassbox is for): clamscan with a one-signature local
#             database over /usr/share/doc: ~30k files opened, read and closed, ~10 s
#   grep      grep -r over /usr/share/{doc,man,locale}: the syscall-densest real workload we know
#             (~100k events/s untraced), under a second, so the start-up cost dominates its ratio
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
runs=${1:-5}
strace_runs=${STRACE_RUNS:-$runs}
build=${BUILD_DIR:-build}
glassbox=$PWD/$build/glassbox
burst=$PWD/$build/tests/fixtures/rec_actions
workloads=${WORKLOADS:-clamscan grep}
[[ $(id -u) -eq 0 ]] || { echo "bench: run as root" >&2; exit 77; }
[[ -x $glassbox ]] || { echo "bench: build glassbox first ($glassbox)" >&2; exit 2; }

work=$(mktemp -d /tmp/glassbox-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
make_bench_db "$work/db"

now_ns() { date +%s%N; }

echo "machine : $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for w in $workloads; do
  case $w in
    clamscan) cmd=(clamscan --no-summary -d "$work/db" -r /usr/share/doc) ;;
    grep) cmd=(grep -r -c -s glassbox-needle /usr/share/doc /usr/share/man /usr/share/locale) ;;
    *) echo "bench: unknown workload $w (clamscan, grep)" >&2; exit 2 ;;
  esac
  echo "workload: ${cmd[*]}"
  "${cmd[@]}" >/dev/null 2>&1 || true   # warm the page cache
  : >"$work/plain"; : >"$work/gb"; : >"$work/st"
  : >"$work/ratio"
  for i in $(seq 1 "$runs"); do
    plain() { time_it "${cmd[@]}" >>"$work/plain"; }
    traced() { if ((i <= strace_runs)); then time_it strace -f -qq -o /dev/null "${cmd[@]}" >>"$work/st"; fi; }
    if ((i % 2)); then plain; else traced; fi
    time_it "$glassbox" run -q --allow-loss --out "$work/t.jsonl" -- "${cmd[@]}" >>"$work/gb"
    if ((i % 2)); then traced; else plain; fi
    paste -d' ' <(tail -1 "$work/plain") <(tail -1 "$work/gb") | awk '{ print $3 / $1, $4 / $2 }' >>"$work/ratio"
    echo "  run $i (wall cpu, s): plain $(tail -1 "$work/plain"), glassbox $(tail -1 "$work/gb"), strace $( ((i <= strace_runs)) && tail -1 "$work/st" || echo -); glassbox/plain $(tail -1 "$work/ratio")"
  done
  rw=$(cut -d' ' -f1 "$work/ratio" | median); rc=$(cut -d' ' -f2 "$work/ratio" | median)
  read -r rlo rhi < <(cut -d' ' -f1 "$work/ratio" | median_ci)
  pw=$(cut -d' ' -f1 "$work/plain" | median); pc=$(cut -d' ' -f2 "$work/plain" | median)
  gw=$(cut -d' ' -f1 "$work/gb" | median); gc=$(cut -d' ' -f2 "$work/gb" | median)
  sw=$(cut -d' ' -f1 "$work/st" | median); sc=$(cut -d' ' -f2 "$work/st" | median)
  [[ -s $work/st ]] || { sw=0; sc=0; }   # STRACE_RUNS=0: printed as "not run"
  summary=$(tail -1 "$work/t.jsonl")
  events=$(field events <<<"$summary"); lost=$(field lost <<<"$summary")
  awk -v w="$w" -v pw="$pw" -v gw="$gw" -v sw="$sw" -v pc="$pc" -v gc="$gc" -v sc="$sc" -v e="$events" -v l="$lost" -v rw="$rw" -v rc="$rc" -v rlo="$rlo" -v rhi="$rhi" -v n="$runs" 'BEGIN {
    st = sw > 0 ? sprintf("%.3fs", sw) : "not run"; sr = sw > 0 ? sprintf("%.2fx (%+.1f%%)", sw/pw, (sw/pw-1)*100) : "not run";
    printf "[%s] median wall: untraced %.3fs  glassbox %.3fs  strace -f %s\n", w, pw, gw, st;
    printf "[%s] wall ratio : glassbox %.3fx (%+.1f%%)  strace -f %s\n", w, gw/pw, (gw/pw-1)*100, sr;
    printf "[%s] paired     : median of the rounds%s glassbox/untraced ratios: wall %+.1f%%, cpu %+.1f%%\n", w, "\047", (rw-1)*100, (rc-1)*100;
    if (rlo != "-") printf "[%s] paired     : 95%% confidence interval of that wall median (sign test, %d rounds): %+.1f%% .. %+.1f%%\n", w, n, (rlo-1)*100, (rhi-1)*100;
    sc_s = sw > 0 ? sprintf("%.3fs", sc) : "not run";
    printf "[%s] median cpu : untraced %.3fs  glassbox %.3fs  strace -f %s  (user+sys, children included)\n", w, pc, gc, sc_s;
    printf "[%s] trace      : %d events (%.0f events/s of traced wall time), lost %d\n", w, e, e/gw, l }'
  # The estimator the pooled figures in docs/performance.md use (scripts/bench-pool.py: the
  # Hodges-Lehmann estimate with the Wilcoxon interval), for this run's rounds alone.
  echo "[$w] paired     : $(cut -d' ' -f1 "$work/ratio" | python3 scripts/bench-pool.py --hl) (Hodges-Lehmann, Wilcoxon)"
done

# Fixed start-up: loading and attaching the BPF programs before the command starts.
: >"$work/start"
for i in 1 2 3 4 5; do time_it "$glassbox" run -q --out "$work/t.jsonl" -- true >>"$work/start"; done
echo "start-up   : glassbox run -- true, median wall $(cut -d' ' -f1 "$work/start" | median)s"

# Sustained throughput: 2 threads x N open+close of one file, as fast as the CPUs allow.
n=${BURST_OPENS:-500000}
if [[ -x $burst && $n -gt 0 ]]; then
  touch "$work/f"
  t0=$(now_ns)
  "$glassbox" run -q --allow-loss --out "$work/burst.jsonl" -- "$burst" burst 2 "$n" "$work/f" || true
  t1=$(now_ns)
  summary=$(tail -1 "$work/burst.jsonl")
  events=$(field events <<<"$summary"); lost=$(field lost <<<"$summary"); dur=$(field duration_ns <<<"$summary")
  t2=$(now_ns)
  "$burst" burst 2 "$n" "$work/f"
  t3=$(now_ns)
  # "of recording": from the start to the last record's kernel timestamp, i.e. the rate the
  # events were captured at. "wall" also includes start-up and formatting the lines that were
  # still spooled when the command ended (see docs/recording.md, "Draining and formatting").
  awk -v e="$events" -v d="$dur" -v l="$lost" -v w=$((t1 - t0)) -v u=$((t3 - t2)) -v la="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
    printf "burst      : %d events in %.3fs of recording = %.0f events/s, lost %d (wall %.3fs; the same burst untraced: %.3fs = %.0f syscalls/s; load average %s)\n", e, d/1e9, e/(d/1e9), l, w/1e9, u/1e9, e/(u/1e9), la }'
fi
