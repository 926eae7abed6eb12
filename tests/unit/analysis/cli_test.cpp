// The analysis subcommands from outside, as CI uses them: exit status 0 / 1 / 2, one-line errors
// naming file, line and column, learn writing a profile that check accepts, report formats.
#include "run_command.hpp"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

const std::string kData = GLASSBOX_SOURCE_DIR "/tests/data/traces/";

// Runs glassbox with args, stdout and stderr captured (the shared runner of every test binary).
glassbox_test::command_output run(const std::vector<std::string>& args) {
    std::vector<std::string> argv{GLASSBOX_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return glassbox_test::run_command(argv, true);
}

} // namespace

TEST_CASE("check exit status: 0 clean, 1 violations, 2 unreadable input", "[analysis][cli]") {
    auto dir = fs::temp_directory_path() / ("glassbox-cli-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::string profile = (dir / "p.yaml").string();

    auto learned = run({"learn", kData + "clamscan-run1.trace", "-o", profile, "--name", "clamscan"});
    CHECK(learned.status == 0);
    REQUIRE(fs::exists(profile));
    CHECK_FALSE(fs::exists(profile + ".partial"));

    auto clean = run({"check", "-p", profile, kData + "clamscan-run2.trace"});
    CHECK(clean.status == 0);
    CHECK(clean.out.find("clean") != std::string::npos);

    auto dirty = run({"check", "-p", profile, "--format", "json", kData + "clamscan-injected.trace"});
    CHECK(dirty.status == 1);
    CHECK(nlohmann::json::parse(dirty.out)["violations"].size() == 6);

    auto md = run({"check", "-p", profile, "--format", "markdown", kData + "clamscan-injected.trace"});
    CHECK(md.status == 1);
    CHECK(md.out.find("| privileged | `ptrace` |") != std::string::npos);

    auto missing_trace = run({"check", "-p", profile, (dir / "nope.trace").string()});
    CHECK(missing_trace.status == 2);
    CHECK(missing_trace.err.find("nope.trace: cannot open") != std::string::npos);

    std::ofstream(dir / "bad.yaml") << "apiVersion: glassbox/v1\nkind: Profile\nnetwork:\n  connect:\n    - tcp 1.2.3.4:99999\n";
    auto bad_profile = run({"check", "-p", (dir / "bad.yaml").string(), kData + "clamscan-run1.trace"});
    CHECK(bad_profile.status == 2);
    CHECK(bad_profile.err.find("bad.yaml:5:7: bad endpoint 'tcp 1.2.3.4:99999'") != std::string::npos);
    // one clear line
    CHECK(std::count(bad_profile.err.begin(), bad_profile.err.end(), '\n') == 1);

    std::ofstream(dir / "v2.trace") << R"({"type":"header","format":"glassbox-trace","version":2})" "\n";
    auto v2 = run({"check", "-p", profile, (dir / "v2.trace").string()});
    CHECK(v2.status == 2);
    CHECK(v2.err.find("v2.trace:1: unsupported trace version 2") != std::string::npos);

    auto usage = run({"check", kData + "clamscan-run1.trace"}); // no --profile
    CHECK(usage.status == 2);
    fs::remove_all(dir);
}

TEST_CASE("diff exit status: 0 nothing new, 1 new behaviour, 2 unreadable", "[analysis][cli]") {
    auto same = run({"diff", kData + "clamscan-run1.trace", kData + "clamscan-run2.trace"});
    CHECK(same.status == 0);
    CHECK(same.out.find("no difference in behaviour") != std::string::npos);

    auto added = run({"diff", kData + "clamscan-run1.trace", kData + "clamscan-injected.trace"});
    CHECK(added.status == 1);
    CHECK(added.out.find("+ ptrace") != std::string::npos);

    auto removed_only = run({"diff", kData + "clamscan-injected.trace", kData + "clamscan-run1.trace"});
    CHECK(removed_only.status == 0); // NEW does less: not a gate failure
    CHECK(removed_only.out.find("- ptrace") != std::string::npos);

    auto bad = run({"diff", kData + "clamscan-run1.trace", "/nonexistent.trace"});
    CHECK(bad.status == 2);

    // A file that is neither: one line that names the file, what was wrong and what it was taken for.
    auto neither = run({"diff", GLASSBOX_SOURCE_DIR "/README.md", kData + "clamscan-run1.trace"});
    CHECK(neither.status == 2);
    CHECK(neither.out.empty());
    CHECK(neither.err.find("README.md:") != std::string::npos);
    CHECK(neither.err.find("read as a profile: it is not a trace") != std::string::npos);
    CHECK(std::count(neither.err.begin(), neither.err.end(), '\n') == 1);
}

TEST_CASE("learn writes to stdout and refuses bad input with one line", "[analysis][cli]") {
    auto out = run({"learn", kData + "clamscan-run1.trace", kData + "clamscan-run2.trace"});
    CHECK(out.status == 0);
    CHECK(out.out.find("apiVersion: glassbox/v1") != std::string::npos);
    CHECK(out.out.find("#   ") != std::string::npos);

    auto bad = run({"learn", GLASSBOX_SOURCE_DIR "/profiles/clamscan.yaml"});
    CHECK(bad.status == 2);
    CHECK(bad.err.find("clamscan.yaml:1: not a glassbox trace") != std::string::npos);

    auto unwritable = run({"learn", kData + "clamscan-run1.trace", "-o", "/nonexistent-dir/p.yaml"});
    CHECK(unwritable.status == 73);
}
