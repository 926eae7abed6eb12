// cgroup network enforcement for `glassbox enforce`: sock_addr programs on connect4/6, sendmsg4/6
// and bind4/6 judge each destination/bind address against the rules map, and a cgroup_skb egress
// backstop drops packets of raw and ICMP sockets that the sock_addr hooks never see. Each denial
// (and, in complain mode, each would-be denial) goes to userspace through a ring buffer.
// Plain (non-CO-RE) access: these programs only touch their UAPI context structs, whose layout
// is ABI. Without CO-RE relocations libbpf does not parse the kernel's 5 MB BTF at load time,
// which was most of enforce's fixed start-up cost (about 150 ms).
#define BPF_NO_PRESERVE_ACCESS_INDEX
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include <glassbox/enforce_net.h>

#include "enforce_common.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_ICMPV6 58

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, GB_NET_MAX_RULES);
    __type(key, __u32);
    __type(value, struct gb_net_rule);
} gb_rules SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct gb_net_config);
} gb_config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} gb_reports SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} gb_lost SEC(".maps");

struct match_ctx {
    __u8 addr[16];
    __u16 port;
    __u8 protocol;
    __u8 dir;
    __u32 n;
    int found;
};

static int prefix_match(const __u8 *a, const __u8 *b, __u32 prefix) {
    for (int i = 0; i < 16; i++) {
        __u32 bit = i * 8;
        if (bit >= prefix)
            return 1;
        __u32 left = prefix - bit;
        __u8 mask = left >= 8 ? 0xff : (__u8)(0xff << (8 - left));
        if ((a[i] ^ b[i]) & mask)
            return 0;
    }
    return 1;
}

static long match_one(__u32 i, void *data) {
    struct match_ctx *m = data;
    struct gb_net_rule *r = gb_rule_at(&gb_rules, i, m->n);
    if (!r)
        return 1;
    if (r->dir != m->dir)
        return 0;
    if (r->protocol && r->protocol != m->protocol)
        return 0;
    if (m->port < r->port_lo || m->port > r->port_hi)
        return 0;
    if (!prefix_match(r->addr, m->addr, r->prefix))
        return 0;
    m->found = 1;
    return 1;
}

static struct gb_net_config *gb_cfg(void) {
    __u32 z = 0;
    return bpf_map_lookup_elem(&gb_config, &z);
}

static void report(struct match_ctx *m, __u8 hook, __u8 allowed, __u8 sock_type, int task_ctx) {
    struct gb_net_report *r = bpf_ringbuf_reserve(&gb_reports, sizeof(*r), 0);
    if (!r) {
        __u32 z = 0;
        __u64 *lost = bpf_map_lookup_elem(&gb_lost, &z);
        if (lost)
            (*lost)++;
        return;
    }
    r->ts_ns = bpf_ktime_get_ns();
    r->pid = r->tid = 0;
    __builtin_memset(r->comm, 0, sizeof(r->comm));
    if (task_ctx) {
        gb_current_ids(&r->pid, &r->tid);
        bpf_get_current_comm(r->comm, sizeof(r->comm));
    }
    __builtin_memcpy(r->addr, m->addr, 16);
    r->port = m->port;
    r->protocol = m->protocol;
    r->hook = hook;
    r->allowed = allowed;
    r->sock_type = sock_type;
    r->pad[0] = r->pad[1] = 0;
    bpf_ringbuf_submit(r, 0);
}

// What no rule allows: reported, and let through only in complain mode (in kill mode userspace
// kills the whole cgroup when it reads the report).
static int refuse(const struct gb_net_config *c, struct match_ctx *m, __u8 hook, __u8 sock_type, int task_ctx) {
    int allow = c->mode == GB_NET_COMPLAIN;
    report(m, hook, allow, sock_type, task_ctx);
    return allow;
}

// 1 = let it through, 0 = deny (the syscall fails with EPERM / the packet is dropped).
static int judge(struct match_ctx *m, __u8 hook, __u8 sock_type, int task_ctx) {
    struct gb_net_config *c = gb_cfg();
    if (!c)
        return 0; // not configured: fail closed
    m->n = c->n_rules;
    m->found = 0;
    bpf_loop(GB_NET_MAX_RULES, match_one, m, 0);
    if (m->found)
        return 1;
    return refuse(c, m, hook, sock_type, task_ctx);
}

static __u8 proto_of(__u32 p, __u32 type) {
    if (p)
        return p;
    return type == SOCK_STREAM ? IPPROTO_TCP : type == SOCK_DGRAM ? IPPROTO_UDP : 0;
}

// Completes a sock_addr call's match context from its (already loaded) ctx fields and judges it.
static __always_inline int judge_call(struct match_ctx *m, __u32 uport, __u32 proto, __u32 type, __u8 dir, __u8 hook) {
    m->port = bpf_ntohs((__u16)uport);
    m->protocol = proto_of(proto, type);
    m->dir = dir;
    return judge(m, hook, type, 1);
}

static int check4(struct bpf_sock_addr *ctx, __u8 dir, __u8 hook) {
    // Every ctx field is loaded once, up front: the verifier rejects ctx access through a pointer
    // the compiler has offset.
    __u32 ip = ctx->user_ip4, uport = ctx->user_port, proto = ctx->protocol, type = ctx->type;
    asm volatile("" ::: "memory");
    struct match_ctx m = {};
    gb_map_v4(m.addr, ip);
    return judge_call(&m, uport, proto, type, dir, hook);
}

static int check6(struct bpf_sock_addr *ctx, __u8 dir, __u8 hook) {
    __u32 w0 = ctx->user_ip6[0], w1 = ctx->user_ip6[1], w2 = ctx->user_ip6[2], w3 = ctx->user_ip6[3];
    __u32 uport = ctx->user_port, proto = ctx->protocol, type = ctx->type;
    asm volatile("" ::: "memory");
    struct match_ctx m = {};
    __builtin_memcpy(&m.addr[0], &w0, 4);
    __builtin_memcpy(&m.addr[4], &w1, 4);
    __builtin_memcpy(&m.addr[8], &w2, 4);
    __builtin_memcpy(&m.addr[12], &w3, 4);
    return judge_call(&m, uport, proto, type, dir, hook);
}

SEC("cgroup/connect4")
int gb_connect4(struct bpf_sock_addr *ctx) { return check4(ctx, GB_NET_CONNECT, GB_HOOK_CONNECT4); }
SEC("cgroup/connect6")
int gb_connect6(struct bpf_sock_addr *ctx) { return check6(ctx, GB_NET_CONNECT, GB_HOOK_CONNECT6); }
SEC("cgroup/sendmsg4")
int gb_sendmsg4(struct bpf_sock_addr *ctx) { return check4(ctx, GB_NET_CONNECT, GB_HOOK_SENDMSG4); }
SEC("cgroup/sendmsg6")
int gb_sendmsg6(struct bpf_sock_addr *ctx) { return check6(ctx, GB_NET_CONNECT, GB_HOOK_SENDMSG6); }
SEC("cgroup/bind4")
int gb_bind4(struct bpf_sock_addr *ctx) { return check4(ctx, GB_NET_BIND, GB_HOOK_BIND4); }
SEC("cgroup/bind6")
int gb_bind6(struct bpf_sock_addr *ctx) { return check6(ctx, GB_NET_BIND, GB_HOOK_BIND6); }

// network.accept: a packet reaching a TCP listener of the sandbox starts (or completes) a
// connection its accept() would return; one from a peer the rules do not allow is dropped here,
// so that connection never exists. Packets to connected sockets (replies to our own connects,
// accepted peers) are not judged here. IPv6 packets to a listener whose next header is not TCP
// directly (extension headers) cannot be judged on their port and are dropped (fail closed).
#define BPF_TCP_LISTEN 10
SEC("cgroup_skb/ingress")
int gb_ingress(struct __sk_buff *skb) {
    struct bpf_sock *sk = gb_skb_fullsock(skb);
    if (!sk)
        return 1;
    __u32 state = sk->state, proto = sk->protocol;
    if (state != BPF_TCP_LISTEN || proto != IPPROTO_TCP)
        return 1;
    struct match_ctx m = {};
    m.dir = GB_NET_ACCEPT;
    m.protocol = IPPROTO_TCP;
    __u8 p = 0;
    __u32 l4 = 0;
    if (gb_skb_ip(skb, 1, m.addr, &p, &l4) || p != IPPROTO_TCP)
        return 0;
    __u8 hook = skb->protocol == bpf_htons(GB_ETH_P_IP) ? GB_HOOK_ACCEPT4 : GB_HOOK_ACCEPT6;
    __u16 sport = 0;
    if (l4 < 20 || l4 > 60 || bpf_skb_load_bytes(skb, l4, &sport, 2))
        return 0;
    m.port = bpf_ntohs(sport);
    return judge(&m, hook, SOCK_STREAM, 0);
}

// Backstop: packets from raw sockets (never seen by the sock_addr hooks) and ICMP "ping" sockets
// are judged by their IP destination; with raw sockets forbidden they are dropped outright.
SEC("cgroup_skb/egress")
int gb_egress(struct __sk_buff *skb) {
    struct bpf_sock *sk = gb_skb_fullsock(skb);
    if (!sk)
        return 1;
    __u32 type = sk->type, proto = sk->protocol;
    int icmp = proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
    if (type != SOCK_RAW && !icmp)
        return 1;
    struct match_ctx m = {};
    m.dir = GB_NET_CONNECT;
    m.protocol = proto;
    __u8 ip_proto = 0;
    __u32 l4 = 0;
    if (gb_skb_ip(skb, 0, m.addr, &ip_proto, &l4))
        return 0;
    struct gb_net_config *c = gb_cfg();
    if (!c)
        return 0;
    if (type == SOCK_RAW && !c->raw_allowed)
        return refuse(c, &m, GB_HOOK_EGRESS, type, 0);
    return judge(&m, GB_HOOK_EGRESS, type, 0);
}
