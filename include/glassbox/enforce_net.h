/* Shared between bpf/enforce/net.bpf.c and tracer/enforce/net_guard.cpp: the network rules the
 * cgroup programs enforce and the denial reports they send back through the ring buffer.
 * Addresses are IPv6; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d, prefix + 96), so a v4-mapped
 * destination on a dual-stack socket is judged exactly like the IPv4 address it carries. */
#ifndef GLASSBOX_ENFORCE_NET_H
#define GLASSBOX_ENFORCE_NET_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define GB_NET_MAX_RULES 256

enum gb_net_dir { GB_NET_CONNECT = 1, GB_NET_BIND = 2, GB_NET_ACCEPT = 3 /* peer of an incoming connection */ };
enum gb_net_mode { GB_NET_ENFORCE = 0, GB_NET_COMPLAIN = 1, GB_NET_KILL = 2 };
enum gb_net_hook {
    GB_HOOK_CONNECT4 = 1, GB_HOOK_CONNECT6, GB_HOOK_SENDMSG4, GB_HOOK_SENDMSG6,
    GB_HOOK_BIND4, GB_HOOK_BIND6, GB_HOOK_EGRESS,
    GB_HOOK_ACCEPT4, GB_HOOK_ACCEPT6, /* cgroup_skb ingress: a packet to a TCP listener from a peer
                                         network.accept does not allow (dropped: never accepted) */
    GB_HOOK_EXEC /* exec backstop: the file the kernel executed is not the one the supervisor
                    approved (addr holds its dev (u32) and ino (u64)); the task was killed */
};

/* Exec backstop (bpf/enforce/exec.bpf.c): the supervisor approves an exec for one thread (by
 * global tid) and the file it resolved (the final binary: an ELF, or a script's interpreter);
 * at sched_process_exec the kernel's actual file must be that one. dev is the kernel's
 * encoding (MAJOR << 20 | MINOR). */
struct gb_exec_ok {
    __u64 ino;
    __u32 dev;
    __u32 pad;
};

struct gb_net_rule {
    __u8 addr[16];
    __u8 prefix;   /* bits of addr that must match; 0 = any */
    __u8 protocol; /* 0 any, IPPROTO_* otherwise */
    __u8 dir;      /* enum gb_net_dir */
    __u8 pad;
    __u16 port_lo, port_hi; /* host order */
};

struct gb_net_config {
    __u32 n_rules;
    __u32 mode;        /* enum gb_net_mode */
    __u32 raw_allowed; /* raw/ICMP sockets may send (still matched against connect rules) */
    __u32 n_unix;      /* entries of gb_unix_rules in use */
    __u32 n_dns;       /* entries of gb_dns_rules in use */
    __u32 pad2;
};

/* DNS names (network.dns), judged in UDP queries to port 53 by the cgroup_skb egress program
 * (bpf/enforce/dns.bpf.c), lower case, dotted, no trailing dot:
 *   EXACT:    name == name_
 *   SUBTREE:  name == name_, or ends with "." + name_   ("**.example.com")
 *   ONELABEL: one label + "." + name_                   ("*.example.com") */
#define GB_DNS_MAX_RULES 32
#define GB_DNS_NAME 256
enum gb_dns_kind { GB_DNS_EXACT = 1, GB_DNS_SUBTREE = 2, GB_DNS_ONELABEL = 3 };
struct gb_dns_rule {
    __u8 kind;
    __u8 len;
    __u8 pad[2];
    char name[GB_DNS_NAME];
};
struct gb_dns_report {
    __u64 ts_ns;
    __u32 pid, tid; /* 0: not known (softirq) */
    __u8 allowed;
    __u8 reason;    /* 0 no rule, 1 unparsable query (compression, several questions, '.' in a
                       label, truncated), 2 DNS over TCP (not inspected: refused) */
    __u16 len;
    __u8 addr[16];  /* resolver, v4-mapped for IPv4 */
    char name[GB_DNS_NAME];
};

/* Unix socket addresses (connect, sendto): the kernel's copy of sun_path, "@name" for an abstract
 * one, judged against network.connect unix rules compiled to these shapes (others cannot be
 * enforced in the kernel and are refused by the compiler):
 *   EXACT:   path == prefix
 *   STAR:    prefix + (bytes without '/') + suffix     e.g. /run/agent/ *.sock
 *   SUBTREE: path == prefix without its last '/', or starts with prefix   e.g. /run/agent/ ** */
#define GB_UNIX_MAX_RULES 32
#define GB_UNIX_PATH 128 /* sun_path is 108 bytes; 128 keeps masked indexes in bounds */
enum gb_unix_kind { GB_UNIX_EXACT = 1, GB_UNIX_STAR = 2, GB_UNIX_SUBTREE = 3 };
struct gb_unix_rule {
    __u8 kind;
    __u8 plen, slen;
    __u8 pad;
    char prefix[GB_UNIX_PATH];
    char suffix[GB_UNIX_PATH];
};
enum gb_unix_hook { GB_UNIX_CONNECT = 1, GB_UNIX_SENDMSG = 2 };
struct gb_unix_report {
    __u64 ts_ns;
    __u32 pid, tid;
    __u8 hook;    /* enum gb_unix_hook */
    __u8 allowed; /* complain mode */
    __u8 reason;  /* 0 no rule matches, 1 relative path, 2 "." or ".." component */
    __u8 len;
    char path[GB_UNIX_PATH];
};

struct gb_net_report {
    __u64 ts_ns; /* bpf_ktime_get_ns (CLOCK_MONOTONIC) */
    __u32 pid, tid;
    __u8 addr[16];
    __u16 port;   /* host order */
    __u8 protocol;
    __u8 hook;    /* enum gb_net_hook */
    __u8 allowed; /* 1 when let through (complain mode) */
    __u8 sock_type;
    __u8 pad[2];
    char comm[16];
};

#endif
