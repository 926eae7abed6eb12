/* Test program for `glassbox scan`: no raw syscalls, only plain libc imports whose syscalls the
 * scanner maps from its libc table (open, socket/connect, execve, ptrace). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 100)
        return 0;
    int fd = open(argv[1], O_RDONLY);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    connect(s, (struct sockaddr*)&a, sizeof a);
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    execve(argv[2], argv, 0);
    return fd;
}
