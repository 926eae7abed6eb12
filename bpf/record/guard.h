/* The guard (docs/recording.md, "Protection"): BPF LSM programs that refuse, with EPERM, what a
 * traced process does to glassbox's own processes (the recorder, its watchdog, the pid
 * namespace's init). They are what protects an `attach` recording, where glassbox cannot fence
 * off processes it did not start, and they close what the other protections leave open on older
 * kernels (/proc/1/mem of the init without Landlock's scoping, 6.1).
 *
 * The programs decide only; they emit nothing. Each refused call fails in the process that made
 * it, and the recorder's own sys_exit record of that call (signal, ptrace, process_vm_*,
 * prlimit64, sched_*, setpriority, ioprio_set, bpf) shows it with errno EPERM, so the attempt is
 * in the trace like any other failed call.
 *
 * Loaded only where the kernel runs the BPF LSM ("bpf" in lsm=, as Debian's 6.1 and 6.12 do) and
 * user space asks for it (recorder_options::guard); elsewhere the trace header says the guard is
 * absent and why. A process outside the traced tree (an administrator's kill) is never refused:
 * the test is the caller's scope, as for every record. */
#ifndef GLASSBOX_BPF_RECORD_GUARD_H
#define GLASSBOX_BPF_RECORD_GUARD_H

/* Included after syscalls.h (no include guard there): the tripwire uses its record builder. */
#include "../helpers/common.h"

#define GB_GUARD_EPERM 1
#define GB_MAX_GUARDED 16

/* glassbox's processes (tgids in the initial pid namespace), filled by user space before the
 * programs attach. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, GB_MAX_GUARDED);
    __type(key, __u32);
    __type(value, __u8);
} gb_guarded SEC(".maps");

static __always_inline bool gb_is_guarded(struct task_struct* target) {
    __u32 tgid = target->tgid;
    return bpf_map_lookup_elem(&gb_guarded, &tgid) != NULL;
}

/* The hook's verdict on an action of the current task against `target`: refused when the target
 * is glassbox's and the caller is traced. Glassbox's own processes are never in scope. */
static __always_inline int gb_guard(struct task_struct* target) {
    if (!gb_is_guarded(target) || !gb_in_scope())
        return 0;
    return -GB_GUARD_EPERM;
}

/* kill, tkill, tgkill, rt_(tg)sigqueueinfo, pidfd_send_signal, and each process kill(-1) or
 * kill(-pgrp) reaches. */
SEC("lsm/task_kill")
int BPF_PROG(gb_guard_task_kill, struct task_struct* p) {
    return gb_guard(p);
}

/* ptrace attach, /proc/PID/mem, environ, fd and maps, process_vm_readv/writev, pidfd_getfd
 * (which would hand the tree glassbox's BPF link descriptors), process_madvise, kcmp. */
SEC("lsm/ptrace_access_check")
int BPF_PROG(gb_guard_ptrace, struct task_struct* child) {
    return gb_guard(child);
}

/* prlimit64 with a new limit (RLIMIT_CPU 0 would end glassbox; RLIMIT_NOFILE or FSIZE starve it). */
SEC("lsm/task_setrlimit")
int BPF_PROG(gb_guard_setrlimit, struct task_struct* p) {
    return gb_guard(p);
}

/* sched_setscheduler, sched_setparam, sched_setattr, sched_setaffinity. */
SEC("lsm/task_setscheduler")
int BPF_PROG(gb_guard_setscheduler, struct task_struct* p) {
    return gb_guard(p);
}

/* setpriority, including PRIO_PGRP and PRIO_USER, which reach glassbox without naming it. */
SEC("lsm/task_setnice")
int BPF_PROG(gb_guard_setnice, struct task_struct* p) {
    return gb_guard(p);
}

SEC("lsm/task_setioprio")
int BPF_PROG(gb_guard_setioprio, struct task_struct* p) {
    return gb_guard(p);
}

/* SIGIO (or the F_SETSIG signal, SIGKILL included) sent through F_SETOWN on a descriptor of the
 * tree. The caller here is whoever made the descriptor ready, not necessarily the tree; glassbox
 * never asks for SIGIO, so every such signal to it is refused. */
SEC("lsm/file_send_sigiotask")
int BPF_PROG(gb_guard_sigio, struct task_struct* tsk) {
    return gb_is_guarded(tsk) ? -GB_GUARD_EPERM : 0;
}

/* bpf(): the commands that turn a global id into a descriptor, for an id of glassbox's own
 * programs, maps and links. With one, a root tree could delete itself from the scope set or detach
 * glassbox's programs; under `run` a seccomp filter refuses these commands for every id, but an
 * attached tree has none, and a daemon may list the machine's BPF objects for reasons of its own
 * (other ids stay open to it). Keys: the command << 32 | the id, filled by user space. */
#define GB_BPF_PROG_GET_FD_BY_ID 13
#define GB_BPF_MAP_GET_FD_BY_ID 14
#define GB_BPF_LINK_GET_FD_BY_ID 30
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u64);
    __type(value, __u8);
} gb_guarded_ids SEC(".maps");

SEC("lsm/bpf")
int BPF_PROG(gb_guard_bpf, int cmd, union bpf_attr* attr) {
    if (cmd != GB_BPF_PROG_GET_FD_BY_ID && cmd != GB_BPF_MAP_GET_FD_BY_ID && cmd != GB_BPF_LINK_GET_FD_BY_ID)
        return 0;
    /* prog_id, map_id and link_id share the first word of the attr (a kernel copy by now). */
    __u64 key = ((__u64)cmd << 32) | attr->prog_id;
    if (!bpf_map_lookup_elem(&gb_guarded_ids, &key))
        return 0;
    return gb_in_scope() ? -GB_GUARD_EPERM : 0;
}

/* The tripwire: a cgroup move has no LSM hook, so a tree could move glassbox (or its watchdog)
 * into a cgroup of its own and freeze or kill that cgroup. This tracepoint fires in the mover,
 * after the move: the mover is sent SIGKILL (it dies before it returns to user space, so it never
 * writes the freeze), and a `priv` record "cgroup_attach" names the process moved; glassbox then
 * moves itself back (tracer/record/session.cpp). A tp_btf program: it runs on every kernel the
 * recorder supports, with or without the BPF LSM. */
#define GB_NR_CGROUP_ATTACH 510 /* not a syscall: the table entry of the tripwire's record */

/* Moves seen (slot 0): glassbox's loop polls it to move back at once, without waiting for the
 * record to be formatted. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} gb_tripwire_hits SEC(".maps");

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(gb_tripwire_cgroup, struct cgroup* dst_cgrp, const char* path, struct task_struct* task) {
    if (!gb_is_guarded(task) || !gb_in_scope())
        return 0;
    bpf_send_signal(GB_SIGKILL);
    __u32 zero = 0;
    __u64* hits = bpf_map_lookup_elem(&gb_tripwire_hits, &zero);
    if (hits)
        __sync_fetch_and_add(hits, 1);
    struct gb_cov_frame* f = gb_cov_frame_get();
    __u32 key = GB_NR_CGROUP_ATTACH;
    struct gb_sys_spec* spec = bpf_map_lookup_elem(&gb_sys_specs, &key);
    if (!f || !spec) {
        gb_count_lost(GB_EV_PRIV);
        return 0;
    }
    __builtin_memset(&f->args, 0, sizeof(f->args));
    f->args.a[0] = (__u32)task->tgid;
    f->args.a[1] = BPF_CORE_READ(dst_cgrp, kn, id);
    f->req = (struct gb_sys_req){
        .ret = 0, .spec_nr = key, .raw_nr = key, .kind = GB_EV_PRIV, .via = GB_VIA_SYSCALL, .pid_global = 1};
    gb_cov_emit_sys(spec, &f->args, &f->req);
    return 0;
}

/* The signal tripwire, for kernels without the BPF LSM (where the guard refuses these signals,
 * they are never generated): a stop signal from the tree to one of glassbox's processes. It fires
 * in the sender, when the signal is generated: the sender is sent SIGKILL and dies before it
 * returns to user space, and glassbox and its watchdog continue each other (SIGCONT). The
 * sender's call is recorded by sys_exit, with glassbox as its target. (SIGKILL to glassbox is
 * gb_life_signal's, in process.h: it holds whatever the protection.) */
SEC("tp_btf/signal_generate")
int BPF_PROG(gb_tripwire_signal, int sig, struct kernel_siginfo* info, struct task_struct* task) {
    if (sig < GB_SIGSTOP || sig > GB_SIGTTOU || !gb_is_guarded(task) || !gb_in_scope())
        return 0;
    bpf_send_signal(GB_SIGKILL);
    return 0;
}

/* The call tripwire, where the guard does not run (user space sets gb_call_tripwire[0] when the
 * tripwires load and the guard does not): a traced process that enters ptrace or
 * process_vm_readv/writev naming one of glassbox's processes is sent SIGKILL. The call still runs
 * (nothing here can refuse it) and is recorded; the caller dies when it returns, so no second
 * call follows: a PTRACE_SEIZE is never followed by an interrupt or a poke (PTRACE_ATTACH is the
 * signal tripwire's already: it sends SIGSTOP). One process_vm_writev can still write glassbox's
 * memory, and /proc/PID/mem is not covered: the header says so. */
#define GB_NR_PTRACE 101
#define GB_NR_PROCESS_VM_READV 310
#define GB_NR_PROCESS_VM_WRITEV 311

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} gb_call_tripwire SEC(".maps");

static __always_inline void gb_tripwire_calls(struct gb_regs* regs, long id) {
    if (id != GB_NR_PTRACE && id != GB_NR_PROCESS_VM_READV && id != GB_NR_PROCESS_VM_WRITEV)
        return;
    __u32 zero = 0;
    __u32* on = bpf_map_lookup_elem(&gb_call_tripwire, &zero);
    if (!on || !*on)
        return;
    /* gb_guarded holds pids of the initial pid namespace: a caller in a namespace of its own
     * (--protect pidns, an attached container) passes numbers of its own, which name none of
     * glassbox's processes whatever they are. */
    struct task_struct* task = bpf_get_current_task_btf();
    if (task->thread_pid->level != 0) /* direct loads: a BPF_CORE_READ would take stack here */
        return;
    __u32 pid = (__u32)(id == GB_NR_PTRACE ? regs->si : regs->di);
    if (bpf_map_lookup_elem(&gb_guarded, &pid) && gb_in_scope())
        bpf_send_signal(GB_SIGKILL);
}

#endif
