// glassbox doctor: what this machine's kernel gives glassbox, and from that what `run` records and
// `enforce` enforces here and what they cannot (docs/doctor.md). What `run` records comes from a
// dry load of the recorder (the coverage a trace header would carry); the kernel rows and what
// `enforce` enforces from include/glassbox/kernel_features.hpp's probes. This file turns both into
// verdicts, a table on the terminal or a JSON document, and the exit status (0 complete,
// 1 degraded, 77 no privilege).
#include "cli/doctor.hpp"

#include "enforce/landlock.hpp"

#include <glassbox/cli.hpp>
#include <glassbox/error.hpp>
#include <glassbox/log.hpp>

#include <CLI/CLI.hpp>
#include <fmt/color.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <memory>

namespace glassbox::doctor {

std::string_view to_string(verdict v) {
    switch (v) {
    case verdict::yes:
        return "yes";
    case verdict::partial:
        return "partial";
    case verdict::no:
        return "no";
    case verdict::not_applicable:
        return "n/a";
    case verdict::unknown:
        break;
    }
    return "unknown";
}

namespace {

verdict from(const feature& f) {
    switch (f.state) {
    case feature_state::present:
        return verdict::yes;
    case feature_state::absent:
        return verdict::no;
    case feature_state::unknown:
        break;
    }
    return verdict::unknown;
}

const feature& tp(const kernel_features& k, std::string_view name) {
    static const feature missing{feature_state::unknown, "not probed"};
    const feature* f = k.tracepoint(name);
    return f ? *f : missing;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : std::string(sep)) + s;
    return out;
}

// Why a feature-backed row is not "yes": an absent feature has a consequence; an unknown one only
// its reason (nothing is claimed about what the probe could not test).
std::string gap(const feature& f, std::string_view consequence) {
    return f.absent() ? fmt::format("{}: {}", f.detail, consequence) : f.detail;
}

} // namespace

std::string_view to_string(recorder_load::outcome o) {
    switch (o) {
    case recorder_load::outcome::loaded:
        return "loaded";
    case recorder_load::outcome::failed:
        return "failed";
    case recorder_load::outcome::not_tried:
        break;
    }
    return "not tried";
}

recorder_load dry_load_recorder() {
    recorder_load out;
    // The recorder warns once per optional program the kernel refuses ("recording without it");
    // here the row says it, so at the default level those lines would only repeat the table.
    const auto level = spdlog::get_level();
    if (level == spdlog::level::warn || level == spdlog::level::info)
        spdlog::set_level(spdlog::level::err);
    const auto t0 = std::chrono::steady_clock::now();
    try {
        // The options `glassbox run` uses by default: the same programs and maps, loaded the same
        // way. Destroyed at the end of this block: nothing was attached, nothing recorded.
        auto rec = record::recorder::create({});
        out.cov = rec->coverage();
        out.state = recorder_load::outcome::loaded;
    } catch (const fatal_error& e) {
        out.state = e.code() == exit_code::no_permission ? recorder_load::outcome::not_tried
                                                         : recorder_load::outcome::failed;
        out.error = e.what();
    }
    out.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    spdlog::set_level(level);
    return out;
}

namespace {

// The header's family names (record.hpp, coverage_of() in recorder.cpp) in doctor's words.
std::string family_label(std::string_view name) {
    static const std::map<std::string_view, std::string_view> labels{
        {"process", "process (exec, fork)"},
        {"exit", "process exits"},
        {"file", "file opens"},
        {"file_changes", "file changes (unlink, rename, ...)"},
        {"net", "network (connect, bind, ...)"},
        {"unix_peer", "unix peers' executables"},
        {"dns", "DNS queries"},
        {"signals", "signals"},
        {"privileged", "privileged syscalls"},
        {"abi32", "32-bit syscalls (int 0x80)"},
        {"io_totals", "bytes per descriptor"},
        {"io_uring", "io_uring operations"},
    };
    auto it = labels.find(name);
    return std::string(it == labels.end() ? name : it->second);
}

} // namespace

std::vector<capability> recording_capabilities(const kernel_features& k, const recorder_load& load) {
    std::vector<capability> out;
    if (load.state != recorder_load::outcome::loaded) {
        // A refusal while glassbox lacks a capability (root without CAP_BPF) is not the kernel's.
        bool tried = load.state == recorder_load::outcome::failed && k.privs.complete();
        out.push_back({"every event family", tried ? verdict::no : verdict::unknown,
                       tried ? "the recorder does not load here: " + load.error
                             : "the recorder's programs could not be loaded to find out: " + load.error,
                       ""});
        return out;
    }
    for (const auto& f : load.cov.families) {
        capability c{family_label(f.name), verdict::yes, f.via, f.name};
        if (!f.observed) {
            c.state = verdict::no;
            c.detail = f.reason;
            // Not observed where the kernel lacks the thing itself: nothing can bypass the
            // recording through it either.
            if (f.name == "io_uring" && k.io_uring.absent()) {
                c.state = verdict::not_applicable;
                c.detail = fmt::format("{}; io_uring is unusable here anyway ({})", f.reason, k.io_uring.detail);
            }
        } else if (!f.degraded.empty()) {
            c.state = verdict::partial;
            c.detail = fmt::format("{}; {}", f.via, f.degraded);
        } else if (f.name == "abi32" && k.syscall32.absent()) {
            c.state = verdict::not_applicable;
            c.detail = fmt::format("{}: nothing can enter through it", k.syscall32.detail);
        }
        out.push_back(std::move(c));
    }
    return out;
}

std::vector<capability> enforcement_capabilities(const kernel_features& k) {
    std::vector<capability> out;
    if (k.landlock_abi <= 0)
        out.push_back({"file rules (Landlock)", verdict::no,
                       k.landlock.detail + ": exec, unlink, rename, mkdir and truncate by path are NOT restricted; "
                                           "opens are still checked by the seccomp supervisor"});
    else if (auto limits = enforce::landlock_abi_limits(k.landlock_abi); !limits.empty())
        out.push_back({"file rules (Landlock)", verdict::partial, join(limits, "; ")});
    else
        out.push_back({"file rules (Landlock)", verdict::yes, fmt::format("Landlock ABI {}", k.landlock_abi)});

    out.push_back({"exact open checks (seccomp)", from(k.seccomp_user_notif),
                   k.seccomp_user_notif.present()
                       ? "every open is emulated and checked on the opened file's real path"
                       : gap(k.seccomp_user_notif, "opens are decided by Landlock hierarchies only")});

    std::string cgroup_note = k.cgroup2.present() ? "" : " (glassbox mounts its own cgroup2 hierarchy)";
    out.push_back({"network: connect, sendmsg, bind", from(k.cgroup_sock_addr),
                   k.cgroup_sock_addr.present() ? "cgroup sock_addr programs" + cgroup_note
                                                : gap(k.cgroup_sock_addr, "network rules are NOT enforced")});
    out.push_back({"network.accept rules", from(k.cgroup_skb),
                   k.cgroup_skb.present() ? "cgroup_skb ingress to TCP listeners"
                                          : gap(k.cgroup_skb, "accepted connections are NOT restricted")});
    // DNS rules need cgroup_skb only: without bpf_get_current_pid_tgid there (6.1) the legacy
    // object names the sender from its socket's connect/sendmsg (docs/enforce.md, "Kernels").
    out.push_back({"network.dns rules", from(k.cgroup_skb),
                   !k.cgroup_skb.present() ? gap(k.cgroup_skb, "DNS queries are NOT restricted")
                   : k.cgroup_skb_pid.present()
                       ? "cgroup_skb egress to UDP port 53"
                       : "cgroup_skb egress to UDP port 53; the sender is named from its socket's connect/sendmsg "
                         "(no bpf_get_current_pid_tgid in cgroup_skb here)"});
    out.push_back({"unix socket rules", from(k.cgroup_unix_hooks),
                   k.cgroup_unix_hooks.present() ? "cgroup unix connect/sendmsg programs"
                                                 : gap(k.cgroup_unix_hooks, "unix socket addresses are NOT restricted")});
    if (k.btf.present() && tp(k, "sched_process_exec").present())
        out.push_back({"exec rules at exec time", verdict::yes,
                       "seccomp supervisor + BPF exec backstop (tp_btf sched_process_exec)"});
    else
        out.push_back({"exec rules at exec time", k.btf.state == feature_state::unknown ? verdict::unknown : verdict::partial,
                       "no BPF exec backstop: exec globs are expanded when the sandbox starts, a program created "
                       "later cannot run"});
    return out;
}

std::vector<capability> protection_capabilities(const kernel_features& k) {
    std::vector<capability> out;
    // The recorder's LSM guard (bpf/record/guard.h) loads where this probe says LSM programs do.
    const bool guard = k.bpf_lsm.present();
    if (k.landlock_abi >= 6)
        out.push_back({"--protect pidns", verdict::yes,
                       fmt::format("the tree cannot name glassbox; its init is guarded by a Landlock domain (signals, "
                                   "ptrace){} and seccomp; glassbox's death kills the namespace",
                                   guard ? ", the LSM guard" : "")});
    else if (guard)
        out.push_back({"--protect pidns", verdict::yes,
                       fmt::format("the tree cannot name glassbox; its init is guarded by the LSM guard (signals, "
                                   "ptrace, /proc/1/mem) and seccomp (Landlock ABI {} has no scoping); glassbox's "
                                   "death kills the namespace",
                                   k.landlock_abi)});
    else
        out.push_back({"--protect pidns", verdict::partial,
                       fmt::format("the tree cannot name glassbox and glassbox's death kills the namespace; its init "
                                   "is guarded by seccomp only (Landlock ABI {} < 6, no BPF LSM): a root tree can "
                                   "write the init's memory through /proc/1/mem",
                                   k.landlock_abi)});
    out.push_back({"--protect landlock", k.landlock_abi >= 6 ? verdict::yes : verdict::no,
                   k.landlock_abi >= 6 ? fmt::format("Landlock ABI {}: signals and ptrace out of the tree refused; "
                                                     "the tree keeps the machine's pids",
                                                     k.landlock_abi)
                                       : fmt::format("needs Landlock ABI 6 (Linux 6.12), this kernel has {}: use "
                                                     "--protect pidns",
                                                     k.landlock_abi)});
    verdict gv = guard ? verdict::yes : k.bpf_lsm.state == feature_state::unknown ? verdict::unknown : verdict::no;
    out.push_back({"attach --protect guard", gv,
                   guard ? std::string("the LSM guard refuses the attached tree's signals, ptrace, limits and "
                                       "priority changes on glassbox, and its BPF objects by id")
                         : fmt::format("no BPF LSM ({}): a root target can kill or stop glassbox; --fail-closed "
                                       "then ends the target",
                                       k.bpf_lsm.detail)});
    return out;
}

int exit_status(const kernel_features& k, const std::vector<capability>& recording,
                const std::vector<capability>& enforcement) {
    if (!k.privs.complete())
        return to_int(exit_code::no_permission);
    for (const auto* rows : {&recording, &enforcement})
        for (const auto& c : *rows)
            if (c.state != verdict::yes && c.state != verdict::not_applicable)
                return 1;
    return 0;
}

namespace {

nlohmann::ordered_json feature_json(const feature& f) {
    return {{"state", std::string(glassbox::to_string(f.state))}, {"detail", f.detail}};
}

} // namespace

nlohmann::ordered_json rows_json(const std::vector<capability>& rows) {
    auto out = nlohmann::ordered_json::array();
    for (const auto& c : rows) {
        nlohmann::ordered_json r{{"family", c.family}, {"state", std::string(to_string(c.state))}, {"detail", c.detail}};
        if (!c.key.empty())
            r["coverage_family"] = c.key;
        out.push_back(std::move(r));
    }
    return out;
}


nlohmann::ordered_json to_json(const kernel_features& k, const recorder_load& load,
                               const std::vector<capability>& recording, const std::vector<capability>& enforcement) {
    nlohmann::ordered_json j;
    j["glassbox"] = glassbox::version();
    j["kernel"] = {{"release", k.release}, {"machine", k.machine}};
    j["privileges"] = {{"cap_bpf", k.privs.cap_bpf},
                       {"cap_perfmon", k.privs.cap_perfmon},
                       {"cap_sys_admin", k.privs.cap_sys_admin},
                       {"complete", k.privs.complete()}};
    auto& f = j["features"];
    f["btf"] = feature_json(k.btf);
    f["cgroup2"] = feature_json(k.cgroup2);
    f["cgroup2"]["mount"] = k.cgroup2_mount.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(k.cgroup2_mount);
    f["cgroup2"]["layout"] = k.cgroup_layout;
    f["bpffs"] = feature_json(k.bpffs);
    f["tracefs"] = feature_json(k.tracefs);
    f["private_stack"] = feature_json(k.private_stack);
    f["io_uring"] = feature_json(k.io_uring);
    f["syscall32"] = feature_json(k.syscall32);
    f["landlock"] = feature_json(k.landlock);
    f["landlock"]["abi"] = k.landlock_abi;
    f["seccomp_user_notif"] = feature_json(k.seccomp_user_notif);
    f["cgroup_sock_addr"] = feature_json(k.cgroup_sock_addr);
    f["cgroup_unix_hooks"] = feature_json(k.cgroup_unix_hooks);
    f["cgroup_skb"] = feature_json(k.cgroup_skb);
    f["cgroup_skb_pid"] = feature_json(k.cgroup_skb_pid);
    f["bpf_lsm"] = feature_json(k.bpf_lsm);
    f["fentry"] = feature_json(k.fentry);
    f["kprobes"] = feature_json(k.kprobes);
    f["lockdown"] = k.lockdown.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(k.lockdown);
    auto& kfuncs = j["kfuncs"];
    kfuncs = nlohmann::ordered_json::object();
    for (const auto& kfn : k.kfuncs)
        kfuncs[kfn.name] = feature_json(kfn.status);
    auto& tps = j["tracepoints"];
    tps = nlohmann::ordered_json::object();
    for (const auto& t : k.tracepoints) {
        auto e = feature_json(t.status);
        e["kernel_name"] = t.kernel_name.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(t.kernel_name);
        e["args"] = t.args < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(t.args);
        tps[t.name] = e;
    }
    j["recorder_load"] = {{"state", std::string(to_string(load.state))},
                          {"detail", load.state == recorder_load::outcome::loaded
                                         ? nlohmann::ordered_json(nullptr)
                                         : nlohmann::ordered_json(load.error)},
                          {"ms", static_cast<long>(load.ms + 0.5)}};
    // The header's own serialisation, parsed back: the same keys in the same order.
    j["coverage"] = load.state == recorder_load::outcome::loaded ? nlohmann::ordered_json::parse(load.cov.json())
                                                                 : nlohmann::ordered_json(nullptr);
    j["recording"] = rows_json(recording);
    j["enforcement"] = rows_json(enforcement);
    int status = exit_status(k, recording, enforcement);
    j["verdict"] = status == 0 ? "complete" : status == 1 ? "degraded" : "no-privilege";
    j["exit"] = status;
    return j;
}

} // namespace glassbox::doctor

namespace glassbox {

namespace {

using doctor::capability;
using doctor::verdict;

constexpr const char* kFooter = R"(What is probed (docs/doctor.md): BTF, cgroup v2, bpffs and tracefs (informational), BPF
private stacks, the kfuncs and tp_btf tracepoints glassbox uses, io_uring, the 32-bit syscall entry,
Landlock, seccomp user notification, cgroup socket hooks, BPF LSM, fentry, kprobes, lockdown and
glassbox's own privileges. Probes load tiny BPF programs and close them; nothing is changed.
What `run` records comes from a dry load of the recorder itself: its BPF programs are loaded
exactly as `glassbox run` loads them, never attached, and unloaded; the rows (and --json's
`coverage`, the same object as a trace header's) are that load's coverage.

Exit status:
  0   complete: everything glassbox records and enforces works on this kernel
  1   degraded: some event family is not recorded or some rule family not enforced (see the rows),
      or the recorder does not load at all here (the row names the refused program and the
      verifier's reason)
  77  not enough privilege to probe everything (needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN:
      run as root); what could be probed is still printed

Examples:
  sudo glassbox doctor                 # the table
  sudo glassbox doctor --json | jq .recording
  sudo glassbox doctor --json | jq .coverage     # as in the header of a trace recorded here
  sudo glassbox doctor --json | jq -r '.tracepoints.sched_process_exit.args')";

struct doctor_cli {
    bool json = false;
};

fmt::text_style style_for(std::string_view state, bool colour) {
    if (!colour)
        return {};
    if (state == "yes" || state == "present")
        return fg(fmt::terminal_color::green);
    if (state == "no" || state == "absent")
        return fg(fmt::terminal_color::red);
    if (state == "partial" || state == "unknown")
        return fg(fmt::terminal_color::yellow);
    return fmt::emphasis::faint;
}

void print_row(std::string_view name, std::string_view state, std::string_view detail, bool colour) {
    fmt::print("  {:<34} ", name);
    fmt::print(style_for(state, colour), "{:<8}", state);
    fmt::print(" {}\n", detail);
}

void print_feature(std::string_view name, const feature& f, bool colour) {
    print_row(name, glassbox::to_string(f.state), f.detail, colour);
}

void print_heading(std::string_view text, bool colour) {
    if (colour)
        fmt::print(fmt::emphasis::bold, "\n{}\n", text);
    else
        fmt::print("\n{}\n", text);
}

void print_table(const kernel_features& k, const doctor::recorder_load& load, const std::vector<capability>& recording,
                 const std::vector<capability>& enforcement, const std::vector<capability>& protection, int status) {
    const bool colour = stdout_is_tty();
    fmt::print("glassbox doctor: Linux {} ({})\n", k.release, k.machine);

    print_heading("Kernel", colour);
    print_feature("BTF", k.btf, colour);
    print_feature("cgroup v2", k.cgroup2, colour);
    print_feature("bpffs", k.bpffs, colour);
    print_feature("tracefs", k.tracefs, colour);
    print_feature("BPF private stacks", k.private_stack, colour);
    print_feature("io_uring", k.io_uring, colour);
    print_feature("32-bit syscall entry", k.syscall32, colour);
    print_feature("Landlock", k.landlock, colour);
    print_feature("seccomp user notification", k.seccomp_user_notif, colour);
    print_feature("cgroup socket hooks (sock_addr)", k.cgroup_sock_addr, colour);
    print_feature("cgroup unix socket hooks", k.cgroup_unix_hooks, colour);
    print_feature("cgroup_skb", k.cgroup_skb, colour);
    print_feature("cgroup_skb: current pid", k.cgroup_skb_pid, colour);
    print_feature("BPF LSM", k.bpf_lsm, colour);
    print_feature("fentry/fexit", k.fentry, colour);
    print_feature("kprobes", k.kprobes, colour);
    print_row("lockdown", k.lockdown.empty() ? "unknown" : k.lockdown,
              k.lockdown.empty() ? "securityfs is not mounted" : "/sys/kernel/security/lockdown", colour);

    print_heading("kfuncs", colour);
    for (const auto& f : k.kfuncs)
        print_feature(f.name, f.status, colour);
    print_heading("Tracepoints (tp_btf)", colour);
    for (const auto& t : k.tracepoints)
        print_feature(t.name, t.status, colour);

    print_heading("Privileges", colour);
    print_row("CAP_BPF", k.privs.cap_bpf ? "yes" : "no", "load BPF programs and maps", colour);
    print_row("CAP_PERFMON", k.privs.cap_perfmon ? "yes" : "no", "tracing programs, reading kernel memory", colour);
    print_row("CAP_SYS_ADMIN", k.privs.cap_sys_admin ? "yes" : "no", "cgroups, namespaces, seccomp listener", colour);

    print_heading("glassbox run records here", colour);
    if (load.state == doctor::recorder_load::outcome::loaded)
        fmt::print("  (the recorder's programs loaded and unloaded in {:.0f} ms, {} build: what a trace's "
                   "header `coverage` says here)\n",
                   load.ms, load.cov.variant);
    for (const auto& c : recording)
        print_row(c.family, to_string(c.state), c.detail, colour);
    print_heading("glassbox enforce enforces here", colour);
    for (const auto& c : enforcement)
        print_row(c.family, to_string(c.state), c.detail, colour);
    print_heading("the traced tree cannot stop the recording", colour);
    for (const auto& c : protection)
        print_row(c.family, to_string(c.state), c.detail, colour);

    fmt::print("\n");
    if (status == to_int(exit_code::no_permission))
        fmt::print("Verdict: not enough privilege to probe everything (run as root); rows marked unknown "
                   "could not be tested (exit 77)\n");
    else if (status == 1)
        fmt::print("Verdict: degraded: the rows not marked yes or n/a are narrower on this kernel (exit 1)\n");
    else
        fmt::print("Verdict: complete: everything glassbox records and enforces works here (exit 0)\n");
}

void run_doctor(const doctor_cli& o) {
    kernel_features k = probe_kernel_features();
    doctor::recorder_load load = doctor::dry_load_recorder();
    auto recording = doctor::recording_capabilities(k, load);
    auto enforcement = doctor::enforcement_capabilities(k);
    auto protection = doctor::protection_capabilities(k);
    auto not_recording = enforcement;
    not_recording.insert(not_recording.end(), protection.begin(), protection.end());
    int status = doctor::exit_status(k, recording, not_recording);
    if (o.json) {
        auto j = doctor::to_json(k, load, recording, not_recording);
        j["enforcement"] = doctor::rows_json(enforcement);
        j["protection"] = doctor::rows_json(protection);
        fmt::print("{}\n", j.dump(2));
    } else {
        print_table(k, load, recording, enforcement, protection, status);
    }
    set_command_exit(status);
}

} // namespace

void register_doctor(CLI::App& app) {
    auto o = std::make_shared<doctor_cli>();
    auto* cmd = app.add_subcommand("doctor", "Say what this machine's kernel gives glassbox: what `run` records "
                                             "and `enforce` enforces here, and what they cannot");
    cmd->footer(kFooter);
    cmd->add_flag("--json", o->json, "One JSON document instead of the table (docs/doctor.md)");
    cmd->callback([o] { run_doctor(*o); });
}

} // namespace glassbox
