// Root integration test for the Landlock part of enforce's mechanism report against the kernel's
// own Landlock ABI (asked here with landlock_create_ruleset, not through glassbox): the report
// states the ABI it applied, and notes exactly the file controls that ABI lacks (ABI < 3: truncate
// by path, < 5: device ioctls, < 6: signal and abstract-socket scoping), on stderr and in the trace
// header. What the ABI can enforce is checked as an outcome: truncate() of a file the profile
// only lets the command read is refused from ABI 3 on (Debian 12's 6.12), and on ABI 2 (6.1),
// where the report declares it unrestricted, it indeed goes through.
#include "enforce_helpers.hpp"

#include <catch2/catch.hpp>

#include <linux/landlock.h>
#include <sys/syscall.h>

using namespace enf_test;

namespace {

int kernel_landlock_abi() {
    long v = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return v < 0 ? 0 : static_cast<int>(v);
}

std::string content_of(const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

} // namespace

TEST_CASE("the report's Landlock entries follow the kernel's ABI, and truncate is refused where the ABI can",
          "[enforce][files][landlock]") {
    REQUIRE(geteuid() == 0);
    scratch s;
    const std::string d = s.dir;
    const int abi = kernel_landlock_abi();
    INFO("the kernel's Landlock ABI: " << abi);
    // The scratch files are readable only: no write rule covers them.
    auto r = run_enforce(s, base_profile(", " + d + "/allowed/**"), {},
                         {"read", d + "/allowed/a.txt", "truncate", d + "/allowed/a.txt"});
    INFO(r.err);
    INFO(r.out);
    REQUIRE(r.exit_code() == 0);
    CHECK(r.first("read") == "ok:allowed"); // reading is allowed: the rule is there
    auto rep = r.report();
    const auto h = r.header();
    REQUIRE(h.contains("enforcement"));
    CHECK(h["enforcement"]["landlock_abi"] == abi);
    CHECK(h["enforcement"]["enforced"] == rep.enforced);
    CHECK(h["enforcement"]["missing"] == rep.missing);
    CHECK(h["enforcement"]["notes"] == rep.notes);

    if (abi == 0) {
        CHECK(mechanism_report::starting(rep.missing, "Landlock is unavailable").size() == 1);
        CHECK(mechanism_report::starting(rep.enforced, "Landlock ABI").empty());
        return;
    }
    CHECK(mechanism_report::starting(rep.enforced, "Landlock ABI " + std::to_string(abi) + ": file rules").size() == 1);
    CHECK(mechanism_report::starting(rep.enforced, "Landlock ABI").size() == 1);
    CHECK(mechanism_report::starting(rep.missing, "Landlock").empty());
    const std::size_t lacks_truncate = abi < 3, lacks_ioctl = abi < 5, lacks_scope = abi < 6;
    CHECK(mechanism_report::starting(rep.notes, "Landlock ABI < 3: truncate() by path is not restricted").size() ==
          lacks_truncate);
    CHECK(mechanism_report::starting(rep.notes, "Landlock ABI < 5: ioctl on devices is not restricted").size() ==
          lacks_ioctl);
    CHECK(mechanism_report::starting(rep.notes, "Landlock ABI " + std::to_string(abi) +
                                                    " < 6: signals to processes outside the sandbox and abstract "
                                                    "unix sockets are not scoped")
              .size() == lacks_scope);
    CHECK(mechanism_report::starting(rep.notes, "Landlock ABI").size() == lacks_truncate + lacks_ioctl + lacks_scope);

    // The outcome, checked from outside: the file keeps its content exactly where the report
    // does not declare truncate unrestricted.
    if (abi >= 3) {
        CHECK(r.first("truncate") == "EACCES");
        CHECK(content_of(d + "/allowed/a.txt") == "allowed\n");
    } else {
        CHECK(r.first("truncate") == "ok");
        CHECK(content_of(d + "/allowed/a.txt").empty());
    }
}
