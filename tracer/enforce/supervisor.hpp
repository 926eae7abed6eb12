// The seccomp user-notification supervisor: receives the calls the filter routes to it and
// decides them. It never answers CONTINUE for a call whose pointer arguments it read: opens are
// emulated (path read from the target, notification id re-validated, resolved in the target's
// mount namespace/cwd/dirfd with its fsuid/fsgid/groups/umask, policy checked on the opened
// file's real path, fd installed with SECCOMP_IOCTL_NOTIF_ADDFD + SECCOMP_ADDFD_FLAG_SEND).
// Register-only decisions (privileged ops, raw sockets, allowlist) may CONTINUE in complain mode.
// Execs cannot be emulated: an allowed exec is CONTINUEd only after the file the supervisor
// resolved is recorded for the exec backstop (bpf/enforce/exec.bpf.c), which kills the task if the
// kernel ends up executing another file (a raced path buffer, symlink or cwd).
// If this process dies the listener closes and the kernel fails every routed call with ENOSYS.
#pragma once

#include "enforce/policy.hpp"
#include "enforce/unique_fd.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <memory>
#include <thread>

namespace glassbox::enforce {

// An open the supervisor performed for the target: the kernel's tracepoints never see the
// target's own syscall (seccomp skipped it), so the sandbox writes this as the trace's `open`.
struct emulated_open {
    int tid = 0;
    std::string syscall;  // open, openat, openat2, creat
    std::string raw_path; // as the target passed it
    std::string path;     // real path of the object reached; empty when nothing was opened
    std::uint64_t flags = 0, mode = 0;
    std::int64_t ret = 0; // the fd number installed in the target, or -errno
};

struct supervisor_options {
    mode run_mode = mode::enforce;
    const policy* pol = nullptr;
    violation_sink sink;              // called from the supervisor thread
    std::function<void()> kill_tree;  // kill mode: kill every process of the sandbox
    std::function<void(const emulated_open&)> on_open; // every emulated open, allowed or not
    // Exec decisions (execve/execveat routed here): records, for the exec backstop, the file the
    // thread `tid` is allowed to execute. Returns false when it could not be recorded.
    std::function<bool(pid_t tid, dev_t dev, ino_t ino)> approve_exec;
};

struct supervisor_stats {
    std::atomic<std::uint64_t> notifications{0}, emulated_opens{0}, denied{0}, target_gone{0};
};

class supervisor {
public:
    supervisor(unique_fd listener, supervisor_options opts);
    ~supervisor();
    supervisor(const supervisor&) = delete;
    supervisor& operator=(const supervisor&) = delete;

    void start();
    // Stops the loop and closes the listener (anything still routed then fails with ENOSYS).
    void stop();
    const supervisor_stats& stats() const { return stats_; }

private:
    void loop();
    struct impl;
    std::shared_ptr<unique_fd> listener_;
    supervisor_options opts_;
    unique_fd stop_event_;
    std::thread thread_;
    supervisor_stats stats_;
};

} // namespace glassbox::enforce
