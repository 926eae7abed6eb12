// Cleanup of sandboxes whose glassbox died: a killed `glassbox enforce` leaves its cgroup behind
// on purpose, with the network programs attached and the agent (if still alive) cut off from its
// supervisor (fail closed). `glassbox enforce --cleanup` finds those cgroups by name, checks that
// the glassbox that owned them is gone, kills what is left in them and removes them (which also
// releases the BPF programs attached to them).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace glassbox::enforce {

struct stale_cgroup {
    std::string path;
    pid_t owner = 0;            // the glassbox pid its name carries
    std::size_t processes = 0;  // processes still in it (whole subtree) when found
    bool removed = false;
    std::string error;          // why it could not be removed
};

// The owner pid a glassbox cgroup name carries ("glassbox-enforce-PID" from `enforce`,
// "glassbox-PID-N" from the recorder), 0 when the name is not one of ours.
pid_t glassbox_cgroup_owner(const std::string& name);

// Lists the glassbox cgroups directly under `cgroup_root` whose owner pid no longer exists;
// unless `dry_run`, kills their processes and removes them.
std::vector<stale_cgroup> cleanup_stale_cgroups(const std::string& cgroup_root, bool dry_run);

} // namespace glassbox::enforce
