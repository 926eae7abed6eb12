// When trace_writer::flush_due() puts buffered lines on disk (docs/recording.md, "Durability"):
// once the oldest line has waited flush_interval in the buffer, or, for lines given with their
// event's ts, once that event is flush_interval old. A line that reaches the writer late (behind
// a lagging formatter) must not wait a whole interval more. Checked on the file itself, with an
// interval of an hour so that nothing here depends on how fast the test runs.
#include <glassbox/trace_writer.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr std::int64_t hour_ns = 3600LL * 1'000'000'000;

// The complete lines on disk now (what a kill of glassbox would leave).
std::vector<json> on_disk(const std::string& partial) {
    std::ifstream in(partial);
    std::vector<json> lines;
    std::string line;
    while (std::getline(in, line))
        lines.push_back(json::parse(line));
    return lines;
}

std::string event(std::int64_t ts, const std::string& path) {
    glassbox::json_line l;
    l.str("type", "open").num("ts", ts).num("pid", 7).str("path", path);
    return l.finish();
}

} // namespace

TEST_CASE("flush_due writes a line whose event is older than the interval, and only then",
          "[trace][writer][durability]") {
    fs::path dir = fs::temp_directory_path() / ("gb-writer-flush-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::string path = (dir / "t.jsonl").string();
    std::string partial = path + ".partial";
    {
        glassbox::trace_writer_options o;
        o.flush_interval = std::chrono::hours(1); // the buffer's own age never makes it due here
        auto w = glassbox::trace_writer::open(path, o);
        REQUIRE(w);
        glassbox::trace_header h;
        h.mode = "run";
        h.command = {"t"};
        h.start_realtime_ns = 1'795'824'658'123'456'789;
        // ts 0 was two hours ago: a line with ts 0 is an event two intervals old.
        h.start_mono_ns = glassbox::monotonic_ns() - 2 * hour_ns;
        w->write_header(h);
        REQUIRE(on_disk(partial).size() == 1); // the header is written at once

        // A fresh event, and a line without a ts: neither is due.
        w->write_event("open", event(2 * hour_ns, "/fresh"), 2 * hour_ns);
        w->write_event("open", event(5, "/no-ts"));
        w->flush_due();
        CHECK(on_disk(partial).size() == 1);

        // An event from two hours ago (a formatter that lagged): due at the next call, and it
        // takes the lines before it along, in order, after a checkpoint of the chain.
        w->write_event("open", event(0, "/old"), 0);
        CHECK(on_disk(partial).size() == 1); // written by flush_due, not by write_event
        w->flush_due();
        auto lines = on_disk(partial);
        REQUIRE(lines.size() == 5);
        CHECK(lines[1]["path"] == "/fresh");
        CHECK(lines[2]["path"] == "/no-ts");
        CHECK(lines[3]["path"] == "/old");
        CHECK(lines[4]["type"] == "checkpoint");

        // The next lines start over: a fresh event waits again.
        w->write_event("open", event(2 * hour_ns, "/fresh-2"), 2 * hour_ns);
        w->flush_due();
        CHECK(on_disk(partial).size() == 5);
        w->flush_now();
        CHECK(on_disk(partial).size() == 7);
    }
    fs::remove_all(dir);
}
