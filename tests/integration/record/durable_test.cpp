// Root integration test of the durable trace (issue #15, point 3): glassbox is SIGKILLed in the
// middle of a recording; FILE.partial must hold the events up to the durability window before
// the kill as readable JSON lines ending in a checkpoint, keep its .partial name and have no
// summary, and `glassbox verify` must call it partial, verified up to that checkpoint.
#include "helpers.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <iterator>
#include <thread>

using namespace gbtest;

namespace {

std::int64_t wall_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// How often the marker name appears in a trace file so far (its raw text: the file is being
// written); each mark is an exec of cat naming it and its open: two.
std::size_t marks_on_disk(const std::string& path) {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t n = 0;
    for (auto at = text.find("marker-"); at != std::string::npos; at = text.find("marker-", at + 1))
        ++n;
    return n;
}

} // namespace

TEST_CASE("a SIGKILLed glassbox leaves a partial trace that holds the events before the kill", "[root][record]") {
    temp_dir dir;
    std::string trace = dir / "killed.jsonl";
    // An open of a new name every 10 ms: the newest one on disk says how recent the file is.
    std::string loop = "i=0; while :; do i=$((i+1)); cat " + (dir / "marker-") + "$i 2>/dev/null; sleep 0.01; done";
    pid_t gb = ::fork();
    if (gb == 0)
        glassbox_test::exec_argv({GLASSBOX_BIN, "run", "-q", "--out", trace, "--", "/bin/sh", "-c", loop});
    REQUIRE(gb > 0);
    bool live = false;
    for (int i = 0; i < 600 && !live; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        std::error_code ec;
        live = std::filesystem::file_size(trace + ".partial", ec) > 0 && !ec;
    }
    REQUIRE(live);
    // Until a few marks are on disk (~150 in 1.5 s on the host; under the kernel matrix's emulated
    // CPU on a loaded machine, a few per second): enough that the newest says how recent it is.
    for (int i = 0; i < 600 && marks_on_disk(trace + ".partial") < 14; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::int64_t killed_at = wall_ns();
    ::kill(gb, SIGKILL);
    int st = 0;
    ::waitpid(gb, &st, 0);
    CHECK(WIFSIGNALED(st));
    // Its watchdog appends what the ring still held, then a `watchdog` line and a checkpoint.
    REQUIRE(wait_for_watchdog(trace + ".partial"));
    auto t = load_trace(trace + ".partial");
    REQUIRE(t.size() >= 3);
    // The traced shell outlives glassbox (protecting the recorder is another part of #15): end it.
    pid_t root = t.front()["root_pid"].get<pid_t>();
    ::kill(root, SIGKILL);
    CHECK_FALSE(std::filesystem::exists(trace));
    CHECK(find_all(t, [](const json& e) { return e["type"] == "summary"; }).empty());
    CHECK(t.back()["type"] == "checkpoint"); // every timed write ends with one
    auto marks = find_all(t, [](const json& e) {
        return e["type"] == "open" && str_or(e, "raw_path").find("marker-") != std::string::npos;
    });
    REQUIRE(marks.size() >= 5);
    std::int64_t newest = t.front()["start_ns"].get<std::int64_t>() + marks.back()["ts"].get<std::int64_t>();
    // The window is ~0.1 s (docs/recording.md, "Durability"); 1 s leaves room for a loaded CI.
    CHECK(killed_at - newest < 1'000'000'000);
    std::string out;
    CHECK(run({GLASSBOX_BIN, "verify", trace + ".partial"}, &out) == 4);
    CHECK(out.find("PARTIAL") != std::string::npos);
    CHECK(out.find("all " + std::to_string(t.size()) + " lines are verified") != std::string::npos);
    CHECK(find_all(t, [](const json& e) { return e["type"] == "watchdog"; }).size() == 1);
}
