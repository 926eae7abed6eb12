// Root integration tests of network events over loopback: TCP bind/listen/connect/accept, an
// unconnected UDP sendto and a UDP connect, an IPv6 connect refused, unix filesystem and abstract
// sockets. Each event is asserted field by field.
#include "helpers.hpp"

#include <catch2/catch.hpp>

using namespace gbtest;

TEST_CASE("run records TCP, UDP and unix socket operations with addresses", "[root][record]") {
    temp_dir dir;
    std::string trace = dir / "t.jsonl";
    std::string work = dir / "work";
    std::filesystem::create_directory(work);
    std::string out;
    // The fixture prints its ephemeral TCP port on stdout.
    REQUIRE(run({GLASSBOX_BIN, "run", "-q", "--out", trace, "--", fixture("rec_actions"), "net", work}, &out) == 0);
    auto pos = out.find("tcp_port=");
    REQUIRE(pos != std::string::npos);
    int port = std::stoi(out.substr(pos + 9));
    auto t = load_trace(trace);
    REQUIRE(t.back()["type"] == "summary");
    CHECK(t.back()["lost"] == 0);
    auto of = [&](const char* type) { return find_all(t, [&](const json& e) { return e["type"] == type; }); };

    auto binds = of("bind");
    REQUIRE(binds.size() == 2);
    CHECK(binds[0]["family"] == "inet");
    CHECK(binds[0]["sock_type"] == "stream");
    CHECK(binds[0]["addr"] == "127.0.0.1");
    CHECK(binds[0]["port"] == 0);
    CHECK(binds[0]["ret"] == 0);
    CHECK(binds[1]["family"] == "unix");
    CHECK(binds[1]["path"] == work + "/sock");

    auto listens = of("listen");
    REQUIRE(listens.size() == 2);
    CHECK(listens[0]["addr"] == "127.0.0.1");
    CHECK(listens[0]["port"] == port); // the kernel's bound port, not the 0 asked for
    CHECK(listens[0]["backlog"] == 5);
    CHECK(listens[1]["family"] == "unix");
    CHECK(listens[1]["path"] == work + "/sock");

    auto connects = of("connect");
    REQUIRE(connects.size() == 5);
    CHECK(connects[0]["family"] == "inet");
    CHECK(connects[0]["sock_type"] == "stream");
    CHECK(connects[0]["addr"] == "127.0.0.1");
    CHECK(connects[0]["port"] == port);
    CHECK(connects[0]["ret"] == 0);
    CHECK(connects[1]["sock_type"] == "dgram");
    CHECK(connects[1]["port"] == 5353);
    CHECK(connects[2]["family"] == "inet6");
    CHECK(connects[2]["addr"] == "::1");
    CHECK(connects[2]["port"] == 1);
    CHECK(connects[2]["errno"] == "ECONNREFUSED");
    CHECK(connects[3]["family"] == "unix");
    CHECK(connects[3]["path"] == work + "/sock");
    CHECK(connects[3]["ret"] == 0);
    CHECK(connects[4]["family"] == "unix");
    CHECK(connects[4]["abstract"] == "glassbox-abstract");
    CHECK(connects[4]["errno"] == "ECONNREFUSED");

    auto accepts = of("accept");
    REQUIRE(accepts.size() == 1);
    CHECK(accepts[0]["addr"] == "127.0.0.1");
    CHECK(accepts[0]["port"].get<int>() > 0);
    CHECK(accepts[0]["port"] != port); // the client's port
    CHECK(accepts[0]["ret"].get<int>() >= 0);
    CHECK(accepts[0]["fd"] == accepts[0]["ret"]);

    auto sends = of("sendto");
    REQUIRE(sends.size() == 1);
    CHECK(sends[0]["family"] == "inet");
    CHECK(sends[0]["sock_type"] == "dgram");
    CHECK(sends[0]["addr"] == "127.0.0.1");
    CHECK(sends[0]["port"] == 9);
    CHECK(sends[0]["syscall"] == "sendto");
}
