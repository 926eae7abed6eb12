#!/usr/bin/env bash
# Runs every glassbox test: installs dependencies, deletes the build directory (build/, or
# $GLASSBOX_BUILD_DIR) and configures and builds into it from scratch, as a clean clone in CI would,
# then runs the whole ctest suite: the unit tier, as root the BPF integration tier, and the kernel
# matrix (Debian 12 kernels booted under qemu, label vm, see docs/testing.md). Nothing of an
# earlier build (CMake cache, generated skeletons, stale test registrations) is reused; ccache,
# when configured, may still serve compiler outputs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
build_dir=${GLASSBOX_BUILD_DIR:-build}
rm -rf -- "$build_dir"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLASSBOX_WERROR=ON
cmake --build "$build_dir" -j "$(nproc)"
if [[ $(id -u) -ne 0 ]]; then
  echo "test.sh: not root: the integration tier (label 'root') needs root and BPF; running it will fail" >&2
fi
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "$@"
