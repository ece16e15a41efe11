/* Static probe for tests/integration/run-security.sh: tries what a hostile RUN step would and
 * prints one line per attempt ("NAME: ok" or "NAME: <strerror>"). Built by the test with
 * gcc -static; never part of xbuild. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static void report(const char *what, long r)
{
    printf("%s: %s\n", what, r < 0 ? strerror(errno) : "ok");
}

#if defined(__x86_64__)
/* unshare(CLONE_NEWUSER) through the i386 system call ABI (int $0x80, number 310) */
static long unshare_i386(unsigned long flags)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "0"(310L), "b"(flags) : "memory");
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return r;
}
#endif

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0); /* each line out before a probe that may kill us */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "tiocsti") == 0) {
            /* push a command into the input of every terminal we can reach */
            const char *cmd = "echo INJECTED\n";
            int fds[4] = {0, 1, 2, open("/dev/tty", O_RDWR | O_NOCTTY)};
            long r = -1;
            int e = ENOTTY;
            for (int k = 0; k < 4; k++) {
                if (fds[k] < 0 || !isatty(fds[k]))
                    continue;
                long rr = 0;
                for (const char *c = cmd; *c && rr == 0; c++)
                    rr = ioctl(fds[k], TIOCSTI, c);
                if (rr == 0)
                    r = 0;
                else
                    e = errno;
            }
            errno = e;
            report("tiocsti", r);
        } else if (strcmp(a, "packet") == 0) {
            report("packet", socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)));
        } else if (strcmp(a, "keyctl") == 0) {
            report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
        } else if (strcmp(a, "bpf") == 0) {
            report("bpf", syscall(SYS_bpf, 0, NULL, 0));
        } else if (strcmp(a, "userns") == 0) {
            report("userns", unshare(CLONE_NEWUSER));
#if defined(__x86_64__)
        } else if (strcmp(a, "userns-i386") == 0) {
            report("userns-i386", unshare_i386(CLONE_NEWUSER));
#endif
        } else if (strcmp(a, "ioctl-high-bits") == 0) {
            /* TIOCSTI with bits above 32 set: the kernel truncates the request */
            char c = 'x';
            report("ioctl-high-bits", syscall(SYS_ioctl, 0, (1UL << 32) | TIOCSTI, &c));
        }
    }
    return 0;
}
