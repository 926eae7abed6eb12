// Names, categories and risk of syscalls for `glassbox scan`: the lookups over the generated
// tables (syscall_table_data.cpp), and the classification the reports group by (privileged,
// process, network, file, other) and the diff ranks by.
#include <glassbox/scan.hpp>

#include <fmt/core.h>

#include "scan/syscall_table_data.hpp"
#include <algorithm>
#include <array>
#include <string>

namespace glassbox::scan {

namespace {

// Operations a reviewer must see whatever else happens (docs/trace-format.md "privileged", plus
// the kernel's other capability-gated or isolation-breaking entries).
constexpr std::string_view kPrivileged[] = {"init_module",
                                            "finit_module",
                                            "delete_module",
                                            "create_module",
                                            "query_module",
                                            "ptrace",
                                            "process_vm_readv",
                                            "process_vm_writev",
                                            "mount",
                                            "umount",
                                            "umount2",
                                            "pivot_root",
                                            "fsopen",
                                            "fsconfig",
                                            "fsmount",
                                            "fspick",
                                            "move_mount",
                                            "open_tree",
                                            "open_tree_attr",
                                            "mount_setattr",
                                            "bpf",
                                            "perf_event_open",
                                            "kexec_load",
                                            "kexec_file_load",
                                            "reboot",
                                            "setns",
                                            "unshare",
                                            "chroot",
                                            "ioperm",
                                            "iopl",
                                            "open_by_handle_at",
                                            "name_to_handle_at",
                                            "keyctl",
                                            "add_key",
                                            "request_key",
                                            "fanotify_init",
                                            "fanotify_mark",
                                            "io_uring_setup",
                                            "io_uring_enter",
                                            "io_uring_register",
                                            "swapon",
                                            "swapoff",
                                            "sethostname",
                                            "setdomainname",
                                            "settimeofday",
                                            "clock_settime",
                                            "adjtimex",
                                            "clock_adjtime",
                                            "acct",
                                            "quotactl",
                                            "quotactl_fd",
                                            "syslog",
                                            "vhangup",
                                            "lookup_dcookie",
                                            "userfaultfd",
                                            "pidfd_getfd",
                                            "kcmp",
                                            "seccomp",
                                            "modify_ldt",
                                            "_sysctl",
                                            "uselib",
                                            "nfsservctl",
                                            "vm86",
                                            "vm86old",
                                            "personality",
                                            "process_madvise",
                                            "stime",
                                            "landlock_create_ruleset",
                                            "landlock_add_rule",
                                            "landlock_restrict_self",
                                            "memfd_secret",
                                            "lsm_set_self_attr"};

constexpr std::string_view kNetwork[] = {
    "socket",      "socketpair",  "connect",    "accept",     "accept4",   "bind",     "listen",
    "sendto",      "recvfrom",    "sendmsg",    "recvmsg",    "sendmmsg",  "recvmmsg", "shutdown",
    "getsockname", "getpeername", "setsockopt", "getsockopt", "socketcall"};

constexpr std::string_view kProcess[] = {"execve",
                                         "execveat",
                                         "fork",
                                         "vfork",
                                         "clone",
                                         "clone3",
                                         "exit",
                                         "exit_group",
                                         "wait4",
                                         "waitid",
                                         "waitpid",
                                         "kill",
                                         "tkill",
                                         "tgkill",
                                         "pidfd_open",
                                         "pidfd_send_signal",
                                         "setuid",
                                         "setgid",
                                         "setreuid",
                                         "setregid",
                                         "setresuid",
                                         "setresgid",
                                         "setfsuid",
                                         "setfsgid",
                                         "setgroups",
                                         "capset",
                                         "capget",
                                         "prctl",
                                         "arch_prctl",
                                         "memfd_create",
                                         "getpid",
                                         "getppid",
                                         "gettid",
                                         "getuid",
                                         "geteuid",
                                         "getgid",
                                         "getegid",
                                         "getresuid",
                                         "getresgid",
                                         "getgroups",
                                         "setsid",
                                         "setpgid",
                                         "getpgid",
                                         "getsid",
                                         "getpgrp",
                                         "rt_sigaction",
                                         "rt_sigprocmask",
                                         "rt_sigreturn",
                                         "rt_sigsuspend",
                                         "rt_sigpending",
                                         "rt_sigtimedwait",
                                         "rt_sigqueueinfo",
                                         "rt_tgsigqueueinfo",
                                         "sigaltstack",
                                         "signalfd",
                                         "signalfd4",
                                         "set_tid_address",
                                         "set_robust_list",
                                         "get_robust_list",
                                         "rseq",
                                         "sched_setaffinity",
                                         "sched_getaffinity",
                                         "sched_setscheduler",
                                         "sched_getscheduler",
                                         "sched_setparam",
                                         "sched_getparam",
                                         "sched_yield",
                                         "sched_setattr",
                                         "sched_getattr",
                                         "setpriority",
                                         "getpriority",
                                         "setrlimit",
                                         "getrlimit",
                                         "prlimit64",
                                         "getrusage",
                                         "times",
                                         "pause",
                                         "ioprio_set",
                                         "ioprio_get",
                                         "restart_syscall",
                                         "uname",
                                         "sysinfo",
                                         "signal",
                                         "sigaction",
                                         "sigprocmask",
                                         "sigreturn",
                                         "setuid32",
                                         "setgid32",
                                         "setreuid32",
                                         "setregid32",
                                         "setresuid32",
                                         "setresgid32",
                                         "setfsuid32",
                                         "setfsgid32",
                                         "setgroups32",
                                         "getuid32",
                                         "geteuid32",
                                         "getgid32",
                                         "getegid32",
                                         "ugetrlimit",
                                         "nice"};

constexpr std::string_view kSensitiveProcess[] = {
    "execve",     "execveat",     "setuid",      "setgid",     "setreuid",    "setregid",
    "setresuid",  "setresgid",    "setfsuid",    "setfsgid",   "setgroups",   "capset",
    "prctl",      "memfd_create", "kill",        "tkill",      "tgkill",      "pidfd_send_signal",
    "setuid32",   "setgid32",     "setreuid32",  "setregid32", "setresuid32", "setresgid32",
    "setfsuid32", "setfsgid32",   "setgroups32", "fork",       "vfork",       "clone",
    "clone3"};

constexpr std::string_view kSensitiveNetwork[] = {"socket",   "connect",   "bind",   "listen",
                                                  "accept",   "accept4",   "sendto", "sendmsg",
                                                  "sendmmsg", "socketcall"};

// Substrings that make a syscall a file-system or descriptor-I/O one.
constexpr std::string_view kFileWords[] = {
    "open",          "read",      "write",        "stat",         "link",       "dir",
    "chmod",         "chown",     "xattr",        "sync",         "truncate",   "rename",
    "mknod",         "seek",      "dup",          "fcntl",        "ioctl",      "pipe",
    "splice",        "tee",       "sendfile",     "inotify",      "poll",       "select",
    "epoll",         "close",     "access",       "chdir",        "umask",      "getcwd",
    "fallocate",     "fadvise",   "flock",        "utime",        "getdents",   "copy_file_range",
    "creat",         "mkdir",     "rmdir",        "unlink",       "symlink",    "eventfd",
    "timerfd",       "io_setup",  "io_submit",    "io_getevents", "io_destroy", "io_cancel",
    "io_pgetevents", "cachestat", "file_getattr", "file_setattr", "statmount",  "listmount",
    "fchmodat2",     "vmsplice"};

template <std::size_t N>
bool in(const std::string_view (&list)[N], std::string_view name) {
    return std::find(std::begin(list), std::end(list), name) != std::end(list);
}

} // namespace

std::string_view abi_name(abi a) {
    switch (a) {
    case abi::x86_64:
        return "x86_64";
    case abi::i386:
        return "i386";
    case abi::x32:
        return "x32";
    }
    return "?";
}

std::string_view category_name(category c) {
    switch (c) {
    case category::file:
        return "file";
    case category::process:
        return "process";
    case category::network:
        return "network";
    case category::privileged:
        return "privileged";
    case category::other:
        return "other";
    }
    return "other";
}

namespace {

// The name table of an ABI: i386 has its own numbers; x32 uses the x86-64 names.
const std::array<std::string_view, 470>& names_of(abi table) {
    return table == abi::i386 ? detail::i386_syscall_names : detail::x86_64_syscall_names;
}

} // namespace

std::string_view syscall_name(abi table, int nr) {
    const auto& t = names_of(table);
    if (nr < 0 || static_cast<std::size_t>(nr) >= t.size())
        return {};
    return t[static_cast<std::size_t>(nr)];
}

std::string syscall_label(syscall_id id) {
    auto n = syscall_name(id.table, id.nr);
    if (id.table == abi::x86_64)
        return n.empty() ? fmt::format("x86_64:#{}", id.nr) : std::string(n);
    return n.empty() ? fmt::format("{}:#{}", abi_name(id.table), id.nr)
                     : fmt::format("{}:{}", abi_name(id.table), n);
}

std::optional<int> syscall_number(std::string_view name, abi table) {
    const auto& t = names_of(table);
    if (name.empty())
        return std::nullopt;
    for (std::size_t i = 0; i < t.size(); ++i)
        if (t[i] == name)
            return static_cast<int>(i);
    return std::nullopt;
}

category syscall_category(std::string_view name) {
    if (in(kPrivileged, name))
        return category::privileged;
    if (in(kNetwork, name))
        return category::network;
    if (in(kProcess, name))
        return category::process;
    for (auto w : kFileWords)
        if (name.find(w) != std::string_view::npos)
            return category::file;
    return category::other;
}

bool syscall_sensitive(std::string_view name) {
    return in(kPrivileged, name) || in(kSensitiveProcess, name) || in(kSensitiveNetwork, name);
}

int syscall_risk(std::string_view name) {
    if (in(kPrivileged, name))
        return 100;
    if (in(kSensitiveProcess, name))
        return 60;
    if (in(kSensitiveNetwork, name))
        return 50;
    switch (syscall_category(name)) {
    case category::network:
        return 30;
    case category::process:
        return 20;
    case category::file:
        return 10;
    default:
        return 5;
    }
}

} // namespace glassbox::scan

namespace glassbox::scan {

namespace {

std::string family_name(std::int64_t f) {
    switch (f) {
    case 1:
        return "unix";
    case 2:
        return "inet";
    case 10:
        return "inet6";
    case 16:
        return "netlink";
    case 17:
        return "packet";
    default:
        return fmt::format("af_{}", f);
    }
}

std::string type_name(std::int64_t t) {
    switch (t) {
    case 1:
        return "stream";
    case 2:
        return "dgram";
    case 3:
        return "raw";
    case 4:
        return "rdm";
    case 5:
        return "seqpacket";
    case 10:
        return "packet";
    default:
        return fmt::format("type_{}", t);
    }
}

} // namespace

std::vector<std::string> socket_kinds(const socket_use& s) {
    std::vector<std::string> fams, types, out;
    for (auto f : s.families)
        fams.push_back(family_name(f));
    for (auto t : s.types)
        types.push_back(type_name(t));
    if (fams.empty())
        fams.push_back("unknown");
    if (types.empty())
        types.push_back("unknown");
    for (const auto& f : fams)
        for (const auto& t : types)
            out.push_back(f + "/" + t);
    return out;
}

bool socket_kind_sensitive(std::string_view kind) {
    return kind.rfind("packet/", 0) == 0 || kind.rfind("netlink/", 0) == 0 ||
           kind.ends_with("/raw") || kind.ends_with("/packet");
}

} // namespace glassbox::scan
