// The seccomp filter (libseccomp) installed in the command before exec: privileged operations,
// raw/packet sockets, listener-adding seccomp() calls and, when the profile has one, everything
// outside the syscall allowlist go to the user-notification supervisor (which records and decides);
// opens go there too when the supervisor emulates them; other architectures' ABIs are killed.
#pragma once

#include "enforce/policy.hpp"
#include "enforce/unique_fd.hpp"

#include <glassbox/error.hpp>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace glassbox::enforce {

struct filter_options {
    bool supervise_opens = true;
    bool supervise_exec = false; // execve/execveat decided by the supervisor (exec globs)
};

// The syscalls the launch trampoline needs between loading the filter and exec; always allowed
// even under a syscall allowlist (documented in docs/enforce.md).
const std::set<std::string>& trampoline_syscalls();
// Calls judged by name against processes.cred, the prctl options judged against processes.prctl,
// and the metadata calls denied when files.metadata is empty.
const std::vector<std::string>& security_cred_syscalls();
const std::vector<std::pair<int, std::string>>& security_prctl_options();
const std::vector<std::string>& metadata_syscalls();

// Builds and loads the filter in the calling (single-threaded, about to exec) process and returns
// the notification listener. The caller must hand the listener to the supervisor and close its copy.
result<unique_fd> seccomp_install(const policy& pol, const filter_options& opts);

} // namespace glassbox::enforce
