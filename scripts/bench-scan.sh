#!/usr/bin/env bash
# Benchmark of `glassbox scan` (targets from issue 6, recorded in docs/performance.md):
#   1. libc alone (the largest common dependency) in under 1 s;
#   2. a ~100 MB tree of real ELF binaries (copies of /usr/bin and /usr/lib/x86_64-linux-gnu)
#      in under 30 s, dependencies included.
# Usage: scripts/bench-scan.sh [path/to/glassbox] [tree-size-MB]
# Needs hyperfine (scripts/install-deps.sh). The tree is built in a temp dir and removed after.
set -euo pipefail

GLASSBOX=${1:-build/glassbox}
TREE_MB=${2:-100}
LIBC=$(readlink -f /lib/x86_64-linux-gnu/libc.so.6)

[[ -x $GLASSBOX ]] || { echo "bench-scan: no glassbox binary at $GLASSBOX (build it first)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench-scan: hyperfine missing (scripts/install-deps.sh)" >&2; exit 2; }

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
echo "== glassbox: $GLASSBOX ($($GLASSBOX --version))"

echo "== 1. libc: $LIBC ($(stat -c %s "$LIBC") bytes)"
hyperfine --warmup 2 --runs 10 --export-json /tmp/bench-scan-libc.json \
  "$GLASSBOX scan --no-deps --format json $LIBC > /dev/null" \
  "$GLASSBOX scan --format json $LIBC > /dev/null"

tree=$(mktemp -d /tmp/bench-scan-tree.XXXXXX)
trap 'rm -rf "$tree"' EXIT
limit=$((TREE_MB * 1024 * 1024))
total=0
count=0
# Regular ELF files only (no symlinks), files up to 8 MB, until the size is reached.
while IFS= read -r -d '' f; do
  head -c 4 "$f" 2>/dev/null | grep -q $'\x7fELF' || continue
  size=$(stat -c %s "$f")
  # Many ordinary binaries rather than a few giant ones (an agent package looks like that).
  (( size > 8 * 1024 * 1024 )) && continue
  (( total + size > limit )) && continue
  cp "$f" "$tree/$(basename "$f").$count"
  total=$((total + size))
  count=$((count + 1))
  (( total >= limit - 512 * 1024 )) && break
done < <(find /usr/bin /usr/lib/x86_64-linux-gnu -maxdepth 2 -type f -print0 2>/dev/null)
echo "== 2. tree: $count ELF files, $((total / 1024 / 1024)) MB in $tree"
hyperfine --warmup 1 --runs 3 --export-json /tmp/bench-scan-tree.json \
  "$GLASSBOX scan --format json $tree > /dev/null" \
  "$GLASSBOX scan --no-deps --format json $tree > /dev/null"
echo "== done: results in /tmp/bench-scan-libc.json and /tmp/bench-scan-tree.json"
