/* Rootless mode: entering a user + mount namespace with the caller's subordinate ids. */
#include "run/userns.h"
#include "run/userns-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

/* The first "name:start:count" (or "uid:start:count") line of file for the user. Returns 1
 * found, 0 none (or no file), -1 error. */
static int find_range(const char *file, const char *user, unsigned long id, xb_idmap_t *out,
                      xb_error_t *err)
{
    cleanup_fclose FILE *f = fopen(file, "re");
    if (f == NULL)
        return errno == ENOENT ? 0 : xb_error_errno(err, errno, "cannot read %s", file);
    char line[512];
    char idstr[32];
    snprintf(idstr, sizeof idstr, "%lu", id);
    for (int no = 1; fgets(line, sizeof line, f); no++) {
        char *c1 = strchr(line, ':');
        if (line[0] == '#' || c1 == NULL)
            continue;
        *c1 = '\0';
        if (strcmp(line, idstr) != 0 && (!*user || strcmp(line, user) != 0))
            continue;
        char *end;
        errno = 0;
        unsigned long start = strtoul(c1 + 1, &end, 10);
        unsigned long count = *end == ':' ? strtoul(end + 1, &end, 10) : 0;
        if (errno || (*end != '\n' && *end != '\0') || count == 0)
            return xb_error_set(err, XB_ERR_PARSE, "%s:%d: malformed range for %s", file, no, line);
        *out = (xb_idmap_t){1, start, count};
        return 1;
    }
    return 0;
}

int xb_userns_plan(uid_t uid, gid_t gid, const char *subuid, const char *subgid,
                   xb_userns_plan_t *plan, xb_error_t *err)
{
    memset(plan, 0, sizeof *plan);
    plan->uid = uid;
    plan->gid = gid;
    struct passwd *pw = getpwuid(uid);
    if (pw && strlen(pw->pw_name) < sizeof plan->user)
        snprintf(plan->user, sizeof plan->user, "%s", pw->pw_name);
    plan->uids[0] = (xb_idmap_t){0, uid, 1};
    plan->gids[0] = (xb_idmap_t){0, gid, 1};
    plan->nuids = plan->ngids = 1;
    int r = find_range(subuid ? subuid : "/etc/subuid", plan->user, uid, &plan->uids[1], err);
    if (r < 0)
        return -1;
    int g = find_range(subgid ? subgid : "/etc/subgid", plan->user, uid, &plan->gids[1], err);
    if (g < 0)
        return -1;
    /* both or neither: a uid range without a gid range would map files half-way */
    if (r == 1 && g == 1)
        plan->nuids = plan->ngids = 2;
    return 0;
}

static int read_knob(const char *path)
{
    char buf[32];
    return xb_read_small(path, buf, sizeof buf, 0) < 0 ? -1 : atoi(buf);
}

static int no_userns(int e, xb_error_t *err)
{
    const char *cause;
    if (read_knob("/proc/sys/user/max_user_namespaces") == 0)
        cause = "user.max_user_namespaces is 0 (in this namespace)";
    else if (read_knob("/proc/sys/kernel/unprivileged_userns_clone") == 0)
        cause = "kernel.unprivileged_userns_clone is 0";
    else if (read_knob("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
        cause = "AppArmor restricts unprivileged user namespaces "
                "(kernel.apparmor_restrict_unprivileged_userns=1)";
    else if (e == EPERM)
        cause = "the call was refused, e.g. by a container's seccomp profile or an LSM";
    else if (e == ENOSPC || e == EUSERS)
        cause = "the limit of nested user namespaces is reached";
    else
        cause = "the kernel refused it";
    return xb_error_set(err, XB_ERR_UNSUPPORTED,
                        "rootless mode needs a user namespace, and this process cannot create "
                        "one: %s (%s). Ways out: run xbuild as root; or allow unprivileged user "
                        "namespaces (sysctl user.max_user_namespaces=15000, "
                        "kernel.unprivileged_userns_clone=1, "
                        "kernel.apparmor_restrict_unprivileged_userns=0); in a container, run "
                        "it with a seccomp profile that allows unshare(CLONE_NEWUSER) "
                        "(e.g. --security-opt seccomp=unconfined) or --privileged",
                        cause, strerror(e));
}

/* Runs newuidmap (which = 0) or newgidmap (1) for pid with p's two lines; stderr to report.
 * Returns the child's pid, or -1. */
static pid_t spawn_map(const xb_userns_plan_t *p, int which, pid_t target, int report)
{
    const xb_idmap_t *m = which ? p->gids : p->uids;
    char a[2][3][24], pid[24];
    snprintf(pid, sizeof pid, "%d", (int)target);
    for (int i = 0; i < 2; i++) {
        snprintf(a[i][0], sizeof a[i][0], "%lu", m[i].inside);
        snprintf(a[i][1], sizeof a[i][1], "%lu", m[i].outside);
        snprintf(a[i][2], sizeof a[i][2], "%lu", m[i].count);
    }
    const char *tool = which ? "newgidmap" : "newuidmap";
    pid_t c = fork();
    if (c == 0) {
        dup2(report, 2);
        /* Debian's path first: a setuid helper is not looked up in PATH when it is there */
        char abs[32];
        snprintf(abs, sizeof abs, "/usr/bin/%s", tool);
        execl(abs, tool, pid, a[0][0], a[0][1], a[0][2], a[1][0], a[1][1], a[1][2], (char *)NULL);
        execlp(tool, tool, pid, a[0][0], a[0][1], a[0][2], a[1][0], a[1][1], a[1][2], (char *)NULL);
        dprintf(2, "cannot run %s: %s (install Debian's uidmap package)", tool, strerror(errno));
        _exit(127);
    }
    return c;
}

/* The helper: waits until the parent has unshared, then runs newuidmap and newgidmap for it
 * (both at once: each is a setuid exec, the bulk of entering the namespace). */
static void __attribute__((noreturn))
helper(const xb_userns_plan_t *p, pid_t parent, int go, int report)
{
    char b;
    if (read(go, &b, 1) != 1)
        _exit(0); /* the parent failed before unsharing */
    pid_t c[2];
    int bad = 0;
    for (int which = 0; which < 2; which++)
        c[which] = spawn_map(p, which, parent, report);
    for (int which = 0; which < 2; which++) {
        int st = 0;
        while (c[which] > 0 && waitpid(c[which], &st, 0) < 0 && errno == EINTR)
            ;
        if (c[which] < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            const xb_idmap_t *m = which ? p->gids : p->uids;
            dprintf(report, " (%s %d 0 %lu 1 1 %lu %lu failed)", which ? "newgidmap" : "newuidmap",
                    (int)parent, m[0].outside, m[1].outside, m[1].count);
            bad = 1;
        }
    }
    _exit(bad);
}

static int write_map(const char *file, const char *data, xb_error_t *err)
{
    cleanup_close int fd = open(file, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data))
        return xb_error_errno(err, errno, "cannot write %s", file);
    return 0;
}

static int map_single(const xb_userns_plan_t *p, xb_error_t *err)
{
    char m[64];
    snprintf(m, sizeof m, "0 %lu 1\n", (unsigned long)p->uid);
    if (write_map("/proc/self/uid_map", m, err) < 0)
        return -1;
    if (write_map("/proc/self/setgroups", "deny", err) < 0)
        return -1;
    snprintf(m, sizeof m, "0 %lu 1\n", (unsigned long)p->gid);
    return write_map("/proc/self/gid_map", m, err);
}

/* A new user namespace takes its creator's soft RLIMIT_NPROC, MSGQUEUE, SIGPENDING and MEMLOCK
 * as ceilings for every process in it (the kernel's create_user_ns): a kept one would hold
 * every later command to the first command's soft limits (`ulimit -u 40` in one CI job, EAGAIN
 * on fork in the next). unshare_at_hard_limits raises them to the hard limits for the unshare
 * only; each process keeps its own soft limits. */
static int unshare_at_hard_limits(int flags)
{
    const int *res = xb_userns_ceil_res;
    struct rlimit saved[XB_USERNS_NCEIL];
    bool raised[XB_USERNS_NCEIL] = {false};
    for (size_t i = 0; i < XB_USERNS_NCEIL; i++) {
        struct rlimit up;
        if (getrlimit(res[i], &saved[i]) == 0 && saved[i].rlim_cur != saved[i].rlim_max) {
            up = (struct rlimit){saved[i].rlim_max, saved[i].rlim_max};
            raised[i] = setrlimit(res[i], &up) == 0;
        }
    }
    int r = unshare(flags);
    int e = errno;
    for (size_t i = 0; i < XB_USERNS_NCEIL; i++)
        if (raised[i])
            setrlimit(res[i], &saved[i]);
    errno = e;
    return r;
}

/* Unshares a new user + mount namespace and maps plan's ids into it. */
static int enter_new(const xb_userns_plan_t *p, xb_error_t *err)
{
    bool ranges = p->nuids == 2;
    int go[2] = {-1, -1}, rep[2] = {-1, -1};
    pid_t h = -1;
    if (ranges) {
        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0)
            return xb_error_errno(err, errno, "pipe");
        pid_t parent = getpid();
        h = fork();
        if (h < 0)
            return xb_error_errno(err, errno, "fork");
        if (h == 0) {
            close(go[1]);
            close(rep[0]);
            helper(p, parent, go[0], rep[1]);
        }
        close(go[0]);
        close(rep[1]);
    }
    int r = 0;
    if (unshare_at_hard_limits(CLONE_NEWUSER | CLONE_NEWNS) < 0)
        r = no_userns(errno, err);
    if (ranges) {
        if (r == 0 && write(go[1], "x", 1) != 1)
            r = xb_error_errno(err, errno, "cannot signal the id-mapping helper");
        close(go[1]);
        char msg[1024];
        size_t n = 0;
        ssize_t k;
        while (n < sizeof msg - 1 && (k = read(rep[0], msg + n, sizeof msg - 1 - n)) > 0)
            n += (size_t)k;
        msg[n] = '\0';
        close(rep[0]);
        int st = 0;
        while (waitpid(h, &st, 0) < 0 && errno == EINTR)
            ;
        if (r == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
            return xb_error_set(err, XB_ERR_UNSUPPORTED,
                                "cannot map the subordinate ids of %s (%s and /etc/subgid: "
                                "%lu-%lu): %s",
                                *p->user ? p->user : "this user", "/etc/subuid", p->uids[1].outside,
                                p->uids[1].outside + p->uids[1].count - 1, n ? msg : "failed");
    } else if (r == 0) {
        r = map_single(p, err);
    }
    return r;
}

/* In the namespace (new or joined), with a mount namespace of its own: becomes its root, and
 * keeps the host's later mounts from propagating into it. */
static int become_root(xb_error_t *err)
{
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        return xb_error_errno(err, errno, "cannot become root of the user namespace");
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        return xb_error_errno(err, errno, "cannot make the mounts of the namespace private");
    return 0;
}

int xb_userns_enter(const xb_userns_plan_t *p, const xb_userns_keep_t *keep, xb_userns_entry_t *out,
                    xb_error_t *err)
{
    memset(out, 0, sizeof *out);
    /* one id needs no helper (the process maps itself): nothing worth keeping */
    bool keeping = keep != NULL && keep->record != NULL && keep->seconds > 0 && p->nuids == 2;
    if (keeping && xb_userns_join(p, keep, out) == 0) {
        if (unshare(CLONE_NEWNS) < 0)
            return xb_error_errno(err, errno,
                                  "cannot make a mount namespace in the user "
                                  "namespace of process %d",
                                  out->joined);
        return become_root(err);
    }
    if (enter_new(p, err) < 0 || become_root(err) < 0)
        return -1;
    if (keeping)
        xb_userns_start_holder(keep, out);
    return 0;
}

static int read_map(const char *file, xb_idmap_t m[8], int *n)
{
    *n = 0;
    cleanup_fclose FILE *f = fopen(file, "re");
    if (f == NULL)
        return 0;
    unsigned long a, b, c;
    while (*n < 8 && fscanf(f, "%lu %lu %lu", &a, &b, &c) == 3)
        m[(*n)++] = (xb_idmap_t){a, b, c};
    return 0;
}

int xb_userns_current(xb_idmap_t uids[8], int *nuids, xb_idmap_t gids[8], int *ngids,
                      xb_error_t *err)
{
    (void)err;
    read_map("/proc/self/uid_map", uids, nuids);
    read_map("/proc/self/gid_map", gids, ngids);
    return 0;
}
