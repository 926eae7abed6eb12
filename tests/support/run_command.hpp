// Shared by every integration test binary: runs a command (the real glassbox binary, a fixture)
// without a shell and captures what it printed. One implementation, so that every test reports
// exit statuses the same way.
#pragma once

#include <cstdio>
#include <fcntl.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace glassbox_test {

struct command_output {
    int status = -1;     // exit code, or 128+N when killed by signal N (as a shell reports it)
    int raw_status = 0;  // the waitpid() status, for tests that look at the signal themselves
    std::string out;     // everything written to stdout
    std::string err;     // everything written to stderr (only when asked for)
};

namespace detail {
inline std::string read_fd(int fd) {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
        s.append(buf, static_cast<std::size_t>(n));
    return s;
}
} // namespace detail

// In a forked child: replaces it with argv[0] run with argv (no shell, no PATH search), or ends
// it with status 127 when that cannot be executed, as a shell would.
[[noreturn]] inline void exec_argv(const std::vector<std::string>& argv) {
    std::vector<char*> a;
    for (const auto& s : argv)
        a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    ::execv(a[0], a.data());
    ::_exit(127);
}

// Runs argv[0] with argv. stdout is captured through a pipe; stderr goes to a temporary file when
// capture_stderr (so a command that fills one stream cannot block on the other), else it is
// inherited. A command that cannot be executed ends with status 127.
inline command_output run_command(const std::vector<std::string>& argv, bool capture_stderr = false) {
    command_output r;
    int pipefd[2];
    if (argv.empty() || ::pipe(pipefd) != 0)
        return r;
    std::FILE* err = capture_stderr ? std::tmpfile() : nullptr;
    pid_t pid = ::fork();
    if (pid < 0)
        return r;
    if (pid == 0) {
        ::dup2(pipefd[1], 1);
        if (err)
            ::dup2(::fileno(err), 2);
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        exec_argv(argv);
    }
    ::close(pipefd[1]);
    r.out = detail::read_fd(pipefd[0]);
    ::close(pipefd[0]);
    ::waitpid(pid, &r.raw_status, 0);
    r.status = WIFEXITED(r.raw_status) ? WEXITSTATUS(r.raw_status) : 128 + WTERMSIG(r.raw_status);
    if (err) {
        ::lseek(::fileno(err), 0, SEEK_SET);
        r.err = detail::read_fd(::fileno(err));
        std::fclose(err);
    }
    return r;
}

} // namespace glassbox_test
