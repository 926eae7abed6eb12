// Violations the kernel decided without telling anyone: a Landlock denial is just an EACCES (or
// EXDEV) to the caller. The recorder sees the failed call; this turns such trace events (and, in
// complain mode, successful calls the profile does not allow, for the actions Landlock would have
// judged: exec, unlink, mkdir, rename, link) into `violation` records.
#pragma once

#include "enforce/policy.hpp"

#include <nlohmann/json.hpp>

#include <optional>

namespace glassbox::enforce {

// `supervised_opens` / `supervised_exec`: the supervisor already reports every open / exec
// decision (skip those here).
std::optional<violation> violation_from_event(const nlohmann::json& ev, const policy& pol, mode m,
                                              bool supervised_opens, bool supervised_exec = false);

} // namespace glassbox::enforce
