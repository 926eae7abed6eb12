/* Kernel-side path resolution for the recorder: turns the (dentry, mount) of the object a syscall
 * actually used (the opened file, the executed file, the cwd, a bound socket) into an absolute
 * path, the way d_path() would, since bpf_d_path is not available to these programs.
 * Data path: task/file/fd -> struct path -> bounded dentry+mount walk into this CPU's path scratch
 * -> copied into the record under construction as a gb_str.
 *
 * The walk is bounded by GB_PATH_DEPTH steps and GB_PATH_MAX bytes; hitting either bound sets
 * GB_STR_TRUNCATED and keeps the tail of the path (user space writes it as ".../tail"). */
#ifndef GLASSBOX_BPF_PATH_H
#define GLASSBOX_BPF_PATH_H

#include "helpers/common.h"

#define GB_PATH_MASK (GB_PATH_MAX - 1)

/* State of one path walk, shared with the bpf_loop callback (one verified step instead of an
 * unrolled loop: the verifier would otherwise explore every iteration's branches). Pointers are
 * kept as numbers and re-typed with GB_BTF in each step. */
struct gb_walk {
    __u64 dentry;
    __u64 mnt; /* struct mount * */
    __u64 mnt_root;
    __u32 off;
    __u16 flags;
    __u16 done;
};

/* Writes the filesystem type's name ("nsfs", "pidfs") ending at w->off: internal filesystems make
 * their names up on demand, so naming the type beats an empty path or a bare "/". */
static __always_inline void gb_walk_fs_name(struct gb_walk* w, struct gb_path_buf* pb,
                                            struct dentry* dentry) {
    char tn[32] = {};
    long n = bpf_probe_read_kernel_str(tn, sizeof(tn), dentry->d_sb->s_type->name);
    if (n > 1 && n <= (long)sizeof(tn)) {
        __u32 len = (__u32)(n - 1);
        __u32 off = w->off - len;
        bpf_probe_read_kernel(&pb->buf[off & GB_PATH_MASK], len & 31, tn);
        w->off = off;
    }
    w->flags |= GB_STR_RELATIVE;
}

static long gb_walk_step(__u64 i, void* vctx) {
    struct gb_walk* w = vctx;
    struct gb_path_buf* pb = gb_path_buf();
    if (!pb) {
        w->flags |= GB_STR_FAULT;
        w->done = 1;
        return 1;
    }
    struct dentry* dentry = GB_BTF(struct dentry, w->dentry);
    if (w->dentry == w->mnt_root) {
        struct mount* mnt = GB_BTF(struct mount, w->mnt);
        struct mount* mnt_parent = mnt->mnt_parent;
        if ((__u64)mnt_parent == w->mnt) { /* the root of this mount namespace */
            w->done = 1;
            /* Nothing above it: the object is a root. Unless it is this task's "/", it is the
             * root of an internal filesystem: name it by its type rather than as "/". */
            if (w->off == GB_PATH_MAX - 1 &&
                (__u64)GB_BTF(struct task_struct, bpf_get_current_task_btf())->fs->root.dentry !=
                    w->dentry)
                gb_walk_fs_name(w, pb, dentry);
            return 1;
        }
        w->dentry = (__u64)mnt->mnt_mountpoint;
        w->mnt = (__u64)mnt_parent;
        w->mnt_root = (__u64)mnt_parent->mnt.mnt_root;
        return 0;
    }
    /* A dentry that is its own parent but not a mount root: a pseudo file (pipe, socket, memfd,
     * anon inode) or a detached tree. Keep its name, without a leading '/'. */
    __u64 parent = (__u64)dentry->d_parent;
    bool pseudo = parent == w->dentry;
    __u32 len = dentry->d_name.len;
    __u32 off = w->off;
    if (pseudo && len == 0 && off == GB_PATH_MAX - 1) { /* a nameless pseudo root (nsfs) */
        gb_walk_fs_name(w, pb, dentry);
        w->done = 1;
        return 1;
    }
    if (len > GB_PATH_MASK || len + 1 > off) {
        w->flags |= GB_STR_TRUNCATED;
        w->done = 1;
        return 1;
    }
    off -= len;
    bpf_probe_read_kernel(&pb->buf[off & GB_PATH_MASK], len & GB_PATH_MASK, dentry->d_name.name);
    if (pseudo) {
        w->flags |= GB_STR_RELATIVE;
        w->off = off;
        w->done = 1;
        return 1;
    }
    off -= 1;
    pb->buf[off & GB_PATH_MASK] = '/';
    w->off = off;
    w->dentry = parent;
    return 0;
}

/* Builds the path backwards so that it ends at buf[GB_PATH_MAX - 1] (a NUL); returns where it
 * starts. Every write goes to buf[x & GB_PATH_MASK] with a length <= GB_PATH_MASK, which the
 * verifier can prove stays inside the 2 * GB_PATH_MAX buffer. `dentry` and `vfsmnt` are kernel
 * addresses (struct dentry *, struct vfsmount *). */
static __always_inline __u32 gb_walk_path(struct gb_path_buf* pb, __u64 dentry, __u64 vfsmnt,
                                          __u16* flags) {
    const __u32 end = GB_PATH_MAX - 1;
    pb->buf[end] = 0;
    if (!dentry || !vfsmnt)
        return end;
    struct dentry* d = GB_BTF(struct dentry, dentry);
    struct gb_walk w = {};
    w.dentry = dentry;
    w.mnt = vfsmnt - bpf_core_field_offset(struct mount, mnt);
    w.mnt_root = (__u64)GB_BTF(struct vfsmount, vfsmnt)->mnt_root;
    w.off = end;
    /* An unlinked file keeps its dentry but is no longer hashed (d_unlinked()). */
    if (d->d_hash.pprev == NULL && (__u64)d->d_parent != dentry)
        w.flags |= GB_STR_DELETED;
    bpf_loop(GB_PATH_DEPTH, gb_walk_step, &w, 0);
    if (!w.done)
        w.flags |= GB_STR_TRUNCATED;
    __u32 off = w.off;
    if (off == end) { /* the root itself */
        off -= 1;
        pb->buf[off & GB_PATH_MASK] = '/';
    }
    *flags |= w.flags;
    return off;
}

/* Resolves (dentry, mnt) and appends it to the record as `s`. */
static __always_inline __u32 gb_put_dentry_path(__u8* ev, __u32 pos, __u32 data_off,
                                                struct gb_str* s, struct dentry* dentry,
                                                struct vfsmount* mnt) {
    s->off = pos - data_off;
    s->len = 0;
    s->flags = 0;
    if (!dentry || !mnt)
        return pos;
    if (pos > GB_STR_ROOM) {
        s->flags = GB_STR_PRESENT | GB_STR_TRUNCATED;
        return pos;
    }
    struct gb_path_buf* pb = gb_path_buf();
    if (!pb) {
        s->flags = GB_STR_PRESENT | GB_STR_FAULT;
        return pos;
    }
    __u16 flags = GB_STR_PRESENT;
    __u32 start = gb_walk_path(pb, (__u64)dentry, (__u64)mnt, &flags);
    __u32 len = (GB_PATH_MAX - 1) - (start & GB_PATH_MASK);
    if (len > GB_PATH_MASK)
        len = GB_PATH_MASK;
    if (len && bpf_probe_read_kernel(ev + pos, len, &pb->buf[start & GB_PATH_MASK]) != 0) {
        s->flags = GB_STR_PRESENT | GB_STR_FAULT;
        return pos;
    }
    s->flags = flags;
    s->len = len;
    return pos + len;
}

static __always_inline __u32 gb_put_path(__u8* ev, __u32 pos, __u32 data_off, struct gb_str* s,
                                         struct path* p) {
    struct path* bp = GB_BTF(struct path, p);
    return gb_put_dentry_path(ev, pos, data_off, s, bp->dentry, bp->mnt);
}

static __always_inline __u32 gb_put_file_path(__u8* ev, __u32 pos, __u32 data_off,
                                              struct gb_str* s, struct file* f) {
    if (!f) {
        s->off = pos - data_off;
        s->len = 0;
        s->flags = 0;
        return pos;
    }
    struct file* bf = GB_BTF(struct file, f);
    return gb_put_dentry_path(ev, pos, data_off, s, bf->f_path.dentry, bf->f_path.mnt);
}

/* The struct file behind descriptor `fd` of `task`, or NULL. */
static __always_inline struct file* gb_fd_file(struct task_struct* task, long fd) {
    if (fd < 0)
        return NULL;
    struct fdtable* fdt = GB_BTF(struct task_struct, task)->files->fdt;
    if (!fdt)
        return NULL;
    if ((unsigned long)fd >= fdt->max_fds)
        return NULL;
    struct file** fds = fdt->fd;
    struct file* f = NULL;
    bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xfffff]);
    return f;
}

#endif
