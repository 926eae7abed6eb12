// Kernel feature probes (see include/glassbox/kernel_features.hpp, docs/doctor.md). Each probe
// asks the kernel the way glassbox will use the feature: BPF features by loading a tiny program of
// the same type and attach point (built with libbpf's low-level API from raw instructions, so no
// extra BPF object is compiled), kfuncs and tracepoints by name in the kernel's BTF, io_uring,
// Landlock and seccomp by their own syscalls. A probe that cannot tell says "unknown" and why,
// never "absent": doctor and the trace header's coverage must not blame the kernel for missing
// privileges.
#include <glassbox/kernel_features.hpp>
#include <glassbox/mountinfo.hpp>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>

#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

namespace glassbox {

std::string_view to_string(feature_state s) {
    switch (s) {
    case feature_state::present:
        return "present";
    case feature_state::absent:
        return "absent";
    case feature_state::unknown:
        break;
    }
    return "unknown";
}

const feature* kernel_features::kfunc(std::string_view name) const {
    for (const auto& k : kfuncs)
        if (k.name == name)
            return &k.status;
    return nullptr;
}

const feature* kernel_features::tracepoint(std::string_view name) const {
    for (const auto& t : tracepoints)
        if (t.name == name)
            return &t.status;
    return nullptr;
}

std::vector<std::string> parse_lsm_list(std::string_view text) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : text) {
        if (c == ',' || c == '\n' || c == ' ') {
            if (!cur.empty())
                out.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty())
        out.push_back(std::move(cur));
    return out;
}

std::string parse_lockdown(std::string_view text) {
    auto open = text.find('[');
    auto close = text.find(']', open == std::string_view::npos ? 0 : open);
    if (open == std::string_view::npos || close == std::string_view::npos)
        return {};
    return std::string(text.substr(open + 1, close - open - 1));
}

std::optional<std::uint64_t> parse_cap_eff(std::string_view status_text) {
    auto pos = status_text.find("\nCapEff:");
    if (pos == std::string_view::npos)
        return std::nullopt;
    std::string rest(status_text.substr(pos + 8, 40));
    std::istringstream in(rest);
    std::uint64_t v = 0;
    if (!(in >> std::hex >> v))
        return std::nullopt;
    return v;
}

namespace {

// The typedef libbpf and the kernel use for a tp_btf attach point.
std::int32_t tracepoint_typedef(const struct btf* b, std::string_view name) {
    if (!b)
        return -1;
    std::string tname = fmt::format("btf_trace_{}", name);
    return btf__find_by_name_kind(b, tname.c_str(), BTF_KIND_TYPEDEF);
}

} // namespace

int tracepoint_arg_count(const struct btf* b, std::string_view name) {
    std::int32_t id = tracepoint_typedef(b, name);
    if (id <= 0)
        return -1;
    // typedef void (*btf_trace_<name>)(void *__data, <the tracepoint's arguments>);
    const struct btf_type* t = btf__type_by_id(b, static_cast<__u32>(id));
    for (int hops = 0; t && hops < 8 && !btf_is_func_proto(t); ++hops)
        t = (btf_is_typedef(t) || btf_is_ptr(t) || btf_is_mod(t)) ? btf__type_by_id(b, t->type) : nullptr;
    if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
        return -1;
    return btf_vlen(t) - 1;
}

bool btf_has_func(const struct btf* b, std::string_view name) {
    if (!b)
        return false;
    std::string n(name);
    return btf__find_by_name_kind(b, n.c_str(), BTF_KIND_FUNC) > 0;
}

namespace {

struct btf_deleter {
    void operator()(struct btf* b) const { btf__free(b); }
};
using btf_ptr = std::unique_ptr<struct btf, btf_deleter>;

struct fd_owner {
    int fd = -1;
    explicit fd_owner(int f) : fd(f) {}
    fd_owner(const fd_owner&) = delete;
    fd_owner& operator=(const fd_owner&) = delete;
    ~fd_owner() {
        if (fd >= 0)
            ::close(fd);
    }
};

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        return {};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

feature yes(std::string detail) { return {feature_state::present, std::move(detail)}; }
feature no(std::string detail) { return {feature_state::absent, std::move(detail)}; }
feature unknown(std::string detail) { return {feature_state::unknown, std::move(detail)}; }

// ---- raw BPF instructions (the kernel's filter.h macros are not part of the uapi) ----------

bpf_insn insn(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off, std::int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}
bpf_insn mov_imm(std::uint8_t dst, std::int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn store_dw(std::int16_t off) { return insn(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_1, off, 0); }
bpf_insn call_local(std::int32_t rel) { return insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, rel); }
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

// "return value" as a whole program.
std::vector<bpf_insn> return_program(std::int32_t value) { return {mov_imm(BPF_REG_0, value), exit_insn()}; }

// A main program and one subprogram, each writing `frame` bytes below its frame pointer: the
// verifier adds the two frames (the call chain's combined stack) unless the JIT gives each its
// own private stack.
std::vector<bpf_insn> two_frame_program(std::int16_t frame) {
    return {
        mov_imm(BPF_REG_1, 0), store_dw(static_cast<std::int16_t>(-frame)), call_local(2),
        mov_imm(BPF_REG_0, 0), exit_insn(),
        // subprogram
        mov_imm(BPF_REG_1, 0), store_dw(static_cast<std::int16_t>(-frame)), mov_imm(BPF_REG_0, 0), exit_insn(),
    };
}

struct load_result {
    int fd = -1; // owned by the caller through fd_owner
    int err = 0;
    std::string log; // the verifier's last line when the load failed
};

load_result load(bpf_prog_type type, bpf_attach_type attach, std::uint32_t attach_btf_id,
                 const std::vector<bpf_insn>& prog) {
    load_result r;
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach, .attach_btf_id = attach_btf_id);
    r.fd = bpf_prog_load(type, "gb_probe", "GPL", prog.data(), prog.size(), &opts);
    if (r.fd >= 0)
        return r;
    r.err = errno;
    // Again with the verifier's log, for the reason in glassbox's report.
    std::string buf(64 * 1024, '\0');
    LIBBPF_OPTS(bpf_prog_load_opts, lopts, .expected_attach_type = attach, .attach_btf_id = attach_btf_id,
                .log_level = 1, .log_size = static_cast<__u32>(buf.size()), .log_buf = buf.data());
    int fd = bpf_prog_load(type, "gb_probe", "GPL", prog.data(), prog.size(), &lopts);
    if (fd >= 0) {
        ::close(fd);
        return r;
    }
    // The verifier ends with statistics ("processed N insns ..."); the reason is the line before.
    buf.resize(std::strlen(buf.c_str()));
    std::istringstream lines(buf);
    std::string line;
    while (std::getline(lines, line))
        if (!line.empty() && !line.starts_with("processed ") && !line.starts_with("verification time"))
            r.log = line;
    return r;
}

std::string errno_text(int err) {
    if (err == EPERM || err == EACCES)
        return fmt::format("refused ({})", std::strerror(err));
    return std::strerror(err);
}

// A refusal by the kernel, or only a missing privilege: EPERM means the latter when glassbox runs
// without CAP_BPF/CAP_PERFMON, and the kernel's own refusal when it has them (this project's lab
// VM answers EPERM to fentry as root).
feature refused(bool may_bpf, const load_result& l, std::string what) {
    if (!may_bpf && (l.err == EPERM || l.err == EACCES) && l.log.empty())
        return unknown(fmt::format("{}: {} (needs CAP_BPF and CAP_PERFMON)", what, std::strerror(l.err)));
    return no(fmt::format("{}: {}{}", what, errno_text(l.err), l.log.empty() ? "" : " (verifier: " + l.log + ")"));
}

// ---- the probes -------------------------------------------------------------------------------

feature probe_private_stack(const struct btf* b, bool may_bpf) {
    std::int32_t id = tracepoint_typedef(b, "sys_enter");
    if (id <= 0)
        return unknown("no tp_btf attach point to probe with (kernel BTF or sys_enter missing)");
    // Control: the same chain within 512 bytes must load, or the probe cannot tell anything.
    auto control = load(BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, static_cast<std::uint32_t>(id), two_frame_program(128));
    fd_owner control_fd(control.fd);
    if (control.fd < 0)
        return unknown(fmt::format("a tp_btf program does not load at all: {}{}", errno_text(control.err),
                                   may_bpf ? "" : " (needs CAP_BPF and CAP_PERFMON)"));
    auto big = load(BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, static_cast<std::uint32_t>(id), two_frame_program(320));
    fd_owner big_fd(big.fd);
    if (big.fd >= 0)
        return yes("a tp_btf call chain of 640 bytes of stack loads (the JIT gives each function its own stack)");
    return no(fmt::format("a call chain's combined stack is limited to 512 bytes{}",
                          big.log.empty() ? "" : " (verifier: " + big.log + ")"));
}

feature probe_fentry(const struct btf* b, bool may_bpf) {
    // A function only BPF_PROG_TEST_RUN calls, so the probe's attachment touches nothing else.
    std::int32_t id = -1;
    std::string target;
    for (const char* name : {"bpf_fentry_test1", "vfs_read"}) {
        id = b ? btf__find_by_name_kind(b, name, BTF_KIND_FUNC) : -1;
        if (id > 0) {
            target = name;
            break;
        }
    }
    if (id <= 0)
        return unknown("no function to attach the probe to in the kernel BTF");
    auto l = load(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, static_cast<std::uint32_t>(id), return_program(0));
    fd_owner prog(l.fd);
    if (l.fd < 0)
        return refused(may_bpf, l, fmt::format("an fentry program on {} does not load", target));
    fd_owner link(bpf_raw_tracepoint_open(nullptr, l.fd));
    if (link.fd < 0)
        return no(fmt::format("an fentry program on {} loads but does not attach: {}", target, errno_text(errno)));
    return yes(fmt::format("an fentry program loads and attaches ({})", target));
}

// The LSMs the kernel runs: securityfs when it is mounted, else the lsm_list_modules syscall
// (Linux 6.8; x86_64 number 461), which answers without securityfs.
std::optional<std::vector<std::string>> active_lsms(std::string& source) {
    std::string text = read_text("/sys/kernel/security/lsm");
    if (!text.empty()) {
        source = "/sys/kernel/security/lsm";
        return parse_lsm_list(text);
    }
#if defined(__x86_64__)
    constexpr long nr_lsm_list_modules = 461;
    constexpr std::uint64_t lsm_id_bpf = 110;
    std::array<std::uint64_t, 32> ids{};
    std::uint32_t size = sizeof ids;
    long n = ::syscall(nr_lsm_list_modules, ids.data(), &size, 0U);
    if (n >= 0) {
        source = "lsm_list_modules()";
        std::vector<std::string> out;
        for (long i = 0; i < n && i < static_cast<long>(ids.size()); ++i)
            out.push_back(ids[static_cast<std::size_t>(i)] == lsm_id_bpf ? "bpf" : fmt::format("id{}", ids[static_cast<std::size_t>(i)]));
        return out;
    }
#endif
    return std::nullopt;
}


// libbpf's probes answer "not supported" when the load fails for want of privilege: ask them
// only with CAP_BPF.
const char* const needs_cap_bpf = "not probed: loading BPF programs needs CAP_BPF";

feature probe_sock_addr(bool may_bpf) {
    if (!may_bpf)
        return unknown(needs_cap_bpf);
    int probe = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, nullptr);
    if (probe < 0)
        return unknown(fmt::format("probing cgroup sock_addr programs: {}{}", std::strerror(-probe),
                                   may_bpf ? "" : " (needs CAP_BPF)"));
    if (probe == 0)
        return no("the kernel has no cgroup sock_addr programs");
    std::vector<std::string> refused;
    const std::pair<bpf_attach_type, const char*> hooks[] = {
        {BPF_CGROUP_INET4_CONNECT, "connect4"}, {BPF_CGROUP_INET6_CONNECT, "connect6"},
        {BPF_CGROUP_UDP4_SENDMSG, "sendmsg4"},  {BPF_CGROUP_UDP6_SENDMSG, "sendmsg6"},
        {BPF_CGROUP_INET4_BIND, "bind4"},       {BPF_CGROUP_INET6_BIND, "bind6"},
    };
    for (auto [type, name] : hooks) {
        auto l = load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, type, 0, return_program(1));
        fd_owner f(l.fd);
        if (l.fd < 0)
            refused.push_back(fmt::format("{} ({})", name, std::strerror(l.err)));
    }
    if (!refused.empty()) {
        std::string list;
        for (auto& r : refused)
            list += (list.empty() ? "" : ", ") + r;
        return no("hooks refused: " + list);
    }
    return yes("connect4/6, sendmsg4/6 and bind4/6 programs load");
}


feature probe_cgroup_skb(bool may_bpf) {
    if (!may_bpf)
        return unknown(needs_cap_bpf);
    int probe = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_SKB, nullptr);
    if (probe < 0)
        return unknown(fmt::format("probing cgroup_skb programs: {}{}", std::strerror(-probe),
                                   may_bpf ? "" : " (needs CAP_BPF)"));
    if (probe == 0)
        return no("the kernel has no cgroup_skb programs");
    for (auto type : {BPF_CGROUP_INET_INGRESS, BPF_CGROUP_INET_EGRESS}) {
        auto l = load(BPF_PROG_TYPE_CGROUP_SKB, type, 0, return_program(1));
        fd_owner f(l.fd);
        if (l.fd < 0)
            return no(fmt::format("a cgroup_skb {} program does not load: {}",
                                  type == BPF_CGROUP_INET_INGRESS ? "ingress" : "egress", std::strerror(l.err)));
    }
    return yes("ingress and egress programs load");
}

feature probe_cgroup_skb_pid() {
    int r = libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SKB, BPF_FUNC_get_current_pid_tgid, nullptr);
    if (r < 0)
        return unknown(fmt::format("probing the helper: {}", std::strerror(-r)));
    if (r == 0)
        return no("cgroup_skb programs cannot call bpf_get_current_pid_tgid (Linux 6.3+)");
    return yes("cgroup_skb programs can call bpf_get_current_pid_tgid");
}

feature probe_io_uring() {
    std::string disabled = read_text("/proc/sys/kernel/io_uring_disabled");
    while (!disabled.empty() && (disabled.back() == '\n' || disabled.back() == ' '))
        disabled.pop_back();
    io_uring_params params{};
    long fd = ::syscall(__NR_io_uring_setup, 1, &params);
    if (fd >= 0) {
        ::close(static_cast<int>(fd));
        return yes(disabled.empty() || disabled == "0"
                       ? std::string("io_uring_setup works")
                       : fmt::format("io_uring_setup works for glassbox (kernel.io_uring_disabled={})", disabled));
    }
    int err = errno;
    if (err == ENOSYS)
        return no("the kernel has no io_uring (io_uring_setup: ENOSYS)");
    if (!disabled.empty() && disabled != "0")
        return no(fmt::format("disabled: kernel.io_uring_disabled={} (io_uring_setup: {})", disabled, std::strerror(err)));
    return no(fmt::format("io_uring_setup fails: {}", std::strerror(err)));
}

// The 32-bit entry is probed by using it: a forked child issues getpid through int 0x80. Without
// IA32 emulation (not built, or ia32_emulation=0 at boot) the instruction faults in the child.
feature probe_syscall32() {
#if defined(__x86_64__)
    std::string cmdline = read_text("/proc/cmdline");
    std::string flag;
    if (auto p = cmdline.find("ia32_emulation="); p != std::string::npos)
        flag = cmdline.substr(p, cmdline.find_first_of(" \n", p) - p);
    pid_t child = ::fork();
    if (child < 0)
        return unknown(fmt::format("fork: {}", std::strerror(errno)));
    if (child == 0) {
        ::signal(SIGSEGV, [](int) { ::_exit(3); });
        ::signal(SIGILL, [](int) { ::_exit(3); });
        long ret = 0;
        const long nr_getpid_32 = 20;
        asm volatile("int $0x80" : "=a"(ret) : "a"(nr_getpid_32) : "memory");
        ::_exit(ret == ::getpid() ? 0 : ret == -ENOSYS ? 4 : 5);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    std::string why = flag.empty() ? "" : " (" + flag + " on the kernel command line)";
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return yes("int 0x80 answers" + why);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
        return no("int 0x80 faults: the kernel has no IA32 emulation" + why);
    return no("int 0x80 does not run syscalls" + why);
#else
    return unknown("only probed on x86_64");
#endif
}

feature probe_landlock(int& abi) {
    long v = ::syscall(__NR_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (v > 0) {
        abi = static_cast<int>(v);
        return yes(fmt::format("ABI {}", v));
    }
    abi = 0;
    if (errno == EOPNOTSUPP)
        return no("built but disabled at boot (not in lsm=)");
    if (errno == ENOSYS)
        return no("the kernel is built without Landlock");
    return no(fmt::format("landlock_create_ruleset: {}", std::strerror(errno)));
}

feature probe_seccomp_notify() {
    std::uint32_t action = SECCOMP_RET_USER_NOTIF;
    if (::syscall(__NR_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0)
        return no(fmt::format("SECCOMP_RET_USER_NOTIF unavailable: {}", std::strerror(errno)));
    seccomp_notif_sizes sizes{};
    if (::syscall(__NR_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0)
        return no(fmt::format("SECCOMP_GET_NOTIF_SIZES: {}", std::strerror(errno)));
    return yes(fmt::format("user notification (notif {} bytes, resp {} bytes)", sizes.seccomp_notif,
                           sizes.seccomp_notif_resp));
}

} // namespace

feature probe_unix_hooks(bool may_bpf) {
    // Linux 6.7's BPF_CGROUP_UNIX_CONNECT / _SENDMSG; libbpf 1.1's headers do not name them.
    constexpr auto unix_connect = static_cast<bpf_attach_type>(49);
    constexpr auto unix_sendmsg = static_cast<bpf_attach_type>(50);
    for (auto type : {unix_connect, unix_sendmsg}) {
        auto l = load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, type, 0, return_program(1));
        fd_owner f(l.fd);
        if (l.fd < 0)
            return !may_bpf && l.err == EPERM
                       ? unknown("loading a unix sock_addr program: " + errno_text(l.err))
                       : no(fmt::format("no cgroup hooks for unix socket addresses (Linux 6.7+): {}",
                                        std::strerror(l.err)));
    }
    return yes("unix connect/sendmsg programs load");
}

feature probe_bpf_lsm(const struct btf* b, bool may_bpf) {
    std::string source;
    auto lsms = active_lsms(source);
    bool listed = lsms && std::find(lsms->begin(), lsms->end(), "bpf") != lsms->end();
    if (lsms && !listed)
        return no(fmt::format("bpf is not an active LSM ({}; boot with lsm=...,bpf)", source));
    std::int32_t id = b ? btf__find_by_name_kind(b, "bpf_lsm_file_open", BTF_KIND_FUNC) : -1;
    if (id <= 0)
        return no("the kernel has no BPF LSM hooks (CONFIG_BPF_LSM off)");
    auto l = load(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, static_cast<std::uint32_t>(id), return_program(0));
    fd_owner prog(l.fd);
    if (l.fd < 0)
        return refused(may_bpf, l, "an LSM program does not load");
    // Attaching an allow-everything file_open hook for an instant changes no decision.
    fd_owner link(bpf_raw_tracepoint_open(nullptr, l.fd));
    if (link.fd < 0)
        return no(fmt::format("an LSM program loads but does not attach: {}", errno_text(errno)));
    if (!lsms)
        return yes("an LSM program loads and attaches (the active LSM list is unreadable: securityfs not mounted)");
    return yes(fmt::format("bpf is an active LSM ({}) and an LSM program attaches", source));
}

kernel_features probe_kernel_features() {
    kernel_features k;
    utsname u{};
    if (::uname(&u) == 0) {
        k.release = u.release;
        k.machine = u.machine;
    }

    if (auto caps = parse_cap_eff(read_text("/proc/self/status"))) {
        constexpr int cap_sys_admin = 21, cap_perfmon = 38, cap_bpf = 39;
        k.privs.cap_sys_admin = (*caps >> cap_sys_admin) & 1;
        k.privs.cap_perfmon = (*caps >> cap_perfmon) & 1;
        k.privs.cap_bpf = (*caps >> cap_bpf) & 1;
    }
    const bool may_bpf = k.privs.cap_bpf && k.privs.cap_perfmon;

    btf_ptr vmlinux;
    if (::access("/sys/kernel/btf/vmlinux", F_OK) != 0) {
        k.btf = no("no /sys/kernel/btf/vmlinux (kernel built without CONFIG_DEBUG_INFO_BTF)");
    } else {
        vmlinux.reset(btf__parse("/sys/kernel/btf/vmlinux", nullptr));
        if (!vmlinux)
            k.btf = no(fmt::format("/sys/kernel/btf/vmlinux does not parse: {}", std::strerror(errno)));
        else
            k.btf = yes(fmt::format("/sys/kernel/btf/vmlinux ({} types)", btf__type_cnt(vmlinux.get())));
    }
    const struct btf* b = vmlinux.get();

    std::string mountinfo = read_mountinfo();
    k.cgroup_layout = cgroup_layout(mountinfo);
    if (auto m = find_cgroup2_mount(mountinfo)) {
        k.cgroup2_mount = m->mount_point;
        k.cgroup2 = yes(fmt::format("{} ({} layout)", m->mount_point, k.cgroup_layout));
    } else {
        k.cgroup2 = no(fmt::format("not mounted ({} layout); glassbox mounts its own at /run/glassbox/cgroup2",
                                   k.cgroup_layout));
    }
    k.bpffs = no("not mounted (glassbox pins nothing: informational)");
    k.tracefs = no("not mounted (nothing in glassbox needs it: informational)");
    for (const auto& m : parse_mountinfo(mountinfo)) {
        if (m.fstype == "bpf" && !k.bpffs.present())
            k.bpffs = yes(m.mount_point);
        if (m.fstype == "tracefs" && !k.tracefs.present())
            k.tracefs = yes(m.mount_point);
    }

    for (const char* name : {"bpf_task_from_pid", "bpf_task_release", "bpf_rdonly_cast"}) {
        if (!b)
            k.kfuncs.push_back({name, unknown("no kernel BTF"), {}, -1});
        else if (btf_has_func(b, name))
            k.kfuncs.push_back({name, yes("in the kernel BTF"), name, -1});
        else
            k.kfuncs.push_back({name, no("not in the kernel BTF"), {}, -1});
    }

    struct tp_spec {
        const char* name;
        std::vector<const char*> kernel_names;
    };
    const tp_spec tps[] = {
        {"sys_enter", {"sys_enter"}},
        {"sys_exit", {"sys_exit"}},
        {"sched_process_exec", {"sched_process_exec"}},
        {"sched_process_fork", {"sched_process_fork"}},
        {"sched_process_exit", {"sched_process_exit"}},
        {"io_uring_submit", {"io_uring_submit_req", "io_uring_submit_sqe"}},
        {"io_uring_complete", {"io_uring_complete"}},
    };
    for (const auto& tp : tps) {
        named_feature nf{tp.name, b ? no("no btf_trace_ typedef in the kernel BTF") : unknown("no kernel BTF"), {}, -1};
        for (const char* kn : tp.kernel_names) {
            int args = tracepoint_arg_count(b, kn);
            if (args < 0)
                continue;
            nf.status = yes(fmt::format("{} ({} argument{})", kn, args, args == 1 ? "" : "s"));
            nf.kernel_name = kn;
            nf.args = args;
            if (std::string_view(tp.name) == "io_uring_submit")
                k.io_uring_submit_tracepoint = kn;
            if (std::string_view(tp.name) == "sched_process_exit")
                k.sched_process_exit_args = args;
            break;
        }
        k.tracepoints.push_back(std::move(nf));
    }

    k.private_stack = b ? probe_private_stack(b, may_bpf) : unknown("no kernel BTF");
    k.io_uring = probe_io_uring();
    k.syscall32 = probe_syscall32();
    k.landlock = probe_landlock(k.landlock_abi);
    k.seccomp_user_notif = probe_seccomp_notify();
    k.cgroup_sock_addr = probe_sock_addr(may_bpf);
    k.cgroup_unix_hooks = k.cgroup_sock_addr.present() ? probe_unix_hooks(may_bpf) : k.cgroup_sock_addr;
    k.cgroup_skb = probe_cgroup_skb(may_bpf);
    k.cgroup_skb_pid = k.cgroup_skb.present() ? probe_cgroup_skb_pid() : k.cgroup_skb;
    k.bpf_lsm = b ? probe_bpf_lsm(b, may_bpf) : unknown("no kernel BTF");
    k.fentry = b ? probe_fentry(b, may_bpf) : unknown("no kernel BTF");
    if (::access("/sys/bus/event_source/devices/kprobe", F_OK) == 0)
        k.kprobes = yes("the kprobe PMU exists (/sys/bus/event_source/devices/kprobe)");
    else
        k.kprobes = no("no kprobe PMU (kernel built without CONFIG_KPROBES)");
    k.lockdown = parse_lockdown(read_text("/sys/kernel/security/lockdown"));
    return k;
}

int landlock_abi() {
    long v = ::syscall(__NR_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return v < 0 ? 0 : static_cast<int>(v);
}

int landlock_scope_signal_ruleset() {
    // Landlock's ruleset attribute as of ABI 6 (Debian 12's headers stop at ABI 2).
    struct {
        std::uint64_t handled_access_fs;
        std::uint64_t handled_access_net;
        std::uint64_t scoped;
    } attr{0, 0, 1ULL << 1 /* LANDLOCK_SCOPE_SIGNAL */};
    long fd = ::syscall(__NR_landlock_create_ruleset, &attr, sizeof attr, 0);
    return fd < 0 ? -1 : static_cast<int>(fd);
}

} // namespace glassbox
