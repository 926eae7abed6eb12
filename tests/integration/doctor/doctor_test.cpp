// Root tier: `glassbox doctor --json` on this machine, each field checked against a fact the test
// measures itself (uname, the BTF file, mountinfo, Landlock's and io_uring's own syscalls, the
// kprobe PMU, bpftool's reading of the BTF); its recording coverage against the header of a trace
// `glassbox run` records here; and the exit statuses: the one the document states as root, 1
// when the recorder cannot load (no BTF), 77 for an unprivileged user. Also runs inside the
// kernel matrix (tests/vm.cmake).
#include "run_command.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <linux/io_uring.h>
#include <linux/landlock.h>
#include <sstream>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

using nlohmann::json;

namespace {

json doctor_json(int& status) {
    auto r = glassbox_test::run_command({GLASSBOX_BIN, "doctor", "--json"}, true);
    status = r.status;
    INFO("stderr: " << r.err);
    return json::parse(r.out);
}

// The first cgroup2 mount point, read here with a scan of our own.
std::string cgroup2_mount_point() {
    std::ifstream f("/proc/self/mountinfo");
    std::string line;
    while (std::getline(f, line)) {
        if (line.find(" - cgroup2 ") == std::string::npos)
            continue;
        std::istringstream ls(line);
        std::string id, parent, dev, root, mnt;
        ls >> id >> parent >> dev >> root >> mnt;
        return mnt;
    }
    return {};
}

std::string sh(const std::string& cmd) { return glassbox_test::run_command({"/bin/sh", "-c", cmd}).out; }

// The header (first line) of a trace `glassbox run` records of /bin/true.
json header_of_a_recording() {
    char tmpl[] = "/tmp/glassbox-doctor-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    std::filesystem::path dir(tmpl);
    std::string trace = (dir / "t.jsonl").string();
    auto r = glassbox_test::run_command({GLASSBOX_BIN, "run", "-q", "--out", trace, "--", "/bin/true"}, true);
    INFO("glassbox run: " << r.err);
    REQUIRE(r.status == 0);
    std::ifstream f(trace);
    std::string first;
    std::getline(f, first);
    std::filesystem::remove_all(dir);
    return json::parse(first);
}

} // namespace

TEST_CASE("doctor --json states this machine's facts", "[doctor]") {
    REQUIRE(::geteuid() == 0);
    int status = -1;
    json j = doctor_json(status);

    utsname u{};
    REQUIRE(::uname(&u) == 0);
    CHECK(j["kernel"]["release"] == u.release);
    CHECK(j["kernel"]["machine"] == u.machine);

    CHECK(j["privileges"]["complete"] == true);
    CHECK(status == j["exit"].get<int>());
    CHECK((status == 0 || status == 1));
    CHECK(j["verdict"] == (status == 0 ? "complete" : "degraded"));

    bool btf = ::access("/sys/kernel/btf/vmlinux", R_OK) == 0;
    CHECK(j["features"]["btf"]["state"] == (btf ? "present" : "absent"));

    std::string mnt = cgroup2_mount_point();
    if (mnt.empty()) {
        CHECK(j["features"]["cgroup2"]["state"] == "absent");
        CHECK(j["features"]["cgroup2"]["mount"].is_null());
    } else {
        CHECK(j["features"]["cgroup2"]["state"] == "present");
        CHECK(j["features"]["cgroup2"]["mount"] == mnt);
    }

    long abi = ::syscall(__NR_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    CHECK(j["features"]["landlock"]["abi"] == (abi > 0 ? abi : 0));
    CHECK(j["features"]["landlock"]["state"] == (abi > 0 ? "present" : "absent"));

    io_uring_params p{};
    long ring = ::syscall(__NR_io_uring_setup, 1, &p);
    if (ring >= 0)
        ::close(static_cast<int>(ring));
    CHECK(j["features"]["io_uring"]["state"] == (ring >= 0 ? "present" : "absent"));

    bool kprobe_pmu = ::access("/sys/bus/event_source/devices/kprobe", F_OK) == 0;
    CHECK(j["features"]["kprobes"]["state"] == (kprobe_pmu ? "present" : "absent"));

    // As root every BPF probe answers: nothing may stay unknown for want of privilege.
    for (const char* f : {"private_stack", "cgroup_sock_addr", "cgroup_unix_hooks", "cgroup_skb", "fentry",
                          "bpf_lsm", "syscall32", "seccomp_user_notif"}) {
        INFO(f << ": " << j["features"][f].dump());
        CHECK(j["features"][f]["state"] != "unknown");
    }

    // Tracepoints and kfuncs against bpftool's reading of the same BTF.
    REQUIRE(btf);
    CHECK(j["tracepoints"]["sys_enter"]["args"] == 2);
    CHECK(j["tracepoints"]["sys_enter"]["kernel_name"] == "sys_enter");
    std::string raw_exit = sh("bpftool btf dump file /sys/kernel/btf/vmlinux format c | "
                              "grep -E '^typedef void \\(\\*btf_trace_sched_process_exit\\)'");
    REQUIRE_FALSE(raw_exit.empty());
    // typedef void (*btf_trace_sched_process_exit)(void *, struct task_struct *[, bool]);
    int commas = 0;
    for (char c : raw_exit)
        commas += c == ',';
    CHECK(j["tracepoints"]["sched_process_exit"]["args"] == commas);
    for (const char* kfunc : {"bpf_task_from_pid", "bpf_task_release", "bpf_rdonly_cast"}) {
        bool in_btf = !sh(std::string("bpftool btf dump file /sys/kernel/btf/vmlinux format raw | grep \"FUNC '") +
                          kfunc + "' \"")
                           .empty();
        INFO(kfunc);
        CHECK(j["kfuncs"][kfunc]["state"] == (in_btf ? "present" : "absent"));
    }
    bool submit_req = !sh("bpftool btf dump file /sys/kernel/btf/vmlinux format raw | "
                          "grep \"TYPEDEF 'btf_trace_io_uring_submit_req'\"")
                           .empty();
    if (submit_req)
        CHECK(j["tracepoints"]["io_uring_submit"]["kernel_name"] == "io_uring_submit_req");

    // Each recording and enforcement row has a known state and says why.
    for (const char* section : {"recording", "enforcement"}) {
        REQUIRE(j[section].is_array());
        REQUIRE_FALSE(j[section].empty());
        for (const auto& r : j[section]) {
            CHECK_FALSE(r["detail"].get<std::string>().empty());
            CHECK(r["state"] != "unknown");
        }
    }
}

TEST_CASE("doctor without privileges exits 77 and says which capabilities are missing", "[doctor]") {
    REQUIRE(::geteuid() == 0);
    auto r = glassbox_test::run_command(
        {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", GLASSBOX_BIN, "doctor", "--json"}, true);
    INFO("stderr: " << r.err);
    CHECK(r.status == 77);
    json j = json::parse(r.out);
    CHECK(j["exit"] == 77);
    CHECK(j["verdict"] == "no-privilege");
    CHECK(j["privileges"]["cap_bpf"] == false);
    CHECK(j["privileges"]["complete"] == false);
    // What needs no privilege is still answered; BPF loads are not blamed on the kernel.
    CHECK(j["features"]["btf"]["state"] != "unknown");
    CHECK(j["features"]["cgroup_sock_addr"]["state"] == "unknown");
    // The recorder is not loaded without privilege: nothing is claimed about what it records.
    CHECK(j["recorder_load"]["state"] == "not tried");
    CHECK_THAT(j["recorder_load"]["detail"].get<std::string>(), Catch::Contains("root"));
    CHECK(j["coverage"].is_null());
    REQUIRE(j["recording"].size() == 1);
    CHECK(j["recording"][0]["state"] == "unknown");

    auto table = glassbox_test::run_command(
        {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", GLASSBOX_BIN, "doctor"});
    CHECK(table.status == 77);
    CHECK_THAT(table.out, Catch::Contains("CAP_BPF"));
    CHECK_THAT(table.out, Catch::Contains("exit 77"));
}

TEST_CASE("doctor's recording coverage is the one a trace recorded here carries", "[doctor][coverage]") {
    REQUIRE(::geteuid() == 0);
    int status = -1;
    json j = doctor_json(status);
    json hdr = header_of_a_recording();
    REQUIRE(hdr.contains("coverage"));
    const json& trace_cov = hdr["coverage"];

    REQUIRE(j["recorder_load"]["state"] == "loaded");
    CHECK(j["recorder_load"]["detail"].is_null());
    CHECK(j["recorder_load"]["ms"].get<long>() > 0);
    REQUIRE(j["coverage"].is_object());
    const json& cov = j["coverage"];
    CHECK(cov["variant"] == trace_cov["variant"]);
    CHECK(cov["complete"] == trace_cov["complete"]);
    // Family by family, both ways: the same names, and each the same object (observed, via,
    // degraded, reason).
    REQUIRE(cov["families"].size() == trace_cov["families"].size());
    for (const auto& [name, f] : trace_cov["families"].items()) {
        INFO("family " << name);
        REQUIRE(cov["families"].contains(name));
        CHECK(cov["families"][name] == f);
    }
    // Byte for byte too, keys in the header's order.
    auto ordered_header = nlohmann::ordered_json::parse(hdr.dump());
    CHECK(nlohmann::ordered_json::parse(j["coverage"].dump()).dump() == ordered_header["coverage"].dump());

    // One table row per family, its state following the family's.
    REQUIRE(j["recording"].size() == trace_cov["families"].size());
    bool rows_complete = true;
    for (const auto& row : j["recording"]) {
        std::string name = row["coverage_family"];
        INFO("row " << row.dump());
        REQUIRE(trace_cov["families"].contains(name));
        const json& f = trace_cov["families"][name];
        std::string state = row["state"];
        if (!f["observed"].get<bool>()) {
            CHECK((state == "no" || state == "n/a"));
            CHECK_THAT(row["detail"].get<std::string>(), Catch::Contains(f["reason"].get<std::string>()));
        } else if (f.contains("degraded")) {
            CHECK(state == "partial");
            CHECK_THAT(row["detail"].get<std::string>(), Catch::Contains(f["degraded"].get<std::string>()));
        } else {
            CHECK((state == "yes" || state == "n/a"));
        }
        rows_complete = rows_complete && (state == "yes" || state == "n/a");
    }
    // A gap in the recording rows is a degraded verdict.
    if (!rows_complete)
        CHECK(status == 1);
}

TEST_CASE("doctor says why the recorder cannot load, and exits 1", "[doctor]") {
    REQUIRE(::geteuid() == 0);
    // A kernel without BTF, as seen from a mount namespace where /sys/kernel/btf is an empty tmpfs.
    auto r = glassbox_test::run_command({"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                                         "mount -t tmpfs none /sys/kernel/btf && exec \"$0\" doctor --json",
                                         GLASSBOX_BIN},
                                        true);
    INFO("stderr: " << r.err);
    CHECK(r.status == 1);
    json j = json::parse(r.out);
    CHECK(j["exit"] == 1);
    CHECK(j["verdict"] == "degraded");
    CHECK(j["features"]["btf"]["state"] == "absent");
    CHECK(j["recorder_load"]["state"] == "failed");
    CHECK_THAT(j["recorder_load"]["detail"].get<std::string>(), Catch::Contains("no BTF"));
    CHECK(j["coverage"].is_null());
    REQUIRE(j["recording"].size() == 1);
    CHECK(j["recording"][0]["state"] == "no");
    CHECK_THAT(j["recording"][0]["detail"].get<std::string>(), Catch::Contains("no BTF"));
    // The enforcement rows are still there: enforce needs no BTF for most of them.
    CHECK_FALSE(j["enforcement"].empty());
}
