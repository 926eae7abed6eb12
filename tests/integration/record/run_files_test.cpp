// Root integration tests of `glassbox run` for files and process basics: a fixture performs known
// opens and the trace must contain each with the kernel-resolved path, raw path, access and result;
// the command's exit status passes through; the trace is complete and well formed.
#include "helpers.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <sstream>

using namespace gbtest;

TEST_CASE("run records opens by absolute, relative, dirfd and symlink paths, and failed opens", "[root][record]") {
    // The recorder normally loads its BPF object as two instances side by side (gb_sys_exit in
    // the second, on shared maps); GLASSBOX_ONE_PASS_LOAD=1 loads one instance the plain way.
    // Both must record the same.
    const bool one_pass = GENERATE(false, true);
    INFO("GLASSBOX_ONE_PASS_LOAD=" << one_pass);
    struct env_guard {
        explicit env_guard(bool on) {
            if (on)
                ::setenv("GLASSBOX_ONE_PASS_LOAD", "1", 1);
        }
        ~env_guard() { ::unsetenv("GLASSBOX_ONE_PASS_LOAD"); }
    } guard(one_pass);
    temp_dir dir;
    std::string trace = dir / "trace.jsonl";
    std::string work = dir / "work";
    std::filesystem::create_directory(work);
    int rc = run({GLASSBOX_BIN, "run", "-q", "--out", trace, "--", fixture("rec_actions"), "files", work});
    REQUIRE(rc == 0);
    auto t = load_trace(trace);
    REQUIRE(t.size() >= 3);
    CHECK(t.front()["type"] == "header");
    CHECK(t.front()["mode"] == "run");
    CHECK(t.front()["command"][1] == "files");
    CHECK(t.back()["type"] == "summary");
    CHECK(t.back()["lost"] == 0);
    CHECK(t.back()["complete"] == true);
    CHECK(t.back()["exit"]["code"] == 0);
    CHECK_FALSE(std::filesystem::exists(trace + ".partial"));
    int root = t.front()["root_pid"];

    auto opens_of = [&](const std::string& path) {
        return find_all(t, [&](const json& e) { return e["type"] == "open" && str_or(e, "path") == path; });
    };
    // Absolute path, created for writing.
    auto abs = opens_of(work + "/abs.txt");
    REQUIRE(abs.size() >= 1);
    CHECK(abs[0]["raw_path"] == work + "/abs.txt");
    CHECK(abs[0]["access"] == "write");
    CHECK(abs[0]["create"] == true);
    CHECK(abs[0]["truncate"] == true);
    CHECK(abs[0]["mode"] == 0600);
    CHECK(abs[0]["ret"].get<int>() >= 0);
    CHECK(abs[0]["pid"] == root);
    CHECK(abs[0]["comm"] == "rec_actions");
    CHECK(abs[0]["exe"] == fixture("rec_actions"));
    CHECK(abs[0]["syscall"] == "openat");
    // Relative after chdir: resolved to the absolute path.
    auto rel = opens_of(work + "/rel.txt");
    REQUIRE(rel.size() == 1);
    CHECK(rel[0]["raw_path"] == "rel.txt");
    CHECK(rel[0]["access"] == "read-write");
    // Via a dirfd.
    auto dfd = opens_of(work + "/dirfd.txt");
    REQUIRE(dfd.size() == 1);
    CHECK(dfd[0]["raw_path"] == "dirfd.txt");
    // Through a symlink: the path is the target actually opened.
    auto link = find_all(t, [](const json& e) { return e["type"] == "open" && e["raw_path"] == "link"; });
    REQUIRE(link.size() == 1);
    CHECK(link[0]["path"] == work + "/target.txt");
    CHECK(link[0]["access"] == "read");
    // Failed open: null path, raw path and errno.
    auto failed = find_all(t, [](const json& e) {
        return e["type"] == "open" && e["raw_path"] == "/nonexistent-glassbox/id_rsa";
    });
    REQUIRE(failed.size() == 1);
    CHECK(failed[0]["path"].is_null());
    CHECK(failed[0]["ret"] == -2);
    CHECK(failed[0]["errno"] == "ENOENT");
    // creat and openat2.
    auto cr = opens_of(work + "/creat.txt");
    REQUIRE(cr.size() == 1);
    CHECK(cr[0]["syscall"] == "creat");
    CHECK(cr[0]["access"] == "write");
    CHECK(cr[0]["create"] == true);
    auto o2 = find_all(t, [](const json& e) { return e["type"] == "open" && e["syscall"] == "openat2"; });
    REQUIRE(o2.size() == 1);
    CHECK(o2[0]["path"] == work + "/abs.txt");
    CHECK(o2[0]["resolve"] == 4); // RESOLVE_NO_SYMLINKS
    // The first event of the root is its exec of the fixture.
    auto execs = find_all(t, [&](const json& e) { return e["type"] == "exec" && e["pid"] == root; });
    REQUIRE(execs.size() == 1);
    CHECK(execs[0]["path"] == fixture("rec_actions"));
    CHECK(execs[0]["argv"] == json::array({fixture("rec_actions"), "files", work}));
    CHECK(execs[0]["ret"] == 0);
    // Summary counts match the lines.
    auto n_open = find_all(t, [](const json& e) { return e["type"] == "open"; }).size();
    CHECK(t.back()["counts"]["open"] == n_open);
    // Every line but the header, the summary and the hash chain's checkpoints is an event (a
    // checkpoint precedes each timed write: how many depends on how slowly the events came).
    auto n_checkpoints = find_all(t, [](const json& e) { return e["type"] == "checkpoint"; }).size();
    CHECK(t.back()["events"] == t.size() - 2 - n_checkpoints);
}

TEST_CASE("run passes the command's exit status through", "[root][record]") {
    temp_dir dir;
    std::string trace = dir / "t.jsonl";
    CHECK(run({GLASSBOX_BIN, "run", "-q", "--out", trace, "--", fixture("rec_actions"), "exit", "42"}) == 42);
    auto t = load_trace(trace);
    REQUIRE(t.back()["type"] == "summary");
    CHECK(t.back()["exit"]["code"] == 42);
    CHECK(t.back()["ended_by"] == "exit");
    auto exits = find_all(t, [&](const json& e) { return e["type"] == "exit" && e["pid"] == t.front()["root_pid"]; });
    REQUIRE(exits.size() == 1);
    CHECK(exits[0]["exit_code"] == 42);
    CHECK(exits[0]["thread"] == false);
}

TEST_CASE("run reports a missing command in one line with status 127 and leaves no trace", "[root][record]") {
    temp_dir dir;
    std::string trace = dir / "t.jsonl";
    CHECK(run({GLASSBOX_BIN, "run", "-q", "--out", trace, "--", "/nonexistent-glassbox/cmd"}) == 127);
    CHECK_FALSE(std::filesystem::exists(trace));
    CHECK_FALSE(std::filesystem::exists(trace + ".partial"));
    CHECK(run({GLASSBOX_BIN, "run", "-q", "--out", "/nonexistent-dir/t.jsonl", "--", "/bin/true"}) == 73);
}

TEST_CASE("run names pipes, sockets, anonymous inodes and namespace files as /proc/PID/fd does", "[root][record]") {
    temp_dir dir;
    std::string trace = dir / "trace.jsonl";
    std::string out;
    int rc = run({GLASSBOX_BIN, "run", "-q", "--out", trace, "--", fixture("rec_actions"), "pseudo"}, &out);
    REQUIRE(rc == 0);
    std::map<std::string, std::string> ino; // "pipe" -> "1234"
    std::istringstream lines(out);
    std::string kind, num;
    while (lines >> kind >> num)
        ino[kind] = num;
    REQUIRE(ino.size() == 3);
    auto t = load_trace(trace);
    auto fchmods = find_all(t, [](const json& e) { return e["type"] == "chmod" && e["syscall"] == "fchmod"; });
    REQUIRE(fchmods.size() == 4);
    CHECK(fchmods[0]["path"] == "pipe:[" + ino["pipe"] + "]");
    CHECK(fchmods[1]["path"] == "socket:[" + ino["socket"] + "]");
    CHECK(fchmods[2]["path"] == "anon_inode:[eventfd]");
    CHECK(fchmods[3]["path"] == "uts:[" + ino["ns"] + "]");
}
