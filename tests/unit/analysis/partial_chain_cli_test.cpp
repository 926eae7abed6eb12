// Partial and chained traces through the commands, from outside: check, diff, learn refuse a
// partial trace with one line (exit 2) unless --accept-partial, refuse an edited chained trace
// naming the checkpoint where the chain breaks, and name the digest of every trace they read in
// their reports and profiles; `glassbox verify` exit statuses 0 / 1 / 4 / 5.
#include "run_command.hpp"

#include <glassbox/trace_writer.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

const std::string kData = GLASSBOX_SOURCE_DIR "/tests/data/traces/";

glassbox_test::command_output run(const std::vector<std::string>& args) {
    std::vector<std::string> argv{GLASSBOX_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return glassbox_test::run_command(argv, true);
}

fs::path dir() {
    fs::path d = fs::temp_directory_path() / ("glassbox-partial-cli-test-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
}

std::vector<std::string> lines_of(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<std::string> out;
    std::string l;
    while (std::getline(in, l))
        out.push_back(l);
    return out;
}

// The events of a committed (unchained) fixture written again by the trace writer: a chained
// trace with the same events. `partial`: the file as a killed recording leaves it after its last
// timed write (a copy of FILE.partial taken before the writer ends).
fs::path rechain(const std::string& fixture, const std::string& name, bool partial = false,
                 std::uint32_t checkpoint_lines = 500) {
    auto lines = lines_of(kData + fixture);
    fs::path out = dir() / (partial ? "writing-" + name : name);
    glassbox::trace_writer_options o;
    o.checkpoint_lines = checkpoint_lines;
    auto w = glassbox::trace_writer::open(out.string(), o);
    REQUIRE(w);
    glassbox::trace_header h;
    h.mode = "run";
    h.command = {"clamscan"};
    w->write_header(h);
    for (std::size_t i = 1; i + 1 < lines.size(); ++i) {
        auto type = nlohmann::json::parse(lines[i]).value("type", "");
        w->write_event(type, lines[i]);
    }
    if (partial) {
        w->flush_now();
        fs::path copy = dir() / (name + ".partial");
        fs::remove(copy);
        fs::copy_file(out.string() + ".partial", copy, fs::copy_options::overwrite_existing);
        return copy;
    }
    glassbox::trace_summary s;
    s.ended_by = "exit";
    REQUIRE(w->finish(s));
    return out;
}

std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

} // namespace

TEST_CASE("commands refuse a partial trace in one line unless --accept-partial", "[analysis][cli][partial]") {
    auto profile = (dir() / "p.yaml").string();
    REQUIRE(run({"learn", kData + "clamscan-run1.trace", "-o", profile}).status == 0);
    auto partial = rechain("clamscan-run2.trace", "killed.trace", true);
    const std::size_t n = lines_of(partial).size();

    auto refused = run({"check", "-p", profile, partial.string()});
    CHECK(refused.status == 2);
    CHECK(refused.out.empty());
    CHECK(count_lines(refused.err) == 1);
    CHECK(refused.err.find("is PARTIAL: no summary line, it ends after line " + std::to_string(n)) !=
          std::string::npos);
    CHECK(refused.err.find("its hash chain verifies all " + std::to_string(n) + " lines") != std::string::npos);
    CHECK(refused.err.find("--accept-partial") != std::string::npos);

    auto accepted = run({"check", "-p", profile, "--format", "json", "--accept-partial", partial.string()});
    CHECK(accepted.status == 0);
    CHECK(accepted.err.find("warning:") != std::string::npos);
    auto j = nlohmann::json::parse(accepted.out);
    CHECK(j["trace"]["complete"] == false);
    CHECK(j["trace"]["digest_of"] == "file");
    CHECK(j["trace"]["partial"].get<std::string>().find("no summary line") != std::string::npos);

    CHECK(run({"diff", kData + "clamscan-run1.trace", partial.string()}).status == 2);
    // --no-run-roots: the rechained copy's header keeps only argv[0], so its run roots differ
    // from the fixture's; this test is about the partial trace, not roots.
    CHECK(run({"diff", "--accept-partial", "--no-run-roots", kData + "clamscan-run1.trace", partial.string()}).status == 0);
    CHECK(run({"learn", partial.string()}).status == 2);
    auto learned = run({"learn", "--accept-partial", partial.string()});
    CHECK(learned.status == 0);
    CHECK(learned.out.find("INCOMPLETE") != std::string::npos);

    // A last line cut mid-write: said so.
    auto cut_lines = lines_of(kData + "clamscan-run1.trace");
    cut_lines.resize(20);
    cut_lines.back().resize(30);
    fs::path cut = dir() / "cut.trace";
    {
        std::ofstream f(cut, std::ios::binary);
        for (std::size_t i = 0; i < cut_lines.size(); ++i)
            f << cut_lines[i] << (i + 1 < cut_lines.size() ? "\n" : "");
    }
    auto cut_run = run({"check", "-p", profile, cut.string()});
    CHECK(cut_run.status == 2);
    CHECK(cut_run.err.find("its last line (20) is cut mid-line") != std::string::npos);
    CHECK(cut_run.err.find("it has no hash chain") != std::string::npos);
}

TEST_CASE("reports and profiles name the digest of each trace they read", "[analysis][cli][chain]") {
    auto chained = rechain("clamscan-run1.trace", "chained.trace");
    auto chained2 = rechain("clamscan-run2.trace", "chained2.trace");
    std::string digest = nlohmann::json::parse(lines_of(chained).back())["sha256"];
    std::string digest2 = nlohmann::json::parse(lines_of(chained2).back())["sha256"];
    auto profile = (dir() / "chained.yaml").string();
    REQUIRE(run({"learn", chained.string(), "-o", profile}).status == 0);
    std::ifstream pf(profile);
    std::string ptext((std::istreambuf_iterator<char>(pf)), std::istreambuf_iterator<char>());
    CHECK(ptext.find("#     sha256:" + digest + "\n") != std::string::npos);

    auto check = run({"check", "-p", profile, "--format", "json", chained2.string()});
    CHECK(check.status == 0);
    auto cj = nlohmann::json::parse(check.out);
    CHECK(cj["trace"]["sha256"] == digest2);
    CHECK(cj["trace"]["digest_of"] == "chain");
    auto text = run({"check", "-p", profile, chained2.string()});
    CHECK(text.out.find("sha256:" + digest2) != std::string::npos);
    auto md = run({"diff", "--format", "markdown", chained.string(), chained2.string()});
    CHECK(md.out.find("sha256:" + digest) != std::string::npos);
    CHECK(md.out.find("sha256:" + digest2) != std::string::npos);
    auto dj = nlohmann::json::parse(run({"diff", "--format", "json", chained.string(), chained2.string()}).out);
    CHECK(dj["old"]["sha256"] == digest);
    CHECK(dj["new"]["sha256"] == digest2);

    // An unchained fixture: the digest of its file, said to be so.
    auto plain = nlohmann::json::parse(
        run({"check", "-p", profile, "--format", "json", kData + "clamscan-run2.trace"}).out);
    CHECK(plain["trace"]["digest_of"] == "file");
    auto sum = glassbox_test::run_command({"/usr/bin/sha256sum", kData + "clamscan-run2.trace"}, false);
    CHECK(sum.out.substr(0, 64) == plain["trace"]["sha256"]);
}

TEST_CASE("an edited chained trace is refused by every command and named by verify", "[analysis][cli][chain]") {
    auto chained = rechain("clamscan-run1.trace", "edit.trace", false, 10);
    auto lines = lines_of(chained);
    // header and 9 events, checkpoint (line 11), 10 events, checkpoint (line 22), ...
    REQUIRE(lines.size() > 22);
    REQUIRE(nlohmann::json::parse(lines[21])["type"] == "checkpoint");
    // Line 15: an event's path changed; the checkpoint after it is line 22.
    auto& l = lines[14];
    auto at = l.find("\"path\":\"/");
    REQUIRE(at != std::string::npos);
    l[at + 9] = l[at + 9] == 'x' ? 'y' : 'x';
    fs::path edited = dir() / "edited.trace";
    {
        std::ofstream f(edited, std::ios::binary);
        for (const auto& x : lines)
            f << x << '\n';
    }
    auto profile = (dir() / "e.yaml").string();
    REQUIRE(run({"learn", kData + "clamscan-run1.trace", "-o", profile}).status == 0);
    auto check = run({"check", "-p", profile, edited.string()});
    CHECK(check.status == 2);
    CHECK(check.err.find("edited.trace:22: the hash chain breaks at the checkpoint on line 22: a line from 12 "
                         "to 22 was edited") != std::string::npos);
    CHECK(run({"learn", edited.string()}).status == 2);
    CHECK(run({"diff", chained.string(), edited.string()}).status == 2);

    auto v = run({"verify", edited.string()});
    CHECK(v.status == 1);
    CHECK(v.out.find("NOT intact at line 15:") != std::string::npos);
    auto ok = run({"verify", chained.string()});
    CHECK(ok.status == 0);
    CHECK(ok.out.find(": intact: ") != std::string::npos);
    auto partial = rechain("clamscan-run2.trace", "verify-killed.trace", true);
    auto p = run({"verify", partial.string()});
    CHECK(p.status == 4);
    CHECK(p.out.find("PARTIAL") != std::string::npos);
    auto none = run({"verify", kData + "clamscan-run1.trace"});
    CHECK(none.status == 5);
    CHECK(none.out.find("no chain: cannot be verified") != std::string::npos);
    auto missing = run({"verify", (dir() / "nope").string()});
    CHECK(missing.status == 2);
    fs::remove_all(dir());
}
