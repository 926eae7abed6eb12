// Normalisation tables: realistic volatile paths (mkstemp suffixes, /proc/<pid>, hex/uuid ids,
// versions, homes, timestamps) must generalise, stable system paths must stay exact, and every
// pattern produced must still match the path it came from.
#include <glassbox/analysis.hpp>

#include "analysis/engine.hpp"

#include <catch2/catch.hpp>

using namespace glassbox::analysis;

TEST_CASE("normalise_path generalises volatile parts and keeps stable ones", "[analysis][normalise]") {
    const std::pair<const char*, const char*> rows[] = {
        // stable system paths stay exact
        {"/etc/passwd", "/etc/passwd"},
        {"/etc/clamav/freshclam.conf", "/etc/clamav/freshclam.conf"},
        {"/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6"},
        {"/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2"},
        {"/usr/bin/sha256sum", "/usr/bin/sha256sum"},
        {"/var/lib/clamav/daily.cld", "/var/lib/clamav/daily.cld"},
        {"/etc/ssl/certs/GlobalSign_Root_CA.pem", "/etc/ssl/certs/GlobalSign_Root_CA.pem"},
        {"/usr/share/zoneinfo/Europe/Paris", "/usr/share/zoneinfo/Europe/Paris"},
        {"/dev/null", "/dev/null"},
        // /proc/<pid>, tasks and fds
        {"/proc/4242/status", "/proc/[0-9]*/status"},
        {"/proc/4242/task/4243/comm", "/proc/[0-9]*/task/[0-9]*/comm"},
        {"/proc/77/fd/3", "/proc/[0-9]*/fd/[0-9]*"},
        {"/proc/self/maps", "/proc/self/maps"},
        {"/proc/sys/kernel/random/uuid", "/proc/sys/kernel/random/uuid"},
        // user homes and runtime dirs
        {"/home/alice/.cache/clamav/x.db", "/home/*/.cache/clamav/x.db"},
        {"/run/user/1000/bus", "/run/user/[0-9]*/bus"},
        // mkstemp / mktemp / tempfile suffixes
        {"/tmp/clamav-Xa9Bq2", "/tmp/clamav-*"},
        {"/tmp/tmp.AbC123xyZ0", "/tmp/tmp.*"},
        {"/tmp/tmpk3j_x9ab", "/tmp/tmp*"},
        {"/tmp/tmpk3jzx9ab.json", "/tmp/tmp*.json"},
        {"/var/tmp/freshclam.dat-0Ab3xZ", "/var/tmp/freshclam.dat-*"},
        // hex ids, hashes, uuids
        {"/tmp/clamav-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d", "/tmp/clamav-*"},
        {"/tmp/clamav-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d.tmp", "/tmp/clamav-*.tmp"},
        {"/var/lib/clamav/tmp.3f2a9b7c8d/daily.cld", "/var/lib/clamav/tmp.*/daily.cld"},
        {"/run/agent/550e8400-e29b-41d4-a716-446655440000.sock", "/run/agent/*.sock"},
        {"/var/cache/x/deadbeef0123456789abcdef01234567", "/var/cache/x/*"},
        {"/tmp/systemd-private-0123abcd-chronyd.service-XyZ123", "/tmp/systemd-private-*"},
        // long numbers: pids and timestamps inside names
        {"/var/log/agent.1795824658.log", "/var/log/agent.*.log"},
        {"/tmp/lock.123456", "/tmp/lock.*"},
        {"/var/log/agent.2026.log", "/var/log/agent.2026.log"}, // a year is not volatile
        // versions
        {"/usr/lib/x86_64-linux-gnu/libclamav.so.11.0.2", "/usr/lib/x86_64-linux-gnu/libclamav.so.*"},
        {"/usr/lib/python3.11/os.py", "/usr/lib/python*/os.py"},
        {"/opt/agent-2.14.1/bin/agent", "/opt/agent-*/bin/agent"},
        {"/usr/lib/x86_64-linux-gnu/ld-2.36.so", "/usr/lib/x86_64-linux-gnu/ld-*.so"},
        // kernel object names and deleted files
        {"pipe:[123456]", "pipe:*"},
        {"socket:[99]", "socket:*"},
        {"anon_inode:[eventfd]", "anon_inode:*"},
        {"/tmp/unpack.tmp (deleted)", "/tmp/unpack.tmp"},
        // glob metacharacters in real names are escaped, invalid UTF-8 becomes '?'
        {"/srv/samples/[malware]{1}*.exe", "/srv/samples/\\[malware\\]\\{1\\}\\*.exe"},
        {"/srv/samples/caf\xc3\xa9.txt", "/srv/samples/caf\xc3\xa9.txt"},
        {"/srv/samples/bad\xff.bin", "/srv/samples/bad?.bin"},
    };
    for (auto [in, expected] : rows) {
        INFO("path " << in);
        std::string got = normalise_path(in);
        CHECK(got == expected);
        // The pattern must match what it was made from (the learn -> check guarantee).
        auto g = glassbox::profile::glob::compile(got);
        REQUIRE(g);
        std::string subject = in;
        if (subject.ends_with(" (deleted)"))
            subject.resize(subject.size() - 10);
        CHECK(g->matches(subject));
    }
    // The memoising normaliser diff and learn use gives the same answers, whatever the order
    // (each row twice, so the second one comes from the directory memo), for every path section.
    subject_normaliser memo;
    for (int pass = 0; pass < 2; ++pass)
        for (auto [in, expected] : rows)
            for (auto sec : {section::file_read, section::file_write, section::proc_exec}) {
                INFO("path " << in << " pass " << pass);
                CHECK(memo(sec, in) == normalise_subject(sec, in));
            }
    for (const char* in : {"/", "/proc", "/proc/", "/proc/12/", "relative/x", "", "pipe:[5]", "memfd:x-Ab12Cd",
                           "/home/bob", "/run/user/1000", "/tmp/systemd-private-abc/x", "/a//b", "/a (deleted)"}) {
        INFO("path '" << in << "'");
        CHECK(memo(section::file_read, in) == normalise_subject(section::file_read, in));
        CHECK(memo(section::net_dns, in) == normalise_subject(section::net_dns, in));
    }
}

TEST_CASE("two runs' volatile names normalise to the same pattern", "[analysis][normalise]") {
    const std::pair<const char*, const char*> pairs[] = {
        {"/tmp/clamav-Xa9Bq2", "/tmp/clamav-Zz81Kq"},
        {"/proc/4242/maps", "/proc/5151/maps"},
        {"/tmp/clamav-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d.tmp", "/tmp/clamav-9f8e7d6c5b4a39281706f5e4d3c2b1a0.tmp"},
        {"/home/alice/.freshclam", "/home/bob/.freshclam"},
        {"/usr/lib/libclamav.so.11.0.2", "/usr/lib/libclamav.so.12.1.0"},
        {"/run/agent/550e8400-e29b-41d4-a716-446655440000", "/run/agent/123e4567-e89b-12d3-a456-426614174000"},
    };
    for (auto [a, b] : pairs) {
        INFO(a << " vs " << b);
        CHECK(normalise_path(a) == normalise_path(b));
    }
}

TEST_CASE("normalise_subject per section", "[analysis][normalise]") {
    CHECK(normalise_subject(section::net_connect, "tcp 192.0.2.1:443") == "tcp 192.0.2.1:443");
    CHECK(normalise_subject(section::net_connect, "unix /run/user/1000/bus") == "unix /run/user/[0-9]*/bus");
    CHECK(normalise_subject(section::net_connect, "unix @/tmp/.X11-unix/X0") == "unix @/tmp/.X11-unix/X0");
    CHECK(normalise_subject(section::net_dns, "Database.ClamAV.net.") == "database.clamav.net");
    CHECK(normalise_subject(section::proc_memfd, "jit-1795824658") == "jit-*");
    CHECK(normalise_subject(section::privileged, "ptrace") == "ptrace");
}

TEST_CASE("escape_glob makes literal subjects match only themselves", "[analysis][normalise]") {
    for (const char* s : {"/a/*", "/a/?", "/a/[x]", "/a/{b,c}", "/a/\\b", "/plain/path"}) {
        INFO(s);
        auto g = glassbox::profile::glob::compile(escape_glob(s));
        REQUIRE(g);
        CHECK(g->matches(s));
        CHECK(g->is_literal());
    }
    CHECK_FALSE(glassbox::profile::glob::compile(escape_glob("/a/*"))->matches("/a/b"));
}

TEST_CASE("volatile pairs in diff need a long differing run in one component", "[analysis][normalise]") {
    CHECK(looks_volatile_pair("/tmp/x-Ab12Cd", "/tmp/x-Zz98Yx"));
    CHECK_FALSE(looks_volatile_pair("/srv/samples/a.exe", "/srv/samples/b.exe")); // one byte: a real difference
    CHECK_FALSE(looks_volatile_pair("/usr/bin/cat", "/usr/bin/tac"));              // three bytes
    CHECK_FALSE(looks_volatile_pair("/tmp/ab-cdef", "/tmp/ab.cdef"));              // punctuation differs
    CHECK_FALSE(looks_volatile_pair("/aaaa/bbbb", "/cccc/dddd"));                  // spans components
    CHECK_FALSE(looks_volatile_pair("/tmp/short", "/tmp/longer"));                 // lengths differ
    // tmpnam-style names ("/tmp/fileXXXXXX": no separator, so the normaliser keeps them) pair
    // when one side has the random mix, even if the other came out letters only.
    CHECK(looks_volatile_pair("/tmp/fileAb3dEf", "/tmp/filegwpxkm"));
    CHECK(looks_volatile_pair("/tmp/Q7mZ2k", "/tmp/abcXyz"));
    // Two words of the same length are a real difference, even after a separator.
    CHECK_FALSE(looks_volatile_pair("/etc/agent/conf-backup", "/etc/agent/conf-config"));
    CHECK_FALSE(looks_volatile_pair("/srv/data/report.pdf", "/srv/data/budget.pdf"));
    // The random part ends its name: a change in the middle of a longer word is not one.
    CHECK_FALSE(looks_volatile_pair("/opt/a/x1y2z3abcdefgh", "/opt/a/q9w8e7abcdefgh"));
}

TEST_CASE("letters-only mkstemp suffixes have a starred form for diff", "[analysis][normalise]") {
    using V = std::vector<std::string>;
    // What the normaliser writes when the suffix has a digit or a capital ...
    CHECK(normalise_path("/tmp/gb-analysis-Xa9Bq2") == "/tmp/gb-analysis-*");
    // ... and what it must keep for a letters-only one (cannot be told from a word).
    CHECK(normalise_path("/tmp/gb-analysis-gwpxkm") == "/tmp/gb-analysis-gwpxkm");
    // The starred forms of that literal include exactly the former.
    CHECK(letter_run_star_forms("/tmp/gb-analysis-gwpxkm") == V{"/tmp/gb-*-gwpxkm", "/tmp/gb-analysis-*"});
    CHECK(letter_run_star_forms("/tmp/gb-analysis-dir-qzkfjx/unpacked.bin") ==
          V{"/tmp/gb-*-dir-qzkfjx/unpacked.bin", "/tmp/gb-analysis-dir-*/unpacked.bin"});
    CHECK(letter_run_star_forms("/var/cache/a/session-QWERTZ.db") == V{"/var/cache/a/session-*.db"});
    // Not candidates: too short, no separator before, digits inside, a glob right after.
    CHECK(letter_run_star_forms("/tmp/x-abcde").empty());
    CHECK(letter_run_star_forms("/tmp/abcdefg").empty());
    CHECK(letter_run_star_forms("/tmp/x-abc1efg").empty());
    CHECK(letter_run_star_forms("/tmp/x-abcdefg*").empty());
    CHECK(letter_run_star_forms("/tmp/x-abcdefghijklm").empty()); // 13 letters: longer than any template
}
