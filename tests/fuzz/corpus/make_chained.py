#!/usr/bin/env python3
"""Writes the chained variants of the trace_reader fuzz corpus from its unchained inputs.

It implements the hash chain from docs/trace-format.md ("The hash chain") alone, without
glassbox's code: `glassbox verify` says "intact" for its complete outputs, which shows the
document is enough for another tool. Inputs: run1.trace (complete), fork-chain.trace
(complete), no-summary.trace (partial, last checkpoint before the end); plus an edited copy of
run1 (one byte changed after the chain was made). Checkpoints every 8 lines.
Run it from anywhere: python3 tests/fuzz/corpus/make_chained.py
"""
import hashlib
import json
import os

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trace_reader")
EVERY = 8
TAG_BYTES = 4


def chained(lines, complete):
    out = b""
    h = hashlib.sha256()
    tags = ""
    count = 0

    def add(line):
        nonlocal out, tags, count
        data = line.encode() + b"\n"
        out += data
        h.update(data)
        tags += h.copy().digest()[:TAG_BYTES].hex()
        count += 1

    def chain_line(prefix):
        nonlocal out, tags, count
        text = (prefix + '"lines":%d,"tags":"%s",' % (count, tags)).encode()
        h.update(text)
        tail = ('"sha256":"%s"}\n' % h.copy().hexdigest()).encode()
        h.update(tail)
        out += text + tail
        tags = ""
        count += 1

    header = json.loads(lines[0])
    header["chain"] = {"hash": "sha256", "tag_bytes": TAG_BYTES, "checkpoint_lines": EVERY}
    add(json.dumps(header, separators=(",", ":")))
    body = [l for l in lines[1:] if json.loads(l).get("type") != "summary"]
    summary = [l for l in lines[1:] if json.loads(l).get("type") == "summary"]
    for i, l in enumerate(body):
        add(l)
        if len(tags) // (2 * TAG_BYTES) >= EVERY:
            chain_line('{"type":"checkpoint","ts":%d,' % (1000 * (i + 1)))
    if complete:
        s = summary[0]
        assert s.endswith("}")
        chain_line(s[:-1] + ",")
    return out


def read(name):
    with open(os.path.join(HERE, name)) as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


write("chained-run1.trace", chained(read("run1.trace"), True))
write("chained-fork-chain.trace", chained(read("fork-chain.trace"), True))
write("chained-partial.trace", chained(read("run1.trace"), False))
edited = bytearray(chained(read("run1.trace"), True))
at = edited.index(b"/usr/lib")
edited[at + 1] = ord("U")
write("chained-edited.trace", bytes(edited))
