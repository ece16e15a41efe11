/* Rootless mode: keeping a user namespace for the next commands, as podman's pause process
 * does (run/userns.h, docs/design/run.md "Rootless"). */
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run/userns-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/sys.h"

/* The record: "PID STARTTIME BOOTID NPROC MSGQUEUE SIGPENDING MEMLOCK\n". The start time
 * (clock ticks after boot, field 22 of /proc/PID/stat) tells a reused pid from the holder; the
 * boot id a record of another boot. The four limits are the namespace's ceilings: the kernel
 * caps these rlimits of every process in a user namespace at its creator's (userns.c raises
 * the soft limits to the hard ones for the unshare; -1: unlimited). */
#define NCEIL    XB_USERNS_NCEIL
#define ceil_res xb_userns_ceil_res
const int xb_userns_ceil_res[XB_USERNS_NCEIL] = {RLIMIT_NPROC, RLIMIT_MSGQUEUE, RLIMIT_SIGPENDING,
                                                 RLIMIT_MEMLOCK};
static const char *const ceil_name[NCEIL] = {"RLIMIT_NPROC", "RLIMIT_MSGQUEUE", "RLIMIT_SIGPENDING",
                                             "RLIMIT_MEMLOCK"};
typedef struct record {
    int pid;
    unsigned long long start;
    char boot[64];
    long long ceil[NCEIL];
} record_t;

static int read_record(const char *path, record_t *r)
{
    char buf[256];
    /* O_NONBLOCK: a FIFO put in the record's place must not hang every command (and the
     * holder); it reads as empty */
    if (xb_read_small(path, buf, sizeof buf, O_NOFOLLOW | O_NONBLOCK) < 0)
        return -1;
    if (sscanf(buf, "%d %llu %63s %lld %lld %lld %lld", &r->pid, &r->start, r->boot, &r->ceil[0],
               &r->ceil[1], &r->ceil[2], &r->ceil[3]) != 3 + NCEIL ||
        r->pid <= 0) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* Field 22 of /proc/PID/stat (clock ticks after boot), or 0, also for a zombie: an exited
 * holder that its new parent, maybe an init that reaps late, has not reaped yet. */
static unsigned long long start_time(int pid)
{
    char state;
    unsigned long long v;
    if (xb_sys_proc_stat(pid, &state, 22, 1, &v) < 0 || state == 'Z' || state == 'X')
        return 0;
    return v;
}

/* Whether /proc/PID/FILE lists exactly the n lines of m (in any order). */
static bool maps_equal(int pid, const char *file, const xb_idmap_t *m, int n)
{
    char path[48];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
    cleanup_fclose FILE *f = fopen(path, "re");
    if (f == NULL)
        return false;
    unsigned long a, b, c;
    int lines = 0;
    while (fscanf(f, "%lu %lu %lu", &a, &b, &c) == 3) {
        bool found = false;
        for (int i = 0; i < n; i++)
            found |= m[i].inside == a && m[i].outside == b && m[i].count == c;
        if (!found || ++lines > n)
            return false;
    }
    return lines == n;
}

/* The holder path's record names, when it is this boot's and still that process: its pid
 * (and *r), else 0 (why says why). */
static int live_holder(const char *path, record_t *r, char *why, size_t whylen)
{
    if (read_record(path, r) < 0) {
        if (errno != ENOENT)
            snprintf(why, whylen, "%s: unreadable (%s)", path, strerror(errno));
        return 0;
    }
    cleanup_free char *boot = xb_sys_boot_id();
    if (boot == NULL || strcmp(boot, r->boot) != 0)
        snprintf(why, whylen, "the holder %d in %s is of an earlier boot", r->pid, path);
    else if (start_time(r->pid) != r->start)
        snprintf(why, whylen, "the holder %d in %s has exited", r->pid, path);
    else
        return r->pid;
    return 0;
}

int xb_userns_holder_pid(const char *record)
{
    record_t r;
    char why[200];
    return live_holder(record, &r, why, sizeof why);
}

/* Whether a ceiling of the holder's namespace (its record's) is below this process's hard
 * limit: a new namespace would let this command's processes go up to it (why says which). */
static bool ceiling_below(const record_t *r, char *why, size_t whylen)
{
    for (int i = 0; i < NCEIL; i++) {
        struct rlimit rl;
        if (r->ceil[i] >= 0 && getrlimit(ceil_res[i], &rl) == 0 &&
            (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (rlim_t)r->ceil[i])) {
            snprintf(why, whylen,
                     "the namespace of the holder %d caps %s at %lld, below this command's "
                     "hard limit",
                     r->pid, ceil_name[i], r->ceil[i]);
            return true;
        }
    }
    return false;
}

/* The user namespace of the holder pid (pinned by pidfd) as an fd, when this user made it
 * directly below this process's own namespace: not one nested inside the kept one, whose maps
 * read the same from here. -1 otherwise (why says why). */
static int holder_ns(int pid, int pidfd, char *why, size_t whylen)
{
    char ns[48];
    snprintf(ns, sizeof ns, "/proc/%d/ns/user", pid);
    int fd = open(ns, O_RDONLY | O_CLOEXEC);
    /* the holder still alive after the open: /proc/PID was it, not a process that got its pid */
    if (fd < 0 || syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
        if (fd >= 0)
            close(fd);
        snprintf(why, whylen, "the holder %d has exited", pid);
        return -1;
    }
    uid_t owner = (uid_t)-1;
    struct stat up, self;
    cleanup_close int parent = ioctl(fd, NS_GET_PARENT);
    cleanup_close int mine = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
    if (ioctl(fd, NS_GET_OWNER_UID, &owner) < 0 || owner != getuid() || parent < 0 || mine < 0 ||
        fstat(parent, &up) < 0 || fstat(mine, &self) < 0 || up.st_ino != self.st_ino ||
        up.st_dev != self.st_dev) {
        close(fd);
        snprintf(why, whylen,
                 "the namespace of the holder %d is not one this user made from this namespace",
                 pid);
        return -1;
    }
    return fd;
}

int xb_userns_join(const xb_userns_plan_t *p, const xb_userns_keep_t *k, xb_userns_entry_t *out)
{
    record_t r;
    int pid = live_holder(k->record, &r, out->why, sizeof out->why);
    if (pid == 0)
        return -1;
    /* a pidfd pins the process: with the start time checked again, the namespace joined below
     * is the holder's, not that of a process that got its pid since */
    cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0 || start_time(pid) != r.start) {
        snprintf(out->why, sizeof out->why, "the holder %d has exited", pid);
        return -1;
    }
    if (!maps_equal(pid, "uid_map", p->uids, p->nuids) ||
        !maps_equal(pid, "gid_map", p->gids, p->ngids)) {
        snprintf(out->why, sizeof out->why,
                 "the namespace of the holder %d maps other ids than /etc/subuid and /etc/subgid "
                 "give now",
                 pid);
        return -1;
    }
    if (ceiling_below(&r, out->why, sizeof out->why))
        return -1;
    cleanup_close int nsfd = holder_ns(pid, pidfd, out->why, sizeof out->why);
    if (nsfd < 0)
        return -1;
    if (setns(nsfd, CLONE_NEWUSER) < 0) {
        snprintf(out->why, sizeof out->why, "cannot join the namespace of the holder %d: %s", pid,
                 strerror(errno));
        return -1;
    }
    utimensat(AT_FDCWD, k->record, NULL, 0); /* in use: the holder stays */
    out->joined = pid;
    return 0;
}

/* In the holder, before exec: nothing of the command's (signals, fds, session keyring) is kept;
 * fork_holder gave it its own mount namespace and cwd / already. */
static void __attribute__((noreturn)) holder_exec(const xb_userns_keep_t *k, const int go[2])
{
    char b;
    close(go[1]);
    if (read(go[0], &b, 1) != 1) /* the command could not record it */
        _exit(0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++)
        signal(sig, SIG_DFL); /* ignored signals would stay ignored across exec */
    int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0)
        _exit(127);
    if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0) { /* before Linux 5.9 */
        struct rlimit rl;
        int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1048576 ? (int)rl.rlim_cur
                                                                              : 1048576;
        for (int fd = 3; fd < max; fd++)
            close(fd);
    }
    /* not the command's session keyring (its login's keys stay alive while referenced) */
    syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
    char secs[16];
    snprintf(secs, sizeof secs, "%u", k->seconds);
    char *argv[] = {"xbuild-userns-holder", XB_USERNS_HOLDER_CMD, (char *)k->record, secs, NULL};
    char *envp[] = {NULL};
    execve(k->self, argv, envp);
    _exit(127);
}

/* Forks the holder, detached (its own session, reparented to init); returns its pid, or -1.
 * It execs once a byte arrives on go[0]. */
static int fork_holder(const xb_userns_keep_t *k, const int go[2])
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    pid_t mid = fork();
    if (mid == 0) {
        close(p[0]);
        setsid();
        /* a mount namespace of its own before the command goes on (the command waits for g's
         * pid below): the holder pins none of the mounts the command makes later */
        pid_t g = unshare(CLONE_NEWNS) == 0 && chdir("/") == 0 ? fork() : -1;
        if (g == 0)
            holder_exec(k, go);
        _exit(write(p[1], &g, sizeof g) == (ssize_t)sizeof g ? 0 : 1);
    }
    close(p[1]);
    pid_t g = -1;
    if (mid < 0 || read(p[0], &g, sizeof g) != (ssize_t)sizeof g)
        g = -1;
    close(p[0]);
    while (mid > 0 && waitpid(mid, NULL, 0) < 0 && errno == EINTR)
        ;
    return g;
}

void xb_userns_start_holder(const xb_userns_keep_t *k, xb_userns_entry_t *out)
{
    /* the record's directory, as the store makes it (a first command on a new store) */
    cleanup_free char *dir = strdup(k->record);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    cleanup_error xb_error_t de = XB_ERROR_INIT;
    if (slash == NULL || slash == dir || (*slash = '\0', xb_mkdir_p(dir, 0755, &de)) < 0) {
        snprintf(out->why, sizeof out->why, "no holder: %s", de.msg ? de.msg : "no directory");
        return;
    }
    int go[2];
    if (pipe2(go, O_CLOEXEC) < 0) {
        snprintf(out->why, sizeof out->why, "no holder: pipe: %s", strerror(errno));
        return;
    }
    int g = fork_holder(k, go);
    close(go[0]);
    unsigned long long start = g > 0 ? start_time(g) : 0;
    cleanup_free char *boot = xb_sys_boot_id();
    long long ceil[NCEIL];
    for (int i = 0; i < NCEIL; i++) {
        struct rlimit rl;
        ceil[i] = getrlimit(ceil_res[i], &rl) < 0 || rl.rlim_max == RLIM_INFINITY
                      ? -1
                      : (long long)rl.rlim_max;
    }
    char rec[256];
    int n = snprintf(rec, sizeof rec, "%d %llu %s %lld %lld %lld %lld\n", g, start,
                     boot ? boot : "", ceil[0], ceil[1], ceil[2], ceil[3]);
    cleanup_error xb_error_t e = XB_ERROR_INIT;
    if (g <= 0 || start == 0 || boot == NULL)
        snprintf(out->why, sizeof out->why, "no holder: it could not be started");
    else if (xb_write_file_atomic(k->record, rec, (size_t)n, 0600, &e) < 0)
        snprintf(out->why, sizeof out->why, "no holder: %s", e.msg);
    else if (write(go[1], "x", 1) == 1)
        out->holder = g;
    close(go[1]); /* without the byte, the holder exits */
}

int xb_userns_hold(const char *record, unsigned seconds)
{
    prctl(PR_SET_NAME, "xbuild-userns"); /* exec'd as /proc/self/exe: else its name is "exe" */
    for (;;) {
        record_t r;
        struct stat st;
        if (stat(record, &st) < 0 || read_record(record, &r) < 0 || r.pid != getpid())
            return 0; /* removed, or a newer holder took over */
        time_t left = st.st_mtime + (time_t)seconds - time(NULL);
        if (left <= 0) {
            unlink(record);
            return 0;
        }
        sleep(left < 10 ? (unsigned)left : 10); /* a superseded holder goes within 10 s */
    }
}
