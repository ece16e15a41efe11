/* Inside the sandbox, after pivot_root: the command's process (session, capabilities,
 * Landlock/seccomp, limits, user, WORKDIR, environment, exec) and PID 1's reaping. The mounts
 * before it are sandbox_child.c's. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/policy.h"
#include "run/runopts.h"
#include "run/sandbox_child.h"

extern char **environ;

static void drop_caps(struct child *c)
{
    uint64_t keep = xb_sandbox_policy_caps(c->sb->policy, !c->sb->network_none);
    for (int cap = 0; cap <= 63; cap++) {
        if (xb_run_cap_kept(c->sb->opts, cap, (keep & (UINT64_C(1) << cap)) != 0))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            FAIL(c, "cannot drop capability %d: %s", cap, strerror(errno));
    }
}

/* Landlock (writes outside the sandbox's tree), seccomp, no_new_privs: the last steps before
 * the command's user is set. */
static void confine(struct child *c)
{
    char msg[256];
    const xb_sandbox_policy_t *p = c->sb->policy;
    if (!c->privileged && xb_sandbox_landlock_confine(msg, sizeof msg) < 0)
        FAIL(c, "%s", msg);
    bool unconfined =
        (p && p->seccomp_unconfined) || (c->sb->opts && c->sb->opts->seccomp_unconfined);
    if (!c->privileged && !unconfined && xb_sandbox_seccomp_load(msg, sizeof msg) < 0)
        FAIL(c, "%s", msg);
    if (p && p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        FAIL(c, "cannot set no_new_privs: %s", strerror(errno));
}

/* The command's session: a new one, without a controlling terminal, or with the sandbox's own
 * pty (slave >= 0) as its terminal and 0/1/2. */
static void own_session(struct child *c, int slave)
{
    if (setsid() < 0)
        FAIL(c, "setsid: %s", strerror(errno));
    if (slave < 0)
        return;
    if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0 ||
        ioctl(0, TIOCSCTTY, 0) < 0)
        FAIL(c, "cannot attach the pty: %s", strerror(errno));
    if (slave > 2)
        close(slave);
}

/* --ulimit and --security-opt no-new-privileges, for the command only. */
static void apply_limits(struct child *c)
{
    const xb_run_opts_t *o = c->sb->opts;
    for (size_t i = 0; o && o->ulimits && o->ulimits[i]; i++) {
        int res;
        struct rlimit rl;
        xb_error_t e = XB_ERROR_INIT;
        if (xb_run_ulimit_parse(o->ulimits[i], &res, &rl, &e) < 0)
            FAIL(c, "%s", e.msg);
        if (setrlimit(res, &rl) < 0)
            FAIL(c, "--ulimit %s: %s", o->ulimits[i], strerror(errno));
    }
    if (o && o->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        FAIL(c, "no-new-privileges: %s", strerror(errno));
}

/* A one-id user namespace (rootless without a subordinate range) denies setgroups: the
 * command keeps the groups it has, which the namespace shows as unmapped (65534). */
static bool setgroups_denied(void)
{
    char b[8] = "";
    int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof b - 1);
    if (fd >= 0)
        close(fd);
    return n >= 4 && strncmp(b, "deny", 4) == 0;
}

/* Is env entry e (NAME=...) the variable of a secret mount with env=? */
static bool secret_env_named(const xb_sandbox_t *sb, const char *e)
{
    for (size_t i = 0; i < sb->nmounts; i++) {
        const char *v = sb->mounts[i].env;
        size_t l = v ? strlen(v) : 0;
        if (sb->mounts[i].type == XB_MOUNT_SECRET && v && strncmp(e, v, l) == 0 && e[l] == '=')
            return true;
    }
    return false;
}

char **xb_sandbox_make_env(const xb_sandbox_t *sb, const char *home)
{
    char *const *env = sb->env;
    size_t n = 0;
    bool has_path = false, has_home = false;
    for (; env && env[n]; n++) {
        has_path |= strncmp(env[n], "PATH=", 5) == 0;
        has_home |= strncmp(env[n], "HOME=", 5) == 0;
    }
    char **e = calloc(n + 3 + sb->nmounts, sizeof *e);
    if (e == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!secret_env_named(sb, env[i]))
            e[k++] = env[i];
    /* secrets with env=: NAME=value, the value as given (it replaces an ENV of that name) */
    for (size_t i = 0; i < sb->nmounts; i++) {
        const xb_run_mount_t *m = &sb->mounts[i];
        if (m->type == XB_MOUNT_SECRET && m->env &&
            asprintf(&e[k], "%s=%.*s", m->env, (int)m->len, m->data ? m->data : "") > 0)
            k++;
    }
    if (!has_path)
        e[k++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    if (!has_home && home && *home && asprintf(&e[k], "HOME=%s", home) > 0)
        k++;
    e[k] = NULL;
    return e;
}

/* The command's process: its session, capabilities, confinement, limits, user, WORKDIR and
 * environment, then exec. */
void xb_sandbox_exec_command(struct child *c, const xb_user_t *u, const char *cwd, char **env,
                             int slave)
{
    const xb_sandbox_t *sb = c->sb;
    own_session(c, slave);
    drop_caps(c);
    confine(c);
    apply_limits(c);
    if ((setgroups(u->ngroups, u->groups) < 0 && !(errno == EPERM && setgroups_denied())) ||
        setgid(u->gid) < 0 || setuid(u->uid) < 0)
        FAIL(c, "cannot switch to user '%s': %s%s", sb->user, strerror(errno),
             errno == EINVAL ? " (its id is not mapped in this rootless user namespace: "
                               "give your user a range in /etc/subuid and /etc/subgid, "
                               "'sudo usermod --add-subuids 100000-165535 "
                               "--add-subgids 100000-165535 $USER')"
                             : "");
    if (chdir(cwd) < 0)
        FAIL(c, "cannot enter WORKDIR %s: %s", cwd, strerror(errno));
    environ = env;
    if (sb->linux32 && personality(PER_LINUX32) < 0)
        FAIL(c, "cannot set the 32-bit personality: %s", strerror(errno));
    syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
    execvp(sb->argv[0], sb->argv);
    fail(c, XB_SANDBOX_EXEC_FAILED, "exec %s: %s", sb->argv[0], strerror(errno));
}

/* PID 1: reap everything, exit with the command's status */
void xb_sandbox_reap(pid_t pid)
{
    int code = XB_SANDBOX_SETUP_FAILED;
    for (;;) {
        int st;
        pid_t w = waitpid(-1, &st, 0);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (w == pid) {
            code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            break;
        }
    }
    _exit(code);
}
