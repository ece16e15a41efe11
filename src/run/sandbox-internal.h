/* Shared between sandbox.c (parent side) and sandbox_child.c (inside the namespaces). */
#ifndef XB_RUN_SANDBOX_INTERNAL_H
#define XB_RUN_SANDBOX_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <termios.h>

#include "run/sandbox.h"
#include "util/cleanup.h"

#define XB_SANDBOX_SETUP_FAILED 125
#define XB_SANDBOX_EXEC_FAILED  127

/* The PID 1 of the sandbox: sets everything up, forks the command, reaps, exits with the
 * command's status. Setup errors are written to errfd. Never returns. */
void xb_sandbox_child(const xb_sandbox_t *sb, int errfd, int ptysock) __attribute__((noreturn));

/* The command's streams (sandbox_io.c): pipes relayed by xbuild, or a pty of the sandbox's
 * own devpts whose master is sent over sock. */
typedef struct xb_sandbox_io {
    int out[2], err[2], in[2], sock[2];
    int master;
    bool tty, interactive, stdin_open, raw;
    struct termios saved;
} xb_sandbox_io_t;
int xb_sandbox_io_open(xb_sandbox_io_t *io, const xb_sandbox_policy_t *p, xb_error_t *err);
/* in the forked child: the pipes become 0/1/2 (tty: the socket end is kept for the init) */
void xb_sandbox_io_child(xb_sandbox_io_t *io);
/* in xbuild after the fork: closes the child's ends */
void xb_sandbox_io_parent(xb_sandbox_io_t *io);
/* one round of relaying (poll up to timeout_ms); 0 when every stream is closed */
int xb_sandbox_io_pump(xb_sandbox_io_t *io, int timeout_ms);
void xb_sandbox_io_close(xb_sandbox_io_t *io);
/* in the sandbox's init after pivot_root: a pty of /dev/ptmx, master sent over sock; returns
 * the slave fd or -1 with msg */
int xb_sandbox_pty_open(int sock, char *msg, size_t len);

/* (sandbox_overlay.c) mount(2) of an overlay with an upper dir at target: options opts, tried first
 * with
 * ",volatile" (Linux 5.10+): the upper dir is a step's scratch tree, so unmounting it need not
 * sync the whole store filesystem (which made each RUN wait for all writeback so far, e.g. of
 * a base image just extracted). Extracted layers are caches of their fsynced blobs either way.
 * Returns mount's result (errno set). */
int xb_sandbox_mount_overlay(const char *target, unsigned long flags, const char *opts);

/* (sandbox_fuse.c) Starts `bin -f -o opts target` (in cwd when not NULL; its output goes to
 * the file log) and waits until target is a FUSE mount: *pid is the daemon, a child of the
 * caller that dies with it (PDEATHSIG). 0, or -1 with the reason (the daemon's own message when
 * it exited) in msg. */
int xb_sandbox_fuse_mount(const char *bin, const char *cwd, const char *opts, const char *target,
                          const char *log, pid_t *pid, char *msg, size_t len);
/* Unmounts target and waits for the daemon pid to exit (then every write went through to the
 * upper dir). 0, or -1 with msg. */
int xb_sandbox_fuse_unmount(const char *target, pid_t pid, char *msg, size_t len);

/* Loads the default seccomp filter (EPERM for the refused calls, no_new_privs left off).
 * 0, or -1 with a message in msg. */
int xb_sandbox_seccomp_load(char *msg, size_t len);

/* The Landlock ABI version of the running kernel (0: not available). */
int xb_sandbox_landlock_abi(void);

/* Confines the calling process (and what it execs) so that no file outside "/" can be
 * written, created, removed or truncated. 0 done, 1 Landlock not available, -1 with msg. */
int xb_sandbox_landlock_confine(char *msg, size_t len);

#endif
