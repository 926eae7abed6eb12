// The enforcement sandbox (see sandbox.hpp). Launch protocol, parent <-> child:
//   1. parent creates the cgroup, attaches the network programs, blocks SIGINT/SIGTERM/SIGCHLD;
//   2. clone(): with --isolate the child is pid 1 of a new pid namespace (an init that mounts
//      /proc and a private /tmp, brings loopback up, forks the agent and reaps everything);
//   3. parent writes the child into cgroup.procs, then releases it (go pipe) -- nothing of the
//      command runs outside the cgroup;
//   4. the agent process applies Landlock, loads the seccomp filter and sends the listener to the
//      parent over a socketpair (SCM_RIGHTS, with SCM_CREDENTIALS giving its host pid), closes its
//      own copy, waits for the supervisor to be running, marks every fd but 0-2 close-on-exec and
//      execs. An exec failure comes back as an errno on the same socket.
#include "enforce/sandbox.hpp"

#include "enforce/derive.hpp"
#include "enforce/seccomp_filter.hpp"
#include "enforce/violation_log.hpp"

#include <glassbox/mountinfo.hpp>
#include <glassbox/record.hpp>
#include <glassbox/trace_writer.hpp>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <expected>
#include <cstring>
#include <fstream>
#include <sstream>
#include <mutex>
#include <thread>

namespace glassbox::enforce {

result<isolation> parse_isolation(const std::string& list) {
    isolation iso;
    std::stringstream ss(list);
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (item == "pid")
            iso.pid = true;
        else if (item == "mount")
            iso.mount = true;
        else if (item == "net")
            iso.net = true;
        else if (item == "all")
            iso = {true, true, true};
        else if (!item.empty())
            return std::unexpected(error{fmt::format("unknown namespace '{}' in --isolate (use pid, mount, net)", item)});
    }
    return iso;
}

namespace {

enum class msg_kind : int { listener = 1, error = 2, exec_errno = 3 };

struct child_msg {
    msg_kind kind;
    int value;
    char text[200];
};

// A setup message with room for a descriptor (SCM_RIGHTS) and credentials (SCM_CREDENTIALS):
// the agent sends its listener in one, the parent receives it in another. Not copyable: the
// msghdr points into the object itself.
struct setup_msg {
    child_msg m{};
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(ucred))] = {};
    iovec iov{&m, sizeof m};
    msghdr mh{};
    setup_msg() {
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof cbuf;
    }
    setup_msg(const setup_msg&) = delete;
    setup_msg& operator=(const setup_msg&) = delete;
};

// The agent's first message on the setup socket: its seccomp listener (SCM_RIGHTS) and the pid
// the kernel vouches for (SCM_CREDENTIALS, translated into our pid namespace: the agent's real
// pid under --isolate pid). Both launch paths wait for it before starting the supervisor.
struct agent_listener {
    unique_fd listener;
    pid_t pid = 0; // 0 when no credentials came with it
};

// Returns the listener, or the agent's setup error text (empty when it died without one).
std::expected<agent_listener, std::string> receive_listener(int sock) {
    setup_msg s;
    child_msg& m = s.m;
    msghdr& mh = s.mh;
    ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    agent_listener r;
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); n > 0 && c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
            r.listener.reset(fd);
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            ucred cr;
            std::memcpy(&cr, CMSG_DATA(c), sizeof cr);
            r.pid = cr.pid;
        }
    }
    if (n != sizeof m || m.kind != msg_kind::listener || !r.listener) {
        m.text[sizeof m.text - 1] = 0;
        return std::unexpected(n == sizeof m ? std::string(m.text) : std::string());
    }
    return r;
}

[[noreturn]] void child_fail(int sock, int code, const std::string& text) {
    child_msg m{msg_kind::error, code, {}};
    std::snprintf(m.text, sizeof m.text, "%s", text.c_str());
    if (write(sock, &m, sizeof m) < 0) {
    }
    _exit(code);
}


void loopback_up() {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return;
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, IFNAMSIZ, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
}

} // namespace

struct sandbox::state {
    std::string cgroup_path;
    unique_fd cgroup_fd;
    std::unique_ptr<net_guard> net;
    std::unique_ptr<supervisor> sup;
    bool supervise_opens = false;
    bool supervise_exec = false; // execve/execveat decided by the supervisor + exec backstop
    bool landlock_ok = false;
    int sock_parent = -1, sock_child = -1, go_read = -1, go_write = -1, status_read = -1, status_write = -1;
    sigset_t old_mask{};
    unique_fd exec_fd; // --isolate mount: the command's executable, opened before the namespaces
    std::string exec_path; // and the path it was opened by

    ~state() {
        for (int fd : {sock_parent, sock_child, go_read, go_write, status_read, status_write})
            if (fd >= 0)
                close(fd);
        sup.reset();
        if (net) {
            net->stop();
            net->detach();
        }
        net.reset();
        if (!cgroup_path.empty()) {
            write_kernel_file(cgroup_path + "/cgroup.kill", "1");
            for (int i = 0; i < 200 && rmdir(cgroup_path.c_str()) != 0 && errno == EBUSY; ++i)
                usleep(10000);
        }
    }
};

sandbox::sandbox(sandbox_options opts) : opts_(std::move(opts)), st_(std::make_unique<state>()) {}
sandbox::~sandbox() = default;

void sandbox::kill_tree() {
    if (!st_->cgroup_path.empty())
        write_kernel_file(st_->cgroup_path + "/cgroup.kill", "1");
}

namespace {
constexpr const char* net_programs_line =
    "cgroup BPF: connect4/6, sendmsg4/6, bind4/6 against the network rules; ingress to TCP listeners "
    "against network.accept; DNS queries (UDP port 53) against network.dns; egress backstop for raw and "
    "ICMP sockets";
} // namespace

const mechanism_report& sandbox::prepare() {
    auto& r = report_;
    auto& pol = opts_.pol;
    // Landlock (not in complain mode: it cannot report, it only denies).
    r.landlock_abi = landlock_abi();
    if (opts_.run_mode == mode::complain) {
        r.notes.push_back("complain mode: Landlock file rules are not applied (Landlock cannot allow-and-report); "
                          "file decisions are made by the supervisor; a Landlock domain still keeps the command "
                          "from ptracing or signalling processes outside the sandbox");
    } else if (r.landlock_abi == 0) {
        r.missing.push_back("Landlock is unavailable: exec, unlink, rename, mkdir and truncate by path are NOT "
                            "restricted; opens are still checked by the supervisor");
    } else {
        auto plan = landlock_compile(pol, !pol.prof || pol.prof->processes.signal.empty(), true);
        if (!plan) {
            r.missing.push_back("Landlock ruleset could not be built: " + plan.error().message);
        } else {
            st_->landlock_ok = true;
            // Exec globs (or exec paths that do not exist yet) are decided at exec time; the
            // cgroup section below loads the backstop this needs, or falls back.
            st_->supervise_exec = plan->exec_imprecise;
            r.enforced.push_back(fmt::format("Landlock ABI {}: file rules (read, write, exec, remove, refer) on the "
                                             "hierarchies and files they name; unix socket files made by bind() "
                                             "only in the directories of network.bind unix rules",
                                             plan->abi));
            for (auto& n : plan->notes)
                r.notes.push_back(n);
            if (!opts_.supervise_opens && plan->imprecise)
                r.notes.push_back("some file rules are finer than Landlock hierarchies: opens are checked exactly by "
                                  "the seccomp supervisor");
            st_->supervise_opens = plan->imprecise;
        }
    }
    if (opts_.supervise_opens)
        st_->supervise_opens = *opts_.supervise_opens;
    else if (opts_.run_mode == mode::complain || !st_->landlock_ok)
        st_->supervise_opens = true;
    r.supervise_opens = st_->supervise_opens;
    r.enforced.push_back(std::string("seccomp filter: privileged operations, raw/packet sockets, foreign-ABI "
                                     "syscalls (killed), seccomp listener stacking") +
                         (pol.syscalls ? ", syscall allowlist" : ""));
    if (st_->supervise_opens)
        r.enforced.push_back("seccomp supervisor: every open/openat/openat2/creat emulated and checked on the "
                             "opened file's real path");
    if (pol.files.empty())
        r.notes.push_back("the profile allows no file access at all: the command will most likely fail to start");
    for (const auto& f : pol.files) {
        struct stat st{};
        std::string anchor = glob_anchor(f.pattern);
        if (::stat(anchor.c_str(), &st) != 0)
            r.notes.push_back(fmt::format("file rule {} names a path that does not exist ({})", f.pattern, anchor));
    }

    // cgroup + network programs.
    // The one finder (include/glassbox/mountinfo.hpp): it mounts a hierarchy when none is.
    auto found_root = cgroup2_root();
    std::string root = found_root ? *found_root : std::string();
    if (opts_.recorded && !root.empty()) {
        // The recorder's session creates the cgroup; load the programs now, attach them later.
        auto g = net_guard::load(pol, opts_.run_mode, -1, st_->supervise_exec);
        if (!g) {
            r.missing.push_back("network rules are NOT enforced: " + g.error().message);
        } else {
            st_->net = std::move(*g);
            r.enforced.push_back(net_programs_line);
        }
    } else if (root.empty()) {
        r.missing.push_back("no cgroup v2 hierarchy (" + found_root.error().message +
                            "): network rules are NOT enforced and the tree cannot be killed as one");
    } else {
        st_->cgroup_path = fmt::format("{}/glassbox-enforce-{}", root, getpid());
        if (mkdir(st_->cgroup_path.c_str(), 0755) != 0 && errno != EEXIST) {
            r.missing.push_back(fmt::format("cannot create cgroup {}: {}: network rules are NOT enforced",
                                            st_->cgroup_path, std::strerror(errno)));
            st_->cgroup_path.clear();
        } else {
            st_->cgroup_fd.reset(open(st_->cgroup_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            auto g = net_guard::load(pol, opts_.run_mode, st_->cgroup_fd.get(), st_->supervise_exec);
            if (!g) {
                r.missing.push_back("network rules are NOT enforced: " + g.error().message);
            } else {
                st_->net = std::move(*g);
                r.enforced.push_back(net_programs_line);
            }
        }
    }
    for (const auto& u : pol.unenforced)
        r.missing.push_back(u);
    if (st_->net && st_->net->unix_enforced())
        r.enforced.push_back("cgroup BPF: unix socket connect/sendto against network.connect unix rules (the "
                             "kernel's copy of the address; relative paths and ./.. components refused)");
    else if (st_->net)
        r.missing.push_back("unix socket addresses are NOT restricted: " + st_->net->unix_problem());
    if (st_->supervise_exec && !st_->net) {
        // No exec backstop without the BPF object: fall back to expanding exec globs at start.
        st_->supervise_exec = false;
        r.missing.push_back("exec rules with globs (or naming programs that do not exist yet) are expanded when "
                            "the sandbox starts: a matching program created later cannot run (no exec backstop)");
    } else if (st_->supervise_exec) {
        r.enforced.push_back("seccomp supervisor + BPF exec backstop: every execve/execveat decided at exec time "
                             "against processes.exec (globs, programs created later, #! interpreters)");
    }
    if (opts_.protect == record::protect_mode::pidns && !opts_.isolate.pid)
        r.enforced.push_back("protection (--protect pidns): the command runs in a pid namespace of its own; it cannot "
                             "name, signal or trace glassbox, and the kernel kills the namespace if glassbox dies");
    if (opts_.isolate.pid || opts_.isolate.mount || opts_.isolate.net)
        r.enforced.push_back(fmt::format("namespaces:{}{}{}", opts_.isolate.pid ? " pid" : "",
                                         opts_.isolate.mount ? " mount (private /tmp)" : "",
                                         opts_.isolate.net ? " net (loopback only)" : ""));
    if (opts_.require_all && !r.missing.empty())
        throw fatal_error(exit_code::environment,
                          "--require-all: " + r.missing.front() +
                              (r.missing.size() > 1 ? fmt::format(" (and {} more)", r.missing.size() - 1) : ""));
    return r;
}

namespace {

struct child_args {
    const sandbox_options* opts;
    bool supervise_opens;
    bool supervise_exec;
    bool landlock;
    int sock;       // child end of the socketpair
    int go_read;    // released by the parent once the child is in the cgroup
    int status_write;
    sigset_t mask;
    // The command's executable, opened in glassbox's own mount namespace (--isolate mount: the
    // private /tmp would hide a command living under /tmp); -1 = exec by name (PATH search).
    int exec_fd = -1;
    bool exec_fd_script = false; // a #! script: the interpreter reopens it as /dev/fd/N
};

// The agent: Landlock + seccomp + hand the listener over, ready to exec. Returns 0, or exits.
int agent_prepare(const child_args& a) {
    const auto& o = *a.opts;
    if (a.landlock) {
        auto plan = landlock_compile(o.pol, !o.pol.prof || o.pol.prof->processes.signal.empty(), a.supervise_exec);
        if (!plan)
            child_fail(a.sock, 70, "Landlock: " + plan.error().message);
        // The executable opened before the private mounts may sit under a directory they now
        // hide: grant it by its descriptor (only if the profile lets it run, so nothing widens).
        if (a.exec_fd >= 0)
            if (auto ok = landlock_allow_exec_fd(*plan, a.exec_fd, o.pol); !ok)
                child_fail(a.sock, 70, "Landlock: " + ok.error().message);
        if (auto ok = landlock_apply(plan->ruleset.get()); !ok)
            child_fail(a.sock, 70, ok.error().message);
    } else if (auto scope = landlock_scope_only(); scope) {
        // Complain mode: no file rules, but the command still cannot ptrace or signal glassbox.
        if (auto ok = landlock_apply(scope->ruleset.get()); !ok)
            child_fail(a.sock, 70, ok.error().message);
    } else {
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    }
    filter_options fo;
    fo.supervise_opens = a.supervise_opens;
    fo.supervise_exec = a.supervise_exec;
    auto listener = seccomp_install(o.pol, fo);
    if (!listener)
        child_fail(a.sock, 70, listener.error().message);

    // From here only the trampoline syscalls (seccomp_filter.hpp) are used.
    setup_msg s;
    s.m.kind = msg_kind::listener;
    msghdr& mh = s.mh;
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    int lfd = listener->get();
    std::memcpy(CMSG_DATA(c), &lfd, sizeof lfd);
    c = CMSG_NXTHDR(&mh, c);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof(ucred));
    ucred cr{getpid(), getuid(), getgid()};
    std::memcpy(CMSG_DATA(c), &cr, sizeof cr);
    if (sendmsg(a.sock, &mh, 0) != sizeof s.m)
        _exit(70);
    listener->reset(); // the agent must never hold its own listener
    char go = 0;
    if (read(a.sock, &go, 1) != 1)
        _exit(70);
    syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
    // A script run by descriptor is reopened by its interpreter through /dev/fd/N.
    if (a.exec_fd >= 0 && a.exec_fd_script)
        fcntl(a.exec_fd, F_SETFD, 0);
    return 0;
}

// Execs the command: by the descriptor opened before the namespaces when there is one, else by
// name. Returns only on failure, with errno set.
void exec_command(const child_args& a) {
    const auto& o = *a.opts;
    std::vector<char*> argv;
    for (const auto& s : o.argv)
        argv.push_back(const_cast<char*>(s.c_str()));
    argv.push_back(nullptr);
    if (a.exec_fd >= 0)
        syscall(SYS_execveat, a.exec_fd, "", argv.data(), environ, AT_EMPTY_PATH);
    else
        execvp(argv[0], argv.data()); // the PATH search only calls execve; environ is inherited
}

[[noreturn]] void agent_exec(const child_args& a) {
    agent_prepare(a);
    exec_command(a);
    child_msg e{msg_kind::exec_errno, errno, {}};
    if (write(a.sock, &e, sizeof e) < 0) {
    }
    _exit(errno == ENOENT ? 127 : 126);
}

[[noreturn]] void exit_like(int wait_status) {
    _exit(WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status));
}

// Closes every descriptor above 2 except `keep` (-1: none).
void close_all_but(int keep) {
    if (keep < 3) {
        syscall(SYS_close_range, 3, ~0U, 0);
        return;
    }
    if (keep > 3)
        syscall(SYS_close_range, 3, keep - 1, 0);
    syscall(SYS_close_range, keep + 1, ~0U, 0);
}

// Enters the namespaces --isolate asks for and returns in the process that becomes the agent.
// `created`: clone() already made them (sandbox::run); otherwise (the recorder's launcher) they
// are unshared here, and with a pid namespace the launched process stays behind as a relay of
// the command's status. With a pid namespace an init (pid 1) forks the agent, reaps everything
// and exits with the agent's status (also written to status_write when there is one). The
// processes left behind hold no descriptor but 0-2 (and status_write), so the recorder's
// exec-report pipe closes when the command execs.
void enter_isolation(const child_args& a, bool created) {
    const auto& iso = a.opts->isolate;
    if (!created) {
        int flags = CLONE_NEWNS | (iso.net ? CLONE_NEWNET : 0) | (iso.pid ? CLONE_NEWPID : 0);
        if (unshare(flags) != 0)
            child_fail(a.sock, 70, fmt::format("unshare: {}", std::strerror(errno)));
        if (iso.pid) {
            pid_t init = fork();
            if (init < 0)
                child_fail(a.sock, 70, "fork failed");
            if (init > 0) {
                close_all_but(-1);
                int st = 0;
                while (waitpid(init, &st, 0) < 0 && errno == EINTR) {
                }
                exit_like(st);
            }
            prctl(PR_SET_PDEATHSIG, SIGKILL);
        }
    }
    // In the namespaces now (pid 1 of the new pid namespace when there is one).
    auto check = [&](bool ok, const char* what) {
        if (!ok)
            child_fail(a.sock, 70, fmt::format("cannot {}: {}", what, std::strerror(errno)));
    };
    check(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, "make mounts private");
    if (iso.pid)
        check(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0,
              "mount /proc for the pid namespace");
    if (iso.mount)
        check(mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") == 0, "mount a private /tmp");
    if (iso.net)
        loopback_up();
    if (!iso.pid)
        return;
    pid_t agent = fork();
    if (agent < 0)
        child_fail(a.sock, 70, "fork failed");
    if (agent == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        return;
    }
    close_all_but(a.status_write);
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGCHLD && sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_IGN);
    int agent_status = 0;
    for (;;) {
        int st = 0;
        pid_t w = wait(&st);
        if (w < 0 && errno == ECHILD)
            break;
        if (w == agent)
            agent_status = st;
    }
    if (a.status_write >= 0 && write(a.status_write, &agent_status, sizeof agent_status) < 0) {
    }
    exit_like(agent_status);
}

// With --isolate mount: resolves and opens the command's executable in glassbox's own mount
// namespace (the command's private /tmp would hide one that lives under /tmp) into `keep`.
void open_executable(const sandbox_options& opts, unique_fd& keep, std::string& keep_path, child_args& a) {
    if (!opts.isolate.mount || opts.argv.empty())
        return;
    auto path = record::resolve_command(opts.argv[0]);
    if (!path)
        throw path.error();
    keep.reset(open(path->c_str(), O_PATH | O_CLOEXEC));
    if (!keep)
        throw fatal_error(exit_code::not_found, fmt::format("cannot open {}: {}", *path, std::strerror(errno)));
    a.exec_fd = keep.get();
    keep_path = *path;
    char head[2] = {};
    unique_fd rd(open(path->c_str(), O_RDONLY | O_CLOEXEC));
    a.exec_fd_script = rd && read(rd.get(), head, 2) == 2 && head[0] == '#' && head[1] == '!';
}

bool any_isolation(const isolation& iso) { return iso.pid || iso.mount || iso.net; }

// sandbox::run's clone() child: waits to be in the cgroup, then becomes the agent.
int child_main(void* p) {
    const auto& a = *static_cast<child_args*>(p);
    char go = 0;
    if (read(a.go_read, &go, 1) != 1)
        _exit(70);
    close(a.go_read);
    sigprocmask(SIG_SETMASK, &a.mask, nullptr);
    for (int s : {SIGINT, SIGTERM, SIGCHLD, SIGPIPE})
        signal(s, SIG_DFL);
    // If glassbox dies the root of the tree dies with it (the supervisor being gone already
    // makes every routed call fail; see docs/enforce.md).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (any_isolation(a.opts->isolate))
        enter_isolation(a, true);
    agent_exec(a);
}

// The recorder's launcher calls this in its child right before its own execv: returns 0 (the
// launcher execs), or an errno. With a descriptor to exec the agent execs here itself.
int recorded_child_setup(const child_args& a) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (any_isolation(a.opts->isolate))
        enter_isolation(a, false);
    int rc = agent_prepare(a);
    if (rc != 0 || a.exec_fd < 0)
        return rc;
    exec_command(a);
    // Like a failed exec in the launcher (which would report "child_setup failed" for an errno
    // returned from here): say why and exit as a shell does.
    int e = errno;
    std::string msg = fmt::format("glassbox: cannot execute {}: {}\n", a.opts->argv[0], std::strerror(e));
    if (write(2, msg.data(), msg.size()) < 0) {
    }
    _exit(e == ENOENT ? 127 : 126);
}

// The cgroup v2 directory a process is in (from /proc/PID/cgroup).
std::string cgroup_of(pid_t pid) { return cgroup2_dir_of(pid).value_or(std::string()); }

pid_t tgid_of(pid_t tid) {
    std::ifstream f(fmt::format("/proc/{}/status", tid));
    std::string line;
    while (std::getline(f, line))
        if (line.starts_with("Tgid:"))
            return static_cast<pid_t>(std::atoi(line.c_str() + 5));
    return tid;
}

// The `open` event (docs/trace-format.md) for an open the supervisor emulated.
void write_open_fields(json_line& l, const emulated_open& o) {
    if (o.ret >= 0 && !o.path.empty())
        l.str("path", o.path);
    else
        l.null("path");
    l.str("raw_path", o.raw_path);
    l.num("flags", static_cast<std::int64_t>(o.flags));
    int acc = static_cast<int>(o.flags & O_ACCMODE);
    l.str("access", (o.flags & O_PATH) ? "path" : acc == O_WRONLY ? "write" : acc == O_RDWR ? "read-write" : "read");
    l.boolean("create", o.flags & O_CREAT);
    l.boolean("truncate", o.flags & O_TRUNC);
    if (o.flags & O_CREAT)
        l.num("mode", static_cast<std::int64_t>(o.mode));
    l.num("ret", o.ret);
    if (o.ret < 0) {
        const char* name = strerrorname_np(static_cast<int>(-o.ret));
        l.str("errno", name ? name : "EUNKNOWN");
    }
    l.str("syscall", o.syscall);
    l.boolean("supervised", true);
}

struct json_line_sink {
    json_line& l;
    void str(const char* k, const std::string& v) { l.str(k, v); }
    void num(const char* k, long v) { l.num(k, v); }
};

} // namespace

std::function<bool(pid_t, dev_t, ino_t)> sandbox::approve_exec_fn() {
    return [this](pid_t tid, dev_t dev, ino_t ino) { return st_->net && st_->net->approve_exec(tid, dev, ino); };
}

sandbox_result sandbox::run() {
    sandbox_result res;
    res.cgroup = st_->cgroup_path;
    int sv[2], go[2], status[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0 || pipe2(go, O_CLOEXEC) != 0 ||
        pipe2(status, O_CLOEXEC) != 0)
        throw fatal_error(exit_code::internal, "cannot create the launch channels");
    st_->sock_parent = sv[0];
    st_->sock_child = sv[1];
    st_->go_read = go[0];
    st_->go_write = go[1];
    st_->status_read = status[0];
    st_->status_write = status[1];
    int one = 1;
    setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);

    sigset_t block;
    sigemptyset(&block);
    for (int s : {SIGINT, SIGTERM, SIGCHLD})
        sigaddset(&block, s);
    child_args args{&opts_, st_->supervise_opens, st_->supervise_exec, st_->landlock_ok, sv[1], go[0], status[1], {}};
    open_executable(opts_, st_->exec_fd, st_->exec_path, args);
    pthread_sigmask(SIG_BLOCK, &block, &args.mask);

    // --protect pidns without --out: --isolate's own init gives the pid namespace.
    if (opts_.protect == record::protect_mode::pidns)
        opts_.isolate.pid = true;
    int flags = SIGCHLD;
    const auto& iso = opts_.isolate;
    if (iso.pid || iso.mount || iso.net)
        flags |= CLONE_NEWNS;
    if (iso.pid)
        flags |= CLONE_NEWPID;
    if (iso.net)
        flags |= CLONE_NEWNET;
    constexpr std::size_t stack_size = 1 << 20;
    std::vector<char> stack(stack_size);
    pid_t child = clone(child_main, stack.data() + stack_size, flags, &args);
    if (child < 0) {
        pthread_sigmask(SIG_SETMASK, &args.mask, nullptr);
        throw fatal_error(exit_code::environment, fmt::format("cannot start the command: clone: {}", std::strerror(errno)));
    }
    close(st_->sock_child);
    st_->sock_child = -1;
    close(st_->go_read);
    st_->go_read = -1;
    close(st_->status_write);
    st_->status_write = -1;
    if (!st_->cgroup_path.empty() && !write_kernel_file(st_->cgroup_path + "/cgroup.procs", std::to_string(child))) {
        kill(child, SIGKILL);
        waitpid(child, nullptr, 0);
        throw fatal_error(exit_code::environment, "cannot move the command into its cgroup " + st_->cgroup_path);
    }
    if (write(st_->go_write, "g", 1) != 1) {
    }
    close(st_->go_write);
    st_->go_write = -1;

    // Wait for the listener (or an error) from the agent.
    auto got = receive_listener(st_->sock_parent);
    if (!got) {
        int st = 0;
        kill_tree();
        waitpid(child, &st, 0);
        pthread_sigmask(SIG_SETMASK, &args.mask, nullptr);
        throw fatal_error(exit_code::internal, got.error().empty() ? std::string("sandbox setup failed")
                                                                   : "sandbox setup failed: " + got.error());
    }
    pid_t agent_pid = got->pid ? got->pid : child;
    res.root_pid = agent_pid;
    auto kill_fn = [this] { kill_tree(); };
    supervisor_options so{opts_.run_mode, &opts_.pol, opts_.sink, kill_fn, {}, approve_exec_fn()};
    st_->sup = std::make_unique<supervisor>(std::move(got->listener), so);
    st_->sup->start();
    if (st_->net)
        st_->net->start(opts_.sink, kill_fn);
    if (opts_.on_started)
        opts_.on_started(agent_pid, st_->cgroup_path);
    char go_byte = 'g';
    if (write(st_->sock_parent, &go_byte, 1) != 1) {
    }
    // Exec result: EOF (exec succeeded: the socket was close-on-exec) or an errno.
    child_msg em{};
    ssize_t en = read(st_->sock_parent, &em, sizeof em);
    int exec_errno = (en == sizeof em && em.kind == msg_kind::exec_errno) ? em.value : 0;

    // Wait for the root, then for the whole cgroup to empty (daemonized children included).
    int wstatus = 0;
    bool root_done = false;
    timespec tick{0, 50 * 1000 * 1000};
    for (;;) {
        siginfo_t si{};
        int sig = sigtimedwait(&block, &si, &tick);
        if (sig == SIGINT || sig == SIGTERM) {
            res.ended_by_signal = true;
            kill_tree();
        }
        if (!root_done) {
            pid_t w = waitpid(child, &wstatus, WNOHANG);
            if (w == child)
                root_done = true;
        }
        if (root_done) {
            if (st_->cgroup_path.empty())
                break;
            std::ifstream ev(st_->cgroup_path + "/cgroup.events");
            std::string line;
            bool populated = true;
            while (std::getline(ev, line))
                if (line.starts_with("populated "))
                    populated = line != "populated 0";
            if (!populated)
                break;
        }
    }
    if (iso.pid) {
        int agent_status = 0;
        if (read(st_->status_read, &agent_status, sizeof agent_status) == sizeof agent_status)
            wstatus = agent_status;
    }
    pthread_sigmask(SIG_SETMASK, &args.mask, nullptr);
    if (st_->net) {
        st_->net->stop();
        res.net_reports_lost = st_->net->lost();
    }
    if (st_->sup) {
        st_->sup->stop();
        res.notifications = st_->sup->stats().notifications;
        res.emulated_opens = st_->sup->stats().emulated_opens;
    }
    res.wait_status = wstatus;
    res.command_status = WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : WEXITSTATUS(wstatus);
    if (exec_errno)
        throw fatal_error(exec_errno == ENOENT ? exit_code::not_found : exit_code::not_executable,
                          fmt::format("cannot execute {}: {}", opts_.argv.empty() ? "" : opts_.argv[0],
                                      std::strerror(exec_errno)));
    return res;
}


sandbox_result sandbox::run_recorded(const std::string& out,
                                     std::vector<std::pair<std::string, std::string>> header_extra) {
    // The recorder creates the cgroup; the network programs are attached to it in on_started.
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        throw fatal_error(exit_code::internal, "cannot create the launch channel");
    st_->sock_parent = sv[0];
    st_->sock_child = sv[1];
    int one = 1;
    setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    child_args args{&opts_, st_->supervise_opens, st_->supervise_exec, st_->landlock_ok, sv[1], -1, -1, {}};
    open_executable(opts_, st_->exec_fd, st_->exec_path, args);

    std::mutex sink_mu;
    record::recorder* rec = nullptr;
    std::thread receiver;
    std::string session_cgroup;
    sandbox_result res;
    std::vector<violation> derived;
    std::mutex derived_mu;
    // The root command's pidfd: readable once it has exited (see on_tick).
    unique_fd root_pidfd;

    auto kill_fn = [this, &session_cgroup] {
        if (!session_cgroup.empty())
            write_kernel_file(session_cgroup + "/cgroup.kill", "1");
    };
    auto sink = [&](const violation& v) {
        std::lock_guard lk(sink_mu);
        if (opts_.sink)
            opts_.sink(v);
        if (rec)
            rec->append_event("violation", v.pid, [&](json_line& l) {
                json_line_sink js{l};
                visit_violation_fields(v, js);
            });
    };

    record::session_options so;
    so.recorder_opts.require_complete = opts_.require_all; // and every family recorded
    so.out = out;
    so.mode = "enforce";
    so.trace = opts_.trace;
    so.progress = false;
    so.header_extra = std::move(header_extra);
    so.child_setup = [&args] { return recorded_child_setup(args); };
    // --protect pidns with --out: the recorder's launcher makes the namespace (and its init);
    // the child must not make a second one.
    so.protect = opts_.protect;
    if (opts_.protect == record::protect_mode::pidns)
        opts_.isolate.pid = false;
    so.on_started = [&](record::recorder& r, const record::child_process* child) {
        close(st_->sock_child);
        st_->sock_child = -1;
        {
            std::lock_guard lk(sink_mu);
            rec = &r;
        }
        res.root_pid = child ? child->pid() : 0;
        if (child)
            root_pidfd.reset(static_cast<int>(syscall(SYS_pidfd_open, child->pid(), 0)));
        session_cgroup = child ? cgroup_of(child->pid()) : std::string();
        res.cgroup = session_cgroup;
        if (st_->net && !session_cgroup.empty()) {
            st_->cgroup_fd.reset(open(session_cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            if (auto ok = st_->net->attach(st_->cgroup_fd.get()); !ok) {
                spdlog::error("network rules are NOT enforced: {}", ok.error().message);
                if (opts_.require_all)
                    throw fatal_error(exit_code::environment, "--require-all: " + ok.error().message);
            } else {
                st_->net->start(sink, kill_fn);
            }
        }
        bool supervised = st_->supervise_opens, supervised_exec = st_->supervise_exec;
        r.on_event([&, supervised, supervised_exec](const record::event_view& ev) {
            if (!ev.json || ev.type == "violation")
                return;
            static constexpr std::string_view kinds[] = {"exec", "open", "unlink", "rmdir", "mkdir",
                                                         "mknod", "rename", "link", "bind"};
            if (std::find(std::begin(kinds), std::end(kinds), ev.type) == std::end(kinds))
                return;
            if (!ev.failed && opts_.run_mode != mode::complain)
                return;
            auto j = nlohmann::json::parse(*ev.json, nullptr, false);
            if (j.is_discarded())
                return;
            if (auto v = violation_from_event(j, opts_.pol, opts_.run_mode, supervised, supervised_exec)) {
                v->ts_ns = 0;
                // The command itself, exec'd by the descriptor opened before the namespaces.
                auto argv = j.find("argv");
                if (v->path.empty() && v->syscall == "execveat" && !st_->exec_path.empty() && argv != j.end() &&
                    argv->is_array() && !argv->empty() && (*argv)[0] == opts_.argv[0]) {
                    v->path = st_->exec_path;
                    v->what = "exec " + v->path;
                }
                std::lock_guard lk(derived_mu);
                derived.push_back(*v); // appended from on_tick: on_event runs under the recorder's lock
            }
        });
        receiver = std::thread([&, kill_fn] {
            auto got = receive_listener(st_->sock_parent);
            if (!got) {
                if (!got.error().empty())
                    spdlog::error("sandbox setup failed: {}", got.error());
                kill_fn();
                return;
            }
            supervisor_options sup_opts{opts_.run_mode, &opts_.pol, sink, kill_fn, {}, approve_exec_fn()};
            sup_opts.on_open = [&](const emulated_open& o) {
                std::lock_guard lk(sink_mu);
                if (rec)
                    rec->append_event("open", tgid_of(o.tid), [&](json_line& l) { write_open_fields(l, o); });
            };
            st_->sup = std::make_unique<supervisor>(std::move(got->listener), sup_opts);
            st_->sup->start();
            if (opts_.on_started)
                opts_.on_started(res.root_pid, session_cgroup);
            char go = 'g';
            if (write(st_->sock_parent, &go, 1) != 1) {
            }
        });
    };
    // Once the sandbox is empty (root exited, cgroup unpopulated, no traced process left) no new
    // violation can arise. The first tick that sees it finishes the trace's enforcement part:
    // the network reports still on their ring are consumed, the recorder formats every record on
    // its ring (violations derived from those events land in `derived`, on its thread), all of
    // it is appended, and then the trace is closed to us: the session writes the summary and
    // destroys the recorder after its last tick, and nothing may append to it then (the network
    // and supervisor threads used to, racing the summary and the recorder's destruction).
    bool sealed = false;
    auto sandbox_empty = [&](record::recorder& r) {
        pollfd pf{root_pidfd.get(), POLLIN, 0};
        if (!root_pidfd || poll(&pf, 1, 0) <= 0 || r.scope_size() != 0)
            return false;
        if (session_cgroup.empty())
            return true;
        std::ifstream ev(session_cgroup + "/cgroup.events");
        std::string line;
        while (std::getline(ev, line))
            if (line == "populated 1")
                return false;
        return true;
    };
    auto flush_derived = [&] {
        std::vector<violation> batch;
        {
            std::lock_guard lk(derived_mu);
            batch.swap(derived);
        }
        for (const auto& v : batch) {
            sink(v);
            if (opts_.run_mode == mode::kill)
                kill_fn();
        }
    };
    so.on_tick = [&] {
        record::recorder* r = nullptr;
        {
            std::lock_guard lk(sink_mu);
            r = rec;
        }
        if (!sealed && r && sandbox_empty(*r)) {
            if (st_->net)
                st_->net->stop(); // consumes what is left on its ring first
            r->drain();
            flush_derived();
            std::lock_guard lk(sink_mu);
            rec = nullptr; // from here on violations only reach the tally
            sealed = true;
            return;
        }
        flush_derived();
    };

    record::session_result sr;
    try {
        sr = record::run_session(opts_.argv, so);
    } catch (...) {
        {
            std::lock_guard lk(sink_mu);
            rec = nullptr;
        }
        shutdown(st_->sock_parent, SHUT_RDWR);
        if (receiver.joinable())
            receiver.join();
        throw;
    }
    {
        std::lock_guard lk(sink_mu);
        rec = nullptr; // the recorder is gone: violations from here on only reach the tally
    }
    // Events a process left just as the session ended (after the last tick's drain) are
    // formatted by the session's own final drain: their violations can no longer be written
    // into the finished trace. Say so, and count them.
    if (std::lock_guard lk(derived_mu); !derived.empty()) {
        spdlog::warn("{} violation(s) derived from the last events could not be written into the trace: "
                     "`glassbox check` on it finds them",
                     derived.size());
        for (const auto& v : derived)
            sink(v);
        derived.clear();
    }
    shutdown(st_->sock_parent, SHUT_RDWR);
    if (receiver.joinable())
        receiver.join();
    if (st_->net)
        st_->net->stop();
    if (st_->sup) {
        st_->sup->stop();
        res.notifications = st_->sup->stats().notifications;
        res.emulated_opens = st_->sup->stats().emulated_opens;
    }
    if (st_->net) {
        res.net_reports_lost = st_->net->lost();
        st_->net->detach();
    }
    res.trace_events = sr.events;
    res.trace_lost = sr.lost.total;
    res.command_status = sr.command_status();
    res.ended_by_signal = sr.ended_by == "signal";
    res.wait_status = sr.exit_signal ? *sr.exit_signal : (sr.exit_code.value_or(0) << 8);
    return res;
}

} // namespace glassbox::enforce
