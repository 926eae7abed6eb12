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
 * unrolled loop: the verifier would otherwise explore every iteration's branches). */
struct gb_walk {
    struct dentry* dentry;
    struct mount* mnt;
    struct dentry* mnt_root;
    __u32 off;
    __u16 flags;
    __u16 done;
};

static long gb_walk_step(__u32 i, void* vctx) {
    struct gb_walk* w = vctx;
    struct gb_path_buf* pb = gb_path_buf();
    if (!pb)
        return 1;
    /* Locals, not w->x, inside BPF_CORE_READ: CO-RE must not relocate our own struct. */
    struct dentry* dentry = w->dentry;
    struct mount* mnt = w->mnt;
    struct dentry* parent = BPF_CORE_READ(dentry, d_parent);
    if (dentry == w->mnt_root) {
        struct mount* mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
        if (mnt_parent == mnt) { /* the root of this mount namespace */
            w->done = 1;
            return 1;
        }
        w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
        w->mnt = mnt_parent;
        w->mnt_root = BPF_CORE_READ(mnt_parent, mnt.mnt_root);
        return 0;
    }
    /* A dentry that is its own parent but not a mount root: a pseudo file (pipe, socket, memfd,
     * anon inode) or a detached tree. Keep its name, without a leading '/'. */
    bool pseudo = parent == dentry;
    struct qstr name = BPF_CORE_READ(dentry, d_name);
    __u32 len = name.len;
    __u32 off = w->off;
    if (len > GB_PATH_MASK || len + 1 > off) {
        w->flags |= GB_STR_TRUNCATED;
        return 1;
    }
    off -= len;
    bpf_probe_read_kernel(&pb->buf[off & GB_PATH_MASK], len & GB_PATH_MASK, name.name);
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
 * verifier can prove stays inside the 2 * GB_PATH_MAX buffer. */
static __always_inline __u32 gb_walk_path(struct gb_path_buf* pb, struct dentry* dentry,
                                          struct vfsmount* vfsmnt, __u16* flags) {
    const __u32 end = GB_PATH_MAX - 1;
    pb->buf[end] = 0;
    if (!dentry || !vfsmnt)
        return end;
    struct gb_walk w = {};
    w.dentry = dentry;
    w.mnt = (struct mount*)((void*)vfsmnt - bpf_core_field_offset(struct mount, mnt));
    w.mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
    w.off = end;
    /* An unlinked file keeps its dentry but is no longer hashed (d_unlinked()). */
    if (BPF_CORE_READ(dentry, d_hash.pprev) == NULL && BPF_CORE_READ(dentry, d_parent) != dentry)
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
    __u32 start = gb_walk_path(pb, dentry, mnt, &flags);
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
    struct dentry* d = BPF_CORE_READ(p, dentry);
    struct vfsmount* m = BPF_CORE_READ(p, mnt);
    return gb_put_dentry_path(ev, pos, data_off, s, d, m);
}

static __always_inline __u32 gb_put_file_path(__u8* ev, __u32 pos, __u32 data_off,
                                              struct gb_str* s, struct file* f) {
    if (!f) {
        s->off = pos - data_off;
        s->len = 0;
        s->flags = 0;
        return pos;
    }
    struct dentry* d = BPF_CORE_READ(f, f_path.dentry);
    struct vfsmount* m = BPF_CORE_READ(f, f_path.mnt);
    return gb_put_dentry_path(ev, pos, data_off, s, d, m);
}

/* The struct file behind descriptor `fd` of `task`, or NULL. */
static __always_inline struct file* gb_fd_file(struct task_struct* task, long fd) {
    if (fd < 0)
        return NULL;
    struct fdtable* fdt = BPF_CORE_READ(task, files, fdt);
    if (!fdt)
        return NULL;
    unsigned int max = BPF_CORE_READ(fdt, max_fds);
    if ((unsigned long)fd >= max)
        return NULL;
    struct file** fds = BPF_CORE_READ(fdt, fd);
    struct file* f = NULL;
    bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
    return f;
}

#endif
