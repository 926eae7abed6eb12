#!/bin/bash
# The HTML review dossier in a real browser: Debian's chromium, headless, loads the file written by
# `glassbox review -f html`, runs its inline script and d3, and the rendered DOM (--dump-dom) must
# show the verdict, the change table (filtered through a #filter= link too), the process tree and
# the timeline charts d3 drew; a screenshot must be a real PNG. Registered by tests/review.cmake.
# Usage: browser_test.sh GLASSBOX_BIN SOURCE_DIR WORK_DIR
set -euo pipefail
bin=$1
data=$2/tests/data/traces/review
work=$3
fail() { echo "FAIL: $*" >&2; exit 1; }

chromium=$(command -v chromium || true)
[[ -n $chromium ]] || fail "chromium is not installed (scripts/install-deps.sh installs it)"
rm -rf "$work"
mkdir -p "$work"
profile_dir=$(mktemp -d /tmp/glassbox-chromium-XXXXXX)
trap 'rm -rf "$profile_dir"' EXIT

# Chromium runs as root here (CI): no sandbox; no GPU on a lab VM. A fresh profile each time.
browse() {
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --user-data-dir="$profile_dir" \
    --hide-scrollbars --virtual-time-budget=5000 "$@" 2>"$work/chromium.log"
}

set +e
"$bin" review --old "$data/v1-run1.trace" "$data/v1-run2.trace" --new "$data/v2-run1.trace" "$data/v2-run2.trace" \
  --profile "$data/qagent.yaml" --title "qagent 1 -> 2" -f html -o "$work/update.html"
status=$?
"$bin" review --old "$data/v1-run1.trace" --new "$data/v1-run2.trace" -f html -o "$work/same.html"
same_status=$?
set -e
[[ $status -eq 1 ]] || fail "review of the update exited $status, expected 1"
[[ $same_status -eq 0 ]] || fail "review of one version in two folders exited $same_status, expected 0"

browse --dump-dom "file://$work/update.html" >"$work/update.dom" || fail "chromium --dump-dom failed: $(tail -3 "$work/chromium.log")"
dom=$work/update.dom
has() { grep -q -- "$1" "$dom" || fail "rendered DOM lacks: $1"; }
count() { grep -o -- "$1" "$dom" | wc -l; }

# The verdict, first.
has '<section id="verdict" data-exit-status="1">'
has 'NEW BEHAVIOUR (10 new, 0 gone); PROFILE VIOLATIONS (3); traces complete'
has '<span class="badge bad" id="v-behaviour">new behaviour</span>'
# The ranked change table: ten rows, the riskiest first, with evidence links.
[[ $(count '<tr id="c[0-9]*" class="change') -eq 10 ]] || fail "expected 10 change rows, got $(count '<tr id="c[0-9]*" class="change')"
has '<tr id="c1" class="change new outside"'
has 'tcp 10.0.0.5:443'
has 'renameat2 RENAME_NOREPLACE'
has 'v2-run1.trace:25</a>'
# The inline script ran (it counts the rows it shows) ...
has '10 of 10 shown'
# ... and d3 drew one chart per family for each side.
[[ $(count '<div class="chart" data-family="[a-z]*"><div class="label">') -eq 8 ]] || fail "expected 8 timeline charts drawn by d3"
has '<path class="area" d="M'
# The process tree: qagent -> dash -> curl.
has '<li id="p-7000"><span class="proc">qagent</span>'
has '<li id="p-7002"><span class="proc">curl</span>'
# Violations.
[[ $(count '<tr class="violation">') -eq 3 ]] || fail "expected 3 violation rows"

# A #filter= link filters the change table in the browser.
browse --dump-dom "file://$work/update.html#filter=curl" >"$work/filtered.dom" || fail "chromium (filtered) failed"
grep -q '2 of 10 shown' "$work/filtered.dom" || fail "the #filter=curl link did not leave the 2 rows that mention curl"

# One version in two folders: no change.
browse --dump-dom "file://$work/same.html" >"$work/same.dom" || fail "chromium (same) failed"
grep -q 'id="no-change"' "$work/same.dom" || fail "the no-change dossier does not say so"
grep -q 'no change in behaviour' "$work/same.dom" || fail "the no-change verdict is missing"

# A screenshot: a PNG of real size.
browse --window-size=1400,1800 --screenshot="$work/update.png" "file://$work/update.html" || fail "chromium --screenshot failed"
[[ -s $work/update.png ]] || fail "no screenshot written"
[[ $(head -c 8 "$work/update.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "the screenshot is not a PNG"
[[ $(stat -c %s "$work/update.png") -gt 20000 ]] || fail "the screenshot is too small to show the dossier"
echo "ok: dossier rendered in $("$chromium" --version 2>/dev/null | head -1); screenshot $work/update.png"
