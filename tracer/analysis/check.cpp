// check: streams a trace through the profile matchers and keeps only what the profile does not
// allow, one finding per distinct (section, subject) with its first occurrence and process chain.
// Memory grows with the number of distinct violations, never with the number of events.
#include "engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace glassbox::analysis {

bool allowed_by(const profile::profile& p, const behaviour& b, const void** rule) {
    const void* r = nullptr;
    switch (b.sec) {
    case section::file_read:
        r = p.match_file(profile::file_access::read, b.subject);
        break;
    case section::file_write:
        r = p.match_file(profile::file_access::write, b.subject);
        break;
    case section::file_exec:
        r = p.match_file(profile::file_access::exec, b.subject);
        break;
    case section::file_delete:
        r = p.match_file(profile::file_access::remove, b.subject);
        break;
    case section::file_metadata:
        r = p.match_file(profile::file_access::metadata, b.subject);
        break;
    case section::proc_exec:
        r = p.match_exec(b.subject);
        break;
    case section::proc_memfd:
        r = p.match_memfd(b.subject);
        break;
    case section::proc_signal:
        r = p.match_signal(b.subject);
        break;
    case section::proc_cred:
        r = p.match_cred(b.subject);
        break;
    case section::proc_prctl:
        r = p.match_prctl(b.subject);
        break;
    case section::net_connect:
        r = b.ep ? static_cast<const void*>(p.match_connect(*b.ep)) : nullptr;
        break;
    case section::net_bind:
        r = b.ep ? static_cast<const void*>(p.match_bind(*b.ep)) : nullptr;
        break;
    case section::net_accept:
        r = b.ep ? static_cast<const void*>(p.match_accept(*b.ep)) : nullptr;
        break;
    case section::net_dns:
        r = p.match_dns(b.subject);
        break;
    case section::net_sockets:
        for (const auto& rule : p.network.sockets)
            if (rule.pattern.matches(b.subject)) {
                r = &rule;
                break;
            }
        break;
    case section::privileged:
        r = p.match_privileged(b.subject);
        break;
    case section::unknown:
        break;
    }
    if (rule)
        *rule = r;
    return r != nullptr;
}

namespace {

// Names of the set bits of `flags` from `names` ({bit, name}); unknown bits as hex.
std::string flag_names(std::int64_t flags, std::initializer_list<std::pair<std::int64_t, std::string_view>> names) {
    std::string out;
    auto rest = static_cast<std::uint64_t>(flags);
    for (auto [bit, name] : names)
        if (rest & static_cast<std::uint64_t>(bit)) {
            out += out.empty() ? "" : "|";
            out += name;
            rest &= ~static_cast<std::uint64_t>(bit);
        }
    if (rest)
        out += fmt::format("{}{:#x}", out.empty() ? "" : "|", rest);
    return out;
}

// The operation of a file change as the program issued it: "renameat2 RENAME_NOREPLACE",
// "linkat", "mkdirat mode 0700". For these kinds the path alone hides what was done (a reviewer
// must see that a quarantine now hard-links instead of copying), so reports carry it.
std::string file_operation(const trace::event& e) {
    std::string op(e.syscall.empty() ? e.type : e.syscall);
    std::string flags;
    if (e.flags != trace::event::missing && e.flags != 0) {
        switch (e.kind) {
        case GB_EV_RENAME:
            flags = flag_names(e.flags, {{1, "RENAME_NOREPLACE"}, {2, "RENAME_EXCHANGE"}, {4, "RENAME_WHITEOUT"}});
            break;
        case GB_EV_LINK:
        case GB_EV_CHOWN:
        case GB_EV_UTIMES:
        case GB_EV_CHMOD:
            flags = flag_names(e.flags, {{0x100, "AT_SYMLINK_NOFOLLOW"}, {0x400, "AT_SYMLINK_FOLLOW"},
                                         {0x1000, "AT_EMPTY_PATH"}});
            break;
        case GB_EV_UNLINK:
        case GB_EV_RMDIR:
            flags = flag_names(e.flags, {{0x200, "AT_REMOVEDIR"}});
            break;
        case GB_EV_SETXATTR:
            flags = flag_names(e.flags, {{1, "XATTR_CREATE"}, {2, "XATTR_REPLACE"}});
            break;
        default:
            flags = fmt::format("flags {:#x}", e.flags);
        }
    }
    if (!flags.empty())
        op += " " + flags;
    if (e.mode != trace::event::missing &&
        (e.kind == GB_EV_MKDIR || e.kind == GB_EV_MKNOD || e.kind == GB_EV_CHMOD))
        op += fmt::format(" mode {:04o}", e.mode & 07777);
    if (e.kind == GB_EV_RENAME || e.kind == GB_EV_LINK || e.kind == GB_EV_SYMLINK)
        op += fmt::format(" {} -> {}", e.old_path, e.new_path);
    return op;
}

bool is_file_change(gb_event_kind k) {
    switch (k) {
    case GB_EV_RENAME:
    case GB_EV_LINK:
    case GB_EV_SYMLINK:
    case GB_EV_MKDIR:
    case GB_EV_MKNOD:
    case GB_EV_UNLINK:
    case GB_EV_RMDIR:
    case GB_EV_CHMOD:
    case GB_EV_CHOWN:
    case GB_EV_TRUNCATE:
    case GB_EV_UTIMES:
    case GB_EV_SETXATTR:
    case GB_EV_REMOVEXATTR:
        return true;
    default:
        return false;
    }
}

} // namespace

std::string event_detail(const trace::event& e) {
    std::string d;
    if (is_file_change(e.kind)) {
        d = file_operation(e);
    } else if (e.kind == GB_EV_EXEC && !e.argv.empty()) {
        d = "argv:";
        for (auto a : e.argv) {
            d += ' ';
            d += a;
            if (d.size() > 240) {
                d += " ...";
                break;
            }
        }
    } else if (e.kind == GB_EV_OPEN && !e.access.empty()) {
        d = fmt::format("{} for {}", e.syscall.empty() ? std::string_view("open") : e.syscall, e.access);
        if (e.create)
            d += ", create";
        if (e.truncate)
            d += ", truncate";
    } else if (e.kind == GB_EV_PRIV && !e.target_exe.empty()) {
        d = fmt::format("target {} (pid {})", e.target_exe, e.target_pid);
    } else if (e.kind == GB_EV_DNS && !e.qtype.empty()) {
        d = fmt::format("query {}", e.qtype);
    }
    if (!e.succeeded()) {
        if (!d.empty())
            d += "; ";
        d += fmt::format("attempted, ret {} ({})", e.ret, e.err.empty() ? std::string_view("?") : e.err);
    }
    if (!e.via.empty()) {
        if (!d.empty())
            d += "; ";
        d += fmt::format("via {}", e.via);
    }
    // Reports are UTF-8 text: show stray bytes as '?'.
    return sanitise(d);
}

std::string sanitise(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        auto b = static_cast<unsigned char>(s[i]);
        std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
        bool ok = n > 0 && i + n <= s.size() && !(n == 2 && b < 0xc2);
        for (std::size_t k = 1; ok && k < n; ++k)
            ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
        if (!ok || (n == 1 && (b < 0x20 || b == 0x7f))) {
            out.push_back('?');
            ++i;
            continue;
        }
        out.append(s.substr(i, n));
        i += n;
    }
    return out;
}

void sort_findings(std::vector<finding>& v) {
    std::sort(v.begin(), v.end(), [](const finding& a, const finding& b) {
        if (a.sec != b.sec)
            return a.sec < b.sec;
        return a.subject < b.subject;
    });
}

input_info info_of(const trace::reader& r) {
    input_info i;
    i.name = r.name();
    i.kind = "trace";
    i.events = r.stats().events;
    i.complete = r.complete();
    i.lost = r.trace_summary() ? r.trace_summary()->lost : 0;
    i.command = r.trace_header().command;
    i.digest = r.digest();
    i.digest_kind = r.digest_kind();
    i.partial = r.partial_reason();
    i.cwd = r.trace_header().cwd;
    i.host = r.trace_header().host;
    i.coverage_json = r.trace_header().coverage_json;
    i.duration_ns = r.trace_summary() ? r.trace_summary()->duration_ns : 0;
    return i;
}

result<check_report> check_trace(const profile::profile& p, std::string_view profile_name,
                                 const std::filesystem::path& trace_file) {
    auto opened = trace::reader::open(trace_file);
    if (!opened)
        return std::unexpected(opened.error());
    auto& rd = **opened;
    check_report rep;
    rep.profile = std::string(profile_name);
    extractor ex;
    process_tree tree;
    std::unordered_map<std::string, std::size_t> index;
    std::string key;
    const trace::event* cur = nullptr;
    bool event_violates = false;
    auto on_behaviour = [&](const behaviour& b) {
        if (allowed_by(p, b, nullptr))
            return;
        event_violates = true;
        key.clear();
        key.push_back(static_cast<char>(b.sec));
        key.append(b.subject);
        auto [it, inserted] = index.try_emplace(key, rep.violations.size());
        if (!inserted) {
            ++rep.violations[it->second].count;
            return;
        }
        finding f;
        f.sec = b.sec;
        f.subject = sanitise(b.subject);
        f.example = f.subject;
        f.count = 1;
        f.first_line = cur->line;
        f.first_ts = cur->ts;
        f.pid = cur->pid;
        f.comm = sanitise(cur->comm);
        f.chain = sanitise(tree.chain(cur->pid));
        f.detail = event_detail(*cur);
        f.source = rd.name();
        rep.violations.push_back(std::move(f));
    };
    std::function<void(const behaviour&)> cb = on_behaviour;
    while (true) {
        auto e = rd.next();
        if (!e)
            return std::unexpected(e.error());
        if (!*e)
            break;
        cur = *e;
        tree.observe(*cur);
        event_violates = false;
        ex.extract(*cur, cb);
        if (event_violates)
            ++rep.violating_events;
    }
    rep.trace = info_of(rd);
    rep.warnings = rd.warnings();
    sort_findings(rep.violations);
    return rep;
}

} // namespace glassbox::analysis
