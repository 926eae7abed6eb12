// `glassbox scan BINARY --against TRACE`: the scanner's soundness check. Every event the trace
// attributes to a process running BINARY implies one syscall (its `syscall`/`op` field) or one of a
// few (its `type`, see docs/trace-format.md); at least one of them must be in the binary's static
// surface (its code, imports and dependencies), else the scan missed something. The other way
// round, sensitive syscalls the code can reach but the lab run never made show what the run did
// not cover. Attribution follows exec: a successful exec event belongs to the image that called
// it, which this file tracks per pid. The trace is read through trace::reader, like every command.
#include <glassbox/event_kinds.h>
#include <glassbox/scan.hpp>
#include <glassbox/trace_reader.hpp>

#include <fmt/color.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

namespace fs = std::filesystem;

namespace glassbox::scan {

namespace {

using json = nlohmann::json;

// Syscalls an event type implies when the event does not name one itself.
// `exit_signal`: an exit event that carries a signal; `option`: a prctl event's option.
std::vector<std::string> implied_by_type(std::string_view type, bool exit_signal, std::string_view option) {
    static const std::map<std::string, std::vector<std::string>, std::less<>> table = {
        {"exec", {"execve", "execveat"}},
        {"fork", {"clone", "clone3", "fork", "vfork"}},
        {"memfd_create", {"memfd_create"}},
        {"signal", {"kill", "tkill", "tgkill", "pidfd_send_signal"}},
        {"open", {"open", "openat", "openat2", "creat", "open_by_handle_at"}},
        {"unlink", {"unlink", "unlinkat"}},
        {"rmdir", {"rmdir", "unlinkat"}},
        {"mkdir", {"mkdir", "mkdirat"}},
        {"mknod", {"mknod", "mknodat"}},
        {"chmod", {"chmod", "fchmod", "fchmodat", "fchmodat2"}},
        {"chown", {"chown", "fchown", "lchown", "fchownat"}},
        {"truncate", {"truncate", "ftruncate"}},
        {"utimes", {"utimes", "utime", "utimensat", "futimesat"}},
        {"setxattr", {"setxattr", "lsetxattr", "fsetxattr", "setxattrat"}},
        {"removexattr", {"removexattr", "lremovexattr", "fremovexattr", "removexattrat"}},
        {"rename", {"rename", "renameat", "renameat2"}},
        {"link", {"link", "linkat"}},
        {"symlink", {"symlink", "symlinkat"}},
        {"mmap_exec", {"mmap", "mprotect", "pkey_mprotect"}},
        {"inotify_add_watch", {"inotify_add_watch"}},
        {"connect", {"connect"}},
        {"bind", {"bind"}},
        {"listen", {"listen"}},
        {"accept", {"accept", "accept4"}},
        {"sendto", {"sendto", "sendmsg", "sendmmsg"}},
        {"socket", {"socket", "socketpair"}},
        {"dns",
         {"sendto", "sendmsg", "sendmmsg", "write", "writev", "pwrite64", "pwritev", "pwritev2"}},
    };
    if (type == "exit") {
        if (exit_signal)
            return {};
        return {"exit_group", "exit"};
    }
    if (type == "close")
        return {}; // I/O totals: emitted at close *or* at process exit, implies no particular
                   // syscall
    if (type == "prctl")
        return {option == "seccomp" ? "seccomp" : "prctl"};
    auto it = table.find(type);
    return it == table.end() ? std::vector<std::string>{} : it->second;
}

} // namespace

result<against_result> check_against(const binary_report& report, const std::string& trace_path) {
    // The one trace reader every command uses: it checks the header, the hash chain and says
    // how a partial trace ended.
    auto opened = trace::reader::open(trace_path);
    if (!opened)
        return std::unexpected(opened.error());
    auto& rd = **opened;
    against_result r;
    std::error_code ec;
    std::string target = fs::weakly_canonical(report.path, ec).string();
    if (ec)
        target = report.path;
    r.binary = target;

    std::unordered_map<std::int64_t, std::string> exe_of; // pid -> last executable seen
    std::map<std::string, observed_syscall> observed;      // label -> observation
    std::set<std::string> exercised;                       // every candidate name of attributed events
    std::set<std::string> missing;
    bool any_i386_unresolved = false;
    for (const auto& s : report.sites)
        any_i386_unresolved |= s.table == abi::i386 && !s.resolved;

    auto in_surface = [&](abi table, const std::string& name) {
        auto nr = syscall_number(name, table);
        return nr && report.all.count({table, *nr}) > 0;
    };

    while (true) {
        auto next = rd.next();
        if (!next)
            return std::unexpected(next.error());
        const trace::event* ev = *next;
        if (!ev)
            break;
        const std::string type(ev->type);
        const std::int64_t pid = ev->pid;
        std::string exe(ev->exe);
        std::string acting = exe;
        if (type == "exec" && ev->succeeded()) {
            // The event's exe is already the new image; the exec call was made by the previous one.
            auto it = exe_of.find(pid);
            acting = it == exe_of.end() ? "" : it->second;
        }
        if (!exe.empty())
            exe_of[pid] = exe;
        if (type == "fork" && ev->child_pid != trace::event::missing)
            exe_of[ev->child_pid] = exe;
        if (acting.empty())
            continue;
        std::string acting_canon = fs::weakly_canonical(acting, ec).string();
        if (ec)
            acting_canon = acting;
        if (acting_canon != target && acting != target)
            continue;
        if (ev->kind == GB_EV_NONE) {
            r.warnings.push_back(fmt::format("{}:{}: unknown event type '{}'", trace_path, ev->line, type));
            continue;
        }
        ++r.events_matched;
        std::vector<std::string> candidates;
        abi table = abi::x86_64;
        std::string label;
        if (type == "abi32") {
            int nr = ev->nr == trace::event::missing ? -1 : static_cast<int>(ev->nr);
            table = abi::i386;
            std::string name(syscall_name(abi::i386, nr));
            candidates = {name.empty() ? fmt::format("#{}", nr) : name};
        } else if (type == "priv" && !ev->op.empty()) {
            candidates = {std::string(ev->op)};
        } else if (!ev->syscall.empty()) {
            candidates = {std::string(ev->syscall)};
        } else {
            candidates = implied_by_type(type, ev->signal != trace::event::missing, ev->option);
        }
        if (ev->via == "io_uring") {
            candidates = {"io_uring_enter"};
        } else if (ev->via == "abi32") {
            table = abi::i386;
        }
        if (candidates.empty())
            continue;
        label = candidates.size() == 1 ? candidates[0]
                                       : fmt::format("{} ({})", type, fmt::join(candidates, "|"));
        if (table == abi::i386)
            label = "i386:" + label;
        auto& o = observed[label];
        o.name = label;
        ++o.count;
        if (o.example.empty())
            o.example = type;
        bool ok = false;
        for (const auto& c : candidates) {
            exercised.insert(table == abi::i386 ? "i386:" + c : c);
            ok |= in_surface(table, c);
        }
        if (!ok && table == abi::i386 && any_i386_unresolved)
            ok = true; // an int 0x80 site with an unknown number covers it
        if (!ok)
            missing.insert(label);
    }
    r.trace_complete = rd.complete();
    r.trace_partial = rd.partial_reason();
    r.trace_digest = rd.digest();
    r.trace_digest_kind = rd.digest_kind();
    for (const auto& w : rd.warnings())
        r.warnings.push_back(w);
    for (auto& [k, v] : observed)
        r.observed.push_back(v);
    r.missing.assign(missing.begin(), missing.end());
    if (!r.missing.empty() && report.unresolved_sites + report.dependency_unresolved_sites > 0)
        r.warnings.push_back(fmt::format(
            "{} syscall sites have unknown numbers and may account for the missing ones",
            report.unresolved_sites + report.dependency_unresolved_sites));

    // Sensitive syscalls the binary's own code reaches and a trace could have shown, never seen.
    std::set<std::string> recordable;
    for (const auto& k : event_kind_table)
        for (auto& c : implied_by_type(k.name, false, {}))
            recordable.insert(c);
    for (auto n : {"ptrace",
                   "process_vm_readv",
                   "process_vm_writev",
                   "init_module",
                   "finit_module",
                   "delete_module",
                   "mount",
                   "umount2",
                   "pivot_root",
                   "bpf",
                   "perf_event_open",
                   "kexec_load",
                   "kexec_file_load",
                   "reboot",
                   "setns",
                   "unshare",
                   "chroot",
                   "ioperm",
                   "iopl",
                   "open_by_handle_at",
                   "name_to_handle_at",
                   "keyctl",
                   "add_key",
                   "request_key",
                   "fanotify_init",
                   "fanotify_mark",
                   "io_uring_setup",
                   "setuid",
                   "setgid",
                   "setreuid",
                   "setregid",
                   "setresuid",
                   "setresgid",
                   "setfsuid",
                   "setfsgid",
                   "setgroups",
                   "capset",
                   "seccomp",
                   "prctl",
                   "fsopen",
                   "fsmount",
                   "move_mount"})
        recordable.insert(n);
    for (const auto& [id, ev] : report.own) {
        if (id.table != abi::x86_64) {
            if (!exercised.count(syscall_label(id)))
                r.not_exercised.push_back(syscall_label(id));
            continue;
        }
        std::string name(syscall_name(id.table, id.nr));
        if (syscall_sensitive(name) && recordable.count(name) && !exercised.count(name))
            r.not_exercised.push_back(name);
    }
    return r;
}

json against_json(const against_result& r) {
    json obs = json::array();
    for (const auto& o : r.observed)
        obs.push_back({{"syscall", o.name}, {"count", o.count}, {"event", o.example}});
    return {{"format", "glassbox-scan-against"},
            {"version", 1},
            {"binary", r.binary},
            {"events_matched", r.events_matched},
            {"trace_complete", r.trace_complete},
            {"trace_sha256", r.trace_digest},
            {"trace_digest_of", r.trace_digest_kind},
            {"observed", obs},
            {"missing", r.missing},
            {"not_exercised", r.not_exercised},
            {"sound", r.missing.empty()},
            {"warnings", r.warnings}};
}

std::string against_text(const against_result& r, bool colour) {
    auto style = [&](fmt::text_style st, const std::string& s) {
        return colour ? fmt::format(st, "{}", s) : s;
    };
    std::string out =
        fmt::format("{}: {} trace events attributed to it, {} distinct syscalls observed\n",
                    r.binary, r.events_matched, r.observed.size());
    for (const auto& o : r.observed)
        out += fmt::format("  observed {:<40} x{}\n", o.name, o.count);
    if (r.missing.empty())
        out += style(fg(fmt::terminal_color::green),
                     "every observed syscall is inside the static surface") +
               "\n";
    else
        out +=
            style(fg(fmt::terminal_color::red) | fmt::emphasis::bold,
                  fmt::format("MISSING from the static surface: {}", fmt::join(r.missing, ", "))) +
            "\n";
    if (!r.not_exercised.empty())
        out +=
            fmt::format("statically reachable sensitive syscalls the trace never exercised: {}\n",
                        fmt::join(r.not_exercised, ", "));
    for (const auto& w : r.warnings)
        out += style(fg(fmt::terminal_color::yellow), "warning: " + w) + "\n";
    return out;
}

} // namespace glassbox::scan
