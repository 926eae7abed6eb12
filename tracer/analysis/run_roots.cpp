// Run roots: the folders a run's paths hang from that say where it ran, not what it did (the
// working directory, the command's path arguments, $HOME, $TMPDIR). diff and review replace them
// with named placeholders before normalising, so one version traced in w-old1/ and in w-old2/,
// or on two lab machines, compares equal (docs/review.md, "Run roots").
#include "engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace glassbox::analysis {

namespace {

// Lexical absolute form of `p` against `cwd` ("." and ".." folded, no trailing '/').
std::string absolute_of(std::string_view p, std::string_view cwd) {
    std::filesystem::path path(p);
    if (path.is_relative()) {
        if (cwd.empty())
            return {};
        path = std::filesystem::path(cwd) / path;
    }
    auto s = path.lexically_normal().string();
    while (s.size() > 1 && s.back() == '/')
        s.pop_back();
    return s;
}

} // namespace

void run_roots::add(std::string name, std::string path) {
    // "/" would swallow every path; a root already named keeps its first (more specific) name.
    if (path.size() < 2 || path.front() != '/')
        return;
    for (const auto& r : roots_)
        if (r.second == path)
            return;
    roots_.emplace_back(std::move(name), std::move(path));
}

run_roots run_roots::from_header(const trace::header& h) {
    run_roots r;
    // Arguments first: a scanned folder inside the working directory is named for what it is.
    std::size_t positional = 0;
    for (std::size_t i = 1; i < h.command.size(); ++i) {
        std::string_view a = h.command[i];
        if (a.starts_with("--")) {
            auto eq = a.find('=');
            if (eq != std::string_view::npos && eq + 1 < a.size())
                r.add(fmt::format("<arg:{}>", a.substr(0, eq)), absolute_of(a.substr(eq + 1), h.cwd));
            continue;
        }
        if (a.starts_with("-") || a.empty())
            continue;
        // NAME=/path, as given to env(1) before the command: the path is a root named for NAME
        // (LD_LIBRARY_PATH=/lab/old/usr/lib -> <env:LD_LIBRARY_PATH>).
        // Any other NAME=VALUE (a list such as PATH=/a:/b) is an assignment, not an argument.
        if (auto eq = a.find('='); eq != std::string_view::npos && eq > 0 &&
                                   a.substr(0, eq).find_first_not_of(
                                       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
                                       std::string_view::npos) {
            std::string_view value = a.substr(eq + 1);
            if (value.starts_with('/') && value.find(':') == std::string_view::npos)
                r.add(fmt::format("<env:{}>", a.substr(0, eq)), absolute_of(value, h.cwd));
            continue;
        }
        ++positional;
        r.add(fmt::format("<arg{}>", positional), absolute_of(a, h.cwd));
    }
    r.add("<cwd>", absolute_of(h.cwd, ""));
    if (!h.tmpdir.empty())
        r.add("<tmpdir>", absolute_of(h.tmpdir, ""));
    if (!h.home.empty())
        r.add("<home>", absolute_of(h.home, ""));
    std::stable_sort(r.roots_.begin(), r.roots_.end(),
                     [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
    return r;
}

run_roots run_roots::from_entries(std::vector<std::pair<std::string, std::string>> entries) {
    run_roots r;
    r.roots_ = std::move(entries);
    return r;
}

bool run_roots::rewrite(section s, std::string_view subject, std::string& out) const {
    std::string_view prefix;
    if (!is_path_section(s)) {
        if ((s == section::net_connect || s == section::net_bind || s == section::net_accept) &&
            subject.starts_with("unix /"))
            prefix = "unix ";
        else
            return false;
    }
    std::string_view path = subject.substr(prefix.size());
    for (const auto& [name, root] : roots_) {
        if (!path.starts_with(root) || (path.size() > root.size() && path[root.size()] != '/'))
            continue;
        out.assign(prefix).append(name).append(path.substr(root.size()));
        return true;
    }
    return false;
}

} // namespace glassbox::analysis
