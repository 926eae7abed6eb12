// Launching the traced command (see include/glassbox/record.hpp): the child is created directly
// inside the run's cgroup (clone3 CLONE_INTO_CGROUP, so no instant of it runs out of scope) and
// waits on a pipe until the recorder is attached and has the child's pid in its scope set; then
// it runs the caller's child_setup (enforcement's sandbox) and execs. Exec failures come back to
// the parent through a close-on-exec pipe, so "not found" is one clear error, not a trace.
// With --protect pidns (docs/recording.md, "Protection") an init outside the cgroup comes first:
// pid 1 of new pid and mount namespaces with their own /proc, it spawns the command into the
// cgroup, reaps what is reparented to it, hands the command's status to glassbox through a pipe,
// and dies with glassbox (the kernel then kills the whole namespace).
#include <glassbox/record.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace glassbox::record {

namespace {

constexpr unsigned long long clone_into_cgroup = 0x200000000ULL;

struct clone3_args {
    std::uint64_t flags;
    std::uint64_t pidfd;
    std::uint64_t child_tid;
    std::uint64_t parent_tid;
    std::uint64_t exit_signal;
    std::uint64_t stack;
    std::uint64_t stack_size;
    std::uint64_t tls;
    std::uint64_t set_tid;
    std::uint64_t set_tid_size;
    std::uint64_t cgroup;
};

// What the child reports when it cannot exec: which step failed and errno.
struct child_failure {
    int stage; // 0: ready (protected, waiting), 1: joining the cgroup, 2: child_setup, 3: execve,
               // 4: protection, 5: the pid namespace's init
    int err;
};

void write_all(int fd, const void* p, std::size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
        ssize_t w = ::write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        c += w;
        n -= static_cast<std::size_t>(w);
    }
}

bool is_executable_file(const std::string& path, int& err) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) {
        err = errno;
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        err = EISDIR;
        return false;
    }
    if (::access(path.c_str(), X_OK) != 0) {
        err = errno;
        return false;
    }
    return true;
}

[[noreturn]] void fail_child(int err_fd, int stage, int err) {
    child_failure f{stage, err};
    write_all(err_fd, &f, sizeof(f));
    ::_exit(127);
}

[[noreturn]] void child_main(int go_fd, int err_fd, const launch_options& opts,
                             const std::string& path, char* const* argv) {
    // Protected before the recorder is attached (so none of this is in the trace), then ready.
    if (opts.protect)
        if (int e = opts.protect->apply_in_child(); e != 0)
            fail_child(err_fd, 4, e);
    child_failure ready{0, 0};
    write_all(err_fd, &ready, sizeof(ready));
    // Wait until the parent has the recorder ready (EOF: the parent died; give up quietly).
    char go = 0;
    ssize_t r;
    do {
        r = ::read(go_fd, &go, 1);
    } while (r < 0 && errno == EINTR);
    if (r != 1)
        ::_exit(127);
    ::close(go_fd);
    // The command starts with default signal handling whatever glassbox had blocked.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s : {SIGINT, SIGTERM, SIGCHLD, SIGPIPE, SIGHUP})
        ::signal(s, SIG_DFL);
    if (opts.child_setup) {
        if (int e = opts.child_setup(); e != 0)
            fail_child(err_fd, 2, e);
    }
    ::execv(path.c_str(), argv);
    child_failure f{3, errno};
    write_all(err_fd, &f, sizeof(f));
    ::_exit(errno == ENOENT ? 127 : 126);
}

} // namespace

std::expected<std::string, fatal_error> resolve_command(const std::string& name) {
    if (name.empty())
        return std::unexpected(fatal_error(exit_code::usage, "no command given"));
    int err = ENOENT;
    if (name.find('/') != std::string::npos) {
        if (is_executable_file(name, err))
            return name;
    } else {
        const char* env = std::getenv("PATH");
        std::string path_var = env ? env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        std::size_t start = 0;
        int first_err = ENOENT;
        while (start <= path_var.size()) {
            std::size_t colon = path_var.find(':', start);
            std::string_view dir = std::string_view(path_var).substr(
                start, colon == std::string::npos ? std::string::npos : colon - start);
            if (dir.empty())
                dir = ".";
            std::string cand = fmt::format("{}/{}", dir, name);
            int e = 0;
            if (is_executable_file(cand, e))
                return cand;
            if (e != ENOENT && e != ENOTDIR && first_err == ENOENT)
                first_err = e;
            if (colon == std::string::npos)
                break;
            start = colon + 1;
        }
        err = first_err;
    }
    if (err == ENOENT || err == ENOTDIR)
        return std::unexpected(fatal_error(exit_code::not_found, fmt::format("{}: command not found", name)));
    return std::unexpected(fatal_error(exit_code::not_executable,
                                       fmt::format("{}: cannot execute: {}", name, std::strerror(err))));
}

namespace {

long clone3_with(std::uint64_t flags, int cgroup_fd) {
    clone3_args ca{};
    ca.flags = flags;
    ca.exit_signal = SIGCHLD;
    if (cgroup_fd >= 0)
        ca.cgroup = static_cast<std::uint64_t>(cgroup_fd);
    return ::syscall(SYS_clone3, &ca, sizeof(ca));
}

// Creates the command's process in the cgroup (clone3 CLONE_INTO_CGROUP, else fork + join) and
// runs child_main in it. Returns its pid (in the caller's pid namespace) or -1 with errno.
pid_t spawn_command(const launch_options& opts, int go_r, int go_w, int err_r, int err_w, const std::string& path,
                    char* const* argv) {
    pid_t pid = -1;
    bool joined = false;
    if (opts.cgroup) {
        pid = static_cast<pid_t>(clone3_with(clone_into_cgroup, opts.cgroup->fd()));
        if (pid >= 0)
            joined = true;
        else
            spdlog::debug("clone3(CLONE_INTO_CGROUP) failed ({}); falling back to fork", std::strerror(errno));
    }
    if (pid < 0)
        pid = ::fork();
    if (pid != 0)
        return pid;
    ::close(go_w);
    ::close(err_r);
    if (opts.cgroup && !joined) {
        std::string procs = opts.cgroup->path() + "/cgroup.procs";
        int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0 || ::write(fd, "0", 1) != 1)
            fail_child(err_w, 1, errno);
        ::close(fd);
    }
    child_main(go_r, err_w, opts, path, argv);
}

// pid 1 of the command's pid namespace (--protect pidns). It is not in the cgroup, so nothing it
// does is recorded.
[[noreturn]] void init_main(const launch_options& opts, int go_r, int go_w, int err_r, int err_w, int status_w,
                            const std::string& path, char* const* argv) {
    ::close(err_r);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL); // glassbox gone: the kernel kills the whole namespace
    // Its own /proc, and mounts that do not propagate back to the machine. The machine's /proc is
    // detached first: the tree must not reach it under the new one.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        fail_child(err_w, 5, errno);
    ::umount2("/proc", MNT_DETACH);
    if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
        fail_child(err_w, 5, errno);
    pid_t cmd = spawn_command(opts, go_r, go_w, err_r, err_w, path, argv);
    if (cmd < 0)
        fail_child(err_w, 1, errno);
    // Only the status pipe stays open: the exec-report pipe must close when the command execs.
    ::syscall(SYS_close_range, 3, status_w - 1, 0);
    ::syscall(SYS_close_range, status_w + 1, ~0U, 0);
    for (int s = 1; s < NSIG; ++s)
        if (s != SIGCHLD && s != SIGKILL && s != SIGSTOP)
            std::signal(s, SIG_IGN);
    int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC); // the command kept its own
    if (fd >= 0) {
        write_all(fd, "-1000", 5);
        ::close(fd);
    }
    for (;;) {
        int st = 0;
        pid_t w = ::wait(&st);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            break; // ECHILD: the namespace is empty
        if (w == cmd)
            write_all(status_w, &st, sizeof st);
    }
    ::_exit(0);
}

// Reads the child's first report: ready (0) or why it failed.
std::optional<child_failure> read_report(int fd) {
    child_failure f{};
    ssize_t n;
    do {
        n = ::read(fd, &f, sizeof(f));
    } while (n < 0 && errno == EINTR);
    if (n != sizeof(f))
        return std::nullopt;
    return f;
}

fatal_error failure_error(const child_failure& f) {
    switch (f.stage) {
    case 1:
        return fatal_error(exit_code::environment,
                           fmt::format("cannot move the command into its cgroup: {}", std::strerror(f.err)));
    case 2:
        return fatal_error(exit_code::internal, fmt::format("preparing the command failed: {}", std::strerror(f.err)));
    case 4:
        return fatal_error(exit_code::environment,
                           fmt::format("cannot protect the recording (--protect): {}", std::strerror(f.err)));
    case 5:
        return fatal_error(exit_code::environment,
                           fmt::format("cannot set up the command's pid namespace (--protect pidns): {}",
                                       std::strerror(f.err)));
    default:
        if (f.err == ENOENT)
            return fatal_error(exit_code::not_found, "the command was not found at exec time");
        return fatal_error(exit_code::not_executable, fmt::format("cannot execute the command: {}", std::strerror(f.err)));
    }
}

void close_fds(std::initializer_list<int> fds) {
    for (int fd : fds)
        if (fd >= 0)
            ::close(fd);
}

} // namespace

std::expected<child_process, fatal_error> launch(const launch_options& opts) {
    if (opts.argv.empty())
        return std::unexpected(fatal_error(exit_code::usage, "no command given"));
    auto path = resolve_command(opts.argv[0]);
    if (!path)
        return std::unexpected(path.error());
    bool pidns = opts.protect && opts.protect->pid_namespace();
    if (pidns && !opts.cgroup)
        return std::unexpected(fatal_error(exit_code::internal, "--protect pidns needs the run's cgroup"));
    // Everything the child needs is prepared here: it must not allocate after the clone.
    std::vector<char*> argv;
    argv.reserve(opts.argv.size() + 1);
    for (const auto& a : opts.argv)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    int go[2] = {-1, -1}, err[2] = {-1, -1}, status[2] = {-1, -1};
    if (::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 || (pidns && ::pipe2(status, O_CLOEXEC) != 0)) {
        int e = errno;
        close_fds({go[0], go[1], err[0], err[1], status[0], status[1]});
        return std::unexpected(fatal_error(exit_code::internal, fmt::format("pipe: {}", std::strerror(e))));
    }

    pid_t pid = -1, init = -1;
    if (pidns) {
        init = static_cast<pid_t>(clone3_with(CLONE_NEWPID | CLONE_NEWNS, -1));
        if (init == 0) {
            ::close(status[0]);
            init_main(opts, go[0], go[1], err[0], err[1], status[1], *path, argv.data());
        }
    } else {
        pid = spawn_command(opts, go[0], go[1], err[0], err[1], *path, argv.data());
    }
    if (pid < 0 && init < 0) {
        int e = errno;
        close_fds({go[0], go[1], err[0], err[1], status[0], status[1]});
        return std::unexpected(fatal_error(pidns ? exit_code::environment : exit_code::internal,
                                           fmt::format("{}: {}", pidns ? "cannot create the pid namespace (clone3)" : "fork",
                                                       std::strerror(e))));
    }
    close_fds({go[0], err[1], status[1]});
    // The command reports "ready" once protected and waiting; or why it (or the init) failed.
    auto report = read_report(err[0]);
    if (!report || report->stage != 0) {
        close_fds({go[1], err[0], status[0]});
        ::waitpid(pidns ? init : pid, nullptr, 0);
        if (!report)
            return std::unexpected(fatal_error(exit_code::internal, "the command's process ended before it was ready"));
        return std::unexpected(failure_error(*report));
    }
    if (pidns) {
        // The command is the cgroup's only process: it is paused and has not forked.
        auto pids = opts.cgroup->pids();
        if (pids.size() != 1) {
            ::kill(init, SIGKILL);
            ::waitpid(init, nullptr, 0);
            close_fds({go[1], err[0], status[0]});
            return std::unexpected(fatal_error(exit_code::internal,
                                               fmt::format("the run's cgroup holds {} processes, not the command alone",
                                                           pids.size())));
        }
        pid = pids[0];
    }
    child_process cp(pid, go[1], err[0]);
    cp.init_ = init;
    cp.status_fd_ = status[0];
    if (status[0] >= 0)
        ::fcntl(status[0], F_SETFL, O_NONBLOCK);
    return cp;
}

child_process::child_process(child_process&& o) noexcept
    : pid_(o.pid_), go_fd_(o.go_fd_), err_fd_(o.err_fd_), released_(o.released_), init_(o.init_),
      status_fd_(o.status_fd_), status_(o.status_) {
    o.pid_ = -1;
    o.go_fd_ = -1;
    o.err_fd_ = -1;
    o.init_ = -1;
    o.status_fd_ = -1;
}

child_process::~child_process() {
    close_fds({go_fd_, err_fd_, status_fd_});
    if (init_ > 0) {
        // The namespace's init: killing it kills everything left in the namespace.
        ::kill(init_, SIGKILL);
        ::waitpid(init_, nullptr, 0);
    } else if (pid_ > 0 && !released_) {
        // Closing the go pipe makes the child exit; reap it.
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

void child_process::kill_namespace() {
    if (init_ > 0)
        ::kill(init_, SIGKILL);
}

std::optional<int> child_process::poll_status() {
    if (status_)
        return status_;
    int st = 0;
    if (init_ < 0) {
        if (pid_ > 0 && ::waitpid(pid_, &st, WNOHANG) == pid_) {
            status_ = st;
            pid_ = -1;
        }
        return status_;
    }
    if (::read(status_fd_, &st, sizeof st) == sizeof st)
        status_ = st;
    int ist = 0;
    if (::waitpid(init_, &ist, WNOHANG) == init_) {
        init_ = -1;
        // The init was killed before the command ended (glassbox's kill, or the namespace was
        // torn down): the kernel killed the command too.
        if (!status_ && ::read(status_fd_, &st, sizeof st) == sizeof st)
            status_ = st;
        if (!status_)
            status_ = SIGKILL; // a wait status: killed by SIGKILL
    }
    return status_;
}

std::expected<void, fatal_error> child_process::release() {
    if (released_)
        return {};
    released_ = true;
    char go = 1;
    write_all(go_fd_, &go, 1);
    ::close(go_fd_);
    go_fd_ = -1;
    auto f = read_report(err_fd_);
    ::close(err_fd_);
    err_fd_ = -1;
    if (!f)
        return {}; // the pipe closed on exec: the command is running
    if (init_ > 0) {
        ::kill(init_, SIGKILL);
        ::waitpid(init_, nullptr, 0);
        init_ = -1;
    } else {
        ::waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
    return std::unexpected(failure_error(*f));
}

} // namespace glassbox::record
