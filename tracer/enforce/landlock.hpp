// Landlock: compiles the policy's file rules into a ruleset (deny by default, every access right
// the running kernel's ABI knows is handled) and applies it to the command before exec. It is the
// kernel-side floor: exec, unlink, rename/link, mkdir, truncate by path are decided here; opens are
// decided here too unless the seccomp supervisor emulates them (then it is the precise check).
#pragma once

#include "enforce/policy.hpp"
#include "enforce/unique_fd.hpp"

#include <glassbox/error.hpp>

#include <glassbox/kernel_features.hpp>

#include <string>
#include <vector>

namespace glassbox::enforce {

// What a kernel with Landlock ABI `abi` cannot restrict, one sentence each (empty from ABI 6 on).
// landlock_compile() adds these to its notes; `glassbox doctor` prints them.
std::vector<std::string> landlock_abi_limits(int abi);

struct landlock_plan {
    unique_fd ruleset;
    int abi = 0;
    // True when some rule is finer than Landlock can express (globs inside a directory, files not
    // created yet): Landlock then grants the enclosing hierarchy and only the supervisor is exact.
    bool imprecise = false;
    // Some processes.exec rule is a glob finer than a hierarchy, or names a file that does not
    // exist yet: exact exec decisions then need the supervisor (plus the exec backstop).
    bool exec_imprecise = false;
    std::vector<std::string> notes; // what will / will not be enforced, one sentence each
};

// Builds the ruleset in the calling process's mount namespace (call it where the command will
// run: after private mounts are set up). `scope_signals` also forbids signalling processes
// outside the sandbox (ABI >= 6).
// `exec_at_exec_time`: exec globs grant execution on their enclosing hierarchy (the supervisor
// decides each exec exactly, when it happens); otherwise they are expanded to the files that
// exist now (a program created later cannot run).
result<landlock_plan> landlock_compile(const policy& pol, bool scope_signals, bool exec_at_exec_time = false);

// A domain with no file rules, only the signal scope (ABI >= 6): complain mode uses it so the
// command still cannot ptrace or signal the supervisor while every file access is allowed.
result<landlock_plan> landlock_scope_only();

// Grants execute (and the read the kernel needs to exec) on the file behind `fd` when the policy
// lets its path run: for an executable opened before a private mount hid its directory.
result<void> landlock_allow_exec_fd(landlock_plan& plan, int fd, const policy& pol);

// no_new_privs + landlock_restrict_self. Async-signal-safe enough for a forked child.
result<void> landlock_apply(int ruleset_fd);

// The ELF interpreter (PT_INTERP) of an executable, or the #! interpreter of a script; empty when none.
std::string exec_interpreter(const std::string& path);

} // namespace glassbox::enforce
