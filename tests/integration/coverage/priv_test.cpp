// Issue 3, "Privileged operations": each operation of tests/fixtures/cov_priv.c is a `priv` event
// with `op`, its key arguments and its result (module loading with an invalid file: the attempt
// and its failure).
#include <regex>
#include "cov_helpers.hpp"

using namespace covtest;

TEST_CASE("privileged operations are priv events with key arguments and results", "[coverage][priv]") {
    temp_dir d;
    run_result r = run_traced(d, {"cov_priv", d.str()});
    auto op = [&](const char* name) { return r.all([&](const json& e) { return is(e, "priv") && e["op"] == name; }); };
    auto one = [&](const char* name) {
        auto v = op(name);
        INFO("priv op " << name);
        REQUIRE(v.size() >= 1);
        return v[0];
    };

    json fm = one("finit_module");
    CHECK(fm["path"] == r.act("finit_module").get("path"));
    CHECK(fm["params"] == "gbparam=1");
    CHECK(fm["ret"] == r.act("finit_module").ret());
    CHECK(fm["ret"].get<long long>() < 0);
    json im = one("init_module");
    CHECK(im["params"] == "p=2");
    CHECK(im["len"] == 7);
    CHECK(im["ret"] == r.act("init_module").ret());
    json dm = one("delete_module");
    CHECK(dm["name"] == "glassbox_no_such_module");
    CHECK(dm["ret"] == r.act("delete_module").ret());

    auto pt = op("ptrace");
    REQUIRE(pt.size() == 2);
    long long target = r.act("ptrace_attach").num("target");
    CHECK(pt[0]["request"] == "PTRACE_ATTACH");
    CHECK(pt[0]["target_pid"] == target);
    if (s(pt[0], "target_exe_source") == "proc") {
        // A kernel without bpf_task_from_pid (coverage: privileged degraded): the target is
        // named from /proc when the record is read, and this one may have exited by then.
        CHECK((pt[0]["target_exe"].is_null() || s(pt[0], "target_exe").find("cov_priv") != std::string::npos));
    } else {
        CHECK(s(pt[0], "target_exe").find("cov_priv") != std::string::npos);
    }
    CHECK(pt[1]["request"] == "PTRACE_DETACH");
    json vm = one("process_vm_readv");
    CHECK(vm["target_pid"] == target);
    CHECK(vm["ret"] == 8);

    json us = one("unshare");
    CHECK(us["flags"] == r.act("unshare").num("flags"));
    auto mounts = op("mount");
    REQUIRE(mounts.size() == 2);
    const action& m = r.act("mount");
    CHECK(mounts[1]["source"] == m.get("source"));
    CHECK(mounts[1]["target"] == m.get("target"));
    CHECK(mounts[1]["fstype"] == "tmpfs");
    CHECK(mounts[1]["flags"] == m.num("flags"));
    CHECK(mounts[1]["ret"] == 0);
    json um = one("umount2");
    CHECK(um["target"] == r.act("umount2").get("target"));
    CHECK(um["flags"] == r.act("umount2").num("flags"));
    CHECK(one("fsopen")["fsname"] == "tmpfs");
    json sn = one("setns");
    CHECK(sn["nstype"] == r.act("setns").num("nstype"));
    // The namespace file, named as /proc/PID/ns/uts reads: "uts:[INODE]".
    CHECK(std::regex_match(sn["path"].get<std::string>(), std::regex(R"(uts:\[[0-9]+\])")));
    CHECK(one("chroot")["path"] == d.str());

    CHECK(one("bpf")["cmd"] == "BPF_MAP_CREATE");
    CHECK(one("bpf")["ret"] == r.act("bpf").ret());
    json pe = one("perf_event_open");
    CHECK(pe["attr_type"] == r.act("perf_event_open").num("type"));
    CHECK(pe["attr_config"] == r.act("perf_event_open").num("config"));
    CHECK(pe["target_pid"] == 0);
    CHECK(pe["cpu"] == -1);
    CHECK(one("iopl")["level"] == 3);
    CHECK(one("iopl")["ret"] == r.act("iopl").ret());
    CHECK(one("ioperm")["from"] == 128);

    json nh = one("name_to_handle_at");
    CHECK(nh["path"] == r.act("name_to_handle_at").get("path"));
    json oh = one("open_by_handle_at");
    // Resolved from the new descriptor; none when the call failed (a filesystem without file
    // handles, such as the kernel matrix's overlay on 9p, refuses name_to_handle_at first).
    if (r.act("open_by_handle_at").ret() >= 0)
        CHECK(oh["path"] == r.act("open_by_handle_at").get("path"));
    else
        CHECK(oh["path"].is_null());
    CHECK(oh["ret"] == r.act("open_by_handle_at").ret());

    json ak = one("add_key");
    CHECK(ak["key_type"] == "user");
    CHECK(ak["description"] == "glassbox-test-key");
    CHECK(ak["ret"] == r.act("add_key").ret());
    json kc = one("keyctl");
    CHECK(kc["cmd"] == "KEYCTL_REVOKE");
    CHECK(kc["arg2"] == r.act("keyctl").num("key"));

    CHECK(one("fanotify_init")["flags"] == r.act("fanotify_init").num("flags"));
    json fmk = one("fanotify_mark");
    CHECK(fmk["path"] == d.str());
    CHECK(fmk["mask"] == r.act("fanotify_mark").num("mask"));

    json mk = r.one("mknod", [&](const json& e) { return is(e, "mknod") && e["path"] == r.act("mknod").get("path"); });
    CHECK(mk["ret"] == 0);
}
