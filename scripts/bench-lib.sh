# Sourced by scripts/bench-overhead.sh and scripts/bench-ab.sh: the timing they share and the
# clamscan workload's one-signature database, so both measure the same thing the same way.

# Prints "wall_s cpu_s" of "$@" (cpu = user+sys of the command and its children: for glassbox
# that is the workload plus the recorder). Output of the command is discarded.
time_it() {
  local TIMEFORMAT='%R %U %S' out
  out=$( { time "$@" >/dev/null 2>&1; } 2>&1 ) || true
  awk '{printf "%.3f %.3f\n", $1, $2 + $3}' <<<"$out"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# A ClamAV database of one body signature that matches nothing on the machine: clamscan still
# opens and reads every file, without loading the full signature set.
make_bench_db() {
  mkdir -p "$1"
  echo "Glassbox.Bench:0:*:676c617373626f782d62656e6368" >"$1/b.ndb"
}
