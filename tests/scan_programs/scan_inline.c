/* Test program for `glassbox scan`: raw syscall instructions with known numbers in the forms the
 * scanner must recover (mov imm, xor eax,eax, register moves, push/pop, merging branches, int 0x80,
 * sysenter) and one it must report as unresolved. Nothing runs unless asked: the scanner reads the
 * code, and tests/unit/scan/scan_programs.cpp asserts the exact surface. */
#include <stdlib.h>

__attribute__((noinline)) long sc_getpid_imm(void) {
    long r;
    __asm__ volatile("mov $39, %%eax\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory");
    return r; /* getpid = 39 */
}

__attribute__((noinline)) long sc_read_xor(long fd, long buf, long n) {
    long r;
    __asm__ volatile("mov %1, %%rdi\n\tmov %2, %%rsi\n\tmov %3, %%rdx\n\txor %%eax, %%eax\n\tsyscall"
                     : "=a"(r) : "r"(fd), "r"(buf), "r"(n) : "rdi", "rsi", "rdx", "rcx", "r11", "memory");
    return r; /* read = 0 */
}

__attribute__((noinline)) long sc_getuid_regmove(void) {
    long r;
    __asm__ volatile("mov $102, %%r9d\n\tmov %%r9d, %%ebx\n\tmov %%rbx, %%rax\n\tsyscall"
                     : "=a"(r) : : "rbx", "r9", "rcx", "r11", "memory");
    return r; /* getuid = 102 via r9 -> rbx -> rax */
}

__attribute__((noinline)) long sc_getppid_pushpop(void) {
    long r;
    __asm__ volatile("push $110\n\tpop %%rax\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory");
    return r; /* getppid = 110 */
}

__attribute__((noinline)) long sc_branches(long which) {
    long r;
    /* Two paths merge at the syscall: exit (60) or exit_group (231). */
    __asm__ volatile("test %1, %1\n\t"
                     "jz 1f\n\t"
                     "mov $60, %%eax\n\t"
                     "jmp 2f\n"
                     "1:\n\t"
                     "mov $231, %%eax\n"
                     "2:\n\t"
                     "syscall"
                     : "=a"(r) : "r"(which) : "rcx", "r11", "memory");
    return r;
}

__attribute__((noinline)) long sc_movabs_kill(void) {
    long r;
    __asm__ volatile("movabs $62, %%rax\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory");
    return r; /* kill = 62 */
}

__attribute__((noinline)) long sc_int80(void) {
    long r;
    __asm__ volatile("mov $20, %%eax\n\tint $0x80" : "=a"(r) : : "memory");
    return r; /* i386 getpid = 20 */
}

__attribute__((noinline)) long sc_sysenter(void) {
    long r;
    __asm__ volatile("mov $26, %%eax\n\tsysenter" : "=a"(r) : : "rcx", "rdx", "memory");
    return r; /* i386 ptrace = 26 */
}

__attribute__((noinline)) long sc_unresolved(const long* table) {
    long r;
    __asm__ volatile("mov (%1), %%rax\n\tsyscall" : "=a"(r) : "r"(table) : "rcx", "r11", "memory");
    return r; /* number loaded from memory: unresolved */
}

int main(int argc, char** argv) {
    if (argc < 100) /* never true in tests: the code is only scanned */
        return 0;
    long t = atol(argv[1]);
    return (int)(sc_getpid_imm() + sc_read_xor(0, 0, 0) + sc_getuid_regmove() + sc_getppid_pushpop() +
                 sc_branches(argc) + sc_movabs_kill() + sc_int80() + sc_sysenter() + sc_unresolved(&t));
}
