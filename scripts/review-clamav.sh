#!/usr/bin/env bash
# The update review of docs/review.md, end to end on a real Debian agent: ClamAV's clamscan from
# two Debian 12 builds (the bookworm release and the bookworm-security update, as apt-cache
# madison lists them), each downloaded with apt-get download, unpacked with dpkg-deb -x into its
# own folder, and run twice under `glassbox run` (each run in its own lab folder) with
# `clamscan --move` over an EICAR folder. Then `glassbox learn` on the old runs and
# `glassbox review` with the .deb files, in all four formats, and a screenshot of the HTML dossier.
# Run as root (glassbox run). Usage: scripts/review-clamav.sh [WORK_DIR] [OLD_VERSION NEW_VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
glassbox=${GLASSBOX:-$repo/build/glassbox}
work=${1:-/tmp/glassbox-review-clamav}
old_v=${2:-$(apt-cache madison clamav | awk '{print $3}' | sort -V | head -1)}
new_v=${3:-$(apt-cache madison clamav | awk '{print $3}' | sort -V | tail -1)}
[[ -x $glassbox ]] || { echo "review-clamav: build glassbox first ($glassbox missing)" >&2; exit 2; }
[[ $old_v != "$new_v" ]] || { echo "review-clamav: apt offers only clamav $old_v: give OLD_VERSION NEW_VERSION" >&2; exit 2; }
echo "clamav $old_v -> $new_v in $work"
rm -rf "$work"
mkdir -p "$work/debs" "$work/db"

# The two builds, exactly as Debian ships them.
(cd "$work/debs" && apt-get download -q "clamav=$old_v" "libclamav12=$old_v" "clamav=$new_v" "libclamav12=$new_v")
for side in old new; do
  v=$old_v; [[ $side == new ]] && v=$new_v
  for p in clamav libclamav12; do
    dpkg-deb -x "$work/debs/${p}_${v/:/%3a}_amd64.deb" "$work/$side"
  done
done

# A one-signature database for the EICAR test string (no network: no freshclam).
eicar='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
echo "Glassbox.Review.EICAR:0:*:$(printf '%s' 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE' | od -An -tx1 | tr -d ' \n')" >"$work/db/eicar.ndb"

# Two runs per version, each in its own folder: the folder names must not show in the review.
for side in old new; do
  for run in 1 2; do
    d=$work/w-$side$run
    mkdir -p "$d/eicar" "$d/q"
    printf '%s' "$eicar" >"$d/eicar/eicar.com"
    printf 'hello\n' >"$d/eicar/clean.txt"
    # clamscan exits 1 when it finds something: that is the run's status, not a failure.
    (cd "$d" && "$glassbox" run --out "$work/$side$run.trace" -- \
       env "LD_LIBRARY_PATH=$work/$side/usr/lib/x86_64-linux-gnu" "$work/$side/usr/bin/clamscan" \
       --database="$work/db" --move=q eicar) || [[ $? == 1 ]]
  done
done

# The allowed profile, learned from the old version's runs. learn already generalised the two
# lab folders (w-old1, w-old2 -> w-old*); the reviewer widens them to every lab folder and to
# whichever unpacked build runs (old/, new/), as a profile meant for the lab would say.
"$glassbox" learn "$work/old1.trace" "$work/old2.trace" --name clamscan -o "$work/clamscan.yaml"
sed -i -e "s#$work/w-old\*#$work/w-*#g" -e "s#$work/old/#$work/*/#g" "$work/clamscan.yaml"

# One version in two folders: no change.
"$glassbox" review --old "$work/old1.trace" --new "$work/old2.trace" | head -3

# The update.
review() {
  "$glassbox" review --old "$work/old1.trace" "$work/old2.trace" --new "$work/new1.trace" "$work/new2.trace" \
    --profile "$work/clamscan.yaml" \
    --old-package "$work/debs/clamav_${old_v/:/%3a}_amd64.deb" --new-package "$work/debs/clamav_${new_v/:/%3a}_amd64.deb" \
    --title "clamav $old_v -> $new_v (clamscan --move)" "$@"
}
set +e
review -o "$work/review.txt"
status=$?
review -f markdown -o "$work/review.md"
review -f json -o "$work/review.json"
review -f html -o "$work/review.html"
set -e
echo "review exit status: $status (0 nothing to review, 1 something to review)"
profile_dir=$(mktemp -d /tmp/glassbox-chromium-XXXXXX)
timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$profile_dir" --hide-scrollbars \
  --virtual-time-budget=5000 --window-size=1400,2400 --screenshot="$work/review.png" "file://$work/review.html" 2>/dev/null
rm -rf "$profile_dir"
echo "dossier: $work/review.{txt,md,json,html}; screenshot: $work/review.png"
