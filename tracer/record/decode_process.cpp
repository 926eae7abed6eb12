// Decoding of the process family (exec, fork, exit) into trace lines, and the process table
// updates these records imply (an exec changes the process's exe; a fork copies it; the end of a
// process forgets it). Part of the decoder table (decode.hpp).
#include "record/decode.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include <cstring>
#include <vector>

namespace glassbox::record {

namespace {

template <typename T>
T load(const decode_input& in) {
    T v;
    std::memcpy(&v, in.rec.data(), sizeof(T));
    return v;
}

std::vector<std::string> split_argv(const std::string& bytes) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < bytes.size()) {
        std::size_t nul = bytes.find('\0', start);
        if (nul == std::string::npos) {
            out.push_back(bytes.substr(start)); // cut by the bound: the last element is partial
            break;
        }
        out.push_back(bytes.substr(start, nul - start));
        start = nul + 1;
    }
    return out;
}

// The script path as the kernel opened it, made absolute against the (resolved) cwd.
std::string absolute_against(const std::string& name, const std::string& cwd) {
    if (name.empty() || name[0] == '/' || cwd.empty())
        return name;
    std::string rel = name;
    while (rel.starts_with("./"))
        rel.erase(0, 2);
    return cwd == "/" ? "/" + rel : cwd + "/" + rel;
}

std::optional<std::string> resolved_text(const decode_input& in, const gb_str& s) {
    auto b = record_string(in, s);
    if (!b)
        return std::nullopt;
    std::string t = (s.flags & GB_STR_TRUNCATED) ? "..." + *b : *b;
    if (s.flags & GB_STR_DELETED)
        t += " (deleted)";
    return t;
}

void exec_prepare(decoder& d, const decode_input& in) {
    auto ev = load<gb_exec_event>(in);
    if (ev.ret != 0)
        return;
    // The new program is what mm->exe_file now points to: the interpreter for a script.
    const gb_str& exe = (ev.flags & GB_EXEC_SCRIPT) ? ev.interpreter : ev.path;
    d.set_exe(in.hdr.pid, resolved_text(in, exe));
}

void exec_body(decoder& d, const decode_input& in, json_line& line, std::string& human) {
    auto ev = load<gb_exec_event>(in);
    std::string path;
    std::string cwd = resolved_text(in, ev.cwd).value_or("");
    if (ev.ret < 0) {
        line.null("path");
    } else if (ev.flags & GB_EXEC_SCRIPT) {
        auto script = record_string(in, ev.path);
        if (script) {
            // The kernel has released the script's file by the time the exec tracepoint fires,
            // so only its name is known there: resolve symlinks here, as the kernel did when it
            // opened it, so that a script reached through a link is named as binaries are (the
            // file that ran). The name as given stays in raw_path; `path_from` says who resolved.
            path = absolute_against(*script, cwd);
            if (char* real = ::realpath(path.c_str(), nullptr)) {
                if (path != real) {
                    path = real;
                    line.str("path", path);
                    line.str("path_from", "user space (symlinks resolved after the exec)");
                } else {
                    line.str("path", path);
                }
                std::free(real);
            } else {
                line.str("path", path);
            }
        } else {
            line.null("path");
        }
        d.path_field(line, "interpreter", in, ev.interpreter);
    } else {
        path = d.path_field(line, "path", in, ev.path);
    }
    auto raw = record_string(in, ev.raw_path);
    line.str_or_null("raw_path", raw);
    std::vector<std::string> argv;
    if (auto bytes = record_string(in, ev.argv))
        argv = split_argv(*bytes);
    line.str_array("argv", argv);
    bool argv_truncated = (ev.argv.flags & GB_STR_TRUNCATED) != 0;
    line.boolean("argv_truncated", argv_truncated);
    if (argv_truncated)
        d.count_truncated_argv();
    d.path_field(line, "cwd", in, ev.cwd);
    d.ret(line, ev.ret);
    // What was run matters more than how it was named: a memfd run through fexecve (execveat
    // of its descriptor) is "memfd", an unlinked file run through its descriptor is "deleted";
    // "fd" is left for a file that still has its name.
    if ((ev.path.flags & GB_STR_RELATIVE) && path.starts_with("memfd:"))
        line.str("fileless", "memfd");
    else if (ev.path.flags & GB_STR_DELETED)
        line.str("fileless", "deleted");
    else if (ev.flags & GB_EXEC_FILELESS_FD)
        line.str("fileless", "fd");
    line.str("syscall", syscall_name(ev.syscall));
    std::string shown = path.empty() ? raw.value_or("?") : path;
    human = fmt::format("exec {}", shown);
    for (std::size_t i = 1; i < argv.size() && i < 8; ++i)
        human += " " + argv[i];
    if (argv.size() > 8)
        human += " ...";
    if (ev.ret < 0)
        human += fmt::format(" = {}", errno_name(-ev.ret));
}

void fork_body(decoder& d, const decode_input& in, json_line& line, std::string& human) {
    auto ev = load<gb_fork_event>(in);
    bool thread = (ev.flags & GB_FORK_THREAD) != 0;
    line.unum("child_pid", ev.child_pid).unum("child_tid", ev.child_tid).boolean("thread", thread);
    if (ev.syscall >= 0)
        line.str("syscall", syscall_name(ev.syscall));
    if (!thread)
        d.set_exe(ev.child_pid, d.exe_of(in.hdr.pid));
    human = thread ? fmt::format("thread {}", ev.child_tid) : fmt::format("fork {}", ev.child_pid);
}

void exit_body(decoder& d, const decode_input& in, json_line& line, std::string& human) {
    auto ev = load<gb_exit_event>(in);
    int sig = static_cast<int>(ev.exit_code & 0x7f);
    if (sig) {
        line.num("signal", sig).str("signal_name", signal_name(sig));
        line.boolean("core_dumped", (ev.exit_code & 0x80) != 0);
        human = fmt::format("exit by {}", signal_name(sig));
    } else {
        int code = static_cast<int>((ev.exit_code >> 8) & 0xff);
        line.num("exit_code", code);
        human = fmt::format("exit {}", code);
    }
    bool group_dead = (ev.flags & GB_EXIT_GROUP_DEAD) != 0;
    line.boolean("thread", !group_dead);
    if (!group_dead)
        human = "thread " + human;
    else
        d.forget(in.hdr.pid);
}

} // namespace

void add_process_kinds(kind_table& t) {
    t[GB_EV_EXEC] = {sizeof(gb_exec_event), exec_prepare, exec_body};
    t[GB_EV_FORK] = {sizeof(gb_fork_event), nullptr, fork_body};
    t[GB_EV_EXIT] = {sizeof(gb_exit_event), nullptr, exit_body};
}

} // namespace glassbox::record
