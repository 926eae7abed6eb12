/* Test program for `glassbox scan --diff` (the OLD side): renames through libc's rename(), so
 * renameat2 is reachable only through the import (libc may implement rename with it). */
#include <stdio.h>

int main(int argc, char** argv) {
    if (argc < 3)
        return 0;
    return rename(argv[1], argv[2]);
}
