// Helpers for issue 3's root integration tests: run a coverage fixture (tests/fixtures/cov_*.c)
// under the real `glassbox run`, parse what the fixture says it did ("op=NAME k=v ... ret=N"
// lines) and the trace it produced, and find events by their fields. The fixture's own report is
// the expected value of every assertion, so nothing is hard-coded twice.
#pragma once

#include "run_command.hpp"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <set>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace covtest {

using nlohmann::json;

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        char tmpl[] = "/tmp/glassbox-cov-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string str() const { return path.string(); }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// One line of a fixture's report.
struct action {
    std::string op;
    std::map<std::string, std::string> kv;
    std::string get(const std::string& k) const {
        auto it = kv.find(k);
        return it == kv.end() ? std::string() : it->second;
    }
    long long num(const std::string& k) const { return std::stoll(get(k)); }
    long long ret() const { return num("ret"); }
};

struct run_result {
    int status = -1;
    std::vector<action> actions;
    std::vector<json> trace;
    std::string trace_path;

    const action& act(const std::string& op) const {
        for (const auto& a : actions)
            if (a.op == op)
                return a;
        FAIL("the fixture did not report op=" << op);
        throw std::logic_error("unreachable");
    }
    bool has_act(const std::string& op) const {
        for (const auto& a : actions)
            if (a.op == op)
                return true;
        return false;
    }
    std::vector<json> all(const std::function<bool(const json&)>& pred) const {
        std::vector<json> out;
        for (const auto& e : trace)
            if (pred(e))
                out.push_back(e);
        return out;
    }
    // The single event matching pred; fails the test (naming `what`) when there is none.
    json one(const std::string& what, const std::function<bool(const json&)>& pred) const {
        auto v = all(pred);
        INFO("event: " << what << " (trace " << trace_path << ")");
        REQUIRE_FALSE(v.empty());
        return v.front();
    }
    const json& summary() const { return trace.back(); }
};

inline std::string fixture(const std::string& name) { return std::string(GLASSBOX_FIXTURES) + "/" + name; }

inline std::vector<action> parse_actions(const std::string& out) {
    std::vector<action> v;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("op=", 0) != 0)
            continue;
        action a;
        std::istringstream words(line);
        std::string w;
        while (words >> w) {
            auto eq = w.find('=');
            if (eq == std::string::npos)
                continue;
            std::string k = w.substr(0, eq), val = w.substr(eq + 1);
            if (k == "op")
                a.op = val;
            else
                a.kv[k] = val;
        }
        v.push_back(a);
    }
    return v;
}

// glassbox run --out <dir>/trace.jsonl -- <fixture> args...; the fixture's stdout is its report.
inline run_result run_traced(const temp_dir& work, const std::vector<std::string>& fixture_argv) {
    run_result r;
    r.trace_path = (work.path.parent_path() / (work.path.filename().string() + ".trace.jsonl")).string();
    // --protect none: these fixtures report their own pids and signal processes of the machine,
    // which a pid namespace renumbers and hides (the protection itself: tests/integration/hostile).
    std::vector<std::string> argv{GLASSBOX_BIN, "run", "-q", "--protect", "none", "--out", r.trace_path, "--"};
    argv.push_back(fixture(fixture_argv.at(0)));
    argv.insert(argv.end(), fixture_argv.begin() + 1, fixture_argv.end());
    auto cmd = glassbox_test::run_command(argv);
    REQUIRE(cmd.status != -1);
    std::string out = std::move(cmd.out);
    r.status = cmd.status;
    r.actions = parse_actions(out);
    std::ifstream in(r.trace_path);
    std::string line;
    while (std::getline(in, line)) {
        // A field may appear only once per event: a duplicate would silently replace another
        // (readers keep one of them), e.g. an argument named like a common field.
        std::set<std::string> keys;
        std::string dup;
        json::parser_callback_t cb = [&](int depth, json::parse_event_t ev, json& parsed) {
            if (ev == json::parse_event_t::key && depth == 1 && !keys.insert(parsed.get<std::string>()).second)
                dup = parsed.get<std::string>();
            return true;
        };
        auto e = json::parse(line, cb);
        INFO(line);
        CHECK(dup.empty());
        r.trace.push_back(std::move(e));
    }
    if (!std::getenv("GLASSBOX_KEEP_TRACES")) // keep them to inspect a failure
        std::filesystem::remove(r.trace_path);
    INFO("fixture output:\n" << out);
    REQUIRE(r.status == 0);
    REQUIRE(r.trace.size() >= 2);
    REQUIRE(r.trace.back()["type"] == "summary");
    CHECK(r.trace.back()["lost"] == 0);
    return r;
}

inline std::string s(const json& e, const char* k) {
    return e.contains(k) && e[k].is_string() ? e[k].get<std::string>() : std::string();
}
inline bool is(const json& e, const char* type, const char* syscall = nullptr) {
    return e["type"] == type && (!syscall || s(e, "syscall") == syscall);
}

} // namespace covtest
