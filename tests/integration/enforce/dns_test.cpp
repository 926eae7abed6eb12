// Root integration tests for network.dns: UDP queries to port 53 are parsed in the kernel
// (cgroup_skb egress) and dropped when no rule allows the name; allowed names are answered. The
// resolver is a responder inside the sandbox's own network namespace (never the machine's).
#include "enforce_helpers.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace enf_test;

namespace {
void require_root() { REQUIRE(geteuid() == 0); }
} // namespace

TEST_CASE("network.dns: queries for names outside the rules are dropped and recorded", "[enforce][net][dns]") {
    require_root();
    scratch s;
    std::string net = "network:\n  connect: [\"udp 127.0.0.1\"]\n  bind: [\"udp 127.0.0.1:53\"]\n"
                      "  dns: [\"**.allowed.test\", \"exact.test\", \"*.one.test\"]\n  sockets: [inet/dgram]\n";
    for (const char* mode : {"enforce", "complain"}) {
        DYNAMIC_SECTION("mode " << mode) {
            bool complain = std::string(mode) == "complain";
            auto r = run_enforce(s, base_profile("", net), {"--mode", mode, "--isolate", "net"},
                                 {"pid", "dns_server", "6000",
                                  "dns_query", "a.b.allowed.test",  // subtree
                                  "dns_query", "allowed.test",      // the subtree's root
                                  "dns_query", "EXACT.Test.",       // case and trailing dot
                                  "dns_query", "x.one.test",        // one label
                                  "dns_query", "sub.exact.test",    // exact only
                                  "dns_query", "x.y.one.test",      // two labels
                                  "dns_query", "evil.test",         // no rule
                                  "dns_query_label", "x.allowed.test"}); // one label with dots in it
            INFO(r.err);
            INFO(r.out);
            REQUIRE(r.exit_code() == 0);
            REQUIRE(r.first("dns_server") == "ok");
            // The fixture's own process sends every query: each record names it, on every kernel
            // (6.1's cgroup_skb programs cannot ask for the pid: the socket's sender is noted by
            // the sock_addr hooks instead).
            const int sender = std::stoi(r.first("pid"));
            auto q = r.results("dns_query");
            REQUIRE(q.size() == 7);
            const std::string no = complain ? "ok" : "EPERM"; // the egress drop fails the send itself
            CHECK(q[0] == "ok");
            CHECK(q[1] == "ok");
            CHECK(q[2] == "ok");
            CHECK(q[3] == "ok");
            CHECK(q[4] == no);
            CHECK(q[5] == no);
            CHECK(q[6] == no);
            CHECK(r.first("dns_query_label") == no);
            std::set<std::string> names;
            int unparsable = 0;
            for (const auto& v : r.violations()) {
                if (v.value("section", "") != "network.dns")
                    continue;
                CHECK(v["mechanism"] == "cgroup-bpf");
                CHECK(v["action"] == (complain ? "allowed" : "denied"));
                CHECK(v["addr"] == "127.0.0.1");
                CHECK(v["port"] == 53);
                CHECK(v["pid"] == sender);
                CHECK(v["tid"] == sender);
                if (v.contains("name"))
                    names.insert(v["name"].get<std::string>());
                else
                    ++unparsable;
            }
            CHECK(names == std::set<std::string>{"sub.exact.test", "x.y.one.test", "evil.test"});
            CHECK(unparsable == 1);
        }
    }
}
