#!/usr/bin/env bash
# Enforce-mode overhead on a file-heavy workload (docs/performance.md, "enforce"): the enf_bench
# fixture opens and reads every file of a generated tree ROUNDS times, untraced and under
# `glassbox enforce` in its configurations, measured side by side with hyperfine. Prints the
# ratios to the untraced run. Needs root and a build (BUILD, default build/).
#   scripts/bench-enforce.sh [FILES] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
files=${1:-2000}
rounds=${2:-20}
gb=$build/glassbox
bench=$build/tests/fixtures/enf_bench
[[ -x $gb && -x $bench ]] || { echo "bench-enforce: build glassbox and fixture_enf_bench first" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "bench-enforce: needs root" >&2; exit 77; }
command -v hyperfine >/dev/null || { echo "bench-enforce: needs hyperfine" >&2; exit 2; }

work=$(mktemp -d /var/tmp/glassbox-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
for ((i = 0; i < files; i++)); do
  d=$work/tree/d$((i % 40))
  mkdir -p "$d"
  head -c $((512 + (i * 37) % 4096)) /dev/urandom >"$d/f$i"
done
bench_abs=$(readlink -f "$bench")
# Exact hierarchies only: Landlock decides every file access in the kernel (--supervise-opens auto).
cat >"$work/exact.yaml" <<YAML
apiVersion: glassbox/v1
kind: Profile
metadata: {name: bench}
files:
  read: [/etc/ld.so.cache, /usr/lib/**, /lib/**, /lib64/**, $work/tree/**]
  exec: [/usr/lib/**, /lib/**]
processes:
  exec: [$bench_abs]
YAML

echo "machine: $(nproc) CPU(s), $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "workload: $files files x $rounds rounds = $((files * rounds)) opens"
hyperfine -N --warmup 2 --runs ${RUNS:-10} --export-json "$work/h.json" \
  -n untraced "$bench $work/tree $rounds" \
  -n "enforce startup only (0 rounds)" "$gb enforce -q --profile $work/exact.yaml -- $bench $work/tree 0" \
  -n "enforce (Landlock exact)" "$gb enforce -q --profile $work/exact.yaml -- $bench $work/tree $rounds" \
  -n "enforce --supervise-opens always" "$gb enforce -q --supervise-opens always --profile $work/exact.yaml -- $bench $work/tree $rounds" \
  -n "enforce --out (recorded)" "$gb enforce -q --profile $work/exact.yaml --out $work/t.jsonl -- $bench $work/tree $rounds"
python3 - "$work/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base, base_min = r[0]["mean"], r[0]["min"]
# The min is the least disturbed by other load on the machine; both are shown.
for x in r:
    print(f"{x['command']:<40} mean {x['mean']*1000:8.1f} ms  ratio {x['mean']/base:5.2f}   "
          f"min {x['min']*1000:8.1f} ms  ratio {x['min']/base_min:5.2f}")
PY
# Paired, interleaved runs (untraced, enforce, untraced, enforce, ...): on a shared machine the
# load drifts between hyperfine's blocks; the median of per-pair ratios is what we record.
python3 - "$bench" "$gb" "$work" "$rounds" "${PAIRS:-7}" <<'PY'
import os, resource, statistics, subprocess, sys, time
bench, gb, work, rounds, pairs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
plain = [bench, f"{work}/tree", rounds]
configs = {
    "enforce (Landlock exact)": [gb, "enforce", "-q", "--profile", f"{work}/exact.yaml", "--"] + plain,
    "enforce --supervise-opens always": [gb, "enforce", "-q", "--supervise-opens", "always", "--profile",
                                         f"{work}/exact.yaml", "--"] + plain,
}
def run(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
for name, cmd in configs.items():
    wr, cr = [], []
    for _ in range(pairs):
        bw, bc = run(plain)
        ew, ec = run(cmd)
        wr.append(ew / bw)
        cr.append(ec / bc)
    print(f"paired {name:<36} median wall ratio {statistics.median(wr):5.2f}   median CPU ratio {statistics.median(cr):5.2f}")
PY

