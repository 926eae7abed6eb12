// Root integration tests for exec rules decided at exec time: a program created after the start
// that matches an allowed processes.exec glob runs, one that does not is refused (EACCES, the
// command goes on, a violation is recorded), and flipping the exec path buffer from another
// thread never runs the forbidden program (the exec backstop kills such a task instead).
#include "enforce_helpers.hpp"

#include <catch2/catch.hpp>

using namespace enf_test;

namespace {

void require_root() { REQUIRE(geteuid() == 0); }

std::string exec_glob_profile(const std::string& d) {
    std::string sh = std::filesystem::canonical("/bin/sh").string();
    // bin/** is readable as a whole, so only execs need the supervisor (opens stay in Landlock).
    return base_profile(", " + d + "/bin/**", "", "[" + d + "/bin/**]",
                        ", \"" + d + "/bin/tool-*\", /bin/sh, " + sh);
}

} // namespace

TEST_CASE("exec globs are decided at exec time, for programs created after the start", "[enforce][exec]") {
    require_root();
    scratch s;
    const std::string d = s.dir;
    std::filesystem::create_directories(d + "/bin");
    for (bool recorded : {true, false}) {
        DYNAMIC_SECTION((recorded ? "recorded (--out)" : "not recorded")) {
            std::filesystem::remove(d + "/bin/tool-new");
            std::filesystem::remove(d + "/bin/other");
            std::filesystem::remove(d + "/bin/tool-script");
            std::filesystem::remove(d + "/bin/tool-bad-interp");
            // Scripts written before the run (the fixture copies binaries only): one with an
            // allowed interpreter, one whose interpreter is not in processes.exec.
            scratch::write(d + "/bin/tool-script", "#!/bin/sh\necho script-ok\n", 0755);
            scratch::write(d + "/bin/tool-bad-interp", "#!/usr/bin/env true\n", 0755);
            auto r = run_enforce(s, exec_glob_profile(d), {},
                                 {"copy", fixture, d + "/bin/tool-new", "copy", fixture, d + "/bin/other",
                                  "exec", d + "/bin/tool-new", "whoami", "exec", d + "/bin/other", "whoami",
                                  "exec", d + "/bin/tool-script", "x", "exec", d + "/bin/tool-bad-interp", "x",
                                  "exec", "/usr/bin/id", "x"},
                                 fixture, recorded);
            INFO(r.err);
            INFO(r.out);
            REQUIRE(r.exit_code() == 0);
            CHECK(r.err.find("BPF exec backstop") != std::string::npos);
            CHECK(r.err.find("every open/openat/openat2/creat emulated") == std::string::npos);
            auto copies = r.results("copy");
            REQUIRE(copies.size() == 2);
            CHECK(copies[0] == "ok");
            CHECK(copies[1] == "ok");
            auto ex = r.results("exec");
            REQUIRE(ex.size() == 5);
            CHECK(ex[0] == "ok");      // created after the start, matches bin/tool-*
            CHECK(ex[1] == "EACCES");  // created after the start, does not match
            CHECK(ex[2] == "ok");      // a script matching the glob, with an allowed interpreter
            CHECK(ex[3] == "EACCES");  // matching script, interpreter not in processes.exec
            CHECK(ex[4] == "EACCES");  // outside the glob's hierarchy: Landlock and the supervisor
            auto who = r.results("whoami");
            REQUIRE(who.size() == 1);
            CHECK(who[0] == d + "/bin/tool-new");
            CHECK(r.out.find("script-ok\n") != std::string::npos);
            if (recorded) {
                int other = 0, interp = 0, id = 0;
                for (const auto& v : r.violations()) {
                    if (v.value("section", "") != "processes.exec")
                        continue;
                    CHECK(v["mechanism"] == "seccomp-notify"); // decided once, by the supervisor
                    CHECK(v["action"] == "denied");
                    std::string p = v.value("path", "");
                    other += p == d + "/bin/other";
                    interp += p == "/usr/bin/env";
                    id += p == "/usr/bin/id";
                }
                CHECK(other == 1);
                CHECK(interp == 1);
                CHECK(id == 1);
            }
        }
    }
}

TEST_CASE("flipping the exec path buffer never runs the forbidden program", "[enforce][exec][race]") {
    require_root();
    scratch s;
    const std::string d = s.dir;
    std::filesystem::create_directories(d + "/bin");
    std::filesystem::copy_file(fixture, d + "/bin/tool-ok");
    std::filesystem::copy_file(fixture, d + "/bin/forbidden");
    chmod((d + "/bin/tool-ok").c_str(), 0755);
    chmod((d + "/bin/forbidden").c_str(), 0755);
    auto r = run_enforce(s, exec_glob_profile(d), {"-q"},
                         {"exec_race", d + "/bin/tool-ok", d + "/bin/forbidden", "300"});
    INFO(r.err);
    REQUIRE(r.exit_code() == 0);
    auto res = r.first("exec_race");
    INFO(res);
    int ran = -1, denied = -1, killed = -1, other = -1, enoent = -1;
    REQUIRE(std::sscanf(res.c_str(), "ran=%d denied=%d killed=%d other=%d enoent=%d", &ran, &denied, &killed, &other,
                        &enoent) == 5);
    CHECK(ran + denied + killed + other == 300);
    CHECK(other == enoent); // the only other outcome: a torn path naming no file
    CHECK(ran > 0);    // the allowed program does run when the buffer holds it
    CHECK(denied > 0); // and the forbidden one is refused when it is read as such
    for (const auto& w : r.results("whoami"))
        CHECK(w == d + "/bin/tool-ok"); // never the forbidden one
    // Every child that exited 0 ran the allowed program and printed exactly one line saying so;
    // the fixture prints "<arg>: unknown action" if its argv ever arrived damaged.
    CHECK(static_cast<int>(r.results("whoami").size()) == ran);
    CHECK(r.out.find("unknown action") == std::string::npos);
    // Every kill of the backstop is a recorded violation.
    int backstop = 0;
    for (const auto& v : r.violations())
        backstop += v.value("mechanism", "") == "bpf-exec-backstop";
    CHECK(backstop == killed);
    WARN("exec race: ran=" << ran << " denied=" << denied << " killed by the backstop=" << killed
                           << " other=" << other);
}
