// Landlock-decided violations from recorder events (see derive.hpp).
#include "enforce/derive.hpp"

#include <fmt/core.h>

namespace glassbox::enforce {

namespace {
std::string s(const nlohmann::json& j, const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
} // namespace

std::optional<violation> violation_from_event(const nlohmann::json& ev, const policy& pol, mode m,
                                              bool supervised_opens, bool supervised_exec) {
    std::string type = s(ev, "type");
    std::string err = s(ev, "errno");
    long ret = ev.value("ret", 0L);
    bool refused = err == "EACCES" || ((type == "rename" || type == "link") && err == "EXDEV");
    bool complain = m == mode::complain;
    violation v;
    v.mechanism = complain ? "trace" : "landlock";
    v.action = complain ? "allowed" : m == mode::kill ? "killed" : "denied";
    v.pid = ev.value("pid", 0);
    v.tid = ev.value("tid", v.pid);
    v.syscall = s(ev, "syscall");
    auto path_of = [&](const char* resolved, const char* raw) {
        std::string p = s(ev, resolved);
        return p.empty() ? s(ev, raw) : p;
    };
    if (type == "exec") {
        if (supervised_exec)
            return std::nullopt;
        std::string p = path_of("path", "raw_path");
        if (complain ? (ret < 0 || pol.file_allows(p, acc_exec)) : !refused)
            return std::nullopt;
        if (!complain && p.starts_with("/") && pol.file_allows(p, acc_exec) && s(ev, "fileless").empty())
            return std::nullopt; // refused for another reason (permissions), not by the profile
        v.section = "processes.exec";
        v.path = p;
        v.access = "exec";
        v.what = fmt::format("exec {}", p.empty() ? "(fileless)" : p);
        if (v.syscall.empty())
            v.syscall = "execve";
        return v;
    }
    if (type == "open") {
        if (supervised_opens || !refused || complain)
            return std::nullopt;
        std::string p = path_of("path", "raw_path");
        std::string acc = s(ev, "access");
        v.section = acc == "write" || acc == "read-write" ? "files.write" : "files.read";
        v.path = p;
        v.access = acc;
        v.what = fmt::format("open {} for {}", p, acc);
        return v;
    }
    if (type == "bind") {
        // A filesystem unix socket: Landlock's MAKE_SOCK decides (network.bind unix rules); inet
        // binds are judged and reported by the cgroup programs.
        std::string p = path_of("path", "raw_path");
        if (s(ev, "family") != "unix" || p.empty() || ev.contains("abstract"))
            return std::nullopt;
        if (complain) {
            profile::endpoint e;
            e.proto = "unix";
            e.path = p;
            if (ret < 0 || !pol.prof || pol.prof->match_bind(e))
                return std::nullopt;
        } else if (!refused) {
            return std::nullopt;
        }
        v.section = "network.bind";
        v.path = p;
        v.protocol = "unix";
        v.what = fmt::format("bind unix {}", p);
        if (v.syscall.empty())
            v.syscall = "bind";
        return v;
    }
    std::uint32_t need = 0;
    std::string section, p;
    if (type == "unlink" || type == "rmdir") {
        need = acc_remove;
        section = "files.delete";
        p = path_of("path", "raw_path");
    } else if (type == "mkdir" || type == "mknod") {
        need = acc_write;
        section = "files.write";
        p = path_of("path", "raw_path");
    } else if (type == "rename" || type == "link") {
        need = acc_write;
        section = "files.write";
        p = path_of("new_path", "raw_new_path");
    } else {
        return std::nullopt;
    }
    if (complain ? (ret < 0 || pol.file_allows(p, need)) : !refused)
        return std::nullopt;
    v.section = section;
    v.path = p;
    v.access = access_names(need);
    v.what = fmt::format("{} {}", type, p);
    if (v.syscall.empty())
        v.syscall = type;
    return v;
}

} // namespace glassbox::enforce
