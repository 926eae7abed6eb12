#!/usr/bin/env bash
# Runs the libFuzzer harnesses for real: configures a separate clang build with
# -DGLASSBOX_FUZZ=ON (ASan + UBSan + libFuzzer), builds tests/fuzz/<name>.cpp as fuzz_<name>, and
# fuzzes each for SECONDS starting from a copy of its committed seed corpus
# (tests/fuzz/corpus/<name>/). New crashes are written to $out/<name>/crash-*: reduce one, add it
# to the committed corpus, fix the bug; ctest replays the corpus on every build.
# Usage: scripts/fuzz.sh [SECONDS=60] [NAME...]   (default: every harness)
# Compiler: Debian 12's default clang 14 cannot compile libstdc++ 12's std::expected (no P0848,
# conditionally trivial destructors), which glassbox uses throughout, so this script uses Debian
# 12's clang-19 with its libFuzzer runtime (libclang-rt-19-dev), installing them when missing.
# The normal g++ build replays the committed corpora in ctest (fuzz-replay/*).
# Only the fuzzed libraries (trace, analysis, scan, common) are built, with ASan/UBSan and
# libFuzzer coverage (tests/fuzz.cmake): about 4 minutes on 2 quiet cores the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build=${GLASSBOX_FUZZ_BUILD:-build-fuzz}
out=${GLASSBOX_FUZZ_OUT:-$build/fuzz-runs}
names=("$@")
if ((${#names[@]} == 0)); then
  for f in tests/fuzz/*.cpp; do names+=("$(basename "$f" .cpp)"); done
fi
if ! command -v clang++-19 >/dev/null || [[ ! -d /usr/lib/llvm-19/lib/clang/19/lib/linux ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "fuzz.sh: needs clang-19 and libclang-rt-19-dev (run as root to install them)" >&2; exit 2; }
  echo "fuzz.sh: installing clang-19 and libclang-rt-19-dev (Debian 12)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang-19 libclang-rt-19-dev >/dev/null
fi
# Symbolised sanitizer reports (clang-19 ships no llvm-symbolizer of its own on Debian 12; any
# version reads the DWARF).
if [[ -z ${ASAN_SYMBOLIZER_PATH:-} ]]; then
  for s in /usr/lib/llvm-19/bin/llvm-symbolizer /usr/bin/llvm-symbolizer /usr/bin/llvm-symbolizer-14; do
    [[ -x $s ]] && { export ASAN_SYMBOLIZER_PATH=$s; break; }
  done
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 -DGLASSBOX_FUZZ=ON >/dev/null
status=0
for name in "${names[@]}"; do
  if ! cmake --build "$build" --target "fuzz_$name" -j 2; then
    echo "fuzz.sh: cannot build fuzz_$name with $(clang++-19 --version | head -1)" >&2
    exit 2
  fi
  work=$out/$name
  mkdir -p "$work/corpus"
  cp -r "tests/fuzz/corpus/$name/." "$work/corpus/" 2>/dev/null || true
  echo "fuzz.sh: fuzzing $name for ${seconds}s (corpus $work/corpus)"
  if ! "$build/tests/fuzz_$name" "$work/corpus" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
       -rss_limit_mb=2048 -artifact_prefix="$work/" -print_final_stats=1; then
    echo "fuzz.sh: $name FOUND A CRASH: see $work/crash-* (reproduce: $build/tests/fuzz_$name FILE)" >&2
    status=1
  fi
done
exit $status
