// Exec backstop for `glassbox enforce` when processes.exec has globs Landlock cannot express (or
// paths that do not exist yet): Landlock then allows execution in the whole enclosing hierarchy,
// and the seccomp supervisor decides each execve/execveat exactly, at exec time. It answers
// CONTINUE for an allowed exec after reading the path, which alone would be raceable (another
// thread can rewrite the path buffer, swap a symlink or chdir after the check), so it first
// records which file it approved for that thread; here, after the kernel has committed to the
// new image but before any instruction of it runs, the executed file must be that one, or the
// task is killed. Loaded only when a profile needs it (it needs the kernel's BTF: tp_btf).
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include <glassbox/enforce_net.h>

#include "enforce_common.h"

#define SIGKILL 9

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096);
    __type(key, __u32); /* global tid that made the exec call */
    __type(value, struct gb_exec_ok);
} gb_exec_ok SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} gb_exec_cgroup SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16 * 1024);
} gb_exec_reports SEC(".maps");

SEC("tp_btf/sched_process_exec")
int BPF_PROG(gb_exec_check, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) {
    if (bpf_current_task_under_cgroup(&gb_exec_cgroup, 0) != 1)
        return 0;
    __u32 tid = old_pid;
    struct gb_exec_ok *ok = bpf_map_lookup_elem(&gb_exec_ok, &tid);
    /* CO-RE reads: the layouts of linux_binprm, file and inode differ between kernels (a direct
     * load at the build host's offsets read the wrong field on 6.12). */
    struct file *f = BPF_CORE_READ(bprm, file);
    struct inode *ino = f ? BPF_CORE_READ(f, f_inode) : 0;
    __u64 i_ino = ino ? BPF_CORE_READ(ino, i_ino) : 0;
    __u32 dev = ino ? BPF_CORE_READ(ino, i_sb, s_dev) : 0;
    int match = ok && ino && ok->ino == i_ino && ok->dev == dev;
    if (ok)
        bpf_map_delete_elem(&gb_exec_ok, &tid);
    if (match)
        return 0;
    bpf_send_signal(SIGKILL);
    struct gb_net_report *r = bpf_ringbuf_reserve(&gb_exec_reports, sizeof(*r), 0);
    if (!r)
        return 0;
    __builtin_memset(r, 0, sizeof(*r));
    gb_stamp_task(&r->ts_ns, &r->pid, &r->tid);
    __builtin_memcpy(&r->addr[0], &dev, 4);
    __builtin_memcpy(&r->addr[4], &i_ino, 8);
    r->hook = GB_HOOK_EXEC;
    bpf_get_current_comm(r->comm, sizeof(r->comm));
    bpf_ringbuf_submit(r, 0);
    return 0;
}

// The license is net.bpf.c's (both are linked into one object).
