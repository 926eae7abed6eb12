// What the running kernel gives glassbox, probed from userspace, in glassbox's own terms: one
// probe module that `glassbox doctor`, the recorder (the trace header's coverage) and enforcement
// can all use. Nothing here changes the system: BPF probes load tiny programs and close them, the
// io_uring probe makes and closes one ring, the 32-bit probe runs in a forked child.
// Implementation: tracer/record/kernel_features.cpp. Documented in docs/doctor.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct btf; // libbpf

namespace glassbox {

enum class feature_state {
    present, // seen working (or, for passive facts, seen in the kernel's own description)
    absent,  // the kernel does not have it, or refuses it
    unknown, // could not tell (usually: not enough privilege to try)
};

std::string_view to_string(feature_state s);

struct feature {
    feature_state state = feature_state::unknown;
    std::string detail; // where it was seen, or why it is absent / unknown (one short phrase)

    bool present() const { return state == feature_state::present; }
    bool absent() const { return state == feature_state::absent; }
};

// A feature known by name (a kfunc, a tracepoint).
struct named_feature {
    std::string name;
    feature status;
    std::string kernel_name; // tracepoints: the kernel's name for it (empty when absent)
    int args = -1;           // tracepoints: the arguments a tp_btf program gets; -1 when absent
};

struct privileges {
    bool cap_bpf = false;       // load BPF programs and maps
    bool cap_perfmon = false;   // tracing programs, reading kernel memory from BPF
    bool cap_sys_admin = false; // cgroups, namespaces, mounts, seccomp listener across users
    bool complete() const { return cap_bpf && cap_perfmon && cap_sys_admin; }
};

struct kernel_features {
    std::string release; // uname -r
    std::string machine; // uname -m

    feature btf;                  // /sys/kernel/btf/vmlinux, parsed
    feature cgroup2;              // detail: the mount point
    std::string cgroup2_mount;    // empty when cgroup v2 is not mounted
    std::string cgroup_layout;    // unified, hybrid, legacy, none
    feature bpffs;                // informational: glassbox pins nothing
    feature tracefs;              // informational: nothing in glassbox needs tracefs
    feature private_stack;        // a tp_btf program whose call chain uses > 512 bytes of stack loads

    std::vector<named_feature> kfuncs;      // bpf_task_from_pid, bpf_task_release, bpf_rdonly_cast
    // The tp_btf tracepoints, under glassbox's names: sys_enter, sys_exit, sched_process_exec,
    // sched_process_fork, sched_process_exit, io_uring_submit, io_uring_complete. The detail names
    // the kernel's tracepoint (io_uring_submit is io_uring_submit_req, io_uring_submit_sqe on 6.1).
    std::vector<named_feature> tracepoints;
    std::string io_uring_submit_tracepoint; // the kernel's name; empty when neither exists
    int sched_process_exit_args = -1;       // 1 (task) or 2 (task, group_dead); -1 when unknown

    feature io_uring;          // kernel.io_uring_disabled and a real io_uring_setup
    feature syscall32;         // the int 0x80 entry (IA32 emulation) answers
    int landlock_abi = 0;      // 0 when Landlock is unavailable
    feature landlock;
    feature seccomp_user_notif; // SECCOMP_RET_USER_NOTIF available (and its sizes readable)
    feature cgroup_sock_addr;   // connect4/6, sendmsg4/6, bind4/6 programs load
    feature cgroup_unix_hooks;  // BPF_CGROUP_UNIX_CONNECT / _SENDMSG (Linux 6.7)
    feature cgroup_skb;         // ingress/egress programs load
    feature cgroup_skb_pid;     // bpf_get_current_pid_tgid callable from cgroup_skb (DNS attribution)
    feature bpf_lsm;            // "bpf" is an active LSM and an LSM program loads
    feature fentry;             // an fentry program loads and attaches
    feature kprobes;            // the kprobe PMU exists
    std::string lockdown;       // none, integrity, confidentiality; empty when unknown
    privileges privs;

    const feature* kfunc(std::string_view name) const;
    const feature* tracepoint(std::string_view name) const;
};

// Runs every probe. Never throws; an unanswerable probe gives feature_state::unknown.
kernel_features probe_kernel_features();

// ---- the pure parts, exposed for tests -----------------------------------------------------

// /sys/kernel/security/lsm ("lockdown,capability,landlock,bpf") -> its names.
std::vector<std::string> parse_lsm_list(std::string_view text);

// /sys/kernel/security/lockdown ("none [integrity] confidentiality") -> the bracketed mode.
std::string parse_lockdown(std::string_view text);

// The CapEff mask of a /proc/PID/status text.
std::optional<std::uint64_t> parse_cap_eff(std::string_view status_text);

// The arguments a tp_btf program gets from tracepoint `name` (its btf_trace_<name> typedef's
// prototype, less the leading `void *__data`); -1 when the kernel has no such tracepoint.
int tracepoint_arg_count(const struct btf* vmlinux, std::string_view name);

// A BTF_KIND_FUNC named `name` (how kfuncs are found in vmlinux BTF).
bool btf_has_func(const struct btf* vmlinux, std::string_view name);

// Whether cgroup sock_addr programs load for unix socket addresses (Linux 6.7's
// BPF_CGROUP_UNIX_CONNECT / _SENDMSG): a tiny program per attach type, loaded and closed. Asked by
// doctor and by enforce before its real load.
feature probe_unix_hooks(bool may_bpf);

// Whether BPF LSM programs load and attach here (the recorder's LSM guard asks the same question
// as `glassbox doctor`). `may_bpf`: glassbox has the privileges to load BPF (else: unknown).
feature probe_bpf_lsm(const struct btf* vmlinux, bool may_bpf);

// The running kernel's Landlock ABI version, 0 when Landlock is unavailable or disabled.
int landlock_abi();

// A Landlock ruleset (ABI 6+) that handles no file or network access and scopes signals: a
// domain made from it refuses signals and ptrace to processes outside it and restricts nothing
// else (one that handled file access would also forbid mounts). Its descriptor, or -1 (errno).
// Used by `run --protect` and by enforce when the profile allows no signals.
int landlock_scope_signal_ruleset();

} // namespace glassbox
