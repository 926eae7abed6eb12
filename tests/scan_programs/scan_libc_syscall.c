/* Test program for `glassbox scan`: syscalls made through libc's syscall() with constant numbers
 * (resolved at the call site), through a local wrapper that passes its own argument on (resolved
 * at the wrapper's callers), and with a number only known at run time (unresolved). Built three
 * ways by tests/scan.cmake: dynamic (call syscall@plt), -fno-plt (call *syscall@GOT) and static
 * (libc's syscall() is local code). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((noinline)) long my_wrapper(long nr, long a) {
    return syscall(nr, a, 0, 0);
}

int main(int argc, char** argv) {
    if (argc < 100)
        return 0;
    long r = syscall(SYS_ptrace, 0, 0, 0, 0);   /* 101 */
    r += syscall(SYS_init_module, 0, 0, "");   /* 175 */
    r += my_wrapper(SYS_bpf, 0);               /* 321 via the wrapper */
    r += syscall(atol(argv[1]), 0);            /* unknown */
    return (int)r;
}
