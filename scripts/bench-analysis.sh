#!/usr/bin/env bash
# Analysis benchmark: generates synthetic traces shaped like a full antivirus scan (1M and 10M
# events; every scanned file is a distinct path, plus temp files, /proc reads, libraries and a few
# injected violations), then measures `glassbox check` and `glassbox diff` wall time and peak RSS
# and CPU time with /usr/bin/time -v, with the load average. Targets (docs/performance.md): 1M events in under 2 s, 10M within 1 GiB.
# Usage: scripts/bench-analysis.sh [BUILD_DIR] [WORK_DIR]    (needs python3 and GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=${2:-${TMPDIR:-/tmp}/glassbox-bench-analysis}
glassbox=$build/glassbox
[[ -x $glassbox ]] || { echo "bench-analysis: build glassbox first ($glassbox missing)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench-analysis: /usr/bin/time (GNU time) is required" >&2; exit 2; }
mkdir -p "$work"

gen() { # gen EVENTS SEED OUT [inject]
  python3 - "$@" <<'PY'
import json, random, sys
events, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
inject = len(sys.argv) > 4
rnd = random.Random(seed)
pid = 4000 + seed
hdr = {"type": "header", "format": "glassbox-trace", "version": 1, "glassbox_version": "0.1.0", "mode": "run",
       "command": ["clamscan", "-r", "/srv/samples"], "cwd": "/root", "host": "bench", "kernel": "6.18",
       "start_wall": "2026-11-28T00:00:00Z", "start_ns": 0, "root_pid": pid, "cgroup": "/sys/fs/cgroup/bench"}
common = '"pid":%d,"tid":%d,"ppid":1,"uid":0,"euid":0,"comm":"clamscan","exe":"/usr/bin/clamscan"' % (pid, pid)
tmp = "clamav-%032x" % rnd.getrandbits(128)
libs = ["/usr/lib/x86_64-linux-gnu/lib%s.so.%d" % (n, i) for i, n in enumerate(["c", "m", "z", "bz2", "xml2", "ssl", "crypto", "pcre2-8", "json-c", "clamav"])]
n = 0
with open(out, "w", buffering=1 << 20) as f:
    f.write(json.dumps(hdr, separators=(",", ":")) + "\n")
    w = f.write
    def ev(body):
        global n
        n += 1
        w('{"ts":%d,%s,%s}\n' % (n * 1000, common, body))
    ev('"type":"exec","path":"/usr/bin/clamscan","raw_path":"clamscan","argv":["clamscan","-r","/srv/samples"],"argv_truncated":false,"cwd":"/root","ret":0,"syscall":"execve"')
    for lib in libs:
        ev('"type":"open","path":"%s","raw_path":"%s","flags":524288,"access":"read","create":false,"truncate":false,"ret":3,"syscall":"openat"' % (lib, lib))
        ev('"type":"mmap_exec","path":"%s","prot":5,"flags":2,"ret":140000000000' % lib)
    # Scanned files get word-like names the normaliser keeps exact (every file stays a distinct
    # behaviour: the worst case for memory); each is opened, read, closed, and every file is
    # unpacked into a private temp file (open for write, close, unlink): 5 events per file.
    def word(i):
        s = ""
        for _ in range(5):
            s += "bcdfghjklmnpqrstvwxz"[i % 20]
            i //= 20
        return s
    i = 0
    while n < events - 8:
        p = "/srv/samples/set%s/%s-report.%s" % (word(i // 1000)[:3], word(i), ("exe", "pdf", "zip", "doc", "elf")[i % 5])
        ev('"type":"open","path":"%s","raw_path":"%s","flags":0,"access":"read","create":false,"truncate":false,"ret":5,"syscall":"openat"' % (p, p))
        ev('"type":"close","path":"%s","fd":5,"bytes_read":%d,"bytes_written":0,"reads":3,"writes":0' % (p, rnd.randrange(1, 1 << 20)))
        t = "/tmp/%s/unpack.%s" % (tmp, "".join(rnd.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(6)))
        ev('"type":"open","path":"%s","raw_path":"%s","flags":65,"access":"write","create":true,"truncate":false,"mode":384,"ret":6,"syscall":"openat"' % (t, t))
        ev('"type":"close","path":"%s","fd":6,"bytes_read":0,"bytes_written":4096,"reads":0,"writes":1' % t)
        ev('"type":"unlink","path":"%s","raw_path":"%s","ret":0,"syscall":"unlink"' % (t, t))
        if i % 50 == 0:
            ev('"type":"open","path":"/proc/%d/status","raw_path":"/proc/self/status","flags":0,"access":"read","create":false,"truncate":false,"ret":7,"syscall":"openat"' % pid)
        i += 1
    if inject:
        ev('"type":"exec","path":"/usr/bin/curl","raw_path":"/usr/bin/curl","argv":["curl","http://203.0.113.9/"],"ret":0,"syscall":"execve"')
        ev('"type":"connect","family":"inet","sock_type":"stream","addr":"203.0.113.9","port":80,"ret":-115,"errno":"EINPROGRESS"')
        ev('"type":"open","path":"/etc/cron.d/persist","raw_path":"/etc/cron.d/persist","flags":577,"access":"write","create":true,"truncate":true,"mode":420,"ret":8,"syscall":"openat"')
        ev('"type":"priv","op":"init_module","params":"","ret":-1,"errno":"EPERM"')
    while n < events:
        ev('"type":"open","path":"/etc/clamav/clamd.conf","raw_path":"/etc/clamav/clamd.conf","flags":0,"access":"read","create":false,"truncate":false,"ret":3,"syscall":"openat"')
    w('{"type":"summary","events":%d,"counts":{},"duration_ns":%d,"lost":0,"lost_by_cpu":[0,0],"exit":{"code":0},"ended_by":"exit","complete":true}\n' % (n, n * 1000))
PY
}

measure() { # measure LABEL CMD...: CPU and wall time, peak RSS of one run (exit status 1 is expected)
  local label=$1; shift
  local tf=$work/time.txt load
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -v -o "$tf" "$@" >/dev/null 2>"$work/stderr.txt" || true
  local wall rss cpu
  wall=$(awk -F': ' '/Elapsed/ {print $2}' "$tf")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f MiB", $2/1024}' "$tf")
  # CPU time (user + sys) is what to compare on a shared machine; the load average says how
  # shared it was.
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f s (user %.2f + sys %.2f)", u+s, u, s}' "$tf")
  printf '%-34s cpu %-32s wall %-9s peak RSS %-8s load %s\n' "$label" "$cpu" "$wall" "$rss" "$load"
}

for size in ${GLASSBOX_BENCH_SIZES:-1000000 10000000}; do
  label=$((size / 1000000))M
  a=$work/scan-$label-a.trace b=$work/scan-$label-b.trace
  if [[ ! -s $a || ! -s $b ]]; then
    echo "generating $label-event traces in $work ..." >&2
    gen "$size" 1 "$a"
    gen "$size" 2 "$b" inject
  fi
  echo "== $label events: $(du -h "$a" | cut -f1) per trace"
  # A profile learned from trace A (allows every sample via /srv/samples/**).
  "$glassbox" learn "$a" -o "$work/profile-$label.yaml"
  measure "learn $label" "$glassbox" learn "$a" -o "$work/profile-$label.yaml"
  measure "check $label (4 violations)" "$glassbox" check -p "$work/profile-$label.yaml" "$b"
  measure "diff $label vs $label" "$glassbox" diff "$a" "$b"
done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
