// The enforcement policy's matchers: globs for file rules, CIDR/port matching for network rules,
// and the list of privileged operations the seccomp filter guards. Pure functions, no kernel.
#include "enforce/policy.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace glassbox::enforce {

std::string_view mode_name(mode m) {
    switch (m) {
    case mode::enforce: return "enforce";
    case mode::complain: return "complain";
    case mode::kill: return "kill";
    }
    return "enforce";
}

std::string access_names(std::uint32_t bits) {
    static constexpr std::pair<std::uint32_t, const char*> names[] = {
        {acc_read, "read"}, {acc_write, "write"}, {acc_exec, "exec"}, {acc_remove, "remove"}, {acc_refer, "refer"}};
    std::string out;
    for (auto [bit, name] : names)
        if (bits & bit) {
            if (!out.empty())
                out += ',';
            out += name;
        }
    return out;
}

namespace {

// Iterative glob with backtracking for one `*` level and recursion for `**`.
bool match_from(std::string_view p, std::string_view s) {
    while (!p.empty()) {
        if (p.starts_with("/**")) {
            // "/**" consumes nothing or whole components ("/a", "/a/b"), never part of one.
            std::string_view rest = p.substr(3);
            for (std::size_t i = 0; i <= s.size(); ++i)
                if ((i == 0 || (s[0] == '/' && (i == s.size() || s[i] == '/'))) && match_from(rest, s.substr(i)))
                    return true;
            return false;
        }
        if (p.starts_with("**")) {
            std::string_view rest = p.substr(2);
            for (std::size_t i = 0; i <= s.size(); ++i)
                if (match_from(rest, s.substr(i)))
                    return true;
            return false;
        }
        char c = p[0];
        if (c == '*') {
            std::string_view rest = p.substr(1);
            for (std::size_t i = 0; i <= s.size(); ++i) {
                if (match_from(rest, s.substr(i)))
                    return true;
                if (i < s.size() && s[i] == '/')
                    break;
            }
            return false;
        }
        if (s.empty())
            return false;
        if (c == '?') {
            if (s[0] == '/')
                return false;
        } else if (c != s[0]) {
            return false;
        }
        p.remove_prefix(1);
        s.remove_prefix(1);
    }
    return s.empty();
}

} // namespace

bool glob_match(std::string_view pattern, std::string_view path) {
    if (pattern.empty() || path.empty())
        return false;
    return match_from(pattern, path);
}

bool glob_has_wildcard(std::string_view pattern) {
    return pattern.find_first_of("*?[\\") != std::string_view::npos;
}

std::string glob_anchor(std::string_view pattern) {
    auto wild = pattern.find_first_of("*?[\\");
    if (wild == std::string_view::npos)
        return std::string(pattern);
    auto slash = pattern.rfind('/', wild);
    if (slash == std::string_view::npos || slash == 0)
        return "/";
    return std::string(pattern.substr(0, slash));
}

bool file_rule::matches(std::string_view path) const {
    return compiled ? compiled->matches(path) : glob_match(pattern, path);
}

bool policy::file_allows(std::string_view path, std::uint32_t need) const {
    if (prof) {
        using fa = profile::file_access;
        if ((need & acc_read) && !prof->match_file(fa::read, path))
            return false;
        if ((need & acc_write) && !prof->match_file(fa::write, path))
            return false;
        if ((need & acc_exec) && !prof->match_exec(path))
            return false;
        if ((need & acc_remove) && !prof->match_file(fa::remove, path))
            return false;
        return true;
    }
    for (const auto& r : files)
        if ((r.access & need) == need && r.matches(path))
            return true;
    return false;
}

std::optional<std::pair<std::array<std::uint8_t, 16>, std::uint8_t>> parse_cidr(std::string_view s) {
    std::array<std::uint8_t, 16> addr{};
    if (s == "*" || s == "any")
        return std::pair{addr, std::uint8_t{0}};
    std::string host(s);
    int prefix = -1;
    if (auto slash = s.find('/'); slash != std::string_view::npos) {
        host = std::string(s.substr(0, slash));
        auto ps = s.substr(slash + 1);
        int v = 0;
        auto [ptr, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), v);
        if (ec != std::errc() || ptr != ps.data() + ps.size())
            return std::nullopt;
        prefix = v;
    }
    in_addr v4{};
    in6_addr v6{};
    if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
        if (prefix > 32)
            return std::nullopt;
        addr[10] = addr[11] = 0xff;
        std::memcpy(&addr[12], &v4, 4);
        return std::pair{addr, std::uint8_t(96 + (prefix < 0 ? 32 : prefix))};
    }
    if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
        if (prefix > 128)
            return std::nullopt;
        std::memcpy(addr.data(), &v6, 16);
        return std::pair{addr, std::uint8_t(prefix < 0 ? 128 : prefix)};
    }
    return std::nullopt;
}

bool policy::net_allows(net_rule::direction dir, const std::array<std::uint8_t, 16>& addr,
                        std::uint8_t protocol, std::uint16_t port) const {
    for (const auto& r : net) {
        if (r.dir != dir || (r.protocol && r.protocol != protocol) || port < r.port_lo || port > r.port_hi)
            continue;
        bool ok = true;
        for (int bit = 0; bit < r.prefix && ok; bit += 8) {
            int n = std::min(8, r.prefix - bit);
            std::uint8_t mask = std::uint8_t(0xff << (8 - n));
            ok = ((addr[bit / 8] ^ r.addr[bit / 8]) & mask) == 0;
        }
        if (ok)
            return true;
    }
    return false;
}

std::optional<unix_shape> unix_rule_shape(std::string_view pattern) {
    if (pattern.empty() || pattern.size() > 108)
        return std::nullopt;
    auto wild = pattern.find_first_of("*?[\\{");
    if (wild == std::string_view::npos)
        return unix_shape{unix_shape::kind::exact, std::string(pattern), {}};
    if (pattern.ends_with("/**") && wild == pattern.size() - 2)
        return unix_shape{unix_shape::kind::subtree, std::string(pattern.substr(0, pattern.size() - 2)), {}};
    std::string_view rest = pattern.substr(wild + 1);
    if (pattern[wild] != '*' || rest.starts_with("*") || rest.find_first_of("*?[\\{") != std::string_view::npos)
        return std::nullopt;
    return unix_shape{unix_shape::kind::star, std::string(pattern.substr(0, wild)), std::string(rest)};
}

std::optional<dns_shape> dns_rule_shape(std::string_view pattern) {
    std::string p;
    for (char c : pattern)
        p += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    while (p.ends_with("."))
        p.pop_back();
    dns_shape out;
    if (p.starts_with("**.")) {
        out.type = dns_shape::kind::subtree;
        p.erase(0, 3);
    } else if (p.starts_with("*.")) {
        out.type = dns_shape::kind::onelabel;
        p.erase(0, 2);
    }
    if (p.empty() || p.size() > 253 || p.find_first_of("*?[{\\") != std::string::npos || p.starts_with(".") ||
        p.find("..") != std::string::npos)
        return std::nullopt;
    out.name = std::move(p);
    return out;
}

const std::vector<std::string>& privileged_ops() {
    // Everything that loads code into the kernel, reaches into another process, changes the mount
    // or namespace layout, or opens a side door around the file checks (handles, io_uring,
    // pidfd_getfd). The names are the trace's `priv` op names.
    static const std::vector<std::string> ops = {
        "init_module", "finit_module", "delete_module", "ptrace", "process_vm_readv",
        "process_vm_writev", "mount", "umount2", "pivot_root", "fsopen", "fsmount", "fsconfig",
        "fspick", "move_mount", "open_tree", "mount_setattr", "bpf", "perf_event_open",
        "kexec_load", "kexec_file_load", "reboot", "setns", "unshare", "chroot", "ioperm", "iopl",
        "open_by_handle_at", "name_to_handle_at", "keyctl", "add_key", "request_key",
        "fanotify_init", "fanotify_mark", "io_uring_setup", "io_uring_enter", "io_uring_register",
        "pidfd_getfd", "swapon", "swapoff", "settimeofday", "clock_settime", "clock_adjtime",
        "adjtimex", "syslog", "acct", "quotactl", "userfaultfd", "lookup_dcookie", "vhangup",
        "uselib", "kcmp"};
    return ops;
}

} // namespace glassbox::enforce
