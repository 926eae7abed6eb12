# Sourced by scripts/bench-overhead.sh and scripts/bench-ab.sh: the timing they share and the
# clamscan workload's one-signature database, so both measure the same thing the same way.

# Prints "wall_s cpu_s" of "$@" (cpu = user+sys of the command and its children: for glassbox
# that is the workload plus the recorder). Output of the command is discarded.
time_it() {
  local TIMEFORMAT='%R %U %S' out
  out=$( { time "$@" >/dev/null 2>&1; } 2>&1 ) || true
  awk '{printf "%.3f %.3f\n", $1, $2 + $3}' <<<"$out"
}

# The number after "KEY": in a JSON line on stdin (a trace summary).
field() { sed -E "s/.*\"$1\":([0-9]+).*/\\1/"; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# "LO HI" of a distribution-free 95% confidence interval for the median of the numbers on stdin
# (the sign test's order statistics: with n values the k-th smallest and the k-th largest, k the
# largest with P(Binomial(n, 1/2) < k) <= 2.5%), or "- -" with fewer than 6 values. On this VM a
# single round's ratio moves by +-10% with the machine's speed; the interval says how far the
# median of the rounds can be trusted. Computed by scripts/bench-pool.py, whose pooled figures
# use the same interval.
median_ci() {
  python3 "$(dirname "${BASH_SOURCE[0]}")/bench-pool.py" --sign-ci
}

# A ClamAV database of one body signature that matches nothing on the machine: clamscan still
# opens and reads every file, without loading the full signature set.
make_bench_db() {
  mkdir -p "$1"
  echo "Glassbox.Bench:0:*:676c617373626f782d62656e6368" >"$1/b.ndb"
}
