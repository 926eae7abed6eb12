// Root integration tests for when opens need the seccomp supervisor: a file glob finer than a
// Landlock hierarchy does, unless whole-hierarchy rules already allow the same accesses on all of
// its directory (then Landlock alone is exact and no open leaves the kernel).
#include "enforce_helpers.hpp"

#include <catch2/catch.hpp>

using namespace enf_test;

TEST_CASE("a glob inside a hierarchy the profile already allows needs no supervised opens", "[enforce][files]") {
    REQUIRE(geteuid() == 0);
    scratch s;
    const std::string d = s.dir;
    const std::string emulated = "every open/openat/openat2/creat emulated";
    for (bool covered : {true, false}) {
        DYNAMIC_SECTION((covered ? "covered by allowed/**" : "not covered")) {
            std::string reads = covered ? ", " + d + "/allowed/**, " + d + "/allowed/*.txt" : ", " + d + "/allowed/*.txt";
            auto r = run_enforce(s, base_profile(reads), {},
                                 {"read", d + "/allowed/a.txt", "read", d + "/secret/s.txt"});
            INFO(r.err);
            INFO(r.out);
            REQUIRE(r.exit_code() == 0);
            CHECK((r.err.find(emulated) == std::string::npos) == covered);
            auto rd = r.results("read");
            REQUIRE(rd.size() == 2);
            CHECK(rd[0] == "ok:allowed");
            CHECK(rd[1] == "EACCES");
            int denied = 0;
            for (const auto& v : r.violations())
                if (v.value("path", "") == d + "/secret/s.txt") {
                    ++denied;
                    // Covered: Landlock refused it in the kernel; else the supervisor did.
                    CHECK(v["mechanism"] == (covered ? "landlock" : "seccomp-notify"));
                    CHECK(v["action"] == "denied");
                }
            CHECK(denied == 1);
        }
    }
}
