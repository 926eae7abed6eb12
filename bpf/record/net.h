/* Network events of the recorder: connect, bind, listen, accept/accept4, the destinations of
 * unconnected sendto/sendmsg/sendmmsg and the sources of recvfrom/recvmsg/recvmmsg (when the
 * caller asks for them). The caller's sockaddr is copied at sys_enter (the kernel copied it then
 * too; the *mmsg vectors and received addresses are read at sys_exit); at sys_exit the socket's
 * family/type come from the kernel socket behind the fd, and for listen/accept (and resolvable unix
 * sockets) the address and the unix peer's process come from the kernel socket.
 * Datagram addresses are counted per (socket, address) in gb_dests: the first datagram emits the
 * record (count 1), later ones only count, and the total is emitted when the sending process
 * closes that descriptor or exits (gb_net_flush_*, called from syscalls.h's close/exit handlers).
 * Data path: sys_enter (stash + sockaddr) -> sys_exit -> gb_event_scratch -> gb_events. */
#include "helpers/common.h"
#include "helpers/path.h"

#include <bpf/bpf_endian.h>

#define NR_SENDTO 44
#define NR_RECVFROM 45
#define NR_SENDMSG 46
#define NR_RECVMSG 47
#define NR_CONNECT 42
#define NR_ACCEPT 43
#define NR_BIND 49
#define NR_LISTEN 50
#define NR_ACCEPT4 288
#define NR_RECVMMSG 299
#define NR_SENDMMSG 307

#define GB_AF_UNIX 1
#define GB_AF_INET 2
#define GB_AF_INET6 10
#define GB_S_IFMT 00170000
#define GB_S_IFSOCK 0140000
#define GB_NET_MMSG_MAX 8 /* sendmmsg/recvmmsg messages whose address is examined per call */
#define GB_EEXIST 17
#define GB_RET_UNKNOWN ((__s64)0x8000000000000000ULL) /* the trace writes `ret: null` */


/* Datagram addresses per socket and direction, with how many datagrams went there / came from
 * there. A plain hash (not LRU): an evicted entry would silently lose its count. */
struct gb_dest_key {
    __u64 sk;
    __u32 dir; /* 0 send, 1 receive */
    __u32 addrlen;
    __u8 addr[128];
};

struct gb_dest_val {
    __u64 count;
    __u32 tgid;    /* the process that first used it: its close/exit emits the total */
    __s32 fd;
    __u32 syscall;
    __u16 family;
    __u16 sock_type;
    __u16 protocol;
    __u16 pad[3];
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(map_flags, BPF_F_NO_PREALLOC); /* off the hot path: allocated on demand, fast start-up */
    __uint(max_entries, 16384);
    __type(key, struct gb_dest_key);
    __type(value, struct gb_dest_val);
} gb_dests SEC(".maps");

/* The large locals of the network handlers, one set per CPU rather than on the stack: with them
 * the chain sys_exit -> gb_net_sys_exit -> gb_mmsg_step -> gb_net_dgram_addr exceeded the 512
 * bytes of stack that kernels without BPF private stacks allow a whole call chain
 * (scripts/bpf-stack-check.py checks it at build time). Tracepoint programs are not preempted;
 * each field has one user in a chain (mm: gb_mmsg_step; key, nv: gb_net_dgram_addr, which it
 * calls; msg: gb_net_recv_addr, done before gb_net_dgram_addr starts). */
struct gb_net_frame {
    struct gb_dest_key key;
    struct gb_dest_val nv;
    struct gb_mmsghdr mm;
    struct gb_msghdr msg;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct gb_net_frame);
} gb_net_frames SEC(".maps");

static __always_inline struct gb_net_frame* gb_net_frame_get(void) {
    __u32 zero = 0;
    return bpf_map_lookup_elem(&gb_net_frames, &zero);
}

/* Receives and sendmmsg build their arguments here at exit instead of a stash (one per CPU:
 * tracepoint programs are not preempted). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct gb_inflight);
} gb_net_args SEC(".maps");

/* Descriptors (tgid << 32 | fd) that have counted addresses in gb_dests -> their socket, so a
 * close costs one lookup, not a walk of gb_dests. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(map_flags, BPF_F_NO_PREALLOC); /* off the hot path: allocated on demand, fast start-up */
    __uint(max_entries, 8192);
    __type(key, __u64);
    __type(value, __u64);
} gb_dest_fds SEC(".maps");

/* Processes (tgid) that first used some gb_dests entry: only their exit walks gb_dests. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(map_flags, BPF_F_NO_PREALLOC); /* off the hot path: allocated on demand, fast start-up */
    __uint(max_entries, 8192);
    __type(key, __u32);
    __type(value, __u8);
} gb_dest_procs SEC(".maps");

#define NR_CLOSE_RANGE 436

static __always_inline bool gb_is_net_nr(long nr) {
    return nr == NR_CONNECT || nr == NR_BIND || nr == NR_LISTEN || nr == NR_ACCEPT ||
           nr == NR_ACCEPT4 || nr == NR_SENDTO || nr == NR_SENDMSG || nr == NR_SENDMMSG ||
           nr == NR_RECVFROM || nr == NR_RECVMSG || nr == NR_RECVMMSG;
}

static __always_inline bool gb_is_recv_nr(long nr) {
    return nr == NR_RECVFROM || nr == NR_RECVMSG || nr == NR_RECVMMSG;
}

static __always_inline __u32 gb_net_kind(long nr) {
    switch (nr) {
    case NR_CONNECT: return GB_EV_CONNECT;
    case NR_BIND: return GB_EV_BIND;
    case NR_LISTEN: return GB_EV_LISTEN;
    case NR_ACCEPT:
    case NR_ACCEPT4: return GB_EV_ACCEPT;
    case NR_RECVFROM:
    case NR_RECVMSG:
    case NR_RECVMMSG: return GB_EV_RECVFROM;
    default: return GB_EV_SENDTO;
    }
}

static __always_inline void gb_copy_sockaddr(struct gb_inflight* in, const void* uaddr, __u64 len) {
    __builtin_memset(in->sockaddr, 0, sizeof(in->sockaddr)); /* part of the sendto dedup key */
    if (!uaddr)
        return;
    if (len > sizeof(in->sockaddr))
        len = sizeof(in->sockaddr);
    __u32 n = (__u32)len & 0xff;
    if (n > sizeof(in->sockaddr))
        n = sizeof(in->sockaddr);
    if (n && bpf_probe_read_user(in->sockaddr, n, uaddr) == 0)
        in->addrlen = n;
}

static __noinline int gb_net_sys_enter(struct gb_regs* regs, long id) {
    if (!gb_is_net_nr(id))
        return 0;
    /* Receives and sendmmsg are handled at exit only (their addresses are read then, and the
     * arguments are still in pt_regs): no entry work on the receive hot path. */
    if (gb_is_recv_nr(id) || id == NR_SENDMMSG)
        return 0;
    /* Sends on connected sockets (no destination) and receives that do not ask for the source
     * are not recorded: skip them before any map work, they are the hot path of most network
     * programs. */
    const void* dest = NULL;
    __u64 dest_len = 0;
    if (id == NR_SENDTO || id == NR_RECVFROM) {
        dest = (const void*)regs->r8;
        dest_len = regs->r9;
        if (!dest)
            return 0;
        if (id == NR_RECVFROM)
            dest = NULL; /* filled by the kernel: read at exit */
    }
    if (gb_is_compat(bpf_get_current_task_btf()) || !gb_in_scope())
        return 0;
    /* The scope test first: reading the caller's msghdr costs more. */
    if (id == NR_SENDMSG) {
        struct gb_msghdr msg = {};
        if (bpf_probe_read_user(&msg, sizeof(msg), (const void*)regs->si) != 0)
            return 0;
        if (!msg.msg_name)
            return 0;
        dest = msg.msg_name;
        dest_len = msg.msg_namelen;
    }
    struct gb_inflight* in = gb_stash(regs, id, gb_net_kind(id));
    if (!in)
        return 0;
    if (id == NR_CONNECT || id == NR_BIND)
        gb_copy_sockaddr(in, (const void*)in->args[1], in->args[2]);
    else
        gb_copy_sockaddr(in, dest, dest_len); /* NULL: clears the stale address */
    return 0;
}

/* The socket behind `fd`, or NULL when fd is not a socket. */
static __always_inline struct sock* gb_fd_sock(struct task_struct* task, long fd) {
    struct file* f = gb_fd_file(task, fd);
    if (!f)
        return NULL;
    umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
    if ((mode & GB_S_IFMT) != GB_S_IFSOCK)
        return NULL;
    struct socket* sock = BPF_CORE_READ(f, private_data);
    return BPF_CORE_READ(sock, sk);
}

/* Names a unix socket from the kernel: its bound file (resolved), else its abstract name. */
static __always_inline __u32 gb_unix_name(__u8* buf, __u32 pos, __u32 data_off,
                                          struct gb_net_event* ev, struct sock* sk) {
    struct unix_sock* u = (struct unix_sock*)sk;
    struct dentry* d = BPF_CORE_READ(u, path.dentry);
    struct vfsmount* m = BPF_CORE_READ(u, path.mnt);
    ev->flags |= GB_NET_HAVE_ADDR | GB_NET_ADDR_SOCKET;
    if (d && m) {
        ev->flags |= GB_NET_PATH_RESOLVED;
        return gb_put_dentry_path(buf, pos, data_off, &ev->path, d, m);
    }
    struct unix_address* addr = BPF_CORE_READ(u, addr);
    ev->path.off = pos - data_off;
    ev->path.len = 0;
    ev->path.flags = 0;
    if (!addr) {
        ev->flags |= GB_NET_UNNAMED;
        return pos;
    }
    int len = BPF_CORE_READ(addr, len); /* sizeof(sa_family_t) + name */
    const char* name = (const char*)addr + bpf_core_field_offset(struct unix_address, name) + 2;
    char first = 0;
    bpf_probe_read_kernel(&first, 1, name);
    if (pos > GB_STR_ROOM)
        return pos;
    if (first == 0) {
        __u32 n = len > 3 ? (__u32)(len - 3) : 0;
        if (n > GB_UNIX_PATH_MAX)
            n = GB_UNIX_PATH_MAX;
        n &= 0x7f;
        ev->flags |= GB_NET_ABSTRACT;
        if (n && bpf_probe_read_kernel(buf + pos, n, name + 1) != 0)
            return pos;
        ev->path.len = n;
    } else {
        /* a filesystem name whose file is no longer reachable: the name as bound */
        long r = bpf_probe_read_kernel_str(buf + pos, GB_UNIX_PATH_MAX, name);
        if (r <= 1)
            return pos;
        ev->path.len = r - 1;
    }
    ev->path.flags = GB_STR_PRESENT;
    return pos + ev->path.len;
}

/* Fills the address from a sockaddr of `addrlen` bytes (a copy: the stash or a gb_dests key). */
static __always_inline __u32 gb_sockaddr_bytes(__u8* buf, __u32 pos, __u32 data_off, struct gb_net_event* ev,
                                               const __u8* sa, __u32 addrlen) {
    ev->path.off = pos - data_off;
    ev->path.len = 0;
    ev->path.flags = 0;
    if (addrlen < 2)
        return pos;
    __u16 family = *(__u16*)sa;
    if (!ev->family)
        ev->family = family;
    if (family == GB_AF_INET && addrlen >= 8) {
        ev->port = bpf_ntohs(*(__u16*)&sa[2]);
        __builtin_memcpy(ev->addr, &sa[4], 4);
        ev->flags |= GB_NET_HAVE_ADDR;
    } else if (family == GB_AF_INET6 && addrlen >= 24) {
        ev->port = bpf_ntohs(*(__u16*)&sa[2]);
        __builtin_memcpy(ev->addr, &sa[8], 16);
        ev->flags |= GB_NET_HAVE_ADDR;
    } else if (family == GB_AF_UNIX) {
        ev->flags |= GB_NET_HAVE_ADDR;
        __u32 n = addrlen - 2;
        if (n == 0) {
            ev->flags |= GB_NET_UNNAMED;
            return pos;
        }
        if (pos > GB_STR_ROOM)
            return pos;
        if (sa[2] == 0) {
            ev->flags |= GB_NET_ABSTRACT;
            n -= 1;
            n &= 0x7f;
            if (n > GB_UNIX_PATH_MAX)
                n = GB_UNIX_PATH_MAX;
            if (n && bpf_probe_read_kernel(buf + pos, n, &sa[3]) != 0)
                return pos;
            ev->path.len = n;
        } else {
            long r = bpf_probe_read_kernel_str(buf + pos, GB_UNIX_PATH_MAX, &sa[2]);
            if (r <= 1)
                return pos;
            ev->path.len = r - 1;
        }
        ev->path.flags = GB_STR_PRESENT;
        return pos + ev->path.len;
    }
    return pos;
}

/* Fills the address from the caller's sockaddr (stashed at entry). */
static __always_inline __u32 gb_sockaddr_fields(__u8* buf, __u32 pos, __u32 data_off,
                                                struct gb_net_event* ev, struct gb_inflight* in) {
    return gb_sockaddr_bytes(buf, pos, data_off, ev, in->sockaddr, in->addrlen);
}

/* Fills the address from a kernel socket: the local one (listen) or the peer's (accept). */
static __always_inline __u32 gb_sock_addr(__u8* buf, __u32 pos, __u32 data_off,
                                          struct gb_net_event* ev, struct sock* sk, bool peer) {
    ev->path.off = pos - data_off;
    ev->path.len = 0;
    ev->path.flags = 0;
    if (!sk)
        return pos;
    if (ev->family == GB_AF_INET) {
        __be32 a = peer ? BPF_CORE_READ(sk, __sk_common.skc_daddr)
                        : BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
        __builtin_memcpy(ev->addr, &a, 4);
        ev->port = peer ? bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport))
                        : BPF_CORE_READ(sk, __sk_common.skc_num);
        ev->flags |= GB_NET_HAVE_ADDR | GB_NET_ADDR_SOCKET;
    } else if (ev->family == GB_AF_INET6) {
        struct in6_addr a = peer ? BPF_CORE_READ(sk, __sk_common.skc_v6_daddr)
                                 : BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
        __builtin_memcpy(ev->addr, &a, 16);
        ev->port = peer ? bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport))
                        : BPF_CORE_READ(sk, __sk_common.skc_num);
        ev->flags |= GB_NET_HAVE_ADDR | GB_NET_ADDR_SOCKET;
    } else if (ev->family == GB_AF_UNIX) {
        struct sock* target = sk;
        if (peer)
            target = BPF_CORE_READ((struct unix_sock*)sk, peer);
        if (target)
            return gb_unix_name(buf, pos, data_off, ev, target);
    }
    return pos;
}

/* The unix peer's process: sk_peer_pid of a connected stream/seqpacket socket (for the client,
 * the process that called listen(); for an accepted socket, the one that connected) and its
 * executable (mm->exe_file, resolved). Datagram peers have no such credentials: left unknown. */
static __always_inline __u32 gb_unix_peer_proc(__u8* buf, __u32 pos, __u32 data_off,
                                               struct gb_net_event* ev, struct sock* sk) {
    if (!sk)
        return pos;
    struct pid* p = BPF_CORE_READ(sk, sk_peer_pid);
    __s32 nr = p ? BPF_CORE_READ(p, numbers[0].nr) : 0;
    if (nr <= 0)
        return pos;
    ev->peer_pid = nr;
    /* The socket holds a reference on the peer's struct pid: its task list leads to the process
     * (probe reads), with or without bpf_task_from_pid. */
    struct task_struct* t = gb_pid_leader(p);
    if (!t)
        return pos; /* gone since: the pid stays, the executable is unknown */
    struct file* exe = BPF_CORE_READ(t, mm, exe_file);
    struct dentry* d = exe ? BPF_CORE_READ(exe, f_path.dentry) : NULL;
    struct vfsmount* m = exe ? BPF_CORE_READ(exe, f_path.mnt) : NULL;
    if (!d || !m)
        return pos;
    return gb_put_dentry_path(buf, pos, data_off, &ev->peer_exe, d, m);
}

static __always_inline void gb_net_str_none(struct gb_str* s, __u32 pos, __u32 data_off) {
    s->off = pos - data_off;
    s->len = 0;
    s->flags = 0;
    s->pad = 0;
}

/* Starts a network record in the scratch buffer: header, fd, socket identity; strings empty. */
static __always_inline void gb_net_begin(struct gb_net_event* ev, __u32 kind, long nr, __s64 ret, __s32 fd,
                                         struct sock* sk) {
    gb_fill_header(&ev->hdr, kind, 0);
    ev->ret = ret;
    ev->syscall = nr;
    ev->fd = fd;
    ev->flags = 0;
    ev->backlog = 0;
    ev->port = 0;
    ev->family = 0;
    ev->sock_type = 0;
    ev->protocol = 0;
    ev->count = 0;
    ev->peer_pid = 0;
    ev->index = 0;
    ev->pad = 0;
    __builtin_memset(ev->addr, 0, sizeof(ev->addr));
    gb_net_str_none(&ev->path, sizeof(*ev), sizeof(*ev));
    gb_net_str_none(&ev->peer_exe, sizeof(*ev), sizeof(*ev));
    if (sk) {
        ev->family = BPF_CORE_READ(sk, __sk_common.skc_family);
        ev->sock_type = BPF_CORE_READ(sk, sk_type);
        ev->protocol = BPF_CORE_READ(sk, sk_protocol);
    }
}

/* One datagram address (in->sockaddr, in->addrlen) sent to or received from on socket `sk`:
 * counted in gb_dests; the first one per (socket, direction, address) is emitted with count 1.
 * A global function: the verifier checks it once, not once per call site and per iteration of
 * the sendmmsg/recvmmsg loop (static, it was ~28,000 of gb_sys_exit's ~104,000 steps). */
__noinline int gb_net_dgram_addr(struct gb_inflight* in, __u64 sk, __s64 ret, __u32 nr, __u32 index) {
    if (!in || in->addrlen < 2)
        return 0; /* nothing the kernel reports (a stream socket's recvfrom) */
    __u32 kind = gb_net_kind(nr);
    struct gb_net_frame* f = gb_net_frame_get();
    if (!f) {
        gb_count_lost(kind);
        return 0;
    }
    struct gb_dest_key* key = &f->key;
    key->sk = sk;
    key->dir = kind == GB_EV_RECVFROM;
    key->addrlen = in->addrlen;
    __builtin_memcpy(key->addr, in->sockaddr, sizeof(key->addr));
    struct gb_dest_val* v = bpf_map_lookup_elem(&gb_dests, key);
    if (v) {
        __sync_fetch_and_add(&v->count, 1);
        return 0;
    }
    __u64 id = bpf_get_current_pid_tgid();
    struct gb_dest_val* nv = &f->nv;
    __builtin_memset(nv, 0, sizeof(*nv));
    nv->count = 1;
    nv->tgid = id >> 32;
    nv->fd = (__s32)in->args[0];
    nv->syscall = nr;
    __s32 fd = nv->fd;
    __u32 tgid = nv->tgid;
    long err = bpf_map_update_elem(&gb_dests, key, nv, BPF_NOEXIST);
    if (err == -GB_EEXIST) { /* another thread of the same socket won the race */
        v = bpf_map_lookup_elem(&gb_dests, key);
        if (v)
            __sync_fetch_and_add(&v->count, 1);
        return 0;
    }
    if (err == 0) {
        __u64 fk = (id & 0xffffffff00000000ULL) | (__u32)fd;
        bpf_map_update_elem(&gb_dest_fds, &fk, &sk, BPF_ANY);
        __u8 one = 1;
        bpf_map_update_elem(&gb_dest_procs, &tgid, &one, BPF_ANY);
    }
    __u8* buf = gb_event_buf_or_lost(kind);
    if (!buf)
        return 0;
    struct gb_net_event* ev = (struct gb_net_event*)buf;
    const __u32 data_off = sizeof(*ev);
    gb_net_begin(ev, kind, nr, ret, fd, (struct sock*)sk);
    ev->count = 1;
    ev->index = index;
    if (err != 0)
        ev->flags |= GB_NET_UNCOUNTED; /* table full: this record stands for itself only */
    __u32 pos = gb_sockaddr_fields(buf, data_off, data_off, ev, in);
    gb_submit_scratch(pos, kind);
    return 0;
}

/* sendmmsg/recvmmsg: the address of each of the first `ret` messages (up to GB_NET_MMSG_MAX),
 * read from the caller's vector at exit (the kernel has written the received addresses and each
 * message's msg_len by then). One bpf_loop step per message: verified once, where an unrolled
 * loop cost the verifier each iteration at every start-up. The step finds the arguments in this
 * CPU's gb_net_args slot, which the caller filled. */
struct gb_mmsg_walk {
    __u64 sk;
    __u32 n;
    __u32 nr;
};

static long gb_mmsg_step(__u64 i, void* vctx) {
    struct gb_mmsg_walk* w = vctx;
    __u32 zero = 0;
    struct gb_inflight* in = bpf_map_lookup_elem(&gb_net_args, &zero);
    struct gb_net_frame* f = gb_net_frame_get();
    if (!in || !f || i >= w->n)
        return 1;
    struct gb_mmsghdr* mm = &f->mm;
    if (bpf_probe_read_user(mm, sizeof(*mm), (const void*)(in->args[1] + i * sizeof(struct gb_mmsghdr))) != 0)
        return 1;
    in->addrlen = 0;
    __builtin_memset(in->sockaddr, 0, sizeof(in->sockaddr));
    void* name = mm->msg_hdr.msg_name;
    __u32 sent = mm->msg_len;
    if (!name)
        return 0;
    __u32 len = mm->msg_hdr.msg_namelen;
    if (len > sizeof(in->sockaddr))
        len = sizeof(in->sockaddr);
    len &= 0xff;
    if (len > sizeof(in->sockaddr))
        len = sizeof(in->sockaddr);
    if (len && bpf_probe_read_user(in->sockaddr, len, name) == 0)
        in->addrlen = len;
    gb_net_dgram_addr(in, w->sk, sent, w->nr, (__u32)i);
    return 0;
}

static __always_inline void gb_net_mmsg(__u64 sk, long ret, long nr) {
    struct gb_mmsg_walk w = {.sk = sk, .n = ret > GB_NET_MMSG_MAX ? GB_NET_MMSG_MAX : (__u32)ret, .nr = (__u32)nr};
    bpf_loop(GB_NET_MMSG_MAX, gb_mmsg_step, &w, 0);
}

/* recvfrom/recvmsg: the source address the kernel wrote for the caller. */
static __always_inline void gb_net_recv_addr(struct gb_inflight* in, long nr) {
    const void* uaddr = NULL;
    __u32 len = 0;
    in->addrlen = 0;
    __builtin_memset(in->sockaddr, 0, sizeof(in->sockaddr));
    if (nr == NR_RECVFROM) {
        int l = 0;
        if (!in->args[5] || bpf_probe_read_user(&l, sizeof(l), (const void*)in->args[5]) != 0)
            return;
        uaddr = (const void*)in->args[4];
        len = l > 0 ? (__u32)l : 0;
    } else {
        struct gb_net_frame* f = gb_net_frame_get();
        if (!f || bpf_probe_read_user(&f->msg, sizeof(f->msg), (const void*)in->args[1]) != 0)
            return;
        uaddr = f->msg.msg_name;
        len = f->msg.msg_namelen;
    }
    if (!uaddr)
        return;
    if (len > sizeof(in->sockaddr))
        len = sizeof(in->sockaddr);
    len &= 0xff;
    if (len > sizeof(in->sockaddr))
        len = sizeof(in->sockaddr);
    if (len && bpf_probe_read_user(in->sockaddr, len, uaddr) == 0)
        in->addrlen = len;
}

static __noinline int gb_net_sys_exit(struct gb_regs* regs, long ret) {
    long nr = gb_exit_nr(regs);
    if (!gb_is_net_nr(nr))
        return 0;
    if (gb_is_recv_nr(nr) || nr == NR_SENDMMSG) {
        if (ret < 0 || (nr == NR_RECVFROM && !regs->r8)) /* no source asked for */
            return 0;
        if (gb_is_compat(bpf_get_current_task_btf()) || !gb_in_scope())
            return 0;
        __u32 zero = 0;
        struct gb_inflight* a = bpf_map_lookup_elem(&gb_net_args, &zero);
        if (!a)
            return 0;
        a->nr = nr;
        a->addrlen = 0;
        gb_syscall_args(a->args, regs);
        struct sock* ask = gb_fd_sock(bpf_get_current_task_btf(), (long)(int)a->args[0]);
        if (nr == NR_SENDMMSG || nr == NR_RECVMMSG) {
            if (ret > 0)
                gb_net_mmsg((__u64)ask, ret, nr); /* reads `a` from gb_net_args */
        } else {
            gb_net_recv_addr(a, nr);
            gb_net_dgram_addr(a, (__u64)ask, ret, nr, 0);
        }
        return 0;
    }
    struct gb_inflight* in = gb_stash_take(nr); /* the slot is free again from here on */
    if (!in)
        return 0;
    __u32 kind = gb_net_kind(nr);
    struct task_struct* task = bpf_get_current_task_btf();
    bool accept = nr == NR_ACCEPT || nr == NR_ACCEPT4;
    struct sock* sk = gb_fd_sock(task, accept && ret >= 0 ? ret : (long)in->args[0]);

    if (kind == GB_EV_SENDTO) { /* sendto/sendmsg: the destination copied at entry */
        gb_net_dgram_addr(in, (__u64)sk, ret, nr, 0);
        return 0;
    }

    __u8* buf = gb_event_buf_or_lost(kind);
    if (!buf)
        return 0;
    struct gb_net_event* ev = (struct gb_net_event*)buf;
    const __u32 data_off = sizeof(*ev);
    __u32 pos = data_off;
    gb_net_begin(ev, kind, nr, ret, accept && ret >= 0 ? (__s32)ret : (__s32)in->args[0], sk);
    ev->backlog = nr == NR_LISTEN ? (__s32)in->args[1] : 0;

    bool unix_peer = false;
    if (nr == NR_LISTEN) {
        pos = gb_sock_addr(buf, pos, data_off, ev, sk, false);
    } else if (accept) {
        if (ret >= 0) {
            pos = gb_sock_addr(buf, pos, data_off, ev, sk, true);
            unix_peer = ev->family == GB_AF_UNIX;
        }
    } else if (ev->family == GB_AF_UNIX && ret >= 0 && sk && nr == NR_CONNECT) {
        /* The socket file actually reached, resolved (the caller's string is kept only when
         * the peer cannot be named from the kernel). */
        struct sock* peer = BPF_CORE_READ((struct unix_sock*)sk, peer);
        if (peer && BPF_CORE_READ((struct unix_sock*)peer, path.dentry))
            pos = gb_unix_name(buf, pos, data_off, ev, peer);
        else
            pos = gb_sockaddr_fields(buf, pos, data_off, ev, in);
        unix_peer = true;
    } else if (ev->family == GB_AF_UNIX && ret >= 0 && sk && nr == NR_BIND &&
               BPF_CORE_READ((struct unix_sock*)sk, path.dentry)) {
        pos = gb_unix_name(buf, pos, data_off, ev, sk);
    } else {
        pos = gb_sockaddr_fields(buf, pos, data_off, ev, in);
    }
    if (unix_peer)
        pos = gb_unix_peer_proc(buf, pos, data_off, ev, sk);
    else
        gb_net_str_none(&ev->peer_exe, pos, data_off);
    gb_submit_scratch(pos, kind);
    return 0;
}

/* ---- totals of counted datagram addresses ---------------------------------------------------- */

struct gb_flush_ctx {
    __u64 sk;     /* flush this socket's addresses ... */
    __u32 tgid;   /* ... or every address first used by this process */
    __u32 by_pid; /* which of the two */
};

/* Emits the total of one counted address (when more than the first datagram went there). */
static long gb_net_flush_one(struct bpf_map* map, struct gb_dest_key* key, struct gb_dest_val* v,
                             struct gb_flush_ctx* ctx) {
    if (ctx->by_pid ? v->tgid != ctx->tgid : key->sk != ctx->sk)
        return 0;
    __u64 count = v->count;
    if (count > 1) {
        __u32 kind = key->dir ? GB_EV_RECVFROM : GB_EV_SENDTO;
        __u8* buf = gb_event_buf_or_lost(kind);
        if (buf) {
            struct gb_net_event* ev = (struct gb_net_event*)buf;
            const __u32 data_off = sizeof(*ev);
            gb_net_begin(ev, kind, v->syscall, GB_RET_UNKNOWN, v->fd, (struct sock*)key->sk);
            ev->count = count > 0xffffffffULL ? 0xffffffffU : (__u32)count;
            ev->flags |= GB_NET_TOTAL;
            __u32 pos = gb_sockaddr_bytes(buf, data_off, data_off, ev, key->addr, key->addrlen);
            gb_submit_scratch(pos, kind);
        }
    }
    __u64 fk = ((__u64)v->tgid << 32) | (__u32)v->fd;
    bpf_map_delete_elem(&gb_dest_fds, &fk);
    bpf_map_delete_elem(map, key);
    return 0;
}

/* A traced process is closing `fd`: if datagram addresses were counted on it, emit their totals. */
static __always_inline void gb_net_flush_fd(__u32 tgid, long fd) {
    __u64 fk = ((__u64)tgid << 32) | (__u32)fd;
    __u64* sk = bpf_map_lookup_elem(&gb_dest_fds, &fk);
    if (!sk)
        return;
    struct gb_flush_ctx ctx = {.sk = *sk, .tgid = tgid, .by_pid = 0};
    bpf_map_delete_elem(&gb_dest_fds, &fk);
    bpf_for_each_map_elem(&gb_dests, gb_net_flush_one, &ctx, 0);
}

/* A traced process exited: the totals of every address it counted first. */
static __always_inline void gb_net_flush_tgid(__u32 tgid) {
    if (!bpf_map_lookup_elem(&gb_dest_procs, &tgid))
        return;
    bpf_map_delete_elem(&gb_dest_procs, &tgid);
    struct gb_flush_ctx ctx = {.sk = 0, .tgid = tgid, .by_pid = 1};
    bpf_for_each_map_elem(&gb_dests, gb_net_flush_one, &ctx, 0);
}
