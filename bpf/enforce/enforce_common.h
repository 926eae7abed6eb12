// Pieces every enforce BPF program (net, unix, dns, exec) needs, written once: walking a rules
// array inside a bpf_loop callback, the IPv4-mapped address form the rules use, reading an IP
// packet's header from a cgroup_skb program, and stamping a report with the calling task.
// Included by the bpf/enforce/*.bpf.c files after vmlinux.h and the libbpf helpers.
#pragma once

#include <bpf/bpf_endian.h>

// The rule at index i of an array map while i is below the n rules in use; NULL ends a
// bpf_loop over the rules (the callback returns 1).
static __always_inline void *gb_rule_at(void *map, __u32 i, __u32 n) {
    if (i >= n)
        return 0;
    __u32 key = i;
    return bpf_map_lookup_elem(map, &key);
}

// An IPv4 address (network order) in the one form the rules and reports use: ::ffff:a.b.c.d.
static __always_inline void gb_map_v4(__u8 addr[16], __u32 ip) {
    __builtin_memset(addr, 0, 10);
    addr[10] = addr[11] = 0xff;
    __builtin_memcpy(&addr[12], &ip, 4);
}

// The calling task's pid (tgid) and tid.
static __always_inline void gb_current_ids(__u32 *pid, __u32 *tid) {
    __u64 id = bpf_get_current_pid_tgid();
    *pid = id >> 32;
    *tid = (__u32)id;
}

// Every report starts with ts_ns, pid, tid: stamps them for the calling task now.
static __always_inline void gb_stamp_task(__u64 *ts_ns, __u32 *pid, __u32 *tid) {
    *ts_ns = bpf_ktime_get_ns();
    gb_current_ids(pid, tid);
}

// The full socket behind a cgroup_skb packet, or NULL.
static __always_inline struct bpf_sock *gb_skb_fullsock(struct __sk_buff *skb) {
    struct bpf_sock *sk = skb->sk;
    return sk ? bpf_sk_fullsock(sk) : 0;
}

#define GB_ETH_P_IP 0x0800
#define GB_ETH_P_IPV6 0x86DD

// Reads an IP packet's header: its source (src != 0) or destination address as IPv4-mapped
// IPv6, its protocol (IPv6: the fixed header's next header; extension headers are not walked,
// callers treat anything but the protocol they expect as unjudgeable) and the offset of its L4
// header. Returns 0, or -1 for a packet that is not IPv4/IPv6 or is too short to read.
static __always_inline int gb_skb_ip(struct __sk_buff *skb, int src, __u8 addr[16], __u8 *proto, __u32 *l4) {
    if (skb->protocol == bpf_htons(GB_ETH_P_IP)) {
        __u8 vihl = 0;
        __u32 ip = 0;
        if (bpf_skb_load_bytes(skb, 0, &vihl, 1) || bpf_skb_load_bytes(skb, 9, proto, 1) ||
            bpf_skb_load_bytes(skb, src ? 12 : 16, &ip, 4))
            return -1;
        *l4 = (vihl & 0xf) * 4;
        gb_map_v4(addr, ip);
        return 0;
    }
    if (skb->protocol == bpf_htons(GB_ETH_P_IPV6)) {
        if (bpf_skb_load_bytes(skb, 6, proto, 1) || bpf_skb_load_bytes(skb, src ? 8 : 24, addr, 16))
            return -1;
        *l4 = 40;
        return 0;
    }
    return -1;
}
