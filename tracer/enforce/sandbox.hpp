// The enforcement sandbox: creates the agent's cgroup, attaches the network programs, launches the
// command with the optional pid/mount/net namespaces, applies Landlock and the seccomp filter in the
// child right before exec, runs the notification supervisor, and waits for the whole tree.
// `child_setup` is the child-side half on its own so the recorder's launcher can call it.
#pragma once

#include "enforce/landlock.hpp"
#include "enforce/net_guard.hpp"
#include "enforce/policy.hpp"
#include "enforce/supervisor.hpp"
#include "enforce/unique_fd.hpp"

#include <glassbox/error.hpp>
#include <glassbox/record.hpp>
#include <glassbox/trace_writer.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace glassbox::enforce {

struct isolation {
    bool pid = false, mount = false, net = false;
};

// "pid,mount,net" -> isolation; nullopt with a message on an unknown name.
result<isolation> parse_isolation(const std::string& list);

struct sandbox_options {
    policy pol;
    mode run_mode = mode::enforce;
    std::vector<std::string> argv;
    isolation isolate;
    bool require_all = false;
    std::optional<bool> supervise_opens; // nullopt: only when Landlock cannot be exact (or complain)
    violation_sink sink;                 // may be called from several threads at once
    std::function<void(pid_t root_pid, const std::string& cgroup)> on_started;
    bool recorded = false; // run_recorded() will be used: the recorder creates the cgroup
    // --protect (docs/recording.md, "Protection"): pidns gives the command a pid namespace (the
    // recorder's launcher makes it with --out, --isolate's init without); landlock and none
    // leave it in glassbox's (Landlock already scopes signals where the profile allows none).
    record::protect_mode protect = record::protect_mode::pidns;
    trace_writer_options trace; // run_recorded(): how the trace is written (--sign-key)
};

// What will and will not be enforced on this kernel, decided before anything runs.
struct mechanism_report {
    std::vector<std::string> enforced;
    std::vector<std::string> missing; // each a sentence: what is not enforced and why
    std::vector<std::string> notes;   // precision notes (hierarchy broadening, ...)
    int landlock_abi = 0;
    bool supervise_opens = false;
};

struct sandbox_result {
    int wait_status = 0;
    pid_t root_pid = 0;
    std::string cgroup;
    bool ended_by_signal = false; // glassbox got SIGINT/SIGTERM and killed the tree
    std::uint64_t net_reports_lost = 0;
    std::uint64_t notifications = 0;
    std::uint64_t emulated_opens = 0;
    std::uint64_t trace_events = 0;
    std::uint64_t trace_lost = 0;  // recorder: kernel events lost (the trace is then incomplete)
    int command_status = 0;        // what glassbox exits with (128+N for signal N)
};

class sandbox {
public:
    explicit sandbox(sandbox_options opts);
    ~sandbox();
    sandbox(const sandbox&) = delete;
    sandbox& operator=(const sandbox&) = delete;

    // Checks the kernel, creates the cgroup and loads the network programs. With require_all, a
    // missing mechanism is an error (fatal_error, exit 69).
    const mechanism_report& prepare();
    // Launches and waits for the whole tree. Throws fatal_error for launch failures (127/126).
    sandbox_result run();
    // The same, recorded by the recorder (glassbox run's session): the trace at `out` holds every
    // kernel event plus the violations. `header_extra` are raw JSON header fields.
    sandbox_result run_recorded(const std::string& out,
                                std::vector<std::pair<std::string, std::string>> header_extra);
    // Kills every process in the sandbox (cgroup.kill).
    void kill_tree();

private:
    struct state;
    std::function<bool(pid_t, dev_t, ino_t)> approve_exec_fn();
    sandbox_options opts_;
    mechanism_report report_;
    std::unique_ptr<state> st_;
};

} // namespace glassbox::enforce
