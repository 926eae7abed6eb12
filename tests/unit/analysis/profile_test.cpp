// Profile parsing tests: a full profile parses into the model and its matchers answer per
// section; every kind of mistake is an error naming the line and column and the reason.
#include <glassbox/profile.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace glassbox::profile;

namespace {

constexpr const char* kFull = R"(apiVersion: glassbox/v1
kind: Profile
metadata:
  name: clamscan
  description: ClamAV on-demand scanner
files:
  read:
    - /etc/clamav/*.conf
    - /var/lib/clamav/**
    - /srv/samples/**
  write:
    - /tmp/clamav-*
  exec:
    - /usr/lib/x86_64-linux-gnu/*.so*
  delete:
    - /tmp/clamav-*
  metadata: []
processes:
  exec:
    - /usr/bin/clamscan
  memfd: []
  signal: []
  cred: [setgid, setuid]
  prctl: [PR_SET_NO_NEW_PRIVS]
network:
  connect:
    - tcp 192.0.2.0/24:443
    - unix /run/clamav/clamd.ctl
  bind: []
  accept: []
  dns:
    - "*.clamav.net"
  sockets: [inet/stream, unix/*]
privileged: [ptrace]
syscalls: [read, write, openat]
)";

} // namespace

TEST_CASE("a complete profile parses and its matchers answer per section", "[analysis][profile]") {
    auto p = parse_profile(kFull, "clamscan.yaml");
    REQUIRE(p.has_value());
    CHECK(p->name == "clamscan");
    CHECK(p->description == "ClamAV on-demand scanner");
    CHECK(p->files.read.size() == 3);
    CHECK(p->files.read[1].pattern.text() == "/var/lib/clamav/**");
    CHECK(p->files.read[1].pos.line == 9);
    CHECK(p->files.read[1].pos.column == 7);

    CHECK(p->allows_file_read("/var/lib/clamav/daily.cld"));
    CHECK(p->allows_file_read("/etc/clamav/freshclam.conf"));
    CHECK_FALSE(p->allows_file_read("/etc/shadow"));
    CHECK_FALSE(p->allows_file_write("/var/lib/clamav/daily.cld")); // read-only there
    CHECK(p->allows_file_write("/tmp/clamav-1a2b3c"));
    CHECK(p->allows_file_delete("/tmp/clamav-1a2b3c"));
    CHECK(p->allows_file_exec("/usr/lib/x86_64-linux-gnu/libclamav.so.11"));
    CHECK_FALSE(p->match_file(file_access::metadata, "/tmp/clamav-1a2b3c"));
    CHECK(p->allows_exec("/usr/bin/clamscan"));
    CHECK_FALSE(p->allows_exec("/bin/sh"));
    CHECK(p->allows_connect("tcp", "192.0.2.10", 443));
    CHECK_FALSE(p->allows_connect("tcp", "198.51.100.1", 443));
    CHECK(p->allows_unix_connect("/run/clamav/clamd.ctl"));
    CHECK_FALSE(p->allows_bind("tcp", "0.0.0.0", 3310));
    CHECK(p->allows_dns("database.clamav.net"));
    CHECK_FALSE(p->allows_dns("evil.example"));
    CHECK(p->match_socket("inet", "stream"));
    CHECK(p->match_socket("unix", "dgram"));
    CHECK_FALSE(p->match_socket("packet", "raw"));
    CHECK(p->allows_privileged("ptrace"));
    CHECK_FALSE(p->allows_privileged("init_module"));
    CHECK(p->match_cred("setuid"));
    CHECK_FALSE(p->match_cred("capset"));
    CHECK(p->match_prctl("PR_SET_NO_NEW_PRIVS"));
    REQUIRE(p->syscalls.has_value());
    CHECK(p->allows_syscall("openat"));
    CHECK_FALSE(p->allows_syscall("ptrace"));

    // The matching rule is returned, with its position, for reports.
    auto* r = p->match_connect(endpoint{"tcp", "192.0.2.7", 443});
    REQUIRE(r);
    CHECK(r->pattern.text() == "tcp 192.0.2.0/24:443");
    CHECK(r->pos.line == 27);
}

TEST_CASE("a minimal profile allows nothing and has no syscall list", "[analysis][profile]") {
    auto p = parse_profile("apiVersion: glassbox/v1\nkind: Profile\n");
    REQUIRE(p);
    CHECK_FALSE(p->allows_file_read("/etc/passwd"));
    CHECK_FALSE(p->allows_exec("/bin/true"));
    CHECK_FALSE(p->syscalls.has_value());
    CHECK(p->allows_syscall("anything")); // no list = no syscall restriction
}

namespace {

struct bad_row {
    const char* yaml;
    int line;
    int column;
    const char* reason_contains;
};

} // namespace

TEST_CASE("profile errors name line, column and reason", "[analysis][profile]") {
    const bad_row rows[] = {
        {"apiVersion: glassbox/v1\nkind: Profile\nfiles:\n  raed: [/etc/x]\n", 4, 3, "unknown key 'raed' in files"},
        {"apiVersion: glassbox/v1\nkind: Profile\nfilez: {}\n", 3, 1, "unknown key 'filez'"},
        {"apiVersion: glassbox/v2\nkind: Profile\n", 1, 13, "unsupported apiVersion"},
        {"kind: Profile\n", 1, 1, "missing 'apiVersion"},
        {"apiVersion: glassbox/v1\n", 1, 1, "missing 'kind"},
        {"apiVersion: glassbox/v1\nkind: Policy\n", 2, 7, "kind must be 'Profile'"},
        {"apiVersion: glassbox/v1\nkind: Profile\nfiles:\n  read:\n    - /etc/{a,b\n", 5, 7, "unbalanced '{'"},
        {"apiVersion: glassbox/v1\nkind: Profile\nfiles:\n  read:\n    - etc/passwd\n", 5, 7, "absolute"},
        {"apiVersion: glassbox/v1\nkind: Profile\nfiles:\n  read: /etc/passwd\n", 4, 9, "must be a list"},
        {"apiVersion: glassbox/v1\nkind: Profile\nfiles:\n  read:\n    - {a: b}\n", 5, 7, "must be a string"},
        {"apiVersion: glassbox/v1\nkind: Profile\nnetwork:\n  connect:\n    - tcp 1.2.3.4:99999\n", 5, 7, "bad port"},
        {"apiVersion: glassbox/v1\nkind: Profile\nnetwork:\n  connect:\n    - http 1.2.3.4\n", 5, 7, "unknown protocol 'http'"},
        {"apiVersion: glassbox/v1\nkind: Profile\nprivileged: [mount, mout]\n", 3, 21, "unknown name 'mout'"},
        {"apiVersion: glassbox/v1\nkind: Profile\nprocesses:\n  cred: [setuid, su]\n", 4, 18, "unknown name 'su'"},
        {"apiVersion: glassbox/v1\nkind: Profile\nfiles: {}\nfiles: {}\n", 4, 1, "duplicate key 'files'"},
        {"apiVersion: glassbox/v1\nkind: Profile\nfiles: [1, 2]\n", 3, 8, "files must be a mapping"},
        {"apiVersion: glassbox/v1\nkind: Profile\nfiles:\n  read: [\"/a\"\n", 0, 0, "invalid YAML"},
        {"- a\n- b\n", 1, 1, "must be a mapping"},
        {"", 0, 0, "empty document"},
        {"apiVersion: glassbox/v1\nkind: Profile\n---\napiVersion: glassbox/v1\n", 0, 0, "more than one"},
        {"apiVersion: glassbox/v1\nkind: Profile\nsyscalls: [\"open at\"]\n", 3, 12, "only letters"},
    };
    for (const auto& r : rows) {
        INFO("yaml:\n" << r.yaml);
        auto p = parse_profile(r.yaml, "p.yaml");
        REQUIRE_FALSE(p.has_value());
        INFO("error: " << p.error().message());
        CHECK(p.error().reason.find(r.reason_contains) != std::string::npos);
        if (r.line) {
            CHECK(p.error().pos.line == r.line);
            CHECK(p.error().pos.column == r.column);
            CHECK(p.error().message().starts_with("p.yaml:" + std::to_string(r.line) + ":" +
                                                   std::to_string(r.column) + ": "));
        }
    }
}

TEST_CASE("load_profile reports unreadable files", "[analysis][profile]") {
    auto missing = load_profile("/nonexistent/glassbox-profile.yaml");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message().find("cannot read") != std::string::npos);
    auto dir = load_profile("/tmp");
    REQUIRE_FALSE(dir);
    CHECK(dir.error().reason.find("directory") != std::string::npos);

    auto path = std::filesystem::temp_directory_path() / "glassbox-profile-test.yaml";
    {
        std::ofstream out(path);
        out << kFull;
    }
    auto ok = load_profile(path);
    std::filesystem::remove(path);
    REQUIRE(ok);
    CHECK(ok->name == "clamscan");
}

TEST_CASE("the example profiles in profiles/ parse", "[analysis][profile]") {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(GLASSBOX_SOURCE_DIR "/profiles")) {
        if (e.path().extension() != ".yaml")
            continue;
        INFO(e.path());
        auto p = load_profile(e.path());
        if (!p)
            FAIL(p.error().message());
        ++n;
    }
    CHECK(n >= 2);
}
