/* The records the recorder's BPF programs put on the ring buffer, and the only definition of them:
 * included by the bpf/<family>.bpf.c programs (after vmlinux.h) and by the C++ decoder (tracer/record/decode.cpp).
 * Data path: BPF program builds one record in a per-CPU scratch buffer -> bpf_ringbuf_output ->
 * ring buffer consumer -> decoder (one function per kind) -> trace writer (JSON line).
 *
 * Rules (see docs/recording.md, "Adding an event kind"):
 * - pure C, fixed-width types only, naturally aligned, explicit padding, no implicit holes;
 * - every record starts with struct gb_event_header; `size` is the whole record including the
 *   variable part;
 * - variable-length bytes (paths, argv, names) follow the fixed struct (its "data" area, at sizeof(struct)) and are
 *   described by a struct gb_str (offset from the start of the data area, length, flags). The decoder
 *   checks every gb_str against `size` before touching the bytes;
 * - new kinds append new structs at the end of this file; never change an existing layout without
 *   updating its static_assert and the decoder together. */
#ifndef GLASSBOX_EVENTS_H
#define GLASSBOX_EVENTS_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#include "event_kinds.h"

/* Bounds. The path walk stops after GB_PATH_DEPTH dentries/mounts or GB_PATH_MAX bytes and flags
 * the path as truncated; argv is copied up to GB_ARGV_MAX bytes. */
#define GB_COMM_LEN 16
#define GB_PATH_MAX 4096     /* bytes of one resolved path, NUL included */
#define GB_PATH_DEPTH 96     /* dentry + mount steps of one path walk */
#define GB_RAW_MAX 4096      /* bytes of one string read from user memory, NUL included */
#define GB_ARGV_MAX 4096     /* bytes of argv (NUL-separated) */
#define GB_ARGV_FAILED_MAX 32 /* argv elements read one by one for a failed exec */
#define GB_EVENT_MAX 32768   /* largest record, header included (power of two) */
#define GB_STR_ROOM (GB_EVENT_MAX - GB_PATH_MAX) /* a string starts below this offset */
#define GB_UNIX_PATH_MAX 108

/* gb_event_header.flags: how the operation entered the kernel (the trace's `via`). */
#define GB_VIA_SYSCALL 0
#define GB_VIA_IO_URING 1
#define GB_VIA_ABI32 2

struct gb_event_header {
    __u16 kind;  /* enum gb_event_kind */
    __u16 via;   /* GB_VIA_* */
    __u32 size;  /* whole record, bytes */
    __u64 ts;    /* CLOCK_MONOTONIC ns (bpf_ktime_get_ns) */
    __u32 pid;   /* tgid */
    __u32 tid;
    __u32 ppid;  /* real_parent's tgid */
    __u32 uid;
    __u32 euid;
    __u32 cpu;   /* CPU that produced the record */
    char comm[GB_COMM_LEN];
};

/* gb_str.flags */
#define GB_STR_PRESENT 0x1    /* the field has a value (else: null / absent) */
#define GB_STR_TRUNCATED 0x2  /* hit a documented bound: the bytes are the tail (paths) or head */
#define GB_STR_DELETED 0x4    /* resolved path of an unlinked file: " (deleted)" */
#define GB_STR_RELATIVE 0x8   /* resolved name with no root (pipe:, memfd:, anon_inode:...) */
#define GB_STR_FAULT 0x10     /* reading the bytes failed (bad pointer, unmapped page) */
#define GB_STR_LATE 0x20      /* not read in the kernel (it lacks the means): user space fills it in */

struct gb_str {
    __u16 off;   /* from the end of the fixed struct (the data area) */
    __u16 len;   /* bytes, without a trailing NUL */
    __u16 flags; /* GB_STR_* */
    __u16 pad;
};

/* ---- process ------------------------------------------------------------------------------- */

#define GB_EXEC_SCRIPT 0x1       /* bprm->interp differs from the file name: a #! script */
#define GB_EXEC_FILELESS_MEMFD 0x2
#define GB_EXEC_FILELESS_DELETED 0x4
#define GB_EXEC_FILELESS_FD 0x8  /* execveat(fd, "", AT_EMPTY_PATH) / fexecve */

struct gb_exec_event {
    struct gb_event_header hdr;
    __s64 ret;
    __u32 syscall; /* x86-64 syscall number: execve or execveat */
    __u32 flags;   /* GB_EXEC_* */
    __u32 argc;    /* elements in argv (NUL-separated) */
    __u32 old_pid; /* tid before exec (a non-leader thread that execs takes the leader's pid) */
    struct gb_str path;        /* resolved file run (script file name for scripts, see recording.md) */
    struct gb_str interpreter; /* resolved interpreter for scripts */
    struct gb_str raw_path;    /* string passed to execve */
    struct gb_str cwd;         /* resolved working directory */
    struct gb_str argv;        /* NUL-separated */
};

#define GB_FORK_THREAD 0x1

struct gb_fork_event {
    struct gb_event_header hdr; /* the parent */
    __u32 child_pid;
    __u32 child_tid;
    __u32 flags;   /* GB_FORK_* */
    __s32 syscall; /* syscall number the parent was in, -1 when unknown */
};

#define GB_EXIT_GROUP_DEAD 0x1 /* the last thread of the process: the process ended */

struct gb_exit_event {
    struct gb_event_header hdr;
    __u32 exit_code; /* task->exit_code: (status << 8) | signal | 0x80 when core dumped */
    __u32 flags;     /* GB_EXIT_* */
};

/* ---- file ---------------------------------------------------------------------------------- */

struct gb_open_event {
    struct gb_event_header hdr;
    __s64 ret;
    __u32 syscall;
    __u32 flags; /* O_* as passed */
    __u32 mode;
    __u32 pad;
    __u64 resolve; /* openat2 RESOLVE_* */
    struct gb_str path;     /* resolved from the returned fd */
    struct gb_str raw_path;
};

/* ---- network ------------------------------------------------------------------------------- */

#define GB_NET_ABSTRACT 0x1     /* AF_UNIX abstract name (in `path`, leading NUL removed) */
#define GB_NET_UNNAMED 0x2      /* AF_UNIX without a name */
#define GB_NET_ADDR_SOCKET 0x4  /* the address came from the kernel socket, not the caller */
#define GB_NET_HAVE_ADDR 0x8    /* addr/port (or path) are filled */
#define GB_NET_PATH_RESOLVED 0x10 /* `path` is the resolved socket file, not the caller's string */
#define GB_NET_TOTAL 0x20       /* sendto/recvfrom: the final count of an address already reported */
#define GB_NET_UNCOUNTED 0x40   /* sendto/recvfrom: the count table was full, this call is not counted */

struct gb_net_event {
    struct gb_event_header hdr;
    __s64 ret;
    __u32 syscall;
    __s32 fd;
    __u16 family;    /* AF_* */
    __u16 sock_type; /* SOCK_* (without flags) */
    __u16 protocol;
    __u16 port;      /* host order */
    __u32 flags;     /* GB_NET_* */
    __s32 backlog;   /* listen */
    __u8 addr[16];   /* IPv4 in the first 4 bytes, or IPv6 */
    struct gb_str path; /* AF_UNIX path or abstract name */
    __u32 count;     /* sendto/recvfrom: datagrams to/from this address on this socket (so far) */
    __u32 peer_pid;  /* AF_UNIX connect/accept: the peer's process (sk_peer_pid), 0 when unknown */
    __u32 index;     /* sendmmsg/recvmmsg: the message's index in the vector */
    __u32 pad;
    struct gb_str peer_exe; /* the peer process's executable, resolved */
};

#ifdef __cplusplus
static_assert(sizeof(struct gb_event_header) == 56, "gb_event_header layout");
static_assert(sizeof(struct gb_str) == 8, "gb_str layout");
static_assert(sizeof(struct gb_exec_event) == 56 + 24 + 40, "gb_exec_event layout");
static_assert(sizeof(struct gb_fork_event) == 56 + 16, "gb_fork_event layout");
static_assert(sizeof(struct gb_exit_event) == 56 + 8, "gb_exit_event layout");
static_assert(sizeof(struct gb_open_event) == 56 + 32 + 16, "gb_open_event layout");
static_assert(sizeof(struct gb_net_event) == 56 + 48 + 8 + 16 + 8, "gb_net_event layout");
#endif

/* ---- coverage (docs/trace-format.md; bpf/record/syscalls.h) ----------------- */

/* One record shape for every table-driven syscall kind (file changes, cred, prctl, signal,
 * memfd_create, mmap_exec, inotify_add_watch, socket, priv, abi32): the decoder names the fields
 * from the syscall number (tracer/record/syscall_specs.cpp holds the one table of which argument
 * is what, and user space loads the BPF side's copy of it into gb_sys_specs before attaching). */
#define GB_SYS_NR_MAX 512 /* x86-64 syscall numbers below this are table-driven */
#define GB_SYS_STRS 3

/* gb_sys_spec.str_dir / fd_arg / pid_arg encodings: 1 + argument index; 0 = none. */
#define GB_SPEC_DIR_CWD 0x80    /* str_dir: the string is relative to the cwd (no dirfd arg) */
#define GB_SPEC_FD_RET 0x80     /* fd_arg: resolve the returned descriptor */
#define GB_SPEC_PID_PIDFD 0x80  /* pid_arg: the argument is a pidfd, not a pid */
/* gb_sys_spec.flags */
#define GB_SPEC_OUTSIDE_ONLY 0x1 /* emit only when the target process is outside the scope */
#define GB_SPEC_TRACK_FD 0x2     /* a returned descriptor starts per-fd I/O accounting */
#define GB_SPEC_DIR_EMPTY_OK 0x4 /* an empty/NULL string means "the dirfd itself" (utimensat) */

struct gb_sys_spec {
    __u16 kind;          /* enum gb_event_kind; 0 = not recorded */
    __u8 str_arg[GB_SYS_STRS]; /* user strings copied as is */
    __u8 str_dir[2];     /* the dirfd argument that str_arg[0] / [1] are relative to */
    __u8 fd_arg;         /* a descriptor argument resolved to its path */
    __u8 pid_arg;        /* a target process (pid or pidfd) whose executable is resolved */
    __u8 bytes_arg;      /* a user struct copied as is ... */
    __u8 bytes_len;      /* ... of this many bytes (<= 64) */
    __u8 flags;          /* GB_SPEC_* */
    __u8 pad[3];
};

/* gb_sys_event.flags */
#define GB_SYS_TARGET_GONE 0x1 /* the target pid did not resolve to a live task */
#define GB_SYS_TARGET_NS 0x2   /* the caller is in a child pid namespace and the number names no
                                * task of the traced tree there: target_pid is the caller's number */

struct gb_sys_event {
    struct gb_event_header hdr;
    __s64 ret;
    __u32 syscall;    /* x86-64 number (for via abi32: the x86-64 equivalent, or raw_nr) */
    __u32 raw_nr;     /* the number as entered (the i386 number for via abi32) */
    __u64 args[6];
    __u32 target_pid; /* tgid of the pid_arg target; the number as given when it is <= 0 or names no task */
    __u32 flags;      /* GB_SYS_* */
    struct gb_str str[GB_SYS_STRS]; /* the spec's user strings */
    struct gb_str dir[2];           /* resolved directory of str[0] / str[1] (dirfd or cwd) */
    struct gb_str fd_path;          /* resolved path of fd_arg */
    struct gb_str target_exe;       /* resolved executable of the target */
    struct gb_str bytes;            /* the spec's user struct */
    __u8 data[];
};

/* gb_close_event.flags */
#define GB_CLOSE_AT_EXIT 0x1   /* the process ended with the descriptor open */
#define GB_CLOSE_IMPLICIT 0x2  /* the number was reused by a new open: closed by exec (CLOEXEC),
                                  dup2 or close_range without a close() of its own */
#define GB_CLOSE_RANGE 0x4     /* closed by close_range() */
#define GB_CLOSE_EXEC 0x8      /* closed by a successful exec (O_CLOEXEC / CLOSE_RANGE_CLOEXEC) */
#define GB_CLOSE_URING 0x10    /* closed by an io_uring CLOSE request (the record's via: io_uring) */

struct gb_close_event {
    struct gb_event_header hdr;
    __s32 fd;
    __u32 flags;
    __u64 bytes_read;
    __u64 bytes_written;
    __u64 reads;
    __u64 writes;
    struct gb_str path; /* resolved from the descriptor before it closed */
    __u8 data[];
};

#define GB_DNS_PAYLOAD_MAX 512

struct gb_dns_event {
    struct gb_event_header hdr;
    __s64 ret;
    __u32 syscall;
    __s32 fd;
    __u16 family;    /* AF_INET / AF_INET6 */
    __u16 sock_type; /* SOCK_DGRAM or SOCK_STREAM (payload starts with the 2-byte length) */
    __u16 port;      /* server port, host order */
    __u16 index;     /* message index within a sendmmsg */
    __u8 addr[16];   /* server address */
    struct gb_str payload; /* the first GB_DNS_PAYLOAD_MAX bytes sent */
    __u8 data[];
};

/* ---- the recorder's life (map gb_life, one entry; docs/recording.md, "Fail-closed") ------- */

/* User space writes recorder_tgid once its watchdog holds the programs' links; the BPF side sets
 * `gone` when that process ends, and traced processes then stop at their next syscall. */
struct gb_life {
    __u32 recorder_tgid;
    __u32 gone;
};

#ifdef __cplusplus
static_assert(sizeof(struct gb_life) == 8, "gb_life layout");
static_assert(sizeof(struct gb_sys_spec) == 16, "gb_sys_spec layout");
static_assert(sizeof(struct gb_sys_event) == 56 + 16 + 48 + 8 + 8 * 8, "gb_sys_event layout");
static_assert(sizeof(struct gb_close_event) == 56 + 8 + 32 + 8, "gb_close_event layout");
static_assert(sizeof(struct gb_dns_event) == 56 + 24 + 16 + 8, "gb_dns_event layout");
#endif

#endif
