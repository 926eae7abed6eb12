#!/usr/bin/env python3
"""Checks the combined BPF stack of every call chain of a BPF object against the kernel's limit.

Every kernel before 6.13, and later ones wherever the JIT gives a program no private stack, refuse
a program whose deepest chain of BPF-to-BPF calls (and bpf_loop/for_each callbacks, which the
verifier walks as calls) uses more than 512 bytes of stack in all. A machine whose JIT does give
private stacks loads such a program, so the failure shows only on the next machine. This check
finds it at build time, on any machine: it reads the object's disassembly (llvm-objdump), takes
each function's stack depth from its r10-relative accesses, rounds each frame up to 32 bytes as the
verifier does, and walks every chain from every program.

Usage: bpf-stack-check.py OBJECT.bpf.o [--limit 512] [--margin 0] [--verbose]
Exit status: 0 every chain fits; 1 a chain is over (printed); 2 the object could not be read.
"""
import argparse
import re
import shutil
import subprocess
import sys

LINE = re.compile(r"^\s*(\d+):\s+((?:[0-9a-f]{2}\s){8})\s*(.*)$")
RELOC = re.compile(r"^\s+[0-9a-f]+:\s+(R_BPF_\w+)\s+(\S+)")
SECTION = re.compile(r"^Disassembly of section (\S+):")
FUNC = re.compile(r"^[0-9a-f]+ <([^>]+)>:")


def objdump(path):
    tool = shutil.which("llvm-objdump") or shutil.which("llvm-objdump-14")
    if not tool:
        sys.exit("bpf-stack-check: llvm-objdump not found (Debian package llvm)")
    try:
        out = subprocess.run([tool, "-dr", path], check=True, capture_output=True, text=True).stdout
        syms = subprocess.run([tool, "-t", path], check=True, capture_output=True, text=True).stdout
    except subprocess.CalledProcessError as e:
        print(f"bpf-stack-check: cannot read {path}: {e.stderr.strip()}", file=sys.stderr)
        sys.exit(2)
    return out, syms


def parse(path):
    out, syms = objdump(path)
    # Function symbols: (section, byte offset) -> name.
    funcs = {}
    for line in syms.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[2] == "F":
            funcs[(parts[3], int(parts[0], 16))] = parts[-1]
    depth, calls = {}, {}
    section, cur, last_insn, r10_copies = None, None, None, set()
    for line in out.splitlines():
        m = SECTION.match(line)
        if m:
            section, cur = m.group(1), None
            continue
        m = FUNC.match(line)
        if m and not m.group(1).startswith("LBB"):
            cur = m.group(1)
            depth.setdefault(cur, 0)
            calls.setdefault(cur, set())
            r10_copies = set()
            continue
        m = LINE.match(line)
        if m and cur:
            idx, raw, text = int(m.group(1)), m.group(2).split(), m.group(3)
            last_insn = (idx, raw, text)
            for n in re.findall(r"r10 - 0x([0-9a-f]+)\)", text):
                depth[cur] = max(depth[cur], int(n, 16))
            for n in re.findall(r"r10 - (\d+)\)", text):
                depth[cur] = max(depth[cur], int(n))
            mv = re.match(r"(r\d+) = r10$", text)
            if mv:
                r10_copies.add(mv.group(1))
            add = re.match(r"(r\d+) \+= -(\d+)$", text)
            if add and add.group(1) in r10_copies:
                depth[cur] = max(depth[cur], int(add.group(2)))
            opcode, regs = int(raw[0], 16), int(raw[1], 16)
            imm = int.from_bytes(bytes(int(b, 16) for b in raw[4:8]), "little", signed=True)
            if opcode == 0x85 and (regs >> 4) == 1 and imm != -1:  # call within the section
                target = funcs.get((section, (idx + imm + 1) * 8))
                if target:
                    calls[cur].add(target)
            continue
        m = RELOC.match(line)
        if m and cur and last_insn:
            kind, sym = m.groups()
            idx, raw, text = last_insn
            imm = int.from_bytes(bytes(int(b, 16) for b in raw[4:8]), "little", signed=True)
            if kind == "R_BPF_64_32" and text.startswith("call"):
                if sym == ".text":
                    target = funcs.get((".text", (imm + 1) * 8))
                else:
                    target = sym if any(n == sym for n in funcs.values()) else None
                if target:
                    calls[cur].add(target)
            elif kind == "R_BPF_64_64" and sym == ".text":  # a callback's address
                target = funcs.get((".text", imm))
                if target:
                    calls[cur].add(target)
    return depth, calls, funcs


def frame(d):
    return (max(d, 1) + 31) // 32 * 32


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("object")
    ap.add_argument("--limit", type=int, default=512)
    ap.add_argument("--margin", type=int, default=0, help="bytes of the limit to keep free")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    depth, calls, funcs = parse(args.object)
    programs = [name for (sec, off), name in funcs.items() if sec != ".text"]
    if not programs:
        print(f"bpf-stack-check: no BPF programs in {args.object}", file=sys.stderr)
        return 2

    def deepest(fn, seen):
        best, best_chain = 0, []
        for callee in sorted(calls.get(fn, ())):
            if callee in seen:
                continue
            d, chain = deepest(callee, seen | {callee})
            if d > best:
                best, best_chain = d, chain
        return frame(depth.get(fn, 0)) + best, [fn] + best_chain

    budget = args.limit - args.margin
    worst = 0
    failed = False
    for prog in sorted(programs):
        total, chain = deepest(prog, {prog})
        worst = max(worst, total)
        shown = " -> ".join(f"{f}({frame(depth.get(f, 0))})" for f in chain)
        if total > budget:
            failed = True
            print(f"bpf-stack-check: {prog}: {total} bytes of stack > {budget}: {shown}")
        elif args.verbose:
            print(f"{prog}: {total} bytes: {shown}")
    if failed:
        print(f"bpf-stack-check: FAILED: move large locals of these functions into per-CPU maps "
              f"(limit {args.limit}, margin {args.margin})")
        return 1
    print(f"bpf-stack-check: {len(programs)} programs, deepest chain {worst} bytes "
          f"(limit {args.limit}, margin {args.margin})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
