// SPDX-License-Identifier: GPL-2.0
/* The recorder's BPF side, one compilation unit. Each event family lives in bpf/record/<family>.h
 * (process, file, net, and the table-driven coverage in syscalls.h); this file attaches ONE
 * program to sys_enter and ONE to sys_exit and dispatches on the syscall number, so a syscall
 * costs one program run, not one per family (these two hooks fire for every syscall on the
 * machine, traced or not). The other hooks (sched_process_*, io_uring_*) are programs of their
 * families; record/guard.h holds the BPF LSM programs that protect glassbox from the tree. One
 * compilation unit also lets every family share the helpers that read kernel structures through
 * bpf_rdonly_cast (bpftool's linker in Debian 12 cannot link a kfunc extern declared by several
 * objects).
 * Data path: tracepoint -> gb_<family>_sys_enter/exit -> gb_event_scratch -> gb_events. */
#include "helpers/common.h"
#include "helpers/path.h"
#include "record/file.h"
#include "record/net.h"
#include "record/process.h"
#include "record/syscalls.h"
#include "record/guard.h" /* after syscalls.h: the tripwire emits a table-driven record */

char LICENSE[] SEC("license") = "GPL";

/* Each syscall number has at most one entry handler. */
SEC("tp_btf/sys_enter")
int BPF_PROG(gb_sys_enter, struct gb_regs* regs, long id) {
    gb_stop_if_recorder_gone();
    gb_tripwire_calls(regs, id);
    switch (id) {
    case NR_CLOSE:
    case NR_DUP2:
    case NR_DUP3:
    case NR_CLOSE_RANGE: /* seen at entry, while the descriptors it closes can still be resolved */
        return gb_cov_sys_enter(regs, id);
    case NR_EXECVE:
    case NR_EXECVEAT:
        return gb_process_sys_enter(regs, id);
    default:
        if (gb_is_open_nr(id))
            return gb_file_sys_enter(regs, id);
        if (gb_is_net_nr(id))
            return gb_net_sys_enter(regs, id);
        return 0;
    }
}

/* The family handler of the syscall (if any), then the coverage handler, which sees every
 * syscall: per-descriptor I/O totals, descriptor tracking after opens, DNS in sends, the table. */
SEC("tp_btf/sys_exit")
int BPF_PROG(gb_sys_exit, struct gb_regs* regs, long ret) {
    long nr = gb_exit_nr(regs);
    if (gb_is_open_nr(nr))
        gb_file_sys_exit(regs, ret);
    else if (nr == NR_EXECVE || nr == NR_EXECVEAT)
        gb_process_sys_exit(regs, ret);
    else if (gb_is_net_nr(nr))
        gb_net_sys_exit(regs, ret);
    return gb_cov_sys_exit(regs, ret);
}
