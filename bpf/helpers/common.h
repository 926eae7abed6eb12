/* Shared by every family of the recorder (bpf/record/<family>.h, all compiled as one unit,
 * bpf/recorder.bpf.c): the maps, the scope test, the per-thread syscall stash, and building and
 * emitting a record (common header, strings, ring buffer output, loss accounting).
 * Data path: tracepoint -> gb_in_scope -> (stash at sys_enter) -> build the record in this CPU's
 * scratch buffer at sys_exit -> gb_submit_scratch -> ring buffer -> user space decoder. */
#ifndef GLASSBOX_BPF_COMMON_H
#define GLASSBOX_BPF_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include <glassbox/events.h>

/* Layouts fixed by the user-space ABI, declared here instead of taken from vmlinux.h: a vmlinux.h
 * type gets CO-RE relocations, and libbpf searches the whole kernel BTF (~127,000 types, ~1 ms)
 * once per relocated type and loaded instance at every start, for layouts that cannot change.
 * gb_regs is the x86-64 syscall entry frame (struct pt_regs), whose register slots are fixed by
 * the entry code; loads through it are still checked against the kernel's pt_regs. */
struct gb_regs {
    unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax;
};
struct gb_sockaddr_in {
    __u16 sin_family;
    __be16 sin_port;
    __be32 sin_addr;
    __u8 sin_zero[8];
};
struct gb_sockaddr_in6 {
    __u16 sin6_family;
    __be16 sin6_port;
    __be32 sin6_flowinfo;
    __u8 sin6_addr[16];
    __u32 sin6_scope_id;
};
struct gb_iovec {
    void* iov_base;
    __u64 iov_len;
};
struct gb_msghdr { /* the kernel's struct user_msghdr */
    void* msg_name;
    int msg_namelen;
    struct gb_iovec* msg_iov;
    __u64 msg_iovlen;
    void* msg_control;
    __u64 msg_controllen;
    unsigned int msg_flags;
};
struct gb_mmsghdr {
    struct gb_msghdr msg_hdr;
    unsigned int msg_len;
};
struct gb_open_how {
    __u64 flags;
    __u64 mode;
    __u64 resolve;
};
_Static_assert(sizeof(struct gb_sockaddr_in6) == 28 && sizeof(struct gb_msghdr) == 56 &&
                   sizeof(struct gb_mmsghdr) == 64 && sizeof(struct gb_open_how) == 24,
               "user ABI layouts");

/* Two builds of this object (bpf/CMakeLists.txt), picked at run time by what the kernel offers
 * (tracer/record/recorder.cpp):
 * - the default one, for kernels with the kfuncs bpf_rdonly_cast and bpf_task_from_pid (6.2+);
 * - GB_KERNEL_LEGACY, for kernels without them (Debian 12's 6.1): every read that went through
 *   bpf_rdonly_cast is a BPF_CORE_READ (probe reads: slower, the same values), and what needed a
 *   task from a pid number takes another route (see gb_task_of_pid's callers).
 *
 * GB_FIELD(type, p, field) reads p->field, p being a kernel address the verifier may only know as
 * a number (taken from a map, a loop context or another read). With bpf_rdonly_cast the pointer
 * gets its BTF type and the field is a direct (fault-safe) load instead of a
 * bpf_probe_read_kernel call; without it, a CO-RE probe read. `field` may be nested (a.b). */
#ifndef GB_KERNEL_LEGACY
extern void* bpf_rdonly_cast(const void* obj__ign, __u32 btf_id__k) __ksym;
#define GB_BTF(type, p) ((type*)bpf_rdonly_cast((const void*)(p), bpf_core_type_id_kernel(type)))
#define GB_FIELD(type, p, field) (GB_BTF(type, p)->field)
extern struct task_struct* bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct* p) __ksym;
#else
#define GB_FIELD(type, p, field) BPF_CORE_READ((type*)(p), field)
#endif

/* The thread-group leader behind a struct pid, read through the pid's task list: the route from
 * a pid to its task that needs no kfunc. Probe reads, so a task exiting meanwhile reads as NULL
 * or as stale fields, never as a fault. */
static __always_inline struct task_struct* gb_pid_leader(struct pid* p) {
    struct hlist_node* first = p ? BPF_CORE_READ(p, tasks[PIDTYPE_TGID].first) : NULL;
    if (!first)
        return NULL;
    return (struct task_struct*)((char*)first -
                                 bpf_core_field_offset(struct task_struct, pid_links[PIDTYPE_TGID]));
}

#define GB_MAX_SCOPE_PIDS 65536
#define GB_MAX_INFLIGHT 16384
#define GB_LOST_SLOTS 64 /* >= GB_EV_MAX: lost records are counted per kind and per CPU */

/* The ring buffer. Its size is set by user space before load (--ringbuf-mb). */
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4 << 20);
} gb_events SEC(".maps");

/* Processes in scope (by tgid): seeded by user space with the launched/attached pids, inherited
 * on fork, removed when the whole process exits. A process that leaves the cgroup stays here. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(map_flags, BPF_F_NO_PREALLOC); /* allocated on demand: fast startup */
    __uint(max_entries, GB_MAX_SCOPE_PIDS);
    __type(key, __u32);
    __type(value, __u8);
} gb_scope_pids SEC(".maps");

/* The cgroup v2 directory whose subtree is in scope (slot 0; empty when tracing by pid only). */
struct {
    __uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} gb_scope_cgroup SEC(".maps");

/* Syscall arguments stashed at sys_enter, consumed at sys_exit, in the thread's own task local
 * storage: no hash insert/delete per syscall, and the slot is freed with the thread. `nr` is
 * GB_NR_NONE when nothing is stashed. */
#define GB_NR_NONE 0xffffffffu
struct gb_inflight {
    __u64 args[6];
    __u32 nr;
    __u32 addrlen;       /* bytes of sockaddr copied (network syscalls) */
    __u8 sockaddr[128];  /* the address as the caller passed it, copied at entry */
};

struct {
    __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct gb_inflight);
} gb_inflight_map SEC(".maps");

/* Per-CPU scratch: one record under construction, and one path being resolved. ARRAY indexed by
 * CPU (user space sets max_entries to the number of possible CPUs) because per-CPU map values are
 * limited to 32 KiB. Tracepoint programs run with preemption disabled, so a CPU's slot has one
 * user at a time. */
/* State of one path walk (helpers/path.h), shared with its bpf_loop callback (one verified step
 * instead of an unrolled loop: the verifier would otherwise explore every iteration's branches). Pointers are
 * kept as numbers and read with GB_FIELD in each step. */
struct gb_walk {
    __u64 dentry;
    __u64 mnt; /* struct mount * */
    __u64 mnt_root;
    __u64 root_dentry; /* the task's root: the walk ends there */
    __u64 root_mnt;    /* struct mount * */
    __u32 off;
    __u16 flags;
    __u16 done;
};

/* gb_pseudo_name's locals (helpers/path.h). */
struct gb_pseudo_locals {
    union {
        char c[24];
        __u64 w;
    } tn;           /* the filesystem type's name */
    char dn[32];    /* an anonymous inode's name */
    __u64 data[2];  /* bpf_snprintf's arguments */
};

struct gb_path_buf {
    char buf[GB_PATH_MAX * 2];
    struct gb_pseudo_locals pseudo;
    struct gb_walk walk;
    __u64 pseudo_dentry; /* argument of gb_pseudo_name (helpers/path.h) */
    __u64 walk_dentry;   /* arguments of gb_walk_global (helpers/path.h) */
    __u64 walk_mnt;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 256);
    __type(key, __u32);
    __type(value, __u8[GB_EVENT_MAX]);
} gb_event_scratch SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 256);
    __type(key, __u32);
    __type(value, struct gb_path_buf);
} gb_path_scratch SEC(".maps");

/* Records that could not be delivered, per kind (slot = enum gb_event_kind) and per CPU. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, GB_LOST_SLOTS);
    __type(key, __u32);
    __type(value, __u64);
} gb_lost SEC(".maps");

/* A global function: called from every failure path, it is verified and fixed up once per
 * program instead of once per call site. */
__noinline int gb_count_lost(__u32 kind) {
    __u32 slot = kind < GB_LOST_SLOTS ? kind : 0;
    __u64* n = bpf_map_lookup_elem(&gb_lost, &slot);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

/* ---- scope --------------------------------------------------------------------------------- */

/* Pid numbers as the traced tree sees them when it runs in a child pid namespace (--protect
 * pidns, or namespaces it makes itself) -> the kernel's global numbers, for the tree's own tasks:
 * kill(5) in the namespace must be read as the tree's task 5, not the machine's. Added at fork
 * and exec, removed at each task's exit. */
struct gb_vpid_key {
    __u64 ns; /* struct pid_namespace * */
    __u32 nr;
    __u32 pad;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(max_entries, GB_MAX_SCOPE_PIDS);
    __type(key, struct gb_vpid_key);
    __type(value, __u32);
} gb_tree_vpids SEC(".maps");

/* The task's number in its own (innermost) pid namespace; false in the initial namespace. */
static __always_inline bool gb_task_vpid(struct task_struct* t, struct gb_vpid_key* k) {
    struct pid* p = BPF_CORE_READ(t, thread_pid);
    if (!p)
        return false;
    __u32 level = BPF_CORE_READ(p, level);
    if (level == 0 || level > 32)
        return false;
    struct upid u = {};
    __u64 at = (__u64)p + bpf_core_field_offset(struct pid, numbers) + level * bpf_core_type_size(struct upid);
    if (bpf_probe_read_kernel(&u, sizeof(u), (const void*)at) != 0)
        return false;
    k->ns = (__u64)u.ns;
    k->nr = (__u32)u.nr;
    k->pad = 0;
    return true;
}

static __always_inline void gb_vpid_add(struct task_struct* t) {
    struct gb_vpid_key k;
    if (!gb_task_vpid(t, &k))
        return;
    __u32 global = BPF_CORE_READ(t, pid);
    bpf_map_update_elem(&gb_tree_vpids, &k, &global, BPF_ANY);
}

static __always_inline void gb_vpid_del(struct task_struct* t) {
    struct gb_vpid_key k;
    if (gb_task_vpid(t, &k))
        bpf_map_delete_elem(&gb_tree_vpids, &k);
}

/* A pid number the current task passed to a syscall -> the global number. In the initial
 * namespace: the number itself. In a child namespace (*ns_rel set): the tree's task of that number,
 * or 0 when it names none (glassbox's init, a task of another namespace, nothing). Not inlined:
 * its locals must not add to the stack of the record builders' call chains. */
static __noinline __s32 gb_global_pid(__s32 nr, __u32* ns_rel) {
    struct gb_vpid_key k;
    if (!ns_rel)
        return nr;
    *ns_rel = 0;
    if (nr <= 0 || !gb_task_vpid(bpf_get_current_task_btf(), &k))
        return nr;
    *ns_rel = 1;
    k.nr = (__u32)nr;
    __u32* g = bpf_map_lookup_elem(&gb_tree_vpids, &k);
    return g ? (__s32)*g : 0;
}

static __always_inline bool gb_pid_in_scope(__u32 tgid) {
    return bpf_map_lookup_elem(&gb_scope_pids, &tgid) != NULL;
}

/* True when the current task is traced: its process is in the pid set, or it runs anywhere under
 * the scoped cgroup (then its pid joins the set, so leaving the cgroup later does not hide it). */
static __always_inline bool gb_in_scope(void) {
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    if (gb_pid_in_scope(tgid))
        return true;
    if (bpf_current_task_under_cgroup(&gb_scope_cgroup, 0) == 1) {
        __u8 one = 1;
        bpf_map_update_elem(&gb_scope_pids, &tgid, &one, BPF_NOEXIST);
        return true;
    }
    return false;
}

/* Whether glassbox is alive (struct gb_life). Once its watchdog holds the programs' links, the
 * recording outlives glassbox: when glassbox's process ends, every traced process stops at its
 * next syscall (the call itself runs and is recorded), and the watchdog, which reads what the
 * ring still holds into the trace, kills it. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct gb_life);
} gb_life SEC(".maps");

#define GB_SIGKILL 9
#define GB_SIGSTOP 19
#define GB_SIGTTOU 22 /* SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: the stop signals, 19-22 on x86 */

/* A process ends (sched_process_exit, group_dead) or is sent SIGKILL: is it the recorder? */
static __always_inline void gb_life_ends(__u32 tgid, bool ends) {
    __u32 zero = 0;
    struct gb_life* l = bpf_map_lookup_elem(&gb_life, &zero);
    if (l && ends && tgid && l->recorder_tgid == tgid)
        l->gone = 1;
}

/* At every syscall entry: a traced process whose recorder is gone stops. */
static __always_inline void gb_stop_if_recorder_gone(void) {
    __u32 zero = 0;
    struct gb_life* l = bpf_map_lookup_elem(&gb_life, &zero);
    if (l && l->gone && gb_in_scope())
        bpf_send_signal(GB_SIGSTOP);
}

/* A task that entered the kernel through the 32-bit ABI (int 0x80): its syscall numbers are the
 * i386 ones, so the x86-64 handlers must not interpret them. */
#define GB_TS_COMPAT 0x0002
static __always_inline bool gb_is_compat(struct task_struct* task) {
    /* A direct load (task is the current task, a trusted pointer): this runs for every syscall,
     * and a bpf_probe_read_kernel call costs more than the load. */
    return (task->thread_info.status & GB_TS_COMPAT) != 0;
}

/* ---- stash --------------------------------------------------------------------------------- */

/* The six arguments of the current syscall, in x86-64 order (regs: the sys_enter/sys_exit frame). */
static __always_inline void gb_syscall_args(__u64* a, struct gb_regs* regs) {
    a[0] = regs->di;
    a[1] = regs->si;
    a[2] = regs->dx;
    a[3] = regs->r10;
    a[4] = regs->r8;
    a[5] = regs->r9;
}

static __always_inline struct gb_inflight* gb_stash(struct gb_regs* regs, long nr, __u32 kind) {
    struct gb_inflight* in = bpf_task_storage_get(&gb_inflight_map, bpf_get_current_task_btf(), 0,
                                                  BPF_LOCAL_STORAGE_GET_F_CREATE);
    if (!in) {
        gb_count_lost(kind); /* out of memory: the exit handler will not find it */
        return NULL;
    }
    in->nr = (__u32)nr;
    in->addrlen = 0;
    gb_syscall_args(in->args, regs);
    return in;
}

/* The entry handler of a stashed syscall: stash its arguments when the current task is a traced
 * native (64-bit ABI) one. */
static __always_inline void gb_stash_traced(struct gb_regs* regs, long nr, __u32 kind) {
    if (gb_is_compat(bpf_get_current_task_btf()) || !gb_in_scope())
        return;
    gb_stash(regs, nr, kind);
}

/* The stash of `task` (the current thread unless an exec tracepoint names it), or NULL. */
static __always_inline struct gb_inflight* gb_stash_of(struct task_struct* task) {
    struct gb_inflight* in = bpf_task_storage_get(&gb_inflight_map, task, 0, 0);
    return in && in->nr != GB_NR_NONE ? in : NULL;
}

static __always_inline struct gb_inflight* gb_stash_lookup(void) {
    return gb_stash_of(bpf_get_current_task_btf());
}

/* The syscall number of the current sys_exit (the tracepoint passes only the return value).
 * A direct load: tp_btf's regs is a trusted pointer, and this runs for every syscall. */
static __always_inline long gb_exit_nr(struct gb_regs* regs) { return regs->orig_ax; }

/* ---- building a record ----------------------------------------------------------------------- */

static __always_inline __u8* gb_event_buf(void) {
    __u32 cpu = bpf_get_smp_processor_id();
    return bpf_map_lookup_elem(&gb_event_scratch, &cpu);
}

/* This CPU's record buffer for a record of `kind`; NULL (and the record counted as lost) when
 * there is none. */
static __always_inline __u8* gb_event_buf_or_lost(__u32 kind) {
    __u8* buf = gb_event_buf();
    if (!buf)
        gb_count_lost(kind);
    return buf;
}

/* The start of every sys_exit handler of a stashed syscall: takes this thread's stash if it is
 * the one of syscall `nr` (the slot is free again from here on; its arguments stay readable for
 * the rest of this program run) and returns this CPU's record buffer. NULL when there is nothing
 * to record: no stash, another syscall's, or no buffer (then counted as lost). */
static __always_inline struct gb_inflight* gb_stash_take(long nr) {
    struct gb_inflight* in = gb_stash_lookup();
    if (!in)
        return NULL;
    bool mine = in->nr == (__u32)nr;
    in->nr = GB_NR_NONE;
    return mine ? in : NULL;
}

static __always_inline __u8* gb_exit_take(long nr, __u32 kind, struct gb_inflight** stash) {
    struct gb_inflight* in = gb_stash_take(nr);
    if (!in)
        return NULL;
    __u8* buf = gb_event_buf_or_lost(kind);
    if (!buf)
        return NULL;
    *stash = in;
    return buf;
}

static __always_inline struct gb_path_buf* gb_path_buf(void) {
    __u32 cpu = bpf_get_smp_processor_id();
    return bpf_map_lookup_elem(&gb_path_scratch, &cpu);
}

/* Fields are read with direct loads, not bpf_probe_read calls, since this runs for every record.
 * Through GB_BTF even when `task` is trusted: loading a pointer field from a trusted pointer makes
 * the verifier look up "<struct>__safe_trusted" by name in the whole kernel BTF, per instruction
 * and state, which tripled the load time. */
static __always_inline void gb_fill_header_task(struct gb_event_header* h, __u32 kind, __u32 size,
                                                struct task_struct* trusted_task) {
    h->kind = kind;
    h->via = GB_VIA_SYSCALL;
    h->size = size;
    h->ts = bpf_ktime_get_ns();
    h->cpu = bpf_get_smp_processor_id();
#ifndef GB_KERNEL_LEGACY
    struct task_struct* task = GB_BTF(struct task_struct, trusted_task);
    h->pid = task->tgid;
    h->tid = task->pid;
    h->ppid = task->real_parent->tgid;
    const struct cred* cred = task->cred;
    h->uid = cred->uid.val;
    h->euid = cred->euid.val;
    __builtin_memcpy(&h->comm, task->comm, sizeof(h->comm));
#else
    struct task_struct* task = trusted_task;
    h->pid = BPF_CORE_READ(task, tgid);
    h->tid = BPF_CORE_READ(task, pid);
    h->ppid = BPF_CORE_READ(task, real_parent, tgid);
    h->uid = BPF_CORE_READ(task, cred, uid.val);
    h->euid = BPF_CORE_READ(task, cred, euid.val);
    BPF_CORE_READ_INTO(&h->comm, task, comm);
#endif
}

static __always_inline void gb_fill_header(struct gb_event_header* h, __u32 kind, __u32 size) {
    gb_fill_header_task(h, kind, size, (struct task_struct*)bpf_get_current_task_btf());
}

/* User space is woken only once this much is waiting; otherwise it polls every few ms. One wakeup
 * per record would cost a context switch per event under bursts, and even asking the ring how
 * full it is reads the consumer's cache line: so each CPU asks only every GB_WAKEUP_EVERY records. */
#define GB_WAKEUP_BYTES (256 << 10)
#define GB_WAKEUP_EVERY 64

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} gb_submit_count SEC(".maps");

/* Emits the first `size` bytes of this CPU's record buffer (gb_event_buf, where every record is
 * built); counts the record as lost when the ring buffer is full. A global function (verified
 * and fixed up once per program, not at each of the dozen places that emit): it finds the buffer
 * itself, since a global function cannot take a pointer to an unsized buffer. */
__noinline int gb_submit_scratch(__u32 size, __u32 kind) {
    __u8* ev = gb_event_buf();
    if (!ev)
        return 0;
    if (size > GB_EVENT_MAX)
        size = GB_EVENT_MAX;
    ((struct gb_event_header*)ev)->size = size;
    __u64 flags = BPF_RB_NO_WAKEUP;
    __u32 zero = 0;
    __u32* n = bpf_map_lookup_elem(&gb_submit_count, &zero);
    if (n && ++*n % GB_WAKEUP_EVERY == 0 &&
        bpf_ringbuf_query(&gb_events, BPF_RB_AVAIL_DATA) > GB_WAKEUP_BYTES)
        flags = BPF_RB_FORCE_WAKEUP;
    if (bpf_ringbuf_output(&gb_events, ev, size, flags) != 0)
        gb_count_lost(kind);
    return 0;
}

/* Record strings are appended after the fixed part: `pos` is the record's current size and
 * `data_off` where its data[] starts. A string may start at offsets up to `room` (the buffer's
 * size minus GB_RAW_MAX: GB_STR_ROOM for a record buffer, less for a smaller pending record), so
 * each append keeps pos within the buffer. `user`: read from user memory, else kernel memory. */
static __always_inline __u32 gb_put_str_room(__u8* ev, __u32 pos, __u32 data_off, struct gb_str* s,
                                             const void* ptr, __u32 room, bool user) {
    s->flags = 0;
    s->len = 0;
    s->off = pos - data_off;
    s->pad = 0;
    if (!ptr)
        return pos;
    if (pos > room) {
        s->flags = GB_STR_PRESENT | GB_STR_TRUNCATED;
        return pos;
    }
    long n = user ? bpf_probe_read_user_str(ev + pos, GB_RAW_MAX, ptr)
                  : bpf_probe_read_kernel_str(ev + pos, GB_RAW_MAX, ptr);
    if (n <= 0) {
        s->flags = GB_STR_PRESENT | GB_STR_FAULT;
        return pos;
    }
    s->flags = GB_STR_PRESENT;
    s->len = n - 1;
    if (n == GB_RAW_MAX)
        s->flags |= GB_STR_TRUNCATED;
    return pos + (__u32)n;
}

static __always_inline __u32 gb_put_user_str(__u8* ev, __u32 pos, __u32 data_off, struct gb_str* s,
                                             const void* uptr) {
    return gb_put_str_room(ev, pos, data_off, s, uptr, GB_STR_ROOM, true);
}

static __always_inline __u32 gb_put_kernel_str(__u8* ev, __u32 pos, __u32 data_off,
                                               struct gb_str* s, const void* kptr) {
    return gb_put_str_room(ev, pos, data_off, s, kptr, GB_STR_ROOM, false);
}

/* Copies `len` user bytes (not NUL-terminated, e.g. argv) bounded by `max` (<= GB_PATH_MAX). */
static __always_inline __u32 gb_put_user_bytes(__u8* ev, __u32 pos, __u32 data_off,
                                               struct gb_str* s, const void* uptr, __u64 len,
                                               __u32 max) {
    s->flags = GB_STR_PRESENT;
    s->len = 0;
    s->off = pos - data_off;
    if (pos > GB_STR_ROOM) {
        s->flags |= GB_STR_TRUNCATED;
        return pos;
    }
    if (max > GB_PATH_MAX)
        max = GB_PATH_MAX;
    if (len > max) {
        len = max;
        s->flags |= GB_STR_TRUNCATED;
    }
    __u32 n = (__u32)len & (GB_PATH_MAX * 2 - 1);
    if (n > GB_PATH_MAX)
        n = GB_PATH_MAX;
    if (n && bpf_probe_read_user(ev + pos, n, uptr) != 0) {
        s->flags |= GB_STR_FAULT;
        return pos;
    }
    s->len = n;
    return pos + n;
}

#endif
