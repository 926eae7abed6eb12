// network.dns for `glassbox enforce`: a cgroup_skb egress program reads every UDP datagram the
// sandbox sends to port 53, parses the question name and drops the query when no network.dns rule
// allows the name (the caller's resolver times out; a violation is reported). A query it cannot
// parse exactly (several questions, compression, a '.' inside a label, truncated) is dropped too,
// and so is DNS over TCP to port 53 (a stream cannot be judged per packet): fail closed.
// DNS to other ports or encrypted DNS are only governed by network.connect. The rules are the
// sandbox's (the programs sit on its cgroup): the sending task only names who is reported.
#define BPF_NO_PRESERVE_ACCESS_INDEX
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include <glassbox/enforce_net.h>

#include "enforce_common.h"

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, GB_DNS_MAX_RULES);
    __type(key, __u32);
    __type(value, struct gb_dns_rule);
} gb_dns_rules SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 32 * 1024);
} gb_dns_reports SEC(".maps");

// The decoder's state from one wire byte to the next. It lives in the per-CPU scratch, not on the
// stack: kernels before 6.7 verify a bpf_loop callback once, from the caller's state, and take
// what they see there as the value in every iteration. A stack copy of `left` and `out` starts as
// a known 0, so 6.1's verifier proved "every byte is a label length" and hard-wired the branches
// (every query was refused as unparsable); map memory is never assumed to hold a known value.
struct dns_decode_state {
    __u32 left; // bytes left in the current label
    __u32 out;  // bytes written to r.name
    __u32 done, bad;
};

struct dns_scratch {
    __u8 wire[GB_DNS_NAME];
    struct gb_dns_report r;
    struct dns_decode_state dec;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct dns_scratch);
} gb_dns_scratch SEC(".maps");

// Its own copy of the configuration (mode, rule count): this object is linked before net.bpf.c,
// and libbpf 1.1's linker cannot resolve an extern map defined in a later object.
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct gb_net_config);
} gb_dns_config SEC(".maps");

// Who sends a query, where cgroup_skb programs cannot ask (6.1 refuses bpf_get_current_pid_tgid
// there; 6.12 allows it): the sock_addr hooks below run in the task that
// connects a socket or addresses a datagram to port 53 and note it under the socket's cookie,
// which the egress program looks up. Loaded only by the legacy build's user (net_guard.cpp).
struct dns_sender {
    __u32 pid, tid;
};

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 4096);
    __type(key, __u64); // socket cookie
    __type(value, struct dns_sender);
} gb_dns_senders SEC(".maps");

// Always 1: the verdict on the address is net.bpf.c's; this only notes the sender.
static __always_inline int note_sender(struct bpf_sock_addr *ctx) {
    __u32 port = ctx->user_port;
    if ((__u16)port != bpf_htons(53))
        return 1;
    __u64 cookie = bpf_get_socket_cookie(ctx);
    struct dns_sender who;
    gb_current_ids(&who.pid, &who.tid);
    bpf_map_update_elem(&gb_dns_senders, &cookie, &who, BPF_ANY);
    return 1;
}

SEC("cgroup/connect4")
int gb_dns_connect4(struct bpf_sock_addr *ctx) { return note_sender(ctx); }
SEC("cgroup/connect6")
int gb_dns_connect6(struct bpf_sock_addr *ctx) { return note_sender(ctx); }
SEC("cgroup/sendmsg4")
int gb_dns_sendmsg4(struct bpf_sock_addr *ctx) { return note_sender(ctx); }
SEC("cgroup/sendmsg6")
int gb_dns_sendmsg6(struct bpf_sock_addr *ctx) { return note_sender(ctx); }

// The sending task of a packet: asked directly where the kernel allows it, else the task the
// hooks above noted for its socket (the one that connected it or addressed this datagram); 0
// when neither knows.
static __always_inline void dns_sender_of(struct __sk_buff *skb, __u32 *pid, __u32 *tid) {
#ifdef GB_KERNEL_LEGACY
    __u64 cookie = bpf_get_socket_cookie(skb);
    struct dns_sender *who = bpf_map_lookup_elem(&gb_dns_senders, &cookie);
    *pid = who ? who->pid : 0;
    *tid = who ? who->tid : 0;
#else
    gb_current_ids(pid, tid);
#endif
}

#define M (GB_DNS_NAME - 1)

// Wire labels -> "a.b.c" in r.name (lower case); the state is s->dec.
struct decode {
    struct dns_scratch *s;
    __u32 n; // wire bytes available
};

static long decode_byte(__u32 i, void *data) {
    struct decode *d = data;
    struct dns_decode_state *st = &d->s->dec;
    if (i >= d->n) {
        st->bad = 1; // ran out before the root label
        return 1;
    }
    __u8 c = d->s->wire[i & M];
    if (st->left == 0) {
        if (c == 0) {
            st->done = 1;
            return 1;
        }
        if (c >= 64) { // compression pointer or extended label type
            st->bad = 1;
            return 1;
        }
        if (st->out) {
            d->s->r.name[st->out & M] = '.';
            st->out++;
        }
        st->left = c;
        return 0;
    }
    if (c == '.' || st->out >= M) {
        st->bad = 1;
        return 1;
    }
    if (c >= 'A' && c <= 'Z')
        c += 'a' - 'A';
    d->s->r.name[st->out & M] = c;
    st->out++;
    st->left--;
    return 0;
}

struct cmp {
    const char *a, *b;
    __u32 aoff, len;
    int bad;
};

static long cmp_byte(__u32 i, void *data) {
    struct cmp *c = data;
    if (i >= c->len)
        return 1;
    if (c->a[(c->aoff + i) & M] != c->b[i & M]) {
        c->bad = 1;
        return 1;
    }
    return 0;
}

struct dot_scan {
    const char *name;
    __u32 len;
    int dot;
};

static long find_dot(__u32 i, void *data) {
    struct dot_scan *d = data;
    if (i >= d->len)
        return 1;
    if (d->name[i & M] == '.') {
        d->dot = 1;
        return 1;
    }
    return 0;
}

struct rule_match {
    struct gb_dns_report *r;
    __u32 n;
    int found;
};

// name[off .. off+len) == rule name
static int tail_equals(const char *name, __u32 off, const struct gb_dns_rule *rule, __u32 len) {
    if (off > M)
        return 0;
    struct cmp c = {name, rule->name, off, len, 0};
    bpf_loop(GB_DNS_NAME, cmp_byte, &c, 0);
    return !c.bad;
}

static long match_rule(__u32 i, void *data) {
    struct rule_match *m = data;
    struct gb_dns_rule *rule = gb_rule_at(&gb_dns_rules, i, m->n);
    if (!rule)
        return 1;
    __u32 len = m->r->len, rl = rule->len;
    int ok = 0;
    if (len == rl) {
        ok = rule->kind != GB_DNS_ONELABEL && tail_equals(m->r->name, 0, rule, rl);
    } else if (len > rl + 1 && rule->kind != GB_DNS_EXACT && m->r->name[(len - rl - 1) & M] == '.') {
        ok = tail_equals(m->r->name, len - rl, rule, rl);
        if (ok && rule->kind == GB_DNS_ONELABEL) {
            struct dot_scan d = {m->r->name, len - rl - 1, 0};
            bpf_loop(GB_DNS_NAME, find_dot, &d, 0);
            ok = !d.dot;
        }
    }
    if (ok) {
        m->found = 1;
        return 1;
    }
    return 0;
}

static int verdict(struct dns_scratch *s, struct gb_net_config *c) {
    struct gb_dns_report *out = bpf_ringbuf_reserve(&gb_dns_reports, sizeof(*out), 0);
    int allow = c->mode == GB_NET_COMPLAIN;
    if (out) {
        __builtin_memcpy(out, &s->r, sizeof(*out));
        out->ts_ns = bpf_ktime_get_ns();
        out->allowed = allow;
        bpf_ringbuf_submit(out, 0);
    }
    return allow;
}

SEC("cgroup_skb/egress")
int gb_dns_egress(struct __sk_buff *skb) {
    __u32 z = 0;
    struct gb_net_config *c = bpf_map_lookup_elem(&gb_dns_config, &z);
    if (!c)
        return 0;
    __u32 l4 = 0;
    __u8 proto = 0;
    struct dns_scratch *s = bpf_map_lookup_elem(&gb_dns_scratch, &z);
    if (!s)
        return 0;
    __builtin_memset(&s->r, 0, sizeof(s->r));
    if (gb_skb_ip(skb, 0, s->r.addr, &proto, &l4))
        return 1; // not ours to judge: the other programs see it
    if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
        return 1;
    if (l4 < 20 || l4 > 60)
        return 1;
    __u16 dport = 0;
    if (bpf_skb_load_bytes(skb, l4 + 2, &dport, 2) || dport != bpf_htons(53))
        return 1;
    dns_sender_of(skb, &s->r.pid, &s->r.tid);
    if (proto == IPPROTO_TCP) {
        s->r.reason = 2;
        return verdict(s, c);
    }
    __u32 dns = l4 + 8;
    __u16 qd = 0;
    if (bpf_skb_load_bytes(skb, dns + 4, &qd, 2) || qd != bpf_htons(1)) {
        s->r.reason = 1;
        return verdict(s, c);
    }
    __u32 q = dns + 12;
    if (skb->len <= q) {
        s->r.reason = 1;
        return verdict(s, c);
    }
    __u32 n = skb->len - q;
    if (n > M)
        n = M;
    /* 6.1's verifier needs the length's lower bound from arithmetic: it learns nothing from
     * `n == 0` and refused a copy that could be 0 bytes. (n - 1) & M, + 1 is n for 1..M, and
     * M + 1 for an empty question (the copy then fails: past the packet's end). */
    asm volatile("%0 += -1; %0 &= %1; %0 += 1" : "+r"(n) : "i"(M));
    if (bpf_skb_load_bytes(skb, q, s->wire, n)) {
        s->r.reason = 1;
        return verdict(s, c);
    }
    __builtin_memset(&s->dec, 0, sizeof(s->dec));
    struct decode d = {s, n};
    bpf_loop(GB_DNS_NAME, decode_byte, &d, 0);
    if (!s->dec.done || s->dec.bad) {
        s->r.reason = 1;
        return verdict(s, c);
    }
    s->r.len = s->dec.out;
    struct rule_match m = {&s->r, c->n_dns, 0};
    bpf_loop(GB_DNS_MAX_RULES, match_rule, &m, 0);
    if (m.found)
        return 1;
    return verdict(s, c);
}
