// The analysis subcommands from outside, as CI uses them: exit status 0 / 1 / 2, one-line errors
// naming file, line and column, learn writing a profile that check accepts, report formats.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

const std::string kData = GLASSBOX_SOURCE_DIR "/tests/data/traces/";

struct result {
    int status;
    std::string out, err;
};

result run(const std::vector<std::string>& args) {
    auto tmp = fs::temp_directory_path() / ("glassbox-cli-" + std::to_string(::getpid()));
    fs::create_directories(tmp);
    std::string out_file = (tmp / "out").string(), err_file = (tmp / "err").string();
    pid_t pid = ::fork();
    if (pid == 0) {
        FILE* o = std::freopen(out_file.c_str(), "w", stdout);
        FILE* e = std::freopen(err_file.c_str(), "w", stderr);
        (void)o;
        (void)e;
        std::vector<char*> a;
        std::string bin = GLASSBOX_BIN;
        a.push_back(bin.data());
        std::vector<std::string> copy = args;
        for (auto& s : copy)
            a.push_back(s.data());
        a.push_back(nullptr);
        ::execv(a[0], a.data());
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    auto slurp = [](const std::string& f) {
        std::ifstream in(f);
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    result r{WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), slurp(out_file), slurp(err_file)};
    fs::remove_all(tmp);
    return r;
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
