/* Table-driven syscall coverage: everything a hostile agent can do besides open/exec/connect —
 * file changes, credential and security-state changes, signals out of the tree, privileged
 * operations, socket creation, memfd_create, executable file mappings, inotify — plus per-descriptor
 * I/O totals (`close` events), DNS queries parsed from what is sent to port 53, and syscalls
 * entered through the 32-bit ABI.
 *
 * Which argument of which syscall is a path, a dirfd, a descriptor or a target pid is not written
 * here: user space loads gb_sys_specs from the one table in tracer/record/syscall_specs.cpp before
 * attaching, and the decoder names the fields from the same table.
 *
 * Data path: sys_exit (arguments are still in pt_regs: x86-64 syscalls do not clobber them) ->
 * gb_event_scratch -> gb_events ring buffer. sys_enter is used only for close/dup2 (the descriptor
 * is gone at exit). No kprobes: raw syscall tracepoints only. */
#include "helpers/common.h"
#include "helpers/path.h"

#include <bpf/bpf_endian.h>

#define NR_READ 0
#define NR_WRITE 1
#define NR_OPEN 2
#define NR_CLOSE 3
#define NR_MMAP 9
#define NR_PREAD64 17
#define NR_PWRITE64 18
#define NR_READV 19
#define NR_WRITEV 20
#define NR_DUP2 33
#define NR_SENDFILE 40
#define NR_SENDTO 44
#define NR_SENDMSG 46
#define NR_KILL 62
#define NR_PRLIMIT64 302
#define NR_SETPRIORITY 141
#define NR_SCHED_SETPARAM 142
#define NR_SCHED_SETSCHEDULER 144
#define NR_SCHED_SETAFFINITY 203
#define NR_IOPRIO_SET 251
#define NR_SCHED_SETATTR 314
#define NR_CREAT 85
#define NR_PRCTL 157
#define NR_TKILL 200
#define NR_TGKILL 234
#define NR_OPENAT 257
#define NR_SPLICE 275
#define NR_DUP3 292
#define NR_PREADV 295
#define NR_PWRITEV 296
#define NR_OPEN_BY_HANDLE_AT 304
#define NR_SENDMMSG 307
#define NR_COPY_FILE_RANGE 326
#define NR_PREADV2 327
#define NR_PWRITEV2 328
#define NR_OPENAT2 437
#define NR_UNLINKAT 263
#define GB_AT_REMOVEDIR 0x200

#define GB_AT_FDCWD -100
#define GB_PROT_EXEC 0x4
#define GB_MAP_ANONYMOUS 0x20
#define GB_S_IFMT 00170000
#define GB_S_IFSOCK 0140000
#define GB_AF_INET 2
#define GB_AF_INET6 10
#define GB_DNS_PORT 53
#define GB_MMSG_MAX 4 /* sendmmsg messages inspected for DNS per call */

/* bpf_task_from_pid / bpf_task_release are declared in helpers/common.h (one declaration per unit). */

/* The spec table, by x86-64 syscall number (loaded by user space). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, GB_SYS_NR_MAX);
    __type(key, __u32);
    __type(value, struct gb_sys_spec);
} gb_sys_specs SEC(".maps");

/* i386 syscall number -> x86-64 number (0xffffffff: no equivalent), loaded by user space. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, GB_SYS_NR_MAX);
    __type(key, __u32);
    __type(value, __u32);
} gb_abi32_nr SEC(".maps");

/* I/O totals of descriptors opened by traced processes, by (tgid << 32 | fd). */
struct gb_fd_io {
    __u64 bytes_read;
    __u64 bytes_written;
    __u64 reads;
    __u64 writes;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    /* Allocated on demand: preallocating 65,536 entries cost 25-50 ms of every start-up, while an
     * insert per open and a free per close cost ~0.1 us each (reads and writes only look up). */
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(max_entries, 65536);
    __type(key, __u64);
    __type(value, struct gb_fd_io);
} gb_fd_io_map SEC(".maps");

/* Processes (tgid) with descriptors in gb_fd_io_map. Their exit reports what is still open. The
 * exit handler cannot ask gb_scope_pids: process.h's sched_process_exit program, attached first,
 * has already removed the process from it. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(map_flags, BPF_F_NO_PREALLOC); /* off the hot path: allocated on demand, fast start-up */
    __uint(max_entries, GB_MAX_SCOPE_PIDS);
    __type(key, __u32);
    __type(value, __u8);
} gb_io_procs SEC(".maps");

/* The record buffer seen as one sized object, so global functions can take it. */
struct gb_cov_buf {
    __u8 b[GB_EVENT_MAX];
};

static __always_inline struct gb_cov_buf* gb_cov_buf_get(void) {
    return (struct gb_cov_buf*)gb_event_buf();
}

/* ---- path helpers, global so the verifier checks them once, not per call site ---------------- */

static __always_inline void gb_cov_str_none(struct gb_str* s, __u32 pos, __u32 data_off) {
    s->off = pos - data_off;
    s->len = 0;
    s->flags = 0;
    s->pad = 0;
}

/* BPF functions take at most 5 arguments: a record position travels as one word. */
#define GB_PD(pos, data_off) (((__u32)(data_off) << 16) | (__u32)(pos))

/* Appends the resolved path of (dentry, mnt) at position pd as *s; returns the new pos. */
__noinline __u32 gb_cov_put_path(struct gb_cov_buf* ev, struct gb_str* s, __u32 pd, __u64 dentry,
                                 __u64 mnt) {
    __u32 pos = pd & 0xffff, data_off = pd >> 16;
    if (!ev || !s)
        return pos;
    s->pad = 0;
    return gb_put_dentry_path(ev->b, pos, data_off, s, (struct dentry*)dentry, (struct vfsmount*)mnt);
}

static __always_inline __u32 gb_cov_put_file(struct gb_cov_buf* ev, __u32 pos, __u32 data_off,
                                             struct gb_str* s, struct file* f) {
    if (!f) {
        gb_cov_str_none(s, pos, data_off);
        return pos;
    }
    return gb_cov_put_path(ev, s, GB_PD(pos, data_off), (__u64)BPF_CORE_READ(f, f_path.dentry),
                           (__u64)BPF_CORE_READ(f, f_path.mnt));
}

/* The directory a relative path is resolved against: the cwd for AT_FDCWD, else the dirfd. */
static __always_inline __u32 gb_cov_put_dir(struct gb_cov_buf* ev, __u32 pos, __u32 data_off,
                                            struct gb_str* s, struct task_struct* task, int dfd) {
    if (dfd == GB_AT_FDCWD)
        return gb_cov_put_path(ev, s, GB_PD(pos, data_off), (__u64)BPF_CORE_READ(task, fs, pwd.dentry),
                               (__u64)BPF_CORE_READ(task, fs, pwd.mnt));
    return gb_cov_put_file(ev, pos, data_off, s, gb_fd_file(task, dfd));
}

/* Appends the executable of process `pid` (any of its threads); returns the new pos and sets
 * *tgid (0 when no such task). */
__noinline __u32 gb_cov_put_exe(struct gb_cov_buf* ev, struct gb_str* s, __u32 pd, __s32 pid,
                                __u32* tgid) {
    __u32 pos = pd & 0xffff, data_off = pd >> 16;
    if (!ev || !s || !tgid)
        return pos;
    *tgid = 0;
    s->off = pos - data_off;
    s->len = 0;
    s->flags = 0;
    s->pad = 0;
    if (pid <= 0)
        return pos;
#ifndef GB_KERNEL_LEGACY
    struct task_struct* t = bpf_task_from_pid(pid);
    if (!t)
        return pos;
    *tgid = t->tgid;
    struct file* exe = BPF_CORE_READ(t, mm, exe_file);
    __u64 d = exe ? (__u64)BPF_CORE_READ(exe, f_path.dentry) : 0;
    __u64 m = exe ? (__u64)BPF_CORE_READ(exe, f_path.mnt) : 0;
    bpf_task_release(t);
    return gb_cov_put_path(ev, s, GB_PD(pos, data_off), d, m);
#else
    /* No way from a pid number to its task without bpf_task_from_pid: user space names the
     * target from /proc when the record arrives (GB_SYS_TARGET_LATE). */
    *tgid = (__u32)pid;
    s->flags = GB_STR_LATE;
    return pos;
#endif
}

/* The pid number behind a pidfd: pidfs keeps the struct pid in the inode (6.9+), older kernels
 * in the file's private data. */
static __always_inline __s32 gb_pidfd_nr(struct task_struct* task, int fd) {
    struct file* f = gb_fd_file(task, fd);
    if (!f)
        return 0;
    struct pid* p = BPF_CORE_READ(f, f_inode, i_private);
    if (!p)
        p = BPF_CORE_READ(f, private_data);
    return p ? BPF_CORE_READ(p, numbers[0].nr) : 0;
}

/* ---- per-descriptor I/O totals -------------------------------------------------------------- */

static __always_inline __u64 gb_fd_key(__u32 tgid, long fd) {
    return ((__u64)tgid << 32) | (__u32)fd;
}

/* The totals of descriptor `fd` of process `tgid` when it is tracked (its key in *key), or NULL. */
static __always_inline struct gb_fd_io* gb_fd_io_of(__u32 tgid, long fd, __u64* key) {
    if (fd < 0)
        return NULL;
    *key = gb_fd_key(tgid, fd);
    return bpf_map_lookup_elem(&gb_fd_io_map, key);
}

static __always_inline void gb_io_add(__u32 tgid, long fd, long bytes, bool write) {
    __u64 key;
    struct gb_fd_io* io = gb_fd_io_of(tgid, fd, &key);
    if (!io)
        return;
    if (write) {
        __sync_fetch_and_add(&io->bytes_written, bytes);
        __sync_fetch_and_add(&io->writes, 1);
    } else {
        __sync_fetch_and_add(&io->bytes_read, bytes);
        __sync_fetch_and_add(&io->reads, 1);
    }
}

/* `ret` bytes moved from descriptor `from` (read) to `to` (written); -1: no such side. */
static __always_inline void gb_io_moved(__u32 tgid, long ret, long from, long to) {
    if (ret <= 0)
        return;
    gb_io_add(tgid, from, ret, false);
    gb_io_add(tgid, to, ret, true);
}

/* Emits the `close` record of one tracked descriptor of the current task (path resolved from its
 * fd table when the descriptor is still there). Always the current task: close/dup2 entry and
 * sched_process_exit (do_exit) run in the process that owns the descriptor. */
__noinline int gb_cov_emit_close(__s32 fd, __u32 flags, struct gb_fd_io* io) {
    struct gb_cov_buf* ev = gb_cov_buf_get();
    if (!ev || !io) {
        gb_count_lost(GB_EV_CLOSE);
        return 0;
    }
    struct task_struct* task = bpf_get_current_task_btf();
    struct gb_close_event* c = (struct gb_close_event*)ev;
    const __u32 data_off = sizeof(*c);
    gb_fill_header_task(&c->hdr, GB_EV_CLOSE, 0, task);
    if (flags & GB_CLOSE_URING)
        c->hdr.via = GB_VIA_IO_URING;
    c->fd = fd;
    c->flags = flags;
    c->bytes_read = io->bytes_read;
    c->bytes_written = io->bytes_written;
    c->reads = io->reads;
    c->writes = io->writes;
    struct file* f = (flags & GB_CLOSE_IMPLICIT) ? NULL : gb_fd_file(task, fd);
    __u32 pos = gb_cov_put_file(ev, data_off, data_off, &c->path, f);
    gb_submit_scratch(pos, GB_EV_CLOSE);
    return 0;
}

static __always_inline void gb_close_tracked(struct task_struct* task, __u32 tgid, long fd) {
    __u64 key;
    struct gb_fd_io* io = gb_fd_io_of(tgid, fd, &key);
    if (!io)
        return;
    gb_cov_emit_close((__s32)fd, 0, io);
    bpf_map_delete_elem(&gb_fd_io_map, &key);
}

/* A new descriptor from an open: start its totals (reporting a stale entry of the same number,
 * closed behind our back by exec/dup2/close_range, first). */
static __always_inline void gb_track_fd(struct task_struct* task, __u32 tgid, long fd) {
    if (fd < 0)
        return;
    __u64 key = gb_fd_key(tgid, fd);
    struct gb_fd_io* old = bpf_map_lookup_elem(&gb_fd_io_map, &key);
    if (old)
        gb_cov_emit_close((__s32)fd, GB_CLOSE_IMPLICIT, old);
    struct gb_fd_io zero = {};
    if (bpf_map_update_elem(&gb_fd_io_map, &key, &zero, BPF_ANY) != 0)
        gb_count_lost(GB_EV_CLOSE); /* table full: this descriptor's totals are not kept */
    if (!bpf_map_lookup_elem(&gb_io_procs, &tgid)) {
        __u8 one = 1;
        bpf_map_update_elem(&gb_io_procs, &tgid, &one, BPF_ANY);
    }
}

#define GB_CLOSE_RANGE_CLOEXEC (1u << 2)

struct gb_exit_ctx {
    struct task_struct* task;
    __u32 tgid;
    __u32 flags; /* GB_CLOSE_* of the records */
    __u32 first; /* descriptors first .. first + count - 1 */
    __u32 pad;
};

/* Emits and forgets the totals of descriptor first + index when tracked. With GB_CLOSE_EXEC only
 * a descriptor no longer in the table counts (exec closed it); the others are still open. */
static long gb_flush_fd(__u64 index, void* data) {
    struct gb_exit_ctx* ctx = data;
    long fd = (long)ctx->first + (long)index;
    if (ctx->flags & GB_CLOSE_RANGE)
        gb_net_flush_fd(ctx->tgid, fd); /* a socket among them: its datagram totals */
    __u64 key = gb_fd_key(ctx->tgid, fd);
    struct gb_fd_io* io = bpf_map_lookup_elem(&gb_fd_io_map, &key);
    if (!io)
        return 0;
    if ((ctx->flags & GB_CLOSE_EXEC) && gb_fd_file(ctx->task, fd))
        return 0;
    gb_cov_emit_close((__s32)fd, ctx->flags, io);
    bpf_map_delete_elem(&gb_fd_io_map, &key);
    return 0;
}

/* Walks descriptors [first, last] (bounded by the fd table's size) with gb_flush_fd. */
static __always_inline void gb_flush_range(struct task_struct* task, __u32 tgid, __u32 first, __u32 last,
                                           __u32 flags) {
    __u32 max = BPF_CORE_READ(task, files, fdt, max_fds);
    if (max > 65536)
        max = 65536;
    if (last >= max)
        last = max - 1;
    if (max == 0 || first > last)
        return;
    struct gb_exit_ctx ectx = {.task = task, .tgid = tgid, .flags = flags, .first = first};
    bpf_loop(last - first + 1, gb_flush_fd, &ectx, 0);
}

/* close, dup2/dup3 over a descriptor, close_range: report before the descriptors go, while their
 * paths can still be resolved. Datagram address totals of a closed socket go out here too. */
static __noinline int gb_cov_sys_enter(struct gb_regs* regs, long id) {
    if (id != NR_CLOSE && id != NR_DUP2 && id != NR_DUP3 && id != NR_CLOSE_RANGE)
        return 0;
    struct task_struct* task = bpf_get_current_task_btf();
    if (gb_is_compat(task))
        return 0;
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    if (id == NR_CLOSE) {
        long fd = (int)regs->di;
        gb_close_tracked(task, tgid, fd);
        gb_net_flush_fd(tgid, fd);
    } else if (id == NR_CLOSE_RANGE) {
        __u32 first = regs->di, last = regs->si;
        __u32 flags = regs->dx;
        if (!(flags & GB_CLOSE_RANGE_CLOEXEC) && gb_pid_in_scope(tgid))
            gb_flush_range(task, tgid, first, last, GB_CLOSE_RANGE);
    } else {
        long oldfd = (int)regs->di, newfd = (int)regs->si;
        if (oldfd != newfd) {
            gb_close_tracked(task, tgid, newfd);
            gb_net_flush_fd(tgid, newfd);
        }
    }
    return 0;
}

/* The process ended with descriptors open: report their totals (the fd table is still there),
 * and the totals of the datagram addresses it counted. */
static __always_inline int gb_cov_exit_common(struct task_struct* task) {
    __u32 tgid = BPF_CORE_READ(task, tgid);
    if (bpf_map_lookup_elem(&gb_io_procs, &tgid)) {
        gb_flush_range(task, tgid, 0, 65535, GB_CLOSE_AT_EXIT);
        bpf_map_delete_elem(&gb_io_procs, &tgid);
    }
    gb_net_flush_tgid(tgid);
    return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(gb_cov_process_exit, struct task_struct* task, bool group_dead) {
    return group_dead ? gb_cov_exit_common(task) : 0;
}

/* Kernels whose sched_process_exit has no group_dead argument (see gb_sched_exit_live). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(gb_cov_process_exit_live, struct task_struct* task) {
    return gb_group_dead(task) ? gb_cov_exit_common(task) : 0;
}

/* ---- DNS ------------------------------------------------------------------------------------ */

struct gb_sock_info {
    __u16 family;
    __u16 type;
    __u16 port;
    __u16 pad;
    __u8 addr[16];
};

/* The socket behind fd (inet/inet6 only) and its connected peer. */
static __always_inline bool gb_inet_socket(struct task_struct* task, long fd, struct gb_sock_info* si) {
    struct file* f = gb_fd_file(task, fd);
    if (!f)
        return false;
    /* Direct loads: every write to an untracked descriptor (a pipe, stdout) gets here. */
    struct inode* inode = GB_FIELD(struct file, f, f_inode);
    if (!inode || (GB_FIELD(struct inode, inode, i_mode) & GB_S_IFMT) != GB_S_IFSOCK)
        return false;
    struct socket* sock = BPF_CORE_READ(f, private_data);
    struct sock* sk = BPF_CORE_READ(sock, sk);
    if (!sk)
        return false;
    si->family = BPF_CORE_READ(sk, __sk_common.skc_family);
    if (si->family != GB_AF_INET && si->family != GB_AF_INET6)
        return false;
    si->type = BPF_CORE_READ(sk, sk_type);
    si->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
    if (si->family == GB_AF_INET) {
        __be32 a = BPF_CORE_READ(sk, __sk_common.skc_daddr);
        __builtin_memcpy(si->addr, &a, 4);
    } else {
        BPF_CORE_READ_INTO(&si->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
    }
    return true;
}

/* Takes the destination from an AF_INET/AF_INET6 address (other families leave si as it is). */
static __always_inline void gb_dest_from_sockaddr(struct gb_sock_info* si, const struct gb_sockaddr_in6* sa) {
    if (sa->sin6_family == GB_AF_INET) {
        const struct gb_sockaddr_in* in4 = (const struct gb_sockaddr_in*)sa;
        si->port = bpf_ntohs(in4->sin_port);
        __builtin_memset(si->addr, 0, 16);
        __builtin_memcpy(si->addr, &in4->sin_addr, 4);
    } else if (sa->sin6_family == GB_AF_INET6) {
        si->port = bpf_ntohs(sa->sin6_port);
        __builtin_memcpy(si->addr, &sa->sin6_addr, 16);
    }
}

/* A destination given with the send (sendto/sendmsg) overrides the connected peer. `sa` is
 * scratch space for the copy. */
static __always_inline void gb_user_dest(struct gb_sock_info* si, struct gb_sockaddr_in6* sa,
                                         const void* uaddr, __u32 alen) {
    if (!uaddr || alen < 8)
        return;
    __builtin_memset(sa, 0, sizeof(*sa));
    bpf_probe_read_user(sa, sizeof(*sa) < alen ? sizeof(*sa) : (alen & 31), uaddr);
    gb_dest_from_sockaddr(si, sa);
}

struct gb_dns_req {
    __u64 buf;    /* the payload ... */
    __u64 len;
    __u64 iov;    /* ... or its iovec array */
    __u64 iovcnt;
    __s64 ret;
    __u32 nr;
    __s32 fd;
    __u32 index;
    __u32 via;
};

/* Emits one `dns` record: `buf` (len bytes) or the first two iovecs of `iov`. */
__noinline int gb_cov_emit_dns(struct gb_sock_info* si, struct gb_dns_req* r) {
    struct gb_cov_buf* ev = gb_cov_buf_get();
    if (!ev || !si || !r) {
        gb_count_lost(GB_EV_DNS);
        return 0;
    }
    struct gb_dns_event* d = (struct gb_dns_event*)ev;
    const __u32 data_off = sizeof(*d);
    gb_fill_header(&d->hdr, GB_EV_DNS, 0);
    d->hdr.via = r->via;
    d->ret = r->ret;
    d->syscall = r->nr;
    d->fd = r->fd;
    d->family = si->family;
    d->sock_type = si->type;
    d->port = si->port;
    d->index = r->index;
    __builtin_memcpy(d->addr, si->addr, 16);
    __u32 n1 = 0, n2 = 0;
    __u64 b2 = 0, buf = r->buf, len = r->len;
    if (r->iov) {
        struct gb_iovec v[2] = {};
        bpf_probe_read_user(&v, r->iovcnt > 1 ? sizeof(v) : sizeof(v[0]), (const void*)r->iov);
        buf = (__u64)v[0].iov_base;
        len = v[0].iov_len;
        if (r->iovcnt > 1) {
            b2 = (__u64)v[1].iov_base;
            n2 = v[1].iov_len > GB_DNS_PAYLOAD_MAX ? GB_DNS_PAYLOAD_MAX : v[1].iov_len;
        }
    }
    n1 = len > GB_DNS_PAYLOAD_MAX ? GB_DNS_PAYLOAD_MAX : len;
    if (n1 + n2 > GB_DNS_PAYLOAD_MAX)
        n2 = GB_DNS_PAYLOAD_MAX - n1;
    __u32 pos = data_off;
    d->payload.off = 0;
    d->payload.flags = GB_STR_PRESENT;
    d->payload.pad = 0;
    n1 &= (GB_DNS_PAYLOAD_MAX * 2 - 1);
    if (n1 > GB_DNS_PAYLOAD_MAX)
        n1 = GB_DNS_PAYLOAD_MAX;
    if (n1 && bpf_probe_read_user(&ev->b[pos], n1, (const void*)buf) != 0)
        d->payload.flags |= GB_STR_FAULT;
    pos += n1;
    n2 &= (GB_DNS_PAYLOAD_MAX * 2 - 1);
    if (n2 > GB_DNS_PAYLOAD_MAX)
        n2 = GB_DNS_PAYLOAD_MAX;
    if (n2 && b2 && bpf_probe_read_user(&ev->b[pos], n2, (const void*)b2) != 0)
        d->payload.flags |= GB_STR_FAULT;
    else
        pos += n2;
    d->payload.len = pos - data_off;
    if (d->payload.len < 12 && !(d->payload.flags & GB_STR_FAULT))
        return 0; /* shorter than a DNS header: a TCP length prefix written on its own */
    gb_submit_scratch(pos, GB_EV_DNS);
    return 0;
}

/* Syscall arguments as one sized object (global functions take pointers to sized types). */
struct gb_args {
    __u64 a[6];
};

/* gb_dns_check's locals, one set per CPU rather than on the stack (the 512-byte limit on a call
 * chain's stack: see gb_cov_frame). Tracepoint programs are not preempted. */
struct gb_dns_frame {
    struct gb_sock_info si;
    struct gb_sock_info base;
    struct gb_dns_req r;
    struct gb_sockaddr_in6 sa;
    struct gb_msghdr m;
    struct gb_mmsghdr mm;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct gb_dns_frame);
} gb_dns_frames SEC(".maps");

/* A global function: the verifier checks it once, not inside every path of gb_cov_sys_exit
 * (inlined, with its sendmmsg loop, it was ~4,000 verifier steps of every start-up). */
__noinline int gb_dns_check(struct gb_args* args, long nr, long ret) {
    if (!args)
        return 0;
    struct task_struct* task = bpf_get_current_task_btf();
    __u64* a = args->a;
    __u32 zero = 0;
    struct gb_dns_frame* f = bpf_map_lookup_elem(&gb_dns_frames, &zero);
    if (!f)
        return 0;
    struct gb_sock_info* si = &f->si;
    __builtin_memset(si, 0, sizeof(*si));
    long fd = (int)a[0];
    /* The scope lookup after the socket test: most writes go to files and pipes. */
    if (!gb_inet_socket(task, fd, si) || !gb_in_scope())
        return 0;
    struct gb_dns_req* r = &f->r;
    *r = (struct gb_dns_req){.ret = ret, .nr = nr, .fd = fd, .via = GB_VIA_SYSCALL};
    if (nr == NR_SENDTO) {
        gb_user_dest(si, &f->sa, (const void*)a[4], a[5]);
        if (si->port == GB_DNS_PORT) {
            r->buf = a[1];
            r->len = a[2];
            gb_cov_emit_dns(si, r);
        }
    } else if (nr == NR_WRITE || nr == NR_WRITEV) {
        if (si->port != GB_DNS_PORT)
            return 0;
        if (nr == NR_WRITE) {
            r->buf = a[1];
            r->len = a[2];
        } else {
            r->iov = a[1];
            r->iovcnt = a[2];
        }
        gb_cov_emit_dns(si, r);
    } else if (nr == NR_SENDMSG) {
        struct gb_msghdr* m = &f->m;
        __builtin_memset(m, 0, sizeof(*m));
        bpf_probe_read_user(m, sizeof(*m), (const void*)a[1]);
        gb_user_dest(si, &f->sa, m->msg_name, m->msg_namelen);
        if (si->port == GB_DNS_PORT) {
            r->iov = (__u64)m->msg_iov;
            r->iovcnt = m->msg_iovlen;
            gb_cov_emit_dns(si, r);
        }
    } else { /* sendmmsg */
        __u32 vlen = a[2] > GB_MMSG_MAX ? GB_MMSG_MAX : a[2];
        f->base = *si;
        struct gb_mmsghdr* mm = &f->mm;
        for (__u32 i = 0; i < GB_MMSG_MAX; i++) {
            if (i >= vlen)
                break;
            __builtin_memset(mm, 0, sizeof(*mm));
            bpf_probe_read_user(mm, sizeof(*mm), (const void*)(a[1] + i * sizeof(struct gb_mmsghdr)));
            *si = f->base;
            gb_user_dest(si, &f->sa, mm->msg_hdr.msg_name, mm->msg_hdr.msg_namelen);
            if (si->port == GB_DNS_PORT) {
                r->iov = (__u64)mm->msg_hdr.msg_iov;
                r->iovcnt = mm->msg_hdr.msg_iovlen;
                r->index = i;
                gb_cov_emit_dns(si, r);
            }
        }
    }
    return 0;
}

/* ---- the generic record ---------------------------------------------------------------------- */

static __always_inline bool gb_prctl_recorded(__u64 option) {
    switch (option) {
    case 4:          /* PR_SET_DUMPABLE */
    case 8:          /* PR_SET_KEEPCAPS */
    case 15:         /* PR_SET_NAME: a process renaming itself */
    case 22:         /* PR_SET_SECCOMP */
    case 24:         /* PR_CAPBSET_DROP */
    case 28:         /* PR_SET_SECUREBITS */
    case 35:         /* PR_SET_MM */
    case 36:         /* PR_SET_CHILD_SUBREAPER */
    case 38:         /* PR_SET_NO_NEW_PRIVS */
    case 47:         /* PR_CAP_AMBIENT */
    case 59:         /* PR_SET_SYSCALL_USER_DISPATCH */
    case 0x59616d61: /* PR_SET_PTRACER */
        return true;
    }
    return false;
}

static __always_inline __u64 gb_arg(struct gb_args* args, __u8 enc) {
    __u32 i = (enc & 0x7f) - 1;
    return i < 6 ? args->a[i] : 0;
}

struct gb_sys_req {
    __s64 ret;
    __u32 spec_nr; /* x86-64 number the spec belongs to */
    __u32 raw_nr;  /* number as entered */
    __u32 kind;
    __u32 via;
    __u8 kstr[2];  /* io_uring: 1 + index of the args holding kernel string pointers */
    __u8 kdir[2];  /* io_uring: 1 + index of their dirfd args (0: not a path) */
    __u32 pid_global; /* the pid argument is the machine's number already (the tripwire's) */
};

/* The large locals of gb_cov_sys_exit (and gb_abi32, inlined into it), one set per CPU instead
 * of on the stack: the chain sys_exit -> gb_cov_sys_exit -> gb_cov_emit_sys -> path walk must stay
 * within the 512 bytes that kernels without BPF private stacks allow a whole call chain
 * (scripts/bpf-stack-check.py checks it at build time). Tracepoint programs are not preempted,
 * and nothing deeper in the chain uses this slot. */
struct gb_cov_frame {
    struct gb_args args;
    struct gb_sys_req req;
    struct gb_sys_spec none; /* the spec of a 32-bit call the table does not know */
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct gb_cov_frame);
} gb_cov_frames SEC(".maps");

static __always_inline struct gb_cov_frame* gb_cov_frame_get(void) {
    __u32 zero = 0;
    return bpf_map_lookup_elem(&gb_cov_frames, &zero);
}

/* Builds and emits the generic record of one syscall as described by its spec. */
__noinline int gb_cov_emit_sys(struct gb_sys_spec* spec, struct gb_args* a, struct gb_sys_req* r) {
    struct gb_cov_buf* ev = gb_cov_buf_get();
    if (!r)
        return 0;
    __u32 kind = r->kind;
    __s64 ret = r->ret;
    if (!ev || !spec || !a) {
        gb_count_lost(kind);
        return 0;
    }
    struct task_struct* task = bpf_get_current_task_btf();
    struct gb_sys_event* e = (struct gb_sys_event*)ev;
    const __u32 data_off = sizeof(*e);
    __u32 pos = data_off;
    gb_fill_header(&e->hdr, kind, 0);
    e->hdr.via = r->via;
    e->ret = ret;
    e->syscall = r->spec_nr;
    e->raw_nr = r->raw_nr;
    for (int i = 0; i < 6; i++)
        e->args[i] = a->a[i];
    e->target_pid = 0;
    e->flags = 0;

    for (int i = 0; i < GB_SYS_STRS; i++) {
        __u8 enc = spec->str_arg[i];
        if (enc)
            pos = gb_put_user_str(ev->b, pos, data_off, &e->str[i], (const void*)gb_arg(a, enc));
        else
            gb_cov_str_none(&e->str[i], pos, data_off);
    }
    for (int i = 0; i < 2; i++) {
        __u8 enc = spec->str_dir[i];
        struct gb_str* s = &e->str[i];
        bool relative = false;
        if (enc && (s->flags & GB_STR_PRESENT) && !(s->flags & GB_STR_FAULT)) {
            __u32 at = data_off + s->off;
            relative = s->len == 0 || (at < GB_EVENT_MAX && ev->b[at & (GB_EVENT_MAX - 1)] != '/');
        } else if (enc && !(s->flags & GB_STR_PRESENT) && (spec->flags & GB_SPEC_DIR_EMPTY_OK)) {
            relative = true; /* NULL path: the dirfd itself (utimensat(fd, NULL, ...)) */
        }
        if (relative) {
            int dfd = enc == GB_SPEC_DIR_CWD ? GB_AT_FDCWD : (int)gb_arg(a, enc);
            pos = gb_cov_put_dir(ev, pos, data_off, &e->dir[i], task, dfd);
        } else {
            gb_cov_str_none(&e->dir[i], pos, data_off);
        }
    }
    if (spec->fd_arg) {
        long fd = spec->fd_arg == GB_SPEC_FD_RET ? ret : (int)gb_arg(a, spec->fd_arg);
        struct file* f = fd >= 0 ? gb_fd_file(task, fd) : NULL;
        pos = gb_cov_put_file(ev, pos, data_off, &e->fd_path, f);
    } else {
        gb_cov_str_none(&e->fd_path, pos, data_off);
    }
    /* setpriority / ioprio_set by group or user: `who` is resolved as a pid here all the same (it
     * costs a lookup, not stack); the decoder drops the target for them (decode_coverage.cpp). */
    if (spec->pid_arg) {
        __s32 pid;
        if (spec->pid_arg & GB_SPEC_PID_PIDFD) {
            pid = gb_pidfd_nr(task, (int)gb_arg(a, spec->pid_arg));
        } else {
            pid = (__s32)gb_arg(a, spec->pid_arg);
        }
        __u32 ns_rel = 0;
        __s32 global = (spec->pid_arg & GB_SPEC_PID_PIDFD) || r->pid_global ? pid : gb_global_pid(pid, &ns_rel);
        __u32 tgid = 0;
        if (ns_rel && !global) { /* not the tree's: never looked up among the machine's numbers */
            gb_cov_str_none(&e->target_exe, pos, data_off);
            e->flags |= GB_SYS_TARGET_NS;
        } else {
            pos = gb_cov_put_exe(ev, &e->target_exe, GB_PD(pos, data_off), global, &tgid);
        }
        e->target_pid = tgid ? tgid : (__u32)pid; /* <= 0 kept: kill(-1), kill(-pgrp) */
        if (!tgid && pid > 0 && !(e->flags & GB_SYS_TARGET_NS))
            e->flags |= GB_SYS_TARGET_GONE;
    } else {
        gb_cov_str_none(&e->target_exe, pos, data_off);
    }
    if (spec->bytes_arg && spec->bytes_len) {
        __u32 n = spec->bytes_len > 64 ? 64 : spec->bytes_len;
        pos = gb_put_user_bytes(ev->b, pos, data_off, &e->bytes, (const void*)gb_arg(a, spec->bytes_arg), n, 64);
    } else {
        gb_cov_str_none(&e->bytes, pos, data_off);
    }
    gb_submit_scratch(pos, kind);
    return 0;
}

/* Signals, and the calls that change another process's limits or priorities (prlimit64, sched_*,
 * setpriority, ioprio_set): only those leaving the traced tree (kill(0)/own group stays inside;
 * pid 0 is the caller itself, what every program does to its own limits and priority). */
static __always_inline bool gb_signal_leaves_tree(long nr, __u64* a, struct task_struct* task) {
    __s32 pid;
    if (nr == NR_PRLIMIT64 || nr == NR_SCHED_SETPARAM || nr == NR_SCHED_SETSCHEDULER || nr == NR_SCHED_SETAFFINITY ||
        nr == NR_SCHED_SETATTR) {
        pid = (__s32)a[0];
        if (pid == 0)
            return false;
    } else if (nr == NR_SETPRIORITY || nr == NR_IOPRIO_SET) {
        /* which: PRIO_PROCESS 0 / IOPRIO_WHO_PROCESS 1 names a pid; a process group (who 0: the
         * caller's own) or a uid (every process of that user, glassbox's if it is root) may reach
         * beyond the tree: recorded. */
        __u64 by_pid = nr == NR_SETPRIORITY ? 0 : 1, by_pgrp = nr == NR_SETPRIORITY ? 1 : 2;
        pid = (__s32)a[1];
        if (a[0] == by_pgrp)
            return pid != 0;
        if (a[0] != by_pid)
            return true;
        if (pid == 0)
            return false;
    } else if (nr == NR_KILL) {
        pid = (__s32)a[0];
        if (pid == 0)
            return false;
        if (pid < 0)
            return true; /* a process group or every process: recorded */
    } else if (nr == NR_TKILL || nr == NR_TGKILL) {
        pid = (__s32)a[0];
    } else { /* pidfd_send_signal */
        pid = gb_pidfd_nr(task, (int)a[0]);
    }
    if (pid <= 0)
        return true;
    __u32 ns_rel;
    pid = gb_global_pid(pid, &ns_rel);
    if (!pid)
        return true; /* names no task of the tree in the caller's namespace */
#ifndef GB_KERNEL_LEGACY
    struct task_struct* t = bpf_task_from_pid(pid);
    if (!t)
        return true; /* gone: cannot prove it was ours */
    __u32 tgid = t->tgid;
    bpf_task_release(t);
    return !gb_pid_in_scope(tgid);
#else
    /* Without bpf_task_from_pid a thread id cannot be mapped to its process: a signal to a
     * traced thread other than a leader is recorded too (more evidence, never less). */
    return !gb_pid_in_scope((__u32)pid);
#endif
}

/* 32-bit entry: decode what the table knows under its x86-64 name, else a bare `abi32` record. */
static __always_inline void gb_abi32(struct gb_regs* regs, long nr, long ret) {
    /* The i386 calls that cannot change anything worth reporting and run constantly. */
    if (nr == 3 || nr == 4 || nr == 6 || nr == 45 || nr == 91 || nr == 192 || nr == 125 || nr == 174 ||
        nr == 175 || nr == 265 || nr == 403 || nr == 407)
        return;
    if (!gb_in_scope())
        return;
    struct gb_cov_frame* f = gb_cov_frame_get();
    if (!f) {
        gb_count_lost(GB_EV_ABI32);
        return;
    }
    f->args.a[0] = (__u32)regs->bx;
    f->args.a[1] = (__u32)regs->cx;
    f->args.a[2] = (__u32)regs->dx;
    f->args.a[3] = (__u32)regs->si;
    f->args.a[4] = (__u32)regs->di;
    f->args.a[5] = (__u32)regs->bp;
    __u32 key = (__u32)nr;
    __u32* x = nr >= 0 && nr < GB_SYS_NR_MAX ? bpf_map_lookup_elem(&gb_abi32_nr, &key) : NULL;
    __u32 xnr = x ? *x : 0xffffffff;
    __builtin_memset(&f->none, 0, sizeof(f->none));
    struct gb_sys_spec* spec = &f->none;
    if (xnr < GB_SYS_NR_MAX) {
        struct gb_sys_spec* s = bpf_map_lookup_elem(&gb_sys_specs, &xnr);
        if (s)
            spec = s;
    }
    if (!spec->kind) {
        /* Not in the table (its entry, when the number has one, is all zero): an `abi32` record,
         * with the path string of the calls the recorder decodes only for the 64-bit ABI (open,
         * creat, execve, openat). */
        spec = &f->none;
        if (xnr == NR_OPEN || xnr == NR_CREAT || xnr == 59)
            f->none.str_arg[0] = 1;
        else if (xnr == NR_OPENAT)
            f->none.str_arg[0] = 2;
    }
    __u32 kind = spec->kind ? spec->kind : GB_EV_ABI32;
    f->req = (struct gb_sys_req){.ret = ret, .spec_nr = xnr, .raw_nr = (__u32)nr, .kind = kind, .via = GB_VIA_ABI32};
    gb_cov_emit_sys(spec, &f->args, &f->req);
}

static __noinline int gb_cov_sys_exit(struct gb_regs* regs, long ret) {
    long nr = regs->orig_ax;
    struct task_struct* task = bpf_get_current_task_btf();
    if (gb_is_compat(task)) {
        gb_abi32(regs, nr, ret);
        return 0;
    }
    if (nr < 0 || nr >= GB_SYS_NR_MAX)
        return 0;
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;

    switch (nr) {
    case NR_READ:
    case NR_PREAD64:
    case NR_READV:
    case NR_PREADV:
    case NR_PREADV2:
        gb_io_moved(tgid, ret, (int)regs->di, -1);
        return 0;
    case NR_PWRITE64:
    case NR_PWRITEV:
    case NR_PWRITEV2:
        gb_io_moved(tgid, ret, -1, (int)regs->di);
        return 0;
    case NR_SENDFILE: /* out_fd, in_fd */
        gb_io_moved(tgid, ret, (int)regs->si, (int)regs->di);
        return 0;
    case NR_COPY_FILE_RANGE: /* fd_in, off_in, fd_out */
    case NR_SPLICE:
        gb_io_moved(tgid, ret, (int)regs->di, (int)regs->dx);
        return 0;
    case NR_WRITE:
    case NR_WRITEV: {
        __u64 key;
        struct gb_fd_io* io = gb_fd_io_of(tgid, (int)regs->di, &key);
        if (io) { /* a tracked file, so not a socket */
            if (ret > 0) {
                __sync_fetch_and_add(&io->bytes_written, ret);
                __sync_fetch_and_add(&io->writes, 1);
            }
            return 0;
        }
        break; /* maybe a DNS query on a connected socket */
    }
    case NR_SENDTO:
    case NR_SENDMSG:
    case NR_SENDMMSG:
        break;
    case NR_OPEN:
    case NR_CREAT:
    case NR_OPENAT:
    case NR_OPENAT2:
        if (ret >= 0 && gb_pid_in_scope(tgid))
            gb_track_fd(task, tgid, ret);
        return 0;
    case NR_CLOSE_RANGE:
        /* Normally reported at entry with their paths; whatever is still tracked here was closed
         * without that (path null). CLOSE_RANGE_CLOEXEC closes nothing until exec. */
        if (ret == 0 && !(regs->dx & GB_CLOSE_RANGE_CLOEXEC) && gb_pid_in_scope(tgid))
            gb_flush_range(task, tgid, regs->di, regs->si, GB_CLOSE_RANGE);
        return 0;
    case 59:  /* execve */
    case 322: /* execveat: O_CLOEXEC / CLOSE_RANGE_CLOEXEC descriptors are gone now */
        if (ret == 0 && gb_pid_in_scope(tgid))
            gb_flush_range(task, tgid, 0, 65535, GB_CLOSE_EXEC);
        return 0;
    default:
        break;
    }

    __u32 key = (__u32)nr;
    struct gb_sys_spec* spec = bpf_map_lookup_elem(&gb_sys_specs, &key);
    bool dns = nr == NR_WRITE || nr == NR_WRITEV || nr == NR_SENDTO || nr == NR_SENDMSG || nr == NR_SENDMMSG;
    if (!dns && (!spec || !spec->kind))
        return 0;
    struct gb_cov_frame* f = gb_cov_frame_get();
    if (!f)
        return 0;
    struct gb_args* args = &f->args;
    __u64* a = args->a;
    gb_syscall_args(a, regs);
    /* The tests on the arguments alone come before the scope lookup (a hash lookup): most mmaps
     * map data, most writes go to files and pipes. */
    if (nr == NR_MMAP && (!(a[2] & GB_PROT_EXEC) || (a[3] & GB_MAP_ANONYMOUS) || (int)a[4] < 0))
        return 0;
    if (nr == NR_PRCTL && !gb_prctl_recorded(a[0]))
        return 0;
    if (dns) {
        gb_dns_check(args, nr, ret); /* checks the scope itself, once it sees an inet socket */
        if (!spec || !spec->kind)
            return 0;
    }
    if (!gb_in_scope())
        return 0;
    if (nr != NR_MMAP && nr != NR_PRCTL && (spec->flags & GB_SPEC_OUTSIDE_ONLY)) {
        if (!gb_signal_leaves_tree(nr, a, task))
            return 0;
    }
    __u32 kind = spec->kind;
    if (nr == NR_UNLINKAT && (a[2] & GB_AT_REMOVEDIR))
        kind = GB_EV_RMDIR;
    f->req = (struct gb_sys_req){.ret = ret, .spec_nr = (__u32)nr, .raw_nr = (__u32)nr, .kind = kind,
                                 .via = GB_VIA_SYSCALL};
    gb_cov_emit_sys(spec, args, &f->req);
    if ((spec->flags & GB_SPEC_TRACK_FD) && ret >= 0)
        gb_track_fd(task, tgid, ret);
    return 0;
}

/* ---- io_uring --------------------------------------------------------------------------------
 * Operations submitted through an io_uring never pass through the syscall tracepoints. At
 * io_uring_submit_req the request is prepared (io_kiocb: opcode, its per-op command with the
 * kernel copies of paths and addresses), so the record is built there in the submitter's context
 * and kept in gb_uring_pending by request; io_uring_complete adds the result (and, for opens, the
 * path resolved from the new descriptor) and emits it with via = io_uring. Whatever the request
 * does not carry (a fixed-file slot instead of a descriptor) stays null in the record. */

#define IOU_OP_SENDMSG 9
#define IOU_OP_ACCEPT 13
#define IOU_OP_CONNECT 16
#define IOU_OP_OPENAT 18
#define IOU_OP_SEND 26
#define IOU_OP_OPENAT2 28
#define IOU_OP_RENAMEAT 35
#define IOU_OP_UNLINKAT 36
#define IOU_OP_MKDIRAT 37
#define IOU_OP_SYMLINKAT 38
#define IOU_OP_LINKAT 39
#define IOU_OP_SOCKET 45
#define IOU_OP_SEND_ZC 47

#define NR_RENAMEAT2 316
#define NR_MKDIRAT 258
#define NR_SYMLINKAT 266
#define NR_LINKAT 265
#define NR_SOCKET 41
#define GB_URING_REC_MAX 16384
/* GB_RET_UNKNOWN (the trace writes `ret: null`) is defined in net.h. */

struct gb_uring_pend {
    __u32 size;   /* bytes of rec */
    __u32 opcode;
    __u32 kptr_args; /* bit i: args[i] of the gb_sys_event is a kernel pointer, cleared at completion */
    __u32 pad;
    __u64 accept_addr;    /* ACCEPT: user buffer the peer address is written to */
    __u64 accept_addrlen; /* ACCEPT: user int* */
    __u8 rec[GB_URING_REC_MAX];
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(map_flags, BPF_F_NO_PREALLOC); /* off the hot path: allocated on demand, fast start-up */
    __uint(max_entries, 512); /* requests in flight at once; more are counted as lost */
    __type(key, __u64); /* struct io_kiocb * */
    __type(value, struct gb_uring_pend);
} gb_uring_pending SEC(".maps");

/* Zeroed template for inserting a pending entry (too large for the stack). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct gb_uring_pend);
} gb_uring_zero SEC(".maps");

static __always_inline const char* gb_filename(struct filename* f) {
    return f ? BPF_CORE_READ(f, name) : NULL;
}

/* A file-change op as the generic record of its syscall twin, with the twin's argument layout.
 * Paths are the kernel's copies (struct filename); relative ones get their dirfd resolved now
 * (the dirfd may be closed before completion). */
__noinline int gb_uring_sys(struct gb_uring_pend* p, struct gb_args* args, struct gb_sys_req* r) {
    struct gb_cov_buf* ev = gb_cov_buf_get();
    if (!p || !args || !r || !ev)
        return 0;
    struct gb_sys_event* e = (struct gb_sys_event*)ev;
    const __u32 data_off = sizeof(*e);
    gb_fill_header(&e->hdr, r->kind, 0);
    e->hdr.via = GB_VIA_IO_URING;
    e->ret = GB_RET_UNKNOWN;
    e->syscall = r->spec_nr;
    e->raw_nr = r->raw_nr; /* the io_uring opcode */
    for (int i = 0; i < 6; i++)
        e->args[i] = args->a[i];
    e->target_pid = 0;
    e->flags = 0;
    struct task_struct* task = bpf_get_current_task_btf();
    __u32 pos = data_off;
    p->kptr_args = 0;
    for (int i = 0; i < 2; i++) {
        __u8 k = r->kstr[i];
        if (k) {
            pos = gb_put_kernel_str(ev->b, pos, data_off, &e->str[i], (const void*)gb_arg(args, k));
            p->kptr_args |= 1u << ((k - 1) & 7);
        } else {
            gb_cov_str_none(&e->str[i], pos, data_off);
        }
    }
    gb_cov_str_none(&e->str[2], pos, data_off);
    for (int i = 0; i < 2; i++) {
        struct gb_str* s = &e->str[i];
        __u32 at = data_off + s->off;
        bool relative = r->kdir[i] && (s->flags & GB_STR_PRESENT) && !(s->flags & GB_STR_FAULT) &&
                        (s->len == 0 || (at < GB_EVENT_MAX && ev->b[at & (GB_EVENT_MAX - 1)] != '/'));
        if (relative)
            pos = gb_cov_put_dir(ev, pos, data_off, &e->dir[i], task, (int)gb_arg(args, r->kdir[i]));
        else
            gb_cov_str_none(&e->dir[i], pos, data_off);
    }
    gb_cov_str_none(&e->fd_path, pos, data_off);
    gb_cov_str_none(&e->target_exe, pos, data_off);
    gb_cov_str_none(&e->bytes, pos, data_off);
    __u32 size = pos >= GB_URING_REC_MAX ? GB_URING_REC_MAX - 1 : pos;
    p->size = size;
    bpf_probe_read_kernel(p->rec, size & (GB_URING_REC_MAX - 1), ev->b);
    return 0;
}

static __always_inline void gb_uring_fill_sock(struct gb_net_event* n, int fd) {
    struct file* f = gb_fd_file(bpf_get_current_task_btf(), fd);
    struct socket* sock = f ? BPF_CORE_READ(f, private_data) : NULL;
    struct sock* sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
    if (sk) {
        n->family = BPF_CORE_READ(sk, __sk_common.skc_family);
        n->sock_type = BPF_CORE_READ(sk, sk_type);
        n->protocol = BPF_CORE_READ(sk, sk_protocol);
    }
}

/* Fills a net record's address from a sockaddr: the caller's buffer (readable at submission, in
 * the submitter's memory), else the kernel's copy `k` when the request made one. */
static __always_inline void gb_uring_addr(struct gb_net_event* n, const void* k, const void* u, __u32 alen) {
    struct gb_sockaddr_in6 sa = {};
    if (u)
        bpf_probe_read_user(&sa, sizeof(sa) < alen ? sizeof(sa) : (alen & 31), u);
    if (sa.sin6_family == 0 && k)
        bpf_probe_read_kernel(&sa, sizeof(sa), k);
    if (sa.sin6_family == GB_AF_INET) {
        struct gb_sockaddr_in* in4 = (struct gb_sockaddr_in*)&sa;
        n->family = GB_AF_INET;
        n->port = bpf_ntohs(in4->sin_port);
        __builtin_memcpy(n->addr, &in4->sin_addr, 4);
        n->flags |= GB_NET_HAVE_ADDR;
    } else if (sa.sin6_family == GB_AF_INET6) {
        n->family = GB_AF_INET6;
        n->port = bpf_ntohs(sa.sin6_port);
        __builtin_memcpy(n->addr, &sa.sin6_addr, 16);
        n->flags |= GB_NET_HAVE_ADDR;
    }
}

/* I/O requests on tracked descriptors, by request: their completion adds to the descriptor's
 * totals. LRU: a request that never completes (ring torn down) must not fill the table. */
#define IOU_OP_READV 1
#define IOU_OP_WRITEV 2
#define IOU_OP_READ_FIXED 4
#define IOU_OP_WRITE_FIXED 5
#define IOU_OP_READ 22
#define IOU_OP_WRITE 23
#define IOU_OP_RECV 27
#define IOU_OP_CLOSE 19
#define IOU_REQ_F_FIXED_FILE 1ULL /* REQ_F_FIXED_FILE = 1 << IOSQE_FIXED_FILE_BIT (0) */

struct gb_uring_io {
    __u64 fd_key; /* gb_fd_key(tgid, fd) of the submitter's descriptor */
    __u32 write;
    __u32 pad;
};

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 4096);
    __type(key, __u64); /* struct io_kiocb * */
    __type(value, struct gb_uring_io);
} gb_uring_io_map SEC(".maps");

/* 1: reads into memory, 2: writes from memory, 0: not a byte-moving request. */
static __always_inline int gb_uring_io_dir(__u8 op) {
    switch (op) {
    case IOU_OP_READV:
    case IOU_OP_READ_FIXED:
    case IOU_OP_READ:
    case IOU_OP_RECV:
        return 1;
    case IOU_OP_WRITEV:
    case IOU_OP_WRITE_FIXED:
    case IOU_OP_WRITE:
    case IOU_OP_SEND:
        return 2;
    }
    return 0;
}

/* A read/write request on a descriptor whose totals are kept: remember it until completion.
 * A registered (fixed) file is not a descriptor of the process: it has no totals to add to. */
static __always_inline void gb_uring_io_submit(struct io_kiocb* req, int dir) {
    if (BPF_CORE_READ(req, flags) & IOU_REQ_F_FIXED_FILE)
        return;
    int fd = BPF_CORE_READ(req, cqe.fd);
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    struct gb_uring_io v = {.fd_key = gb_fd_key(tgid, fd), .write = dir == 2};
    if (fd < 0 || !bpf_map_lookup_elem(&gb_fd_io_map, &v.fd_key))
        return;
    __u64 key = (__u64)req;
    bpf_map_update_elem(&gb_uring_io_map, &key, &v, BPF_ANY);
}

/* gb_uring_submit's large locals, one set per CPU rather than on the stack (the 512-byte limit on
 * a call chain's stack: see gb_cov_frame). */
struct gb_uring_frame {
    struct gb_args args;
    struct gb_sys_req req;
    struct gb_sock_info si;
    struct gb_sockaddr_in6 sa;
    struct gb_dns_req dr;
    struct gb_msghdr m;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct gb_uring_frame);
} gb_uring_frames SEC(".maps");

static __always_inline int gb_uring_submit_common(struct io_kiocb* req) {
    __u8 op = BPF_CORE_READ(req, opcode);
    int io_dir = gb_uring_io_dir(op);
    if (io_dir && gb_pid_in_scope(bpf_get_current_pid_tgid() >> 32))
        gb_uring_io_submit(req, io_dir);
    if (op == IOU_OP_CLOSE) {
        /* Reported now, while the descriptor can still be resolved (as close() is at entry). */
        struct io_close* c = (void*)&req->cmd;
        __u32 tgid = bpf_get_current_pid_tgid() >> 32;
        int fd = BPF_CORE_READ(c, fd);
        __u64 key = gb_fd_key(tgid, fd);
        struct gb_fd_io* io = BPF_CORE_READ(c, file_slot) || fd < 0 ? NULL : bpf_map_lookup_elem(&gb_fd_io_map, &key);
        if (io) {
            gb_cov_emit_close(fd, GB_CLOSE_URING, io);
            bpf_map_delete_elem(&gb_fd_io_map, &key);
        }
        return 0;
    }
    switch (op) {
    case IOU_OP_OPENAT:
    case IOU_OP_OPENAT2:
    case IOU_OP_CONNECT:
    case IOU_OP_ACCEPT:
    case IOU_OP_SEND:
    case IOU_OP_SEND_ZC:
    case IOU_OP_SENDMSG:
    case IOU_OP_RENAMEAT:
    case IOU_OP_UNLINKAT:
    case IOU_OP_MKDIRAT:
    case IOU_OP_SYMLINKAT:
    case IOU_OP_LINKAT:
    case IOU_OP_SOCKET:
        break;
    default:
        return 0;
    }
    if (!gb_in_scope())
        return 0;
    int fd = BPF_CORE_READ(req, cqe.fd); /* the sqe's fd: files are assigned at issue, not prep */
    void* cmd = &req->cmd;

    if (op == IOU_OP_SEND || op == IOU_OP_SEND_ZC || op == IOU_OP_SENDMSG) {
        /* Only DNS matters here (the destination of other sends is not a kind of its own); the
         * payload is in user memory now, so the record goes out now, with ret unknown. */
        __u32 fz = 0;
        struct gb_uring_frame* f = bpf_map_lookup_elem(&gb_uring_frames, &fz);
        if (!f)
            return 0;
        struct gb_sock_info* si = &f->si;
        __builtin_memset(si, 0, sizeof(*si));
        if (!gb_inet_socket(bpf_get_current_task_btf(), fd, si))
            return 0;
        struct io_sr_msg* sr = cmd;
        struct io_async_msghdr* am = BPF_CORE_READ(req, async_data);
        if (am && BPF_CORE_READ(am, msg.msg_name)) {
            __builtin_memset(&f->sa, 0, sizeof(f->sa));
            bpf_probe_read_kernel(&f->sa, sizeof(f->sa), &am->addr);
            gb_dest_from_sockaddr(si, &f->sa);
        }
        if (si->port != GB_DNS_PORT)
            return 0;
        struct gb_dns_req* r = &f->dr;
        *r = (struct gb_dns_req){.ret = GB_RET_UNKNOWN, .nr = op, .fd = fd, .via = GB_VIA_IO_URING};
        if (op == IOU_OP_SENDMSG) {
            __builtin_memset(&f->m, 0, sizeof(f->m));
            bpf_probe_read_user(&f->m, sizeof(f->m), BPF_CORE_READ(sr, umsg));
            r->iov = (__u64)f->m.msg_iov;
            r->iovcnt = f->m.msg_iovlen;
        } else {
            r->buf = (__u64)BPF_CORE_READ(sr, buf);
            r->len = (__u32)BPF_CORE_READ(sr, len);
        }
        gb_cov_emit_dns(si, r);
        return 0;
    }

    __u32 zk = 0;
    struct gb_uring_pend* zero = bpf_map_lookup_elem(&gb_uring_zero, &zk);
    struct gb_uring_frame* f = bpf_map_lookup_elem(&gb_uring_frames, &zk);
    if (!zero || !f)
        return 0;
    __u64 key = (__u64)req;
    if (bpf_map_update_elem(&gb_uring_pending, &key, zero, BPF_ANY) != 0) {
        gb_count_lost(GB_EV_OPEN);
        return 0;
    }
    struct gb_uring_pend* p = bpf_map_lookup_elem(&gb_uring_pending, &key);
    if (!p)
        return 0;
    p->opcode = op;

    if (op == IOU_OP_OPENAT || op == IOU_OP_OPENAT2) {
        struct io_open* o = cmd;
        struct gb_open_event* e = (struct gb_open_event*)p->rec;
        const __u32 data_off = sizeof(*e);
        gb_fill_header(&e->hdr, GB_EV_OPEN, 0);
        e->hdr.via = GB_VIA_IO_URING;
        e->ret = GB_RET_UNKNOWN;
        e->syscall = op == IOU_OP_OPENAT ? NR_OPENAT : NR_OPENAT2;
        e->flags = BPF_CORE_READ(o, how.flags);
        e->mode = BPF_CORE_READ(o, how.mode);
        e->pad = 0;
        e->resolve = BPF_CORE_READ(o, how.resolve);
        e->path.off = 0;
        e->path.len = 0;
        e->path.flags = 0; /* filled at completion */
        p->size = gb_put_str_room(p->rec, data_off, data_off, &e->raw_path,
                                  gb_filename(BPF_CORE_READ(o, filename)), GB_URING_REC_MAX - GB_RAW_MAX,
                                  false);
        /* a fixed-file slot (file_slot != 0) installs no descriptor: path stays null */
        e->pad = BPF_CORE_READ(o, file_slot);
        return 0;
    }
    if (op == IOU_OP_CONNECT || op == IOU_OP_ACCEPT) {
        struct gb_net_event* n = (struct gb_net_event*)p->rec;
        gb_fill_header(&n->hdr, op == IOU_OP_CONNECT ? GB_EV_CONNECT : GB_EV_ACCEPT, 0);
        n->hdr.via = GB_VIA_IO_URING;
        n->ret = GB_RET_UNKNOWN;
        n->syscall = op == IOU_OP_CONNECT ? 42 : 288;
        n->fd = fd;
        gb_uring_fill_sock(n, fd);
        if (op == IOU_OP_CONNECT) {
            struct io_connect* c = cmd;
            struct io_async_msghdr* am = BPF_CORE_READ(req, async_data);
            gb_uring_addr(n, am ? (const void*)&am->addr : NULL, BPF_CORE_READ(c, addr), BPF_CORE_READ(c, addr_len));
        } else {
            struct io_accept* a = cmd;
            p->accept_addr = (__u64)BPF_CORE_READ(a, addr);
            p->accept_addrlen = (__u64)BPF_CORE_READ(a, addr_len);
        }
        n->path.off = 0;
        n->path.len = 0;
        n->path.flags = 0;
        p->size = sizeof(*n);
        return 0;
    }
    if (op == IOU_OP_SOCKET) {
        struct io_socket* so = cmd;
        __builtin_memset(&f->args, 0, sizeof(f->args));
        f->args.a[0] = BPF_CORE_READ(so, domain);
        f->args.a[1] = BPF_CORE_READ(so, type);
        f->args.a[2] = BPF_CORE_READ(so, protocol);
        f->req = (struct gb_sys_req){.ret = GB_RET_UNKNOWN, .spec_nr = NR_SOCKET, .raw_nr = op,
                                     .kind = GB_EV_SOCKET, .via = GB_VIA_IO_URING};
        gb_uring_sys(p, &f->args, &f->req);
        return 0;
    }
    /* File changes, laid out as the arguments of their syscall twins. */
    struct gb_args* args_p = &f->args;
    __builtin_memset(args_p, 0, sizeof(*args_p));
    f->req = (struct gb_sys_req){.ret = GB_RET_UNKNOWN, .raw_nr = op, .via = GB_VIA_IO_URING};
    struct gb_sys_req* rq = &f->req;
    if (op == IOU_OP_UNLINKAT) { /* unlinkat(dfd, path, flags) */
        struct io_unlink* u = cmd;
        args_p->a[0] = BPF_CORE_READ(u, dfd);
        args_p->a[1] = (__u64)gb_filename(BPF_CORE_READ(u, filename));
        args_p->a[2] = BPF_CORE_READ(u, flags);
        rq->spec_nr = NR_UNLINKAT;
        rq->kind = (args_p->a[2] & GB_AT_REMOVEDIR) ? GB_EV_RMDIR : GB_EV_UNLINK;
        rq->kstr[0] = 2;
        rq->kdir[0] = 1;
    } else if (op == IOU_OP_MKDIRAT) { /* mkdirat(dfd, path, mode) */
        struct io_mkdir* m = cmd;
        args_p->a[0] = BPF_CORE_READ(m, dfd);
        args_p->a[1] = (__u64)gb_filename(BPF_CORE_READ(m, filename));
        args_p->a[2] = BPF_CORE_READ(m, mode);
        rq->spec_nr = NR_MKDIRAT;
        rq->kind = GB_EV_MKDIR;
        rq->kstr[0] = 2;
        rq->kdir[0] = 1;
    } else if (op == IOU_OP_SYMLINKAT) { /* symlinkat(target, newdfd, linkpath) */
        struct io_rename* rn = cmd; /* io_link has the same layout */
        args_p->a[0] = (__u64)gb_filename(BPF_CORE_READ(rn, oldpath));
        args_p->a[1] = BPF_CORE_READ(rn, new_dfd);
        args_p->a[2] = (__u64)gb_filename(BPF_CORE_READ(rn, newpath));
        rq->spec_nr = NR_SYMLINKAT;
        rq->kind = GB_EV_SYMLINK;
        rq->kstr[0] = 1;
        rq->kstr[1] = 3;
        rq->kdir[1] = 2;
    } else { /* renameat2 / linkat(olddfd, old, newdfd, new, flags) */
        struct io_rename* rn = cmd;
        args_p->a[0] = BPF_CORE_READ(rn, old_dfd);
        args_p->a[1] = (__u64)gb_filename(BPF_CORE_READ(rn, oldpath));
        args_p->a[2] = BPF_CORE_READ(rn, new_dfd);
        args_p->a[3] = (__u64)gb_filename(BPF_CORE_READ(rn, newpath));
        args_p->a[4] = BPF_CORE_READ(rn, flags);
        rq->spec_nr = op == IOU_OP_RENAMEAT ? NR_RENAMEAT2 : NR_LINKAT;
        rq->kind = op == IOU_OP_RENAMEAT ? GB_EV_RENAME : GB_EV_LINK;
        rq->kstr[0] = 2;
        rq->kstr[1] = 4;
        rq->kdir[0] = 1;
        rq->kdir[1] = 3;
    }
    gb_uring_sys(p, args_p, rq);
    return 0;
}

/* The tracepoint's name since 6.4 ... */
SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(gb_uring_submit, struct io_kiocb* req) {
    return gb_uring_submit_common(req);
}

/* ... and before (Debian 12's 6.1): the same request. */
SEC("tp_btf/io_uring_submit_sqe")
int BPF_PROG(gb_uring_submit_sqe, struct io_kiocb* req) {
    return gb_uring_submit_common(req);
}

static __always_inline int gb_uring_complete_common(void* req, __s32 res) {
    __u64 key = (__u64)req;
    struct gb_uring_io* io = bpf_map_lookup_elem(&gb_uring_io_map, &key);
    if (io) {
        __s32 n = res;
        struct gb_fd_io* t = n > 0 ? bpf_map_lookup_elem(&gb_fd_io_map, &io->fd_key) : NULL;
        if (t && io->write) {
            __sync_fetch_and_add(&t->bytes_written, n);
            __sync_fetch_and_add(&t->writes, 1);
        } else if (t) {
            __sync_fetch_and_add(&t->bytes_read, n);
            __sync_fetch_and_add(&t->reads, 1);
        }
        bpf_map_delete_elem(&gb_uring_io_map, &key);
        return 0;
    }
    struct gb_uring_pend* p = bpf_map_lookup_elem(&gb_uring_pending, &key);
    if (!p)
        return 0;
    struct gb_cov_buf* ev = gb_cov_buf_get();
    if (!ev) {
        bpf_map_delete_elem(&gb_uring_pending, &key);
        return 0;
    }
    __u32 size = p->size;
    if (size < sizeof(struct gb_event_header) || size >= GB_URING_REC_MAX) {
        bpf_map_delete_elem(&gb_uring_pending, &key);
        return 0;
    }
    /* The compiler drops the mask after the test above; some verifiers (6.12) then lose the
     * bound: keep both, in this order. */
    asm volatile("%0 &= %1" : "+r"(size) : "i"(GB_URING_REC_MAX - 1));
    bpf_probe_read_kernel(ev->b, size, p->rec);
    __u32 op = p->opcode;
    __u32 pos = size;
    struct gb_event_header* h = (struct gb_event_header*)ev->b;
    __u32 kind = h->kind;
    if (op == IOU_OP_OPENAT || op == IOU_OP_OPENAT2) {
        struct gb_open_event* e = (struct gb_open_event*)ev->b;
        e->ret = res;
        if (res >= 0 && e->pad == 0) { /* a real descriptor (not a fixed-file slot) */
            pos = gb_cov_put_file(ev, pos, sizeof(*e), &e->path, gb_fd_file(bpf_get_current_task_btf(), res));
            __u32 tgid = h->pid;
            gb_track_fd(bpf_get_current_task_btf(), tgid, res);
        }
        e->pad = 0;
    } else if (op == IOU_OP_CONNECT || op == IOU_OP_ACCEPT) {
        struct gb_net_event* n = (struct gb_net_event*)ev->b;
        n->ret = res;
        if (op == IOU_OP_ACCEPT && res >= 0 && p->accept_addr) {
            int alen = 0;
            bpf_probe_read_user(&alen, sizeof(alen), (const void*)p->accept_addrlen);
            gb_uring_addr(n, NULL, (const void*)p->accept_addr, alen);
        }
    } else {
        struct gb_sys_event* e = (struct gb_sys_event*)ev->b;
        e->ret = res;
        for (int i = 0; i < 6; i++) /* kernel pointers: not evidence, not for the trace */
            if (p->kptr_args & (1u << i))
                e->args[i] = 0;
    }
    bpf_map_delete_elem(&gb_uring_pending, &key);
    gb_submit_scratch(pos, kind);
    return 0;
}

/* The completion tracepoint passes the CQE since 6.? (6.18 has it) ... */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(gb_uring_complete, struct io_ring_ctx* ring, void* req, struct io_uring_cqe* cqe) {
    return gb_uring_complete_common(req, BPF_CORE_READ(cqe, res));
}

/* ... and its fields one by one before (Debian 12's 6.1 and 6.12): ctx, req, user_data, res, ... */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(gb_uring_complete_res, void* ring, void* req, __u64 user_data, int res) {
    return gb_uring_complete_common(req, res);
}
