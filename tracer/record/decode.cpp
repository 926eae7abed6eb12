// The decoder's frame (see decode.hpp): validates a record's header, writes the common fields,
// dispatches to the kind's function from the table, and holds the process table and the names of
// errnos, syscalls and signals. Kind-specific code lives in decode_<family>.cpp.
#include "record/decode.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

namespace glassbox::record {

const kind_table& kinds() {
    static const kind_table table = [] {
        kind_table t{};
        add_process_kinds(t);
        add_file_kinds(t);
        add_net_kinds(t);
        add_coverage_kinds(t);
        return t;
    }();
    return table;
}

std::optional<std::string> record_string(const decode_input& in, const gb_str& s) {
    if (!(s.flags & GB_STR_PRESENT) || (s.flags & GB_STR_FAULT))
        return std::nullopt;
    std::size_t begin = in.data_off + s.off;
    std::size_t end = begin + s.len;
    if (begin > in.rec.size() || end > in.rec.size())
        return std::nullopt;
    return std::string(reinterpret_cast<const char*>(in.rec.data()) + begin, s.len);
}

std::string decoder::path_field(json_line& line, std::string_view key, const decode_input& in,
                                const gb_str& s) {
    auto bytes = record_string(in, s);
    if (!bytes) {
        line.null(key);
        return {};
    }
    std::string text;
    if (s.flags & GB_STR_TRUNCATED) {
        text = "...";
        if (bytes->empty() || (*bytes)[0] != '/')
            text += '/';
    }
    text += *bytes;
    if (s.flags & GB_STR_DELETED)
        text += " (deleted)";
    line.str(key, text);
    if (s.flags & GB_STR_TRUNCATED) {
        line.boolean(fmt::format("{}_truncated", key), true);
        ++truncated_paths_;
    }
    return text;
}

const std::optional<std::string>& decoder::exe_of(std::uint32_t pid) {
    auto it = exe_.find(pid);
    if (it != exe_.end())
        return it->second;
    // First sight of a process whose exec we did not record (attach, or it entered the scope
    // through the cgroup): ask the kernel now. Null when it is already gone.
    std::optional<std::string> exe;
    char buf[PATH_MAX];
    std::string link = fmt::format("/proc/{}/exe", pid);
    ssize_t n = ::readlink(link.c_str(), buf, sizeof(buf));
    if (n > 0)
        exe = std::string(buf, static_cast<std::size_t>(n));
    return exe_.emplace(pid, std::move(exe)).first->second;
}

void decoder::common_fields(json_line& line, std::string_view type, std::int64_t ts,
                            std::uint32_t pid, std::uint32_t tid, std::uint32_t ppid,
                            std::uint32_t uid, std::uint32_t euid, std::string_view comm) {
    line.str("type", type).num("ts", ts);
    line.unum("pid", pid).unum("tid", tid).unum("ppid", ppid);
    line.unum("uid", uid).unum("euid", euid);
    line.str("comm", comm);
    line.str_or_null("exe", exe_of(pid));
}

result<decoder::decoded> decoder::decode(std::span<const std::uint8_t> rec, json_line& line,
                                         std::string& human) {
    if (rec.size() < sizeof(gb_event_header)) {
        ++malformed_;
        return std::unexpected(error{fmt::format("record of {} bytes is shorter than a header", rec.size())});
    }
    gb_event_header hdr;
    std::memcpy(&hdr, rec.data(), sizeof(hdr));
    if (hdr.size > rec.size() || hdr.size < sizeof(gb_event_header)) {
        ++malformed_;
        return std::unexpected(
            error{fmt::format("record size field {} does not match its {} bytes", hdr.size, rec.size())});
    }
    rec = rec.first(hdr.size);
    if (hdr.kind == GB_EV_NONE || hdr.kind >= GB_EV_MAX) {
        ++malformed_;
        return std::unexpected(error{fmt::format("record of unknown kind {}", hdr.kind)});
    }
    const kind_decoder& kd = kinds()[hdr.kind];
    std::string_view type = event_kind_name(static_cast<gb_event_kind>(hdr.kind));
    if (kd.body && rec.size() < kd.fixed_size) {
        ++malformed_;
        return std::unexpected(error{fmt::format("{} record of {} bytes, expected at least {}", type,
                                                 rec.size(), kd.fixed_size)});
    }
    decode_input in{rec, hdr, kd.fixed_size};
    std::int64_t ts = static_cast<std::int64_t>(hdr.ts) - start_ns_;
    last_ts_ = ts;
    std::size_t comm_len = strnlen(hdr.comm, GB_COMM_LEN);
    std::string_view comm(hdr.comm, comm_len);

    if (kd.prepare)
        kd.prepare(*this, in);
    common_fields(line, type, ts, hdr.pid, hdr.tid, hdr.ppid, hdr.uid, hdr.euid, comm);
    if (hdr.via == GB_VIA_IO_URING)
        line.str("via", "io_uring");
    else if (hdr.via == GB_VIA_ABI32)
        line.str("via", "abi32");
    human.clear();
    failed_ = false;
    if (kd.body)
        kd.body(*this, in, line, human);
    else
        human = "(no decoder for this kind)";
    line.finish();
    return decoded{type, failed_};
}

void decoder::ret(json_line& line, std::int64_t ret) {
    if (ret < 0)
        failed_ = true;
    ret_fields(line, ret);
}

void ret_fields(json_line& line, std::int64_t ret) {
    line.num("ret", ret);
    if (ret < 0)
        line.str("errno", errno_name(-ret));
}

std::string errno_name(std::int64_t err) {
    if (err > 0 && err < 4096) {
        if (const char* n = strerrorname_np(static_cast<int>(err)))
            return n;
    }
    return fmt::format("E{}", err);
}

std::string signal_name(int sig) {
    if (const char* n = sigabbrev_np(sig))
        return fmt::format("SIG{}", n);
    return fmt::format("SIG{}", sig);
}

std::string syscall_name(std::int64_t nr) {
    // x86-64 numbers of the syscalls the recorder and its extensions name in traces.
    struct entry {
        int nr;
        const char* name;
    };
    static constexpr entry table[] = {
        {0, "read"},       {1, "write"},       {2, "open"},          {3, "close"},
        {9, "mmap"},       {10, "mprotect"},   {41, "socket"},       {42, "connect"},
        {43, "accept"},    {44, "sendto"},     {46, "sendmsg"},      {49, "bind"},
        {50, "listen"},    {53, "socketpair"}, {56, "clone"},        {57, "fork"},
        {58, "vfork"},     {59, "execve"},     {60, "exit"},         {62, "kill"},
        {76, "truncate"},  {77, "ftruncate"},  {82, "rename"},       {83, "mkdir"},
        {84, "rmdir"},     {85, "creat"},      {86, "link"},         {87, "unlink"},
        {88, "symlink"},   {90, "chmod"},      {91, "fchmod"},       {92, "chown"},
        {93, "fchown"},    {94, "lchown"},     {101, "ptrace"},      {105, "setuid"},
        {106, "setgid"},   {113, "setreuid"},  {114, "setregid"},    {116, "setgroups"},
        {117, "setresuid"}, {119, "setresgid"}, {122, "setfsuid"},   {123, "setfsgid"},
        {126, "capset"},   {133, "mknod"},     {157, "prctl"},       {161, "chroot"},
        {165, "mount"},    {166, "umount2"},   {169, "reboot"},      {175, "init_module"},
        {176, "delete_module"}, {200, "tkill"}, {231, "exit_group"}, {234, "tgkill"},
        {257, "openat"},   {258, "mkdirat"},   {259, "mknodat"},     {260, "fchownat"},
        {263, "unlinkat"}, {264, "renameat"},  {265, "linkat"},      {266, "symlinkat"},
        {268, "fchmodat"}, {272, "unshare"},   {288, "accept4"},     {304, "open_by_handle_at"},
        {307, "sendmmsg"}, {308, "setns"},     {313, "finit_module"}, {316, "renameat2"},
        {317, "seccomp"},  {319, "memfd_create"}, {321, "bpf"},      {322, "execveat"},
        {424, "pidfd_send_signal"}, {425, "io_uring_setup"}, {426, "io_uring_enter"},
        {435, "clone3"},   {437, "openat2"},   {452, "fchmodat2"},
    };
    for (const auto& e : table)
        if (e.nr == nr)
            return e.name;
    return fmt::format("syscall_{}", nr);
}

} // namespace glassbox::record
