// Issue 3, "File changes and reads": every file-changing syscall of tests/fixtures/cov_files.c is
// in the trace with its absolute path, raw string and result, and each descriptor's I/O totals
// arrive in a `close` event. Expected values come from the fixture's own report.
#include "cov_helpers.hpp"

#include <cerrno>

using namespace covtest;

namespace {

// The single-path change `op` of the fixture (reported with path= and ret=) as event `type`.
void check_path_event(const run_result& r, const std::string& op, const char* type, const char* syscall) {
    const action& a = r.act(op);
    INFO("fixture op " << op);
    json e = r.one(op, [&](const json& e) { return is(e, type, syscall) && s(e, "path") == a.get("path"); });
    CHECK(e["ret"] == a.ret());
    if (!a.get("raw").empty())
        CHECK(s(e, "raw_path") == a.get("raw"));
    else if (a.get("fd").empty())
        CHECK(s(e, "raw_path") == a.get("path"));
    if (!a.get("fd").empty())
        CHECK(e["fd"] == a.num("fd"));
    if (!a.get("mode").empty())
        CHECK(e["mode"] == std::stoll(a.get("mode"), nullptr, a.get("mode")[0] == '0' ? 8 : 10));
    if (!a.get("owner").empty()) {
        CHECK(e["owner"] == a.num("owner"));
        CHECK(e["group"] == a.num("group"));
    }
    if (!a.get("length").empty())
        CHECK(e["length"] == a.num("length"));
    if (!a.get("name").empty())
        CHECK(s(e, "name") == a.get("name"));
    CHECK(e["pid"].get<long long>() > 0);
    CHECK(s(e, "exe").find("cov_files") != std::string::npos);
}

void check_two_path_event(const run_result& r, const std::string& op, const char* type, const char* syscall) {
    const action& a = r.act(op);
    INFO("fixture op " << op);
    json e = r.one(op, [&](const json& e) {
        return is(e, type, syscall) && s(e, "new_path") == a.get("new") && s(e, "old_path") == a.get("old");
    });
    CHECK(e["ret"] == a.ret());
    CHECK(e.contains("raw_old_path"));
    CHECK(e.contains("raw_new_path"));
    if (!a.get("flags").empty())
        CHECK(e["flags"] == a.num("flags"));
}

} // namespace

TEST_CASE("file changes carry absolute paths, raw strings and results", "[coverage][files]") {
    temp_dir d;
    run_result r = run_traced(d, {"cov_files", d.str()});

    check_path_event(r, "unlink", "unlink", "unlink");
    check_path_event(r, "unlinkat", "unlink", "unlinkat"); // dirfd-relative "c"
    check_path_event(r, "mkdir", "mkdir", "mkdir");
    check_path_event(r, "mkdirat", "mkdir", "mkdirat");
    check_path_event(r, "rmdir", "rmdir", "rmdir");
    check_path_event(r, "unlinkat_rmdir", "rmdir", "unlinkat"); // AT_REMOVEDIR is an rmdir
    check_path_event(r, "chmod", "chmod", "chmod");
    check_path_event(r, "fchmod", "chmod", "fchmod"); // path from the descriptor
    check_path_event(r, "fchmodat", "chmod", "fchmodat");
    check_path_event(r, "chown", "chown", "chown");
    check_path_event(r, "fchown", "chown", "fchown");
    check_path_event(r, "lchown", "chown", "lchown");
    check_path_event(r, "fchownat", "chown", "fchownat");
    check_path_event(r, "truncate", "truncate", "truncate");
    check_path_event(r, "ftruncate", "truncate", "ftruncate");
    check_path_event(r, "setxattr", "setxattr", "setxattr");
    check_path_event(r, "lsetxattr", "setxattr", "lsetxattr");
    check_path_event(r, "fsetxattr", "setxattr", "fsetxattr");
    check_path_event(r, "removexattr", "removexattr", "removexattr");
    check_path_event(r, "fremovexattr", "removexattr", "fremovexattr");
    check_path_event(r, "mknod", "mknod", "mknodat"); // glibc's mknod is mknodat
    check_path_event(r, "mknodat", "mknod", "mknodat");
    check_path_event(r, "inotify_add_watch", "inotify_add_watch", "inotify_add_watch");

    SECTION("the utimes family, including futimens (no path string: the descriptor's path)") {
        const action& u = r.act("utimes");
        auto ut = r.all([&](const json& e) { return is(e, "utimes") && s(e, "path") == u.get("path"); });
        REQUIRE(ut.size() == 3);
        CHECK(ut[1]["raw_path"] == "a3");
        CHECK(ut[2]["raw_path"].is_null());
        for (const auto& e : ut)
            CHECK(e["ret"] == 0);
    }
    SECTION("rename, link and symlink carry both paths") {
        check_two_path_event(r, "rename", "rename", "rename");
        check_two_path_event(r, "renameat2", "rename", "renameat2");
        check_two_path_event(r, "link", "link", "link");
        const action& a = r.act("symlink");
        json e = r.one("symlink", [&](const json& e) { return is(e, "symlink") && s(e, "new_path") == a.get("new"); });
        CHECK(e["old_path"] == "a3"); // the link's content as written
        CHECK(e["ret"] == 0);
    }
    SECTION("failures are recorded with their errno") {
        const action& a = r.act("unlink_missing");
        REQUIRE(a.ret() == -ENOENT);
        json e = r.one("unlink_missing", [&](const json& e) { return is(e, "unlink") && s(e, "path") == a.get("path"); });
        CHECK(e["ret"] == -ENOENT);
        CHECK(e["errno"] == "ENOENT");
    }
    CHECK(r.summary()["counts"]["unlink"] == 3);
}

TEST_CASE("per-descriptor I/O totals arrive in close events", "[coverage][files]") {
    temp_dir d;
    run_result r = run_traced(d, {"cov_files", d.str()});
    auto closes_of = [&](const std::string& path) {
        return r.all([&](const json& e) { return is(e, "close") && s(e, "path") == path; });
    };
    const action& w = r.act("write_totals");
    const action& rd = r.act("read_totals");
    auto a_closes = closes_of(w.get("path"));
    // write, read, sendfile source, copy_file_range source, splice source, mmap: six descriptors
    REQUIRE(a_closes.size() >= 5);
    CHECK(a_closes[0]["bytes_written"] == w.num("bytes_written"));
    CHECK(a_closes[0]["writes"] == w.num("writes"));
    CHECK(a_closes[0]["bytes_read"] == 0);
    CHECK(a_closes[0]["fd"] == w.num("fd"));
    CHECK(a_closes[1]["bytes_read"] == rd.num("bytes_read"));
    CHECK(a_closes[1]["reads"] == rd.num("reads"));
    CHECK(a_closes[1]["bytes_written"] == 0);

    const action& sf = r.act("sendfile");
    CHECK(a_closes[2]["bytes_read"] == sf.ret());
    auto b = closes_of(sf.get("out"));
    REQUIRE(b.size() == 1);
    CHECK(b[0]["bytes_written"] == sf.ret());
    CHECK(b[0]["fd"] == sf.num("out_fd"));

    const action& cfr = r.act("copy_file_range");
    CHECK(a_closes[3]["bytes_read"] == cfr.ret());
    auto c = closes_of(cfr.get("out"));
    REQUIRE(c.size() == 1);
    CHECK(c[0]["bytes_written"] == cfr.ret());

    const action& sp = r.act("splice");
    CHECK(a_closes[4]["bytes_read"] == sp.num("bytes"));
    auto e = closes_of(sp.get("out"));
    REQUIRE(e.size() == 1);
    CHECK(e[0]["bytes_written"] == sp.num("bytes"));
}

TEST_CASE("a file mapped executable is an mmap_exec event with its path", "[coverage][files]") {
    temp_dir d;
    run_result r = run_traced(d, {"cov_files", d.str()});
    const action& a = r.act("mmap_exec");
    json e = r.one("mmap_exec", [&](const json& e) { return is(e, "mmap_exec") && s(e, "path") == a.get("path"); });
    CHECK(e["prot"] == a.num("prot"));
    CHECK(e["fd"] == a.num("fd"));
    CHECK(e["ret"].get<long long>() > 0);
    // The dynamic loader maps libc executable too: plugins and libraries are visible the same way.
    CHECK_FALSE(r.all([](const json& e) { return is(e, "mmap_exec") && s(e, "path").find("libc.so") != std::string::npos; }).empty());
}

TEST_CASE("descriptors closed by close_range or by exec report their totals at that moment", "[coverage][files]") {
    temp_dir d;
    run_result r = run_traced(d, {"cov_files", d.str()});
    const action& cr = r.act("close_range");
    REQUIRE(cr.ret() == 0);
    auto closes_of_fd = [&](long long pid, long long fd) {
        return r.all([&](const json& e) { return is(e, "close") && e["pid"] == pid && e["fd"] == fd; });
    };
    long long main_pid = -1;
    for (const auto& e : r.trace)
        if (is(e, "open") && s(e, "path") == cr.get("path"))
            main_pid = e["pid"].get<long long>();
    REQUIRE(main_pid > 0);
    // Reported by the close_range itself, with the path resolved before the descriptors went,
    // not later as "reused" or at exit.
    auto c1 = closes_of_fd(main_pid, cr.num("fd1"));
    auto c2 = closes_of_fd(main_pid, cr.num("fd2"));
    auto by_range = [](const std::vector<json>& v) {
        for (const auto& e : v)
            if (s(e, "closed_by") == "close_range")
                return e;
        return json();
    };
    json w = by_range(c1), rd = by_range(c2);
    REQUIRE(w.is_object());
    REQUIRE(rd.is_object());
    CHECK(w["path"] == cr.get("path"));
    CHECK(w["bytes_written"] == cr.num("bytes_written"));
    CHECK(w["writes"] == 1);
    CHECK(w["bytes_read"] == 0);
    CHECK_FALSE(w.contains("reused"));
    CHECK_FALSE(w.contains("at_exit"));
    CHECK(rd["path"] == cr.get("path"));
    CHECK(rd["bytes_read"] == cr.num("bytes_read"));
    CHECK(rd["reads"] == 1);
    CHECK(rd["bytes_written"] == 0);

    const action& ex = r.act("exec_cloexec");
    REQUIRE(ex.ret() == 0);
    long long child = ex.num("pid");
    json exec = r.one("the child's exec", [&](const json& e) { return is(e, "exec") && e["pid"] == child; });
    for (int i : {1, 2}) {
        INFO("descriptor " << i);
        std::string n = std::to_string(i);
        // (the new program's loader reuses these numbers for its own opens and closes)
        auto v = r.all([&](const json& e) {
            return is(e, "close") && e["pid"] == child && e["fd"] == ex.num("fd" + n) && e.contains("closed_by");
        });
        REQUIRE(v.size() == 1);
        CHECK(v[0]["closed_by"] == "exec");
        CHECK(v[0]["bytes_written"] == ex.num("written" + n));
        CHECK(v[0]["writes"] == 1);
        CHECK_FALSE(v[0].contains("reused"));
        CHECK_FALSE(v[0].contains("at_exit"));
        // emitted when the exec returned, so after the exec event (its ts is not earlier)
        CHECK(v[0]["ts"].get<long long>() >= exec["ts"].get<long long>());
    }

    const action& lo = r.act("left_open");
    REQUIRE(lo.ret() == 17);
    json ae = r.one("close at exit", [&](const json& e) { return is(e, "close") && s(e, "path") == lo.get("path"); });
    CHECK(ae["at_exit"] == true);
    CHECK(ae["fd"] == lo.num("fd"));
    CHECK(ae["bytes_written"] == lo.num("bytes_written"));
    CHECK(ae["writes"] == 1);
}
