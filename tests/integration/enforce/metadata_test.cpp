// Root integration tests for files.metadata: chmod/chown/utimes/xattr calls are emulated by the
// supervisor, judged on the real path of the object reached (symlinks, fds), and made with the
// target's credentials; the effect (or its absence) is checked from outside, field by field.
#include "enforce_helpers.hpp"
#include "skip.hpp"

#include <catch2/catch.hpp>

#include <sys/xattr.h>

#include <cerrno>
#include <cstring>

using namespace enf_test;

namespace {

void require_root() { REQUIRE(geteuid() == 0); }

mode_t mode_of(const std::string& p) {
    struct stat st{};
    stat(p.c_str(), &st);
    return st.st_mode & 07777;
}

time_t mtime_of(const std::string& p) {
    struct stat st{};
    stat(p.c_str(), &st);
    return st.st_mtime;
}

std::string xattr_of(const std::string& p, const std::string& name) {
    char buf[64] = {};
    ssize_t n = getxattr(p.c_str(), name.c_str(), buf, sizeof buf - 1);
    return n < 0 ? std::string("<none>") : std::string(buf, static_cast<std::size_t>(n));
}

// The extended attribute the test sets, asked of the scratch directory's filesystem: user.* where
// it takes them, else trusted.* (root, CAP_SYS_ADMIN). tmpfs has user xattrs only since Linux 6.6,
// and the kernel matrix's guests write to an overlay whose upper layer is tmpfs, so on 6.1 user.*
// gets EOPNOTSUPP; tmpfs has always had trusted.*. What is tested is the same either way: the
// supervisor judges the call on its path and makes it with the target's credentials.
std::string xattr_name(const std::string& dir) {
    const std::string probe = dir + "/xattr-probe";
    scratch::write(probe, "");
    std::string chosen;
    for (const char* name : {"user.glassbox", "trusted.glassbox"}) {
        if (setxattr(probe.c_str(), name, "p", 1, 0) == 0) {
            chosen = name;
            break;
        }
        INFO("setxattr " << name << " on " << probe << ": " << std::strerror(errno));
        CHECK(errno == EOPNOTSUPP);
    }
    std::filesystem::remove(probe);
    if (chosen.empty())
        glassbox_test::skip_because("the filesystem of " + dir + " takes neither user.* nor trusted.* extended attributes");
    return chosen;
}

} // namespace

TEST_CASE("files.metadata rules are enforced on the real path, with the target's credentials",
          "[enforce][metadata]") {
    require_root();
    scratch s;
    const std::string d = s.dir;
    const std::string xname = xattr_name(d);
    INFO("extended attribute " << xname);
    for (const char* mode : {"enforce", "complain"}) {
        DYNAMIC_SECTION("mode " << mode) {
            bool complain = std::string(mode) == "complain";
            scratch::write(d + "/allowed/m.txt", "m\n", 0644);
            scratch::write(d + "/secret/s.txt", "forbidden\n", 0644);
            std::filesystem::remove(d + "/allowed/link");
            std::filesystem::create_symlink(d + "/secret/s.txt", d + "/allowed/link");
            std::string prof = base_profile(", " + d + "/allowed/**, " + d + "/secret/**", "", "[]");
            prof.replace(prof.find("  exec:"), 0, "  metadata: [" + d + "/allowed/*.txt]\n");
            auto r = run_enforce(s, prof, {"--mode", mode},
                                 {"chmod", d + "/allowed/m.txt", "utime", d + "/allowed/m.txt", "setxattr",
                                  d + "/allowed/m.txt", xname, "chown", d + "/allowed/m.txt",
                                  // forbidden: directly, through a symlink in the allowed directory,
                                  // and by descriptor
                                  "chmod", d + "/secret/s.txt", "utime", d + "/secret/s.txt", "setxattr",
                                  d + "/secret/s.txt", xname, "chmod", d + "/allowed/link", "fchmod", d + "/secret/s.txt",
                                  "fchmod", d + "/allowed/m.txt"});
            INFO(r.err);
            INFO(r.out);
            REQUIRE(r.exit_code() == 0);
            CHECK(r.err.find("files.metadata rules") == std::string::npos); // no "not enforced" note any more
            auto chmods = r.results("chmod");
            auto utimes = r.results("utime");
            auto xattrs = r.results("setxattr");
            auto fchmods = r.results("fchmod");
            REQUIRE(chmods.size() == 3);
            REQUIRE(utimes.size() == 2);
            REQUIRE(xattrs.size() == 2);
            REQUIRE(fchmods.size() == 2);
            CHECK(chmods[0] == "ok");
            CHECK(utimes[0] == "ok");
            CHECK(xattrs[0] == "ok");
            CHECK(r.first("chown") == "ok");
            CHECK(fchmods[1] == "ok");
            // The allowed changes happened (fchmod came last: 0640).
            CHECK(mode_of(d + "/allowed/m.txt") == 0640);
            CHECK(mtime_of(d + "/allowed/m.txt") == 12345);
            CHECK(xattr_of(d + "/allowed/m.txt", xname) == "v1");
            const std::string denied = complain ? "ok" : "EPERM";
            CHECK(chmods[1] == denied);
            CHECK(utimes[1] == denied);
            CHECK(xattrs[1] == denied);
            CHECK(chmods[2] == denied); // the symlink's target is what is judged
            CHECK(fchmods[0] == denied);
            if (complain) {
                CHECK(mode_of(d + "/secret/s.txt") == 0640);
                CHECK(xattr_of(d + "/secret/s.txt", xname) == "v1");
            } else {
                CHECK(mode_of(d + "/secret/s.txt") == 0644);
                CHECK(mtime_of(d + "/secret/s.txt") != 12345);
                CHECK(xattr_of(d + "/secret/s.txt", xname) == "<none>");
            }
            int found = 0;
            for (const auto& v : r.violations()) {
                if (v.value("section", "") != "files.metadata")
                    continue;
                ++found;
                CHECK(v["path"] == d + "/secret/s.txt");
                CHECK(v["mechanism"] == "seccomp-notify");
                CHECK(v["action"] == (complain ? "allowed" : "denied"));
                CHECK(v["access"] == "metadata");
            }
            CHECK(found == 5);
            CHECK(r.has_violation("files.metadata", "syscall", "fchmod"));
            CHECK(r.has_violation("files.metadata", "syscall", "utimensat"));
            CHECK(r.has_violation("files.metadata", "syscall", "setxattr"));
        }
    }
}

TEST_CASE("an emulated chmod has no more power than the target: its credentials and capabilities",
          "[enforce][metadata]") {
    require_root();
    scratch s;
    const std::string d = s.dir;
    scratch::write(d + "/allowed/root-owned.txt", "r\n", 0644);
    chmod(d.c_str(), 0755);
    chmod((d + "/allowed").c_str(), 0777);
    scratch::write(d + "/allowed/nobody.txt", "n\n", 0644);
    chown((d + "/allowed/nobody.txt").c_str(), 65534, 65534);
    std::string prof = base_profile(", " + d + "/allowed/**", "", "[]");
    prof.replace(prof.find("  exec:"), 0, "  metadata: [" + d + "/allowed/**]\n");
    prof.replace(prof.find("processes:\n"), std::string("processes:\n").size(),
                 "processes:\n  cred: [setresuid, setresgid, setgroups]\n");
    auto r = run_enforce(s, prof, {},
                         {"become_nobody", "chmod", d + "/allowed/root-owned.txt", "chmod", d + "/allowed/nobody.txt"});
    INFO(r.err);
    INFO(r.out);
    REQUIRE(r.exit_code() == 0);
    auto chmods = r.results("chmod");
    REQUIRE(chmods.size() == 2);
    CHECK(chmods[0] == "EPERM"); // not the owner, no CAP_FOWNER: the kernel's answer, not ours
    CHECK(r.first("become_nobody") == "ok");
    CHECK(chmods[1] == "ok");
    CHECK(mode_of(d + "/allowed/root-owned.txt") == 0644);
    CHECK(mode_of(d + "/allowed/nobody.txt") == 0600);
    CHECK(r.violations().empty()); // allowed by the profile: refused by permissions only
}
