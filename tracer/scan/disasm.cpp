// Syscall-site discovery and number recovery (see disasm.hpp). Pipeline per image:
//   1. byte prefilter over executable regions: 0F 05 (syscall), 0F 34 (sysenter), CD 80 (int 0x80),
//      E8/E9 rel32 to a dispatcher, FF 15/FF 25 through a dispatcher's GOT slot;
//   2. each function containing a candidate is decoded once, linearly, with Capstone details, and
//      its intra-function branch targets are collected (block starts and their predecessors);
//   3. from each real site, the register carrying the number (eax, or the dispatcher's argument
//      register) is traced backwards: `mov r, imm`, `xor r, r`, `mov r, r2` (switch register),
//      `push imm; pop r`; at a block start every predecessor is followed and the values merged;
//      a call clobbers caller-saved registers; reaching the function entry in an argument register
//      makes the function itself a dispatcher, resolved at its own callers in the next round.
#include "scan/disasm.hpp"

#include "scan/capstone.hpp"
#include <capstone/capstone.h>
#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace glassbox::scan {

namespace {

// ---- Capstone RAII
// -------------------------------------------------------------------------------

// capstone_handle and insn_ptr: scan/capstone.hpp (shared with the function-start sweep).

// ---- registers
// -----------------------------------------------------------------------------------

// General-purpose register families in encoding order; -1 for everything else.
enum : int { RAX = 0, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

struct reg_info {
    int family = -1;
    int width = 0; // bytes
};

reg_info classify(unsigned r) {
    switch (r) {
    case X86_REG_RAX:
        return {RAX, 8};
    case X86_REG_EAX:
        return {RAX, 4};
    case X86_REG_AX:
        return {RAX, 2};
    case X86_REG_AL:
    case X86_REG_AH:
        return {RAX, 1};
    case X86_REG_RCX:
        return {RCX, 8};
    case X86_REG_ECX:
        return {RCX, 4};
    case X86_REG_CX:
        return {RCX, 2};
    case X86_REG_CL:
    case X86_REG_CH:
        return {RCX, 1};
    case X86_REG_RDX:
        return {RDX, 8};
    case X86_REG_EDX:
        return {RDX, 4};
    case X86_REG_DX:
        return {RDX, 2};
    case X86_REG_DL:
    case X86_REG_DH:
        return {RDX, 1};
    case X86_REG_RBX:
        return {RBX, 8};
    case X86_REG_EBX:
        return {RBX, 4};
    case X86_REG_BX:
        return {RBX, 2};
    case X86_REG_BL:
    case X86_REG_BH:
        return {RBX, 1};
    case X86_REG_RSP:
        return {RSP, 8};
    case X86_REG_ESP:
        return {RSP, 4};
    case X86_REG_SP:
        return {RSP, 2};
    case X86_REG_SPL:
        return {RSP, 1};
    case X86_REG_RBP:
        return {RBP, 8};
    case X86_REG_EBP:
        return {RBP, 4};
    case X86_REG_BP:
        return {RBP, 2};
    case X86_REG_BPL:
        return {RBP, 1};
    case X86_REG_RSI:
        return {RSI, 8};
    case X86_REG_ESI:
        return {RSI, 4};
    case X86_REG_SI:
        return {RSI, 2};
    case X86_REG_SIL:
        return {RSI, 1};
    case X86_REG_RDI:
        return {RDI, 8};
    case X86_REG_EDI:
        return {RDI, 4};
    case X86_REG_DI:
        return {RDI, 2};
    case X86_REG_DIL:
        return {RDI, 1};
    default:
        break;
    }
    if (r >= X86_REG_R8 && r <= X86_REG_R15)
        return {R8 + int(r - X86_REG_R8), 8};
    if (r >= X86_REG_R8D && r <= X86_REG_R15D)
        return {R8 + int(r - X86_REG_R8D), 4};
    if (r >= X86_REG_R8W && r <= X86_REG_R15W)
        return {R8 + int(r - X86_REG_R8W), 2};
    if (r >= X86_REG_R8B && r <= X86_REG_R15B)
        return {R8 + int(r - X86_REG_R8B), 1};
    return {};
}

constexpr int kArgRegs[] = {RDI, RSI, RDX, RCX, R8, R9};
// Bounds that keep hostile or enormous code linear: functions larger than this are decoded in
// windows (kWindowBack before a candidate, kWindowAhead after it), and a binary with more
// candidate sites than kMaxCandidates is analysed up to that many (the rest counted unresolved).
constexpr std::uint64_t kMaxFunctionBytes = 1 << 20;
constexpr std::uint64_t kWindowBack = 4096;
constexpr std::uint64_t kWindowAhead = 64 * 1024;
constexpr std::size_t kMaxCandidates = 200'000;
constexpr std::uint64_t kRetryReach = 256;
// A call target that is socket()/socketpair(): its arguments are traced, it is no syscall site.
constexpr int kSocketProbe = -1;
constexpr int kSocketProbeReg = -2;
constexpr const char* kRegNames[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                     "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

int arg_index(int family) {
    for (int i = 0; i < 6; ++i)
        if (kArgRegs[i] == family)
            return i;
    return -1;
}

bool caller_saved(int family) {
    return family == RAX || family == RCX || family == RDX || family == RSI || family == RDI ||
           (family >= R8 && family <= R11);
}

// ---- decoded instructions
// ------------------------------------------------------------------------

struct operand {
    x86_op_type type = X86_OP_INVALID;
    reg_info reg;
    std::int64_t imm = 0;
    unsigned mem_base = 0, mem_index = 0;
    std::int64_t disp = 0;
};

struct insn {
    std::uint64_t address = 0;
    std::uint16_t size = 0;
    unsigned id = 0;
    std::uint16_t writes = 0;  // bit per GPR family written (explicit or implicit)
    std::uint16_t partial = 0; // families written with an 8/16-bit destination (no zero-extension)
    bool is_call = false, is_jump = false, is_ret = false, uncond = false;
    std::optional<std::uint64_t> target;     // direct branch/call target
    std::optional<std::uint64_t> mem_target; // call/jmp through [rip+disp]: the slot address
    std::uint8_t op_count = 0;
    operand ops[2];
};

struct decoded_function {
    std::uint64_t start = 0, end = 0;
    bool window = false; // a slice of an enormous function: its start is not the entry
    std::vector<insn> insns;
    std::unordered_map<std::uint64_t, std::size_t> index; // address -> insn
    std::unordered_map<std::uint64_t, std::vector<std::size_t>>
        jump_sources; // block start -> jumps
};

void decode_one(const capstone_handle& cs, const cs_insn* ci, insn& out) {
    out.address = ci->address;
    out.size = ci->size;
    out.id = ci->id;
    const cs_detail* d = ci->detail;
    if (!d)
        return;
    for (std::uint8_t g = 0; g < d->groups_count; ++g) {
        switch (d->groups[g]) {
        case CS_GRP_CALL:
            out.is_call = true;
            break;
        case CS_GRP_JUMP:
            out.is_jump = true;
            break;
        case CS_GRP_RET:
            out.is_ret = true;
            break;
        default:
            break;
        }
    }
    out.uncond = out.is_ret || ci->id == X86_INS_JMP || ci->id == X86_INS_LJMP ||
                 ci->id == X86_INS_UD2 || ci->id == X86_INS_HLT;
    const cs_x86& x = d->x86;
    out.op_count = x.op_count;
    for (std::uint8_t i = 0; i < x.op_count && i < 2; ++i) {
        const cs_x86_op& o = x.operands[i];
        out.ops[i].type = o.type;
        if (o.type == X86_OP_REG)
            out.ops[i].reg = classify(o.reg);
        else if (o.type == X86_OP_IMM)
            out.ops[i].imm = o.imm;
        else if (o.type == X86_OP_MEM) {
            out.ops[i].mem_base = o.mem.base;
            out.ops[i].mem_index = o.mem.index;
            out.ops[i].disp = o.mem.disp;
        }
    }
    if ((out.is_call || out.is_jump) && x.op_count >= 1) {
        const cs_x86_op& o = x.operands[0];
        if (o.type == X86_OP_IMM)
            out.target = static_cast<std::uint64_t>(o.imm);
        else if (o.type == X86_OP_MEM && o.mem.base == X86_REG_RIP &&
                 o.mem.index == X86_REG_INVALID)
            out.mem_target = ci->address + ci->size + static_cast<std::uint64_t>(o.mem.disp);
    }
    cs_regs regs_read, regs_write;
    std::uint8_t nread = 0, nwrite = 0;
    if (cs.regs_access(ci, regs_read, &nread, regs_write, &nwrite)) {
        for (std::uint8_t i = 0; i < nwrite; ++i) {
            auto r = classify(regs_write[i]);
            if (r.family < 0)
                continue;
            out.writes |= std::uint16_t(1u << r.family);
            if (r.width < 4)
                out.partial |= std::uint16_t(1u << r.family);
        }
    }
    if (ci->id == X86_INS_SYSCALL)
        out.writes |= std::uint16_t((1u << RAX) | (1u << RCX) | (1u << R11));
    if (ci->id == X86_INS_SYSENTER || ci->id == X86_INS_INT)
        out.writes |= std::uint16_t(1u << RAX);
}

bool is_noreturn(std::string_view name) {
    if (name.size() > 4 && name.substr(name.size() - 4) == "@plt")
        name.remove_suffix(4);
    constexpr std::string_view known[] = {"__stack_chk_fail",
                                          "abort",
                                          "exit",
                                          "_exit",
                                          "_Exit",
                                          "__assert_fail",
                                          "__fortify_fail",
                                          "__chk_fail",
                                          "__libc_fatal",
                                          "err",
                                          "errx",
                                          "verr",
                                          "verrx",
                                          "__cxa_throw",
                                          "__cxa_rethrow",
                                          "_Unwind_Resume",
                                          "__libc_start_main",
                                          "pthread_exit",
                                          "__malloc_assert",
                                          "quick_exit",
                                          "longjmp",
                                          "siglongjmp"};
    return std::find(std::begin(known), std::end(known), name) != std::end(known);
}

// ---- back-walk
// -----------------------------------------------------------------------------------

struct walk_result {
    std::set<std::int64_t> values;
    std::set<int> params;   // argument indexes the value comes from at function entry
    std::string unresolved; // first reason a path could not be resolved
    void fail(std::string why) {
        if (unresolved.empty())
            unresolved = std::move(why);
    }
};

class walker {
  public:
    walker(const decoded_function& f, const std::map<std::uint64_t, std::string>& names)
        : f_(f), names_(names) {}

    // The value of register `family` just before instruction `i` executes.
    void before(std::size_t i, int family, walk_result& out) {
        for (;;) {
            if (++steps_ > 4000) {
                out.fail("search limit reached");
                return;
            }
            if (!visited_.insert({i, family}).second)
                return; // a loop: values come from the other paths
            if (i == 0 && f_.window) {
                out.fail("analysis window of an enormous function starts here");
                return;
            }
            if (i == 0) {
                int a = arg_index(family);
                if (a >= 0)
                    out.params.insert(a);
                else
                    out.fail(
                        fmt::format("{} is set before the function starts", kRegNames[family]));
                return;
            }
            const insn& cur = f_.insns[i];
            auto js = f_.jump_sources.find(cur.address);
            if (js != f_.jump_sources.end()) {
                if (++merges_ > 64) {
                    out.fail("too many paths");
                    return;
                }
                for (std::size_t src : js->second)
                    after(src, family, out);
                if (!f_.insns[i - 1].uncond && !dead_padding_before(i))
                    after(i - 1, family, out);
                return;
            }
            if (dead_padding_before(i))
                return; // only alignment padding after a jmp/ret leads here: no path
            if (f_.insns[i - 1].uncond) {
                out.fail("block reached only by an indirect jump");
                return;
            }
            // Straight line: examine the previous instruction.
            std::size_t p = i - 1;
            const insn& prev = f_.insns[p];
            if (!defines_or_clobbers(prev, family)) {
                i = p;
                continue;
            }
            after(p, family, out);
            return;
        }
    }

  private:
    // True when the instructions just before `i` are alignment padding (nop/int3, none a jump
    // target) that follows an unconditional jmp/ret: falling through from there is not a path.
    bool dead_padding_before(std::size_t i) const {
        std::size_t q = i;
        bool padding = false;
        while (q > 0) {
            const insn& p = f_.insns[q - 1];
            if (p.uncond)
                return padding;
            if (p.id != X86_INS_NOP && p.id != X86_INS_INT3)
                return false;
            if (f_.jump_sources.count(p.address))
                return false;
            padding = true;
            --q;
        }
        return false;
    }

    bool defines_or_clobbers(const insn& in, int family) const {
        if (in.writes & (1u << family))
            return true;
        return in.is_call && caller_saved(family);
    }

    std::string describe_call(const insn& in) const {
        if (in.target) {
            auto it = names_.find(*in.target);
            if (it != names_.end() && !it->second.empty())
                return it->second;
            return fmt::format("{:#x}", *in.target);
        }
        return "an indirect target";
    }

    // The value of `family` just after instruction `p` executes.
    void after(std::size_t p, int family, walk_result& out) {
        const insn& in = f_.insns[p];
        if (!defines_or_clobbers(in, family)) {
            before(p, family, out);
            return;
        }
        if (in.is_call && !(in.writes & (1u << family))) {
            out.fail(fmt::format("{} is clobbered by the call to {}", kRegNames[family],
                                 describe_call(in)));
            return;
        }
        if (in.is_call) {
            out.fail(fmt::format("{} is the result of a call to {}", kRegNames[family],
                                 describe_call(in)));
            return;
        }
        if (in.partial & (1u << family)) {
            out.fail(fmt::format("{} is partly written at {:#x}", kRegNames[family], in.address));
            return;
        }
        bool dst_is_family =
            in.op_count >= 1 && in.ops[0].type == X86_OP_REG && in.ops[0].reg.family == family;
        switch (in.id) {
        case X86_INS_MOV:
        case X86_INS_MOVABS:
            if (dst_is_family && in.op_count == 2) {
                const operand& src = in.ops[1];
                if (src.type == X86_OP_IMM) {
                    std::int64_t v = src.imm;
                    if (in.ops[0].reg.width == 4)
                        v = static_cast<std::int64_t>(static_cast<std::uint32_t>(v));
                    out.values.insert(v);
                    return;
                }
                if (src.type == X86_OP_REG && src.reg.family >= 0 && src.reg.width >= 4) {
                    before(p, src.reg.family, out);
                    return;
                }
                if (src.type == X86_OP_MEM) {
                    out.fail(fmt::format("{} is loaded from memory at {:#x}", kRegNames[family],
                                         in.address));
                    return;
                }
            }
            break;
        case X86_INS_XOR:
        case X86_INS_SUB:
            if (dst_is_family && in.op_count == 2 && in.ops[1].type == X86_OP_REG &&
                in.ops[1].reg.family == family && in.ops[0].reg.width >= 4) {
                out.values.insert(0);
                return;
            }
            break;
        case X86_INS_POP:
            if (dst_is_family && p > 0) {
                const insn& push = f_.insns[p - 1];
                if (push.id == X86_INS_PUSH && push.op_count == 1) {
                    if (push.ops[0].type == X86_OP_IMM) {
                        out.values.insert(push.ops[0].imm);
                        return;
                    }
                    if (push.ops[0].type == X86_OP_REG && push.ops[0].reg.family >= 0 &&
                        push.ops[0].reg.width == 8) {
                        before(p - 1, push.ops[0].reg.family, out);
                        return;
                    }
                }
            }
            break;
        case X86_INS_XCHG:
            if (in.op_count == 2 && in.ops[0].type == X86_OP_REG && in.ops[1].type == X86_OP_REG &&
                in.ops[0].reg.width >= 4 && in.ops[1].reg.width >= 4) {
                int other =
                    in.ops[0].reg.family == family ? in.ops[1].reg.family : in.ops[0].reg.family;
                if (other >= 0) {
                    before(p, other, out);
                    return;
                }
            }
            break;
        case X86_INS_LEA:
            // lea r, [abs] (no base, no index): a constant.
            if (dst_is_family && in.op_count == 2 && in.ops[1].type == X86_OP_MEM &&
                in.ops[1].mem_base == X86_REG_INVALID && in.ops[1].mem_index == X86_REG_INVALID &&
                in.ops[0].reg.width >= 4) {
                out.values.insert(in.ops[1].disp);
                return;
            }
            break;
        case X86_INS_SYSCALL:
        case X86_INS_SYSENTER:
        case X86_INS_INT:
            out.fail(fmt::format("{} holds the result of an earlier syscall", kRegNames[family]));
            return;
        default:
            break;
        }
        out.fail(fmt::format("{} is computed at {:#x}", kRegNames[family], in.address));
    }

    const decoded_function& f_;
    const std::map<std::uint64_t, std::string>& names_;
    std::set<std::pair<std::size_t, int>> visited_;
    std::size_t steps_ = 0;
    std::size_t merges_ = 0;
};

// ---- the analysis
// --------------------------------------------------------------------------------

struct region_ref {
    const code_region* region;
    std::uint64_t begin, end;
};

class analyser {
  public:
    analyser(const elf_image& img, capstone_handle cs) : img_(img), cs_(std::move(cs)) {
        for (const auto& r : img_.code) {
            if (r.name.rfind(".plt", 0) == 0)
                continue; // PLT stubs are import trampolines, not code that chooses syscalls
            regions_.push_back({&r, r.address, r.address + r.bytes.size()});
        }
        for (const auto& [a, n] : img_.functions)
            starts_.push_back(a);
        for (const auto& r : regions_)
            starts_.push_back(r.begin);
        std::sort(starts_.begin(), starts_.end());
        starts_.erase(std::unique(starts_.begin(), starts_.end()), starts_.end());
        for (const auto& [a, n] : img_.functions)
            if (!n.empty())
                names_[a] = n;
        for (const auto& [a, n] : img_.plt_stubs)
            names_[a] = n + "@plt";
    }

    code_analysis run(const std::map<std::string, int>& import_dispatchers) {
        code_analysis out;
        // Dispatcher targets: PLT stubs and GOT slots of imported dispatchers.
        std::map<std::uint64_t, std::pair<std::string, int>> targets, slots;
        for (const auto& [a, n] : img_.plt_stubs)
            if (auto it = import_dispatchers.find(n); it != import_dispatchers.end())
                targets[a] = {n, it->second};
        for (const auto& [a, n] : img_.got_slots)
            if (auto it = import_dispatchers.find(n); it != import_dispatchers.end())
                slots[a] = {n, it->second};
        // socket()/socketpair() imports: their family and type arguments are traced.
        for (const auto& [a, n] : img_.plt_stubs)
            if (n == "socket" || n == "socketpair")
                targets[a] = {n, kSocketProbe};
        for (const auto& [a, n] : img_.got_slots)
            if (n == "socket" || n == "socketpair")
                slots[a] = {n, kSocketProbe};

        std::set<std::uint64_t> done_sites;
        bool first = true;
        for (int round = 0; round < 5; ++round) {
            std::vector<std::uint64_t> candidates = prefilter(first, targets, slots);
            first = false;
            if (examined_ + candidates.size() > kMaxCandidates) {
                std::size_t keep = kMaxCandidates > examined_ ? kMaxCandidates - examined_ : 0;
                site s;
                s.address = candidates[keep];
                s.instruction = "(not analysed)";
                s.note = fmt::format("analysis stopped after {} candidate sites; {} more from here "
                                     "were not analysed",
                                     kMaxCandidates, candidates.size() - keep);
                out.sites.push_back(std::move(s));
                out.warnings.push_back(out.sites.back().note);
                candidates.resize(keep);
            }
            examined_ += candidates.size();
            std::map<std::uint64_t, std::pair<std::string, int>> new_targets;
            for (std::uint64_t c : candidates) {
                if (done_sites.count(c))
                    continue;
                const decoded_function* f = function_at(c);
                if (!f)
                    continue;
                auto idx = f->index.find(c);
                if (idx == f->index.end())
                    continue; // the bytes are inside another instruction: not a site
                const insn& in = f->insns[idx->second];
                site s;
                s.address = c;
                s.function = function_label(f->start, c);
                int family = RAX;
                int dispatcher_arg = -1; // calls to dispatchers: the argument holding the number
                bool is_site = true;
                if (in.id == X86_INS_SYSCALL) {
                    s.instruction = "syscall";
                    s.table = abi::x86_64;
                } else if (in.id == X86_INS_SYSENTER) {
                    s.instruction = "sysenter";
                    s.table = abi::i386;
                } else if (in.id == X86_INS_INT && in.op_count == 1 &&
                           in.ops[0].type == X86_OP_IMM && in.ops[0].imm == 0x80) {
                    s.instruction = "int 0x80";
                    s.table = abi::i386;
                } else if ((in.is_call || in.is_jump) && in.target && targets.count(*in.target)) {
                    const auto& [name, arg] = targets.at(*in.target);
                    s.instruction = fmt::format("{} {}", in.is_call ? "call" : "jmp", name);
                    family = arg == kSocketProbe ? kSocketProbeReg : kArgRegs[arg];
                    dispatcher_arg = arg;
                } else if ((in.is_call || in.is_jump) && in.mem_target &&
                           slots.count(*in.mem_target)) {
                    const auto& [name, arg] = slots.at(*in.mem_target);
                    s.instruction = fmt::format("{} *{}@GOT", in.is_call ? "call" : "jmp", name);
                    family = arg == kSocketProbe ? kSocketProbeReg : kArgRegs[arg];
                    dispatcher_arg = arg;
                } else {
                    is_site = false;
                }
                if (!is_site)
                    continue;
                done_sites.insert(c);
                if (family == kSocketProbeReg) {
                    probe_socket(*f, idx->second, s.instruction, s.function, RDI, RSI, out);
                    continue;
                }
                walker w(*f, names_);
                walk_result wr;
                w.before(idx->second, family, wr);
                if (wr.values.empty() && wr.params.empty())
                    retry_misaligned(*f, c, family, wr);
                for (auto v : wr.values) {
                    std::int64_t nr = v;
                    if (s.table == abi::x86_64 && nr >= 0x40000000 && nr < 0x40000000 + 1024) {
                        s.table = abi::x32;
                        nr -= 0x40000000;
                    }
                    s.numbers.push_back(nr);
                }
                if (!wr.params.empty()) {
                    int a = *wr.params.begin();
                    s.dispatcher = true;
                    s.note = fmt::format(
                        "number is argument {} ({}) of {}: resolved at its call sites", a + 1,
                        kRegNames[kArgRegs[a]], function_label(f->start, f->start));
                    if (!dispatchers_.count(f->start)) {
                        dispatchers_[f->start] = a;
                        new_targets[f->start] = {function_label(f->start, f->start), a};
                    }
                }
                if (!wr.unresolved.empty() && s.note.empty())
                    s.note = wr.unresolved;
                s.resolved = !s.numbers.empty() && wr.unresolved.empty() && wr.params.empty();
                if (s.numbers.empty() && !s.dispatcher && s.note.empty())
                    s.note = "no value reaches the site";
                // A socket/socketpair syscall: trace its family and type too.
                if (s.table == abi::x86_64 &&
                    std::any_of(s.numbers.begin(), s.numbers.end(),
                                [](std::int64_t n) { return n == 41 || n == 53; })) {
                    if (dispatcher_arg < 0)
                        probe_socket(*f, idx->second, s.instruction, s.function, RDI, RSI, out);
                    else if (dispatcher_arg + 2 < 6)
                        probe_socket(*f, idx->second, s.instruction, s.function,
                                     kArgRegs[dispatcher_arg + 1], kArgRegs[dispatcher_arg + 2],
                                     out);
                }
                out.sites.push_back(std::move(s));
            }
            if (new_targets.empty())
                break;
            targets = std::move(new_targets);
            slots.clear();
        }
        std::sort(out.sites.begin(), out.sites.end(),
                  [](const site& a, const site& b) { return a.address < b.address; });
        std::sort(out.sockets.begin(), out.sockets.end(),
                  [](const socket_use& a, const socket_use& b) { return a.address < b.address; });
        for (const auto& [start, arg] : dispatchers_) {
            auto it = img_.functions.find(start);
            if (it != img_.functions.end() && !it->second.empty() &&
                std::binary_search(img_.exports.begin(), img_.exports.end(), it->second))
                out.exported_dispatchers[it->second] = arg;
        }
        out.functions_decoded = cache_.size();
        for (auto& w : warnings_)
            out.warnings.push_back(std::move(w));
        return out;
    }

  private:
    std::vector<std::uint64_t>
    prefilter(bool instructions,
              const std::map<std::uint64_t, std::pair<std::string, int>>& targets,
              const std::map<std::uint64_t, std::pair<std::string, int>>& slots) {
        std::vector<std::uint64_t> out;
        std::vector<std::uint64_t> tv, sv;
        for (const auto& [a, _] : targets)
            tv.push_back(a);
        for (const auto& [a, _] : slots)
            sv.push_back(a);
        for (const auto& r : regions_) {
            const auto* b = r.region->bytes.data();
            std::size_t n = r.region->bytes.size();
            for (std::size_t i = 0; i + 1 < n; ++i) {
                std::uint8_t c0 = b[i];
                if (instructions) {
                    if ((c0 == 0x0f && (b[i + 1] == 0x05 || b[i + 1] == 0x34)) ||
                        (c0 == 0xcd && b[i + 1] == 0x80)) {
                        out.push_back(r.begin + i);
                        continue;
                    }
                }
                if (!tv.empty() && (c0 == 0xe8 || c0 == 0xe9) && i + 5 <= n) {
                    std::int32_t rel;
                    std::memcpy(&rel, b + i + 1, 4);
                    std::uint64_t t = r.begin + i + 5 + static_cast<std::int64_t>(rel);
                    if (std::binary_search(tv.begin(), tv.end(), t))
                        out.push_back(r.begin + i);
                } else if (!sv.empty() && c0 == 0xff && (b[i + 1] == 0x15 || b[i + 1] == 0x25) &&
                           i + 6 <= n) {
                    std::int32_t rel;
                    std::memcpy(&rel, b + i + 2, 4);
                    std::uint64_t t = r.begin + i + 6 + static_cast<std::int64_t>(rel);
                    if (std::binary_search(sv.begin(), sv.end(), t))
                        out.push_back(r.begin + i);
                }
            }
        }
        return out;
    }

    void probe_socket(const decoded_function& f, std::size_t idx, const std::string& via,
                      const std::string& function, int family_reg, int type_reg,
                      code_analysis& out) {
        socket_use u;
        u.address = f.insns[idx].address;
        u.function = function;
        u.via = via;
        walk_result fam, typ;
        walker(f, names_).before(idx, family_reg, fam);
        walker(f, names_).before(idx, type_reg, typ);
        if (fam.unresolved.empty() && fam.params.empty())
            u.families.assign(fam.values.begin(), fam.values.end());
        if (typ.unresolved.empty() && typ.params.empty())
            for (auto t : typ.values)
                u.types.push_back(t & 0xf); // SOCK_NONBLOCK / SOCK_CLOEXEC are flags
        std::sort(u.types.begin(), u.types.end());
        u.types.erase(std::unique(u.types.begin(), u.types.end()), u.types.end());
        out.sockets.push_back(std::move(u));
    }

    // An unwinder's function start can sit a byte or more before the first real instruction
    // (glibc's __restore_rt FDE starts at the nop before it), and a linear decode from there can
    // land on the site through wrong instructions. When nothing was recovered, decode again from
    // the next few byte offsets and keep a walk that recovers values.
    void retry_misaligned(const decoded_function& f, std::uint64_t at, int family,
                          walk_result& wr) {
        const region_ref* r = region_of(at);
        // Only near a real function start: that is where an unwinder start can be off, and the
        // retry must stay cheap (hostile code can hold millions of sites).
        if (!r || f.window || at - f.start > kRetryReach)
            return;
        for (std::uint64_t k = 1; k < 16 && f.start + k < at; ++k) {
            decoded_function alt;
            alt.start = f.start + k;
            alt.end = std::min(f.end, at + 16);
            decode(*r, alt);
            auto idx = alt.index.find(at);
            if (idx == alt.index.end())
                continue;
            walker w(alt, names_);
            walk_result again;
            w.before(idx->second, family, again);
            if (!again.values.empty() && again.unresolved.empty()) {
                wr = std::move(again);
                return;
            }
        }
    }

    std::string function_label(std::uint64_t start, std::uint64_t at) const {
        auto it = img_.functions.find(start);
        std::string base = it != img_.functions.end() && !it->second.empty()
                               ? it->second
                               : fmt::format("fn_{:#x}", start);
        return at == start ? base : fmt::format("{}+{:#x}", base, at - start);
    }

    const region_ref* region_of(std::uint64_t a) const {
        for (const auto& r : regions_)
            if (a >= r.begin && a < r.end)
                return &r;
        return nullptr;
    }

    const decoded_function* function_at(std::uint64_t a) {
        const region_ref* r = region_of(a);
        if (!r)
            return nullptr;
        auto it = std::upper_bound(starts_.begin(), starts_.end(), a);
        if (it == starts_.begin())
            return nullptr;
        std::uint64_t start = *(it - 1);
        if (start < r->begin)
            start = r->begin;
        std::uint64_t end = it == starts_.end() ? r->end : std::min(*it, r->end);
        if (end - start > kMaxFunctionBytes) {
            // An enormous "function" (no boundaries known, or a hostile section): decode windows
            // around the candidates instead, so time and memory stay linear in the code size.
            auto w = windows_.upper_bound(a);
            if (w != windows_.begin()) {
                --w;
                if (a >= w->second.start && a + 16 <= w->second.end)
                    return &w->second;
            }
            std::uint64_t ws = a - start > kWindowBack ? a - kWindowBack : start;
            decoded_function& f = windows_[ws];
            if (f.insns.empty()) {
                f.start = ws;
                f.end = std::min(end, a + kWindowAhead);
                f.window = ws != start;
                decode(*r, f);
            }
            return &f;
        }
        auto c = cache_.find(start);
        if (c != cache_.end())
            return &c->second;
        decoded_function& f = cache_[start];
        f.start = start;
        f.end = end;
        decode(*r, f);
        return &f;
    }

    void decode(const region_ref& r, decoded_function& f) {
        insn_ptr ci = cs_.alloc_insn();
        if (!ci)
            return;
        std::uint64_t addr = f.start;
        while (addr < f.end) {
            const std::uint8_t* code = r.region->bytes.data() + (addr - r.begin);
            std::size_t size = f.end - addr;
            std::uint64_t a = addr;
            if (!cs_.disasm_iter(&code, &size, &a, ci.get())) {
                ++addr; // undecodable byte (data in code, padding): resynchronise at the next byte
                continue;
            }
            insn in;
            decode_one(cs_, ci.get(), in);
            // A call that never returns ends the block like a jmp: no fall-through predecessor.
            if (in.is_call && in.target) {
                auto n = names_.find(*in.target);
                if (n != names_.end() && !n->second.empty() ? is_noreturn(n->second) : never_returns(*in.target))
                    in.uncond = true;
            }
            f.index[in.address] = f.insns.size();
            f.insns.push_back(in);
            addr = a;
        }
        for (std::size_t i = 0; i < f.insns.size(); ++i) {
            const insn& in = f.insns[i];
            if (in.is_jump && in.target && *in.target >= f.start && *in.target < f.end &&
                f.index.count(*in.target))
                f.jump_sources[*in.target].push_back(i);
        }
    }

    // A function known only by its address (stripped code) never returns when its body has no
    // ret and no jump out of it (nor an indirect one): __libc_fatal, abort, error paths. Without
    // this, the code after a call to it looks like a path and clobbers the registers traced.
    bool never_returns(std::uint64_t start) {
        auto c = noreturn_.find(start);
        if (c != noreturn_.end())
            return c->second;
        bool& verdict = noreturn_[start];
        verdict = false;
        const region_ref* r = region_of(start);
        auto it = std::upper_bound(starts_.begin(), starts_.end(), start);
        if (!r || it == starts_.begin() || *(it - 1) != start)
            return false; // not a known function start
        std::uint64_t end = it == starts_.end() ? r->end : std::min(*it, r->end);
        if (end - start > 4096)
            return false;
        insn_ptr ci = cs_.alloc_insn();
        if (!ci)
            return false;
        const std::uint8_t* code = r->region->bytes.data() + (start - r->begin);
        std::size_t size = end - start;
        std::uint64_t a = start;
        bool any = false;
        while (size > 0 && cs_.disasm_iter(&code, &size, &a, ci.get())) {
            insn in;
            decode_one(cs_, ci.get(), in);
            any = true;
            if (in.is_ret)
                return false;
            if (in.is_jump && (!in.target || *in.target < start || *in.target >= end))
                return false; // a tail call or an indirect jump: may return
        }
        verdict = any && size == 0;
        return verdict;
    }

    const elf_image& img_;
    capstone_handle cs_;
    std::unordered_map<std::uint64_t, bool> noreturn_;
    std::vector<region_ref> regions_;
    std::vector<std::uint64_t> starts_;
    std::map<std::uint64_t, std::string> names_;
    std::unordered_map<std::uint64_t, decoded_function> cache_;
    std::map<std::uint64_t, decoded_function> windows_; // slices of enormous functions, by start
    std::size_t examined_ = 0;
    std::map<std::uint64_t, int> dispatchers_;
    std::vector<std::string> warnings_;
};

} // namespace

result<code_analysis> analyse_code(const elf_image& img,
                                   const std::map<std::string, int>& dispatchers) {
    auto cs = capstone_handle::open(true);
    if (!cs)
        return std::unexpected(cs.error());
    analyser a(img, std::move(*cs));
    return a.run(dispatchers);
}

} // namespace glassbox::scan
