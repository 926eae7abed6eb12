/* Test program for `glassbox scan --diff` (the NEW side): the same rename(), plus renameat2 issued
 * directly through syscall() with a constant number, as clamscan 1.4.6 does for its quarantine
 * (RENAME_NOREPLACE). The diff must report renameat2 as a new syscall with that site. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 3)
        return 0;
    if (argc > 3)
        return (int)syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], 1 /* RENAME_NOREPLACE */);
    return rename(argv[1], argv[2]);
}
