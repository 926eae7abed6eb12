#!/usr/bin/env bash
# Kernel-matrix smoke test (ctest vm/<series>/boot): boots one Debian kernel with
# scripts/vmtest.sh and checks, from outside, everything later suites rely on: the guest really
# runs that kernel, glassbox starts there, the caller's directory and GLASSBOX_* variables arrive
# and nothing else does, the kernel filesystems glassbox needs are mounted, the root is writable
# without touching the host, stdout and stderr stay apart, and CMD's exact exit status comes back.
#
#   host:  boot_smoke.sh SERIES GLASSBOX_BIN     (SERIES as given to vmtest.sh: 6.1, 6.12)
#   guest: boot_smoke.sh --guest GLASSBOX_BIN    (run by the host half inside the VM)
set -uo pipefail

readonly guest_status=42   # the guest half always ends with this: proves the status is CMD's

if [[ ${1:-} == --guest ]]; then
  glassbox=$2
  uname -r | sed 's/^/release: /'
  echo "version: $("$glassbox" --version 2>&1) (exit $?)"
  echo "cwd: $(pwd -P)"
  echo "token: ${GLASSBOX_SMOKE_TOKEN:-unset}"
  echo "not-passed: ${SMOKE_NOT_PASSED:-unset}"
  echo "home: $HOME"
  for fs in /sys/fs/bpf /sys/fs/cgroup /sys/kernel/tracing /proc /sys /dev; do
    echo "fs $fs: $(stat -f -c %T "$fs")"
  done
  [[ -r /sys/kernel/btf/vmlinux ]] && echo "btf: yes" || echo "btf: no"
  echo "dev fd: $(cat <(echo via-dev-fd) 2>&1)"
  echo "net: $(ls /sys/class/net | tr '\n' ' ')"
  echo "cpus: $(nproc)"
  echo "$GLASSBOX_SMOKE_TOKEN" >"/vmtest-smoke-$GLASSBOX_SMOKE_TOKEN" && echo "root writable: yes"
  [[ -t 1 ]] && echo "stdout tty: yes" || echo "stdout tty: no"
  read -r line && echo "stdin: '$line'" || echo "stdin: eof"
  echo "to-stderr" >&2
  exit "$guest_status"
fi

series=${1:?usage: boot_smoke.sh SERIES GLASSBOX_BIN}
glassbox=$(realpath "${2:?usage: boot_smoke.sh SERIES GLASSBOX_BIN}")
here=$(cd "$(dirname "$0")" && pwd -P)
vmtest=$here/../../scripts/vmtest.sh
case $series in
  6.1) release_re='^6\.1\.0-[0-9]+-amd64$' ;;
  6.12) release_re='^6\.12\.[0-9]+\+deb12-amd64$' ;;
  *) release_re="^${series//./\\.}[.-]" ;;
esac

token=$$-$RANDOM
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
cd "$here" || exit 1
GLASSBOX_SMOKE_TOKEN=$token SMOKE_NOT_PASSED=leaked \
  "$vmtest" "$series" -- "$here/boot_smoke.sh" --guest "$glassbox" >"$out" 2>"$err" </dev/null
rc=$?
echo "--- guest stdout"; cat "$out"
echo "--- guest stderr"; cat "$err"
echo "--- vmtest exit status $rc"

failures=0
expect() {   # expect DESCRIPTION TEST...
  local what=$1
  shift
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAIL: $what"
    failures=$((failures + 1))
  fi
}
line() { sed -n "s/^$1: //p" "$out"; }

expect "exit status is the guest command's ($guest_status)" test "$rc" -eq "$guest_status"
expect "release matches $release_re" grep -Eq "$release_re" <<<"$(line release)"
expect "release is not the host's" test "$(line release)" != "$(uname -r)"
expect "glassbox --version answers" grep -Eq '^glassbox [0-9]+\.[0-9]+\.[0-9]+ \(exit 0\)$' <<<"$(line version)"
expect "cwd is the caller's" test "$(line cwd)" = "$here"
expect "GLASSBOX_* variables pass" test "$(line token)" = "$token"
expect "other variables do not" test "$(line not-passed)" = unset
expect "HOME is /root" test "$(line home)" = /root
expect "bpffs at /sys/fs/bpf" test "$(line 'fs \/sys\/fs\/bpf')" = bpf_fs
expect "cgroup2 at /sys/fs/cgroup" test "$(line 'fs \/sys\/fs\/cgroup')" = cgroup2fs
expect "tracefs at /sys/kernel/tracing" test "$(line 'fs \/sys\/kernel\/tracing')" = tracefs
expect "kernel BTF" test "$(line btf)" = yes
expect "/dev/fd works (process substitution)" test "$(line 'dev fd')" = via-dev-fd
expect "loopback only" test "$(line net)" = "lo "
cpus=${GLASSBOX_VMTEST_CPUS:-2}
expect "$cpus vCPUs" test "$(line cpus)" = "$cpus"
expect "root writable in the guest" test "$(line 'root writable')" = yes
expect "the host's root untouched" test ! -e "/vmtest-smoke-$token"
expect "stdout is not a tty" test "$(line 'stdout tty')" = no
expect "stdin is empty" test "$(line stdin)" = eof
expect "stderr arrives on stderr" grep -qx to-stderr "$err"
expect "and not on stdout" test "$(grep -c to-stderr "$out")" -eq 0
((failures == 0)) || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
