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

/* Names a pseudo file the way /proc/PID/fd does (the kernel makes these names up on demand with
 * d_dname): "pipe:[INO]", "socket:[INO]", "net:[INO]" (nsfs: the namespace type),
 * "anon_inode:[eventfd]", otherwise "<filesystem type>:[INO]". Written into this CPU's path buffer
 * so that it ends at `end`; returns where it starts. A global function: verified once, not inside
 * every walk's loop; its dentry arrives in pb->pseudo_dentry. The name is formatted by
 * bpf_snprintf: a digit loop in BPF cost the verifier ~13,000 steps in every program that walks
 * paths, the helper costs a few. */
__noinline __u32 gb_pseudo_name(__u32 end, __u32 named) {
    struct gb_path_buf* pb = gb_path_buf();
    if (!pb)
        return end;
    __u64 dentry = pb->pseudo_dentry;
    struct inode* inode = GB_FIELD(struct dentry, dentry, d_inode);
    /* Its locals live in the path buffer's upper half (see gb_path_buf), not on the stack: this
     * function ends the deepest call chains, which must fit in 512 bytes of stack in all. */
    struct gb_pseudo_locals* l = &pb->pseudo;
    __builtin_memset(l, 0, sizeof(*l));
    struct super_block* sb = GB_FIELD(struct dentry, dentry, d_sb);
    struct file_system_type* fst = GB_FIELD(struct super_block, sb, s_type);
    bpf_probe_read_kernel_str(l->tn.c, sizeof(l->tn.c), GB_FIELD(struct file_system_type, fst, name));
    /* The filesystem type compared as one little-endian word (a branch per byte multiplied the
     * verifier's paths): "anon_inode", "sockfs", "pipefs", "nsfs". */
    bool anon = (l->tn.w & 0xffffffffffULL) == 0x5f6e6f6e61ULL;
    bool sock = (l->tn.w & 0xffffffffffffffULL) == 0x73666b636f73ULL;
    /* A pseudo file with a name of its own keeps it ("memfd:NAME"), except where the kernel
     * shows another: sockets (whose dentry holds the protocol) and anonymous inodes. */
    if (named && !anon && !sock)
        return end;
    /* Formatted in the upper half of the path buffer, which the walk does not use. */
    char* nb = &pb->buf[GB_PATH_MAX];
    static const char anon_fmt[] = "anon_inode:%s";
    static const char ino_fmt[] = "%s:[%llu]";
    long n;
    if (anon) { /* anon_inode:[eventfd]: the dentry's own name is the bracketed part */
        bpf_probe_read_kernel_str(l->dn, sizeof(l->dn), GB_FIELD(struct dentry, dentry, d_name.name));
        l->data[0] = (__u64)l->dn;
        n = bpf_snprintf(nb, 64, anon_fmt, l->data, sizeof(l->data[0]));
    } else {
        const char* prefix = l->tn.c;
        if ((l->tn.w & 0xffffffffffffffULL) == 0x736665706970ULL)
            prefix = "pipe";
        else if (sock)
            prefix = "socket";
        else if ((l->tn.w & 0xffffffffffULL) == 0x7366736eULL && inode) {
            struct ns_common* ns = GB_FIELD(struct inode, inode, i_private);
            const struct proc_ns_operations* ops = GB_FIELD(struct ns_common, ns, ops);
            const char* name = GB_FIELD(struct proc_ns_operations, ops, name);
            if (name && bpf_probe_read_kernel_str(l->tn.c, sizeof(l->tn.c), name) > 1)
                prefix = l->tn.c;
        }
        l->data[0] = (__u64)prefix;
        l->data[1] = inode ? GB_FIELD(struct inode, inode, i_ino) : 0;
        n = bpf_snprintf(nb, 64, ino_fmt, l->data, sizeof(l->data));
    }
    if (n < 2) /* nothing written (a fault) */
        return end;
    __u32 len = n > 64 ? 63 : (__u32)(n - 1);
    if (len + 1 > end || end > GB_PATH_MAX)
        return end;
    __u32 off = end - len;
    bpf_probe_read_kernel(&pb->buf[off & GB_PATH_MASK], len & 63, nb);
    return off;
}

/* Names the pseudo file w->dentry (see gb_pseudo_name); false when it keeps its own name. */
static __always_inline bool gb_walk_fs_name(struct gb_walk* w, struct gb_path_buf* pb, bool named) {
    /* Through the map, not as an argument: a global function takes numbers, and the verifier
     * still types w->dentry as a pointer. */
    pb->pseudo_dentry = w->dentry;
    __u32 off = gb_pseudo_name(w->off, named);
    if (off == w->off)
        return false;
    w->off = off;
    w->flags |= GB_STR_RELATIVE;
    return true;
}

static long gb_walk_step(__u64 i, void* vctx) {
    struct gb_path_buf* pb = gb_path_buf();
    if (!pb)
        return 1; /* cannot happen: the caller had this CPU's buffer */
    struct gb_walk* w = &pb->walk;
    /* The task's root ("/" as the process sees it): the path ends here, as d_path() ends it,
     * even when the root is not the root of its mount namespace (a chroot, or a disk mounted
     * over the kernel's initial rootfs as an initramfs's switch_root leaves it). */
    if (w->dentry == w->root_dentry && w->mnt == w->root_mnt) {
        w->done = 1;
        return 1;
    }
    __u64 dentry = w->dentry;
    if (dentry == w->mnt_root) {
        __u64 mnt = w->mnt;
        __u64 mnt_parent = (__u64)GB_FIELD(struct mount, mnt, mnt_parent);
        if (mnt_parent == mnt) { /* the root of this mount namespace */
            w->done = 1;
            /* Nothing above it and not the task's root: the root of an internal filesystem (or
             * a file outside the task's root): name it by its type rather than as "/". */
            if (w->off == GB_PATH_MAX - 1)
                gb_walk_fs_name(w, pb, false);
            return 1;
        }
        w->dentry = (__u64)GB_FIELD(struct mount, mnt, mnt_mountpoint);
        w->mnt = mnt_parent;
        w->mnt_root = (__u64)GB_FIELD(struct mount, mnt_parent, mnt.mnt_root);
        return 0;
    }
    /* A dentry that is its own parent but not a mount root: a pseudo file (pipe, socket, memfd,
     * anon inode) or a detached tree. Keep its name, without a leading '/'. */
    __u64 parent = (__u64)GB_FIELD(struct dentry, dentry, d_parent);
    bool pseudo = parent == w->dentry;
    __u32 len = GB_FIELD(struct dentry, dentry, d_name.len);
    const unsigned char* name = GB_FIELD(struct dentry, dentry, d_name.name);
    __u32 off = w->off;
    char c0 = 0;
    if (pseudo && len == 1)
        bpf_probe_read_kernel(&c0, 1, name);
    /* A pseudo file without a name of its own: "" (pipes, sockets) or "/" (d_alloc_anon: nsfs,
     * pidfs); the kernel makes their names up on demand. */
    /* ... and sockets and anonymous inodes, whose filesystem names them on demand. */
    bool dname = false;
    if (pseudo) {
        const struct dentry_operations* dops = GB_FIELD(struct dentry, dentry, d_op);
        dname = dops && GB_FIELD(struct dentry_operations, dops, d_dname);
    }
    if (pseudo && (len == 0 || c0 == '/' || dname) && off == GB_PATH_MAX - 1 &&
        gb_walk_fs_name(w, pb, len != 0 && c0 != '/')) {
        w->done = 1;
        return 1;
    }
    if (len > GB_PATH_MASK || len + 1 > off) {
        w->flags |= GB_STR_TRUNCATED;
        w->done = 1;
        return 1;
    }
    off -= len;
    bpf_probe_read_kernel(&pb->buf[off & GB_PATH_MASK], len & GB_PATH_MASK, name);
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
    /* The walk's state lives in the path buffer (not on the stack: the walk ends the deepest
     * call chains, which must fit in 512 bytes of stack). */
    struct gb_walk* w = &pb->walk;
    __builtin_memset(w, 0, sizeof(*w));
    w->dentry = dentry;
    w->mnt = vfsmnt - bpf_core_field_offset(struct mount, mnt);
    w->mnt_root = (__u64)GB_FIELD(struct vfsmount, vfsmnt, mnt_root);
    w->off = end;
    struct fs_struct* fs = BPF_CORE_READ((struct task_struct*)bpf_get_current_task_btf(), fs);
    w->root_dentry = (__u64)BPF_CORE_READ(fs, root.dentry);
    w->root_mnt = (__u64)BPF_CORE_READ(fs, root.mnt);
    if (w->root_mnt)
        w->root_mnt -= bpf_core_field_offset(struct mount, mnt);
    /* An unlinked file keeps its dentry but is no longer hashed (d_unlinked()). */
    if (GB_FIELD(struct dentry, dentry, d_hash.pprev) == NULL &&
        (__u64)GB_FIELD(struct dentry, dentry, d_parent) != dentry)
        w->flags |= GB_STR_DELETED;
    bpf_loop(GB_PATH_DEPTH, gb_walk_step, NULL, 0);
    if (!w->done)
        w->flags |= GB_STR_TRUNCATED;
    __u32 off = w->off;
    if (off == end) { /* the root itself */
        off -= 1;
        pb->buf[off & GB_PATH_MASK] = '/';
    }
    *flags |= w->flags;
    return off;
}

/* The walk as a global function: the verifier checks it once, instead of once per call site
 * (gb_sched_exec alone resolves three paths; inlined, its verification took ~0.3 s). Its
 * arguments arrive in pb->walk_dentry/walk_mnt, since a global function takes only numbers and
 * the callers hold typed pointers. Returns the start offset, with the flags in the upper half. */
__noinline __u32 gb_walk_global(void) {
    struct gb_path_buf* pb = gb_path_buf();
    if (!pb)
        return (GB_PATH_MAX - 1) | ((__u32)GB_STR_FAULT << 16);
    __u16 flags = 0;
    __u32 start = gb_walk_path(pb, pb->walk_dentry, pb->walk_mnt, &flags);
    return (start & 0xffff) | ((__u32)flags << 16);
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
    pb->walk_dentry = (__u64)dentry;
    pb->walk_mnt = (__u64)mnt;
    __u32 walked = gb_walk_global();
    __u32 start = walked & 0xffff;
    __u16 flags = GB_STR_PRESENT | (__u16)(walked >> 16);
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
    return gb_put_dentry_path(ev, pos, data_off, s, GB_FIELD(struct path, p, dentry), GB_FIELD(struct path, p, mnt));
}

static __always_inline __u32 gb_put_file_path(__u8* ev, __u32 pos, __u32 data_off,
                                              struct gb_str* s, struct file* f) {
    if (!f) {
        s->off = pos - data_off;
        s->len = 0;
        s->flags = 0;
        return pos;
    }
    return gb_put_dentry_path(ev, pos, data_off, s, GB_FIELD(struct file, f, f_path.dentry),
                              GB_FIELD(struct file, f, f_path.mnt));
}

/* The struct file behind descriptor `fd` of `task`, or NULL. */
static __always_inline struct file* gb_fd_file(struct task_struct* task, long fd) {
    if (fd < 0)
        return NULL;
    struct files_struct* files = GB_FIELD(struct task_struct, task, files);
    struct fdtable* fdt = GB_FIELD(struct files_struct, files, fdt);
    if (!fdt)
        return NULL;
    if ((unsigned long)fd >= GB_FIELD(struct fdtable, fdt, max_fds))
        return NULL;
    struct file** fds = GB_FIELD(struct fdtable, fdt, fd);
    struct file* f = NULL;
    bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xfffff]);
    return f;
}

#endif
