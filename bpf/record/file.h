/* File events of the recorder: open, openat, openat2, creat. The arguments are stashed at
 * sys_enter; at sys_exit the opened file's path is resolved from the returned descriptor
 * (task->files->fdt->fd[ret] -> f_path), so relative, dirfd-relative, symlinked or rewritten
 * request strings do not matter. The requested string is kept as raw_path.
 * Data path: sys_enter (stash) -> sys_exit -> gb_event_scratch -> gb_events ring buffer. */
#include "helpers/common.h"
#include "helpers/path.h"

#define NR_OPEN 2
#define NR_CREAT 85
#define NR_OPENAT 257
#define NR_OPENAT2 437

#define GB_O_WRONLY 01
#define GB_O_CREAT 0100
#define GB_O_TRUNC 01000

static __always_inline bool gb_is_open_nr(long nr) {
    return nr == NR_OPEN || nr == NR_OPENAT || nr == NR_OPENAT2 || nr == NR_CREAT;
}

static __noinline int gb_file_sys_enter(struct gb_regs* regs, long id) {
    if (!gb_is_open_nr(id))
        return 0;
    gb_stash_traced(regs, id, GB_EV_OPEN);
    return 0;
}

static __noinline int gb_file_sys_exit(struct gb_regs* regs, long ret) {
    long nr = gb_exit_nr(regs);
    if (!gb_is_open_nr(nr))
        return 0;
    struct gb_inflight* in = NULL;
    __u8* buf = gb_exit_take(nr, GB_EV_OPEN, &in);
    if (!buf || !in)
        return 0;
    struct gb_open_event* ev = (struct gb_open_event*)buf;
    const __u32 data_off = sizeof(*ev);
    __u32 pos = data_off;
    gb_fill_header(&ev->hdr, GB_EV_OPEN, 0);
    ev->ret = ret;
    ev->syscall = nr;
    ev->pad = 0;
    ev->resolve = 0;
    const char* upath;
    switch (nr) {
    case NR_OPEN:
        upath = (const char*)in->args[0];
        ev->flags = in->args[1];
        ev->mode = in->args[2];
        break;
    case NR_CREAT:
        upath = (const char*)in->args[0];
        ev->flags = GB_O_CREAT | GB_O_WRONLY | GB_O_TRUNC;
        ev->mode = in->args[1];
        break;
    case NR_OPENAT:
        upath = (const char*)in->args[1];
        ev->flags = in->args[2];
        ev->mode = in->args[3];
        break;
    default: { /* openat2(dfd, path, struct open_how *how, size) */
        struct gb_open_how how = {};
        upath = (const char*)in->args[1];
        bpf_probe_read_user(&how, sizeof(how), (const void*)in->args[2]);
        ev->flags = how.flags;
        ev->mode = how.mode;
        ev->resolve = how.resolve;
        break;
    }
    }
    struct file* f = ret >= 0 ? gb_fd_file(bpf_get_current_task_btf(), ret) : NULL;
    pos = gb_put_file_path(buf, pos, data_off, &ev->path, f);
    pos = gb_put_user_str(buf, pos, data_off, &ev->raw_path, upath);
    gb_submit_scratch(pos, GB_EV_OPEN);
    return 0;
}
