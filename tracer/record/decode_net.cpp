// Decoding of the network family recorded by bpf/record/net.h (connect, bind, listen, accept,
// unconnected sendto/sendmsg/sendmmsg destinations and recvfrom/recvmsg/recvmmsg sources with
// their per-address counts, unix peers' processes) into trace lines with family, socket type and
// address.
// Part of the decoder table (decode.hpp).
#include "record/decode.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <cstdint>
#include <cstring>
#include <sys/socket.h>

namespace glassbox::record {

namespace {

std::string family_name(unsigned f) {
    switch (f) {
    case AF_INET: return "inet";
    case AF_INET6: return "inet6";
    case AF_UNIX: return "unix";
    case AF_NETLINK: return "netlink";
    case AF_PACKET: return "packet";
    default: return fmt::format("af_{}", f);
    }
}

std::string sock_type_name(unsigned t) {
    switch (t) {
    case SOCK_STREAM: return "stream";
    case SOCK_DGRAM: return "dgram";
    case SOCK_RAW: return "raw";
    case SOCK_SEQPACKET: return "seqpacket";
    default: return fmt::format("type_{}", t);
    }
}

constexpr std::int64_t ret_unknown = INT64_MIN; // GB_RET_UNKNOWN: a total, not one call

std::string net_syscall_name(std::uint32_t nr) {
    switch (nr) { // the receive calls are named only here
    case 45: return "recvfrom";
    case 47: return "recvmsg";
    case 299: return "recvmmsg";
    default: return syscall_name(nr);
    }
}

void net_body(decoder& d, const decode_input& in, json_line& line, std::string& human) {
    gb_net_event ev;
    std::memcpy(&ev, in.rec.data(), sizeof(ev));
    line.str("family", family_name(ev.family)).str("sock_type", sock_type_name(ev.sock_type));
    std::string where;
    if (ev.flags & GB_NET_HAVE_ADDR) {
        if (ev.family == AF_INET || ev.family == AF_INET6) {
            char text[INET6_ADDRSTRLEN] = {};
            inet_ntop(ev.family, ev.addr, text, sizeof(text));
            line.str("addr", text).unum("port", ev.port);
            where = ev.family == AF_INET6 ? fmt::format("[{}]:{}", text, ev.port)
                                          : fmt::format("{}:{}", text, ev.port);
        } else if (ev.family == AF_UNIX) {
            if (ev.flags & GB_NET_UNNAMED) {
                line.boolean("unnamed", true);
                where = "(unnamed)";
            } else if (ev.flags & GB_NET_ABSTRACT) {
                auto name = record_string(in, ev.path).value_or("");
                line.str("abstract", name);
                where = "@" + name;
            } else if (ev.flags & GB_NET_PATH_RESOLVED) {
                where = d.path_field(line, "path", in, ev.path);
            } else {
                where = record_string(in, ev.path).value_or("");
                line.str("path", where);
            }
        }
    }
    if (in.hdr.kind == GB_EV_LISTEN)
        line.num("backlog", ev.backlog);
    line.num("fd", ev.fd);
    bool total = (ev.flags & GB_NET_TOTAL) != 0;
    if (total)
        line.null("ret");
    else
        d.ret(line, ev.ret);
    line.str("syscall", net_syscall_name(ev.syscall));
    bool datagram = in.hdr.kind == GB_EV_SENDTO || in.hdr.kind == GB_EV_RECVFROM;
    if (datagram) {
        line.unum("count", ev.count);
        if (total)
            line.boolean("total", true);
        if (ev.flags & GB_NET_UNCOUNTED)
            line.boolean("uncounted", true);
        if (!total && (ev.syscall == 299 || ev.syscall == 307))
            line.unum("message_index", ev.index);
    }
    std::string peer;
    if (ev.peer_pid) {
        line.unum("peer_pid", ev.peer_pid);
        peer = d.path_field(line, "peer_exe", in, ev.peer_exe);
    }
    std::string_view type = event_kind_name(static_cast<gb_event_kind>(in.hdr.kind));
    if (!d.human_wanted())
        return;
    human = fmt::format("{} {} {}", type, family_name(ev.family), where);
    if (ev.peer_pid)
        human += fmt::format(" (peer {} {})", ev.peer_pid, peer.empty() ? "?" : peer);
    if (total)
        human += fmt::format(" x{} in all", ev.count);
    else if (ev.ret < 0)
        human += fmt::format(" = {}", errno_name(-ev.ret));
}

} // namespace

void add_net_kinds(kind_table& t) {
    for (auto k : {GB_EV_CONNECT, GB_EV_BIND, GB_EV_LISTEN, GB_EV_ACCEPT, GB_EV_SENDTO, GB_EV_RECVFROM})
        t[k] = {sizeof(gb_net_event), nullptr, net_body};
}

} // namespace glassbox::record
