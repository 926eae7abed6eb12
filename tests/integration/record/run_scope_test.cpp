// Root integration tests of the recording's scope and endings: a hostile child that moves itself
// out of the run's cgroup is still traced (and its own child too), and recording waits for it;
// --timeout ends the recording, kills the tree and still writes a complete trace; the progress
// line appears on a terminal only.
#include "helpers.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <pty.h>
#include <regex>

using namespace gbtest;

TEST_CASE("a process that leaves the run's cgroup stays traced, with its descendants", "[root][record]") {
    temp_dir dir;
    std::string trace = dir / "t.jsonl";
    std::string work = dir / "work";
    std::filesystem::create_directory(work);
    REQUIRE(run({GLASSBOX_BIN, "run", "-q", "--out", trace, "--", fixture("rec_actions"), "escape", work}) == 0);
    REQUIRE(std::filesystem::exists(work + "/escaped-child")); // glassbox waited for it
    auto t = load_trace(trace);
    REQUIRE(t.back()["type"] == "summary");
    CHECK(t.back()["ended_by"] == "exit");
    CHECK(t.back()["lost"] == 0);
    int root = t.front()["root_pid"];
    auto forks = find_all(t, [&](const json& e) { return e["type"] == "fork" && e["pid"] == root; });
    REQUIRE(forks.size() == 1);
    int escapee = forks[0]["child_pid"];
    auto moved = find_all(t, [&](const json& e) {
        return e["type"] == "open" && e["pid"] == escapee && str_or(e, "path").ends_with("/cgroup.procs");
    });
    CHECK(moved.size() == 1);
    auto esc = find_all(t, [&](const json& e) {
        return e["type"] == "open" && e["pid"] == escapee && str_or(e, "path") == work + "/escaped";
    });
    REQUIRE(esc.size() == 1);
    auto gforks = find_all(t, [&](const json& e) { return e["type"] == "fork" && e["pid"] == escapee; });
    REQUIRE(gforks.size() == 1);
    int grandchild = gforks[0]["child_pid"];
    auto gopen = find_all(t, [&](const json& e) {
        return e["type"] == "open" && e["pid"] == grandchild && str_or(e, "path") == work + "/escaped-child";
    });
    CHECK(gopen.size() == 1);
}

TEST_CASE("the --timeout option ends the recording, kills the tree and writes a complete trace", "[root][record]") {
    temp_dir dir;
    std::string trace = dir / "t.jsonl";
    auto t0 = std::chrono::steady_clock::now();
    int rc = run({GLASSBOX_BIN, "run", "-q", "--timeout", "1", "--out", trace, "--", fixture("rec_actions"), "sleep", "30"});
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(rc == 128 + 9);
    CHECK(secs < 10);
    auto t = load_trace(trace);
    REQUIRE(t.back()["type"] == "summary");
    CHECK(t.back()["ended_by"] == "timeout");
    CHECK(t.back()["exit"]["signal"] == 9);
    CHECK(t.back()["complete"] == true);
    auto exits = find_all(t, [&](const json& e) { return e["type"] == "exit" && e["pid"] == t.front()["root_pid"]; });
    REQUIRE(exits.size() == 1);
    CHECK(exits[0]["signal_name"] == "SIGKILL");
}

// Issue 2: without --follow, a run on a terminal shows a one-line progress status on stderr
// (events, rate, elapsed), rewritten in place; with stderr not a terminal, nothing of the kind.
TEST_CASE("run shows a progress line on a terminal and none otherwise", "[root][record]") {
    temp_dir dir;
    std::string trace = dir / "trace.jsonl";
    std::vector<std::string> argv = {GLASSBOX_BIN, "run", "--out", trace, "--", fixture("rec_actions"), "sleep", "2"};
    int master = -1;
    pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
    REQUIRE(pid >= 0);
    if (pid == 0)
        glassbox_test::exec_argv(argv);
    std::string tty;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(master, buf, sizeof buf)) > 0) // EIO once the child side closes
        tty.append(buf, static_cast<std::size_t>(n));
    ::close(master);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    std::regex line(R"(\r\x1b\[Kglassbox: recording: [0-9]+ events, [0-9]+/s, [0-9]+\.[0-9]s elapsed)");
    auto count = std::distance(std::sregex_iterator(tty.begin(), tty.end(), line), std::sregex_iterator());
    CHECK(count >= 2); // refreshed about twice a second over two seconds
    CHECK(tty.find("events written to " + trace) != std::string::npos);

    // Not a terminal: no progress line (stderr captured through a pipe by run()).
    std::string err_file = dir / "stderr.txt";
    int rc = run({"/bin/sh", "-c", std::string(GLASSBOX_BIN) + " run --out " + trace + " -- " +
                                       fixture("rec_actions") + " sleep 1 2>" + err_file});
    CHECK(rc == 0);
    std::ifstream ef(err_file);
    std::string err((std::istreambuf_iterator<char>(ef)), std::istreambuf_iterator<char>());
    CHECK(err.find("recording:") == std::string::npos);
    CHECK(err.find("\x1b[K") == std::string::npos);
}
