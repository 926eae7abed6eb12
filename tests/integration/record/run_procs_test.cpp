// Root integration tests of process events: fork with the child's exit code, a thread, a
// double-forked setsid daemon that outlives its parent (recording must wait for it), exec via
// execve of a #! script after a failed execve.
#include "helpers.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace gbtest;

TEST_CASE("run records fork, thread and a daemon that outlives its parent", "[root][record]") {
    temp_dir dir;
    std::string trace = dir / "t.jsonl";
    std::string work = dir / "work";
    std::filesystem::create_directory(work);
    REQUIRE(run({GLASSBOX_BIN, "run", "-q", "--out", trace, "--", fixture("rec_actions"), "procs", work}) == 0);
    // Recording waited for the daemon: its file exists and its open is in the trace.
    CHECK(std::filesystem::exists(work + "/daemon-was-here"));
    auto t = load_trace(trace);
    REQUIRE(t.back()["type"] == "summary");
    CHECK(t.back()["lost"] == 0);
    CHECK(t.back()["ended_by"] == "exit");
    int root = t.front()["root_pid"];

    auto forks = find_all(t, [&](const json& e) { return e["type"] == "fork" && e["pid"] == root; });
    auto procs = find_all(forks, [](const json& e) { return e["thread"] == false; });
    auto threads = find_all(forks, [](const json& e) { return e["thread"] == true; });
    REQUIRE(procs.size() == 2);
    REQUIRE(threads.size() == 1);
    CHECK(threads[0]["child_pid"] == root);
    CHECK(threads[0]["child_tid"] != root);
    CHECK(threads[0]["syscall"] == "clone3");
    CHECK(procs[0]["syscall"] == "clone");
    CHECK(procs[0]["exe"] == fixture("rec_actions"));

    // The first child exits with 7.
    int c1 = procs[0]["child_pid"];
    auto c1_exit = find_all(t, [&](const json& e) { return e["type"] == "exit" && e["pid"] == c1; });
    REQUIRE(c1_exit.size() == 1);
    CHECK(c1_exit[0]["exit_code"] == 7);
    CHECK(c1_exit[0]["thread"] == false);
    CHECK(c1_exit[0]["exe"] == fixture("rec_actions"));
    // The thread's end is a thread exit of the root process.
    int ttid = threads[0]["child_tid"];
    auto t_exit = find_all(t, [&](const json& e) { return e["type"] == "exit" && e["tid"] == ttid; });
    REQUIRE(t_exit.size() == 1);
    CHECK(t_exit[0]["thread"] == true);

    // The intermediate forks the daemon; the daemon's open is recorded after the root exited.
    int mid = procs[1]["child_pid"];
    auto mid_forks = find_all(t, [&](const json& e) { return e["type"] == "fork" && e["pid"] == mid; });
    REQUIRE(mid_forks.size() == 1);
    int daemon = mid_forks[0]["child_pid"];
    auto dopen = find_all(t, [&](const json& e) {
        return e["type"] == "open" && e["pid"] == daemon && str_or(e, "path") == work + "/daemon-was-here";
    });
    REQUIRE(dopen.size() == 1);
    CHECK(dopen[0]["create"] == true);
    auto root_exit = find_all(t, [&](const json& e) { return e["type"] == "exit" && e["pid"] == root && e["thread"] == false; });
    REQUIRE(root_exit.size() == 1);
    CHECK(dopen[0]["ts"].get<long long>() > root_exit[0]["ts"].get<long long>());
    auto dexit = find_all(t, [&](const json& e) { return e["type"] == "exit" && e["pid"] == daemon; });
    REQUIRE(dexit.size() == 1);
    CHECK(dexit[0]["exit_code"] == 0);
}

TEST_CASE("run records a failed execve and a #! script with its interpreter", "[root][record]") {
    temp_dir dir;
    std::string trace = dir / "t.jsonl";
    std::string script = dir / "hello.sh";
    {
        std::ofstream s(script);
        s << "#!/bin/sh\ncat /etc/hostname >/dev/null\nexit 5\n";
    }
    ::chmod(script.c_str(), 0755);
    CHECK(run({GLASSBOX_BIN, "run", "-q", "--out", trace, "--", fixture("rec_actions"), "exec", script}) == 5);
    auto t = load_trace(trace);
    REQUIRE(t.back()["type"] == "summary");
    CHECK(t.back()["exit"]["code"] == 5);
    int root = t.front()["root_pid"];
    auto execs = find_all(t, [&](const json& e) { return e["type"] == "exec" && e["pid"] == root; });
    REQUIRE(execs.size() == 3); // the fixture, the failed one, the script
    CHECK(execs[1]["ret"] == -2);
    CHECK(execs[1]["errno"] == "ENOENT");
    CHECK(execs[1]["path"].is_null());
    CHECK(execs[1]["raw_path"] == "/nonexistent-glassbox/prog");
    CHECK(execs[1]["argv"] == json::array({"/nonexistent-glassbox/prog", "x"}));
    CHECK(execs[1]["exe"] == fixture("rec_actions"));
    CHECK(execs[2]["ret"] == 0);
    CHECK(execs[2]["path"] == script);
    CHECK(execs[2]["interpreter"] == std::filesystem::canonical("/bin/sh").string());
    CHECK(execs[2]["exe"] == std::filesystem::canonical("/bin/sh").string());
    CHECK(execs[2]["argv"] == json::array({"/bin/sh", script, "arg1"}));
    CHECK(execs[2]["syscall"] == "execve");
    // The interpreter opens the script: a resolved open of the same path.
    auto sopen = find_all(t, [&](const json& e) { return e["type"] == "open" && e["pid"] == root && str_or(e, "path") == script; });
    CHECK(sopen.size() >= 1);
    // The script's child runs cat.
    auto cat = find_all(t, [](const json& e) { return e["type"] == "exec" && str_or(e, "path") == "/usr/bin/cat"; });
    REQUIRE(cat.size() == 1);
    CHECK(cat[0]["ppid"] == root);
}
