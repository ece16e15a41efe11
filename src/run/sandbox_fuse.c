/* fuse-overlayfs mounts for the sandbox (the snapshotter used where kernel overlayfs cannot be
 * mounted, or when forced): its daemon runs in the foreground as a child of the process that
 * mounts (killed with it through PDEATHSIG), so that process can unmount and wait for it to
 * exit, after which every write has reached the upper dir. Also the probe mount. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run/sandbox-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define FUSE_SUPER_MAGIC 0x65735546
#define FUSE_WAIT_MS     30000

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The first line(s) of the daemon's log into msg ("" when empty). */
static void read_log(const char *log, char *msg, size_t len)
{
    msg[0] = '\0';
    int fd = open(log, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, msg, len - 1);
    close(fd);
    msg[n > 0 ? n : 0] = '\0';
    for (ssize_t i = n - 1; i >= 0 && (msg[i] == '\n' || msg[i] == ' '); i--)
        msg[i] = '\0';
    for (char *p = msg; *p; p++)
        if (*p == '\n')
            *p = ' ';
}

int xb_sandbox_fuse_mount(const char *bin, const char *cwd, const char *opts, const char *target,
                          const char *log, pid_t *pid, char *msg, size_t len)
{
    *pid = -1;
    /* mounted = target's device changed (it may be on a fuse mount already) */
    struct stat before;
    if (stat(target, &before) < 0) {
        snprintf(msg, len, "%s: %s", target, strerror(errno));
        return -1;
    }
    pid_t p = fork();
    if (p < 0) {
        snprintf(msg, len, "fork: %s", strerror(errno));
        return -1;
    }
    if (p == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int lf = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (lf < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(lf, 1) < 0 || dup2(lf, 2) < 0)
            _exit(126);
        syscall(SYS_close_range, 3U, ~0U, 0U);
        if (cwd && chdir(cwd) < 0)
            _exit(126);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execl(bin, "fuse-overlayfs", "-f", "-o", opts, target, (char *)NULL);
        dprintf(2, "cannot execute %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    for (long waited = 0; waited < FUSE_WAIT_MS; waited += 2) {
        int st;
        pid_t w = waitpid(p, &st, WNOHANG);
        if (w == p) {
            char out[512];
            read_log(log, out, sizeof out);
            snprintf(msg, len, "fuse-overlayfs exited with %s %d before mounting%s%s",
                     WIFEXITED(st) ? "code" : "signal",
                     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), *out ? ": " : "", out);
            return -1;
        }
        struct statfs sf;
        struct stat now;
        if (stat(target, &now) == 0 && now.st_dev != before.st_dev && statfs(target, &sf) == 0 &&
            sf.f_type == FUSE_SUPER_MAGIC) {
            *pid = p;
            return 0;
        }
        sleep_ms(2);
    }
    kill(p, SIGKILL);
    while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
        ;
    snprintf(msg, len, "fuse-overlayfs did not mount %s within %d s", target, FUSE_WAIT_MS / 1000);
    return -1;
}

int xb_sandbox_fuse_unmount(const char *target, pid_t pid, char *msg, size_t len)
{
    if (umount2(target, 0) < 0 && (errno != EBUSY || umount2(target, MNT_DETACH) < 0)) {
        snprintf(msg, len, "cannot unmount the fuse-overlayfs mount %s: %s", target,
                 strerror(errno));
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        return -1;
    }
    /* the daemon exits once the kernel tears the connection down, i.e. after the last
     * reference to the mount is gone and dirty pages were written through it */
    for (long waited = 0; waited < FUSE_WAIT_MS; waited += 2) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) {
            if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
            snprintf(msg, len, "fuse-overlayfs (pid %d) ended with %s %d after the unmount",
                     (int)pid, WIFEXITED(st) ? "code" : "signal",
                     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            return -1;
        }
        if (w < 0 && errno != EINTR) {
            snprintf(msg, len, "waiting for fuse-overlayfs (pid %d): %s", (int)pid,
                     strerror(errno));
            return -1;
        }
        sleep_ms(2);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    snprintf(msg, len, "fuse-overlayfs (pid %d) did not exit within %d s after the unmount",
             (int)pid, FUSE_WAIT_MS / 1000);
    return -1;
}

int xb_sandbox_fuse_probe(const char *bin, const char *dir, char *msg, size_t len)
{
    char base[PATH_MAX];
    snprintf(base, sizeof base, "%s/fuse-probe-XXXXXX", dir);
    if (mkdtemp(base) == NULL) {
        snprintf(msg, len, "cannot create a probe dir under %s: %s", dir, strerror(errno));
        return -1;
    }
    static const char *const sub[] = {"l", "u", "w", "m"};
    char p[5][PATH_MAX + 16];
    for (int i = 0; i < 4; i++) {
        snprintf(p[i], sizeof p[i], "%s/%s", base, sub[i]);
        mkdir(p[i], 0755);
    }
    snprintf(p[4], sizeof p[4], "%s/log", base);
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        snprintf(msg, len, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        char opts[3 * PATH_MAX + 64], m[768];
        if (snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", p[0], p[1], p[2]) >=
            (int)sizeof opts)
            _exit(1);
        pid_t d;
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            snprintf(m, sizeof m, "cannot create a mount namespace: %s", strerror(errno));
        else if (xb_sandbox_fuse_mount(bin, NULL, opts, p[3], p[4], &d, m, sizeof m) == 0 &&
                 xb_sandbox_fuse_unmount(p[3], d, m, sizeof m) == 0)
            _exit(0);
        if (write(pfd[1], m, strlen(m)) < 0)
            _exit(2);
        _exit(1);
    }
    close(pfd[1]);
    int st = 1;
    if (pid > 0)
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
    ssize_t n = read(pfd[0], msg, len - 1);
    close(pfd[0]);
    msg[n > 0 ? n : 0] = '\0';
    cleanup_error xb_error_t e = XB_ERROR_INIT;
    xb_rm_rf(base, &e);
    if (pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (!*msg)
        snprintf(msg, len, "the probe mount failed");
    return -1;
}
