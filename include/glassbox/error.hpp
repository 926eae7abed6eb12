// Errors and exit codes shared by every subcommand.
// Fatal user-facing errors are thrown as glassbox::fatal_error and printed as one line by main;
// recoverable ones travel as std::expected<T, glassbox::error>.
#pragma once

#include <expected>
#include <stdexcept>
#include <string>

namespace glassbox {

// Exit codes of glassbox itself. `run`/`attach`/`enforce` otherwise exit with the traced command's
// own status (128+N when it was killed by signal N), as `time` and `strace` do.
enum class exit_code : int {
    ok = 0,
    violations = 1,       // check/diff/scan --diff: outside the profile / new in NEW; doctor: degraded
    usage = 2,            // bad command line, or an analysis command could not read its input
    events_lost = 3,      // run/attach: the kernel dropped events and --allow-loss was not given
    environment = 69,     // the kernel lacks something glassbox needs (BTF, cgroup v2, BPF)
    internal = 70,        // a bug in glassbox
    cant_create = 73,     // the output file cannot be written
    no_permission = 77,   // not root / missing CAP_BPF, CAP_PERFMON or CAP_SYS_ADMIN
    not_executable = 126, // CMD exists but cannot be executed
    not_found = 127,      // CMD not found
};

constexpr int to_int(exit_code c) noexcept { return static_cast<int>(c); }

class fatal_error : public std::runtime_error {
public:
    fatal_error(exit_code code, const std::string& message)
        : std::runtime_error(message), code_(code) {}
    exit_code code() const noexcept { return code_; }

private:
    exit_code code_;
};

// A recoverable error: what went wrong, and where when it concerns input (file:line:column).
struct error {
    std::string message;
};

template <typename T>
using result = std::expected<T, error>;

} // namespace glassbox
