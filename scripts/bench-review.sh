#!/usr/bin/env bash
# Review benchmark: `glassbox review` on 10 runs of ~1M events per version (20 traces, generated
# here, synthetic, shaped like a full antivirus scan with a quarantine), with a profile, in all
# four formats. Measures CPU and wall time and peak RSS with /usr/bin/time -v, with the load
# average. Target (issue 16): seconds, not minutes. Figures: docs/performance.md.
# Usage: scripts/bench-review.sh [BUILD_DIR] [WORK_DIR]
#   GLASSBOX_BENCH_RUNS=10 (runs per version)  GLASSBOX_BENCH_EVENTS=1000000 (events per run)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=${2:-${TMPDIR:-/tmp}/glassbox-bench-review}
runs=${GLASSBOX_BENCH_RUNS:-10}
events=${GLASSBOX_BENCH_EVENTS:-1000000}
glassbox=$build/glassbox
[[ -x $glassbox ]] || { echo "bench-review: build glassbox first ($glassbox missing)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench-review: /usr/bin/time (GNU time) is required" >&2; exit 2; }
mkdir -p "$work"

# gen VERSION RUN EVENTS OUT: one run of the fake scanner. Every run scans the same ~200,000 files
# (distinct word-like names the normaliser keeps exact: one behaviour per file, the worst case
# for memory), in its own lab folder (/lab/v1-run3: a run root), with its own pid and temp names.
# Version 2 also quarantines through linkat + renameat2 RENAME_NOREPLACE, writes a lock file and
# connects to 10.0.0.5:443; its odd runs also spawn sh -> curl (a change in some runs only).
gen() {
  python3 - "$@" <<'PY'
import json, random, sys
version, run, events, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rnd = random.Random(version * 1000 + run)
pid = 10000 * version + 100 * run
cwd = "/lab/v%d-run%d" % (version, run)
hdr = {"type": "header", "format": "glassbox-trace", "version": 1, "glassbox_version": "0.1.0", "mode": "run",
       "command": ["scanner", "--move=q", "/srv/samples"], "cwd": cwd, "host": "bench", "kernel": "6.18",
       "start_wall": "2026-12-01T00:00:00Z", "start_ns": 0, "root_pid": pid, "cgroup": "/sys/fs/cgroup/bench",
       "env": {"HOME": "/root", "TMPDIR": "/tmp"}}
common = '"pid":%d,"tid":%d,"ppid":1,"uid":0,"euid":0,"comm":"scanner","exe":"/usr/bin/scanner"' % (pid, pid)
tmp = "scanner-%032x" % rnd.getrandbits(128)
libs = ["/usr/lib/x86_64-linux-gnu/lib%s.so.%d" % (n, i) for i, n in enumerate(["c", "m", "z", "bz2", "xml2", "ssl", "crypto", "json-c", "scan"])]
n = 0
with open(out, "w", buffering=1 << 20) as f:
    f.write(json.dumps(hdr, separators=(",", ":")) + "\n")
    w = f.write
    def ev(body, p=None):
        global n
        n += 1
        c = common if p is None else common.replace('"pid":%d,"tid":%d' % (pid, pid), '"pid":%d,"tid":%d' % (p, p))
        w('{"ts":%d,%s,%s}\n' % (n * 1000, c, body))
    ev('"type":"exec","path":"/usr/bin/scanner","raw_path":"scanner","argv":["scanner","--move=q","/srv/samples"],"argv_truncated":false,"cwd":"%s","ret":0,"syscall":"execve"' % cwd)
    for lib in libs:
        ev('"type":"open","path":"%s","raw_path":"%s","flags":524288,"access":"read","create":false,"truncate":false,"ret":3,"syscall":"openat"' % (lib, lib))
        ev('"type":"mmap_exec","path":"%s","prot":5,"flags":2,"ret":140000000000' % lib)
    def word(i):
        s = ""
        for _ in range(5):
            s += "bcdfghjklmnpqrstvwxz"[i % 20]
            i //= 20
        return s
    i = 0
    if version == 2:
        ev('"type":"connect","family":"inet","sock_type":"stream","addr":"10.0.0.5","port":443,"fd":9,"ret":0,"syscall":"connect"')
        ev('"type":"open","path":"%s/q/.lock","raw_path":"q/.lock","flags":65,"access":"write","create":true,"truncate":false,"mode":384,"ret":8,"syscall":"openat"' % cwd)
        if run % 2:
            ev('"type":"fork","child_pid":%d,"child_tid":%d,"thread":false,"syscall":"clone"' % (pid + 1, pid + 1))
            ev('"type":"exec","path":"/usr/bin/curl","raw_path":"/usr/bin/curl","argv":["curl","https://updates.example/"],"ret":0,"syscall":"execve"', pid + 1)
    while n < events - 4:
        p = "/srv/samples/set%s/%s-report.%s" % (word(i // 1000)[:3], word(i), ("exe", "pdf", "zip", "doc", "elf")[i % 5])
        ev('"type":"open","path":"%s","raw_path":"%s","flags":0,"access":"read","create":false,"truncate":false,"ret":5,"syscall":"openat"' % (p, p))
        ev('"type":"close","path":"%s","fd":5,"bytes_read":%d,"bytes_written":0,"reads":3,"writes":0' % (p, rnd.randrange(1, 1 << 20)))
        t = "/tmp/%s/unpack.%s" % (tmp, "".join(rnd.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(6)))
        ev('"type":"open","path":"%s","raw_path":"%s","flags":65,"access":"write","create":true,"truncate":false,"mode":384,"ret":6,"syscall":"openat"' % (t, t))
        ev('"type":"close","path":"%s","fd":6,"bytes_read":0,"bytes_written":4096,"reads":0,"writes":1' % t)
        ev('"type":"unlink","path":"%s","raw_path":"%s","ret":0,"syscall":"unlink"' % (t, t))
        if i % 5000 == 0:  # a detection: moved into the quarantine folder
            q = "%s/q/%s" % (cwd, word(i))
            if version == 1:
                ev('"type":"rename","old_path":"%s","new_path":"%s","ret":0,"syscall":"renameat"' % (p, q))
            else:
                ev('"type":"link","old_path":"%s","new_path":"%s","flags":0,"ret":0,"syscall":"linkat"' % (p, q))
                ev('"type":"rename","old_path":"%s","new_path":"%s/q/.scanner-unlink-%s/%s","flags":1,"ret":0,"syscall":"renameat2"' % (p, cwd, "".join(rnd.choice("abcdef0123456789") for _ in range(8)), word(i)))
        i += 1
    while n < events:
        ev('"type":"open","path":"/etc/scanner/scanner.conf","raw_path":"/etc/scanner/scanner.conf","flags":0,"access":"read","create":false,"truncate":false,"ret":3,"syscall":"openat"')
    w('{"type":"summary","events":%d,"counts":{},"duration_ns":%d,"lost":0,"lost_by_cpu":[0,0],"exit":{"code":0},"ended_by":"exit","complete":true}\n' % (n, n * 1000))
PY
}

measure() { # measure LABEL CMD...: CPU and wall time, peak RSS of one run (exit status 1 is expected)
  local label=$1; shift
  local tf=$work/time.txt load
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -v -o "$tf" "$@" >"$work/out.txt" 2>"$work/stderr.txt" || true
  local wall rss cpu
  wall=$(awk -F': ' '/Elapsed/ {print $2}' "$tf")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f MiB", $2/1024}' "$tf")
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f s (user %.2f + sys %.2f)", u+s, u, s}' "$tf")
  printf '%-30s cpu %-32s wall %-9s peak RSS %-8s load %s\n' "$label" "$cpu" "$wall" "$rss" "$load"
}

old=() new=()
for r in $(seq 1 "$runs"); do
  for v in 1 2; do
    t=$work/v$v-run$r.trace
    if [[ ! -s $t ]]; then
      echo "generating $t ($events events) ..." >&2
      gen "$v" "$r" "$events" "$t"
    fi
    if [[ $v == 1 ]]; then old+=("$t"); else new+=("$t"); fi
  done
done
cat >"$work/profile.yaml" <<'YAML'
apiVersion: glassbox/v1
kind: Profile
metadata:
  name: scanner
files:
  read: [/usr/lib/x86_64-linux-gnu/**, /srv/samples/**, /etc/scanner/*]
  write: [/tmp/scanner-*/**, /lab/*/q/**]
  delete: [/tmp/scanner-*/**, /srv/samples/**]
  exec: [/usr/lib/x86_64-linux-gnu/*.so*]
processes:
  exec: [/usr/bin/scanner]
network:
  connect: []
privileged: []
YAML
echo "== $runs runs x $events events per version: $(du -ch "${old[@]}" "${new[@]}" | tail -1 | cut -f1) of traces"
measure "review (text)" "$glassbox" review --old "${old[@]}" --new "${new[@]}" --profile "$work/profile.yaml"
head -1 "$work/out.txt" | cut -c1-100; sed -n 2p "$work/out.txt"
for f in json markdown html; do
  measure "review ($f)" "$glassbox" review --old "${old[@]}" --new "${new[@]}" --profile "$work/profile.yaml" -f "$f" -o "$work/review.$f"
done
measure "review, one run each (text)" "$glassbox" review --old "${old[0]}" --new "${new[0]}" --profile "$work/profile.yaml"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "command: scripts/bench-review.sh $build $work (GLASSBOX_BENCH_RUNS=$runs GLASSBOX_BENCH_EVENTS=$events)"
