#!/usr/bin/env bash
# Durability window benchmark (issue #15 point 3; docs/recording.md, "Durability"): how old an
# event can be and still be lost when glassbox is SIGKILLed. For each workload it starts
# `glassbox run`, sends glassbox SIGKILL after a random delay, and measures the gap between the
# kill's wall clock and the newest event in FILE.partial (the header's start_ns plus the event's
# ts, docs/trace-format.md): every event lost with glassbox is younger than that gap, so its
# distribution bounds the window from above. It also runs `glassbox verify` on the partial file
# and checks that the traced tree died with glassbox, then prints median / p90 / max per
# workload with the load average. Figures go in docs/performance.md, "Durability window".
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
Usage: scripts/bench-durability.sh [KILLS]          (root; KILLS per workload, default 10)

Measures the durability window of a recording: glassbox writes each event to the trace file
(FILE.partial while recording) some time after the traced program made it; whatever is still
in glassbox's memory (spool, formatter, writer buffer) dies with a SIGKILL of glassbox; what is
still in the kernel's ring buffer, its watchdog appends to the file after the kill. For each
kill the script prints the gap between the kill and the newest event glassbox itself wrote (an
upper bound of the age of any event lost with glassbox's memory; the watchdog's block after it
is counted separately) and the same for the newest such event that the hash chain verifies
(its last checkpoint), how many events the watchdog appended, the outcome of `glassbox verify FILE.partial`
(expected: exit 4, partial), and how soon the traced tree was gone: under the default
--protect pidns the kernel kills the tree's pid namespace when glassbox dies; a tree still
alive 3 s after the kill is reported as LEFTOVER, killed (cgroup.kill) and makes the script
exit 1. A kill that lands before the trace header is on disk, or after the workload ended, is
retried and not counted; one that leaves the header alone on disk counts, with the gap from the
recording's start (everything was lost). Nothing goes over the network; the traces and the
stamp log live in a temporary directory removed at the end.

Workloads (WORKLOADS, default "ordinary burst"):
  ordinary  a bash loop: cat /etc/hostname, append the wall clock to a stamp log, sleep
            0.01: two execs, opens, a write and exits every ~15 ms. The gap includes the
            time the program was idle (or starved of CPU) before the kill; the stamp log
            says what it really did: "oldest lost act" is the age, at the kill, of the
            first stamp whose write (its open of the log) is nowhere in the final file, the
            watchdog's block included (an event that was lost, not a bound),
            "last act" how long the tree went on after glassbox died (unrecorded)
  burst     the burst fixture, rec_actions burst 2 BURST_OPENS: two threads of open+close as
            fast as the CPUs allow (the formatter is behind; the worst case)

Environment:
  BUILD_DIR    build directory holding glassbox and tests/fixtures/rec_actions (default build)
  GLASSBOX     the glassbox binary to measure (default BUILD_DIR/glassbox): to compare two
               builds, alternate runs of the script with each
  WORKLOADS    see above
  BURST_OPENS  open+close per thread of the burst (default 500000); it must outlast the kill
  KILL_MS      "MIN MAX": the kill comes a uniformly random MIN..MAX ms after the start
               (default "800 2500")
  SEED         seed of bash's RANDOM for the delays (default: unseeded)
  PROTECT      glassbox run --protect mode (default pidns)
  HOGS         start N busy loops at nice 0 for the whole measurement (default 0): a loaded
               machine made on purpose, so that a figure "under load" can be re-run

Exit status: 0 done, 1 a traced tree outlived glassbox or verify found the partial trace NOT
intact, 2 usage or missing build, 77 not root.

Examples:
  scripts/bench-durability.sh                    # 10 kills of each workload
  scripts/bench-durability.sh 20                 # 20 kills each
  WORKLOADS=burst HOGS=2 scripts/bench-durability.sh 15   # the burst on a machine kept busy
  SEED=1 KILL_MS="300 600" WORKLOADS=ordinary scripts/bench-durability.sh 5
  GLASSBOX=/tmp/old/glassbox WORKLOADS=burst scripts/bench-durability.sh 5   # an older build
EOF
}

[[ ${1:-} == -h || ${1:-} == --help ]] && { usage; exit 0; }
[[ -z ${1:-} || ${1:-} =~ ^[1-9][0-9]*$ ]] || { echo "bench-durability: KILLS must be a positive number (--help)" >&2; exit 2; }
kills=${1:-10}
build=${BUILD_DIR:-build}
glassbox=${GLASSBOX:-$PWD/$build/glassbox}
burst=$PWD/$build/tests/fixtures/rec_actions
workloads=${WORKLOADS:-ordinary burst}
burst_opens=${BURST_OPENS:-500000}
read -r kill_min kill_max <<<"${KILL_MS:-800 2500}"
protect=${PROTECT:-pidns}
hogs=${HOGS:-0}
[[ -n ${SEED:-} ]] && RANDOM=$SEED
[[ $(id -u) -eq 0 ]] || { echo "bench-durability: run as root" >&2; exit 77; }
[[ -x $glassbox ]] || { echo "bench-durability: build glassbox first ($glassbox)" >&2; exit 2; }
((kill_max >= kill_min && kill_min > 0)) || { echo "bench-durability: KILL_MS must be \"MIN MAX\" in ms, MIN <= MAX" >&2; exit 2; }

work=$(mktemp -d /tmp/glassbox-bench-durability.XXXXXX)
hog_pids=()
cleanup() {
  for p in "${hog_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
touch "$work/f"

load() { cut -d' ' -f1-3 /proc/loadavg; }
# Wall clock in ns (from bash's EPOCHREALTIME, microseconds): $(now_ns) costs a fork, so the
# kill's instant is taken with ns_of "$EPOCHREALTIME" right after the kill instead.
ns_of() { local t=${1/[.,]/}; echo "${t}000"; }
now_ns() { ns_of "$EPOCHREALTIME"; }

# The traced tree is alive while its cgroup is populated.
populated() { grep -q '^populated 1' "$1/cgroup.events" 2>/dev/null; }
# Where cgroup v2 is mounted: glassbox makes its run's cgroup there, named glassbox-PID-N.
cgroup_root=$(awk -F' - ' '{ split($1, a, " "); split($2, b, " "); if (b[1] == "cgroup2") { print a[5]; exit } }' /proc/self/mountinfo)

# Reads FILE.partial after the kill at $2 ns, only the file's tail; prints "gap_disk_ms
# gap_verified_ms oldest_lost_act_ms last_act_ms note". Without an event (or a checkpoint) in
# the file, the gap is from the start: everything recorded was lost. The two act columns come
# from the stamp log $3 ("-" without one; oldest lost "none" when every stamp before the kill
# is on disk).
analyse() {
  python3 - "$1" "$2" "$3" <<'PY'
import os, re, sys
path, kill_ns, stamps = sys.argv[1], int(sys.argv[2]), sys.argv[3]
line_re = re.compile(rb'^\{"type":"([a-z_0-9]+)","ts":(\d+)')
with open(path, 'rb') as f:
    first = f.readline()
    m = re.search(rb'"start_ns":(\d+)', first)
    start = int(m.group(1))
    size = os.fstat(f.fileno()).st_size
    off = max(len(first), size - (8 << 20))
    f.seek(off)
    tail = f.read()
lines = tail.split(b'\n')
cut = lines.pop() != b''          # a last line without its end: cut by the kill, not counted
if off > len(first):
    lines = lines[1:]             # the first one is a piece of a line
# What glassbox wrote itself ends where its watchdog's appended block begins: the `recovered`
# event lines before the `watchdog` line (its checkpoints aside). The gap is glassbox's own.
own = lines
for i in range(len(lines) - 1, -1, -1):
    if lines[i].startswith(b'{"type":"watchdog",'):
        want, j = int(re.search(rb'"recovered":(\d+)', lines[i]).group(1)), i
        while want and j > 0:
            j -= 1
            if not lines[j].startswith(b'{"type":"checkpoint",'):
                want -= 1
        own = lines[:j]
        break
newest = newest_verified = None
for l in own:
    m = line_re.match(l)
    if not m:
        continue
    kind, ts = m.group(1), int(m.group(2))
    if kind == b'checkpoint':
        newest_verified = newest  # the chain vouches for everything up to this line
    elif kind not in (b'header', b'summary'):
        newest = ts if newest is None else max(newest, ts)
gap = lambda ts: '%.1f' % ((kill_ns - (start + (ts or 0))) / 1e6)
note = 'last line cut' if cut else 'whole lines'
if newest is None:
    note += ', NO EVENT on disk'
lost_act = last_act = '-'
if stamps and os.path.exists(stamps):
    # Each act appends a stamp (read just before) to the stamp log: its `open` of the log is in
    # the file, the watchdog's block included, or the act was lost. Matched in time order, each
    # open to the first stamp at most 30 ms before it.
    acts = sorted(int(l.replace('.', '').replace(',', '')) * 1000 for l in open(stamps) if l.strip())
    opens = sorted(start + int(m.group(1)) for m in (re.match(rb'^\{"type":"open","ts":(\d+).*"path":"' +
                   re.escape(stamps.encode()) + rb'"', l) for l in lines) if m)
    lost, k = [], 0
    for a in acts:
        while k < len(opens) and opens[k] < a - 1_000_000:
            k += 1
        if k < len(opens) and opens[k] <= a + 30_000_000:
            k += 1
        elif a <= kill_ns:
            lost.append(a)
    lost_act = '%.1f' % ((kill_ns - min(lost)) / 1e6) if lost else 'none'
    if acts:
        last_act = '%.0f' % ((max(acts) - kill_ns) / 1e6)
print(gap(newest), gap(newest_verified), lost_act, last_act, note)
PY
}

for ((i = 0; i < hogs; i++)); do
  (while :; do :; done) &
  hog_pids+=($!)
done

echo "machine : $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(load)"
echo "glassbox: $glassbox ($("$glassbox" --version 2>/dev/null | head -1)), --protect $protect"
echo "kills   : $kills per workload, each ${kill_min}-${kill_max} ms after the start${SEED:+, SEED=$SEED}$( ((hogs)) && echo ", $hogs busy loops at nice 0")"
failed=0
for w in $workloads; do
  case $w in
    ordinary) cmd=(bash -c 'while :; do cat /etc/hostname; echo "$EPOCHREALTIME" >>"$0"; sleep 0.01; done' "$work/stamp") ;;
    burst)
      [[ -x $burst ]] || { echo "bench-durability: build the burst fixture first ($burst)" >&2; exit 2; }
      cmd=("$burst" burst 2 "$burst_opens" "$work/f") ;;
    *) echo "bench-durability: unknown workload $w (ordinary, burst)" >&2; exit 2 ;;
  esac
  echo "workload: ${cmd[*]} (load average $(load))"
  : >"$work/rows"
  done_kills=0 retries=0
  while ((done_kills < kills)); do
    if ((retries > 3 * kills + 5)); then
      echo "bench-durability: too many kills not counted for $w (raise BURST_OPENS or lower KILL_MS)" >&2
      exit 2
    fi
    out=$work/t.jsonl
    rm -f "$out" "$out.partial" "$work/stamp"
    delay=$((kill_min + RANDOM % (kill_max - kill_min + 1)))
    "$glassbox" run -q --allow-loss --protect "$protect" --out "$out" -- "${cmd[@]}" >/dev/null 2>"$work/stderr" &
    gb=$!
    sleep "$(awk -v d="$delay" 'BEGIN { printf "%.3f", d / 1000 }')"
    # The header names the run's cgroup: read before the kill, to know that the tree still runs.
    header=$(head -n1 "$out.partial" 2>/dev/null || true)
    cg=
    [[ $header =~ \"cgroup\":\"([^\"]+)\" ]] && cg=${BASH_REMATCH[1]}
    alive=0
    [[ -n $cg ]] && populated "$cg" && alive=1
    # The instant the kill returned (the signal is sent): no fork between the two.
    kill -9 "$gb" 2>/dev/null || true
    killed_at=$EPOCHREALTIME
    kill_ns=$(ns_of "$killed_at")
    wait "$gb" 2>/dev/null || true
    why=
    if [[ -z $cg || ! -s $out.partial ]]; then
      why="the kill came before the trace header was on disk"
    elif ((alive == 0)); then
      why="the workload had ended before the kill"
    fi
    # Whatever happens to this kill, the tree must die and its cgroup go: a kill before the
    # header may still have left the cgroup (and a tree) behind, found by glassbox's pid.
    tree=gone
    if [[ -z $cg && -n $cgroup_root ]]; then
      for c in "$cgroup_root"/glassbox-"$gb"-*; do [[ -d $c ]] && cg=$c; done
    fi
    if [[ -n $cg ]]; then
      gone_ms=-
      for ((t = 0; t < 300; t++)); do
        if ! populated "$cg"; then gone_ms=$((($(now_ns) - kill_ns) / 1000000)); break; fi
        sleep 0.01
      done
      if [[ $gone_ms == - ]]; then
        tree="LEFTOVER (still alive 3 s after the kill: killed now)"
        echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
        for ((t = 0; t < 100; t++)); do populated "$cg" || break; sleep 0.02; done
        failed=1
      else
        tree="gone ${gone_ms} ms after the kill"
      fi
      # An empty cgroup can refuse rmdir (EBUSY) for a moment while its last tasks are released.
      for ((t = 0; t < 50; t++)); do rmdir "$cg" 2>/dev/null && break; [[ -d $cg ]] || break; sleep 0.02; done
      [[ -d $cg ]] && echo "bench-durability: could not remove $cg" >&2
    fi
    if [[ -n $why ]]; then
      retries=$((retries + 1))
      echo "  not counted (after ${delay} ms): $why; tree $tree"
      continue
    fi
    # glassbox's watchdog appends what the ring still held, then its `watchdog` line: the file is
    # final once that line is there (or after 3 s: a watchdog that could not).
    dog=none
    for ((t = 0; t < 300; t++)); do
      if grep -q '^{"type":"watchdog",' "$out.partial" 2>/dev/null; then
        dog=$(grep '^{"type":"watchdog",' "$out.partial" | grep -oE '"recovered":[0-9]+' | cut -d: -f2)
        break
      fi
      sleep 0.01
    done
    v=$("$glassbox" verify "$out.partial" 2>&1) && vrc=0 || vrc=$?
    case $vrc in
      4) # "all N lines are verified", "lines 1-N are verified", or "no checkpoint was reached"
         # (nothing but the header on disk, or events without a checkpoint yet): as verify says it.
         verdict="partial, $(grep -oE 'all [0-9]+ lines are verified|lines 1-[0-9]+ are verified|no checkpoint was reached' <<<"$v" | head -1 || true)" ;;
      *) verdict="exit $vrc: $v"; failed=1 ;;
    esac
    gap=
    read -r gap vgap lost_act last_act note < <(analyse "$out.partial" "$kill_ns" "$work/stamp") || true
    if [[ -z ${gap:-} ]]; then
      echo "bench-durability: cannot read $out.partial (kept in $work.keep)" >&2
      cp -r "$work" "$work.keep"
      exit 2
    fi
    lines=$(wc -l <"$out.partial")
    done_kills=$((done_kills + 1))
    echo "$gap $vgap $lost_act" >>"$work/rows"
    acts=
    if [[ $lost_act == none ]]; then
      acts="; no act lost, last act ${last_act} ms after the kill"
    elif [[ $lost_act != - ]]; then
      acts="; oldest lost act ${lost_act} ms before the kill, last act ${last_act} ms after it"
    fi
    echo "  kill $done_kills after ${delay} ms: gap to glassbox's newest write ${gap} ms, verified ${vgap} ms ($lines lines, $note)$acts; watchdog appended ${dog} events; verify: $verdict; tree $tree"
  done
  python3 - "$work/rows" "$w" "$(load)" "$retries" <<'PY'
import math, sys
rows = [l.split() for l in open(sys.argv[1])]
def stats(col):
    xs = sorted(float(r[col]) for r in rows if r[col] not in ('-', 'none'))
    n = len(xs)
    if not n:
        return 'none in any kill'
    med = xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
    p90 = xs[max(0, math.ceil(0.9 * n) - 1)]
    s = 'median %.0f ms, p90 %.0f ms, max %.0f ms (min %.0f)' % (med, p90, xs[-1], xs[0])
    return s
print('[%s] %d kills (%s not counted), load average %s after' % (sys.argv[2], len(rows), sys.argv[4], sys.argv[3]))
print('[%s] gap between the kill and the newest event glassbox wrote: %s' % (sys.argv[2], stats(0)))
print('[%s] gap between the kill and the newest one verified      : %s' % (sys.argv[2], stats(1)))
if any(r[2] != '-' for r in rows):
    none = sum(1 for r in rows if r[2] == 'none')
    print('[%s] oldest act lost with glassbox, age at the kill   : %s; %d kills lost no act' % (sys.argv[2], stats(2), none))
PY
done
exit $failed
