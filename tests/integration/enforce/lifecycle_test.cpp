// Root integration tests for how a sandbox starts and ends: a command living under /tmp runs with
// --isolate mount (it is opened before the private /tmp hides it), and `enforce --cleanup` finds
// and removes the cgroup a killed glassbox left behind, and nothing else.
#include "enforce_helpers.hpp"
#include "run_command.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

using namespace enf_test;

namespace {

void require_root() { REQUIRE(geteuid() == 0); }

// A directory under the host's /tmp (the command's private /tmp hides it).
struct tmp_dir {
    std::string dir;
    tmp_dir() {
        char tmpl[] = "/tmp/glassbox-enf-cmd-XXXXXX";
        dir = mkdtemp(tmpl);
        chmod(dir.c_str(), 0755);
    }
    ~tmp_dir() { std::filesystem::remove_all(dir); }
};

std::string cgroup2_root() {
    std::ifstream f("/proc/self/mountinfo");
    std::string line;
    while (std::getline(f, line)) {
        auto dash = line.find(" - cgroup2 ");
        if (dash == std::string::npos)
            continue;
        std::istringstream ls(line);
        std::string id, parent, devno, root, mnt;
        ls >> id >> parent >> devno >> root >> mnt;
        return mnt;
    }
    return {};
}

// Running (a killed process may stay a zombie until whoever inherited it reaps it).
bool alive(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(f, line))
        return false;
    auto close_paren = line.rfind(')');
    return close_paren != std::string::npos && close_paren + 2 < line.size() && line[close_paren + 2] != 'Z';
}

} // namespace

TEST_CASE("enforce --isolate mount runs a command that lives under /tmp, exec'd by descriptor", "[enforce][isolate]") {
    require_root();
    scratch s;
    tmp_dir t;
    const std::string cmd = t.dir + "/enf_actions";
    const std::string other = t.dir + "/not_allowed";
    const std::string script = t.dir + "/script.sh";
    std::filesystem::copy_file(fixture, cmd);
    std::filesystem::copy_file(fixture, other);
    chmod(cmd.c_str(), 0755);
    chmod(other.c_str(), 0755);
    scratch::write(script, "#!/bin/sh\necho script-ran \"$1\"\n", 0755);
    scratch::write(t.dir + "/host-only", "host\n");
    std::string exec_extra = ", \"" + cmd + "\", \"" + script + "\", /usr/bin/dash, /bin/sh, /usr/bin/sh";
    std::string prof = base_profile(", " + t.dir + "/**", "", "[]", exec_extra);

    for (bool recorded : {true, false}) {
        DYNAMIC_SECTION((recorded ? "recorded (--out)" : "not recorded")) {
            auto r = run_enforce(s, prof, {"--isolate", "mount"}, {"pid", "read", t.dir + "/host-only"}, cmd, recorded);
            INFO(r.err);
            INFO(r.out);
            REQUIRE(r.exit_code() == 0);                // found and run, not "exit 127"
            CHECK(r.first("read") == "ENOENT");         // and the private /tmp is still in place
            if (recorded) {
                bool exec_seen = false;
                for (const auto& ev : r.trace)
                    if (ev.value("type", "") == "exec" && ev.value("ret", -1) == 0)
                        exec_seen = true;
                CHECK(exec_seen);
            }

            // A #! script under /tmp: its interpreter reopens it through /dev/fd/N.
            auto sr = run_enforce(s, prof, {"--isolate", "mount"}, {"arg1"}, script, recorded);
            INFO(sr.err);
            CHECK(sr.exit_code() == 0);
            CHECK(sr.out == "script-ran arg1\n");

            // Opening it early must not widen anything: a /tmp binary outside processes.exec is
            // still refused.
            auto d = run_enforce(s, prof, {"--isolate", "mount"}, {"pid"}, other, recorded);
            INFO(d.err);
            CHECK(d.exit_code() == 126);
            CHECK(d.out.empty());
            CHECK(d.err.find("cannot execute " + other + ": Permission denied") != std::string::npos);
            if (recorded)
                CHECK(d.has_violation("processes.exec", "path", other));
        }
    }
}

TEST_CASE("enforce --cleanup removes the sandbox a killed glassbox left, and only that", "[enforce][cleanup]") {
    require_root();
    scratch s;
    const std::string root = cgroup2_root();
    REQUIRE(!root.empty());
    const std::string prof_path = s.dir + "/profile.yaml";
    scratch::write(prof_path, base_profile("", "", "[" + s.dir + "/**]", ", /usr/bin/dash, /bin/sh, /usr/bin/sh, /usr/bin/sleep, /bin/sleep"));
    const std::string pidfile = s.dir + "/daemon.pid";

    // Without --out (the sandbox's own cgroup) and with it (the recorder's).
    for (bool recorded : {false, true}) {
        DYNAMIC_SECTION((recorded ? "recorded (--out)" : "not recorded")) {
            std::filesystem::remove(pidfile);
            // --protect none: under pidns the kernel kills the whole namespace with glassbox, so
            // nothing would be left to clean up (tests/integration/hostile checks that).
            std::vector<std::string> argv = {GLASSBOX_BIN, "enforce", "-q", "--protect", "none", "--profile", prof_path};
            if (recorded) {
                argv.push_back("--out");
                argv.push_back(s.dir + "/t.jsonl");
            }
            // A daemonized child outlives the command's root (which dies with glassbox).
            for (std::string a : std::vector<std::string>{"--", "/bin/sh", "-c", "sleep 60 & echo $! > " + pidfile + "; wait"})
                argv.push_back(a);
            pid_t gb = fork();
            if (gb == 0) {
                int devnull = open("/dev/null", O_WRONLY);
                dup2(devnull, 1);
                dup2(devnull, 2);
                glassbox_test::exec_argv(argv);
            }
            // A second, live glassbox: its sandbox must survive the cleanup.
            pid_t live = fork();
            if (live == 0) {
                int devnull = open("/dev/null", O_WRONLY);
                dup2(devnull, 1);
                dup2(devnull, 2);
                execl(GLASSBOX_BIN, GLASSBOX_BIN, "enforce", "-q", "--profile", prof_path.c_str(), "--",
                      "/bin/sh", "-c", "sleep 4", static_cast<char*>(nullptr));
                _exit(127);
            }
            pid_t daemon = 0;
            for (int i = 0; i < 200 && daemon == 0; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(25));
                std::ifstream pf(pidfile);
                pf >> daemon;
            }
            REQUIRE(daemon > 0);
            std::string gb_cgroup, live_cgroup;
            for (int i = 0; i < 100 && live_cgroup.empty(); ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                for (const auto& e : std::filesystem::directory_iterator(root)) {
                    std::string n = e.path().filename();
                    if (n == "glassbox-enforce-" + std::to_string(live))
                        live_cgroup = e.path();
                }
            }
            for (const auto& e : std::filesystem::directory_iterator(root)) {
                std::string n = e.path().filename();
                if (n == "glassbox-enforce-" + std::to_string(gb) || n.starts_with("glassbox-" + std::to_string(gb) + "-"))
                    gb_cgroup = e.path();
            }
            REQUIRE(!gb_cgroup.empty());
            REQUIRE(!live_cgroup.empty());

            kill(gb, SIGKILL);
            int st = 0;
            waitpid(gb, &st, 0);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            // Fail closed. Without --out: the cgroup and the daemon in it are still there, cut off
            // from everything the supervisor decided. With --out the recorder's watchdog has
            // killed the tree; its cgroup is left for --cleanup all the same.
            REQUIRE(std::filesystem::exists(gb_cgroup));
            if (recorded) {
                for (int i = 0; i < 100 && alive(daemon); ++i)
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                REQUIRE_FALSE(alive(daemon));
            } else {
                REQUIRE(alive(daemon));
            }
            const int left = recorded ? 0 : 1;

            auto dry_run = glassbox_test::run_command({GLASSBOX_BIN, "enforce", "--cleanup", "--dry-run"}, true);
            const std::string& dry = dry_run.out;
            INFO(dry);
            CHECK(dry_run.status == 0);
            CHECK(dry.find("stale " + gb_cgroup + " (glassbox pid " + std::to_string(gb) + " is gone, " +
                           std::to_string(left) + " process(es) left)") != std::string::npos);
            CHECK(dry.find(live_cgroup) == std::string::npos);
            CHECK(std::filesystem::exists(gb_cgroup));
            CHECK(alive(daemon) == !recorded);

            auto cleaned = glassbox_test::run_command({GLASSBOX_BIN, "enforce", "--cleanup"}, true);
            const std::string& out = cleaned.out;
            INFO(out);
            CHECK(cleaned.status == 0);
            CHECK(out.find("removed " + gb_cgroup + " (glassbox pid " + std::to_string(gb) + " was gone, " +
                           std::to_string(left) + " process(es) killed)") != std::string::npos);
            CHECK(out.find(live_cgroup) == std::string::npos);
            CHECK_FALSE(std::filesystem::exists(gb_cgroup));
            for (int i = 0; i < 100 && alive(daemon); ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            CHECK_FALSE(alive(daemon));
            CHECK(std::filesystem::exists(live_cgroup)); // the live sandbox is untouched
            CHECK(alive(live));

            // Running it again finds nothing of ours.
            std::string again = glassbox_test::run_command({GLASSBOX_BIN, "enforce", "--cleanup", "--dry-run"}).out;
            CHECK(again.find(gb_cgroup) == std::string::npos);
            waitpid(live, &st, 0);
            CHECK(WIFEXITED(st));
            CHECK(WEXITSTATUS(st) == 0);
        }
    }
}

TEST_CASE("enforce --cleanup rejects a command or profile and needs no sandbox", "[enforce][cleanup]") {
    require_root();
    using glassbox_test::run_command;
    auto r = run_command({GLASSBOX_BIN, "enforce", "--cleanup", "--", "/bin/true"}, true);
    CHECK(r.status == 2);
    CHECK(r.err == "glassbox: --cleanup takes no --profile and no command\n");
    r = run_command({GLASSBOX_BIN, "enforce", "--dry-run", "--profile", "x.yaml", "--", "/bin/true"}, true);
    CHECK(r.status == 2);
    CHECK(r.err == "glassbox: --dry-run goes with --cleanup\n");
    r = run_command({GLASSBOX_BIN, "enforce", "--", "/bin/true"}, true);
    CHECK(r.status == 2);
    CHECK(r.err == "glassbox: --profile is required (or --cleanup)\n");
}
