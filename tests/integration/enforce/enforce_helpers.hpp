// Helpers for the enforce integration tests: a scratch directory, profile writing, running
// `glassbox enforce` on the enf_actions fixture and reading back its output and trace.
#pragma once

#include "run_command.hpp"
#include <algorithm>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace enf_test {

inline const std::string fixture = std::string(GLASSBOX_FIXTURES) + "/enf_actions";

struct scratch {
    std::string dir;
    scratch() {
        char tmpl[] = "/var/tmp/glassbox-enf-XXXXXX";
        dir = mkdtemp(tmpl);
        std::filesystem::create_directories(dir + "/allowed");
        std::filesystem::create_directories(dir + "/secret");
        write(dir + "/allowed/a.txt", "allowed\n");
        write(dir + "/secret/s.txt", "forbidden\n");
    }
    ~scratch() { std::filesystem::remove_all(dir); }
    static void write(const std::string& path, const std::string& text, mode_t mode = 0644) {
        std::ofstream(path) << text;
        chmod(path.c_str(), mode);
    }
};

// A profile that lets the fixture start (its binary, the loader, libc) plus `extra` YAML.
inline std::string base_profile(const std::string& files_read_extra, const std::string& rest = "",
                                const std::string& files_write = "[]", const std::string& exec_extra = "") {
    std::ostringstream p;
    p << "apiVersion: glassbox/v1\nkind: Profile\nmetadata: {name: enf-test}\n"
      << "files:\n"
      << "  read: [/etc/ld.so.cache, /usr/lib/**, /lib/**, /lib64/**, /usr/lib64/**, /proc/**, /dev/null"
      << files_read_extra << "]\n"
      << "  write: " << files_write << "\n"
      << "  exec: [/usr/lib/**, /lib/**]\n"
      << "processes:\n  exec: [\"" << fixture << "\"" << exec_extra << "]\n"
      << rest;
    return p.str();
}

// The mechanism report enforce states before the command starts: on stderr one line per entry
// ("glassbox:   enforced: ...", "glassbox:   NOT enforced: ...", "glassbox:   note: ..."), and with
// --out the trace header's `enforcement` object, which must say the same.
struct mechanism_report {
    std::vector<std::string> enforced, missing, notes;
    // The entries of `list` that start with `prefix`.
    static std::vector<std::string> starting(const std::vector<std::string>& list, const std::string& prefix) {
        std::vector<std::string> r;
        for (const auto& e : list)
            if (e.rfind(prefix, 0) == 0)
                r.push_back(e);
        return r;
    }
};

inline mechanism_report report_of(const std::string& err) {
    mechanism_report m;
    std::istringstream s(err);
    std::string line;
    const std::pair<const char*, std::vector<std::string>*> kinds[] = {
        {"glassbox:   enforced: ", &m.enforced}, {"glassbox:   NOT enforced: ", &m.missing}, {"glassbox:   note: ", &m.notes}};
    while (std::getline(s, line))
        for (const auto& [prefix, list] : kinds)
            if (line.rfind(prefix, 0) == 0)
                list->push_back(line.substr(std::string(prefix).size()));
    return m;
}

struct run_result {
    int status = -1;      // raw wait status of glassbox
    std::string out;      // fixture stdout
    std::string err;      // glassbox stderr
    std::vector<nlohmann::json> trace;
    int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }
    // The line "<action>: ..." values in order.
    std::vector<std::string> results(const std::string& action) const {
        std::vector<std::string> r;
        std::istringstream s(out);
        std::string line;
        while (std::getline(s, line))
            if (line.rfind(action + ": ", 0) == 0)
                r.push_back(line.substr(action.size() + 2));
        return r;
    }
    std::string first(const std::string& action) const {
        auto r = results(action);
        return r.empty() ? "<none>" : r.front();
    }
    std::vector<nlohmann::json> violations() const {
        std::vector<nlohmann::json> v;
        for (const auto& j : trace)
            if (j.value("type", "") == "violation")
                v.push_back(j);
        return v;
    }
    mechanism_report report() const { return report_of(err); }
    // The trace's header (its first line); null without a trace.
    nlohmann::json header() const { return trace.empty() ? nlohmann::json() : trace.front(); }
    bool has_violation(const std::string& section, const std::string& key, const std::string& value) const {
        for (const auto& j : violations())
            if (j.value("section", "") == section && j.contains(key) &&
                (j[key].is_string() ? j[key].get<std::string>() : j[key].dump()) == value)
                return true;
        return false;
    }
};

// Runs: glassbox enforce --profile P [--out T] <opts...> -- fixture <actions...>
// (without --out the sandbox runs on its own, without the recorder: a different launch path).
inline run_result run_enforce(const scratch& s, const std::string& profile_yaml, const std::vector<std::string>& opts,
                              const std::vector<std::string>& actions, const std::string& command = fixture,
                              bool recorded = true) {
    std::string prof = s.dir + "/profile.yaml";
    std::string trace = s.dir + "/trace.jsonl";
    scratch::write(prof, profile_yaml);
    std::filesystem::remove(trace);
    std::vector<std::string> argv = {GLASSBOX_BIN, "enforce", "--profile", prof};
    if (recorded) {
        argv.push_back("--out");
        argv.push_back(trace);
    }
    argv.insert(argv.end(), opts.begin(), opts.end());
    // The fixture reports its own pids and the tests compare them with the trace's and /proc's:
    // a pid namespace renumbers them. Protection is tested by tests/integration/hostile.
    if (std::find(opts.begin(), opts.end(), "--protect") == opts.end()) {
        argv.push_back("--protect");
        argv.push_back("none");
    }
    argv.push_back("--");
    argv.push_back(command);
    argv.insert(argv.end(), actions.begin(), actions.end());
    auto cmd = glassbox_test::run_command(argv, true);
    run_result r;
    r.status = cmd.raw_status;
    r.out = std::move(cmd.out);
    r.err = std::move(cmd.err);
    std::ifstream tf(trace);
    std::string line;
    while (std::getline(tf, line))
        if (!line.empty())
            r.trace.push_back(nlohmann::json::parse(line, nullptr, false));
    return r;
}

} // namespace enf_test
