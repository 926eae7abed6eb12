// Unit tests for the DNS query parser behind `dns` events: real query layouts (as glibc and
// dig send them), TCP framing, compression, and the malformed packets a hostile program can send.
#include "record/dns_query.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

using glassbox::record::dns_qtype_name;
using glassbox::record::dns_transport;
using glassbox::record::parse_dns_query;

namespace {

using bytes = std::vector<std::uint8_t>;

bytes header(std::uint16_t id, std::uint16_t flags, std::uint16_t qd) {
    return {std::uint8_t(id >> 8), std::uint8_t(id), std::uint8_t(flags >> 8), std::uint8_t(flags),
            std::uint8_t(qd >> 8), std::uint8_t(qd), 0, 0, 0, 0, 0, 0};
}

void add_name(bytes& b, std::initializer_list<std::string> labels) {
    for (const auto& l : labels) {
        b.push_back(static_cast<std::uint8_t>(l.size()));
        b.insert(b.end(), l.begin(), l.end());
    }
    b.push_back(0);
}

void add_type_class(bytes& b, std::uint16_t type, std::uint16_t cls = 1) {
    b.push_back(std::uint8_t(type >> 8));
    b.push_back(std::uint8_t(type));
    b.push_back(std::uint8_t(cls >> 8));
    b.push_back(std::uint8_t(cls));
}

bytes simple_query(std::initializer_list<std::string> labels, std::uint16_t type) {
    bytes b = header(0x1234, 0x0100, 1); // RD set, as resolvers send
    add_name(b, labels);
    add_type_class(b, type);
    return b;
}

} // namespace

TEST_CASE("an A query over UDP gives its name, type and class", "[dns]") {
    auto q = parse_dns_query(simple_query({"phone", "home", "example"}, 1), dns_transport::udp);
    REQUIRE(q);
    CHECK(q->id == 0x1234);
    CHECK(q->opcode == 0);
    REQUIRE(q->questions.size() == 1);
    CHECK(q->questions[0].name == "phone.home.example");
    CHECK(q->questions[0].qtype == 1);
    CHECK(q->questions[0].qclass == 1);
    CHECK_FALSE(q->truncated);
}

TEST_CASE("a TCP query is read after its 2-byte length prefix", "[dns]") {
    bytes msg = simple_query({"update", "vendor", "test"}, 28);
    bytes framed{std::uint8_t(msg.size() >> 8), std::uint8_t(msg.size())};
    framed.insert(framed.end(), msg.begin(), msg.end());
    auto q = parse_dns_query(framed, dns_transport::tcp);
    REQUIRE(q);
    REQUIRE(q->questions.size() == 1);
    CHECK(q->questions[0].name == "update.vendor.test");
    CHECK(dns_qtype_name(q->questions[0].qtype) == "AAAA");

    SECTION("bytes after the declared length are not part of the message") {
        framed[1] = 5; // declares 5 bytes: shorter than a header
        CHECK_FALSE(parse_dns_query(framed, dns_transport::tcp));
    }
    SECTION("the prefix alone is an error") {
        bytes prefix{framed[0], framed[1]};
        CHECK_FALSE(parse_dns_query(prefix, dns_transport::tcp));
    }
}

TEST_CASE("several questions are all returned, a cut one marks the query truncated", "[dns]") {
    bytes b = header(7, 0x0100, 2);
    add_name(b, {"a", "test"});
    add_type_class(b, 1);
    add_name(b, {"b", "test"});
    add_type_class(b, 16);
    auto q = parse_dns_query(b, dns_transport::udp);
    REQUIRE(q);
    REQUIRE(q->questions.size() == 2);
    CHECK(q->questions[1].name == "b.test");
    CHECK(dns_qtype_name(q->questions[1].qtype) == "TXT");

    b.resize(b.size() - 3); // the capture ends inside the second question's type/class
    auto cut = parse_dns_query(b, dns_transport::udp);
    REQUIRE(cut);
    CHECK(cut->questions.size() == 1);
    CHECK(cut->truncated);
}

TEST_CASE("compression pointers are followed, loops and wild pointers rejected", "[dns]") {
    bytes b = header(1, 0, 2);
    add_name(b, {"www", "example", "com"}); // starts at offset 12
    add_type_class(b, 1);
    b.insert(b.end(), {4, 'm', 'a', 'i', 'l', 0xc0, 16}); // "mail" + pointer to "example.com"
    add_type_class(b, 15);
    auto q = parse_dns_query(b, dns_transport::udp);
    REQUIRE(q);
    REQUIRE(q->questions.size() == 2);
    CHECK(q->questions[1].name == "mail.example.com");
    CHECK(dns_qtype_name(q->questions[1].qtype) == "MX");

    SECTION("a pointer to itself") {
        bytes loop = header(1, 0, 1);
        loop.insert(loop.end(), {0xc0, 12});
        add_type_class(loop, 1);
        auto r = parse_dns_query(loop, dns_transport::udp);
        REQUIRE_FALSE(r);
        CHECK(r.error().find("loop") != std::string::npos);
    }
    SECTION("two pointers pointing at each other") {
        bytes loop = header(1, 0, 1);
        loop.insert(loop.end(), {0xc0, 14, 0xc0, 12});
        add_type_class(loop, 1);
        CHECK_FALSE(parse_dns_query(loop, dns_transport::udp));
    }
    SECTION("a pointer past the end") {
        bytes wild = header(1, 0, 1);
        wild.insert(wild.end(), {0xff, 0xff});
        add_type_class(wild, 1);
        CHECK_FALSE(parse_dns_query(wild, dns_transport::udp));
    }
}

TEST_CASE("label bytes are written losslessly in ASCII presentation form", "[dns]") {
    auto q = parse_dns_query(simple_query({std::string("a.b\\c"), std::string("x\x01\xff y", 5)}, 1),
                             dns_transport::udp);
    REQUIRE(q);
    CHECK(q->questions[0].name == "a\\.b\\\\c.x\\001\\255\\032y");
}

TEST_CASE("the root name is '.'", "[dns]") {
    bytes b = header(1, 0, 1);
    b.push_back(0);
    add_type_class(b, 2);
    auto q = parse_dns_query(b, dns_transport::udp);
    REQUIRE(q);
    CHECK(q->questions[0].name == ".");
    CHECK(dns_qtype_name(q->questions[0].qtype) == "NS");
}

TEST_CASE("malformed or non-query payloads are errors, never crashes", "[dns]") {
    CHECK_FALSE(parse_dns_query(bytes{}, dns_transport::udp));
    CHECK_FALSE(parse_dns_query(bytes(11, 0), dns_transport::udp));
    CHECK_FALSE(parse_dns_query(header(1, 0x0100, 0), dns_transport::udp)); // no question

    bytes response = simple_query({"x", "test"}, 1);
    response[2] |= 0x80;
    auto r = parse_dns_query(response, dns_transport::udp);
    REQUIRE_FALSE(r);
    CHECK(r.error().find("response") != std::string::npos);

    bytes reserved = header(1, 0, 1);
    reserved.insert(reserved.end(), {0x40, 'a', 0});
    add_type_class(reserved, 1);
    CHECK_FALSE(parse_dns_query(reserved, dns_transport::udp));

    bytes long_label = header(1, 0, 1);
    long_label.push_back(63);
    long_label.insert(long_label.end(), 10, 'a'); // label claims 63 bytes, capture holds 10
    CHECK_FALSE(parse_dns_query(long_label, dns_transport::udp));

    bytes too_long = header(1, 0, 1);
    for (int i = 0; i < 5; ++i) {
        too_long.push_back(63);
        too_long.insert(too_long.end(), 63, 'a');
    }
    too_long.push_back(0);
    add_type_class(too_long, 1);
    auto t = parse_dns_query(too_long, dns_transport::udp);
    REQUIRE_FALSE(t);
    CHECK(t.error().find("255") != std::string::npos);

    // Every prefix of a valid query is handled (error or success), never read out of bounds.
    bytes full = simple_query({"www", "example", "org"}, 28);
    for (std::size_t n = 0; n <= full.size(); ++n) {
        auto p = parse_dns_query(std::span(full).first(n), dns_transport::udp);
        CHECK(static_cast<bool>(p) == (n == full.size()));
    }
}

TEST_CASE("qtype names: mnemonics and the RFC 3597 fallback", "[dns]") {
    CHECK(dns_qtype_name(1) == "A");
    CHECK(dns_qtype_name(65) == "HTTPS");
    CHECK(dns_qtype_name(255) == "ANY");
    CHECK(dns_qtype_name(4242) == "TYPE4242");
}
