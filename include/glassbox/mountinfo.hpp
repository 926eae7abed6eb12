// /proc/self/mountinfo and the one cgroup v2 finder every part of glassbox uses: the recorder's
// scope cgroup, enforce's sandbox cgroup and `enforce --cleanup`, and `glassbox doctor`.
// Stock Debian mounts cgroup v2 alone at /sys/fs/cgroup; hybrid layouts (this project's lab VM)
// mount it at /sys/fs/cgroup/unified beside the v1 controllers; some machines mount none, and
// glassbox then mounts its own view.
#pragma once

#include <glassbox/error.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox {

// One line of mountinfo (proc(5)), paths unescaped.
struct mount_entry {
    std::string root;        // the directory of the filesystem that is mounted here ("/" usually)
    std::string mount_point;
    std::string fstype;      // "cgroup2", "bpf", "tracefs", ...
    std::string source;
};

// Undoes the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash).
std::string unescape_mountinfo(std::string_view s);

// Every well-formed line of a mountinfo text; malformed lines are skipped.
std::vector<mount_entry> parse_mountinfo(std::string_view text);

// The text of /proc/self/mountinfo (empty when unreadable).
std::string read_mountinfo();

// Where cgroup v2 is mounted according to `text`: the first cgroup2 mount whose root is the
// hierarchy's root (so /proc/PID/cgroup paths can be appended to it), else the first cgroup2 mount.
std::optional<mount_entry> find_cgroup2_mount(std::string_view mountinfo_text);

// How cgroups are laid out according to `text`: "unified" (cgroup2 only), "hybrid" (cgroup2 beside
// v1 controllers), "legacy" (v1 only) or "none".
std::string cgroup_layout(std::string_view mountinfo_text);

// The cgroup v2 mount point of this process's mount namespace; when there is none, mounts the
// unified hierarchy at /run/glassbox/cgroup2 (glassbox is root when it needs a cgroup).
result<std::string> cgroup2_root();

// The cgroup v2 directory `pid` is in (its "0::" line in /proc/PID/cgroup joined to the mount
// point), or nullopt when the process is gone or has no v2 cgroup.
std::optional<std::string> cgroup2_dir_of(int pid);

// Writes `text` to a kernel pseudo-file (cgroup.procs, cgroup.kill, /proc/self/oom_score_adj)
// in one write(2), as the kernel expects; false (errno set) when it could not.
bool write_kernel_file(const std::string& path, std::string_view text);

} // namespace glassbox
