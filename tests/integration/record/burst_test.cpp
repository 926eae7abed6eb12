// Root burst test: several threads doing a million opens in total. Every open of the burst file
// must be in the trace, or exactly accounted for in the summary's lost_by_type.open.
#include "helpers.hpp"

#include <catch2/catch.hpp>

using namespace gbtest;

TEST_CASE("a million opens from 4 threads are all recorded or exactly counted as lost", "[root][record][burst]") {
    temp_dir dir;
    std::string trace = dir / "t.jsonl";
    std::string file = dir / "burst-target";
    { std::ofstream f(file); }
    const long per_thread = 250000, threads = 4;
    int rc = run({GLASSBOX_BIN, "run", "-q", "--allow-loss", "--out", trace, "--", fixture("rec_actions"), "burst",
                  std::to_string(threads), std::to_string(per_thread), file});
    REQUIRE(rc == 0);
    // Stream the trace: it is large.
    std::ifstream in(trace);
    std::string line;
    long opens = 0;
    json summary;
    const std::string needle = "\"path\":\"" + file + "\"";
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
