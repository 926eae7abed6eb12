// Decoding of issue 3's coverage records (bpf/record/syscalls.h) into trace lines: the table-driven
// syscall kinds (file changes, cred, prctl, signal, memfd_create, mmap_exec, inotify_add_watch,
// socket, priv, abi32), per-descriptor `close` totals and `dns` queries. Field names come from the
// syscall table (syscall_specs.cpp), so BPF and decoder agree by construction. Part of the decoder
// table (decode.hpp); the formats are in docs/trace-format.md.
#include "record/decode.hpp"
#include "record/dns_query.hpp"
#include "record/syscall_specs.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <arpa/inet.h>
#include <cstring>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <vector>

namespace glassbox::record {
namespace {

constexpr std::int64_t ret_unknown = INT64_MIN; // GB_RET_UNKNOWN: the kernel did not say

// Lexical normalization of an absolute path: "." and ".." and repeated '/' removed.
std::string normalize(std::string_view p) {
    std::vector<std::string_view> parts;
    std::size_t i = 0;
    while (i < p.size()) {
        std::size_t j = p.find('/', i);
        if (j == std::string_view::npos)
            j = p.size();
        std::string_view part = p.substr(i, j - i);
        if (part == "..") {
            if (!parts.empty())
                parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        i = j + 1;
    }
    std::string out;
    for (auto part : parts) {
        out += '/';
        out += part;
    }
    return out.empty() ? "/" : out;
}

struct resolved {
    std::optional<std::string> path;
    bool truncated = false;
};

// The absolute path of a string argument: itself when absolute, else its kernel-resolved
// directory (dirfd or cwd) joined with it. A directory that is not a filesystem path (a pseudo
// file) or is missing leaves the path null.
resolved resolve_arg(const decode_input& in, const gb_str& dir, const std::optional<std::string>& raw) {
    resolved r;
    if (raw && !raw->empty() && (*raw)[0] == '/') {
        r.path = normalize(*raw);
        return r;
    }
    auto d = record_string(in, dir);
    if (!d || (dir.flags & GB_STR_RELATIVE))
        return r;
    std::string base = *d;
    if (dir.flags & GB_STR_TRUNCATED) {
        r.truncated = true;
        base = "/..." + (base.empty() || base[0] == '/' ? base : "/" + base);
    }
    if (dir.flags & GB_STR_DELETED)
        base += " (deleted)";
    r.path = raw && !raw->empty() ? normalize(base + "/" + *raw) : base;
    if (r.truncated)
        r.path = "..." + *r.path; // documented: a truncated path starts with ".../"
    return r;
}

std::string family_name(std::uint64_t f) {
    switch (f) {
    case AF_INET: return "inet";
    case AF_INET6: return "inet6";
    case AF_UNIX: return "unix";
    case AF_NETLINK: return "netlink";
    case AF_PACKET: return "packet";
    default: return fmt::format("af_{}", f);
    }
}

std::string sock_type_name(std::uint64_t t) {
    switch (t & 0xf) {
    case SOCK_STREAM: return "stream";
    case SOCK_DGRAM: return "dgram";
    case SOCK_RAW: return "raw";
    case SOCK_SEQPACKET: return "seqpacket";
    default: return fmt::format("type_{}", t & 0xf);
    }
}

const char* netlink_name(std::uint64_t p) {
    switch (p) {
    case NETLINK_ROUTE: return "NETLINK_ROUTE";
    case NETLINK_SOCK_DIAG: return "NETLINK_SOCK_DIAG";
    case NETLINK_NFLOG: return "NETLINK_NFLOG";
    case NETLINK_XFRM: return "NETLINK_XFRM";
    case NETLINK_SELINUX: return "NETLINK_SELINUX";
    case NETLINK_AUDIT: return "NETLINK_AUDIT";
    case NETLINK_NETFILTER: return "NETLINK_NETFILTER";
    case NETLINK_KOBJECT_UEVENT: return "NETLINK_KOBJECT_UEVENT";
    case NETLINK_GENERIC: return "NETLINK_GENERIC";
    case NETLINK_CONNECTOR: return "NETLINK_CONNECTOR";
    default: return nullptr;
    }
}

std::string prctl_name(std::uint64_t o) {
    switch (o) {
    case 4: return "PR_SET_DUMPABLE";
    case 8: return "PR_SET_KEEPCAPS";
    case 15: return "PR_SET_NAME";
    case 22: return "PR_SET_SECCOMP";
    case 24: return "PR_CAPBSET_DROP";
    case 28: return "PR_SET_SECUREBITS";
    case 35: return "PR_SET_MM";
    case 36: return "PR_SET_CHILD_SUBREAPER";
    case 38: return "PR_SET_NO_NEW_PRIVS";
    case 47: return "PR_CAP_AMBIENT";
    case 59: return "PR_SET_SYSCALL_USER_DISPATCH";
    case 0x59616d61: return "PR_SET_PTRACER";
    default: return fmt::format("PR_{}", o);
    }
}

std::string ptrace_name(std::uint64_t r) {
    switch (r) {
    case 0: return "PTRACE_TRACEME";
    case 1: return "PTRACE_PEEKTEXT";
    case 2: return "PTRACE_PEEKDATA";
    case 4: return "PTRACE_POKETEXT";
    case 5: return "PTRACE_POKEDATA";
    case 7: return "PTRACE_CONT";
    case 8: return "PTRACE_KILL";
    case 12: return "PTRACE_GETREGS";
    case 13: return "PTRACE_SETREGS";
    case 16: return "PTRACE_ATTACH";
    case 17: return "PTRACE_DETACH";
    case 24: return "PTRACE_SYSCALL";
    case 0x4200: return "PTRACE_SETOPTIONS";
    case 0x4206: return "PTRACE_SEIZE";
    case 0x4207: return "PTRACE_INTERRUPT";
    default: return fmt::format("PTRACE_{}", r);
    }
}

std::string bpf_cmd_name(std::uint64_t c) {
    static constexpr const char* names[] = {
        "BPF_MAP_CREATE", "BPF_MAP_LOOKUP_ELEM", "BPF_MAP_UPDATE_ELEM", "BPF_MAP_DELETE_ELEM",
        "BPF_MAP_GET_NEXT_KEY", "BPF_PROG_LOAD", "BPF_OBJ_PIN", "BPF_OBJ_GET", "BPF_PROG_ATTACH",
        "BPF_PROG_DETACH", "BPF_PROG_TEST_RUN", "BPF_PROG_GET_NEXT_ID", "BPF_MAP_GET_NEXT_ID",
        "BPF_PROG_GET_FD_BY_ID", "BPF_MAP_GET_FD_BY_ID", "BPF_OBJ_GET_INFO_BY_FD", "BPF_PROG_QUERY",
        "BPF_RAW_TRACEPOINT_OPEN", "BPF_BTF_LOAD", "BPF_BTF_GET_FD_BY_ID", "BPF_TASK_FD_QUERY",
        "BPF_MAP_LOOKUP_AND_DELETE_ELEM", "BPF_MAP_FREEZE", "BPF_BTF_GET_NEXT_ID",
        "BPF_MAP_LOOKUP_BATCH", "BPF_MAP_LOOKUP_AND_DELETE_BATCH", "BPF_MAP_UPDATE_BATCH",
        "BPF_MAP_DELETE_BATCH", "BPF_LINK_CREATE", "BPF_LINK_UPDATE", "BPF_LINK_GET_FD_BY_ID",
        "BPF_LINK_GET_NEXT_ID", "BPF_ENABLE_STATS", "BPF_ITER_CREATE", "BPF_LINK_DETACH",
        "BPF_PROG_BIND_MAP", "BPF_TOKEN_CREATE"};
    if (c < std::size(names))
        return names[c];
    return fmt::format("BPF_{}", c);
}

std::string keyctl_name(std::uint64_t c) {
    switch (c) {
    case 0: return "KEYCTL_GET_KEYRING_ID";
    case 1: return "KEYCTL_JOIN_SESSION_KEYRING";
    case 2: return "KEYCTL_UPDATE";
    case 3: return "KEYCTL_REVOKE";
    case 6: return "KEYCTL_SETPERM";
    case 8: return "KEYCTL_CLEAR";
    case 9: return "KEYCTL_LINK";
    case 11: return "KEYCTL_READ";
    case 10: return "KEYCTL_SEARCH";
    case 14: return "KEYCTL_SET_TIMEOUT";
    default: return fmt::format("KEYCTL_{}", c);
    }
}

// Integer-typed arguments that the kernel reads as int (negative values matter).
bool is_int_arg(std::string_view n) {
    return n == "fd" || n == "target_pid" || n == "cpu" || n == "group_fd" || n == "mount_fd" ||
           n == "kernel_fd" || n == "initrd_fd" || n == "fs_fd" || n == "pidfd" || n == "target_tid" ||
           n == "fanotify_fd" || n == "keyring" || n == "arg2" || n == "owner" || n == "group" || n == "prio" ||
           n == "who" || n == "targetfd";
}

void write_ret(decoder& d, json_line& line, std::int64_t ret) {
    if (ret == ret_unknown)
        line.null("ret");
    else
        d.ret(line, ret);
}

std::string via_suffix(const gb_event_header& h) {
    if (h.via == GB_VIA_IO_URING)
        return " [io_uring]";
    if (h.via == GB_VIA_ABI32)
        return " [int 0x80]";
    return {};
}

void sys_body(decoder& d, const decode_input& in, json_line& line, std::string& human) {
    gb_sys_event ev;
    std::memcpy(&ev, in.rec.data(), sizeof(ev));
    const gb_event_kind kind = static_cast<gb_event_kind>(in.hdr.kind);
    const syscall_spec* spec = ev.syscall < GB_SYS_NR_MAX ? find_syscall_spec(ev.syscall) : nullptr;
    std::string_view type = event_kind_name(kind);

    if (kind == GB_EV_ABI32 || !spec) {
        // Entered through int 0x80 and not decoded further: the number, its name when known,
        // the raw arguments, and the first string argument when the table knows one.
        line.unum("nr", ev.raw_nr);
        if (ev.syscall < GB_SYS_NR_MAX)
            line.str("syscall", syscall_name(ev.syscall));
        std::string args = "[";
        for (int i = 0; i < 6; ++i)
            args += fmt::format("{}{}", i ? "," : "", ev.args[i]);
        line.raw("args", args + "]");
        if (auto s = record_string(in, ev.str[0]))
            line.str("raw_path", *s);
        else if (spec)
            for (int i = 0; i < GB_SYS_STRS; ++i) // a table-known call whose kind was not decoded
                if (auto t = record_string(in, ev.str[i]); t && spec->strs[i])
                    line.str(spec->strs[i][0] == '@' ? spec->strs[i] + 1 : spec->strs[i], *t);
        write_ret(d, line, ev.ret);
        human = fmt::format("abi32 syscall {} ({}) = {}", ev.raw_nr,
                            ev.syscall < GB_SYS_NR_MAX ? syscall_name(ev.syscall) : "?", ev.ret);
        return;
    }

    if (kind == GB_EV_PRIV)
        line.str("op", spec->name);
    std::string shown; // the main object, for the live view
    bool wrote_path = false;
    for (int i = 0; i < GB_SYS_STRS; ++i) {
        const char* name = spec->strs[i];
        if (!name)
            continue;
        auto raw = record_string(in, ev.str[i]);
        if (name[0] == '@') {
            std::string field = name + 1;
            resolved r = i < 2 ? resolve_arg(in, ev.dir[i], raw) : resolved{};
            if (!raw && !(ev.dir[i].flags & GB_STR_PRESENT))
                r.path.reset();
            line.str_or_null(field, r.path);
            if (r.truncated)
                line.boolean(field + "_truncated", true);
            line.str_or_null(field == "path" ? "raw_path" : "raw_" + field, raw);
            if (field == "path")
                wrote_path = true;
            if (shown.empty() && r.path)
                shown = *r.path;
            else if (r.path && (field == "new_path" || field == "target"))
                shown += " -> " + *r.path;
        } else {
            line.str_or_null(name, raw);
            if (kind == GB_EV_SYMLINK && std::string_view(name) == "old_path") {
                line.str_or_null("raw_old_path", raw);
                shown = raw.value_or("?");
            } else if (shown.empty() && raw) {
                shown = *raw;
            }
        }
    }
    if (spec->fd && !wrote_path) {
        std::string p = d.path_field(line, "path", in, ev.fd_path);
        if (!p.empty())
            shown = shown.empty() ? p : p + " " + shown;
    }

    for (int i = 0; i < 6; ++i) {
        const char* name = spec->ints[i];
        if (!name)
            continue;
        std::string_view n = name;
        std::uint64_t v = ev.args[i];
        if (kind == GB_EV_PRCTL && spec->nr == 157 && i == 0)
            continue; // written as `option` below
        if (n == "request")
            line.str("request", ptrace_name(v));
        else if (spec->nr == 321 && n == "cmd")
            line.str("cmd", bpf_cmd_name(v));
        else if (spec->nr == 250 && n == "cmd")
            line.str("cmd", keyctl_name(v));
        else if (is_int_arg(n))
            line.num(n, static_cast<std::int32_t>(v));
        else
            line.unum(n, v);
        if (n == "sig")
            line.str("signal_name", signal_name(static_cast<int>(v)));
    }

    std::vector<std::uint8_t> bytes;
    if (auto b = record_string(in, ev.bytes))
        bytes.assign(b->begin(), b->end());

    switch (kind) {
    case GB_EV_CRED: {
        std::string args = "[";
        for (int i = 0; i < spec->nargs; ++i)
            args += fmt::format("{}{}", i ? "," : "", static_cast<std::int32_t>(ev.args[i]));
        line.raw("args", args + "]");
        if (spec->nr == 126 && bytes.size() >= 24) { // capset: two __user_cap_data_struct
            std::uint32_t w[6];
            std::memcpy(w, bytes.data(), sizeof(w));
            line.unum("effective", w[0] | (std::uint64_t(w[3]) << 32));
            line.unum("permitted", w[1] | (std::uint64_t(w[4]) << 32));
            line.unum("inheritable", w[2] | (std::uint64_t(w[5]) << 32));
        }
        if (spec->nr == 116) { // setgroups: the first 16 groups
            std::string groups = "[";
            std::size_t n = std::min<std::size_t>(ev.args[0], bytes.size() / 4);
            for (std::size_t i = 0; i < n; ++i) {
                std::uint32_t g;
                std::memcpy(&g, bytes.data() + 4 * i, 4);
                groups += fmt::format("{}{}", i ? "," : "", g);
            }
            line.raw("groups", groups + "]");
        }
        shown = fmt::format("{}({})", spec->name, spec->nargs ? std::to_string(static_cast<std::int32_t>(ev.args[0])) : "");
        break;
    }
    case GB_EV_PRCTL:
        if (spec->nr == 157) {
            line.str("option", prctl_name(ev.args[0]));
            shown = prctl_name(ev.args[0]) + fmt::format(" {}", ev.args[1]);
        } else {
            line.str("option", "seccomp");
            shown = fmt::format("seccomp op {}", ev.args[0]);
        }
        break;
    case GB_EV_SIGNAL:
    case GB_EV_PRIV:
        // setpriority / ioprio_set by process group or user: `who` is not a pid (bpf/record/syscalls.h,
        // gb_who_is_pid), so there is no target process to name.
        if (spec->pid && !((spec->nr == 141 && ev.args[0] != 0) || (spec->nr == 251 && ev.args[0] != 1))) {
            // Signed: kill(-1) and kill(-PGID) keep their target as given.
            line.num("target_pid", static_cast<std::int32_t>(ev.target_pid));
            std::optional<std::string> exe;
            if (ev.target_exe.flags & GB_STR_PRESENT) {
                exe = d.path_field(line, "target_exe", in, ev.target_exe);
            } else if (ev.target_exe.flags & GB_STR_LATE) {
                // A kernel without bpf_task_from_pid cannot name the target in BPF: /proc names it
                // now, a few ms later (the pid may have been reused meanwhile: said as such).
                char buf[4096];
                std::string link = fmt::format("/proc/{}/exe", ev.target_pid);
                auto known = d.known_exe(ev.target_pid); // gone by now: glassbox, to its watchdog
                ssize_t n = known || ev.target_pid <= 0 ? -1 : ::readlink(link.c_str(), buf, sizeof(buf));
                if (known) {
                    exe = std::move(known);
                    line.str("target_exe", *exe);
                } else if (n > 0) {
                    exe = std::string(buf, static_cast<std::size_t>(n));
                    line.str("target_exe", *exe);
                } else {
                    line.null("target_exe");
                }
                line.str("target_exe_source", "proc");
            } else if (auto known = d.known_exe(ev.target_pid)) {
                // glassbox itself, gone before the call ended (a kill): its watchdog knows it.
                exe = std::move(known);
                line.str("target_exe", *exe);
                line.str("target_exe_source", "watchdog");
            } else {
                line.null("target_exe");
            }
            shown += fmt::format("pid {} ({})", ev.target_pid, exe.value_or("?"));
            if (ev.flags & GB_SYS_TARGET_GONE)
                line.boolean("target_gone", true);
            if (ev.flags & GB_SYS_TARGET_NS)
                line.str("target_pid_ns", "caller"); // the caller's pid namespace's number
        }
        if (spec->nr == 298 && bytes.size() >= 16) { // perf_event_attr: type, size, config
            std::uint32_t t;
            std::uint64_t cfg;
            std::memcpy(&t, bytes.data(), 4);
            std::memcpy(&cfg, bytes.data() + 8, 8);
            line.unum("attr_type", t).unum("attr_config", cfg);
        }
        if (spec->nr == 425 && bytes.size() >= 12) { // io_uring_params.flags (SQPOLL...)
            std::uint32_t f;
            std::memcpy(&f, bytes.data() + 8, 4);
            line.unum("flags", f);
        }
        break;
    case GB_EV_SOCKET: {
        std::uint64_t fam = ev.args[0];
        line.str("family", family_name(fam)).str("sock_type", sock_type_name(ev.args[1]));
        line.unum("protocol", ev.args[2]);
        if (fam == AF_NETLINK)
            if (const char* n = netlink_name(ev.args[2]))
                line.str("protocol_name", n);
        if (spec->nr == 53 && bytes.size() >= 8 && ev.ret == 0) {
            std::int32_t fds[2];
            std::memcpy(fds, bytes.data(), 8);
            line.raw("fds", fmt::format("[{},{}]", fds[0], fds[1]));
        }
        shown = fmt::format("{} {} {}", family_name(fam), sock_type_name(ev.args[1]), ev.args[2]);
        break;
    }
    default:
        break;
    }
    write_ret(d, line, ev.ret);
    line.str("syscall", spec->name);
    if (!d.human_wanted())
        return;
    std::string op = kind == GB_EV_PRIV ? std::string(spec->name) : std::string(type);
    human = fmt::format("{} {}{}", op, shown, via_suffix(in.hdr));
    if (ev.ret == ret_unknown)
        human += " = ?";
    else if (ev.ret < 0)
        human += fmt::format(" = {}", errno_name(-ev.ret));
}

void close_body(decoder& d, const decode_input& in, json_line& line, std::string& human) {
    gb_close_event ev;
    std::memcpy(&ev, in.rec.data(), sizeof(ev));
    std::string p = d.path_field(line, "path", in, ev.path);
    line.num("fd", ev.fd);
    line.unum("bytes_read", ev.bytes_read).unum("bytes_written", ev.bytes_written);
    line.unum("reads", ev.reads).unum("writes", ev.writes);
    if (ev.flags & GB_CLOSE_AT_EXIT)
        line.boolean("at_exit", true);
    if (ev.flags & GB_CLOSE_IMPLICIT)
        line.boolean("reused", true);
    if (ev.flags & GB_CLOSE_RANGE)
        line.str("closed_by", "close_range");
    else if (ev.flags & GB_CLOSE_EXEC)
        line.str("closed_by", "exec");
    if (d.human_wanted())
        human = fmt::format("close {} (fd {}): read {} B in {}, wrote {} B in {}", p.empty() ? "?" : p, ev.fd,
                        ev.bytes_read, ev.reads, ev.bytes_written, ev.writes);
}

void dns_body(decoder& d, const decode_input& in, json_line& line, std::string& human) {
    gb_dns_event ev;
    std::memcpy(&ev, in.rec.data(), sizeof(ev));
    std::string payload = record_string(in, ev.payload).value_or("");
    std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
    bool tcp = ev.sock_type == SOCK_STREAM;
    auto q = parse_dns_query(bytes, tcp ? dns_transport::tcp : dns_transport::udp);
    if (!q && tcp) // the length prefix went out in an earlier write: this segment is the message
        q = parse_dns_query(bytes, dns_transport::udp);
    char addr[INET6_ADDRSTRLEN] = {};
    inet_ntop(ev.family == AF_INET6 ? AF_INET6 : AF_INET, ev.addr, addr, sizeof(addr));
    if (q) {
        line.str("name", q->questions[0].name).str("qtype", dns_qtype_name(q->questions[0].qtype));
        if (q->questions.size() > 1) {
            std::string all = "[";
            for (std::size_t i = 0; i < q->questions.size(); ++i) {
                json_line one;
                one.str("name", q->questions[i].name).str("qtype", dns_qtype_name(q->questions[i].qtype));
                all += (i ? "," : "") + one.finish();
            }
            line.raw("questions", all + "]");
        }
        if (q->truncated)
            line.boolean("questions_truncated", true);
        human = fmt::format("dns {} {} -> {}:{}", dns_qtype_name(q->questions[0].qtype), q->questions[0].name,
                            addr, ev.port);
    } else {
        // Sent to port 53 but not a readable query: say so, with the bytes, rather than drop it.
        line.null("name").null("qtype").str("parse_error", q.error());
        line.str("payload_hex", to_hex(std::string_view(payload).substr(0, 64)));
        human = fmt::format("dns (unparsable: {}) -> {}:{}", q.error(), addr, ev.port);
    }
    line.str("server", addr).unum("server_port", ev.port);
    line.str("transport", tcp ? "tcp" : "udp");
    line.str("family", family_name(ev.family));
    line.num("fd", ev.fd);
    if (ev.index)
        line.unum("message_index", ev.index);
    write_ret(d, line, ev.ret);
    std::string sc;
    if (in.hdr.via == GB_VIA_IO_URING)
        sc = ev.syscall == 9 ? "IORING_OP_SENDMSG" : ev.syscall == 26 ? "IORING_OP_SEND"
           : ev.syscall == 47 ? "IORING_OP_SEND_ZC" : fmt::format("IORING_OP_{}", ev.syscall);
    else
        sc = ev.syscall == 1 ? "write" : ev.syscall == 20 ? "writev" : syscall_name(ev.syscall);
    line.str("syscall", sc);
    human += via_suffix(in.hdr);
}

} // namespace

void add_coverage_kinds(kind_table& t) {
    for (auto k : {GB_EV_MEMFD_CREATE, GB_EV_CRED, GB_EV_PRCTL, GB_EV_SIGNAL, GB_EV_UNLINK, GB_EV_RMDIR,
                   GB_EV_MKDIR, GB_EV_MKNOD, GB_EV_CHMOD, GB_EV_CHOWN, GB_EV_TRUNCATE, GB_EV_UTIMES,
                   GB_EV_SETXATTR, GB_EV_REMOVEXATTR, GB_EV_RENAME, GB_EV_LINK, GB_EV_SYMLINK,
                   GB_EV_MMAP_EXEC, GB_EV_INOTIFY, GB_EV_SOCKET, GB_EV_PRIV, GB_EV_ABI32})
        t[k] = {sizeof(gb_sys_event), nullptr, sys_body};
    t[GB_EV_CLOSE] = {sizeof(gb_close_event), nullptr, close_body};
    t[GB_EV_DNS] = {sizeof(gb_dns_event), nullptr, dns_body};
}

} // namespace glassbox::record
