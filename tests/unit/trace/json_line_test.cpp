// Unit tests of the trace writer's JSON text: the format's UTF-8 rule (U+FFFD + lossless _hex
// sidecar), JSON escapes, and the writer's .partial -> final rename with a summary line.
#include <glassbox/trace_writer.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using glassbox::json_line;
using nlohmann::json;

TEST_CASE("valid UTF-8 strings are written as they are, with JSON escapes", "[trace][json]") {
    json_line l;
    l.str("a", "plain").str("b", "quote\" back\\ nl\n tab\t ctl\x01").str("c", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    auto j = json::parse(l.finish());
    CHECK(j["a"] == "plain");
    CHECK(j["b"] == "quote\" back\\ nl\n tab\t ctl\x01");
    CHECK(j["c"] == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    CHECK_FALSE(j.contains("a_hex"));
    CHECK_FALSE(j.contains("c_hex"));
    CHECK(l.text().find("\\u0001") != std::string::npos);
}

TEST_CASE("invalid UTF-8 becomes U+FFFD plus an exact _hex sidecar", "[trace][json]") {
    json_line l;
    std::string bytes = std::string("/tmp/a\xff", 7);
    l.str("path", bytes);
    auto j = json::parse(l.finish());
    CHECK(j["path"] == "/tmp/a\xef\xbf\xbd");
    CHECK(j["path_hex"] == "2f746d702f61ff");
}

TEST_CASE("overlong, surrogate and truncated sequences are invalid", "[trace][json]") {
    CHECK_FALSE(glassbox::is_valid_utf8("\xc0\xaf"));         // overlong '/'
    CHECK_FALSE(glassbox::is_valid_utf8("\xed\xa0\x80"));     // surrogate
    CHECK_FALSE(glassbox::is_valid_utf8("\xf4\x90\x80\x80")); // > U+10FFFF
    CHECK_FALSE(glassbox::is_valid_utf8("\xe2\x82"));         // cut
    CHECK(glassbox::is_valid_utf8("\xf4\x8f\xbf\xbf"));       // U+10FFFF
    CHECK(glassbox::is_valid_utf8(""));
}

TEST_CASE("argv with an invalid element gets an argv_hex array aligned with argv", "[trace][json]") {
    json_line l;
    l.str_array("argv", {"ls", std::string("\xfe\xff", 2), "x"});
    auto j = json::parse(l.finish());
    REQUIRE(j["argv"].size() == 3);
    CHECK(j["argv"][1] == "\xef\xbf\xbd\xef\xbf\xbd");
    REQUIRE(j["argv_hex"].size() == 3);
    CHECK(j["argv_hex"][0].is_null());
    CHECK(j["argv_hex"][1] == "feff");
    CHECK(j["argv_hex"][2].is_null());
}

// No backslash in the name: Catch2 reads it as an escape in the test spec, and the test never ran.
TEST_CASE("embedded NUL bytes survive as the JSON escape u0000", "[trace][json]") {
    json_line l;
    l.str("abstract", std::string("a\0b", 3));
    auto j = json::parse(l.finish());
    CHECK(j["abstract"].get<std::string>() == std::string("a\0b", 3));
}

TEST_CASE("trace_writer writes FILE.partial and renames it after the summary", "[trace][writer]") {
    auto dir = std::filesystem::temp_directory_path() / ("gb-writer-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::string path = (dir / "t.jsonl").string();
    {
        auto w = glassbox::trace_writer::open(path);
        REQUIRE(w);
        glassbox::trace_header h;
        h.mode = "run";
        h.command = {"ls", "-l"};
        h.start_realtime_ns = 1'795'824'658'123'456'789;
        h.root_pid = 42;
        w->write_header(h);
        json_line e;
        e.str("type", "open").num("ts", 5);
        w->write_event("open", e.finish());
        w->write_event("open", e.text());
        CHECK(std::filesystem::exists(path + ".partial"));
        CHECK_FALSE(std::filesystem::exists(path));
        glassbox::trace_summary s;
        s.lost_by_cpu = {0, 0};
        s.exit_code = 0;
        s.ended_by = "exit";
        REQUIRE(w->finish(s));
        // A thread that outlived the session (4 MB of lines, past any flush threshold): refused
        // and counted, so the summary stays the last line and its counts stay true.
        json_line late;
        const std::string& late_line = late.str("type", "violation").str("pad", std::string(4096, 'x')).finish();
        for (int i = 0; i < 1000; ++i)
            w->write_event("violation", late_line);
        CHECK(w->late_events() == 1000);
        CHECK(w->events() == 2);
    }
    CHECK_FALSE(std::filesystem::exists(path + ".partial"));
    std::ifstream in(path);
    std::vector<json> lines;
    std::string line;
    while (std::getline(in, line))
        lines.push_back(json::parse(line));
    REQUIRE(lines.size() == 4);
    CHECK(lines[0]["type"] == "header");
    CHECK(lines[0]["format"] == "glassbox-trace");
    CHECK(lines[0]["version"] == 1);
    CHECK(lines[0]["start_wall"] == "2026-11-28T00:10:58.123456789Z");
    CHECK(lines[0]["root_pid"] == 42);
    CHECK(lines[3]["type"] == "summary");
    CHECK(lines[3]["events"] == 2);
    CHECK(lines[3]["counts"]["open"] == 2);
    CHECK(lines[3]["lost"] == 0);
    CHECK(lines[3]["exit"]["code"] == 0);
    CHECK(lines[3]["complete"] == true);
    std::filesystem::remove_all(dir);
}

TEST_CASE("an unfinished trace_writer leaves no partial file behind", "[trace][writer]") {
    auto dir = std::filesystem::temp_directory_path() / ("gb-writer2-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::string path = (dir / "t.jsonl").string();
    {
        auto w = glassbox::trace_writer::open(path);
        REQUIRE(w);
    }
    CHECK_FALSE(std::filesystem::exists(path + ".partial"));
    CHECK_FALSE(std::filesystem::exists(path));
    auto bad = glassbox::trace_writer::open("/nonexistent-dir/x.jsonl");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("/nonexistent-dir/x.jsonl.partial") != std::string::npos);
    std::filesystem::remove_all(dir);
}
