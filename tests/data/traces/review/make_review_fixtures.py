#!/usr/bin/env python3
"""Writes the hand-made traces `glassbox review` is tested on (docs/trace-format.md, version 1).

A fake agent "qagent" moves detected files into a quarantine folder, modelled on the ClamAV
1.4.3 -> 1.4.6 update (docs/review.md):
  v1-run1/v1-run2  version 1, traced in two folders (/lab/w-old1, /lab/w-old2): renameat into the
                   quarantine, a connect to 127.0.0.1:3310 refused (ECONNREFUSED), a missing
                   optional config (ENOENT).
  v1-home          version 1 again, in a third folder and with another $HOME and $TMPDIR.
  v2-run1/v2-run2  version 2 in /lab/w-new1, /lab/w-new2: quarantine by linkat + unlink, a
                   .qagent-unlink-* folder (mkdirat), renameat2 RENAME_NOREPLACE, a lock file named
                   after the pid (.lock.700 in run 1, .lock.800 in run 2), a new
                   connect to 10.0.0.5:443 (outside the profile); run 1 only also spawns sh -> curl.
  v2-partial       version 2 cut short: no summary line, and a header whose coverage says the
                   network family was not observed.
  v2-lost          version 2 with lost events in its summary.
Run it from anywhere: python3 tests/data/traces/review/make_review_fixtures.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
AGENT = "/opt/qagent/bin/qagent"


def header(cwd, pid, home="/root", tmpdir="/tmp", coverage=None):
    h = {"type": "header", "format": "glassbox-trace", "version": 1, "glassbox_version": "0.1.0",
         "mode": "run", "command": ["qagent", "--move=q", "eicar"], "cwd": cwd, "host": "lab1",
         "kernel": "6.18.44", "start_wall": "2026-12-01T10:00:00.000000000Z",
         "start_ns": 1796119200000000000, "root_pid": pid, "cgroup": "/sys/fs/cgroup/glassbox-%d" % pid,
         "env": {"HOME": home, "TMPDIR": tmpdir}}
    if coverage is not None:
        h["coverage"] = coverage
    return h


def build(version, cwd, pid, spawn_shell=False, home="/root", tmpdir="/tmp", partial=False, lost=0,
          coverage=None):
    events = []

    def ev(kind, p=pid, comm="qagent", exe=AGENT, ppid=pid - 1, **kw):
        d = {"type": kind, "ts": 0, "pid": p, "tid": p, "ppid": ppid, "uid": 0, "euid": 0, "comm": comm,
             "exe": exe}
        d.update(kw)
        events.append(d)

    ev("exec", path=AGENT, raw_path="qagent", argv=["qagent", "--move=q", "eicar"], argv_truncated=False,
       cwd=cwd, ret=0, syscall="execve")
    lib = "/usr/lib/x86_64-linux-gnu/libc.so.6"
    ev("open", path=lib, raw_path=lib, flags=524288, access="read", create=False, truncate=False, ret=3,
       syscall="openat")
    ev("mmap_exec", path=lib, prot=5, flags=2, ret=140000000000)
    ev("open", path="/etc/qagent/qagent.conf", raw_path="/etc/qagent/qagent.conf", flags=0, access="read",
       create=False, truncate=False, ret=3, syscall="openat")
    ev("open", path=None, raw_path="/etc/qagent/optional.conf", flags=0, access="read", create=False,
       truncate=False, ret=-2, errno="ENOENT", syscall="openat")
    ev("open", path=f"{home}/.qagentrc", raw_path=f"{home}/.qagentrc", flags=0, access="read", create=False,
       truncate=False, ret=3, syscall="openat")
    ev("open", path=f"{tmpdir}/qagent.state", raw_path=f"{tmpdir}/qagent.state", flags=577, access="write",
       create=True, truncate=True, mode=384, ret=4, syscall="openat")
    ev("socket", family="inet", sock_type="stream", protocol=0, ret=5, syscall="socket")
    ev("connect", family="inet", sock_type="stream", addr="127.0.0.1", port=3310, fd=5, ret=-111,
       errno="ECONNREFUSED", syscall="connect")
    for name in ("a.com", "b.exe"):
        src = f"{cwd}/eicar/{name}"
        dst = f"{cwd}/q/{name}"
        ev("open", path=src, raw_path=f"eicar/{name}", flags=0, access="read", create=False, truncate=False,
           ret=6, syscall="openat")
        if version == 1:
            ev("rename", old_path=src, new_path=dst, raw_old_path=f"eicar/{name}", raw_new_path=f"q/{name}",
               ret=0, syscall="renameat")
        else:
            tmpd = f"{cwd}/q/.qagent-unlink-{name[0]}Xa9Bq2"
            ev("mkdir", path=tmpd, raw_path=tmpd, mode=448, ret=0, syscall="mkdirat")
            ev("link", old_path=src, new_path=dst, raw_old_path=f"eicar/{name}", raw_new_path=f"q/{name}",
               flags=0, ret=0, syscall="linkat")
            ev("rename", old_path=src, new_path=f"{tmpd}/{name}", raw_old_path=f"eicar/{name}",
               raw_new_path=f"{tmpd}/{name}", flags=1, ret=0, syscall="renameat2")
            ev("unlink", path=f"{tmpd}/{name}", raw_path=f"{tmpd}/{name}", flags=0, ret=0, syscall="unlinkat")
            ev("rmdir", path=tmpd, raw_path=tmpd, flags=512, ret=0, syscall="unlinkat")
    if version == 2:
        # The lock file is named after the pid (/10: 3-4 digits, which the normaliser keeps):
        # review must see the run-to-run variation and merge it.
        ev("open", path=f"{cwd}/q/.lock.{pid // 10}", raw_path=f"q/.lock.{pid // 10}", flags=65, access="write",
           create=True,
           truncate=False, mode=384, ret=7, syscall="openat")
        ev("socket", family="inet", sock_type="stream", protocol=0, ret=8, syscall="socket")
        ev("connect", family="inet", sock_type="stream", addr="10.0.0.5", port=443, fd=8, ret=0,
           syscall="connect")
    if spawn_shell:
        child = pid + 1
        ev("fork", child_pid=child, child_tid=child, thread=False, syscall="clone")
        ev("exec", p=child, comm="sh", exe="/usr/bin/dash", ppid=pid, path="/usr/bin/dash", raw_path="/bin/sh",
           argv=["sh", "-c", "curl -s https://updates.example/"], argv_truncated=False, cwd=cwd, ret=0,
           syscall="execve")
        ev("fork", p=child, comm="sh", exe="/usr/bin/dash", ppid=pid, child_pid=child + 1,
           child_tid=child + 1, thread=False, syscall="clone")
        ev("exec", p=child + 1, comm="curl", exe="/usr/bin/curl", ppid=child, path="/usr/bin/curl",
           raw_path="/usr/bin/curl", argv=["curl", "-s", "https://updates.example/"], argv_truncated=False,
           cwd=cwd, ret=0, syscall="execve")
        ev("exit", p=child + 1, comm="curl", exe="/usr/bin/curl", ppid=child, exit_code=0, thread=False)
        ev("exit", p=child, comm="sh", exe="/usr/bin/dash", ppid=pid, exit_code=0, thread=False)
    ev("exit", exit_code=0, thread=False)
    for i, e in enumerate(events):
        e["ts"] = 2_000_000 * (i + 1)  # 2 ms apart: the timeline has several bins
    lines = [header(cwd, pid, home, tmpdir, coverage)] + events
    if not partial:
        counts = {}
        for e in events:
            counts[e["type"]] = counts.get(e["type"], 0) + 1
        lines.append({"type": "summary", "events": len(events), "counts": counts,
                      "duration_ns": 2_000_000 * (len(events) + 1), "lost": lost, "lost_by_cpu": [lost, 0],
                      "exit": {"code": 0}, "ended_by": "exit", "complete": True})
    return lines


def write(name, lines):
    with open(os.path.join(HERE, name), "w") as f:
        for line in lines:
            f.write(json.dumps(line, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    write("v1-run1.trace", build(1, "/lab/w-old1", 5000))
    write("v1-run2.trace", build(1, "/lab/w-old2", 6000))
    write("v1-home.trace", build(1, "/srv/other-lab/w3", 6500, home="/home/tester", tmpdir="/var/tmp/t1"))
    write("v2-run1.trace", build(2, "/lab/w-new1", 7000, spawn_shell=True))
    write("v2-run2.trace", build(2, "/lab/w-new2", 8000))
    write("v2-partial.trace", build(2, "/lab/w-new3", 9000, partial=True,
                                    coverage={"complete": False, "families": {
                                        "file": {"observed": True},
                                        "signals": {"observed": True, "degraded": "target named from /proc"},
                                        "network": {"observed": False, "reason": "cgroup BPF unavailable"}}}))
    write("v2-lost.trace", build(2, "/lab/w-new4", 9500, lost=17))
