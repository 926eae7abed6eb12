// Seccomp filter construction (see seccomp_filter.hpp). Decisions that need no pointer argument
// are still routed through the supervisor so that every denial is recorded as a violation; the
// supervisor answers them without inspecting memory, so CONTINUE (complain mode) stays safe.
#include "enforce/seccomp_filter.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <fmt/core.h>

#include <cstring>
#include <memory>

namespace glassbox::enforce {

namespace {
struct ctx_deleter {
    void operator()(scmp_filter_ctx c) const { seccomp_release(c); }
};
using ctx_ptr = std::unique_ptr<void, ctx_deleter>;
} // namespace

const std::vector<std::string>& security_cred_syscalls() {
    static const std::vector<std::string> s = {"setuid", "setgid", "setreuid", "setregid", "setresuid",
                                               "setresgid", "setfsuid", "setfsgid", "setgroups", "capset"};
    return s;
}

const std::vector<std::pair<int, std::string>>& security_prctl_options() {
    static const std::vector<std::pair<int, std::string>> s = {
        {PR_SET_PDEATHSIG, "PR_SET_PDEATHSIG"}, {PR_SET_DUMPABLE, "PR_SET_DUMPABLE"},
        {PR_SET_KEEPCAPS, "PR_SET_KEEPCAPS"},   {PR_SET_SECCOMP, "PR_SET_SECCOMP"},
        {PR_CAPBSET_DROP, "PR_CAPBSET_DROP"},   {PR_SET_SECUREBITS, "PR_SET_SECUREBITS"},
        {PR_SET_MM, "PR_SET_MM"},               {PR_SET_CHILD_SUBREAPER, "PR_SET_CHILD_SUBREAPER"},
        {PR_SET_NO_NEW_PRIVS, "PR_SET_NO_NEW_PRIVS"}, {PR_CAP_AMBIENT, "PR_CAP_AMBIENT"},
        {PR_SET_PTRACER, "PR_SET_PTRACER"}};
    return s;
}

const std::vector<std::string>& metadata_syscalls() {
    static const std::vector<std::string> s = {
        "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat", "utime",
        "utimes", "futimesat", "utimensat", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
        "lremovexattr", "fremovexattr", "setxattrat", "removexattrat"};
    return s;
}

const std::set<std::string>& trampoline_syscalls() {
    static const std::set<std::string> s = {"sendmsg", "read", "close", "close_range", "fcntl", "execve",
                                            "execveat", "exit_group", "exit"};
    return s;
}

result<unique_fd> seccomp_install(const policy& pol, const filter_options& opts) {
    const std::uint32_t notify = SCMP_ACT_NOTIFY;
    ctx_ptr ctx(seccomp_init(pol.syscalls ? notify : SCMP_ACT_ALLOW));
    if (!ctx)
        return std::unexpected(error{"seccomp_init failed"});
    scmp_filter_ctx c = ctx.get();
    // Another architecture's ABI (int 0x80 i386 calls, x32) would dodge every rule keyed on
    // x86_64 numbers: kill the process.
    if (seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0)
        return std::unexpected(error{"seccomp: cannot set the bad-arch action"});
    seccomp_attr_set(c, SCMP_FLTATR_CTL_OPTIMIZE, 2);

    std::set<int> notified;
    auto add = [&](std::uint32_t action, const char* name, unsigned n, const scmp_arg_cmp* args) -> bool {
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
            return false;
        int rc = seccomp_rule_add_array(c, action, nr, n, args);
        if (rc == 0 && action == notify && n == 0)
            notified.insert(nr);
        return rc == 0;
    };

    std::set<std::string> path_split; // open/openat: notify unless O_PATH (see below)
    if (opts.supervise_opens) {
        // O_PATH opens grant no access (every use of such an fd -- openat relative to it, reopen
        // through /proc/self/fd, execveat -- is checked again) and cannot be installed with ADDFD
        // (the kernel refuses O_PATH files there), so open/openat with O_PATH stay in the kernel.
        // openat2 keeps its flags behind a pointer: always notified.
        for (auto [name, argi] : {std::pair{"open", 1u}, std::pair{"openat", 2u}}) {
            scmp_arg_cmp no_path[1] = {{argi, SCMP_CMP_MASKED_EQ, O_PATH, 0}};
            add(notify, name, 1, no_path);
            path_split.insert(name);
            if (pol.syscalls && pol.syscalls->contains(name)) {
                int nr = seccomp_syscall_resolve_name(name);
                seccomp_rule_add(c, SCMP_ACT_ALLOW, nr, 1, scmp_arg_cmp{argi, SCMP_CMP_MASKED_EQ, O_PATH, O_PATH});
            }
        }
        for (const char* s : {"openat2", "creat"})
            add(notify, s, 0, nullptr);
    }

    if (opts.supervise_exec)
        for (const char* s : {"execve", "execveat"})
            add(notify, s, 0, nullptr);

    for (const auto& op : privileged_ops())
        if (!pol.privileged.contains(op))
            add(notify, op.c_str(), 0, nullptr);

    if (pol.prof) {
        const auto& pr = *pol.prof;
        // Socket families/types (network.sockets) and memfd names are judged by the supervisor.
        add(notify, "socket", 0, nullptr);
        add(notify, "socketpair", 0, nullptr);
        add(notify, "memfd_create", 0, nullptr);
        for (const auto& sc : security_cred_syscalls())
            if (!pr.match_cred(sc))
                add(notify, sc.c_str(), 0, nullptr);
        for (const auto& [opt, name] : security_prctl_options())
            if (!pr.match_prctl(name)) {
                scmp_arg_cmp o[1] = {SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(opt))};
                add(notify, "prctl", 1, o);
            }
        if (!pr.match_prctl("seccomp"))
            add(notify, "seccomp", 0, nullptr);
        // Empty: denied from the registers. Otherwise emulated (the path must be judged).
        for (const auto& sc : metadata_syscalls())
            add(notify, sc.c_str(), 0, nullptr);
    } else if (!pol.raw_sockets) {
        scmp_arg_cmp pk[1] = {SCMP_A0(SCMP_CMP_EQ, AF_PACKET)};
        add(notify, "socket", 1, pk);
        for (int fam : {AF_INET, AF_INET6}) {
            scmp_arg_cmp raw[2] = {SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(fam)),
                                   SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW)};
            add(notify, "socket", 2, raw);
        }
    }
    // A second listener installed by the command would take precedence over ours and could answer
    // CONTINUE to its own opens: seccomp(SET_MODE_FILTER) with NEW_LISTENER always goes to us.
    if (!notified.contains(seccomp_syscall_resolve_name("seccomp"))) {
        scmp_arg_cmp a[2] = {SCMP_A0(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER),
                             SCMP_A1(SCMP_CMP_MASKED_EQ, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                                     SECCOMP_FILTER_FLAG_NEW_LISTENER)};
        add(notify, "seccomp", 2, a);
    }
    if (pol.syscalls) {
        std::set<std::string> allow = *pol.syscalls;
        allow.insert(trampoline_syscalls().begin(), trampoline_syscalls().end());
        for (const auto& name : allow) {
            int nr = seccomp_syscall_resolve_name(name.c_str());
            // Syscalls with argument-filtered notify rules (socket, seccomp) stay with the default
            // (notify): the supervisor decides those from register arguments alone.
            if (nr == __NR_SCMP_ERROR || notified.contains(nr) || path_split.contains(name) || name == "seccomp" ||
                name == "prctl" ||
                (name == "socket" && !pol.raw_sockets))
                continue;
            seccomp_rule_add(c, SCMP_ACT_ALLOW, nr, 0);
        }
    }
    // libseccomp 2.5 loads with SECCOMP_FILTER_FLAG_NEW_LISTENER whenever a rule notifies; the
    // privileged-op rules guarantee there is one.
    if (int rc = seccomp_load(c); rc != 0)
        return std::unexpected(error{fmt::format("seccomp_load: {}", std::strerror(-rc))});
    int fd = seccomp_notify_fd(c);
    if (fd < 0)
        return std::unexpected(error{"seccomp: no notification fd after load"});
    return unique_fd(fd);
}

} // namespace glassbox::enforce
