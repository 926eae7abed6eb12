// DNS query parsing for `dns` events. The BPF side copies the first bytes a traced process sends
// to port 53 (UDP datagram, or TCP stream with its 2-byte length prefix); the recorder's decoder
// calls parse_dns_query() on that payload to name what was asked. Pure code, no kernel access:
// the payload is written by a possibly hostile program, so every length and pointer is checked.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::record {

struct dns_question {
    std::string name;   // presentation form, ASCII only: "www.example.com" ("." for the root);
                        // '.' and '\' inside a label are written "\." and "\\", other bytes
                        // outside 0x21..0x7e as "\DDD" (RFC 1035 section 5.1), so it is lossless
    std::uint16_t qtype = 0;
    std::uint16_t qclass = 0;
};

struct dns_query {
    std::uint16_t id = 0;
    std::uint8_t opcode = 0;
    std::vector<dns_question> questions; // in packet order; at least one on success
    bool truncated = false;              // the capture ended before all QDCOUNT questions
};

enum class dns_transport { udp, tcp };

// Parses the DNS message a program sent. For tcp the payload starts with the 2-byte length prefix
// (RFC 1035 4.2.2); a payload that is only the prefix (sent by a separate write) is an error, and
// the caller may retry on the next segment without the prefix (parse as udp).
// Errors (std::unexpected with a short reason): too short, a response (QR=1), no question,
// malformed or looping names. A capture cut inside the 2nd+ question returns the complete
// questions with `truncated` set.
std::expected<dns_query, std::string> parse_dns_query(std::span<const std::uint8_t> payload,
                                                      dns_transport transport);

// "A", "AAAA", "MX", ... or "TYPE<N>" (RFC 3597) for types without a mnemonic here.
std::string dns_qtype_name(std::uint16_t qtype);

} // namespace glassbox::record
