// The trace header's `coverage` object (docs/trace-format.md) against what the running kernel
// offers, read here from its BTF (with the probes `glassbox doctor` uses): the build of the BPF object, the shape of
// sched_process_exit, the io_uring tracepoints. Runs on the host and inside the kernel matrix
// (tests/vm.cmake), where 6.1 takes the legacy build and 6.12 lacks group_dead.
#include "helpers.hpp"

#include <catch2/catch.hpp>

#include <glassbox/kernel_features.hpp>

#include <bpf/btf.h>

#include <set>

using namespace gbtest;

namespace {

struct kernel_facts {
    bool kfuncs = false;          // bpf_rdonly_cast and bpf_task_from_pid
    bool exit_group_dead = false; // sched_process_exit(task, group_dead)
    bool uring = false;           // an io_uring submit tracepoint and io_uring_complete
};

kernel_facts read_kernel() {
    kernel_facts k;
    struct btf* btf = btf__parse("/sys/kernel/btf/vmlinux", nullptr);
    REQUIRE(btf != nullptr);
    k.kfuncs = btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) >= 0 &&
               btf__find_by_name_kind(btf, "bpf_task_from_pid", BTF_KIND_FUNC) >= 0;
    k.exit_group_dead = glassbox::tracepoint_arg_count(btf, "sched_process_exit") >= 2;
    k.uring = (glassbox::tracepoint_arg_count(btf, "io_uring_submit_req") >= 1 ||
               glassbox::tracepoint_arg_count(btf, "io_uring_submit_sqe") >= 1) &&
              (glassbox::tracepoint_arg_count(btf, "io_uring_complete") == 3 || glassbox::tracepoint_arg_count(btf, "io_uring_complete") >= 4);
    btf__free(btf);
    return k;
}

} // namespace

TEST_CASE("the trace header's coverage says what this kernel lets the recorder observe", "[root][record][coverage]") {
    temp_dir dir;
    std::string out = dir / "t.jsonl";
    REQUIRE(run({GLASSBOX_BIN, "run", "-q", "--out", out, "--", "/bin/true"}) == 0);
    auto trace = load_trace(out);
    REQUIRE(trace.size() >= 2);
    const json& hdr = trace.front();
    REQUIRE(hdr.contains("coverage"));
    const json& cov = hdr["coverage"];
    kernel_facts k = read_kernel();

    CHECK(cov["variant"] == (k.kfuncs ? "kfunc" : "legacy"));
    const std::set<std::string> families{"process", "exit",   "file",       "file_changes", "net",      "unix_peer",
                                         "dns",     "signals", "privileged", "abi32",        "io_totals", "io_uring"};
    std::set<std::string> seen;
    bool all_clean = true;
    for (const auto& [name, f] : cov["families"].items()) {
        seen.insert(name);
        INFO("family " << name);
        REQUIRE(f.contains("observed"));
        if (f["observed"].get<bool>()) {
            CHECK(!str_or(f, "via").empty());
            CHECK(!f.contains("reason"));
        } else {
            CHECK(!str_or(f, "reason").empty());
            all_clean = false;
        }
        if (f.contains("degraded"))
            all_clean = false;
    }
    CHECK(seen == families);
    CHECK(cov["complete"].get<bool>() == all_clean);

    // Each family's state follows from the kernel's own facts.
    CHECK(cov["families"]["io_uring"]["observed"].get<bool>() == k.uring);
    CHECK(cov["families"]["signals"].contains("degraded") == !k.kfuncs);
    CHECK(str_or(cov["families"]["exit"], "via").find(k.exit_group_dead ? "group_dead" : "signal->live") !=
          std::string::npos);

    // The summary repeats every gap, and only when there is one.
    const json& sum = trace.back();
    REQUIRE(sum["type"] == "summary");
    if (all_clean)
        CHECK(!sum.contains("coverage_gaps"));
    else
        CHECK(sum["coverage_gaps"].size() >= 1);
}

TEST_CASE("the option --require-complete-coverage records on a complete kernel and refuses, exit 69, elsewhere",
          "[root][record][coverage]") {
    temp_dir dir;
    std::string out = dir / "t.jsonl";
    kernel_facts k = read_kernel();
    bool complete = k.kfuncs && k.uring;
    auto r = glassbox_test::run_command({GLASSBOX_BIN, "run", "-q", "--require-complete-coverage", "--out", out, "--",
                                         "/bin/true"},
                                        true);
    if (complete) {
        CHECK(r.status == 0);
        CHECK(std::filesystem::exists(out));
    } else {
        CHECK(r.status == 69);
        CHECK(r.err.find("coverage is not complete") != std::string::npos);
        CHECK(!std::filesystem::exists(out));
    }
}

TEST_CASE("open(\"/\") is recorded as \"/\", the task's root, not the filesystem under it", "[root][record][coverage]") {
    temp_dir dir;
    std::string out = dir / "t.jsonl";
    REQUIRE(run({GLASSBOX_BIN, "run", "-q", "--out", out, "--", "/bin/ls", "/"}) == 0);
    auto opens = find_all(load_trace(out), [](const json& e) { return e["type"] == "open" && str_or(e, "raw_path") == "/"; });
    REQUIRE(!opens.empty());
    for (const auto& e : opens)
        CHECK(e["path"] == "/");
}
