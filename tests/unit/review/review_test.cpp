// `glassbox review` from outside and through its library: the same version in two folders is "no
// change", an update's changes are ranked with their evidence (file, line, chain, operation and
// flags, stability), the profile, trace gaps and the static view feed the verdict, .deb packages
// are read directly, and the JSON, Markdown and HTML forms carry the same dossier. Fixture traces:
// tests/data/traces/review/ (make_review_fixtures.py says what each run does).
#include "run_command.hpp"

#include <glassbox/analysis.hpp>
#include <glassbox/review.hpp>

#include "analysis/engine.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using namespace glassbox::analysis;

namespace {

const std::string kDir = GLASSBOX_SOURCE_DIR "/tests/data/traces/review/";
const std::string kScanPrograms = fs::path(GLASSBOX_BIN).parent_path().string() + "/tests/scan_programs/";

glassbox_test::command_output run(const std::vector<std::string>& args) {
    std::vector<std::string> argv{GLASSBOX_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return glassbox_test::run_command(argv, true);
}

review_options update_options() {
    review_options o;
    o.old_traces = {kDir + "v1-run1.trace", kDir + "v1-run2.trace"};
    o.new_traces = {kDir + "v2-run1.trace", kDir + "v2-run2.trace"};
    o.profile = kDir + "qagent.yaml";
    return o;
}

const review_change* find_change(const review_report& r, std::string_view change, std::string_view section,
                                 std::string_view subject) {
    for (const auto& c : r.changes)
        if (c.change == change && section_name(c.sec) == section && c.subject == subject)
            return &c;
    return nullptr;
}

// 1-based line of the first line of `file` containing `needle`.
std::uint64_t line_of(const std::string& file, const std::string& needle) {
    std::ifstream in(file);
    std::string line;
    for (std::uint64_t n = 1; std::getline(in, line); ++n)
        if (line.find(needle) != std::string::npos)
            return n;
    return 0;
}

struct temp_dir {
    fs::path path;
    explicit temp_dir(const std::string& tag) {
        path = fs::temp_directory_path() / ("glassbox-review-test-" + tag + "-" + std::to_string(::getpid()));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~temp_dir() { fs::remove_all(path); }
};

} // namespace

TEST_CASE("the same version traced in two folders reviews as no change", "[review]") {
    review_options o;
    o.old_traces = {kDir + "v1-run1.trace"};
    o.new_traces = {kDir + "v1-run2.trace"};
    auto r = review(o);
    REQUIRE(r);
    CHECK(r->changes.empty());
    CHECK_FALSE(r->new_behaviour);
    CHECK_FALSE(r->integrity_gaps);
    CHECK(r->exit_status() == 0);
    CHECK(r->verdict_line().starts_with("no change in behaviour"));
    // The roots are stated: the working directory and the path arguments, by name.
    const auto& roots = r->traces[0].info.roots;
    auto has = [&](std::string_view n, std::string_view p) {
        return std::find(roots.begin(), roots.end(), std::pair<std::string, std::string>(n, p)) != roots.end();
    };
    CHECK(has("<cwd>", "/lab/w-old1"));
    CHECK(has("<arg:--move>", "/lab/w-old1/q"));
    CHECK(has("<arg1>", "/lab/w-old1/eicar"));
    CHECK(has("<home>", "/root"));
    CHECK(has("<tmpdir>", "/tmp"));

    // Another machine's folder, $HOME and $TMPDIR: still no change.
    o.new_traces = {kDir + "v1-home.trace"};
    auto other = review(o);
    REQUIRE(other);
    CHECK(other->changes.empty());

    // Turned off, the folder names are all that differs, and they are the only changes.
    o.new_traces = {kDir + "v1-run2.trace"};
    o.run_roots = false;
    auto raw = review(o);
    REQUIRE(raw);
    REQUIRE_FALSE(raw->changes.empty());
    for (const auto& c : raw->changes)
        CHECK((c.subject.find("/lab/w-old") != std::string::npos));
    CHECK(find_change(*raw, "new", "files.write", "/lab/w-old2/q/a.com") != nullptr);
    CHECK(find_change(*raw, "gone", "files.write", "/lab/w-old1/q/a.com") != nullptr);
}

TEST_CASE("diff normalises run roots too, and --no-run-roots turns it off", "[review][diff]") {
    auto d = diff_inputs(kDir + "v1-run1.trace", kDir + "v1-run2.trace");
    REQUIRE(d);
    CHECK(d->added.empty());
    CHECK(d->removed.empty());
    diff_options off;
    off.run_roots = false;
    auto raw = diff_inputs(kDir + "v1-run1.trace", kDir + "v1-run2.trace", off);
    REQUIRE(raw);
    CHECK_FALSE(raw->added.empty());
    CHECK_FALSE(raw->removed.empty());

    auto same = run({"diff", kDir + "v1-run1.trace", kDir + "v1-home.trace"});
    CHECK(same.status == 0);
    auto differs = run({"diff", "--no-run-roots", kDir + "v1-run1.trace", kDir + "v1-run2.trace"});
    CHECK(differs.status == 1);
    CHECK(differs.out.find("/lab/w-old2/q/a.com") != std::string::npos);
}

TEST_CASE("diff shows the operation and flags of a file change", "[review][diff]") {
    auto d = diff_inputs(kDir + "v1-run1.trace", kDir + "v2-run1.trace");
    REQUIRE(d);
    auto detail_of = [&](std::string_view section, std::string_view subject) -> std::string {
        for (const auto& f : d->added)
            if (section_name(f.sec) == section && f.subject == subject)
                return f.detail;
        return "<missing>";
    };
    CHECK(detail_of("files.write", "<arg:--move>/.qagent-unlink-*").starts_with("mkdirat mode 0700"));
    auto renamed = detail_of("files.write", "<arg:--move>/.qagent-unlink-*/a.com");
    CHECK(renamed.starts_with("renameat2 RENAME_NOREPLACE /lab/w-new1/eicar/a.com -> "));
    CHECK(detail_of("files.delete", "<arg:--move>/.qagent-unlink-*").starts_with("unlinkat AT_REMOVEDIR"));
    CHECK(detail_of("files.write", "<arg:--move>/.lock.700").starts_with("openat for write, create"));
}

TEST_CASE("an update's changes are ranked by risk with their evidence and stability", "[review]") {
    auto r = review(update_options());
    REQUIRE(r);
    CHECK(r->new_behaviour);
    CHECK(r->violations);
    CHECK_FALSE(r->integrity_gaps);
    CHECK_FALSE(r->static_compared);
    CHECK(r->exit_status() == 1);
    REQUIRE_FALSE(r->changes.empty());
    for (std::size_t i = 1; i < r->changes.size(); ++i)
        CHECK(r->changes[i - 1].risk >= r->changes[i].risk);
    for (std::size_t i = 0; i < r->changes.size(); ++i)
        CHECK(r->changes[i].id == "c" + std::to_string(i + 1));

    // Highest risk: the new connection outside the profile, in both new runs.
    const auto& top = r->changes.front();
    CHECK(top.change == "new");
    CHECK(section_name(top.sec) == "network.connect");
    CHECK(top.subject == "tcp 10.0.0.5:443");
    CHECK(top.outside_profile);
    CHECK(top.runs_seen == 2);
    CHECK(top.runs_total == 2);
    CHECK(top.count == 2);
    CHECK(top.syscall == "connect");
    CHECK(top.first.file == kDir + "v2-run1.trace");
    CHECK(top.first.line == line_of(kDir + "v2-run1.trace", "\"addr\":\"10.0.0.5\""));
    CHECK(top.first.pid == 7000);
    CHECK(top.first.chain == "qagent");
    CHECK(top.first.ts > 0);

    // The shell and curl: only in the first new run, spawned by the agent.
    const auto* curl = find_change(*r, "new", "processes.exec", "/usr/bin/curl");
    REQUIRE(curl);
    CHECK(curl->runs_seen == 1);
    CHECK(curl->runs_total == 2);
    CHECK(curl->outside_profile);
    CHECK(curl->first.chain == "qagent \u2192 dash \u2192 curl");
    CHECK(curl->first.operation.find("argv: curl -s https://updates.example/") != std::string::npos);

    // The quarantine's news is the operation: it is shown with its flags.
    const auto* moved = find_change(*r, "new", "files.write", "<arg:--move>/.qagent-unlink-*/a.com");
    REQUIRE(moved);
    CHECK(moved->first.operation.starts_with("renameat2 RENAME_NOREPLACE"));
    CHECK(moved->syscall == "renameat2");
    CHECK(moved->runs_seen == 2);
    CHECK_FALSE(moved->outside_profile); // /lab/*/q/** allows it
    // The lock file's name varies from run to run (.lock.700, .lock.800): one change, every run.
    const auto* lock = find_change(*r, "new", "files.write", "<arg:--move>/.lock.*");
    REQUIRE(lock);
    CHECK(lock->runs_seen == 2);
    CHECK(lock->runs_mask == 3);
    CHECK(lock->count == 2);
    CHECK(find_change(*r, "new", "files.write", "<arg:--move>/.lock.700") == nullptr);
    const auto* made = find_change(*r, "new", "files.write", "<arg:--move>/.qagent-unlink-*");
    REQUIRE(made);
    CHECK(made->first.operation == "mkdirat mode 0700");

    // The old renameat into the quarantine is no longer done that way: it is not a change of
    // behaviour (same path written), but the old rename of eicar is still a delete in both.
    CHECK(find_change(*r, "new", "files.write", "<arg:--move>/a.com") == nullptr);

    // Violations name the new runs' events outside the profile, with their evidence.
    bool connect_violation = false;
    for (const auto& f : r->violations_list)
        if (section_name(f.sec) == "network.connect" && f.subject == "tcp 10.0.0.5:443") {
            connect_violation = true;
            CHECK(f.count == 2);
            CHECK(f.first_line == top.first.line);
        }
    CHECK(connect_violation);

    // The process tree of the first new run, and a timeline per family for each side.
    bool tree_curl = false;
    for (const auto& p : r->processes)
        tree_curl |= p.name == "curl" && p.ppid == 7001 && p.argv == "curl -s https://updates.example/";
    CHECK(tree_curl);
    REQUIRE(r->timelines.size() == 2);
    CHECK(r->timelines[0].side == "old");
    CHECK(r->timelines[1].side == "new");
    std::uint64_t file_events = 0;
    for (auto n : r->timelines[1].counts[1])
        file_events += n;
    CHECK(file_events > 10);
}

TEST_CASE("trace gaps come from the header's coverage and the summary", "[review]") {
    review_options o;
    o.old_traces = {kDir + "v1-run1.trace"};
    o.new_traces = {kDir + "v2-partial.trace", kDir + "v2-lost.trace"};
    auto r = review(o);
    REQUIRE(r);
    CHECK(r->integrity_gaps);
    CHECK(r->exit_status() == 1);
    REQUIRE(r->traces.size() == 3);
    std::string gaps;
    for (const auto& t : r->traces)
        for (const auto& g : t.gaps)
            gaps += g + "\n";
    CHECK(gaps.find("v2-partial.trace: incomplete (no summary line)") != std::string::npos);
    CHECK(gaps.find("v2-partial.trace: network events were not observed: cgroup BPF unavailable") != std::string::npos);
    CHECK(gaps.find("v2-partial.trace: signals events are observed degraded: target named from /proc") !=
          std::string::npos);
    CHECK(gaps.find("v2-lost.trace: the kernel lost 17 events") != std::string::npos);
    CHECK(r->traces[0].gaps.empty());
    CHECK(r->verdict_line().find("TRACE GAPS") != std::string::npos);
}

TEST_CASE("the JSON dossier has the documented stable fields", "[review]") {
    auto r = review(update_options());
    REQUIRE(r);
    auto j = nlohmann::json::parse(render_review(*r, review_format::json, false));
    CHECK(j["format"] == "glassbox-review");
    CHECK(j["version"] == 1);
    CHECK(j["verdict"]["new_behaviour"] == true);
    CHECK(j["verdict"]["violations"] == true);
    CHECK(j["verdict"]["new_static_capability"].is_null());
    CHECK(j["verdict"]["integrity_gaps"] == false);
    CHECK(j["verdict"]["exit_status"] == 1);
    REQUIRE(j["traces"].size() == 4);
    CHECK(j["traces"][2]["side"] == "new");
    CHECK(j["traces"][2]["roots"]["<cwd>"] == "/lab/w-new1");
    const auto& c = j["changes"][0];
    for (const char* k : {"id", "change", "section", "group", "subject", "risk", "why", "count", "runs",
                          "outside_profile", "syscall", "operation", "static", "evidence"})
        CHECK(c.contains(k));
    CHECK(c["evidence"]["line"] == r->changes[0].first.line);
    CHECK(c["runs"]["seen"] == 2);
    CHECK(j["processes"].size() == r->processes.size());
    CHECK(j["timelines"][1]["families"].contains("network"));
    CHECK_FALSE(j["violations"].empty());

    auto md = render_review(*r, review_format::markdown, false);
    CHECK(md.starts_with("# glassbox review"));
    CHECK(md.find("**Verdict: NEW BEHAVIOUR") != std::string::npos);
    CHECK(md.find("renameat2 RENAME\\_NOREPLACE") != std::string::npos);
    auto text = render_review(*r, review_format::text, false);
    CHECK(text.find("VERDICT: NEW BEHAVIOUR") != std::string::npos);
    CHECK(text.find("operation: renameat2 RENAME_NOREPLACE") != std::string::npos);
}

TEST_CASE("the HTML dossier is one self-contained file", "[review]") {
    auto r = review(update_options());
    REQUIRE(r);
    auto html = render_review(*r, review_format::html, false);
    CHECK(html.starts_with("<!DOCTYPE html>"));
    for (const char* id : {"id=\"verdict\"", "id=\"changes\"", "id=\"violations\"", "id=\"static\"",
                           "id=\"timeline\"", "id=\"process-tree\"", "id=\"dossier-data\"", "id=\"f-text\""})
        CHECK(html.find(id) != std::string::npos);
    // Nothing is fetched: no external scripts, styles or images.
    CHECK(html.find("src=\"http") == std::string::npos);
    CHECK(html.find("<link") == std::string::npos);
    CHECK(html.find("default-src 'none'") != std::string::npos);
    // Each change row links to its evidence and its process.
    CHECK(html.find("<tr id=\"c1\"") != std::string::npos);
    CHECK(html.find("href=\"#p-7000\"") != std::string::npos);
    CHECK(html.find("<li id=\"p-7002\"") != std::string::npos);
    // The chart library is Debian's d3, inlined.
    if (fs::exists("/usr/share/javascript/d3/d3.min.js"))
        CHECK(html.find("d3.svg.area") != std::string::npos);
    // Hostile text cannot close the embedded JSON's script element.
    CHECK(html.find("</script>") == html.find("</script><script>") );
}

TEST_CASE("packages: folders and .deb files give the static view, joined with the traces", "[review]") {
    REQUIRE(fs::exists(kScanPrograms + "scan_rename_import"));
    temp_dir tmp("pkg");
    for (const auto& [side, prog] : {std::pair{"old", "scan_rename_import"}, std::pair{"new", "scan_rename_syscall"}}) {
        fs::create_directories(tmp.path / side / "opt/qagent/bin");
        fs::copy_file(kScanPrograms + prog, tmp.path / side / "opt/qagent/bin/qagent");
    }
    auto o = update_options();
    o.old_package = tmp.path / "old";
    o.new_package = tmp.path / "new";
    auto check_static = [](const review_report& r) {
        CHECK(r.static_compared);
        CHECK(r.new_static_capability);
        bool renameat2 = false;
        for (const auto& f : r.static_diff.findings)
            renameat2 |= f.kind == "new-syscall" && f.subject == "renameat2" && f.binary == "opt/qagent/bin/qagent";
        CHECK(renameat2);
        const review_join* j = nullptr;
        for (const auto& x : r.join)
            if (x.syscall == "renameat2")
                j = &x;
        REQUIRE(j);
        CHECK(j->kind == "reachable-and-observed");
        CHECK(j->observed == 4); // two renameat2 per new run
        REQUIRE_FALSE(j->change_id.empty());
        const review_change* c = nullptr;
        for (const auto& x : r.changes)
            if (x.id == j->change_id)
                c = &x;
        REQUIRE(c);
        CHECK(c->syscall == "renameat2");
        CHECK(c->static_view.find("renameat2 is newly reachable in opt/qagent/bin/qagent") != std::string::npos);
    };
    auto r = review(o);
    REQUIRE(r);
    check_static(*r);

    // The same as .deb files, read with libarchive (dpkg-deb only builds the fixture).
    for (const char* side : {"old", "new"}) {
        fs::create_directories(tmp.path / side / "DEBIAN");
        std::ofstream(tmp.path / side / "DEBIAN/control")
            << "Package: qagent\nVersion: " << (side[0] == 'o' ? "1" : "2")
            << "\nArchitecture: amd64\nMaintainer: test <t@example.org>\nDescription: review test\n";
        auto built = glassbox_test::run_command(
            {"/usr/bin/dpkg-deb", "--root-owner-group", "-Zxz", "--build", (tmp.path / side).string(),
             (tmp.path / (std::string(side) + ".deb")).string()},
            true);
        REQUIRE(built.status == 0);
    }
    o.old_package = tmp.path / "old.deb";
    o.new_package = tmp.path / "new.deb";
    auto from_deb = review(o);
    REQUIRE(from_deb);
    check_static(*from_deb);

    // Not a .deb: one clear error.
    std::ofstream(tmp.path / "bad.deb") << "not an archive";
    o.new_package = tmp.path / "bad.deb";
    auto bad = review(o);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("bad.deb") != std::string::npos);
}

TEST_CASE("review CLI: formats, output file and exit status as a CI gate", "[review][cli]") {
    temp_dir tmp("cli");
    auto same = run({"review", "--old", kDir + "v1-run1.trace", "--new", kDir + "v1-run2.trace"});
    CHECK(same.status == 0);
    CHECK(same.out.find("VERDICT: no change in behaviour") != std::string::npos);

    auto update = run({"review", "--old", kDir + "v1-run1.trace", kDir + "v1-run2.trace", "--new", kDir + "v2-run1.trace",
                       kDir + "v2-run2.trace", "--profile", kDir + "qagent.yaml", "-f", "json"});
    CHECK(update.status == 1);
    auto j = nlohmann::json::parse(update.out);
    CHECK(j["verdict"]["exit_status"] == 1);
    CHECK(j["traces"].size() == 4);

    auto html_file = (tmp.path / "dossier.html").string();
    auto html = run({"review", "--old", kDir + "v1-run1.trace", "--new", kDir + "v2-run1.trace", "-f", "html", "-o",
                     html_file, "--title", "qagent 1 -> 2"});
    CHECK(html.status == 1);
    std::ifstream in(html_file);
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(ss.str().find("<title>glassbox review: qagent 1 -&gt; 2</title>") != std::string::npos);

    auto missing = run({"review", "--old", kDir + "nope.trace", "--new", kDir + "v2-run1.trace"});
    CHECK(missing.status == 2);
    CHECK(missing.err.find("nope.trace") != std::string::npos);
    auto one_package = run({"review", "--old", kDir + "v1-run1.trace", "--new", kDir + "v2-run1.trace", "--old-package",
                            tmp.path.string()});
    CHECK(one_package.status == 2);
    auto unwritable = run({"review", "--old", kDir + "v1-run1.trace", "--new", kDir + "v2-run1.trace", "-o",
                           "/nonexistent-dir/x.html"});
    CHECK(unwritable.status == 73);
}

TEST_CASE("run roots: which parts of a header become placeholders", "[review]") {
    glassbox::trace::header h;
    h.cwd = "/lab/w1";
    h.command = {"env", "LD_LIBRARY_PATH=/lab/pkg-old/usr/lib", "PATH=/a:/b", "/lab/pkg-old/usr/bin/clamscan",
                 "--database=db", "--move=q", "-r", "eicar/", "../shared", "/"};
    h.home = "/root";
    h.tmpdir = "/tmp/";
    auto r = run_roots::from_header(h);
    std::map<std::string, std::string> m(r.entries().begin(), r.entries().end());
    CHECK(m.at("<env:LD_LIBRARY_PATH>") == "/lab/pkg-old/usr/lib");
    CHECK_FALSE(m.contains("<env:PATH>"));          // a list of paths is not one root
    CHECK(m.at("<arg1>") == "/lab/pkg-old/usr/bin/clamscan");
    CHECK(m.at("<arg:--database>") == "/lab/w1/db");
    CHECK(m.at("<arg:--move>") == "/lab/w1/q");
    CHECK(m.at("<arg2>") == "/lab/w1/eicar");         // trailing '/' folded
    CHECK(m.at("<arg3>") == "/lab/shared");           // '..' folded
    CHECK_FALSE(m.contains("<arg4>"));                // "/" would swallow every path
    CHECK(m.at("<cwd>") == "/lab/w1");
    CHECK(m.at("<tmpdir>") == "/tmp");
    CHECK(m.at("<home>") == "/root");
    // Longest root first, on component boundaries only.
    std::string out;
    REQUIRE(r.rewrite(section::file_read, "/lab/w1/eicar/x.com", out));
    CHECK(out == "<arg2>/x.com");
    REQUIRE(r.rewrite(section::file_write, "/lab/w1/other", out));
    CHECK(out == "<cwd>/other");
    CHECK_FALSE(r.rewrite(section::file_read, "/lab/w10/x", out));
    REQUIRE(r.rewrite(section::net_connect, "unix /lab/w1/q/sock", out));
    CHECK(out == "unix <arg:--move>/sock");
    CHECK_FALSE(r.rewrite(section::net_connect, "tcp 1.2.3.4:80", out));
    // The placeholder survives normalisation; the rest is normalised as a path.
    CHECK(normalise_path("<cwd>/log-1234567.txt") == "<cwd>/log-*.txt");
    CHECK(normalise_path("<tmpdir>/clamav-0a1b2c3d4e5f") == "<tmpdir>/clamav-*");
    CHECK(normalise_subject(section::net_connect, "unix <cwd>/s.sock") == "unix <cwd>/s.sock");
}

TEST_CASE("learn keeps a connect the kernel refused, so enforce gives the same answer", "[review][learn]") {
    // v1 connects to 127.0.0.1:3310 and gets ECONNREFUSED in both runs, and opens a missing
    // optional config (ENOENT). enforce judges a connect in its cgroup hook before the kernel
    // tries it: left out of the profile, the connect would get EPERM. A missing file's lookup
    // fails first under enforce too, so it stays ENOENT without a rule.
    learn_options lo;
    lo.name = "qagent";
    auto learned = learn_profile({kDir + "v1-run1.trace", kDir + "v1-run2.trace"}, lo);
    REQUIRE(learned);
    const auto& y = learned->yaml;
    auto rule = y.find("- \"tcp 127.0.0.1:3310\"");
    REQUIRE(rule != std::string::npos);
    auto eol = y.find('\n', rule);
    auto line = y.substr(rule, eol - rule);
    CHECK(line.find("2 events") != std::string::npos);
    CHECK(line.find("the kernel refused it (ECONNREFUSED): allowed so that enforce leaves the answer to the kernel") !=
          std::string::npos);
    CHECK(y.find("optional.conf") == std::string::npos);

    // check agrees: the learned profile allows both runs, refused connect included.
    auto p = glassbox::profile::parse_profile(y);
    REQUIRE(p);
    auto c = check_trace(*p, "learned", kDir + "v1-run2.trace");
    REQUIRE(c);
    CHECK(c->violations.empty());
    // And a refused connect to an endpoint the profile lacks is a violation, not silence.
    auto strict = glassbox::profile::parse_profile("apiVersion: glassbox/v1\nkind: Profile\nmetadata: {name: s}\n");
    REQUIRE(strict);
    auto v = check_trace(*strict, "strict", kDir + "v1-run1.trace");
    REQUIRE(v);
    bool refused_connect = false;
    for (const auto& f : v->violations)
        refused_connect |= f.subject == "tcp 127.0.0.1:3310" && f.detail.find("ECONNREFUSED") != std::string::npos;
    CHECK(refused_connect);
}
