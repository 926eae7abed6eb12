// learn / check / diff end to end on trace files: the learn -> check round trip, diff with
// injected differences (each found, nothing else), two runs of the same work diffing to nothing,
// multi-trace volatility, directory collapse, profile inputs to diff, and the report formats.
#include <glassbox/analysis.hpp>

#include "analysis/engine.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

using namespace glassbox::analysis;
namespace fs = std::filesystem;

namespace {

const std::string kData = GLASSBOX_SOURCE_DIR "/tests/data/traces/";

struct temp_dir {
    fs::path path;
    temp_dir() {
        static int n = 0;
        path = fs::temp_directory_path() / ("glassbox-engine-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
        fs::create_directories(path);
    }
    ~temp_dir() { fs::remove_all(path); }
    fs::path write(const std::string& name, const std::string& content) const {
        std::ofstream(path / name, std::ios::binary) << content;
        return path / name;
    }
};

// A minimal trace: header, the given event lines (JSON objects without the common fields), summary.
std::string trace_of(const std::vector<std::string>& events, int pid = 100) {
    std::string t = R"({"type":"header","format":"glassbox-trace","version":1,"mode":"run","command":["agent"],"root_pid":)" +
                    std::to_string(pid) + "}\n";
    int ts = 0;
    for (const auto& e : events)
        t += R"({"ts":)" + std::to_string(++ts) + R"(,"pid":)" + std::to_string(pid) + R"(,"tid":)" + std::to_string(pid) +
             R"(,"ppid":1,"uid":0,"euid":0,"comm":"agent","exe":"/opt/agent/bin/agent",)" + e.substr(1) + "\n";
    t += R"({"type":"summary","events":)" + std::to_string(events.size()) + R"(,"lost":0,"complete":true})" "\n";
    return t;
}

std::string open_read(const std::string& path) {
    return R"({"type":"open","path":")" + path + R"(","access":"read","ret":3})";
}

std::set<std::pair<std::string, std::string>> keys(const std::vector<finding>& v) {
    std::set<std::pair<std::string, std::string>> out;
    for (const auto& f : v)
        out.insert({std::string(section_name(f.sec)), f.subject});
    return out;
}

glassbox::profile::profile learn_and_load(const std::vector<fs::path>& traces, learn_options o = {}) {
    auto l = learn_profile(traces, o);
    REQUIRE(l);
    auto p = glassbox::profile::parse_profile(l->yaml, "learned");
    REQUIRE(p);
    return *p;
}

const std::set<std::pair<std::string, std::string>> kInjected = {
    {"privileged", "ptrace"},
    {"network.connect", "tcp 203.0.113.66:80"},
    {"network.dns", "evil.example"},
    {"processes.exec", "/usr/bin/dash"},
    {"processes.exec", "/usr/bin/curl"},
    {"files.write", "/etc/cron.d/clam-persist"},
};

} // namespace

TEST_CASE("learn -> check round trip: a trace is clean against its own profile", "[analysis][learn][check]") {
    for (const char* f : {"clamscan-run1.trace", "clamscan-injected.trace"}) {
        INFO(f);
        auto p = learn_and_load({kData + f});
        auto r = check_trace(p, "learned", kData + f);
        REQUIRE(r);
        CHECK(r->violations.empty());
        CHECK(r->trace.events > 20);
    }
    // The profile learned from one run also accepts another run of the same work.
    auto p = learn_and_load({kData + "clamscan-run1.trace"});
    auto r2 = check_trace(p, "learned", kData + "clamscan-run2.trace");
    REQUIRE(r2);
    CHECK(r2->violations.empty());
}

TEST_CASE("check finds exactly the injected behaviour, with chain and first occurrence", "[analysis][check]") {
    auto p = learn_and_load({kData + "clamscan-run1.trace"});
    auto r = check_trace(p, "learned", kData + "clamscan-injected.trace");
    REQUIRE(r);
    CHECK(keys(r->violations) == kInjected);
    CHECK(r->violating_events == 6);
    // Ranked by risk: privileged first, then network, processes, files.
    REQUIRE(r->violations.size() == 6);
    CHECK(r->violations.front().sec == section::privileged);
    CHECK(r->violations.back().sec == section::file_write);
    for (const auto& v : r->violations) {
        INFO(v.subject);
        if (v.subject == "tcp 203.0.113.66:80") {
            CHECK(v.chain == "clamscan \u2192 dash \u2192 curl");
            CHECK(v.first_line == 34);
            CHECK(v.pid == 6321);
            CHECK(v.detail.find("EINPROGRESS") != std::string::npos);
        }
        if (v.subject == "/usr/bin/dash") {
            CHECK(v.chain == "clamscan \u2192 dash");
            CHECK(v.detail.find("sh -c curl") != std::string::npos);
        }
    }
}

TEST_CASE("check judges enforce's refused actions, not its violation records", "[analysis][check]") {
    temp_dir d;
    auto allowed = open_read("/etc/ld.so.cache");
    auto denied = R"({"type":"open","path":null,"raw_path":"/root/.ssh/id_rsa","access":"read","ret":-13,"errno":"EACCES"})";
    auto decision = R"({"type":"violation","section":"files.read","attempted":"open /root/.ssh/id_rsa for read","syscall":"openat","path":"/root/.ssh/id_rsa","access":"read","action":"denied","mechanism":"landlock"})";
    auto p = learn_and_load({d.write("base.trace", trace_of({allowed}))});
    auto r = check_trace(p, "learned", d.write("enforced.trace", trace_of({allowed, denied, decision})).string());
    REQUIRE(r);
    CHECK(keys(r->violations) == std::set<std::pair<std::string, std::string>>{{"files.read", "/root/.ssh/id_rsa"}});
}

TEST_CASE("check against the hand-written example profile", "[analysis][check]") {
    auto p = glassbox::profile::load_profile(GLASSBOX_SOURCE_DIR "/profiles/clamscan.yaml");
    REQUIRE(p);
    auto r = check_trace(*p, "clamscan.yaml", kData + "clamscan-run1.trace");
    REQUIRE(r);
    // The example profile writes temp files only inside /tmp/clamav-*/ directories; the fixture's
    // mkdir/rmdir of the directory itself and its unix-socket attempt are outside it.
    std::set<std::pair<std::string, std::string>> got = keys(r->violations);
    for (const auto& [sec, subject] : got)
        CHECK((sec == "files.write" || sec == "files.delete"));
}

TEST_CASE("diff: the same work twice diffs to nothing", "[analysis][diff]") {
    auto d = diff_inputs(kData + "clamscan-run1.trace", kData + "clamscan-run2.trace");
    REQUIRE(d);
    CHECK(d->added.empty());
    CHECK(d->removed.empty());
}

TEST_CASE("diff: every injected difference is found and nothing else", "[analysis][diff]") {
    // Both reading strategies: two sets in parallel (small inputs) and NEW streamed against OLD.
    auto limit = GENERATE(std::uint64_t(1) << 30, std::uint64_t(0));
    INFO("parallel below " << limit << " bytes");
    auto same = diff_inputs_bounded(kData + "clamscan-run1.trace", kData + "clamscan-run2.trace", limit);
    REQUIRE(same);
    CHECK(same->added.empty());
    CHECK(same->removed.empty());
    auto d = diff_inputs_bounded(kData + "clamscan-run1.trace", kData + "clamscan-injected.trace", limit);
    REQUIRE(d);
    CHECK(keys(d->added) == kInjected);
    CHECK(d->removed.empty());
    REQUIRE_FALSE(d->added.empty());
    CHECK(d->added.front().sec == section::privileged);
    for (const auto& f : d->added)
        CHECK(f.count == 1);

    auto back = diff_inputs_bounded(kData + "clamscan-injected.trace", kData + "clamscan-run2.trace", limit);
    REQUIRE(back);
    CHECK(back->added.empty());
    CHECK(keys(back->removed) == kInjected);
}

TEST_CASE("diff: injected differences of every kind in synthetic traces", "[analysis][diff]") {
    temp_dir t;
    std::vector<std::string> base = {
        R"({"type":"exec","path":"/opt/agent/bin/agent","argv":["agent"],"ret":0})",
        open_read("/etc/agent.conf"),
        open_read("/proc/100/status"),
        R"({"type":"open","path":"/var/lib/agent/state.db","access":"read-write","ret":4})",
        R"({"type":"connect","family":"inet","sock_type":"stream","addr":"192.0.2.10","port":443,"ret":0})",
        R"({"type":"dns","name":"update.agent.example","qtype":"A","ret":40})",
    };
    std::vector<std::string> changed = base;
    changed[2] = open_read("/proc/200/status"); // noise only
    changed.push_back(open_read("/etc/shadow"));
    changed.push_back(R"({"type":"unlink","path":"/var/log/syslog","ret":0})");
    changed.push_back(R"({"type":"chmod","path":"/usr/bin/passwd","mode":2541,"ret":0})");
    changed.push_back(R"({"type":"mmap_exec","path":"/tmp/payload.so","ret":0})");
    changed.push_back(R"({"type":"bind","family":"inet6","sock_type":"stream","addr":"::","port":4444,"ret":0})");
    changed.push_back(R"({"type":"accept","family":"inet","sock_type":"stream","addr":"198.51.100.7","port":50000,"ret":5})");
    changed.push_back(R"({"type":"sendto","family":"inet","sock_type":"dgram","addr":"198.51.100.9","port":53,"ret":30})");
    changed.push_back(R"({"type":"socket","family":"packet","sock_type":"raw","ret":6})");
    changed.push_back(R"({"type":"memfd_create","name":"stage2","ret":7})");
    changed.push_back(R"({"type":"cred","syscall":"setuid","args":[0],"ret":0})");
    changed.push_back(R"({"type":"prctl","option":"PR_SET_DUMPABLE","arg2":0,"ret":0})");
    changed.push_back(R"({"type":"signal","syscall":"kill","target_pid":1,"target_exe":"/usr/sbin/auditd","sig":9,"ret":0})");
    changed.push_back(R"({"type":"priv","op":"init_module","params":"","ret":0})");
    changed.push_back(R"({"type":"abi32","nr":11,"ret":0})");
    changed.push_back(R"({"type":"rename","old_path":"/etc/agent.conf","new_path":"/etc/agent.conf.bak","ret":0})");
    changed.push_back(R"({"type":"open","path":null,"raw_path":"/nope","access":"read","ret":-2,"errno":"ENOENT"})"); // not behaviour
    auto old_t = t.write("old.trace", trace_of(base, 100));
    auto new_t = t.write("new.trace", trace_of(changed, 200));
    auto d = diff_inputs(old_t, new_t);
    REQUIRE(d);
    const std::set<std::pair<std::string, std::string>> expected = {
        {"files.read", "/etc/shadow"},
        {"files.delete", "/var/log/syslog"},
        {"files.metadata", "/usr/bin/passwd"},
        {"files.exec", "/tmp/payload.so"},
        {"network.bind", "tcp [::]:4444"},
        {"network.accept", "tcp 198.51.100.7:50000"},
        {"network.connect", "udp 198.51.100.9:53"},
        {"network.sockets", "packet/raw"},
        {"processes.memfd", "stage2"},
        {"processes.cred", "setuid"},
        {"processes.prctl", "PR_SET_DUMPABLE"},
        {"processes.signal", "/usr/sbin/auditd"},
        {"privileged", "init_module"},
        {"privileged", "abi32"},
        {"files.delete", "/etc/agent.conf"},
        {"files.write", "/etc/agent.conf.bak"},
    };
    CHECK(keys(d->added) == expected);
    CHECK(d->removed.empty());
    auto streamed = diff_inputs_bounded(old_t, new_t, 0); // NEW streamed against OLD
    REQUIRE(streamed);
    CHECK(keys(streamed->added) == expected);
    CHECK(streamed->removed.empty());

    // check against a profile learned from OLD finds the same set.
    auto p = learn_and_load({old_t});
    auto c = check_trace(p, "old", new_t);
    REQUIRE(c);
    std::set<std::pair<std::string, std::string>> check_keys = keys(c->violations);
    // check reports exact subjects: the /proc noise is allowed by /proc/[0-9]*/status.
    CHECK(check_keys == expected);
}

// No semicolon in the name: ctest splits test names on it, and the test never ran.
TEST_CASE("diff: a letters-only mkstemp suffix is the same volatile behaviour, real differences stay", "[analysis][diff]") {
    temp_dir t;
    auto write_tmp = [](const std::string& p) {
        return R"({"type":"open","path":")" + p + R"(","access":"write","create":true,"ret":4})";
    };
    auto unlink = [](const std::string& p) { return R"({"type":"unlink","path":")" + p + R"(","ret":0})"; };
    // Run 1's suffixes have digits (normalised to '*'); run 2's came out letters only, which
    // one path cannot tell from a word (kept literal). Also a tmpnam-style name, literal in both.
    auto run = [&](const std::string& file, const std::string& dir, const std::string& tmpnam) {
        return std::vector<std::string>{
            R"({"type":"exec","path":"/opt/agent/bin/agent","argv":["agent"],"ret":0})",
            open_read("/etc/agent.conf"),
            open_read("/srv/data/report.pdf"),
            open_read("/etc/agent/conf-backup"),
            write_tmp("/tmp/gb-analysis-" + file),
            unlink("/tmp/gb-analysis-" + file),
            write_tmp("/tmp/gb-analysis-dir-" + dir + "/unpacked.bin"),
            write_tmp("/var/tmp/" + tmpnam),
        };
    };
    auto old_t = t.write("old.trace", trace_of(run("Xa9Bq2", "k2PqZ8", "fileAb3dEf"), 100));
    auto same_t = t.write("same.trace", trace_of(run("gwpxkm", "QZKFJX", "filegwpxkm"), 200));
    // The same work with genuine differences injected, each of the shape that noise has: a new
    // temp template, a word changed for a word of the same length, a letters-only name where
    // OLD had none, a new file next to the old one.
    auto changed = run("gwpxkm", "qzkfjx", "fileQ1w2E3");
    changed[2] = open_read("/srv/data/budget.pdf");
    changed[3] = open_read("/etc/agent/conf-config");
    changed.push_back(write_tmp("/tmp/evil-qwerty"));
    changed.push_back(write_tmp("/tmp/gb-analysis-dir-abcdef/payload.so"));
    changed.push_back(write_tmp("/etc/cron.d/agent-update"));
    auto new_t = t.write("new.trace", trace_of(changed, 300));
    auto limit = GENERATE(std::uint64_t(1) << 30, std::uint64_t(0));
    INFO("parallel below " << limit << " bytes");
    for (auto [a, b] : {std::pair{old_t, same_t}, std::pair{same_t, old_t}}) {
        auto d = diff_inputs_bounded(a, b, limit);
        REQUIRE(d);
        CHECK(keys(d->added).empty());
        CHECK(keys(d->removed).empty());
    }
    auto d = diff_inputs_bounded(old_t, new_t, limit);
    REQUIRE(d);
    const std::set<std::pair<std::string, std::string>> added = {
        {"files.read", "/srv/data/budget.pdf"},
        {"files.read", "/etc/agent/conf-config"},
        {"files.write", "/tmp/evil-qwerty"},
        {"files.write", "/tmp/gb-analysis-dir-abcdef/payload.so"},
        {"files.write", "/etc/cron.d/agent-update"},
    };
    const std::set<std::pair<std::string, std::string>> removed = {
        {"files.read", "/srv/data/report.pdf"},
        {"files.read", "/etc/agent/conf-backup"},
    };
    CHECK(keys(d->added) == added);
    CHECK(keys(d->removed) == removed);
}

TEST_CASE("learn: a letters-only suffix in one trace joins the other trace's wildcard", "[analysis][learn]") {
    temp_dir t;
    auto a = t.write("a.trace", trace_of({open_read("/etc/agent.conf"), open_read("/var/cache/agent/session-Xa9Bq2.db")}));
    auto b = t.write("b.trace", trace_of({open_read("/etc/agent.conf"), open_read("/var/cache/agent/session-gwpxkm.db")}));
    auto l = learn_profile({a, b}, {});
    REQUIRE(l);
    CHECK(l->yaml.find("\"/var/cache/agent/session-*.db\"") != std::string::npos);
    CHECK(l->yaml.find("gwpxkm\"") == std::string::npos);
    auto p = glassbox::profile::parse_profile(l->yaml);
    REQUIRE(p);
    CHECK(p->allows_file_read("/var/cache/agent/session-abcdef.db"));
}

TEST_CASE("learn: what differs between traces becomes a wildcard", "[analysis][learn]") {
    temp_dir t;
    // Lower-case random names that no single-path rule recognises as volatile.
    auto a = t.write("a.trace", trace_of({open_read("/etc/agent.conf"), open_read("/var/cache/agent/session-qwertz.db")}));
    auto b = t.write("b.trace", trace_of({open_read("/etc/agent.conf"), open_read("/var/cache/agent/session-asdfgh.db")}));
    auto l = learn_profile({a, b}, {});
    REQUIRE(l);
    CHECK(l->yaml.find("\"/var/cache/agent/session-*.db\"") != std::string::npos);
    CHECK(l->yaml.find("qwertz\"") == std::string::npos);
    auto p = glassbox::profile::parse_profile(l->yaml);
    REQUIRE(p);
    CHECK(p->allows_file_read("/var/cache/agent/session-zxcvbn.db"));
    CHECK_FALSE(p->allows_file_read("/var/cache/agent/other.db"));
    // One trace alone keeps the exact name.
    auto single = learn_profile({a}, {});
    REQUIRE(single);
    CHECK(single->yaml.find("\"/var/cache/agent/session-qwertz.db\"") != std::string::npos);
}

TEST_CASE("learn: a scanned folder collapses, system directories do not", "[analysis][learn]") {
    temp_dir t;
    std::vector<std::string> ev;
    for (int i = 0; i < 20; ++i)
        ev.push_back(open_read("/srv/samples/sub" + std::to_string(i % 3) + "/file" + std::to_string(i) + ".bin"));
    for (int i = 0; i < 20; ++i)
        ev.push_back(open_read("/etc/ssl/certs/cert" + std::to_string(i) + ".pem"));
    for (int i = 0; i < 20; ++i)
        ev.push_back(open_read("/usr/lib/mod" + std::to_string(i) + ".so"));
    auto f = t.write("scan.trace", trace_of(ev));
    auto l = learn_profile({f}, {});
    REQUIRE(l);
    INFO(l->yaml);
    CHECK(l->yaml.find("\"/srv/samples/**\"  # 20 events") != std::string::npos);
    CHECK(l->yaml.find("\"/etc/ssl/certs/*\"  # 20 events") != std::string::npos);
    CHECK(l->yaml.find("\"/usr/lib/mod7.so\"") != std::string::npos); // /usr/lib is protected
    CHECK(l->yaml.find("\"/usr/lib/*\"") == std::string::npos);
    learn_options none;
    none.collapse_threshold = 0;
    auto exact = learn_profile({f}, none);
    REQUIRE(exact);
    CHECK(exact->yaml.find("/srv/samples/**") == std::string::npos);
    CHECK(exact->rules == 60);
}

TEST_CASE("learn output is deterministic, sorted and commented", "[analysis][learn]") {
    auto a = learn_profile({kData + "clamscan-injected.trace"}, {});
    auto b = learn_profile({kData + "clamscan-injected.trace"}, {});
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->yaml == b->yaml);
    CHECK(a->yaml.find("apiVersion: glassbox/v1") != std::string::npos);
    CHECK(a->yaml.find("  name: \"clamscan\"") != std::string::npos);
    // comment with count and example
    CHECK(a->yaml.find("- \"/tmp/clamav-*/unpack.tmp\"  # 3 events, e.g. /tmp/clamav-0011223344556677889900aabbccddee/unpack.tmp") !=
          std::string::npos);
    CHECK(a->yaml.find("- \"tcp 203.0.113.66:80\"  # 1 event, e.g. tcp 203.0.113.66:80 (clamscan \u2192 dash \u2192 curl)") !=
          std::string::npos);
    CHECK(a->yaml.find("privileged:\n  - \"ptrace\"") != std::string::npos);
    // rules of one list are sorted
    auto pos_curl = a->yaml.find("\"/usr/bin/curl\"");
    auto pos_dash = a->yaml.find("\"/usr/bin/dash\"");
    CHECK(pos_curl < pos_dash);
}

TEST_CASE("diff accepts profiles on either side", "[analysis][diff]") {
    temp_dir t;
    auto old_profile = t.write("old.yaml", learn_profile({kData + "clamscan-run1.trace"}, {})->yaml);
    auto d = diff_inputs(old_profile, kData + "clamscan-injected.trace");
    REQUIRE(d);
    CHECK(d->old_input.kind == "profile");
    CHECK(keys(d->added) == kInjected);
    CHECK(d->removed.empty()); // the injected trace also does all of run1's work

    auto new_profile = t.write("new.yaml", learn_profile({kData + "clamscan-injected.trace"}, {})->yaml);
    auto pp = diff_inputs(old_profile, new_profile);
    REQUIRE(pp);
    CHECK(keys(pp->added) == kInjected);
    CHECK(pp->removed.empty());

    auto tp = diff_inputs(kData + "clamscan-run1.trace", new_profile);
    REQUIRE(tp);
    CHECK(keys(tp->added) == kInjected); // NEW allows what OLD never did
    CHECK(tp->removed.empty());

    auto bad = t.write("bad.yaml", "apiVersion: glassbox/v1\nkind: Profile\nfiles:\n  raed: []\n");
    auto e = diff_inputs(bad, kData + "clamscan-run1.trace");
    REQUIRE_FALSE(e);
    CHECK(e.error().message.find("bad.yaml:4:3: unknown key 'raed'") != std::string::npos);
}

TEST_CASE("reports render as text, JSON and Markdown", "[analysis][report]") {
    auto p = learn_and_load({kData + "clamscan-run1.trace"});
    auto r = check_trace(p, "learned.yaml", kData + "clamscan-injected.trace");
    REQUIRE(r);
    auto j = nlohmann::json::parse(render(*r, report_format::json, false));
    CHECK(j["result"] == "violations");
    CHECK(j["violations"].size() == 6);
    CHECK(j["violations"][0]["section"] == "privileged");
    CHECK(j["violations"][0]["subject"] == "ptrace");
    CHECK(j["violations"][0]["first"]["line"] == 36);
    CHECK(j["trace"]["complete"] == true);

    auto text = render(*r, report_format::text, false);
    CHECK(text.find("VIOLATIONS") != std::string::npos);
    CHECK(text.find("clamscan \u2192 dash \u2192 curl") != std::string::npos);
    CHECK(text.find("\x1b[") == std::string::npos);
    CHECK(render(*r, report_format::text, true).find("\x1b[") != std::string::npos);

    auto md = render(*r, report_format::markdown, false);
    CHECK(md.find("# glassbox check: violations") != std::string::npos);
    CHECK(md.find("| privileged | `ptrace` | 1 |") != std::string::npos);

    auto d = diff_inputs(kData + "clamscan-run1.trace", kData + "clamscan-run2.trace");
    REQUIRE(d);
    auto dj = nlohmann::json::parse(render(*d, report_format::json, false));
    CHECK(dj["result"] == "same");
    CHECK(render(*d, report_format::text, false).find("no difference in behaviour") != std::string::npos);
}

TEST_CASE("an incomplete trace is checked with a warning in the report", "[analysis][check]") {
    temp_dir t;
    std::string full = trace_of({open_read("/etc/x")});
    std::string cut = full.substr(0, full.rfind("{\"type\":\"summary\""));
    auto f = t.write("cut.trace", cut);
    auto p = learn_and_load({f});
    auto r = check_trace(p, "p", f);
    REQUIRE(r);
    CHECK_FALSE(r->trace.complete);
    REQUIRE(r->warnings.size() == 1);
    CHECK(r->warnings[0].find("incomplete") != std::string::npos);
    CHECK(render(*r, report_format::text, false).find("INCOMPLETE") != std::string::npos);
}
