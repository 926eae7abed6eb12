#!/usr/bin/env python3
"""Pools the paired rounds of several overhead benchmark runs (docs/performance.md).

Each round of scripts/bench-overhead.sh runs the workload untraced and under `glassbox run` side
by side and prints their wall-time ratio ("glassbox/plain WALL CPU"). On the lab VM one round's
ratio moves by about +-10% with the machine's speed, and the machine's phase moves a 20-round
run's median by a point or two, so the overhead is estimated from all rounds of all runs:

  median   the median ratio, with the sign test's distribution-free 95% interval (as the
           benchmark scripts print it for one run);
  HL       the Hodges-Lehmann estimate (the median of all pairwise means of the log ratios), with
           the Wilcoxon signed-rank 95% interval: for paired rounds it is the usual, and much
           tighter, estimator; it assumes the log ratios are symmetric around their centre.

usage: scripts/bench-pool.py FILE...
  FILE: the output of scripts/bench-overhead.sh (its "glassbox/plain" lines), or a list of
  ratios, one per line ('#' starts a comment). Each file is one run; the last lines pool them.
usage: scripts/bench-pool.py --sign-ci < NUMBERS
  prints "LO HI", the sign test's 95% interval of the median of the numbers (one per line), or
  "- -" below 6 numbers (scripts/bench-lib.sh's median_ci).
usage: scripts/bench-pool.py --hl < RATIOS
  prints the HL part of a report line for the ratios (scripts/bench-overhead.sh's run figure).
"""
import math
import re
import statistics
import sys

ROUND = re.compile(r"glassbox/plain ([0-9.]+)")


def ratios(path):
    with open(path) as f:
        lines = f.read().splitlines()
    rounds = [float(m.group(1)) for m in map(ROUND.search, lines) if m]
    if rounds:  # a benchmark's output: its other lines are the summary
        return rounds
    out = []
    for n, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            out.append(float(text))
        except ValueError:
            raise ValueError(f"line {n} is not a ratio ({text[:40]!r}): expected the output of "
                             "scripts/bench-overhead.sh or one ratio per line") from None
    return out


def sign_ci(v):
    """95% interval of the median from the sign test's order statistics (None below 6 values)."""
    v = sorted(v)
    n = len(v)
    k, cdf, c = 0, 0.0, 1.0  # c = C(n, i)
    for i in range(n):
        cdf += c / 2**n
        if cdf > 0.025:
            break
        k = i + 1
        c = c * (n - i) / (i + 1)
    return (v[k - 1], v[n - k]) if k >= 1 else None


def hodges_lehmann(v):
    """HL estimate of the ratio and its Wilcoxon 95% interval (normal approximation)."""
    logs = [math.log(x) for x in v]
    n = len(logs)
    walsh = sorted((logs[i] + logs[j]) / 2 for i in range(n) for j in range(i, n))
    mid = statistics.median(walsh)
    k = math.floor(n * (n + 1) / 4 - 1.96 * math.sqrt(n * (n + 1) * (2 * n + 1) / 24))
    if k < 0:
        return math.exp(mid), None
    return math.exp(mid), (math.exp(walsh[k]), math.exp(walsh[len(walsh) - 1 - k]))


def pct(r):
    return f"{(r - 1) * 100:+.1f}%"


def hl_text(v):
    hl, hci = hodges_lehmann(v)
    return f"HL {pct(hl)}" + (f" (95% {pct(hci[0])} .. {pct(hci[1])})" if hci else "")


def report(name, v):
    med = statistics.median(v)
    ci = sign_ci(v)
    s = f"{name}: {len(v)} rounds; median {pct(med)}"
    s += f" (95% {pct(ci[0])} .. {pct(ci[1])})" if ci else " (too few rounds for an interval)"
    print(f"{s}; {hl_text(v)}")


def main(argv):
    if len(argv) == 2 and argv[1] in ("--sign-ci", "--hl"):
        v = [float(x) for x in sys.stdin.read().split()]
        if argv[1] == "--hl":
            print(hl_text(v) if v else "HL - (no rounds)")
            return 0
        ci = sign_ci(v)
        print(f"{ci[0]} {ci[1]}" if ci else "- -")
        return 0
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 2 if len(argv) < 2 else 0
    pooled = []
    for path in argv[1:]:
        try:
            v = ratios(path)
        except (OSError, ValueError) as e:
            print(f"bench-pool: {path}: {e}", file=sys.stderr)
            return 1
        if not v:
            print(f"bench-pool: {path}: no rounds found", file=sys.stderr)
            return 1
        report(path, v)
        pooled += v
    if len(argv) > 2:
        report(f"pooled ({len(argv) - 1} runs)", pooled)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
