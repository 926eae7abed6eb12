// Root burst test: several threads doing a million opens in total. Every open of the burst file
// must be in the trace, or exactly accounted for in the summary's lost_by_type.open.
#include "helpers.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace gbtest;

namespace {
// A temporary directory with the file the burst opens, and where the trace goes.
struct burst_files {
    temp_dir dir;
    std::string trace = dir / "t.jsonl";
    std::string file = dir / "burst-target";
    burst_files() { std::ofstream f(file); }
    // The `"path":"<file>"` text of the burst's open/close lines.
    std::string needle() const { return "\"path\":\"" + file + "\""; }
};
} // namespace

TEST_CASE("a million opens from 4 threads are all recorded or exactly counted as lost", "[root][record][burst]") {
    burst_files b;
    const std::string &trace = b.trace, &file = b.file;
    const long per_thread = 250000, threads = 4;
    int rc = run({GLASSBOX_BIN, "run", "-q", "--allow-loss", "--out", trace, "--", fixture("rec_actions"), "burst",
                  std::to_string(threads), std::to_string(per_thread), file});
    REQUIRE(rc == 0);
    // Stream the trace: it is large.
    std::ifstream in(trace);
    std::string line;
    long opens = 0;
    json summary;
    const std::string needle = b.needle();
    while (std::getline(in, line)) {
        if (line.find("\"type\":\"open\"") != std::string::npos && line.find(needle) != std::string::npos)
            ++opens;
        else if (line.find("\"type\":\"summary\"") != std::string::npos)
            summary = json::parse(line);
    }
    REQUIRE(summary.is_object());
    long lost_open = summary.contains("lost_by_type") && summary["lost_by_type"].contains("open")
                         ? summary["lost_by_type"]["open"].get<long>()
                         : 0;
    INFO("opens in trace " << opens << ", lost opens " << lost_open << ", lost " << summary["lost"]);
    CHECK(opens + lost_open == threads * per_thread);
    CHECK(summary["counts"]["open"].get<long>() >= opens);
}

// With a 1 MiB spool, most of a 2-thread burst waits in the spool's temporary file while the
// formatter (nice 19) catches up: still every open in the trace, in order of its records' ts per
// thread, and nothing lost.
TEST_CASE("a burst that overflows the spool's memory is recorded completely", "[root][record][burst]") {
    burst_files b;
    const std::string &trace = b.trace, &file = b.file;
    const long per_thread = 100000, threads = 2;
    int rc = run({GLASSBOX_BIN, "run", "-q", "--spool-mb", "1", "--out", trace, "--", fixture("rec_actions"),
                  "burst", std::to_string(threads), std::to_string(per_thread), file});
    REQUIRE(rc == 0); // no --allow-loss: nothing may be lost
    std::ifstream in(trace);
    std::string line;
    long opens = 0, closes = 0;
    std::map<long, long> last_ts_by_tid;
    bool ordered = true;
    json summary;
    const std::string needle = b.needle();
    while (std::getline(in, line)) {
        bool open = line.find("\"type\":\"open\"") != std::string::npos;
        bool close = line.find("\"type\":\"close\"") != std::string::npos;
        if ((open || close) && line.find(needle) != std::string::npos) {
            (open ? opens : closes)++;
            auto j = json::parse(line);
            long tid = j["tid"].get<long>(), ts = j["ts"].get<long>();
            if (ts < last_ts_by_tid[tid])
                ordered = false;
            last_ts_by_tid[tid] = ts;
        } else if (line.find("\"type\":\"summary\"") != std::string::npos) {
            summary = json::parse(line);
        }
    }
    REQUIRE(summary.is_object());
    CHECK(summary["lost"].get<long>() == 0);
    CHECK(opens == threads * per_thread);
    CHECK(closes == threads * per_thread);
    CHECK(ordered);
    CHECK(summary["complete"].get<bool>());
}
