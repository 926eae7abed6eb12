// Unit tests of glassbox doctor's verdicts (tracer/cli/doctor.hpp) on made-up kernels: the probe
// results of a complete 6.18, of Debian 12's 6.1 (kfuncs and the io_uring tracepoint's name from
// the load logs, Landlock ABI 2, no unix socket hooks) and of an unprivileged run, turned
// into the recording and enforcement rows, the exit status and the JSON document.
#include "cli/doctor.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace glassbox;
using namespace glassbox::doctor;

namespace {

feature yes(std::string d = "seen") { return {feature_state::present, std::move(d)}; }
feature no(std::string d = "not there") { return {feature_state::absent, std::move(d)}; }

kernel_features complete_kernel() {
    kernel_features k;
    k.release = "6.18.0";
    k.machine = "x86_64";
    k.btf = yes();
    k.cgroup2 = yes("/sys/fs/cgroup");
    k.cgroup2_mount = "/sys/fs/cgroup";
    k.cgroup_layout = "unified";
    k.private_stack = yes();
    for (const char* n : {"bpf_task_from_pid", "bpf_task_release", "bpf_rdonly_cast"})
        k.kfuncs.push_back({n, yes(), n, -1});
    for (const char* n : {"sys_enter", "sys_exit", "sched_process_exec", "sched_process_fork", "sched_process_exit",
                          "io_uring_submit", "io_uring_complete"})
        k.tracepoints.push_back({n, yes(), n, 2});
    k.io_uring_submit_tracepoint = "io_uring_submit_req";
    k.sched_process_exit_args = 2;
    k.io_uring = yes();
    k.syscall32 = yes();
    k.landlock_abi = 7;
    k.landlock = yes("ABI 7");
    k.seccomp_user_notif = yes();
    k.cgroup_sock_addr = yes();
    k.cgroup_unix_hooks = yes();
    k.cgroup_skb = yes();
    k.cgroup_skb_pid = yes();
    k.privs = {true, true, true};
    return k;
}

const capability& row(const std::vector<capability>& rows, std::string_view family) {
    for (const auto& r : rows)
        if (r.family == family)
            return r;
    FAIL("no row " << family);
    return rows.front();
}

void set_kfunc(kernel_features& k, std::string_view name, feature f) {
    for (auto& kf : k.kfuncs)
        if (kf.name == name)
            kf.status = std::move(f);
}

} // namespace

TEST_CASE("a kernel with everything: every row yes, exit 0", "[doctor]") {
    auto k = complete_kernel();
    auto rec = recording_capabilities(k);
    auto enf = enforcement_capabilities(k);
    REQUIRE(rec.size() == 5);
    REQUIRE(enf.size() == 7);
    for (const auto& r : rec)
        CHECK(r.state == verdict::yes);
    for (const auto& r : enf)
        CHECK(r.state == verdict::yes);
    CHECK(exit_status(k, rec, enf) == 0);
    auto j = to_json(k, rec, enf);
    CHECK(j["verdict"] == "complete");
    CHECK(j["exit"] == 0);
    CHECK(j["features"]["landlock"]["abi"] == 7);
    CHECK(j["tracepoints"]["sched_process_exit"]["args"] == 2);
}

TEST_CASE("Debian 12's 6.1: the missing kfuncs, Landlock ABI 2 and hooks narrow the rows, exit 1", "[doctor]") {
    auto k = complete_kernel();
    k.release = "6.1.0-57-amd64";
    set_kfunc(k, "bpf_task_from_pid", no());
    set_kfunc(k, "bpf_task_release", yes());
    set_kfunc(k, "bpf_rdonly_cast", no());
    k.sched_process_exit_args = 1;
    k.io_uring_submit_tracepoint = "io_uring_submit_sqe";
    k.landlock_abi = 2;
    k.cgroup_unix_hooks = no("no cgroup hooks for unix socket addresses (Linux 6.7+)");
    k.cgroup_skb_pid = no("cgroup_skb programs cannot call bpf_get_current_pid_tgid");
    auto rec = recording_capabilities(k);
    auto enf = enforcement_capabilities(k);
    CHECK(row(rec, "process (exec, fork, exit)").state == verdict::partial);
    CHECK_THAT(row(rec, "process (exec, fork, exit)").detail, Catch::Contains("group_dead"));
    CHECK(row(rec, "file, network, privileged syscalls").state == verdict::partial);
    CHECK_THAT(row(rec, "file, network, privileged syscalls").detail, Catch::Contains("bpf_rdonly_cast"));
    CHECK(row(rec, "unix peers' executables").state == verdict::no);
    CHECK(row(rec, "io_uring operations").state == verdict::yes);
    CHECK_THAT(row(rec, "io_uring operations").detail, Catch::Contains("io_uring_submit_sqe"));
    const auto& files = row(enf, "file rules (Landlock)");
    CHECK(files.state == verdict::partial);
    CHECK_THAT(files.detail, Catch::Contains("truncate"));
    CHECK_THAT(files.detail, Catch::Contains("ioctl"));
    CHECK(row(enf, "unix socket rules").state == verdict::no);
    CHECK_THAT(row(enf, "unix socket rules").detail, Catch::Contains("NOT restricted"));
    CHECK(row(enf, "network.dns rules").state == verdict::no);
    CHECK(row(enf, "network: connect, sendmsg, bind").state == verdict::yes);
    CHECK(exit_status(k, rec, enf) == 1);
    CHECK(to_json(k, rec, enf)["verdict"] == "degraded");
}

TEST_CASE("what the kernel lacks entirely is n/a, not a gap", "[doctor]") {
    auto k = complete_kernel();
    k.syscall32 = no("int 0x80 faults");
    k.io_uring = no("disabled: kernel.io_uring_disabled=2");
    for (auto& t : k.tracepoints)
        if (t.name.starts_with("io_uring"))
            t.status = no();
    auto rec = recording_capabilities(k);
    auto enf = enforcement_capabilities(k);
    CHECK(row(rec, "32-bit syscalls (int 0x80)").state == verdict::not_applicable);
    CHECK(row(rec, "io_uring operations").state == verdict::not_applicable);
    CHECK(exit_status(k, rec, enf) == 0);
    // io_uring usable but its tracepoints missing: a real gap.
    k.io_uring = yes();
    rec = recording_capabilities(k);
    CHECK(row(rec, "io_uring operations").state == verdict::no);
    CHECK(exit_status(k, rec, enf) == 1);
}

TEST_CASE("no kernel BTF: nothing is recorded, and without Landlock file rules are not enforced", "[doctor]") {
    auto k = complete_kernel();
    k.btf = no("no /sys/kernel/btf/vmlinux");
    k.landlock_abi = 0;
    k.landlock = no("built but disabled at boot");
    auto rec = recording_capabilities(k);
    auto enf = enforcement_capabilities(k);
    for (const auto& r : rec) {
        CHECK(r.state == verdict::no);
        CHECK_THAT(r.detail, Catch::Contains("BTF"));
    }
    CHECK(row(enf, "file rules (Landlock)").state == verdict::no);
    CHECK(row(enf, "exec rules at exec time").state == verdict::partial);
    CHECK(exit_status(k, rec, enf) == 1);
}

TEST_CASE("without CAP_PERFMON the exit is 77 even on a complete kernel", "[doctor]") {
    auto k = complete_kernel();
    k.privs.cap_perfmon = false;
    auto rec = recording_capabilities(k);
    auto enf = enforcement_capabilities(k);
    CHECK(exit_status(k, rec, enf) == 77);
    auto j = to_json(k, rec, enf);
    CHECK(j["verdict"] == "no-privilege");
    CHECK(j["privileges"]["complete"] == false);
    CHECK(j["privileges"]["cap_bpf"] == true);
}

TEST_CASE("unknown probes make unknown rows that claim nothing", "[doctor]") {
    auto k = complete_kernel();
    k.cgroup_sock_addr = {feature_state::unknown, "not probed: loading BPF programs needs CAP_BPF"};
    auto enf = enforcement_capabilities(k);
    const auto& net = row(enf, "network: connect, sendmsg, bind");
    CHECK(net.state == verdict::unknown);
    CHECK(net.detail == "not probed: loading BPF programs needs CAP_BPF");
}
