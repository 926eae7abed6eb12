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

TEST_CASE("datagram destinations and sources are recorded once each, with their counts", "[coverage][net]") {
    temp_dir d;
    run_result r = run_traced(d, {"cov_net", d.str()});
    const action& mm = r.act("recvmmsg");
    REQUIRE(mm.ret() == 4);
    long long sender = mm.num("sent_by");
    auto of = [&](const char* type, long long fd) {
        return r.all([&](const json& e) { return is(e, type) && e["fd"] == fd; });
    };
    // `sender` sent 4 datagrams to 127.0.0.1:53 (sendto, sendmsg, sendmmsg x2): the first is the
    // record, the total comes at the process's exit (the socket is never closed).
    auto sends = of("sendto", sender);
    REQUIRE(sends.size() == 2);
    CHECK(sends[0]["addr"] == "127.0.0.1");
    CHECK(sends[0]["port"] == 53);
    CHECK(sends[0]["count"] == 1);
    CHECK(sends[0]["syscall"] == "sendto");
    CHECK_FALSE(sends[0].contains("total"));
    CHECK(sends[1]["addr"] == "127.0.0.1");
    CHECK(sends[1]["port"] == 53);
    CHECK(sends[1]["count"] == 4);
    CHECK(sends[1]["total"] == true);
    CHECK(sends[1]["ret"].is_null());

    // The receiver got those 4 (recvmmsg) and 2 from the connected socket (recvfrom, recvmsg):
    // two sources, each reported once, the totals when the receiver closed the socket.
    long long rfd = mm.num("fd");
    auto recvs = of("recvfrom", rfd);
    auto from = [&](long long port, bool total) {
        for (const auto& e : recvs)
            if (e["port"] == port && e.contains("total") == total)
                return e;
        FAIL("no recvfrom from port " << port << (total ? " (total)" : ""));
        return json();
    };
    REQUIRE(recvs.size() == 4);
    json m1 = from(mm.num("src_port"), false);
    CHECK(m1["addr"] == "127.0.0.1");
    CHECK(m1["family"] == "inet");
    CHECK(m1["sock_type"] == "dgram");
    CHECK(m1["syscall"] == "recvmmsg");
    CHECK(m1["message_index"] == 0);
    CHECK(m1["count"] == 1);
    CHECK(from(mm.num("src_port"), true)["count"] == 4);
    const action& rf = r.act("recvfrom");
    const action& rm = r.act("recvmsg");
    REQUIRE(rf.ret() > 0);
    REQUIRE(rm.ret() > 0);
    REQUIRE(rf.num("src_port") == rm.num("expected_port"));
    json f1 = from(rf.num("src_port"), false);
    CHECK(f1["syscall"] == "recvfrom");
    CHECK(f1["ret"] == rf.ret());
    CHECK(f1["count"] == 1);
    json ft = from(rf.num("src_port"), true);
    CHECK(ft["count"] == 2);
    CHECK(ft["pid"] == f1["pid"]);
    // the totals were emitted by the close, before the process went on to TCP
    json tcp = r.one("dns over tcp", [](const json& e) { return is(e, "dns") && e["name"] == "tcp.glassbox.test"; });
    CHECK(ft["ts"].get<long long>() <= tcp["ts"].get<long long>());
}

TEST_CASE("a unix-socket connect names the peer process and its executable", "[coverage][net]") {
    temp_dir d;
    run_result r = run_traced(d, {"cov_net", d.str()});
    const action& uc = r.act("unix_connect");
    REQUIRE(uc.ret() == 0);
    json c = r.one("unix connect", [&](const json& e) { return is(e, "connect") && e["family"] == "unix" && e["pid"] == uc.num("pid"); });
    CHECK(c["path"] == uc.get("path"));
    CHECK(c["peer_pid"] == uc.num("peer_pid")); // the process that listened, not the binder
    CHECK(s(c, "peer_exe") == GLASSBOX_FIXTURES "/cov_net");
    // and the server's accept names the client
    json a = r.one("unix accept", [&](const json& e) { return is(e, "accept") && e["family"] == "unix" && e["pid"] == uc.num("peer_pid"); });
    CHECK(a["peer_pid"] == uc.num("pid"));
    CHECK(s(a, "peer_exe") == GLASSBOX_FIXTURES "/cov_net");
    CHECK(a["ret"].get<long long>() >= 0);
}
