// The mountinfo parser and the cgroup v2 finder (see include/glassbox/mountinfo.hpp). One
// implementation for the recorder, enforcement and doctor: before it, enforce had its own finder
// that neither unescaped paths nor mounted a hierarchy when none was mounted.
#include <glassbox/mountinfo.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace glassbox {

std::string unescape_mountinfo(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        // The kernel writes a backslash followed by exactly three octal digits.
        if (s[i] == '\\' && i + 3 < s.size()) {
            int v = 0;
            bool ok = true;
            for (std::size_t k = 1; k <= 3; ++k) {
                char c = s[i + k];
                if (c < '0' || c > '7') {
                    ok = false;
                    break;
                }
                v = v * 8 + (c - '0');
            }
            if (ok && v < 256) {
                out += static_cast<char>(v);
                i += 3;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

std::vector<mount_entry> parse_mountinfo(std::string_view text) {
    std::vector<mount_entry> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string line(text.substr(pos, end - pos));
        pos = end + 1;
        // id parent major:minor root mountpoint options [optional fields...] - fstype source superopts
        auto dash = line.find(" - ");
        if (dash == std::string::npos)
            continue;
        std::istringstream head(line.substr(0, dash));
        std::string id, parent, dev, root, mount_point;
        if (!(head >> id >> parent >> dev >> root >> mount_point))
            continue;
        std::istringstream tail(line.substr(dash + 3));
        std::string fstype, source;
        if (!(tail >> fstype))
            continue;
        tail >> source;
        out.push_back({unescape_mountinfo(root), unescape_mountinfo(mount_point), fstype,
                       unescape_mountinfo(source)});
    }
    return out;
}

std::string read_mountinfo() {
    std::ifstream in("/proc/self/mountinfo");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::optional<mount_entry> find_cgroup2_mount(std::string_view mountinfo_text) {
    std::optional<mount_entry> first;
    for (auto& m : parse_mountinfo(mountinfo_text)) {
        if (m.fstype != "cgroup2")
            continue;
        if (m.root == "/")
            return m;
        if (!first)
            first = m;
    }
    return first;
}

std::string cgroup_layout(std::string_view mountinfo_text) {
    bool v2 = false, v1 = false;
    for (const auto& m : parse_mountinfo(mountinfo_text)) {
        v2 = v2 || m.fstype == "cgroup2";
        v1 = v1 || m.fstype == "cgroup";
    }
    if (v2)
        return v1 ? "hybrid" : "unified";
    return v1 ? "legacy" : "none";
}

result<std::string> cgroup2_root() {
    if (auto m = find_cgroup2_mount(read_mountinfo()))
        return m->mount_point;
    // No cgroup2 anywhere: mount our own view of the unified hierarchy.
    const std::string dir = "/run/glassbox/cgroup2";
    ::mkdir("/run/glassbox", 0755);
    ::mkdir(dir.c_str(), 0755);
    if (::mount("none", dir.c_str(), "cgroup2", 0, nullptr) != 0)
        return std::unexpected(error{fmt::format(
            "no cgroup2 hierarchy is mounted and mounting one on {} failed: {}", dir, std::strerror(errno))});
    spdlog::info("mounted cgroup2 on {}", dir);
    return dir;
}

std::optional<std::string> cgroup2_dir_of(int pid) {
    std::ifstream f(fmt::format("/proc/{}/cgroup", pid));
    std::string line;
    std::optional<std::string> rel;
    while (std::getline(f, line))
        if (line.starts_with("0::"))
            rel = line.substr(3);
    if (!rel)
        return std::nullopt;
    auto m = find_cgroup2_mount(read_mountinfo());
    if (!m)
        return std::nullopt;
    // A mount of a sub-tree (root "/a") shows "/a/b" as "b" under its mount point.
    std::string path = *rel;
    if (m->root != "/" && path.starts_with(m->root))
        path = path.substr(m->root.size());
    if (path == "/")
        path.clear();
    return m->mount_point + path;
}

bool write_kernel_file(const std::string& path, std::string_view text) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    int e = errno;
    ::close(fd);
    errno = e;
    return ok;
}

} // namespace glassbox
