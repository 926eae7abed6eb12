/* Process events of the recorder: fork (process or thread), exec (successful and failed) and
 * exit, plus the scope bookkeeping that follows a traced tree through forks whatever cgroup it
 * moves to. Data path: sched_process_fork/exec/exit and sys_enter/sys_exit(execve, execveat)
 * -> gb_event_scratch -> gb_events ring buffer. */
#include "helpers/common.h"
#include "helpers/path.h"

#define NR_EXECVE 59
#define NR_EXECVEAT 322
#define GB_AT_EMPTY_PATH 0x1000

/* Fork: the child inherits its parent's scope. Runs in the parent's context. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(gb_sched_fork, struct task_struct* parent, struct task_struct* child) {
    __u32 parent_tgid = BPF_CORE_READ(parent, tgid);
    if (!gb_pid_in_scope(parent_tgid) && bpf_current_task_under_cgroup(&gb_scope_cgroup, 0) != 1)
        return 0;
    __u32 child_tgid = BPF_CORE_READ(child, tgid);
    __u8 one = 1;
    if (bpf_map_update_elem(&gb_scope_pids, &child_tgid, &one, BPF_ANY) != 0)
        gb_count_lost(GB_EV_FORK); /* scope table full: the child is only followed by cgroup */
    gb_vpid_add(child);

    __u8* buf = gb_event_buf_or_lost(GB_EV_FORK);
    if (!buf)
        return 0;
    struct gb_fork_event* ev = (struct gb_fork_event*)buf;
    gb_fill_header_task(&ev->hdr, GB_EV_FORK, sizeof(*ev), parent);
    ev->child_pid = child_tgid;
    ev->child_tid = BPF_CORE_READ(child, pid);
    ev->flags = child_tgid == parent_tgid ? GB_FORK_THREAD : 0;
    ev->syscall = -1;
    struct task_struct* cur = bpf_get_current_task_btf();
    if (!(BPF_CORE_READ(cur, flags) & 0x00200000 /* PF_KTHREAD */)) {
        struct gb_regs* regs = (struct gb_regs*)bpf_task_pt_regs(cur);
        if (regs)
            ev->syscall = (__s32)regs->orig_ax;
    }
    gb_submit_scratch(sizeof(*ev), GB_EV_FORK);
    return 0;
}

/* Successful exec: the new program's file, argv as the kernel laid it out for the new program,
 * the cwd. Emitted here rather than at sys_exit because a non-leader thread that execs changes
 * its tid and the old memory (with the caller's argv pointers) is gone by then. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(gb_sched_exec, struct task_struct* task, pid_t old_pid, struct linux_binprm* bprm) {
    if (!gb_in_scope())
        return 0;
    gb_vpid_add(task); /* the launched command: forked by an init outside the scope */
    struct gb_inflight* in = gb_stash_lookup(); /* the exec'ing thread's own stash */
    __u32 nr = NR_EXECVE;
    __u64 at_flags = 0;
    if (in) {
        nr = in->nr;
        at_flags = in->args[4];
    }

    __u8* buf = gb_event_buf_or_lost(GB_EV_EXEC);
    if (!buf)
        goto out;
    struct gb_exec_event* ev = (struct gb_exec_event*)buf;
    const __u32 data_off = sizeof(*ev);
    __u32 pos = data_off;
    gb_fill_header_task(&ev->hdr, GB_EV_EXEC, 0, task);
    ev->ret = 0;
    ev->syscall = nr;
    ev->flags = 0;
    ev->old_pid = old_pid;

    const char* filename = BPF_CORE_READ(bprm, filename);
    const char* interp = BPF_CORE_READ(bprm, interp);
    struct file* file = BPF_CORE_READ(bprm, file);
    if (interp != filename)
        ev->flags |= GB_EXEC_SCRIPT;
    if (nr == NR_EXECVEAT && (at_flags & GB_AT_EMPTY_PATH))
        ev->flags |= GB_EXEC_FILELESS_FD;

    if (ev->flags & GB_EXEC_SCRIPT) {
        /* The script's struct file is already released here; its name is the string the kernel
         * opened (bprm->filename), made absolute with cwd in user space. The interpreter is the
         * file actually running. */
        pos = gb_put_kernel_str(buf, pos, data_off, &ev->path, filename);
        pos = gb_put_file_path(buf, pos, data_off, &ev->interpreter, file);
    } else {
        pos = gb_put_file_path(buf, pos, data_off, &ev->path, file);
        ev->interpreter.off = pos - data_off;
        ev->interpreter.len = 0;
        ev->interpreter.flags = 0;
    }
    pos = gb_put_kernel_str(buf, pos, data_off, &ev->raw_path, filename);
    struct fs_struct* fs = BPF_CORE_READ(task, fs);
    struct dentry* cwd_d = BPF_CORE_READ(fs, pwd.dentry);
    struct vfsmount* cwd_m = BPF_CORE_READ(fs, pwd.mnt);
    pos = gb_put_dentry_path(buf, pos, data_off, &ev->cwd, cwd_d, cwd_m);

    struct mm_struct* mm = BPF_CORE_READ(task, mm);
    unsigned long arg_start = BPF_CORE_READ(mm, arg_start);
    unsigned long arg_end = BPF_CORE_READ(mm, arg_end);
    __u64 arg_len = arg_end > arg_start ? arg_end - arg_start : 0;
    pos = gb_put_user_bytes(buf, pos, data_off, &ev->argv, (const void*)arg_start, arg_len,
                            GB_ARGV_MAX);
    ev->argc = 0; /* counted in user space from the NUL separators */
    gb_submit_scratch(pos, GB_EV_EXEC);
out:
    if (in)
        in->nr = GB_NR_NONE;
    return 0;
}

static __noinline int gb_process_sys_enter(struct gb_regs* regs, long id) {
    if (id != NR_EXECVE && id != NR_EXECVEAT)
        return 0;
    gb_stash_traced(regs, id, GB_EV_EXEC);
    return 0;
}

/* State of the argv walk of a failed exec, shared with its bpf_loop callback (one verified step
 * instead of GB_ARGV_FAILED_MAX unrolled ones: ~12,000 verifier steps at every start-up). */
struct gb_argv_walk {
    __u64 uargv; /* const char* const* in the caller's memory */
    __u32 pos;   /* next free byte of the record */
    __u32 start; /* where argv starts in the record */
    __u32 argc;
    __u16 flags; /* GB_STR_* */
    __u16 pad;
};

static long gb_argv_step(__u64 i, void* vctx) {
    struct gb_argv_walk* w = vctx;
    __u8* buf = gb_event_buf(); /* this CPU's record, the one the caller is building */
    const char* arg = NULL;
    if (!buf || bpf_probe_read_user(&arg, sizeof(arg), (const void*)(w->uargv + i * sizeof(arg))) != 0) {
        w->flags |= GB_STR_FAULT;
        return 1;
    }
    if (!arg)
        return 1;
    __u32 pos = w->pos;
    if (pos > GB_STR_ROOM || pos - w->start >= GB_ARGV_MAX) {
        w->flags |= GB_STR_TRUNCATED;
        return 1;
    }
    long n = bpf_probe_read_user_str(buf + pos, GB_RAW_MAX, arg);
    if (n <= 0) {
        w->flags |= GB_STR_FAULT;
        return 1;
    }
    w->pos = pos + (__u32)n;
    w->argc++;
    if (i == GB_ARGV_FAILED_MAX - 1)
        w->flags |= GB_STR_TRUNCATED;
    return 0;
}

/* A failed exec returns to the caller: record what it tried, argv read from its memory. */
static __noinline int gb_process_sys_exit(struct gb_regs* regs, long ret) {
    long nr = gb_exit_nr(regs);
    if (nr != NR_EXECVE && nr != NR_EXECVEAT)
        return 0;
    struct gb_inflight* in = NULL;
    __u8* buf = gb_exit_take(nr, GB_EV_EXEC, &in);
    if (!buf || !in || ret >= 0) /* a successful exec was recorded at sched_process_exec */
        return 0;
    struct gb_exec_event* ev = (struct gb_exec_event*)buf;
    const __u32 data_off = sizeof(*ev);
    __u32 pos = data_off;
    gb_fill_header(&ev->hdr, GB_EV_EXEC, 0);
    ev->ret = ret;
    ev->syscall = nr;
    ev->flags = 0;
    ev->old_pid = ev->hdr.tid;
    const char* upath = (const char*)(nr == NR_EXECVE ? in->args[0] : in->args[1]);
    const char* const* uargv = (const char* const*)(nr == NR_EXECVE ? in->args[1] : in->args[2]);
    if (nr == NR_EXECVEAT && (in->args[4] & GB_AT_EMPTY_PATH))
        ev->flags |= GB_EXEC_FILELESS_FD;

    ev->path.off = 0;
    ev->path.len = 0;
    ev->path.flags = 0;
    ev->interpreter = ev->path;
    pos = gb_put_user_str(buf, pos, data_off, &ev->raw_path, upath);
    struct task_struct* task = bpf_get_current_task_btf();
    struct dentry* cwd_d = BPF_CORE_READ(task, fs, pwd.dentry);
    struct vfsmount* cwd_m = BPF_CORE_READ(task, fs, pwd.mnt);
    pos = gb_put_dentry_path(buf, pos, data_off, &ev->cwd, cwd_d, cwd_m);

    /* argv: each element NUL-terminated, back to back, like the kernel's layout. */
    struct gb_argv_walk w = {.uargv = (__u64)uargv, .pos = pos, .start = pos};
    if (uargv)
        bpf_loop(GB_ARGV_FAILED_MAX, gb_argv_step, &w, 0);
    pos = w.pos;
    ev->argv.off = w.start - data_off;
    ev->argv.flags = GB_STR_PRESENT | w.flags;
    ev->argv.len = pos - w.start;
    ev->argc = w.argc;
    gb_submit_scratch(pos, GB_EV_EXEC);
    return 0;
}

/* Exit of a thread or (group_dead) of the whole process; the process leaves the scope set. */
static __always_inline int gb_sched_exit_common(struct task_struct* task, bool group_dead) {
    __u32 tgid = BPF_CORE_READ(task, tgid);
    gb_life_ends(tgid, group_dead);
    if (!gb_pid_in_scope(tgid) && bpf_current_task_under_cgroup(&gb_scope_cgroup, 0) != 1)
        return 0;
    __u8* buf = gb_event_buf_or_lost(GB_EV_EXIT);
    if (buf) {
        struct gb_exit_event* ev = (struct gb_exit_event*)buf;
        gb_fill_header_task(&ev->hdr, GB_EV_EXIT, sizeof(*ev), task);
        ev->exit_code = BPF_CORE_READ(task, exit_code);
        ev->flags = group_dead ? GB_EXIT_GROUP_DEAD : 0;
        gb_submit_scratch(sizeof(*ev), GB_EV_EXIT);
    }
    gb_vpid_del(task);
    if (group_dead)
        bpf_map_delete_elem(&gb_scope_pids, &tgid);
    return 0;
}

/* SIGKILL to glassbox (from the tree, an administrator, the OOM killer): the recording is ending
 * unfinished. gb_life is marked when the signal is generated, in the sender, before its kill
 * returns (glassbox's exit, which also marks it, comes after its memory is torn down: a sender
 * could make several more calls by then). Every traced process, the sender first, then stops at
 * its next syscall, and glassbox's watchdog, which holds the programs and the ring, appends what
 * the kernel holds to the trace and kills the tree. */
SEC("tp_btf/signal_generate")
int BPF_PROG(gb_life_signal, int sig, struct kernel_siginfo* info, struct task_struct* task) {
    if (sig == GB_SIGKILL)
        gb_life_ends(task->tgid, true);
    return 0;
}

/* Kernels whose sched_process_exit passes group_dead (6.16+). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(gb_sched_exit, struct task_struct* task, bool group_dead) {
    return gb_sched_exit_common(task, group_dead);
}

/* True when `task`, exiting, is the last live thread of its process: do_exit() has already taken
 * it off signal->live when sched_process_exit fires. Two threads ending at the same instant may
 * both see 0; the process's exit is then reported twice, never missed. */
static __always_inline bool gb_group_dead(struct task_struct* task) {
    return BPF_CORE_READ(task, signal, live.counter) == 0;
}

/* Kernels whose sched_process_exit has the task alone (before 6.16: Debian 12's 6.1 and 6.12). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(gb_sched_exit_live, struct task_struct* task) {
    return gb_sched_exit_common(task, gb_group_dead(task));
}
