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
};

#ifdef __cplusplus
static_assert(sizeof(struct gb_event_header) == 56, "gb_event_header layout");
static_assert(sizeof(struct gb_str) == 8, "gb_str layout");
static_assert(sizeof(struct gb_exec_event) == 56 + 24 + 40, "gb_exec_event layout");
static_assert(sizeof(struct gb_fork_event) == 56 + 16, "gb_fork_event layout");
static_assert(sizeof(struct gb_exit_event) == 56 + 8, "gb_exit_event layout");
static_assert(sizeof(struct gb_open_event) == 56 + 32 + 16, "gb_open_event layout");
static_assert(sizeof(struct gb_net_event) == 56 + 48 + 8, "gb_net_event layout");
#endif

#endif
