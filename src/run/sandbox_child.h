/* Inside the sandbox's namespaces: the state the child's steps share (sandbox_child.c mounts
 * the rootfs and the system paths, sandbox_exec.c starts the command in it). Private to
 * src/run. Every step reports an error by writing it to errfd and exiting (fail/FAIL). */
#ifndef XB_RUN_SANDBOX_CHILD_H
#define XB_RUN_SANDBOX_CHILD_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "run/sandbox-internal.h"
#include "run/user.h"

struct child {
    const xb_sandbox_t *sb;
    int errfd;
    bool privileged;
    unsigned long nodev; /* MS_NODEV, or 0 with --privileged */
    int rootfd;
    char rootpath[PATH_MAX];
    FILE *stubs;
};

static inline void __attribute__((noreturn, format(printf, 3, 4)))
fail(struct child *c, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n > 0 && write(c->errfd, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1) < 0)
        _exit(code);
    _exit(code);
}

#define FAIL(c, ...) fail(c, XB_SANDBOX_SETUP_FAILED, __VA_ARGS__)

/* The environment of the command: the image's, secrets with env=, PATH and HOME defaults.
 * Allocated; NULL when out of memory. */
char **xb_sandbox_make_env(const xb_sandbox_t *sb, const char *home);
/* In the forked command process: session, capabilities, confinement, limits, user u, cwd,
 * env, then exec of the sandbox's argv. Never returns. */
void xb_sandbox_exec_command(struct child *c, const xb_user_t *u, const char *cwd, char **env,
                             int slave) __attribute__((noreturn));
/* PID 1: reaps every child, exits with pid's status. */
void xb_sandbox_reap(pid_t pid) __attribute__((noreturn));

#endif
