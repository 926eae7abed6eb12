// Unit tests for turning recorder events into Landlock / complain-mode violations.
#include "enforce/derive.hpp"

#include <catch2/catch.hpp>

using namespace glassbox::enforce;
using nlohmann::json;

namespace {
policy make_policy() {
    policy p;
    p.files.push_back({"/usr/bin/cat", acc_exec, nullptr});
    p.files.push_back({"/srv/**", acc_read | acc_remove, nullptr});
    return p;
}
} // namespace

TEST_CASE("a refused exec becomes a Landlock violation", "[enforce][derive]") {
    auto pol = make_policy();
    json ev = {{"type", "exec"}, {"pid", 42}, {"tid", 42}, {"path", nullptr}, {"raw_path", "/usr/bin/id"},
               {"ret", -13}, {"errno", "EACCES"}, {"syscall", "execve"}};
    auto v = violation_from_event(ev, pol, mode::enforce, false);
    REQUIRE(v);
    CHECK(v->section == "processes.exec");
    CHECK(v->path == "/usr/bin/id");
    CHECK(v->mechanism == "landlock");
    CHECK(v->action == "denied");
    CHECK(v->pid == 42);
    auto k = violation_from_event(ev, pol, mode::kill, false);
    REQUIRE(k);
    CHECK(k->action == "killed");
}

TEST_CASE("allowed or unrelated events are not violations", "[enforce][derive]") {
    auto pol = make_policy();
    json ok = {{"type", "exec"}, {"pid", 1}, {"path", "/usr/bin/cat"}, {"ret", 0}};
    CHECK_FALSE(violation_from_event(ok, pol, mode::enforce, false));
    CHECK_FALSE(violation_from_event(ok, pol, mode::complain, false));
    json enoent = {{"type", "exec"}, {"pid", 1}, {"raw_path", "/nope"}, {"ret", -2}, {"errno", "ENOENT"}};
    CHECK_FALSE(violation_from_event(enoent, pol, mode::enforce, false));
    json fork = {{"type", "fork"}, {"pid", 1}};
    CHECK_FALSE(violation_from_event(fork, pol, mode::enforce, false));
}

TEST_CASE("complain mode reports what Landlock would have refused", "[enforce][derive]") {
    auto pol = make_policy();
    json ex = {{"type", "exec"}, {"pid", 7}, {"path", "/usr/bin/id"}, {"ret", 0}};
    auto v = violation_from_event(ex, pol, mode::complain, false);
    REQUIRE(v);
    CHECK(v->action == "allowed");
    CHECK(v->mechanism == "trace");
    json un = {{"type", "unlink"}, {"pid", 7}, {"path", "/etc/x"}, {"ret", 0}};
    auto u = violation_from_event(un, pol, mode::complain, false);
    REQUIRE(u);
    CHECK(u->section == "files.delete");
    json un_ok = {{"type", "unlink"}, {"pid", 7}, {"path", "/srv/x"}, {"ret", 0}};
    CHECK_FALSE(violation_from_event(un_ok, pol, mode::complain, false));
}

TEST_CASE("refused opens are derived only when the supervisor did not decide them", "[enforce][derive]") {
    auto pol = make_policy();
    json op = {{"type", "open"}, {"pid", 3}, {"path", nullptr}, {"raw_path", "/etc/shadow"}, {"access", "read"},
               {"ret", -13}, {"errno", "EACCES"}};
    auto v = violation_from_event(op, pol, mode::enforce, false);
    REQUIRE(v);
    CHECK(v->section == "files.read");
    CHECK(v->path == "/etc/shadow");
    CHECK_FALSE(violation_from_event(op, pol, mode::enforce, true));
}
