// The hostile-agent suite (issue: evidence a hostile agent cannot silence): the real glassbox
// records tests/fixtures/hostile.c, a root program that tries to kill, stop, trace, freeze,
// blind or starve it, one way per case, then acts (creates a marker file). Each case checks,
// from outside: glassbox survived and ended normally with the fixture's status, the act after the
// attack is in the trace, the attempt is in the trace as the failure it was, and the trace is
// complete and verifies. Where protection is declared absent (--protect none) or glassbox is
// killed from outside (OOM, a crash), it checks fail-closed instead: the tree is stopped and the
// partial trace is readable and verifies as partial. kill(-1) runs only where it is harmless: in
// the tree's own pid namespace (--protect pidns), or inside the kernel-matrix VM.
#include "../record/helpers.hpp"

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <linux/landlock.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <thread>

namespace {

using gbtest::json;

int landlock_abi() {
    long v = ::syscall(__NR_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return v < 0 ? 0 : static_cast<int>(v);
}

bool in_vm() {
    const char* v = std::getenv("GB_HOSTILE_VM");
    return v && std::string(v) == "1";
}

struct hostile_run {
    int status = -1;
    std::string out; // the fixture's "attempt ..." lines
    std::string err;
    std::string trace_path;
    std::vector<json> trace;
    pid_t glassbox_pid = 0;
};

// glassbox run --protect MODE [extra] -- hostile CASE [arg], with GB_TARGETS = glassbox's pid
// (a shell execs glassbox, so its $$ is glassbox's pid) and GB_MARK = DIR/mark.
hostile_run run_case(const gbtest::temp_dir& dir, const std::string& mode, const std::string& kase,
                     const std::vector<std::string>& extra = {}, const std::string& arg = "") {
    hostile_run r;
    r.trace_path = dir / ("trace-" + kase + ".jsonl");
    std::string cmd = "echo $$ >" + (dir / "glassbox.pid") + "; GB_TARGETS=$$ GB_MARK=" + (dir / "mark") +
                      " exec " GLASSBOX_BIN " run -q --protect " + mode + " --out " + r.trace_path;
    for (const auto& e : extra)
        cmd += " " + e;
    cmd += " -- " + gbtest::fixture("hostile") + " " + kase + (arg.empty() ? "" : " " + arg);
    auto res = glassbox_test::run_command({"/bin/sh", "-c", cmd}, true);
    r.status = res.status;
    r.out = res.out;
    r.err = res.err;
    std::ifstream pidf(dir / "glassbox.pid");
    pidf >> r.glassbox_pid;
    if (std::filesystem::exists(r.trace_path))
        r.trace = gbtest::load_trace(r.trace_path);
    return r;
}

std::vector<json> of_fixture(const hostile_run& r, const std::string& type) {
    return gbtest::find_all(r.trace, [&](const json& e) {
        return e.value("type", "") == type && e.value("comm", "") == "hostile";
    });
}

// glassbox was killed, and its armed watchdog kept what the kernel still held: the kill itself is
// in the partial trace, under the watchdog's account, and every line of the file verifies.
void check_watchdog_kept(const std::string& partial_path, pid_t glassbox) {
    REQUIRE(gbtest::wait_for_watchdog(partial_path));
    auto t = gbtest::load_trace(partial_path);
    auto dog = gbtest::find_all(t, [](const json& e) { return e.value("type", "") == "watchdog"; });
    REQUIRE(dog.size() == 1);
    CHECK(dog[0].value("killed", 0) >= 1);
    CHECK(dog[0].value("first_line", 0) > 1);
    auto kills = gbtest::find_all(t, [&](const json& e) {
        return e.value("type", "") == "signal" && e.value("sig", 0) == SIGKILL && e.value("target_pid", 0) == glassbox;
    });
    REQUIRE(kills.size() == 1);
    CHECK(kills[0].value("target_exe", "").ends_with("/glassbox"));
    CHECK(kills[0].value("ret", -1) == 0);
    std::string vout;
    CHECK(gbtest::run({GLASSBOX_BIN, "verify", partial_path}, &vout) == 4);
    INFO("verify: " << vout);
    CHECK(vout.find("its watchdog appended lines") != std::string::npos);
    CHECK(vout.find(fmt::format("all {} lines are verified", t.size())) != std::string::npos);
}

// The fixture acted after its attack, and glassbox recorded it; the trace is complete and intact.
void check_survived(const hostile_run& r, const gbtest::temp_dir& dir) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.status == 0);
    REQUIRE(!r.trace.empty());
    CHECK(r.trace.back().value("type", "") == "summary");
    CHECK(r.trace.back().value("complete", false));
    CHECK(r.trace.back().value("ended_by", "") == "exit");
    auto marks = gbtest::find_all(of_fixture(r, "open"), [&](const json& e) { return gbtest::str_or(e, "path") == dir / "mark"; });
    CHECK(marks.size() == 1);
    CHECK(r.out.find("attempt mark 0 = ") != std::string::npos);
    std::string vout;
    CHECK(gbtest::run({GLASSBOX_BIN, "verify", r.trace_path}, &vout) == 0);
}

const json& header(const hostile_run& r) { return r.trace.front(); }

bool has_mechanism(const json& head, const std::string& words) {
    for (const auto& m : head["protection"]["mechanisms"])
        if (m.get<std::string>().find(words) != std::string::npos)
            return true;
    return false;
}
bool has_mechanism(const hostile_run& r, const std::string& words) { return has_mechanism(header(r), words); }

// Whether this kernel runs BPF LSM programs, asked of `glassbox doctor` (its own probe, not the
// recorder's): the LSM guard must be in a trace's header exactly where this says it can be. The
// detail is the kernel's answer, for a test that cannot run without it.
std::pair<bool, std::string> bpf_lsm_here() {
    static const auto answer = [] {
        std::string out;
        gbtest::run({GLASSBOX_BIN, "doctor", "--json"}, &out);
        auto j = json::parse(out, nullptr, false);
        if (j.is_discarded() || !j.contains("features") || !j["features"].contains("bpf_lsm"))
            return std::pair<bool, std::string>{false, "glassbox doctor --json did not answer"};
        const auto& f = j["features"]["bpf_lsm"];
        return std::pair<bool, std::string>{f.value("state", "") == "present", f.value("detail", "")};
    }();
    return answer;
}

bool has_guard(const hostile_run& r) { return has_mechanism(r, "BPF LSM guard"); }

// Signal events of the fixture with this signal number.
std::vector<json> signals_of(const hostile_run& r, int sig) {
    return gbtest::find_all(of_fixture(r, "signal"), [&](const json& e) { return e.value("sig", -1) == sig; });
}

// pidns: the fixture sees glassbox's pid only as a number it was told; in its namespace that
// number names nothing (ESRCH), and the trace says the number is the caller's namespace's.
void check_pidns_refused(const std::vector<json>& evs, pid_t glassbox) {
    auto at_glassbox = gbtest::find_all(evs, [&](const json& e) { return e.value("target_pid", 0) == glassbox; });
    REQUIRE(at_glassbox.size() >= 1);
    for (const auto& e : at_glassbox) {
        CHECK(e.value("ret", 0) < 0);
        CHECK(e.value("errno", "") == "ESRCH");
        CHECK(e.value("target_pid_ns", "") == "caller");
        CHECK(e["target_exe"].is_null());
    }
}

// landlock: the fixture names glassbox, the kernel refuses (EPERM), and the trace names the target.
void check_landlock_refused(const std::vector<json>& evs, pid_t glassbox) {
    auto at_glassbox = gbtest::find_all(evs, [&](const json& e) { return e.value("target_pid", 0) == glassbox; });
    REQUIRE(at_glassbox.size() >= 1);
    for (const auto& e : at_glassbox) {
        CHECK(e.value("errno", "") == "EPERM");
        CHECK(gbtest::str_or(e, "target_exe").ends_with("/glassbox"));
        CHECK(!e.contains("target_pid_ns"));
    }
}

// Waits until the recording is live: the header is in the partial file (it is written once the
// programs are attached; the file itself exists earlier). Under TCG that takes seconds.
bool wait_live(const std::string& partial) {
    for (int i = 0; i < 600; ++i) {
        std::error_code ec;
        if (std::filesystem::file_size(partial, ec) > 0 && !ec)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

// A live (not zombie) process of that name: a killed tree whose parent is gone waits a moment for
// whoever inherits it to reap it.
bool alive_named(const std::string& comm) {
    auto r = glassbox_test::run_command({"/usr/bin/pgrep", "-x", "-r", "R,S,D,T,t", comm});
    return r.status == 0;
}

// That process exists and is not a zombie.
bool alive_pid(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string stat;
    if (!pid || !std::getline(in, stat))
        return false;
    auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z' && stat[close + 2] != 'X';
}

// The cgroups the cgroup-freeze case makes (glassbox-hostile-PID under the cgroup v2 root): a
// fixture killed by the tripwire leaves its own behind, empty.
void remove_fixture_cgroups() {
    for (const char* root : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(root, ec))
            if (e.path().filename().string().starts_with("glassbox-hostile-"))
                ::rmdir(e.path().c_str());
    }
}

// The tripwire's outcome when the tree moved glassbox into a cgroup of its own (cgroup-freeze): the
// mover was killed before it could freeze that cgroup, the move is recorded with glassbox named,
// and glassbox went on to write a complete trace that verifies. `glassbox`: the process moved (0:
// any of glassbox's).
void check_tripwire(int command_status, const std::vector<json>& trace, const std::string& out, pid_t glassbox,
                    const std::string& trace_path) {
    INFO("fixture: " << out);
    CHECK(command_status == 128 + SIGKILL); // the command's status: the mover was the command
    CHECK(out.find("= 0 OK") == std::string::npos); // it died in its first move...
    CHECK(out.find("cgroup-freeze-moved") == std::string::npos); // ...so it never froze glassbox
    REQUIRE(!trace.empty());
    CHECK(trace.back().value("type", "") == "summary");
    CHECK(trace.back().value("complete", false));
    auto moves = gbtest::find_all(trace, [](const json& e) { return e.value("op", "") == "cgroup_attach"; });
    REQUIRE(moves.size() == 1);
    CHECK(moves[0].value("comm", "") == "hostile");
    if (glassbox) // else: the pid namespace's init, a glassbox process of its own
        CHECK(moves[0].value("target_pid", 0) == glassbox);
    // Without bpf_task_from_pid (6.1) the target is named from /proc when the record is read: the
    // init may be gone by then (its namespace ended with the killed command), and says so.
    if (moves[0].value("target_exe_source", "") == "proc" && moves[0]["target_exe"].is_null())
        CHECK(glassbox == 0);
    else
        CHECK(gbtest::str_or(moves[0], "target_exe").ends_with("/glassbox"));
    CHECK(moves[0].value("cgroup_id", 0ULL) > 0);
    auto exits = gbtest::find_all(trace, [&](const json& e) {
        return e.value("type", "") == "exit" && e.value("pid", 0) == moves[0].value("pid", 0);
    });
    REQUIRE(exits.size() == 1);
    CHECK(exits[0].value("signal", 0) == SIGKILL);
    std::string vout;
    CHECK(gbtest::run({GLASSBOX_BIN, "verify", trace_path}, &vout) == 0);
}

} // namespace

TEST_CASE("hostile pidns: killing glassbox, its parent, stopping it all fail", "[hostile][pidns]") {
    gbtest::temp_dir dir;
    for (std::string kase : {"kill-glassbox", "stop-glassbox", "kill-parent"}) {
        DYNAMIC_SECTION(kase) {
            auto r = run_case(dir, "pidns", kase);
            check_survived(r, dir);
            CHECK(header(r)["protection"]["mode"] == "pidns");
            int sig = kase == "stop-glassbox" ? SIGSTOP : SIGKILL;
            auto evs = signals_of(r, sig);
            if (kase == "kill-parent") {
                // Its parent is glassbox's init, pid 1 of its namespace: the kernel drops the signal.
                REQUIRE(evs.size() == 1);
                CHECK(evs[0].value("target_pid", 0) == 1);
                CHECK(evs[0].value("target_pid_ns", "") == "caller");
            } else {
                check_pidns_refused(evs, r.glassbox_pid);
            }
        }
    }
}

TEST_CASE("hostile pidns: kill(-1) ends only the tree's own namespace", "[hostile][pidns]") {
    gbtest::temp_dir dir;
    auto r = run_case(dir, "pidns", "kill-all");
    check_survived(r, dir);
    auto evs = signals_of(r, SIGKILL);
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].value("syscall", "") == "kill");
    CHECK(evs[0].value("target_pid", 0) == -1);
    CHECK(r.out.find("attempt kill-all -1 = ") != std::string::npos);
}

TEST_CASE("hostile pidns: leaving the cgroup, then killing, is recorded and fails", "[hostile][pidns]") {
    gbtest::temp_dir dir;
    auto r = run_case(dir, "pidns", "leave-cgroup");
    check_survived(r, dir);
    CHECK(r.out.find("attempt leave-cgroup 0 = 0 OK") != std::string::npos);
    // The move itself: the fixture opened the cgroup2 root's cgroup.procs for writing.
    auto moves = gbtest::find_all(of_fixture(r, "open"), [](const json& e) {
        return gbtest::str_or(e, "path").ends_with("/cgroup.procs") && e.value("access", "") != "read";
    });
    CHECK(moves.size() >= 1);
    check_pidns_refused(signals_of(r, SIGKILL), r.glassbox_pid);
}

TEST_CASE("hostile pidns: ptrace, pidfd and prlimit cannot reach glassbox or its init", "[hostile][pidns]") {
    gbtest::temp_dir dir;
    SECTION("ptrace") {
        auto r = run_case(dir, "pidns", "ptrace");
        check_survived(r, dir);
        auto pt = gbtest::find_all(of_fixture(r, "priv"), [](const json& e) { return e.value("op", "") == "ptrace"; });
        check_pidns_refused(pt, r.glassbox_pid);
        // The init (pid 1 there) is the one process it can name: refused by Landlock (6.12+) or
        // by the seccomp filter; without Landlock the header says what is left (/proc/1/mem).
        auto at_init = gbtest::find_all(pt, [](const json& e) { return e.value("target_pid", 0) == 1; });
        REQUIRE(at_init.size() == 2);
        for (const auto& e : at_init) {
            CHECK(e.value("errno", "") == "EPERM");
            CHECK(e.value("target_pid_ns", "") == "caller");
        }
        CHECK(has_guard(r) == bpf_lsm_here().first);
        // /proc/1/mem stays open only where neither Landlock's scoping nor the LSM guard runs (6.1
        // booted without the BPF LSM).
        bool mem_open = !has_mechanism(r, "Landlock domain") && !has_guard(r);
        CHECK((header(r)["protection"]["gaps"].dump().find("/proc/1/mem") != std::string::npos) == mem_open);
    }
    SECTION("pidfd") {
        auto r = run_case(dir, "pidns", "pidfd");
        check_survived(r, dir);
        CHECK(r.out.find(fmt::format("attempt pidfd-open {} = -1 ESRCH", r.glassbox_pid)) != std::string::npos);
    }
    SECTION("prlimit") {
        auto r = run_case(dir, "pidns", "prlimit");
        check_survived(r, dir);
        CHECK(r.out.find(fmt::format("attempt prlimit-cpu {} = -1 ESRCH", r.glassbox_pid)) != std::string::npos);
        CHECK(r.out.find("attempt prlimit-cpu 1 = -1 EPERM") != std::string::npos);
        CHECK(r.out.find("attempt prlimit-fsize 1 = -1 EPERM") != std::string::npos);
        // In the trace: two on glassbox's number (ESRCH), two on the init (EPERM), with the limit.
        auto pl = gbtest::find_all(of_fixture(r, "priv"), [](const json& e) { return e.value("op", "") == "prlimit64"; });
        check_pidns_refused(pl, r.glassbox_pid);
        auto at_init = gbtest::find_all(pl, [](const json& e) { return e.value("target_pid", 0) == 1; });
        REQUIRE(at_init.size() == 2);
        for (const auto& e : at_init)
            CHECK(e.value("errno", "") == "EPERM");
        CHECK(pl.size() == 4);
        CHECK(gbtest::find_all(pl, [](const json& e) { return e.value("resource", -1) == 1; }).size() == 2); // FSIZE
    }
    SECTION("priority") {
        // glassbox's number names nothing there (ESRCH); its init (found by name) is refused.
        auto r = run_case(dir, "pidns", "priority");
        check_survived(r, dir);
        for (const char* op : {"setpriority", "ioprio_set", "sched_setaffinity", "sched_setscheduler"}) {
            INFO(op);
            auto evs = gbtest::find_all(of_fixture(r, "priv"), [&](const json& e) { return e.value("op", "") == op; });
            check_pidns_refused(evs, r.glassbox_pid);
            auto at_init = gbtest::find_all(evs, [](const json& e) { return e.value("target_pid", 0) == 1; });
            REQUIRE(at_init.size() == 1);
            CHECK(at_init[0].value("errno", "") == "EPERM");
        }
    }
    SECTION("mem") {
        // The init's memory and descriptors: refused by Landlock's scoping (6.12+) or the LSM
        // guard (a kernel running the BPF LSM); where neither runs the header says so.
        auto r = run_case(dir, "pidns", "mem");
        check_survived(r, dir);
        bool open_gap = !has_mechanism(r, "Landlock domain") && !has_guard(r);
        CHECK((header(r)["protection"]["gaps"].dump().find("/proc/1/mem") != std::string::npos) == open_gap);
        if (!open_gap) {
            CHECK(r.out.find("attempt proc-mem 1 = -1 EACCES") != std::string::npos);
            CHECK(r.out.find("attempt pidfd-getfd 1 = -1 EPERM") != std::string::npos);
            auto gf = gbtest::find_all(of_fixture(r, "priv"), [](const json& e) { return e.value("op", "") == "pidfd_getfd"; });
            REQUIRE(!gf.empty());
            for (const auto& e : gf)
                CHECK(e.value("errno", "") == "EPERM");
        }
        auto mem = gbtest::find_all(of_fixture(r, "open"), [](const json& e) { return gbtest::str_or(e, "raw_path") == "/proc/1/mem"; });
        CHECK(mem.size() == 1);
    }
}

TEST_CASE("hostile: cgroup.kill and cgroup.freeze cannot reach glassbox", "[hostile][pidns]") {
    gbtest::temp_dir dir;
    auto r = run_case(dir, "pidns", "cgroup-freeze");
    remove_fixture_cgroups();
    // glassbox lives in the cgroup v2 root, which has neither file; the fixture cannot name it.
    CHECK(r.out.find(fmt::format("attempt cgroup-move {} = -1 ESRCH", r.glassbox_pid)) != std::string::npos);
    auto writes = gbtest::find_all(of_fixture(r, "open"), [](const json& e) {
        return gbtest::str_or(e, "raw_path").ends_with("/cgroup.freeze") && e.value("access", "") != "read";
    });
    CHECK(writes.size() >= 1);
    // The one glassbox process it can name is the namespace's init (pid 1 there): moving it is
    // the tripwire's, like a move of glassbox itself.
    check_tripwire(r.status, r.trace, r.out, 0, r.trace_path);
    CHECK(r.err.find("moved back to the cgroup v2 root") != std::string::npos);
}

TEST_CASE("hostile: the tree cannot reach glassbox's BPF maps or links by id", "[hostile][pidns]") {
    gbtest::temp_dir dir;
    auto r = run_case(dir, "pidns", "bpf-blind");
    check_survived(r, dir);
    CHECK(r.out.find("bpf-map-delete-self") == std::string::npos);
    CHECK(r.out.find("bpf-link-detach") == std::string::npos);
    auto bpf = gbtest::find_all(of_fixture(r, "priv"), [](const json& e) { return e.value("op", "") == "bpf"; });
    int refused = 0;
    for (const auto& e : bpf) {
        std::string cmd = e.value("cmd", "");
        if (cmd == "BPF_MAP_GET_FD_BY_ID" || cmd == "BPF_LINK_GET_FD_BY_ID") {
            CHECK(e.value("errno", "") == "EPERM");
            ++refused;
        }
    }
    CHECK(refused >= 2); // glassbox's own maps and links exist, so there was something to try
}

TEST_CASE("hostile landlock: signals, ptrace, pidfd and prlimit to glassbox are refused", "[hostile][landlock]") {
    gbtest::temp_dir dir;
    if (landlock_abi() < 6) {
        // What this kernel must do instead: say why the mode cannot run here, in one line, and
        // exit 69 before anything runs (--protect pidns is the protection it has).
        auto r = run_case(dir, "landlock", "kill-glassbox");
        CHECK(r.status == 69);
        CHECK(r.err.find("--protect landlock needs Landlock ABI 6") != std::string::npos);
        CHECK(!std::filesystem::exists(dir / "mark"));
        CHECK(r.out.find("attempt") == std::string::npos);
        return;
    }
    SECTION("kill") {
        auto r = run_case(dir, "landlock", "kill-glassbox");
        check_survived(r, dir);
        CHECK(header(r)["protection"]["mode"] == "landlock");
        check_landlock_refused(signals_of(r, SIGKILL), r.glassbox_pid);
        // The watchdog, found in /proc by name, is refused the same way.
        CHECK(r.out.find("attempt kill ") != std::string::npos);
        CHECK(r.out.find("= 0 OK") == std::string::npos);
    }
    SECTION("stop") {
        auto r = run_case(dir, "landlock", "stop-glassbox");
        check_survived(r, dir);
        check_landlock_refused(signals_of(r, SIGSTOP), r.glassbox_pid);
    }
    SECTION("ptrace") {
        auto r = run_case(dir, "landlock", "ptrace");
        check_survived(r, dir);
        auto pt = gbtest::find_all(of_fixture(r, "priv"), [](const json& e) { return e.value("op", "") == "ptrace"; });
        check_landlock_refused(pt, r.glassbox_pid);
    }
    SECTION("pidfd") {
        auto r = run_case(dir, "landlock", "pidfd");
        check_survived(r, dir);
        auto ps = gbtest::find_all(signals_of(r, SIGKILL),
                                   [](const json& e) { return e.value("syscall", "") == "pidfd_send_signal"; });
        check_landlock_refused(ps, r.glassbox_pid);
    }
    SECTION("prlimit") {
        auto r = run_case(dir, "landlock", "prlimit");
        check_survived(r, dir);
        CHECK(r.out.find(fmt::format("attempt prlimit-cpu {} = -1 EPERM", r.glassbox_pid)) != std::string::npos);
        CHECK(r.out.find(fmt::format("attempt prlimit-fsize {} = -1 EPERM", r.glassbox_pid)) != std::string::npos);
        auto pl = gbtest::find_all(of_fixture(r, "priv"), [](const json& e) { return e.value("op", "") == "prlimit64"; });
        check_landlock_refused(pl, r.glassbox_pid);
    }
    SECTION("leave the cgroup, then kill") {
        auto r = run_case(dir, "landlock", "leave-cgroup");
        check_survived(r, dir);
        check_landlock_refused(signals_of(r, SIGKILL), r.glassbox_pid);
    }
    SECTION("move glassbox into a cgroup, then freeze it") {
        auto r = run_case(dir, "landlock", "cgroup-freeze");
        remove_fixture_cgroups();
        check_tripwire(r.status, r.trace, r.out, r.glassbox_pid, r.trace_path);
        CHECK(r.err.find("moved back to the cgroup v2 root") != std::string::npos);
    }
}

TEST_CASE("hostile landlock: kill(-1) reaches no process outside the tree", "[hostile][landlock][vm-only]") {
    if (!in_vm()) {
        // On a bare machine a failed protection would end every process: never run it there.
        SUCCEED("runs in the kernel-matrix VM only (GB_HOSTILE_VM=1)");
        return;
    }
    if (landlock_abi() < 6) {
        SUCCEED("no --protect landlock on this kernel (the refusal is checked by the case above)");
        return;
    }
    gbtest::temp_dir dir;
    // A process of the machine, outside the tree: it must outlive the attack.
    pid_t sentinel = ::fork();
    if (sentinel == 0)
        glassbox_test::exec_argv({"/bin/sleep", "60"});
    auto r = run_case(dir, "landlock", "kill-all");
    bool sentinel_alive = ::waitpid(sentinel, nullptr, WNOHANG) == 0;
    ::kill(sentinel, SIGKILL);
    ::waitpid(sentinel, nullptr, 0);
    check_survived(r, dir);
    CHECK(sentinel_alive);
    auto evs = signals_of(r, SIGKILL);
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].value("target_pid", 0) == -1);
}

TEST_CASE("hostile none: killing glassbox fails closed: the tree is killed, the partial trace verifies",
          "[hostile][none]") {
    gbtest::temp_dir dir;
    auto r = run_case(dir, "none", "kill-parent"); // its parent is glassbox here
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.status == 128 + SIGKILL);
    CHECK(r.err.find("glassbox watchdog: glassbox ended before the recording was over: the traced tree was killed") !=
          std::string::npos);
    CHECK(!alive_named("hostile"));
    check_watchdog_kept(r.trace_path + ".partial", r.glassbox_pid);
    auto partial = gbtest::load_trace(r.trace_path + ".partial");
    REQUIRE(!partial.empty());
    CHECK(partial.front()["protection"]["mode"] == "none");
}

TEST_CASE("hostile: glassbox killed from outside stops the tree (OOM, crash)", "[hostile][failclosed]") {
    for (std::string mode : {"pidns", "none"}) {
        DYNAMIC_SECTION(mode) {
            gbtest::temp_dir dir;
            std::string trace = dir / "t.jsonl";
            pid_t pid = ::fork();
            if (pid == 0) {
                int devnull = ::open("/dev/null", O_WRONLY);
                ::dup2(devnull, 2);
                glassbox_test::exec_argv({GLASSBOX_BIN, "run", "-q", "--protect", mode, "--out", trace, "--",
                                          gbtest::fixture("rec_actions"), "sleep", "30"});
            }
            // Wait for the recording to be live (the partial file has its header), then kill it.
            REQUIRE(wait_live(trace + ".partial"));
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            // The tree's root by its pid (the header's root_pid), not by name: other runs of the
            // fixture on the machine (benchmarks) are not this tree.
            auto head = gbtest::load_trace(trace + ".partial");
            REQUIRE(!head.empty());
            pid_t root = head.front().value("root_pid", 0);
            REQUIRE(alive_pid(root));
            ::kill(pid, SIGKILL);
            int st = 0;
            ::waitpid(pid, &st, 0);
            bool gone = false;
            for (int i = 0; i < 40 && !gone; ++i) {
                gone = !alive_pid(root);
                if (!gone)
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            CHECK(gone); // pidns: the kernel killed the namespace; none: the watchdog killed the tree
            // The watchdog, which held the ring, says what it did (under pidns the kernel ended the
            // namespace with glassbox's init: nothing left for it to kill); the whole file verifies.
            REQUIRE(gbtest::wait_for_watchdog(trace + ".partial"));
            std::string vout;
            CHECK(gbtest::run({GLASSBOX_BIN, "verify", trace + ".partial"}, &vout) == 4);
            auto t = gbtest::load_trace(trace + ".partial");
            auto dog = gbtest::find_all(t, [](const json& e) { return e.value("type", "") == "watchdog"; });
            REQUIRE(dog.size() == 1);
            if (mode == "none")
                CHECK(dog[0].value("killed", 0) >= 1);
            CHECK(vout.find(fmt::format("all {} lines are verified", t.size())) != std::string::npos);
        }
    }
}

TEST_CASE("hostile: filling the disk under the trace stops the tree with a clear error", "[hostile][enospc]") {
    gbtest::temp_dir dir;
    std::string small = dir / "small";
    std::filesystem::create_directory(small);
    REQUIRE(::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=4m") == 0);
    struct unmount {
        std::string p;
        ~unmount() { ::umount2(p.c_str(), MNT_DETACH); }
    } um{small};
    std::string trace = small + "/t.jsonl";
    auto res = glassbox_test::run_command({"/bin/sh", "-c",
                                           "GB_MARK=" + (dir / "mark") + " exec " GLASSBOX_BIN
                                           " run -q --out " + trace + " -- " + gbtest::fixture("hostile") +
                                           " fill-disk " + small},
                                          true);
    INFO("stdout: " << res.out << "\nstderr: " << res.err);
    CHECK(res.status == 73);
    CHECK(res.err.find("the trace can no longer be written: stopping the traced tree") != std::string::npos);
    CHECK(res.err.find("writing the trace '" + trace + ".partial' failed") != std::string::npos);
    // Stopped: it never reached its act, 2 s after the disk filled.
    CHECK(!std::filesystem::exists(dir / "mark"));
    CHECK(!alive_named("hostile"));
    std::string vout;
    CHECK(gbtest::run({GLASSBOX_BIN, "verify", trace + ".partial"}, &vout) == 4);
}

TEST_CASE("hostile: a flood past the ring buffer is counted, never hidden", "[hostile][flood]") {
    gbtest::temp_dir dir;
    const long n = 200000;
    auto r = run_case(dir, "pidns", "flood", {"--ringbuf-mb", "1"}, std::to_string(n));
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(!r.trace.empty());
    const auto& s = r.trace.back();
    REQUIRE(s.value("type", "") == "summary");
    auto opens = gbtest::find_all(of_fixture(r, "open"), [](const json& e) { return gbtest::str_or(e, "path") == "/dev/null"; });
    std::uint64_t lost = s.value("lost", 0ULL);
    std::uint64_t lost_opens = s.contains("lost_by_type") ? s["lost_by_type"].value("open", 0ULL) : 0;
    // Every open is either in the trace or counted as lost.
    CHECK(opens.size() + lost_opens >= static_cast<std::size_t>(n));
    CHECK(r.status == (lost > 0 ? 3 : 0));
    if (lost > 0)
        CHECK(r.err.find("events were LOST") != std::string::npos);
}

// enforce: the sandboxed program goes for its supervisor (glassbox itself). Complain mode, so the
// profile decides nothing about the attack: what stops it is the protection alone.
TEST_CASE("hostile enforce: the sandboxed program cannot kill its supervisor", "[hostile][enforce]") {
    gbtest::temp_dir dir;
    std::string prof = dir / "profile.yaml";
    {
        std::ofstream p(prof);
        p << "apiVersion: glassbox/v1\nkind: Profile\nmetadata: {name: hostile}\n"
          << "files:\n  read: [/etc/ld.so.cache, /usr/lib/**, /lib/**, /proc/**]\n  write: []\n"
          << "processes:\n  exec: [\"" << gbtest::fixture("hostile") << "\"]\n";
    }
    for (bool recorded : {true, false}) {
        DYNAMIC_SECTION((recorded ? "with --out" : "without --out")) {
            std::string trace = dir / "enforce.jsonl";
            std::filesystem::remove(trace);
            std::filesystem::remove(dir / "mark");
            std::string cmd = "echo $$ >" + (dir / "glassbox.pid") + "; GB_TARGETS=$$ GB_MARK=" + (dir / "mark") +
                              " exec " GLASSBOX_BIN " enforce -q --mode complain --profile " + prof +
                              (recorded ? " --out " + trace : std::string()) + " -- " + gbtest::fixture("hostile") +
                              " kill-glassbox";
            auto res = glassbox_test::run_command({"/bin/sh", "-c", cmd}, true);
            INFO("stdout: " << res.out << "\nstderr: " << res.err);
            pid_t gb = 0;
            std::ifstream(dir / "glassbox.pid") >> gb;
            CHECK(res.status == 0);
            CHECK(res.out.find(fmt::format("attempt kill {} = -1 ESRCH", gb)) != std::string::npos);
            CHECK(std::filesystem::exists(dir / "mark")); // it went on, still under the sandbox
            if (recorded) {
                auto t = gbtest::load_trace(trace);
                REQUIRE(!t.empty());
                CHECK(t.front()["protection"]["mode"] == "pidns");
                CHECK(t.back().value("complete", false));
                auto kills = gbtest::find_all(t, [&](const json& e) {
                    return e.value("type", "") == "signal" && e.value("target_pid", 0) == gb;
                });
                REQUIRE(kills.size() == 1);
                CHECK(kills[0].value("errno", "") == "ESRCH");
                std::string vout;
                CHECK(gbtest::run({GLASSBOX_BIN, "verify", trace}, &vout) == 0);
            }
        }
    }
}

namespace {

// attach: glassbox records a running target it did not start. The target (hostile CASE) is
// started first and waits for DIR/go-CASE; glassbox is forked before it (paused on a pipe) so that
// the target knows its pid. Once the recording is live the test writes glassbox's children (its
// watchdog, with --fail-closed) into the go file, which the target adds to its targets.
struct attach_run {
    int gb_status = -1;     // glassbox's wait status
    int target_status = -1; // the target's wait status; -1 when it outlived the wait and was killed
    pid_t glassbox_pid = 0;
    std::string out;        // the target's "attempt" lines
    std::string trace_path; // the trace (".partial" appended when glassbox did not finish)
    std::string mark;
    bool gb_left_stopped = false; // glassbox had not ended 30 s after the target: continued by the test
};

std::string children_of(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/task/{}/children", pid, pid));
    std::string list, p;
    while (in >> p)
        list += (list.empty() ? "" : ",") + p;
    return list;
}

// The ids of the BPF maps and links a process holds descriptors to ("maps 1,2\nlinks 3,4\n"),
// from /proc/PID/fdinfo: glassbox's own objects, the only ones bpf-blind may attack under attach.
std::string bpf_ids_of(pid_t pid) {
    std::string maps, links;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(fmt::format("/proc/{}/fdinfo", pid), ec)) {
        std::ifstream in(e.path());
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream w(line);
            std::string key, val;
            w >> key >> val;
            if (key == "map_id:")
                maps += (maps.empty() ? "" : ",") + val;
            else if (key == "link_id:")
                links += (links.empty() ? "" : ",") + val;
        }
    }
    return "maps " + maps + "\nlinks " + links + "\n";
}

attach_run attach_case(const gbtest::temp_dir& dir, const std::string& kase, const std::vector<std::string>& extra,
                       int act_delay_ms, bool watchdog_too = true) {
    attach_run r;
    std::string go = dir / ("go-" + kase), out = dir / ("target-" + kase + ".out");
    r.trace_path = dir / ("attach-" + kase + ".jsonl");
    r.mark = dir / ("mark-" + kase);
    int gate[2];
    REQUIRE(::pipe(gate) == 0);
    pid_t gb = ::fork();
    if (gb == 0) {
        ::close(gate[1]);
        char c;
        if (::read(gate[0], &c, 1) != 1)
            ::_exit(127);
        int devnull = ::open("/dev/null", O_WRONLY);
        ::dup2(devnull, 1);
        pid_t target = 0;
        std::ifstream(dir / ("target-" + kase + ".pid")) >> target;
        std::vector<std::string> argv{GLASSBOX_BIN, "attach", "-q"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        for (std::string a : {std::string("--pid"), std::to_string(target), std::string("--out"), r.trace_path})
            argv.push_back(a);
        glassbox_test::exec_argv(argv);
    }
    ::close(gate[0]);
    r.glassbox_pid = gb;
    pid_t target = ::fork();
    if (target == 0) {
        ::setenv("GB_TARGETS", std::to_string(gb).c_str(), 1);
        ::setenv("GB_WAIT_FOR", go.c_str(), 1);
        ::setenv("GB_MARK", r.mark.c_str(), 1);
        ::setenv("GB_ACT_DELAY_MS", std::to_string(act_delay_ms).c_str(), 1);
        // Only this glassbox's processes: others on the machine (tests running beside this one)
        // are not guarded against this tree.
        ::setenv("GB_NO_SCAN", "1", 1);
        int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, 1);
        glassbox_test::exec_argv({gbtest::fixture("hostile"), kase});
    }
    { std::ofstream(dir / ("target-" + kase + ".pid")) << target; }
    REQUIRE(::write(gate[1], "g", 1) == 1);
    ::close(gate[1]);
    REQUIRE(wait_live(r.trace_path + ".partial"));
    {
        std::string tmp = go + ".tmp";
        std::ofstream(tmp) << (watchdog_too ? children_of(gb) : std::string()) << "\n" << bpf_ids_of(gb);
        std::filesystem::rename(tmp, go);
    }
    pid_t w = 0;
    for (int i = 0; i < 1500 && w == 0; ++i) { // under TCG an attack and its act take seconds
        w = ::waitpid(target, &r.target_status, WNOHANG);
        if (w == 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (w == 0) {
        ::kill(target, SIGKILL);
        ::waitpid(target, nullptr, 0);
        r.target_status = -1;
    }
    // --pid targets: glassbox ends by itself once the target is gone (or was killed by the attack).
    // A glassbox left stopped (a protection that failed) is continued after 30 s, and the test
    // told so, rather than hang it.
    pid_t g = 0;
    for (int i = 0; i < 1500 && g == 0; ++i) {
        g = ::waitpid(gb, &r.gb_status, WNOHANG);
        if (g == 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (g == 0) {
        r.gb_left_stopped = true;
        ::kill(gb, SIGCONT);
        ::waitpid(gb, &r.gb_status, 0);
    }
    std::ifstream in(out);
    r.out.assign(std::istreambuf_iterator<char>(in), {});
    return r;
}

// Each attempt line of the target against `pid`, e.g. "kill 123 = -1 EPERM".
std::vector<std::string> attempts_on(const std::string& out, pid_t pid) {
    std::vector<std::string> v;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream w(line);
        std::string word, what;
        long target = 0;
        if (w >> word >> what >> target && word == "attempt" && target == pid)
            v.push_back(line);
    }
    return v;
}

} // namespace

// attach without the guard (--protect none, or a kernel without the BPF LSM): --fail-closed ends
// the target with glassbox, before it acts.
TEST_CASE("hostile attach --fail-closed: killing glassbox kills the attached tree before it acts",
          "[hostile][attach]") {
    gbtest::temp_dir dir;
    // glassbox alone: without the guard the watchdog can be killed first (the header says so).
    auto r = attach_case(dir, "kill-glassbox", {"--protect", "none", "--fail-closed"}, 1500, false);
    INFO("target: " << r.out);
    CHECK((WIFSIGNALED(r.gb_status) && WTERMSIG(r.gb_status) == SIGKILL));
    REQUIRE(r.target_status != -1);
    CHECK((WIFSIGNALED(r.target_status) && WTERMSIG(r.target_status) == SIGKILL)); // killed by the watchdog...
    CHECK(!std::filesystem::exists(r.mark));                                       // ...before it could act
    auto partial = gbtest::load_trace(r.trace_path + ".partial");
    REQUIRE(!partial.empty());
    CHECK(partial.front()["protection"]["mode"] == "none");
    CHECK(!has_mechanism(partial.front(), "BPF LSM guard"));
    CHECK(has_mechanism(partial.front(), "--fail-closed"));
    check_watchdog_kept(r.trace_path + ".partial", r.glassbox_pid);
}

// Without any protection (--protect none), a glassbox the tree stops is continued by its watchdog
// within ~20 ms: the recording goes on and completes. (Both stopped at once is a gap of none.)
TEST_CASE("hostile attach --protect none: the watchdog continues a stopped glassbox", "[hostile][attach]") {
    gbtest::temp_dir dir;
    auto r = attach_case(dir, "stop-only", {"--protect", "none"}, 0, false);
    INFO("target: " << r.out);
    CHECK(!r.gb_left_stopped);
    CHECK(r.out.find(fmt::format("attempt stop {} = 0 OK", r.glassbox_pid)) != std::string::npos);
    // 500 ms after the stop the target found glassbox running again.
    CHECK(r.out.find(fmt::format("state {} ", r.glassbox_pid)) != std::string::npos);
    CHECK(r.out.find(fmt::format("state {} T", r.glassbox_pid)) == std::string::npos);
    CHECK((WIFEXITED(r.gb_status) && WEXITSTATUS(r.gb_status) == 0));
    auto t = gbtest::load_trace(r.trace_path);
    REQUIRE(!t.empty());
    CHECK(t.back().value("complete", false));
    CHECK(gbtest::find_all(t, [&](const json& e) {
              return e.value("type", "") == "signal" && e.value("sig", 0) == SIGSTOP &&
                     e.value("target_pid", 0) == r.glassbox_pid;
          }).size() == 1);
}

// attach with the LSM guard (the default where the kernel runs the BPF LSM: Debian's 6.1 and 6.12,
// the VM suites): each attack on glassbox and its watchdog fails with EPERM, is recorded as that
// failure with glassbox named as the target, and the target's act afterwards is recorded too.
TEST_CASE("hostile attach: the LSM guard refuses the attached tree's attempts on glassbox", "[hostile][attach]") {
    auto [lsm, why] = bpf_lsm_here();
    gbtest::temp_dir dir;
    if (!lsm) {
        // Checked instead: the header says the guard is absent, and why (the kernel's answer), and
        // what holds without it: a stop signal kills its sender (the signal tripwire) and glassbox
        // goes on; a kill is recorded by the watchdog, which stops and kills the tree.
        WARN("the LSM guard cannot run here, so its refusals are not tried: " << why);
        SECTION("stop: the sender dies, glassbox goes on") {
            auto r = attach_case(dir, "stop-only", {"--fail-closed"}, 0);
            INFO("target: " << r.out);
            CHECK(!r.gb_left_stopped);
            REQUIRE(r.target_status != -1);
            CHECK((WIFSIGNALED(r.target_status) && WTERMSIG(r.target_status) == SIGKILL));
            CHECK(r.out.find("state ") == std::string::npos); // it never got past its first kill
            CHECK((WIFEXITED(r.gb_status) && WEXITSTATUS(r.gb_status) == 0));
            auto t = gbtest::load_trace(r.trace_path);
            REQUIRE(!t.empty());
            CHECK(t.front()["protection"]["mode"] == "none");
            CHECK(t.front()["protection"]["gaps"].dump().find("no BPF LSM guard") != std::string::npos);
            CHECK(has_mechanism(t.front(), "signal tripwire"));
            CHECK(t.back().value("complete", false));
            auto stops = gbtest::find_all(t, [&](const json& e) {
                return e.value("type", "") == "signal" && e.value("sig", 0) == SIGSTOP &&
                       e.value("target_pid", 0) == r.glassbox_pid;
            });
            REQUIRE(stops.size() == 1);
            CHECK(stops[0].value("ret", -1) == 0);
            std::string vout;
            CHECK(gbtest::run({GLASSBOX_BIN, "verify", r.trace_path}, &vout) == 0);
        }
        SECTION("ptrace: the caller dies when its first call returns, glassbox goes on") {
            auto r = attach_case(dir, "ptrace-seize", {"--fail-closed"}, 0, false);
            INFO("target: " << r.out);
            CHECK(!r.gb_left_stopped);
            REQUIRE(r.target_status != -1);
            CHECK((WIFSIGNALED(r.target_status) && WTERMSIG(r.target_status) == SIGKILL));
            CHECK(r.out.find("ptrace-interrupt") == std::string::npos); // no second call
            CHECK((WIFEXITED(r.gb_status) && WEXITSTATUS(r.gb_status) == 0));
            auto t = gbtest::load_trace(r.trace_path);
            REQUIRE(!t.empty());
            CHECK(t.back().value("complete", false));
            CHECK(has_mechanism(t.front(), "call tripwire"));
            auto calls = gbtest::find_all(t, [&](const json& e) {
                return e.value("syscall", "") == "ptrace" && e.value("target_pid", 0) == r.glassbox_pid;
            });
            REQUIRE(calls.size() == 1);
            std::string vout;
            CHECK(gbtest::run({GLASSBOX_BIN, "verify", r.trace_path}, &vout) == 0);
        }
        SECTION("kill: recorded, then the tree is stopped and killed") {
            auto r = attach_case(dir, "kill-glassbox", {"--fail-closed"}, 1500, false);
            INFO("target: " << r.out);
            CHECK((WIFSIGNALED(r.gb_status) && WTERMSIG(r.gb_status) == SIGKILL));
            REQUIRE(r.target_status != -1);
            CHECK((WIFSIGNALED(r.target_status) && WTERMSIG(r.target_status) == SIGKILL));
            CHECK(!std::filesystem::exists(r.mark));
            check_watchdog_kept(r.trace_path + ".partial", r.glassbox_pid);
        }
        return;
    }
    for (std::string kase : {"kill-glassbox", "stop-glassbox", "ptrace", "pidfd", "prlimit", "priority", "mem",
                             "bpf-blind"}) {
        DYNAMIC_SECTION(kase) {
            auto r = attach_case(dir, kase, {"--fail-closed"}, 0);
            INFO("target: " << r.out);
            CHECK((WIFEXITED(r.gb_status) && WEXITSTATUS(r.gb_status) == 0));
            REQUIRE(r.target_status != -1);
            CHECK((WIFEXITED(r.target_status) && WEXITSTATUS(r.target_status) == 0));
            auto t = gbtest::load_trace(r.trace_path);
            REQUIRE(t.size() > 2);
            const json& head = t.front();
            CHECK(head["protection"]["mode"] == "guard");
            CHECK(t.back().value("complete", false));
            CHECK(t.back().value("ended_by", "") == "exit");
            std::string vout;
            CHECK(gbtest::run({GLASSBOX_BIN, "verify", r.trace_path}, &vout) == 0);
            // The act after the attack is recorded.
            auto mine = [&](const std::string& type) {
                return gbtest::find_all(t, [&](const json& e) {
                    return e.value("type", "") == type && e.value("comm", "") == "hostile";
                });
            };
            CHECK(gbtest::find_all(mine("open"), [&](const json& e) { return gbtest::str_or(e, "path") == r.mark; })
                      .size() == 1);
            // Every attempt on glassbox failed; those the recorder decodes are in the trace as refused.
            auto on_gb = attempts_on(r.out, r.glassbox_pid);
            if (kase != "bpf-blind")
                REQUIRE(!on_gb.empty());
            for (const auto& line : on_gb)
                CHECK(line.find("= 0 OK") == std::string::npos);
            auto refused_at_gb = [&](const std::vector<json>& evs, const std::string& err) {
                auto at = gbtest::find_all(evs, [&](const json& e) { return e.value("target_pid", 0) == r.glassbox_pid; });
                CHECK(!at.empty());
                for (const auto& e : at) {
                    CHECK(e.value("errno", "") == err);
                    CHECK(gbtest::str_or(e, "target_exe").ends_with("/glassbox"));
                }
                return at.size();
            };
            auto priv_op = [&](const std::string& op) {
                return gbtest::find_all(mine("priv"), [&](const json& e) { return e.value("op", "") == op; });
            };
            if (kase == "kill-glassbox") {
                refused_at_gb(mine("signal"), "EPERM");
                // Its watchdog too (a child of glassbox, named in the go file).
                CHECK(r.out.find("targets 2") != std::string::npos);
                CHECK(r.out.find("= 0 OK\nattempt mark") == std::string::npos);
            } else if (kase == "stop-glassbox") {
                refused_at_gb(mine("signal"), "EPERM");
            } else if (kase == "ptrace") {
                CHECK(refused_at_gb(priv_op("ptrace"), "EPERM") == 2); // attach and seize
            } else if (kase == "pidfd") {
                CHECK(refused_at_gb(gbtest::find_all(mine("signal"), [](const json& e) {
                                        return e.value("syscall", "") == "pidfd_send_signal";
                                    }),
                                    "EPERM") == 1);
            } else if (kase == "prlimit") {
                CHECK(refused_at_gb(priv_op("prlimit64"), "EPERM") == 2);
            } else if (kase == "priority") {
                for (const char* op : {"setpriority", "ioprio_set", "sched_setaffinity", "sched_setscheduler"}) {
                    INFO(op);
                    CHECK(refused_at_gb(priv_op(op), "EPERM") == 1);
                }
            } else if (kase == "mem") {
                CHECK(r.out.find(fmt::format("attempt proc-mem {} = -1 EACCES", r.glassbox_pid)) != std::string::npos);
                CHECK(refused_at_gb(priv_op("pidfd_getfd"), "EPERM") >= 1);
                auto mem = gbtest::find_all(mine("open"), [&](const json& e) {
                    return gbtest::str_or(e, "raw_path") == fmt::format("/proc/{}/mem", r.glassbox_pid);
                });
                REQUIRE(mem.size() == 1);
                CHECK(mem[0].value("errno", "") == "EACCES");
            } else if (kase == "bpf-blind") {
                // glassbox's own maps and links are refused by id; the target got no descriptor
                // to any of them, so it could neither delete itself from the scope nor detach.
                CHECK(r.out.find("bpf-map-delete-self") == std::string::npos);
                CHECK(r.out.find("bpf-link-detach") == std::string::npos);
                auto bpf = priv_op("bpf");
                auto refused = gbtest::find_all(bpf, [](const json& e) { return e.value("errno", "") == "EPERM"; });
                CHECK(refused.size() >= 2);
            }
        }
    }
}

// The cgroup tripwire is a tracepoint, not an LSM hook: it guards an attached glassbox on every
// kernel. The target moves glassbox into a cgroup of its own to freeze it there.
// The tripwire's limit: a process that moves glassbox into a cgroup it froze beforehand is killed
// for it, but glassbox is frozen the moment it arrives and cannot move itself back. Its watchdog
// moves it back to the cgroup v2 root within a tick, which thaws it: 300 ms later a helper of the
// mover finds glassbox in the root, and glassbox records the helper's act and completes.
TEST_CASE("hostile attach: moved into a frozen cgroup, glassbox is thawed by its watchdog within a tick",
          "[hostile][attach]") {
    gbtest::temp_dir dir;
    auto r = attach_case(dir, "frozen-cgroup", {"--fail-closed"}, 0, false);
    remove_fixture_cgroups();
    INFO("target: " << r.out);
    CHECK(!r.gb_left_stopped);
    CHECK((WIFEXITED(r.gb_status) && WEXITSTATUS(r.gb_status) == 0));
    REQUIRE(r.target_status != -1);
    CHECK((WIFSIGNALED(r.target_status) && WTERMSIG(r.target_status) == SIGKILL)); // the mover
    // The cgroup was frozen before glassbox was moved into it...
    CHECK(r.out.find("attempt cgroup-freeze-empty 0 = 0 OK") != std::string::npos);
    CHECK(r.out.find(fmt::format("cgroup {} ", r.glassbox_pid)) != std::string::npos);
    // ...and 300 ms later glassbox was in the root again.
    for (std::string root : {"/sys/fs/cgroup/unified/", "/sys/fs/cgroup/"})
        CHECK(r.out.find(fmt::format("cgroup {} {}glassbox-hostile-", r.glassbox_pid, root)) == std::string::npos);
    auto t = gbtest::load_trace(r.trace_path);
    REQUIRE(!t.empty());
    CHECK(t.back().value("complete", false));
    auto moves = gbtest::find_all(t, [](const json& e) { return e.value("op", "") == "cgroup_attach"; });
    REQUIRE(moves.size() == 1);
    CHECK(moves[0].value("target_pid", 0) == r.glassbox_pid);
    // The helper's act after the stall is recorded.
    CHECK(gbtest::find_all(t, [&](const json& e) {
              return e.value("type", "") == "open" && gbtest::str_or(e, "path") == r.mark;
          }).size() == 1);
    std::string vout;
    CHECK(gbtest::run({GLASSBOX_BIN, "verify", r.trace_path}, &vout) == 0);
}

TEST_CASE("hostile attach: moving glassbox into a cgroup kills the mover, glassbox moves back", "[hostile][attach]") {
    gbtest::temp_dir dir;
    auto r = attach_case(dir, "cgroup-freeze", {"--fail-closed"}, 0);
    remove_fixture_cgroups();
    INFO("target: " << r.out);
    CHECK((WIFEXITED(r.gb_status) && WEXITSTATUS(r.gb_status) == 0));
    REQUIRE(r.target_status != -1);
    auto t = gbtest::load_trace(r.trace_path);
    CHECK(has_mechanism(t.front(), "cgroup tripwire"));
    int status = WIFSIGNALED(r.target_status) ? 128 + WTERMSIG(r.target_status) : WEXITSTATUS(r.target_status);
    check_tripwire(status, t, r.out, r.glassbox_pid, r.trace_path);
    // glassbox is back in the cgroup v2 root... (it has exited: its trace says so; the attach
    // session ended when the killed target was gone)
    CHECK(t.back().value("ended_by", "") == "exit");
}
