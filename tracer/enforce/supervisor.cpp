// Seccomp user-notification supervisor (see supervisor.hpp for the contract). The emulated open is
// the heart of it: the target's path buffer is read once, the notification id is checked after
// every read of target memory and after every /proc lookup keyed by its tid, and from then on only
// the supervisor's own copy and its own descriptors are used, so flipping the buffer or the
// target's fd table after the check changes nothing.
#include "enforce/supervisor.hpp"

#include "enforce/seccomp_filter.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <string>
#include <unordered_map>
#include <vector>

namespace glassbox::enforce {

namespace {

std::uint64_t mono_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::uint64_t(ts.tv_sec) * 1000000000ull + std::uint64_t(ts.tv_nsec);
}

// libseccomp resolves names by a table walk and strdup: cache them (the supervisor is hot).
const std::string& syscall_name(int nr) {
    thread_local std::unordered_map<int, std::string> cache;
    auto it = cache.find(nr);
    if (it != cache.end())
        return it->second;
    char* n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    std::string s = n ? n : fmt::format("syscall_{}", nr);
    free(n);
    return cache.emplace(nr, std::move(s)).first->second;
}

struct target_info {
    pid_t tid = 0;
    pid_t ns_tgid = 0, ns_tid = 0;
    uid_t fsuid = 0;
    gid_t fsgid = 0;
    std::vector<gid_t> groups;
    mode_t umask = 022;
    std::uint64_t cap_eff = ~0ull; // effective capabilities
};

// Parses /proc/TID/status for what an emulated open must reproduce.
bool read_target_info(int proc_fd, pid_t tid, target_info& ti) {
    char name[64];
    snprintf(name, sizeof name, "%d/status", tid);
    int fd = openat(proc_fd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = 0;
    ti.tid = tid;
    auto last_field = [](const char* line) {
        long v = 0;
        const char* end = strchr(line, '\n');
        const char* p = end ? end : line + strlen(line);
        while (p > line && (p[-1] == ' ' || p[-1] == '\t'))
            --p;
        const char* b = p;
        while (b > line && p[-1] && b[-1] >= '0' && b[-1] <= '9')
            --b;
        std::from_chars(b, p, v);
        return v;
    };
    auto nth_field = [](const char* line, int idx) {
        const char* p = strchr(line, ':') + 1;
        long v = 0;
        for (int i = 0; i <= idx; ++i) {
            while (*p == ' ' || *p == '\t')
                ++p;
            const char* b = p;
            while (*p >= '0' && *p <= '9')
                ++p;
            if (i == idx)
                std::from_chars(b, p, v);
        }
        return v;
    };
    for (char* line = buf; line && *line;) {
        char* next = strchr(line, '\n');
        if (!strncmp(line, "Umask:", 6))
            ti.umask = static_cast<mode_t>(strtol(line + 6, nullptr, 8));
        else if (!strncmp(line, "CapEff:", 7))
            ti.cap_eff = std::strtoull(line + 7, nullptr, 16);
        else if (!strncmp(line, "Uid:", 4))
            ti.fsuid = static_cast<uid_t>(nth_field(line, 3));
        else if (!strncmp(line, "Gid:", 4))
            ti.fsgid = static_cast<gid_t>(nth_field(line, 3));
        else if (!strncmp(line, "NStgid:", 7))
            ti.ns_tgid = static_cast<pid_t>(last_field(line));
        else if (!strncmp(line, "NSpid:", 6))
            ti.ns_tid = static_cast<pid_t>(last_field(line));
        else if (!strncmp(line, "Groups:", 7)) {
            const char* p = line + 7;
            const char* e = next ? next : line + strlen(line);
            while (p < e) {
                while (p < e && (*p == ' ' || *p == '\t'))
                    ++p;
                long g = 0;
                auto [q, ec] = std::from_chars(p, e, g);
                if (ec != std::errc())
                    break;
                ti.groups.push_back(static_cast<gid_t>(g));
                p = q;
            }
        }
        line = next ? next + 1 : nullptr;
    }
    return true;
}

// Per-thread credential switch for the emulated open (raw syscalls: glibc would broadcast
// setgroups to every thread of the supervisor).
class cred_scope {
public:
    explicit cred_scope(const target_info& ti) {
        if (ti.fsuid == 0 && ti.fsgid == 0)
            return;
        active_ = true;
        old_groups_.resize(static_cast<std::size_t>(std::max(0, getgroups(0, nullptr))));
        getgroups(static_cast<int>(old_groups_.size()), old_groups_.data());
        syscall(SYS_setgroups, ti.groups.size(), ti.groups.data());
        old_gid_ = static_cast<gid_t>(syscall(SYS_setfsgid, ti.fsgid));
        old_uid_ = static_cast<uid_t>(syscall(SYS_setfsuid, ti.fsuid));
    }
    ~cred_scope() {
        if (!active_)
            return;
        syscall(SYS_setfsuid, old_uid_);
        syscall(SYS_setfsgid, old_gid_);
        syscall(SYS_setgroups, old_groups_.size(), old_groups_.data());
    }
    cred_scope(const cred_scope&) = delete;
    cred_scope& operator=(const cred_scope&) = delete;

private:
    bool active_ = false;
    uid_t old_uid_ = 0;
    gid_t old_gid_ = 0;
    std::vector<gid_t> old_groups_;
};

// Per-thread capability switch (capset only affects the calling thread): an emulated metadata
// change must not succeed where the target's own call would fail for lack of a capability
// (CAP_CHOWN, CAP_FOWNER, CAP_FSETID, ...). Only lowers the effective set; restored on exit.
class cap_scope {
public:
    explicit cap_scope(std::uint64_t target_eff) {
        hdr_.version = _LINUX_CAPABILITY_VERSION_3;
        if (syscall(SYS_capget, &hdr_, saved_) != 0)
            return;
        __user_cap_data_struct want[2];
        std::memcpy(want, saved_, sizeof want);
        want[0].effective &= static_cast<std::uint32_t>(target_eff);
        want[1].effective &= static_cast<std::uint32_t>(target_eff >> 32);
        active_ = syscall(SYS_capset, &hdr_, want) == 0;
    }
    ~cap_scope() {
        if (active_)
            syscall(SYS_capset, &hdr_, saved_);
    }
    bool ok() const { return active_; }
    cap_scope(const cap_scope&) = delete;
    cap_scope& operator=(const cap_scope&) = delete;

private:
    __user_cap_header_struct hdr_{};
    __user_cap_data_struct saved_[2]{};
    bool active_ = false;
};

std::string fd_real_path(int proc_fd, int fd) {
    char name[64], buf[4096];
    snprintf(name, sizeof name, "thread-self/fd/%d", fd);
    ssize_t n = readlinkat(proc_fd, name, buf, sizeof buf);
    if (n <= 0 || n >= static_cast<ssize_t>(sizeof buf))
        return {};
    return std::string(buf, static_cast<std::size_t>(n));
}

std::string family_name(int fam) {
    switch (fam) {
    case AF_INET: return "inet";
    case AF_INET6: return "inet6";
    case AF_UNIX: return "unix";
    case AF_NETLINK: return "netlink";
    case AF_PACKET: return "packet";
    default: return fmt::format("af_{}", fam);
    }
}

std::string type_name(int type) {
    switch (type) {
    case SOCK_STREAM: return "stream";
    case SOCK_DGRAM: return "dgram";
    case SOCK_RAW: return "raw";
    case SOCK_SEQPACKET: return "seqpacket";
    default: return fmt::format("type_{}", type);
    }
}

std::string prctl_name(int opt) {
    for (const auto& [o, name] : security_prctl_options())
        if (o == opt)
            return name;
    return {};
}

bool parse_uint(std::string_view s, long& out) {
    if (s.empty())
        return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

} // namespace

struct supervisor::impl {
    supervisor& sup;
    int listener;
    int proc_fd; // the host /proc, opened before any setns
    std::uint64_t my_mntns = 0;

    struct open_req {
        int dirfd = AT_FDCWD;
        std::string path;
        std::uint64_t flags = 0, mode = 0, resolve = 0;
        bool is_openat2 = false;
        std::string sys;
    };

    bool id_valid(std::uint64_t id) { return seccomp_notify_id_valid(listener, id) == 0; }

    // Reads a NUL-terminated string from the target, page by page (a path may end just before an
    // unmapped page).
    bool read_string(pid_t tid, std::uint64_t addr, std::string& out) {
        out.clear();
        char buf[4096];
        while (out.size() < 4096) {
            std::size_t chunk = 4096 - (addr & 4095);
            iovec local{buf, chunk}, remote{reinterpret_cast<void*>(addr), chunk};
            ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
            if (n <= 0)
                return false;
            const char* nul = static_cast<const char*>(memchr(buf, 0, static_cast<std::size_t>(n)));
            if (nul) {
                out.append(buf, static_cast<std::size_t>(nul - buf));
                return true;
            }
            out.append(buf, static_cast<std::size_t>(n));
            addr += static_cast<std::uint64_t>(n);
        }
        return false; // longer than PATH_MAX
    }

    bool read_mem(pid_t tid, std::uint64_t addr, void* dst, std::size_t len) {
        iovec local{dst, len}, remote{reinterpret_cast<void*>(addr), len};
        return process_vm_readv(tid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(len);
    }

    // Reads a path argument once; a failure answers the call (ENAMETOOLONG past PATH_MAX, else
    // EFAULT) and returns false.
    bool read_path_arg(const seccomp_notif& n, std::uint64_t addr, std::string& out) {
        if (read_string(n.pid, addr, out))
            return true;
        respond(n.id, 0, out.size() >= 4096 ? -ENAMETOOLONG : -EFAULT, false);
        return false;
    }

    // Follow the target into its mount namespace so absolute paths resolve as they would for it.
    void enter_mntns(pid_t tid) {
        char name[64];
        snprintf(name, sizeof name, "%d/ns/mnt", tid);
        struct stat st{};
        if (fstatat(proc_fd, name, &st, 0) != 0 || st.st_ino == my_mntns)
            return;
        int ns = openat(proc_fd, name, O_RDONLY | O_CLOEXEC);
        if (ns >= 0 && setns(ns, CLONE_NEWNS) == 0)
            my_mntns = st.st_ino;
        if (ns >= 0)
            close(ns);
    }

    void report(const seccomp_notif& n, violation v, bool always_denied = false) {
        v.tid = static_cast<int>(n.pid);
        v.pid = v.tid;
        char name[64], buf[256];
        snprintf(name, sizeof name, "%d/status", n.pid);
        if (int fd = openat(proc_fd, name, O_RDONLY | O_CLOEXEC); fd >= 0) {
            ssize_t r = read(fd, buf, sizeof buf - 1);
            close(fd);
            if (r > 0) {
                buf[r] = 0;
                if (const char* t = strstr(buf, "\nTgid:"))
                    v.pid = atoi(t + 6);
            }
        }
        v.ts_ns = mono_ns();
        switch (sup.opts_.run_mode) {
        case mode::enforce: v.action = "denied"; break;
        case mode::complain: v.action = always_denied ? "denied" : "allowed"; break;
        case mode::kill: v.action = "killed"; break;
        }
        if (v.action != "allowed")
            ++sup.stats_.denied;
        if (sup.opts_.sink)
            sup.opts_.sink(v);
        if (sup.opts_.run_mode == mode::kill && sup.opts_.kill_tree)
            sup.opts_.kill_tree();
    }

    std::optional<emulated_open> cur_open; // the open being emulated (for on_open)

    void respond(std::uint64_t id, std::int64_t val, int err, bool cont) {
        if (cur_open)
            cur_open->ret = err ? err : val;
        seccomp_notif_resp r{};
        r.id = id;
        r.val = val;
        r.error = err;
        r.flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r) != 0)
            ++sup.stats_.target_gone;
    }

    // A decision from register arguments only (no target memory read): CONTINUE is safe here.
    void decide_registers(const seccomp_notif& n, violation v, int deny_errno) {
        bool complain = sup.opts_.run_mode == mode::complain;
        report(n, std::move(v));
        if (complain)
            respond(n.id, 0, 0, true);
        else
            respond(n.id, 0, -deny_errno, false);
    }

    void handle(const seccomp_notif& n) {
        ++sup.stats_.notifications;
        std::string name = syscall_name(n.data.nr);
        const auto& a = n.data.args;
        if (name == "open" || name == "openat" || name == "openat2" || name == "creat") {
            handle_open(n, name);
            return;
        }
        if (name == "memfd_create") {
            handle_memfd(n);
            return;
        }
        if (name == "execve" || name == "execveat") {
            handle_exec(n, name);
            return;
        }
        const auto& pol = *sup.opts_.pol;
        const profile::profile* prof = pol.prof.get();
        violation v;
        v.syscall = name;
        v.mechanism = "seccomp-notify";
        if (name == "seccomp") {
            bool listener = a[0] == SECCOMP_SET_MODE_FILTER && (a[1] & SECCOMP_FILTER_FLAG_NEW_LISTENER);
            if (listener) {
                v.section = "privileged";
                v.what = "seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER): a second supervisor would override this one";
                // Denied in every mode: allowing it would hide later calls from the sandbox.
                report(n, v, true);
                respond(n.id, 0, -EPERM, false);
                return;
            }
            if (prof && !prof->match_prctl("seccomp")) {
                v.section = "processes.prctl";
                v.what = fmt::format("seccomp({}, {:#x})", a[0], a[1]);
                decide_registers(n, v, EPERM);
                return;
            }
        } else if (name == "socket" || name == "socketpair") {
            int fam = static_cast<int>(a[0]), type = static_cast<int>(a[1] & 0xf);
            std::string fname = family_name(fam), tname = type_name(type);
            bool ok = prof ? prof->match_socket(fname, tname) != nullptr
                           : !(fam == AF_PACKET || type == SOCK_RAW) || pol.raw_sockets;
            if (!ok) {
                v.section = "network.sockets";
                v.what = fmt::format("{}({}/{})", name, fname, tname);
                v.protocol = fname + "/" + tname;
                decide_registers(n, v, fam == AF_PACKET || type == SOCK_RAW ? EPERM : EACCES);
                return;
            }
        } else if (name == "prctl") {
            std::string opt = prctl_name(static_cast<int>(a[0]));
            if (!opt.empty() && prof && !prof->match_prctl(opt)) {
                v.section = "processes.prctl";
                v.what = fmt::format("prctl({}, {:#x})", opt, a[1]);
                decide_registers(n, v, EPERM);
                return;
            }
        } else if (std::find(security_cred_syscalls().begin(), security_cred_syscalls().end(), name) !=
                   security_cred_syscalls().end()) {
            if (prof && !prof->match_cred(name)) {
                v.section = "processes.cred";
                v.what = fmt::format("{}({}, {}, {})", name, static_cast<long>(a[0]), static_cast<long>(a[1]),
                                     static_cast<long>(a[2]));
                decide_registers(n, v, EPERM);
                return;
            }
        } else if (std::find(metadata_syscalls().begin(), metadata_syscalls().end(), name) !=
                   metadata_syscalls().end()) {
            if (prof && prof->files.metadata.empty()) {
                v.section = "files.metadata";
                v.what = fmt::format("{}: files.metadata is empty", name);
                decide_registers(n, v, EPERM);
                return;
            }
            if (prof) {
                handle_metadata(n, name);
                return;
            }
        }
        const auto& ops = privileged_ops();
        if (std::find(ops.begin(), ops.end(), name) != ops.end() && !pol.privileged.contains(name)) {
            v.section = "privileged";
            v.what = fmt::format("{}({:#x}, {:#x}, ...)", name, a[0], a[1]);
            decide_registers(n, v, EPERM);
            return;
        }
        if (pol.syscalls && !pol.syscalls->contains(name) && !trampoline_syscalls().contains(name)) {
            v.section = "syscalls";
            v.what = fmt::format("{} is not in the syscall allowlist", name);
            decide_registers(n, v, EPERM);
            return;
        }
        // Allowed after all (e.g. an ordinary socket, a seccomp() without a listener): the decision
        // used registers only, so CONTINUE is safe.
        respond(n.id, 0, 0, true);
    }

    // memfd_create is emulated like an open: the name is read once, checked against
    // processes.memfd, and the supervisor's own memfd is installed in the target.
    void handle_memfd(const seccomp_notif& n) {
        std::string name;
        if (!read_string(n.pid, n.data.args[0], name)) {
            respond(n.id, 0, -EFAULT, false);
            return;
        }
        if (!id_valid(n.id)) {
            ++sup.stats_.target_gone;
            return;
        }
        const auto* prof = sup.opts_.pol->prof.get();
        unsigned flags = static_cast<unsigned>(n.data.args[1]);
        if (prof && !prof->match_memfd(name)) {
            violation v;
            v.section = "processes.memfd";
            v.syscall = "memfd_create";
            v.path = "memfd:" + name;
            v.what = fmt::format("memfd_create(\"{}\")", name);
            v.mechanism = "seccomp-notify";
            report(n, v);
            if (sup.opts_.run_mode != mode::complain) {
                respond(n.id, 0, -EPERM, false);
                return;
            }
        }
        int fd = static_cast<int>(syscall(SYS_memfd_create, name.c_str(), flags & ~MFD_CLOEXEC));
        if (fd < 0) {
            respond(n.id, 0, -errno, false);
            return;
        }
        install(n, unique_fd(fd), (flags & MFD_CLOEXEC) ? O_CLOEXEC : 0);
    }

    // Rewrites names that mean "the caller" (/proc/self, /dev/fd, /dev/stdin...) so they mean the
    // target, not the supervisor. Returns the fd number when the path is exactly one of the
    // target's own descriptors (opened through the host /proc, where the magic link is safe).
    std::optional<long> rewrite_self(std::string& path, const target_info& ti) {
        auto replace_prefix = [&](std::string_view from, const std::string& to) {
            if (path == from.substr(0, from.size() - 1) || path.starts_with(from)) {
                path = to + path.substr(std::min(path.size(), from.size() - 1));
                return true;
            }
            return false;
        };
        std::string me = fmt::format("/proc/{}", ti.ns_tgid);
        replace_prefix("/proc/self/", me) ||
            replace_prefix("/proc/thread-self/", fmt::format("{}/task/{}", me, ti.ns_tid)) ||
            replace_prefix("/dev/fd/", me + "/fd");
        if (path == "/dev/stdin")
            path = me + "/fd/0";
        else if (path == "/dev/stdout")
            path = me + "/fd/1";
        else if (path == "/dev/stderr")
            path = me + "/fd/2";
        std::string_view rest = path;
        if (!rest.starts_with(me + "/"))
            return std::nullopt;
        rest.remove_prefix(me.size() + 1);
        if (rest.starts_with("task/")) {
            auto slash = rest.find('/', 5);
            if (slash == std::string_view::npos)
                return std::nullopt;
            rest.remove_prefix(slash + 1);
        }
        long fdnum = 0;
        if (rest.starts_with("fd/") && parse_uint(rest.substr(3), fdnum))
            return fdnum;
        return std::nullopt;
    }

    // Resolves a path argument of the target as the kernel would for it (its mount namespace,
    // its cwd or dirfd, its filesystem credentials; "/proc/self/..." meaning the target) to an
    // O_PATH descriptor of the supervisor. Returns the fd, or -errno. The caller re-validates
    // the notification id before trusting what the /proc lookups gave.
    int resolve_in_target(const seccomp_notif& n, const target_info& ti, int dirfd, std::string path, bool follow,
                          bool empty_path) {
        char name[64];
        if (auto own = rewrite_self(path, ti)) {
            snprintf(name, sizeof name, "%d/fd/%ld", n.pid, *own);
            int fd = openat(proc_fd, name, O_PATH | O_CLOEXEC);
            return fd < 0 ? -ENOENT : fd;
        }
        if (path.empty() || path[0] != '/') {
            if (path.empty() && !empty_path)
                return -ENOENT;
            if (dirfd == AT_FDCWD)
                snprintf(name, sizeof name, "%d/cwd", n.pid);
            else
                snprintf(name, sizeof name, "%d/fd/%d", n.pid, dirfd);
            int base = openat(proc_fd, name, O_PATH | O_CLOEXEC);
            if (base < 0)
                return dirfd == AT_FDCWD ? -ENOENT : -EBADF;
            if (path.empty())
                return base;
            unique_fd owned(base);
            return resolve_at(ti, owned.get(), path, follow);
        }
        return resolve_at(ti, AT_FDCWD, path, follow);
    }

    // The step every emulated path call shares once the target's memory has been read: confirm
    // the copy came from the task that asked, take its context (credentials, cwd, mount
    // namespace), resolve `path` as it would, and confirm again that the /proc lookups (keyed by
    // tid) were the same task's. Returns the O_PATH descriptor; nullopt when the call is done
    // with (answered with the resolution error, or the target is gone).
    std::optional<unique_fd> resolve_checked(const seccomp_notif& n, target_info& ti, int dirfd,
                                             const std::string& path, bool follow, bool empty_path) {
        if (!id_valid(n.id) || !read_target_info(proc_fd, n.pid, ti)) {
            ++sup.stats_.target_gone;
            return std::nullopt;
        }
        enter_mntns(n.pid);
        int fd = resolve_in_target(n, ti, dirfd, path, follow, empty_path);
        unique_fd file(fd >= 0 ? fd : -1);
        if (!id_valid(n.id)) {
            ++sup.stats_.target_gone;
            return std::nullopt;
        }
        if (fd < 0) {
            respond(n.id, 0, fd, false);
            return std::nullopt;
        }
        return file;
    }

    int resolve_at(const target_info& ti, int base, const std::string& path, bool follow) {
        cred_scope creds(ti);
        open_how how{};
        how.flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
        how.resolve = RESOLVE_NO_MAGICLINKS;
        int fd = static_cast<int>(syscall(SYS_openat2, base, path.c_str(), &how, sizeof how));
        return fd < 0 ? -errno : fd;
    }

    // The #! interpreter of the file behind `opath` (empty when it is not a script).
    std::string script_interpreter(int opath) {
        char name[64];
        snprintf(name, sizeof name, "thread-self/fd/%d", opath);
        unique_fd rd(openat(proc_fd, name, O_RDONLY | O_CLOEXEC));
        if (!rd)
            return {};
        char buf[256];
        ssize_t len = pread(rd.get(), buf, sizeof buf - 1, 0);
        if (len < 3 || buf[0] != '#' || buf[1] != '!')
            return {};
        std::string_view line(buf + 2, static_cast<std::size_t>(len - 2));
        line = line.substr(0, line.find('\n'));
        auto b = line.find_first_not_of(" \t");
        if (b == std::string_view::npos)
            return {};
        line.remove_prefix(b);
        return std::string(line.substr(0, line.find_first_of(" \t\r")));
    }

    // execve/execveat: the target's path is read once and resolved like an open; the executable
    // and, for a #! script, its interpreter (up to the kernel's 4 levels) must be allowed by
    // processes.exec. Denied: EACCES (the program goes on). Allowed: the final file is recorded
    // for the exec backstop, then CONTINUE.
    void handle_exec(const seccomp_notif& n, const std::string& name) {
        const auto& a = n.data.args;
        int dirfd = AT_FDCWD, atflags = 0;
        std::uint64_t ptr = a[0];
        if (name == "execveat") {
            dirfd = static_cast<int>(a[0]);
            ptr = a[1];
            atflags = static_cast<int>(a[4]);
        }
        std::string path;
        if (!read_path_arg(n, ptr, path))
            return;
        target_info ti;
        auto resolved = resolve_checked(n, ti, dirfd, path, !(atflags & AT_SYMLINK_NOFOLLOW), atflags & AT_EMPTY_PATH);
        if (!resolved)
            return;
        unique_fd file = std::move(*resolved);
        const auto& pol = *sup.opts_.pol;
        std::string real = fd_real_path(proc_fd, file.get());
        std::string denied;     // the path that is not allowed, if any
        std::string first_real = real;
        struct stat st{};
        for (int depth = 0; depth < 5; ++depth) {
            if (fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
                respond(n.id, 0, -EACCES, false); // what the kernel says for a non-regular file
                return;
            }
            if (denied.empty() && !(real.starts_with("/") && pol.file_allows(real, acc_exec)))
                denied = real;
            std::string interp = script_interpreter(file.get());
            if (interp.empty())
                break;
            int ifd = resolve_in_target(n, ti, AT_FDCWD, interp, true, false);
            if (ifd < 0) {
                respond(n.id, 0, ifd, false);
                return;
            }
            file.reset(ifd);
            real = fd_real_path(proc_fd, file.get());
        }
        if (!denied.empty()) {
            violation v;
            v.section = "processes.exec";
            v.syscall = name;
            v.path = denied;
            v.access = "exec";
            v.what = denied == first_real ? fmt::format("exec {}", denied)
                                          : fmt::format("exec {} (interpreter of {})", denied, first_real);
            if (path != first_real && !path.empty())
                v.what += fmt::format(" (asked as {})", path);
            v.mechanism = "seccomp-notify";
            report(n, v);
            if (sup.opts_.run_mode != mode::complain) {
                respond(n.id, 0, -EACCES, false);
                return;
            }
        }
        // CONTINUE re-reads the path: only safe because the backstop checks the file executed.
        if (!sup.opts_.approve_exec || !sup.opts_.approve_exec(static_cast<pid_t>(n.pid), st.st_dev, st.st_ino)) {
            spdlog::error("supervisor: cannot record an approved exec for the backstop: refusing it");
            respond(n.id, 0, -EAGAIN, false);
            return;
        }
        respond(n.id, 0, 0, true);
    }

    // chmod/chown/utimes/xattr family, when files.metadata has rules: emulated. The path (or fd)
    // is resolved like an open, the real path judged against files.metadata, and the change made
    // by the supervisor on its own descriptor with the target's fsuid/fsgid/groups and no more
    // capabilities than the target has. The call is never CONTINUEd.
    void handle_metadata(const seccomp_notif& n, const std::string& name) {
        const auto& a = n.data.args;
        enum class op { chmod, chown, times, setxattr, removexattr } kind;
        int dirfd = AT_FDCWD, fd = -1;
        std::uint64_t path_ptr = 0;
        bool has_path = true, follow = true, empty_ok = false;
        std::uint64_t mode = 0, xname_ptr = 0, value_ptr = 0, value_size = 0, times_ptr = 0;
        int xflags = 0;
        uid_t uid = 0;
        gid_t gid = 0;
        enum class tfmt { none, utimbuf, timeval, timespec } times_fmt = tfmt::none;
        auto at_flags = [&](std::uint64_t f) {
            follow = !(f & AT_SYMLINK_NOFOLLOW);
            empty_ok = f & AT_EMPTY_PATH;
        };
        if (name == "chmod") {
            kind = op::chmod; path_ptr = a[0]; mode = a[1];
        } else if (name == "fchmod") {
            kind = op::chmod; has_path = false; fd = static_cast<int>(a[0]); mode = a[1];
        } else if (name == "fchmodat" || name == "fchmodat2") {
            kind = op::chmod; dirfd = static_cast<int>(a[0]); path_ptr = a[1]; mode = a[2];
            if (name == "fchmodat2")
                at_flags(a[3]);
        } else if (name == "chown" || name == "lchown") {
            kind = op::chown; path_ptr = a[0]; uid = static_cast<uid_t>(a[1]); gid = static_cast<gid_t>(a[2]);
            follow = name == "chown";
        } else if (name == "fchown") {
            kind = op::chown; has_path = false; fd = static_cast<int>(a[0]);
            uid = static_cast<uid_t>(a[1]); gid = static_cast<gid_t>(a[2]);
        } else if (name == "fchownat") {
            kind = op::chown; dirfd = static_cast<int>(a[0]); path_ptr = a[1];
            uid = static_cast<uid_t>(a[2]); gid = static_cast<gid_t>(a[3]);
            at_flags(a[4]);
        } else if (name == "utime") {
            kind = op::times; path_ptr = a[0]; times_ptr = a[1]; times_fmt = tfmt::utimbuf;
        } else if (name == "utimes") {
            kind = op::times; path_ptr = a[0]; times_ptr = a[1]; times_fmt = tfmt::timeval;
        } else if (name == "futimesat") {
            kind = op::times; dirfd = static_cast<int>(a[0]); path_ptr = a[1]; times_ptr = a[2];
            times_fmt = tfmt::timeval;
        } else if (name == "utimensat") {
            kind = op::times; dirfd = static_cast<int>(a[0]); path_ptr = a[1]; times_ptr = a[2];
            times_fmt = tfmt::timespec;
            at_flags(a[3]);
            if (path_ptr == 0) { // futimens(): the file behind dirfd
                has_path = false;
                fd = dirfd;
            }
        } else if (name == "setxattr" || name == "lsetxattr" || name == "fsetxattr") {
            kind = op::setxattr; xname_ptr = a[1]; value_ptr = a[2]; value_size = a[3];
            xflags = static_cast<int>(a[4]);
            if (name == "fsetxattr") {
                has_path = false; fd = static_cast<int>(a[0]);
            } else {
                path_ptr = a[0]; follow = name == "setxattr";
            }
        } else if (name == "removexattr" || name == "lremovexattr" || name == "fremovexattr") {
            kind = op::removexattr; xname_ptr = a[1];
            if (name == "fremovexattr") {
                has_path = false; fd = static_cast<int>(a[0]);
            } else {
                path_ptr = a[0]; follow = name == "removexattr";
            }
        } else {
            // setxattrat/removexattrat (6.13+, arguments behind a struct): not emulated.
            respond(n.id, 0, -ENOSYS, false);
            return;
        }

        // Read everything from target memory once, then re-validate the id.
        std::string path, xname, value;
        if (has_path && !read_path_arg(n, path_ptr, path))
            return;
        if (xname_ptr && !read_string(n.pid, xname_ptr, xname)) {
            respond(n.id, 0, -EFAULT, false);
            return;
        }
        if (kind == op::setxattr) {
            if (value_size > 65536) {
                respond(n.id, 0, -E2BIG, false);
                return;
            }
            value.resize(value_size);
            if (value_size && !read_mem(n.pid, value_ptr, value.data(), value_size)) {
                respond(n.id, 0, -EFAULT, false);
                return;
            }
        }
        timespec ts[2]{};
        bool have_times = times_ptr != 0;
        if (have_times) {
            bool ok = true;
            if (times_fmt == tfmt::utimbuf) {
                std::int64_t ub[2];
                ok = read_mem(n.pid, times_ptr, ub, sizeof ub);
                ts[0] = {ub[0], 0};
                ts[1] = {ub[1], 0};
            } else if (times_fmt == tfmt::timeval) {
                timeval tv[2];
                ok = read_mem(n.pid, times_ptr, tv, sizeof tv);
                for (int i = 0; i < 2; ++i)
                    ts[i] = {tv[i].tv_sec, tv[i].tv_usec * 1000};
            } else {
                ok = read_mem(n.pid, times_ptr, ts, sizeof ts);
            }
            if (!ok) {
                respond(n.id, 0, -EFAULT, false);
                return;
            }
        }
        target_info ti;
        // Without a path the object is the descriptor itself (an empty path relative to it).
        auto resolved = has_path ? resolve_checked(n, ti, dirfd, path, follow, empty_ok)
                                 : resolve_checked(n, ti, fd, std::string(), true, true);
        if (!resolved)
            return;
        unique_fd obj = std::move(*resolved);
        std::string real = fd_real_path(proc_fd, obj.get());
        const auto* prof = sup.opts_.pol->prof.get();
        if (!(real.starts_with("/") && prof->match_file(profile::file_access::metadata, real))) {
            violation v;
            v.section = "files.metadata";
            v.syscall = name;
            v.path = real.empty() ? path : real;
            v.access = "metadata";
            v.what = fmt::format("{} {}{}", name, v.path,
                                 has_path && path != real ? fmt::format(" (asked as {})", path) : "");
            v.mechanism = "seccomp-notify";
            report(n, v);
            if (sup.opts_.run_mode != mode::complain) {
                respond(n.id, 0, -EPERM, false);
                return;
            }
        }
        struct stat st{};
        fstat(obj.get(), &st);
        char self[64];
        snprintf(self, sizeof self, "thread-self/fd/%d", obj.get());
        long rc = 0;
        {
            cred_scope creds(ti);
            cap_scope caps(ti.cap_eff);
            if (!caps.ok()) {
                respond(n.id, 0, -EPERM, false);
                return;
            }
            switch (kind) {
            case op::chmod:
                rc = S_ISLNK(st.st_mode) ? (errno = EOPNOTSUPP, -1)
                                         : fchmodat(proc_fd, self, static_cast<mode_t>(mode), 0);
                break;
            case op::chown:
                rc = fchownat(obj.get(), "", uid, gid, AT_EMPTY_PATH);
                break;
            case op::times:
                rc = utimensat(obj.get(), "", have_times ? ts : nullptr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
                break;
            case op::setxattr:
            case op::removexattr: {
                // xattrs have no *at call before 6.13: work on a real descriptor of the object.
                unique_fd rw;
                if (S_ISLNK(st.st_mode))
                    errno = EPERM; // user xattrs are not allowed on symlinks anyway
                else
                    rw.reset(openat(proc_fd, self, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
                if (!rw)
                    rc = -1;
                else if (kind == op::setxattr) {
                    rc = fsetxattr(rw.get(), xname.c_str(), value.data(), value.size(), xflags);
                } else {
                    rc = fremovexattr(rw.get(), xname.c_str());
                }
                break;
            }
            }
            if (rc < 0)
                rc = -errno;
        }
        respond(n.id, 0, rc < 0 ? static_cast<int>(rc) : 0, false);
    }

    void handle_open(const seccomp_notif& n, const std::string& name) {
        ++sup.stats_.emulated_opens;
        cur_open.emplace();
        cur_open->tid = static_cast<int>(n.pid);
        cur_open->syscall = name;
        cur_open->ret = -EACCES;
        handle_open_inner(n, name);
        if (cur_open && sup.opts_.on_open && !cur_open->raw_path.empty())
            sup.opts_.on_open(*cur_open);
        cur_open.reset();
    }

    void handle_open_inner(const seccomp_notif& n, const std::string& name) {
        const auto& a = n.data.args;
        open_req rq;
        rq.sys = name;
        std::uint64_t path_ptr = 0;
        if (name == "open") {
            path_ptr = a[0]; rq.flags = a[1]; rq.mode = a[2];
        } else if (name == "creat") {
            path_ptr = a[0]; rq.mode = a[1]; rq.flags = O_CREAT | O_WRONLY | O_TRUNC;
        } else {
            rq.dirfd = static_cast<int>(a[0]); path_ptr = a[1];
            if (name == "openat") {
                rq.flags = a[2]; rq.mode = a[3];
            } else {
                rq.is_openat2 = true;
                open_how how{};
                std::uint64_t size = a[3];
                if (size < sizeof(open_how) || size > 4096) {
                    respond(n.id, 0, size < sizeof(open_how) ? -EINVAL : -E2BIG, false);
                    return;
                }
                if (!read_mem(n.pid, a[2], &how, sizeof how)) {
                    respond(n.id, 0, -EFAULT, false);
                    return;
                }
                rq.flags = how.flags; rq.mode = how.mode; rq.resolve = how.resolve;
            }
        }
        if (!read_path_arg(n, path_ptr, rq.path))
            return;
        // From here on only our copy is used; make sure it came from the task that asked.
        if (!id_valid(n.id)) {
            ++sup.stats_.target_gone;
            return;
        }
        std::string raw = rq.path;
        cur_open->raw_path = raw;
        cur_open->flags = rq.flags;
        cur_open->mode = rq.mode;
        if (rq.path.empty()) {
            respond(n.id, 0, -ENOENT, false);
            return;
        }
        target_info ti;
        if (!read_target_info(proc_fd, n.pid, ti)) {
            ++sup.stats_.target_gone;
            return;
        }
        enter_mntns(n.pid);
        std::optional<long> own_fd = rewrite_self(rq.path, ti);

        unique_fd base;
        if (rq.path[0] != '/') {
            char bname[64];
            if (rq.dirfd == AT_FDCWD)
                snprintf(bname, sizeof bname, "%d/cwd", n.pid);
            else
                snprintf(bname, sizeof bname, "%d/fd/%d", n.pid, rq.dirfd);
            base.reset(openat(proc_fd, bname, O_PATH | O_CLOEXEC));
            if (!base) {
                respond(n.id, 0, rq.dirfd == AT_FDCWD ? -ENOENT : -EBADF, false);
                return;
            }
            struct stat st{};
            if (fstat(base.get(), &st) != 0 || !S_ISDIR(st.st_mode)) {
                respond(n.id, 0, -ENOTDIR, false);
                return;
            }
        }
        // The /proc lookups above are keyed by tid: re-check it is still the same task.
        if (!id_valid(n.id)) {
            ++sup.stats_.target_gone;
            return;
        }
        cred_scope creds(ti);
        ::umask(ti.umask);

        const int base_fd = base ? base.get() : AT_FDCWD;
        std::uint64_t flags = rq.flags;
        bool want_path = flags & O_PATH;
        if (want_path)
            flags &= (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        std::uint32_t need = 0;
        if (!want_path) {
            int acc = static_cast<int>(flags & O_ACCMODE);
            if (acc == O_RDONLY || acc == O_RDWR)
                need |= acc_read;
            if (acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC))
                need |= acc_write;
        }

        for (int attempt = 0; attempt < 4; ++attempt) {
            unique_fd opath;
            if (own_fd) {
                char fname[64];
                snprintf(fname, sizeof fname, "%d/fd/%ld", n.pid, *own_fd);
                opath.reset(openat(proc_fd, fname, O_PATH | O_CLOEXEC));
                if (!opath) {
                    respond(n.id, 0, -ENOENT, false);
                    return;
                }
            } else if (!(flags & O_CREAT) || !(flags & O_EXCL)) {
                open_how how{};
                how.flags = O_PATH | O_CLOEXEC | (flags & (O_NOFOLLOW | O_DIRECTORY));
                how.resolve = rq.resolve | RESOLVE_NO_MAGICLINKS;
                int fd = static_cast<int>(syscall(SYS_openat2, base_fd, rq.path.c_str(), &how, sizeof how));
                if (fd < 0) {
                    int e = errno;
                    if (!(e == ENOENT && (flags & O_CREAT))) {
                        respond(n.id, 0, -e, false);
                        return;
                    }
                } else {
                    opath.reset(fd);
                }
            }
            if (opath) {
                finish_existing(n, rq, raw, std::move(opath), flags, need, want_path, own_fd.has_value());
                return;
            }
            // Creation: check the directory it would land in plus the final name, then create
            // exclusively without following a symlink (a racing symlink makes us retry).
            auto slash = rq.path.rfind('/');
            std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : rq.path.substr(0, slash);
            std::string leaf = slash == std::string::npos ? rq.path : rq.path.substr(slash + 1);
            if (leaf.empty() || leaf == "." || leaf == "..") {
                respond(n.id, 0, -EISDIR, false);
                return;
            }
            open_how dh{};
            dh.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
            dh.resolve = rq.resolve | RESOLVE_NO_MAGICLINKS;
            unique_fd dfd(static_cast<int>(syscall(SYS_openat2, base_fd, dir.c_str(), &dh, sizeof dh)));
            if (!dfd) {
                respond(n.id, 0, -errno, false);
                return;
            }
            std::string real_dir = fd_real_path(proc_fd, dfd.get());
            std::string real = real_dir == "/" ? "/" + leaf : real_dir + "/" + leaf;
            cur_open->path = real;
            std::uint32_t cneed = need | acc_write;
            if (!check(n, rq.sys.c_str(), raw, real, cneed))
                return;
            int fd = openat(dfd.get(), leaf.c_str(),
                            static_cast<int>((flags | O_EXCL | O_NOFOLLOW | O_CLOEXEC) & ~O_PATH),
                            static_cast<mode_t>(rq.mode));
            if (fd < 0) {
                if (errno == EEXIST && !(rq.flags & O_EXCL))
                    continue; // appeared meanwhile: treat as an existing file
                respond(n.id, 0, -errno, false);
                return;
            }
            install(n, unique_fd(fd), rq.flags);
            return;
        }
        respond(n.id, 0, -EAGAIN, false);
    }

    // Policy check on the real path; reports and answers EACCES itself when denied.
    bool check(const seccomp_notif& n, const char* sys, const std::string& raw, const std::string& real,
               std::uint32_t need) {
        const auto& pol = *sup.opts_.pol;
        bool ok = real.starts_with("/") && (need == 0 ? true : pol.file_allows(real, need));
        if (need == 0 && ok)
            ok = pol.file_allows(real, acc_read) || pol.file_allows(real, acc_write) ||
                 pol.file_allows(real, acc_exec);
        if (ok)
            return true;
        violation v;
        v.section = "files.read";
        if (real.starts_with("/"))
            for (auto [bit, sec] : {std::pair{acc_read, "files.read"}, std::pair{acc_write, "files.write"}})
                if ((need & bit) && !pol.file_allows(real, bit)) {
                    v.section = sec;
                    break;
                }
        v.syscall = sys;
        v.path = real.empty() ? raw : real;
        v.access = need ? access_names(need) : "path";
        v.what = fmt::format("open {} for {}{}", v.path, v.access, raw != real ? fmt::format(" (asked as {})", raw) : "");
        v.mechanism = "seccomp-notify";
        bool complain = sup.opts_.run_mode == mode::complain;
        report(n, v);
        if (!complain) {
            respond(n.id, 0, -EACCES, false);
            return false;
        }
        return true;
    }

    void finish_existing(const seccomp_notif& n, const open_req& rq, const std::string& raw, unique_fd opath,
                         std::uint64_t flags, std::uint32_t need, bool want_path, bool own_fd) {
        struct stat st{};
        fstat(opath.get(), &st);
        std::string real = fd_real_path(proc_fd, opath.get());
        if (cur_open)
            cur_open->path = real;
        // Its own pipe/socket/memfd reopened through /proc/self/fd: it holds that object already.
        bool allowed_special = own_fd && (!real.starts_with("/") || real.starts_with("/memfd:"));
        if (!allowed_special) {
            if (want_path) {
                // judged below
            } else if (!check(n, rq.sys.c_str(), raw, real, need)) {
                return;
            }
        }
        if (want_path) {
            // Only openat2 gets here (open/openat with O_PATH stay in the kernel). ADDFD cannot
            // install an O_PATH file, so the target gets a read-only descriptor instead: allowed
            // only when reading it is.
            if (!allowed_special && !check(n, rq.sys.c_str(), raw, real, acc_read))
                return;
            flags = O_RDONLY | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0) | (rq.flags & O_CLOEXEC);
        }
        if (flags & O_CREAT && flags & O_EXCL) {
            respond(n.id, 0, -EEXIST, false);
            return;
        }
        char reopen[64];
        snprintf(reopen, sizeof reopen, "thread-self/fd/%d", opath.get());
        int oflags = static_cast<int>((flags & ~std::uint64_t(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
        if (S_ISFIFO(st.st_mode)) {
            cur_open.reset(); // answered later from another thread; not written as an event
            // Opening a FIFO blocks until the other end shows up: do it off the loop.
            auto listener_ref = sup.listener_;
            int pfd = openat(proc_fd, "self", O_PATH | O_DIRECTORY | O_CLOEXEC);
            std::string rp = fmt::format("fd/{}", opath.get());
            int keep = opath.release();
            std::uint64_t id = n.id, orig = rq.flags;
            std::thread([listener_ref, pfd, rp, keep, oflags, id, orig] {
                int fd = openat(pfd, rp.c_str(), oflags);
                int e = errno;
                close(pfd);
                close(keep);
                if (fd < 0) {
                    seccomp_notif_resp r{id, 0, -e, 0};
                    ioctl(listener_ref->get(), SECCOMP_IOCTL_NOTIF_SEND, &r);
                    return;
                }
                seccomp_notif_addfd add{};
                add.id = id;
                add.flags = SECCOMP_ADDFD_FLAG_SEND;
                add.srcfd = static_cast<std::uint32_t>(fd);
                add.newfd_flags = static_cast<std::uint32_t>(orig & O_CLOEXEC);
                ioctl(listener_ref->get(), SECCOMP_IOCTL_NOTIF_ADDFD, &add);
                close(fd);
            }).detach();
            return;
        }
        int fd = openat(proc_fd, reopen, oflags);
        if (fd < 0) {
            respond(n.id, 0, -errno, false);
            return;
        }
        install(n, unique_fd(fd), rq.flags);
    }

    void install(const seccomp_notif& n, unique_fd fd, std::uint64_t orig_flags) {
        seccomp_notif_addfd add{};
        add.id = n.id;
        add.flags = SECCOMP_ADDFD_FLAG_SEND;
        add.srcfd = static_cast<std::uint32_t>(fd.get());
        add.newfd_flags = static_cast<std::uint32_t>(orig_flags & O_CLOEXEC);
        int remote = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
        if (cur_open)
            cur_open->ret = remote >= 0 ? remote : -errno;
        if (remote < 0) {
            if (errno == ENOENT)
                ++sup.stats_.target_gone;
            else
                respond(n.id, 0, -errno, false);
        }
    }
};

supervisor::supervisor(unique_fd listener, supervisor_options opts)
    : listener_(std::make_shared<unique_fd>(std::move(listener))), opts_(std::move(opts)),
      stop_event_(eventfd(0, EFD_CLOEXEC)) {}

supervisor::~supervisor() { stop(); }

void supervisor::start() { thread_ = std::thread([this] { loop(); }); }

void supervisor::stop() {
    if (thread_.joinable()) {
        std::uint64_t one = 1;
        if (write(stop_event_.get(), &one, sizeof one) < 0)
            spdlog::debug("supervisor: eventfd write failed");
        thread_.join();
    }
    listener_->reset();
}

void supervisor::loop() {
    // A private fs context so entering the target's mount namespace, umask and cwd changes stay
    // in this thread.
    if (unshare(CLONE_FS) != 0)
        spdlog::warn("supervisor: unshare(CLONE_FS) failed: {}", std::strerror(errno));
    unique_fd proc(open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
    impl im{*this, listener_->get(), proc.get(), 0, std::nullopt};
    {
        struct stat st{};
        if (stat("/proc/thread-self/ns/mnt", &st) == 0)
            im.my_mntns = st.st_ino;
    }
    seccomp_notif* req = nullptr;
    seccomp_notif_resp* resp = nullptr;
    if (seccomp_notify_alloc(&req, &resp) != 0) {
        spdlog::error("supervisor: cannot allocate notification buffers");
        return;
    }
    for (;;) {
        pollfd pf[2] = {{listener_->get(), POLLIN, 0}, {stop_event_.get(), POLLIN, 0}};
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pf[1].revents)
            break;
        if (pf[0].revents & POLLIN) {
            std::memset(req, 0, sizeof *req);
            if (ioctl(listener_->get(), SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
                if (errno == EINTR || errno == ENOENT)
                    continue;
                break;
            }
            try {
                im.handle(*req);
            } catch (const std::exception& e) {
                spdlog::error("supervisor: {}", e.what());
                im.respond(req->id, 0, -EACCES, false);
            }
        } else if (pf[0].revents & (POLLHUP | POLLERR)) {
            break; // every task that used the filter is gone
        }
    }
    seccomp_notify_free(req, resp);
}

} // namespace glassbox::enforce
