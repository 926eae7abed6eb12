// Issue 3, "Network": DNS queries parsed from every send route (sendto, sendmsg, sendmmsg,
// write/send on a connected UDP socket, TCP), and socket creation for every family. The fixture
// runs in its own network namespace, so nothing reaches the machine's resolver.
#include "cov_helpers.hpp"

using namespace covtest;

TEST_CASE("DNS queries are dns events with name, type, server and sender", "[coverage][net]") {
    temp_dir d;
    run_result r = run_traced(d, {"cov_net", d.str()});
    auto dns = [&](const std::string& name) {
        return r.one("dns " + name, [&](const json& e) { return is(e, "dns") && e["name"] == name; });
    };
    struct route {
        const char* op;
        const char* syscall;
        const char* transport;
    };
    for (route rt : {route{"dns_sendto", "sendto", "udp"}, route{"dns_sendmsg", "sendmsg", "udp"},
                     route{"dns_write", "write", "udp"}, route{"dns_send", "sendto", "udp"},
                     route{"dns_tcp", "writev", "tcp"}}) {
        const action& a = r.act(rt.op);
        INFO(rt.op);
        json e = dns(a.get("name"));
        CHECK(e["qtype"] == a.get("qtype"));
        CHECK(e["server"] == "127.0.0.1");
        CHECK(e["server_port"] == 53);
        CHECK(e["transport"] == rt.transport);
        CHECK(e["syscall"] == rt.syscall);
        CHECK(e["fd"] == a.num("fd"));
        CHECK(e["ret"] == a.ret());
        CHECK(s(e, "exe").find("cov_net") != std::string::npos);
    }
    const action& mm = r.act("dns_sendmmsg");
    json m1 = dns(mm.get("name"));
    json m2 = dns(mm.get("name2"));
    CHECK(m1["qtype"] == mm.get("qtype"));
    CHECK(m2["qtype"] == mm.get("qtype2"));
    CHECK(m1["syscall"] == "sendmmsg");
    CHECK(m2["message_index"] == 1);
    CHECK(r.summary()["counts"]["dns"] == 7);
}

TEST_CASE("sockets of every family are recorded, with the netlink protocol named", "[coverage][net]") {
    temp_dir d;
    run_result r = run_traced(d, {"cov_net", d.str()});
    auto sock = [&](const char* op) {
        const action& a = r.act(op);
        return r.one(op, [&](const json& e) { return is(e, "socket") && e["ret"] == a.ret(); });
    };
    json nl = sock("socket_netlink");
    CHECK(nl["family"] == "netlink");
    CHECK(nl["protocol_name"] == "NETLINK_ROUTE");
    json pk = sock("socket_packet");
    CHECK(pk["family"] == "packet");
    CHECK(pk["sock_type"] == "raw");
    CHECK(pk["protocol"] == r.act("socket_packet").num("protocol"));
    json raw = sock("socket_raw");
    CHECK(raw["family"] == "inet");
    CHECK(raw["sock_type"] == "raw");
    CHECK(raw["protocol"] == 1);
    json sp = r.one("socketpair", [](const json& e) { return is(e, "socket", "socketpair"); });
    CHECK(sp["family"] == "unix");
    CHECK(sp["fds"].size() == 2);
    CHECK(sp["ret"] == 0);
}
