// Unix socket path rules for `glassbox enforce`: cgroup sock_addr programs on the AF_UNIX connect
// and sendmsg hooks (Linux 6.7+; libbpf 1.1 does not know their section names, so they are
// declared as connect4 programs and given their real attach type before loading). They judge the
// kernel's own copy of the address, so flipping the caller's buffer changes nothing. The path is
// compared as a string: a relative path (resolved against a cwd the program cannot see) and "."
// or ".." components are refused; symlinks along the path are followed by the kernel afterwards
// (docs/enforce.md says what that leaves).
#define BPF_NO_PRESERVE_ACCESS_INDEX
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include <glassbox/enforce_net.h>

#include "enforce_common.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, GB_UNIX_MAX_RULES);
    __type(key, __u32);
    __type(value, struct gb_unix_rule);
} gb_unix_rules SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16 * 1024);
} gb_unix_reports SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct gb_unix_report);
} gb_unix_scratch SEC(".maps");

extern struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct gb_net_config);
} gb_config SEC(".maps");

// Byte loops run as bpf_loop callbacks: the verifier checks each body once (unrolled bounded
// loops over 108 bytes times 32 rules took it seconds and then exceeded its limits).
struct byte_scan {
    const struct gb_unix_report *r;
    const struct gb_unix_rule *rule;
    __u32 len, plen, slen;
    int bad;
};

static long check_byte(__u32 i, void *data) {
    struct byte_scan *b = data;
    if (i >= b->len)
        return 1;
    char c = b->r->path[i & (GB_UNIX_PATH - 1)];
    if (i < b->plen) {
        if (c != b->rule->prefix[i & (GB_UNIX_PATH - 1)])
            goto bad;
    } else if (i >= b->len - b->slen) {
        if (c != b->rule->suffix[(i - (b->len - b->slen)) & (GB_UNIX_PATH - 1)])
            goto bad;
    } else if (b->rule->kind == GB_UNIX_STAR && c == '/') {
        goto bad;
    }
    return 0;
bad:
    b->bad = 1;
    return 1;
}

struct unix_match {
    const struct gb_unix_report *r;
    __u32 n;
    int found;
};

static long match_one(__u32 i, void *data) {
    struct unix_match *m = data;
    struct gb_unix_rule *rule = gb_rule_at(&gb_unix_rules, i, m->n);
    if (!rule)
        return 1;
    struct byte_scan b = {m->r, rule, m->r->len, rule->plen, rule->slen, 0};
    if (rule->kind == GB_UNIX_SUBTREE && b.plen > 0 && b.len == b.plen - 1) {
        b.plen = b.len; // the directory itself: the prefix without its trailing '/'
    } else if (b.len < b.plen + b.slen || (rule->kind == GB_UNIX_EXACT && b.len != b.plen)) {
        return 0;
    }
    bpf_loop(GB_UNIX_PATH, check_byte, &b, 0);
    if (!b.bad) {
        m->found = 1;
        return 1;
    }
    return 0;
}

struct dot_scan {
    const struct gb_unix_report *r;
    __u32 len;
    int bad;
};

// A "." or ".." component starting at position i ("/./", "/../", or at the end).
static long check_dot(__u32 i, void *data) {
    struct dot_scan *d = data;
    if (i + 1 >= d->len)
        return 1;
    const char *p = d->r->path;
    if (p[i & (GB_UNIX_PATH - 1)] != '/' || p[(i + 1) & (GB_UNIX_PATH - 1)] != '.')
        return 0;
    char n1 = i + 2 < d->len ? p[(i + 2) & (GB_UNIX_PATH - 1)] : '/';
    char n2 = i + 3 < d->len ? p[(i + 3) & (GB_UNIX_PATH - 1)] : '/';
    if (n1 == '/' || (n1 == '.' && n2 == '/')) {
        d->bad = 1;
        return 1;
    }
    return 0;
}

// 1 = allowed. `ctx` is, in the kernel, a struct bpf_sock_addr_kern: its address is read from there.
static int judge_unix(struct bpf_sock_addr *ctx, __u8 hook) {
    __u32 z = 0;
    struct gb_net_config *c = bpf_map_lookup_elem(&gb_config, &z);
    struct gb_unix_report *r = bpf_map_lookup_elem(&gb_unix_scratch, &z);
    if (!c || !r)
        return 0;
    struct bpf_sock_addr_kern kern = {};
    if (bpf_probe_read_kernel(&kern, sizeof(kern), ctx))
        return 0;
    __builtin_memset(r, 0, sizeof(*r));
    __u32 alen = kern.uaddrlen;
    if (alen <= 2) // no path: an unnamed address
        return 1;
    __u32 plen = alen - 2;
    if (plen > 108)
        plen = 108;
    const char *sun_path = (const char *)kern.uaddr + 2;
    char first = 0;
    if (bpf_probe_read_kernel(&first, 1, sun_path))
        return 0;
    __u32 len;
    if (first == 0) { // abstract: "@" + name (plen - 1 bytes, NULs included)
        r->path[0] = '@';
        __u32 n = plen - 1;
        if (n > 107)
            n = 107;
        if (n && bpf_probe_read_kernel(&r->path[1], n, sun_path + 1))
            return 0;
        len = n + 1;
    } else { // a path: up to the first NUL
        // The kernel's copy lives in a sockaddr_storage (128 bytes): 109 from offset 2 stays in it.
        long got = bpf_probe_read_kernel_str(r->path, 109, sun_path);
        if (got <= 0)
            return 0;
        len = got - 1;
        if (len > plen)
            len = plen;
        if (r->path[0] != '/') {
            r->reason = 1;
        } else {
            struct dot_scan d = {r, len, 0};
            bpf_loop(GB_UNIX_PATH, check_dot, &d, 0);
            if (d.bad)
                r->reason = 2;
        }
    }
    r->len = len;
    int ok = 0;
    if (!r->reason) {
        struct unix_match m = {r, c->n_unix, 0};
        bpf_loop(GB_UNIX_MAX_RULES, match_one, &m, 0);
        ok = m.found;
    }
    if (ok)
        return 1;
    struct gb_unix_report *out = bpf_ringbuf_reserve(&gb_unix_reports, sizeof(*out), 0);
    if (out) {
        __builtin_memcpy(out, r, sizeof(*out));
        gb_stamp_task(&out->ts_ns, &out->pid, &out->tid);
        out->hook = hook;
        out->allowed = c->mode == GB_NET_COMPLAIN;
        bpf_ringbuf_submit(out, 0);
    }
    return c->mode == GB_NET_COMPLAIN;
}

// Declared under a section libbpf 1.1 knows (for the program type); net_guard sets the attach
// types BPF_CGROUP_UNIX_CONNECT / BPF_CGROUP_UNIX_SENDMSG before loading.
SEC("cgroup/connect4")
int gb_unix_connect(struct bpf_sock_addr *ctx) { return judge_unix(ctx, GB_UNIX_CONNECT); }
SEC("cgroup/connect4")
int gb_unix_sendmsg(struct bpf_sock_addr *ctx) { return judge_unix(ctx, GB_UNIX_SENDMSG); }
