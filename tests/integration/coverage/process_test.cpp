// Issue 3, "Processes": clone3/vfork/posix_spawn/threads as fork events, fileless execution
// marked on exec, memfd_create, credential and security-state changes, and signals that leave the
// traced tree (with the target's executable) while signals inside it stay out of the trace.
#include "cov_helpers.hpp"

#include <csignal>
#include <cerrno>

using namespace covtest;

TEST_CASE("clone3, vfork, posix_spawn and threads are fork events, threads marked", "[coverage][process]") {
    temp_dir d;
    run_result r = run_traced(d, {"cov_proc", "spawn"});
    auto fork_of = [&](long long child) {
        return r.one("fork of " + std::to_string(child), [&](const json& e) { return is(e, "fork") && e["child_pid"] == child; });
    };
    json c3 = fork_of(r.act("clone3").num("child"));
    CHECK(c3["syscall"] == "clone3");
    CHECK(c3["thread"] == false);
    json vf = fork_of(r.act("vfork").num("child"));
    CHECK(vf["syscall"] == "vfork");
    json ps = fork_of(r.act("posix_spawn").num("child"));
    CHECK(ps["thread"] == false);
    // the spawned programs' execs follow
    CHECK_FALSE(r.all([&](const json& e) { return is(e, "exec") && e["pid"] == r.act("posix_spawn").num("child") && s(e, "path") == "/usr/bin/true"; }).empty());
    long long tid = r.act("thread").num("tid");
    json th = r.one("thread", [&](const json& e) { return is(e, "fork") && e["child_tid"] == tid; });
    CHECK(th["thread"] == true);
    CHECK(th["child_pid"] == th["pid"]);
}

TEST_CASE("fileless execution is marked on exec, memfd_create recorded", "[coverage][process][evasion]") {
    temp_dir d;
    run_result r = run_traced(d, {"cov_proc", "fileless", d.str()});
    const action& m = r.act("memfd_create");
    json mc = r.one("memfd_create", [](const json& e) { return is(e, "memfd_create"); });
    CHECK(mc["name"] == m.get("name"));
    CHECK(mc["ret"] == m.ret());
    CHECK(mc["flags"] == 0);

    json me = r.one("memfd exec", [&](const json& e) { return is(e, "exec") && e["pid"] == r.act("memfd_exec").num("child"); });
    CHECK(s(me, "path") == "memfd:" + m.get("name"));
    CHECK(me["fileless"] == "memfd"); // run through its descriptor, but what ran is a memfd
    CHECK(me["ret"] == 0);

    const action& ea = r.act("execveat_empty_path");
    json ee = r.one("execveat", [&](const json& e) { return is(e, "exec") && e["pid"] == ea.num("child"); });
    CHECK(s(ee, "path") == ea.get("path"));
    CHECK(ee["syscall"] == "execveat");
    CHECK(ee["fileless"] == "fd");

    const action& de = r.act("deleted_exec");
    json dx = r.one("deleted exec", [&](const json& e) { return is(e, "exec") && e["pid"] == de.num("child"); });
    CHECK(s(dx, "path") == de.get("path") + " (deleted)");
    CHECK(dx["fileless"] == "deleted");
}

TEST_CASE("credential and security-state changes are recorded with arguments and results", "[coverage][process]") {
    temp_dir d;
    run_result r = run_traced(d, {"cov_proc", "cred"});
    auto cred = [&](const char* sc) { return r.all([&](const json& e) { return is(e, "cred", sc); }); };
    REQUIRE(cred("setgid").size() == 1);
    CHECK(cred("setgid")[0]["args"] == json::array({0}));
    auto setuid = cred("setuid");
    REQUIRE(setuid.size() == 2);
    CHECK(setuid[0]["ret"] == 0);
    const action& denied = r.act("setuid_denied");
    CHECK(setuid[1]["ret"] == denied.ret());
    CHECK(setuid[1]["errno"] == "EPERM");
    CHECK(setuid[1]["pid"] == denied.num("pid"));
    auto setres = cred("setresuid");
    REQUIRE(setres.size() == 2);
    CHECK(setres[1]["args"] == json::array({65534, 65534, 65534}));
    CHECK(setres[1]["pid"] == r.act("setresuid_child").num("pid"));
    auto cap = cred("capset");
    REQUIRE(cap.size() == 1);
    CHECK(cap[0]["effective"].get<unsigned long long>() % (1ull << 32) == std::stoull(r.act("capset").get("effective0")));
    CHECK(cred("setgroups").at(0)["groups"] == json::array({0}));

    auto prctl = r.all([](const json& e) { return is(e, "prctl"); });
    REQUIRE(prctl.size() == 4);
    CHECK(prctl[0]["option"] == "PR_SET_DUMPABLE");
    CHECK(prctl[0]["arg2"] == 0);
    CHECK(prctl[1]["option"] == "PR_SET_NO_NEW_PRIVS");
    CHECK(prctl[1]["arg2"] == 1);
    CHECK(prctl[2]["option"] == "seccomp");
    CHECK(prctl[2]["operation"] == 1);
    CHECK(prctl[3]["option"] == "PR_SET_SECCOMP");
    CHECK(prctl[3]["arg2"] == 2);
    for (const auto& p : prctl)
        CHECK(p["ret"] == 0);
}

namespace {

// `cov_proc MODE PID` recorded, PID a process of the machine outside the traced tree
// (/usr/bin/sleep), gone again when this returns.
std::pair<run_result, pid_t> run_on_outsider(const temp_dir& d, const std::string& mode) {
    pid_t outsider = ::fork();
    if (outsider == 0) {
        ::execl("/bin/sleep", "sleep", "30", (char*)nullptr);
        ::_exit(127);
    }
    ::usleep(100 * 1000); // let it exec, so its executable is /usr/bin/sleep
    run_result r = run_traced(d, {"cov_proc", mode, std::to_string(outsider)});
    ::kill(outsider, SIGKILL);
    ::waitpid(outsider, nullptr, 0);
    return {std::move(r), outsider};
}

} // namespace

TEST_CASE("signals leaving the traced tree name their target, signals inside it do not appear", "[coverage][process]") {
    temp_dir d;
    auto [r, outsider] = run_on_outsider(d, "signal");

    for (const char* sc : {"kill", "tgkill", "pidfd_send_signal"}) {
        INFO(sc);
        json e = r.one(sc, [&](const json& e) { return is(e, "signal", sc); });
        CHECK(e["target_pid"] == outsider);
        CHECK(s(e, "target_exe") == "/usr/bin/sleep");
        CHECK(e["sig"] == SIGCONT);
        CHECK(e["signal_name"] == "SIGCONT");
        CHECK(e["ret"] == 0);
    }
    long long inside = r.act("kill_inside").num("target");
    CHECK(r.all([&](const json& e) { return is(e, "signal") && e["target_pid"] == inside; }).empty());
    CHECK(r.summary()["counts"]["signal"] == 3);
}

// How a tree would starve glassbox of CPU or I/O without a signal: another process's priority,
// scheduling or CPUs. Recorded when the target may be outside the tree, with the target named;
// the caller's own settings and its own child's are not (every program sets those).
TEST_CASE("priority and scheduling changes on a process outside the tree are recorded with their target",
          "[coverage][process]") {
    temp_dir d;
    auto [r, outsider] = run_on_outsider(d, "priority");
    REQUIRE(r.status == 0);
    auto priv_of = [&](const std::string& op) {
        return r.all([&](const json& e) { return is(e, "priv") && e.value("op", "") == op; });
    };
    for (const char* op : {"setpriority", "ioprio_set", "sched_setaffinity", "sched_setscheduler", "sched_setparam"}) {
        INFO(op);
        auto evs = priv_of(op);
        auto at = r.all([&](const json& e) {
            return is(e, "priv") && e.value("op", "") == op && e.value("target_pid", 0) == outsider;
        });
        REQUIRE(at.size() == 1);
        CHECK(s(at[0], "target_exe") == "/usr/bin/sleep");
        CHECK(at[0]["ret"] == r.act(op).ret());
        CHECK(at[0]["ret"] == 0);
        // Itself (pid 0) and its own child: nothing recorded. setpriority also has the user call.
        CHECK(evs.size() == (std::string(op) == "setpriority" ? 2u : 1u));
    }
    auto sp = r.one("setpriority on the outsider", [&](const json& e) {
        return is(e, "priv") && e.value("op", "") == "setpriority" && e.value("target_pid", 0) == outsider;
    });
    CHECK(sp["which"] == 0);
    CHECK(sp["who"] == outsider);
    CHECK(sp["prio"] == r.act("setpriority").num("prio"));
    auto io = r.one("ioprio_set", [&](const json& e) { return is(e, "priv") && e.value("op", "") == "ioprio_set"; });
    CHECK(io["which"] == 1);
    CHECK(io["ioprio"] == r.act("ioprio_set").num("ioprio"));
    auto sch = r.one("sched_setscheduler",
                     [&](const json& e) { return is(e, "priv") && e.value("op", "") == "sched_setscheduler"; });
    CHECK(sch["policy"] == 0); // SCHED_OTHER
    // By user: no target process, the user named as `who`, the failure as it was.
    auto user = r.one("setpriority by user", [&](const json& e) {
        return is(e, "priv") && e.value("op", "") == "setpriority" && e.value("which", -1) == 2;
    });
    CHECK(user["who"] == 64999);
    CHECK(!user.contains("target_pid"));
    CHECK(!user.contains("target_exe"));
    CHECK(r.act("setpriority_user").ret() == -ESRCH);
    CHECK(user["ret"] == -ESRCH);
    CHECK(user["errno"] == "ESRCH");
    CHECK(r.act("setpriority_own_pgrp").ret() == 0);
}
