/* Test program for `glassbox scan`: socket() calls whose family and type the scanner recovers
 * (packet/raw, inet/stream with SOCK_CLOEXEC, netlink/dgram) and a raw socket made through
 * syscall(SYS_socket, ...) (inet/raw). */
#define _GNU_SOURCE
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
    (void)argv;
    if (argc < 100)
        return 0;
    int a = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    int b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int c = socket(AF_NETLINK, SOCK_DGRAM, 0);
    long d = syscall(SYS_socket, AF_INET, SOCK_RAW, IPPROTO_ICMP);
    return a + b + c + (int)d;
}
