// Function starts of x86-64 code that has neither symbols nor unwind tables (strip --strip-all
// plus a removed .eh_frame, hand-made or packed binaries). Called by read_elf; the syscall-site
// analysis (disasm.cpp) needs function boundaries to decode whole functions and to find local
// syscall() wrappers, and without them it fell back to slow windowed decoding and left most
// sites unresolved. Two sources, from one linear sweep of every code region:
//   1. the targets of direct calls (E8 rel32) that land inside a code region: certain entries;
//   2. after an unconditional end of code (ret, jmp, hlt, ud2) and its alignment padding (nop,
//      int3), an instruction at a 16-byte boundary that opens a frame the way compilers do
//      (endbr64, push of a callee-saved register, sub rsp): functions only reached indirectly
//      (through pointers, vtables, the PLT).
#include "scan/capstone.hpp"
#include "scan/elf_reader.hpp"

#include <cstring>
#include <set>

namespace glassbox::scan {

namespace {

bool in_code(const std::vector<code_region>& code, std::uint64_t a) {
    for (const auto& r : code)
        if (a >= r.address && a - r.address < r.bytes.size())
            return true;
    return false;
}

// The first bytes of a compiler-made function prologue.
bool opens_frame(const std::uint8_t* b, std::size_t n) {
    if (n >= 4 && b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa)
        return true; // endbr64
    if (n >= 1 && (b[0] == 0x55 || b[0] == 0x53))
        return true; // push rbp / push rbx
    if (n >= 2 && b[0] == 0x41 && b[1] >= 0x54 && b[1] <= 0x57)
        return true; // push r12..r15
    if (n >= 3 && b[0] == 0x48 && (b[1] == 0x83 || b[1] == 0x81) && b[2] == 0xec)
        return true; // sub rsp, imm
    return false;
}

} // namespace

std::vector<std::uint64_t> sweep_function_starts(const std::vector<code_region>& code) {
    std::set<std::uint64_t> starts;
    auto cs = capstone_handle::open(false);
    if (!cs)
        return {};
    insn_ptr ci = cs->alloc_insn();
    if (!ci)
        return {};
    for (const auto& r : code) {
        const std::uint8_t* base = r.bytes.data();
        const std::size_t n = r.bytes.size();
        std::size_t off = 0;
        bool after_end = true; // the region start counts as "after the end of a function"
        bool padded = false;
        while (off < n) {
            const std::uint8_t* p = base + off;
            std::size_t left = n - off;
            std::uint64_t addr = r.address + off;
            if (!cs->disasm_iter(&p, &left, &addr, ci.get())) {
                ++off; // data or padding Capstone cannot decode: resynchronise at the next byte
                after_end = false;
                continue;
            }
            const cs_insn& in = *ci;
            const std::uint64_t at = in.address;
            const std::uint8_t* b = base + off;
            bool padding = in.id == X86_INS_NOP || in.id == X86_INS_INT3;
            if (after_end && !padding) {
                bool aligned = at % 16 == 0 || (padded && at % 4 == 0);
                if (aligned && opens_frame(b, n - off))
                    starts.insert(at);
            }
            if (in.size >= 5 && b[in.size - 5] == 0xe8) { // call rel32 (possibly after prefixes)
                std::int32_t rel;
                std::memcpy(&rel, b + in.size - 4, 4);
                std::uint64_t target = at + in.size + static_cast<std::int64_t>(rel);
                if (in_code(code, target))
                    starts.insert(target);
            }
            if (in.id == X86_INS_RET || in.id == X86_INS_RETF || in.id == X86_INS_HLT || in.id == X86_INS_UD2 ||
                (in.id == X86_INS_JMP)) {
                after_end = true;
                padded = false;
            } else if (padding) {
                padded = after_end || padded;
            } else {
                after_end = false;
                padded = false;
            }
            off += in.size;
        }
    }
    return {starts.begin(), starts.end()};
}

} // namespace glassbox::scan
