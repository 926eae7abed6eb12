// Learn/enforce fidelity (issue 16): what the learning runs attempted and the kernel refused keeps
// its result under `enforce` with the learned profile. The enf_actions fixture connects to a
// loopback port nothing listens on (ECONNREFUSED, which the fixture prints as "tcp: ok": it got
// past any policy) and opens a file that does not exist (ENOENT); recorded twice with `run`,
// learned, then run under `enforce` with that profile, both answers must be the kernel's again.
#include "enforce_helpers.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

using namespace enf_test;

namespace {

// A loopback TCP port with nothing listening: bound once by the kernel's choice, then closed.
int closed_port() {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    close(s);
    return ntohs(a.sin_port);
}

std::vector<nlohmann::json> read_trace(const std::string& file) {
    std::vector<nlohmann::json> out;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty())
            out.push_back(nlohmann::json::parse(line, nullptr, false));
    return out;
}

} // namespace

TEST_CASE("a refused connect and a missing file keep their results under enforce with the learned profile",
          "[enforce][fidelity]") {
    REQUIRE(geteuid() == 0);
    scratch s;
    const std::string port = std::to_string(closed_port());
    const std::string missing = s.dir + "/allowed/missing.conf";
    const std::vector<std::string> actions = {"tcp", "127.0.0.1", port, "read", missing};

    // Two learning runs.
    std::vector<std::string> traces;
    for (int i = 1; i <= 2; ++i) {
        std::string t = s.dir + "/learn" + std::to_string(i) + ".trace";
        std::vector<std::string> argv = {GLASSBOX_BIN, "run", "--out", t, "--", fixture};
        argv.insert(argv.end(), actions.begin(), actions.end());
        auto r = glassbox_test::run_command(argv, true);
        REQUIRE(r.status == 0);
        CHECK(r.out.find("tcp: ok") != std::string::npos); // refused by the kernel, past any policy
        CHECK(r.out.find("read: ENOENT") != std::string::npos);
        bool refused = false;
        for (const auto& e : read_trace(t))
            refused |= e.value("type", "") == "connect" && e.value("port", 0) == std::stoi(port) &&
                       e.value("errno", "") == "ECONNREFUSED";
        CHECK(refused);
        traces.push_back(t);
    }

    // The profile keeps the refused connect, and says why; the missing file needs no rule.
    std::string prof = s.dir + "/learned.yaml";
    auto learned = glassbox_test::run_command({GLASSBOX_BIN, "learn", traces[0], traces[1], "-o", prof}, true);
    REQUIRE(learned.status == 0);
    std::ifstream pf(prof);
    std::stringstream yaml;
    yaml << pf.rdbuf();
    CHECK(yaml.str().find("tcp 127.0.0.1:" + port) != std::string::npos);
    CHECK(yaml.str().find("the kernel refused it (ECONNREFUSED)") != std::string::npos);

    // Under enforce with the learned profile: the kernel's answers again, no violation for them.
    auto r = run_enforce(s, yaml.str(), {}, actions);
    INFO(r.err);
    CHECK(r.first("tcp") == "ok");
    CHECK(r.first("read") == "ENOENT");
    bool refused = false;
    for (const auto& e : r.trace)
        refused |= e.value("type", "") == "connect" && e.value("errno", "") == "ECONNREFUSED";
    CHECK(refused);
    CHECK_FALSE(r.has_violation("network.connect", "port", port));

    // Without the rule the same connect is judged by enforce, not the kernel: EPERM.
    std::string without = yaml.str();
    auto at = without.find("tcp 127.0.0.1:" + port);
    REQUIRE(at != std::string::npos);
    auto bol = without.rfind('\n', at), eol = without.find('\n', at);
    without.erase(bol, eol - bol);
    if (without.find("connect:\n") != std::string::npos && without.find("connect:\n    -") == std::string::npos)
        without.replace(without.find("connect:\n"), 9, "connect: []\n");
    auto strict = run_enforce(s, without, {}, actions);
    INFO(strict.err);
    CHECK(strict.first("tcp") == "EPERM");
    CHECK(strict.first("read") == "ENOENT");
}
