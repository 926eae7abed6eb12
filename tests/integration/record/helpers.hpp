// Helpers for the recorder's root integration tests: run the real glassbox binary on a fixture,
// read the produced JSON Lines trace, and find events in it by their fields.
#pragma once

#include "run_command.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace gbtest {

using nlohmann::json;

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        char tmpl[] = "/tmp/glassbox-rec-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// Runs argv (no shell); returns the exit status (128+N for a signal), stdout in *out if given.
inline int run(const std::vector<std::string>& argv, std::string* out = nullptr) {
    auto r = glassbox_test::run_command(argv);
    if (out)
        *out = std::move(r.out);
    return r.status;
}

inline std::vector<json> load_trace(const std::string& path) {
    std::vector<json> lines;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line))
        lines.push_back(json::parse(line));
    return lines;
}

inline std::vector<json> find_all(const std::vector<json>& trace, const std::function<bool(const json&)>& pred) {
    std::vector<json> out;
    for (const auto& e : trace)
        if (pred(e))
            out.push_back(e);
    return out;
}

inline std::string fixture(const std::string& name) {
    // append() rather than operator+ on a temporary: g++ 12 reports a bogus -Warray-bounds there.
    std::string path = GLASSBOX_FIXTURES;
    path.append("/").append(name);
    return path;
}

inline std::string str_or(const json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

// After glassbox was killed: its watchdog outlives it by the time it takes to read the ring and
// append (a few ms; more under TCG). True once its account, the `watchdog` line, and the
// checkpoint after it are in the file.
inline bool wait_for_watchdog(const std::string& partial_path) {
    for (int i = 0; i < 400; ++i) {
        std::ifstream in(partial_path);
        std::string all((std::istreambuf_iterator<char>(in)), {});
        auto at = all.rfind(R"({"type":"watchdog",)");
        if (at != std::string::npos && all.find(R"({"type":"checkpoint",)", at) != std::string::npos)
            return true;
        ::usleep(50 * 1000);
    }
    return false;
}

} // namespace gbtest
