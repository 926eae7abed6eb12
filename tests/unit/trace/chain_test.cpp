// The trace hash chain and `glassbox verify`'s checker: a trace written by trace_writer verifies
// intact; every kind of edit (a byte, a removed, inserted or swapped line, a cut, a dropped
// summary, a forged checkpoint, a signature by the wrong key) is reported with the exact first
// line that is not as written; the committed unchained fixtures say so. Keys are made with the
// openssl command line, as the help tells users to.
#include <glassbox/trace_chain.hpp>
#include <glassbox/trace_reader.hpp>
#include <glassbox/trace_writer.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using glassbox::trace::verify_status;
using glassbox::trace::verify_trace;

namespace {

fs::path temp_dir() {
    fs::path p = fs::temp_directory_path() / ("glassbox-chain-test-" + std::to_string(::getpid()));
    fs::create_directories(p);
    return p;
}

struct cleanup {
    ~cleanup() {
        std::error_code ec;
        fs::remove_all(fs::temp_directory_path() / ("glassbox-chain-test-" + std::to_string(::getpid())), ec);
    }
} cleanup_at_exit;

std::string event_line(int i) {
    glassbox::json_line l;
    l.str("type", "open").num("ts", 1000 * i).num("pid", 100 + i % 7).num("tid", 100 + i % 7).num("ppid", 1);
    l.num("uid", 0).num("euid", 0).str("comm", "t").str("exe", "/usr/bin/t");
    l.str("path", "/etc/file" + std::to_string(i)).str("raw_path", "file" + std::to_string(i));
    l.str("access", "read").num("ret", 3).str("syscall", "openat");
    return l.finish();
}

// Writes a chained trace of `events` events with a checkpoint every `every` lines; `partial`
// leaves it without summary (as a killed recording would, after a periodic flush).
fs::path write_trace(const std::string& name, int events, std::uint32_t every, const std::string& sign_key = {},
                     bool partial = false) {
    fs::path p = temp_dir() / name;
    glassbox::trace_writer_options o;
    o.checkpoint_lines = every;
    o.sign_key = sign_key;
    auto w = glassbox::trace_writer::open(p.string(), o);
    REQUIRE(w);
    glassbox::trace_header h;
    h.mode = "run";
    h.command = {"t"};
    h.start_realtime_ns = 1795824658123456789;
    w->write_header(h);
    for (int i = 0; i < events; ++i)
        w->write_event("open", event_line(i));
    if (partial) {
        w->flush_now();
        // Simulate the kill: copy what is on disk now, before the destructor runs.
        fs::path out = temp_dir() / (name + ".partial-copy");
        fs::copy_file(p.string() + ".partial", out, fs::copy_options::overwrite_existing);
        return out;
    }
    glassbox::trace_summary s;
    s.ended_by = "exit";
    s.exit_code = 0;
    REQUIRE(w->finish(s));
    return p;
}

std::vector<std::string> lines_of(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<std::string> out;
    std::string l;
    while (std::getline(in, l))
        out.push_back(l);
    return out;
}

fs::path write_lines(const std::string& name, const std::vector<std::string>& lines, bool last_newline = true) {
    fs::path p = temp_dir() / name;
    std::ofstream out(p, std::ios::binary);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        out << lines[i];
        if (i + 1 < lines.size() || last_newline)
            out << '\n';
    }
    return p;
}

glassbox::trace::verify_report verify(const fs::path& p, const std::string& pub = {}) {
    auto r = verify_trace(p.string(), pub);
    REQUIRE(r);
    return *r;
}

std::string type_of(const std::string& line) { return nlohmann::json::parse(line).value("type", ""); }

// A key pair made by the openssl tool (the way docs/trace-format.md says to make one).
std::pair<std::string, std::string> make_keys(const std::string& name) {
    std::string priv = (temp_dir() / (name + ".pem")).string();
    std::string pub = (temp_dir() / (name + ".pub.pem")).string();
    std::string cmd = "openssl genpkey -algorithm ed25519 -out " + priv + " 2>/dev/null && openssl pkey -in " + priv +
                      " -pubout -out " + pub + " 2>/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
    return {priv, pub};
}

} // namespace

TEST_CASE("a trace as written verifies intact, with checkpoints where the writer put them", "[trace][chain]") {
    auto p = write_trace("intact.jsonl", 250, 100);
    auto lines = lines_of(p);
    // header and 99 events, checkpoint (line 101), 100 events, checkpoint (202), 51 events, summary
    REQUIRE(lines.size() == 1 + 250 + 2 + 1);
    CHECK(type_of(lines[100]) == "checkpoint");
    CHECK(type_of(lines[201]) == "checkpoint");
    CHECK(type_of(lines.back()) == "summary");
    auto cp = nlohmann::json::parse(lines[100]);
    CHECK(cp["lines"] == 100);
    CHECK(cp["tags"].get<std::string>().size() == 100 * 8); // header + 99 events
    auto hdr = nlohmann::json::parse(lines[0]);
    CHECK(hdr["chain"]["hash"] == "sha256");
    auto v = verify(p);
    CHECK(v.status == verify_status::intact);
    CHECK(v.lines == lines.size());
    CHECK(v.first_bad_line == 0);
    CHECK(v.digest == nlohmann::json::parse(lines.back())["sha256"]);
    CHECK_FALSE(v.signed_trace);
}

TEST_CASE("the digest of a checkpoint is the SHA-256 of the file up to its \"sha256\" key", "[trace][chain]") {
    // What docs/trace-format.md tells another tool to compute, checked with sha256sum.
    auto p = write_trace("spec.jsonl", 20, 1000);
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string all = ss.str();
    std::size_t last_line = all.rfind('\n', all.size() - 2) + 1;
    std::size_t key = all.rfind("\"sha256\":\"");
    REQUIRE(key > last_line);
    auto prefix = write_lines("prefix.bin", {all.substr(0, key)}, false);
    std::string cmd = "sha256sum " + prefix.string() + " > " + prefix.string() + ".sum";
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::ifstream sum(prefix.string() + ".sum");
    std::string hex;
    sum >> hex;
    CHECK(nlohmann::json::parse(all.substr(last_line))["sha256"] == hex);
}

TEST_CASE("verify names the exact first line of every kind of edit", "[trace][chain]") {
    auto p = write_trace("base.jsonl", 250, 100);
    const auto lines = lines_of(p);
    const std::size_t n = lines.size(); // 254: checkpoints at lines 101 and 202, summary at 254

    SECTION("a byte edited in an event line") {
        auto l = lines;
        l[49][l[49].find("/etc/file")] = 'E'; // line 50
        auto v = verify(write_lines("byte.jsonl", l));
        CHECK(v.status == verify_status::broken);
        CHECK(v.first_bad_line == 50);
    }
    SECTION("a byte edited in the header") {
        auto l = lines;
        l[0][l[0].find("\"run\"") + 1] = 'R';
        auto v = verify(write_lines("header.jsonl", l));
        CHECK(v.status == verify_status::broken);
        CHECK(v.first_bad_line == 1);
    }
    SECTION("a line deleted") {
        auto l = lines;
        l.erase(l.begin() + 149); // line 150 goes: what is now line 150 is not what was written there
        auto v = verify(write_lines("delete.jsonl", l));
        CHECK(v.status == verify_status::broken);
        CHECK(v.first_bad_line == 150);
    }
    SECTION("the last line before a checkpoint deleted") {
        auto l = lines;
        l.erase(l.begin() + 99); // line 100; the checkpoint moves up to line 100
        auto v = verify(write_lines("delete-last.jsonl", l));
        CHECK(v.status == verify_status::broken);
        CHECK(v.first_bad_line == 100);
    }
    SECTION("a checkpoint deleted") {
        auto l = lines;
        l.erase(l.begin() + 100); // line 101
        auto v = verify(write_lines("delete-cp.jsonl", l));
        CHECK(v.status == verify_status::broken);
        CHECK(v.first_bad_line == 101);
    }
    SECTION("a checkpoint copied to a later place") {
        auto l = lines;
        l.insert(l.begin() + 150, l[100]); // a copy of line 101 at line 151
        auto v = verify(write_lines("copy-cp.jsonl", l));
        CHECK(v.status == verify_status::broken);
        CHECK(v.first_bad_line == 151);
    }
    SECTION("a line inserted") {
        auto l = lines;
        l.insert(l.begin() + 209, event_line(7)); // a genuine-looking line at 210
        auto v = verify(write_lines("insert.jsonl", l));
        CHECK(v.status == verify_status::broken);
        CHECK(v.first_bad_line == 210);
    }
    SECTION("a line inserted right before a checkpoint") {
        auto l = lines;
        l.insert(l.begin() + 100, event_line(7)); // new line 101, the checkpoint moves to 102
        auto v = verify(write_lines("insert-before-cp.jsonl", l));
        CHECK(v.status == verify_status::broken);
        CHECK(v.first_bad_line == 101);
    }
    SECTION("two lines swapped") {
        auto l = lines;
        std::swap(l[29], l[30]); // lines 30 and 31
        auto v = verify(write_lines("swap.jsonl", l));
        CHECK(v.status == verify_status::broken);
        CHECK(v.first_bad_line == 30);
    }
    SECTION("a line moved across a checkpoint") {
        auto l = lines;
        std::string moved = l[4]; // line 5 goes after the first checkpoint
        l.erase(l.begin() + 4);
        l.insert(l.begin() + 101, moved);
        auto v = verify(write_lines("move.jsonl", l));
        CHECK(v.status == verify_status::broken);
        CHECK(v.first_bad_line == 5);
    }
    SECTION("cut in the middle of a line") {
        auto l = std::vector<std::string>(lines.begin(), lines.begin() + 180);
        l.back().resize(l.back().size() / 2); // line 180 is half there, no line end
        auto v = verify(write_lines("cut-mid.jsonl", l, false));
        CHECK(v.status == verify_status::partial);
        CHECK(v.first_bad_line == 180);
        CHECK(v.verified_through == 101);
        CHECK(v.reason.find("line 180 is cut") != std::string::npos);
    }
    SECTION("cut at a line boundary") {
        auto l = std::vector<std::string>(lines.begin(), lines.begin() + 180);
        auto v = verify(write_lines("cut-line.jsonl", l));
        CHECK(v.status == verify_status::partial);
        CHECK(v.first_bad_line == 102);
        CHECK(v.verified_through == 101);
        CHECK(v.reason.find("lines 1-101 are verified") != std::string::npos);
        CHECK(v.reason.find("lines 102-180 are not") != std::string::npos);
    }
    SECTION("the summary dropped") {
        auto l = lines;
        l.pop_back();
        auto v = verify(write_lines("no-summary.jsonl", l));
        CHECK(v.status == verify_status::partial);
        CHECK(v.first_bad_line == 203);
        CHECK(v.verified_through == 202);
    }
    SECTION("the summary edited (lost events hidden)") {
        auto l = lines;
        auto& s = l.back();
        s.replace(s.find("\"ended_by\":\"exit\""), 17, "\"ended_by\":\"exiT\"");
        auto v = verify(write_lines("summary-edit.jsonl", l));
        CHECK(v.status == verify_status::broken);
        CHECK(v.first_bad_line == n);
    }
    SECTION("a forged checkpoint digest") {
        auto l = lines;
        auto& c = l[100]; // line 101
        std::size_t at = c.rfind("\"sha256\":\"") + 10;
        c[at] = c[at] == '0' ? '1' : '0';
        auto v = verify(write_lines("forged-digest.jsonl", l));
        CHECK(v.status == verify_status::broken);
        CHECK(v.first_bad_line == 101);
    }
    SECTION("a checkpoint whose tags were rewritten to hide an edit") {
        auto l = lines;
        auto& c = l[100];
        std::size_t at = c.find("\"tags\":\"") + 8 + 8 * 40; // the tag of line 41
        c[at] = c[at] == 'a' ? 'b' : 'a';
        auto v = verify(write_lines("forged-tags.jsonl", l));
        CHECK(v.status == verify_status::broken);
        CHECK(v.first_bad_line == 41);
    }
    SECTION("data after the summary") {
        auto l = lines;
        l.push_back(event_line(3));
        auto v = verify(write_lines("after.jsonl", l));
        CHECK(v.status == verify_status::broken);
        CHECK(v.first_bad_line == n + 1);
    }
    SECTION("the chain stripped from the header") {
        auto l = lines;
        l[0] = l[0].substr(0, l[0].find(",\"chain\":")) + "}";
        auto v = verify(write_lines("stripped.jsonl", l));
        CHECK(v.status == verify_status::unchained);
    }
}

TEST_CASE("a partial trace verifies up to its last checkpoint, written at the periodic flush", "[trace][chain]") {
    auto p = write_trace("killed.jsonl", 130, 100, {}, true);
    auto lines = lines_of(p);
    // header and 99 events, checkpoint (line 101), 31 events, the flush's checkpoint (line 133)
    REQUIRE(lines.size() == 133);
    CHECK(type_of(lines.back()) == "checkpoint");
    auto v = verify(p);
    CHECK(v.status == verify_status::partial);
    CHECK(v.verified_through == 133);
    CHECK(v.first_bad_line == 134);
    CHECK(v.reason.find("no checkpoint") == std::string::npos);
    CHECK(v.reason.find("all 133 lines are verified") != std::string::npos);
}

// ---- resume: the watchdog appends to the file of a recording whose writer died ----------------

namespace {

// A killed recording's file at DIR/NAME.partial (130 events, a checkpoint every 100 lines: 133
// lines ending in the flush's checkpoint), plus `tail` appended as found after a cut write.
std::string killed_recording(const std::string& name, const std::string& tail = {}) {
    auto copy = write_trace(name + ".src", 130, 100, {}, true);
    std::string base = (temp_dir() / name).string();
    fs::copy_file(copy, base + ".partial", fs::copy_options::overwrite_existing);
    std::ofstream(base + ".partial", std::ios::app | std::ios::binary) << tail;
    return base;
}

glassbox::resumed_trace resume_and_append(const std::string& base, int events, std::vector<std::string>* seen = nullptr) {
    glassbox::resumed_trace info;
    auto w = glassbox::trace_writer::resume(base, 0, info, [&](std::string_view l) {
        if (seen)
            seen->emplace_back(l);
    });
    REQUIRE(w);
    for (int i = 0; i < events; ++i)
        w->write_event("open", event_line(1000 + i));
    w->flush_now();
    return info;
}

} // namespace

TEST_CASE("resume continues the hash chain of a killed recording's file", "[trace][chain][resume]") {
    auto base = killed_recording("resumed.jsonl");
    std::vector<std::string> seen;
    auto info = resume_and_append(base, 2, &seen);
    CHECK(info.lines == 133);
    CHECK(info.last_chain_line == 133);
    CHECK(info.torn_bytes == 0);
    // The callback saw the events, not the header or the checkpoints.
    REQUIRE(seen.size() == 130);
    CHECK(seen.front() == event_line(0));
    CHECK(seen.back() == event_line(129));
    auto lines = lines_of(base + ".partial");
    REQUIRE(lines.size() == 136); // + 2 events + the checkpoint after them
    CHECK(lines[133] == event_line(1000));
    CHECK(type_of(lines.back()) == "checkpoint");
    auto v = verify(base + ".partial");
    CHECK(v.status == verify_status::partial);
    CHECK(v.verified_through == 136);
    CHECK(v.reason.find("all 136 lines are verified") != std::string::npos);
}

TEST_CASE("resume removes a cut last line and vouches for whole lines after the last checkpoint",
          "[trace][chain][resume]") {
    SECTION("a cut line") {
        std::string cut = event_line(500).substr(0, 40);
        auto base = killed_recording("cut.jsonl", cut);
        auto info = resume_and_append(base, 1);
        CHECK(info.torn_bytes == cut.size());
        CHECK(info.lines == 133);
        auto lines = lines_of(base + ".partial");
        REQUIRE(lines.size() == 135);
        CHECK(lines[133] == event_line(1000)); // the cut bytes are gone, not glued to it
        CHECK(verify(base + ".partial").verified_through == 135);
    }
    SECTION("whole lines after the last checkpoint") {
        auto base = killed_recording("orphans.jsonl", event_line(200) + "\n" + event_line(201) + "\n");
        auto info = resume_and_append(base, 1);
        CHECK(info.lines == 135);
        CHECK(info.last_chain_line == 133);
        auto v = verify(base + ".partial");
        CHECK(v.status == verify_status::partial);
        CHECK(v.verified_through == 137);
    }
}

TEST_CASE("an edit made before resume is still found by verify", "[trace][chain][resume]") {
    auto base = killed_recording("edited.jsonl");
    auto lines = lines_of(base + ".partial");
    lines[49][lines[49].find("/etc/file")] = 'X';
    write_lines("edited.jsonl.partial", lines);
    resume_and_append(base, 2);
    auto v = verify(base + ".partial");
    CHECK(v.status == verify_status::broken);
    CHECK(v.first_bad_line == 50);
}

TEST_CASE("resume refuses a complete trace, an unchained one and a missing one", "[trace][chain][resume]") {
    glassbox::resumed_trace info;
    auto complete = write_trace("complete.jsonl", 5, 100);
    fs::copy_file(complete, complete.string() + ".partial", fs::copy_options::overwrite_existing);
    auto r = glassbox::trace_writer::resume(complete.string(), 0, info);
    REQUIRE(!r);
    CHECK(r.error().message.find("is complete") != std::string::npos);
    auto unchained = write_lines("unchained.jsonl.partial", {R"({"type":"header","format":"glassbox-trace"})"});
    (void)unchained;
    auto r2 = glassbox::trace_writer::resume((temp_dir() / "unchained.jsonl").string(), 0, info);
    REQUIRE(!r2);
    CHECK(r2.error().message.find("not a chained glassbox trace") != std::string::npos);
    auto r3 = glassbox::trace_writer::resume((temp_dir() / "missing.jsonl").string(), 0, info);
    REQUIRE(!r3);
    CHECK(r3.error().message.find("cannot reopen") != std::string::npos);
    // A refused file is left as it was.
    CHECK(fs::exists(complete.string() + ".partial"));
}

TEST_CASE("the reader reports what the watchdog appended instead of a bare cut", "[trace][chain][resume]") {
    auto base = killed_recording("dog.jsonl");
    glassbox::resumed_trace info;
    auto w = glassbox::trace_writer::resume(base, 0, info);
    REQUIRE(w);
    w->write_event("open", event_line(1000));
    glassbox::json_line m;
    m.str("type", "watchdog").num("ts", 5000).unum("recovered", 1).unum("first_line", 134);
    w->write_event("watchdog", m.finish());
    w->flush_now();
    auto r = glassbox::trace::reader::open(base + ".partial");
    REQUIRE(r);
    std::uint64_t events = 0;
    for (;;) {
        auto e = (*r)->next();
        REQUIRE(e);
        if (!*e)
            break;
        CHECK((*e)->type != "watchdog"); // an account, not an event
        ++events;
    }
    CHECK(events == 131);
    const std::string& why = (*r)->partial_reason();
    CHECK(why.find("glassbox died before the end: its watchdog appended lines 134-134, what the kernel still held "
                   "(line 135 says so)") != std::string::npos);
    CHECK(why.find("verifies all 136 lines") != std::string::npos);
    auto v = verify(base + ".partial");
    CHECK(v.reason.find("its watchdog appended lines 134-134") != std::string::npos);
}

TEST_CASE("signed traces verify with the right public key only", "[trace][chain]") {
    auto [priv, pub] = make_keys("lab");
    auto [other_priv, other_pub] = make_keys("other");
    auto p = write_trace("signed.jsonl", 50, 100, priv);
    auto lines = lines_of(p);
    auto s = nlohmann::json::parse(lines.back());
    REQUIRE(s["signature"].get<std::string>().size() == 128);
    auto hdr = nlohmann::json::parse(lines[0]);
    CHECK(hdr["chain"]["signature"] == "ed25519");

    auto ok = verify(p, pub);
    CHECK(ok.status == verify_status::intact);
    CHECK(ok.signature_checked);

    auto unchecked = verify(p);
    CHECK(unchecked.status == verify_status::intact);
    CHECK(unchecked.signed_trace);
    CHECK_FALSE(unchecked.signature_checked);

    auto wrong_key = verify(p, other_pub);
    CHECK(wrong_key.status == verify_status::broken);
    CHECK(wrong_key.first_bad_line == lines.size());
    CHECK(wrong_key.reason.find("another key") != std::string::npos);

    SECTION("a signature altered") {
        auto l = lines;
        auto& last = l.back();
        std::size_t at = last.rfind("\"signature\":\"") + 13;
        last[at] = last[at] == '0' ? '1' : '0';
        auto v = verify(write_lines("bad-sig.jsonl", l));
        CHECK(v.status == verify_status::broken);
        CHECK(v.first_bad_line == l.size());
        auto vk = verify(write_lines("bad-sig2.jsonl", l), pub);
        CHECK(vk.status == verify_status::broken);
        CHECK(vk.first_bad_line == l.size());
    }
    SECTION("an edit with the whole chain rewritten passes without a key, fails with it") {
        // Re-signing with another key and rewriting every digest is what an attacker without
        // the lab's key can do: only --pubkey catches it.
        auto forged = write_trace("forged.jsonl", 50, 100, other_priv);
        CHECK(verify(forged).status == verify_status::intact);
        auto v = verify(forged, pub);
        CHECK(v.status == verify_status::broken);
        CHECK(v.first_bad_line == lines_of(forged).size());
    }
    SECTION("an unsigned trace fails --pubkey") {
        auto plain = write_trace("plain.jsonl", 10, 100);
        auto v = verify(plain, pub);
        CHECK(v.status == verify_status::broken);
        CHECK(v.reason.find("not signed") != std::string::npos);
    }
}

TEST_CASE("the committed fixture traces have no chain: verify says they cannot be verified", "[trace][chain]") {
    for (const char* name : {"clamscan-run1.trace", "clamscan-injected.trace"}) {
        auto v = verify(fs::path(GLASSBOX_SOURCE_DIR) / "tests/data/traces" / name);
        CHECK(v.status == verify_status::unchained);
    }
}

TEST_CASE("verify refuses what is not a trace, and a key that is not Ed25519", "[trace][chain]") {
    auto p = write_lines("not-trace.jsonl", {R"({"a":1})"});
    auto r = verify_trace(p.string());
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find(":1: not a glassbox trace") != std::string::npos);
    auto bad_key = write_lines("bad.pem", {"not a key"});
    auto t = write_trace("k.jsonl", 3, 100);
    auto rk = verify_trace(t.string(), bad_key.string());
    REQUIRE_FALSE(rk);
    CHECK(rk.error().message.find("bad.pem") != std::string::npos);
}

TEST_CASE("traces chained by an independent implementation of the spec verify", "[trace][chain]") {
    // tests/fuzz/corpus/make_chained.py implements docs/trace-format.md's chain in Python.
    fs::path c = fs::path(GLASSBOX_SOURCE_DIR) / "tests/fuzz/corpus/trace_reader";
    CHECK(verify(c / "chained-run1.trace").status == verify_status::intact);
    CHECK(verify(c / "chained-fork-chain.trace").status == verify_status::intact);
    auto p = verify(c / "chained-partial.trace");
    CHECK(p.status == verify_status::partial);
    CHECK(p.verified_through == 27); // checkpoints at lines 9, 18 and 27, then the events after it
    auto e = verify(c / "chained-edited.trace");
    CHECK(e.status == verify_status::broken);
    CHECK(e.first_bad_line == 3);
}
