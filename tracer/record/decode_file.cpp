// Decoding of the file family recorded by bpf/record/file.h (open, openat, openat2, creat) into
// `open` trace lines. Part of the decoder table (decode.hpp).
#include "record/decode.hpp"

#include <fmt/format.h>

#include <cstring>
#include <fcntl.h>

namespace glassbox::record {

namespace {

const char* access_name(std::uint32_t flags) {
    if (flags & O_PATH)
        return "path";
    switch (flags & O_ACCMODE) {
    case O_RDONLY: return "read";
    case O_WRONLY: return "write";
    default: return "read-write";
    }
}

void open_body(decoder& d, const decode_input& in, json_line& line, std::string& human) {
    gb_open_event ev;
    std::memcpy(&ev, in.rec.data(), sizeof(ev));
    std::string path;
    if (ev.ret >= 0)
        path = d.path_field(line, "path", in, ev.path);
    else
        line.null("path");
    auto raw = record_string(in, ev.raw_path);
    line.str_or_null("raw_path", raw);
    bool create = (ev.flags & O_CREAT) != 0 || (ev.flags & O_TMPFILE) == O_TMPFILE;
    line.unum("flags", ev.flags).str("access", access_name(ev.flags));
    line.boolean("create", create).boolean("truncate", (ev.flags & O_TRUNC) != 0);
    if (create)
        line.unum("mode", ev.mode);
    d.ret(line, ev.ret);
    line.str("syscall", syscall_name(ev.syscall));
    if (ev.resolve)
        line.unum("resolve", ev.resolve);
    if (!d.human_wanted())
        return;
    std::string shown = path.empty() ? raw.value_or("?") : path;
    if (ev.ret < 0)
        human = fmt::format("open {} ({}) = {}", shown, access_name(ev.flags), errno_name(-ev.ret));
    else
        human = fmt::format("open {} ({}) = {}", shown, access_name(ev.flags), ev.ret);
}

} // namespace

void add_file_kinds(kind_table& t) { t[GB_EV_OPEN] = {sizeof(gb_open_event), nullptr, open_body}; }

} // namespace glassbox::record
