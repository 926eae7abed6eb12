// Launching the traced command (see include/glassbox/record.hpp): the child is created directly
// inside the run's cgroup (clone3 CLONE_INTO_CGROUP, so no instant of it runs out of scope) and
// waits on a pipe until the recorder is attached and has the child's pid in its scope set; then
// it runs the caller's child_setup (enforcement's sandbox) and execs. Exec failures come back to
// the parent through a close-on-exec pipe, so "not found" is one clear error, not a trace.
#include <glassbox/record.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
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
    int stage; // 1: joining the cgroup, 2: child_setup, 3: execve
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

[[noreturn]] void child_main(int go_fd, int err_fd, const launch_options& opts,
                             const std::string& path, char* const* argv) {
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
        int e = opts.child_setup();
        if (e != 0) {
            child_failure f{2, e};
            write_all(err_fd, &f, sizeof(f));
            ::_exit(127);
        }
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

std::expected<child_process, fatal_error> launch(const launch_options& opts) {
    if (opts.argv.empty())
        return std::unexpected(fatal_error(exit_code::usage, "no command given"));
    auto path = resolve_command(opts.argv[0]);
    if (!path)
        return std::unexpected(path.error());
    // Everything the child needs is prepared here: it must not allocate after the clone.
    std::vector<char*> argv;
    argv.reserve(opts.argv.size() + 1);
    for (const auto& a : opts.argv)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    int go[2], err[2];
    if (::pipe2(go, O_CLOEXEC) != 0)
        return std::unexpected(fatal_error(exit_code::internal, fmt::format("pipe: {}", std::strerror(errno))));
    if (::pipe2(err, O_CLOEXEC) != 0) {
        ::close(go[0]);
        ::close(go[1]);
        return std::unexpected(fatal_error(exit_code::internal, fmt::format("pipe: {}", std::strerror(errno))));
    }

    pid_t pid = -1;
    bool joined = false;
    if (opts.cgroup) {
        clone3_args ca{};
        ca.flags = clone_into_cgroup;
        ca.exit_signal = SIGCHLD;
        ca.cgroup = static_cast<std::uint64_t>(opts.cgroup->fd());
        pid = static_cast<pid_t>(::syscall(SYS_clone3, &ca, sizeof(ca)));
        if (pid >= 0)
            joined = true;
        else
            spdlog::debug("clone3(CLONE_INTO_CGROUP) failed ({}); falling back to fork", std::strerror(errno));
    }
    if (pid < 0)
        pid = ::fork();
    if (pid < 0) {
        int e = errno;
        for (int fd : {go[0], go[1], err[0], err[1]})
            ::close(fd);
        return std::unexpected(fatal_error(exit_code::internal, fmt::format("fork: {}", std::strerror(e))));
    }
    if (pid == 0) {
        ::close(go[1]);
        ::close(err[0]);
        if (opts.cgroup && !joined) {
            std::string procs = opts.cgroup->path() + "/cgroup.procs";
            int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
            if (fd < 0 || ::write(fd, "0", 1) != 1) {
                child_failure f{1, errno};
                write_all(err[1], &f, sizeof(f));
                ::_exit(127);
            }
            ::close(fd);
        }
        child_main(go[0], err[1], opts, *path, argv.data());
    }
    ::close(go[0]);
    ::close(err[1]);
    return child_process(pid, go[1], err[0]);
}

child_process::child_process(child_process&& o) noexcept
    : pid_(o.pid_), go_fd_(o.go_fd_), err_fd_(o.err_fd_), released_(o.released_) {
    o.pid_ = -1;
    o.go_fd_ = -1;
    o.err_fd_ = -1;
}

child_process::~child_process() {
    if (go_fd_ >= 0)
        ::close(go_fd_);
    if (err_fd_ >= 0)
        ::close(err_fd_);
    if (pid_ > 0 && !released_) {
        // Closing the go pipe makes the child exit; reap it.
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

std::expected<void, fatal_error> child_process::release() {
    if (released_)
        return {};
    released_ = true;
    char go = 1;
    write_all(go_fd_, &go, 1);
    ::close(go_fd_);
    go_fd_ = -1;
    child_failure f{};
    ssize_t n;
    do {
        n = ::read(err_fd_, &f, sizeof(f));
    } while (n < 0 && errno == EINTR);
    ::close(err_fd_);
    err_fd_ = -1;
    if (n <= 0)
        return {}; // the pipe closed on exec: the command is running
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    switch (f.stage) {
    case 1:
        return std::unexpected(fatal_error(exit_code::environment,
                                           fmt::format("cannot move the command into its cgroup: {}", std::strerror(f.err))));
    case 2:
        return std::unexpected(fatal_error(exit_code::internal,
                                           fmt::format("preparing the command failed: {}", std::strerror(f.err))));
    default:
        if (f.err == ENOENT)
            return std::unexpected(fatal_error(exit_code::not_found, "the command was not found at exec time"));
        return std::unexpected(fatal_error(exit_code::not_executable,
                                           fmt::format("cannot execute the command: {}", std::strerror(f.err))));
    }
}

} // namespace glassbox::record
