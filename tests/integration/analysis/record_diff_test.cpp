// Root integration tests of the analysis commands on traces recorded by the real `glassbox run`:
// the same fixture recorded twice must diff to nothing and pass `check` against the profile
// learned from the other run; a run doing two new things must diff to exactly those (plus
// nothing that the first run did not do in some form).
#include "run_command.hpp"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct temp_dir {
    fs::path path;
    temp_dir() {
        char tmpl[] = "/tmp/glassbox-analysis-it-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// Runs argv without a shell; returns the exit status and captures stdout.
int run(const std::vector<std::string>& argv, std::string* out = nullptr) {
    auto r = glassbox_test::run_command(argv);
    REQUIRE(r.status != -1);
    if (out)
        *out = std::move(r.out);
    return r.status;
}

std::string record(const temp_dir& t, const std::string& name, const std::vector<std::string>& extra = {}) {
    std::string trace = (t.path / name).string();
    std::vector<std::string> argv = {GLASSBOX_BIN, "run", "-q", "-o", trace, "--", GLASSBOX_FIXTURES "/analysis_work",
                                     (t.path / "samples").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    int rc = run(argv);
    INFO("glassbox run exit status " << rc);
    REQUIRE(rc == 0);
    REQUIRE(fs::exists(trace));
    return trace;
}

// True when one of the fixture's mkstemp/mkdtemp names in `trace` came out in the shape the
// normaliser keeps literal (six letters, no digit, no case change inside: about 1.6% of names).
// Two such runs against the fixture's forced "--letters" names are the residue docs/learning.md
// documents (two words of one length cannot be told from two random suffixes), so a test that
// needs a normal run records again rather than fail on that known, documented case.
bool has_letters_only_temp_name(const std::string& trace) {
    std::ifstream in(trace);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::string_view prefix : {"/tmp/gb-analysis-dir-", "/tmp/gb-analysis-"}) {
        for (auto pos = text.find(prefix); pos != std::string::npos; pos = text.find(prefix, pos + 1)) {
            std::string_view suffix = std::string_view(text).substr(pos + prefix.size(), 6);
            if (suffix.size() < 6 || suffix.starts_with("dir-"))
                continue;
            bool letters = true, lower = false;
            int inner_upper = 0;
            for (std::size_t i = 0; i < suffix.size(); ++i) {
                char c = suffix[i];
                letters &= std::isalpha(static_cast<unsigned char>(c)) != 0;
                lower |= c >= 'a' && c <= 'z';
                inner_upper += i > 0 && c >= 'A' && c <= 'Z';
            }
            if (letters && (inner_upper == 0 || !lower))
                return true;
        }
    }
    return false;
}

// A recording of the fixture's normal work whose temp names are not in that rare shape.
std::string record_normal(const temp_dir& t, const std::string& name) {
    for (int attempt = 1;; ++attempt) {
        auto trace = record(t, name);
        if (!has_letters_only_temp_name(trace) || attempt == 10)
            return trace;
        WARN(name << ": a temp name came out letters only (documented residue); recording again");
    }
}

} // namespace

TEST_CASE("two recordings of the same work diff to nothing and check clean", "[analysis][root]") {
    REQUIRE(::geteuid() == 0);
    temp_dir t;
    fs::create_directories(t.path / "samples");
    for (const char* f : {"a.exe", "b.pdf", "c.zip"})
        std::ofstream(t.path / "samples" / f) << f;
    auto t1 = record_normal(t, "run1.trace");
    auto t2 = record_normal(t, "run2.trace");

    std::string out;
    int rc = run({GLASSBOX_BIN, "diff", "--format", "json", t1, t2}, &out);
    INFO(out);
    CHECK(rc == 0);
    auto j = nlohmann::json::parse(out);
    CHECK(j["result"] == "same");
    CHECK(j["added"].empty());
    CHECK(j["removed"].empty());
    CHECK(j["old"]["complete"] == true);
    CHECK(j["new"]["events"].get<int>() > 5);

    // A run whose mkstemp suffixes came out letters only (kept literal by the normaliser) is
    // still the same work, in both directions.
    auto t3 = record(t, "run3.trace", {"--letters"});
    for (auto [a, b] : {std::pair{t1, t3}, std::pair{t3, t2}}) {
        rc = run({GLASSBOX_BIN, "diff", "--format", "json", a, b}, &out);
        INFO(a << " vs " << b << ": " << out);
        CHECK(rc == 0);
        CHECK(nlohmann::json::parse(out)["result"] == "same");
    }

    // Learned from two runs (a single run cannot tell its letters-only temp names from words),
    // the profile allows a third.
    std::string profile = (t.path / "p.yaml").string();
    REQUIRE(run({GLASSBOX_BIN, "learn", t1, t3, "-o", profile}) == 0);
    rc = run({GLASSBOX_BIN, "check", "-p", profile, "--format", "json", t2}, &out);
    INFO(out);
    CHECK(rc == 0);
    CHECK(nlohmann::json::parse(out)["violations"].empty());
    // The learned profile names what the fixture really did.
    std::ifstream in(profile);
    std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(yaml.find("\"/etc/passwd\"") != std::string::npos);
    CHECK(yaml.find("/proc/[0-9]*/status") != std::string::npos);
    CHECK(yaml.find("/usr/bin/true") != std::string::npos);
}

TEST_CASE("a recording that does new things diffs to those things", "[analysis][root]") {
    REQUIRE(::geteuid() == 0);
    temp_dir t;
    fs::create_directories(t.path / "samples");
    std::ofstream(t.path / "samples" / "a.exe") << "a";
    auto t1 = record_normal(t, "old.trace");
    auto t2 = record(t, "new.trace", {"--extra"});
    std::string out;
    int rc = run({GLASSBOX_BIN, "diff", "--format", "json", t1, t2}, &out);
    INFO(out);
    CHECK(rc == 1);
    auto j = nlohmann::json::parse(out);
    std::set<std::pair<std::string, std::string>> added;
    for (const auto& f : j["added"])
        added.insert({f["section"].get<std::string>(), f["subject"].get<std::string>()});
    CHECK(added.contains({"files.read", "/etc/hostname"}));
    CHECK(added.contains({"processes.exec", "/usr/bin/echo"}));
    CHECK(j["removed"].empty());
    // check against the old run's profile says the same, exit 1.
    std::string profile = (t.path / "p.yaml").string();
    REQUIRE(run({GLASSBOX_BIN, "learn", t1, "-o", profile}) == 0);
    rc = run({GLASSBOX_BIN, "check", "-p", profile, "--format", "json", t2}, &out);
    CHECK(rc == 1);
    std::set<std::pair<std::string, std::string>> violations;
    auto report = nlohmann::json::parse(out); // named: a temporary would dangle in the range-for
    for (const auto& f : report["violations"])
        violations.insert({f["section"].get<std::string>(), f["subject"].get<std::string>()});
    CHECK(violations.contains({"files.read", "/etc/hostname"}));
    CHECK(violations.contains({"processes.exec", "/usr/bin/echo"}));
}
