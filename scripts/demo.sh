#!/usr/bin/env bash
# The main job on a real example, fully offline: installs dependencies, builds glassbox, makes a
# small sample folder and a tiny local ClamAV signature database (one MD5 signature, one body
# signature for the EICAR test string), records `clamscan -r` over the folder with `glassbox run`,
# and prints what the trace says clamscan did. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if [[ $(id -u) -ne 0 ]]; then
  echo "demo: run as root (eBPF recording needs it): sudo scripts/demo.sh" >&2
  exit 77
fi

bash scripts/install-deps.sh
build_dir=${GLASSBOX_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" --target glassbox -j "$(nproc)"
glassbox=$root/$build_dir/glassbox

work=$(mktemp -d /tmp/glassbox-demo.XXXXXX)
samples=$work/samples
db=$work/db
mkdir -p "$samples/docs" "$samples/bin" "$samples/archive" "$db"

# Sample files: harmless text, a "dropper" matched by its MD5, and the EICAR test string
# (the industry's harmless test file) matched by a body signature.
echo "quarterly report: nothing to see" >"$samples/docs/report.txt"
printf '#!/bin/sh\necho glassbox-demo-dropper\n' >"$samples/bin/dropper.sh"
printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$samples/eicar.com"
tar -C "$samples/docs" -cf "$samples/archive/docs.tar" report.txt
for i in $(seq 1 20); do echo "log line $i" >"$samples/docs/log-$i.txt"; done

# The signature database: <md5>:<size>:<name> (.hdb) and <name>:<target>:<offset>:<hex> (.ndb).
md5=$(md5sum "$samples/bin/dropper.sh" | cut -d' ' -f1)
size=$(stat -c %s "$samples/bin/dropper.sh")
echo "$md5:$size:Glassbox.Demo.Dropper" >"$db/glassbox-demo.hdb"
eicar_hex=$(printf '%s' 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE' | od -An -tx1 | tr -d ' \n')
echo "Glassbox.Demo.EICAR:0:*:$eicar_hex" >"$db/glassbox-demo.ndb"

trace=$work/clamscan.jsonl
echo
echo "== glassbox run --out $trace -- clamscan -d $db -r $samples"
set +e
"$glassbox" run --out "$trace" -- clamscan --no-summary -d "$db" -r "$samples"
status=$?
set -e
echo "== clamscan exited with $status (1 = it found the planted samples), trace: $trace"
echo

python3 - "$trace" "$samples" <<'PY'
import json, sys
trace, samples = sys.argv[1], sys.argv[2]
lines = [json.loads(l) for l in open(trace)]
header, summary = lines[0], lines[-1]
events = lines[1:-1]
print(f"command : {' '.join(header['command'])}")
print(f"kernel  : {header['kernel']}   started {header['start_wall']}")
print(f"events  : {summary['events']}  {summary['counts']}")
print(f"lost    : {summary['lost']}   duration {summary['duration_ns']/1e9:.2f}s   ended by {summary.get('ended_by')}")
print("\nprograms executed:")
for e in events:
    if e["type"] == "exec":
        print(f"  pid {e['pid']:>6}  {e['path']}  argv={e['argv']}")
print("\nfiles opened under the sample folder (kernel-resolved paths):")
seen = set()
for e in events:
    if e["type"] == "open" and e.get("path") and e["path"].startswith(samples) and e["path"] not in seen:
        seen.add(e["path"])
        print(f"  {e['access']:<10} {e['path']}")
dbs = sorted({e["path"] for e in events if e["type"] == "open" and e.get("path") and "/db/" in e["path"]})
print("\nsignature databases read:")
for p in dbs:
    print(f"  {p}")
failed = [e for e in events if e["type"] == "open" and e["ret"] < 0]
print(f"\nfailed opens: {len(failed)} (e.g. {', '.join(sorted({e['raw_path'] for e in failed})[:4])})")
net = [e for e in events if e["type"] in ("connect", "bind", "sendto", "listen", "accept")]
print(f"network events: {len(net)}")
PY
