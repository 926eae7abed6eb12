#!/usr/bin/env bash
# What recording adds to one syscall (docs/performance.md, "Where the overhead goes"). The fixture
# `rec_actions syscost N DIR` times N getppid, write to /dev/null, pread, fstatat (syscalls with no
# record, at most a byte count: the cost every syscall pays while the syscall tracepoints are on)
# and N/10 open+close pairs (two records: path resolution, ring buffer) and chmods (one). It
# runs untraced and under `glassbox run`, alternated, ROUNDS times each (default 7); the script
# prints the median ns per call of each and the difference. Multiplied by a workload's syscall and
# event counts this gives the steady-state part of its overhead; the fixed part is the start-up
# that bench-overhead.sh measures. Run as root.
#   scripts/bench-syscall-cost.sh [ROUNDS]     env: BUILD_DIR (default build), CALLS (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
rounds=${1:-7}
build=${BUILD_DIR:-build}
calls=${CALLS:-200000}
glassbox=$PWD/$build/glassbox
fixture=$PWD/$build/tests/fixtures/rec_actions
[[ $(id -u) -eq 0 ]] || { echo "bench: run as root" >&2; exit 77; }
[[ -x $glassbox && -x $fixture ]] || { echo "bench: build glassbox and its test fixtures first" >&2; exit 2; }
work=$(mktemp -d /tmp/glassbox-syscost.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "machine : $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); $calls calls per kind, $rounds rounds"
for i in $(seq 1 "$rounds"); do
  untraced() { echo "untraced $("$fixture" syscost "$calls" "$work")"; }
  traced() {
    "$glassbox" run -q --out "$work/t.jsonl" -- "$fixture" syscost "$calls" "$work" >"$work/out"
    echo "glassbox $(cat "$work/out") lost $(tail -1 "$work/t.jsonl" | field lost)"
  }
  if ((i % 2)); then untraced; traced; else traced; untraced; fi
done | tee "$work/log"
python3 - "$work/log" <<'P'
import statistics, sys
rows = {"untraced": [], "glassbox": []}
for line in open(sys.argv[1]):
    w = line.split()
    rows[w[0]].append({w[i]: float(w[i + 1]) for i in range(1, len(w) - 1, 2)})
kinds = ["getppid", "write", "pread", "fstatat", "open+close", "chmod"]
print(f"{'ns per call (median)':24s} {'untraced':>9s} {'glassbox':>9s} {'added':>8s}")
for k in kinds:
    u = statistics.median(r[k] for r in rows["untraced"])
    g = statistics.median(r[k] for r in rows["glassbox"])
    print(f"{k:24s} {u:9.0f} {g:9.0f} {g - u:+8.0f}")
print("lost in the traced runs:", int(sum(r.get("lost", 0) for r in rows["glassbox"])))
P
