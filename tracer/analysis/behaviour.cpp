// Event -> behaviour mapping (which profile section an action falls under, and its subject) and
// the process tree used to name the chain of processes behind an action. First stage of
// learn/check/diff, right after the trace reader; the table in docs/profile-format.md is the
// specification this file implements.
#include <glassbox/analysis.hpp>

#include <fmt/format.h>

namespace glassbox::analysis {

namespace {

constexpr std::string_view kNames[kSectionCount] = {
    "privileged",       "network.connect", "network.bind",   "network.accept", "network.dns",
    "network.sockets",  "processes.exec",  "processes.cred", "processes.prctl", "processes.signal",
    "processes.memfd",  "files.write",     "files.delete",   "files.metadata", "files.exec",
    "files.read",       "unknown",
};

} // namespace

std::string_view section_name(section s) { return kNames[static_cast<int>(s)]; }

std::string_view section_group(section s) {
    auto n = section_name(s);
    return n.substr(0, n.find('.'));
}

bool section_from_name(std::string_view name, section& out) {
    for (int i = 0; i < kSectionCount; ++i)
        if (kNames[i] == name) {
            out = static_cast<section>(i);
            return true;
        }
    return false;
}

bool counts_as_behaviour(const trace::event& e) {
    if (e.succeeded())
        return true;
    // Refused attempts are behaviour (an enforced profile shows them as EACCES/EPERM); so is a
    // non-blocking connect in progress. Failed lookups (ENOENT, ENOTDIR, ...) are not: under
    // enforce the lookup still runs first and fails the same way.
    if (e.err == "EACCES" || e.err == "EPERM" || e.err == "EINPROGRESS" || e.err == "EAGAIN" || e.err == "EALREADY" ||
        e.err == "EWOULDBLOCK")
        return true;
    // A connection attempt the peer or the network refused (nothing listening, no route) is
    // behaviour too: enforce's cgroup hook judges a connect before the kernel tries it, so a
    // connect left out of the profile would get EPERM where the program got ECONNREFUSED while
    // learning. Learned, it keeps the kernel's answer (docs/learning.md, "Refused attempts").
    if ((e.kind == GB_EV_CONNECT || e.kind == GB_EV_SENDTO) && (e.family == "inet" || e.family == "inet6"))
        return e.err == "ECONNREFUSED" || e.err == "ENETUNREACH" || e.err == "EHOSTUNREACH" || e.err == "ETIMEDOUT";
    return false;
}

namespace {

constexpr std::string_view kDeleted = " (deleted)";

std::string_view strip_deleted(std::string_view p) {
    if (p.ends_with(kDeleted))
        p.remove_suffix(kDeleted.size());
    return p;
}

// The path an action used: the resolved one, or what was asked when it was refused before
// resolution.
std::string_view used_path(std::string_view resolved, std::string_view raw) {
    return resolved.empty() ? raw : resolved;
}

} // namespace

void extractor::extract(const trace::event& e, const std::function<void(const behaviour&)>& f) {
    if (e.kind == GB_EV_NONE) {
        // enforce's decisions describe events that are in the trace themselves (the refused open,
        // connect, ...); judging those is what check does, so the decision adds no behaviour.
        if (e.type == "violation")
            return;
        f({section::unknown, e.type, nullptr});
        return;
    }
    if (!counts_as_behaviour(e))
        return;
    auto file = [&](section s, std::string_view p) {
        p = strip_deleted(p);
        if (!p.empty())
            f({s, p, nullptr});
    };
    auto net = [&](section s) {
        ep_ = profile::endpoint{};
        ep_.proto = profile::endpoint_proto(e.family, e.sock_type);
        endpoint_text_.clear();
        if (e.family == "inet" || e.family == "inet6") {
            ep_.addr = e.addr;
            ep_.port = e.port == trace::event::missing ? -1 : static_cast<int>(e.port);
            bool v6 = e.addr.find(':') != std::string_view::npos;
            if (v6)
                endpoint_text_ = fmt::format("{} [{}]", ep_.proto, e.addr);
            else
                endpoint_text_ = fmt::format("{} {}", ep_.proto, e.addr);
            if (ep_.port >= 0)
                endpoint_text_ += fmt::format(":{}", ep_.port);
        } else if (e.family == "unix") {
            ep_.proto = "unix";
            if (e.unnamed || (e.path.empty() && e.abstract.empty())) {
                ep_.unnamed = true;
                endpoint_text_ = "unix unnamed";
            } else if (!e.abstract.empty()) {
                ep_.abstract = true;
                ep_.path = e.abstract;
                endpoint_text_ = fmt::format("unix @{}", e.abstract);
            } else {
                ep_.path = strip_deleted(e.path);
                endpoint_text_ = fmt::format("unix {}", ep_.path);
            }
        } else {
            endpoint_text_ = std::string(ep_.proto.empty() ? std::string_view("af_unknown") : ep_.proto);
            if (ep_.proto.empty())
                ep_.proto = "af_unknown";
        }
        f({s, endpoint_text_, &ep_});
    };

    switch (e.kind) {
    case GB_EV_EXEC:
        if (!e.path.empty() || !e.raw_path.empty())
            f({section::proc_exec, used_path(e.path, e.raw_path), nullptr});
        if (!e.interpreter.empty())
            f({section::proc_exec, e.interpreter, nullptr});
        break;
    case GB_EV_MEMFD_CREATE:
        f({section::proc_memfd, e.name, nullptr});
        break;
    case GB_EV_CRED:
        f({section::proc_cred, e.syscall, nullptr});
        break;
    case GB_EV_PRCTL:
        f({section::proc_prctl, e.option, nullptr});
        break;
    case GB_EV_SIGNAL:
        f({section::proc_signal, e.target_exe.empty() ? std::string_view("?") : e.target_exe, nullptr});
        break;
    case GB_EV_OPEN: {
        auto p = used_path(e.path, e.raw_path);
        bool write = e.access == "write" || e.access == "read-write" || e.create || e.truncate;
        bool read = e.access == "read" || e.access == "read-write" || e.access == "path" || e.access.empty();
        if (read)
            file(section::file_read, p);
        if (write)
            file(section::file_write, p);
        break;
    }
    case GB_EV_INOTIFY:
        file(section::file_read, used_path(e.path, e.raw_path));
        break;
    case GB_EV_MKDIR:
    case GB_EV_MKNOD:
    case GB_EV_TRUNCATE:
        file(section::file_write, used_path(e.path, e.raw_path));
        break;
    case GB_EV_UNLINK:
    case GB_EV_RMDIR:
        file(section::file_delete, used_path(e.path, e.raw_path));
        break;
    case GB_EV_CHMOD:
    case GB_EV_CHOWN:
    case GB_EV_UTIMES:
    case GB_EV_SETXATTR:
    case GB_EV_REMOVEXATTR:
        file(section::file_metadata, used_path(e.path, e.raw_path));
        break;
    case GB_EV_RENAME:
        file(section::file_delete, e.old_path);
        file(section::file_write, e.new_path);
        break;
    case GB_EV_LINK:
    case GB_EV_SYMLINK:
        file(section::file_write, e.new_path);
        break;
    case GB_EV_MMAP_EXEC:
        file(section::file_exec, e.path);
        break;
    case GB_EV_CONNECT:
    case GB_EV_SENDTO:
        net(section::net_connect);
        break;
    case GB_EV_BIND:
    case GB_EV_LISTEN:
        net(section::net_bind);
        break;
    case GB_EV_ACCEPT:
        net(section::net_accept);
        break;
    case GB_EV_SOCKET:
        socket_text_.assign(e.family).append("/").append(e.sock_type);
        f({section::net_sockets, socket_text_, nullptr});
        break;
    case GB_EV_DNS:
        if (!e.name.empty())
            f({section::net_dns, e.name, nullptr});
        break;
    case GB_EV_PRIV:
        f({section::privileged, e.op.empty() ? std::string_view("?") : e.op, nullptr});
        break;
    case GB_EV_ABI32:
        f({section::privileged, "abi32", nullptr});
        break;
    case GB_EV_FORK:
    case GB_EV_EXIT:
    case GB_EV_CLOSE:
    case GB_EV_RECVFROM: // sources of datagrams received: evidence, not yet a profile section
    case GB_EV_NONE:
    case GB_EV_MAX:
        break;
    }
}

namespace {

std::string_view basename_of(std::string_view p) {
    auto slash = p.rfind('/');
    return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

} // namespace

void process_tree::observe(const trace::event& e) {
    if (e.pid <= 0)
        return;
    auto it = nodes_.find(e.pid);
    if (it == nodes_.end()) {
        std::string_view name = !e.exe.empty() ? basename_of(strip_deleted(e.exe)) : e.comm;
        it = nodes_.emplace(e.pid, node{std::string(name), e.ppid}).first;
    }
    if (e.kind == GB_EV_FORK && !e.thread && e.child_pid != trace::event::missing && e.child_pid > 0)
        nodes_[e.child_pid] = node{it->second.name, e.pid};
    else if (e.kind == GB_EV_EXEC && e.succeeded() && !e.path.empty())
        it->second.name = std::string(basename_of(strip_deleted(e.path)));
}

std::string process_tree::chain(std::int64_t pid) const {
    std::vector<const std::string*> names;
    std::int64_t cur = pid;
    for (int depth = 0; depth < 32; ++depth) {
        auto it = nodes_.find(cur);
        if (it == nodes_.end())
            break;
        names.push_back(&it->second.name);
        if (it->second.parent == cur)
            break;
        cur = it->second.parent;
    }
    std::string out;
    for (auto i = names.rbegin(); i != names.rend(); ++i) {
        if (!out.empty())
            out += " \u2192 ";
        out += **i;
    }
    return out;
}

} // namespace glassbox::analysis
