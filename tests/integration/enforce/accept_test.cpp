// Root integration tests for network.accept: a connection from a peer the rules allow is
// accepted, one from another peer never reaches accept() (the cgroup_skb ingress program drops
// its packets to the listener) and is recorded; complain mode accepts both and records one.
#include "enforce_helpers.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>

#include <chrono>
#include <thread>

using namespace enf_test;

namespace {

void require_root() { REQUIRE(geteuid() == 0); }

// Connects from `src` to 127.0.0.1:port, waiting at most `ms`: "connected" or "timeout"/"refused".
std::string connect_from(const char* src, int port, int ms) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in b{};
    b.sin_family = AF_INET;
    inet_pton(AF_INET, src, &b.sin_addr);
    bind(s, reinterpret_cast<sockaddr*>(&b), sizeof b);
    sockaddr_in d{};
    d.sin_family = AF_INET;
    d.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &d.sin_addr);
    std::string res = "timeout";
    if (connect(s, reinterpret_cast<sockaddr*>(&d), sizeof d) == 0) {
        res = "connected";
    } else if (errno == EINPROGRESS) {
        pollfd pf{s, POLLOUT, 0};
        if (poll(&pf, 1, ms) == 1) {
            int err = 0;
            socklen_t l = sizeof err;
            getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &l);
            res = err == 0 ? "connected" : "refused";
        }
    }
    close(s);
    return res;
}

// Waits (up to 10 s) until something listens on TCP port `port` (/proc/net/tcp, state 0A): the
// sandbox's start-up time depends on the machine's load.
bool wait_listening(int port) {
    char want[16];
    std::snprintf(want, sizeof want, ":%04X", port);
    for (int i = 0; i < 500; ++i) {
        std::ifstream f("/proc/net/tcp");
        std::string line;
        while (std::getline(f, line)) {
            std::istringstream ls(line);
            std::string sl, local, remote, state;
            ls >> sl >> local >> remote >> state;
            if (local.size() > 5 && local.substr(local.size() - 5) == want && state == "0A")
                return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

} // namespace

TEST_CASE("network.accept: connections from peers outside the rules are never accepted", "[enforce][net][accept]") {
    require_root();
    scratch s;
    const int port = 40000 + static_cast<int>(getpid() % 5000);
    std::string net = "network:\n  bind: [\"tcp 0.0.0.0:" + std::to_string(port) +
                      "\"]\n  accept: [\"tcp 127.0.0.1:*\"]\n  sockets: [inet/stream]\n";
    for (const char* mode : {"enforce", "complain"}) {
        DYNAMIC_SECTION("mode " << mode) {
            bool complain = std::string(mode) == "complain";
            std::string allowed_res, denied_res;
            std::thread client([&] {
                // Once the command listens: the allowed peer, then the other.
                if (!wait_listening(port))
                    return;
                allowed_res = connect_from("127.0.0.1", port, 1500);
                denied_res = connect_from("127.0.0.2", port, 1500);
            });
            auto r = run_enforce(s, base_profile("", net), {"--mode", mode}, {"listen_accept", std::to_string(port), "4000"});
            client.join();
            INFO(r.err);
            INFO(r.out);
            REQUIRE(r.exit_code() == 0);
            REQUIRE(r.first("listen") == "ok");
            CHECK(allowed_res == "connected");
            auto acc = r.results("accepted");
            if (complain) {
                CHECK(denied_res == "connected");
                REQUIRE(acc.size() == 2);
                CHECK(acc[1] == "127.0.0.2");
            } else {
                CHECK(denied_res == "timeout"); // its SYNs were dropped: no connection at all
                REQUIRE(acc.size() == 1);
            }
            CHECK(acc[0] == "127.0.0.1");
            int seen = 0;
            for (const auto& v : r.violations()) {
                if (v.value("section", "") != "network.accept")
                    continue;
                ++seen;
                CHECK(v["addr"] == "127.0.0.2");
                CHECK(v["protocol"] == "tcp");
                CHECK(v["syscall"] == "accept");
                CHECK(v["mechanism"] == "cgroup-bpf");
                CHECK(v["action"] == (complain ? "allowed" : "denied"));
            }
            CHECK(seen >= 1); // one report per packet judged (a dropped SYN is retransmitted; in
                              // complain mode the handshake's last ACK reaches the listener too)
            CHECK_FALSE(r.has_violation("network.accept", "addr", "127.0.0.1"));
        }
    }
}
