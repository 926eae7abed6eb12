// Unit tests of glassbox doctor's verdicts (tracer/cli/doctor.hpp) on made-up kernels and dry
// loads: the probe results of a complete 6.18, of Debian 12's 6.1 (Landlock ABI 2, no unix socket
// hooks) and of an unprivileged run, with the coverage their recorder loads would report (the
// legacy build, an io_uring program the verifier refused, a load refused outright), turned into
// the recording and enforcement rows, the exit status and the JSON document.
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

// The coverage of a recorder that loaded everything (the names and order of the trace header's).
record::coverage full_coverage() {
    record::coverage c;
    c.variant = "kfunc";
    for (const char* n : {"process", "exit", "file", "file_changes", "net", "unix_peer", "dns", "signals", "privileged",
                          "abi32", "io_totals", "io_uring"})
        c.families.push_back({n, true, std::string("via ") + n, "", ""});
    return c;
}

recorder_load loaded(record::coverage c) {
    recorder_load l;
    l.state = recorder_load::outcome::loaded;
    l.cov = std::move(c);
    l.ms = 150;
    return l;
}

record::coverage_family& family(record::coverage& c, std::string_view name) {
    for (auto& f : c.families)
        if (f.name == name)
            return f;
    FAIL("no family " << name);
    return c.families.front();
}

const capability& row(const std::vector<capability>& rows, std::string_view family) {
    for (const auto& r : rows)
        if (r.family == family)
            return r;
    FAIL("no row " << family);
    return rows.front();
}

} // namespace

TEST_CASE("a kernel with everything: every row yes, exit 0", "[doctor]") {
    auto k = complete_kernel();
    auto load = loaded(full_coverage());
    auto rec = recording_capabilities(k, load);
    auto enf = enforcement_capabilities(k);
    REQUIRE(rec.size() == 12);
    REQUIRE(enf.size() == 7);
    for (const auto& r : rec) {
        CHECK(r.state == verdict::yes);
        CHECK(r.detail == "via " + r.key); // the coverage's own words
    }
    CHECK(row(rec, "process exits").key == "exit");
    for (const auto& r : enf)
        CHECK(r.state == verdict::yes);
    CHECK(exit_status(k, rec, enf) == 0);
    auto j = to_json(k, load, rec, enf);
    CHECK(j["verdict"] == "complete");
    CHECK(j["exit"] == 0);
    CHECK(j["features"]["landlock"]["abi"] == 7);
    CHECK(j["tracepoints"]["sched_process_exit"]["args"] == 2);
    CHECK(j["recorder_load"]["state"] == "loaded");
    CHECK(j["recorder_load"]["ms"] == 150);
    // The header's serialisation itself, keys in its order.
    CHECK(j["coverage"].dump() == load.cov.json());
    CHECK(j["coverage"]["families"]["io_uring"]["via"] == "via io_uring");
    CHECK(j["recording"][1]["coverage_family"] == "exit");
    CHECK_FALSE(j["enforcement"][0].contains("coverage_family"));
}

TEST_CASE("Debian 12's 6.1: the legacy build's degraded families, Landlock ABI 2 and hooks narrow the rows, exit 1",
          "[doctor]") {
    auto k = complete_kernel();
    k.release = "6.1.0-57-amd64";
    k.landlock_abi = 2;
    k.cgroup_unix_hooks = no("no cgroup hooks for unix socket addresses (Linux 6.7+)");
    k.cgroup_skb_pid = no("cgroup_skb programs cannot call bpf_get_current_pid_tgid");
    auto cov = full_coverage();
    cov.variant = "legacy";
    family(cov, "signals").degraded = "the target's executable is named from /proc when the record is read";
    auto rec = recording_capabilities(k, loaded(cov));
    auto enf = enforcement_capabilities(k);
    CHECK(row(rec, "signals").state == verdict::partial);
    CHECK_THAT(row(rec, "signals").detail, Catch::Contains("via signals"));
    CHECK_THAT(row(rec, "signals").detail, Catch::Contains("named from /proc"));
    CHECK(row(rec, "process exits").state == verdict::yes);
    const auto& files = row(enf, "file rules (Landlock)");
    CHECK(files.state == verdict::partial);
    CHECK_THAT(files.detail, Catch::Contains("truncate"));
    CHECK_THAT(files.detail, Catch::Contains("ioctl"));
    CHECK(row(enf, "unix socket rules").state == verdict::no);
    CHECK_THAT(row(enf, "unix socket rules").detail, Catch::Contains("NOT restricted"));
    CHECK(row(enf, "network.dns rules").state == verdict::yes); // the sender named from its socket
    CHECK_THAT(row(enf, "network.dns rules").detail, Catch::Contains("connect/sendmsg"));
    CHECK(row(enf, "network: connect, sendmsg, bind").state == verdict::yes);
    CHECK(exit_status(k, rec, enf) == 1);
    CHECK(to_json(k, loaded(cov), rec, enf)["verdict"] == "degraded");
}

TEST_CASE("an optional program the verifier refused: its family is not recorded, whatever the probes say",
          "[doctor]") {
    auto k = complete_kernel(); // the probes see both io_uring tracepoints
    auto cov = full_coverage();
    auto& u = family(cov, "io_uring");
    u.observed = false;
    u.via.clear();
    u.reason = "the verifier refused it: R2 unbounded memory access, use 'var &= const' or 'var = var & const': "
               "operations submitted through io_uring are not recorded";
    auto load = loaded(cov);
    auto rec = recording_capabilities(k, load);
    auto enf = enforcement_capabilities(k);
    CHECK(row(rec, "io_uring operations").state == verdict::no);
    CHECK(row(rec, "io_uring operations").detail == u.reason);
    CHECK(exit_status(k, rec, enf) == 1);
    auto j = to_json(k, load, rec, enf);
    CHECK(j["coverage"]["complete"] == false);
    CHECK(j["coverage"]["families"]["io_uring"]["observed"] == false);
    CHECK(j["coverage"]["families"]["io_uring"]["reason"] == u.reason);
    CHECK_FALSE(j["coverage"]["families"]["io_uring"].contains("via"));
}

TEST_CASE("what the kernel lacks entirely is n/a, not a gap", "[doctor]") {
    auto k = complete_kernel();
    k.syscall32 = no("int 0x80 faults");
    k.io_uring = no("disabled: kernel.io_uring_disabled=2");
    auto cov = full_coverage();
    auto& u = family(cov, "io_uring");
    u.observed = false;
    u.reason = "the kernel has no io_uring submit/complete tracepoints of a known shape";
    auto rec = recording_capabilities(k, loaded(cov));
    auto enf = enforcement_capabilities(k);
    CHECK(row(rec, "32-bit syscalls (int 0x80)").state == verdict::not_applicable);
    CHECK(row(rec, "io_uring operations").state == verdict::not_applicable);
    CHECK_THAT(row(rec, "io_uring operations").detail, Catch::Contains("io_uring_disabled=2"));
    CHECK(exit_status(k, rec, enf) == 0);
    // io_uring usable but not recorded: a real gap.
    k.io_uring = yes();
    rec = recording_capabilities(k, loaded(cov));
    CHECK(row(rec, "io_uring operations").state == verdict::no);
    CHECK(exit_status(k, rec, enf) == 1);
}

TEST_CASE("a load refused outright: one row with the recorder's reason, exit 1, no coverage", "[doctor]") {
    auto k = complete_kernel();
    recorder_load load;
    load.state = recorder_load::outcome::failed;
    load.error = "the kernel refused glassbox's BPF program gb_sys_exit (the verifier refused it: combined stack "
                 "size of 4 calls is 544. Too large); run with -v for the verifier log";
    auto rec = recording_capabilities(k, load);
    auto enf = enforcement_capabilities(k);
    REQUIRE(rec.size() == 1);
    CHECK(rec[0].state == verdict::no);
    CHECK_THAT(rec[0].detail, Catch::Contains("gb_sys_exit"));
    CHECK_THAT(rec[0].detail, Catch::Contains("544. Too large"));
    CHECK(exit_status(k, rec, enf) == 1);
    auto j = to_json(k, load, rec, enf);
    CHECK(j["recorder_load"]["state"] == "failed");
    CHECK(j["recorder_load"]["detail"] == load.error);
    CHECK(j["coverage"].is_null());
    CHECK(j["verdict"] == "degraded");
}

TEST_CASE("no kernel BTF: the recorder does not load, and without Landlock file rules are not enforced",
          "[doctor]") {
    auto k = complete_kernel();
    k.btf = no("no /sys/kernel/btf/vmlinux");
    k.landlock_abi = 0;
    k.landlock = no("built but disabled at boot");
    recorder_load load;
    load.state = recorder_load::outcome::failed;
    load.error = "the kernel has no BTF (/sys/kernel/btf/vmlinux is missing)";
    auto rec = recording_capabilities(k, load);
    auto enf = enforcement_capabilities(k);
    REQUIRE(rec.size() == 1);
    CHECK(rec[0].state == verdict::no);
    CHECK_THAT(rec[0].detail, Catch::Contains("BTF"));
    CHECK(row(enf, "file rules (Landlock)").state == verdict::no);
    CHECK(row(enf, "exec rules at exec time").state == verdict::partial);
    CHECK(exit_status(k, rec, enf) == 1);
}

TEST_CASE("without CAP_PERFMON the exit is 77 even on a complete kernel", "[doctor]") {
    auto k = complete_kernel();
    k.privs.cap_perfmon = false;
    // root without CAP_PERFMON passes the recorder's own check, and the kernel refuses its load:
    // that is glassbox's lack, not the kernel's.
    recorder_load load;
    load.state = recorder_load::outcome::failed;
    load.error = "the kernel refused glassbox's BPF program gb_sys_enter (Operation not permitted)";
    auto rec = recording_capabilities(k, load);
    auto enf = enforcement_capabilities(k);
    REQUIRE(rec.size() == 1);
    CHECK(rec[0].state == verdict::unknown);
    CHECK(exit_status(k, rec, enf) == 77);
    auto j = to_json(k, load, rec, enf);
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

TEST_CASE("protection: pidns everywhere, its init fully guarded and landlock mode only with Landlock ABI 6",
          "[doctor]") {
    auto k = complete_kernel();
    auto p = protection_capabilities(k);
    CHECK(row(p, "--protect pidns").state == verdict::yes);
    CHECK(row(p, "--protect landlock").state == verdict::yes);
    CHECK_THAT(row(p, "--protect landlock").detail, Catch::Contains("ABI 7"));
    CHECK(row(p, "attach --protect guard").state == verdict::unknown); // the probe could not tell
    k.bpf_lsm = {feature_state::absent, "an LSM program does not load: refused (Operation not permitted)"};
    p = protection_capabilities(k);
    CHECK(row(p, "--protect pidns").state == verdict::yes); // Landlock alone guards the init
    CHECK(row(p, "attach --protect guard").state == verdict::no);
    k.landlock_abi = 2; // Debian 12's 6.1, which runs the BPF LSM: the guard covers the init
    k.bpf_lsm = {feature_state::present, "bpf is an active LSM"};
    p = protection_capabilities(k);
    CHECK(row(p, "--protect pidns").state == verdict::yes);
    CHECK_THAT(row(p, "--protect pidns").detail, Catch::Contains("LSM guard (signals, ptrace, /proc/1/mem)"));
    CHECK(row(p, "attach --protect guard").state == verdict::yes);
    k.bpf_lsm = {feature_state::absent, "bpf is not an active LSM"}; // booted without lsm=...,bpf
    p = protection_capabilities(k);
    CHECK(row(p, "--protect pidns").state == verdict::partial);
    CHECK_THAT(row(p, "--protect pidns").detail, Catch::Contains("/proc/1/mem"));
    CHECK(row(p, "--protect landlock").state == verdict::no);
    CHECK_THAT(row(p, "--protect landlock").detail, Catch::Contains("use --protect pidns"));
    CHECK(row(p, "attach --protect guard").state == verdict::no);
    CHECK_THAT(row(p, "attach --protect guard").detail, Catch::Contains("bpf is not an active LSM"));
    CHECK(exit_status(k, {}, p) == 1);
}
