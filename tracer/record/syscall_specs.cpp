// The syscall table of issue 3's coverage (see syscall_specs.hpp): one row per recorded x86-64
// syscall, read by the BPF side (through gb_sys_specs) and by the decoder, so the two can never
// disagree on which argument is what.
#include "record/syscall_specs.hpp"

#include <bpf/bpf.h>
#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace glassbox::record {
namespace {

constexpr std::uint8_t A(int i) { return static_cast<std::uint8_t>(i + 1); } // argument i
constexpr std::uint8_t CWD = GB_SPEC_DIR_CWD;
constexpr std::uint8_t RET = GB_SPEC_FD_RET;
constexpr std::uint8_t PIDFD = GB_SPEC_PID_PIDFD;
using ints = std::array<const char*, 6>;
using strs = std::array<const char*, GB_SYS_STRS>;
using S3 = std::array<std::uint8_t, GB_SYS_STRS>;
using D2 = std::array<std::uint8_t, 2>;

// clang-format off
constexpr syscall_spec table[] = {
    // ---- file changes: the path is the resolved dirfd/cwd joined with the string ----
    {.nr = 87,  .name = "unlink",     .kind = GB_EV_UNLINK, .str = S3{A(0)}, .dir = D2{CWD}, .strs = strs{"@path"}},
    {.nr = 263, .name = "unlinkat",   .kind = GB_EV_UNLINK, .str = S3{A(1)}, .dir = D2{A(0)}, .ints = ints{nullptr, nullptr, "flags"}, .strs = strs{"@path"}},
    {.nr = 84,  .name = "rmdir",      .kind = GB_EV_RMDIR,  .str = S3{A(0)}, .dir = D2{CWD}, .strs = strs{"@path"}},
    {.nr = 83,  .name = "mkdir",      .kind = GB_EV_MKDIR,  .str = S3{A(0)}, .dir = D2{CWD}, .ints = ints{nullptr, "mode"}, .strs = strs{"@path"}},
    {.nr = 258, .name = "mkdirat",    .kind = GB_EV_MKDIR,  .str = S3{A(1)}, .dir = D2{A(0)}, .ints = ints{nullptr, nullptr, "mode"}, .strs = strs{"@path"}},
    {.nr = 133, .name = "mknod",      .kind = GB_EV_MKNOD,  .str = S3{A(0)}, .dir = D2{CWD}, .ints = ints{nullptr, "mode", "dev"}, .strs = strs{"@path"}},
    {.nr = 259, .name = "mknodat",    .kind = GB_EV_MKNOD,  .str = S3{A(1)}, .dir = D2{A(0)}, .ints = ints{nullptr, nullptr, "mode", "dev"}, .strs = strs{"@path"}},
    {.nr = 82,  .name = "rename",     .kind = GB_EV_RENAME, .str = S3{A(0), A(1)}, .dir = D2{CWD, CWD}, .strs = strs{"@old_path", "@new_path"}},
    {.nr = 264, .name = "renameat",   .kind = GB_EV_RENAME, .str = S3{A(1), A(3)}, .dir = D2{A(0), A(2)}, .strs = strs{"@old_path", "@new_path"}},
    {.nr = 316, .name = "renameat2",  .kind = GB_EV_RENAME, .str = S3{A(1), A(3)}, .dir = D2{A(0), A(2)}, .ints = ints{nullptr, nullptr, nullptr, nullptr, "flags"}, .strs = strs{"@old_path", "@new_path"}},
    {.nr = 86,  .name = "link",       .kind = GB_EV_LINK,   .str = S3{A(0), A(1)}, .dir = D2{CWD, CWD}, .strs = strs{"@old_path", "@new_path"}},
    {.nr = 265, .name = "linkat",     .kind = GB_EV_LINK,   .str = S3{A(1), A(3)}, .dir = D2{A(0), A(2)}, .ints = ints{nullptr, nullptr, nullptr, nullptr, "flags"}, .strs = strs{"@old_path", "@new_path"}},
    // symlink: the first string is the link's content, kept as written
    {.nr = 88,  .name = "symlink",    .kind = GB_EV_SYMLINK, .str = S3{A(0), A(1)}, .dir = D2{0, CWD}, .strs = strs{"old_path", "@new_path"}},
    {.nr = 266, .name = "symlinkat",  .kind = GB_EV_SYMLINK, .str = S3{A(0), A(2)}, .dir = D2{0, A(1)}, .strs = strs{"old_path", "@new_path"}},
    {.nr = 90,  .name = "chmod",      .kind = GB_EV_CHMOD, .str = S3{A(0)}, .dir = D2{CWD}, .ints = ints{nullptr, "mode"}, .strs = strs{"@path"}},
    {.nr = 91,  .name = "fchmod",     .kind = GB_EV_CHMOD, .fd = A(0), .ints = ints{"fd", "mode"}},
    {.nr = 268, .name = "fchmodat",   .kind = GB_EV_CHMOD, .str = S3{A(1)}, .dir = D2{A(0)}, .ints = ints{nullptr, nullptr, "mode"}, .strs = strs{"@path"}},
    {.nr = 452, .name = "fchmodat2",  .kind = GB_EV_CHMOD, .str = S3{A(1)}, .dir = D2{A(0)}, .ints = ints{nullptr, nullptr, "mode", "flags"}, .strs = strs{"@path"}},
    {.nr = 92,  .name = "chown",      .kind = GB_EV_CHOWN, .str = S3{A(0)}, .dir = D2{CWD}, .ints = ints{nullptr, "owner", "group"}, .strs = strs{"@path"}},
    {.nr = 93,  .name = "fchown",     .kind = GB_EV_CHOWN, .fd = A(0), .ints = ints{"fd", "owner", "group"}},
    {.nr = 94,  .name = "lchown",     .kind = GB_EV_CHOWN, .str = S3{A(0)}, .dir = D2{CWD}, .ints = ints{nullptr, "owner", "group"}, .strs = strs{"@path"}},
    {.nr = 260, .name = "fchownat",   .kind = GB_EV_CHOWN, .str = S3{A(1)}, .dir = D2{A(0)}, .flags = GB_SPEC_DIR_EMPTY_OK, .ints = ints{nullptr, nullptr, "owner", "group", "flags"}, .strs = strs{"@path"}},
    {.nr = 76,  .name = "truncate",   .kind = GB_EV_TRUNCATE, .str = S3{A(0)}, .dir = D2{CWD}, .ints = ints{nullptr, "length"}, .strs = strs{"@path"}},
    {.nr = 77,  .name = "ftruncate",  .kind = GB_EV_TRUNCATE, .fd = A(0), .ints = ints{"fd", "length"}},
    {.nr = 132, .name = "utime",      .kind = GB_EV_UTIMES, .str = S3{A(0)}, .dir = D2{CWD}, .strs = strs{"@path"}},
    {.nr = 235, .name = "utimes",     .kind = GB_EV_UTIMES, .str = S3{A(0)}, .dir = D2{CWD}, .strs = strs{"@path"}},
    {.nr = 261, .name = "futimesat",  .kind = GB_EV_UTIMES, .str = S3{A(1)}, .dir = D2{A(0)}, .flags = GB_SPEC_DIR_EMPTY_OK, .strs = strs{"@path"}},
    // utimensat(fd, NULL, ...) is futimens: the path is the descriptor's
    {.nr = 280, .name = "utimensat",  .kind = GB_EV_UTIMES, .str = S3{A(1)}, .dir = D2{A(0)}, .flags = GB_SPEC_DIR_EMPTY_OK, .ints = ints{nullptr, nullptr, nullptr, "flags"}, .strs = strs{"@path"}},
    {.nr = 188, .name = "setxattr",   .kind = GB_EV_SETXATTR, .str = S3{A(0), A(1)}, .dir = D2{CWD}, .ints = ints{nullptr, nullptr, nullptr, "size", "flags"}, .strs = strs{"@path", "name"}},
    {.nr = 189, .name = "lsetxattr",  .kind = GB_EV_SETXATTR, .str = S3{A(0), A(1)}, .dir = D2{CWD}, .ints = ints{nullptr, nullptr, nullptr, "size", "flags"}, .strs = strs{"@path", "name"}},
    {.nr = 190, .name = "fsetxattr",  .kind = GB_EV_SETXATTR, .str = S3{0, A(1)}, .fd = A(0), .ints = ints{"fd", nullptr, nullptr, "size", "flags"}, .strs = strs{nullptr, "name"}},
    {.nr = 463, .name = "setxattrat", .kind = GB_EV_SETXATTR, .str = S3{A(1), A(3)}, .dir = D2{A(0)}, .flags = GB_SPEC_DIR_EMPTY_OK, .ints = ints{nullptr, nullptr, "at_flags"}, .strs = strs{"@path", "name"}},
    {.nr = 197, .name = "removexattr",  .kind = GB_EV_REMOVEXATTR, .str = S3{A(0), A(1)}, .dir = D2{CWD}, .strs = strs{"@path", "name"}},
    {.nr = 198, .name = "lremovexattr", .kind = GB_EV_REMOVEXATTR, .str = S3{A(0), A(1)}, .dir = D2{CWD}, .strs = strs{"@path", "name"}},
    {.nr = 199, .name = "fremovexattr", .kind = GB_EV_REMOVEXATTR, .str = S3{0, A(1)}, .fd = A(0), .ints = ints{"fd"}, .strs = strs{nullptr, "name"}},
    {.nr = 466, .name = "removexattrat", .kind = GB_EV_REMOVEXATTR, .str = S3{A(1), A(3)}, .dir = D2{A(0)}, .flags = GB_SPEC_DIR_EMPTY_OK, .ints = ints{nullptr, nullptr, "at_flags"}, .strs = strs{"@path", "name"}},
    // mmap: recorded only with PROT_EXEC on a file (filtered in BPF)
    {.nr = 9,   .name = "mmap",       .kind = GB_EV_MMAP_EXEC, .fd = A(4), .ints = ints{nullptr, "length", "prot", "flags", "fd", "offset"}},
    {.nr = 254, .name = "inotify_add_watch", .kind = GB_EV_INOTIFY, .str = S3{A(1)}, .dir = D2{CWD}, .ints = ints{"fd", nullptr, "mask"}, .strs = strs{"@path"}},

    // ---- processes ----
    {.nr = 319, .name = "memfd_create", .kind = GB_EV_MEMFD_CREATE, .str = S3{A(0)}, .ints = ints{nullptr, "flags"}, .strs = strs{"name"}},
    {.nr = 105, .name = "setuid",    .kind = GB_EV_CRED, .nargs = 1},
    {.nr = 106, .name = "setgid",    .kind = GB_EV_CRED, .nargs = 1},
    {.nr = 113, .name = "setreuid",  .kind = GB_EV_CRED, .nargs = 2},
    {.nr = 114, .name = "setregid",  .kind = GB_EV_CRED, .nargs = 2},
    {.nr = 117, .name = "setresuid", .kind = GB_EV_CRED, .nargs = 3},
    {.nr = 119, .name = "setresgid", .kind = GB_EV_CRED, .nargs = 3},
    {.nr = 122, .name = "setfsuid",  .kind = GB_EV_CRED, .nargs = 1},
    {.nr = 123, .name = "setfsgid",  .kind = GB_EV_CRED, .nargs = 1},
    {.nr = 116, .name = "setgroups", .kind = GB_EV_CRED, .bytes = A(1), .bytes_len = 64, .nargs = 1},
    {.nr = 126, .name = "capset",    .kind = GB_EV_CRED, .bytes = A(1), .bytes_len = 24, .nargs = 0},
    {.nr = 157, .name = "prctl",     .kind = GB_EV_PRCTL, .ints = ints{nullptr, "arg2"}},
    {.nr = 317, .name = "seccomp",   .kind = GB_EV_PRCTL, .ints = ints{"operation", "flags"}},
    {.nr = 62,  .name = "kill",      .kind = GB_EV_SIGNAL, .pid = A(0), .flags = GB_SPEC_OUTSIDE_ONLY, .ints = ints{nullptr, "sig"}},
    {.nr = 200, .name = "tkill",     .kind = GB_EV_SIGNAL, .pid = A(0), .flags = GB_SPEC_OUTSIDE_ONLY, .ints = ints{nullptr, "sig"}},
    {.nr = 234, .name = "tgkill",    .kind = GB_EV_SIGNAL, .pid = A(0), .flags = GB_SPEC_OUTSIDE_ONLY, .ints = ints{nullptr, "target_tid", "sig"}},
    {.nr = 424, .name = "pidfd_send_signal", .kind = GB_EV_SIGNAL, .pid = static_cast<std::uint8_t>(A(0) | PIDFD), .flags = GB_SPEC_OUTSIDE_ONLY, .ints = ints{"pidfd", "sig"}},

    // ---- privileged operations (kind priv, op = the syscall name) ----
    {.nr = 175, .name = "init_module",   .kind = GB_EV_PRIV, .str = S3{0, 0, A(2)}, .ints = ints{nullptr, "len"}, .strs = strs{nullptr, nullptr, "params"}},
    {.nr = 313, .name = "finit_module",  .kind = GB_EV_PRIV, .str = S3{A(1)}, .fd = A(0), .ints = ints{"fd", nullptr, "flags"}, .strs = strs{"params"}},
    {.nr = 176, .name = "delete_module", .kind = GB_EV_PRIV, .str = S3{A(0)}, .ints = ints{nullptr, "flags"}, .strs = strs{"name"}},
    {.nr = 101, .name = "ptrace",        .kind = GB_EV_PRIV, .pid = A(1), .ints = ints{"request"}},
    {.nr = 302, .name = "prlimit64",     .kind = GB_EV_PRIV, .pid = A(0), .flags = GB_SPEC_OUTSIDE_ONLY, .ints = ints{nullptr, "resource"}},
    // Another process's priority and scheduling (a process outside the tree only; the caller's own
    // is every program's business): how a tree would starve glassbox of CPU or I/O.
    {.nr = 141, .name = "setpriority",   .kind = GB_EV_PRIV, .pid = A(1), .flags = GB_SPEC_OUTSIDE_ONLY, .ints = ints{"which", "who", "prio"}},
    {.nr = 251, .name = "ioprio_set",    .kind = GB_EV_PRIV, .pid = A(1), .flags = GB_SPEC_OUTSIDE_ONLY, .ints = ints{"which", "who", "ioprio"}},
    {.nr = 142, .name = "sched_setparam",     .kind = GB_EV_PRIV, .pid = A(0), .flags = GB_SPEC_OUTSIDE_ONLY},
    {.nr = 144, .name = "sched_setscheduler", .kind = GB_EV_PRIV, .pid = A(0), .flags = GB_SPEC_OUTSIDE_ONLY, .ints = ints{nullptr, "policy"}},
    {.nr = 203, .name = "sched_setaffinity",  .kind = GB_EV_PRIV, .pid = A(0), .flags = GB_SPEC_OUTSIDE_ONLY},
    {.nr = 314, .name = "sched_setattr",      .kind = GB_EV_PRIV, .pid = A(0), .flags = GB_SPEC_OUTSIDE_ONLY},
    {.nr = 310, .name = "process_vm_readv",  .kind = GB_EV_PRIV, .pid = A(0)},
    // Not a syscall: the LSM guard's tripwire (bpf/record/guard.h) records a traced process moving
    // one of glassbox's processes into another cgroup (the mover is killed). Never on sys_exit:
    // x86-64 has no syscall 510.
    {.nr = 510, .name = "cgroup_attach",     .kind = GB_EV_PRIV, .pid = A(0), .ints = ints{nullptr, "cgroup_id"}},
    // Taking a descriptor out of another process (ptrace-attach rights): always recorded.
    {.nr = 438, .name = "pidfd_getfd",       .kind = GB_EV_PRIV, .pid = static_cast<std::uint8_t>(A(0) | PIDFD), .ints = ints{"pidfd", "targetfd", "flags"}},
    {.nr = 311, .name = "process_vm_writev", .kind = GB_EV_PRIV, .pid = A(0)},
    {.nr = 165, .name = "mount",       .kind = GB_EV_PRIV, .str = S3{A(0), A(1), A(2)}, .dir = D2{0, CWD}, .ints = ints{nullptr, nullptr, nullptr, "flags"}, .strs = strs{"source", "@target", "fstype"}},
    {.nr = 166, .name = "umount2",     .kind = GB_EV_PRIV, .str = S3{A(0)}, .dir = D2{CWD}, .ints = ints{nullptr, "flags"}, .strs = strs{"@target"}},
    {.nr = 155, .name = "pivot_root",  .kind = GB_EV_PRIV, .str = S3{A(0), A(1)}, .dir = D2{CWD, CWD}, .strs = strs{"@new_root", "@put_old"}},
    {.nr = 430, .name = "fsopen",      .kind = GB_EV_PRIV, .str = S3{A(0)}, .ints = ints{nullptr, "flags"}, .strs = strs{"fsname"}},
    {.nr = 432, .name = "fsmount",     .kind = GB_EV_PRIV, .ints = ints{"fs_fd", "flags", "attr_flags"}},
    {.nr = 429, .name = "move_mount",  .kind = GB_EV_PRIV, .str = S3{A(1), A(3)}, .dir = D2{A(0), A(2)}, .flags = GB_SPEC_DIR_EMPTY_OK, .ints = ints{nullptr, nullptr, nullptr, nullptr, "flags"}, .strs = strs{"@from_path", "@to_path"}},
    {.nr = 428, .name = "open_tree",   .kind = GB_EV_PRIV, .str = S3{A(1)}, .dir = D2{A(0)}, .flags = GB_SPEC_DIR_EMPTY_OK, .ints = ints{nullptr, nullptr, "flags"}, .strs = strs{"@path"}},
    {.nr = 321, .name = "bpf",         .kind = GB_EV_PRIV, .ints = ints{"cmd"}},
    {.nr = 298, .name = "perf_event_open", .kind = GB_EV_PRIV, .bytes = A(0), .bytes_len = 16, .ints = ints{nullptr, "target_pid", "cpu", "group_fd", "flags"}},
    {.nr = 246, .name = "kexec_load",      .kind = GB_EV_PRIV, .ints = ints{"entry", "nr_segments", nullptr, "flags"}},
    {.nr = 320, .name = "kexec_file_load", .kind = GB_EV_PRIV, .str = S3{A(3)}, .fd = A(0), .ints = ints{"kernel_fd", "initrd_fd", nullptr, nullptr, "flags"}, .strs = strs{"cmdline"}},
    {.nr = 169, .name = "reboot",      .kind = GB_EV_PRIV, .ints = ints{"magic", "magic2", "cmd"}},
    {.nr = 308, .name = "setns",       .kind = GB_EV_PRIV, .fd = A(0), .ints = ints{"fd", "nstype"}},
    {.nr = 272, .name = "unshare",     .kind = GB_EV_PRIV, .ints = ints{"flags"}},
    {.nr = 161, .name = "chroot",      .kind = GB_EV_PRIV, .str = S3{A(0)}, .dir = D2{CWD}, .strs = strs{"@path"}},
    {.nr = 172, .name = "iopl",        .kind = GB_EV_PRIV, .ints = ints{"level"}},
    {.nr = 173, .name = "ioperm",      .kind = GB_EV_PRIV, .ints = ints{"from", "num", "turn_on"}},
    {.nr = 304, .name = "open_by_handle_at", .kind = GB_EV_PRIV, .fd = RET, .flags = GB_SPEC_TRACK_FD, .ints = ints{"mount_fd", nullptr, "flags"}},
    {.nr = 303, .name = "name_to_handle_at", .kind = GB_EV_PRIV, .str = S3{A(1)}, .dir = D2{A(0)}, .flags = GB_SPEC_DIR_EMPTY_OK, .ints = ints{nullptr, nullptr, nullptr, nullptr, "flags"}, .strs = strs{"@path"}},
    {.nr = 250, .name = "keyctl",      .kind = GB_EV_PRIV, .ints = ints{"cmd", "arg2", "arg3"}},
    {.nr = 248, .name = "add_key",     .kind = GB_EV_PRIV, .str = S3{A(0), A(1)}, .ints = ints{nullptr, nullptr, nullptr, "plen", "keyring"}, .strs = strs{"key_type", "description"}},
    {.nr = 249, .name = "request_key", .kind = GB_EV_PRIV, .str = S3{A(0), A(1), A(2)}, .ints = ints{nullptr, nullptr, nullptr, "keyring"}, .strs = strs{"key_type", "description", "callout_info"}},
    {.nr = 300, .name = "fanotify_init", .kind = GB_EV_PRIV, .ints = ints{"flags", "event_f_flags"}},
    {.nr = 301, .name = "fanotify_mark", .kind = GB_EV_PRIV, .str = S3{A(4)}, .dir = D2{A(3)}, .flags = GB_SPEC_DIR_EMPTY_OK, .ints = ints{"fanotify_fd", "flags", "mask"}, .strs = strs{"@path"}},
    {.nr = 425, .name = "io_uring_setup", .kind = GB_EV_PRIV, .bytes = A(1), .bytes_len = 12, .ints = ints{"entries"}},

    // ---- network ----
    {.nr = 41,  .name = "socket",     .kind = GB_EV_SOCKET, .nargs = 3},
    {.nr = 53,  .name = "socketpair", .kind = GB_EV_SOCKET, .bytes = A(3), .bytes_len = 8, .nargs = 3},
};
// clang-format on

// i386 -> x86-64 numbers of the calls worth naming when entered through int 0x80. Numbers from
// 403 up are shared by both ABIs (the y2038 unification) and map to themselves.
constexpr std::pair<int, int> abi32_table[] = {
    {1, 60},    {2, 57},    {5, 2},     {8, 85},    {9, 86},    {10, 87},   {11, 59},
    {12, 80},   {14, 133},  {15, 90},   {21, 165},  {26, 101},  {37, 62},   {38, 82},
    {39, 83},   {40, 84},   {52, 166},  {61, 161},  {83, 88},   {92, 76},   {93, 77},
    {94, 91},   {101, 173}, {110, 172}, {120, 56},  {128, 175}, {129, 176}, {172, 157},
    {190, 58},  {203, 113}, {204, 114}, {208, 117}, {210, 119}, {212, 92},  {213, 105},
    {214, 106}, {226, 188}, {227, 189}, {228, 190}, {235, 197}, {236, 198}, {237, 199},
    {238, 200}, {270, 234}, {292, 254}, {295, 257}, {296, 258}, {297, 259}, {298, 260},
    {301, 263}, {302, 264}, {303, 265}, {304, 266}, {306, 268}, {310, 272}, {320, 280},
    {336, 298}, {341, 303}, {342, 304}, {346, 308}, {350, 313}, {353, 316}, {354, 317},
    {356, 319}, {357, 321}, {358, 322}, {359, 41},  {360, 53},  {361, 49},  {362, 42},
    {363, 50},  {364, 288}, {369, 44},  {370, 46},  {345, 307}, {347, 310}, {348, 311},
};

} // namespace

std::span<const syscall_spec> syscall_specs() { return table; }

const syscall_spec* find_syscall_spec(std::uint32_t nr) {
    for (const auto& s : table)
        if (static_cast<std::uint32_t>(s.nr) == nr)
            return &s;
    return nullptr;
}

int abi32_to_x86_64(std::uint32_t i386_nr) {
    if (i386_nr >= 403 && i386_nr < GB_SYS_NR_MAX)
        return static_cast<int>(i386_nr);
    for (const auto& [from, to] : abi32_table)
        if (static_cast<std::uint32_t>(from) == i386_nr)
            return to;
    return -1;
}

result<void> load_coverage_tables(int specs_map_fd, int abi32_map_fd) {
    for (const auto& s : table) {
        gb_sys_spec v{};
        v.kind = static_cast<__u16>(s.kind);
        for (int i = 0; i < GB_SYS_STRS; ++i)
            v.str_arg[i] = s.str[i];
        v.str_dir[0] = s.dir[0];
        v.str_dir[1] = s.dir[1];
        v.fd_arg = s.fd;
        v.pid_arg = s.pid;
        v.bytes_arg = s.bytes;
        v.bytes_len = s.bytes_len;
        v.flags = s.flags;
        __u32 key = static_cast<__u32>(s.nr);
        if (bpf_map_update_elem(specs_map_fd, &key, &v, BPF_ANY) != 0)
            return std::unexpected(error{fmt::format("loading the syscall table ({}): {}", s.name, std::strerror(errno))});
    }
    for (__u32 nr = 0; nr < GB_SYS_NR_MAX; ++nr) {
        int x = abi32_to_x86_64(nr);
        __u32 v = x < 0 ? 0xffffffffu : static_cast<__u32>(x);
        if (bpf_map_update_elem(abi32_map_fd, &nr, &v, BPF_ANY) != 0)
            return std::unexpected(error{fmt::format("loading the i386 syscall map: {}", std::strerror(errno))});
    }
    return {};
}

} // namespace glassbox::record
