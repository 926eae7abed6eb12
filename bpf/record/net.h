/* Network events of the recorder: connect, bind, listen, accept/accept4 and the destinations of
 * unconnected sendto/sendmsg. The caller's sockaddr is copied at sys_enter (the kernel copied it
 * then too); at sys_exit the socket's family/type come from the kernel socket behind the fd, and
 * for listen/accept (and resolvable unix sockets) the address comes from the kernel socket.
 * Data path: sys_enter (stash + sockaddr) -> sys_exit -> gb_event_scratch -> gb_events. */
#include "helpers/common.h"
#include "helpers/path.h"

#include <bpf/bpf_endian.h>

#define NR_SENDTO 44
#define NR_SENDMSG 46
#define NR_CONNECT 42
#define NR_ACCEPT 43
#define NR_BIND 49
#define NR_LISTEN 50
#define NR_ACCEPT4 288
#define NR_SENDMMSG 307

#define GB_AF_UNIX 1
#define GB_AF_INET 2
#define GB_AF_INET6 10
#define GB_S_IFMT 00170000
#define GB_S_IFSOCK 0140000

/* Destinations already reported per socket, so a chatty UDP sender costs one event per peer. */
struct gb_sendto_key {
    __u64 sk;
    __u8 addr[128];
};

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 4096);
    __type(key, struct gb_sendto_key);
    __type(value, __u8);
} gb_sendto_seen SEC(".maps");

static __always_inline bool gb_is_net_nr(long nr) {
    return nr == NR_CONNECT || nr == NR_BIND || nr == NR_LISTEN || nr == NR_ACCEPT ||
           nr == NR_ACCEPT4 || nr == NR_SENDTO || nr == NR_SENDMSG || nr == NR_SENDMMSG;
}

static __always_inline __u32 gb_net_kind(long nr) {
    switch (nr) {
    case NR_CONNECT: return GB_EV_CONNECT;
    case NR_BIND: return GB_EV_BIND;
    case NR_LISTEN: return GB_EV_LISTEN;
    case NR_ACCEPT:
    case NR_ACCEPT4: return GB_EV_ACCEPT;
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

static __noinline int gb_net_sys_enter(struct pt_regs* regs, long id) {
    if (!gb_is_net_nr(id))
        return 0;
    /* Sends on connected sockets (no destination) are not recorded: skip them before any map
     * work, they are the hot path of most network programs. */
    const void* dest = NULL;
    __u64 dest_len = 0;
    if (id == NR_SENDTO) {
        dest = (const void*)BPF_CORE_READ(regs, r8);
        dest_len = BPF_CORE_READ(regs, r9);
        if (!dest)
            return 0;
    } else if (id == NR_SENDMSG || id == NR_SENDMMSG) {
        /* sendmmsg: the first struct mmsghdr starts with its msghdr */
        struct user_msghdr msg = {};
        if (bpf_probe_read_user(&msg, sizeof(msg), (const void*)BPF_CORE_READ(regs, si)) != 0)
            return 0;
        if (!msg.msg_name)
            return 0;
        dest = msg.msg_name;
        dest_len = msg.msg_namelen;
    }
    if (gb_is_compat(bpf_get_current_task_btf()) || !gb_in_scope())
        return 0;
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

/* Fills the address from a caller's sockaddr (stashed at entry). */
static __always_inline __u32 gb_sockaddr_fields(__u8* buf, __u32 pos, __u32 data_off,
                                                struct gb_net_event* ev, struct gb_inflight* in) {
    ev->path.off = pos - data_off;
    ev->path.len = 0;
    ev->path.flags = 0;
    if (in->addrlen < 2)
        return pos;
    __u16 family = *(__u16*)in->sockaddr;
    if (!ev->family)
        ev->family = family;
    if (family == GB_AF_INET && in->addrlen >= 8) {
        ev->port = bpf_ntohs(*(__u16*)&in->sockaddr[2]);
        __builtin_memcpy(ev->addr, &in->sockaddr[4], 4);
        ev->flags |= GB_NET_HAVE_ADDR;
    } else if (family == GB_AF_INET6 && in->addrlen >= 24) {
        ev->port = bpf_ntohs(*(__u16*)&in->sockaddr[2]);
        __builtin_memcpy(ev->addr, &in->sockaddr[8], 16);
        ev->flags |= GB_NET_HAVE_ADDR;
    } else if (family == GB_AF_UNIX) {
        ev->flags |= GB_NET_HAVE_ADDR;
        __u32 n = in->addrlen - 2;
        if (n == 0) {
            ev->flags |= GB_NET_UNNAMED;
            return pos;
        }
        if (pos > GB_STR_ROOM)
            return pos;
        if (in->sockaddr[2] == 0) {
            ev->flags |= GB_NET_ABSTRACT;
            n -= 1;
            n &= 0x7f;
            if (n > GB_UNIX_PATH_MAX)
                n = GB_UNIX_PATH_MAX;
            if (n && bpf_probe_read_kernel(buf + pos, n, &in->sockaddr[3]) != 0)
                return pos;
            ev->path.len = n;
        } else {
            long r = bpf_probe_read_kernel_str(buf + pos, GB_UNIX_PATH_MAX, &in->sockaddr[2]);
            if (r <= 1)
                return pos;
            ev->path.len = r - 1;
        }
        ev->path.flags = GB_STR_PRESENT;
        return pos + ev->path.len;
    }
    return pos;
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

static __noinline int gb_net_sys_exit(struct pt_regs* regs, long ret) {
    long nr = gb_exit_nr(regs);
    if (!gb_is_net_nr(nr))
        return 0;
    struct gb_inflight* in = gb_stash_lookup();
    if (!in)
        return 0;
    if (in->nr != nr) {
        gb_stash_drop();
        return 0;
    }
    __u32 kind = gb_net_kind(nr);
    __u8* buf = gb_event_buf();
    if (!buf) {
        gb_count_lost(kind);
        gb_stash_drop();
        return 0;
    }
    struct task_struct* task = bpf_get_current_task_btf();
    struct gb_net_event* ev = (struct gb_net_event*)buf;
    const __u32 data_off = sizeof(*ev);
    __u32 pos = data_off;
    gb_fill_header(&ev->hdr, kind, 0);
    ev->ret = ret;
    ev->syscall = nr;
    ev->fd = (__s32)in->args[0];
    ev->flags = 0;
    ev->backlog = nr == NR_LISTEN ? (__s32)in->args[1] : 0;
    ev->port = 0;
    ev->family = 0;
    ev->sock_type = 0;
    ev->protocol = 0;
    __builtin_memset(ev->addr, 0, sizeof(ev->addr));

    bool accept = nr == NR_ACCEPT || nr == NR_ACCEPT4;
    struct sock* sk = gb_fd_sock(task, accept && ret >= 0 ? ret : (long)in->args[0]);
    if (accept && ret >= 0)
        ev->fd = (__s32)ret;
    if (sk) {
        ev->family = BPF_CORE_READ(sk, __sk_common.skc_family);
        ev->sock_type = BPF_CORE_READ(sk, sk_type);
        ev->protocol = BPF_CORE_READ(sk, sk_protocol);
    }

    if (nr == NR_LISTEN) {
        pos = gb_sock_addr(buf, pos, data_off, ev, sk, false);
    } else if (accept) {
        if (ret >= 0)
            pos = gb_sock_addr(buf, pos, data_off, ev, sk, true);
        else
            ev->path.off = pos - data_off, ev->path.len = 0, ev->path.flags = 0;
    } else if (ev->family == GB_AF_UNIX && ret >= 0 && sk && nr == NR_CONNECT) {
        /* The socket file actually reached, resolved (the caller's string is kept only when
         * the peer cannot be named from the kernel). */
        struct sock* peer = BPF_CORE_READ((struct unix_sock*)sk, peer);
        if (peer && BPF_CORE_READ((struct unix_sock*)peer, path.dentry))
            pos = gb_unix_name(buf, pos, data_off, ev, peer);
        else
            pos = gb_sockaddr_fields(buf, pos, data_off, ev, in);
    } else if (ev->family == GB_AF_UNIX && ret >= 0 && sk && nr == NR_BIND &&
               BPF_CORE_READ((struct unix_sock*)sk, path.dentry)) {
        pos = gb_unix_name(buf, pos, data_off, ev, sk);
    } else {
        pos = gb_sockaddr_fields(buf, pos, data_off, ev, in);
    }

    if (kind == GB_EV_SENDTO) {
        struct gb_sendto_key key = {};
        key.sk = (__u64)sk;
        __builtin_memcpy(key.addr, in->sockaddr, sizeof(key.addr));
        __u8 one = 1;
        if (bpf_map_update_elem(&gb_sendto_seen, &key, &one, BPF_NOEXIST) != 0) {
            gb_stash_drop(); /* this destination was already reported for this socket */
            return 0;
        }
    }
    gb_submit(ev, pos, kind);
    gb_stash_drop();
    return 0;
}
