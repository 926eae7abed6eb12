#!/usr/bin/env bash
# Kernel matrix runner: boots a Debian 12 kernel package under qemu (TCG when there is no KVM) and
# runs one command inside it as root, on this machine's own filesystem, so glassbox and its tests
# can be exercised on the kernels labs really run (issue #14). The kernel package is fetched with
# `apt-get download` and unpacked with `dpkg-deb -x` into a cache, never installed. A busybox
# initramfs loads the kernel's 9p/virtio/overlay modules, mounts this machine's root read-only
# over virtio-9p with a tmpfs overlay on top (the guest may write anywhere; nothing reaches the
# host), mounts proc/sys/dev/bpffs/tracefs/cgroup2/debugfs/securityfs as stock Debian does, then
# runs the command in the caller's directory with the caller's PATH and GLASSBOX_* variables. The
# command's stdout and stderr come back on two virtio-serial ports (not ttys: programs see pipes,
# as under ctest), its exit status on a third. See docs/testing.md, "Kernel matrix".
set -euo pipefail
# One compound command, parsed whole before it runs: editing this file cannot derail a running VM.
{

readonly EXIT_TIMEOUT=124   # the guest did not finish within --timeout; qemu was killed
readonly EXIT_VMTEST=125    # vmtest itself failed: usage, kernel fetch, qemu, or no status from the guest

me=vmtest
usage() {
  cat <<'EOF'
Usage: scripts/vmtest.sh [OPTIONS] KERNEL -- CMD [ARGS...]

Boots a Debian 12 kernel under qemu and runs CMD inside as root, in the current directory, on a
writable (tmpfs overlay) copy-on-write view of this machine's root filesystem. CMD's stdout and
stderr stream to this script's stdout and stderr; the exit status is CMD's.

KERNEL
  6.1, 6.12, ...     the newest Debian 12 package linux-image-<that series>-amd64-unsigned
                     (6.1 -> linux-image-6.1.0-N-amd64-unsigned, 6.12 -> linux-image-6.12.N+deb12-amd64-unsigned)
  linux-image-...    that exact package name
  PATH.deb           a kernel package file

Options
  --timeout SECONDS  kill the VM after this long (env GLASSBOX_VMTEST_TIMEOUT; default 900)
  --memory MIB       guest memory (env GLASSBOX_VMTEST_MEMORY; default 2560)
  --cpus N           guest vCPUs (env GLASSBOX_VMTEST_CPUS; default 2)
  --cache DIR        kernel cache (env GLASSBOX_VMTEST_CACHE; default /var/cache/glassbox-vmtest,
                     or ~/.cache/glassbox-vmtest when not root)
  --env NAME[=VALUE] also pass this variable to CMD (repeatable)
  --console          stream the guest's kernel console to stderr (env GLASSBOX_VMTEST_CONSOLE=1)
  --fetch-only       fetch, unpack and prepare KERNEL, print its release, boot nothing (no CMD)
  -h, --help         this text

CMD gets PATH, HOME=/root, LANG/LC_ALL/TZ/TMPDIR when set, every GLASSBOX_* variable except
GLASSBOX_VMTEST_*, and stdin from /dev/null. The guest has no network device (loopback only).

Exit status
  CMD's own status (0-255; 128+N when a signal killed it)
  124  the guest did not finish within --timeout (qemu killed)
  125  vmtest could not run CMD: bad usage, kernel not fetched, qemu failed, or the guest ended
       without reporting a status (kernel panic, module or mount failure); the tail of the guest
       console is printed

Examples:
  scripts/vmtest.sh 6.1 -- uname -r
  scripts/vmtest.sh 6.12 -- build/glassbox --version
  scripts/vmtest.sh 6.1 -- build/tests/integration_record "[record]"
  scripts/vmtest.sh 6.12 -- build/tests/integration_record "run passes the command's exit status through"
  scripts/vmtest.sh --console --timeout 120 6.12 -- cat /sys/kernel/security/lsm
  scripts/vmtest.sh --fetch-only 6.12
EOF
}

die() {
  echo "$me: $*" >&2
  exit "$EXIT_VMTEST"
}

timeout_s=${GLASSBOX_VMTEST_TIMEOUT:-900}
memory_mib=${GLASSBOX_VMTEST_MEMORY:-2560}
cpus=${GLASSBOX_VMTEST_CPUS:-2}
if [[ $(id -u) -eq 0 ]]; then
  cache=${GLASSBOX_VMTEST_CACHE:-/var/cache/glassbox-vmtest}
else
  cache=${GLASSBOX_VMTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/glassbox-vmtest}
fi
console=${GLASSBOX_VMTEST_CONSOLE:-0}
fetch_only=0
extra_env=()

while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --timeout) timeout_s=${2:?--timeout needs SECONDS}; shift 2 ;;
    --memory) memory_mib=${2:?--memory needs MIB}; shift 2 ;;
    --cpus) cpus=${2:?--cpus needs N}; shift 2 ;;
    --cache) cache=${2:?--cache needs DIR}; shift 2 ;;
    --env) extra_env+=("${2:?--env needs NAME[=VALUE]}"); shift 2 ;;
    --console) console=1; shift ;;
    --fetch-only) fetch_only=1; shift ;;
    --) die "KERNEL is missing before --; see --help" ;;
    -*) die "unknown option $1; see --help" ;;
    *) break ;;
  esac
done
(($#)) || die "KERNEL is missing; see --help"
vmtest_args=("$@") # what follows the options: a boot retry runs the same again
vmtest_self=$(readlink -f -- "$0")
kernel_arg=$1
shift
if ((fetch_only)); then
  (($# == 0)) || die "--fetch-only takes no command"
else
  [[ ${1:-} == -- ]] || die "expected -- after KERNEL, then the command; see --help"
  shift
  (($#)) || die "no command after --; see --help"
fi
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive number of seconds, not '$timeout_s'"
[[ $memory_mib =~ ^[1-9][0-9]*$ ]] || die "--memory must be a number of MiB, not '$memory_mib'"
[[ $cpus =~ ^[1-9][0-9]*$ ]] || die "--cpus must be a positive number, not '$cpus'"

for tool in qemu-system-x86_64 busybox dpkg-deb depmod modprobe xz; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/install-deps.sh installs it)"
done
# Debian's busybox-static: the initramfs has no libc to link against.
busybox_bin=$(command -v busybox)
needed=$(LC_ALL=C readelf -d "$busybox_bin" 2>/dev/null | grep -c NEEDED || true)
((needed == 0)) || die "$busybox_bin is dynamically linked; install busybox-static"

# ---------------------------------------------------------------------------------------------
# Kernel: which package, fetched and unpacked once into the cache.

# Prints the newest amd64-unsigned package of a series (6.1 -> linux-image-6.1.0-N-amd64-unsigned,
# 6.12 -> linux-image-6.12.N+deb12-amd64-unsigned); not the -cloud- flavour, which lacks 9p.
newest_package() {
  local series=$1 re
  re="^linux-image-${series//./\\.}(\\.0-[0-9]+|\\.[0-9]+\\+deb[0-9]+)-amd64-unsigned\$"
  apt-cache pkgnames "linux-image-$series" 2>/dev/null | { grep -E "$re" || true; } | sort -V | tail -n 1
}

deb_file=""
case $kernel_arg in
  *.deb)
    [[ -f $kernel_arg ]] || die "no such kernel package file: $kernel_arg"
    deb_file=$(realpath "$kernel_arg")
    package=$(dpkg-deb -f "$deb_file" Package)_$(dpkg-deb -f "$deb_file" Version)
    ;;
  linux-image-*) package=$kernel_arg ;;
  [0-9]*.[0-9]*)
    [[ $kernel_arg =~ ^[0-9]+\.[0-9]+$ ]] || die "KERNEL '$kernel_arg' is not a series like 6.1; see --help"
    package=$(newest_package "$kernel_arg")
    if [[ -z $package && $(id -u) -eq 0 ]]; then
      # A fresh machine may have no package lists yet.
      apt-get update -qq >/dev/null 2>&1 || true
      package=$(newest_package "$kernel_arg")
    fi
    [[ -n $package ]] || die "no Debian package linux-image-$kernel_arg*-amd64-unsigned known to apt (apt-get update?)"
    ;;
  *) die "KERNEL '$kernel_arg' is neither a series (6.1), a linux-image-* package nor a .deb" ;;
esac
package=${package//[^A-Za-z0-9._+-]/_}

mkdir -p "$cache" 2>/dev/null || die "cannot create the kernel cache $cache (--cache or GLASSBOX_VMTEST_CACHE)"
kdir=$cache/$package
# Several runs may share the cache: one unpacks, the others wait.
exec {lock_fd}>"$cache/.lock"
flock "$lock_fd"
if [[ ! -f $kdir/.complete ]]; then
  rm -rf "$kdir" "$kdir.tmp"
  mkdir -p "$kdir.tmp"
  if [[ -z $deb_file ]]; then
    echo "$me: fetching $package" >&2
    # apt drops to the _apt user to download: let it write there.
    chown _apt "$kdir.tmp" 2>/dev/null || true
    download() { (cd "$kdir.tmp" && apt-get download -q "$package" >/dev/null 2>"$kdir.tmp/apt.log"); }
    if ! download; then
      # Stale package lists name files the mirror no longer has: refresh once and retry.
      [[ $(id -u) -ne 0 ]] || apt-get update -qq >/dev/null 2>&1 || true
      download || die "apt-get download $package failed: $(grep -v '^W:' "$kdir.tmp/apt.log" | tail -n 1)"
    fi
    chown "$(id -u)" "$kdir.tmp" 2>/dev/null || true
    rm -f "$kdir.tmp/apt.log"
    deb_file=$(echo "$kdir.tmp"/*.deb)
  fi
  mkdir -p "$kdir.tmp/root"
  dpkg-deb -x "$deb_file" "$kdir.tmp/root" || die "dpkg-deb -x $deb_file failed"
  rm -f "$kdir.tmp"/*.deb
  release=$(cd "$kdir.tmp/root/lib/modules" && ls)
  [[ -n $release && -f $kdir.tmp/root/boot/vmlinuz-$release ]] ||
    die "$package has no /boot/vmlinuz-<release> matching /lib/modules/<release>"
  # The package ships no modules.dep (postinst runs depmod): the guest's modprobe needs it.
  depmod -b "$kdir.tmp/root" "$release" || die "depmod for $package failed"
  echo "$release" >"$kdir.tmp/release"
  touch "$kdir.tmp/.complete"
  mv "$kdir.tmp" "$kdir"
fi
release=$(<"$kdir/release")
kroot=$kdir/root

# Booting the bzImage spends most of a TCG boot decompressing it (6.1's xz: ~8 s before the
# kernel's first line; firmware and all else: ~1 s). Debian's kernels are PVH-capable, so the
# uncompressed ELF inside boots directly (qemu's PVH entry; no KASLR then). Extracted once; when
# no payload yields an ELF with the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY, 0x12), the bzImage.
extract_vmlinux() {
  local bz=$1 out=$2 magic tool offset
  for pair in '\xfd7zXZ\x00:xz' '\x28\xb5\x2f\xfd:zstd' '\x1f\x8b\x08:gzip'; do
    magic=${pair%:*}
    tool=${pair##*:}
    command -v "$tool" >/dev/null || continue
    offset=$({ LC_ALL=C grep -obUaP "$magic" "$bz" || true; } | head -n 1 | cut -d: -f1)
    [[ -n $offset ]] || continue
    # The payload is followed by other data: decompressors complain, the ELF is whole.
    tail -c +"$((offset + 1))" "$bz" | "$tool" -dc 2>/dev/null >"$out.tmp" || true
    if [[ $(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' ') == 7f454c46 ]] &&
      LC_ALL=C readelf -n "$out.tmp" 2>/dev/null | grep -q 'Xen.*(0x00000012)'; then
      mv "$out.tmp" "$out"
      return 0
    fi
  done
  rm -f "$out.tmp"
  return 1
}
boot_image=$kroot/boot/vmlinuz-$release
if [[ ! -f $kdir/vmlinux && ! -f $kdir/vmlinux.none ]]; then
  extract_vmlinux "$boot_image" "$kdir/vmlinux" || touch "$kdir/vmlinux.none"
fi
[[ ! -f $kdir/vmlinux ]] || boot_image=$kdir/vmlinux

# ---------------------------------------------------------------------------------------------
# Initramfs: busybox, the modules that reach the root filesystem, and /init. Cached per kernel,
# keyed by the content of /init and busybox, so editing this script rebuilds it.

# Runs as PID 1 in the initramfs: modules, root over 9p + tmpfs overlay, kernel filesystems, then
# switch_root to the stage-2 script below on the new root.
read -r -d '' init_script <<'EOF' || true
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Marks the console: the kernel reached userspace (a panic before this line is the boot's own).
echo "vmtest-init: userspace" >/dev/ttyS0
fail() {
  echo "vmtest-init: $*" >/dev/ttyS0
  poweroff -f
}
for m in $(cat /modules/order); do
  insmod "/modules/$m" || fail "insmod $m failed"
done
mkdir -p /lower /rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /lower ||
  fail "cannot mount the host root over 9p"
mount -t tmpfs -o mode=0755 overlay-rw /rw
mkdir -p /rw/upper /rw/work
# xino=on: stat() then reports the overlay's device and inode numbers, the ones the kernel (and
# glassbox's BPF) sees, as on a plain disk; without it, files of the lower layer report 9p's.
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work,xino=on /newroot ||
  fail "cannot mount the overlay root"
n=/newroot
mount -t proc proc $n/proc
mount -t sysfs sysfs $n/sys
mount -t devtmpfs devtmpfs $n/dev
mkdir -p $n/dev/pts $n/dev/shm
# What udev adds on stock Debian and devtmpfs lacks: shells' /dev/fd/N process substitution.
ln -s /proc/self/fd $n/dev/fd
ln -s /proc/self/fd/0 $n/dev/stdin
ln -s /proc/self/fd/1 $n/dev/stdout
ln -s /proc/self/fd/2 $n/dev/stderr
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts $n/dev/pts
mount -t tmpfs -o mode=1777 shm $n/dev/shm
mount -t tmpfs -o mode=0755 run $n/run
mount -t securityfs securityfs $n/sys/kernel/security 2>/dev/null
mount -t bpf bpf $n/sys/fs/bpf
mount -t tracefs tracefs $n/sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs $n/sys/kernel/debug 2>/dev/null
mount -t cgroup2 -o nsdelegate cgroup2 $n/sys/fs/cgroup || fail "cannot mount cgroup2"
# Virtio-serial ports by name, as udev would link them. The host announces them (and their
# names) after the driver is up: wait for all three.
tries=0
until [ "$(cat /sys/class/virtio-ports/*/name 2>/dev/null | grep -c -E '^(stdout|stderr|status)$')" = 3 ]; do
  tries=$((tries + 1))
  [ $tries -lt 1000 ] || fail "the virtio-serial ports stdout, stderr and status did not appear"
  usleep 10000
done
mkdir -p $n/dev/virtio-ports
for p in /sys/class/virtio-ports/*; do
  ln -s "../$(basename "$p")" "$n/dev/virtio-ports/$(cat "$p/name")"
done
mkdir -p $n/run/vmtest
cp /bin/busybox /stage2 $n/run/vmtest/
# The guest's modprobe (the host's kmod) finds this kernel's modules at their usual place.
kmods=$(sed -n 's/.*vmtest\.modules=\([^ ]*\).*/\1/p' /proc/cmdline)
mkdir -p "$n/lib/modules/$(uname -r)"
mount --bind "$n$kmods" "$n/lib/modules/$(uname -r)" || fail "cannot bind $kmods"
exec switch_root $n /run/vmtest/busybox sh /run/vmtest/stage2
EOF

# PID 1 on the new root: loopback, then the job (written by the host, read over 9p), its exit
# status to the status port, power off. Runs from a copy of busybox on the new /run.
read -r -d '' stage2_script <<'EOF' || true
export PATH=/run/vmtest
bb=/run/vmtest/busybox
$bb hostname vmtest
$bb ip link set lo up
job=$($bb sed -n 's/.*vmtest\.job=\([^ ]*\).*/\1/p' /proc/cmdline)
rc=125
# The job sets vmtest_cwd and the positional parameters: NAME=VALUE... then the command.
if [ -r "$job" ] && . "$job"; then
  if cd "$vmtest_cwd"; then
    # A clean environment: the job's variables only, not the kernel's HOME=/ and TERM=linux.
    # dash, not busybox sh, execs the command: busybox would run its own applets instead.
    $bb env -i "$@" </dev/null >/dev/virtio-ports/stdout 2>/dev/virtio-ports/stderr
    rc=$?
  else
    echo "vmtest: cannot enter $vmtest_cwd in the guest" >/dev/virtio-ports/stderr
  fi
else
  echo "vmtest: cannot read the job file $job in the guest" >/dev/virtio-ports/stderr
fi
echo "$rc" >/dev/virtio-ports/status
$bb sync
$bb poweroff -f
EOF

# What the initramfs loads: virtio PCI transport (a module on 6.1), the console ports, 9p over
# virtio and overlayfs, with their dependencies in load order from the kernel's own modules.dep.
initrd_modules=(virtio_pci virtio_console 9pnet_virtio 9p overlay)
initrd_key=$({ printf '%s\n' "$init_script" "$stage2_script" "${initrd_modules[*]}"; sha256sum <"$busybox_bin"; } |
  sha256sum | cut -c1-16)
initrd=$kdir/initramfs-$initrd_key.cpio.gz
if [[ ! -f $initrd ]]; then
  work=$(mktemp -d "$kdir/initramfs.XXXXXX")
  mkdir -p "$work"/{bin,proc,sys,dev,modules}
  cp "$busybox_bin" "$work/bin/busybox"
  printf '%s\n' "$init_script" >"$work/init"
  printf '%s\n' "$stage2_script" >"$work/stage2"
  chmod 0755 "$work/init"
  declare -A loaded=()
  for m in "${initrd_modules[@]}"; do
    deps=$(modprobe -d "$kroot" -S "$release" --show-depends "$m" 2>&1) ||
      die "kernel $release has no module $m: $deps"
    while read -r kind path _; do
      [[ $kind == insmod ]] || continue   # "builtin NAME": nothing to load
      name=$(basename "$path")
      name=${name%.xz}; name=${name%.zst}; name=${name%.gz}
      [[ -z ${loaded[$name]:-} ]] || continue
      loaded[$name]=1
      # busybox insmod reads plain ELF objects only.
      case $path in
        *.xz) xz -dc "$path" ;;
        *.zst) zstd -dc "$path" ;;
        *.gz) gzip -dc "$path" ;;
        *) cat "$path" ;;
      esac >"$work/modules/$name" || die "cannot decompress $path"
      echo "$name" >>"$work/modules/order"
    done <<<"$deps"
  done
  (cd "$work" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$initrd.tmp" ||
    die "cannot build the initramfs"
  rm -f "$kdir"/initramfs-*.cpio.gz   # built by an older version of this script
  mv "$initrd.tmp" "$initrd"
  rm -rf "$work"
fi
exec {lock_fd}>&-

if ((fetch_only)); then
  echo "$release"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# The job: where and with what environment the command runs. The guest reads it over 9p at the
# same path, so the run directory must be visible in / and its path free of blanks (kernel
# command line).

rundir=$(mktemp -d "${TMPDIR:-/tmp}/glassbox-vmtest.XXXXXX")
[[ $rundir != *[[:space:]]* ]] || { rm -rf "$rundir"; die "TMPDIR has blanks: $rundir"; }
qemu_pid=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [[ -n $qemu_pid ]]; then
    kill "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
  fi
  rm -rf "$rundir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
env_args=("PATH=$PATH" "HOME=/root")
for name in LANG LC_ALL TZ TMPDIR; do
  [[ -z ${!name+x} ]] || env_args+=("$name=${!name}")
done
while IFS= read -r name; do
  [[ $name == GLASSBOX_VMTEST_* ]] || env_args+=("$name=${!name}")
done < <(compgen -e | grep '^GLASSBOX_' || true)
for e in "${extra_env[@]}"; do
  if [[ $e == *=* ]]; then
    env_args+=("$e")
  elif [[ -n ${!e+x} ]]; then
    env_args+=("$e=${!e}")
  fi
done
{
  echo "vmtest_cwd=$(quote "$(pwd -P)")"
  printf 'set --'
  for a in "${env_args[@]}" /bin/sh -c 'exec "$@"' guest "$@"; do
    printf ' %s' "$(quote "$a")"
  done
  echo
} >"$rundir/job"

# ---------------------------------------------------------------------------------------------
# Boot. stdout/stderr ports -> FIFOs -> cat -> our stdout/stderr, while CMD runs. Holding each
# FIFO open read-write here means neither cat nor qemu blocks in open() whatever order they come
# in, and cat sees EOF once qemu has exited and we let go.

mkfifo "$rundir/out.fifo" "$rundir/err.fifo"
exec {hold_out}<>"$rundir/out.fifo" {hold_err}<>"$rundir/err.fifo"
cat "$rundir/out.fifo" {hold_out}>&- {hold_err}>&- &
cat_out=$!
cat "$rundir/err.fifo" >&2 {hold_out}>&- {hold_err}>&- &
cat_err=$!
console_target=$rundir/console.log
cat_con=""
if ((console)); then
  mkfifo "$rundir/console.fifo"
  exec {hold_con}<>"$rundir/console.fifo"
  tee "$rundir/console.log" <"$rundir/console.fifo" >&2 {hold_out}>&- {hold_err}>&- {hold_con}>&- &
  cat_con=$!
  console_target=$rundir/console.fifo
fi

if [[ -w /dev/kvm ]]; then
  accel=(-accel kvm -cpu host)
else
  # One host thread for all vCPUs: with a thread per vCPU (MTTCG), 6.12 guests sometimes died
  # with "Oops: int3" at a static-key site after text_poke_bp had finished (a vCPU ran a stale
  # translation); every recording's start and end flips the sys_exit tracepoint's key.
  accel=(-accel tcg,thread=single -cpu max)
fi
kernel_args="console=ttyS0 panic=-1 vmtest.job=$rundir/job vmtest.modules=$kroot/lib/modules/$release"
((console)) || kernel_args+=" quiet"

start=$(date +%s.%N)
timeout --kill-after=10 "$timeout_s" \
  qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot \
  -machine pc "${accel[@]}" -smp "$cpus" -m "$memory_mib" \
  -kernel "$boot_image" -initrd "$initrd" -append "$kernel_args" \
  -chardev "file,id=con,path=$console_target" -serial chardev:con \
  -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
  -device virtio-serial-pci,id=vser \
  -chardev "file,id=out,path=$rundir/out.fifo" -device virtserialport,bus=vser.0,chardev=out,name=stdout \
  -chardev "file,id=err,path=$rundir/err.fifo" -device virtserialport,bus=vser.0,chardev=err,name=stderr \
  -chardev "file,id=status,path=$rundir/status" -device virtserialport,bus=vser.0,chardev=status,name=status \
  </dev/null >"$rundir/qemu.log" 2>&1 {hold_out}>&- {hold_err}>&- &
qemu_pid=$!
qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
qemu_pid=""
exec {hold_out}>&- {hold_err}>&-
[[ -z $cat_con ]] || exec {hold_con}>&-
wait "$cat_out" "$cat_err" $cat_con 2>/dev/null || true
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

guest_tail() {
  if ((!console)) && [[ -s $rundir/console.log ]]; then
    # A kernel Oops: from its first line (what failed), not only the panic at its end; the
    # whole console is kept for a closer look.
    local oops keep
    oops=$(grep -n -m1 -E 'BUG:|Oops|general protection fault|invalid opcode|int3:|Kernel panic' \
           "$rundir/console.log" | cut -d: -f1)
    keep=${TMPDIR:-/tmp}/vmtest-console-$release-$(date +%Y%m%dT%H%M%S)-$$.log
    cp "$rundir/console.log" "$keep" 2>/dev/null || keep=""
    if [[ -n $oops ]]; then
      echo "$me: the guest kernel failed; its console from the first sign of it${keep:+ (all of it: $keep)}:" >&2
      tail -n +"$oops" "$rundir/console.log" | head -n 60 | sed 's/^/  | /' >&2
    else
      echo "$me: last lines of the guest console${keep:+ (all of it: $keep)}:" >&2
      tail -n 25 "$rundir/console.log" | sed 's/^/  | /' >&2
    fi
  elif ((!console)); then
    echo "$me: the guest console was silent (quiet boot); --console shows the whole boot" >&2
  fi
  if [[ -s $rundir/qemu.log ]]; then
    echo "$me: qemu said:" >&2
    tail -n 10 "$rundir/qemu.log" | sed 's/^/  | /' >&2
  fi
}

if ((qemu_rc == 124 || qemu_rc == 137)); then
  echo "$me: $release: no result within ${timeout_s}s (--timeout); the VM was killed" >&2
  guest_tail
  exit "$EXIT_TIMEOUT"
fi
status=$(tr -dc '0-9' <"$rundir/status" 2>/dev/null || true)
if [[ -z $status ]]; then
  echo "$me: $release: the guest ended after ${elapsed}s without reporting an exit status (qemu exit $qemu_rc)" >&2
  guest_tail
  # A kernel that panicked before reaching userspace never ran CMD: under TCG the boot itself
  # sometimes dies (an int3 Oops in sched_clock_cpu while 6.12 patches its text, seen once in
  # ~50 boots). Booting again cannot hide a failure of CMD; a panic after userspace is reported.
  attempt=${GLASSBOX_VMTEST_BOOT_ATTEMPT:-1}
  if grep -q "Kernel panic" "$rundir/console.log" 2>/dev/null &&
     ! grep -q "vmtest-init: userspace" "$rundir/console.log" && ((attempt < 3)); then
    echo "$me: $release: the kernel panicked before userspace (boot $attempt of 3): booting again" >&2
    cleanup
    trap - EXIT
    opts=(--timeout "$timeout_s" --memory "$memory_mib" --cpus "$cpus" --cache "$cache")
    for e in "${extra_env[@]}"; do opts+=(--env "$e"); done
    ((!console)) || opts+=(--console)
    GLASSBOX_VMTEST_BOOT_ATTEMPT=$((attempt + 1)) exec "$vmtest_self" "${opts[@]}" "${vmtest_args[@]}"
  fi
  exit "$EXIT_VMTEST"
fi
[[ -z ${GLASSBOX_VMTEST_VERBOSE:-} ]] || echo "$me: $release: exit $status after ${elapsed}s" >&2
exit "$status"
}
