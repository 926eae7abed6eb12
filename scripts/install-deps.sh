#!/usr/bin/env bash
# Installs every build, test and demo dependency of glassbox from Debian 12 packages.
# Idempotent and non-interactive: safe to run on every CI run and on a fresh lab machine.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  clang llvm
  # BPF: libbpf + bpftool (skeletons, vmlinux.h), libelf for libbpf and scan
  libbpf-dev bpftool libelf-dev zlib1g-dev
  # enforcement and scan
  libseccomp-dev libcapstone-dev
  # C++ libraries
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libyaml-cpp-dev catch2
  # trace reading on the analysis hot path (On-Demand JSON parser)
  libsimdjson-dev
  # OpenSSL 3: SHA-256 of the trace hash chain and scan reports, Ed25519 trace signatures
  libssl-dev
  # fuzzing runtime for the libFuzzer harnesses (clang -fsanitize=fuzzer)
  libclang-rt-14-dev
  # tests, demo and benchmarks: real privileged programs, baselines, namespaces
  clamav lynis strace iproute2 procps util-linux coreutils python3 curl hyperfine
  # kernel matrix (scripts/vmtest.sh): qemu boots Debian's kernels, busybox-static is the
  # initramfs, kmod (depmod/modprobe) orders the kernel's modules and autoloads them in the guest
  qemu-system-x86 busybox-static kmod
  # review: .deb packages read in-process, the dossier's chart library (inlined), its browser test
  libarchive-dev libjs-d3 chromium
)

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: must run as root (apt-get install)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# clamav's package starts a freshclam daemon that would try to reach the internet.
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now clamav-freshclam >/dev/null 2>&1 || true
fi
echo "install-deps: done"
