#!/usr/bin/env bash
# Enforce-mode overhead (docs/performance.md, "enforce"). Runs a file-heavy real workload untraced
# and under `glassbox enforce`, interleaved (untraced, enforce, untraced, enforce, ...) so drift in
# the machine's load hits both alike, and prints the medians of wall time and of CPU time
# (user+sys of the command and its children: for glassbox that includes its own start-up and
# supervisor) and the ratios. The fixed start-up cost is measured on its own (`true`).
#   scripts/bench-enforce.sh [RUNS]     env: BUILD (default build), WORKLOAD (grep|clamscan),
#                                       CONFIGS (default "exact globbed recorded")
# Configurations:
#   exact   : a profile of directory hierarchies and exact files: Landlock decides every file
#             access in the kernel, nothing goes through the supervisor (the target: <= 1.15)
#   globbed : the same plus one glob finer than a directory that no hierarchy rule already
#             covers (files.read /etc/*.conf): every open goes through the seccomp supervisor
#             (shown for contrast; a glob inside an allowed hierarchy, such as
#             /usr/share/doc/*/copyright here, adds nothing and stays in Landlock)
#   recorded: exact + --out (adds the recorder: glassbox run's overhead)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
build=${BUILD:-build}
gb=$PWD/$build/glassbox
workload=${WORKLOAD:-grep}
[[ $(id -u) -eq 0 ]] || { echo "bench-enforce: needs root" >&2; exit 77; }
[[ -x $gb ]] || { echo "bench-enforce: build glassbox first ($gb)" >&2; exit 2; }

work=$(mktemp -d /var/tmp/glassbox-bench-enforce.XXXXXX)
trap 'rm -rf "$work"' EXIT
case $workload in
  grep) # every file of /usr/share/{doc,man,locale} opened and read (as scripts/bench-overhead.sh)
    cmd=(grep -r -c -s glassbox-needle /usr/share/doc /usr/share/man /usr/share/locale)
    reads="/usr/share/doc/**, /usr/share/man/**, /usr/share/locale/**" ;;
  clamscan) # a real AV scan with a tiny local signature DB (CPU-heavier)
    mkdir -p "$work/db"; echo "Glassbox.Bench:0:*:676c617373626f782d62656e6368" >"$work/db/b.ndb"
    cmd=(clamscan --no-summary -d "$work/db" -r /usr/share/doc)
    reads="/usr/share/doc/**, $work/**, /etc/clamav/**, /var/lib/clamav/**, /tmp/**" ;;
  *) echo "bench-enforce: WORKLOAD must be grep or clamscan" >&2; exit 2 ;;
esac
exe=$(readlink -f "$(command -v "${cmd[0]}")")
profile() { # $1: extra read patterns
  cat <<YAML
apiVersion: glassbox/v1
kind: Profile
metadata: {name: bench-enforce}
files:
  read: [/etc/ld.so.cache, /etc/localtime, /usr/lib/**, /lib/**, /lib64/**, /usr/lib64/**, /proc/**, /dev/null, $reads$1]
  write: [/tmp/**, /dev/null]
  delete: [/tmp/**]
  exec: [/usr/lib/**, /lib/**]
processes:
  exec: [$exe, /usr/bin/true]
YAML
}
profile "" >"$work/exact.yaml"
profile ", /etc/*.conf" >"$work/globbed.yaml"

echo "workload: ${cmd[*]}"
echo "machine : $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load    : $(cut -d' ' -f1-3 /proc/loadavg) (before)"
"${cmd[@]}" >/dev/null 2>&1 || true   # warm the page cache
# The allowed actions must all succeed: the enforced run prints what the untraced run prints.
"${cmd[@]}" >"$work/plain.out" 2>&1 || true
"$gb" enforce -q --profile "$work/exact.yaml" -- "${cmd[@]}" >"$work/enforce.out" 2>"$work/enforce.err" || true
if ! cmp -s "$work/plain.out" "$work/enforce.out"; then
  echo "bench-enforce: the enforced run's output differs from the untraced run's (an allowed action failed?)" >&2
  diff "$work/plain.out" "$work/enforce.out" | head -20 >&2; cat "$work/enforce.err" >&2; exit 1
fi
echo "check   : enforced output identical to untraced ($(wc -l <"$work/plain.out") lines), no violation: $(grep -c violation "$work/enforce.err" || true)"

CONFIGS=${CONFIGS:-exact globbed recorded} python3 - "$gb" "$work" "$runs" "${cmd[@]}" <<'PY'
import os, resource, statistics, subprocess, sys, time
gb, work, runs, cmd = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
wanted = os.environ["CONFIGS"].split()
def run(argv):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
enf = [gb, "enforce", "-q", "--profile"]
configs = [
    ("exact", "enforce (exact profile: Landlock)", enf + [f"{work}/exact.yaml", "--"] + cmd),
    ("globbed", "enforce (globbed: supervised opens)", enf + [f"{work}/globbed.yaml", "--"] + cmd),
    ("recorded", "enforce --out (recorded)",
     [gb, "enforce", "-q", "--out", f"{work}/t.jsonl", "--profile", f"{work}/exact.yaml", "--"] + cmd),
]
configs = [(name, argv) for key, name, argv in configs if key in wanted]
def pairs(plain, traced, n):
    pw, pc, tw, tc = [], [], [], []
    for _ in range(n):
        w, c = run(plain); pw.append(w); pc.append(c)
        w, c = run(traced); tw.append(w); tc.append(c)
    m = statistics.median
    return m(pw), m(pc), m(tw), m(tc)
print(f"{'configuration':<38} {'wall (s) plain/enforced':>24} {'ratio':>6} {'CPU (s) plain/enforced':>24} {'ratio':>6}")
# Fixed start-up: the smallest command, many times.
pw, pc, tw, tc = pairs(["/usr/bin/true"], enf + [f"{work}/exact.yaml", "--", "/usr/bin/true"], max(10, runs * 2))
print(f"{'start-up alone (true)':<38} {pw:10.3f} / {tw:10.3f}   {'':>6} {pc:10.3f} / {tc:10.3f}   {'':>6}"
      f"   -> fixed cost {tw - pw:.3f} s wall, {tc - pc:.3f} s CPU")
for name, argv in configs:
    pw, pc, tw, tc = pairs(cmd, argv, runs)
    print(f"{name:<38} {pw:10.3f} / {tw:10.3f}   {tw / pw:6.3f} {pc:10.3f} / {tc:10.3f}   {tc / pc:6.3f}")
PY
echo "load    : $(cut -d' ' -f1-3 /proc/loadavg) (after)"
