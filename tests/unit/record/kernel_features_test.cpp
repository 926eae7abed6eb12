// Unit tests of the kernel feature probes' pure parts (include/glassbox/kernel_features.hpp):
// the securityfs and /proc/self/status parsers, and the tracepoint argument count read from the
// running kernel's BTF (readable without privileges), checked against bpftool's own dump of it.
#include <glassbox/kernel_features.hpp>

#include "run_command.hpp"

#include <bpf/btf.h>
#include <catch2/catch.hpp>

#include <memory>
#include <regex>
#include <unistd.h>

using namespace glassbox;

TEST_CASE("the LSM list of securityfs", "[kernel_features]") {
    CHECK(parse_lsm_list("lockdown,capability,landlock,yama,apparmor,bpf\n") ==
          std::vector<std::string>{"lockdown", "capability", "landlock", "yama", "apparmor", "bpf"});
    CHECK(parse_lsm_list("capability,landlock") == std::vector<std::string>{"capability", "landlock"});
    CHECK(parse_lsm_list("").empty());
    CHECK(parse_lsm_list("\n").empty());
}

TEST_CASE("the lockdown mode is the bracketed word", "[kernel_features]") {
    CHECK(parse_lockdown("[none] integrity confidentiality\n") == "none");
    CHECK(parse_lockdown("none [integrity] confidentiality\n") == "integrity");
    CHECK(parse_lockdown("none integrity [confidentiality]") == "confidentiality");
    CHECK(parse_lockdown("").empty());
    CHECK(parse_lockdown("none integrity").empty());
}

TEST_CASE("CapEff of /proc/PID/status", "[kernel_features]") {
    const char* root = "Name:\tbash\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
                       "CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n";
    auto v = parse_cap_eff(root);
    REQUIRE(v);
    CHECK(*v == 0x1ffffffffffULL);
    CHECK(((*v >> 39) & 1) == 1); // CAP_BPF
    auto none = parse_cap_eff("Name:\tcat\nCapEff:\t0000000000000000\n");
    REQUIRE(none);
    CHECK(*none == 0);
    CHECK_FALSE(parse_cap_eff("Name:\tcat\n"));
}

namespace {

struct btf_free {
    void operator()(struct btf* b) const { btf__free(b); }
};

// The prototype's parameter count of btf_trace_<name>, from bpftool's raw dump: an independent
// reading of the same BTF (bpftool is needed by the build anyway).
int bpftool_arg_count(const std::string& name) {
    auto out = glassbox_test::run_command(
        {"/bin/sh", "-c",
         "bpftool btf dump file /sys/kernel/btf/vmlinux format raw | grep -A1 -E \"^\\[[0-9]+\\] TYPEDEF 'btf_trace_" +
             name + "' \" | head -2"});
    // [N] TYPEDEF 'btf_trace_x' type_id=M ; then the PTR [M] ... type_id=K ; the FUNC_PROTO line has vlen.
    std::smatch m;
    if (!std::regex_search(out.out, m, std::regex("type_id=([0-9]+)")))
        return -1;
    std::string ptr_id = m[1];
    auto ptr = glassbox_test::run_command(
        {"/bin/sh", "-c", "bpftool btf dump file /sys/kernel/btf/vmlinux format raw | grep -E '^\\[" + ptr_id + "\\] PTR'"});
    if (!std::regex_search(ptr.out, m, std::regex("type_id=([0-9]+)")))
        return -1;
    std::string proto_id = m[1];
    auto proto = glassbox_test::run_command(
        {"/bin/sh", "-c", "bpftool btf dump file /sys/kernel/btf/vmlinux format raw | grep -E '^\\[" + proto_id + "\\] FUNC_PROTO'"});
    if (!std::regex_search(proto.out, m, std::regex("vlen=([0-9]+)")))
        return -1;
    return std::stoi(m[1]) - 1;
}

} // namespace

TEST_CASE("tracepoint argument counts come from the kernel BTF's prototypes", "[kernel_features]") {
    // The build needs /sys/kernel/btf/vmlinux (docs/testing.md), so the unit tier may read it.
    std::unique_ptr<struct btf, btf_free> b(btf__parse("/sys/kernel/btf/vmlinux", nullptr));
    REQUIRE(b);
    // Stable on every kernel glassbox supports: sys_enter(regs, id), sched_process_fork(parent,
    // child), sched_process_exec(p, old_pid, bprm).
    CHECK(tracepoint_arg_count(b.get(), "sys_enter") == 2);
    CHECK(tracepoint_arg_count(b.get(), "sys_exit") == 2);
    CHECK(tracepoint_arg_count(b.get(), "sched_process_fork") == 2);
    CHECK(tracepoint_arg_count(b.get(), "sched_process_exec") == 3);
    CHECK(tracepoint_arg_count(b.get(), "no_such_tracepoint_glassbox") == -1);
    CHECK(tracepoint_arg_count(nullptr, "sys_enter") == -1);
    // sched_process_exit gained `group_dead` in a later kernel: 1 or 2 depending on this kernel,
    // and exactly what bpftool reads from the same prototype.
    int exit_args = tracepoint_arg_count(b.get(), "sched_process_exit");
    CHECK((exit_args == 1 || exit_args == 2));
    CHECK(exit_args == bpftool_arg_count("sched_process_exit"));
    CHECK(tracepoint_arg_count(b.get(), "sys_enter") == bpftool_arg_count("sys_enter"));
}

TEST_CASE("kfuncs are BTF_KIND_FUNC entries of the kernel BTF", "[kernel_features]") {
    std::unique_ptr<struct btf, btf_free> b(btf__parse("/sys/kernel/btf/vmlinux", nullptr));
    REQUIRE(b);
    // Any kernel with BTF has these functions; the kfunc names depend on the kernel version.
    CHECK(btf_has_func(b.get(), "do_exit"));
    CHECK_FALSE(btf_has_func(b.get(), "no_such_function_glassbox"));
    CHECK_FALSE(btf_has_func(b.get(), "btf_trace_sys_enter")); // a typedef, not a function
    auto dump = glassbox_test::run_command(
        {"/bin/sh", "-c",
         "bpftool btf dump file /sys/kernel/btf/vmlinux format raw | grep -c \"FUNC 'bpf_task_from_pid'\""});
    CHECK(btf_has_func(b.get(), "bpf_task_from_pid") == (std::stoi(dump.out) > 0));
    CHECK_FALSE(btf_has_func(nullptr, "do_exit"));
}
