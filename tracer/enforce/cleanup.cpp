// Stale sandbox cgroup cleanup (see cleanup.hpp).
#include "enforce/cleanup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <string_view>
#include <thread>

namespace glassbox::enforce {

namespace {

bool parse_pid(std::string_view s, pid_t& out) {
    if (s.empty())
        return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && out > 0;
}

// Whether the owner may still be running. Any live process with that pid counts (test binaries
// create recorder cgroups too, under their own name): a cgroup whose pid was reused is left alone
// and found on a later run, which is the safe side of the mistake.
bool owner_alive(pid_t pid) { return access(("/proc/" + std::to_string(pid)).c_str(), F_OK) == 0; }

void subdirs(const std::string& dir, std::vector<std::string>& out, int depth) {
    out.push_back(dir);
    if (depth > 16)
        return;
    DIR* d = opendir(dir.c_str());
    if (!d)
        return;
    std::vector<std::string> subs;
    while (dirent* e = readdir(d))
        if (e->d_type == DT_DIR && e->d_name[0] != '.')
            subs.push_back(dir + "/" + e->d_name);
    closedir(d);
    for (const auto& s : subs)
        subdirs(s, out, depth + 1);
}

std::size_t count_procs(const std::vector<std::string>& dirs) {
    std::size_t n = 0;
    for (const auto& d : dirs) {
        std::ifstream f(d + "/cgroup.procs");
        std::string line;
        while (std::getline(f, line))
            n += !line.empty();
    }
    return n;
}

bool populated(const std::string& dir) {
    std::ifstream ev(dir + "/cgroup.events");
    std::string line;
    while (std::getline(ev, line))
        if (line.starts_with("populated "))
            return line != "populated 0";
    return false;
}

} // namespace

pid_t glassbox_cgroup_owner(const std::string& name) {
    pid_t pid = 0;
    constexpr std::string_view enforce_prefix = "glassbox-enforce-", record_prefix = "glassbox-";
    std::string_view n = name;
    if (n.starts_with(enforce_prefix))
        return parse_pid(n.substr(enforce_prefix.size()), pid) ? pid : 0;
    if (!n.starts_with(record_prefix))
        return 0;
    n.remove_prefix(record_prefix.size());
    auto dash = n.find('-');
    pid_t attempt = 0;
    if (dash == std::string_view::npos || !parse_pid(n.substr(0, dash), pid))
        return 0;
    std::string_view rest = n.substr(dash + 1);
    if (rest != "0" && !parse_pid(rest, attempt))
        return 0;
    return pid;
}

std::vector<stale_cgroup> cleanup_stale_cgroups(const std::string& cgroup_root, bool dry_run) {
    std::vector<stale_cgroup> out;
    DIR* d = opendir(cgroup_root.c_str());
    if (!d)
        return out;
    std::vector<std::string> names;
    while (dirent* e = readdir(d))
        if (e->d_type == DT_DIR)
            names.emplace_back(e->d_name);
    closedir(d);
    for (const auto& name : names) {
        pid_t owner = glassbox_cgroup_owner(name);
        if (owner == 0 || owner_alive(owner))
            continue;
        stale_cgroup sc;
        sc.path = cgroup_root + "/" + name;
        sc.owner = owner;
        std::vector<std::string> tree;
        subdirs(sc.path, tree, 0);
        sc.processes = count_procs(tree);
        if (!dry_run) {
            // cgroup.kill covers the whole subtree, including processes that fork meanwhile.
            if (int fd = open((sc.path + "/cgroup.kill").c_str(), O_WRONLY | O_CLOEXEC); fd >= 0) {
                if (write(fd, "1", 1) != 1)
                    sc.error = std::string("cgroup.kill: ") + std::strerror(errno);
                close(fd);
            }
            for (int i = 0; i < 200 && populated(sc.path); ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            // Deepest first; removing the cgroup releases the programs attached to it.
            for (auto it = tree.rbegin(); it != tree.rend(); ++it)
                if (rmdir(it->c_str()) != 0 && errno != ENOENT && sc.error.empty())
                    sc.error = *it + ": " + std::strerror(errno);
            sc.removed = access(sc.path.c_str(), F_OK) != 0;
        }
        out.push_back(std::move(sc));
    }
    return out;
}

} // namespace glassbox::enforce
