/* Is the emulator the kernel starts for an architecture out of reach of a RUN step? (see
 * binfmt.h, xb_binfmt_exe_guard). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/binfmt.h"
#include "util/cleanup.h"
#include "util/sys.h"

#ifndef ST_RDONLY
#define ST_RDONLY 1
#endif

/* An ELF header that only a's binfmt_misc magic claims: a's magic bytes, zero elsewhere. The
 * kernel never runs it: the probe stops the process at the exec and kills it. */
static int fake_binary(const xb_arch_t *a)
{
    unsigned char hdr[128] = {0};
    if (xb_arch_unescape(a->magic, hdr, sizeof hdr) <= 0)
        return -1;
    /* No close-on-exec: binfmt_misc refuses a binary whose /dev/fd path dies with the exec. */
    int fd = (int)syscall(SYS_memfd_create, "xbuild-binfmt-probe", 0);
    if (fd < 0)
        return -1;
    if (write(fd, hdr, sizeof hdr) != (ssize_t)sizeof hdr) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Starts the fake binary traced, so the process stops right after the kernel has set up the
 * emulator and before any of it runs. Returns the stopped pid, or -1 (errno set). */
static pid_t start_stopped(int fd)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char *argv[] = {(char *)"xbuild-binfmt-probe", NULL};
        char *envp[] = {NULL};
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0)
            syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP)
        return pid;
    if (WIFSTOPPED(st)) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    errno = ENOEXEC;
    return -1;
}

/* The uid an unmapped owner shows as (kernel.overflowuid). */
static uid_t overflow_uid(void)
{
    cleanup_fclose FILE *f = fopen("/proc/sys/kernel/overflowuid", "re");
    unsigned long v = 65534;
    if (f != NULL && fscanf(f, "%lu", &v) != 1)
        v = 65534;
    return (uid_t)v;
}

/* Reads what pid runs: the emulator's path, whether its mount is read-only, its owner. */
static int inspect_exe(pid_t pid, xb_binfmt_guard_t *g)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(link, g->exe, sizeof g->exe - 1);
    g->exe[n > 0 ? n : 0] = '\0';
    /* a file bind-mounted onto itself in a namespace that is gone reads as "/" */
    if (strcmp(g->exe, "/") == 0)
        snprintf(g->exe, sizeof g->exe, "the emulator");
    cleanup_close int fd = open(link, O_PATH | O_CLOEXEC);
    struct statfs sfs;
    struct stat sb;
    if (fd < 0 || fstatfs(fd, &sfs) < 0 || fstat(fd, &sb) < 0)
        return -1;
    g->read_only = (sfs.f_flags & ST_RDONLY) != 0;
    /* in a user namespace, an owner it cannot map shows as the overflow uid: nobody in the
     * namespace holds a capability over that file, and its owner is not us */
    g->owner_unmapped = xb_sys_in_userns() && sb.st_uid == overflow_uid();
    return 0;
}

int xb_binfmt_exe_guard(const xb_arch_t *a, xb_binfmt_guard_t *g)
{
    memset(g, 0, sizeof *g);
    g->state = XB_GUARD_UNKNOWN;
    cleanup_close int fd = fake_binary(a);
    if (fd < 0) {
        snprintf(g->why, sizeof g->why, "no memfd: %s", strerror(errno));
        return -1;
    }
    pid_t pid = start_stopped(fd);
    if (pid < 0) {
        snprintf(g->why, sizeof g->why, "the probe could not be started under ptrace");
        return -1;
    }
    int r = inspect_exe(pid, g);
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (r < 0) {
        snprintf(g->why, sizeof g->why, "cannot inspect /proc/PID/exe of the probe");
        return -1;
    }
    if (g->read_only)
        snprintf(g->why, sizeof g->why, "%s is on a read-only mount", g->exe);
    else if (g->owner_unmapped)
        snprintf(g->why, sizeof g->why, "the owner of %s is not mapped in this user namespace",
                 g->exe);
    else
        snprintf(g->why, sizeof g->why,
                 "%s is reachable read-write: root in a RUN step can chmod or chown it through "
                 "/proc/PID/exe",
                 g->exe);
    g->state = g->read_only || g->owner_unmapped ? XB_GUARD_SAFE : XB_GUARD_EXPOSED;
    return 0;
}
