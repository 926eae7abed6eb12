// Trace reader tests: field-by-field decoding of hand-written traces, `_hex` sidecars, and every
// kind of bad input (wrong format, unknown version, incomplete trace, cut last line, malformed or
// huge lines) producing one clear message with the line number.
#include <glassbox/trace_reader.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using glassbox::trace::event;
using glassbox::trace::reader;

namespace {

constexpr const char* kHeader =
    R"({"type":"header","format":"glassbox-trace","version":1,"glassbox_version":"0.1.0","mode":"run","command":["t","x"],"cwd":"/root","host":"lab1","kernel":"6.18.44","start_wall":"2026-11-28T00:10:58Z","start_ns":1795824658123456789,"root_pid":4242,"cgroup":"/sys/fs/cgroup/unified/g"})";
constexpr const char* kSummary = R"({"type":"summary","events":1,"counts":{},"duration_ns":5,"lost":0,"exit":{"code":3},"ended_by":"exit","complete":true})";

struct temp_trace {
    std::filesystem::path path;
    explicit temp_trace(const std::string& content) {
        static int n = 0;
        path = std::filesystem::temp_directory_path() /
               ("glassbox-reader-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".trace");
        std::ofstream out(path, std::ios::binary);
        out << content;
    }
    ~temp_trace() { std::filesystem::remove(path); }
};

// Reads everything; returns the error text (empty when none) and counts events.
std::string read_all(const std::string& content, std::size_t* events = nullptr,
                     bool* complete = nullptr, std::vector<std::string>* warnings = nullptr) {
    temp_trace t(content);
    auto r = reader::open(t.path);
    if (!r)
        return r.error().message;
    std::size_t n = 0;
    while (true) {
        auto e = (*r)->next();
        if (!e)
            return e.error().message;
        if (!*e)
            break;
        ++n;
    }
    if (events)
        *events = n;
    if (complete)
        *complete = (*r)->complete();
    if (warnings)
        *warnings = (*r)->warnings();
    return {};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

} // namespace

TEST_CASE("reader decodes header, events and summary field by field", "[analysis][reader]") {
    std::string content = std::string(kHeader) + "\n" +
        R"({"type":"exec","ts":2000,"pid":4242,"tid":4243,"ppid":4241,"uid":1000,"euid":0,"comm":"clamscan","exe":"/usr/bin/clamscan","path":"/usr/bin/clamscan","raw_path":"clamscan","argv":["clamscan","-r","/srv"],"argv_truncated":false,"cwd":"/root","ret":0,"syscall":"execve","future_field":{"a":[1,2]}})" "\n"
        R"({"type":"open","ts":3000,"pid":4242,"tid":4242,"ppid":4241,"uid":0,"euid":0,"comm":"clamscan","exe":"/usr/bin/clamscan","path":null,"raw_path":"/nope","flags":0,"access":"read","create":false,"truncate":false,"ret":-2,"errno":"ENOENT","syscall":"openat"})" "\n"
        R"({"type":"connect","ts":4000,"pid":7,"tid":7,"ppid":1,"uid":0,"euid":0,"comm":"curl","exe":null,"family":"inet6","sock_type":"stream","addr":"2001:db8::1","port":443,"ret":-115,"errno":"EINPROGRESS","via":"io_uring"})" "\n"
        R"({"type":"brand_new_kind","ts":5000,"pid":7,"tid":7,"ppid":1,"uid":0,"euid":0,"comm":"x","exe":"/x"})" "\n" +
        kSummary + "\n";
    temp_trace t(content);
    auto r = reader::open(t.path);
    REQUIRE(r);
    auto& rd = **r;
    CHECK(rd.trace_header().version == 1);
    CHECK(rd.trace_header().mode == "run");
    CHECK(rd.trace_header().command == std::vector<std::string>{"t", "x"});
    CHECK(rd.trace_header().root_pid == 4242);
    CHECK(rd.trace_header().start_ns == 1795824658123456789);
    CHECK(rd.trace_header().cgroup == "/sys/fs/cgroup/unified/g");

    auto e1 = rd.next();
    REQUIRE(e1);
    REQUIRE(*e1);
    const event& x = **e1;
    CHECK(x.line == 2);
    CHECK(x.type == "exec");
    CHECK(x.kind == GB_EV_EXEC);
    CHECK(x.category == glassbox::event_category::process);
    CHECK(x.ts == 2000);
    CHECK(x.pid == 4242);
    CHECK(x.tid == 4243);
    CHECK(x.ppid == 4241);
    CHECK(x.uid == 1000);
    CHECK(x.euid == 0);
    CHECK(x.comm == "clamscan");
    CHECK(x.exe == "/usr/bin/clamscan");
    CHECK(x.path == "/usr/bin/clamscan");
    CHECK(x.raw_path == "clamscan");
    REQUIRE(x.argv.size() == 3);
    CHECK(x.argv[2] == "/srv");
    CHECK(x.cwd == "/root");
    CHECK(x.ret == 0);
    CHECK(x.succeeded());
    CHECK(x.syscall == "execve");

    auto e2 = rd.next();
    REQUIRE(e2);
    REQUIRE(*e2);
    CHECK((*e2)->path.empty()); // null
    CHECK((*e2)->raw_path == "/nope");
    CHECK((*e2)->access == "read");
    CHECK((*e2)->ret == -2);
    CHECK((*e2)->err == "ENOENT");
    CHECK_FALSE((*e2)->succeeded());

    auto e3 = rd.next();
    REQUIRE(e3);
    REQUIRE(*e3);
    CHECK((*e3)->kind == GB_EV_CONNECT);
    CHECK((*e3)->category == glassbox::event_category::network);
    CHECK((*e3)->exe.empty());
    CHECK((*e3)->family == "inet6");
    CHECK((*e3)->sock_type == "stream");
    CHECK((*e3)->addr == "2001:db8::1");
    CHECK((*e3)->port == 443);
    CHECK((*e3)->via == "io_uring");

    auto e4 = rd.next();
    REQUIRE(e4);
    REQUIRE(*e4);
    CHECK((*e4)->type == "brand_new_kind"); // kept, not dropped
    CHECK((*e4)->kind == GB_EV_NONE);
    CHECK((*e4)->category == glassbox::event_category::unknown);

    auto end = rd.next();
    REQUIRE(end);
    CHECK(*end == nullptr);
    CHECK(rd.complete());
    REQUIRE(rd.trace_summary());
    CHECK(rd.trace_summary()->exit_code == 3);
    CHECK(rd.trace_summary()->ended_by == "exit");
    CHECK(rd.stats().events == 4);
    CHECK(rd.stats().unknown_types == 1);
    CHECK(rd.warnings().empty());
}

TEST_CASE("reader applies _hex sidecars for exact bytes", "[analysis][reader]") {
    std::string content = std::string(kHeader) + "\n" +
        R"({"type":"open","ts":1,"pid":1,"tid":1,"ppid":0,"uid":0,"euid":0,"comm":"a\ufffd","comm_hex":"61ff","exe":"/x","path":"/tmp/a\ufffd","path_hex":"2f746d702f61ff","raw_path":"a\ufffd","raw_path_hex":"61ff","access":"read","ret":3})" "\n"
        R"({"type":"exec","ts":2,"pid":1,"tid":1,"ppid":0,"uid":0,"euid":0,"comm":"x","exe":"/x","path":"/x","argv":["x","\ufffd\ufffd","ok"],"argv_hex":[null,"fffe",null],"ret":0})" "\n" +
        kSummary + "\n";
    temp_trace t(content);
    auto r = reader::open(t.path);
    REQUIRE(r);
    auto e = (*r)->next();
    REQUIRE(e);
    REQUIRE(*e);
    CHECK((*e)->path == std::string("/tmp/a\xff"));
    CHECK((*e)->raw_path == std::string("a\xff"));
    CHECK((*e)->comm == std::string("a\xff"));
    e = (*r)->next();
    REQUIRE(e);
    REQUIRE(*e);
    REQUIRE((*e)->argv.size() == 3);
    CHECK((*e)->argv[0] == "x");
    CHECK((*e)->argv[1] == std::string("\xff\xfe"));
    CHECK((*e)->argv[2] == "ok");
}

TEST_CASE("reader rejects what is not a version-1 glassbox trace, naming line 1", "[analysis][reader]") {
    struct row {
        std::string content;
        const char* expect;
    };
    const row rows[] = {
        {"", "empty file"},
        {"hello world\n", ":1: not a glassbox trace"},
        {"[1,2,3]\n", ":1: not a glassbox trace"},
        {R"({"type":"exec","ts":1})" "\n", ":1: not a glassbox trace"},
        {R"({"type":"header","format":"strace","version":1})" "\n", "format is 'strace'"},
        {R"({"type":"header","format":"glassbox-trace","version":2})" "\n", ":1: unsupported trace version 2 (this glassbox reads version 1)"},
        {R"({"type":"header","format":"glassbox-trace","version":"1"})" "\n", "no integer \"version\""},
        {R"({"type":"header","format":"glassbox-trace"})" "\n", "no integer \"version\""},
    };
    for (const auto& r : rows) {
        INFO(r.content);
        auto err = read_all(r.content);
        CHECK(contains(err, r.expect));
    }
    CHECK(contains(reader::open("/nonexistent/x.trace").error().message, "cannot open"));
    CHECK(contains(reader::open("/tmp").error().message, "is a directory"));
}

TEST_CASE("reader reports malformed lines with their line number", "[analysis][reader]") {
    std::string h = std::string(kHeader) + "\n";
    std::string ok = R"({"type":"open","ts":1,"pid":1,"tid":1,"ppid":0,"comm":"x","exe":"/x","path":"/a","access":"read","ret":3})" "\n";
    struct row {
        std::string content;
        const char* expect;
    };
    const row rows[] = {
        {h + ok + "{not json\n" + ok + kSummary + "\n", ":3: not valid JSON"},
        {h + ok + "[1]\n" + ok + kSummary + "\n", ":3: not a JSON object"},
        {h + ok + R"({"ts":1,"pid":1})" "\n" + kSummary + "\n", ":3: event without a \"type\""},
        {h + R"({"type":"open","pid":"one"})" "\n" + ok + kSummary + "\n", ":2: field 'pid' must be an integer"},
        {h + R"({"type":"open","path":42})" "\n" + ok + kSummary + "\n", ":2: field 'path' must be a string"},
        {h + R"({"type":"open","path":"/a"} {"x":1})" "\n" + ok + kSummary + "\n", ":2: not valid JSON: trailing"},
        {h + "{\"type\":\"open\",\"path\":\"/a\xff\"}\n" + ok + kSummary + "\n", ":2: not valid JSON"}, // raw non-UTF-8
        {h + R"({"type":"open","path":"\ud800"})" "\n" + ok + kSummary + "\n", ":2: "},            // lone surrogate
        {h + R"({"type":"open","path":"/a","path_hex":"zz"})" "\n" + ok + kSummary + "\n", ":2: a _hex field"},
        {h + R"({"type":"exec","argv":["a"],"argv_hex":[null,"61"]})" "\n" + ok + kSummary + "\n", ":2: 'argv_hex' and 'argv'"},
        {h + ok + kSummary + "\n" + ok, ":4: data after the summary"},
        {h + ok + h + ok + kSummary + "\n", ":3: a second header"},
    };
    for (const auto& r : rows) {
        INFO(r.content);
        auto err = read_all(r.content);
        INFO("error: " << err);
        CHECK(contains(err, r.expect));
    }
}

TEST_CASE("an incomplete trace is read with a warning", "[analysis][reader]") {
    std::string h = std::string(kHeader) + "\n";
    std::string ok = R"({"type":"open","ts":1,"pid":1,"tid":1,"ppid":0,"comm":"x","exe":"/x","path":"/a","access":"read","ret":3})" "\n";
    std::size_t n = 0;
    bool complete = true;
    std::vector<std::string> warnings;

    // No summary at all.
    CHECK(read_all(h + ok + ok, &n, &complete, &warnings).empty());
    CHECK(n == 2);
    CHECK_FALSE(complete);
    REQUIRE(warnings.size() == 1);
    CHECK(contains(warnings[0], "incomplete"));

    // Last line cut mid-write (no newline): ignored with a warning.
    CHECK(read_all(h + ok + ok + R"({"type":"open","ts":1,"pid":1,"pa)", &n, &complete, &warnings).empty());
    CHECK(n == 2);
    CHECK_FALSE(complete);
    REQUIRE_FALSE(warnings.empty());
    CHECK(contains(warnings[0], ":4: last line is cut"));

    // Header only.
    CHECK(read_all(h, &n, &complete).empty());
    CHECK(n == 0);
    CHECK_FALSE(complete);

    // Lost events are a warning on a complete trace.
    std::string lossy = R"({"type":"summary","events":1,"lost":17})";
    CHECK(read_all(h + ok + lossy + "\n", &n, &complete, &warnings).empty());
    CHECK(complete);
    REQUIRE(warnings.size() == 1);
    CHECK(contains(warnings[0], "lost 17 events"));
}

TEST_CASE("huge lines are an error, long valid lines are fine", "[analysis][reader]") {
    std::string h = std::string(kHeader) + "\n";
    // 3 MiB path: longer than the initial buffer, shorter than the limit.
    std::string big = R"({"type":"open","pid":1,"path":"/)" + std::string(3u << 20, 'a') + R"(","ret":3})" "\n";
    std::size_t n = 0;
    CHECK(read_all(h + big + kSummary + "\n", &n).empty());
    CHECK(n == 1);
    std::string huge = h + R"({"type":"open","path":")" + std::string(glassbox::trace::kMaxLineBytes + 10, 'a');
    auto err = read_all(huge + "\"}\n" + kSummary + "\n");
    CHECK(contains(err, ":2: line longer than"));
}

TEST_CASE("reader reads the committed fixture traces", "[analysis][reader]") {
    for (const char* f : {"clamscan-run1.trace", "clamscan-run2.trace", "clamscan-injected.trace"}) {
        INFO(f);
        auto r = reader::open(std::string(GLASSBOX_SOURCE_DIR "/tests/data/traces/") + f);
        REQUIRE(r);
        std::size_t n = 0;
        while (true) {
            auto e = (*r)->next();
            REQUIRE(e);
            if (!*e)
                break;
            ++n;
        }
        CHECK((*r)->complete());
        CHECK(n == (*r)->trace_summary()->events);
    }
}
