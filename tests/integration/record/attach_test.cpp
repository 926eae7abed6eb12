// Root integration test of `glassbox attach --pid`: a fixture started outside glassbox (as a
// daemon started by the init system would be) is attached to, then forks a child that opens a
// file; the trace must hold the fork and the child's open, and attach must end by itself when
// the target and its child are gone.
#include "helpers.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <thread>

using namespace gbtest;

namespace {

pid_t spawn(const std::vector<std::string>& argv) {
    pid_t pid = ::fork();
    if (pid == 0)
        glassbox_test::exec_argv(argv);
    return pid;
}

int wait_status(pid_t pid) {
    int st = 0;
    ::waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

} // namespace

TEST_CASE("attach to a running process picks up its later children", "[root][record]") {
    temp_dir dir;
    std::string trace = dir / "t.jsonl";
    std::string work = dir / "work";
    std::filesystem::create_directory(work);
    pid_t target = spawn({fixture("rec_actions"), "spawn-on", work});
    REQUIRE(target > 0);
    pid_t gb = spawn({GLASSBOX_BIN, "attach", "-q", "--pid", std::to_string(target), "--duration", "60", "--out", trace});
    // The header is written once the programs are attached.
    bool live = false;
    for (int i = 0; i < 300 && !live; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        std::error_code ec;
        live = std::filesystem::file_size(trace + ".partial", ec) > 0 && !ec;
    }
    REQUIRE(live);
    { std::ofstream go(work + "/go"); }
    CHECK(wait_status(target) == 0);
    CHECK(wait_status(gb) == 0); // ends by itself: every traced process is gone
    auto t = load_trace(trace);
    REQUIRE(t.size() >= 2);
    CHECK(t.front()["mode"] == "attach");
    CHECK(t.front()["command"] == json::array());
    CHECK(t.front()["target"]["pids"] == json::array({target}));
    REQUIRE(t.back()["type"] == "summary");
    CHECK(t.back()["ended_by"] == "exit");
    CHECK(t.back()["lost"] == 0);
    CHECK_FALSE(t.back().contains("exit"));

    auto forks = find_all(t, [&](const json& e) { return e["type"] == "fork" && e["pid"] == target; });
    REQUIRE(forks.size() == 1);
    CHECK(forks[0]["exe"] == fixture("rec_actions")); // from /proc: no exec was seen
    CHECK(forks[0]["comm"] == "rec_actions");
    int child = forks[0]["child_pid"];
    auto opens = find_all(t, [&](const json& e) {
        return e["type"] == "open" && e["pid"] == child && str_or(e, "path") == work + "/child-opened";
    });
    REQUIRE(opens.size() == 1);
    CHECK(opens[0]["ppid"] == target);
    CHECK(opens[0]["exe"] == fixture("rec_actions"));
    auto exits = find_all(t, [&](const json& e) { return e["type"] == "exit" && e["thread"] == false; });
    CHECK(exits.size() == 2);
}

TEST_CASE("attach rejects a pid that does not exist", "[root][record]") {
    temp_dir dir;
    CHECK(run({GLASSBOX_BIN, "attach", "-q", "--pid", "999999999", "--out", dir / "t.jsonl"}) == 2);
    CHECK_FALSE(std::filesystem::exists(dir / "t.jsonl.partial"));
}
