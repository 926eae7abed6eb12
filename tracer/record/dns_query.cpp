// DNS query parsing for `dns` events (see dns_query.hpp). The input is attacker-controlled bytes
// copied by the BPF side from a send to port 53; nothing here trusts a length or a pointer.
#include "record/dns_query.hpp"

#include <array>
#include <fmt/format.h>

namespace glassbox::record {
namespace {

constexpr std::size_t header_size = 12;
constexpr std::size_t max_name_wire = 255; // RFC 1035 2.3.4
constexpr int max_pointer_jumps = 32;      // more than any honest name needs; stops loops

std::uint16_t be16(std::span<const std::uint8_t> p, std::size_t at) {
    return static_cast<std::uint16_t>((p[at] << 8) | p[at + 1]);
}

void append_label(std::string& out, std::span<const std::uint8_t> label) {
    for (std::uint8_t c : label) {
        if (c == '.' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c > 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("\\{:03d}", c);
        }
    }
}

// Reads the name at `pos`; on success `pos` is just past the name as it sits at that position
// (after the first pointer, when compressed).
std::expected<std::string, std::string> read_name(std::span<const std::uint8_t> msg,
                                                  std::size_t& pos) {
    std::string name;
    std::size_t at = pos;
    std::size_t wire = 0;
    int jumps = 0;
    bool jumped = false;
    for (;;) {
        if (at >= msg.size())
            return std::unexpected("name runs past the end of the capture");
        std::uint8_t len = msg[at];
        if ((len & 0xc0) == 0xc0) {
            if (at + 1 >= msg.size())
                return std::unexpected("compression pointer cut by the end of the capture");
            std::size_t target = static_cast<std::size_t>(((len & 0x3f) << 8) | msg[at + 1]);
            if (!jumped)
                pos = at + 2;
            jumped = true;
            if (++jumps > max_pointer_jumps)
                return std::unexpected("compression pointers loop");
            if (target >= msg.size())
                return std::unexpected("compression pointer outside the message");
            at = target;
            continue;
        }
        if ((len & 0xc0) != 0)
            return std::unexpected("reserved label type");
        wire += 1u + len;
        if (wire > max_name_wire)
            return std::unexpected("name longer than 255 bytes");
        if (len == 0) {
            if (!jumped)
                pos = at + 1;
            if (name.empty())
                name.assign(1, '.');
            return name;
        }
        if (at + 1 + len > msg.size())
            return std::unexpected("label runs past the end of the capture");
        if (!name.empty())
            name += '.';
        append_label(name, msg.subspan(at + 1, len));
        at += 1u + len;
    }
}

} // namespace

std::expected<dns_query, std::string> parse_dns_query(std::span<const std::uint8_t> payload,
                                                      dns_transport transport) {
    std::span<const std::uint8_t> msg = payload;
    if (transport == dns_transport::tcp) {
        if (payload.size() < 2)
            return std::unexpected("shorter than the TCP length prefix");
        std::size_t declared = be16(payload, 0);
        msg = payload.subspan(2);
        // The capture may be shorter than the message (bounded copy); never read past either.
        if (declared < msg.size())
            msg = msg.first(declared);
    }
    if (msg.size() < header_size)
        return std::unexpected("shorter than a DNS header");
    dns_query q;
    q.id = be16(msg, 0);
    std::uint8_t flags_hi = msg[2];
    if (flags_hi & 0x80)
        return std::unexpected("a response (QR=1), not a query");
    q.opcode = static_cast<std::uint8_t>((flags_hi >> 3) & 0x0f);
    std::uint16_t qdcount = be16(msg, 4);
    if (qdcount == 0)
        return std::unexpected("no question");
    std::size_t pos = header_size;
    for (std::uint16_t i = 0; i < qdcount; ++i) {
        std::size_t at = pos;
        auto name = read_name(msg, at);
        if (!name || at + 4 > msg.size()) {
            if (q.questions.empty())
                return std::unexpected(name ? std::string("question cut before its type")
                                            : name.error());
            q.truncated = true;
            break;
        }
        q.questions.push_back({std::move(*name), be16(msg, at), be16(msg, at + 2)});
        pos = at + 4;
    }
    return q;
}

std::string dns_qtype_name(std::uint16_t qtype) {
    struct entry {
        std::uint16_t type;
        const char* name;
    };
    static constexpr std::array<entry, 22> names{{
        {1, "A"},      {2, "NS"},      {5, "CNAME"},   {6, "SOA"},     {12, "PTR"},
        {13, "HINFO"}, {15, "MX"},     {16, "TXT"},    {28, "AAAA"},   {29, "LOC"},
        {33, "SRV"},   {35, "NAPTR"},  {39, "DNAME"},  {41, "OPT"},    {43, "DS"},
        {46, "RRSIG"}, {48, "DNSKEY"}, {52, "TLSA"},   {64, "SVCB"},   {65, "HTTPS"},
        {255, "ANY"},  {257, "CAA"},
    }};
    for (const auto& e : names)
        if (e.type == qtype)
            return e.name;
    return fmt::format("TYPE{}", qtype);
}

} // namespace glassbox::record
