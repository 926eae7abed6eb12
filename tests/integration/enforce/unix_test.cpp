// Root integration tests for unix socket rules (network.connect "unix PATH" / "unix @NAME"):
// the cgroup AF_UNIX connect/sendmsg programs judge the kernel's copy of the address; allowed
// sockets are reached, others refused with EPERM and recorded, relative paths and "." / ".."
// components refused, in enforce and complain mode. Those cgroup hooks are Linux 6.7's: on a
// kernel without them (Debian 12's 6.1) the report must declare unix addresses NOT restricted,
// and the tests check that declaration instead (and that --require-all refuses to run); which
// case applies is asked of the kernel here, not of glassbox. Binding a filesystem unix socket is
// allowed only where network.bind has a unix rule (Landlock MAKE_SOCK), even in writable
// directories, on every Landlock ABI.
#include "enforce_helpers.hpp"

#include <catch2/catch.hpp>

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>

using namespace enf_test;

namespace {

void require_root() { REQUIRE(geteuid() == 0); }

// A listening (stream) or bound (dgram) unix socket; "@name" is abstract.
struct server {
    int fd = -1;
    server(const std::string& name, int type) {
        fd = socket(AF_UNIX, type, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        socklen_t len;
        if (name[0] == '@') {
            std::memcpy(a.sun_path + 1, name.data() + 1, name.size() - 1);
            len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
        } else {
            std::memcpy(a.sun_path, name.data(), name.size());
            len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + 1);
        }
        REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0);
        if (type == SOCK_STREAM)
            REQUIRE(listen(fd, 16) == 0);
    }
    ~server() { close(fd); }
};

// Whether the kernel has the cgroup sock_addr hooks for unix addresses (BPF_CGROUP_UNIX_CONNECT
// and _SENDMSG, attach types 49 and 50, Linux 6.7): a "return 1" program loads for those attach
// types only where they exist (EINVAL elsewhere). Any other failure fails the test.
bool kernel_has_unix_hooks() {
    const bpf_insn prog[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1}, // r0 = 1
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    bool all = true;
    for (int type : {49, 50}) {
        LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = static_cast<bpf_attach_type>(type));
        int fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, "gb_unix_probe", "GPL", prog, 2, &o);
        if (fd >= 0) {
            close(fd);
            continue;
        }
        INFO("loading a unix sock_addr probe (attach type " << type << "): " << std::strerror(errno));
        REQUIRE(errno == EINVAL);
        all = false;
    }
    return all;
}

const std::string unix_enforced_line = "cgroup BPF: unix socket connect/sendto against network.connect unix rules "
                                       "(the kernel's copy of the address; relative paths and ./.. components refused)";
const std::string unix_missing_prefix = "unix socket addresses are NOT restricted: this kernel has no cgroup hooks "
                                        "for unix socket addresses (Linux 6.7+)";

} // namespace

TEST_CASE("unix socket rules: allowed paths are reached, others refused in the kernel", "[enforce][net][unix]") {
    require_root();
    scratch s;
    const std::string d = s.dir;
    std::filesystem::create_directories(d + "/sock/sub");
    const std::string tag = std::to_string(getpid());
    server allowed(d + "/sock/agent-1.sock", SOCK_STREAM);
    server other(d + "/sock/other.sock", SOCK_STREAM);
    server nested(d + "/sock/sub/deep.sock", SOCK_STREAM);
    server dgram_other(d + "/sock/log.sock", SOCK_DGRAM);
    server dgram_ok(d + "/sock/agent-log.sock", SOCK_DGRAM);
    server abs_ok("@glassbox-enf-ok-" + tag, SOCK_STREAM);
    server abs_other("@glassbox-enf-other-" + tag, SOCK_STREAM);
    std::string net = "network:\n  connect: [\"unix " + d + "/sock/agent-*.sock\", \"unix " + d +
                      "/sock/sub/**\", \"unix @glassbox-enf-ok-*\"]\n  sockets: [unix/stream, unix/dgram]\n";
    const bool hooks = kernel_has_unix_hooks();
    INFO("this kernel " << (hooks ? "has" : "lacks") << " the cgroup unix connect/sendmsg hooks");
    for (const char* mode : {"enforce", "complain"}) {
        DYNAMIC_SECTION("mode " << mode) {
            bool complain = std::string(mode) == "complain";
            auto r = run_enforce(s, base_profile(", " + d + "/**", net), {"--mode", mode},
                                 {"unix_connect", d + "/sock/agent-1.sock",          // star: allowed
                                  "unix_connect", d + "/sock/other.sock",            // no rule
                                  "unix_connect", d + "/sock/sub/deep.sock",         // subtree: allowed
                                  "unix_connect", d + "/sock/sub/../other.sock",     // ".." component
                                  "unix_connect", "@glassbox-enf-ok-" + tag,         // abstract, allowed
                                  "unix_connect", "@glassbox-enf-other-" + tag,      // abstract, no rule
                                  "unix_sendto", d + "/sock/agent-log.sock",         // dgram, allowed
                                  "unix_sendto", d + "/sock/log.sock",               // dgram, no rule
                                  "chdir", d + "/sock", "unix_connect", "agent-1.sock"}); // relative
            INFO(r.err);
            INFO(r.out);
            REQUIRE(r.exit_code() == 0);
            // The report says which it is, on stderr and in the trace's header, entry by entry.
            auto rep = r.report();
            const auto h = r.header();
            REQUIRE(h.contains("enforcement"));
            CHECK(h["enforcement"]["enforced"] == rep.enforced);
            CHECK(h["enforcement"]["missing"] == rep.missing);
            CHECK(h["enforcement"]["notes"] == rep.notes);
            CHECK(mechanism_report::starting(rep.enforced, unix_enforced_line).size() == (hooks ? 1u : 0u));
            CHECK(mechanism_report::starting(rep.missing, unix_missing_prefix).size() == (hooks ? 0u : 1u));
            auto c = r.results("unix_connect");
            auto st = r.results("unix_sendto");
            REQUIRE(c.size() == 7);
            REQUIRE(st.size() == 2);
            if (!hooks) {
                // Declared not restricted, and indeed not: every socket is reached, nothing is
                // judged, so nothing is reported as a unix violation.
                for (const auto& x : c)
                    CHECK(x == "ok");
                for (const auto& x : st)
                    CHECK(x == "ok");
                for (const auto& v : r.violations())
                    CHECK(v.value("protocol", "") != "unix");
                if (!complain) {
                    // A lab that needs every control is refused before the command starts.
                    auto strict = run_enforce(s, base_profile(", " + d + "/**", net), {"--require-all"},
                                              {"unix_connect", d + "/sock/other.sock"});
                    INFO(strict.err);
                    CHECK(strict.exit_code() == 69);
                    CHECK(strict.out.empty());
                    CHECK(strict.err.find("--require-all: " + unix_missing_prefix) != std::string::npos);
                }
                return;
            }
            const std::string no = complain ? "ok" : "EPERM";
            CHECK(c[0] == "ok");
            CHECK(c[1] == no);
            CHECK(c[2] == "ok");
            CHECK(c[3] == no);
            CHECK(c[4] == "ok");
            CHECK(c[5] == no);
            CHECK(st[0] == "ok");
            CHECK(st[1] == no);
            CHECK(c[6] == no);
            std::map<std::string, std::string> seen; // path -> syscall
            for (const auto& v : r.violations()) {
                if (v.value("protocol", "") != "unix")
                    continue;
                CHECK(v["section"] == "network.connect");
                CHECK(v["mechanism"] == "cgroup-bpf");
                CHECK(v["action"] == (complain ? "allowed" : "denied"));
                seen[v.value("path", "")] = v.value("syscall", "");
            }
            CHECK(seen.size() == 5);
            CHECK(seen[d + "/sock/other.sock"] == "connect");
            CHECK(seen[d + "/sock/sub/../other.sock"] == "connect");
            CHECK(seen["@glassbox-enf-other-" + tag] == "connect");
            CHECK(seen[d + "/sock/log.sock"] == "sendmsg");
            CHECK(seen["agent-1.sock"] == "connect");
        }
    }
}

TEST_CASE("unix bind: socket files are made only where network.bind allows, even in writable directories",
          "[enforce][net][unix]") {
    require_root();
    scratch s;
    const std::string d = s.dir;
    const std::string tag = std::to_string(getpid());
    for (const char* mode : {"enforce", "complain"}) {
        DYNAMIC_SECTION("mode " << mode) {
            bool complain = std::string(mode) == "complain";
            for (const char* sub : {"/bindok", "/other", "/tree/sub"}) {
                std::filesystem::remove_all(d + sub);
                std::filesystem::create_directories(d + sub);
            }
            // The whole scratch directory is writable: before, that alone let bind() make sockets.
            std::string net = "network:\n  bind: [\"unix " + d + "/bindok/*.sock\", \"unix " + d +
                              "/tree/**\", \"unix @glassbox-enf-bind-*\"]\n  sockets: [unix/stream]\n";
            auto r = run_enforce(s, base_profile(", " + d + "/**", net, "[" + d + "/**]"), {"--mode", mode},
                                 {"unix_bind", d + "/bindok/a.sock",      // rule's directory: allowed
                                  "unix_bind", d + "/other/b.sock",       // writable, no bind rule
                                  "unix_bind", d + "/tree/sub/c.sock",    // subtree rule
                                  "unix_bind", "@glassbox-enf-bind-" + tag}); // abstract: not restricted
            INFO(r.err);
            INFO(r.out);
            REQUIRE(r.exit_code() == 0);
            auto b = r.results("unix_bind");
            REQUIRE(b.size() == 4);
            CHECK(b[0] == "ok");
            CHECK(b[1] == (complain ? "ok" : "EACCES"));
            CHECK(b[2] == "ok");
            CHECK(b[3] == "ok");
            // From outside: the refused socket file was never made.
            CHECK(std::filesystem::exists(d + "/bindok/a.sock"));
            CHECK(std::filesystem::exists(d + "/other/b.sock") == complain);
            CHECK(std::filesystem::exists(d + "/tree/sub/c.sock"));
            if (!complain) {
                CHECK(r.err.find("unix socket files made by bind() only in the directories of network.bind") !=
                      std::string::npos);
                CHECK(r.err.find("unix bind rule '" + d + "/bindok/*.sock': Landlock lets the command bind any "
                                 "socket name in " + d + "/bindok") != std::string::npos);
            }
            int binds = 0;
            for (const auto& v : r.violations()) {
                if (v.value("section", "") != "network.bind")
                    continue;
                ++binds;
                CHECK(v["path"] == d + "/other/b.sock");
                CHECK(v["protocol"] == "unix");
                CHECK(v["syscall"] == "bind");
                CHECK(v["mechanism"] == (complain ? "trace" : "landlock"));
                CHECK(v["action"] == (complain ? "allowed" : "denied"));
            }
            CHECK(binds == 1);
        }
    }
}
